"""Findings about setting things up: a planned link or new environment needs free capacity in the
month it is set up, before it exists.

The plan's inputs already hold each change's effect, so the forecast of the change's month shows
the pool *after* it. The capacity *before* it is rebuilt from the same numbers: the change's own
rows are taken out again (and the rows it replaced put back), using the engine's counting rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner.checks.integration import purchase_text
from planner.checks.registry import check
from planner.checks.timeline import LINK_KINDS, among, dataverse_pool, pool_title
from planner.engine.consumption import DATAVERSE_TYPES, compute_consumption
from planner.engine.forecast import TOLERANCE_GB, borrow
from planner.model.inputs import CAPACITY_TYPES, NEVER
from planner.model.units import format_gb
from planner.results import Finding

if TYPE_CHECKING:
    from planner.model.changes import Change
    from planner.results import Plan

SETUP_KINDS = ("add_environment", *LINK_KINDS)


def _pool_use(plan: Plan, rows: pd.DataFrame, month: int) -> np.ndarray:
    """What some inventory rows consume per pool in a month, counted as the engine counts."""
    if rows.empty:
        return np.zeros(len(plan.ruleset.pool_names))
    return compute_consumption(rows, plan.ruleset, month + 1).by_pool[:, month]


def _pool_use_of_rows(plan: Plan, rows: pd.DataFrame, months: np.ndarray) -> np.ndarray:
    """What each of some inventory rows consumes per pool (rows x pools) in the month given
    for it, counted as the engine counts: the same bits as :func:`_pool_use` of each row
    alone, worked out for all at once (one counting of the rows rather than one per row: 200
    new sandboxes took 4 s beside a large inventory). The engine counts each row on its own;
    a pool's use is the sum of what its capacity types count, added in the engine's order."""
    ruleset = plan.ruleset
    pools = {name: position for position, name in enumerate(ruleset.pool_names)}
    use = np.zeros((len(rows), len(pools)))
    if rows.empty:
        return use
    consumption = compute_consumption(rows, ruleset, int(months.max()) + 1)
    for capacity_type in CAPACITY_TYPES:
        usage = consumption.usage[capacity_type]
        counting = usage.applies & ~usage.not_counted
        column = pools[ruleset.pool_of(capacity_type)]
        for month in np.unique(months).tolist():
            chosen = np.flatnonzero(counting & (months == month))
            if len(chosen):
                use[chosen, column] += consumption.counted_gb(capacity_type, chosen, month)
    return use


def _rows_named(inventory: pd.DataFrame, subjects: set[str]) -> dict[str, np.ndarray]:
    """The positions of the inventory rows of each of ``subjects`` (names as written): one pass
    over the inventory for all of a scenario's changes, not one per change."""
    names = inventory["name"].to_numpy()
    positions = np.flatnonzero(among(names, subjects))
    found: dict[str, list[int]] = {}
    for position, name in zip(positions.tolist(), names[positions].tolist(), strict=True):
        found.setdefault(name, []).append(position)
    return {name: np.array(rows, dtype=np.int64) for name, rows in found.items()}


