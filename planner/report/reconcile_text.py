"""``capplan reconcile``: the reconciliation alone, as a table, markdown or JSON.

Every format reads the plan's data (:func:`planner.report.data.reconciliation_data`), so they
show the numbers the JSON holds; forecast's table and markdown lay out the same section with
:mod:`planner.report.reconciliation`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from planner.errors import printable_data
from planner.report.data import ReportData
from planner.report.formatting import grid, markdown_data
from planner.report.reconciliation import (
    RECONCILE_CODES,
    reconciliation_markdown_lines,
    reconciliation_table_lines,
)


def _data(report: ReportData, convert: Callable[[Any], Any]) -> dict[str, Any]:
    """What the command prints of the plan's data, made safe by ``convert`` (printable, or
    inert as markdown): text from the inputs and the tenant capacity answer is in all of it."""
    brief = report.brief
    if "reconciliation" not in brief:
        raise ValueError("the plan has no tenant capacity answer to reconcile against")
    shown = ("ruleset", "as_of", "inputs", "reconciliation")
    data: dict[str, Any] = convert({key: brief[key] for key in shown})
    data["findings"] = convert([f for f in brief["findings"] if f["code"] in RECONCILE_CODES])
    return data


def render_reconcile_table(report: ReportData) -> str:
    data = _data(report, printable_data)
    out = [
        f"capplan reconcile, rule set {data['ruleset']}, as of {data['as_of']}",
        *(f"  input: {s['path']} ({s['kind']}, {s['format']})" for s in data["inputs"]),
        "",
        *reconciliation_table_lines(data["reconciliation"], grid, lambda text, **_: text),
        "",
        f"Findings ({len(data['findings'])})",
    ]
    out += [
        f"  {f['severity'].upper():7} {f['code']} [{f['subject']}] {f['message']}"
        for f in data["findings"]
    ] or ["  none"]
    return "\n".join(out) + "\n"


def render_reconcile_markdown(report: ReportData) -> str:
    data = _data(report, markdown_data)
    out = reconciliation_markdown_lines(data["reconciliation"], level="##")
    out += ["", "### Findings", ""]
    out += [
        f"- **{f['severity']}** `{f['code']}` {f['subject']}: {f['message']}"
        for f in data["findings"]
    ] or ["- none"]
    return "\n".join(out) + "\n"
