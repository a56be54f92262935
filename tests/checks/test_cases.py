"""Finding checks, case by case: every file under ``cases/<CODE>/`` is one plan and what its
findings must (and must not) contain.

A case writes the inputs as they are after its planned changes were applied (a link at month m
ends the environment's row at m and continues it, linked, from m), and lists the changes
themselves, which the plan keeps for the checks. See ``cases/README.md`` for the format.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from planner.checks import REGISTRY
from planner.model.changes import CHANGE_KINDS, Change
from planner.model.inputs import (
    ENVIRONMENT_COLUMNS,
    LICENSE_COLUMNS,
    Inputs,
    environment_frame,
    license_frame,
)
from planner.model.months import month_labels
from planner.planning import build_plan
from planner.results import SEVERITIES, Finding, Plan
from planner.ruleset import resolve_ruleset

CASES = Path(__file__).resolve().parent / "cases"
CASE_KEYS = {
    "description",
    "rules",
    "as_of",
    "months",
    "licenses",
    "environments",
    "changes",
    "growth_fits",  # optional: rows of growth fitted from history snapshots
}
REQUIRED_KEYS = CASE_KEYS - {"changes", "growth_fits"} | {"expected"}
CHANGE_KEYS = {"kind", "month", "subject", "details"}
EXPECTED_KEYS = {"present", "absent"}
PRESENT_KEYS = {"code", "subject", "severity", "message", "month"}


@dataclass(frozen=True)
class Case:
    code: str  # the folder: the finding code the case is about
    name: str
    path: Path
    data: dict[str, Any]

    @property
    def present(self) -> list[dict[str, Any]]:
        return list(self.data["expected"].get("present", []))

    @property
    def absent(self) -> list[dict[str, Any]]:
        # A bare code means "no finding with this code"; a table narrows it to one subject.
        return [
            {"code": entry} if isinstance(entry, str) else dict(entry)
            for entry in self.data["expected"].get("absent", [])
        ]


def _unknown(keys: set[str], allowed: set[str], where: str) -> None:
    extra = keys - allowed
    assert not extra, f"{where}: unknown keys {sorted(extra)}; allowed: {sorted(allowed)}"


def load_cases() -> list[Case]:
    cases = []
    for path in sorted(CASES.glob("*/*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        cases.append(Case(path.parent.name, path.stem, path, data))
    return cases


def validate(case: Case) -> None:
    """Catch mistakes in a case file before they pass as a green test."""
    where = f"{case.code}/{case.name}.toml"
    data = case.data
    _unknown(set(data), CASE_KEYS | {"expected"}, where)
    missing = REQUIRED_KEYS - set(data)
    assert not missing, f"{where}: missing keys {sorted(missing)}"
    assert data["description"].strip(), f"{where}: empty description"
    for row in data["licenses"]:
        _unknown(set(row), set(LICENSE_COLUMNS), f"{where} licenses")
    for row in data["environments"]:
        _unknown(set(row), set(ENVIRONMENT_COLUMNS), f"{where} environments")
    for change in data.get("changes", []):
        _unknown(set(change), CHANGE_KEYS, f"{where} changes")
        assert change["kind"] in CHANGE_KINDS, f"{where}: change kind {change['kind']}"
        assert 0 <= change["month"] < data["months"], f"{where}: change month outside horizon"
    _unknown(set(data["expected"]), EXPECTED_KEYS, f"{where} expected")
    for entry in case.present:
        _unknown(set(entry), PRESENT_KEYS, f"{where} expected.present")
        assert entry["code"] in REGISTRY, f"{where}: {entry['code']} is not a registered code"
        assert entry.get("severity", "info") in SEVERITIES, f"{where}: severity"
    for entry in case.absent:
        _unknown(set(entry), {"code", "subject"}, f"{where} expected.absent")
        assert entry["code"] in REGISTRY, f"{where}: {entry['code']} is not a registered code"
    exercised = {e["code"] for e in case.present} | {e["code"] for e in case.absent}
    assert case.code in exercised, f"{where}: the case says nothing about {case.code}"


def build_case_plan(case: Case) -> Plan:
    data = case.data
    as_of, months = data["as_of"], data["months"]
    labels = month_labels(as_of, months)
    inputs = Inputs(
        license_frame([{"source": case.name, **row} for row in data["licenses"]]),
        environment_frame([{"source": case.name, **row} for row in data["environments"]]),
    )
    if "growth_fits" in data:
        inputs = inputs.with_growth_fits(pd.DataFrame(data["growth_fits"]))
    changes = [
        Change(
            kind=c["kind"],
            month=c["month"],
            month_label=labels[c["month"]],
            subject=c["subject"],
            details=c.get("details", {}),
            origin=f"{case.path.name}, changes[{index + 1}]",
        )
        for index, c in enumerate(data.get("changes", []))
    ]
    ruleset = resolve_ruleset(data["rules"], as_of)
    return build_plan(inputs, ruleset, as_of, months, changes=changes)


def _matches(finding: Finding, expected: dict[str, Any]) -> bool:
    return (
        finding.code == expected["code"]
        and expected.get("subject", finding.subject) == finding.subject
        and expected.get("severity", finding.severity) == finding.severity
        and expected.get("month", finding.month) == finding.month
        and expected.get("message", "") in finding.message
    )


def _show(findings: tuple[Finding, ...]) -> str:
    return "\n".join(
        f"  {f.code} {f.severity} {f.subject} {f.month}: {f.message}" for f in findings
    )


ALL_CASES = load_cases()


@pytest.mark.parametrize("case", ALL_CASES, ids=[f"{c.code}/{c.name}" for c in ALL_CASES])
def test_case(case: Case) -> None:
    validate(case)
    plan = build_case_plan(case)
    for expected in case.present:
        assert any(_matches(f, expected) for f in plan.findings), (
            f"{case.data['description'].strip()}\n"
            f"expected {expected}\nfound:\n{_show(plan.findings)}"
        )
    for unwanted in case.absent:
        hits = [
            f
            for f in plan.findings
            if f.code == unwanted["code"] and unwanted.get("subject", f.subject) == f.subject
        ]
        assert not hits, f"unexpected {unwanted}:\n{_show(tuple(hits))}"


def test_every_code_has_a_positive_and_a_negative_case() -> None:
    raised = {c.code for c in ALL_CASES if any(e["code"] == c.code for e in c.present)}
    quiet = {c.code for c in ALL_CASES if any(e["code"] == c.code for e in c.absent)}
    assert set(REGISTRY) - raised == set(), "codes without a case that raises them"
    assert set(REGISTRY) - quiet == set(), "codes without a case where they stay quiet"
    assert {c.code for c in ALL_CASES} <= set(REGISTRY), "a case folder names no registered code"
