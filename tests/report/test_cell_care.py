"""The quick checks of a column's text find what the patterns they stand for find."""

from __future__ import annotations

import random

import pytest

from planner.report.xlsx_writer import _ILLEGAL, _NEEDS_CARE, has_illegal, needs_care

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
]


@pytest.mark.parametrize("seed", range(20))
def test_quick_checks_agree_with_the_patterns(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(500):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12)))
        assert has_illegal(text) == bool(_ILLEGAL.search(text)), repr(text)
        assert needs_care(text) == bool(_NEEDS_CARE.search(text)), repr(text)


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
