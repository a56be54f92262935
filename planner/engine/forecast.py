"""Month by month: totals per pool, borrowing between pools, status, shortfalls and add-ons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import msgspec
import numpy as np
import pandas as pd

from planner.ruleset import RuleSet

if TYPE_CHECKING:
    from planner.model.changes import Change

# Differences smaller than this are rounding noise of float sums, not a deficit.
TOLERANCE_GB = 1e-9


class Forecast(msgspec.Struct, frozen=True):
    """The forecast of every pool (capacity type) and month, as the admin center would judge it.

    ``borrowed``/``lent``/``available`` are about the overage: what covers a deficit, in the rule
    set's borrowing order, and what is left (negative = the effective deficit). ``effective``,
    ``remaining`` and ``borrowed_from`` are about the notification: a borrower counts spare
    capacity of its lenders up to its warning line (see :func:`effective_capacity`).
    """

    months: list[str]
    entitled: np.ndarray  # pools x months
    consumed: np.ndarray
    borrowed: np.ndarray  # capacity received from other pools to cover a deficit
    lent: np.ndarray  # capacity given to other pools to cover their deficit
    available: np.ndarray  # after borrowing; below zero by the effective deficit
    effective: np.ndarray  # own entitlement plus what the pool counts as borrowed (notification)
    remaining: np.ndarray  # share of the effective capacity left, 0 when over
    borrowed_from: dict[tuple[str, str], np.ndarray]  # (lender, borrower) -> GB per month
    status: np.ndarray  # pools x months of STATUSES
    table: pd.DataFrame  # one row per month and pool
    shortfalls: pd.DataFrame

    @property
    def deficit(self) -> np.ndarray:
        """The effective deficit of every pool and month (0 where there is none)."""
        return np.where(self.available < -TOLERANCE_GB, -self.available, 0.0)


# Status codes from best to worst, as in the JSON.
STATUSES = ("ok", "warning", "critical", "over")


def borrow(available: np.ndarray, ruleset: RuleSet) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cover pools that are over with spare capacity of others, in the rule set's order.

    ``available`` is entitlement minus consumption (pools x months). Works on whole month
    vectors at once; a lender never goes below zero and lends only its own spare capacity.
    Returns what is left after borrowing, what each pool received and what it gave.
    """
    after, moved = _cover(available, ruleset)
    borrowed = np.zeros_like(after)
    lent = np.zeros_like(after)
    index = {p: i for i, p in enumerate(ruleset.pool_names)}
    for (lender, borrower), amount in moved.items():
        lent[index[lender]] += amount
        borrowed[index[borrower]] += amount
    return after, borrowed, lent


def _cover(
    available: np.ndarray, ruleset: RuleSet
) -> tuple[np.ndarray, dict[tuple[str, str], np.ndarray]]:
    index = {p: i for i, p in enumerate(ruleset.pool_names)}
    after = available.astype(float).copy()
    spare = np.clip(after, 0, None)
    moved: dict[tuple[str, str], np.ndarray] = {}
    for rule in ruleset.borrowing:
        lender, borrower = index[rule.lender], index[rule.borrower]
        amount = np.minimum(spare[lender], np.clip(-after[borrower], 0, None))
        spare[lender] -= amount
        after[lender] -= amount
        after[borrower] += amount
        moved[(rule.lender, rule.borrower)] = amount
    return after, moved


def effective_capacity(
    entitled: np.ndarray, consumed: np.ndarray, ruleset: RuleSet
) -> tuple[np.ndarray, dict[tuple[str, str], np.ndarray]]:
    """The capacity each pool is judged on for the admin center's notifications, and what it
    counts as borrowed from whom.

    Two passes over the rule set's borrowing order, month vectors at once:

    1. Deficits: a pool over its own entitlement borrows the spare capacity of its lenders until
       the deficit is covered (as :func:`borrow`).
    2. Notification: a pool still above its warning line (85% used when the warning share is
       15%) counts more spare capacity of its lenders, up to that line. A pool that lent in the
       first pass keeps the status of its own entitlement and consumption and counts nothing;
       a pool above its own line lends nothing in this pass.

    The first pass alone decides deficits, so the second never moves capacity a deficit needs.
    """
    index = {p: i for i, p in enumerate(ruleset.pool_names)}
    own = entitled - consumed
    _, moved = _cover(own, ruleset)
    received = np.zeros_like(own, dtype=float)
    given = np.zeros_like(own, dtype=float)
    for (lender, borrower), amount in moved.items():
        received[index[borrower]] += amount
        given[index[lender]] += amount
    spare = np.clip(own, 0, None) - given
    line = 1.0 - ruleset.thresholds.warning_remaining.value
    with np.errstate(all="ignore"):
        wanted = np.clip(consumed / line - entitled - received, 0, None)
    wanted = np.where(given > TOLERANCE_GB, 0.0, wanted)
    lendable = np.where(consumed > line * entitled + TOLERANCE_GB, 0.0, spare)
    for rule in ruleset.borrowing:
        lender, borrower = index[rule.lender], index[rule.borrower]
        amount = np.minimum(lendable[lender], wanted[borrower])
        lendable[lender] -= amount
        wanted[borrower] -= amount
        received[borrower] += amount
        moved[(rule.lender, rule.borrower)] = moved[(rule.lender, rule.borrower)] + amount
    return entitled + received, moved


