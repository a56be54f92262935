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
                return f"add environment {self.subject} ({details.get('type')}) {when}"
            case "delete_environment":
                return f"delete environment {self.subject} {when}"
            case "link_new":
                return f"link {self.subject} to a new Dataverse database {when}"
            case "link_existing":
                return f"link {self.subject} to existing Dataverse {details.get('target')} {when}"
            case "set_growth":
                return (
                    f"set growth of {self.subject} ({details.get('capacity_type') or 'pool'}) to "
                    f"{details.get('gb_per_month')} GB per month {when}"
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
