"""The JSON contracts as types: the plan (``forecast --format json``, ``report --json``) and the
what-if comparison (``whatif --format json``), ``schema_version`` 1.

These classes are the one place the contracts are written: :mod:`planner.report.data` takes the
keys of each table from them, and ``docs/plan.schema.json`` and ``docs/whatif.schema.json`` are
generated from them (``python -m planner.report.contract`` writes both; a test fails when they
drift). A field that may be ``UNSET`` is optional in the schema (capplan writes it; a reader
may not rely on it in other producers): the required keys are the ones the contract first named.

Validation is msgspec's, whose import costs a few milliseconds: ``msgspec.convert(document,
PlanDocument)`` checks a document against the contract.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

MONTH_PATTERN = "^[0-9]{4}-(0[1-9]|1[0-2])$"
Month = Annotated[str, Meta(pattern=MONTH_PATTERN, description="a month, YYYY-MM")]
Status = Literal["ok", "warning", "critical", "over"]
Confidence = Literal["documented", "secondary", "assumed"]
CapacityType = Literal[
    "dataverse_database",
    "dataverse_file",
    "dataverse_log",
    "operations_database",
    "operations_file",
]
Count = Annotated[int, Meta(ge=0)]
MatchedBy = Literal["guid", "part_number", "display_name"]
# A key that a document may leave out (the schema does not require it); capplan writes it.
Unset = msgspec.UnsetType
UNSET = msgspec.UNSET


class _Row(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A record of the contract; keys in the order they are written."""


class InputRow(_Row, kw_only=True):
    path: str
    kind: Literal["licenses", "environments", "tenant_capacity"]
    format: str
    rows: Count
    # The tenant the file names (Graph accountId, admin API tenantId, tenant capacity tenantId).
    tenant_id: str | Unset | None = UNSET


class CapacityRow(_Row, kw_only=True):
    pool: str
    entitled_gb: float
    consumed_gb: float
    available_gb: float
    status: Status
    borrowed_gb: float | Unset = UNSET
    lent_gb: float | Unset = UNSET
    # Share of the effective capacity left (what the admin center's notifications use).
    remaining_share: float | Unset | None = UNSET
    # Own entitlement plus what the pool counts as borrowed for the notification (up to its
    # warning line); a lender's is its own entitlement.
    effective_entitled_gb: float | Unset = UNSET
    # What is left over after borrowing covered all it could: what an overage is.
    effective_deficit_gb: float | Unset = UNSET
    # Lender pool -> GB counted in the effective capacity.
    borrowed_from: dict[str, float] | Unset = UNSET
    # The status as the admin center words it ("Within capacity", "Deficit 5 GB").
    status_text: str | Unset = UNSET


class EntitlementRow(_Row, kw_only=True):
    pool: str
    source: str
    sku: str | None
    quantity: float
    gb: float
    kind: (
        Literal[
            "tenant_default",
            "per_license",
            "per_base_user",
            "capacity_addon",
            "sandbox_addon",
            "capacity_extension",
        ]
        | Unset
    ) = UNSET
    family: str | Unset = UNSET
    per_unit_gb: float | Unset = UNSET
    confidence: Confidence | Unset = UNSET
    rule: str | Unset = UNSET
    explanation: str | Unset = UNSET


class ConsumptionRow(_Row, kw_only=True):
    pool: str
    environment: str
    gb: float
    basis: str
    capacity_type: CapacityType | Unset = UNSET
    confidence: Literal["measured", "documented", "secondary", "assumed", "unknown"] | Unset = UNSET
    measured_gb: float | Unset | None = UNSET
    actual_gb: float | Unset | None = UNSET
    growth_gb_per_month: float | Unset = UNSET
    environment_type: str | Unset = UNSET
    power_platform: str | Unset = UNSET


class ForecastRow(_Row, kw_only=True):
    month: Month
    pool: str
    entitled_gb: float
    consumed_gb: float
    available_gb: float
    status: Status | Unset = UNSET
    borrowed_gb: float | Unset = UNSET
    lent_gb: float | Unset = UNSET
    effective_entitled_gb: float | Unset = UNSET
    remaining_share: float | Unset = UNSET
    effective_deficit_gb: float | Unset = UNSET


