"""Microsoft's product names CSV: a bad file gets one clear error with its row and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.errors import InputError
from planner.ingest.products import read_product_csv


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"Name,Id\nA,B\n", "no column Product_Display_Name, String_Id, GUID"),
        (
            b"Product_Display_Name,String_Id,GUID\nX,Y,not-a-guid\n",
            "row 2, column GUID: 'not-a-guid' is not a GUID",
        ),
        (b"Product_Display_Name,String_Id,GUID\n", "holds no products"),
        (b"PK\x03\x04rest", "workbook"),
        (b"%PDF-1.4", "PDF"),
        (b"Product_Display_Name,String_Id,GUID\n\xff\xfe\xfa,Y,Z\n", "not valid UTF-8"),
        # Characters that act on a terminal or reorder text, in a part number or a name.
        (
            "Product_Display_Name,String_Id,GUID\nX,DYN365_\x1bFIN\u202eANCE,"
            "00000000-0000-0000-0000-0000000000a1\n".encode(),
            r"row 2, column String_Id: 'DYN365_\\x1bFIN\\u202eANCE' holds characters that are "
            "not printable",
        ),
        (
            "Product_Display_Name,String_Id,GUID\nX\u2066Y\x9b,SKU,"
            "00000000-0000-0000-0000-0000000000a1\n".encode(),
            "row 2, column Product_Display_Name:",
        ),
    ],
)
def test_bad_product_files_get_one_clear_error(
    tmp_path: Path, content: bytes, fragment: str
) -> None:
    source = tmp_path / "products.csv"
    source.write_bytes(content)
    with pytest.raises(InputError, match=fragment):
        read_product_csv(source)


def test_the_import_report_escapes_what_it_prints() -> None:
    """The report lists the part numbers and names of a catalog file, which anyone may have
    edited: nothing of them acts on the terminal."""
    from planner.report.catalog_view import import_report
    from planner.ruleset.catalog import CatalogChange, CatalogEntry, bundled_catalog

    entry = CatalogEntry(part_number="X\x1b[2J\u202eY", guid="", display_name="Z\x9b")
    report = import_report([CatalogChange("added", entry)], 1, bundled_catalog(), "catalog.csv")
    assert all(line.isprintable() for line in report.splitlines())
    assert "X\\x1b[2J\\u202eY" in report


def test_a_product_list_far_longer_than_microsofts_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planner.ingest import products

    monkeypatch.setattr(products, "MAX_PRODUCT_ROWS", 3)
    rows = "".join(f"P{n},SKU_{n},00000000-0000-0000-0000-{n:012d}\n" for n in range(4))
    source = tmp_path / "products.csv"
    source.write_text("Product_Display_Name,String_Id,GUID\n" + rows, encoding="utf-8")
    with pytest.raises(InputError, match="row 5: the file has more than 3 rows under its header"):
        read_product_csv(source)
    source.write_text("Product_Display_Name,String_Id,GUID\n" + rows[: rows.index("P3")])
    assert len(read_product_csv(source)) == 3
