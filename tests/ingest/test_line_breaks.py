"""Rows are counted before parsing as the CSV parser splits them: a carriage return alone
ends a row as a newline does, so a file of carriage returns cannot slip past the row limit."""

from __future__ import annotations

import io
import random

import pandas as pd
import pytest

from planner.errors import InputError
from planner.ingest import table
from planner.ingest.table import _line_breaks, _text_line_breaks, table_from_text
from planner.model.limits import MAX_ROWS


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("stretch", [0, 1, 2, 7])
def test_breaks_are_counted_as_the_parser_splits_rows(
    seed: int, stretch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``stretch``: bytes counted at a time, small so that a CR LF pair falls across two
    stretches (0: as capplan counts them)."""
    if stretch:
        monkeypatch.setattr(table, "_SCAN_BYTES", stretch)
    rng = random.Random(seed)
    for _ in range(200):
        rows = [f"r{index},{rng.randint(0, 9)}" for index in range(rng.randint(1, 30))]
        breaks = [rng.choice(["\n", "\r", "\r\n"]) for _ in rows]
        text = "a,b\n" + "".join(row + end for row, end in zip(rows, breaks, strict=True))
        parsed = pd.read_csv(io.StringIO(text), header=None, skip_blank_lines=False)
        assert _text_line_breaks(text) == len(parsed), repr(text)
        assert _line_breaks(text.encode("utf-8")) == len(parsed), repr(text)


@pytest.mark.parametrize("end", ["\r", "\n", "\r\n"])
def test_rows_ended_by_any_break_are_held_to_the_row_limit(end: str) -> None:
    text = "sku,quantity\n" + f"A,1{end}" * (MAX_ROWS + 200)
    with pytest.raises(InputError, match=f"more than the {MAX_ROWS:,} rows"):
        table_from_text("licenses.csv", text)
    with pytest.raises(InputError, match=f"more than the {MAX_ROWS:,} rows"):
        table_from_text("licenses.csv", text, utf8=text.encode("utf-8"))


@pytest.mark.parametrize("end", ["\r", "\n", "\r\n"])
@pytest.mark.parametrize("rows", [1, 20, 1_100, 30_000])
@pytest.mark.parametrize("blank_lines", [0, 3])
def test_a_file_reads_the_same_whatever_its_line_ends(
    end: str, rows: int, blank_lines: int
) -> None:
    """Classic Mac line ends (a carriage return alone) end the header as they end rows: a file
    of 1,100 such rows was once taken for a header of 1,102 columns."""
    lines = ["sku,quantity,display_name"] + [f"SKU{i},{i % 7},Name {i}" for i in range(rows)]
    text = end * blank_lines + end.join(lines) + end
    read = table_from_text("f.csv", text, lambda headers: [1])
    assert read.headers == ("sku", "quantity", "display_name")
    assert read.header_row == blank_lines + 1
    assert read.row_numbers.tolist() == list(range(blank_lines + 2, blank_lines + 2 + rows))
    as_text = table_from_text("f.csv", text)
    as_lf = table_from_text("f.csv", "\n" * blank_lines + "\n".join(lines) + "\n")
    assert as_text.cells.equals(as_lf.cells)
    assert as_text.row_numbers.tolist() == as_lf.row_numbers.tolist()


@pytest.mark.parametrize("end", ["\r", "\n", "\r\n"])
def test_blank_lines_above_the_header_are_skipped_at_once(end: str) -> None:
    """Millions of them: each was a copy of the rest of the text (minutes for a few MB)."""
    text = (end + " \t" + end) * 1_500_000 + "sku,quantity" + end + "A,1" + end
    read = table_from_text("f.csv", text)
    assert read.header_row == 3_000_001
    assert read.row_numbers.tolist() == [3_000_002]


@pytest.mark.parametrize("preamble", ["#TYPE Selected.Object\r", "sep=;\r", "\r\r#TYPE x\r\n"])
def test_preamble_lines_end_at_a_carriage_return_too(preamble: str) -> None:
    read = table_from_text("f.csv", preamble + "sku;quantity\rA;1\r")
    assert read.headers == ("sku", "quantity")


@pytest.mark.parametrize("end", ["\r", "\n", "\r\n"])
def test_long_lines_are_told_by_any_line_end(end: str) -> None:
    short = end.join(f"name {n},1" for n in range(10_000))
    assert not table._may_hold_long_text(short)
    assert table._may_hold_long_text(short + end + "x" * 20_000 + end + short)
