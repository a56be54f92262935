"""``--format table`` (a terminal) and ``--format markdown`` (a CI summary) of a Plan.

Both read the plan's data of a :class:`planner.report.data.ReportData`, so they show the numbers
the JSON holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import click

from planner.errors import printable_data
from planner.report.data import ReportData
from planner.report.formatting import gb, grid, headline, markdown_data, md_table, money
from planner.ruleset.catalog import MATCHED_BY_WORDS

STATUS_WORDS = {"ok": "ok", "warning": "WARNING", "over": "OVER"}
STATUS_COLOURS = {"ok": "green", "warning": "yellow", "over": "red"}
SEVERITY_COLOURS = {"info": "blue", "warning": "yellow", "error": "red"}
CONSUMPTION_LINES_SHOWN = 25
FORECAST_STEP = 3


def render_table(report: ReportData, *, colour: bool = False) -> str:
    data = printable_data(report.plan)
    style: Callable[..., str] = click.style if colour else (lambda text, **_: text)
    out: list[str] = []
    out.append(
        style(f"capplan forecast, rule set {data['ruleset']}", bold=True)
        + f" ({data['ruleset_title']}), as of {data['as_of']}, {data['months']} months"
    )
    for source in data["inputs"]:
        out.append(
            f"  input: {source['path']} ({source['kind']}, {source['format']}, "
            f"{source['rows']} rows)"
        )
    out.append("")
    for line in headline(data):
        colour_name = "red" if data["shortfalls"] else "green"
        out.append(style(line, fg=colour_name, bold=True))
    out.append("")

    out.append(style(f"Capacity in {data['as_of']}", bold=True))
    rows = []
    for pool in data["capacity"]:
        rows.append(
            [
                pool["pool"],
                gb(pool["entitled_gb"]),
                gb(pool["consumed_gb"]),
                f"{pool['borrowed_gb'] - pool['lent_gb']:+,.2f} GB",
                gb(pool["available_gb"]),
                "-" if pool["remaining_share"] is None else f"{pool['remaining_share']:.0%}",
                STATUS_WORDS[pool["status"]],
            ]
        )
    lines = grid(
        ["pool", "entitled", "consumed", "borrowed(+)/lent(-)", "available", "left", "status"],
        rows,
        [False, True, True, True, True, True, False],
    )
    for position, pool in enumerate(data["capacity"], start=2):
        word = STATUS_WORDS[pool["status"]]
        line = lines[position]
        lines[position] = line[: len(line) - len(word)] + style(
            word, fg=STATUS_COLOURS[pool["status"]], bold=True
        )
    out.extend(lines)
    out.append("")

    pools = [p["pool"] for p in data["capacity"]]
    out.append(style(f"Available after borrowing, every {FORECAST_STEP} months", bold=True))
    by_month: dict[str, dict[str, dict[str, Any]]] = {}
    for row in data["forecast"]:
        by_month.setdefault(row["month"], {})[row["pool"]] = row
    months = list(by_month)
    shown = months[::FORECAST_STEP]
    if months[-1] not in shown:
        shown.append(months[-1])
    rows = [
        [m]
        + [
            gb(by_month[m][p]["available_gb"])
            + (
                ""
                if by_month[m][p]["status"] == "ok"
                else f" {STATUS_WORDS[by_month[m][p]['status']]}"
            )
            for p in pools
        ]
        for m in shown
    ]
    out.extend(grid(["month", *pools], rows, [False] + [True] * len(pools)))
    out.append("")

    out.append(style("Entitlement lines", bold=True))
    rows = [
        [
            e["pool"],
            e["sku"] or f"(tenant default: {e['family']})",
            f"{e['quantity']:g}",
            gb(e["per_unit_gb"]),
            gb(e["gb"]),
            e["confidence"],
        ]
        for e in data["entitlement"]
    ]
    out.extend(
        grid(
            ["pool", "license", "quantity", "per unit", "GB", "confidence"],
            rows,
            [False, False, True, True, True, False],
        )
    )
    out.append("")

    consumption = sorted(data["consumption"], key=lambda c: -c["gb"])
    out.append(style(f"Consumption lines ({len(consumption)}; largest first)", bold=True))
    rows = [
        [c["pool"], c["environment"], c["capacity_type"], gb(c["gb"]), c["basis"]]
        for c in consumption[:CONSUMPTION_LINES_SHOWN]
    ]
    out.extend(
        grid(
            ["pool", "environment", "capacity type", "GB", "basis"],
            rows,
            [False, False, False, True, False],
        )
    )
    if len(consumption) > CONSUMPTION_LINES_SHOWN:
        out.append(
            f"... and {len(consumption) - CONSUMPTION_LINES_SHOWN} more lines "
            "(--format json lists them all)"
        )
    out.append("")

    out.append(style(f"Findings ({len(data['findings'])})", bold=True))
    for finding in data["findings"]:
        label = style(f"{finding['severity'].upper():7}", fg=SEVERITY_COLOURS[finding["severity"]])
        out.append(f"  {label} {finding['code']} [{finding['subject']}] {finding['message']}")
    if not data["findings"]:
        out.append("  none")
    out.append("")
    out.append(style(f"Assumptions ({len(data['assumptions'])})", bold=True))
    for assumption in data["assumptions"]:
        out.append(f"  {assumption['value']} ({assumption['rule']}): {assumption['reason']}")
    if not data["assumptions"]:
        out.append("  none: every number used has a source")
    if data["licenses"]:
        out.append("")
        out += license_lines(data)
    if "reconciliation" in data:
        from planner.report.reconciliation import reconciliation_table_lines

        out.append("")
        out.extend(reconciliation_table_lines(data["reconciliation"], grid, style))
    return "\n".join(out) + "\n"


def license_lines(data: dict[str, Any]) -> list[str]:
    """How the licenses were recognised, those matched by name, and those ignored with why."""
    licenses = data["licenses"]
    counts = Counter(lic["matched_by"] for lic in licenses)
    out = [
        f"Licenses: {len(licenses)} rows, recognised "
        + ", ".join(
            f"{MATCHED_BY_WORDS[how]} {counts[how]}"
            for how in ("guid", "part_number", "display_name")
            if counts[how]
        )
        + (f"; {counts['']} not recognised" if counts[""] else "")
    ]
    by_name = sorted(
        {
            f"'{lic['display_name'] or lic['sku_given']}' as {lic['sku']}"
            for lic in licenses
            if lic["matched_by"] == "display_name"
        }
    )
    if by_name:
        out.append("  matched by display name (check them): " + "; ".join(by_name))
    ignored = data.get("ignored_licenses", [])
    if ignored:
        out.append(
            "  ignored, grant no capacity (not counted): "
            + "; ".join(
                sorted({f"{lic['sku']} ({lic['quantity']}): {lic['reason']}" for lic in ignored})
            )
        )
    return out


def render_markdown(report: ReportData) -> str:
    data = markdown_data(report.plan)
    out = [
        f"## Capacity plan: {data['ruleset']}, as of {data['as_of']} ({data['months']} months)",
        "",
        *[f"- {line}" for line in headline(data)],
        "",
        "### Capacity now",
        "",
        *md_table(
            ["pool", "entitled", "consumed", "available", "status"],
            [
                [
                    p["pool"],
                    gb(p["entitled_gb"]),
                    gb(p["consumed_gb"]),
                    gb(p["available_gb"]),
                    STATUS_WORDS[p["status"]],
                ]
                for p in data["capacity"]
            ],
            [False, True, True, True, False],
        ),
        "",
    ]
    if data["shortfalls"]:
        out += [
            "### What to buy",
            "",
            *md_table(
                ["pool", "first short", "peak deficit", "add-on", "units", "per month"],
                [
                    [
                        s["pool"],
                        s["first_month"],
                        gb(s["peak_deficit_gb"]),
                        s["addon_sku"] or "-",
                        s["addon_units"] if s["addon_units"] is not None else "-",
                        money(s["monthly_cost_usd"]),
                    ]
                    for s in data["shortfalls"]
                ],
                [False, False, True, False, True, True],
            ),
            "",
        ]
    out += ["### Findings", ""]
    out += [
        f"- **{f['severity']}** `{f['code']}` {f['subject']}: {f['message']}"
        for f in data["findings"]
    ] or ["- none"]
    out += ["", "### Assumptions", ""]
    out += [f"- {a['value']} ({a['rule']}): {a['reason']}" for a in data["assumptions"]] or [
        "- none"
    ]
    if "reconciliation" in data:
        from planner.report.reconciliation import reconciliation_markdown_lines

        out += ["", *reconciliation_markdown_lines(data["reconciliation"])]
    out += ["", "### Inputs", ""]
    out += [f"- {s['path']}: {s['kind']}, {s['format']}, {s['rows']} rows" for s in data["inputs"]]
    if data["licenses"]:
        out += ["", *[f"- {line.strip()}" for line in license_lines(data)]]
    return "\n".join(out) + "\n"
