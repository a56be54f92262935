"""One case-file format for engine, scenario and check cases, validated before it is run.

A case is a TOML file: a tenant written as rows, optionally the planned changes a scenario
applies, and what the plan must show. The format is checked against ``CASE_SCHEMA`` (unknown
keys refused at every level) and against the code (pools of the rule set, columns of the
capacity table, registered finding codes), so a misspelled expectation fails instead of passing
as a green test. ``tests/CASES.md`` documents the keys.
"""

from __future__ import annotations

import contextlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import msgspec
import pandas as pd
import pytest

from planner.checks import REGISTRY
from planner.errors import InputError
from planner.ingest import load_inputs
from planner.ingest.tenant_capacity import read_tenant_capacity_json
from planner.model.changes import CHANGE_KINDS, Change
from planner.model.inputs import (
    ENVIRONMENT_COLUMNS,
    LICENSE_COLUMNS,
    Inputs,
    InputSource,
    environment_frame,
    license_frame,
)
from planner.model.months import month_labels
from planner.planning import build_plan
from planner.report import contract
from planner.report.contract import keys
from planner.report.data import comparison_data
from planner.results import SEVERITIES, Finding, Plan
from planner.ruleset import resolve_ruleset
from planner.scenarios.compare import DELTA_KEYS, compare
from planner.scenarios.read import change_from_table, read_scenario_file

_NUMBER_OR_TEXT = {"type": ["number", "string", "null"]}
EXTENSION_KEYS = keys(contract.ExtensionRow)
_FIGURES = {"type": "object", "additionalProperties": {"type": "object"}}
_FINDING_PATTERN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["code"],
    "properties": {
        "code": {"type": "string"},
        "subject": {"type": "string"},
        "severity": {"enum": list(SEVERITIES)},
        "month": {"type": "string"},
        "message": {"type": "string"},
    },
}
CASE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["description", "rules", "as_of", "months", "expected"],
    "properties": {
        "description": {"type": "string", "minLength": 1},
        "rules": {"type": "string"},
        "as_of": {"type": "string", "pattern": r"^\d{4}-\d{2}$"},
        "months": {"type": "integer", "minimum": 1},
        "tolerance": {"type": "number", "exclusiveMinimum": 0, "maximum": 0.01},
        "licenses": {
            "type": "array",
            "items": {"type": "object", "propertyNames": {"enum": list(LICENSE_COLUMNS)}},
        },
        "environments": {
            "type": "array",
            "items": {"type": "object", "propertyNames": {"enum": list(ENVIRONMENT_COLUMNS)}},
        },
        "growth_fits": {"type": "array", "items": {"type": "object"}},
        "files": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "text"],
                "properties": {
                    "name": {"type": "string", "pattern": r"^[^/\\]+$"},
                    "text": {"type": "string"},
                },
            },
        },
        "sources": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["path"],
                "properties": {
                    "path": {"type": "string"},
                    "kind": {"enum": ["licenses", "environments", "tenant_capacity"]},
                    "format": {"type": "string"},
                    "rows": {"type": "integer", "minimum": 0},
                    "tenant_id": {"type": "string"},
                },
            },
        },
        "tenant_capacity": {"type": "object", "required": ["tenantCapacities"]},
        "changes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["kind", "month"],
                "properties": {
                    "kind": {"enum": list(CHANGE_KINDS)},
                    "month": {"type": "integer", "minimum": 0},
                },
            },
        },
        "scenario": {"type": "string", "minLength": 1},
        "expected": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "capacity": _FIGURES,
                "delta": _FIGURES,
                "shortfalls": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["pool"],
                        "additionalProperties": _NUMBER_OR_TEXT,
                    },
                },
                "extensions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["pool", "month"],
                        "propertyNames": {"enum": list(EXTENSION_KEYS)},
                    },
                },
                "refused": {"type": "string", "minLength": 1},
                "present": {
                    "type": "array",
                    "items": {"anyOf": [{"type": "string"}, _FINDING_PATTERN]},
                },
                "absent": {
                    "type": "array",
                    "items": {
                        "anyOf": [
                            {"type": "string"},
                            {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["code"],
                                "properties": {
                                    "code": {"type": "string"},
                                    "subject": {"type": "string"},
                                },
                            },
                        ]
                    },
                },
            },
        },
    },
}
SHORTFALL_KEYS = ("pool", "first_month", "peak_deficit_gb", "addon_units", "monthly_cost_usd")


class CaseError(AssertionError):
    """A case file that does not follow the format: it fails the suite."""


@dataclass(frozen=True)
class Case:
    name: str  # the path below the cases folder, without .toml
    path: Path
    data: dict[str, Any]

    @property
    def expected(self) -> dict[str, Any]:
        return self.data["expected"]

    @property
    def present(self) -> list[dict[str, Any]]:
        return [_pattern(e) for e in self.expected.get("present", [])]

    @property
    def absent(self) -> list[dict[str, Any]]:
        return [_pattern(e) for e in self.expected.get("absent", [])]


