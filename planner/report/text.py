"""``--format table`` (a terminal) and ``--format markdown`` (a CI summary) of a Plan.

Both read :func:`planner.report.data.plan_data`, so they show the numbers the JSON holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import click

from planner.errors import printable, printable_data
from planner.report.data import plan_data
from planner.results import Plan

STATUS_WORDS = {"ok": "ok", "warning": "WARNING", "over": "OVER"}
STATUS_COLOURS = {"ok": "green", "warning": "yellow", "over": "red"}
SEVERITY_COLOURS = {"info": "blue", "warning": "yellow", "error": "red"}
CONSUMPTION_LINES_SHOWN = 25
FORECAST_STEP = 3


def gb(value: float | None) -> str:
    return "unknown" if value is None else f"{value:,.2f} GB"


def money(value: float | None) -> str:
    return "unpriced" if value is None else f"${value:,.2f}"


# What headline() reads of the plan's data.
HEADLINE_KEYS = ("shortfalls", "as_of", "horizon_end", "months")


def headline(data: dict[str, Any]) -> list[str]:
    """One sentence per pool that is short, and what to buy: the lines a person acts on."""
    lines = []
    for shortfall in data["shortfalls"]:
        buy = (
            f"buy {shortfall['addon_units']} x {shortfall['addon_sku']} "
            f"({money(shortfall['monthly_cost_usd'])} per month)"
            if shortfall["addon_sku"]
            else "no add-on is known for this pool"
        )
        lines.append(
            f"{shortfall['pool']} runs short in {shortfall['first_month']}: deficit peaks at "
            f"{gb(shortfall['peak_deficit_gb'])} in {shortfall['peak_month']}; {buy}."
        )
    if not lines:
        lines.append(
            f"No shortfall from {data['as_of']} to {data['horizon_end']} ({data['months']} months)."
        )
    total = [s["monthly_cost_usd"] for s in data["shortfalls"] if s["monthly_cost_usd"] is not None]
    unpriced = [s["pool"] for s in data["shortfalls"] if s["monthly_cost_usd"] is None]
    if total:
        text = f"Add-ons to buy cost {money(sum(total))} per month at list price"
        if unpriced:
            text += f" plus unpriced add-ons for {', '.join(unpriced)}"
        lines.append(text + ".")
    return lines


def _grid(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]
) -> list[str]:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        ).rstrip()

    return [fmt(headers), "  ".join("-" * w for w in widths), *(fmt(r) for r in rows)]


def render_table(plan: Plan, *, colour: bool = False) -> str:
    data = printable_data(plan_data(plan))
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
    grid = _grid(
        ["pool", "entitled", "consumed", "borrowed(+)/lent(-)", "available", "left", "status"],
        rows,
        [False, True, True, True, True, True, False],
    )
    for position, pool in enumerate(data["capacity"], start=2):
        word = STATUS_WORDS[pool["status"]]
        line = grid[position]
        grid[position] = line[: len(line) - len(word)] + style(
            word, fg=STATUS_COLOURS[pool["status"]], bold=True
        )
    out.extend(grid)
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
    out.extend(_grid(["month", *pools], rows, [False] + [True] * len(pools)))
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
        _grid(
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
        _grid(
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
    irrelevant = [lic for lic in data["licenses"] if lic["status"] == "not_relevant"]
    if irrelevant:
        out.append("")
        out.append(
            "Not relevant to capacity (listed, not counted): "
            + ", ".join(sorted({f"{lic['sku']} ({lic['quantity']})" for lic in irrelevant}))
        )
    return "\n".join(out) + "\n"


# Markdown is meant for CI summaries, which render it as HTML: text from inputs must not become
# markup there. Raw HTML and entities are escaped, link and image brackets and code backticks
# are backslash-escaped, and the characters that start an automatic link (a scheme's "://",
# "www.", an e-mail's "@") are written as character references, which show the same but do
# not link.
_MARKDOWN_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "@": "&#64;"}
_MARKDOWN_SPECIAL = re.compile(r"[&<>@\\`\[\]!]|:(?=//)|(?<![^\W_])www\.", re.IGNORECASE)


def _markdown_escape(found: re.Match[str]) -> str:
    text = found.group()
    if text == ":":
        return "&#58;"
    if len(text) == 4:  # www.
        return text[:3] + "&#46;"
    return _MARKDOWN_ESCAPES.get(text, "\\" + text)


def markdown_text(text: str) -> str:
    """Text from inputs as inert markdown (already printable: one line, no controls)."""
    return _MARKDOWN_SPECIAL.sub(_markdown_escape, text)


def markdown_data(value: Any) -> Any:
    """Every string of a nested structure printable and inert as markdown."""
    if isinstance(value, str):
        return markdown_text(printable(value))
    if isinstance(value, dict):
        return {key: markdown_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [markdown_data(item) for item in value]
    return value


def _md_row(cells: Sequence[Any]) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def _md_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[bool]
) -> list[str]:
    align = ["---:" if r else "---" for r in right]
    return [_md_row(headers), "|" + "|".join(align) + "|", *(_md_row(r) for r in rows)]


def render_markdown(plan: Plan) -> str:
    data = markdown_data(plan_data(plan))
    out = [
        f"## Capacity plan: {data['ruleset']}, as of {data['as_of']} ({data['months']} months)",
        "",
        *[f"- {line}" for line in headline(data)],
        "",
        "### Capacity now",
        "",
        *_md_table(
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
            *_md_table(
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
    out += ["", "### Inputs", ""]
    out += [f"- {s['path']}: {s['kind']}, {s['format']}, {s['rows']} rows" for s in data["inputs"]]
    return "\n".join(out) + "\n"
