"""The storage overage lifecycle: on which dates a tenant that stays over loses what.

The capacity-storage page describes it for Dataverse-only tenants. From T0, the first day the
tenant's effective consumption is above its capacity (a deficit left after borrowing in any
capacity type):

1. environments can no longer be created, copied, restored or recovered;
2. after ``overage.stage_2_after_days`` days, sandboxes go into administration mode;
3. after ``overage.stage_3_after_days`` days, sandboxes are disabled (their data is kept).

Production environments never reach stages 2 and 3, nor do sandboxes billed pay-as-you-go.
Tenants with finance and operations environments or Operations consumption are out of scope.

The plan works in months: T0 is the first day of the first month with a deficit, and the tenant
is taken to stay over until the first day of the first month without one. A deficit that clears
and comes back starts the lifecycle again, from its own T0.
"""

from __future__ import annotations

import datetime as dt
import heapq

import msgspec
import numpy as np
import pandas as pd

from planner.engine.consumption import Consumption
from planner.engine.forecast import TOLERANCE_GB, Forecast
from planner.model.inputs import FINANCE_OPERATIONS_TYPES
from planner.model.months import first_day
from planner.ruleset import RuleSet

STAGE_NAMES = {
    1: "Environment create, copy, restore and recover blocked",
    2: "Sandboxes in administration mode",
    3: "Sandboxes disabled (data kept)",
}
# Environment types that go into administration mode and are disabled (sandboxes of a
# Dataverse-only tenant); production and default environments never do.
SANDBOX_TYPES = ("dataverse_sandbox",)
OPERATIONS_TYPES = ("operations_database", "operations_file")


class Stage(msgspec.Struct, frozen=True):
    stage: int  # 1, 2 or 3
    name: str
    starts: str  # YYYY-MM-DD
    month: str  # YYYY-MM the date falls in
    t0: str  # YYYY-MM-DD the lifecycle it belongs to started
    environments: tuple[str, ...]


class Lifecycle(msgspec.Struct, frozen=True):
    stages: tuple[Stage, ...]
    # Why the lifecycle does not apply to this tenant, or None when it does.
    note: str | None


def overage_lifecycle(
    forecast: Forecast,
    environments: pd.DataFrame,
    consumption: Consumption,
    ruleset: RuleSet,
) -> Lifecycle:
    """The stages a tenant reaches within the horizon, with their dates and environments."""
    overage = ruleset.overage
    if overage is None:
        return Lifecycle((), "the rule set states no overage lifecycle")
    months = forecast.months
    over = (forecast.available < -TOLERANCE_GB).any(axis=0)
    operations = _operations_reason(environments, consumption, len(months))
    if operations:
        return Lifecycle(
            (),
            "the storage overage lifecycle (administration mode, then disabled sandboxes) "
            f"applies only to Dataverse-only tenants; this tenant has {operations}. An "
            "overage is still a licensing matter: buy capacity or clean up.",
        )
    offsets = {
        2: int(overage.stage_2_after_days.value),
        3: int(overage.stage_3_after_days.value),
    }
    horizon_end = _month_after(months[-1])
    stages: list[Stage] = []
    for start, stop in _runs(over):
        t0 = first_day(months[start])
        until = first_day(months[stop]) if stop < len(months) else horizon_end
        stages.append(
            Stage(
                1,
                STAGE_NAMES[1],
                t0.isoformat(),
                months[start],
                t0.isoformat(),
                _alive(environments, start, sandboxes_only=False),
            )
        )
        for number, days in offsets.items():
            date = t0 + dt.timedelta(days=days)
            if date >= until:
                break
            month = date.strftime("%Y-%m")
            stages.append(
                Stage(
                    number,
                    STAGE_NAMES[number],
                    date.isoformat(),
                    month,
                    t0.isoformat(),
                    _alive(environments, months.index(month), sandboxes_only=True),
                )
            )
    return Lifecycle(tuple(stages), None)


def _runs(over: np.ndarray) -> list[tuple[int, int]]:
    """(first, after last) month positions of each run of months with a deficit."""
    runs: list[tuple[int, int]] = []
    position = 0
    count = len(over)
    while position < count:
        if not over[position]:
            position += 1
            continue
        start = position
        while position < count and over[position]:
            position += 1
        runs.append((start, position))
    return runs


def _alive(environments: pd.DataFrame, month: int, *, sandboxes_only: bool) -> tuple[str, ...]:
    """Names of the environments there in a month; with ``sandboxes_only``, the sandboxes that
    are not billed pay-as-you-go."""
    there = (environments["start_month"] <= month) & (environments["end_month"] > month)
    if sandboxes_only:
        there &= environments["type"].isin(SANDBOX_TYPES) & ~environments["payg"].astype(bool)
    return tuple(sorted(environments.loc[there, "name"].astype(str), key=str.casefold))


def _operations_reason(environments: pd.DataFrame, consumption: Consumption, months: int) -> str:
    """Why the tenant is not Dataverse-only within the horizon, or "" when it is."""
    operations = environments["type"].isin(FINANCE_OPERATIONS_TYPES) & (
        environments["start_month"] < months
    )
    if operations.any():
        # Only the first three names are shown: picked without sorting them all (as sorted()
        # would pick them, ties in their order), from the one column rather than every one.
        names = environments.loc[operations, "name"].astype(str).tolist()
        shown = ", ".join(heapq.nsmallest(3, names, key=str.casefold))
        shown += f" and {len(names) - 3} more" if len(names) > 3 else ""
        return f"finance and operations environments ({shown})"
    for capacity_type in OPERATIONS_TYPES:
        if capacity_type not in consumption.usage or not len(environments):
            continue
        if (consumption.month_totals(capacity_type, months) > TOLERANCE_GB).any():
            return "Operations storage consumption"
    return ""


def _month_after(month: str) -> dt.date:
    day = first_day(month)
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
