"""``--format table`` (a terminal) and ``--format markdown`` (a CI summary) of a Plan.

Both read :func:`planner.report.data.plan_data`, so they show the numbers the JSON holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import click
import numpy as np
import pandas as pd

from planner.errors import printable_data
from planner.report.data import (
    CONSUMPTION_KEYS,
    FindingList,
    ReportData,
    record_columns,
    records,
)
from planner.report.formatting import (
    ENVIRONMENTS_SHOWN,
    cost_summary,
    findings_shown,
    gb,
    grid,
    headline,
    markdown_data,
    md_table,
    purchase_rows,
    with_counts,
)
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
from planner.ruleset.catalog import MATCHED_BY_WORDS

STATUS_COLOURS = {"ok": "green", "warning": "yellow", "critical": "magenta", "over": "red"}
# A month's status in the narrow cells of the month table (the capacity table has the words).
MONTH_STATUS = {"ok": "", "warning": " low", "critical": " LOW", "over": " OVER"}
SEVERITY_COLOURS = {"info": "blue", "warning": "yellow", "error": "red"}
CONSUMPTION_LINES_SHOWN = 25
FORECAST_STEP = 3
TONE_COLOURS = {"error": "red", "short": "red", "buy": "yellow", "clear": "green"}


def _input_line(source: dict[str, Any]) -> str:
    return (
        f"{file_name(source['path'])} ({format_words(source['format'])}, "
        f"{plural(source['rows'], 'row')})"
    )


def _license_text(entry: dict[str, Any], names: Names) -> str:
    if entry["sku"]:
        return names.product_with_part(entry["sku"])
    if entry.get("kind") == "capacity_extension":
        return "Capacity extension"
    return f"Tenant default: {names.family(entry['family'])}"


def _assumption_text(assumption: dict[str, Any], names: Names) -> str:
    """An assumption once: its value, what it applies to and why; no rule-file path."""
    where = [names.pool(assumption["pool"])] if assumption["pool"] else []
    if assumption["sku"]:
        where.append(names.product_with_part(assumption["sku"]))
    text = assumption["value"] + (f" ({', '.join(where)})" if where else "")
    text += f": {assumption['reason']}"
    if assumption["environments"]:
        more = assumption.get("environments_more", 0)
        text += f"; used for {', '.join(assumption['environments'])}"
        text += f" and {more:,} more" if more else ""
    return text


def _month_table(report: ReportData, style: Callable[..., str]) -> list[str]:
    """Available capacity every few months, plus every month a banner starts or an overage
    stage begins, with what happens then."""
    data = report.outline
    names = report.names
    pools = [p["pool"] for p in data["capacity"]]
    by_month: dict[str, dict[str, dict[str, Any]]] = {}
    for row in data["forecast"]:
        by_month.setdefault(row["month"], {})[row["pool"]] = row
    months = list(by_month)
    events: dict[str, list[str]] = {}
    for event in printable_data(report.timeline):
        when = f"{event['what']} ({event['date']})" if event["date"] else event["what"]
        events.setdefault(event["month"], []).append(when)
    shown = sorted({*months[::FORECAST_STEP], months[-1], *(m for m in events if m in by_month)})
    rows = [
        [m]
        + [
            gb(by_month[m][p]["available_gb"]) + MONTH_STATUS[by_month[m][p]["status"]]
            for p in pools
        ]
        + ["\n".join(events.get(m, []))]  # one event a line
        for m in shown
    ]
    out = [
        style(
            f"Available after borrowing, every {FORECAST_STEP} months and when a banner or an "
            "overage stage starts",
            bold=True,
        )
    ]
    out.extend(
        grid(
            ["Month", *(names.pool(p) for p in pools), "What happens"],
            rows,
            [False] + [True] * len(pools) + [False],
        )
    )
    out.append(
        f"  low: less than {report.warning_share:.0%} of the effective capacity left; LOW: less "
        f"than {report.critical_share:.0%}; OVER: a deficit after borrowing."
    )
    out.append("")
    return out


def _timeline_lines(report: ReportData, style: Callable[..., str]) -> list[str]:
    """The first banner's month and the overage lifecycle's dates, with the environments."""
    data = report.outline
    out = [style("Banners and overage lifecycle", bold=True)]
    timeline = printable_data(report.timeline)
    banners = [e for e in timeline if e["date"] is None]
    if banners:
        out.append(f"  The admin center's first banner would show in {banners[0]['month']}.")
    else:
        out.append(
            f"  No banner from {data['as_of']} to {data['horizon_end']}: every pool keeps at "
            f"least {report.warning_share:.0%} of its effective capacity."
        )
    for event in timeline:
        if event["date"] is None:
            continue
        names = event["environments"]
        affected = ", ".join(names) if names else "no environment (none of the kind affected)"
        out.append(f"  {event['date']}  {event['what']}: {affected}")
    note = data.get("overage_lifecycle_note")
    if note and data["shortfalls"]:
        out.append(f"  No overage lifecycle dates: {note}")
    out.append("")
    return out


def _largest_lines(report: ReportData) -> tuple[list[dict[str, Any]], int]:
    """The consumption lines the table shows (the largest first, ties in plan order) and how
    many there are: picked from the table, so a large tenant's other lines are never turned into
    records."""
    lines = report.tables["consumption"]
    largest = lines.iloc[largest_first(lines["gb"].to_numpy(dtype=float), CONSUMPTION_LINES_SHOWN)]
    return printable_data(records(largest, CONSUMPTION_KEYS)), len(lines)


def largest_first(values: np.ndarray, count: int) -> np.ndarray:
    """Positions of the ``count`` largest values, largest first, equal values in their order and
    missing ones last: the head of a stable sort from largest to smallest, found without sorting
    every value (a large tenant has hundreds of thousands of lines, the table shows 25)."""
    if count <= 0:
        return np.arange(0)
    present = np.flatnonzero(~np.isnan(values))
    if len(present) > count:
        # Every value at least the count-th largest: ties with it included, in their order.
        kth = np.partition(values[present], len(present) - count)[len(present) - count]
        present = present[values[present] >= kth]
    # Stable on the negated values: largest first, equal values in order.
    chosen = present[np.argsort(-values[present], kind="stable")][:count]
    if len(chosen) < count:
        missing = np.flatnonzero(np.isnan(values))[: count - len(chosen)]
        chosen = np.concatenate([chosen, missing])
    return chosen


def _printed(report: ReportData, convert: Callable[[Any], Any]) -> dict[str, Any]:
    """The plan's data as a text format prints it, made safe by ``convert`` (printable, or inert
    as markdown). The long lists are cut first and only what is printed is converted: the
    license summary's lines are made from every license line, and the findings listed are the
    first of each code (an export can hold hundreds of thousands of license lines, a large
    tenant thousands of findings of one code, an assumed estimate as many environments).
    ``findings_more`` counts the rest by code."""
    brief = report.outline
    long_lists = ("findings", "assumptions")
    data: dict[str, Any] = convert({k: v for k, v in brief.items() if k not in long_lists})
    # An assumption names the environments it is used for: the first few of them.
    data["assumptions"] = convert(
        [
            {
                **assumption,
                "environments": assumption["environments"][:ENVIRONMENTS_SHOWN],
                "environments_more": max(len(assumption["environments"]) - ENVIRONMENTS_SHOWN, 0),
            }
            for assumption in brief["assumptions"]
        ]
    )
    findings = brief["findings"]
    shown, more = (
        findings.shown() if isinstance(findings, FindingList) else findings_shown(findings)
    )
    data["findings"] = convert(shown)
    data["findings_count"] = len(brief["findings"])
    data["findings_more"] = more
    licenses = report.tables["licenses"]
    lines = license_lines(licenses, report.tables["ignored_licenses"]) if len(licenses) else []
    data["license_lines"] = [convert(line) for line in lines]
    return data


def render_table(report: ReportData, *, colour: bool = False) -> str:
    data = _printed(report, printable_data)
    names = report.names
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
                gb(pool["effective_entitled_gb"]),
                "-" if pool["remaining_share"] is None else f"{pool['remaining_share']:.1%}",
                report.status_words(pool),
            ]
        )
    lines = grid(
        [
            "Pool",
            "Entitled",
            "Consumed",
            "Borrowed(+)/lent(-)",
            "Available",
            "Effective",
            "Left",
            "Status",
        ],
        rows,
        [False, True, True, True, True, True, True, False],
    )
    for position, pool in enumerate(data["capacity"], start=2):
        word = report.status_words(pool)
        line = lines[position]
        lines[position] = line[: len(line) - len(word)] + style(
            word, fg=STATUS_COLOURS[pool["status"]], bold=True
        )
    out.extend(lines)
    out.append("")

    out.extend(_purchase_lines(data, names, style))

    out.extend(_month_table(report, style))
    out.extend(_timeline_lines(report, style))

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
        grid(
            ["Pool", "License", "Quantity", "Per unit", "GB", "Confidence"],
            rows,
            [False, False, True, True, True, False],
        )
    )
    out.append("")

    consumption, count = _largest_lines(report)
    out.append(style(f"Consumption ({plural(count, 'line')}; largest first)", bold=True))
    rows = [
        [
            names.pool(c["pool"]),
            c["environment"],
            words(c["capacity_type"], CAPACITY_TYPE_WORDS),
            gb(c["gb"]),
            c["basis"],
        ]
        for c in consumption
    ]
    out.extend(
        grid(
            ["Pool", "Environment", "Capacity type", "GB", "Basis"],
            rows,
            [False, False, False, True, False],
        )
    )
    if count > CONSUMPTION_LINES_SHOWN:
        more = count - CONSUMPTION_LINES_SHOWN
        out.append(f"... and {plural(more, 'more line')} (--format json lists them all)")
    out.append("")

    out.append(style(f"Findings ({data['findings_count']})", bold=True))
    for finding, more in with_counts(data["findings"], data["findings_more"]):
        label = style(f"{finding['severity'].upper():7}", fg=SEVERITY_COLOURS[finding["severity"]])
        subject = subject_words(finding["subject"], names)
        out.append(f"  {label} {finding['code']} [{subject}] {finding['message']}")
        if more:
            out.append(f"  ... and {more:,} more {finding['code']} (--format json lists them all)")
    if not data["findings"]:
        out.append("  None")
    out.append("")
    out.append(style(f"Assumptions ({len(data['assumptions'])})", bold=True))
    for assumption in data["assumptions"]:
        out.append(f"  {_assumption_text(assumption, names)}")
    if not data["assumptions"]:
        out.append("  None: every number used has a source")
    if data["license_lines"]:
        out.append("")
        out += data["license_lines"]
    if "reconciliation" in data:
        from planner.report.reconciliation import reconciliation_table_lines

        out.append("")
        out.extend(reconciliation_table_lines(data["reconciliation"], grid, style))
    return "\n".join(out) + "\n"


def _purchase_lines(data: dict[str, Any], names: Names, style: Callable[..., str]) -> list[str]:
    """The What to buy table of the text format: the same rows as HTML and Excel."""
    out = [style("What to buy", bold=True)]
    rows = purchase_rows(data, names)
    if not rows:
        out += [f"  Nothing: no pool runs short from {data['as_of']} to {data['horizon_end']}.", ""]
        return out
    out.extend(
        grid(
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


def license_lines(licenses: pd.DataFrame, ignored: pd.DataFrame) -> list[str]:
    """How the licenses were recognised, those matched by name, and those ignored with why:
    from the tables' columns (an export can hold hundreds of thousands of lines)."""
    matched_by = licenses["matched_by"]
    counts = Counter(matched_by.tolist())
    out = [
        f"Licenses: {len(licenses)} rows, recognised "
        + ", ".join(
            f"{MATCHED_BY_WORDS[how]} {counts[how]}"
            for how in ("guid", "part_number", "display_name")
            if counts[how]
        )
        + (f"; {counts['']} not recognised" if counts[""] else "")
    ]
    named = record_columns(
        licenses[(matched_by == "display_name").to_numpy()], ("display_name", "sku_given", "sku")
    )
    by_name = sorted(
        {
            f"'{display_name or sku_given}' as {sku}"
            for display_name, sku_given, sku in zip(*named.values(), strict=True)
        }
    )
    if by_name:
        out.append("  matched by display name (check them): " + _listed(by_name))
    if len(ignored):
        why = record_columns(ignored, ("sku", "quantity", "reason"))
        out.append(
            "  ignored, grant no capacity (not counted): "
            + _listed(
                sorted(
                    {
                        f"{sku} ({quantity}): {reason}"
                        for sku, quantity, reason in zip(*why.values(), strict=True)
                    }
                )
            )
        )
    return out


