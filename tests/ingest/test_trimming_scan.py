"""Whether a text may need trimming is answered by substring searches; they find what the
pattern it stands for finds."""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pytest
from budget import examples

from planner.ingest import load_inputs, table
from planner.ingest.table import (
    TRIMMED,
    _may_need_trimming,
    _needs_trimming,
    _trim_grid,
    trim,
)


def _by_pattern(text: str, delimiter: str) -> bool:
    if '"' in text:
        return True
    blanks = re.escape("".join(c for c in TRIMMED if c not in (delimiter, "\r", "\n")))
    edges = re.escape(delimiter) + "\r\n"
    pattern = f"[{blanks}](?=[{edges}]|\\Z)|(?:\\A|[{edges}])[{blanks}]"
    return re.search(pattern, text) is not None


ALPHABET = ["a", "1", ".", ",", ";", "\t", "\r", "\n", " ", "\u00a0", "\u200b", "\ufeff", "x y"]
# Characters whose UTF-8 shares bytes with the blanks' (lead and continuation bytes), beside them.
NEAR_BLANKS = ["\u00e9", "\u00c2", "\u2000", "\u2087", "\u2008", "\u20ac", "\uff0c", "\u4e2d"]
NEAR_BLANKS += ["\u2007", "\u202f", "\U0001f600"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize(("given_bytes", "stretch"), [(False, 0), (True, 0), (True, 1), (True, 3)])
def test_searches_agree_with_the_pattern(
    delimiter: str, given_bytes: bool, stretch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By substring searches in the text, or by the bytes beside every edge in its UTF-8, read
    a stretch at a time (``stretch``: bytes at a time, made small so that blanks and their
    neighbours fall across the ends of stretches; 0: as capplan reads them)."""
    if stretch:
        monkeypatch.setattr(table, "_SCAN_BYTES", stretch)
    rng = random.Random(f"{delimiter}{given_bytes}{stretch}")
    alphabet = ALPHABET + NEAR_BLANKS if given_bytes else ALPHABET
    for _ in range(examples(3000)):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))
        utf8 = text.encode("utf-8") if given_bytes else None
        found = _may_need_trimming(text, delimiter, utf8)
        assert found == _by_pattern(text, delimiter), repr(text)


def test_clean_text_needs_no_trimming() -> None:
    assert not _may_need_trimming("name,type\nA,sandbox\nB,production\n", ",")
    assert _may_need_trimming("name,type\nA ,sandbox\n", ",")
    assert _may_need_trimming("name;type\nA;\tsandbox\n", ";")


def test_grid_trimming_trims_what_trim_trims() -> None:
    """Columns are trimmed only when a cell needs it; the result is trim() of every cell."""
    rng = random.Random(7)
    pieces = ["a", "1", " ", "\u00a0", "\u200b", "\ufeff", "\t", "\n", "x y", ""]
    for _ in range(examples(300)):
        rows, columns = rng.randint(1, 4), rng.randint(1, 4)
        cells = [
            ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 4))) for _ in range(columns)]
            for _ in range(rows)
        ]
        grid = np.array(cells, dtype=object).reshape(rows, columns)
        assert _trim_grid(grid).tolist() == [[trim(cell) for cell in row] for row in cells]


def test_a_column_needs_trimming_where_a_cell_does() -> None:
    """A column's cells joined by NUL need trimming exactly where one of them is not what
    trim() makes of it: a blank at an edge, or an invisible space anywhere (made a space).
    Cells of one-byte, two-byte and four-byte text, blanks inside and at the edges."""
    rng = random.Random(11)
    pieces = ["a", "\u00e9", "\u4e2d", "\U0001f600", "x y", *TRIMMED, "", "\u2008", "\u00c2"]
    for _ in range(examples(3000)):
        cells = [
            "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))
            for _ in range(rng.randint(1, 5))
        ]
        expected = any(trim(cell) != cell for cell in cells)
        assert _needs_trimming("\x00".join(cells), len(cells)) == expected, cells


def test_clean_grid_is_left_alone() -> None:
    grid = np.array([["name", "type"], ["A", "sandbox"]], dtype=object)
    grid.flags.writeable = False  # trimming nothing writes nothing
    assert _trim_grid(grid) is grid


@pytest.mark.parametrize(
    "cell",
    [
        "R\u00e9gion\u00a0Nord",
        "Z\u00fcrich\u2007Nord",
        "Z\u00fcrich\u202f2 ",
        "\u00e9t\u00e9 \u4e2d",
    ],
)
def test_invisible_spaces_in_non_ascii_text_are_spaces_whichever_bytes_are_read(
    tmp_path: Path, cell: str
) -> None:
    """The file's bytes tell when no invisible space can occur (none begins with their first
    bytes); where one does, it reads as a space, and is trimmed at a cell's ends."""
    path = tmp_path / "environments.csv"
    path.write_text(f"name,type\n{cell},sandbox\nPlain \u00e9,production\n", encoding="utf-8")
    names = load_inputs([str(path)]).environments["name"].tolist()
    expected = " ".join(
        cell.replace("\u00a0", " ").replace("\u2007", " ").replace("\u202f", " ").split()
    )
    assert names == [expected, "Plain \u00e9"]
