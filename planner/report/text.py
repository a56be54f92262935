"""``--format table`` (a terminal) and ``--format markdown`` (a CI summary) of a Plan.

Both read :func:`planner.report.data.plan_data`, so they show the numbers the JSON holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click

from planner.errors import printable_data
from planner.report.data import plan_data
from planner.report.words import (
    CAPACITY_TYPE_WORDS,
    CONFIDENCE_WORDS,
    Names,
    file_name,
    format_words,
    plural,
    subject_words,
    words,
)
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


# What headline() reads of the plan's data: the sentences plan_data made once for every format.
HEADLINE_KEYS = ("headline",)
TONE_COLOURS = {"error": "red", "short": "red", "buy": "yellow", "clear": "green"}


def headline(data: dict[str, Any]) -> list[str]:
    """The lines a person acts on (planner/report/headline.py), as every format shows them."""
    return list(data["headline"]["lines"])


def purchase_rows(data: dict[str, Any], names: Names) -> list[dict[str, Any]]:
    """What to buy, one row per pool by month: the add-ons the plan recommends (with --buffer
    and --buy-at applied) beside the shortfall they cover, then what planned changes buy."""
    shortfall_of = {s["pool"]: s for s in data["shortfalls"]}
    rows = []
    for p in sorted(data["purchases"], key=lambda p: (p["buy_month"], p["pool"])):
        shortfall = shortfall_of.get(p["pool"])
        rows.append(
            {
                "pool": names.pool(p["pool"]),
                "first_short": shortfall["first_month"] if shortfall else "not short",
                "peak_deficit": gb(shortfall["peak_deficit_gb"]) if shortfall else "-",
                "growing": bool(shortfall and shortfall.get("growing_at_end")),
                "product": names.product(p["addon_sku"]) or "No add-on known",
                "sku": p["addon_sku"] or "",
                "units": "-" if p["units"] is None else f"{p['units']:,}",
                "gb": gb(p["gb"]),
                "buy_month": p["buy_month"],
                "monthly": money(p["monthly_cost_usd"]),
                "horizon": money(p["horizon_cost_usd"]),
                "units_value": p["units"],
                "monthly_value": p["monthly_cost_usd"],
                "horizon_value": p["horizon_cost_usd"],
                "planned": False,
            }
        )
    for b in data.get("bought", []):
        rows.append(
            {
                "pool": names.pool(b["pool"]),
                "first_short": "-",
                "peak_deficit": "-",
                "growing": False,
                "product": names.product(b["addon_sku"]),
                "sku": b["addon_sku"],
                "units": f"{b['units']:,}",
                "gb": gb(b["gb"]),
                "buy_month": b["buy_month"],
                "monthly": money(b["monthly_cost_usd"]),
                "horizon": money(b["horizon_cost_usd"]),
                "units_value": b["units"],
                "monthly_value": b["monthly_cost_usd"],
                "horizon_value": b["horizon_cost_usd"],
                "planned": True,
            }
        )
    return rows


def cost_summary(data: dict[str, Any]) -> str | None:
    """ "$1,500.00 per month, $18,000.00 a year, $15,100.00 over the horizon"."""
    head = data["headline"]
    if head["monthly_cost_usd"] is None:
        return None
    return (
        f"{money(head['monthly_cost_usd'])} per month, {money(head['annual_cost_usd'])} a year, "
        f"{money(head['horizon_cost_usd'])} to {data['horizon_end']}"
    )


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


def _input_line(source: dict[str, Any]) -> str:
    return (
        f"{file_name(source['path'])} ({format_words(source['format'])}, "
        f"{plural(source['rows'], 'row')})"
    )


def _license_text(entry: dict[str, Any], names: Names) -> str:
    if entry["sku"]:
        return names.product_with_part(entry["sku"])
    return f"Tenant default: {names.family(entry['family'])}"


def _assumption_text(assumption: dict[str, Any], names: Names) -> str:
    """An assumption once: its value, what it applies to and why; no rule-file path."""
    where = [names.pool(assumption["pool"])] if assumption["pool"] else []
    if assumption["sku"]:
        where.append(names.product_with_part(assumption["sku"]))
    text = assumption["value"] + (f" ({', '.join(where)})" if where else "")
    text += f": {assumption['reason']}"
    if assumption["environments"]:
        text += f"; used for {', '.join(assumption['environments'])}"
    return text


def render_table(plan: Plan, *, colour: bool = False) -> str:
    data = printable_data(plan_data(plan))
    names = Names.of(plan.ruleset)
    style: Callable[..., str] = click.style if colour else (lambda text, **_: text)
    out: list[str] = []
    out.append(
        style(f"Capacity plan as of {data['as_of']}", bold=True)
        + f", {plural(data['months'], 'month')} to {data['horizon_end']}; rule set "
        f"{data['ruleset']} ({data['ruleset_title']})"
    )
    for source in data["inputs"]:
        out.append(f"  input: {_input_line(source)}")
    out.append("")
    tone_colour = TONE_COLOURS[data["headline"]["tone"]]
    for line in headline(data):
        out.append(style(line, fg=tone_colour, bold=True))
    out.append("")

    out.append(style(f"Capacity in {data['as_of']}", bold=True))
    rows = []
    for pool in data["capacity"]:
        rows.append(
            [
                names.pool(pool["pool"]),
                gb(pool["entitled_gb"]),
                gb(pool["consumed_gb"]),
                f"{pool['borrowed_gb'] - pool['lent_gb']:+,.2f} GB",
                gb(pool["available_gb"]),
                "-" if pool["remaining_share"] is None else f"{pool['remaining_share']:.0%}",
                STATUS_WORDS[pool["status"]],
            ]
        )
    grid = _grid(
        ["Pool", "Entitled", "Consumed", "Borrowed(+)/lent(-)", "Available", "Left", "Status"],
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

    out.extend(_purchase_lines(data, names, style))

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
    out.extend(
        _grid(["Month", *(names.pool(p) for p in pools)], rows, [False] + [True] * len(pools))
    )
    out.append("")

    out.append(style("Entitlement lines", bold=True))
    rows = [
        [
            names.pool(e["pool"]),
            _license_text(e, names),
            f"{e['quantity']:g}",
            gb(e["per_unit_gb"]),
            gb(e["gb"]),
            words(e["confidence"], CONFIDENCE_WORDS),
        ]
        for e in data["entitlement"]
    ]
    out.extend(
        _grid(
            ["Pool", "License", "Quantity", "Per unit", "GB", "Confidence"],
            rows,
            [False, False, True, True, True, False],
        )
    )
    out.append("")

    consumption = sorted(data["consumption"], key=lambda c: -c["gb"])
    out.append(style(f"Consumption ({plural(len(consumption), 'line')}; largest first)", bold=True))
    rows = [
        [
            names.pool(c["pool"]),
            c["environment"],
            words(c["capacity_type"], CAPACITY_TYPE_WORDS),
            gb(c["gb"]),
            c["basis"],
        ]
        for c in consumption[:CONSUMPTION_LINES_SHOWN]
    ]
    out.extend(
        _grid(
            ["Pool", "Environment", "Capacity type", "GB", "Basis"],
            rows,
            [False, False, False, True, False],
        )
    )
    if len(consumption) > CONSUMPTION_LINES_SHOWN:
        more = len(consumption) - CONSUMPTION_LINES_SHOWN
        out.append(f"... and {plural(more, 'more line')} (--format json lists them all)")
    out.append("")

    out.append(style(f"Findings ({len(data['findings'])})", bold=True))
    for finding in data["findings"]:
        label = style(f"{finding['severity'].upper():7}", fg=SEVERITY_COLOURS[finding["severity"]])
        subject = subject_words(finding["subject"], names)
        out.append(f"  {label} {finding['code']} [{subject}] {finding['message']}")
    if not data["findings"]:
        out.append("  None")
    out.append("")
    out.append(style(f"Assumptions ({len(data['assumptions'])})", bold=True))
    for assumption in data["assumptions"]:
        out.append(f"  {_assumption_text(assumption, names)}")
    if not data["assumptions"]:
        out.append("  None: every number used has a source")
    irrelevant = [lic for lic in data["licenses"] if lic["status"] == "not_relevant"]
    if irrelevant:
        out.append("")
        out.append(
            "Not relevant to capacity (listed, not counted): "
            + ", ".join(
                sorted({f"{names.product(lic['sku'])} ({lic['quantity']:g})" for lic in irrelevant})
            )
        )
    return "\n".join(out) + "\n"


def _purchase_lines(data: dict[str, Any], names: Names, style: Callable[..., str]) -> list[str]:
    """The What to buy table of the text format: the same rows as HTML and Excel."""
    out = [style("What to buy", bold=True)]
    rows = purchase_rows(data, names)
    if not rows:
        out += [f"  Nothing: no pool runs short from {data['as_of']} to {data['horizon_end']}.", ""]
        return out
    out.extend(
        _grid(
            ["Pool", "Add-on", "Units", "From", "Per month", "To the horizon", "Why"],
            [
                [
                    r["pool"],
                    f"{r['product']} ({r['sku']})" if r["sku"] else r["product"],
                    r["units"],
                    r["buy_month"],
                    r["monthly"],
                    r["horizon"],
                    _why(r),
                ]
                for r in rows
            ],
            [False, False, True, False, True, True, False],
        )
    )
    cost = cost_summary(data)
    if cost:
        out.append(f"Total at list price: {cost}.")
    out.append("")
    return out


def _why(row: dict[str, Any]) -> str:
    if row["planned"]:
        return "planned in the scenario"
    if row["first_short"] == "not short":
        return "keeps the buffer free"
    growing = ", still growing" if row["growing"] else ""
    return f"short from {row['first_short']} (deficit {row['peak_deficit']}{growing})"


def _md_row(cells: Sequence[Any]) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def _md_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[bool]
) -> list[str]:
    align = ["---:" if r else "---" for r in right]
    return [_md_row(headers), "|" + "|".join(align) + "|", *(_md_row(r) for r in rows)]


def render_markdown(plan: Plan) -> str:
    data = printable_data(plan_data(plan))
    names = Names.of(plan.ruleset)
    out = [
        f"## Capacity plan as of {data['as_of']} ({plural(data['months'], 'month')}), "
        f"rule set {data['ruleset']}",
        "",
        *[f"- {line}" for line in headline(data)],
        "",
        "### Capacity now",
        "",
        *_md_table(
            ["Pool", "Entitled", "Consumed", "Available", "Status"],
            [
                [
                    names.pool(p["pool"]),
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
    rows = purchase_rows(data, names)
    if rows:
        out += [
            "### What to buy",
            "",
            *_md_table(
                ["Pool", "Add-on", "Units", "From", "Per month", "To the horizon", "Why"],
                [
                    [
                        r["pool"],
                        f"{r['product']} (`{r['sku']}`)" if r["sku"] else r["product"],
                        r["units"],
                        r["buy_month"],
                        r["monthly"],
                        r["horizon"],
                        _why(r),
                    ]
                    for r in rows
                ],
                [False, False, True, False, True, True, False],
            ),
            "",
        ]
        cost = cost_summary(data)
        if cost:
            out += [f"Total at list price: {cost}.", ""]
    out += ["### Findings", ""]
    out += [
        f"- **{f['severity']}** `{f['code']}` {subject_words(f['subject'], names)}: {f['message']}"
        for f in data["findings"]
    ] or ["- None"]
    out += ["", "### Assumptions", ""]
    out += [f"- {_assumption_text(a, names)}" for a in data["assumptions"]] or ["- None"]
    out += ["", "### Inputs", ""]
    out += [f"- {_input_line(s)}" for s in data["inputs"]]
    return "\n".join(out) + "\n"
