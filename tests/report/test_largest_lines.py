"""The terminal table's largest consumption lines, picked without sorting every line, are the
head of a stable sort from largest to smallest, as they were picked before."""

from __future__ import annotations

import numpy as np
import pandas as pd
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.report.text import largest_first

# Ties, signed zeros, missing values and infinities, among any floats.
VALUES = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, 2.5, -1.0, float("nan")]),
    st.floats(allow_nan=True, allow_infinity=True),
)


@settings(max_examples=examples(400))
@given(st.lists(VALUES, max_size=80), st.integers(min_value=0, max_value=40))
def test_largest_first_is_the_head_of_a_stable_sort(values: list[float], count: int) -> None:
    array = np.array(values, dtype=float)
    expected = pd.Series(array).sort_values(ascending=False, kind="stable").head(count)
    assert largest_first(array, count).tolist() == expected.index.tolist()
