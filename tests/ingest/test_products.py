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
    ],
)
def test_bad_product_files_get_one_clear_error(
    tmp_path: Path, content: bytes, fragment: str
) -> None:
    source = tmp_path / "products.csv"
    source.write_bytes(content)
    with pytest.raises(InputError, match=fragment):
        read_product_csv(source)
