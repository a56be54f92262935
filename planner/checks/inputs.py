"""Findings about the input files themselves: environments several files describe, values that
could not be used, files from different tenants, and what ingest had to skip."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from planner.checks import check
from planner.results import Finding

if TYPE_CHECKING:
    from planner.results import Plan


def _remarks(plan: Plan, code: str) -> Iterator[Finding]:
    for remark in plan.inputs.remarks:
        if remark.code == code:
            yield Finding(code, remark.severity, remark.subject, remark.message)


@check("ENVIRONMENT_IN_SEVERAL_FILES", "warning")
def environment_in_several_files(plan: Plan) -> Iterator[Finding]:
    """The same environment is described by more than one file (say the inventory and the admin
    environment list); it is planned once.

    Rows are one environment when their Power Platform environment ids match, or, where a file
    has no id, their names match ignoring case and spacing. A note lists which files shared which
    environments. Where two files give different measured usage, the newer measurement is used
    (a dated one is newer than an undated one; of two undated ones, the file given later) and a
    warning names both files and both values. Where descriptions differ, the inventory's wins
    over the lists', and a note says so. docs/input-formats.md states the rules.
    """
    yield from _remarks(plan, "ENVIRONMENT_IN_SEVERAL_FILES")


@check("ENVIRONMENT_NAME_CLASH", "warning")
def environment_name_clash(plan: Plan) -> Iterator[Finding]:
    """Two files use one name for environments of different kinds (say a finance and operations
    `production` and a standalone `dataverse_production`).

    They are not merged, so both are planned. If they are one environment, correct the type in
    the file that has it wrong; if they are two, rename one.
    """
    yield from _remarks(plan, "ENVIRONMENT_NAME_CLASH")


@check("GROWTH_FOR_UNKNOWN_ENVIRONMENT", "warning")
def growth_for_unknown_environment(plan: Plan) -> Iterator[Finding]:
    """A growth sheet (names and monthly growth, no types) gives growth for a name that no other
    input lists, or that matches environments of different kinds.

    A growth sheet only adds growth to environments other files describe, so this growth is not
    used. The message names the file, row and columns.
    """
    yield from _remarks(plan, "GROWTH_FOR_UNKNOWN_ENVIRONMENT")


@check("INPUT_SKIPPED", "info")
def input_skipped(plan: Plan) -> Iterator[Finding]:
    """Ingest left something in a file out of the plan, or read it with a caveat: an environment
    of a kind capplan does not plan for (Preview, Support), a disaster-recovery replica or a
    deleted environment in the LCS list, a capacity type capplan does not know, a repeated display
    name that was renamed, or an API answer whose further pages were not saved.
    """
    for note in plan.inputs.notes:
        subject, _, message = note.partition(": ")
        yield Finding("INPUT_SKIPPED", "info", subject if message else "input", message or note)


@check("TENANT_MISMATCH", "error")
def tenant_mismatch(plan: Plan) -> Iterator[Finding]:
    """The input files come from different tenants: Microsoft Graph's ``accountId`` on the
    licenses and the admin API's ``tenantId`` on the environments (and any other file that states
    a tenant id) name more than one tenant.

    One tenant's licenses never cover another tenant's environments, so the plan mixes two
    tenants and its figures are wrong. Give the files of one tenant per run.
    """
    tenants: dict[str, list[str]] = {}
    for source in plan.inputs.sources:
        for tenant in source.tenant_ids:
            tenants.setdefault(tenant, []).append(source.path)
    if len(tenants) < 2:
        return
    shown = "; ".join(f"{tenant} in {', '.join(files)}" for tenant, files in tenants.items())
    yield Finding(
        "TENANT_MISMATCH",
        "error",
        " + ".join(sorted({f for files in tenants.values() for f in files})),
        f"the inputs come from {len(tenants)} tenants ({shown}); one tenant's licenses do not "
        "cover another's environments. Give the files of one tenant per run.",
    )
