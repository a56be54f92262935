"""Baseline and scenarios side by side: each scenario is the baseline inputs with its changes
applied, planned by the same engine; the comparison is computed from the plans, never apart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.model.changes import Scenario
from planner.model.inputs import Inputs
from planner.model.months import format_month, parse_month
from planner.planning import build_plan
from planner.results import Comparison, Plan
from planner.ruleset import RuleSet, resolve_ruleset
from planner.scenarios.apply import apply_changes, shift_inputs

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


def plan_scenario(
    baseline_inputs: Inputs,
    scenario: Scenario,
    ruleset: RuleSet,
    as_of: str,
    months: int,
    **options: Any,
) -> Plan:
    inputs = apply_changes(baseline_inputs, scenario.changes, ruleset)
    return build_plan(inputs, ruleset, as_of, months, scenario.changes, **options)


def plan_switched_scenario(
    baseline_inputs: Inputs,
    scenario: Scenario,
    ruleset: RuleSet,
    as_of: str,
    months: int,
    **options: Any,
) -> tuple[Plan, Plan]:
    """A renewal into another rule set: the months before the switch under the current rules,
    the months from it under the new ones (whose month 0 is the switch month)."""
    switch = scenario.switch
    assert switch is not None
    start = switch.month
    start_label = format_month(parse_month(as_of) + start)
    new_rules = resolve_ruleset(switch.rules, start_label)
    early = [c for c in scenario.changes if c.month < start]
    late = [replace(c, month=c.month - start) for c in scenario.changes if c.month >= start]
    inputs_early = apply_changes(baseline_inputs, early, ruleset)
    before = build_plan(inputs_early, ruleset, as_of, start, early, **options)
    inputs_late = apply_changes(shift_inputs(inputs_early, start), late, new_rules)
    after = build_plan(inputs_late, new_rules, start_label, months - start, late, **options)
    return before, after


def compare(
    baseline_inputs: Inputs,
    scenarios: Sequence[Scenario],
    ruleset: RuleSet,
    as_of: str,
    months: int,
    **options: Any,
) -> Comparison:
    names = [s.name for s in scenarios]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(
            "several scenarios are named " + ", ".join(repeated),
            expected="a different name = ... in each scenario file",
        )
    baseline = build_plan(baseline_inputs, ruleset, as_of, months, **options)
    planned: list[tuple[Scenario, Plan]] = []
    before: dict[str, Plan] = {}
    for scenario in scenarios:
        if scenario.switch is None:
            planned.append(
                (
                    scenario,
                    plan_scenario(baseline_inputs, scenario, ruleset, as_of, months, **options),
                )
            )
            continue
        before[scenario.name], after = plan_switched_scenario(
            baseline_inputs, scenario, ruleset, as_of, months, **options
        )
        planned.append((scenario, after))
    return Comparison(baseline=baseline, scenarios=tuple(planned), before_switch=before)


def pool_summary(plan: Plan, start: int = 0) -> list[dict[str, Any]]:
    """Per pool: figures at month ``start`` and at the horizon, the first shortfall from then,
    and what it takes to cover it."""
    forecast = plan.forecast
    purchases = plan.purchases.set_index("pool") if len(plan.purchases) else None
    rows = []
    for position, pool in enumerate(plan.ruleset.pool_names):
        over = forecast.available[position, start:] < -1e-9
        bought = purchases is not None and pool in purchases.index
        units = purchases.loc[pool, "units"] if bought else 0
        cost = purchases.loc[pool, "monthly_cost_usd"] if bought else 0.0
        units = None if pd.isna(units) else units
        cost = None if pd.isna(cost) else cost
        rows.append(
            {
                "pool": pool,
                "entitled_gb": float(forecast.entitled[position, start]),
                "consumed_gb": float(forecast.consumed[position, start]),
                "available_gb": float(forecast.available[position, start]),
                "entitled_end_gb": float(forecast.entitled[position, -1]),
                "consumed_end_gb": float(forecast.consumed[position, -1]),
                "available_end_gb": float(forecast.available[position, -1]),
                "first_shortfall": (
                    forecast.months[start + int(np.argmax(over))] if over.any() else None
                ),
                "addon_units": None if units is None else int(units),
                "monthly_cost_usd": None if cost is None else float(cost),
            }
        )
    return rows


def delta(
    baseline: list[dict[str, Any]],
    scenario: list[dict[str, Any]],
    pools_of: Mapping[str, tuple[str, ...]] | None = None,
) -> list[dict[str, Any]]:
    """Scenario minus baseline per pool. ``pools_of`` maps a scenario pool to the baseline pools
    that make it up, when the scenario plans under another rule set."""
    before = {row["pool"]: row for row in baseline}
    out = []
    for row in scenario:
        parts = pools_of.get(row["pool"], ()) if pools_of is not None else (row["pool"],)
        bases = [before[p] for p in parts if p in before]
        entry: dict[str, Any] = {"pool": row["pool"], "baseline_pools": list(parts)}
        for key in DELTA_KEYS:
            values = [b.get(key) for b in bases]
            if not bases or any(v is None for v in values) or row.get(key) is None:
                entry[key] = None
            else:
                entry[key] = row[key] - sum(values)
        entry["first_shortfall"] = row["first_shortfall"]
        shortfalls = sorted(b["first_shortfall"] for b in bases if b["first_shortfall"])
        entry["baseline_first_shortfall"] = shortfalls[0] if shortfalls else None
        out.append(entry)
    return out


def matching_pools(baseline: RuleSet, scenario: RuleSet) -> dict[str, tuple[str, ...]]:
    """Each scenario pool and the baseline pools whose capacity types exactly make it up."""
    out: dict[str, tuple[str, ...]] = {}
    for pool in scenario.pools:
        parts = tuple(p.name for p in baseline.pools if set(p.draws_on) <= set(pool.draws_on))
        covered = {t for p in baseline.pools if p.name in parts for t in p.draws_on}
        out[pool.name] = parts if covered == set(pool.draws_on) else ()
    return out
