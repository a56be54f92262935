"""Numbers in rules and scenario files written the way a person writes them.

TOML reads ``1_0`` as 10, ``0x10`` as 16, ``0o17`` as 15, ``0b101`` as 5, and ``inf`` and
``nan`` (with a sign or not) as floats; nobody writes gigabytes, months or user counts so, and
the parsed value no longer shows how it was written. So the text is scanned for number values:

* accepted: whole numbers and decimals in the digits 0 to 9, with or without a sign and an exponent
  (``10``, ``-35``, ``0.15``, ``2.5``, ``1e3``): what the bundled rule sets, the scenario
  examples and the CSV and JSON readers take;
* refused: an underscore between digits, hexadecimal, octal and binary, and ``inf`` and ``nan``.

The scan skips comments, strings of every kind and keys (``DYN365_FINANCE``, ``a_1``,
``"1_0"``), and reads dates and times as the values they are. It runs only on text tomllib has
parsed, so it can trust the text to be TOML.
"""

from __future__ import annotations

import re
import tomllib

from planner.errors import printable

NUMBER_EXPECTED = "a number in the digits 0 to 9"
FINITE_EXPECTED = "a finite number in the digits 0 to 9"

_BARE = r"A-Za-z0-9_+.:\-"  # what a bare key, number, boolean, date or time is made of
_TOKEN = re.compile(
    r'"""(?:[^"\\]++|\\.|""?(?!"))*+""""{0,2}'  # multi-line basic string
    r"|'''(?:[^']++|''?(?!'))*+'''(?:''?)?"  # multi-line literal string
    r'|"(?:[^"\\\n]++|\\.)*+"'  # basic string
    r"|'[^'\n]*+'"  # literal string
    r"|#[^\n]*+"  # comment
    rf"|[{_BARE}]++"  # a bare key or value
    r"|[\[\]{}=,\n]",  # what says whether a key or a value comes next
    re.DOTALL,
)
# Whether a text may hold a refused number at all, found by searches that each start from a
# fixed character ("_", "0", "i", "n"), which the regular expression engine skips to at C speed:
# on the bundled rule sets, which hold none, a tenth of the cost of the scan. Each pattern finds
# a superset, which the scan sorts out: a key, or a word in a string or comment, that looks so
# ("365_days", "0x1F", "-inf").
_NO_UNDERSCORE = r"A-Za-z0-9+.:\-"
# A bare word starting (after a sign) with a digit and holding an underscore, looked for in the
# text reversed: from an underscore, the characters up to the end of the word (its start, read
# forwards) hold no other underscore and end in a digit and perhaps a sign. Each character is
# read by one try at most, so the search stays linear in a key of many underscores.
_UNDERSCORE_REVERSED = re.compile(rf"_[{_NO_UNDERSCORE}]*+(?:(?<=[0-9])|(?<=[0-9][+\-]))(?!_)")
_FORWARD_CANDIDATES = (
    re.compile(rf"0[xob](?<![{_BARE}]0[xob])"),
    *(
        re.compile(rf"{word}(?![{_BARE}])(?<![A-Za-z0-9_.:]{word})(?<![{_BARE}][+\-]{word})")
        for word in ("inf", "nan")
    ),
)
_BASES = {"x": ("hexadecimal", 16), "o": ("octal", 8), "b": ("binary", 2)}
_SHOWN_DIGITS = 40  # of a number suggested in a message; a longer one is not worked out


class UnusualNumber(tomllib.TOMLDecodeError):
    """A number value of a TOML text written in a form people do not use: what it is, where
    (line and column, from 1) and what was expected. As a TOMLDecodeError its text says all of
    it on one line, for a caller that reports any TOML error the same way."""

    def __init__(self, problem: str, line: int, column: int, expected: str) -> None:
        self.problem = problem
        self.line = line
        self.column = column
        self.expected = expected
        super().__init__(f"{problem} (line {line}, column {column})")

    @property
    def where(self) -> str:
        return f"line {self.line}, column {self.column}"


def refuse_unusual_numbers(text: str) -> None:
    """Raise :class:`UnusualNumber` for the first number value of ``text`` (TOML that tomllib
    has read) written with an underscore, in hexadecimal, octal or binary, or as inf or nan.

    One pass over the tokens: outside inline tables and arrays a line is a key (or a table
    header) up to ``=``, then a value; in an inline table a key follows ``{`` and ``,``; in an
    array every item is a value."""
    if not _may_hold_one(text):
        return
    open_brackets: list[str] = []  # "[" of arrays and "{" of inline tables, innermost last
    value = False  # whether a bare word here is a value, not a key or a table header
    for token in _TOKEN.finditer(text):
        word = token.group()
        first = word[0]
        if first in "\"'#":
            continue
        if first == "\n":
            value = value and bool(open_brackets)
        elif first == "=":
            value = True
        elif first in "[{":
            if value:  # an array or inline table; else the bracket of a table header
                open_brackets.append(first)
                value = first == "["
        elif first in "]}":
            if open_brackets:
                open_brackets.pop()
        elif first == ",":
            value = open_brackets[-1] == "[" if open_brackets else value
        elif value:
            problem = _problem(word)
            if problem is not None:
                start = token.start()
                line = text.count("\n", 0, start) + 1
                column = start - text.rfind("\n", 0, start)
                raise UnusualNumber(problem[0], line, column, problem[1])


def _may_hold_one(text: str) -> bool:
    """Whether ``text`` holds a bare word that could be a refused number."""
    if _UNDERSCORE_REVERSED.search(text[::-1]) is not None:
        return True
    return any(pattern.search(text) is not None for pattern in _FORWARD_CANDIDATES)


def _problem(word: str) -> tuple[str, str] | None:
    """What is wrong with a value written ``word`` (a number, boolean, date or time in valid
    TOML) and what was expected, or None when it is written as people write it."""
    sign = word[0] if word[0] in "+-" else ""
    body = word[len(sign) :]
    shown = printable(word, _SHOWN_DIGITS)
    if body in ("inf", "nan"):
        return f"the value {shown} is not a finite number", FINITE_EXPECTED
    base = _BASES.get(body[1:2]) if body[:1] == "0" else None
    if base is not None:  # the same number in decimal, when short enough to read
        name, radix = base
        digits = body[2:].replace("_", "")
        example = f", such as {int(digits, radix)}" if len(digits) <= _SHOWN_DIGITS else ""
        return f"the number {shown} is written in {name}", f"{NUMBER_EXPECTED}{example}"
    if "_" in word:
        plain = word.replace("_", "")
        example = f", such as {plain}" if len(plain) <= _SHOWN_DIGITS else ""
        return f"the number {shown} is written with an underscore", f"{NUMBER_EXPECTED}{example}"
    return None
