"""Findings about the input files themselves: environments several files describe, values that
could not be used, and what ingest had to skip. (Files from different tenants: TENANT_MISMATCH,
in planner.checks.reconciliation.)"""

from __future__ import annotations

from collections.abc import Iterator
from operator import itemgetter
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner.checks.registry import check
from planner.checks.timeline import among, holds, per_distinct
from planner.model.vocabulary import capacity_type_words, environment_type_words
from planner.results import Finding, findings_of

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


@check("GROWTH_UNKNOWN", "warning")
def growth_unknown(plan: Plan) -> Iterator[Finding]:
    """No environment states a monthly growth (and no pool grows by a what-if), so the forecast
    is flat by assumption: every month keeps month 0's usage.

    The assumption is listed under assumptions. Give ``<type>_growth_gb_per_month`` in the
    inventory, a growth sheet, or dated snapshots (``--history``) for growth to be fitted.
    """
    if plan.consumption_detail.growth_stated:
        return
    yield Finding(
        "GROWTH_UNKNOWN",
        "warning",
        "growth",
        f"no environment states a monthly growth, so the forecast stays at {plan.as_of}'s usage "
        "for every month: a flat forecast by assumption, not a finding that usage is stable. "
        "Give <type>_growth_gb_per_month in the inventory or a growth sheet.",
    )


def _unusual(plan: Plan, code: str, *columns: str) -> dict[str, list[Any]]:
    """Unusual given values of ``code``, a whole column at a time: the named columns of their
    rows and where each is (``source``, ``location`` and ``column``: see :func:`_where`), as
    lists."""
    rows = plan.consumption_detail.unusual
    picked = np.flatnonzero(holds(rows["code"], code))
    return {
        column: rows[column].to_numpy()[picked].tolist()
        for column in (*columns, "source", "location", "column")
    }


def _where(source: Any, location: Any, column: Any) -> str:
    """Where a value is given: the file, row and column."""
    return f"{f'{source} {location}'.strip()}, column {column}"


def _numbers(values: list[float]) -> list[str]:
    """Each value as a message gives it (``:g``), worked out once per distinct value by
    ``str.format`` itself (no call of Python's own per value: 15,000 distinct values of
    USAGE_CONTRADICTS_STATE at 50,000 environments)."""
    return per_distinct(np.array(values, dtype=float), "{:g}".format)


# The messages below are made in one pass over the rows, a row's text in one go; what depends
# only on a few distinct values (a capacity type, a state) is worked out once per value. A large
# tenant has tens of thousands of these rows.


@check("GROWTH_FROM_UNKNOWN_START", "warning", reads=("consumption_detail",))
def growth_from_unknown_start(plan: Plan) -> list[Finding]:
    """An environment's growth is given for a capacity type whose usage is blank and for which
    the rule set has no planning estimate (say Operations database growth without its size, or
    file growth on an environment whose Power Platform state has no Dataverse).

    The growth is kept: the environment grows from an unknown starting size, counted from 0 GB,
    so the forecast understates it by that size. Put the measured size in the usage column.
    """
    rows = _unusual(plan, "GROWTH_FROM_UNKNOWN_START", "environment", "value", "capacity_type")
    kinds = rows["capacity_type"]
    after = {
        kind: f"), but its {kind}_gb is blank and the rule set has no estimate: the starting "
        "size is unknown, so it grows from 0 GB and the plan understates it by that size. Fill "
        f"in {kind}_gb."
        for kind in dict.fromkeys(kinds)
    }
    messages = [
        f"{environment} grows {value} GB per month of {kind} "
        f"({f'{source} {location}'.strip()}, column {column}{after[kind]}"
        for environment, value, kind, source, location, column in zip(
            rows["environment"],
            _numbers(rows["value"]),
            kinds,
            rows["source"],
            rows["location"],
            rows["column"],
            strict=True,
        )
    ]
    subjects = list(map(str, rows["environment"]))
    return findings_of("GROWTH_FROM_UNKNOWN_START", "warning", subjects, messages)


@check("USAGE_CONTRADICTS_STATE", "warning", reads=("consumption_detail",))
def usage_contradicts_state(plan: Plan) -> list[Finding]:
    """A measured usage or growth is given where the environment's type or Power Platform state
    says there is none: Dataverse usage on a finance and operations row whose ``power_platform``
    is ``none``, or Operations usage on a standalone Power Platform row.

    The value is counted, because a measurement is evidence the row is described wrongly. Correct
    the row's type or state, or clear the value if it belongs to another environment.
    """
    rows = _unusual(
        plan,
        "USAGE_CONTRADICTS_STATE",
        "environment",
        "value",
        "capacity_type",
        "power_platform",
        "environment_type",
    )
    kinds, states, types = rows["capacity_type"], rows["power_platform"], rows["environment_type"]
    after = {
        (kind, state, type_): (
            f"{f'its power_platform is {state}' if state else f'it is a {type_} environment'}, "
            f"which has no {'Dataverse' if str(kind).startswith('dataverse_') else 'Operations'} "
            "side. The value is counted; correct the row's type or power_platform, or clear the "
            "value if it belongs elsewhere."
        )
        for kind, state, type_ in dict.fromkeys(zip(kinds, states, types, strict=True))
    }
    messages = [
        f"{environment} has {value} GB of {kind} "
        f"({f'{source} {location}'.strip()}, column {column}), but {after[kind, state, type_]}"
        for environment, value, kind, state, type_, source, location, column in zip(
            rows["environment"],
            _numbers(rows["value"]),
            kinds,
            states,
            types,
            rows["source"],
            rows["location"],
            rows["column"],
            strict=True,
        )
    ]
    subjects = list(map(str, rows["environment"]))
    return findings_of("USAGE_CONTRADICTS_STATE", "warning", subjects, messages)


