"""Text from inputs shown in a terminal: every character that acts on the terminal, reorders
the text or hides in it is shown as an escape; the letters of any script stay as they are."""

from __future__ import annotations

import unicodedata

import pytest

from planner.errors import page_text, printable

HIDDEN = [
    ("\x1b", "\\x1b"),  # escape sequences
    ("\x9b", "\\x9b"),  # the one-character CSI
    ("\u202e", "\\u202e"),  # right-to-left override
    ("\u2067", "\\u2067"),  # right-to-left isolate
    ("\u200f", "\\u200f"),  # right-to-left mark
    ("\u2028", "\\u2028"),  # line separator
    ("\u200b", "\\u200b"),  # zero-width space
    ("\u2060", "\\u2060"),  # word joiner
    ("\ufeff", "\\ufeff"),  # byte order mark, zero-width no-break space
    ("\ufff9", "\\ufff9"),  # interlinear annotation anchor
    ("\U000e0041", "\\U000e0041"),  # tag letter A
]


@pytest.mark.parametrize(("character", "shown"), HIDDEN)
def test_characters_that_act_or_hide_are_shown_as_escapes(character: str, shown: str) -> None:
    assert printable(f"CONTOSO{character}-UAT") == f"CONTOSO{shown}-UAT"


@pytest.mark.parametrize(
    "text",
    ["Zürich Prüfung", "محیط\u200cآزمایشی", "👩\u200d💻 dev", "Ünïcödé ß", "生产环境"],
)
def test_letters_and_the_joiners_scripts_need_stay(text: str) -> None:
    assert printable(text) == text


def test_every_format_character_but_the_joiners_is_shown_as_an_escape() -> None:
    """Whatever the Unicode database of the running Python calls a format character (Cf: the
    soft hyphen, number signs of other scripts, musical format controls...) is an escape in the
    terminal's text and on a page; the joiners scripts and emoji need stay as they are."""
    kept = {"\u200c", "\u200d"}
    for code in range(0x110000):
        character = chr(code)
        if unicodedata.category(character) != "Cf" or character in kept:
            continue
        assert printable(f"a{character}b") != f"a{character}b", hex(code)
        assert page_text(f"a{character}b") != f"a{character}b", hex(code)
    for character in kept | {"\ufe0f"}:
        assert printable(f"a{character}b") == page_text(f"a{character}b") == f"a{character}b"
