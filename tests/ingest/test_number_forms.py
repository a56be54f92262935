"""The forms of a number in a semicolon file (a decimal comma, groups of three digits after
dots) are found for a whole column at once; they are what the patterns find cell by cell."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from budget import examples

from planner.ingest.table import (
    _GROUPED_BY_DOTS,
    _decimal_commas,
    _grouped_by_dots,
    _to_floats,
)

# Digits, separators, signs, letters, digits of other scripts, wide characters, empty pieces.
PIECES = ["1", "0", "9", "12", "123", ",", ".", "+", "-", "a", "e", "\u00e9", "\u0661", ""]
PIECES += ["\u4e2d", "\U0001f600", "1.000", "12,5", " "]


def _column(rng: random.Random) -> np.ndarray:
    cells = [
        "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 5)))
        for _ in range(rng.randint(1, 6))
    ]
    return np.array(cells, dtype=object)


@pytest.mark.parametrize(
    ("found", "pattern"),
    [(_decimal_commas, r"[+-]?[0-9]+,[0-9]+"), (_grouped_by_dots, _GROUPED_BY_DOTS)],
)
def test_a_column_at_once_finds_what_the_pattern_finds(
    found: Callable[[np.ndarray], np.ndarray], pattern: str
) -> None:
    rng = random.Random(pattern)
    for _ in range(examples(5000)):
        column = _column(rng)
        expected = [re.fullmatch(pattern, cell) is not None for cell in column]
        assert found(column).tolist() == expected, column.tolist()


def test_cells_that_are_not_text_are_no_number_form() -> None:
    column = np.array(["1,5", np.nan, "2.000", None], dtype=object)
    assert _decimal_commas(column).tolist() == [True, False, False, False]
    assert _grouped_by_dots(column).tolist() == [False, False, True, False]


def test_decimal_commas_are_read_as_points_and_nothing_else_is() -> None:
    texts = pd.Series(["1,5", "-2,25", ",5", "5,", "1,5e3", "1e3", "", "7"], dtype=str)
    numbers = _to_floats(texts, decimal_comma=True)
    assert numbers.tolist()[:2] == [1.5, -2.25]
    assert np.isnan(numbers[2:5]).all() and np.isnan(numbers[6])
    assert numbers[5] == 1000.0 and numbers[7] == 7.0
