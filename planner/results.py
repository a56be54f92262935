"""The results every later stage reads: a Plan, its Findings, and a Comparison of scenarios.

These are leaf types. Only type names are imported from the stages that fill them, so that
checks, scenarios and renderers can all read a Plan without importing the code that builds it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import TYPE_CHECKING

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


@dataclass(frozen=True)
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
    all or a sequence with one per subject. Each is the Finding its fields make, built without a
    call of the dataclass's ``__init__`` (a check at a large tenant makes tens of thousands)."""
    severities = repeat(severity) if isinstance(severity, str) else severity
    months = repeat(month) if month is None or isinstance(month, str) else month
    for given in (messages, severities, months):
        if isinstance(given, Sequence) and len(given) != len(subjects):
            raise ValueError(f"{code}: {len(subjects)} subjects but {len(given)} of another field")
    # Each finding's instance dictionary as __init__ fills it, field by field in order (a
    # frozen dataclass sets its fields through object.__setattr__ too), set in one go.
    fields = [
        {"code": code, "severity": of, "subject": subject, "message": message, "month": when}
        # lengths checked above; a single severity or month repeats without end
        for of, subject, message, when in zip(severities, subjects, messages, months, strict=False)
    ]
    made = list(map(object.__new__, repeat(Finding, len(fields))))
    deque(map(object.__setattr__, made, repeat("__dict__"), fields), maxlen=0)
    return made


@dataclass(frozen=True)
class Plan:
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
    purchases: pd.DataFrame = field(default_factory=pd.DataFrame)  # what to buy, and when
    # add-ons the planned changes of a what-if scenario buy, with their cost
    bought: pd.DataFrame = field(default_factory=pd.DataFrame)
    findings: tuple[Finding, ...] = ()
    changes: tuple[Change, ...] = field(default=())  # planned changes of a what-if scenario
    # Month 0 beside Microsoft's own figures, when a tenant capacity answer is among the inputs.
    reconciliation: Reconciliation | None = None
    # The storage overage lifecycle stages reached within the horizon (planner.engine.lifecycle).
    lifecycle: Lifecycle | None = None


@dataclass(frozen=True)
class Comparison:
    baseline: Plan
    scenarios: tuple[tuple[Scenario, Plan], ...]
    # A scenario that renews into another rule set is planned from its switch month on (its
    # plan's month 0); the months before are planned here, under the baseline's rule set.
    before_switch: Mapping[str, Plan] = field(default_factory=dict)
