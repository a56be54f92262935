"""The model of a rule set: pools, borrowing, licenses with their amounts and sources, planning
estimates, thresholds, the overage lifecycle and add-on prices, as frozen msgspec Structs (made
as classes at every start in a small fraction of what dataclasses take).

planner.ruleset.load fills them from a rules file; every later stage reads them. Each number
carries its source and confidence (an :class:`Amount` or a :class:`Ratio`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import msgspec

from planner.model.months import parse_month

ROLES = (
    "base",
    "attach",
    "activity",
    "device",
    "team_member",
    "capacity_addon",
    "sandbox_addon",
    "other",
)
CONFIDENCES = ("documented", "secondary", "assumed")
COMBINE_MODES = ("max", "sum")
# Optional: the Operations side of a sandbox of one tier, used before the general "operations".
TIER_PROFILES = tuple(f"operations_tier_{tier}" for tier in range(1, 6))
ESTIMATE_PROFILES = (
    "initial",
    "integrated",
    "linked_existing",
    "dataverse",
    "default",
    "operations",
)
POWER_PLATFORM_SKUS = ("Production", "Sandbox", "Default", "Developer", "Trial", "Teams")


class Source(msgspec.Struct, frozen=True):
    """A document that states numbers: a licensing guide (with its edition and page), a FAQ
    page, a message-center post. ``url`` is empty only for capplan's own assumptions."""

    id: str
    title: str
    url: str
    edition: str = ""
    page: str = ""

    @property
    def citation(self) -> str:
        """Title, edition and page as one line a person can look up."""
        parts = [self.title]
        if self.edition:
            parts.append(self.edition)
        if self.page:
            parts.append(self.page if self.page.startswith("p") else f"p. {self.page}")
        return ", ".join(parts)


class Amount(msgspec.Struct, frozen=True):
    """A number from the rules, with where it came from."""

    gb: float
    text: str  # as written, e.g. "500 MB"
    source: Source
    confidence: str
    rule: str  # where it sits in the rules, e.g. "licenses[DYN365_FINANCE].per_license.database"
    note: str = ""

    @property
    def assumed(self) -> bool:
        return self.confidence == "assumed"


class Ratio(msgspec.Struct, frozen=True):
    value: float
    source: Source
    confidence: str
    rule: str


class Pool(msgspec.Struct, frozen=True):
    name: str
    title: str
    draws_on: tuple[str, ...]


class Borrowing(msgspec.Struct, frozen=True):
    lender: str
    borrower: str
    source: Source
    confidence: str


class Thresholds(msgspec.Struct, frozen=True):
    warning_remaining: Ratio
    critical_remaining: Ratio
    provisioning_minimum: Amount


class Overage(msgspec.Struct, frozen=True):
    """What happens to a tenant over its capacity, and the extension an admin may ask for
    (capacity-storage page: the storage overage lifecycle and capacity extension)."""

    stage_2_after_days: Ratio  # sandboxes in administration mode, days after the first day over
    stage_3_after_days: Ratio  # sandboxes disabled
    extension_above: Ratio  # a type may be extended when more than this share is consumed
    extension_share: Ratio  # of that type's consumption, added for extension_days
    extension_days: Ratio
    extension_max: Ratio  # requests at most ...
    extension_window_days: Ratio  # ... in any window of this many days


class Consumption(msgspec.Struct, frozen=True):
    counted_power_platform_skus: frozenset[str]
    no_dataverse_profiles: frozenset[str]
    minimum_capacity_type: str
    minimum: Amount
    default_included: Mapping[str, Amount]
    estimates: Mapping[str, Mapping[str, Amount]]  # profile -> capacity type -> amount


class EnvironmentType(msgspec.Struct, frozen=True):
    name: str
    power_platform_sku: str
    default_power_platform: str
    lcs_managed: bool
    operations_capacity: bool


class Family(msgspec.Struct, frozen=True):
    name: str
    title: str
    tenant_default: Mapping[str, Amount]
    minimum_base_licenses: int | None
    included_sandboxes: int | None
    note: str = ""


