"""Baseline and scenarios side by side: each scenario is the baseline inputs with its changes
applied, planned by the same engine; the comparison is computed from the plans, never apart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from planner.engine.forecast import TOLERANCE_GB
from planner.errors import InputError
from planner.model.changes import (
    AddLicenses,
    BuyAddon,
    Change,
    DeleteEnvironment,
    Scenario,
    SetGrowth,
)
from planner.model.inputs import Inputs
from planner.model.months import format_month, parse_month
from planner.planning import build_plan, check_plan, engine_plan
from planner.results import Comparison, Plan
from planner.ruleset import RuleSet, resolve_ruleset
from planner.scenarios.apply import (
    apply_changes,
    license_of,
    origin_error,
    refuse_too_much_work,
    shift_inputs,
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


def plan_scenario(
    baseline_inputs: Inputs,
    scenario: Scenario,
    ruleset: RuleSet,
    as_of: str,
    months: int,
    *,
    checked: bool = True,
    **options: Any,
) -> Plan:
    """The scenario's plan; ``checked=False``: before the checks (see engine_plan)."""
    inputs = apply_changes(baseline_inputs, scenario.changes, ruleset)
    make = build_plan if checked else engine_plan
    return make(inputs, ruleset, as_of, months, scenario.changes, **options)


def plan_switched_scenario(
    baseline_inputs: Inputs,
    scenario: Scenario,
    ruleset: RuleSet,
    as_of: str,
    months: int,
    *,
    checked: bool = True,
    **options: Any,
) -> tuple[Plan, Plan]:
    """A renewal into another rule set: the months before the switch under the current rules,
    the months from it under the new ones (whose month 0 is the switch month); ``checked``:
    see :func:`plan_scenario`."""
    make = build_plan if checked else engine_plan
    switch = scenario.switch
    assert switch is not None
    start = switch.month
    start_label = format_month(parse_month(as_of) + start)
    new_rules = resolve_ruleset(switch.rules, start_label)
    early = [c for c in scenario.changes if c.month < start]
    late = [replace(c, month=c.month - start) for c in scenario.changes if c.month >= start]
    inputs_early = apply_changes(baseline_inputs, early, ruleset)
    before = make(inputs_early, ruleset, as_of, start, early, **options)
    shifted = shift_inputs(inputs_early, start)
    _check_carried_extensions(shifted, new_rules, start_label)
    inputs_late = apply_changes(shifted, late, new_rules)
    after = make(inputs_late, new_rules, start_label, months - start, late, **options)
    return before, after


def _check_carried_extensions(inputs: Inputs, rules: RuleSet, start_label: str) -> None:
    """A capacity extension asked for before a switch of rule sets and still running at it
    carries on only into a rule set that has its pool and states capacity extensions."""
    for row in inputs.extensions.itertuples(index=False):
        if row.end_month <= 0:
            continue
        if row.pool in rules.pool_names and rules.overage is not None:
            continue
        why = (
            f"which has no pool {row.pool}"
            if row.pool not in rules.pool_names
            else "which states no capacity extension"
        )
        raise origin_error(
            str(row.origin),
            f"the capacity extension of {row.pool} asked for in {row.month_label} still runs in "
            f"{start_label}, when the scenario switches to rule set {rules.id}, {why}",
            expected="an extension that ends before the switch, or one asked for after it",
        )


def compare(
    baseline_inputs: Inputs,
    scenarios: Sequence[Scenario],
    ruleset: RuleSet,
    as_of: str,
    months: int,
    **options: Any,
) -> Comparison:
    """The baseline and each scenario planned and checked."""
    return check_comparison(
        engine_comparison(baseline_inputs, scenarios, ruleset, as_of, months, **options)
    )


def engine_comparison(
    baseline_inputs: Inputs,
    scenarios: Sequence[Scenario],
    ruleset: RuleSet,
    as_of: str,
    months: int,
    **options: Any,
) -> Comparison:
    """:func:`compare` before the checks: every plan as the engine makes it, without findings
    (a writer may begin with them; :func:`check_comparison` finishes them)."""
    names = [s.name for s in scenarios]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(
            "several scenarios are named " + ", ".join(repeated),
            expected="a different name = ... in each scenario file",
        )
    refuse_too_much_work([s.changes for s in scenarios], baseline_inputs)
    baseline = engine_plan(baseline_inputs, ruleset, as_of, months, **options)
    planned: list[tuple[Scenario, Plan]] = []
    before: dict[str, Plan] = {}
    for scenario in scenarios:
        if scenario.switch is None:
            # The engine lends the baseline's consumption where the scenario leaves it as is.
            plan = plan_scenario(
                baseline_inputs,
                scenario,
                ruleset,
                as_of,
                months,
                checked=False,
                reuse=baseline,
                **options,
            )
            planned.append((scenario, plan))
            continue
        before[scenario.name], after = plan_switched_scenario(
            baseline_inputs, scenario, ruleset, as_of, months, checked=False, **options
        )
        planned.append((scenario, after))
    return Comparison(baseline=baseline, scenarios=tuple(planned), before_switch=before)