@check("CHE_OPERATIONS_USAGE", "info", reads=("consumption_detail",))
def che_operations_usage(plan: Plan) -> list[Finding]:
    """Operations usage or growth is given for a cloud-hosted development environment.

    Cloud-hosted environments run in the customer's own Azure subscription, so their databases
    draw on no tenant Operations capacity: the value is not counted.
    """
    rows = _unusual(plan, "CHE_OPERATIONS_USAGE", "environment", "value", "capacity_type")
    messages = [
        f"{environment} is a cloud-hosted environment: its {kind} ({value:g}, "
        f"{_where(source, location, column)}) is in your own Azure subscription and draws on no "
        "tenant capacity, so it is not counted."
        for environment, value, kind, source, location, column in zip(
            rows["environment"],
            rows["value"],
            rows["capacity_type"],
            rows["source"],
            rows["location"],
            rows["column"],
            strict=True,
        )
    ]
    subjects = list(map(str, rows["environment"]))
    return findings_of("CHE_OPERATIONS_USAGE", "info", subjects, messages)


# Environments named with their values in one USAGE_NOT_COUNTED finding; the rest are counted.
NOT_COUNTED_SHOWN = 5


@check("USAGE_NOT_COUNTED", "info", reads=("consumption_detail",))
def usage_not_counted(plan: Plan) -> Iterator[Finding]:
    """Dataverse usage or growth is given for environments of a kind that draws on no tenant
    capacity (trial, developer, Teams, as the rule set's ``counted_power_platform_skus`` says):
    the values are read but count 0 GB. One finding per kind of environment names the
    environments with the file, the row and each value (the first few, then how many more).
    """
    unusual = plan.consumption_detail.unusual
    picked = np.flatnonzero(holds(unusual["code"], "USAGE_NOT_COUNTED"))
    # The rows' columns, taken once; each kind's environments in the order their rows come.
    # Only the rows of the few names a message shows are read one by one (a kind can have
    # tens of thousands).
    keys = ("environment_type", "environment", "capacity_type", "value", "column", "source")
    column = {key: unusual[key].to_numpy()[picked] for key in (*keys, "location")}
    codes, kinds = pd.factorize(column["environment_type"])
    file_names: dict[str, str] = {}  # a file's name by its path, worked out once per file
    for code, kind in sorted(enumerate(map(str, kinds.tolist())), key=itemgetter(1)):
        rows = np.flatnonzero(codes == code)
        environments = column["environment"][rows]
        names = list(dict.fromkeys(environments.tolist()))  # in the order they come
        # Names are text; str() only for anything else.
        casefold = str.casefold if set(map(type, names)) <= {str} else _casefolded
        keys = list(map(casefold, names))
        first = sorted(range(len(names)), key=keys.__getitem__)[:NOT_COUNTED_SHOWN]
        shown = [names[at] for at in first]
        rows_by_name: dict[Any, list[int]] = {}
        for row in rows[among(environments, shown)].tolist():
            rows_by_name.setdefault(column["environment"][row], []).append(row)
        described = []
        for environment in shown:
            given = rows_by_name[environment]
            values = ", ".join(
                f"{capacity_type_words(str(column['capacity_type'][row]))} "
                + (
                    f"growth {column['value'][row]:g} GB per month"
                    if str(column["column"][row]).endswith("_per_month")
                    else f"{column['value'][row]:g} GB"
                )
                for row in given
            )
            source = str(column["source"][given[0]])
            if source not in file_names:
                file_names[source] = PurePath(source).name
            where = f"{file_names[source]} {column['location'][given[0]]}".strip()
            described.append(f"{environment} ({where}: {values})")
        more = len(names) - NOT_COUNTED_SHOWN
        listed = "; ".join(described) + (f"; and {more:,} more" if more > 0 else "")
        yield not_counted_finding(kind, len(names), listed)


def not_counted_finding(kind: str, count: int, listed: str) -> Finding:
    """USAGE_NOT_COUNTED for the ``count`` environments of one kind, ``listed`` in words."""
    words = environment_type_words(kind)
    return Finding(
        "USAGE_NOT_COUNTED",
        "info",
        words,
        f"{words} environments draw on no tenant capacity, so the usage given for "
        f"{count:,} {'environment' if count == 1 else 'environments'} counts 0 GB: {listed}.",
    )


def _casefolded(name: object) -> str:
    return str(name).casefold()


@check("WARNING_UNITS_NOT_COUNTED", "info")
def warning_units_not_counted(plan: Plan) -> Iterator[Finding]:
    """A license export lists units in the warning state (a subscription that lapsed and is in
    its grace period). They are about to go away, so the plan does not count them unless
    ``--include-warning-units`` is given; the message names the file and row.
    """
    yield from _remarks(plan, "WARNING_UNITS_NOT_COUNTED")
