"""The shape of a rules file: every table, the keys it may and must hold, and their types.

planner.ruleset.load converts the parsed TOML into these Structs with planner.model.structs
(unknown keys, missing keys and wrong types are refused there, with the entry and its line), then
checks what a type cannot say: that a source is defined, a pool exists, a month is valid, and
builds the model of planner.ruleset.model. docs/rules.md describes the same keys for people.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

Month = Annotated[str, msgspec.Meta(description="YYYY-MM")]


class _Table(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A TOML table: every key it may hold is declared (kw_only in each subclass lets required
    keys follow optional ones)."""


class SourceTable(_Table, kw_only=True):
    title: str
    url: str
    edition: str = ""
    page: str | int = ""


class AmountTable(_Table, kw_only=True):
    amount: Annotated[str, msgspec.Meta(description='an amount like "10 GB"')]
    source: str | None = None
    confidence: str | None = None
    note: str | None = None


# An amount: "10 GB" (source and confidence from the entry around it) or a table of its own.
AmountEntry = Annotated[
    str | AmountTable,
    msgspec.Meta(description='a string like "10 GB" or a table with amount, source, confidence'),
]
Amounts = dict[str, AmountEntry]


class Figure(_Table, kw_only=True):
    """A number that is not an amount of storage: a share, a count of days."""

    value: float
    source: str
    confidence: str


class PoolTable(_Table, kw_only=True):
    name: str
    title: str
    draws_on: list[str]


class BorrowingTable(_Table, kw_only=True):
    lender: str
    borrower: str
    source: str
    confidence: str


class ThresholdsTable(_Table, kw_only=True):
    warning_remaining: Figure
    critical_remaining: Figure
    provisioning_minimum: AmountTable


class OverageTable(_Table, kw_only=True):
    stage_2_after_days: Figure
    stage_3_after_days: Figure
    extension_above: Figure
    extension_share: Figure
    extension_days: Figure
    extension_max: Figure
    extension_window_days: Figure


class MinimumTable(AmountTable, kw_only=True):
    capacity_type: str


class ConsumptionTable(_Table, kw_only=True):
    counted_power_platform_skus: list[str]
    no_dataverse_profiles: list[str] = []
    minimum: MinimumTable
    default_included: Amounts
    estimates: dict[str, Amounts]


class EnvironmentTypeTable(_Table, kw_only=True):
    power_platform_sku: str
    default_power_platform: str = "none"
    lcs_managed: bool = False
    operations_capacity: bool = False


class _Cited(_Table, kw_only=True):
    """Source, confidence and note that the amounts of the entry inherit."""

    source: str | None = None
    confidence: str | None = None
    note: str | None = None

    def inherited(self) -> dict[str, str]:
        named = {"source": self.source, "confidence": self.confidence, "note": self.note}
        return {key: value for key, value in named.items() if value is not None}


class FamilyTable(_Cited, kw_only=True):
    title: str
    tenant_default: Amounts | None = None
    minimum_base_licenses: int | None = None
    included_sandboxes: int | None = None


class LicenseTable(_Cited, kw_only=True):
    sku: str
    guid: str = ""
    names: list[str] = []
    role: str
    family: str
    tier: int | None = None
    per_license: Amounts | None = None
    per_base_user: Amounts | None = None
    tenant_default: Amounts | None = None
    per_user_of: Annotated[list[str], msgspec.Meta(description="a list of part numbers")] = []
    minimum_base_licenses: int | None = None
    effective_from: Month = ""


class AddonTable(_Cited, kw_only=True):
    sku: str
    unit: AmountEntry
    price_usd_per_month: float | None = None


class RulesFile(_Table, kw_only=True):
    id: str
    title: str
    effective_from: Month
    defaults_combine: str
    description: str = ""
    sources: dict[str, SourceTable]
    pools: list[PoolTable]
    borrowing: list[BorrowingTable] = []
    thresholds: ThresholdsTable
    overage: OverageTable | None = None
    consumption: ConsumptionTable
    environment_types: dict[str, EnvironmentTypeTable]
    families: dict[str, FamilyTable]
    licenses: list[LicenseTable]
    # [catalogue] is no longer read; declared so that its own message can say so.
    catalogue: Any = None
    addons: dict[str, AddonTable]