# Entries of a license list the text shows (an export can hold hundreds of thousands of lines);
# the rest are counted, and the JSON and the workbook list them all.
LICENSE_ENTRIES_SHOWN = 20


def _listed(entries: list[str]) -> str:
    shown = "; ".join(entries[:LICENSE_ENTRIES_SHOWN])
    more = len(entries) - LICENSE_ENTRIES_SHOWN
    return shown + (
        f"; and {more:,} more (the JSON and the workbook list them all)" if more > 0 else ""
    )


def _markdown_timeline(report: ReportData, data: dict[str, Any]) -> list[str]:
    """Banners and overage stages by date, or the reason there are none."""
    timeline = markdown_data(report.timeline)
    out = ["### Banners and overage lifecycle", ""]
    if timeline:
        out += md_table(
            ["Month", "Date", "What happens", "Environments"],
            [
                [
                    e["month"],
                    e["date"] or "",
                    e["what"],
                    ", ".join(e["environments"]),
                ]
                for e in timeline
            ],
            [False, False, False, False],
        )
    else:
        out.append(
            f"No banner from {data['as_of']} to {data['horizon_end']}: every pool keeps at least "
            f"{report.warning_share:.0%} of its effective capacity."
        )
    note = data.get("overage_lifecycle_note")
    if note and data["shortfalls"]:
        out += ["", f"No overage lifecycle dates: {note}"]
    return [*out, ""]


