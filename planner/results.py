"""The results every later stage reads: a Plan, its Findings, and a Comparison of scenarios.

These are leaf types. Only type names are imported from the stages that fill them, so that
checks, scenarios and renderers can all read a Plan without importing the code that builds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


class Finding(msgspec.Struct, frozen=True, gc=False):
    """One finding of a check. A large tenant has tens of thousands: as a msgspec struct one is
    made in about a tenth of a microsecond, a seventh of what a slotted dataclass took. Its
    fields are strings and None, which cannot close a reference cycle, so the garbage collector
    need not track it (gc=False)."""

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
    all or a sequence with one per subject."""
    severities = repeat(severity) if isinstance(severity, str) else severity
    months = repeat(month) if month is None or isinstance(month, str) else month
    for values in (severities, messages, months):
        if not isinstance(values, repeat) and len(values) != len(subjects):
            raise ValueError(f"{code}: {len(subjects)} subjects but {len(values)} of another field")
    return list(map(Finding, repeat(code), severities, subjects, messages, months))


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
