"""The engine's tables are built from coded text (distinct values and codes): what comes out is
what pandas makes of the values written out row by row, dtypes and values alike."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.engine.consumption import _Coded, _Profiles, _table

WORDS = ["", "alpha", "beta", "a longer phrase", "ENV-00001", "Änderung"]
ODD = [None, np.nan, 7, np.str_("numpy text")]


def _written(parts: list[dict[str, Any]], one_frame: bool) -> pd.DataFrame:
    """The table as pandas makes it of the values written out: each part's frame concatenated,
    or every column joined first (one_frame)."""
    written = [
        {
            name: piece.values[piece.codes] if isinstance(piece, _Coded) else piece
            for name, piece in part.items()
        }
        for part in parts
    ]
    if not one_frame:
        return pd.concat([pd.DataFrame(part) for part in written], ignore_index=True)
    lengths = [len(part["number"]) for part in written]
    columns = {}
    for name in written[0]:
        pieces = []
        for part, length in zip(written, lengths, strict=True):
            piece = part[name]
            if np.ndim(piece) == 0:
                repeated = np.empty(length, dtype=object)
                repeated.fill(piece)
                piece = repeated
            pieces.append(piece)
        columns[name] = np.concatenate(pieces)
    return pd.DataFrame(columns)


def _same(found: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(found.columns) == list(expected.columns)
    assert [str(d) for d in found.dtypes] == [str(d) for d in expected.dtypes]
    pd.testing.assert_frame_equal(found, expected, check_exact=True)
    for name in found.columns:
        ours, theirs = found[name].to_numpy(), expected[name].to_numpy()
        if ours.dtype == object:  # the same values, of the same kinds (numpy's text is text)
            kind = [str if type(v) is np.str_ else type(v) for v in ours.tolist()]
            assert kind == [str if type(v) is np.str_ else type(v) for v in theirs.tolist()]


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[dict[str, Any]], bool]:
    odd = draw(st.booleans())
    pool = WORDS + (ODD if odd else [])
    shared = np.array(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=8)), dtype=object)
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        length = draw(st.integers(1, 12))
        own = np.array(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=5)), dtype=object)
        codes = np.array(draw(st.lists(st.integers(0, 99), min_size=length, max_size=length)))
        parts.append(
            {
                "number": np.array(
                    draw(st.lists(st.floats(allow_nan=True), min_size=length, max_size=length))
                ),
                "shared": _Coded(shared, codes % len(shared)),
                "own": _Coded(own, codes % len(own)),
                "constant": draw(st.sampled_from(WORDS)),
                "flag": draw(st.booleans()),
                "count": np.arange(length, dtype=np.int64),
                "mixed": draw(
                    st.sampled_from(
                        [
                            3,
                            2.5,
                            True,
                            np.arange(length, dtype=np.float64),
                            np.arange(length) % 2 == 0,
                            np.array(["x"] * length, dtype=object),
                        ]
                    )
                ),
            }
        )
    return parts, draw(st.booleans())


@settings(max_examples=examples(150), deadline=None)
@given(case=tables())
def test_tables_of_coded_text_are_what_pandas_makes_of_the_values(
    case: tuple[list[dict[str, Any]], bool],
) -> None:
    parts, one_frame = case
    expected = _written(parts, one_frame)
    _same(_table(parts, {}, one_frame=one_frame), expected)


def test_text_of_one_array_is_made_once_and_shared() -> None:
    names = np.array(["ENV-1", "ENV-2", "ENV-3"], dtype=object)
    texts: dict[int, tuple[np.ndarray, Any]] = {}
    first = _table([{"name": _Coded(names, np.array([2, 0]))}], texts, one_frame=True)
    second = _table([{"name": _Coded(names, np.array([1]))}], texts, one_frame=False)
    assert list(texts) == [id(names)]
    assert first["name"].tolist() == ["ENV-3", "ENV-1"]
    assert second["name"].tolist() == ["ENV-2"]
    assert str(first["name"].dtype) == str(pd.DataFrame({"n": names}).dtypes["n"])


def test_profiles_spread_per_value_facts_over_the_rows() -> None:
    profiles = _Profiles.of(np.array(["initial", "dataverse", "initial", np.nan], dtype=object))
    assert profiles.names[profiles.codes].tolist()[:3] == ["initial", "dataverse", "initial"]
    lengths = profiles.spread([len(str(name)) for name in profiles.names], int)
    assert lengths.tolist() == [7, 9, 7, 3]
