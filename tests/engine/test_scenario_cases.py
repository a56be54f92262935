"""Data-driven scenario cases: a tenant, a scenario file's text, and deltas worked out by hand."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from builders import make_inputs

from planner.report.data import comparison_data
from planner.ruleset import resolve_ruleset
from planner.scenarios.apply import read_scenario_file
from planner.scenarios.compare import compare

CASES = sorted((Path(__file__).parent / "scenario_cases").glob("*.toml"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_scenario_case(path: Path, tmp_path: Path) -> None:
    case = tomllib.loads(path.read_text(encoding="utf-8"))
    scenario_file = tmp_path / "scenario.toml"
    scenario_file.write_text(case["scenario"], encoding="utf-8")
    scenario = read_scenario_file(scenario_file, case["as_of"], case["months"])
    comparison = compare(
        make_inputs(case["licenses"], case.get("environments", [])),
        [scenario],
        resolve_ruleset(case["rules"], case["as_of"]),
        case["as_of"],
        case["months"],
    )
    data = comparison_data(comparison)
    deltas = {d["pool"]: d for d in data["scenarios"][0]["delta"]}
    for pool, expected in case["expected"]["delta"].items():
        for key, value in expected.items():
            assert deltas[pool][key] == pytest.approx(value, abs=1e-9), (pool, key)
    codes = {f.code for f in comparison.scenarios[0][1].findings}
    assert set(case.get("expected_findings", [])) <= codes


def test_there_are_scenario_cases() -> None:
    assert len(CASES) >= 5