def check_comparison(early: Comparison) -> Comparison:
    """The plans of :func:`engine_comparison` with their findings: a scenario's checks take
    the baseline's findings where they read only what the two plans share."""
    baseline = check_plan(early.baseline)
    planned = tuple(
        (scenario, check_plan(plan) if scenario.switch is not None else check_plan(plan, baseline))
        for scenario, plan in early.scenarios
    )
    before = {name: check_plan(plan) for name, plan in early.before_switch.items()}
    return Comparison(baseline=baseline, scenarios=planned, before_switch=before)


def _of_pool(purchases: pd.DataFrame, pool: str) -> pd.DataFrame:
    """A purchase table's rows of one pool (none from a table without rows)."""
    if not len(purchases):
        return pd.DataFrame({"units": [], "monthly_cost_usd": []})
    return purchases[purchases["pool"] == pool]


def pool_summary(plan: Plan, start: int = 0) -> list[dict[str, Any]]:
    """Per pool: figures at month ``start`` and at the horizon, the first shortfall from then,
    and what it costs: the add-ons the plan's changes buy plus those it still has to buy."""
    forecast = plan.forecast
    rows = []
    for position, pool in enumerate(plan.ruleset.pool_names):
        over = forecast.available[position, start:] < -1e-9
        to_buy = _of_pool(plan.purchases, pool)
        bought = _of_pool(plan.bought, pool)
        units = [*to_buy["units"], *bought["units"]]
        costs = [*to_buy["monthly_cost_usd"], *bought["monthly_cost_usd"]]
        unknown = any(pd.isna(v) for v in units) or any(pd.isna(v) for v in costs)
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
                "addon_units": None if unknown else int(sum(units)),
                "monthly_cost_usd": None if unknown else float(sum(costs)),
                "bought_units": int(bought["units"].sum()),
                "to_buy_units": (
                    None if to_buy["units"].isna().any() else int(to_buy["units"].sum())
                ),
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


# What a change that makes room in a pool is called, for the comparison's words.
ROOM_NOUNS = {
    "buy_addon": "purchase",
    "add_licenses": "added licenses",
    "delete_environment": "clean-up",
    "set_growth": "clean-up",
}


def _plan_at(plans: Sequence[tuple[int, Plan]], month: int) -> tuple[int, Plan]:
    """The plan holding ``month`` (an offset from the first plan's month 0) and its offset."""
    return [(offset, plan) for offset, plan in plans if offset <= month][-1]


def makes_room(change: Change, pool: str, plans: Sequence[tuple[int, Plan]]) -> bool:
    """Whether a planned change adds capacity to ``pool`` or takes consumption out of it: a
    purchase of the pool's add-on, licenses that grant the pool capacity, deleting an
    environment that uses the pool, or a pool's negative growth (a clean-up)."""
    offset, plan = _plan_at(plans, change.month)
    if pool not in plan.ruleset.pool_names:
        return False
    local = change.month - offset
    if isinstance(change, BuyAddon):
        return change.pool == pool
    if isinstance(change, SetGrowth):
        return change.pool == pool and change.gb_per_month < 0
    if isinstance(change, AddLicenses):
        rule = plan.ruleset.find_license(license_of(change.sku, plan.ruleset))
        if rule is None:
            return False
        detail = plan.entitlement_detail
        meta = detail.line_meta
        mine = (meta["pool"] == pool) & (
            (meta["sku"].astype(str).str.casefold() == rule.sku.casefold())
            | ((meta["kind"] == "tenant_default") & (meta["family"] == rule.family))
        )
        return bool((detail.line_gb[mine.to_numpy(), local] > TOLERANCE_GB).any())
    if isinstance(change, DeleteEnvironment) and change.month > 0:
        # What the environment counted in the month before it goes.
        offset, plan = _plan_at(plans, change.month - 1)
        if pool not in plan.ruleset.pool_names:
            return False
        local = change.month - 1 - offset
        detail = plan.consumption_detail
        env = detail.environments
        rows = np.flatnonzero(
            (env["name"] == change.name).to_numpy()
            & (env["start_month"] <= local).to_numpy()
            & (env["end_month"] > local).to_numpy()
        )
        types = next(p.draws_on for p in plan.ruleset.pools if p.name == pool)
        return any(float(detail.counted_gb(t, rows, local).sum()) > TOLERANCE_GB for t in types)
    return False


