"""What the environments consume: measured values where the inventory has them, the rule set's
planning estimates otherwise, grown month by month, and counted the way the rule set counts.

Counting rules (all from the rule set): environment kinds that are not counted use nothing; the
default environment counts only what exceeds its included allowance; every other counted
environment uses at least the minimum of its minimum capacity type.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import pairwise
from typing import Any

import msgspec
import numpy as np
import pandas as pd

from planner.model.inputs import CAPACITY_TYPES, FINANCE_OPERATIONS_TYPES, empty_pool_growth
from planner.ruleset import Amount, RuleSet

DATAVERSE_TYPES = tuple(t for t in CAPACITY_TYPES if t.startswith("dataverse_"))

LINE_COLUMNS = (
    "pool",
    "environment",
    "capacity_type",
    "gb",
    "basis",
    "basis_without_growth",  # the basis but the environment's own growth: a few kinds of line
    "confidence",  # measured | documented | secondary | assumed | unknown
    "measured_gb",
    "actual_gb",
    "growth_gb_per_month",
    "environment_type",
    "power_platform",
    "rule",
)

# The text columns of the lines drawn from a few words each (pools, kinds, states, the basis
# without growth): pandas categoricals of their sorted words, a byte or two a line rather than
# an object each, so they sort and compare as the text does. At 250,000 environments (about
# 900,000 lines) a forecast to JSON peaked at 794 MB instead of 877 MB.
LINE_CATEGORIES = (
    "pool",
    "capacity_type",
    "basis_without_growth",
    "confidence",
    "environment_type",
    "power_platform",
    "rule",
)

# What each planning-estimate profile of the rules is, in the words of a consumption line's basis.
PROFILE_WORDS = {
    "initial": "an initial Power Platform environment",
    "integrated": "a new Dataverse database",
    "linked_existing": "a link to an existing Dataverse environment",
    "dataverse": "a Dataverse environment",
    "default": "the default environment",
    "operations": "a finance and operations environment",
}


# Months computed at once: enough for numpy to work on whole arrays, few enough that memory
# does not grow with the horizon.
MONTHS_AT_ONCE = 12


class TypeUsage(msgspec.Struct, frozen=True):
    """How one capacity type counts, per environment: enough to compute any month's GB."""

    base_gb: np.ndarray  # month-0 usage before counting rules (measured, else estimate, else 0)
    growth_gb_per_month: np.ndarray
    applies: np.ndarray  # the environment has this capacity type at all
    not_counted: np.ndarray  # an environment kind the rule set does not count
    included_gb: float | None  # the default environment's allowance of this type
    use_included: np.ndarray
    use_minimum: np.ndarray


# The assumptions row of a forecast that is flat because no growth was given (GROWTH_UNKNOWN).
FLAT_GROWTH_RULE = "growth"

# Why a given value sits where the row's type or state expects none, and what the plan did:
# counted: measured Dataverse usage on a power_platform none row, Operations usage on a standalone
# Power Platform row (a measurement is evidence the row is described wrongly); not counted:
# Operations usage on a cloud-hosted environment, which runs in the customer's own subscription;
# growth on a blank usage without an estimate grows from an unknown start, counted from 0 GB.
CONTRADICTS_STATE = "USAGE_CONTRADICTS_STATE"
OUTSIDE_TENANT = "CHE_OPERATIONS_USAGE"
UNKNOWN_START = "GROWTH_FROM_UNKNOWN_START"
# not counted: Dataverse usage of an environment kind the rule set does not count (trial,
# developer, Teams), given in the input.
KIND_NOT_COUNTED = "USAGE_NOT_COUNTED"
UNUSUAL_COLUMNS = [
    "code",
    "environment",
    "environment_type",
    "power_platform",
    "capacity_type",
    "column",
    "value",
    "counted",
    "source",
    "location",
]


# A text column as (values, codes): row i holds values[codes[i]]. See Consumption.line_text.
TextCodes = tuple[np.ndarray, np.ndarray]


class Consumption(msgspec.Struct, frozen=True):
    environments: pd.DataFrame  # inventory rows with resolved power_platform, profile, counted
    lines: pd.DataFrame  # month-0 lines, LINE_COLUMNS; LINE_CATEGORIES as categoricals
    by_pool: np.ndarray  # pools x months, GB
    usage: dict[str, TypeUsage]  # capacity type -> per-environment counting inputs
    minimum_gb: float  # the per-environment minimum of the minimum capacity type
    estimates_used: (
        pd.DataFrame
    )  # environment, capacity_type, rule, confidence, gb (estimates only)
    # Values the user gave where the row's type or state expects none: UNUSUAL_COLUMNS.
    unusual: pd.DataFrame = msgspec.field(
        default_factory=lambda: pd.DataFrame(columns=UNUSUAL_COLUMNS)
    )
    # False when no environment states any growth and no pool grows: flat by assumption.
    growth_stated: bool = True
    # The text columns of ``lines`` as the engine made them, where it did: for a column, its
    # values (an object array, a value may occur more than once) and each line's position in
    # them, so that ``lines[column][i] == values[codes[i]]``. A writer of every line encodes
    # each value once instead of finding the distinct ones again.
    line_text: dict[str, TextCodes] = msgspec.field(default_factory=dict)

    def month_totals(self, capacity_type: str, months: int) -> np.ndarray:
        """What ``capacity_type`` counts in each of the first ``months`` months, summed over
        the environments."""
        env = self.environments
        return _month_totals(
            self.usage[capacity_type],
            env["start_month"].to_numpy(),
            env["end_month"].to_numpy(),
            months,
            self.minimum_gb,
        )

    def counted_gb(self, capacity_type: str, rows: np.ndarray, month: int) -> np.ndarray:
        """The GB the given inventory rows (positions) count for a capacity type in a month:
        computed when a check asks, rather than kept for every environment and month."""
        rows = np.asarray(rows, dtype=int)
        env = self.environments
        return _counted(
            self.usage[capacity_type],
            rows,
            env["start_month"].to_numpy()[rows],
            env["end_month"].to_numpy()[rows],
            np.arange(month, month + 1),
            self.minimum_gb,
        )[0][:, 0]


