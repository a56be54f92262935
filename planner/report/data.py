"""The Plan as plain data: the JSON contract (``schema_version`` 1) that every format agrees with.

GB values stay unrounded here; they are rounded to 3 decimals only when written, so comparisons
(status, shortfall, ``--fail-on``) never see rounded numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from planner import __version__
from planner.engine.forecast import PURCHASE_COLUMNS
from planner.results import Comparison, Plan
from planner.scenarios.compare import delta, matching_pools, pool_summary

SCHEMA_VERSION = 1


def _clean(value: Any) -> Any:
    """numpy and pandas scalars to plain Python; NaN to None."""
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_clean(v) for v in value]
    if value is pd.NA or value is None:
        return None
    return value


def records(
    frame: pd.DataFrame, columns: list[str] | tuple[str, ...], digits: int | None = None
) -> list[dict[str, Any]]:
    """Rows as plain dicts (NaN as None), converted column-wise so that thousands of rows stay
    cheap; floats rounded to ``digits`` when given (for writing)."""
    subset = frame.loc[:, list(columns)]
    converted: dict[str, list[Any]] = {}
    for column in columns:
        values = subset[column]
        if pd.api.types.is_float_dtype(values):
            numbers = values.to_numpy(dtype=float)
            if digits is not None:
                numbers = np.round(numbers, digits) + 0.0
            converted[column] = [None if v != v else v for v in numbers.tolist()]
        elif pd.api.types.is_integer_dtype(values) or pd.api.types.is_bool_dtype(values):
            converted[column] = values.tolist()
        else:
            converted[column] = [v if type(v) is str else _clean(v) for v in values.tolist()]
    return [dict(zip(columns, row, strict=True)) for row in zip(*converted.values(), strict=True)]


def rounded_frame(
    frame: pd.DataFrame, columns: list[str] | tuple[str, ...], digits: int | None = None
) -> pd.DataFrame:
    """The columns of a table with floats rounded to ``digits``: what :func:`records` holds, kept
    as a frame for writers that encode whole tables at once (the JSON of a large tenant)."""
    subset = frame.loc[:, list(columns)].copy()
    if digits is not None:
        for column in columns:
            if pd.api.types.is_float_dtype(subset[column]):
                subset[column] = np.round(subset[column].to_numpy(dtype=float), digits) + 0.0
    return subset


# Tables whose length grows with the tenant (a line per environment and capacity type, a row per
# month and pool); the JSON writer may take them as frames.
LARGE_TABLES = ("consumption", "forecast")


CAPACITY_KEYS = (
    "pool",
    "entitled_gb",
    "consumed_gb",
    "available_gb",
    "status",
    "borrowed_gb",
    "lent_gb",
    "remaining_share",
)
ENTITLEMENT_KEYS = (
    "pool",
    "source",
    "sku",
    "quantity",
    "gb",
    "kind",
    "family",
    "per_unit_gb",
    "confidence",
    "rule",
    "explanation",
)
CONSUMPTION_KEYS = (
    "pool",
    "environment",
    "gb",
    "basis",
    "capacity_type",
    "confidence",
    "measured_gb",
    "actual_gb",
    "growth_gb_per_month",
    "environment_type",
    "power_platform",
)
FORECAST_KEYS = (
    "month",
    "pool",
    "entitled_gb",
    "consumed_gb",
    "available_gb",
    "status",
    "borrowed_gb",
    "lent_gb",
)
SHORTFALL_KEYS = (
    "pool",
    "first_month",
    "peak_deficit_gb",
    "addon_units",
    "monthly_cost_usd",
    "peak_month",
    "addon_sku",
    "addon_unit_gb",
    "note",
)
PURCHASE_KEYS = PURCHASE_COLUMNS
ASSUMPTION_KEYS = ("pool", "sku", "value", "reason", "rule", "environments")
LICENSE_KEYS = (
    "sku",
    "sku_given",
    "sku_id",
    "quantity",
    "role",
    "family",
    "status",
    "source",
    "location",
)


def consumption_frame(lines: Any) -> pd.DataFrame:
    """The consumption lines as a frame, whether ``plan_data`` gave them as one or as records."""
    if isinstance(lines, pd.DataFrame):
        return lines
    return pd.DataFrame.from_records(lines, columns=list(CONSUMPTION_KEYS))


def plan_data(
    plan: Plan, digits: int | None = None, frames: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The plan as plain data; floats in record lists rounded to ``digits`` when given. Tables
    named in ``frames`` (of LARGE_TABLES) come as rounded frames instead of lists of records."""

    def table(name: str, frame: pd.DataFrame, keys: tuple[str, ...]) -> Any:
        if name in frames:
            return rounded_frame(frame, keys, digits)
        return records(frame, keys, digits)

    ruleset = plan.ruleset
    capacity = plan.capacity.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        capacity["remaining_share"] = np.where(
            capacity["entitled_gb"] > 0, capacity["available_gb"] / capacity["entitled_gb"], np.nan
        )
    entitlement = plan.entitlement.copy()
    entitlement["sku"] = entitlement["sku"].where(entitlement["sku"] != "", None)
    shortfalls = plan.shortfalls.astype({"addon_units": object})
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": f"capplan {__version__}",
        "ruleset": ruleset.id,
        "ruleset_title": ruleset.title,
        "ruleset_effective_from": ruleset.effective_from,
        "defaults_combine": ruleset.defaults_combine,
        "as_of": plan.as_of,
        "months": plan.months,
        "horizon_end": plan.forecast.months[-1],
        "inputs": [
            {"path": s.path, "kind": s.kind, "format": s.format, "rows": s.rows}
            for s in plan.inputs.sources
        ],
        "capacity": records(capacity, CAPACITY_KEYS, digits),
        "entitlement": records(entitlement, ENTITLEMENT_KEYS, digits),
        "consumption": table("consumption", plan.consumption, CONSUMPTION_KEYS),
        "forecast": table("forecast", plan.forecast.table, FORECAST_KEYS),
        "shortfalls": records(shortfalls, SHORTFALL_KEYS, digits),
        "purchases": records(plan.purchases.astype({"units": object}), PURCHASE_KEYS, digits),
        "changes": [
            {
                "kind": c.kind,
                "month": c.month_label,
                "subject": c.subject,
                "description": c.describe(),
                "origin": c.origin,
            }
            for c in plan.changes
        ],
        "findings": [
            {
                "code": f.code,
                "severity": f.severity,
                "subject": f.subject,
                "message": f.message,
                "month": f.month,
            }
            for f in plan.findings
        ],
        "assumptions": records(plan.assumptions, ASSUMPTION_KEYS, digits),
        "licenses": records(plan.licenses, LICENSE_KEYS, digits),
    }