def pool_status(
    effective: np.ndarray, consumed: np.ndarray, available: np.ndarray, ruleset: RuleSet
) -> tuple[np.ndarray, np.ndarray]:
    """The status code of every pool and month, and the share of effective capacity left.

    ``over`` when a deficit is left after borrowing; ``critical`` when less than the critical
    share (5%) of the effective capacity is left; ``warning`` below the warning share (15%);
    else ``ok``. A pool with no capacity and no consumption has all of its nothing left.
    """
    with np.errstate(all="ignore"):
        remaining = np.where(
            effective > TOLERANCE_GB,
            (effective - consumed) / effective,
            np.where(consumed > TOLERANCE_GB, 0.0, 1.0),
        )
    remaining = np.clip(remaining, 0.0, None)
    # Shares exactly on a line (a borrower topped up to 85%) are not below it.
    below = ruleset.thresholds
    warning = remaining < below.warning_remaining.value - SHARE_TOLERANCE
    critical = remaining < below.critical_remaining.value - SHARE_TOLERANCE
    status = np.where(
        available < -TOLERANCE_GB,
        "over",
        np.where(critical, "critical", np.where(warning, "warning", "ok")),
    )
    return status, remaining


# Shares closer than this to a threshold count as on it (float rounding of divisions).
SHARE_TOLERANCE = 1e-9


def compute_forecast(
    entitled: np.ndarray, consumed: np.ndarray, months: list[str], ruleset: RuleSet
) -> Forecast:
    available, borrowed, lent = borrow(entitled - consumed, ruleset)
    effective, borrowed_from = effective_capacity(entitled, consumed, ruleset)
    status, remaining = pool_status(effective, consumed, available, ruleset)
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
            "effective_entitled_gb": effective.ravel(),
            "remaining_share": remaining.ravel(),
            "effective_deficit_gb": np.where(available < -TOLERANCE_GB, -available, 0.0).ravel(),
        }
    )
    return Forecast(
        months=months,
        entitled=entitled,
        consumed=consumed,
        borrowed=borrowed,
        lent=lent,
        available=available,
        effective=effective,
        remaining=remaining,
        borrowed_from=borrowed_from,
        status=status,
        table=table,
        shortfalls=shortfalls(available, months, ruleset),
    )


def lenders_of(forecast: Forecast, pool: str, month: int) -> dict[str, float]:
    """What ``pool`` counts as borrowed in month index ``month``, by lender (GB > 0 only)."""
    return {
        lender: float(amount[month])
        for (lender, borrower), amount in forecast.borrowed_from.items()
        if borrower == pool and amount[month] > TOLERANCE_GB
    }


SHORTFALL_COLUMNS = (
    "pool",
    "first_month",
    "peak_deficit_gb",
    "peak_month",
    "growing_at_end",
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
        # A deficit that still rises in the horizon's last month has not peaked: the last month
        # is only where the plan stops looking.
        last = available[position, -1]
        growing = (
            len(months) > 1
            and last < -TOLERANCE_GB
            and last < available[position, -2] - TOLERANCE_GB
        )
        addon = ruleset.addons.get(pool)
        units = addon.units_for(deficit) if addon else None
        price = addon.price_usd_per_month if addon else None
        rows.append(
            {
                "pool": pool,
                "first_month": months[first],
                "peak_deficit_gb": deficit,
                "peak_month": months[peak_index],
                "growing_at_end": bool(growing),
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


BOUGHT_COLUMNS = (
    "pool",
    "addon_sku",
    "units",
    "unit_gb",
    "gb",
    "buy_month",
    "monthly_cost_usd",
    "horizon_cost_usd",
    "priced",
    "origin",
)


def bought_addons(changes: Sequence[Change], ruleset: RuleSet, months: list[str]) -> pd.DataFrame:
    """Capacity add-ons a scenario's planned changes buy (``buy_addon``, or added licenses of an
    add-on's part number), with their cost: what a scenario buys costs money like what it still
    has to buy. Held from the change's month to the horizon."""
    if not changes:  # most plans: without loading the change classes
        return pd.DataFrame([], columns=list(BOUGHT_COLUMNS))
    from planner.model.changes import AddLicenses, BuyAddon, RemoveLicenses

    by_sku = {addon.sku.casefold(): addon for addon in ruleset.addons.values()}
    rows = []
    for change in changes:
        if isinstance(change, BuyAddon):
            addon = ruleset.addons.get(change.pool)
            if addon is None:
                continue
            units = addon.units_for(float(change.gb))
        elif isinstance(change, AddLicenses | RemoveLicenses) and change.sku.casefold() in by_sku:
            addon = by_sku[change.sku.casefold()]
            sign = -1 if isinstance(change, RemoveLicenses) else 1
            units = sign * int(change.quantity)
        else:
            continue
        if units == 0 or not 0 <= change.month < len(months):
            continue
        price = addon.price_usd_per_month
        held = len(months) - change.month
        rows.append(
            {
                "pool": addon.pool,
                "addon_sku": addon.sku,
                "units": units,
                "unit_gb": addon.unit.gb,
                "gb": units * addon.unit.gb,
                "buy_month": months[change.month],
                "monthly_cost_usd": None if price is None else units * price,
                "horizon_cost_usd": None if price is None else units * price * held,
                "priced": price is not None,
                "origin": change.origin,
            }
        )
    return pd.DataFrame(rows, columns=list(BOUGHT_COLUMNS))