def _month_totals(
    usage: TypeUsage, start: np.ndarray, end: np.ndarray, months: int, minimum_gb: float
) -> np.ndarray:
    """What a capacity type counts in each month, summed over the environments: from the rows
    that can count anything (a row left out adds 0 GB, and the rows are added one after
    another, so the totals are those of every row), a run of months at a time."""
    totals = np.zeros(months)
    counting = np.flatnonzero(usage.applies & ~usage.not_counted)
    if not len(counting):
        return totals
    rows = _CountingRows.of(usage, counting, start, end)
    if months > 1 and not rows.growth.any():
        # Nothing grows: a row counts the same in every month it exists, so months in which
        # the same rows exist have the same total. Each run of such months is worked out once
        # (two equal months, summed as a run of months is, row after row) and spread.
        changes = np.unique(np.concatenate([rows.start, rows.end]))  # months rows begin or end
        bounds = {0, months} | set(changes[(changes > 0) & (changes < months)].tolist())
        for first, stop in pairwise(sorted(bounds)):
            value = rows.counted(np.array([first, first]), minimum_gb)
            totals[first:stop] = value.sum(axis=0)[0]
        return totals
    for chunk in month_chunks(months):
        totals[chunk[0] : chunk[-1] + 1] += rows.counted(chunk, minimum_gb).sum(axis=0)
    return totals


class _CountingRows(msgspec.Struct, frozen=True):
    """The rows of a capacity type that can count anything, with what their counted GB is made
    of: enough to work out the month totals, a run of months at a time."""

    start: np.ndarray
    end: np.ndarray
    growth: np.ndarray
    base: np.ndarray
    included_gb: float | None
    included: np.ndarray  # positions among the rows
    raised: np.ndarray | None  # the rows lifted to the minimum, as a rows x 1 mask; None: none

    @classmethod
    def of(
        cls, usage: TypeUsage, counting: np.ndarray, start: np.ndarray, end: np.ndarray
    ) -> _CountingRows:
        included = (
            np.flatnonzero(usage.use_included[counting])
            if usage.included_gb is not None
            else np.empty(0, dtype=np.intp)
        )
        raised = usage.use_minimum[counting]
        return cls(
            start=start[counting],
            end=end[counting],
            growth=usage.growth_gb_per_month[counting],
            base=usage.base_gb[counting],
            included_gb=usage.included_gb,
            included=included,
            raised=raised[:, None] if raised.any() else None,
        )

    def counted(self, months: np.ndarray, minimum_gb: float) -> np.ndarray:
        """The rows' counted GB in ``months``, rows x months: to the bit what :func:`_counted`
        gives for them, worked in one array rather than with a copy for each counting rule.

        Where the rows all begin in one month and exist in every month asked for, their months
        of growth are one row of numbers, multiplied out rather than computed for each row."""
        month = months[None, :]
        every_active = bool(len(months)) and bool(
            (self.start <= months[0]).all() and (self.end > months[-1]).all()
        )
        active: np.ndarray | None = None
        if every_active and len(self.start) and (self.start == self.start[0]).all():
            elapsed = np.maximum(month - self.start[0], 0)
        else:
            elapsed = month - self.start[:, None]
            if not every_active:
                active = (elapsed >= 0) & (month < self.end[:, None])
            np.maximum(elapsed, 0, out=elapsed)
        value = self.growth[:, None] * elapsed
        value += self.base[:, None]
        if active is not None:
            value *= active
        np.maximum(value, 0, out=value)
        if len(self.included):
            assert self.included_gb is not None
            value[self.included] = np.maximum(value[self.included] - self.included_gb, 0)
        if self.raised is not None:
            lifted = self.raised if active is None else self.raised & active
            np.maximum(value, minimum_gb, out=value, where=lifted)
        return value


