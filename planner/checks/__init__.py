"""Findings: one small function per code, registered here; its docstring is its documentation.

A check reads a finished Plan (and the planned changes of a scenario) and yields Findings. The
registry is the only list of codes: ``docs/findings.md`` is generated from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from planner.results import SEVERITIES, Finding, Plan

CheckFunction = Callable[["Plan"], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    code: str
    severity: str  # the usual severity; a check may raise or lower it per finding
    function: CheckFunction

    @property
    def doc(self) -> str:
        return (self.function.__doc__ or "").strip()


REGISTRY: dict[str, Check] = {}


def check(code: str, severity: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function under its finding code."""

    def register(function: CheckFunction) -> CheckFunction:
        if code in REGISTRY:
            raise ValueError(f"finding code {code} registered twice")
        if severity not in SEVERITIES:
            raise ValueError(f"severity {severity} of {code}")
        REGISTRY[code] = Check(code, severity, function)
        return function

    return register


def run_checks(plan: Plan) -> tuple[Finding, ...]:
    found: list[Finding] = []
    for registered in REGISTRY.values():
        found.extend(registered.function(plan))
    order = {s: i for i, s in enumerate(reversed(SEVERITIES))}
    return tuple(sorted(found, key=lambda f: (order[f.severity], f.code, f.subject)))


# The modules that hold the checks register them on import.
from planner.checks import (  # noqa: E402, F401
    capacity,
    inputs,
    integration,
    licenses,
    lifecycle,
    provisioning,
    purchase,
    reconciliation,
)
