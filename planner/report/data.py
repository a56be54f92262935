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
from planner.plan import Plan

SCHEMA_VERSION = 1


def _clean(value: Any) -> Any:
    """numpy and pandas scalars to plain Python; NaN to None."""
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if value is pd.NA or value is None:
        return None
    return value


def records(frame: pd.DataFrame, columns: list[str] | tuple[str, ...]) -> list[dict[str, Any]]:
    subset = frame.loc[:, list(columns)]
    return [
        {c: _clean(v) for c, v in zip(columns, row, strict=True)}
        for row in subset.itertuples(index=False, name=None)
    ]


def plan_data(plan: Plan) -> dict[str, Any]:
    ruleset = plan.ruleset
    capacity = plan.capacity.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        capacity["remaining_share"] = np.where(
            capacity["entitled_gb"] > 0, capacity["available_gb"] / capacity["entitled_gb"], np.nan
        )
    entitlement = plan.entitlement.copy()
    entitlement["sku"] = entitlement["sku"].where(entitlement["sku"] != "", None)
    licenses = plan.licenses
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
        "capacity": records(
            capacity,
            (
                "pool",
                "entitled_gb",
                "consumed_gb",
                "available_gb",
                "status",
                "borrowed_gb",
                "lent_gb",
                "remaining_share",
            ),
        ),
        "entitlement": records(
            entitlement,
            (
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
            ),
        ),
        "consumption": records(
            plan.consumption,
            (
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
            ),
        ),
        "forecast": records(
            plan.forecast.table,
            (
                "month",
                "pool",
                "entitled_gb",
                "consumed_gb",
                "available_gb",
                "status",
                "borrowed_gb",
                "lent_gb",
            ),
        ),
        "shortfalls": records(
            plan.shortfalls,
            (
                "pool",
                "first_month",
                "peak_deficit_gb",
                "addon_units",
                "monthly_cost_usd",
                "peak_month",
                "addon_sku",
                "addon_unit_gb",
                "note",
            ),
        ),
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
        "assumptions": records(
            plan.assumptions, ("pool", "sku", "value", "reason", "rule", "environments")
        ),
        "licenses": records(
            licenses,
            (
                "sku",
                "sku_given",
                "sku_id",
                "quantity",
                "role",
                "family",
                "status",
                "source",
                "location",
            ),
        ),
    }


def rounded(value: Any, digits: int = 3) -> Any:
    """Round every float in a nested structure (for writing only)."""
    if isinstance(value, float):
        result = round(value, digits)
        return 0.0 if result == 0 else result
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v, digits) for v in value]
    return value
