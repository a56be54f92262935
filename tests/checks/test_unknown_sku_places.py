"""The rows an UNKNOWN_SKU finding names are in row order, whatever the file names hold."""

from __future__ import annotations

from planner.checks.licenses import _in_row_order


def test_rows_in_number_order() -> None:
    places = ["lic.csv row 10", "lic.csv row 9", "lic.csv row 100"]
    assert sorted(places, key=_in_row_order) == [
        "lic.csv row 9",
        "lic.csv row 10",
        "lic.csv row 100",
    ]


def test_a_digit_python_cannot_read_as_a_number_is_text() -> None:
    """ "²" is a digit to str.isdigit() but not to int(): a name ending in one sorts as text
    instead of failing the run."""
    places = ["lic9\u00b2", "lic10\u00b2", "lic\u0661 row 2"]
    assert sorted(places, key=_in_row_order) == ["lic9\u00b2", "lic10\u00b2", "lic\u0661 row 2"]
