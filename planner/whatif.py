"""Baseline and scenarios side by side: each scenario is the baseline inputs with its changes
applied, planned by the same engine; the comparison is computed from the plans, never apart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planner.plan import Plan, build_plan
from planner.report.data import SCHEMA_VERSION, plan_data
from planner.ruleset import RuleSet
from planner.scenario import Scenario, apply_changes

SUMMARY_KEYS = (
    "pool",
    "entitled_gb",
    "consumed_gb",
    "available_gb",
    "entitled_end_gb",
    "consumed_end_gb",
    "available_end_gb",
    "first_shortfall",
    "addon_units",
    "monthly_cost_usd",
)
DELTA_KEYS = (
    "entitled_gb",
    "consumed_gb",
    "available_gb",
    "entitled_end_gb",
    "consumed_end_gb",
    "available_end_gb",
    "addon_units",
    "monthly_cost_usd",
)


@dataclass(frozen=True)
class Comparison:
    baseline: Plan
    scenarios: tuple[tuple[Scenario, Plan], ...]


def plan_scenario(
    baseline_inputs: Any,
    scenario: Scenario,
    ruleset: RuleSet,
    as_of: str,
    months: int,
    **options: Any,
) -> Plan:
    inputs = apply_changes(baseline_inputs, scenario.changes, ruleset)
    return build_plan(inputs, ruleset, as_of, months, scenario.changes, **options)


def compare(
    baseline_inputs: Any,
    scenarios: Sequence[Scenario],
    ruleset: RuleSet,
    as_of: str,
    months: int,
    **options: Any,
) -> Comparison:
    baseline = build_plan(baseline_inputs, ruleset, as_of, months, **options)
    return Comparison(
        baseline=baseline,
        scenarios=tuple(
            (s, plan_scenario(baseline_inputs, s, ruleset, as_of, months, **options))
            for s in scenarios
        ),
    )


def pool_summary(plan: Plan) -> list[dict[str, Any]]:
    """Per pool: month 0 and horizon figures, first shortfall and what it takes to cover it."""
    forecast = plan.forecast
    purchases = plan.purchases.set_index("pool") if len(plan.purchases) else None
    rows = []
    for position, pool in enumerate(plan.ruleset.pool_names):
        over = forecast.available[position] < -1e-9
        bought = purchases is not None and pool in purchases.index
        units = purchases.loc[pool, "units"] if bought else 0
        cost = purchases.loc[pool, "monthly_cost_usd"] if bought else 0.0
        units = None if pd.isna(units) else units
        cost = None if pd.isna(cost) else cost
        rows.append(
            {
                "pool": pool,
                "entitled_gb": float(forecast.entitled[position, 0]),
                "consumed_gb": float(forecast.consumed[position, 0]),
                "available_gb": float(forecast.available[position, 0]),
                "entitled_end_gb": float(forecast.entitled[position, -1]),
                "consumed_end_gb": float(forecast.consumed[position, -1]),
                "available_end_gb": float(forecast.available[position, -1]),
                "first_shortfall": forecast.months[int(np.argmax(over))] if over.any() else None,
                "addon_units": None if units is None else int(units),
                "monthly_cost_usd": None if cost is None else float(cost),
            }
        )
    return rows


def delta(baseline: list[dict[str, Any]], scenario: list[dict[str, Any]]) -> list[dict[str, Any]]:
    before = {row["pool"]: row for row in baseline}
    out = []
    for row in scenario:
        base = before.get(row["pool"])
        entry: dict[str, Any] = {"pool": row["pool"]}
        for key in DELTA_KEYS:
            a, b = (base or {}).get(key), row.get(key)
            entry[key] = None if a is None or b is None else b - a
        entry["first_shortfall"] = row["first_shortfall"]
        entry["baseline_first_shortfall"] = base["first_shortfall"] if base else None
        out.append(entry)
    return out


def comparison_data(comparison: Comparison, digits: int | None = None) -> dict[str, Any]:
    """The whatif JSON contract: baseline plan, and per scenario its plan and deltas."""
    baseline_summary = pool_summary(comparison.baseline)
    scenarios = []
    for scenario, plan in comparison.scenarios:
        summary = pool_summary(plan)
        scenarios.append(
            {
                "name": scenario.name,
                "source": scenario.source,
                "description": scenario.description,
                "changes": [c.describe() for c in scenario.changes],
                "summary": summary,
                "delta": delta(baseline_summary, summary),
                "plan": plan_data(plan, digits),
            }
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "baseline": plan_data(comparison.baseline, digits),
        "baseline_summary": baseline_summary,
        "scenarios": scenarios,
    }