class License(msgspec.Struct, frozen=True):
    sku: str
    guid: str
    names: tuple[str, ...]
    role: str
    family: str
    tier: int | None
    per_license: Mapping[str, Amount]
    per_base_user: Mapping[str, Amount]
    note: str = ""
    # An edition's own tenant default; its family grants the larger of this and the family's,
    # once per tenant.
    tenant_default: Mapping[str, Amount] = msgspec.field(default_factory=dict)
    # Rules (part numbers) whose base licenses count for per_base_user; empty: every base
    # license of a family that comes with finance and operations environments.
    per_user_of: tuple[str, ...] = ()
    minimum_base_licenses: int | None = None  # an edition's own minimum purchase
    effective_from: str = ""  # YYYY-MM from which this version applies; "" from the start


class Addon(msgspec.Struct, frozen=True):
    pool: str
    sku: str
    unit: Amount
    price_usd_per_month: float | None
    note: str = ""

    def units_for(self, gb: float) -> int:
        """Whole units that cover ``gb``; rounding noise just above a whole unit buys none more."""
        return math.ceil(gb / self.unit.gb - 1e-9)


class RuleSet(msgspec.Struct, frozen=True):
    id: str
    title: str
    effective_from: str
    defaults_combine: str
    description: str
    path: str
    sources: Mapping[str, Source]
    pools: tuple[Pool, ...]
    borrowing: tuple[Borrowing, ...]
    thresholds: Thresholds
    consumption: Consumption
    environment_types: Mapping[str, EnvironmentType]
    families: Mapping[str, Family]
    licenses: tuple[License, ...]
    addons: Mapping[str, Addon]
    # The overage lifecycle and capacity extension; None in a rule set that states neither.
    overage: Overage | None = None
    # Every dated version of every license; ``licenses`` holds those in effect at ``as_of``
    # (the newest when the rule set was not narrowed to a month).
    license_versions: tuple[License, ...] = ()
    as_of: str = ""
    _by_sku: Mapping[str, License] = msgspec.field(default_factory=dict)
    _by_guid: Mapping[str, License] = msgspec.field(default_factory=dict)

    @property
    def pool_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.pools)

    def pool_of(self, capacity_type: str) -> str:
        for pool in self.pools:
            if capacity_type in pool.draws_on:
                return pool.name
        raise KeyError(capacity_type)

    def find_license(self, sku: str, guid: str = "") -> License | None:
        """The rule for a SKU: by GUID where the rules know it, else by part number (any case)."""
        if guid:
            found = self._by_guid.get(guid.strip().lower())
            if found is not None:
                return found
        return self._by_sku.get(sku.strip().casefold())

    def at(self, month: str) -> RuleSet:
        """The rule set as it applies to a contract of ``month``: each license's newest version
        effective then (a license whose first version is later is not in it yet)."""
        if month == self.as_of:
            return self
        chosen = effective_versions(self.license_versions, parse_month(month))
        by_sku, by_guid = license_indexes(chosen)
        return msgspec.structs.replace(
            self, licenses=chosen, as_of=month, _by_sku=by_sku, _by_guid=by_guid
        )

    def all_amounts(self) -> Iterable[Amount]:
        for family in self.families.values():
            yield from family.tenant_default.values()
        for lic in self.license_versions or self.licenses:
            yield from lic.tenant_default.values()
            yield from lic.per_license.values()
            yield from lic.per_base_user.values()
        yield self.consumption.minimum
        yield from self.consumption.default_included.values()
        for profile in self.consumption.estimates.values():
            yield from profile.values()
        yield self.thresholds.provisioning_minimum
        for addon in self.addons.values():
            yield addon.unit


def effective_versions(versions: Sequence[License], month: int | None) -> tuple[License, ...]:
    """Each SKU's newest version effective in ``month`` (None: the newest of all), in file
    order."""
    newest: dict[str, License] = {}
    for version in versions:
        starts = parse_month(version.effective_from) if version.effective_from else -1
        if month is not None and starts > month:
            continue
        key = version.sku.casefold()
        held = newest.get(key)
        held_starts = parse_month(held.effective_from) if held and held.effective_from else -1
        if held is None or starts > held_starts:
            newest[key] = version
    order = {id(v): i for i, v in enumerate(versions)}
    return tuple(sorted(newest.values(), key=lambda v: order[id(v)]))


def license_indexes(
    licenses: Iterable[License],
) -> tuple[dict[str, License], dict[str, License]]:
    by_sku: dict[str, License] = {}
    by_guid: dict[str, License] = {}
    for rule in licenses:
        by_sku[rule.sku.casefold()] = rule
        if rule.guid:
            by_guid[rule.guid] = rule
    return by_sku, by_guid