def scenario_plans(
    comparison: Comparison, scenario: Scenario, plan: Plan
) -> list[tuple[int, Plan]]:
    """A scenario's plans with the month each starts at: the plan, or the plan before a switch
    of rule sets and the one from it."""
    if scenario.switch is None:
        return [(0, plan)]
    return [(0, comparison.before_switch[scenario.name]), (scenario.switch.month, plan)]


def _why_allowed(row: Any, plan: Plan) -> str:
    overage = plan.ruleset.overage
    title = next(p.title for p in plan.ruleset.pools if p.name == row.pool)
    used = "over its capacity" if row.used_share == float("inf") else f"{row.used_share:.0%} used"
    if overage is None:  # not reached: an extension is allowed only under a rule set with one
        return f"{title} {used} in {row.month_label}"
    return (
        f"{title} {used} in {row.month_label}, more than the "
        f"{overage.extension_above.value:.0%} an extension needs"
    )


def extension_outcomes(plans: Sequence[tuple[int, Plan]]) -> list[dict[str, Any]]:
    """Each capacity extension a scenario asked for (``plans`` from :func:`scenario_plans`):
    what it adds and why it was allowed, and whether it bridges the gap, that is whether its
    pool has no deficit from its month until a later change of the scenario makes room in the
    pool (:func:`makes_room`)."""
    last_offset, last = plans[-1]
    horizon = last_offset + last.months
    labels = [m for _, plan in plans for m in plan.forecast.months]
    changes = [
        (change if offset == 0 else replace(change, month=change.month + offset))
        for offset, plan in plans
        for change in plan.changes
    ]
    out = []
    for row in last.inputs.extensions.sort_values("start_month", kind="stable").itertuples(
        index=False
    ):
        start = int(row.start_month) + last_offset
        end = min(int(row.end_month) + last_offset, horizon)
        pool = str(row.pool)
        _, judged = _plan_at(plans, start)
        title = next(p.title for p in judged.ruleset.pools if p.name == pool)
        later = [c for c in changes if c.month > start and makes_room(c, pool, plans)]
        target = min(later, key=lambda c: c.month) if later else None
        stop = target.month if target is not None else horizon
        short = None
        gone = None  # the month from which a switch of rule sets has no such pool
        for month in range(start, stop):
            offset, plan = _plan_at(plans, month)
            if pool not in plan.ruleset.pool_names:
                gone = month
                break
            index = plan.ruleset.pool_names.index(pool)
            if plan.forecast.deficit[index, month - offset] > TOLERANCE_GB:
                short = month
                break
        if target is not None:
            noun = ROOM_NOUNS.get(target.kind, "change")
            # A pool's growth is worded to be followed by its month: no trailing comma here.
            to = f"the {noun} in {target.month_label} ({target.what().rstrip(',')})"
            note = (
                f"bridges the gap to {to}"
                if short is None
                else f"still short in {labels[short]}, before {to}"
            )
        else:
            note = f"no purchase or clean-up of {title} is planned after it"
            if short is not None:
                note += f"; {title} is short in {labels[short]}"
            elif gone is not None:
                note += f"; the rule set from {labels[gone]} has no {title} pool"
            else:
                note += f"; no deficit to {labels[-1]} even so"
        out.append(
            {
                "pool": pool,
                "month": row.month_label,
                "gb": float(row.gb),
                "months": labels[max(start, 0) : end],
                "consumed_gb": float(row.consumed_gb),
                "used_share": None if row.used_share == float("inf") else float(row.used_share),
                "allowed": _why_allowed(row, judged),
                "bridges": target is not None and short is None,
                "until": target.month_label if target is not None else None,
                "short_in": labels[short] if short is not None else None,
                "note": note,
                "origin": str(row.origin),
            }
        )
    return out
