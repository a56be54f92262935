"""A scenario that changes only licenses shares its baseline's consumption; one that changes the
environments computes its own. Either way its plan is the plan it would have on its own."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planner.ingest import load_inputs
from planner.model.changes import AddEnvironment, AddLicenses, Scenario
from planner.model.inputs import Inputs
from planner.planning import build_plan
from planner.report.data import plan_data
from planner.ruleset import resolve_ruleset
from planner.scenarios.apply import apply_changes
from planner.scenarios.compare import compare

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
AS_OF = "2026-12"
MONTHS = 24


def _inputs() -> Inputs:
    return load_inputs(
        [str(SAMPLES / "licenses-graph.json"), str(SAMPLES / "environments-inventory.csv")]
    )


def test_a_license_scenario_shares_the_baseline_consumption() -> None:
    inputs = _inputs()
    ruleset = resolve_ruleset("pooled-2025-12", AS_OF)
    more = Scenario("more", (AddLicenses(sku="DYN365_FINANCE", quantity=50),))
    new = Scenario(
        "new",
        (
            AddEnvironment(
                name="UAT9", type="sandbox", tier=2, month=3, sizes={"operations_database_gb": 40}
            ),
        ),
    )
    comparison = compare(inputs, [more, new], ruleset, AS_OF, MONTHS)
    (_, with_licenses), (_, with_environment) = comparison.scenarios
    baseline = comparison.baseline
    assert with_licenses.consumption_detail is baseline.consumption_detail
    assert with_environment.consumption_detail is not baseline.consumption_detail
    assert "UAT9" in set(with_environment.consumption_detail.environments["name"])
    # The shared consumption gives the plan the scenario has when planned alone.
    for scenario, shared in comparison.scenarios:
        alone = build_plan(
            apply_changes(inputs, scenario.changes, ruleset),
            ruleset,
            AS_OF,
            MONTHS,
            scenario.changes,
        )
        assert plan_data(alone) == plan_data(shared)
        pd.testing.assert_frame_equal(alone.consumption, shared.consumption)


def test_other_tables_are_not_taken_for_the_same() -> None:
    inputs = _inputs()
    ruleset = resolve_ruleset("pooled-2025-12", AS_OF)
    baseline = build_plan(inputs, ruleset, AS_OF, MONTHS)
    copied = inputs.with_tables(environments=inputs.environments.copy())
    assert build_plan(inputs, ruleset, AS_OF, MONTHS, reuse=baseline).consumption_detail is (
        baseline.consumption_detail
    )
    for other, months in ((copied, MONTHS), (inputs, MONTHS - 1)):
        plan = build_plan(other, ruleset, AS_OF, months, reuse=baseline)
        assert plan.consumption_detail is not baseline.consumption_detail
