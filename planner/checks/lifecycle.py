"""Findings about the storage overage lifecycle: the dates a tenant that stays over loses what."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from planner.checks.registry import check
from planner.results import Finding

if TYPE_CHECKING:
    from planner.engine.lifecycle import Stage
    from planner.results import Plan

SHOWN = 10


def _stages(plan: Plan, number: int) -> Iterator[Stage]:
    if plan.lifecycle is None:
        return
    yield from (s for s in plan.lifecycle.stages if s.stage == number)


def _names(names: tuple[str, ...]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


@check("OVERAGE_STAGE_1", "error")
def overage_stage_1(plan: Plan) -> Iterator[Finding]:
    """A Dataverse-only tenant goes over its capacity within the horizon: from the first day of
    that month (T0) no environment can be created, copied, restored or recovered until the
    deficit is gone. The message gives the date and the environments of the tenant.
    """
    for stage in _stages(plan, 1):
        yield Finding(
            "OVERAGE_STAGE_1",
            "error",
            "tenant",
            f"From {stage.starts} the tenant is over its storage capacity: creating, copying, "
            "restoring and recovering environments is blocked for all "
            f"{len(stage.environments)} environments ({_names(stage.environments)}) until "
            "capacity is bought or freed.",
            month=stage.month,
        )


@check("OVERAGE_STAGE_2", "error")
def overage_stage_2(plan: Plan) -> Iterator[Finding]:
    """A Dataverse-only tenant is still over when the rule set's ``overage.stage_2_after_days``
    have passed since T0, within the horizon: its sandboxes go into administration mode.
    Production environments and sandboxes billed pay-as-you-go are left out. The message gives
    the date and names the sandboxes.
    """
    yield from _sandbox_stage(plan, 2, "go into administration mode", "would go")


@check("OVERAGE_STAGE_3", "error")
def overage_stage_3(plan: Plan) -> Iterator[Finding]:
    """A Dataverse-only tenant is still over when the rule set's ``overage.stage_3_after_days``
    have passed since T0, within the horizon: its sandboxes are disabled (their data is kept).
    Production environments and sandboxes billed pay-as-you-go are left out. The message gives
    the date and names the sandboxes.
    """
    yield from _sandbox_stage(plan, 3, "are disabled (their data is kept)", "would be")


def _sandbox_stage(plan: Plan, number: int, happens: str, would: str) -> Iterator[Finding]:
    """Stage 2 or 3: what happens to the sandboxes, named, on the stage's date."""
    code = f"OVERAGE_STAGE_{number}"
    for stage in _stages(plan, number):
        affected = (
            f"sandboxes {happens}: {_names(stage.environments)}"
            if stage.environments
            else f"sandboxes {would} {happens.split(' ', 1)[1]}, but the tenant has none that "
            "is not billed pay-as-you-go"
        )
        yield Finding(
            code,
            "error",
            "tenant",
            f"From {stage.starts}, still over since {stage.t0}: {affected}. Production "
            "environments and pay-as-you-go sandboxes are not affected.",
            month=stage.month,
        )
