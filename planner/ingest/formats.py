"""Format ids: what a file was taken to be, and which table it feeds.

The ids are stable strings: they appear in ``InputSource.format``, in reports and in JSON output,
so scripts may compare against them. Tabular formats carry the container as a suffix: ``-csv``
for any delimited text (comma, semicolon or tab) and ``-xlsx`` for an Excel workbook.
"""

from __future__ import annotations

LICENSES = "licenses"
ENVIRONMENTS = "environments"
TENANT_CAPACITY = "tenant_capacity"

# Base ids of the formats; tabular ones get "-csv" or "-xlsx" appended.
GRAPH_SUBSCRIBED_SKUS_JSON = "graph-subscribedskus-json"
MG_SUBSCRIBED_SKU = "mg-subscribedsku"
MSOL_ACCOUNT_SKU = "msol-accountsku"
PLANNING_SHEET = "planning-sheet"
ADMIN_CENTER_LICENSES = "admin-center-licenses"
INVENTORY = "inventory"
GROWTH_SHEET = "growth-sheet"  # environment names and monthly growth only
PPAC_ENVIRONMENTS_JSON = "ppac-environments-json"
LCS_ENVIRONMENTS_JSON = "lcs-environments-json"
TENANT_CAPACITY_JSON = "tenant-capacity-json"
# The CoE Starter Kit's admin_EnvironmentCapacity table: consumption history only (no kinds).
COE_ENVIRONMENT_CAPACITY = "coe-environmentcapacity"
COE_ENVIRONMENT_CAPACITY_JSON = "coe-environmentcapacity-json"

# Recognized so the message can say what the file is, but not read as an input.
PRODUCT_NAMES_REFERENCE = "product-names-reference"

TABULAR_BASES: tuple[str, ...] = (
    MG_SUBSCRIBED_SKU,
    MSOL_ACCOUNT_SKU,
    PLANNING_SHEET,
    ADMIN_CENTER_LICENSES,
    INVENTORY,
    GROWTH_SHEET,
    COE_ENVIRONMENT_CAPACITY,
)
HISTORY_ONLY: tuple[str, ...] = (COE_ENVIRONMENT_CAPACITY, COE_ENVIRONMENT_CAPACITY_JSON)

_KIND_OF_BASE = {
    GRAPH_SUBSCRIBED_SKUS_JSON: LICENSES,
    MG_SUBSCRIBED_SKU: LICENSES,
    MSOL_ACCOUNT_SKU: LICENSES,
    PLANNING_SHEET: LICENSES,
    ADMIN_CENTER_LICENSES: LICENSES,
    INVENTORY: ENVIRONMENTS,
    GROWTH_SHEET: ENVIRONMENTS,
    PPAC_ENVIRONMENTS_JSON: ENVIRONMENTS,
    LCS_ENVIRONMENTS_JSON: ENVIRONMENTS,
    TENANT_CAPACITY_JSON: TENANT_CAPACITY,
    COE_ENVIRONMENT_CAPACITY: ENVIRONMENTS,
    COE_ENVIRONMENT_CAPACITY_JSON: ENVIRONMENTS,
}

# What each kind of file may be, in words, for "expected" in error messages.
DESCRIPTION_OF_KIND = {
    LICENSES: (
        "a license export: Microsoft Graph subscribedSkus JSON, a Get-MgSubscribedSku or "
        "Get-MsolAccountSku table (CSV/XLSX), the Microsoft 365 admin center's Licenses export "
        "(Product Title, Total Licenses), or a planning sheet with columns sku, quantity"
    ),
    ENVIRONMENTS: (
        "an environment list: the capplan inventory template (CSV/XLSX), the Power Platform "
        "admin environment list JSON, or the LCS environment list JSON; or a growth sheet "
        "(name and <type>_growth_gb_per_month columns)"
    ),
    TENANT_CAPACITY: "the tenant capacity API answer (JSON with tenantCapacities)",
}
EXPECTED_ANY = (
    f"{DESCRIPTION_OF_KIND[LICENSES]}; or {DESCRIPTION_OF_KIND[ENVIRONMENTS]}; or "
    f"{DESCRIPTION_OF_KIND[TENANT_CAPACITY]}"
)


def tabular_id(base: str, container: str) -> str:
    """``inventory`` + ``xlsx`` -> ``inventory-xlsx``."""
    return f"{base}-{container}"


def base_of(format_id: str) -> str:
    for suffix in ("-csv", "-xlsx"):
        if format_id.endswith(suffix) and format_id[: -len(suffix)] in (
            *TABULAR_BASES,
            PRODUCT_NAMES_REFERENCE,
        ):
            return format_id[: -len(suffix)]
    return format_id


def kind_of(format_id: str) -> str | None:
    """``licenses``, ``environments`` or ``tenant_capacity``; None for recognized files capplan
    does not read."""
    return _KIND_OF_BASE.get(base_of(format_id))
