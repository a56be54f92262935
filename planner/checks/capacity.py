"""Findings about capacity: pools running low or over, and usage nobody measured."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from planner.checks import check
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
    for row in plan.shortfalls.itertuples(index=False):
        cost = (
            f" (${row.monthly_cost_usd:,.2f} per month)"
            if row.monthly_cost_usd is not None and not np.isnan(row.monthly_cost_usd)
            else " (unpriced)"
        )
        buy = (
            f"buy {row.addon_units} x {row.addon_sku}{cost}"
            if row.addon_sku
            else "the rule set names no add-on for this pool"
        )
        yield Finding(
            "CAPACITY_OVER",
            "error",
            str(row.pool),
            f"{row.pool} is over from {row.first_month}; the deficit peaks at "
            f"{format_gb(row.peak_deficit_gb)} in {row.peak_month}: {buy}.",
            month=str(row.first_month),
        )


@check("CAPACITY_WARNING", "warning")
def capacity_warning(plan: Plan) -> Iterator[Finding]:
    """A pool falls below the warning share of its entitlement remaining (15%; a second warning
    below 5%) without being over, now or within the horizon. The message says in which month.
    """
    forecast = plan.forecast
    warning = plan.ruleset.thresholds.warning_remaining.value
    critical = plan.ruleset.thresholds.critical_remaining.value
    for position, pool in enumerate(plan.ruleset.pool_names):
        status = forecast.status[position]
        if (status == "over").any():
            continue  # CAPACITY_OVER says more
        low = np.flatnonzero(status == "warning")
        if not len(low):
            continue
        first = int(low[0])
        worst = forecast.critical[position]
        share = f"{critical:.0%}" if worst.any() else f"{warning:.0%}"
        month = (
            forecast.months[int(np.flatnonzero(worst)[0])]
            if worst.any()
            else forecast.months[first]
        )
        yield Finding(
            "CAPACITY_WARNING",
            "warning",
            pool,
            f"{pool} has less than {share} of its entitlement left from {month} "
            f"({format_gb(forecast.available[position, first])} available in "
            f"{forecast.months[first]}); plan a clean-up or an add-on before it runs out.",
            month=month,
        )


@check("USAGE_UNKNOWN", "warning")
def usage_unknown(plan: Plan) -> Iterator[Finding]:
    """An environment's usage of a capacity type is not measured and the rule set has no planning
    estimate for it, so the plan counts 0 GB. Put the measured size in the inventory column named
    in the message.
    """
    unknown = plan.consumption_detail.estimates_used
    unknown = unknown[unknown["confidence"] == "unknown"]
    for capacity_type, rows in unknown.groupby("capacity_type", sort=True):
        names = sorted(rows["environment"])
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        yield Finding(
            "USAGE_UNKNOWN",
            "warning",
            str(capacity_type),
            f"{capacity_type} usage of {shown} is not measured and has no planning estimate; "
            f"counted as 0 GB. Fill in {capacity_type}_gb in the inventory.",
        )


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
