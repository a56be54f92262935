"""The registry of checks: every finding code, its usual severity and the function that finds it.

The check modules register into it on import (planner.checks imports them all); it imports no
check, so a check module and the package never import each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import msgspec

from planner.results import SEVERITIES, Finding, Plan

CheckFunction = Callable[["Plan"], Iterable[Finding]]


class Check(msgspec.Struct, frozen=True):
    code: str
    severity: str  # the usual severity; a check may raise or lower it per finding
    function: CheckFunction
    # The parts of the plan (Plan attributes) the check reads, where it reads no other; empty:
    # any part. A scenario plan that holds the very same parts as its baseline has the
    # baseline's findings of such a check (tests hold each check to what it declares).
    reads: tuple[str, ...] = ()

    @property
    def doc(self) -> str:
        return (self.function.__doc__ or "").strip()


REGISTRY: dict[str, Check] = {}


def check(
    code: str, severity: str, *, reads: tuple[str, ...] = ()
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function under its finding code; ``reads``: see :class:`Check`."""

    def register(function: CheckFunction) -> CheckFunction:
        if code in REGISTRY:
            raise ValueError(f"finding code {code} registered twice")
        if severity not in SEVERITIES:
            raise ValueError(f"severity {severity} of {code}")
        REGISTRY[code] = Check(code, severity, function, reads)
        return function

    return register