def _before_and_after(
    plan: Plan, named: np.ndarray, month: int, group: list[Change]
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The rows the changes of one environment (its inventory rows at positions ``named``)
    created in ``month``, and the rows they replaced (what the environment would be without
    them); None when they create no row in that month."""
    inventory = plan.inputs.environments
    starts = inventory["start_month"].to_numpy()[named]
    ends = inventory["end_month"].to_numpy()[named]
    created = inventory.iloc[named[(starts == month) & (ends > month)]]
    if created.empty:
        return None
    kinds = {c.kind for c in group}
    if "add_environment" in kinds:
        replaced = inventory.iloc[0:0]
    else:
        # The rows the change ended, as if they went on: what the environment would use without
        # the change.
        replaced = inventory.iloc[named[(starts < month) & (ends == month)]].assign(end_month=NEVER)
        if replaced.empty:
            # A change in the environment's first month replaces its row outright; rebuild the
            # unlinked state from the type's default Power Platform state and the estimates.
            replaced = created.assign(power_platform="", linked_to="")
            for capacity_type in DATAVERSE_TYPES:
                replaced[f"{capacity_type}_gb"] = np.nan
                replaced[f"{capacity_type}_actual_gb"] = np.nan
    return created, replaced


def _added(plan: Plan, setups: list[tuple[int, pd.DataFrame, pd.DataFrame]]) -> list[np.ndarray]:
    """How much more each pool uses in the month of each setup (month, rows created, rows
    replaced) because of it. Setups of one row each way (the usual: an environment is one row
    in a month) are counted together, row by row; any other on its own, as the engine sums its
    rows."""
    single = [
        index
        for index, (_, created, replaced) in enumerate(setups)
        if len(created) == 1 and len(replaced) <= 1
    ]
    added: list[np.ndarray] = [np.zeros(0)] * len(setups)
    for index in sorted(set(range(len(setups))) - set(single)):
        month, created, replaced = setups[index]
        added[index] = _pool_use(plan, created, month) - _pool_use(plan, replaced, month)
    if not single:
        return added
    months = np.array([setups[index][0] for index in single], dtype=np.int64)
    created_use = _pool_use_of_rows(
        plan, pd.concat([setups[index][1] for index in single], ignore_index=True), months
    )
    with_replaced = [index for index in single if len(setups[index][2])]
    replaced_use = np.zeros_like(created_use)
    if with_replaced:
        at = np.searchsorted(single, with_replaced)
        replaced_use[at] = _pool_use_of_rows(
            plan,
            pd.concat([setups[index][2] for index in with_replaced], ignore_index=True),
            months[at],
        )
    for row, index in enumerate(single):
        added[index] = created_use[row] - replaced_use[row]
    return added


def _what(plan: Plan, subject: str, kinds: set[str], group: list[Change]) -> str:
    from planner.model.changes import AddEnvironment, LinkExistingDataverse  # see LINK_KINDS

    link_existing = next((c for c in group if isinstance(c, LinkExistingDataverse)), None)
    if "add_environment" in kinds and kinds & set(LINK_KINDS):
        return f"deploying {subject} with Power Platform integration"
    if "add_environment" in kinds:
        kind = next(c.type for c in group if isinstance(c, AddEnvironment))
        return f"creating {subject}" + (f" ({kind})" if kind else "")
    if link_existing is not None:
        return f"linking {subject} to {link_existing.target}"
    return f"Power Platform integration of {subject} with a new Dataverse database"


@check("SETUP_INSUFFICIENT_CAPACITY", "error")
def setup_insufficient_capacity(plan: Plan) -> Iterator[Finding]:
    """A planned link or new environment would fail to set up for lack of capacity.

    Creating an environment, adding Dataverse to one or linking one needs a minimum of free
    capacity (the rule set's provisioning minimum) in the pool Dataverse databases draw on, and
    room for what the change adds to it (for a link: the new database less the initial
    environment it grows out of). Checked in the month each ``link_new_dataverse``,
    ``link_existing_dataverse`` or ``add_environment`` change takes effect (new environments
    only when they have a counted Power Platform environment), against the capacity available after
    borrowing *before* the change, with every other change of that month already made. The
    message says how many whole add-on units to buy first; with them in place, resume the
    setup.
    """
    position, pool = dataverse_pool(plan)
    minimum = plan.ruleset.thresholds.provisioning_minimum
    forecast = plan.forecast
    environments = plan.environments

    groups: dict[tuple[str, int], list[Change]] = {}
    for change in plan.changes:
        if change.kind in SETUP_KINDS and 0 <= change.month < plan.months:
            groups.setdefault((change.subject, change.month), []).append(change)

    rows_of = _rows_named(plan.inputs.environments, {subject for subject, _ in groups})
    none = np.zeros(0, dtype=np.int64)
    setups: list[tuple[str, int, list[Change], pd.DataFrame, pd.DataFrame]] = []
    for (subject, month), group in sorted(groups.items(), key=lambda g: (g[0][1], g[0][0])):
        found = _before_and_after(plan, rows_of.get(subject, none), month, group)
        if found is None:
            continue
        created, replaced = found
        if not {c.kind for c in group} & set(LINK_KINDS):
            # A new environment without a counted Power Platform environment (a trial, a
            # cloud-hosted environment deployed without integration) provisions nothing here.
            rows = environments.loc[created.index]
            if not (rows["counted"] & rows["has_power_platform"]).any():
                continue
        setups.append((subject, month, group, created, replaced))
    each_added = _added(
        plan, [(month, created, replaced) for _, month, _, created, replaced in setups]
    )
    for (subject, month, group, _, _), added in zip(setups, each_added, strict=True):
        kinds = {c.kind for c in group}
        free = forecast.entitled[:, month] - forecast.consumed[:, month] + added
        before = float(borrow(free[:, None], plan.ruleset)[0][position, 0])
        adds = float(added[position])
        short_of_minimum = before < minimum.gb - TOLERANCE_GB
        short_of_room = before < adds - TOLERANCE_GB
        if not (short_of_minimum or short_of_room):
            continue
        need = max(minimum.gb, adds) - before
        label = group[0].month_label
        what = _what(plan, subject, kinds, group)
        room = f" and room for the {format_gb(adds)} it adds" if adds > TOLERANCE_GB else ""
        available = (
            f"only {format_gb(before)} is available before it"
            if before >= 0
            else f"the pool is already over by {format_gb(-before)} before it"
        )
        yield Finding(
            "SETUP_INSUFFICIENT_CAPACITY",
            "error",
            subject,
            f"{what[0].upper()}{what[1:]} in {label} needs at least {minimum.text} of "
            f"{pool_title(plan, pool)} "
            f"capacity available{room}, but {available}: setup would fail. Buy "
            f"{purchase_text(plan.ruleset, pool, need)} by {label}, then resume the setup.",
            month=label,
        )
