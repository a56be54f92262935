"""Plans for the report tests, built in code from the normalized tables (no input files).

A module of its own (not conftest.py) so the tests can import the names without depending on
which conftest.py Python found first.

The short plan runs out of database capacity within the horizon and makes the log pool borrow
from the database pool; the clear plan never runs short. Environment and file names carry markup
and a formula, so every format has to keep them as text.
"""

from __future__ import annotations

from typing import Any

from planner.model.inputs import Inputs, InputSource, environment_frame, license_frame
from planner.planning import build_plan
from planner.results import Plan
from planner.ruleset import resolve_ruleset

AS_OF = "2026-01"
MONTHS = 24
SCRIPT_NAME = "<script>alert(1)</script>"
FORMULA_NAME = '=HYPERLINK("http://x","y")'
MARKUP_FILE = "inventory <b>2026</b>.csv"

LICENSES: list[dict[str, Any]] = [
    {"sku": "DYN365_FINANCE", "quantity": 25, "source": "licenses.csv", "location": "row 2"},
    {"sku": "DYN365_SCM", "quantity": 10, "source": "licenses.csv", "location": "row 3"},
    {"sku": "CDS_DB_CAPACITY", "quantity": 4, "source": "licenses.csv", "location": "row 4"},
]

SHORT_ENVIRONMENTS: list[dict[str, Any]] = [
    {
        "name": "contoso-prod",
        "type": "production",
        "power_platform": "integrated",
        "operations_database_gb": 120.0,
        "operations_database_growth_gb_per_month": 8.0,
        "dataverse_database_gb": 10.0,
        "dataverse_database_growth_gb_per_month": 1.0,
        "dataverse_log_gb": 1.5,
        "dataverse_log_growth_gb_per_month": 0.25,
        "operations_file_gb": 20.0,
        "source": MARKUP_FILE,
        "location": "row 2",
    },
    {
        "name": "contoso-uat",
        "type": "sandbox",
        "tier": 2,
        "operations_database_gb": 60.0,
        "source": MARKUP_FILE,
        "location": "row 3",
    },
    {"name": SCRIPT_NAME, "type": "dataverse_sandbox", "source": MARKUP_FILE, "location": "row 4"},
    {
        "name": FORMULA_NAME,
        "type": "dataverse_production",
        "dataverse_database_gb": 2.5,
        "source": MARKUP_FILE,
        "location": "row 5",
    },
]

CLEAR_ENVIRONMENTS: list[dict[str, Any]] = [
    {
        "name": "small-prod",
        "type": "production",
        "power_platform": "none",
        "operations_database_gb": 40.0,
        "operations_database_growth_gb_per_month": 0.5,
        "operations_file_gb": 5.0,
        "source": "inventory.csv",
        "location": "row 2",
    },
]


def make_inputs(
    environments: list[dict[str, Any]],
    *,
    licenses: list[dict[str, Any]] | None = None,
    environment_file: str = MARKUP_FILE,
) -> Inputs:
    license_rows = LICENSES if licenses is None else licenses
    return Inputs(
        licenses=license_frame(license_rows),
        environments=environment_frame(environments),
        sources=(
            InputSource("licenses.csv", "licenses", "sku-quantity-csv", len(license_rows)),
            InputSource(environment_file, "environments", "inventory-csv", len(environments)),
        ),
    )


def make_plan(
    environments: list[dict[str, Any]],
    *,
    licenses: list[dict[str, Any]] | None = None,
    rules: str | None = None,
    environment_file: str = MARKUP_FILE,
) -> Plan:
    inputs = make_inputs(environments, licenses=licenses, environment_file=environment_file)
    return build_plan(inputs, resolve_ruleset(rules, AS_OF), AS_OF, MONTHS)
