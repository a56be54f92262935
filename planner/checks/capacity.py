"""Findings about capacity: pools running low or over, and usage nobody measured."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import repeat
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner.checks.registry import check
from planner.checks.timeline import among, holds
from planner.engine.forecast import lenders_of
from planner.model.units import format_gb
from planner.results import Finding

if TYPE_CHECKING:
    from planner.results import Plan


@check("CAPACITY_OVER", "error")
def capacity_over(plan: Plan) -> Iterator[Finding]:
    """A pool is over its entitlement after borrowing, now or within the horizon.

    Over Dataverse capacity blocks creating, copying, restoring and recovering environments and
    adding Dataverse; finance and operations overage must be licensed. The message names the first
    month, the peak deficit and the add-on purchase that covers it.
    """
    titles = {p.name: p.title for p in plan.ruleset.pools}
    # What to buy is the plan's purchase (with --buffer and --buy-at), as the headline says.
    purchases = {str(p.pool): p for p in plan.purchases.itertuples(index=False)}
    for row in plan.shortfalls.itertuples(index=False):
        purchase = purchases.get(str(row.pool))
        if purchase is None or not row.addon_sku:
            buy = "the rule set names no add-on for this pool"
        else:
            cost = (
                f" (${purchase.monthly_cost_usd:,.2f} per month)"
                if purchase.monthly_cost_usd is not None and not np.isnan(purchase.monthly_cost_usd)
                else " (unpriced)"
            )
            buy = f"buy {purchase.units} x {purchase.addon_sku} from {purchase.buy_month}{cost}"
        peak = (
            f"the deficit is still growing at the end of the horizon "
            f"({format_gb(row.peak_deficit_gb)} in {row.peak_month})"
            if row.growing_at_end
            else f"the deficit peaks at {format_gb(row.peak_deficit_gb)} in {row.peak_month}"
        )
        yield Finding(
            "CAPACITY_OVER",
            "error",
            str(row.pool),
            f"{titles.get(str(row.pool), str(row.pool))} is over from {row.first_month}; "
            f"{peak}: {buy}.",
            month=str(row.first_month),
        )


@check("CAPACITY_WARNING", "warning")
def capacity_warning(plan: Plan) -> Iterator[Finding]:
    """A pool has less than the warning share (15%) of its effective capacity left, now or
    within the horizon, without being over: the admin center's first notification. The
    effective capacity of a pool that borrows counts its lenders' spare capacity up to the 85%
    line; a lender is judged on its own entitlement and consumption. The message says from which
    month.
    """
    yield from _running_low(plan, "warning", "CAPACITY_WARNING")


@check("CAPACITY_CRITICAL", "warning")
def capacity_critical(plan: Plan) -> Iterator[Finding]:
    """A pool has less than the critical share (5%) of its effective capacity left, now or within
    the horizon, without being over: the admin center's second notification, the last before
    the pool is over. The message says from which month.
    """
    yield from _running_low(plan, "critical", "CAPACITY_CRITICAL")


def _running_low(plan: Plan, level: str, code: str) -> Iterator[Finding]:
    forecast = plan.forecast
    thresholds = plan.ruleset.thresholds
    share = (
        thresholds.critical_remaining.value
        if level == "critical"
        else thresholds.warning_remaining.value
    )
    levels = ("critical",) if level == "critical" else ("warning", "critical")
    titles = {p.name: p.title for p in plan.ruleset.pools}
    for position, pool in enumerate(plan.ruleset.pool_names):
        status = forecast.status[position]
        if (status == "over").any():
            continue  # CAPACITY_OVER says more
        low = np.flatnonzero(np.isin(status, levels))
        if not len(low):
            continue
        first = int(low[0])
        month = forecast.months[first]
        effective = float(forecast.effective[position, first])
        consumed = float(forecast.consumed[position, first])
        lenders = lenders_of(forecast, pool, first)
        counted = (
            " counting "
            + " and ".join(
                f"{format_gb(gb)} of spare {titles.get(p, p)}" for p, gb in lenders.items()
            )
            if lenders
            else ""
        )
        yield Finding(
            code,
            "warning",
            pool,
            f"{titles.get(pool, pool)} has less than {share:.0%} of its capacity left from "
            f"{month}: {format_gb(consumed)} used of {format_gb(effective)}{counted} "
            f"({float(forecast.remaining[position, first]):.1%} left). Plan a clean-up or an "
            "add-on before it runs out.",
            month=month,
        )


@check("USAGE_UNKNOWN", "warning", reads=("consumption_detail", "environments"))
def usage_unknown(plan: Plan) -> Iterator[Finding]:
    """An environment's usage of a capacity type is not measured and the rule set has no planning
    estimate for it, so the plan counts 0 GB. The message says where to give the size: the
    inventory column, the scenario file's change, or ``--add-sandbox NAME:TIER=GB`` for a
    sandbox added on the command line.
    """
    unknown = plan.consumption_detail.estimates_used
    # Unknown usage that grows is GROWTH_FROM_UNKNOWN_START's to report.
    unknown = unknown[
        holds(unknown["confidence"], "unknown") & (unknown["growth_gb_per_month"] <= 0).to_numpy()
    ]
    if unknown.empty:
        return
    # Where each environment named came from and its tier (of a name given twice, its last row's).
    environments = plan.environments
    names_of = environments["name"].astype(str).to_numpy()
    named = among(names_of, set(unknown["environment"].astype(str).tolist()))
    names_of = names_of[named].tolist()
    origin = dict(zip(names_of, environments["source"].to_numpy()[named].tolist(), strict=True))
    tiers = dict(zip(names_of, environments["tier"].to_numpy()[named].tolist(), strict=True))
    for capacity_type, rows in unknown.groupby("capacity_type", sort=True):
        names = sorted(rows["environment"].astype(str).tolist())
        # The advice depends on the name only for a sandbox added on the command line: found
        # once per source otherwise, and the names grouped by advice in C.
        sources = list(map(str, map(origin.get, names, repeat(""))))
        by_source = {
            source: _where_to_give(source, "", str(capacity_type))
            for source in dict.fromkeys(sources)
            if not source.startswith("--add-sandbox")
        }
        advice = list(map(by_source.get, sources))
        for position in [i for i, given in enumerate(advice) if given is None]:
            name, tier = names[position], tiers.get(names[position])
            advice[position] = _where_to_give(
                sources[position],
                f"{name}:{int(tier)}" if tier == tier and tier is not None else f"{name}:TIER",
                str(capacity_type),
            )
        codes, advices = pd.factorize(np.array(advice, dtype=object))
        for code, text in enumerate(advices.tolist()):
            group = np.flatnonzero(codes == code)
            shown = ", ".join(names[i] for i in group[:10].tolist()) + (
                f" and {len(group) - 10} more" if len(group) > 10 else ""
            )
            yield Finding(
                "USAGE_UNKNOWN",
                "warning",
                str(capacity_type),
                f"{capacity_type} usage of {shown} is not measured and has no planning estimate; "
                f"counted as 0 GB. {text}",
            )


def _where_to_give(source: str, name_and_tier: str, capacity_type: str) -> str:
    """Where the size of an environment's capacity type can be given, by where the row came
    from: an inventory, a scenario file's change, or a command-line flag."""
    column = f"{capacity_type}_gb"
    if source.startswith("--add-sandbox"):
        if capacity_type == "operations_database":
            return (
                "Give the new sandbox's size on the command line: "
                f"--add-sandbox {name_and_tier}=GB."
            )
        return (
            f"--add-sandbox gives only the Operations database size; give {column} in a scenario "
            "file's add_environment change."
        )
    if ", changes[" in source:
        return f"Give {column} in the add_environment change ({source})."
    return f"Fill in {column} in the inventory."


@check("GROWTH_NOT_FITTED", "warning")
def growth_not_fitted(plan: Plan) -> Iterator[Finding]:
    """``--history`` was given, but an environment has too few dated snapshots of a capacity type
    (three are needed) for its growth to be fitted; it grows only as the inventory says. Add
    snapshots, or write the growth into the inventory.
    """
    fits = plan.inputs.growth_fits
    if fits.empty:
        return
    short = fits[~fits["fitted"].astype(bool)]
    for environment, rows in short.groupby("environment", sort=True):
        types = ", ".join(sorted(rows["capacity_type"]))
        yield Finding(
            "GROWTH_NOT_FITTED",
            "warning",
            str(environment),
            f"growth of {environment} ({types}) was not fitted: "
            f"{rows['note'].iloc[0].removeprefix('not fitted: ')}.",
        )