def rounded(value: Any, digits: int = 3) -> Any:
    """Round every float in a nested structure (for writing only); -0.0 becomes 0.0."""
    if isinstance(value, float):
        return round(value, digits) + 0.0
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v, digits) for v in value]
    return value


def comparison_data(comparison: Comparison, digits: int | None = None) -> dict[str, Any]:
    """The whatif JSON contract: baseline plan, and per scenario its plan and deltas."""
    baseline_summary = pool_summary(comparison.baseline)
    scenarios = []
    for scenario, plan in comparison.scenarios:
        summary = pool_summary(plan)
        entry: dict[str, Any] = {
            "name": scenario.name,
            "source": scenario.source,
            "description": scenario.description,
            "changes": [c.describe() for c in scenario.changes],
            "summary": summary,
            "delta": delta(baseline_summary, summary),
            "plan": plan_data(plan, digits),
        }
        if scenario.switch is not None:
            # Compared from the switch month on, pool by pool of the new rule set.
            before = comparison.before_switch[scenario.name]
            at_switch = pool_summary(comparison.baseline, start=scenario.switch.month)
            entry["changes"].append(scenario.switch.describe())
            entry["delta"] = delta(
                at_switch, summary, matching_pools(comparison.baseline.ruleset, plan.ruleset)
            )
            entry["ruleset_switch"] = {
                "rules": plan.ruleset.id,
                "month": scenario.switch.month_label,
            }
            entry["plan_before_switch"] = plan_data(before, digits)
        scenarios.append(entry)
    return {
        "schema_version": SCHEMA_VERSION,
        "baseline": plan_data(comparison.baseline, digits),
        "baseline_summary": baseline_summary,
        "scenarios": scenarios,
    }