def _counted(
    usage: TypeUsage,
    rows: np.ndarray | slice,
    start: np.ndarray,
    end: np.ndarray,
    months: np.ndarray,
    minimum_gb: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Counted GB and the raw GB (before the counting rules) of ``rows`` in ``months``, as
    environments x months arrays.

    Worked in place on as few arrays as it can: at 200,000 environments each one is tens of
    megabytes. Where every row is active in every month asked for, the activity mask is left
    out (multiplying by one changes nothing), and each rule is applied only to the rows it
    concerns."""
    month = months[None, :]
    begins = start[:, None]
    elapsed = month - begins
    every_active = bool(len(months)) and bool(
        (start <= months[0]).all() and (end > months[-1]).all()
    )
    active = None if every_active else (elapsed >= 0) & (month < end[:, None])
    np.maximum(elapsed, 0, out=elapsed)
    raw = usage.growth_gb_per_month[rows][:, None] * elapsed
    raw += usage.base_gb[rows][:, None]
    if active is not None:
        raw *= active
    np.maximum(raw, 0, out=raw)
    value = raw
    if usage.included_gb is not None:
        included = usage.use_included[rows]
        if included.any():
            value = raw.copy()
            value[included] = np.maximum(raw[included] - usage.included_gb, 0)
    raised = usage.use_minimum[rows]
    if raised.any():
        if value is raw:
            value = raw.copy()
        lifted = np.maximum(value[raised], minimum_gb)
        if active is not None:
            lifted = np.where(active[raised], lifted, value[raised])
        value[raised] = lifted
    excluded = usage.not_counted[rows] | ~usage.applies[rows]
    if excluded.any():
        if value is raw:
            value = raw.copy()
        value[excluded] = 0.0
    return value, raw


def month_chunks(months: int) -> list[np.ndarray]:
    """The horizon in runs of MONTHS_AT_ONCE months; a last run of one month joins the one
    before, so that every sum over environments adds in the same order whatever the horizon."""
    bounds = [*range(0, months, MONTHS_AT_ONCE), months]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] == 1:
        del bounds[-2]
    return [np.arange(a, b) for a, b in pairwise(bounds)]


def resolve_environments(environments: pd.DataFrame, ruleset: RuleSet) -> pd.DataFrame:
    """Fill in each row's Power Platform state (its type's default) and its estimate profile."""
    return _resolve(environments, ruleset).environments


# The columns resolve_environments sets, in the order it sets them.
RESOLVED_COLUMNS = (
    "stated_power_platform",
    "power_platform",
    "power_platform_sku",
    "counted",
    "profile",
    "has_power_platform",
    "operations_capacity",
)


def _resolve(environments: pd.DataFrame, ruleset: RuleSet) -> _Resolved:
    """The environments resolved, with what the engine reads of them besides.

    What a row resolves to depends on its type and stated Power Platform state alone: where
    both are text, each distinct pair of them (a few dozen at most) is resolved once, by the
    same steps, and the results are spread over the rows, in the dtypes the steps give."""
    types = environments["type"].to_numpy()
    states = environments["power_platform"].to_numpy()
    if not len(environments) or not all(
        pd.api.types.infer_dtype(values, skipna=False) == "string" for values in (types, states)
    ):
        out = _resolved(environments, ruleset)
        return _Resolved(
            out,
            (out["type"] == "default").to_numpy(),
            out["type"].isin(FINANCE_OPERATIONS_TYPES).to_numpy(),
            _Profiles.of(out["profile"].to_numpy(dtype=object)),
            _Profiles.of(out["power_platform_sku"].to_numpy(dtype=object)),
        )
    type_codes, type_names = pd.factorize(types)
    state_codes, state_names = pd.factorize(states)
    codes, pairs = pd.factorize(type_codes * len(state_names) + state_codes)
    first = np.empty(len(pairs), dtype=np.intp)  # the first row of each pair
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    few = _resolved(environments[["type", "power_platform"]].take(first), ruleset)
    out = environments.copy(deep=False)  # columns are set anew, never written in
    for column in RESOLVED_COLUMNS:
        out[column] = few[column].take(codes).set_axis(out.index)
    is_default = np.array([name == "default" for name in type_names.tolist()], dtype=bool)
    is_fno = np.array([name in FINANCE_OPERATIONS_TYPES for name in type_names.tolist()], bool)
    return _Resolved(
        out,
        is_default[type_codes],
        is_fno[type_codes],
        # A pair's profile and kind of environment (its values may repeat among the pairs).
        _Profiles(codes, few["profile"].to_numpy(dtype=object)),
        _Profiles(codes, few["power_platform_sku"].to_numpy(dtype=object)),
    )


class _Resolved(msgspec.Struct, frozen=True):
    environments: pd.DataFrame
    is_default: np.ndarray
    is_finance_operations: np.ndarray
    profiles: _Profiles  # each row's Dataverse estimate profile
    skus: _Profiles  # each row's Power Platform SKU (kind of environment)


def _resolved(environments: pd.DataFrame, ruleset: RuleSet) -> pd.DataFrame:
    """resolve_environments, row by row."""
    out = environments.copy(deep=False)  # columns are set anew, never written in
    types = ruleset.environment_types
    default_state = out["type"].map({n: t.default_power_platform for n, t in types.items()})
    is_fno = out["type"].isin(FINANCE_OPERATIONS_TYPES)
    state = out["power_platform"].where(out["power_platform"] != "", default_state)
    # Only environments Lifecycle Services manages get an initial Power Platform environment; a
    # cloud-hosted one written as `initial` has none, so nothing is charged for it.
    lcs_managed = out["type"].map({n: t.lcs_managed for n, t in types.items()}).fillna(False)
    out["stated_power_platform"] = state.where(is_fno, "")
    state = state.where(~(is_fno & (state == "initial") & ~lcs_managed.astype(bool)), "none")
    out["power_platform"] = state.where(is_fno, "")
    out["power_platform_sku"] = out["type"].map({n: t.power_platform_sku for n, t in types.items()})
    out["counted"] = out["power_platform_sku"].isin(ruleset.consumption.counted_power_platform_skus)
    # Which estimate profile the Dataverse side uses, and whether there is a Dataverse side at all.
    # As objects (np.select would make fixed-width text, 56 bytes a row), the first that holds
    # of: a finance and operations state, the default environment's profile, "dataverse".
    profile = _repeated("dataverse", len(out))
    profile[(out["type"] == "default").to_numpy()] = "default"
    fno = is_fno.to_numpy()
    profile[fno] = state.to_numpy(dtype=object)[fno]
    out["profile"] = profile
    out["has_power_platform"] = ~(is_fno & (state == "none"))
    out["operations_capacity"] = (
        out["type"].map({n: t.operations_capacity for n, t in types.items()}).astype(bool)
    )
    return out


def _estimate(ruleset: RuleSet, profile: str, capacity_type: str) -> Amount | None:
    return ruleset.consumption.estimates.get(profile, {}).get(capacity_type)


def compute_consumption(
    environments: pd.DataFrame,
    ruleset: RuleSet,
    months: int,
    pool_growth: pd.DataFrame | None = None,
) -> Consumption:
    resolved = _resolve(environments, ruleset)
    if pool_growth is None:
        pool_growth = empty_pool_growth()
    with ThreadPoolExecutor(1, thread_name_prefix="capplan-month-totals") as beside:
        return _consumption(beside, resolved, ruleset, months, pool_growth)


def _consumption(
    beside: ThreadPoolExecutor,
    resolved: _Resolved,
    ruleset: RuleSet,
    months: int,
    pool_growth: pd.DataFrame,
) -> Consumption:
    """:func:`compute_consumption` of the ``resolved`` environments, each capacity type's month
    totals worked out by the thread ``beside`` while this one puts the lines into words. The
    totals are arithmetic on arrays of environments x months, during which numpy lets other
    threads run; the words are Python. At 50,000 environments and 36 months the totals take
    about 27 ms of processor time, and the consumption 83 ms rather than 110 ms with a second
    core. They are added into the pools in the order they were worked out in line, to the bit
    (the thread ends with the call: a fork after it copies no running thread)."""
    env = resolved.environments
    is_default, is_finance_operations = resolved.is_default, resolved.is_finance_operations
    count = len(env)
    start = env["start_month"].to_numpy()
    end = env["end_month"].to_numpy()
    counted = env["counted"].to_numpy()
    has_power_platform = env["has_power_platform"].to_numpy()
    minimum = ruleset.consumption.minimum
    pool_index = {p: i for i, p in enumerate(ruleset.pool_names)}
    by_pool = np.zeros((len(pool_index), months))
    usage: dict[str, TypeUsage] = {}
    # Each capacity type's month totals, being worked out, and the pool they count in.
    totals: list[tuple[int, Future[np.ndarray]]] = []
    line_parts: list[dict[str, Any]] = []
    estimate_parts: list[dict[str, Any]] = []
    unusual_parts: list[dict[str, Any] | None] = []
    # The columns every capacity type reads, each taken out of the table once; the estimate
    # profiles of both sides as codes (a handful of profiles, each looked up once).
    texts = {
        column: env[column].to_numpy(dtype=object)
        for column in ("name", "type", "power_platform", "stated_power_platform")
    }
    texts.update(source=env["source"].to_numpy(), location=env["location"].to_numpy())
    dataverse_profiles = resolved.profiles
    operations_profiles = _operations_profiles(env, ruleset)
    # A not-counted line names its kind of environment: "" for every other line.
    kind_sku = _Profiles(
        resolved.skus.codes + 1, np.array(["", *resolved.skus.names.tolist()], dtype=object)
    )

    for capacity_type in CAPACITY_TYPES:
        dataverse_side = capacity_type in DATAVERSE_TYPES
        measured = env[f"{capacity_type}_gb"].to_numpy()
        growth = np.nan_to_num(env[f"{capacity_type}_growth_gb_per_month"].to_numpy())
        profiles = dataverse_profiles if dataverse_side else operations_profiles
        by_profile = [_estimate(ruleset, p, capacity_type) for p in profiles.names]
        has_measure = ~np.isnan(measured)
        # What the user gave is used even where the row's type or state expects nothing: a
        # measurement or a growth rate is evidence. Zeros (lists report 0 for every type) are not.
        given = (has_measure & (np.nan_to_num(measured) > 0)) | (growth > 0)
        if dataverse_side:
            # A Power Platform environment without Dataverse uses only what its profile lists.
            without_dataverse = profiles.spread(
                [p in ruleset.consumption.no_dataverse_profiles for p in profiles.names], bool
            )
            listed = profiles.spread([e is not None for e in by_profile], bool)
            expected = has_power_platform & (~without_dataverse | listed | has_measure)
            applies = expected | given
            contradicts = applies & ~has_power_platform
        else:
            expected = env["operations_capacity"].to_numpy()
            # A cloud-hosted environment's databases live in the customer's own subscription.
            outside_tenant = ~expected & is_finance_operations & given
            applies = expected | (given & ~is_finance_operations)
            contradicts = applies & ~expected
        estimate_gb = profiles.spread([np.nan if e is None else e.gb for e in by_profile], float)
        base = np.where(has_measure, measured, estimate_gb)
        unknown = np.isnan(base)
        unusual_parts.append(_unusual(env, texts, CONTRADICTS_STATE, contradicts, capacity_type))
        unusual_parts.append(
            _unusual(env, texts, UNKNOWN_START, applies & unknown & (growth > 0), capacity_type)
        )
        if not dataverse_side:
            unusual_parts.append(
                _unusual(env, texts, OUTSIDE_TENANT, outside_tenant, capacity_type, False)
            )
        else:
            unusual_parts.append(
                _unusual(env, texts, KIND_NOT_COUNTED, given & ~counted, capacity_type, False)
            )

        # How each environment counts for this capacity type.
        not_counted = dataverse_side & ~counted
        included = ruleset.consumption.default_included.get(capacity_type)
        use_included = is_default & (included is not None)
        use_minimum = (
            counted & ~is_default & (capacity_type == ruleset.consumption.minimum_capacity_type)
        )
        type_usage = TypeUsage(
            base_gb=np.nan_to_num(base),
            growth_gb_per_month=growth,
            applies=applies,
            not_counted=np.broadcast_to(not_counted, (count,)),
            included_gb=None if included is None else included.gb,
            use_included=np.broadcast_to(use_included, (count,)),
            use_minimum=use_minimum,
        )
        usage[capacity_type] = type_usage
        # Month 0 of every row, for the lines; the pool's months from the rows that can count
        # anything. A row left out counts 0 GB in every month, and a sum over rows adds them
        # one after another (numpy reduces the outer axis row by row), so leaving out its
        # zeros changes no bit of the total.
        first_value, first_raw = (
            column[:, 0]
            for column in _counted(type_usage, slice(None), start, end, np.arange(0, 1), minimum.gb)
        )
        totals.append(
            (
                pool_index[ruleset.pool_of(capacity_type)],
                beside.submit(_month_totals, type_usage, start, end, months, minimum.gb),
            )
        )

        shown = applies & (start <= 0) & (end > 0)
        if shown.any():
            line_parts.append(
                _lines(
                    env,
                    texts,
                    shown,
                    capacity_type,
                    ruleset,
                    first_value,
                    first_raw,
                    has_measure,
                    unknown,
                    type_usage.not_counted,
                    type_usage.use_included,
                    use_minimum,
                    profiles,
                    kind_sku,
                    growth,
                )
            )
        used = applies & ~has_measure & ~type_usage.not_counted
        if used.any():
            idx = np.flatnonzero(used)
            # Each row's estimate's facts: worked out per profile, then spread over the rows.
            of_profile = functools.partial(
                _per_profile, by_profile, profiles.names.tolist(), profiles.codes[idx]
            )
            estimate_parts.append(
                {
                    "environment": _Coded(texts["name"], idx),
                    "capacity_type": capacity_type,
                    "pool": ruleset.pool_of(capacity_type),
                    "rule": of_profile(
                        lambda e, name: e.rule if e else f"consumption.estimates.{name}"
                    ),
                    "confidence": of_profile(lambda e, name: e.confidence if e else "unknown"),
                    "gb": of_profile(lambda e, name: e.gb if e else np.nan, float).materialized(),
                    "note": of_profile(lambda e, name: e.note if e else ""),
                    "start_month": start[idx],
                    "growth_gb_per_month": growth[idx],
                }
            )

    text_arrays: dict[int, tuple[np.ndarray, Any]] = {}
    line_text: dict[str, TextCodes] = {}
    lines = (
        _table(
            line_parts,
            text_arrays,
            one_frame=True,
            text_codes=line_text,
            categorical=LINE_CATEGORIES,
        )
        if line_parts
        else pd.DataFrame(columns=list(LINE_COLUMNS))
    )
    estimates_used = (
        _table(estimate_parts, text_arrays, one_frame=False)
        if estimate_parts
        else pd.DataFrame(
            columns=[
                "environment",
                "capacity_type",
                "pool",
                "rule",
                "confidence",
                "gb",
                "note",
                "start_month",
                "growth_gb_per_month",
            ]
        )
    )
    unusual_found = [part for part in unusual_parts if part is not None]
    unusual = (
        _table(unusual_found, text_arrays, one_frame=False)
        if unusual_found
        else pd.DataFrame(columns=UNUSUAL_COLUMNS)
    )
    for position, total in totals:
        by_pool[position] += total.result()
    # Extra growth of whole pools (what-if): no line at month 0, where it adds nothing yet.
    for row in pool_growth.itertuples(index=False):
        if row.pool not in pool_index:
            continue
        elapsed = np.arange(months) - int(row.start_month)
        base = 0.0 if pd.isna(row.gb_at_start) else float(row.gb_at_start)
        ramp = np.where(elapsed >= 0, base + np.clip(elapsed, 0, None) * float(row.gb_per_month), 0)
        by_pool[pool_index[row.pool]] += ramp
    growth_stated = bool(
        len(pool_growth)
        or env[[f"{t}_growth_gb_per_month" for t in CAPACITY_TYPES]].notna().any(axis=None)
    )
    return Consumption(
        env,
        lines,
        by_pool,
        usage,
        minimum.gb,
        estimates_used,
        unusual,
        growth_stated or not count,
        line_text,
    )


class _Profiles(msgspec.Struct, frozen=True):
    """Each row's value of a column with a handful of distinct values (an estimate profile), as
    a code into the distinct values, so that anything about a value is worked out once."""

    codes: np.ndarray
    names: np.ndarray  # object

    @classmethod
    def of(cls, values: np.ndarray) -> _Profiles:
        codes, names = pd.factorize(values, use_na_sentinel=False)
        return cls(codes, np.asarray(names, dtype=object))

    def spread(self, per_name: list[Any], dtype: Any) -> np.ndarray:
        """``per_name`` (one value for each distinct value), at each row."""
        return np.array(per_name, dtype=dtype)[self.codes]


class _Coded(msgspec.Struct, frozen=True):
    """A column of a table to be, as distinct values and each row's position among them: text
    repeated over many rows is put into words once, and made a column of the table once."""

    values: np.ndarray
    codes: np.ndarray

    def materialized(self) -> np.ndarray:
        return self.values[self.codes]


def _per_profile(
    estimates: list[Amount | None],
    names: list[str],
    codes: np.ndarray,
    fact: Callable[[Amount | None, str], Any],
    dtype: Any = object,
) -> _Coded:
    """``fact(estimate, profile)`` of each profile, at each row's profile code."""
    return _Coded(
        np.array([fact(e, name) for e, name in zip(estimates, names, strict=True)], dtype=dtype),
        codes,
    )


