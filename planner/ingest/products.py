"""Microsoft's "Product names and service plan identifiers for licensing" CSV, read into catalog
entries for ``capplan rules import-skus`` (planner.ruleset.catalog merges them)."""

from __future__ import annotations

import re
from pathlib import Path

from planner.errors import InputError, printable
from planner.ingest.source import (
    decode_text,
    is_workbook_container,
    read_raw,
    refuse_known_binaries,
)
from planner.model.limits import MAX_PRODUCT_ROWS
from planner.ruleset.catalog import CatalogEntry, clean_part_number, clean_text, csv_rows, guid_key

# Microsoft's header names, compared without case, spaces and underscores (older copies spell
# "String_ Id").
_PRODUCT_COLUMNS = {"productdisplayname": "display_name", "stringid": "part_number", "guid": "guid"}
_PRODUCT_HEADER = "Product_Display_Name,String_Id,GUID,Service_Plan_Name,..."


def read_product_csv(path: str | Path) -> list[CatalogEntry]:
    """The products of Microsoft's licensing CSV, one per GUID (its rows are per service plan)."""
    raw = read_raw(path)
    name = raw.name
    if is_workbook_container(raw):
        raise InputError(
            "this is a workbook, not Microsoft's product names CSV",
            file=name,
            expected="the CSV as downloaded ('Product names and service plan identifiers')",
        )
    refuse_known_binaries(raw)
    text = decode_text(raw)
    reader = csv_rows(
        text,
        name,
        "the text",
        "Microsoft's product names CSV as downloaded (short cells, one product and service plan "
        "per row)",
    )
    header = next(reader, None)
    while header is not None and not any(clean_text(h) for h in header):
        header = next(reader, None)
    if header is None:
        raise InputError("the file is empty", file=name, expected=_PRODUCT_HEADER)
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        key = re.sub(r"[\s_]", "", clean_text(title)).casefold()
        if key in _PRODUCT_COLUMNS and _PRODUCT_COLUMNS[key] not in positions:
            positions[_PRODUCT_COLUMNS[key]] = index
    missing = [
        title
        for title, column in (
            ("Product_Display_Name", "display_name"),
            ("String_Id", "part_number"),
            ("GUID", "guid"),
        )
        if column not in positions
    ]
    if missing:
        raise InputError(
            "this is not Microsoft's product names CSV: no column " + ", ".join(missing),
            file=name,
            location="row 1",
            expected=_PRODUCT_HEADER,
        )
    products: dict[str, CatalogEntry] = {}
    for number, row in enumerate(reader, start=2):
        if number > MAX_PRODUCT_ROWS + 1:
            raise InputError(
                f"the file has more than {MAX_PRODUCT_ROWS:,} rows under its header",
                file=name,
                location=f"row {number}",
                expected="Microsoft's product names CSV, a row per product and service plan "
                "(about 5,500 in December 2025)",
            )
        if not any(clean_text(cell) for cell in row):
            continue
        values = {
            column: clean_text(row[index]) if index < len(row) else ""
            for column, index in positions.items()
        }
        guid = guid_key(values["guid"])
        if not guid:
            raise InputError(
                f"'{values['guid']}' is not a GUID" if values["guid"] else "the GUID is missing",
                file=name,
                location=f"row {number}, column {header[positions['guid']].strip()}",
                expected="a GUID like 00000000-0000-0000-0000-000000000000 on every row",
            )
        for column in ("part_number", "display_name"):
            if not values[column].isprintable():  # control, format (bidi) or line characters
                raise InputError(
                    f"'{printable(values[column])}' holds characters that are not printable",
                    file=name,
                    location=f"row {number}, column {header[positions[column]].strip()}",
                    expected="the product's part number and name as Microsoft writes them, "
                    "without control or direction characters",
                )
        if not values["part_number"] and not values["display_name"]:
            raise InputError(
                "the row has a GUID but neither a String_Id nor a Product_Display_Name",
                file=name,
                location=f"row {number}",
                expected="the product's part number and display name",
            )
        products.setdefault(
            guid,
            CatalogEntry(
                part_number=clean_part_number(values["part_number"]),
                guid=guid,
                display_name=values["display_name"],
            ),
        )
    if not products:
        raise InputError("the file holds no products", file=name, expected=_PRODUCT_HEADER)
    return list(products.values())
