"""Small builders for engine tests: inputs written as Python literals, not files."""

from __future__ import annotations

from typing import Any

import numpy as np

from planner.engine.consumption import compute_consumption
from planner.engine.entitlement import compute_entitlement
from planner.engine.forecast import Forecast
from planner.model.inputs import Inputs, environment_frame, license_frame
from planner.planning import build_plan, run_engine
from planner.results import Plan
from planner.ruleset import resolve_ruleset


def licenses(**quantities: int) -> list[dict[str, Any]]:
    return [{"sku": sku, "quantity": q, "source": "test"} for sku, q in quantities.items()]


def make_inputs(
    license_rows: list[dict[str, Any]] | None = None,
    environment_rows: list[dict[str, Any]] | None = None,
) -> Inputs:
    rows = [{"source": "test", **row} for row in (license_rows or [])]
    return Inputs(license_frame(rows), environment_frame(environment_rows or []))


def make_plan(
    license_rows: list[dict[str, Any]] | None = None,
    environment_rows: list[dict[str, Any]] | None = None,
    *,
    rules: str = "pooled-2025-12",
    as_of: str = "2026-12",
    months: int = 24,
) -> Plan:
    return build_plan(
        make_inputs(license_rows, environment_rows), resolve_ruleset(rules, as_of), as_of, months
    )


def entitled_by_pool(
    license_rows: list[dict[str, Any]],
    *,
    rules: str = "pooled-2025-12",
    as_of: str = "2026-12",
    months: int = 24,
) -> np.ndarray:
    """The entitlement engine alone: GB per pool (rows) and month (columns), which the forecast
    takes as its entitled capacity."""
    rows = [{"source": "test", **row} for row in license_rows]
    return compute_entitlement(license_frame(rows), resolve_ruleset(rules, as_of), months).by_pool


def consumed_by_pool(
    environment_rows: list[dict[str, Any]],
    *,
    rules: str = "pooled-2025-12",
    as_of: str = "2026-12",
    months: int = 24,
) -> np.ndarray:
    """The consumption engine alone: GB per pool (rows) and month (columns), which the forecast
    takes as consumed."""
    ruleset = resolve_ruleset(rules, as_of)
    return compute_consumption(environment_frame(environment_rows), ruleset, months).by_pool


def make_forecast(
    license_rows: list[dict[str, Any]] | None = None,
    environment_rows: list[dict[str, Any]] | None = None,
    *,
    rules: str = "pooled-2025-12",
    as_of: str = "2026-12",
    months: int = 24,
) -> Forecast:
    """The engine alone (entitlement, consumption, forecast), without the plan's checks and
    reports: the engine's properties are about these figures, and each example is cheaper."""
    inputs = make_inputs(license_rows, environment_rows)
    return run_engine(inputs, resolve_ruleset(rules, as_of), as_of, months)[3]


def capacity(plan: Plan, pool: str, column: str = "entitled_gb") -> float:
    row = plan.capacity[plan.capacity["pool"] == pool]
    return float(row[column].iloc[0])


def codes(plan: Plan) -> set[str]:
    return {f.code for f in plan.findings}