def _operations_profiles(env: pd.DataFrame, ruleset: RuleSet) -> _Profiles:
    """The Operations estimate profile of each row: its tier's, where the rule set has one."""
    tiers = env["tier"].to_numpy()
    codes = np.zeros(len(env), dtype=np.intp)
    names = ["operations"]
    for tier in range(1, 6):
        profile = f"operations_tier_{tier}"
        if profile in ruleset.consumption.estimates:
            codes[tiers == tier] = len(names)
            names.append(profile)
    return _Profiles(codes, np.array(names, dtype=object))


def _unusual(
    env: pd.DataFrame,
    texts: dict[str, np.ndarray],
    code: str,
    rows: np.ndarray,
    capacity_type: str,
    counted: bool = True,
) -> dict[str, Any] | None:
    """One row per environment whose given value of ``capacity_type`` is unusual (``code``),
    as the columns of a part of the table; None where there is none."""
    idx = np.flatnonzero(rows)
    if not len(idx):
        return None
    usage = env[f"{capacity_type}_gb"].to_numpy()[idx]
    growth = env[f"{capacity_type}_growth_gb_per_month"].to_numpy()[idx]
    by_growth = (
        np.ones(len(idx), dtype=bool)
        if code == UNKNOWN_START
        else np.isnan(usage) | (np.nan_to_num(usage) == 0)
    )
    return {
        "code": code,
        "environment": _Coded(texts["name"], idx),
        "environment_type": _Coded(texts["type"], idx),
        "power_platform": _Coded(texts["stated_power_platform"], idx),
        "capacity_type": capacity_type,
        "column": _Coded(
            np.array([f"{capacity_type}_gb", f"{capacity_type}_growth_gb_per_month"], dtype=object),
            by_growth.astype(np.intp),
        ),
        "value": np.where(by_growth, growth, usage),
        "counted": counted,
        "source": _Coded(texts["source"], idx),
        "location": _Coded(texts["location"], idx),
    }


