"""Number columns are parsed from plain Python strings; pandas reads them exactly as it reads
them from its string array."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd

from planner.ingest.table import _to_floats

PIECES = [*"0123456789.-+eE, _", "inf", "nan", "Infinity", "\u0661", "\u00a0", " ", "1e400"]
PIECES += ["0x1A", "", ".5", "5.", "123456789012345678901234567890", "True"]


def through_string_array(values: pd.Series) -> np.ndarray:
    return np.asarray(pd.to_numeric(values.where(values != "", None), errors="coerce"), np.float64)


def test_plain_strings_read_as_the_string_array_reads() -> None:
    rng = random.Random(3)
    for _ in range(2000):
        texts = [
            "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 4)))
            for _ in range(rng.randint(1, 6))
        ]
        values = pd.Series(texts, dtype=str)
        expected = through_string_array(values)
        found = _to_floats(values, False)
        assert np.array_equal(found, expected, equal_nan=True), texts
        assert np.array_equal(np.signbit(found), np.signbit(expected)), texts


def test_blank_cells_are_nan_and_the_column_is_untouched() -> None:
    values = pd.Series(["1", "", "2.5", ""], dtype=str)
    assert np.array_equal(_to_floats(values, False), [1.0, np.nan, 2.5, np.nan], equal_nan=True)
    assert values.tolist() == ["1", "", "2.5", ""]
