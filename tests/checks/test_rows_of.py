"""rows_of gives what itertuples(index=False) gives, whatever the columns hold."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.checks.timeline import rows_of


def test_rows_are_the_rows_itertuples_gives() -> None:
    frame = pd.DataFrame(
        {
            "environment": ["UAT", None, "Prod"],
            "value": [1.5, np.nan, 3.0],
            "counted": [True, False, True],
            "month": [0, 3, 12],
            "state": pd.Categorical(["initial", "none", "initial"]),
            "class": ["a", "b", "c"],  # a keyword: renamed, as itertuples renames it
        }
    )
    ours = list(rows_of(frame))
    theirs = list(frame.itertuples(index=False))
    assert [r._fields for r in ours] == [r._fields for r in theirs]
    for mine, reference in zip(ours, theirs, strict=True):
        assert [type(v) for v in mine] == [type(v) for v in reference]
        assert all(
            a == b or (a != a and b != b) or (a is None and b is None)
            for a, b in zip(mine, reference, strict=True)
        )
    assert list(rows_of(frame.iloc[:0])) == []