def _lines(
    env: pd.DataFrame,
    texts: dict[str, np.ndarray],
    shown: np.ndarray,
    capacity_type: str,
    ruleset: RuleSet,
    value: np.ndarray,
    raw: np.ndarray,
    has_measure: np.ndarray,
    unknown: np.ndarray,
    not_counted: np.ndarray,
    use_included: np.ndarray,
    use_minimum: np.ndarray,
    profiles: _Profiles,
    kind_sku: _Profiles,
    growth: np.ndarray,
) -> dict[str, Any]:
    """Month-0 consumption lines, as columns, each explained in words: where the number came
    from and how it counts. The words depend on a few facts of the line (measured or not, its
    profile, which counting rule applied): each combination is put into words once and spread
    over the lines; only an environment's own growth rate is written per line."""
    idx = np.flatnonzero(shown)
    minimum = ruleset.consumption.minimum
    included = ruleset.consumption.default_included.get(capacity_type)
    has_actual = ~np.isnan(env[f"{capacity_type}_actual_gb"].to_numpy()[idx])
    raised = use_minimum[idx] & (raw[idx] < minimum.gb)
    excluded = not_counted[idx]
    kind, kinds = _combinations(
        [
            has_measure[idx],
            has_actual,
            unknown[idx],
            (profiles.codes[idx], profiles.names),
            use_included[idx] & (included is not None),
            raised,
            excluded,
            (np.where(excluded, kind_sku.codes[idx], 0), kind_sku.names),
        ]
    )
    words, confidences, rules = [], [], []
    for measured, actual, is_unknown, profile, within, minimum_raised, excluded, sku in kinds:
        estimate = _estimate(ruleset, profile, capacity_type)
        if measured:
            text, confidence, rule = ("measured (rated)" if actual else "measured"), "measured", ""
        elif is_unknown:
            text = "unknown: not measured and the rule set has no estimate; counted as 0 GB"
            confidence, rule = "unknown", f"consumption.estimates.{profile}"
        elif estimate is not None:
            text = f"estimate for {PROFILE_WORDS.get(profile, profile)}: {estimate.text}"
            text += f", {estimate.note}" if estimate.note else ""
            confidence, rule = estimate.confidence, estimate.rule
        else:
            text, confidence, rule = "", "", ""
        if within and included is not None:
            text += f"; only usage above the default environment's included {included.text} counts"
        if minimum_raised:
            text += f"; raised to the minimum of {minimum.text} per environment"
        if excluded:
            text = f"not counted ({sku} environment); {text}"
        words.append(text)
        confidences.append(confidence)
        rules.append(rule)
    without_growth = np.array(words, dtype=object)
    # The environment's own growth rate, the one part of the words written per line: each
    # distinct rate (or rate and fitted basis) put into words once, as a code (0: no growth).
    rate = growth[idx]
    grows = np.flatnonzero(rate != 0)
    said_of = np.zeros(len(idx), dtype=np.int64)
    said = np.array([""], dtype=object)
    if len(grows):
        rate_of, rates = pd.factorize(rate[grows])
        # Written by the format method itself, called from C: a rate each at 14,000 distinct
        # rates (measured growth of four decimals, 50,000 environments).
        said_rates = np.array(list(map(_GROWS.format, rates.tolist())), dtype=object)
        basis_column = f"{capacity_type}_growth_basis"
        if basis_column in env.columns:
            fitted = env[basis_column].fillna("").to_numpy()[idx][grows].astype(object)
            text_of = said_rates[rate_of]
            text_of = np.where(fitted == "", text_of, text_of + " (" + fitted + ")")
            rate_of, distinct = pd.factorize(text_of)
            said_rates = np.asarray(distinct, dtype=object)
        said = np.concatenate([said, said_rates])
        said_of[grows] = rate_of + 1
    # Each distinct pair of words and growth put together once: lines of one pair share the
    # text (and whatever hashes it later hashes it once).
    pair_of, pairs = pd.factorize(kind.astype(np.int64) * len(said) + said_of)
    basis = without_growth[pairs // len(said)] + said[pairs % len(said)]
    return {
        "pool": ruleset.pool_of(capacity_type),
        "environment": _Coded(texts["name"], idx),
        "capacity_type": capacity_type,
        "gb": value[idx],
        "basis": _Coded(basis, pair_of),
        "basis_without_growth": _Coded(without_growth, kind),
        "confidence": _Coded(np.array(confidences, dtype=object), kind),
        "measured_gb": env[f"{capacity_type}_gb"].to_numpy()[idx],
        "actual_gb": env[f"{capacity_type}_actual_gb"].to_numpy()[idx],
        "growth_gb_per_month": rate,
        "environment_type": _Coded(texts["type"], idx),
        "power_platform": _Coded(texts["power_platform"], idx),
        "rule": _Coded(np.array(rules, dtype=object), kind),
    }


# A line's growth rate in words.
_GROWS = "; grows {:.3g} GB per month"

# What a frame makes of a column of objects that are all str.
_TEXT = pd.StringDtype(na_value=np.nan)


def _table(
    parts: list[dict[str, Any]],
    text_arrays: dict[int, tuple[np.ndarray, Any]],
    *,
    one_frame: bool,
    text_codes: dict[str, TextCodes] | None = None,
    categorical: Collection[str] = (),
) -> pd.DataFrame:
    """The parts as one table: their columns are arrays, coded text (:class:`_Coded`) or one
    value for the whole part. The table is what pandas makes of the parts' values, either
    joined first (``one_frame``) or as a frame each, concatenated.

    Where every text value is a str, a text column is pandas' text of the distinct values
    taken at the codes: what pandas would make of the values row by row, checked once per
    distinct value rather than per row. ``text_arrays`` keeps such text of distinct values by
    the values' identity, for the next table that takes from the same ones (an inventory
    column). Otherwise each part's values are written out, and pandas makes of them what it
    makes. ``text_codes``, where given, receives each text column made from coded text as
    its values and codes (see ``Consumption.line_text``); ``categorical`` names the text
    columns made pandas categoricals there instead (see ``LINE_CATEGORIES``)."""
    lengths = [_length(part) for part in parts]
    names = list(parts[0])
    coded = [name for name in names if any(isinstance(part[name], (_Coded, str)) for part in parts)]
    plain = {
        name: _plain([part[name] for part in parts], lengths, one_frame)
        for name in names
        if name not in coded
    }
    if all(column is not None for column in plain.values()) and all(
        _is_text(part[name], text_arrays) for name in coded for part in parts
    ):
        joined = {name: _joined_codes([part[name] for part in parts], lengths) for name in coded}
        if text_codes is not None:
            text_codes.update(
                (name, (column.values, column.codes)) for name, column in joined.items()
            )
        columns = {
            name: (
                _categorical(joined[name])
                if name in categorical
                else _text_of(joined[name].values, text_arrays).take(joined[name].codes)
            )
            if name in coded
            else plain[name]
            for name in names
        }
        return pd.DataFrame(columns, copy=False)
    written = [
        {
            name: piece.materialized() if isinstance(piece, _Coded) else piece
            for name, piece in part.items()
        }
        for part in parts
    ]
    if not one_frame:
        return pd.concat([pd.DataFrame(part) for part in written], ignore_index=True)
    return pd.DataFrame(
        {
            name: np.concatenate(
                [
                    _repeated(part[name], length) if np.ndim(part[name]) == 0 else part[name]
                    for part, length in zip(written, lengths, strict=True)
                ]
            )
            for name in names
        }
    )


def _categorical(column: _Coded) -> pd.Categorical:
    """A coded text column as pandas' categorical of its distinct values, in sorted order (as
    a column of text sorts): each value's position among them looked up once, then taken at
    the lines' codes in the codes' own small integers."""
    codes, distinct = pd.factorize(column.values)
    order = np.argsort(np.asarray(distinct, dtype=object), kind="stable")
    rank = np.empty(len(order), dtype=column.codes.dtype)
    rank[order] = np.arange(len(order))
    categories = pd.Index(np.asarray(distinct, dtype=object)[order], dtype=_TEXT)
    return pd.Categorical.from_codes(
        rank[codes].take(column.codes), dtype=pd.CategoricalDtype(categories), validate=False
    )


def _length(part: dict[str, Any]) -> int:
    for piece in part.values():
        if isinstance(piece, _Coded):
            return len(piece.codes)
        if np.ndim(piece):
            return len(piece)
    raise ValueError("a part of a table without a column of its length")


def _plain(pieces: list[Any], lengths: list[int], one_frame: bool) -> np.ndarray | None:
    """A column of numbers or flags joined, where it is what pandas makes of the pieces: arrays
    of numbers (joined as numpy joins them), and, in a frame each, numbers of one dtype (a
    value for a whole part among them); None for anything else."""
    if all(isinstance(piece, np.ndarray) and piece.dtype != object for piece in pieces):
        if one_frame or len({piece.dtype for piece in pieces}) == 1:
            return np.concatenate(pieces)
        return None
    if one_frame or not all(isinstance(piece, (np.ndarray, bool, int, float)) for piece in pieces):
        return None
    arrays = [
        piece if isinstance(piece, np.ndarray) else np.full(length, piece)
        for piece, length in zip(pieces, lengths, strict=True)
    ]
    if any(array.dtype == object for array in arrays) or len({a.dtype for a in arrays}) > 1:
        return None
    return np.concatenate(arrays)


def _is_text(piece: Any, text_arrays: dict[int, tuple[np.ndarray, Any]]) -> bool:
    """Whether every value of a text piece (coded, or one value) is a str."""
    if isinstance(piece, _Coded):
        return _text_of(piece.values, text_arrays) is not None
    return isinstance(piece, str)


def _text_of(values: np.ndarray, text_arrays: dict[int, tuple[np.ndarray, Any]]) -> Any:
    """pandas' text of ``values``, where they are all str (else None): worked out once for
    the very same array, and kept in ``text_arrays`` with it."""
    known = text_arrays.get(id(values))
    if known is None or known[0] is not values:
        text = None
        if values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) == "string":
            text = pd.array(values, dtype=_TEXT)
        known = (values, text)
        text_arrays[id(values)] = known
    return known[1]


