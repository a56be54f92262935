"""Telling formats apart by what the content says, never by the file name.

Tabular files are told apart by their header row; JSON files by the shape of their items.
The file name's extension is used only to word an error better (a ``.json`` file that is not
JSON gets the JSON parser's complaint).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import msgspec

from planner.errors import InputError
from planner.ingest import formats
from planner.ingest.inventory import GROWTH_KEYS, NAME_FIELD, TYPE_FIELD, number_columns
from planner.ingest.jsondoc import (
    checked_list,
    checked_object,
    looks_like_coe_item,
    lookup,
    parse_json,
    refusal,
    type_name,
)
from planner.ingest.source import (
    RawFile,
    decode_text,
    is_workbook_container,
    refuse_known_binaries,
    utf8_of,
)
from planner.ingest.table import Table, normalize_header, table_from_text

_MSOL_SIGNATURE = {"accountskuid"}
_PLANNING_SIGNATURE = {"sku", "skuname", "licensesku"}
_MG_SIGNATURE = {"skupartnumber", "partnumber", "skuid"}
_NAME_KEYS = {normalize_header(alias) for alias in NAME_FIELD.aliases}
_TYPE_KEYS = {normalize_header(alias) for alias in TYPE_FIELD.aliases}
_PRODUCT_NAMES_SIGNATURE = {"productdisplayname", "stringid"}
_ADMIN_CENTER_SIGNATURE = {"producttitle"}

_GRAPH_KEYS = ("skuPartNumber", "prepaidUnits", "skuId", "servicePlans")
_LCS_KEYS = ("EnvironmentName", "EnvironmentType", "TopologyDisplayName", "EnvironmentId")
_PPAC_PROPERTY_KEYS = ("environmentSku", "displayName", "capacity", "linkedEnvironmentMetadata")


def classify_headers(headers: Iterable[str]) -> str | None:
    """The base format id a header row belongs to, or None."""
    keys = {normalize_header(header) for header in headers}
    if keys & _MSOL_SIGNATURE:
        return formats.MSOL_ACCOUNT_SKU
    if keys >= _PRODUCT_NAMES_SIGNATURE:
        return formats.PRODUCT_NAMES_REFERENCE
    if keys & _ADMIN_CENTER_SIGNATURE:
        return formats.ADMIN_CENTER_LICENSES
    if keys & _PLANNING_SIGNATURE:
        return formats.PLANNING_SHEET
    if keys & _MG_SIGNATURE:
        return formats.MG_SUBSCRIBED_SKU
    if "admincapacitytype" in keys:
        return formats.COE_ENVIRONMENT_CAPACITY
    if keys & _NAME_KEYS and keys & _TYPE_KEYS:
        return formats.INVENTORY
    if keys & _NAME_KEYS and keys & GROWTH_KEYS:
        return formats.GROWTH_SHEET
    return None


class JsonContent(msgspec.Struct, frozen=True):
    file: str
    root: Any
    items: list
    items_path: str  # "value", "Data" or "" for a bare list


class Content(msgspec.Struct, frozen=True):
    """A file opened and recognized: its format id and either a table or JSON items."""

    format_id: str
    table: Table | None = None
    json: JsonContent | None = None
    sheet_named: bool = False
    notes: tuple[str, ...] = ()


def open_content(raw: RawFile, sheet: str | None = None, kind: str | None = None) -> Content:
    """Open a file and recognize its format, or raise InputError saying what it is not.

    ``kind`` (licenses or environments), when the user forced it, lets a workbook holding both
    a license sheet and an inventory sheet be read without naming the sheet.
    """
    if not raw.data:
        raise InputError("the file is empty", file=raw.name, expected=formats.EXPECTED_ANY)
    if is_workbook_container(raw):
        # Imported for a workbook only: a run of CSV and JSON files goes without it.
        from planner.ingest.workbook import choose_sheet

        choice = choose_sheet(raw, _classifier_for(kind), sheet, _inventory_numbers)
        content = _tabular(choice.table, choice.format_base, sheet_named=choice.named)
        return msgspec.structs.replace(content, notes=choice.notes)
    refuse_known_binaries(raw)
    text = decode_text(raw)
    stripped = text.lstrip()
    if not stripped:
        raise InputError("the file is empty", file=raw.name, expected=formats.EXPECTED_ANY)
    if stripped[0] in "{[":
        return _json_content(raw.name, parse_json(raw.name, text))
    try:
        table = table_from_text(raw.name, text, _inventory_numbers, utf8=utf8_of(raw))
        return _tabular(table, classify_headers(table.headers))
    except InputError:
        # The content decides; the name only picks the more useful complaint.
        if raw.suffix == ".json":
            return _json_content(raw.name, parse_json(raw.name, text))
        raise


def _inventory_numbers(headers: Sequence[str]) -> list[int] | None:
    """The columns an environment inventory or growth sheet parses as numbers; None for other
    tables."""
    if classify_headers(headers) in (formats.INVENTORY, formats.GROWTH_SHEET):
        return number_columns(headers)
    return None


def _classifier_for(kind: str | None) -> Callable[[Sequence[str]], str | None]:
    if kind is None:
        return classify_headers

    def classify_of_kind(headers: Sequence[str]) -> str | None:
        base = classify_headers(headers)
        return base if base is not None and formats.kind_of(base) == kind else None

    return classify_of_kind


def _tabular(table: Table, base: str | None, *, sheet_named: bool = False) -> Content:
    if base is None:
        base = classify_headers(table.headers)
    if base is None:
        shown = ", ".join(h for h in table.headers if h)[:300] or "none"
        raise InputError(
            f"the headers do not match any format capplan reads (found: {shown})",
            file=table.file,
            location=table.header_location(),
            expected=(
                "license columns SkuPartNumber + ActiveUnits (Get-MgSubscribedSku), AccountSkuId + "
                "ActiveUnits (Get-MsolAccountSku), Product Title + Total Licenses (admin center "
                "Licenses export) or sku + quantity (planning sheet); or the inventory columns "
                "name, type, tier, power_platform, ...; or a growth sheet with name and "
                "<type>_growth_gb_per_month columns"
            ),
        )
    return Content(
        format_id=formats.tabular_id(base, table.container), table=table, sheet_named=sheet_named
    )


def _json_content(file: str, document: Any) -> Content:
    root = document
    if isinstance(document, dict):
        _refuse_error_document(file, document)
        if lookup(document, "tenantCapacities"):
            return Content(
                format_id=formats.TENANT_CAPACITY_JSON,
                json=JsonContent(file, document, [], "tenantCapacities"),
            )
        found = lookup(document, "value", "Data")
        if found is None:
            raise refusal(
                file,
                "the JSON object has no 'value' or 'Data' list",
                "",
                'an API response: {"value": [...]} (Graph, Power Platform admin) or '
                '{"Data": [...]} (LCS), or a bare list',
            )
        key, items = found
        items_path = key
        items = checked_list(file, items, items_path, f"{key} as a list of objects")
    elif isinstance(document, list):
        items, items_path = document, ""
    else:
        raise refusal(
            file,
            f"the document is {type_name(document)}",
            "",
            "an object with a 'value' or 'Data' list, or a list of objects",
        )
    if not items:
        raise refusal(
            file,
            "the list is empty: there are no licenses or environments to read",
            items_path,
            "at least one SKU or environment",
        )
    first_path = f"{items_path}[0]"
    first = checked_object(file, items[0], first_path, "a subscribed SKU or an environment object")
    return Content(
        format_id=_classify_item(file, first, first_path),
        json=JsonContent(file, root, items, items_path),
    )


def _refuse_error_document(file: str, document: dict) -> None:
    """A saved error response is a common mistake; say so instead of "no value list"."""
    error = lookup(document, "error")
    if error is not None and isinstance(error[1], dict):
        code = lookup(error[1], "code")
        message = lookup(error[1], "message")
        detail = ": ".join(str(part[1]) for part in (code, message) if part is not None)
        raise refusal(
            file,
            f"the file holds an error response from the API ({detail or 'no details'})",
            error[0],
            "the response of a successful request",
        )
    success = lookup(document, "IsSuccess")
    if success is not None and success[1] is False:
        message = lookup(document, "ErrorMessage")
        detail = message[1] if message is not None and message[1] else "no details"
        raise refusal(
            file,
            f"LCS reported that the request failed ({detail})",
            success[0],
            "the response of a successful request (IsSuccess true)",
        )


def _classify_item(file: str, first: dict, path: str) -> str:
    if looks_like_coe_item(first):
        return formats.COE_ENVIRONMENT_CAPACITY_JSON
    if any(lookup(first, key) for key in _GRAPH_KEYS):
        return formats.GRAPH_SUBSCRIBED_SKUS_JSON
    properties = lookup(first, "properties")
    if (
        properties is not None
        and isinstance(properties[1], dict)
        and any(lookup(properties[1], key) for key in _PPAC_PROPERTY_KEYS)
    ):
        return formats.PPAC_ENVIRONMENTS_JSON
    if any(lookup(first, key) for key in _LCS_KEYS):
        return formats.LCS_ENVIRONMENTS_JSON
    keys = ", ".join(str(key) for key in list(first)[:12]) or "none"
    raise refusal(
        file,
        f"the objects in this list are neither subscribed SKUs nor environments (keys: {keys})",
        path,
        "Graph subscribedSkus objects (skuPartNumber, prepaidUnits), Power Platform admin "
        "environments (name, properties.environmentSku) or LCS environments "
        "(EnvironmentName, EnvironmentType)",
    )
