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
