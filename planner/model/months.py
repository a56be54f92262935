"""Calendar months as ``YYYY-MM`` strings and their offsets from the plan's month 0."""

from __future__ import annotations

import datetime as _dt
import re

from planner.errors import InputError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


FIRST_YEAR, LAST_YEAR = 2000, 2100
LAST_MONTH = LAST_YEAR * 12 + 11  # 2100-12 as a serial number


def parse_month(text: str, *, what: str = "month") -> int:
    """Return a month as a serial number (year * 12 + month - 1); ``InputError`` if malformed."""
    match = _MONTH.match(str(text).strip())
    if not match:
        raise InputError(f"{what} {text!r} is not a month", expected="YYYY-MM, like 2027-03")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise InputError(f"{what} {text!r} has month {month}", expected="a month from 01 to 12")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError(
            f"{what} {text!r} has year {year}",
            expected=f"a year from {FIRST_YEAR} to {LAST_YEAR}",
        )
    return year * 12 + month - 1


def format_month(serial: int) -> str:
    year, month0 = divmod(int(serial), 12)
    return f"{year:04d}-{month0 + 1:02d}"


def current_month() -> str:
    today = _dt.date.today()
    return f"{today.year:04d}-{today.month:02d}"


def month_labels(as_of: str, months: int) -> list[str]:
    start = parse_month(as_of)
    return [format_month(start + k) for k in range(months)]


def first_day(month: str) -> _dt.date:
    serial = parse_month(month)
    year, month0 = divmod(serial, 12)
    return _dt.date(year, month0 + 1, 1)
