"""Consumption lines are put into words once per combination of their facts: the combinations
found without a MultiIndex are the ones a MultiIndex finds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.engine.consumption import _combinations


def test_combinations_are_those_of_a_multiindex() -> None:
    rng = np.random.default_rng(3)
    size = 2_000
    columns = [
        rng.random(size) < 0.5,
        rng.random(size) < 0.1,
        rng.choice(np.array(["integrated", "initial", "dataverse", "default"], dtype=object), size),
        rng.choice(np.array(["", "SKU_A", np.nan], dtype=object), size),
    ]
    kind, kinds = _combinations(columns)
    reference_kind, reference_kinds = pd.MultiIndex.from_arrays(columns).factorize()
    ours = [kinds[k] for k in kind.tolist()]
    theirs = [reference_kinds[k] for k in reference_kind.tolist()]
    assert len(ours) == len(theirs) == size
    for mine, reference in zip(ours, theirs, strict=True):
        assert len(mine) == len(reference)
        for a, b in zip(mine, reference, strict=True):
            assert a == b or (a != a and b != b)
    assert len(kinds) == len(set(kinds)) == len(reference_kinds)


def test_coded_columns_combine_as_their_values() -> None:
    rng = np.random.default_rng(5)
    size = 2_000
    names = np.array(["integrated", "initial", "dataverse", "default", "unused"], dtype=object)
    codes = rng.integers(0, 4, size)
    flags = rng.random(size) < 0.3
    kind, kinds = _combinations([flags, (codes, names)])
    reference_kind, reference_kinds = _combinations([flags, names[codes]])
    assert [kinds[k] for k in kind.tolist()] == [
        reference_kinds[k] for k in reference_kind.tolist()
    ]
    assert len(kinds) == len(set(kinds)) == len(reference_kinds)
