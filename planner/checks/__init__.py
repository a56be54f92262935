"""Findings: one small function per code, registered in ``registry``; its docstring is its
documentation.

A check reads a finished Plan (and the planned changes of a scenario) and yields Findings. The
registry is the only list of codes: ``docs/findings.md`` is generated from it.
"""

from __future__ import annotations

# The modules that hold the checks register them on import.
from planner.checks import (  # noqa: F401
    capacity,
    inputs,
    integration,
    licenses,
    lifecycle,
    provisioning,
    purchase,
    reconciliation,
)
from planner.checks.registry import REGISTRY, Check, check
from planner.results import SEVERITIES, Finding, Plan


def run_checks(plan: Plan) -> tuple[Finding, ...]:
    found: list[Finding] = []
    for registered in REGISTRY.values():
        found.extend(registered.function(plan))
    order = {s: i for i, s in enumerate(reversed(SEVERITIES))}
    return tuple(sorted(found, key=lambda f: (order[f.severity], f.code, f.subject)))


__all__ = ["REGISTRY", "Check", "check", "run_checks"]