def _joined_codes(pieces: list[Any], lengths: list[int]) -> _Coded:
    """The text pieces (each coded, or one str for its whole part) as one coded column."""
    coded = [
        piece
        if isinstance(piece, _Coded)
        else _Coded(np.array([piece], dtype=object), np.zeros(length, dtype=np.intp))
        for piece, length in zip(pieces, lengths, strict=True)
    ]
    if all(piece.values is coded[0].values for piece in coded):
        values = coded[0].values
        pieces_codes = [piece.codes for piece in coded]
    else:
        values = np.concatenate([piece.values for piece in coded])
        offsets = np.cumsum([0, *(len(piece.values) for piece in coded[:-1])])
        pieces_codes = [piece.codes + offset for piece, offset in zip(coded, offsets, strict=True)]
    # The codes are kept with the table for its writers: in the smallest integers that hold
    # them, and one more (a writer's entry for a missing value), a byte a row for most columns.
    small = _code_type(len(values) + 1)
    return _Coded(values, np.concatenate(pieces_codes, dtype=small, casting="same_kind"))


def _code_type(count: int) -> np.dtype:
    """The smallest signed integer type that holds 0 .. ``count``."""
    for kind in (np.int8, np.int16, np.int32):
        if count <= np.iinfo(kind).max:
            return np.dtype(kind)
    return np.dtype(np.int64)


