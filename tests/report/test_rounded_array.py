"""A column's figures are rounded for the JSON as Python's round() rounds each: the same float,
its sign included, for every float, ties and values near them above all."""

from __future__ import annotations

import numpy as np
import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.report.json_report import _rounded_array

# Sizes as inputs write them (a few decimals, so ties of the rounding are common), negative
# ones, halves and their neighbours, and any float at all.
WRITTEN = st.builds(
    lambda whole, decimals, places, sign: sign * (whole + decimals / 10**places),
    st.integers(0, 10**9),
    st.integers(0, 99_999),
    st.integers(1, 5),
    st.sampled_from([1.0, -1.0]),
)
NEAR = st.sampled_from(
    [2.675, 0.125, 1.0005, 0.0005, -0.0005, 0.5, -0.5, -0.05, 1.5, 2.5, -2.5, 1e15 + 0.5]
)
FLOATS = st.lists(st.one_of(WRITTEN, NEAR, st.floats()), min_size=1, max_size=50)


@pytest.mark.parametrize("digits", [0, 1, 2, 3, 6])
def test_an_array_rounds_as_round_rounds_each_value(digits: int) -> None:
    @settings(max_examples=examples(300))
    @given(FLOATS)
    def check(values: list[float]) -> None:
        got = _rounded_array(np.array(values, dtype=float), digits)
        for value, result in zip(values, got.tolist(), strict=True):
            expected = round(value, digits) if np.isfinite(value) else value
            if np.isnan(expected):
                assert np.isnan(result)
            else:
                assert result == expected and np.signbit(result) == np.signbit(expected), value

    check()


def test_ties_go_to_the_even_neighbour_of_the_exact_value() -> None:
    # 0.125 and 0.375 are exact halves in binary: to even. Times 100 or 1000, the floats of
    # 2.675 and 1.0005 land on a half too, but lie below it (2.67, 1.0), and 1.0015 above it
    # (1.002): the product's rounding error tells.
    values = np.array([0.125, 0.375, 2.675, -0.125, -2.675])
    assert _rounded_array(values, 2).tolist() == [0.12, 0.38, 2.67, -0.12, -2.67]
    assert _rounded_array(np.array([1.0005, 1.0015, -1.0015]), 3).tolist() == [1.0, 1.002, -1.002]


@pytest.mark.parametrize(("value", "digits"), [(-0.5, 0), (0.5, 0), (-0.4, 0), (-0.0004, 3)])
def test_a_value_rounded_to_zero_keeps_its_sign(value: float, digits: int) -> None:
    (result,) = _rounded_array(np.array([value]), digits).tolist()
    expected = round(value, digits)
    assert result == expected == 0.0
    assert np.signbit(result) == np.signbit(expected)
