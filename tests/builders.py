"""Small builders for engine tests: inputs written as Python literals, not files."""

from __future__ import annotations

from typing import Any

from planner.model.inputs import Inputs, environment_frame, license_frame
from planner.planning import build_plan
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


def capacity(plan: Plan, pool: str, column: str = "entitled_gb") -> float:
    row = plan.capacity[plan.capacity["pool"] == pool]
    return float(row[column].iloc[0])


def codes(plan: Plan) -> set[str]:
    return {f.code for f in plan.findings}
