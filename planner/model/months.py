"""Calendar months as ``YYYY-MM`` strings and their offsets from the plan's month 0.

Text from users is parsed strictly here (pandas accepts ``2027-3`` or ``March 2027`` alike); the
calendar arithmetic is pandas' monthly ``Period``. A month's serial number is its Period ordinal,
so month k of a plan is ``parse_month(as_of) + k``.
"""

from __future__ import annotations

import datetime as _dt
import math
import re

import pandas as pd

from planner.errors import InputError
from planner.model.units import odd_character

_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
FIRST_YEAR, LAST_YEAR = 2000, 2100
LAST_MONTH = pd.Period(year=LAST_YEAR, month=12, freq="M").ordinal  # 2100-12 as a serial number


def parse_month(text: str, *, what: str = "month") -> int:
    """Return a month as a serial number (its Period ordinal); ``InputError`` if malformed."""
    match = _MONTH.match(str(text).strip())
    if not match:
        odd = odd_character(str(text))
        # int() would read "２０２７" or "2_027" as 2027: a month is written in the digits 0 to 9.
        problem = f" written with the digits 0 to 9 ({odd})" if odd else ""
        raise InputError(
            f"{what} {text!r} is not a month{problem}", expected="YYYY-MM, like 2027-03"
        )
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise InputError(f"{what} {text!r} has month {month}", expected="a month from 01 to 12")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError(
            f"{what} {text!r} has year {year}",
            expected=f"a year from {FIRST_YEAR} to {LAST_YEAR}",
        )
    return pd.Period(year=year, month=month, freq="M").ordinal


# A month or date in a file or folder name (``environments-2026-03-31.csv``), in digits of any
# script: int() reads "２０２６" as 2026, so such a name is refused rather than read as a date.
_DATE_IN_ANY_DIGITS = re.compile(r"(?<!\d)\d{4}-\d{2}(?:-\d{2})?(?!\d)")


def refuse_other_digits_in_name(name: str, *, file: str) -> None:
    """``InputError`` when ``name`` holds a date (YYYY-MM or YYYY-MM-DD) written with other
    digits than 0 to 9."""
    for found in _DATE_IN_ANY_DIGITS.finditer(name):
        odd = odd_character(found.group())
        if odd:
            raise InputError(
                f"the date {found.group()!r} in the name is not written with the digits 0 to 9 "
                f"({odd})",
                file=file,
                expected="a date written YYYY-MM-DD with the digits 0 to 9, like "
                "environments-2026-03-31.csv or a snapshot folder 2026-03-31",
            )


def format_month(serial: int) -> str:
    return pd.Period(ordinal=int(serial), freq="M").strftime("%Y-%m")


def current_month() -> str:
    return pd.Period(_dt.date.today(), freq="M").strftime("%Y-%m")


def month_labels(as_of: str, months: int) -> list[str]:
    start = pd.Period(ordinal=parse_month(as_of), freq="M")
    return list(pd.period_range(start, periods=months, freq="M").strftime("%Y-%m"))


def first_day(month: str) -> _dt.date:
    return pd.Period(ordinal=parse_month(month), freq="M").start_time.date()


# A month of days on average (a year of 365.25 days in 12 months), for rules written in days.
DAYS_PER_MONTH = 365.25 / 12


def months_of_days(days: float) -> int:
    """The whole months a span of ``days`` reaches when it starts on a month's first day: 45 days
    are 1.48 average months, so they reach into a 2nd month; 365 days are 11.99, so 12."""
    return max(1, math.ceil(days / DAYS_PER_MONTH - 1e-9))