def _pattern(entry: str | dict[str, Any]) -> dict[str, Any]:
    return {"code": entry} if isinstance(entry, str) else dict(entry)


def load_cases(folder: Path) -> list[Case]:
    cases = []
    for path in sorted(folder.rglob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        cases.append(Case(str(path.relative_to(folder).with_suffix("")), path, data))
    return cases


def validate(case: Case) -> None:
    """Refuse what the schema does not know, then what the code does not know."""
    errors = sorted(
        jsonschema.Draft202012Validator(CASE_SCHEMA).iter_errors(case.data),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "top level"
        raise CaseError(f"{case.name}: {where}: {errors[0].message}")
    data = case.data
    for change in data.get("changes", []):
        if change["month"] >= data["months"]:
            raise CaseError(f"{case.name}: a change at month {change['month']} is past the horizon")
    expected = case.expected
    for key in ("delta", "extensions", "refused"):
        if key in expected and "scenario" not in data:
            raise CaseError(f"{case.name}: expected.{key} needs a scenario")
    if "refused" in expected and set(expected) != {"refused"}:
        raise CaseError(f"{case.name}: a refused scenario has no plan to expect anything of")
    for entry in case.present + case.absent:
        if entry["code"] not in REGISTRY:
            raise CaseError(f"{case.name}: {entry['code']} is not a registered finding code")
    pools = set(resolve_ruleset(data["rules"], data["as_of"]).pool_names)
    for section in ("capacity", "delta"):
        unknown = set(expected.get(section, {})) - pools
        if unknown:
            raise CaseError(f"{case.name}: expected.{section}: unknown pools {sorted(unknown)}")
    for pool, figures in expected.get("delta", {}).items():
        unknown = set(figures) - {*DELTA_KEYS, "first_shortfall", "baseline_first_shortfall"}
        if unknown:
            raise CaseError(f"{case.name}: expected.delta.{pool}: unknown keys {sorted(unknown)}")
    for shortfall in expected.get("shortfalls", []):
        unknown = set(shortfall) - set(SHORTFALL_KEYS)
        if unknown:
            raise CaseError(f"{case.name}: expected.shortfalls: unknown keys {sorted(unknown)}")


def case_inputs(case: Case, folder: Path | None = None) -> Inputs:
    """The case's rows; with ``files``, those are written to ``folder`` and read as the command
    line reads them (from ``folder``, so that sources are the bare file names), and the rows are
    added after them."""
    data = case.data
    source = Path(case.name).name
    sources = [
        InputSource(**{"kind": "licenses", "format": "", "rows": 0, **given})
        for given in data.get("sources", [])
    ]
    figures = None
    if "tenant_capacity" in data:
        answer = f"{source}.json"
        figures = read_tenant_capacity_json(answer, data["tenant_capacity"])
        sources.append(
            InputSource(answer, "tenant_capacity", "tenant-capacity-json", 1, figures.tenant_id)
        )
    inputs = Inputs(
        license_frame([{"source": source, **row} for row in data.get("licenses", [])]),
        environment_frame([{"source": source, **row} for row in data.get("environments", [])]),
        sources=tuple(sources),
        microsoft=figures,
    )
    if data.get("files"):
        if folder is None:
            raise CaseError(f"{case.name}: a case with files needs a folder to write them to")
        for file in data["files"]:
            (folder / file["name"]).write_text(file["text"], encoding="utf-8")
        with contextlib.chdir(folder):
            read = load_inputs([file["name"] for file in data["files"]])
        inputs = msgspec.structs.replace(
            read,
            licenses=pd.concat([read.licenses, inputs.licenses], ignore_index=True),
            environments=pd.concat([read.environments, inputs.environments], ignore_index=True),
            sources=read.sources + inputs.sources,
            microsoft=inputs.microsoft or read.microsoft,
        )
    if "growth_fits" in data:
        inputs = inputs.with_growth_fits(pd.DataFrame(data["growth_fits"]))
    return inputs


def case_changes(case: Case) -> list[Change]:
    """The planned changes a case lists as already applied to its rows (for the checks).

    They are written as scenario-file entries with ``month`` as an offset from month 0, and read
    by the scenario reader, which refuses unknown keys."""
    as_of, months = case.data["as_of"], case.data["months"]
    labels = month_labels(as_of, months)
    return [
        change_from_table(
            {**table, "month": labels[table["month"]]},
            as_of,
            months,
            case.path.name,
            f"changes[{index + 1}]",
        )
        for index, table in enumerate(case.data.get("changes", []))
    ]


@dataclass(frozen=True)
class Outcome:
    plan: Plan | None  # the plan the expectations are about: the scenario's, when there is one
    delta: dict[str, dict[str, Any]]
    extensions: list[dict[str, Any]] | None = None  # the comparison's, with a scenario
    refused: str | None = None  # the message of a scenario refused (exit 2), then no plan


def run(case: Case, tmp_path: Path) -> Outcome:
    data = case.data
    as_of, months = data["as_of"], data["months"]
    ruleset = resolve_ruleset(data["rules"], as_of)
    inputs = case_inputs(case, tmp_path)
    if "scenario" not in data:
        return Outcome(build_plan(inputs, ruleset, as_of, months, case_changes(case)), {})
    scenario_file = tmp_path / f"{Path(case.name).name}.scenario.toml"
    scenario_file.write_text(data["scenario"], encoding="utf-8")
    try:
        scenario = read_scenario_file(scenario_file, as_of, months)
        comparison = compare(inputs, [scenario], ruleset, as_of, months)
    except InputError as error:
        return Outcome(None, {}, refused=error.render())
    compared = comparison_data(comparison)["scenarios"][0]
    deltas = {d["pool"]: d for d in compared["delta"]}
    return Outcome(comparison.scenarios[0][1], deltas, compared["extensions"])


def _same(actual: Any, expected: Any, tolerance: float = 1e-9) -> bool:
    if isinstance(expected, dict) or isinstance(actual, dict):
        return (
            isinstance(expected, dict)
            and isinstance(actual, dict)
            and sorted(actual) == sorted(expected)
            and all(_same(actual[k], expected[k], tolerance) for k in expected)
        )
    if isinstance(expected, str) or expected is None or isinstance(actual, str):
        return actual == expected
    return actual == pytest.approx(expected, abs=tolerance)


def _matches(finding: Finding, expected: dict[str, Any]) -> bool:
    return (
        finding.code == expected["code"]
        and expected.get("subject", finding.subject) == finding.subject
        and expected.get("severity", finding.severity) == finding.severity
        and expected.get("month", finding.month) == finding.month
        and expected.get("message", "") in finding.message
    )


def _show(findings: tuple[Finding, ...] | list[Finding]) -> str:
    return "\n".join(
        f"  {f.code} {f.severity} {f.subject} {f.month}: {f.message}" for f in findings
    )


def check(case: Case, outcome: Outcome) -> None:
    """Compare the outcome with every expectation of the case."""
    expected, plan = case.expected, outcome.plan
    if "refused" in expected:
        assert outcome.refused is not None, f"{case.name}: the scenario was not refused"
        assert expected["refused"] in outcome.refused, (expected["refused"], outcome.refused)
        return
    assert plan is not None, f"{case.name}: the scenario was refused: {outcome.refused}"
    tolerance = float(case.data.get("tolerance", 1e-9))
    capacity = plan.capacity.set_index("pool")
    for pool, figures in expected.get("capacity", {}).items():
        for key, value in figures.items():
            if key not in capacity.columns:
                raise CaseError(f"{case.name}: expected.capacity.{pool}.{key} is not a figure")
            actual = capacity.loc[pool, key]
            assert _same(actual, value, tolerance), (pool, key, actual, value)
    if "shortfalls" in expected:
        shortfalls = plan.shortfalls.set_index("pool")
        wanted = {s["pool"]: s for s in expected["shortfalls"]}
        assert sorted(wanted) == sorted(shortfalls.index), (sorted(shortfalls.index), "shortfalls")
        for pool, figures in wanted.items():
            for key, value in figures.items():
                if key != "pool":
                    actual = shortfalls.loc[pool, key]
                    assert _same(actual, value, tolerance), (pool, key, actual, value)
    for pool, figures in expected.get("delta", {}).items():
        for key, value in figures.items():
            actual = outcome.delta[pool][key]
            assert _same(actual, value, tolerance), (pool, key, actual, value)
    if "extensions" in expected:
        # The complete list, in month order; text keys as fragments of capplan's words.
        found = outcome.extensions or []
        assert len(found) == len(expected["extensions"]), (found, "extensions")
        for actual_row, wanted_row in zip(found, expected["extensions"], strict=True):
            for key, value in wanted_row.items():
                actual = actual_row[key]
                if isinstance(value, str) and key in ("allowed", "note", "origin"):
                    assert value in actual, (key, actual, value)
                else:
                    assert _same(actual, value, tolerance), (key, actual, value)
    for wanted in case.present:
        assert any(_matches(f, wanted) for f in plan.findings), (
            f"{case.data['description'].strip()}\nexpected {wanted}\nfound:\n{_show(plan.findings)}"
        )
    for unwanted in case.absent:
        hits = [
            f
            for f in plan.findings
            if f.code == unwanted["code"] and unwanted.get("subject", f.subject) == f.subject
        ]
        assert not hits, f"{case.name}: unexpected {unwanted}:\n{_show(hits)}"
