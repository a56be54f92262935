"""``plan()``, the library entry point: ingest -> engine -> checks, giving one Plan.

Data flows one way: inputs (already ingested) -> engine (entitlement, consumption, forecast) ->
checks (findings) -> renderers. Nothing here reads files or prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
import pandas as pd

from planner.checks import run_checks
from planner.engine.consumption import FLAT_GROWTH_RULE, Consumption, compute_consumption
from planner.engine.entitlement import EXTENSION_MONTHS_RULE, Entitlement, compute_entitlement
from planner.engine.forecast import (
    Forecast,
    bought_addons,
    compute_forecast,
    lenders_of,
    recommend_purchases,
)
from planner.engine.lifecycle import Lifecycle, overage_lifecycle
from planner.engine.reconcile import DEFAULT_TOLERANCE_GB, reconcile
from planner.errors import InputError
from planner.model.inputs import Inputs
from planner.model.memory import release_memory
from planner.model.months import (
    DAYS_PER_MONTH,
    LAST_MONTH,
    current_month,
    format_month,
    month_labels,
    months_of_days,
    parse_month,
)
from planner.model.units import MB_PER_GB
from planner.results import Plan
from planner.ruleset import RuleSet, resolve_ruleset

if TYPE_CHECKING:
    from planner.model.changes import Change

MAX_MONTHS = 120
# How tenant defaults of several families combine, in words (the rule is ``defaults_combine``).
COMBINE_WORDS = {
    "max": "Only the largest tenant default applies",
    "sum": "Tenant defaults of all families add up",
}
ASSUMPTION_COLUMNS = ("pool", "sku", "value", "reason", "rule", "environments")


def validate_horizon(as_of: str | None, months: int) -> str:
    month = current_month() if as_of is None else as_of
    parse_month(month, what="--as-of")
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        raise InputError(
            f"--months {months!r} is not a usable horizon",
            expected=f"a whole number of months from 1 to {MAX_MONTHS}",
        )
    start = parse_month(month)
    last = start + months - 1
    if last > LAST_MONTH:
        raise InputError(
            f"the horizon of {months} months from {format_month(start)} ends in "
            f"{format_month(last)}, after {format_month(LAST_MONTH)}, the last month capplan "
            "plans",
            expected=f"--as-of and --months that end by {format_month(LAST_MONTH)}",
        )
    return format_month(start)


def plan(
    inputs: Inputs | Sequence[str | Path],
    *,
    rules: str | RuleSet | None = None,
    as_of: str | None = None,
    months: int = 24,
    include_warning_units: bool = False,
    buffer_pct: float = 0.0,
    buy_at: str = "first-shortfall",
    tolerance_gb: float = DEFAULT_TOLERANCE_GB,
) -> Plan:
    """Plan capacity for a tenant: entitlement, consumption, monthly forecast, findings.

    ``inputs`` is an :class:`Inputs` or a list of file paths (license exports and environment
    lists in any supported format). ``rules`` is a bundled rule set id, a rules file path, a
    loaded RuleSet, or None for the newest bundled rule set effective at ``as_of``.
    """
    as_of = validate_horizon(as_of, months)
    if not isinstance(inputs, Inputs):
        from planner.ingest import load_inputs

        inputs = load_inputs(list(inputs), include_warning_units=include_warning_units)
    ruleset = rules if isinstance(rules, RuleSet) else resolve_ruleset(rules, as_of)
    return build_plan(
        inputs,
        ruleset,
        as_of,
        months,
        buffer_pct=buffer_pct,
        buy_at=buy_at,
        tolerance_gb=tolerance_gb,
    )


def build_plan(
    inputs: Inputs,
    ruleset: RuleSet,
    as_of: str,
    months: int,
    changes: Sequence[Change] = (),
    *,
    buffer_pct: float = 0.0,
    buy_at: str = "first-shortfall",
    tolerance_gb: float = DEFAULT_TOLERANCE_GB,
    reuse: Plan | None = None,
) -> Plan:
    """Run the engine and the checks. ``changes`` are the planned changes already applied to
    ``inputs`` (by planner.scenarios.apply); the plan keeps them for the checks. ``reuse``: see
    :func:`run_engine`."""
    plan = engine_plan(
        inputs,
        ruleset,
        as_of,
        months,
        changes,
        buffer_pct=buffer_pct,
        buy_at=buy_at,
        tolerance_gb=tolerance_gb,
        reuse=reuse,
    )
    return check_plan(plan, reuse)


def check_plan(plan: Plan, reuse: Plan | None = None) -> Plan:
    """The plan with its findings: every check run over it (``reuse``: see :func:`run_checks`).
    Nothing else of the plan changes: a writer may begin with the plan the engine made."""
    checked = msgspec.structs.replace(plan, findings=run_checks(plan, reuse))
    release_memory()
    return checked


def engine_plan(
    inputs: Inputs,
    ruleset: RuleSet,
    as_of: str,
    months: int,
    changes: Sequence[Change] = (),
    *,
    buffer_pct: float = 0.0,
    buy_at: str = "first-shortfall",
    tolerance_gb: float = DEFAULT_TOLERANCE_GB,
    reuse: Plan | None = None,
) -> Plan:
    """:func:`build_plan` before the checks: the plan the engine makes, without findings."""
    labels = month_labels(as_of, months)
    ruleset, entitlement, consumption, forecast = run_engine(
        inputs, ruleset, as_of, months, reuse=reuse
    )
    # The engine's working arrays, several times the plan it keeps, go back to the system.
    release_memory()
    capacity = pd.DataFrame(
        {
            "pool": list(ruleset.pool_names),
            "entitled_gb": forecast.entitled[:, 0],
            "consumed_gb": forecast.consumed[:, 0],
            "borrowed_gb": forecast.borrowed[:, 0],
            "lent_gb": forecast.lent[:, 0],
            "available_gb": forecast.available[:, 0],
            "status": forecast.status[:, 0],
            "effective_entitled_gb": forecast.effective[:, 0],
            "remaining_share": forecast.remaining[:, 0],
            "effective_deficit_gb": forecast.deficit[:, 0],
            "borrowed_from": [lenders_of(forecast, pool, 0) for pool in ruleset.pool_names],
        }
    )
    lifecycle = overage_lifecycle(forecast, consumption.environments, consumption, ruleset)
    result = Plan(
        ruleset=ruleset,
        as_of=as_of,
        months=months,
        inputs=inputs,
        licenses=entitlement.licenses,
        environments=consumption.environments,
        capacity=capacity,
        entitlement=entitlement.lines,
        consumption=consumption.lines,
        forecast=forecast,
        shortfalls=forecast.shortfalls,
        assumptions=with_lifecycle_assumption(
            collect_assumptions(ruleset, entitlement, consumption), lifecycle
        ),
        entitlement_detail=entitlement,
        consumption_detail=consumption,
        purchases=recommend_purchases(forecast, ruleset, buffer_pct, buy_at),
        bought=bought_addons(changes, ruleset, labels),
        changes=tuple(changes),
        lifecycle=lifecycle,
        # A scenario changes the licenses and environments; only the tenant as given can be
        # held against Microsoft's figures.
        reconciliation=None
        if changes
        else reconcile(
            inputs,
            ruleset,
            entitlement.lines,
            entitlement.licenses,
            consumption.lines,
            capacity,
            tolerance_gb,
        ),
    )
    return result


def with_lifecycle_assumption(assumptions: pd.DataFrame, lifecycle: Lifecycle) -> pd.DataFrame:
    """The month model behind the overage lifecycle's dates, listed where it placed any."""
    if not lifecycle.stages:
        return assumptions
    row = {
        "pool": None,
        "sku": None,
        "value": "T0 is the first day of the first month over",
        "reason": (
            "the plan works in months: a month with a deficit counts as over from its first day "
            "to its last, and the tenant as back within capacity from the first day of the "
            "first month without one; the page counts from the day consumption passes 100%, "
            "so the real dates can be later within the month"
        ),
        "rule": "overage lifecycle",
        "environments": [],
    }
    return pd.concat([assumptions, pd.DataFrame([row])], ignore_index=True)


