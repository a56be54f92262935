"""Month by month: totals per pool, borrowing between pools, status, shortfalls and add-ons."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.ruleset import RuleSet

# Differences smaller than this are rounding noise of float sums, not a deficit.
TOLERANCE_GB = 1e-9


@dataclass(frozen=True)
class Forecast:
    months: list[str]
    entitled: np.ndarray  # pools x months
    consumed: np.ndarray
    borrowed: np.ndarray  # capacity received from other pools
    lent: np.ndarray  # capacity given to other pools
    available: np.ndarray  # after borrowing
    status: np.ndarray  # pools x months of "ok" | "warning" | "over"
    critical: np.ndarray  # pools x months: below the critical remaining share
    table: pd.DataFrame  # one row per month and pool
    shortfalls: pd.DataFrame


def borrow(available: np.ndarray, ruleset: RuleSet) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cover pools that are over with spare capacity of others, in the rule set's order.

    Works on whole month vectors at once; a lender never goes below zero.
    """
    index = {p: i for i, p in enumerate(ruleset.pool_names)}
    after = available.astype(float).copy()
    borrowed = np.zeros_like(after)
    lent = np.zeros_like(after)
    for rule in ruleset.borrowing:
        lender, borrower = index[rule.lender], index[rule.borrower]
        moved = np.minimum(np.clip(after[lender], 0, None), np.clip(-after[borrower], 0, None))
        after[lender] -= moved
        after[borrower] += moved
        lent[lender] += moved
        borrowed[borrower] += moved
    return after, borrowed, lent


def pool_status(
    entitled: np.ndarray, available: np.ndarray, ruleset: RuleSet
) -> tuple[np.ndarray, np.ndarray]:
    """ok, warning (below the warning share remaining) or over (negative after borrowing)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        remaining = np.where(entitled > 0, available / entitled, np.where(available < 0, -1.0, 1.0))
    warning = remaining < ruleset.thresholds.warning_remaining.value
    critical = remaining < ruleset.thresholds.critical_remaining.value
    status = np.where(available < -TOLERANCE_GB, "over", np.where(warning, "warning", "ok"))
    return status, critical & (status != "over")


def compute_forecast(
    entitled: np.ndarray, consumed: np.ndarray, months: list[str], ruleset: RuleSet
) -> Forecast:
    available, borrowed, lent = borrow(entitled - consumed, ruleset)
    status, critical = pool_status(entitled, available, ruleset)
    pools = ruleset.pool_names
    count = len(months)
    table = pd.DataFrame(
        {
            "month": np.tile(months, len(pools)),
            "pool": np.repeat(pools, count),
            "entitled_gb": entitled.ravel(),
            "consumed_gb": consumed.ravel(),
            "borrowed_gb": borrowed.ravel(),
            "lent_gb": lent.ravel(),
            "available_gb": available.ravel(),
            "status": status.ravel(),
        }
    )
    return Forecast(
        months=months,
        entitled=entitled,
        consumed=consumed,
        borrowed=borrowed,
        lent=lent,
        available=available,
        status=status,
        critical=critical,
        table=table,
        shortfalls=shortfalls(available, months, ruleset),
    )


SHORTFALL_COLUMNS = (
    "pool",
    "first_month",
    "peak_deficit_gb",
    "peak_month",
    "addon_sku",
    "addon_unit_gb",
    "addon_units",
    "monthly_cost_usd",
    "price_source",
    "note",
)


def shortfalls(available: np.ndarray, months: list[str], ruleset: RuleSet) -> pd.DataFrame:
    """Pools that are over after borrowing in some month, and the add-on purchase that covers them.

    ``addon_units`` = ceil(peak deficit / unit size); the cost is units x list price, or None where
    the rule set knows no price.
    """
    rows = []
    for position, pool in enumerate(ruleset.pool_names):
        over = available[position] < -TOLERANCE_GB
        if not over.any():
            continue
        first = int(np.argmax(over))
        peak_index = int(np.argmin(available[position]))
        deficit = float(-available[position, peak_index])
        addon = ruleset.addons.get(pool)
        units = addon.units_for(deficit) if addon else None
        price = addon.price_usd_per_month if addon else None
        rows.append(
            {
                "pool": pool,
                "first_month": months[first],
                "peak_deficit_gb": deficit,
                "peak_month": months[peak_index],
                "addon_sku": addon.sku if addon else None,
                "addon_unit_gb": addon.unit.gb if addon else None,
                "addon_units": units,
                "monthly_cost_usd": None if price is None or units is None else units * price,
                "price_source": addon.unit.source.url if addon else None,
                "note": (
                    "no add-on for this pool in the rule set"
                    if addon is None
                    else ("unpriced: no list price known" if price is None else addon.note)
                ),
            }
        )
    return pd.DataFrame(rows, columns=list(SHORTFALL_COLUMNS))


PURCHASE_COLUMNS = (
    "pool",
    "addon_sku",
    "units",
    "unit_gb",
    "gb",
    "buy_month",
    "monthly_cost_usd",
    "horizon_cost_usd",
    "buffer_pct",
    "priced",
    "note",
)


def recommend_purchases(
    forecast: Forecast, ruleset: RuleSet, buffer_pct: float = 0.0, buy_at: str = "first-shortfall"
) -> pd.DataFrame:
    """The add-on purchase that keeps every pool out of overage over the horizon.

    With a buffer of b (a share of the entitlement to keep free), a pool needs x more GB in a
    month where available + x < b (entitled + x): x = (b entitled - available) / (1 - b).
    Capacity borrowed from other pools counts against a deficit but not towards the buffer: a
    pool kept afloat by borrowing has no headroom of its own. ``buy_at`` is ``now`` (month 0) or
    ``first-shortfall`` (the first month that needs it); the units cover the largest need from
    then to the horizon.
    """
    share = buffer_pct / 100.0
    own = forecast.available - forecast.borrowed if share > 0 else forecast.available
    need = (share * forecast.entitled - own) / (1.0 - share)
    rows = []
    for position, pool in enumerate(ruleset.pool_names):
        short = need[position] > TOLERANCE_GB
        if not short.any():
            continue
        first = 0 if buy_at == "now" else int(np.argmax(short))
        peak = float(need[position, first:].max())
        addon = ruleset.addons.get(pool)
        if addon is None:
            rows.append(
                {
                    "pool": pool,
                    "addon_sku": None,
                    "units": None,
                    "unit_gb": None,
                    "gb": peak,
                    "buy_month": forecast.months[first],
                    "monthly_cost_usd": None,
                    "horizon_cost_usd": None,
                    "buffer_pct": buffer_pct,
                    "priced": False,
                    "note": "the rule set names no add-on for this pool",
                }
            )
            continue
        units = addon.units_for(peak)
        price = addon.price_usd_per_month
        held = len(forecast.months) - first
        rows.append(
            {
                "pool": pool,
                "addon_sku": addon.sku,
                "units": units,
                "unit_gb": addon.unit.gb,
                "gb": units * addon.unit.gb,
                "buy_month": forecast.months[first],
                "monthly_cost_usd": None if price is None else units * price,
                "horizon_cost_usd": None if price is None else units * price * held,
                "buffer_pct": buffer_pct,
                "priced": price is not None,
                "note": "unpriced: no list price known" if price is None else addon.note,
            }
        )
    return pd.DataFrame(rows, columns=list(PURCHASE_COLUMNS))
