"""Month totals of a capacity type: where nothing grows, each run of months with the same rows
is worked out once, and the totals are those of summing every month, to the bit."""

from __future__ import annotations

import numpy as np
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.engine import consumption


def _every_month(usage: consumption.TypeUsage, start, end, months: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    totals = np.zeros(months)
    rows = np.flatnonzero(usage.applies & ~usage.not_counted)
    for chunk in consumption.month_chunks(months):
        value, _ = consumption._counted(usage, rows, start[rows], end[rows], chunk, 1.0)
        totals[chunk[0] : chunk[-1] + 1] += value.sum(axis=0)
    return totals


@settings(max_examples=examples(60), deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 600),
    months=st.integers(1, 40),
    grows=st.booleans(),
)
def test_month_totals_are_every_months_sums(seed: int, rows: int, months: int, grows: bool) -> None:
    rng = np.random.default_rng(seed)
    usage = consumption.TypeUsage(
        base_gb=np.round(rng.random(rows) * 10, int(rng.integers(1, 7))),
        growth_gb_per_month=np.round(rng.random(rows) * 0.3 - 0.1, 3) if grows else np.zeros(rows),
        applies=rng.random(rows) < 0.9,
        not_counted=rng.random(rows) < 0.1,
        included_gb=3.0 if seed % 2 else None,
        use_included=rng.random(rows) < 0.05,
        use_minimum=rng.random(rows) < 0.5,
    )
    start = np.where(rng.random(rows) < 0.8, 0, rng.integers(0, months + 3, rows))
    end = np.where(rng.random(rows) < 0.8, 10_000, rng.integers(0, months + 3, rows))
    totals = consumption._month_totals(usage, start, end, months, 1.0)
    assert np.array_equal(totals, _every_month(usage, start, end, months))


@settings(max_examples=examples(80), deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 300),
    first=st.integers(0, 30),
    width=st.integers(1, 14),
    one_start=st.integers(-3, 3) | st.none(),
    all_exist=st.booleans(),
)
def test_counting_rows_count_what_counted_counts_to_the_bit(
    seed: int, rows: int, first: int, width: int, one_start: int | None, all_exist: bool
) -> None:
    rng = np.random.default_rng(seed)
    usage = consumption.TypeUsage(
        base_gb=np.round(rng.random(rows) * 10 - 1, int(rng.integers(1, 7))),
        growth_gb_per_month=np.round(rng.random(rows) * 0.3 - 0.1, 3),
        applies=rng.random(rows) < 0.9,
        not_counted=rng.random(rows) < 0.1,
        included_gb=3.0 if seed % 2 else None,
        use_included=rng.random(rows) < 0.1,
        use_minimum=rng.random(rows) < 0.5,
    )
    start = (
        np.full(rows, one_start)
        if one_start is not None
        else np.where(rng.random(rows) < 0.7, 0, rng.integers(-5, first + width + 3, rows))
    )
    end = np.where(
        all_exist | (rng.random(rows) < 0.8), 10_000, rng.integers(0, first + width + 3, rows)
    )
    months = np.arange(first, first + width)
    counting = np.flatnonzero(usage.applies & ~usage.not_counted)
    expected, _ = consumption._counted(usage, counting, start[counting], end[counting], months, 2.0)
    found = consumption._CountingRows.of(usage, counting, start, end).counted(months, 2.0)
    # Bit for bit, a zero's sign too.
    assert found.shape == expected.shape
    assert (found.view(np.int64) == expected.view(np.int64)).all()
