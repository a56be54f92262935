"""measured_on read once per distinct text, and names casefolded as one text, give what reading
every row on its own gave: the same dates, and the first wrong row named."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.errors import InputError
from planner.ingest.inventory import _ISO_DATE, _dates, _folded, _surely_distinct, folded
from planner.ingest.table import table_from_text

WRITTEN = st.sampled_from(
    [
        *("", "2026-10-17", "2026-10-17 00:00:00", "2026-10-17T08:30", "2026-02-30"),
        *("last week", "2026-1-17", "٢٠٢٦-١٠-١٧", "2026-10-17x", "2025-12-31", "0001-01-01"),
    ]
)


def _one_by_one(values: list[str]) -> list[str] | int:
    """The dates, or the index of the first row that is not one: each row read on its own."""
    for row, written in enumerate(values):
        if written == "":
            continue
        try:
            valid = _ISO_DATE.match(written) is not None and bool(
                dt.date.fromisoformat(written[:10])
            )
        except ValueError:
            valid = False
        if not valid:
            return row
    return [written[:10] for written in values]


@settings(max_examples=examples(300))
@given(st.lists(WRITTEN, min_size=1, max_size=12))
def test_dates_read_once_each_are_the_dates_read_row_by_row(values: list[str]) -> None:
    text = "name,measured_on\n" + "".join(f"E{n},{v}\n" for n, v in enumerate(values))
    table = table_from_text("inventory.csv", text)
    expected = _one_by_one(values)
    if isinstance(expected, int):
        with pytest.raises(InputError) as raised:
            _dates(table, 1)
        assert raised.value.location == f"row {expected + 2}, column measured_on"
    else:
        assert _dates(table, 1).tolist() == expected


@settings(max_examples=examples(300))
@given(st.lists(st.one_of(st.text(max_size=6), st.integers(), st.just("a\0b")), max_size=8))
def test_folded_as_one_text_is_each_folded(texts: list[object]) -> None:
    assert folded(texts) == [str(text).casefold() for text in texts]


# Names short and long (a long one is folded on its own, not joined to the others).
NAMES = st.lists(
    st.one_of(st.text(max_size=6), st.text(min_size=1, max_size=3).map(lambda t: t * 30))
)


@settings(max_examples=examples(300))
@given(NAMES)
def test_names_folded_short_or_long_are_each_folded(texts: list[str]) -> None:
    names = np.array(texts, dtype=object)
    assert _folded(names) == [text.casefold() for text in texts]
    if _surely_distinct(names):
        assert len({text.casefold() for text in texts}) == len(texts)
