"""Findings: one small function per code, registered in ``registry``; its docstring is its
documentation.

A check reads a finished Plan (and the planned changes of a scenario) and yields Findings. The
registry is the only list of codes: ``docs/findings.md`` is generated from it.
"""

from __future__ import annotations

from operator import attrgetter

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


def run_checks(plan: Plan, reuse: Plan | None = None) -> tuple[Finding, ...]:
    """Every check's findings, most severe first. ``reuse``: a plan (a scenario's baseline)
    whose findings stand for those of a check that reads only parts the two plans share."""
    earlier: dict[str, list[Finding]] = {}
    if reuse is not None:
        for finding in reuse.findings:
            earlier.setdefault(finding.code, []).append(finding)
    found: list[Finding] = []
    for registered in REGISTRY.values():
        if reuse is not None and shares(plan, reuse, registered.reads):
            found.extend(earlier.get(registered.code, ()))
        else:
            found.extend(registered.function(plan))
    # Most severe first, then by code and subject: each severity's findings sorted with a key
    # read in C (tens of thousands at a large tenant).
    by_severity: dict[str, list[Finding]] = {severity: [] for severity in SEVERITIES}
    for finding in found:
        by_severity[finding.severity].append(finding)
    ordered: list[Finding] = []
    for severity in reversed(SEVERITIES):
        ordered.extend(sorted(by_severity[severity], key=attrgetter("code", "subject")))
    return tuple(ordered)


def shares(plan: Plan, other: Plan, parts: tuple[str, ...]) -> bool:
    """Whether two plans hold the very same objects (not merely equal ones) as ``parts``; never
    for no parts."""
    return bool(parts) and all(getattr(plan, part) is getattr(other, part) for part in parts)


__all__ = ["REGISTRY", "Check", "check", "run_checks", "shares"]
