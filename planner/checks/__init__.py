"""Findings: one small function per code, registered in ``registry``; its docstring is its
documentation.

A check reads a finished Plan (and the planned changes of a scenario) and yields Findings. The
registry is the only list of codes: ``docs/findings.md`` is generated from it.
"""

from __future__ import annotations

import gc
from itertools import groupby
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
    # A large tenant's checks make a hundred thousand findings and as many lists and strings,
    # none of them in a cycle; the cycle collector, left on, would scan them again and again
    # while they are made (about a quarter of the time at 200,000 environments).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_checks(plan, reuse)
    finally:
        if enabled:
            gc.enable()


def _run_checks(plan: Plan, reuse: Plan | None) -> tuple[Finding, ...]:
    earlier: dict[str, list[Finding]] = {}
    if reuse is not None:  # its findings come a code at a time
        for code, findings in groupby(reuse.findings, key=_code):
            earlier.setdefault(code, []).extend(findings)
    # Most severe first, then by code and subject: the findings of each severity and code, in
    # the order the checks found them, each sorted by subject with a key read in C (tens of
    # thousands at a large tenant).
    groups: dict[tuple[str, str], list[Finding]] = {}
    for registered in REGISTRY.values():
        if reuse is not None and shares(plan, reuse, registered.reads):
            found = earlier.get(registered.code, [])
        else:
            found = list(registered.function(plan))
        if _alike(found):  # a check's findings are mostly of one severity and its own code
            groups.setdefault(_severity_and_code(found[0]), []).extend(found)
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


_code = attrgetter("code")
_severity = attrgetter("severity")
_severity_and_code = attrgetter("severity", "code")
_subject = attrgetter("subject")


def _alike(findings: list[Finding]) -> bool:
    """Whether the findings are all of one severity and code (and there are some). Counted in C:
    the findings of one check mostly share the very same strings."""
    if not findings:
        return False
    for field in (_severity, _code):
        values = list(map(field, findings))
        if values.count(values[0]) != len(values):
            return False
    return True


def shares(plan: Plan, other: Plan, parts: tuple[str, ...]) -> bool:
    """Whether two plans hold the very same objects (not merely equal ones) as ``parts``; never
    for no parts."""
    return bool(parts) and all(getattr(plan, part) is getattr(other, part) for part in parts)


__all__ = ["REGISTRY", "Check", "check", "run_checks", "shares"]