def render_markdown(report: ReportData) -> str:
    data = _printed(report, markdown_data)
    names = report.names
    out = [
        f"## Capacity plan as of {data['as_of']} ({plural(data['months'], 'month')}), "
        f"rule set {data['ruleset']}",
        "",
        *[f"- {line}" for line in headline(data)],
        "",
        "### Capacity now",
        "",
        *md_table(
            ["Pool", "Entitled", "Consumed", "Available", "Effective", "Left", "Status"],
            [
                [
                    names.pool(p["pool"]),
                    gb(p["entitled_gb"]),
                    gb(p["consumed_gb"]),
                    gb(p["available_gb"]),
                    gb(p["effective_entitled_gb"]),
                    "-" if p["remaining_share"] is None else f"{p['remaining_share']:.1%}",
                    report.status_words(p),
                ]
                for p in data["capacity"]
            ],
            [False, True, True, True, True, True, False],
        ),
        "",
    ]
    rows = purchase_rows(data, names)
    if rows:
        out += [
            "### What to buy",
            "",
            *md_table(
                ["Pool", "Add-on", "Units", "From", "Per month", "To the horizon", "Why"],
                [
                    [
                        r["pool"],
                        # Not a code span: inside one the backslash that escapes a backtick is
                        # literal, so a part number holding a backtick would end the span.
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
            ),
            "",
        ]
        cost = cost_summary(data)
        if cost:
            out += [f"Total at list price: {cost}.", ""]
    out += _markdown_timeline(report, data)
    out += ["### Findings", ""]
    for f, more in with_counts(data["findings"], data["findings_more"]):
        subject = subject_words(f["subject"], names)
        out.append(f"- **{f['severity']}** `{f['code']}` {subject}: {f['message']}")
        if more:
            out.append(f"- and {more:,} more `{f['code']}` (the JSON lists them all)")
    if not data["findings"]:
        out.append("- None")
    out += ["", "### Assumptions", ""]
    out += [f"- {_assumption_text(a, names)}" for a in data["assumptions"]] or ["- None"]
    if "reconciliation" in data:
        from planner.report.reconciliation import reconciliation_markdown_lines

        out += ["", *reconciliation_markdown_lines(data["reconciliation"])]
    out += ["", "### Inputs", ""]
    out += [f"- {_input_line(s)}" for s in data["inputs"]]
    if data["license_lines"]:
        out += ["", *[f"- {line.strip()}" for line in data["license_lines"]]]
    return "\n".join(out) + "\n"
