"""Planned changes of a what-if scenario: one class per kind of change.

A scenario file's ``[[changes]]`` entry, a what-if flag and a test case all become one of these
classes; ``planner.scenarios.apply`` applies each to Inputs, and the Plan keeps them
(``plan.changes``) so that checks can look at what is planned. A class's ``kind`` is the name a
scenario file writes (``kind = "link_new_dataverse"``); its fields are the keys of that entry.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from planner.model.vocabulary import capacity_type_words, environment_type_words, pool_words


@dataclass(frozen=True, kw_only=True)
class Change(ABC):
    """What every change has: when it takes effect, and where it was written."""

    kind: ClassVar[str]
    month: int = 0  # offset from month 0 (0 = from the start)
    month_label: str = ""  # YYYY-MM
    origin: str = ""  # where it was written: "scenario.toml, changes[3]" or "--link UAT"

    @property
    @abstractmethod
    def subject(self) -> str:
        """What the change is about: an environment, a SKU, a pool or a rule set."""

    @abstractmethod
    def what(self) -> str:
        """What changes, in a few words."""

    def describe(self) -> str:
        """A short sentence for people: what changes, and from when."""
        return f"{self.what()} from {self.month_label}"


@dataclass(frozen=True, kw_only=True)
class AddLicenses(Change):
    kind: ClassVar[str] = "add_licenses"
    sku: str
    quantity: int  # more than 0

    @property
    def subject(self) -> str:
        return self.sku

    def what(self) -> str:
        return f"add {self.quantity} x {self.sku}"


@dataclass(frozen=True, kw_only=True)
class RemoveLicenses(Change):
    kind: ClassVar[str] = "remove_licenses"
    sku: str
    quantity: int  # more than 0: how many to take away

    @property
    def subject(self) -> str:
        return self.sku

    def what(self) -> str:
        return f"remove {self.quantity} x {self.sku}"


@dataclass(frozen=True, kw_only=True)
class AddEnvironment(Change):
    kind: ClassVar[str] = "add_environment"
    name: str
    type: str
    tier: int | None = None
    license: bool = True  # an add-on sandbox is bought as a license of its tier
    power_platform: str | None = None
    linked_to: str | None = None
    # Inventory columns: <capacity type>_gb and <capacity type>_growth_gb_per_month.
    sizes: Mapping[str, float] = field(default_factory=dict)

    @property
    def subject(self) -> str:
        return self.name

    def what(self) -> str:
        tier = f", Tier {self.tier}" if self.tier else ""
        size = self.sizes.get("operations_database_gb")
        start = (
            f", Operations database {size:g} GB as given"
            if size is not None
            else ", sizes not given: the rule set's planning estimates apply"
        )
        kind = environment_type_words(self.type)
        return f"add environment {self.name} ({kind}{tier}{start})"


@dataclass(frozen=True, kw_only=True)
class DeleteEnvironment(Change):
    kind: ClassVar[str] = "delete_environment"
    name: str

    @property
    def subject(self) -> str:
        return self.name

    def what(self) -> str:
        return f"delete environment {self.name}"


@dataclass(frozen=True, kw_only=True)
class LinkNewDataverse(Change):
    """Power Platform integration of a finance and operations environment, with a new Dataverse
    database."""

    kind: ClassVar[str] = "link_new_dataverse"
    name: str

    @property
    def subject(self) -> str:
        return self.name

    def what(self) -> str:
        return f"link {self.name} to a new Dataverse database"


@dataclass(frozen=True, kw_only=True)
class LinkExistingDataverse(Change):
    """Power Platform integration with an existing standalone Dataverse environment."""

    kind: ClassVar[str] = "link_existing_dataverse"
    name: str
    target: str

    @property
    def subject(self) -> str:
        return self.name

    def what(self) -> str:
        return f"link {self.name} to existing Dataverse {self.target}"


@dataclass(frozen=True, kw_only=True)
class SetGrowth(Change):
    """Monthly growth of one capacity type of an environment, or extra growth of a pool."""

    kind: ClassVar[str] = "set_growth"
    gb_per_month: float
    environment: str | None = None  # with capacity_type
    capacity_type: str | None = None
    pool: str | None = None  # or a pool

    @property
    def subject(self) -> str:
        return self.environment if self.environment is not None else str(self.pool)

    def what(self) -> str:
        if self.environment is not None:
            return (
                f"set growth of {self.environment} "
                f"({capacity_type_words(str(self.capacity_type))}) to "
                f"{self.gb_per_month:g} GB per month"
            )
        # A pool's growth is extra: it adds to the environments' own growth.
        return (
            f"add {self.gb_per_month:g} GB per month of growth to the {pool_words(str(self.pool))} "
            "pool, on top of "
            "the environments' own,"
        )


@dataclass(frozen=True, kw_only=True)
class BuyAddon(Change):
    kind: ClassVar[str] = "buy_addon"
    pool: str
    gb: float

    @property
    def subject(self) -> str:
        return self.pool

    def what(self) -> str:
        return f"buy {self.gb:g} GB of {pool_words(self.pool)} capacity"


@dataclass(frozen=True, kw_only=True)
class RequestExtension(Change):
    """A temporary capacity extension asked of Microsoft for one pool (capacity type) in a month.

    The rule set's ``[overage]`` says when it is allowed and what it adds (capacity-storage page);
    applying it checks those rules against the plan as it stands and refuses what they forbid.
    """

    kind: ClassVar[str] = "request_extension"
    pool: str

    @property
    def subject(self) -> str:
        return self.pool

    def what(self) -> str:
        return f"ask for a temporary capacity extension of the {pool_words(self.pool)} pool"

    def describe(self) -> str:
        return f"{self.what()} in {self.month_label}"


@dataclass(frozen=True, kw_only=True)
class SwitchRules(Change):
    """A contract renewal into another rule set from a month on."""

    kind: ClassVar[str] = "switch_rules"
    rules: str  # a bundled rule set id or a rules file

    @property
    def subject(self) -> str:
        return self.rules

    def what(self) -> str:
        return f"switch to rule set {self.rules}"


CHANGE_CLASSES: dict[str, type[Change]] = {
    cls.kind: cls
    for cls in (
        AddLicenses,
        RemoveLicenses,
        AddEnvironment,
        DeleteEnvironment,
        LinkNewDataverse,
        LinkExistingDataverse,
        SetGrowth,
        BuyAddon,
        RequestExtension,
        SwitchRules,
    )
}
CHANGE_KINDS = tuple(CHANGE_CLASSES)
LINKS = (LinkNewDataverse, LinkExistingDataverse)


@dataclass(frozen=True)
class Scenario:
    name: str
    changes: tuple[Change, ...]
    description: str = ""
    source: str = ""  # the file, or "command line"
    # A contract renewal into another rule set from a month on (a switch_rules change).
    switch: SwitchRules | None = None