def run_engine(
    inputs: Inputs, ruleset: RuleSet, as_of: str, months: int, *, reuse: Plan | None = None
) -> tuple[RuleSet, Entitlement, Consumption, Forecast]:
    """The engine's one path: entitlement (licenses and capacity extensions) and consumption,
    then the forecast of every pool and month. Returns the rule set as of ``as_of`` too.

    ``reuse``, a plan of the very same environment and pool growth tables under the same rule
    set and horizon (the baseline of a scenario that changes only licenses or add-ons), lends
    its consumption rather than having it computed again."""
    # A license with dated versions (Sales Premium from 2026-04) plans with the version of the
    # contract month.
    ruleset = ruleset.at(as_of)
    entitlement = compute_entitlement(
        inputs.licenses, ruleset, months, extensions=inputs.extensions
    )
    if reuse is not None and _same_consumption(reuse, inputs, ruleset, as_of, months):
        consumption = reuse.consumption_detail
    else:
        consumption = compute_consumption(inputs.environments, ruleset, months, inputs.pool_growth)
    forecast = compute_forecast(
        entitlement.by_pool, consumption.by_pool, month_labels(as_of, months), ruleset
    )
    return ruleset, entitlement, consumption, forecast


def _same_consumption(
    other: Plan, inputs: Inputs, ruleset: RuleSet, as_of: str, months: int
) -> bool:
    """Whether ``other`` computed its consumption from the same objects (the same tables, not
    merely equal ones) that a plan of ``inputs`` would compute it from."""
    return (
        other.inputs.environments is inputs.environments
        and other.inputs.pool_growth is inputs.pool_growth
        and other.ruleset.consumption is ruleset.consumption
        and other.ruleset.environment_types is ruleset.environment_types
        and other.ruleset.pools is ruleset.pools
        and other.as_of == as_of
        and other.months == months
    )


