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
    # Most severe first, then by code and subject: the findings of each severity and code, in
    # the order the checks found them, each sorted by subject with a key read in C (tens of
    # thousands at a large tenant).
    groups: dict[tuple[str, str], list[Finding]] = {}
    for registered in REGISTRY.values():
        if reuse is not None and shares(plan, reuse, registered.reads):
            found = earlier.get(registered.code, [])
        else:
            found = list(registered.function(plan))
        kinds = set(map(_severity_and_code, found))
        if len(kinds) == 1:  # a check's findings are mostly of one severity and its own code
            groups.setdefault(kinds.pop(), []).extend(found)
            continue
        for finding in found:
            groups.setdefault((finding.severity, finding.code), []).append(finding)
    unknown = {severity for severity, _ in groups} - set(SEVERITIES)
    if unknown:
        raise ValueError(f"findings of unknown severity {', '.join(sorted(unknown))}")
    ordered: list[Finding] = []
    for severity in reversed(SEVERITIES):
        for code in sorted(code for of, code in groups if of == severity):
            ordered.extend(sorted(groups[severity, code], key=_subject))
    return tuple(ordered)


_severity_and_code = attrgetter("severity", "code")
_subject = attrgetter("subject")


def shares(plan: Plan, other: Plan, parts: tuple[str, ...]) -> bool:
    """Whether two plans hold the very same objects (not merely equal ones) as ``parts``; never
    for no parts."""
    return bool(parts) and all(getattr(plan, part) is getattr(other, part) for part in parts)


__all__ = ["REGISTRY", "Check", "check", "run_checks", "shares"]
