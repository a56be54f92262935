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
from typing import Annotated, Any, ClassVar

import numpy as np
import pandas as pd
from msgspec import Meta

from planner.ingest.jsondoc import Unfit, checked_size, checked_text
from planner.ingest.jsonshape import (
    Count,
    Flag,
    JsonObject,
    OptionalText,
    Text,
    fail,
    read_json,
)
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

# The answer's shape. Amounts are Any: whether they are read, and up to what, depends on the
# type's unit (an amount of calls is listed, never read).


class Paid(JsonObject):
    enabled: Count = Count(0)
    warning: Count = Count(0)
    suspended: Count = Count(0)


class CapacityLicense(JsonObject):
    entitlement_code: OptionalText = OptionalText()
    sku_id: OptionalText = OptionalText()
    paid: Annotated[Paid | None, Meta(description="paid as an object with enabled, warning")] = None
    is_temporary_license: Flag = Flag(0)
    display_name: OptionalText = OptionalText()
    service_plan_id: OptionalText = OptionalText()
    total_capacity: Any = None
    temporary_license_expiry_date: Any = None


class Entitlement(JsonObject):
    capacity_sub_type: Text
    total_capacity: Any = None
    licenses: Annotated[
        list[
            Annotated[CapacityLicense, Meta(description="a license with entitlementCode and skuId")]
        ]
        | None,
        Meta(description="licenses as a list"),
    ] = None


class Consumption(JsonObject):
    rated: Any = None
    actual: Any = None
    rated_updated_on: OptionalText = OptionalText()


class CapacityEntry(JsonObject):
    aliases: ClassVar[dict[str, tuple[str, ...]]] = {"capacityUnits": ("capacityUnit",)}

    capacity_type: Text
    capacity_units: Text
    consumption: Annotated[
        Consumption | None, Meta(description="consumption with actual and rated")
    ] = None
    total_capacity: Any = None
    max_capacity: Any = None
    status: OptionalText = OptionalText()
    capacity_entitlements: Annotated[
        list[Annotated[Entitlement, Meta(description="an entitlement with capacitySubType")]]
        | None,
        Meta(description="capacityEntitlements as a list"),
    ] = None


class Summary(JsonObject):
    aliases: ClassVar[dict[str, tuple[str, ...]]] = {"statusMessageCode": ("status",)}

    status_message_code: OptionalText = OptionalText()


class TenantCapacity(JsonObject, kw_only=True):
    tenant_id: OptionalText = OptionalText()
    license_model_type: OptionalText = OptionalText()
    capacity_summary: Annotated[
        Summary | None, Meta(description="capacitySummary as an object")
    ] = None
    tenant_capacities: Annotated[
        list[
            Annotated[CapacityEntry, Meta(description="a capacity type object with capacityType")]
        ],
        Meta(description="tenantCapacities as a list of capacity types"),
    ]


