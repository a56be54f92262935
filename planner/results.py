"""The results every later stage reads: a Plan, its Findings, and a Comparison of scenarios.

These are leaf types. Only type names are imported from the stages that fill them, so that
checks, scenarios and renderers can all read a Plan without importing the code that builds it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from itertools import repeat
from typing import TYPE_CHECKING

import msgspec
import pandas as pd

if TYPE_CHECKING:
    from planner.engine.consumption import Consumption
    from planner.engine.entitlement import Entitlement
    from planner.engine.forecast import Forecast
    from planner.engine.lifecycle import Lifecycle
    from planner.engine.reconcile import Reconciliation
    from planner.model.changes import Change, Scenario
    from planner.model.inputs import Inputs
    from planner.ruleset import RuleSet

SEVERITIES = ("info", "warning", "error")


@dataclass(frozen=True, slots=True)  # slots: a large tenant has tens of thousands
class Finding:
    code: str
    severity: str  # info | warning | error
    subject: str  # environment, SKU or pool
    message: str  # what is wrong and what to do
    month: str | None = None


def findings_of(
    code: str,
    severity: str | Sequence[str],
    subjects: Sequence[str],
    messages: Sequence[str],
    month: str | Sequence[str | None] | None = None,
) -> list[Finding]:
    """The findings of one code, one per subject: ``severity`` and ``month`` are one value for
    all or a sequence with one per subject. Each is the Finding its fields make, built a field at
    a time for all of them rather than by a call of ``__init__`` each (a check at a large tenant
    makes tens of thousands)."""
    given = {
        "code": repeat(code),
        "severity": repeat(severity) if isinstance(severity, str) else severity,
        "subject": subjects,
        "message": messages,
        "month": repeat(month) if month is None or isinstance(month, str) else month,
    }
    for values in given.values():
        if not isinstance(values, repeat) and len(values) != len(subjects):
            raise ValueError(f"{code}: {len(subjects)} subjects but {len(values)} of another field")
    made = list(map(object.__new__, repeat(Finding, len(subjects))))
    for name, values in given.items():
        # Each slot set as __init__ sets it (a frozen dataclass goes past its own __setattr__
        # too); a single severity or month repeats without end, the others are as long as made.
        deque(map(_SLOTS[name].__set__, made, values), maxlen=0)
    return made


_SLOTS = {slot.name: getattr(Finding, slot.name) for slot in fields(Finding)}


class Plan(msgspec.Struct, frozen=True):
    ruleset: RuleSet
    as_of: str
    months: int
    inputs: Inputs
    licenses: pd.DataFrame  # every license row, classified (known / unknown / not_relevant)
    environments: pd.DataFrame  # inventory rows with resolved Power Platform state
    capacity: pd.DataFrame  # month 0 per pool
    entitlement: pd.DataFrame  # month-0 entitlement lines
    consumption: pd.DataFrame  # month-0 consumption lines
    forecast: Forecast
    shortfalls: pd.DataFrame
    assumptions: pd.DataFrame
    entitlement_detail: Entitlement
    consumption_detail: Consumption
    purchases: pd.DataFrame = msgspec.field(default_factory=pd.DataFrame)  # what to buy, and when
    # add-ons the planned changes of a what-if scenario buy, with their cost
    bought: pd.DataFrame = msgspec.field(default_factory=pd.DataFrame)
    findings: tuple[Finding, ...] = ()
    changes: tuple[Change, ...] = ()  # planned changes of a what-if scenario
    # Month 0 beside Microsoft's own figures, when a tenant capacity answer is among the inputs.
    reconciliation: Reconciliation | None = None
    # The storage overage lifecycle stages reached within the horizon (planner.engine.lifecycle).
    lifecycle: Lifecycle | None = None


class Comparison(msgspec.Struct, frozen=True):
    baseline: Plan
    scenarios: tuple[tuple[Scenario, Plan], ...]
    # A scenario that renews into another rule set is planned from its switch month on (its
    # plan's month 0); the months before are planned here, under the baseline's rule set.
    before_switch: Mapping[str, Plan] = msgspec.field(default_factory=dict)
