"""The workbook takes a consumption column's codes from the engine where it has them: the same
codes and distinct values, in the same order, as hashing the column gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.report.xlsx import _factorized

# Text values as the engine keeps them: repeats among them, and missing ones as None or NaN.
VALUES = st.lists(st.sampled_from(["a", "b", "é", "", None, float("nan"), "a"]), min_size=1)


@settings(max_examples=examples(200), deadline=None)
@given(VALUES, st.data())
def test_the_engines_codes_give_what_hashing_the_column_gives(
    values: list, data: st.DataObject
) -> None:
    array = np.array(values, dtype=object)
    codes = np.array(
        data.draw(st.lists(st.integers(0, len(values) - 1), min_size=1, max_size=40)), np.intp
    )
    column = pd.Series(array[codes].tolist(), dtype="str")
    subset = np.array(data.draw(st.lists(st.integers(0, len(codes) - 1), max_size=10)), np.intp)
    for lines in (None, subset):
        hashed_codes, hashed = _factorized(column, lines)
        given_codes, found = _factorized(column, lines, (array, codes))
        assert given_codes.tolist() == hashed_codes.tolist()
        assert [None if pd.isna(v) else v for v in found] == [
            None if pd.isna(v) else v for v in hashed
        ]
