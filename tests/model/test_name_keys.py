"""name_keys: the name_key of many names at once, the same as one at a time."""

from __future__ import annotations

from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.model.inputs import name_key, name_keys

# Letters with and without accents, combining marks (which compose across nothing but their
# own letter), Hangul jamo (which compose in runs), ligatures and full-width forms (NFKC),
# letters that fold to several (ß) or by context (Σ), format characters and other invisible
# ones, white space of every kind (NFKC makes some of it a space) and characters NFKC makes
# several of, one a space (U+00A8).
PIECES = [
    *("a", "B", "\u00e9", "e\u0301", "\u0301", "\u00df", "\ufb01", "\uff21", "\u01c5"),
    *("\u1100", "\u1161", "\u11a8", "\u0130", "\u03a3", "\u03c2", "\u0345", "\u4e2d"),
    *("\U0001f600", "\u200b", "\u200e", "\u061c", "\ufeff", "\u034f", "\u180b", "\u00ad"),
    *("\u0600", "\ufff9", "\u06dd"),
    *("\u3164", "\uffa0", "\u115f", "\U000e0041", " ", "  ", "\t", "\x0b", "\x1c", "\u3000"),
    *("\u00a0", "\u2007", "\u2028", "\u1680", "\u205f", "\u00a8", "\u2474", "x y", ""),
]
NAMES = st.lists(st.lists(st.sampled_from(PIECES), max_size=6).map("".join), max_size=6)


@settings(max_examples=examples(500))
@given(NAMES)
def test_many_names_are_keyed_as_each_one(names: list[str]) -> None:
    assert name_keys(names) == [name_key(name) for name in names]


@settings(max_examples=examples(200))
@given(NAMES.filter(lambda names: all(name.isascii() for name in names)))
def test_ascii_names_are_keyed_as_each_one(names: list[str]) -> None:
    assert name_keys(names) == [name_key(name) for name in names]


def test_a_name_holding_nul_and_names_not_text_are_keyed_one_by_one() -> None:
    names: list[object] = ["A\x00B", " Contoso  Prod ", 12, "Stra\u00dfe"]
    assert name_keys(names) == ["a\x00b", "contoso prod", "12", "strasse"]
    assert name_keys([]) == []
