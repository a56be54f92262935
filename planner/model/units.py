"""Amounts with units ("500 MB", "10 GB") and the MB/GB conversion used everywhere.

Microsoft's APIs report megabytes, the admin center shows gigabytes, and this project works in
gigabytes with 1 GB = 1024 MB (binary, as the admin center counts).
"""

from __future__ import annotations

import math
import re
import unicodedata

MB_PER_GB = 1024.0
_UNITS_IN_GB = {"MB": 1.0 / MB_PER_GB, "GB": 1.0, "TB": MB_PER_GB}
_AMOUNT = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)\s*$")


# A number as people and exports write it: ASCII digits, an optional sign, decimal point and
# exponent. float() also takes "1_0", "١٠" (Arabic-Indic digits), "infinity" and "nan"; a file
# that says so is refused rather than read as something its author may not have meant.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def plain_float(text: str) -> float:
    """The value of a plainly written number; ValueError for anything else."""
    stripped = text.strip()
    if not _PLAIN_NUMBER.fullmatch(stripped):
        raise ValueError(f"{text!r} is not a plain number")
    return float(stripped)


# Numbers people type: an option, a what-if flag's value. The same grammar as a cell's, without
# the blanks around it; a whole number is digits with an optional sign. What is refused is said
# in these words, with the character that breaks the rule.
NUMBER_FORM = "a number written with the digits 0 to 9"
WHOLE_NUMBER_FORM = "a whole number written with the digits 0 to 9"
_PLAIN_WHOLE = re.compile(r"[+-]?[0-9]+")
_MOST_DIGITS = 100  # of a whole number typed: beyond, far too large for any option


def typed_float(text: str) -> float:
    """The value of a number as typed; ValueError saying what is wrong with it otherwise."""
    if not _PLAIN_NUMBER.fullmatch(text):
        raise ValueError(not_a_number(text))
    return float(text)


def typed_int(text: str) -> int:
    """The value of a whole number as typed; ValueError saying what is wrong with it otherwise."""
    if not _PLAIN_WHOLE.fullmatch(text):
        raise ValueError(not_a_number(text, whole=True))
    if len(text) > _MOST_DIGITS:  # int() refuses thousands of digits, and none is meant
        raise ValueError(f"{text[:20]!r}... is a number of {len(text):,} digits, far too large")
    return int(text)


def not_a_number(text: str, *, whole: bool = False) -> str:
    """Why ``text`` is not a number typed in the digits 0 to 9, for a message."""
    form = WHOLE_NUMBER_FORM if whole else NUMBER_FORM
    if loosely_infinite(text):
        return f"{text!r} is not a finite number"
    odd = odd_character(text)
    return f"{text!r} is not {form}" + (f" ({odd})" if odd else "")


def odd_character(text: str) -> str | None:
    """What, in text meant as a number, date or month, is not written with the digits 0 to 9:
    a digit of another script (full-width, Arabic-Indic, superscript), which Python's int()
    and float() read as a digit, or an underscore, which they read as nothing; None when
    neither is there."""
    for character in text:
        if character == "_":
            return "it holds an underscore"
        if character.isdigit() and not character.isascii():
            name = unicodedata.name(character, "a digit of another script")
            return f"{character} is U+{ord(character):04X} {name}"
    return None


def loosely_infinite(text: str) -> bool:
    """Whether Python reads the text as an infinity or NaN ("inf", "NaN", "-Infinity")."""
    try:
        return not math.isfinite(float(text))
    except ValueError:
        return False


def parse_amount(text: str) -> float:
    """Return the amount in GB of a string such as ``"500 MB"`` or ``"10 GB"``.

    Raises ValueError with a reason a person can act on; callers add the file and entry.
    """
    if not isinstance(text, str):
        raise ValueError(f'an amount is a string with its unit, like "10 GB", not {text!r}')
    match = _AMOUNT.match(text)
    if not match:
        raise ValueError(f'{text!r} is not an amount with a unit, like "500 MB" or "10 GB"')
    number, unit = match.groups()
    factor = _UNITS_IN_GB.get(unit.upper())
    if factor is None:
        raise ValueError(f"unit {unit!r} in {text!r} is not one of MB, GB, TB")
    return float(number) * factor


def mb_to_gb(megabytes: float) -> float:
    return megabytes / MB_PER_GB


def format_gb(gigabytes: float | None, digits: int = 2) -> str:
    """GB for people: ``"1,234.50 GB"``; ``"unknown"`` where there is no number."""
    if gigabytes is None or (isinstance(gigabytes, float) and math.isnan(gigabytes)):
        return "unknown"
    return f"{gigabytes:,.{digits}f} GB"
