"""What the checks of planned changes share: the months they look at and which rows exist then.

A what-if plan carries its changes already applied to the inventory (a link at month m ends the
environment's row at m and continues it, linked, from m; a new environment is a row that starts
at m). So the state of the tenant at any month is the set of rows active in that month, and the
checks look at the tenant in month 0 and again in every month where something planned happens.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from planner.model.inputs import FINANCE_OPERATIONS_TYPES
from planner.model.units import format_gb

if TYPE_CHECKING:
    from planner.model.changes import Change
    from planner.results import Plan

T = TypeVar("T")

# The kinds of planner.model.changes.LINKS (a test holds them equal), written out: the checks
# of a plan without changes, which are most runs, go without importing the change classes
# (12 dataclasses, 5 ms); those that look at changes import them where they do.
LINK_KINDS = ("link_new_dataverse", "link_existing_dataverse")
LINKED_STATES = ("integrated", "linked_existing")

# Standalone environment types that carry a full Dataverse database a finance and operations
# environment can be linked to. Dataverse for Teams is a different, limited store and cannot be.
LINKABLE_TYPES = ("dataverse_production", "dataverse_sandbox", "default", "developer", "trial")

__all__ = [
    "FINANCE_OPERATIONS_TYPES",
    "LINKABLE_TYPES",
    "LINKED_STATES",
    "LINK_KINDS",
    "active",
    "among",
    "dataverse_pool",
    "environment_names",
    "evaluation_months",
    "first_active",
    "gb_texts",
    "holds",
    "link_changes",
    "link_targets",
    "month_label",
    "per_distinct",
    "stripped_text",
    "type_of",
]


def evaluation_months(plan: Plan) -> list[int]:
    """Month 0 and every month within the horizon in which a planned change takes effect.

    Besides the changes' own months, the months where inventory rows or license rows start or
    end count too: they are where a change's effect shows in the inputs, even when the inputs
    were written with dated rows rather than produced from a scenario's changes.
    """
    within = np.zeros(max(plan.months, 0), dtype=bool)  # which months of the horizon
    environments = plan.environments
    for column in (
        np.array([0, *(int(c.month) for c in plan.changes)], dtype=np.int64),
        environments["start_month"].to_numpy(),
        environments["end_month"].to_numpy(),
        plan.licenses["start_month"].to_numpy(),
    ):
        months = column[(column >= 0) & (column < plan.months)]
        within[months.astype(np.int64, copy=False)] = True
    return np.flatnonzero(within).tolist()


def active(plan: Plan, month: int) -> np.ndarray:
    """Which inventory rows (by position) exist in a month."""
    environments = plan.environments
    return (environments["start_month"].to_numpy() <= month) & (
        environments["end_month"].to_numpy() > month
    )


def holds(column: pd.Series, *wanted: str, within: np.ndarray | None = None) -> np.ndarray:
    """Which rows of a text column hold one of the ``wanted`` values (see :func:`among`; pandas
    compares a column of objects several times slower). ``within``: a mask of the only rows
    that can; the others are not looked at."""
    values = column.to_numpy()
    if within is None:
        return among(values, wanted)
    found = np.zeros(len(values), dtype=bool)
    rows = np.flatnonzero(within)
    found[rows] = among(values[rows], wanted)
    return found


def stripped_text(column: pd.Series) -> np.ndarray:
    """A column as text without surrounding blanks; each distinct value is stripped once (a
    column like linked_to is mostly blank)."""
    values = column.to_numpy(dtype=object)
    codes, distinct = pd.factorize(values)
    if (codes < 0).any() or not set(map(type, distinct.tolist())) <= {str}:
        # Not all text (a missing value, a number): each value as its text, as astype(str) makes
        # it; a column of text alone is hashed as it is, without a str() of every cell.
        codes, distinct = pd.factorize(column.astype(str))
    return pd.Series(distinct, dtype=object).str.strip().to_numpy(dtype=object)[codes]


# Columns of an inventory frame as several checks read them, made once per frame: by the
# frame's identity, forgotten with it (a plan's frames are not changed once made).
_MADE: dict[tuple[int, str], tuple[weakref.ref[pd.DataFrame], np.ndarray]] = {}


def _per_inventory(
    frame: pd.DataFrame, what: str, make: Callable[[pd.DataFrame], np.ndarray]
) -> np.ndarray:
    key = (id(frame), what)
    held = _MADE.get(key)
    if held is not None and held[0]() is frame:
        return held[1]
    made = make(frame)
    made.flags.writeable = False  # shared by the checks: none may change it
    _MADE[key] = (weakref.ref(frame, lambda _, key=key: _MADE.pop(key, None)), made)
    return made


def environment_names(plan: Plan) -> np.ndarray:
    """The inventory's names as text, row by row (made once per plan's inventory)."""
    return _per_inventory(
        plan.environments, "name", lambda frame: frame["name"].astype(str).to_numpy()
    )


def link_targets(plan: Plan) -> np.ndarray:
    """The inventory's ``linked_to`` as text without surrounding blanks, row by row (made once
    per plan's inventory: at 50,000 environments 4 ms, read by four checks)."""
    return _per_inventory(
        plan.environments, "linked_to", lambda frame: stripped_text(frame["linked_to"])
    )


