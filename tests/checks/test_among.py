"""``among``: membership of text values by hashing, the same answer as numpy's isin."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from planner.checks.timeline import among

NAMES = st.text(alphabet="ab ÉZ", max_size=3)


@given(values=st.lists(NAMES, max_size=40), wanted=st.sets(NAMES, max_size=10))
def test_among_is_membership(values: list[str], wanted: set[str]) -> None:
    array = np.array(values, dtype=object)
    assert among(array, wanted).tolist() == [value in wanted for value in values]
    assert among(array, wanted).tolist() == np.isin(array, list(wanted)).tolist()