def read_tenant_capacity_json(file: str, document: dict) -> MicrosoftFigures:
    answer = read_json(file, document, TenantCapacity)
    tenant_id = _tenant_id(file, answer)
    summary = answer.capacity_summary
    if not answer.tenant_capacities:
        raise fail(
            file,
            "the list of capacity types is empty",
            answer.where("tenantCapacities"),
            "one entry per capacity type (Database, File, Log, ...)",
        )
    capacities: list[dict] = []
    sub_types: list[dict] = []
    licenses: list[dict] = []
    seen: dict[str, str] = {}
    for entry in answer.tenant_capacities:
        api_type = str(entry.capacity_type)
        if compact(api_type) in seen:
            raise fail(
                file,
                f"capacityType '{api_type}' appears twice (also at {seen[compact(api_type)]})",
                f"{entry.at}.capacityType",
                "one entry per capacity type",
            )
        seen[compact(api_type)] = entry.at
        capacity_type = CAPACITY_TYPE_BY_API.get(compact(api_type), "")
        unit = str(entry.capacity_units)
        factor = _MB_PER_UNIT.get(unit.casefold())
        if capacity_type and factor is None:
            raise fail(
                file,
                f"capacityUnits '{unit}' is not a storage unit",
                f"{entry.at}.capacityUnits",
                f"MB (or GB) for the storage type {api_type}",
            )
        rated, actual, updated = _consumption(file, entry.consumption, factor)
        capacities.append(
            {
                "api_type": api_type,
                "capacity_type": capacity_type,
                "unit": unit,
                "entitled_gb": _gb(file, entry, "totalCapacity", entry.total_capacity, factor),
                "max_gb": _gb(file, entry, "maxCapacity", entry.max_capacity, factor),
                "rated_gb": rated,
                "actual_gb": actual,
                "rated_updated_on": updated,
                "status": str(entry.status),
                "location": entry.at,
            }
        )
        _entitlements(file, entry, api_type, capacity_type, factor, sub_types, licenses)
    return MicrosoftFigures(
        source=file,
        tenant_id=tenant_id,
        license_model=str(answer.license_model_type),
        status=str(summary.status_message_code) if summary else "",
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


def _tenant_id(file: str, answer: TenantCapacity) -> str:
    tenant_id = str(answer.tenant_id)
    if tenant_id and not GUID.match(tenant_id):
        raise fail(
            file,
            f"tenantId '{tenant_id}' is not a GUID",
            "tenantId",
            "the tenant's id, like 00000000-0000-0000-0000-000000000000",
        )
    return tenant_id.strip("{}").lower()


def _gb(file: str, obj: JsonObject, name: str, value: Any, factor: float | None) -> float:
    """An amount in GB; NaN when absent, or when the type is not counted in storage units."""
    if factor is None:
        return np.nan
    try:
        megabytes = checked_size(value, name, maximum=_MAX_MB / factor)
    except Unfit as unfit:
        raise fail(file, unfit.message, obj.where(name), unfit.expected) from None
    return np.nan if megabytes is None else mb_to_gb(megabytes * factor)


def _consumption(
    file: str, consumption: Consumption | None, factor: float | None
) -> tuple[float, float, str]:
    if consumption is None:
        return np.nan, np.nan, ""
    rated = _gb(file, consumption, "rated", consumption.rated, factor)
    actual = _gb(file, consumption, "actual", consumption.actual, factor)
    updated = str(consumption.rated_updated_on)
    # "0001-01-01" is .NET's "never": no date at all.
    return rated, actual, "" if updated.startswith("0001") else updated[:10]


def _entitlements(
    file: str,
    entry: CapacityEntry,
    api_type: str,
    capacity_type: str,
    factor: float | None,
    sub_types: list[dict],
    licenses: list[dict],
) -> None:
    for group in entry.capacity_entitlements or ():
        sub_type = str(group.capacity_sub_type)
        part = part_of(sub_type)
        sub_types.append(
            {
                "api_type": api_type,
                "capacity_type": capacity_type,
                "sub_type": sub_type,
                "part": part,
                "gb": _gb(file, group, "totalCapacity", group.total_capacity, factor),
                "location": group.at,
            }
        )
        for license in group.licenses or ():
            licenses.append(
                _license(file, license, factor)
                | {
                    "api_type": api_type,
                    "capacity_type": capacity_type,
                    "sub_type": sub_type,
                    "part": part,
                }
            )


def _license(file: str, entry: CapacityLicense, factor: float | None) -> dict:
    code = str(entry.entitlement_code)
    sku_id = _guid(file, entry, "skuId", entry.sku_id)
    if not code and not sku_id:
        raise fail(
            file,
            "the license has neither entitlementCode nor skuId",
            entry.at,
            "an entitlementCode or a skuId naming the license",
        )
    paid = entry.paid
    temporary = bool(entry.is_temporary_license)
    return {
        "entitlement_code": code,
        "display_name": str(entry.display_name),
        "sku_id": sku_id,
        "service_plan_id": _guid(file, entry, "servicePlanId", entry.service_plan_id),
        "units": int(paid.enabled) if paid else 0,
        "warning_units": int(paid.warning) if paid else 0,
        "suspended_units": int(paid.suspended) if paid else 0,
        "gb": _gb(file, entry, "totalCapacity", entry.total_capacity, factor),
        "temporary": temporary,
        "expires": _expiry(file, entry) if temporary else "",
        "location": entry.at,
    }


def _guid(file: str, obj: JsonObject, name: str, text: str) -> str:
    if text and not GUID.match(text):
        raise fail(
            file,
            f"{name} '{text}' is not a GUID",
            f"{obj.at}.{name}",
            "a GUID like 00000000-0000-0000-0000-000000000000",
        )
    return str(text).strip("{}").lower()


def _expiry(file: str, entry: CapacityLicense) -> str:
    name = "temporaryLicenseExpiryDate"
    value = entry.temporary_license_expiry_date
    try:
        text = checked_text(value, name, required=False)
    except Unfit as unfit:
        raise fail(file, unfit.message, entry.where(name), unfit.expected) from None
    if not text:
        return ""
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise fail(
            file, f"{name} {value!r} is not a date", entry.where(name), "an ISO date and time"
        ) from None


def _frame(rows: list[dict], columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns))
