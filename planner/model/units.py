"""Amounts with units ("500 MB", "10 GB") and the MB/GB conversion used everywhere.

Microsoft's APIs report megabytes, the admin center shows gigabytes, and this project works in
gigabytes with 1 GB = 1024 MB (binary, as the admin center counts).
"""

from __future__ import annotations

import math
import re

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
