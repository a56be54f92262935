"""The quick checks of a column's text find what the patterns they stand for find."""

from __future__ import annotations

import random
import re

import pytest

from planner.report import xlsx_writer
from planner.report.xlsx_writer import (
    _ILLEGAL,
    _NEEDS_CARE,
    CUT_NOTE,
    _census,
    fit_cell,
    has_illegal,
    needs_care,
)

# Characters around the edges of what the checks look for, and some that only look alike.
ALPHABET = [
    *(chr(c) for c in range(0x00, 0x22)),
    "=",
    "+",
    "-",
    "@",
    "a",
    " ",
    "\x7f",
    "\x85",
    "\u00e9",
    "\u2013",
    "\u2028",
    "\ufeff",
    "\U0001f600",
    "\udcff",  # a lone surrogate, as undecodable bytes leave
    "_",
    "x",
    "&",
    "<",
    ">",
    "\ufffe",
    "\uffff",
]
# What XlsxWriter escapes in a string (worksheet._escape_control_characters).
_ESCAPED = re.compile(r"_x|[\x00-\x08\x0b-\x1f\ufffe\uffff]")


@pytest.mark.parametrize("seed", range(20))
def test_quick_checks_agree_with_the_patterns(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(500):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12)))
        assert has_illegal(text) == bool(_ILLEGAL.search(text)), repr(text)
        assert needs_care(text) == bool(_NEEDS_CARE.search(text)), repr(text)


@pytest.mark.parametrize("stretch", [None, 1, 2, 3])
@pytest.mark.parametrize("seed", range(20))
def test_a_columns_census_agrees_with_each_texts_own(
    seed: int, stretch: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A column's census (its texts joined and looked at once, a stretch of bytes at a time)
    finds what looking at each text by itself finds, a mark across two stretches included."""
    if stretch is not None:
        monkeypatch.setattr(xlsx_writer, "_CENSUS_BYTES", stretch)
    rng = random.Random(seed)
    for _ in range(200):
        texts = [
            "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 6)))
            for _ in range(rng.randint(1, 5))
        ]
        census = _census(texts)
        assert census.care == any(_NEEDS_CARE.search(text) for text in texts), texts
        breaks = any(len(f"{text}.".splitlines()) > 1 for text in texts)
        assert census.one_line_each is not breaks, texts
        assert census.escape == any(_ESCAPED.search(text) for text in texts), texts
        assert census.marks == any(mark in text for text in texts for mark in "&<>"), texts


@pytest.mark.parametrize("stretch", [1, 2, 3, 4, 1 << 18])
@pytest.mark.parametrize(
    ("texts", "escape"),
    [
        (["_x"], True),
        (["ab_x"], True),
        (["abc_", "x"], False),  # the line feed between two texts stands between the two
        (["x_", "_"], False),
        (["_X_", "xx_x"], True),
        (["plain"] * 5 + ["at the end _x"], True),
    ],
)
def test_an_escape_mark_is_found_wherever_a_stretch_ends(
    texts: list[str], escape: bool, stretch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_writer, "_CENSUS_BYTES", stretch)
    assert _census(texts).escape is escape


@pytest.mark.parametrize(
    ("text", "care"),
    [
        ("plain\nlines", False),
        ("=SUM(A1)", True),
        ("fine\n-5 GB", True),
        ("a - b\na + b", False),
        ("bell\x07", True),
        ("tab\tinside", False),
        ("\ttab first", True),
        ("", False),
    ],
)
def test_examples(text: str, care: bool) -> None:
    assert needs_care(text) is care


@pytest.mark.parametrize("seed", range(10))
def test_a_long_text_is_cut_with_a_word(seed: int) -> None:
    """Text longer than a cell holds is cut to what the cell holds with CUT_NOTE at its end,
    never inside a character beyond U+FFFF (two UTF-16 units each); text that fits is kept."""
    rng = random.Random(seed)
    limit = 100
    cut = 0
    for _ in range(300):
        letters = ["a", "\u00e9", "\U0001f600"] if rng.random() < 0.5 else ["a", "\u2013"]
        text = "".join(rng.choice(letters) for _ in range(rng.randint(0, 150)))
        units = len(text.encode("utf-16-le")) // 2
        fitted = fit_cell(text, limit)
        if units <= limit:
            assert fitted == text
            continue
        cut += 1
        assert fitted.endswith(CUT_NOTE), repr(text)
        kept = fitted[: -len(CUT_NOTE)]
        assert text.startswith(kept)
        assert len(fitted.encode("utf-16-le")) // 2 <= limit
        # As much as fits: one more character of the text would not.
        assert len((text[: len(kept) + 1] + CUT_NOTE).encode("utf-16-le")) // 2 > limit
    assert cut > 50
