"""The one error type for bad input, and text made safe to show in a message or a terminal.

Every reader and validator raises :class:`InputError` with the file, the place in it (row and
column, JSON path, or sheet and cell) and what was expected. The CLI prints it on one or two
lines and exits with status 2; nothing else about bad input ever reaches the user.

File content can hold line breaks, terminal escape sequences (which recolour or retitle the
user's terminal), lone surrogates from undecodable bytes, or megabytes in one cell. Messages and
text renderers show such characters as escapes (``\\n``, ``\\x1b``) and long quotes shortened;
JSON and Excel output keep the exact text, escaped the way each format escapes; HTML pages show
the characters that reorder or hide text as escapes too (:func:`page_text`).
"""

from __future__ import annotations

import re
from typing import Any

LONGEST_PART = 500  # characters of one part of a message; a quoted cell may be megabytes long
# Spreadsheets read a cell starting with one of these as a formula when it is typed or edited
# (tab and CR hide the sign in a CSV export). Text from inputs that starts so is written as text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# The invisible characters that reorder or hide text: every format character (bidi embeddings,
# overrides, isolates and marks, the soft hyphen, zero-width spaces and joiners, a byte order
# mark, number signs and format controls of other scripts, tags) but the joiners that scripts
# and emoji need (U+200C, U+200D); line and paragraph separators; and the other characters of
# no width that make two names look alike (a combining grapheme joiner, the Hangul fillers,
# variation selectors but the emoji one, U+FE0F).
_INVISIBLE = (
    "\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u17b4\u17b5"
    "\u180b-\u180f\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\u3164"
    "\ufe00-\ufe0e\ufeff\uffa0\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e007f\U000e0100-\U000e01ef"
)
# C0 and C1 controls (ESC, CSI U+009B...), and the invisible characters.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f" + _INVISIBLE + "]")
SHORTENED = " ... (shortened)"


def _escaped(found: re.Match[str]) -> str:
    character = found.group()
    if character in "\t\n\r":
        return character.encode("unicode_escape").decode("ascii")
    code = ord(character)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def printable(text: str, limit: int | None = None) -> str:
    if text.isascii() and text.isprintable():  # nearly all text: nothing to escape
        shown = text
    else:
        shown = _CONTROL.sub(_escaped, text)
        shown = shown.encode("utf-8", "backslashreplace").decode("utf-8")
    if limit is not None and len(shown) > limit:
        shown = shown[: max(limit - len(SHORTENED), 0)] + SHORTENED
    return shown


# What a page shows as escapes: the characters of _CONTROL but the line breaks and tabs a page
# lays out as white space (text of several lines, such as a basis, stays as it is).
_HIDDEN_ON_A_PAGE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + _INVISIBLE + "]")


def page_text(text: str) -> str:
    """Text for an HTML page: characters that reorder text or show nothing (a right-to-left
    override, a zero-width space, C1 controls) as escapes, so that a name on the page is read as
    it is; the file's exact text stays in the JSON and the workbook."""
    if text.isascii() and text.isprintable():  # nearly all text: nothing to escape
        return text
    return _HIDDEN_ON_A_PAGE.sub(_escaped, text)


# What json.dumps(ensure_ascii=False) leaves raw but a terminal acts on or reorders: DEL, C1
# controls (U+009B is a one-character escape sequence), bidi controls, line separators.
_JSON_RAW = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def json_safe(text: str) -> str:
    """JSON text with those characters written as \\u escapes: the same JSON value, and inert
    when printed. (They can only occur inside strings, where the escape means the same.)"""
    if text.isascii() and "\x7f" not in text:  # nearly all JSON text: no scan by the pattern
        return text
    return _JSON_RAW.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


# The first byte of each of those characters in UTF-8: DEL; U+0080-U+009F (C2 ..); U+061C
# (D8 ..); U+200E-U+206F (E2 ..). Text holding none of these bytes holds none of the
# characters. Single bytes: the system finds one at memory speed, a pair a hundred times slower.
_UTF8_LEADS = (b"\x7f", b"\xc2", b"\xd8", b"\xe2")


def json_safe_utf8(text: str) -> bytes:
    """:func:`json_safe` as UTF-8, for a large document's text written piece by piece: the
    encoded bytes are searched for the characters' first bytes (four scans at memory speed),
    and the pattern runs only on a piece that has one (a dash or quotation mark of U+20xx
    does), instead of over every piece of non-ASCII text."""
    if text.isascii():  # known without a scan
        return text.encode("ascii") if "\x7f" not in text else json_safe(text).encode("ascii")
    data = text.encode("utf-8")
    if any(lead in data for lead in _UTF8_LEADS):
        return json_safe(text).encode("utf-8")
    return data


def printable_data(value: Any) -> Any:
    """Every string in a nested structure made printable (for the text renderers)."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {key: printable_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [printable_data(item) for item in value]
    return value


class InputError(Exception):
    """A file or option the user gave is not what capplan can work with."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        location: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.location = location
        self.expected = expected
        super().__init__(self.render())

    def render(self) -> str:
        """One or two lines; text quoted from a file cannot break them or drive a terminal."""
        message, file, location, expected = (
            printable(part, LONGEST_PART) if part else part
            for part in (self.message, self.file, self.location, self.expected)
        )
        where = ", ".join(part for part in (file, location) if part)
        text = f"{where}: {message}" if where else message
        if expected:
            text += f"\n  expected: {expected}"
        return text


class RulesError(InputError):
    """A rule set file is malformed: names the file, the entry and what is wrong."""
