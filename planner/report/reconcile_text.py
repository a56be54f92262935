"""``capplan reconcile``: the reconciliation alone, as a table, markdown or JSON.

Every format reads the plan's data (:func:`planner.report.data.reconciliation_data`), so they
show the numbers the JSON holds; forecast's table and markdown lay out the same section with
:mod:`planner.report.reconciliation`.
"""

from __future__ import annotations

from typing import Any

from planner.errors import printable_data
from planner.report.data import ReportData
from planner.report.formatting import grid
from planner.report.reconciliation import (
    RECONCILE_CODES,
    reconciliation_markdown_lines,
    reconciliation_table_lines,
)


def _data(report: ReportData) -> dict[str, Any]:
    data = printable_data(report.brief)
    if "reconciliation" not in data:
        raise ValueError("the plan has no tenant capacity answer to reconcile against")
    return data


def _findings(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in data["findings"] if f["code"] in RECONCILE_CODES]


def render_reconcile_table(report: ReportData) -> str:
    data = _data(report)
    out = [
        f"capplan reconcile, rule set {data['ruleset']}, as of {data['as_of']}",
        *(f"  input: {s['path']} ({s['kind']}, {s['format']})" for s in data["inputs"]),
        "",
        *reconciliation_table_lines(data["reconciliation"], grid, lambda text, **_: text),
        "",
        f"Findings ({len(_findings(data))})",
    ]
    out += [
        f"  {f['severity'].upper():7} {f['code']} [{f['subject']}] {f['message']}"
        for f in _findings(data)
    ] or ["  none"]
    return "\n".join(out) + "\n"


def render_reconcile_markdown(report: ReportData) -> str:
    data = _data(report)
    out = reconciliation_markdown_lines(data["reconciliation"], level="##")
    out += ["", "### Findings", ""]
    out += [
        f"- **{f['severity']}** `{f['code']}` {f['subject']}: {f['message']}"
        for f in _findings(data)
    ] or ["- none"]
    return "\n".join(out) + "\n"