class ShortfallRow(_Row, kw_only=True):
    pool: str
    first_month: Month
    peak_deficit_gb: float
    addon_units: Count | None
    monthly_cost_usd: float | None
    peak_month: Month | Unset = UNSET
    # The deficit still rises in the horizon's last month: peak_month is where the plan stops.
    growing_at_end: bool | Unset = UNSET
    addon_sku: str | Unset | None = UNSET
    addon_unit_gb: float | Unset | None = UNSET
    note: str | Unset | None = UNSET


class PurchaseRow(_Row, kw_only=True):
    """An add-on to buy: units from a month on, with its cost."""

    pool: str
    addon_sku: str | None
    units: Count | None
    unit_gb: float | None
    gb: float
    buy_month: Month | None
    monthly_cost_usd: float | None
    horizon_cost_usd: float | None
    buffer_pct: float
    priced: bool
    note: str | None


class BoughtRow(_Row, kw_only=True):
    """An add-on a what-if scenario's own changes buy: units from a month on, with its cost."""

    pool: str
    addon_sku: str
    units: int
    unit_gb: float
    gb: float
    buy_month: Month
    monthly_cost_usd: float | None
    horizon_cost_usd: float | None
    priced: bool
    origin: str


class PoolRow(_Row, kw_only=True):
    """A pool of the rule set and its title, as reports name it."""

    pool: str
    title: str


class Headline(_Row, kw_only=True):
    """The sentences every format leads with, and the cost of what to buy."""

    tone: Literal["error", "short", "buy", "clear"]
    lines: list[str]
    monthly_cost_usd: float | None
    annual_cost_usd: float | None
    horizon_cost_usd: float | None


class ChangeRow(_Row, kw_only=True):
    """A what-if change the plan includes."""

    kind: str
    month: Month | None
    subject: str
    description: str
    origin: str | None


class FindingRow(_Row, kw_only=True):
    code: Annotated[str, Meta(pattern="^[A-Z][A-Z0-9_]*$")]
    severity: Literal["info", "warning", "error"]
    subject: str
    message: str
    month: Month | Unset | None = UNSET


class AssumptionRow(_Row, kw_only=True):
    pool: str | None
    sku: str | None
    value: str
    reason: str
    rule: str | Unset = UNSET
    environments: list[str] | Unset | None = UNSET


class LicenseRow(_Row, kw_only=True):
    sku: str
    sku_given: str | Unset | None = UNSET
    sku_id: str | Unset | None = UNSET
    quantity: int
    role: str | Unset | None = UNSET
    family: str | Unset | None = UNSET
    status: Literal["known", "unknown", "not_relevant"]
    source: str | Unset | None = UNSET
    location: str | Unset | None = UNSET
    # How the SKU catalog recognised the row ("" when nothing did), the catalog's part number
    # and product name, the name the file gave, and why the row counts nothing or how its rule
    # was chosen.
    matched_by: MatchedBy | Literal[""] | Unset = UNSET
    part_number: str | Unset | None = UNSET
    product_name: str | Unset | None = UNSET
    display_name: str | Unset | None = UNSET
    reason: str | Unset | None = UNSET


class IgnoredLicenseRow(_Row, kw_only=True):
    """A license row the SKU catalog says grants no capacity (free, trial, Office and other
    products): listed with the reason, never counted, never warned about."""

    sku: str
    product_name: str | Unset | None = UNSET
    quantity: int
    reason: str
    matched_by: MatchedBy
    source: str | Unset | None = UNSET
    location: str | Unset | None = UNSET


class ReconciledPoolRow(_Row, kw_only=True):
    """A pool of the rule set: capplan's month 0 beside Microsoft's figures (Microsoft minus
    capplan; null where Microsoft's answer has no figures for the pool)."""

    pool: str
    capplan_entitled_gb: float
    microsoft_entitled_gb: float | None
    entitled_difference_gb: float | None
    capplan_consumed_gb: float
    microsoft_consumed_gb: float | None  # rated
    microsoft_actual_gb: float | None
    consumed_difference_gb: float | None
    entitled_explanation: str | Unset = UNSET
    consumed_explanation: str | Unset = UNSET