def among(values: np.ndarray, wanted: Iterable[Any]) -> np.ndarray:
    """Which of ``values`` are in ``wanted``, by hashing: numpy's isin compares text values
    with every wanted value in turn, which grows with the product of the two. A few wanted
    texts are compared in numpy, faster than building the hash table."""
    wanted = list(wanted)
    if len(wanted) <= FEW and all(type(value) is str for value in wanted):
        values = np.asarray(values)
        found = np.zeros(len(values), dtype=bool)
        try:
            for value in wanted:
                found |= values == value
            return found
        except TypeError:  # a cell that cannot say whether it is equal (pandas' NA)
            pass
    elif all(type(value) is str for value in wanted):
        # More wanted texts: each value looked up in a set of them, without the copies and
        # conversions pandas makes first.
        values = np.asarray(values)
        try:
            return np.fromiter(map(set(wanted).__contains__, values), dtype=bool, count=len(values))
        except TypeError:  # a cell that cannot be hashed or compared
            pass
    return pd.Series(values, dtype=object).isin(wanted).to_numpy(dtype=bool)


FEW = 5  # wanted texts that among compares one by one


def per_distinct(values: np.ndarray, function: Callable[[float], T]) -> list[T]:
    """``function`` of each of the float ``values``, worked out once per distinct value: values
    are told apart by their bits, so 0.0 and -0.0 (whose texts differ) are two values."""
    values = np.ascontiguousarray(values, dtype=float)
    # By hashing the bits (numpy's unique would sort them), each value's position among them.
    which, bits = pd.factorize(values.view(np.int64))
    distinct = list(map(function, bits.view(float).tolist()))
    return list(map(distinct.__getitem__, which.tolist()))


def gb_texts(values: np.ndarray) -> list[str]:
    """:func:`planner.model.units.format_gb` of each of the float ``values``, each distinct
    value written once by ``str.format`` itself (no call of Python's own per value: 6,700
    amounts of add-on sandboxes at 50,000 environments)."""
    texts = per_distinct(values, _GB.format)
    for at in np.flatnonzero(np.isnan(values)).tolist():
        texts[at] = format_gb(float("nan"))
    return texts


_GB = "{:,.2f} GB"  # format_gb's text of a number


def month_label(plan: Plan, month: int) -> str:
    return plan.forecast.months[month]


def dataverse_pool(plan: Plan) -> tuple[int, str]:
    """Position and name of the pool that Dataverse databases draw on in this rule set."""
    pool = plan.ruleset.pool_of("dataverse_database")
    return plan.ruleset.pool_names.index(pool), pool


def pool_title(plan: Plan, pool: str) -> str:
    """A pool's title for a message ("Database"), its name where the rule set gives none."""
    return next((p.title for p in plan.ruleset.pools if p.name == pool), pool)


def type_of(plan: Plan, name: str) -> str | None:
    """The inventory type of a named environment (from any of its rows), or None."""
    types = plan.environments.loc[plan.environments["name"] == name, "type"]
    return str(types.iloc[0]) if len(types) else None


def link_changes(plan: Plan) -> list[Change]:
    """Planned links, in month order."""
    return sorted((c for c in plan.changes if c.kind in LINK_KINDS), key=lambda c: c.month)


def first_active(
    plan: Plan, rows: np.ndarray, skip: Iterable[str] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """Each environment of the ``rows`` mask once, by name: the positions of its row and of the
    first evaluation month it is active in (as two arrays, in month order, then row order).
    Names in ``skip`` were reported already. Found a month's rows at a time: a finding's check
    of each row in Python took 2 ms of 5,000 rows."""
    if not rows.any():
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.int64)
    found = []
    found_months = []
    for month in evaluation_months(plan):
        now = np.flatnonzero(rows & active(plan, month))
        found.append(now)
        found_months.append(np.full(len(now), month, dtype=np.int64))
    at, months = np.concatenate(found), np.concatenate(found_months)
    names = environment_names(plan)[at]
    first = ~pd.Series(names, dtype=object).duplicated().to_numpy()
    skipped = set(skip)
    if skipped:
        first &= ~among(names, skipped)
    return at[first], months[first]
