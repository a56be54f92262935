"""Resolving the environments once per distinct type and stated state gives what resolving them
row by row gives: the same columns, dtypes and values."""

from __future__ import annotations

import numpy as np
import pandas as pd
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.engine.consumption import RESOLVED_COLUMNS, _resolve, _resolved
from planner.model.inputs import (
    ENVIRONMENT_TYPES,
    FINANCE_OPERATIONS_TYPES,
    POWER_PLATFORM_STATES,
    environment_frame,
)
from planner.ruleset import resolve_ruleset

TYPES = [*ENVIRONMENT_TYPES, "default", "unknown kind"]
STATES = ["", *POWER_PLATFORM_STATES, "odd"]


@settings(max_examples=examples(60), deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(TYPES),
            st.sampled_from(STATES),
            st.none() | st.floats(1, 5),
        ),
        max_size=40,
    ),
    rules=st.sampled_from([("pooled-2025-12", "2026-12"), ("split-2023", "2025-06")]),
    gap=st.booleans(),
)
def test_resolving_pairs_once_is_resolving_every_row(
    rows: list[tuple[str, str, float | None]], rules: tuple[str, str], gap: bool
) -> None:
    frame = environment_frame(
        [
            {"name": f"E{i}", "type": kind, "power_platform": state, "tier": tier}
            for i, (kind, state, tier) in enumerate(rows)
        ]
    )
    if gap and len(rows):  # a row without a type: resolved row by row
        frame.loc[0, "type"] = None
    ruleset = resolve_ruleset(*rules).at(rules[1])
    resolved = _resolve(frame, ruleset)
    found, is_default, is_fno = (
        resolved.environments,
        resolved.is_default,
        resolved.is_finance_operations,
    )
    expected = _resolved(frame, ruleset)
    assert list(found.columns) == list(expected.columns)
    assert [str(d) for d in found.dtypes] == [str(d) for d in expected.dtypes]
    pd.testing.assert_frame_equal(found, expected, check_exact=True)
    assert set(RESOLVED_COLUMNS) <= set(found.columns)
    # Each row's profile and kind of environment, as codes into values that may repeat.
    profiles, skus = resolved.profiles, resolved.skus
    for coded, column in ((profiles, "profile"), (skus, "power_platform_sku")):
        spread = pd.Series(coded.names[coded.codes], index=frame.index, dtype=object)
        assert spread.equals(expected[column].astype(object))
    types = frame["type"].to_numpy()
    assert is_default.tolist() == [kind == "default" for kind in types.tolist()]
    assert is_fno.tolist() == [kind in FINANCE_OPERATIONS_TYPES for kind in types.tolist()]


def test_a_frame_with_its_own_index_keeps_it() -> None:
    frame = environment_frame(
        [
            {"name": "A", "type": "production", "power_platform": ""},
            {"name": "B", "type": "cloud_hosted_dev", "power_platform": "initial"},
            {"name": "C", "type": "production", "power_platform": ""},
        ]
    ).set_axis([10, 7, 3])
    ruleset = resolve_ruleset("pooled-2025-12", "2026-12")
    found = _resolve(frame, ruleset).environments
    assert found.index.tolist() == [10, 7, 3]
    assert found["power_platform"].tolist() == ["initial", "none", "initial"]
    assert found["stated_power_platform"].tolist() == ["initial", "initial", "initial"]
    pd.testing.assert_frame_equal(found, _resolved(frame, ruleset), check_exact=True)
    assert np.array_equal(found["profile"].to_numpy(dtype=object), ["initial", "none", "initial"])