def extension_assumption(ruleset: RuleSet) -> dict[str, object] | None:
    """How a capacity extension's days become months of the plan, as an assumption row (None
    when the rule set states no capacity extension)."""
    overage = ruleset.overage
    if overage is None:
        return None
    days = overage.extension_days.value
    window = overage.extension_window_days.value
    covered = months_of_days(days)
    return {
        "pool": None,
        "sku": None,
        "value": (
            f"a capacity extension's {days:g} days counted as {covered} whole month"
            f"{'s' if covered != 1 else ''}, from the month asked for"
        ),
        "reason": (
            "the plan counts whole months: an extension is taken as asked for on the first day "
            f"of its month and counted in full in every month its {days:g} days reach (a month "
            f"of {DAYS_PER_MONTH:.1f} days on average), although it ends part-way through the "
            f"last; requests count against the limit of {overage.extension_max.value:g} in "
            f"{window:g} days for the tenant as a whole, all capacity types together, and two "
            f"requests are within {window:g} days when fewer than {months_of_days(window)} "
            "months apart"
        ),
        "rule": EXTENSION_MONTHS_RULE,
        "environments": [],
    }


def collect_assumptions(
    ruleset: RuleSet, entitlement: Entitlement, consumption: Consumption
) -> pd.DataFrame:
    """Every assumed number the plan used, once per rule, with the reason and who it touched."""
    rows: list[dict] = []
    meta = entitlement.line_meta
    held = entitlement.line_units.max(axis=1, initial=0) > 0
    for line, used in zip(meta.itertuples(index=False), held, strict=True):
        # An assumed amount shapes the plan whenever its license is held or its default granted,
        # even when the amount is zero.
        if line.confidence != "assumed" or not used:
            continue
        rows.append(
            {
                "pool": line.pool,
                "sku": line.sku or None,
                "value": _amount_text(line.per_unit_gb) + _per(line.kind),
                "reason": line.note or "no public source gives this number",
                "rule": line.rule,
                "environments": [],
            }
        )
    estimates = consumption.estimates_used
    flagged = estimates[estimates["confidence"].isin(["assumed", "unknown"])]
    # Each (rule, pool) group's rows by position, in the groups' sorted order, and the columns
    # read as arrays: no frame made per group (a large tenant's estimates are tens of thousands
    # of rows, in a dozen groups).
    groups = sorted(flagged.groupby(["rule", "pool"], sort=True).indices.items())
    confidences, gbs, notes, names = (
        flagged[column].to_numpy(dtype=object)
        for column in ("confidence", "gb", "note", "environment")
    )
    for (rule, pool), positions in groups:
        first = positions[0]
        confidence = confidences[first]
        rows.append(
            {
                "pool": pool,
                "sku": None,
                "value": (
                    "unknown, counted as 0 GB"
                    if confidence == "unknown"
                    else _amount_text(float(gbs[first])) + " per environment"
                ),
                "reason": (
                    "no measured usage and no planning estimate in the rule set"
                    if confidence == "unknown"
                    else (notes[first] or "no public source gives this number")
                ),
                "rule": rule,
                "environments": sorted(map(str, names[positions].tolist())),
            }
        )
    granted = sorted(
        {f for f in entitlement.licenses.loc[entitlement.licenses["role"] == "base", "family"]}
    )
    with_defaults = [f for f in granted if ruleset.families[f].tenant_default]
    if len(with_defaults) > 1:
        rows.append(
            {
                "pool": None,
                "sku": None,
                "value": COMBINE_WORDS.get(ruleset.defaults_combine, ruleset.defaults_combine),
                "reason": (
                    "the sources do not settle whether tenant defaults of different families "
                    f"({', '.join(with_defaults)}) add up or only the largest applies"
                ),
                "rule": "defaults_combine",
                "environments": [],
            }
        )
    extended = entitlement.line_meta["kind"] == "capacity_extension"
    if bool((extended & held).any()):
        row = extension_assumption(ruleset)
        if row is not None:
            rows.append(row)
    if not consumption.growth_stated:
        rows.append(
            {
                "pool": None,
                "sku": None,
                "value": "no growth",
                "reason": (
                    "no environment states a monthly growth, so every month keeps month 0's "
                    "usage; give <type>_growth_gb_per_month in the inventory or a growth sheet"
                ),
                "rule": FLAT_GROWTH_RULE,
                "environments": [],
            }
        )
    return pd.DataFrame(rows, columns=list(ASSUMPTION_COLUMNS))


def _amount_text(gb: float) -> str:
    if gb and gb < 1:
        return f"{gb * MB_PER_GB:g} MB"
    return f"{gb:g} GB"


def _per(kind: str) -> str:
    return {
        "tenant_default": " per tenant",
        "per_license": " per license",
        "capacity_addon": " per unit",
        "sandbox_addon": " per sandbox",
        "per_base_user": " per sandbox and user",
    }.get(kind, "")