class ReconciledLicenseRow(_Row, kw_only=True):
    """A license's capacity in one pool and part (Base = tenant default, Incremental = per
    license, AddOn = add-ons), capplan beside Microsoft."""

    sku: str
    pool: str
    part: Literal["Base", "Incremental", "AddOn"]
    capplan_units: int | None
    microsoft_units: int | None
    capplan_gb: float
    microsoft_gb: float
    difference_gb: float
    temporary: bool | Unset = UNSET
    expires: str | Unset = UNSET
    matched_by: str | Unset = UNSET
    explanation: str | Unset = UNSET


class NotCountedRow(_Row, kw_only=True):
    """A capacity type Microsoft lists that capplan does not count (trial, API calls, ...)."""

    capacity_type: str
    unit: str
    entitled: float | None
    rated: float | None
    note: str


class Reconciliation(_Row, kw_only=True):
    """Month 0 beside Microsoft's own figures; present only when a tenant capacity answer is
    among the inputs."""

    source: str | Unset = UNSET
    tenant_id: str | None
    license_model: str | Unset | None = UNSET
    status: str | Unset | None = UNSET
    tolerance_gb: Annotated[float, Meta(ge=0)]
    matches: bool
    pools: list[ReconciledPoolRow]
    licenses: list[ReconciledLicenseRow]
    explanations: list[str]
    not_counted: list[NotCountedRow] | Unset = UNSET


