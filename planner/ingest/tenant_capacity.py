"""The tenant capacity API answer (``GET /licensing/tenantCapacity``): Microsoft's own figures.

Mapping choices (documented in docs/input-formats.md):

- ``capacityType`` Database, File, Log, FinOpsDatabase and FinOpsFile are capplan's five capacity
  types; every other type (TrialDatabase, SubscriptionTrial*, M365Database, ApiCallCount,
  CapacityPass, ...) is listed with its figures and never counted.
- Amounts in MB (``capacityUnits``) become GB with planner.units.mb_to_gb; amounts of a type
  counted in units or calls stay out of GB columns.
- ``capacitySubType`` is kept as written; its part is the suffix Microsoft gives it: Base (the
  tenant default), Incremental (per-license accrual) or AddOn (capacity and sandbox add-ons).
- Each license behind a sub-type keeps its ``skuId``, ``entitlementCode``, paid units and
  capacity; a temporary license keeps its expiry date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from planner.ingest.jsondoc import JsonReader, item, member
from planner.ingest.licenses import GUID
from planner.ingest.table import ABSURD, compact
from planner.model.inputs import (
    MICROSOFT_CAPACITY_COLUMNS,
    MICROSOFT_LICENSE_COLUMNS,
    MICROSOFT_SUBTYPE_COLUMNS,
    MicrosoftFigures,
)
from planner.model.units import MB_PER_GB, mb_to_gb

CAPACITY_TYPE_BY_API = {
    "database": "dataverse_database",
    "file": "dataverse_file",
    "log": "dataverse_log",
    "finopsdatabase": "operations_database",
    "finopsfile": "operations_file",
}
PARTS = ("Base", "Incremental", "AddOn")
_MB_PER_UNIT = {"mb": 1.0, "gb": MB_PER_GB}
_MAX_MB = ABSURD * MB_PER_GB
_ITEMS = "tenantCapacities"


def read_tenant_capacity_json(file: str, document: dict) -> MicrosoftFigures:
    reader = JsonReader(file)
    tenant_id = _tenant_id(reader, document)
    license_model = reader.text(document, "", "licenseModelType", required=False)
    status = _summary_status(reader, document)
    where, entries = reader.field(document, "", _ITEMS)
    entries = reader.as_list(entries, where, "tenantCapacities as a list of capacity types")
    if not entries:
        raise reader.fail(
            "the list of capacity types is empty",
            where,
            "one entry per capacity type (Database, File, Log, ...)",
        )
    capacities: list[dict] = []
    sub_types: list[dict] = []
    licenses: list[dict] = []
    seen: dict[str, str] = {}
    for index, value in enumerate(entries):
        path = item(where, index)
        entry = reader.as_object(value, path, "a capacity type object with capacityType")
        api_type = reader.text(entry, path, "capacityType")
        if compact(api_type) in seen:
            raise reader.fail(
                f"capacityType '{api_type}' appears twice (also at {seen[compact(api_type)]})",
                member(path, "capacityType"),
                "one entry per capacity type",
            )
        seen[compact(api_type)] = path
        capacity_type = CAPACITY_TYPE_BY_API.get(compact(api_type), "")
        unit = reader.text(entry, path, "capacityUnits", "capacityUnit")
        factor = _MB_PER_UNIT.get(unit.casefold())
        if capacity_type and factor is None:
            raise reader.fail(
                f"capacityUnits '{unit}' is not a storage unit",
                member(path, "capacityUnits"),
                f"MB (or GB) for the storage type {api_type}",
            )
        rated, actual, updated = _consumption(reader, entry, path, factor)
        capacities.append(
            {
                "api_type": api_type,
                "capacity_type": capacity_type,
                "unit": unit,
                "entitled_gb": _gb(reader, entry, path, "totalCapacity", factor),
                "max_gb": _gb(reader, entry, path, "maxCapacity", factor),
                "rated_gb": rated,
                "actual_gb": actual,
                "rated_updated_on": updated,
                "status": reader.text(entry, path, "status", required=False),
                "location": path,
            }
        )
        _entitlements(reader, entry, path, api_type, capacity_type, factor, sub_types, licenses)
    return MicrosoftFigures(
        source=file,
        tenant_id=tenant_id,
        license_model=license_model,
        status=status,
        capacities=_frame(capacities, MICROSOFT_CAPACITY_COLUMNS),
        sub_types=_frame(sub_types, MICROSOFT_SUBTYPE_COLUMNS),
        licenses=_frame(licenses, MICROSOFT_LICENSE_COLUMNS),
    )


def part_of(sub_type: str) -> str:
    """Base, Incremental or AddOn from a sub-type such as FinOpsDatabaseIncremental."""
    folded = sub_type.casefold()
    for part in PARTS:
        if folded.endswith(part.casefold()):
            return part
    return "Other"


def _tenant_id(reader: JsonReader, document: dict) -> str:
    tenant_id = reader.text(document, "", "tenantId", required=False)
    if tenant_id and not GUID.match(tenant_id):
        raise reader.fail(
            f"tenantId '{tenant_id}' is not a GUID",
            "tenantId",
            "the tenant's id, like 00000000-0000-0000-0000-000000000000",
        )
    return tenant_id.strip("{}").lower()


def _summary_status(reader: JsonReader, document: dict) -> str:
    where, summary = reader.field(document, "", "capacitySummary")
    if summary is None:
        return ""
    summary = reader.as_object(summary, where, "capacitySummary as an object")
    return reader.text(summary, where, "statusMessageCode", "status", required=False)


def _gb(reader: JsonReader, obj: dict, path: str, name: str, factor: float | None) -> float:
    """An amount in GB; NaN when absent, or when the type is not counted in storage units."""
    if factor is None:
        return np.nan
    megabytes = reader.size(obj, path, name, maximum=_MAX_MB / factor)
    return np.nan if megabytes is None else mb_to_gb(megabytes * factor)


def _consumption(
    reader: JsonReader, entry: dict, path: str, factor: float | None
) -> tuple[float, float, str]:
    where, consumption = reader.field(entry, path, "consumption")
    if consumption is None:
        return np.nan, np.nan, ""
    consumption = reader.as_object(consumption, where, "consumption with actual and rated")
    rated = _gb(reader, consumption, where, "rated", factor)
    actual = _gb(reader, consumption, where, "actual", factor)
    updated = reader.text(consumption, where, "ratedUpdatedOn", required=False)
    # "0001-01-01" is .NET's "never": no date at all.
    return rated, actual, "" if updated.startswith("0001") else updated[:10]


def _entitlements(
    reader: JsonReader,
    entry: dict,
    path: str,
    api_type: str,
    capacity_type: str,
    factor: float | None,
    sub_types: list[dict],
    licenses: list[dict],
) -> None:
    where, groups = reader.field(entry, path, "capacityEntitlements")
    if groups is None:
        return
    groups = reader.as_list(groups, where, "capacityEntitlements as a list")
    for index, value in enumerate(groups):
        group_path = item(where, index)
        group = reader.as_object(value, group_path, "an entitlement with capacitySubType")
        sub_type = reader.text(group, group_path, "capacitySubType")
        part = part_of(sub_type)
        sub_types.append(
            {
                "api_type": api_type,
                "capacity_type": capacity_type,
                "sub_type": sub_type,
                "part": part,
                "gb": _gb(reader, group, group_path, "totalCapacity", factor),
                "location": group_path,
            }
        )
        list_path, entries = reader.field(group, group_path, "licenses")
        if entries is None:
            continue
        entries = reader.as_list(entries, list_path, "licenses as a list")
        for position, license_value in enumerate(entries):
            license_path = item(list_path, position)
            licenses.append(
                _license(reader, license_value, license_path, factor)
                | {
                    "api_type": api_type,
                    "capacity_type": capacity_type,
                    "sub_type": sub_type,
                    "part": part,
                }
            )


def _license(reader: JsonReader, value: Any, path: str, factor: float | None) -> dict:
    entry = reader.as_object(value, path, "a license with entitlementCode and skuId")
    code = reader.text(entry, path, "entitlementCode", required=False)
    sku_id = _guid(reader, entry, path, "skuId")
    if not code and not sku_id:
        raise reader.fail(
            "the license has neither entitlementCode nor skuId",
            path,
            "an entitlementCode or a skuId naming the license",
        )
    paid_path, paid = reader.field(entry, path, "paid")
    units = warning = suspended = 0
    if paid is not None:
        paid = reader.as_object(paid, paid_path, "paid as an object with enabled, warning")
        units = reader.whole_number(paid, paid_path, "enabled", required=False)
        warning = reader.whole_number(paid, paid_path, "warning", required=False)
        suspended = reader.whole_number(paid, paid_path, "suspended", required=False)
    temporary_path, temporary = reader.field(entry, path, "isTemporaryLicense")
    if temporary is not None and not isinstance(temporary, bool):
        raise reader.fail("isTemporaryLicense is not true or false", temporary_path, "true/false")
    return {
        "entitlement_code": code,
        "display_name": reader.text(entry, path, "displayName", required=False),
        "sku_id": sku_id,
        "service_plan_id": _guid(reader, entry, path, "servicePlanId"),
        "units": units,
        "warning_units": warning,
        "suspended_units": suspended,
        "gb": _gb(reader, entry, path, "totalCapacity", factor),
        "temporary": bool(temporary),
        "expires": _expiry(reader, entry, path) if temporary else "",
        "location": path,
    }


def _guid(reader: JsonReader, obj: dict, path: str, name: str) -> str:
    text = reader.text(obj, path, name, required=False)
    if text and not GUID.match(text):
        raise reader.fail(
            f"{name} '{text}' is not a GUID",
            member(path, name),
            "a GUID like 00000000-0000-0000-0000-000000000000",
        )
    return text.strip("{}").lower()


def _expiry(reader: JsonReader, entry: dict, path: str) -> str:
    where, value = reader.field(entry, path, "temporaryLicenseExpiryDate")
    text = reader.text(entry, path, "temporaryLicenseExpiryDate", required=False)
    if not text:
        return ""
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise reader.fail(
            f"temporaryLicenseExpiryDate {value!r} is not a date", where, "an ISO date and time"
        ) from None


def _frame(rows: list[dict], columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns))
