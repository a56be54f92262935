"""Short text that repeats across a JSON answer's objects is checked once and remembered: what a
check accepted comes back the same, what it refused is refused again each time, and a header
or value key is the same whether worked out or remembered."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.ingest import jsondoc
from planner.ingest.jsondoc import Unfit, checked_size, checked_text
from planner.ingest.table import normalize_header

TEXTS = st.one_of(
    st.text(alphabet=" \t\u00a0aZé\ud800-_.", max_size=8),
    st.sampled_from(["", " ", "MB", " GB ", "\ud800", "a" * 65, "x" * 40_000]),
)


def _fresh(value: str, required: bool) -> str | tuple[str, str]:
    try:
        return jsondoc._checked_text(value, "unit", required)
    except Unfit as unfit:
        return unfit.message, unfit.expected


@given(TEXTS, st.booleans())
def test_checked_text_is_the_check_each_time(value: str, required: bool) -> None:
    expected = _fresh(value, required)
    for _ in range(2):  # worked out, then remembered (or refused again)
        try:
            found: str | tuple[str, str] = checked_text(value, "unit", required=required)
        except Unfit as unfit:
            found = unfit.message, unfit.expected
        assert found == expected


def test_a_refused_text_is_not_remembered() -> None:
    for _ in range(2):
        with pytest.raises(Unfit, match="unit is empty"):
            checked_text("  ", "unit")
    assert ("  ", True) not in jsondoc._TEXT_FITS
    assert checked_text("  ", "unit", required=False) == ""


@given(st.one_of(TEXTS, st.integers(), st.floats(allow_nan=False)))
def test_normalize_header_is_the_same_remembered(text: object) -> None:
    expected = re.sub(r"[^0-9a-z]", "", str(text).casefold())
    assert normalize_header(text) == expected  # type: ignore[arg-type]
    assert normalize_header(text) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "read"),
    [
        (0.0, 0.0),
        (-0.0, 0.0),
        (1.5, 1.5),
        (10.0, 10.0),
        (3, 3.0),
        ("2.5", 2.5),
        (float("nan"), "nan is not a finite number"),
        (float("inf"), "inf is not a finite number"),
        (-0.5, "-0.5 is negative"),
        (11.0, "11.0 is larger than 10"),
        (True, "found true/false, not a number"),
    ],
)
def test_an_amount_reads_as_it_always_did(value: object, read: object) -> None:
    """A plain float in range is taken at once; everything else is checked as before."""
    for check in (jsondoc.checked_number, lambda v, _, top: checked_size(v, "x", top)):
        if isinstance(read, float):
            found = check(value, "x", 10.0)
            assert found == read and type(found) is float
        else:
            with pytest.raises(Unfit) as refused:
                check(value, "x", 10.0)
            assert str(read) in refused.value.message
