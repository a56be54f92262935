"""License exports: Graph subscribedSkus JSON, PowerShell tables, the Microsoft 365 admin
center's Licenses export, and the planning sheet.

Each reader returns a license table (planner.model.license_frame). ``quantity`` is what the
tenant bought and may use (Graph's ``prepaidUnits.enabled``, PowerShell's ``ActiveUnits``);
units in the warning state are kept apart in ``warning_units`` and added to ``quantity`` only
when the caller asks, because they are licenses about to lapse.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
import numpy as np
import pandas as pd
from msgspec import Meta

from planner.errors import InputError
from planner.ingest.jsonshape import (
    Count,
    JsonObject,
    OptionalText,
    WholeNumber,
    fail,
    read_json,
)
from planner.ingest.table import Field, NumberRule, Table, match_columns, parse_numbers
from planner.model.inputs import license_frame

GUID = re.compile(
    r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$"
)
GUID_PATTERN = GUID.pattern


class LicenseOptions(msgspec.Struct, frozen=True):
    include_warning_units: bool = False


# Header spellings seen in PowerShell exports (flattened with Select-Object or Export-Excel).
QUANTITY_ALIASES = (
    "ActiveUnits",
    "PrepaidUnits.Enabled",
    "PrepaidUnitsEnabled",
    "EnabledUnits",
    "Enabled",
    "PrepaidEnabled",
    "PurchasedUnits",
)
WARNING_ALIASES = ("WarningUnits", "PrepaidUnits.Warning", "PrepaidUnitsWarning", "Warning")
CONSUMED_ALIASES = ("ConsumedUnits", "Consumed", "AssignedUnits", "Assigned")
DISPLAY_NAME_ALIASES = ("DisplayName", "ProductName", "Product_Display_Name", "FriendlyName")

MG_FIELDS = (
    Field("sku", ("SkuPartNumber", "PartNumber")),
    Field("sku_id", ("SkuId",)),
    Field("quantity", QUANTITY_ALIASES, required=True),
    Field("warning_units", WARNING_ALIASES),
    Field("consumed_units", CONSUMED_ALIASES),
    Field("display_name", DISPLAY_NAME_ALIASES),
)
MSOL_FIELDS = (
    Field("account_sku_id", ("AccountSkuId",), required=True),
    Field("sku", ("SkuPartNumber",)),
    Field("sku_id", ("SkuId",)),
    Field("quantity", QUANTITY_ALIASES, required=True),
    Field("warning_units", WARNING_ALIASES),
    Field("consumed_units", CONSUMED_ALIASES),
)
PLANNING_FIELDS = (
    Field("sku", ("sku", "sku_name", "license_sku", "license"), required=True),
    Field("quantity", ("quantity", "qty", "licenses", "units", "count", "seats"), required=True),
    Field("display_name", ("display_name", "name", "product_name", "product", "description")),
    Field("sku_id", ("sku_id", "guid")),
)

# Microsoft 365 admin center, Billing > Licenses, Export: product names only, no SKU ids. The
# SKU catalog resolves the names (matched_by = display_name).
ADMIN_CENTER_FIELDS = (
    Field("display_name", ("Product Title", "Product title", "ProductTitle"), required=True),
    Field("total", ("Total Licenses", "Total licenses", "TotalLicenses"), required=True),
    Field("expired", ("Expired Licenses", "Expired licenses", "ExpiredLicenses")),
    Field("consumed_units", ("Assigned licenses", "Assigned Licenses", "AssignedLicenses")),
    Field("renewal_date", ("Renewal Date", "Renewal date", "RenewalDate")),
)

_QUANTITY = NumberRule("a whole number of licenses", whole=True, required=True)
_OPTIONAL_UNITS = NumberRule("a whole number of licenses", whole=True)


# ----------------------------------------------------------------------------------------------
# Graph GET /v1.0/subscribedSkus


class Prepaid(JsonObject):
    enabled: WholeNumber
    warning: Count = Count(0)


class SubscribedSku(JsonObject):
    sku_part_number: OptionalText | None = None  # None: absent or null
    sku_id: Any = None  # checked as a GUID, as written
    prepaid_units: Annotated[
        Prepaid | None,
        Meta(description="prepaidUnits as an object with enabled, warning, suspended"),
    ] = None
    consumed_units: Count | None = None  # None: not said


_SKUS = list[
    Annotated[SubscribedSku, Meta(description="a subscribed SKU object with skuPartNumber")]
]


def read_graph_json(
    file: str, items: list, items_path: str, options: LicenseOptions
) -> pd.DataFrame:
    """One license row per subscribed SKU object."""
    rows: list[dict] = []
    for sku_object in read_json(file, items, _SKUS, at=items_path):
        # Some exports keep only the skuId; the SKU catalog knows the part number of a GUID.
        sku = str(sku_object.sku_part_number or "")
        sku_id = _json_guid(file, sku_object)
        if not sku and not sku_id:
            written = sku_object.sku_part_number
            raise fail(
                file,
                f"skuPartNumber is {'missing' if written is None else 'empty'} and there is "
                "no skuId",
                sku_object.where("skuPartNumber"),
                "skuPartNumber, skuId or both on every subscribed SKU",
            )
        prepaid = sku_object.prepaid_units
        if prepaid is None:
            raise fail(
                file,
                "prepaidUnits is missing",
                sku_object.where("prepaidUnits"),
                "prepaidUnits as an object with enabled, warning, suspended, lockedOut",
            )
        consumed = sku_object.consumed_units
        rows.append(
            {
                "sku": sku,
                "sku_id": sku_id,
                "display_name": "",
                "quantity": int(prepaid.enabled)
                + (int(prepaid.warning) if options.include_warning_units else 0),
                "warning_units": int(prepaid.warning),
                "consumed_units": -1 if consumed is None else int(consumed),
                "source": file,
                "location": sku_object.at,
                "start_month": 0,
            }
        )
    return license_frame(rows)


def _json_guid(file: str, sku_object: SubscribedSku) -> str:
    value = sku_object.sku_id
    if value is None:
        return ""
    if not isinstance(value, str) or not GUID.match(value.strip()):
        raise fail(
            file,
            f"skuId {value!r} is not a GUID",
            sku_object.where("skuId"),
            "a GUID like 00000000-0000-0000-0000-000000000000",
        )
    return value.strip().strip("{}").lower()


# ----------------------------------------------------------------------------------------------
# Tables: Get-MgSubscribedSku, Get-MsolAccountSku, planning sheet


def read_mg_table(table: Table, options: LicenseOptions) -> pd.DataFrame:
    """A SkuPartNumber, a SkuId, or both on every row (the SKU catalog knows either)."""
    columns = match_columns(table, MG_FIELDS)
    if "sku" not in columns:
        if "sku_id" not in columns:
            raise InputError(
                "the table has neither a SkuPartNumber nor a SkuId column",
                file=table.file,
                location="row 1",
                expected="a SkuPartNumber or SkuId column",
            )
        _required_text(table, columns["sku_id"], "SkuId")
        return _license_table(table, columns, pd.Series([""] * len(table), dtype=object), options)
    if "sku_id" not in columns:
        return _license_table(table, columns, _required_text(table, columns["sku"], "sku"), options)
    sku = table.column(columns["sku"])
    neither = ((sku == "") & (table.column(columns["sku_id"]) == "")).to_numpy()
    if neither.any():
        row = int(np.flatnonzero(neither)[0])
        raise table.error(
            "both SkuPartNumber and SkuId are blank",
            row_index=row,
            position=columns["sku"],
            expected="a SkuPartNumber, a SkuId or both on every row",
        )
    return _license_table(table, columns, sku, options)


def read_msol_table(table: Table, options: LicenseOptions) -> pd.DataFrame:
    columns = match_columns(table, MSOL_FIELDS)
    position = columns["account_sku_id"]
    account_sku = _required_text(table, position, "AccountSkuId")
    # "contosobikes:DYN365_FINANCE": the part after the tenant prefix is the SKU part number.
    parts = account_sku.str.partition(":")
    no_prefix = (parts[1] == "") | (parts[2].str.strip() == "")
    if no_prefix.any():
        row = int(np.flatnonzero(no_prefix.to_numpy())[0])
        raise table.error(
            f"AccountSkuId '{account_sku.iloc[row]}' has no tenant prefix",
            row_index=row,
            position=position,
            expected="tenant:SKUPARTNUMBER, like contoso:DYN365_FINANCE",
        )
    sku = parts[2].str.strip()
    if "sku" in columns:
        written = table.column(columns["sku"])
        sku = written.where(written != "", sku)
    return _license_table(table, columns, sku, options)


def read_admin_center_table(table: Table, options: LicenseOptions) -> pd.DataFrame:
    """Licenses bought = Total Licenses minus Expired Licenses (expired ones grant nothing)."""
    del options  # the export has no units in a warning state to add
    columns = match_columns(table, ADMIN_CENTER_FIELDS)
    names = _required_text(table, columns["display_name"], "Product Title")
    total = parse_numbers(table, columns["total"], "Total Licenses", _QUANTITY).astype(np.int64)
    expired = _optional_units(table, columns.get("expired"), "Expired Licenses", 0)
    more = expired > total
    if more.any():
        row = int(np.flatnonzero(more)[0])
        raise table.error(
            f"{expired[row]} expired licenses of {total[row]} in total",
            row_index=row,
            position=columns["expired"],
            expected="at most the Total Licenses of the row (expired ones are part of the total)",
        )
    consumed = _optional_units(table, columns.get("consumed_units"), "Assigned licenses", -1)
    frame = pd.DataFrame(
        {
            "sku": "",
            "sku_id": "",
            "display_name": names.to_numpy(dtype=object),
            "quantity": total - expired,
            "warning_units": 0,
            "consumed_units": consumed,
            "source": table.file,
            "location": _row_locations(table),
            "start_month": 0,
        },
        index=range(len(table)),
    )
    return license_frame(frame)


def read_planning_table(table: Table, options: LicenseOptions) -> pd.DataFrame:
    columns = match_columns(table, PLANNING_FIELDS)
    sku = _required_text(table, columns["sku"], "sku")
    return _license_table(table, columns, sku, options)


def _required_text(table: Table, position: int, name: str) -> pd.Series:
    values = table.column(position)
    blank = (values == "").to_numpy()
    if blank.any():
        row = int(np.flatnonzero(blank)[0])
        raise table.error(
            f"{name} is missing",
            row_index=row,
            position=position,
            expected=f"a {name} on every row",
        )
    return values


def _license_table(
    table: Table, columns: dict[str, int], sku: pd.Series, options: LicenseOptions
) -> pd.DataFrame:
    size = len(table)
    quantity = parse_numbers(table, columns["quantity"], "quantity", _QUANTITY).astype(np.int64)
    warning = _optional_units(table, columns.get("warning_units"), "warning_units", 0)
    consumed = _optional_units(table, columns.get("consumed_units"), "consumed_units", -1)
    sku_id = _guid_column(table, columns.get("sku_id"))
    if "sku_id" in columns:
        # A planning sheet may name a SKU by its GUID alone; keep it findable by either.
        is_guid = sku.str.fullmatch(GUID_PATTERN)
        sku_id = sku_id.where(~(is_guid & (sku_id == "")), sku.str.strip("{}").str.lower())
    else:
        is_guid = sku.str.fullmatch(GUID_PATTERN)
        sku_id = sku.str.strip("{}").str.lower().where(is_guid, "")
    display = table.column(columns["display_name"]) if "display_name" in columns else ""
    frame = pd.DataFrame(
        {
            "sku": sku.to_numpy(dtype=object),
            "sku_id": sku_id.to_numpy(dtype=object),
            "display_name": display if isinstance(display, str) else display.to_numpy(dtype=object),
            "quantity": quantity + (warning if options.include_warning_units else 0),
            "warning_units": warning,
            "consumed_units": consumed,
            "source": table.file,
            "location": _row_locations(table),
            "start_month": 0,
        },
        index=range(size),
    )
    return license_frame(frame)


def _optional_units(table: Table, position: int | None, name: str, blank: int) -> np.ndarray:
    if position is None:
        return np.full(len(table), blank, dtype=np.int64)
    numbers = parse_numbers(table, position, name, _OPTIONAL_UNITS)
    return np.where(np.isnan(numbers), blank, numbers).astype(np.int64)


def _guid_column(table: Table, position: int | None) -> pd.Series:
    if position is None:
        return pd.Series([""] * len(table), dtype=object)
    values = table.column(position)
    bad = ((values != "") & ~values.str.fullmatch(GUID_PATTERN)).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise table.error(
            f"'{values.iloc[row]}' is not a GUID",
            row_index=row,
            position=position,
            expected="a GUID like 00000000-0000-0000-0000-000000000000, or blank",
        )
    return values.str.strip("{}").str.lower().reset_index(drop=True).astype(object)


def _row_locations(table: Table) -> list[str]:
    if table.sheet is None:
        return [f"row {number}" for number in table.row_numbers]
    return [f"{table.sheet}!A{number}" for number in table.row_numbers]