class LifecycleStage(_Row, kw_only=True):
    """A stage of the storage overage lifecycle the tenant reaches within the horizon."""

    stage: Literal[1, 2, 3]
    name: str
    starts: Annotated[str, Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    # The environments it affects, by name: every environment for stage 1, the sandboxes not
    # billed pay-as-you-go for stages 2 and 3.
    environments: list[str]
    # The first day of the deficit this stage follows from (T0).
    t0: Annotated[str, Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")] | Unset = UNSET


class Notification(_Row, kw_only=True):
    """The first month a pool reaches a level of the admin center's notifications: less than
    15% left (``warning``), less than 5% (``critical``), a deficit (``over``)."""

    month: Month
    pool: str
    status: Literal["warning", "critical", "over"]
    remaining_share: float
    effective_deficit_gb: float | Unset = UNSET


class PlanDocument(_Row, kw_only=True):
    """What 'capplan forecast --format json' prints and 'capplan report --json' writes."""

    schema_version: Literal[1]
    generator: str | Unset = UNSET
    ruleset: str
    ruleset_title: str | Unset = UNSET
    ruleset_effective_from: Month | Unset = UNSET
    defaults_combine: Literal["max", "sum"] | Unset = UNSET
    as_of: Month
    months: Annotated[int, Meta(ge=1)] | Unset = UNSET
    horizon_end: Month | Unset = UNSET
    inputs: list[InputRow] | Unset = UNSET
    capacity: Annotated[list[CapacityRow], Meta(min_length=1)]
    entitlement: list[EntitlementRow]
    consumption: list[ConsumptionRow]
    forecast: list[ForecastRow]
    shortfalls: list[ShortfallRow]
    purchases: list[PurchaseRow] | Unset = UNSET
    bought: list[BoughtRow] | Unset = UNSET
    changes: list[ChangeRow] | Unset = UNSET
    findings: list[FindingRow]
    assumptions: list[AssumptionRow]
    licenses: list[LicenseRow] | Unset = UNSET
    pools: list[PoolRow] | Unset = UNSET
    headline: Headline | Unset = UNSET
    ignored_licenses: list[IgnoredLicenseRow] | Unset = UNSET
    reconciliation: Reconciliation | Unset = UNSET
    # The first month each pool reaches each notification level, in month order.
    notifications: list[Notification] | Unset = UNSET
    # Stages of the storage overage lifecycle reached within the horizon; empty when none is.
    overage_lifecycle: list[LifecycleStage] | Unset = UNSET
    # Why the lifecycle does not apply to this tenant (a finance and operations tenant).
    overage_lifecycle_note: str | Unset | None = UNSET


class PoolSummaryRow(_Row, kw_only=True):
    pool: str
    entitled_gb: float | None
    consumed_gb: float | None
    available_gb: float | None
    entitled_end_gb: float | Unset | None = UNSET
    consumed_end_gb: float | Unset | None = UNSET
    available_end_gb: float | Unset | None = UNSET
    first_shortfall: Month | Unset | None = UNSET
    addon_units: int | Unset | None = UNSET
    monthly_cost_usd: float | Unset | None = UNSET
    bought_units: int | Unset = UNSET  # of addon_units: what the scenario's changes buy
    to_buy_units: int | Unset | None = UNSET  # of addon_units: what it still has to buy


class DeltaRow(_Row, kw_only=True):
    pool: str
    baseline_pools: list[str] | Unset = UNSET
    entitled_gb: float | None
    consumed_gb: float | None
    available_gb: float | None
    entitled_end_gb: float | Unset | None = UNSET
    consumed_end_gb: float | Unset | None = UNSET
    available_end_gb: float | Unset | None = UNSET
    addon_units: int | Unset | None = UNSET
    monthly_cost_usd: float | Unset | None = UNSET
    first_shortfall: Month | Unset | None = UNSET
    baseline_first_shortfall: Month | Unset | None = UNSET


class ExtensionRow(_Row, kw_only=True):
    """A capacity extension a scenario asked for and was allowed: what it adds, why it was
    allowed, and whether it bridges the gap to a later purchase or clean-up of the scenario."""

    pool: str
    month: Month  # asked for
    gb: float  # added to the pool's entitlement in each month of ``months``
    months: list[Month]  # the months it counts in, within the horizon
    consumed_gb: float  # the pool's consumption in ``month``, of which gb is the rule's share
    used_share: float | None  # consumed / effective capacity then; null: no capacity at all
    allowed: str  # why the rule set's rules allow it
    # True when the pool has no deficit from ``month`` until ``until``, the month a later
    # change of the scenario adds capacity or takes consumption out (null: none planned).
    bridges: bool
    until: Month | None
    short_in: Month | None  # the first month short in that span (to the horizon without one)
    note: str
    origin: str


class RulesetSwitch(_Row, kw_only=True):
    rules: str
    month: Month


class ScenarioEntry(_Row, kw_only=True):
    name: str
    source: str | Unset = UNSET
    description: str | Unset = UNSET
    changes: list[str] | Unset = UNSET
    summary: list[PoolSummaryRow] | Unset = UNSET
    delta: list[DeltaRow]
    plan: PlanDocument
    extensions: list[ExtensionRow] | Unset = UNSET
    ruleset_switch: RulesetSwitch | Unset = UNSET
    plan_before_switch: PlanDocument | Unset = UNSET


class WhatifDocument(_Row, kw_only=True):
    """What 'capplan whatif --format json' prints, and 'capplan report --json' writes with
    scenarios."""

    schema_version: Literal[1]
    baseline: PlanDocument
    baseline_summary: list[PoolSummaryRow] | Unset = UNSET
    scenarios: list[ScenarioEntry]


def keys(row: type[msgspec.Struct]) -> tuple[str, ...]:
    """A record's keys in the order they are written."""
    return row.__struct_fields__


PLAN_SCHEMA = "plan.schema.json"
WHATIF_SCHEMA = "whatif.schema.json"
_HEADERS = {
    PLAN_SCHEMA: (
        "capplan-plan-v1",
        "capplan plan (schema_version 1)",
        "What 'capplan forecast --format json' prints and 'capplan report --json' writes. GB "
        "values are numbers rounded to at most 3 decimals. Keys may be added in later versions "
        "of schema 1; none are renamed or removed.",
        PlanDocument,
    ),
    WHATIF_SCHEMA: (
        "capplan-whatif-v1",
        "capplan what-if comparison (schema_version 1)",
        "What 'capplan whatif --format json' prints, and 'capplan report --json' writes with "
        "scenarios. GB values are numbers rounded to at most 3 decimals. Keys may be added in "
        "later versions of schema 1; none are renamed or removed.",
        WhatifDocument,
    ),
}


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) ``name`` (``plan.schema.json`` or ``whatif.schema.json``),
    generated from the classes above."""
    identifier, title, description, document = _HEADERS[name]
    (top,), definitions = msgspec.json.schema_components([document], ref_template="#/$defs/{name}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": identifier,
        "title": title,
        "description": description,
        "$defs": definitions,
        **top,
    }


def schema_text(name: str) -> str:
    return json.dumps(schema(name), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write both schemas into the folder given (default ``docs``)."""
    folder = Path((argv if argv is not None else sys.argv[1:] or ["docs"])[0])
    for name in _HEADERS:
        (folder / name).write_text(schema_text(name), encoding="utf-8")
        print(f"wrote {folder / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