def _repeated(value: Any, count: int) -> np.ndarray:
    """``value`` ``count`` times, the one object (np.full would make a string of each)."""
    array = np.empty(count, dtype=object)
    array.fill(value)
    return array


_FLAGS = (False, True)


def _combinations(
    columns: list[np.ndarray | tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, list[tuple[Any, ...]]]:
    """Each row's combination of the columns' values as a code, and the distinct combinations
    by code: what a MultiIndex's factorize gives (up to the order of the codes), from one
    integer per row rather than a MultiIndex. A column is an array (of flags, or of values), or
    codes and the values they stand for (a value listed twice makes two combinations)."""
    key: np.ndarray | int = 0
    levels: list[Any] = []
    for column in columns:
        if isinstance(column, tuple):
            codes, uniques = column
        elif column.dtype == bool:  # no hashing: False and True are 0 and 1
            codes, uniques = column.astype(np.int64), _FLAGS
        else:
            codes, uniques = pd.factorize(column, use_na_sentinel=False)
        key = key * len(uniques) + codes
        levels.append(uniques)
    kind, distinct = pd.factorize(np.asarray(key, dtype=np.int64))
    combinations = []
    for value in distinct.tolist():
        parts = []
        for uniques in reversed(levels):
            value, code = divmod(value, len(uniques))
            parts.append(uniques[code])
        combinations.append(tuple(reversed(parts)))
    return kind, combinations
