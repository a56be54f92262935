"""A scenario plan that shares parts with its baseline reuses the findings of the checks that
read only those parts: each such check is held to the parts it declares, and a scenario's
findings are the same whether they were reused or found again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import casefile
import pytest

from planner import checks
from planner.checks import REGISTRY, run_checks
from planner.ingest import load_inputs
from planner.model.changes import AddLicenses, Scenario
from planner.results import Plan
from planner.ruleset import resolve_ruleset
from planner.scenarios.compare import compare

ROOT = Path(__file__).resolve().parents[2]
DECLARING = sorted(code for code, registered in REGISTRY.items() if registered.reads)
# The cases of the declaring checks' codes: those make them speak and stay quiet.
CASES = [
    case
    for case in casefile.load_cases(Path(__file__).resolve().parent / "cases")
    if Path(case.name).parts[0] in DECLARING
]


class OnlyParts:
    """A plan that lends only the named parts: reading any other fails the test."""

    def __init__(self, plan: Plan, parts: tuple[str, ...]) -> None:
        self._plan = plan
        self._parts = parts

    def __getattr__(self, name: str) -> Any:
        if name not in self._parts:
            raise AssertionError(f"the check reads plan.{name}, which it does not declare")
        return getattr(self._plan, name)


@pytest.fixture(scope="module")
def case_plans(tmp_path_factory: pytest.TempPathFactory) -> list[Plan]:
    """The plan of every case of a declaring check (its scenario's, where it has one)."""
    folder = tmp_path_factory.mktemp("cases")
    outcomes = (casefile.run(case, folder) for case in CASES)
    return [outcome.plan for outcome in outcomes if outcome.plan is not None]


def test_some_checks_declare_what_they_read() -> None:
    assert {"USAGE_NOT_COUNTED", "USAGE_CONTRADICTS_STATE", "USAGE_UNKNOWN"} <= set(DECLARING)


def test_a_check_reads_only_the_parts_it_declares(case_plans: list[Plan]) -> None:
    """Every check case's plan, each declaring check given only its parts: the same findings."""
    raised: set[str] = set()
    for plan in case_plans:
        for code in DECLARING:
            registered = REGISTRY[code]
            restricted = list(registered.function(OnlyParts(plan, registered.reads)))  # type: ignore[arg-type]
            assert restricted == list(registered.function(plan))
            raised.update(f.code for f in restricted)
    assert raised == set(DECLARING), "a declaring check that no case makes speak"


def test_every_check_yields_only_its_own_code(case_plans: list[Plan]) -> None:
    """Reused findings are picked by code, so a check may speak only under its own."""
    for plan in case_plans:
        for code, registered in REGISTRY.items():
            assert {f.code for f in registered.function(plan)} <= {code}


def test_a_license_scenario_reuses_and_finds_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = load_inputs(
        [
            str(ROOT / "samples" / "licenses-graph.json"),
            str(ROOT / "samples" / "environments-inventory.csv"),
        ]
    )
    ruleset = resolve_ruleset("pooled-2025-12", "2026-12")
    scenario = Scenario(
        "more finance",
        (AddLicenses(month=0, month_label="2026-12", sku="DYN365_FINANCE", quantity=5),),
    )
    comparison = compare(inputs, [scenario], ruleset, "2026-12", 36)
    baseline, planned = comparison.baseline, comparison.scenarios[0][1]
    assert planned.consumption_detail is baseline.consumption_detail
    assert any(f.code == "USAGE_NOT_COUNTED" for f in planned.findings)
    fresh = run_checks(planned)
    assert run_checks(planned, reuse=baseline) == fresh == planned.findings

    called: list[str] = []
    for code in DECLARING:
        original = REGISTRY[code]

        def spy(plan: Plan, original: Any = original) -> Any:
            called.append(original.code)
            return original.function(plan)

        monkeypatch.setitem(
            REGISTRY, code, checks.Check(code, original.severity, spy, original.reads)
        )
    run_checks(planned, reuse=baseline)
    assert called == []
    run_checks(planned)
    assert sorted(called) == DECLARING
