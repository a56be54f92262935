"""Planned changes of a what-if scenario, as data.

A scenario file or a what-if flag becomes a list of Change; ``planner.scenarios.apply``
applies them to Inputs, and the Plan keeps them (``plan.changes``) so that checks can look at
what is planned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CHANGE_KINDS = (
    "add_licenses",  # subject: SKU; details: quantity (negative removes)
    "add_environment",  # subject: name; details: type, tier, power_platform, usage and growth
    "delete_environment",  # subject: name
    "link_new",  # subject: name; Power Platform integration with a new Dataverse database
    "link_existing",  # subject: name; details: target (a standalone Dataverse row's name)
    "set_growth",  # subject: environment name or pool; details: scope, capacity_type, gb_per_month
    "buy_addon",  # subject: pool; details: gb, sku, units
    "switch_rules",  # subject: rule set id or path
)


@dataclass(frozen=True)
class Change:
    kind: str  # one of CHANGE_KINDS
    month: int  # offset from month 0 (0 = from the start)
    month_label: str  # YYYY-MM
    subject: str
    details: Mapping[str, Any] = field(default_factory=dict)
    origin: str = ""  # where it was written: "scenario.toml, changes[3]" or "--link UAT"

    def describe(self) -> str:
        """A short sentence for people: what changes, and from when."""
        when = f"from {self.month_label}"
        details = self.details
        match self.kind:
            case "add_licenses":
                quantity = int(details.get("quantity", 0))
                verb = "add" if quantity >= 0 else "remove"
                return f"{verb} {abs(quantity)} x {self.subject} {when}"
            case "add_environment":
                tier = f", Tier {details['tier']}" if details.get("tier") else ""
                size = details.get("operations_database_gb")
                start = (
                    f", Operations database {size:g} GB as given"
                    if size is not None
                    else ", sizes from the rule set's planning estimates"
                )
                return f"add environment {self.subject} ({details.get('type')}{tier}{start}) {when}"
            case "delete_environment":
                return f"delete environment {self.subject} {when}"
            case "link_new":
                return f"link {self.subject} to a new Dataverse database {when}"
            case "link_existing":
                return f"link {self.subject} to existing Dataverse {details.get('target')} {when}"
            case "set_growth" if details.get("capacity_type"):
                return (
                    f"set growth of {self.subject} ({details['capacity_type']}) to "
                    f"{details.get('gb_per_month')} GB per month {when}"
                )
            case "set_growth":
                # A pool's growth is extra: it adds to the environments' own growth.
                return (
                    f"add {details.get('gb_per_month')} GB per month of growth to the "
                    f"{self.subject} pool, on top of the environments' own, {when}"
                )
            case "buy_addon":
                return f"buy {details.get('gb')} GB of {self.subject} capacity {when}"
            case "switch_rules":
                return f"switch to rule set {self.subject} {when}"
        return f"{self.kind} {self.subject} {when}"


@dataclass(frozen=True)
class Scenario:
    name: str
    changes: tuple[Change, ...]
    description: str = ""
    source: str = ""  # the file, or "command line"
    # A contract renewal into another rule set from a month on (a switch_rules change).
    switch: Change | None = None
