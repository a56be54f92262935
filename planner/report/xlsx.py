"""``report --xlsx``: the Plan as an Excel workbook that stays live when someone edits it.

Numbers come from :func:`planner.report.data.plan_data` (the JSON contract), unrounded; only the
cell number formats round them for display. The Summary totals are formulas over the line sheets
(entitled = SUMIFS over Entitlement; consumed = SUM of the pool's capacity-type columns on
Consumption, one row per environment; available = entitled - consumed + borrowed - lent), and an
Entitlement line's GB is quantity x per unit where that is how capplan computed it, so changing a
quantity updates the summary. Every formula is stored with capplan's value as its result, so a
viewer that does not recalculate still shows the numbers, and capplan's own values also sit in
the column next to each formula, so anyone can see when an edit moved a number away from the
plan.

The cells, styles and sheets are written by :mod:`planner.report.xlsx_writer`, which keeps text
from input files text.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from xlsxwriter.chart import Chart
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from planner.engine.consumption import TextCodes
from planner.engine.forecast import SHARE_TOLERANCE, TOLERANCE_GB
from planner.ingest.inventory import folded
from planner.model.inputs import CAPACITY_TYPES
from planner.model.months import first_day
from planner.planning import COMBINE_WORDS
from planner.report.data import FINDING_KEYS, TABLES, FindingList, ReportData, record_columns
from planner.report.formatting import extension_sentence, headline, purchase_rows
from planner.report.words import (
    CONFIDENCE_WORDS,
    ENTITLEMENT_KIND_WORDS,
    ENVIRONMENT_TYPE_WORDS,
    LICENSE_STATUS_WORDS,
    POWER_PLATFORM_WORDS,
    ROLE_WORDS,
    Names,
    file_name,
    format_words,
    plural,
    subject_words,
    words,
)
from planner.report.xlsx_writer import (
    AXIS_GB_FORMAT,
    BOLD,
    CAPPLAN,
    DATE_FORMAT,
    ESTIMATE_GB_FORMAT,
    GB_FORMAT,
    LINE_HEIGHT,
    MONTH_FORMAT,
    POOL_TITLE,
    SECTION,
    SHARE_FORMAT,
    SIGNED_GB_FORMAT,
    SIGNED_USD_FORMAT,
    SIGNED_WHOLE_FORMAT,
    USD_FORMAT,
    WHOLE_FORMAT,
    WRAPPED,
    CodedColumn,
    Column,
    Formula,
    Link,
    QuickWorkbook,
    SheetWriter,
    StreamedSheet,
    Styles,
    chart_text,
    chunked_rows,
    display_length,
    factorized,
    letter,
    new_workbook,
    no_cycle_collection,
    object_array,
    safe_cell_text,
)
from planner.ruleset.catalog import MATCHED_BY_WORDS

# Status and severity colours, as in the HTML report: every one also has its word in the cell.
STATUS_STYLES = {
    "ok": ("DCFCE7", "14532D"),
    "warning": ("FEF3C7", "6B3A00"),
    "critical": ("FEE2E2", "991B1B"),
    "over": ("991B1B", "FFFFFF"),
}


def colour_statuses(writer: SheetWriter, cells: str, report: ReportData) -> None:
    """Colour status cells by the admin center's words (a deficit by its first word), so the
    colours follow a recalculated status."""
    words = {
        report.status_words({"status": code, "effective_deficit_gb": 0.0}): colours
        for code, colours in STATUS_STYLES.items()
        if code != "over"
    }
    writer.colour_words(cells, words)
    writer.colour_prefix(cells, "Deficit", STATUS_STYLES["over"])


SEVERITY_STYLES = {
    "info": ("DBEAFE", "1E3A8A"),
    "warning": ("FEF3C7", "6B3A00"),
    "error": ("991B1B", "FFFFFF"),
}
SERIES_STYLES = {
    "entitled": ("1D4ED8", "solid"),
    "consumed": ("B91C1C", "dash"),
}
# One look per plan of a comparison (the baseline first), as in the HTML report: a colour, a
# dash pattern and a marker shape (filled or hollow), so the lines tell apart in greyscale too.
PLAN_STYLES = (
    ("1A1A1A", "solid", "circle", True),
    ("1D4ED8", "dash", "square", False),
    ("B45309", "round_dot", "triangle", True),
    ("047857", "long_dash_dot", "diamond", False),
    ("7E22CE", "square_dot", "star", True),
    ("BE185D", "long_dash_dot_dot", "x", False),
)
BASELINE_NAME = "Baseline"
CHART_ROWS = 18  # rows between the top edges of two stacked charts
CHART_WIDTH_PX = 680  # 18 cm
CHART_HEIGHT_PX = 321  # 8.5 cm
LINE_WIDTH_PT = 2.25


def _date(day: str) -> dt.date:
    return dt.date.fromisoformat(day)


@functools.lru_cache(maxsize=4096)
def _month(month: str | None) -> dt.date | None:
    """A month's first day (asked for again and again: a finding or line per environment)."""
    return first_day(month) if month else None


def _number(value: float) -> str:
    """A constant for a formula: shortest exact text, Excel's exponent letter."""
    return format(value, ".15G")


def status_formula(row: int, report: ReportData, value: str) -> Formula:
    """The pool's status in the admin center's words as a formula (planner.engine.forecast.
    pool_status), stored with capplan's words ``value``: a deficit when Available is below zero,
    running low when the Left share is below the critical or the warning share."""
    a, left = f"{SUMMARY_AVAILABLE}{row}", f"{SUMMARY_LEFT}{row}"
    tolerance = _number(SHARE_TOLERANCE)
    critical = _number(report.critical_share)
    warning = _number(report.warning_share)
    low = "Running low (less than {:.0%} left)"
    return Formula(
        f'=IF({a}<-{_number(TOLERANCE_GB)},"Deficit "&TEXT(-{a},"#,##0.00")&" GB",'
        f'IF({left}<{critical}-{tolerance},"{low.format(report.critical_share)}",'
        f'IF({left}<{warning}-{tolerance},"{low.format(report.warning_share)}",'
        '"Within capacity")))',
        value,
    )


def left_formula(row: int, value: float | None) -> Formula:
    """The share of the effective capacity left (planner.engine.forecast.pool_status)."""
    e, c = f"{SUMMARY_EFFECTIVE}{row}", f"{SUMMARY_CONSUMED}{row}"
    tolerance = _number(TOLERANCE_GB)
    return Formula(
        f"=IF({e}>{tolerance},MAX(0,({e}-{c})/{e}),IF({c}>{tolerance},0,1))",
        "-" if value is None else value,
    )


ENTITLEMENT_COLUMNS = (
    Column("Pool"),
    Column("License"),
    Column("Part number"),
    Column("Kind"),
    Column("Family"),
    Column("Quantity", "quantity"),
    Column("Per unit (GB)", GB_FORMAT),
    Column("GB", GB_FORMAT),
    Column("Confidence"),
    Column("Source"),
    Column("Source address"),
)


def capacity_title(capacity_type: str) -> str:
    """``dataverse_database`` as "Dataverse database"."""
    return capacity_type.replace("_", " ").capitalize()


# One row per environment, a GB column per capacity type: the Summary sums a pool's columns.
# The basis is a short code per capacity type, explained once on the Basis codes sheet; the
# environment's own growth per capacity type has a column of its own.
GROWTH_FORMAT = '#,##0.000 "GB"'
CONSUMPTION_COLUMNS = (
    Column("Environment"),
    Column("Environment type"),
    Column("Power Platform"),
    *(
        Column(f"{capacity_title(capacity_type)} GB", GB_FORMAT, ESTIMATE_GB_FORMAT)
        for capacity_type in CAPACITY_TYPES
    ),
    Column("Least certain", align="center"),
    Column("Basis codes"),
    *(
        Column(f"{capacity_title(capacity_type)} growth per month", GROWTH_FORMAT)
        for capacity_type in CAPACITY_TYPES
    ),
)
# Where each capacity type's GB is, counting from 1.
CONSUMPTION_GB_COLUMN = {
    capacity_type: index for index, capacity_type in enumerate(CAPACITY_TYPES, start=4)
}
CONSUMPTION_GROWTH_COLUMN = {
    capacity_type: index
    for index, capacity_type in enumerate(CAPACITY_TYPES, start=6 + len(CAPACITY_TYPES))
}
BASIS_CODE_COLUMNS = (
    Column("Code"),
    Column("Capacity type"),
    Column("Basis", wrap=True),
    Column("Environments", WHOLE_FORMAT),
)
# From the least certain to the most: the word a row's "Least certain" cell shows.
CERTAINTY = ("unknown", "assumed", "secondary", "documented", "measured")

# One column per figure; capplan's own values of the formula columns are on the hidden Check
# sheet, row for row, where a test (or a curious reader) compares them.
SUMMARY_COLUMNS = (
    Column("Pool"),
    Column("Entitled GB", GB_FORMAT),
    Column("Consumed GB", GB_FORMAT),
    Column("Borrowed GB", GB_FORMAT),
    Column("Lent GB", GB_FORMAT),
    Column("Available GB", GB_FORMAT),
    Column("Effective GB", GB_FORMAT),
    Column("Left", SHARE_FORMAT),
    Column("Status", align="center"),  # apart from the share beside it
)
# A hidden sheet: one row per formula cell of the Summary and the Entitlement sheet, with the
# value capplan computed for it, so a recalculated workbook can be checked against capplan.
CHECK_SHEET = "Check"
CHECK_COLUMNS = (
    Column("Sheet"),
    Column("Cell"),
    Column("Figure"),
    Column("capplan value", capplan=True),
)

# Where the formulas look.
ENTITLEMENT_POOL = letter(ENTITLEMENT_COLUMNS, "Pool")
ENTITLEMENT_QUANTITY = letter(ENTITLEMENT_COLUMNS, "Quantity")
ENTITLEMENT_PER_UNIT = letter(ENTITLEMENT_COLUMNS, "Per unit (GB)")
ENTITLEMENT_GB = letter(ENTITLEMENT_COLUMNS, "GB")
SUMMARY_ENTITLED = letter(SUMMARY_COLUMNS, "Entitled GB")
SUMMARY_CONSUMED = letter(SUMMARY_COLUMNS, "Consumed GB")
SUMMARY_BORROWED = letter(SUMMARY_COLUMNS, "Borrowed GB")
SUMMARY_LENT = letter(SUMMARY_COLUMNS, "Lent GB")
SUMMARY_AVAILABLE = letter(SUMMARY_COLUMNS, "Available GB")
SUMMARY_STATUS = letter(SUMMARY_COLUMNS, "Status")
SUMMARY_EFFECTIVE = letter(SUMMARY_COLUMNS, "Effective GB")
SUMMARY_LEFT = letter(SUMMARY_COLUMNS, "Left")

PURCHASE_COLUMNS = (
    Column("Pool"),
    Column("Add-on"),
    Column("Part number"),
    Column("Units", WHOLE_FORMAT),
    Column("From", MONTH_FORMAT),
    Column("Per month (USD)", USD_FORMAT),
    Column("To the horizon (USD)", USD_FORMAT),
    Column("Why"),
)
PURCHASE_MONTHLY = letter(PURCHASE_COLUMNS, "Per month (USD)")
PURCHASE_HORIZON = letter(PURCHASE_COLUMNS, "To the horizon (USD)")
TITLE: Mapping[str, Any] = {"bold": True, "font_size": 16}
TITLE_HEIGHT = 24  # points
TONE_STYLES: Mapping[str, Mapping[str, Any]] = {
    "error": {"bold": True, "font_color": "#991B1B"},
    "short": {"bold": True, "font_color": "#991B1B"},
    "buy": {"bold": True, "font_color": "#6B3A00"},
    "clear": {"bold": True, "font_color": "#14532D"},
}

FORECAST_COLUMNS = (
    Column("Month", MONTH_FORMAT),
    Column("Pool"),
    Column("Entitled GB", GB_FORMAT),
    Column("Consumed GB", GB_FORMAT),
    Column("Borrowed GB", GB_FORMAT),
    Column("Lent GB", GB_FORMAT),
    Column("Available GB", GB_FORMAT),
    Column("Effective GB", GB_FORMAT),
    Column("Left", SHARE_FORMAT),
    Column("Status"),
)


def _summary_sheet(
    writer: SheetWriter,
    checks: list[list[Any]],
    report: ReportData,
    scenarios: Sequence[str] = (),
) -> None:
    """A title, the headline and the total cost first; then the pools (formulas over the
    Entitlement and Consumption sheets), what to buy with a total row, and notes. Written top
    to bottom."""
    data = report.outline
    names = report.names
    draws_on = report.draws_on
    warning_share = report.warning_share
    head = data["headline"]
    purchases = purchase_rows(data, names)
    # Where each part goes, so the cost cells above can refer to the total row below.
    row = 1
    writer.put(row, 1, f"Capacity plan as of {data['as_of']}", None, TITLE)
    writer.ws.set_row(row - 1, TITLE_HEIGHT)  # the large title must not run into the line below
    row += 1
    _merged(
        writer,
        row,
        f"{plural(data['months'], 'month')} to {data['horizon_end']}; rule set "
        f"{data['ruleset']} ({data['ruleset_title']})",
        CAPPLAN,
    )
    row += 2
    lines = headline(data)
    cost_rows = 3 if purchases else 0
    table_row = row + len(lines) + 1 + (cost_rows + 1 if cost_rows else 0)
    last_pool = table_row + len(data["capacity"])
    buy_header = last_pool + 3
    total_row = buy_header + len(purchases) + 1
    for line in lines:
        _merged(writer, row, line, TONE_STYLES[head["tone"]])
        row += 1
    row += 1
    if purchases:
        monthly = head["monthly_cost_usd"]
        horizon = head["horizon_cost_usd"]
        costs: list[tuple[str, Any]] = [
            (
                "Add-ons per month (USD)",
                Formula(f"={PURCHASE_MONTHLY}{total_row}", monthly or 0.0),
            ),
            (
                "Add-ons per year (USD)",
                Formula(f"=12*{PURCHASE_MONTHLY}{total_row}", (monthly or 0.0) * 12),
            ),
            (
                f"Add-ons to {data['horizon_end']} (USD)",
                Formula(f"={PURCHASE_HORIZON}{total_row}", horizon or 0.0),
            ),
        ]
        for label, value in costs:
            checks.append(["Summary", f"B{row}", label, value.value])
            writer.put(row, 1, label, None, BOLD)
            writer.measure(1, len(label))
            writer.put(row, 2, value, USD_FORMAT, BOLD)
            row += 1
        row += 1
    assert row == table_row
    rows = []
    for row, pool in enumerate(data["capacity"], start=table_row + 1):
        share = pool["remaining_share"]
        title = names.pool(pool["pool"])
        rows.append(
            [
                title,
                Formula(
                    f"=SUMIFS(Entitlement!${ENTITLEMENT_GB}:${ENTITLEMENT_GB},"
                    f"Entitlement!${ENTITLEMENT_POOL}:${ENTITLEMENT_POOL},$A{row})",
                    pool["entitled_gb"],
                ),
                Formula(consumed_formula(draws_on.get(pool["pool"], ())), pool["consumed_gb"]),
                pool["borrowed_gb"],
                pool["lent_gb"],
                Formula(
                    f"={SUMMARY_ENTITLED}{row}-{SUMMARY_CONSUMED}{row}"
                    f"+{SUMMARY_BORROWED}{row}-{SUMMARY_LENT}{row}",
                    pool["available_gb"],
                ),
                pool["effective_entitled_gb"],
                left_formula(row, share),
                status_formula(row, report, report.status_words(pool)),
            ]
        )
        for column, figure, value in (
            (SUMMARY_ENTITLED, "entitled GB", pool["entitled_gb"]),
            (SUMMARY_CONSUMED, "consumed GB", pool["consumed_gb"]),
            (SUMMARY_AVAILABLE, "available GB", pool["available_gb"]),
            (SUMMARY_STATUS, "status", report.status_words(pool)),
        ):
            checks.append(["Summary", f"{column}{row}", f"{title} {figure}", value])
    last = writer.table(SUMMARY_COLUMNS, rows, table_row, autofilter=False)
    assert last == last_pool
    colour_statuses(writer, f"{SUMMARY_STATUS}{table_row + 1}:{SUMMARY_STATUS}{last}", report)

    row = last + 2
    writer.put(row, 1, "What to buy", None, SECTION)
    row += 1
    if purchases:
        assert row == buy_header
        buy_rows = [
            [
                p["pool"],
                p["product"],
                p["sku"] or None,
                p["units_value"],
                _month(p["buy_month"]),
                "unpriced" if p["monthly_value"] is None else p["monthly_value"],
                "unpriced" if p["horizon_value"] is None else p["horizon_value"],
                _why(p),
            ]
            for p in purchases
        ]
        last = writer.table(PURCHASE_COLUMNS, buy_rows, row, autofilter=False)
        first_buy = buy_header + 1
        total = "Total at list price" + (
            ", plus unpriced add-ons" if any(p["monthly_value"] is None for p in purchases) else ""
        )
        writer.put(total_row, 1, total, None, BOLD, {"top": 2})
        for column in range(2, len(PURCHASE_COLUMNS) + 1):
            letter_ = xl_col_to_name(column - 1)
            if letter_ in (PURCHASE_MONTHLY, PURCHASE_HORIZON):
                value = (
                    head["monthly_cost_usd"]
                    if letter_ == PURCHASE_MONTHLY
                    else head["horizon_cost_usd"]
                )
                writer.put(
                    total_row,
                    column,
                    Formula(f"=SUM({letter_}{first_buy}:{letter_}{last})", value or 0.0),
                    USD_FORMAT,
                    BOLD,
                    {"top": 2},
                )
                checks.append(["Summary", f"{letter_}{total_row}", total, value or 0.0])
            else:
                writer.put(total_row, column, None, None, {"top": 2})
        row = total_row + 1
    else:
        writer.put(
            row,
            1,
            f"Nothing: no pool runs short from {data['as_of']} to {data['horizon_end']}.",
        )
        row += 1

    row += 1
    notes = [
        "Entitled and consumed GB are formulas over the Entitlement and Consumption sheets, so "
        "editing a quantity or a GB there updates them (the hidden Check sheet keeps capplan's "
        "own figures).",
        "Borrowed and lent GB are capplan's month-0 values; they do not recompute after an edit.",
        "Effective GB is the pool's own entitlement plus the spare capacity of other pools it "
        f"counts for the admin center's notification, up to its {1 - warning_share:.0%} line; a "
        "pool that lends keeps its own entitlement. Left is the share of it not consumed.",
        "Status, as the admin center words it: a deficit when Available is below zero after "
        f"borrowing; running low when less than {report.critical_share:.0%} or "
        f"{warning_share:.0%} is left; within capacity otherwise.",
    ]
    if scenarios:
        notes.append(
            f"This plan is the baseline; the {COMPARISON_SHEET} sheet compares it with "
            f"{plural(len(scenarios), 'what-if scenario')}."
        )
    for note in notes:
        _merged(writer, row, note, CAPPLAN)
        row += 1
    writer.finish(freeze=None)


SUMMARY_TEXT_CHARACTERS = 120  # about the width of the Summary's tables, in characters


def _merged(writer: SheetWriter, row: int, text: str, style: Mapping[str, Any]) -> None:
    """A sentence across the width of the Summary's tables, wrapped there: long text neither
    runs past the printed page nor into the next cell."""
    last_column = len(PURCHASE_COLUMNS) - 1
    cell_format = writer.styles(style, WRAPPED)
    writer.ws.merge_range(row - 1, 0, row - 1, last_column, str(safe_cell_text(text)), cell_format)
    lines = max(1, math.ceil(len(text) / SUMMARY_TEXT_CHARACTERS))
    if lines > 1:
        writer.ws.set_row(row - 1, LINE_HEIGHT * lines)


def _why(row: dict[str, Any]) -> str:
    if row["planned"]:
        return "Bought by the planned changes"
    if row["first_short"] == "not short":
        return "Keeps the buffer free"
    growing = ", still growing at the end" if row["growing"] else ""
    return f"Short from {row['first_short']}; deficit {row['peak_deficit']}{growing}"


def _range(sheet: str, column: int, first: int, last: int) -> str:
    """A chart's reference to rows ``first`` to ``last`` of a column (counting from 1)."""
    name = xl_col_to_name(column - 1)
    return f"='{sheet}'!${name}${first}:${name}${last}"


def _new_chart(
    writer: SheetWriter, title: str, value_title: str, months: int, *, labels_low: bool
) -> Chart:
    """A line chart over months: a date axis with a label every month, or every quarter once
    the horizon is longer than a year, and GB on the value axis."""
    chart = writer.styles.workbook.add_chart({"type": "line"})
    chart.set_title({"name": chart_text(title)})
    chart.set_size({"width": CHART_WIDTH_PX, "height": CHART_HEIGHT_PX})
    x_axis: dict[str, Any] = {
        "name": "Month",
        "date_axis": True,
        "num_format": MONTH_FORMAT,
        "major_unit": 3 if months > 12 else 1,
        "major_unit_type": "months",
    }
    if labels_low:
        # The month axis crosses at 0 GB, so it is the zero line; its labels stay at the bottom
        # even where the lines go below zero (short).
        x_axis["label_position"] = "low"
    chart.set_x_axis(x_axis)
    chart.set_y_axis(
        {"name": value_title, "num_format": AXIS_GB_FORMAT, "major_gridlines": {"visible": True}}
    )
    chart.set_legend({"position": "bottom"})
    return chart


def _insert_chart(writer: SheetWriter, chart: Chart, column: int, position: int) -> None:
    """Stack the charts beside the tables; they move with the cells but keep their size."""
    writer.ws.insert_chart(1 + position * CHART_ROWS, column - 1, chart, {"object_position": 2})


def _forecast_sheet(writer: SheetWriter, report: ReportData) -> None:
    data = report.outline
    forecast = data["forecast"]
    titles = report.pool_titles
    rows = [
        [
            _month(r["month"]),
            titles.get(r["pool"], r["pool"]),
            r["entitled_gb"],
            r["consumed_gb"],
            r["borrowed_gb"],
            r["lent_gb"],
            r["available_gb"],
            r["effective_entitled_gb"],
            r["remaining_share"],
            report.status_words(r),
        ]
        for r in forecast
    ]
    last = writer.table(FORECAST_COLUMNS, rows)
    status = letter(FORECAST_COLUMNS, "Status")
    colour_statuses(writer, f"{status}2:{status}{max(last, 2)}", report)
    writer.finish()

    titles = report.pool_titles
    shortfall_of = {s["pool"]: s for s in data["shortfalls"]}
    # The forecast lists each pool's months together, so one pool is one block of rows.
    blocks: dict[str, list[int]] = {}
    for row, record in enumerate(forecast, start=2):
        blocks.setdefault(record["pool"], []).append(row)
    headers = [c.header for c in FORECAST_COLUMNS]
    month_column = headers.index("Month") + 1
    drawn = (
        (headers.index("Entitled GB") + 1, "entitled", "Entitled"),
        (headers.index("Consumed GB") + 1, "consumed", "Consumed"),
    )
    for position, (pool, block) in enumerate(blocks.items()):
        first, last_row = block[0], block[-1]
        title = f"{titles.get(pool, pool)}: entitled and consumed"
        if pool in shortfall_of:
            title += f", short from {shortfall_of[pool]['first_month']}"
        chart = _new_chart(writer, title, "GB", last_row - first + 1, labels_low=False)
        for column, key, name in drawn:
            colour, dash = SERIES_STYLES[key]
            chart.add_series(
                {
                    "name": name,
                    "categories": _range(writer.name, month_column, first, last_row),
                    "values": _range(writer.name, column, first, last_row),
                    "line": {"color": f"#{colour}", "width": LINE_WIDTH_PT, "dash_type": dash},
                    "marker": {"type": "none"},
                }
            )
        _insert_chart(writer, chart, len(FORECAST_COLUMNS) + 2, position)


def _entitlement_sheet(writer: SheetWriter, checks: list[list[Any]], report: ReportData) -> None:
    data = report.outline
    names = report.names
    source_titles = report.source_titles
    rows = []
    for row, line in enumerate(data["entitlement"], start=2):
        quantity, per_unit, total = line["quantity"], line["per_unit_gb"], line["gb"]
        # The formula only where it reproduces capplan's number: a tenant default that lost to a
        # larger one (only the largest applies) is held but grants nothing.
        live = math.isclose(quantity * per_unit, total, rel_tol=1e-9, abs_tol=1e-9)
        url = line["source"] or ""
        title = source_titles.get(url, url or None)
        source: Any = title
        if title and url.lower().startswith(("http://", "https://")):
            source = Link(url, title)
        if live:
            checks.append(
                ["Entitlement", f"{ENTITLEMENT_GB}{row}", "GB of the line", total],
            )
        rows.append(
            [
                names.pool(line["pool"]),
                names.product(line["sku"])
                if line["sku"]
                else ENTITLEMENT_KIND_WORDS[line["kind"]]
                if line["kind"] == "capacity_extension"
                else "Tenant default",
                line["sku"] or None,
                words(line["kind"], ENTITLEMENT_KIND_WORDS),
                names.family(line["family"]),
                quantity,
                per_unit,
                Formula(f"={ENTITLEMENT_QUANTITY}{row}*{ENTITLEMENT_PER_UNIT}{row}", total)
                if live
                else total,
                words(line["confidence"], CONFIDENCE_WORDS),
                source,
                url or None,
            ]
        )
    writer.table(ENTITLEMENT_COLUMNS, rows)
    writer.finish()


def _check_sheet(writer: SheetWriter, checks: list[list[Any]]) -> None:
    """capplan's value of every formula cell of the Summary and the Entitlement sheet: hidden,
    so the sheets a reader uses show each figure once."""
    writer.table(CHECK_COLUMNS, checks)
    writer.finish()
    writer.ws.hide()


def consumed_formula(capacity_types: Iterable[str]) -> str:
    """A pool's consumed GB: the sum of the Consumption sheet's columns the pool draws on."""
    drawn = set(capacity_types)
    columns = [xl_col_to_name(CONSUMPTION_GB_COLUMN[t] - 1) for t in CAPACITY_TYPES if t in drawn]
    ranges = [f"Consumption!${column}:${column}" for column in columns]
    return f"=SUM({','.join(ranges)})" if ranges else "=0"


def basis_code_prefix(capacity_type: str) -> str:
    """``dataverse_database`` as "DD": the start of its basis codes."""
    return "".join(word[0] for word in capacity_type.split("_")).upper()


# The growth part of a consumption line's basis (always its end), for lines that come without
# their basis_without_growth.
_GROWTH_WORDS = re.compile(r"; grows \S+ GB per month(?: \(.*\))?$")


def _basis_without_growth(
    lines: pd.DataFrame, given: dict[str, TextCodes]
) -> tuple[np.ndarray, list[Any]]:
    """Each line's basis without the environment's own growth, as a code per line and the
    distinct texts (in the order the lines first give them)."""
    if "basis_without_growth" in lines.columns:
        return _factorized(lines["basis_without_growth"], given=given.get("basis_without_growth"))
    # Each distinct basis once: the growth rates in words repeat across thousands of lines.
    codes, distinct = factorized(lines["basis"].tolist())
    if not set(map(type, distinct)) <= {str}:  # missing ones among them
        codes, found = lines["basis"].astype(str).factorize()
        distinct = found.tolist()
    stripped = [_GROWTH_WORDS.sub("", text) if "; grows " in text else text for text in distinct]
    # Bases that differ only in their growth are one text: numbered again, each once.
    renumbered, texts = pd.factorize(object_array(stripped), use_na_sentinel=False)
    # A line without a basis (code -1) takes the last text, as indexing by its code gives.
    return renumbered[codes], list(texts)


def _factorized(
    column: pd.Series, lines: np.ndarray | None = None, given: TextCodes | None = None
) -> tuple[np.ndarray, list[Any]]:
    """A column as a code per line (of ``lines`` where given) and its distinct values (missing
    ones too, as NaN) in the order the lines first give them, so a word is compared or looked
    up once, not once per line. ``given``: the column as the engine made it, values and codes
    (see ReportData.codes): then only the codes are hashed, as numbers."""
    if given is None:
        if lines is not None:
            column = column.iloc[lines]
        codes, distinct = column.factorize(use_na_sentinel=False)
        return codes, list(distinct)
    values, value_codes = given
    if lines is not None:
        value_codes = value_codes[lines]
    order, used = pd.factorize(value_codes)  # the values the lines take, as they first do
    found = values[used]
    if pd.api.types.infer_dtype(found, skipna=False) != "string":  # not all text: look at each
        found = object_array([v if isinstance(v, str) else np.nan for v in found.tolist()])
    # Values may repeat among the engine's: equal ones, and every missing one, are one.
    renumbered, distinct = pd.factorize(found, use_na_sentinel=False)
    return renumbered[order], list(distinct)


def _consumption_sheet(
    writer: SheetWriter, lines: pd.DataFrame, given: dict[str, TextCodes]
) -> list[list[Any]]:
    """One row per environment, environments by name as in the HTML report. A GB cell holds
    the line's number (an estimate marked with "≈"), or the word "unknown" where the truth is
    not known: never 0, and SUM skips the word, which is how capplan counts it (as 0); typing a
    measured number in its place updates the summary. The basis is a code per capacity type;
    returns the rows of the Basis codes sheet that explains them.

    Tens of thousands of rows: each column is a code per row into its distinct cells, each
    made once, and the rows go straight into the sheet's file (:class:`StreamedSheet`) when
    the workbook is packed, instead of one cell record each."""
    lines = lines.reset_index(drop=True)
    ws = writer.ws
    writer.header(1, CONSUMPTION_COLUMNS)
    if lines.empty:
        writer.finish(freeze="B2")
        return []
    if "environment" in given:
        position, seen = _factorized(lines["environment"], given=given["environment"])
        first_seen = object_array(seen)
    else:
        position, first_seen = lines["environment"].astype(str).factorize()
    # By name ignoring case, equal ones in their first order: Python's sort of the folded
    # names (folded at once), twice as quick as numpy's of an array of them.
    keys = folded(first_seen.tolist())
    order = np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.intp)
    row_of = np.empty(len(first_seen), dtype=int)
    row_of[order] = np.arange(len(first_seen))
    line_row = row_of[position]  # each line's sheet row, counting from 0 below the header
    count = len(first_seen)
    first = np.full(count, len(lines))
    np.minimum.at(first, line_row, np.arange(len(lines)))  # each row's first line

    styles = writer.styles
    number = {
        "measured": styles(num_format=GB_FORMAT)._get_xf_index(),
        "estimate": styles(num_format=ESTIMATE_GB_FORMAT)._get_xf_index(),
        "growth": styles(num_format=GROWTH_FORMAT)._get_xf_index(),
    }
    # The names are distinct: each row its own (an empty one no cell).
    names_in_order = first_seen[order].tolist()
    name_codes = np.arange(count)
    if "" in names_in_order:
        name_codes[[row for row, name in enumerate(names_in_order) if not name]] = -1
    names = writer.coded_column(0, name_codes, names_in_order, CONSUMPTION_COLUMNS[0])
    # Words for people, one dictionary lookup per distinct id (a handful of kinds and states).
    codes, distinct = _factorized(lines["environment_type"], first, given.get("environment_type"))
    kinds = [ENVIRONMENT_TYPE_WORDS.get(kind, kind) if kind else kind for kind in distinct]
    columns: list[CodedColumn] = [names, _text_column(writer, 1, codes, kinds)]
    codes, distinct = _factorized(lines["power_platform"], first, given.get("power_platform"))
    states = [POWER_PLATFORM_WORDS.get(state, state) if state else state for state in distinct]
    columns.append(_text_column(writer, 2, codes, states))
    confidence, confidence_words = _factorized(lines["confidence"], given=given.get("confidence"))
    capacity, capacity_types = _factorized(lines["capacity_type"], given=given.get("capacity_type"))
    basis, basis_texts = _basis_without_growth(lines, given)
    legend: list[list[Any]] = []
    growth_columns: list[CodedColumn] = []
    # Each row's combination of basis codes so far, numbered (the first of each seen first).
    combination = np.zeros(count, dtype=np.int64)
    code_names: list[list[str]] = []
    row_codes: list[np.ndarray] = []
    rank = {word: index for index, word in enumerate(CERTAINTY)}
    least = np.full(count, len(CERTAINTY))
    ranks = np.array([rank.get(word, 0) for word in confidence_words] + [0], dtype=int)
    np.minimum.at(least, line_row, ranks[confidence])
    # Each line's cell: a measured number, an estimate or the word "unknown".
    line_state = np.array(
        [
            _MEASURED if word == "measured" else _UNKNOWN if word == "unknown" else _ESTIMATE
            for word in confidence_words
        ]
        + [_NONE],
        dtype=np.int8,
    )[confidence]
    # Each distinct cell made once for all the GB columns, and once for the growth columns:
    # a code per line into them, the last for no cell.
    gb_cells = _GBCells(lines["gb"], line_state, number["measured"], number["estimate"], ws)
    growth_codes, growth_texts = _number_texts(lines["growth_gb_per_month"])
    growth_ends = [f'" s="{number["growth"]}"><v>{text}</v></c>' for text in growth_texts]
    growth_ends.append("")
    for capacity_type in CAPACITY_TYPES:
        if capacity_type in capacity_types:
            of_type = np.flatnonzero(capacity == capacity_types.index(capacity_type))
        else:
            of_type = np.zeros(0, dtype=int)
        rows = line_row[of_type]
        # Each row's cell: none, or its line's (where a row has several, "unknown" over an
        # estimate over a measured number).
        columns.append(gb_cells.column(of_type, rows, count))
        writer.measure(CONSUMPTION_GB_COLUMN[capacity_type], 14)
        # The basis codes of this capacity type: one per distinct basis, in order of the words.
        used, inverse, counts = _dense_unique(basis[of_type], len(basis_texts))
        texts = [basis_texts[code] for code in used.tolist()]
        prefix = basis_code_prefix(capacity_type)
        sorted_texts = sorted(texts)
        named = {text: f"{prefix}{index}" for index, text in enumerate(sorted_texts, start=1)}
        counted = dict(zip(texts, counts.tolist(), strict=True))
        legend.extend(
            [named[text], capacity_title(capacity_type), text, counted[text]]
            for text in sorted_texts
        )
        # Each row's code of this type: its number among the type's codes, or -1 for none.
        type_codes = np.full(count, -1, dtype=np.int64)
        type_codes[rows] = inverse
        row_codes.append(type_codes)
        code_names.append([named[text] for text in texts])
        combination, _ = pd.factorize(combination * (len(texts) + 1) + type_codes + 1)
        growth = np.full(count, len(growth_texts), dtype=np.int64)
        growth[rows] = growth_codes[of_type]
        growth_columns.append(CodedColumn(growth, growth_ends))
        writer.measure(CONSUMPTION_GROWTH_COLUMN[capacity_type], 12)
    columns.append(_text_column(writer, 8, least, list(CERTAINTY)))
    # A row's codes in the order of its GB columns, joined once for each combination.
    example = np.empty(combination.max() + 1, dtype=np.int64)
    example[combination] = np.arange(count)  # a row of each combination
    joined = [
        ", ".join(
            names_[code]
            for names_, code in zip(code_names, (codes_[row] for codes_ in row_codes), strict=True)
            if code >= 0
        )
        for row in example.tolist()
    ]
    columns.append(_text_column(writer, 9, combination, joined))
    columns.extend(growth_columns)
    last_column = len(CONSUMPTION_COLUMNS) - 1
    assert isinstance(ws, StreamedSheet)
    ws.stream(chunked_rows(count, columns, None), count, last_column)
    ws.autofilter(0, 0, count, last_column)
    writer.finish(freeze="B2")
    return legend


# A GB cell of the Consumption sheet: none, a measured number, an estimate, or "unknown".
_NONE, _MEASURED, _ESTIMATE, _UNKNOWN = range(4)


def _text_column(
    writer: SheetWriter, index: int, codes: np.ndarray, distinct: Sequence[Any]
) -> CodedColumn:
    """A text column of the Consumption sheet whose rows hold ``distinct[code]`` (no cell where
    a value is missing or empty), made as :meth:`SheetWriter.stream_table` makes one: text that
    a spreadsheet would run as a formula keeps a quote prefix, as safe_cell_text says."""
    # Missing values (None or NaN) and empty text: no cell; anything else as text, each once.
    texts = [
        None if value is None or (type(value) is not str and pd.isna(value)) else str(value)
        for value in distinct
    ]
    renumbered, words = pd.factorize(object_array([text or None for text in texts]))
    codes = np.append(renumbered, -1)[codes]
    return writer.coded_column(index, codes, words.tolist(), CONSUMPTION_COLUMNS[index])


def _number_texts(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """A column of numbers as a code per line and each distinct number's text, its shortest
    round-trip form (numbers that differ in any bit, 0.0 and -0.0 say, are apart)."""
    values = np.ascontiguousarray(column.to_numpy(dtype=float))
    codes, distinct = pd.factorize(values.view(np.int64))
    return codes, list(map(repr, distinct.view(np.float64).tolist()))


class _GBCells:
    """The cells of the Consumption sheet's GB columns: a line's number (its confidence says
    whether measured or an estimate) or the word "unknown", each distinct one made once for
    all the columns."""

    def __init__(
        self, gb: pd.Series, line_state: np.ndarray, measured: int, estimate: int, ws: Worksheet
    ) -> None:
        codes, texts = _number_texts(gb)
        # A line's cell: its state and number, "unknown" whatever its number.
        key = np.where(line_state == _UNKNOWN, -1, codes * 4 + line_state)
        self.line_cell, found = pd.factorize(key)
        opening = {_MEASURED: f'" s="{measured}"><v>', _ESTIMATE: f'" s="{estimate}"><v>'}
        self.ends = [
            "" if code < 0 else f"{opening[code % 4]}{texts[code // 4]}</v></c>"
            for code in found.tolist()
        ]
        self.unknown = int(np.flatnonzero(found < 0)[0]) if (found < 0).any() else -1
        self.ends.append("")  # no cell
        self.line_state = line_state
        self.strings = ws.str_table

    def column(self, lines: np.ndarray, rows: np.ndarray, count: int) -> CodedColumn:
        """The column of ``lines``, at their ``rows``: none, or the row's line's cell (where a
        row has several, "unknown" over an estimate over a measured number)."""
        cells = np.full(count, len(self.ends) - 1, dtype=np.int64)
        state = np.zeros(count, dtype=np.int8)
        kind = self.line_state[lines]
        line_cell = self.line_cell[lines]
        for code in (_MEASURED, _ESTIMATE, _UNKNOWN):
            chosen = kind == code
            state[rows[chosen]] = code
            cells[rows[chosen]] = line_cell[chosen]
        unknown = int(np.count_nonzero(state == _UNKNOWN))
        if unknown:
            index = self.strings._get_shared_string_index("unknown")
            self.ends[self.unknown] = f'" t="s"><v>{index}</v></c>'
            self.strings.count += unknown - 1  # each cell counts once in the table's total
        return CodedColumn(cells, self.ends)


def _dense_unique(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(codes, return_inverse=True, return_counts=True)`` of codes from 0 to
    ``size`` - 1, by counting rather than sorting."""
    counts = np.bincount(codes, minlength=size)
    used = np.flatnonzero(counts)
    renumbered = np.zeros(size, dtype=np.int64)
    renumbered[used] = np.arange(len(used))
    return used, renumbered[codes], counts[used]


def _basis_codes_sheet(writer: SheetWriter, legend: list[list[Any]]) -> None:
    """What each code of the Consumption sheet's Basis codes column says, and how many
    environments it applies to."""
    writer.table(BASIS_CODE_COLUMNS, legend)
    writer.finish()


def _findings_sheet(writer: SheetWriter, findings: FindingList, names: Names) -> None:
    columns = (
        Column("Severity"),
        Column("Code"),
        Column("Subject"),
        Column("Month", MONTH_FORMAT),
        Column("Message", wrap=True),
    )
    # The findings' fields a column at a time, without a record each (tens of thousands).
    field = dict(zip(FINDING_KEYS, findings.columns(), strict=True))
    subjects, months = field["subject"], field["month"]
    # Each distinct subject and month in words once: a finding per environment and check.
    subject_of = {subject: subject_words(subject, names) for subject in set(subjects)}
    month_of = {month: _month(month) for month in set(months)}
    cells = [
        field["severity"],
        field["code"],
        list(map(subject_of.__getitem__, subjects)),
        list(map(month_of.__getitem__, months)),
        field["message"],
    ]
    # Tens of thousands of rows, made in bulk column by column.
    last = writer.stream_columns(columns, cells)
    writer.colour_words(f"A2:A{max(last, 2)}", SEVERITY_STYLES)
    writer.finish()


def _timeline_sheet(writer: SheetWriter, report: ReportData) -> None:
    """The admin center's banners and the overage lifecycle's stages, by month and date."""
    data = report.outline
    columns = (
        Column("Month", MONTH_FORMAT),
        Column("Date", DATE_FORMAT),
        Column("What happens", wrap=True),
        Column("Environments", wrap=True),
    )
    rows = [
        [
            _month(event["month"]),
            _date(event["date"]) if event["date"] else "during the month",
            event["what"],
            ", ".join(event["environments"]) or None,
        ]
        for event in report.timeline
    ]
    last = writer.table(columns, rows)
    notes = []
    if not rows:
        notes.append(
            f"No banner from {data['as_of']} to {data['horizon_end']}: every pool keeps at least "
            f"{report.warning_share:.0%} of its effective capacity."
        )
    note = data.get("overage_lifecycle_note")
    if note and data["shortfalls"]:
        notes.append(f"No overage lifecycle dates: {note}")
    for offset, text in enumerate(notes):
        writer.put(last + 2 + offset, 1, text, None, BOLD)
    writer.finish()


def _assumptions_sheet(writer: SheetWriter, data: dict[str, Any], names: Names) -> None:
    """Every assumed number the plan used, once: value, what it applies to, why, and where."""
    columns = (
        Column("Value"),
        Column("Pool"),
        Column("License"),
        Column("Reason", wrap=True),
        Column("Environments", wrap=True),
    )
    rows = [
        [
            a["value"],
            names.pool(a["pool"]),
            names.product_with_part(a["sku"]) or None,
            a["reason"],
            ", ".join(a["environments"] or []) or None,
        ]
        for a in data["assumptions"]
    ]
    last = writer.table(columns, rows)
    if not rows:
        writer.put(last + 2, 1, "None: every number the plan used has a source.", None, BOLD)
    writer.finish()


def _inputs_sheet(writer: SheetWriter, data: dict[str, Any]) -> None:
    columns = (
        Column("File"),
        Column("Holds"),
        Column("Format detected"),
        Column("Rows", WHOLE_FORMAT),
    )
    rows = [
        [file_name(s["path"]), s["kind"].capitalize(), format_words(s["format"]), s["rows"]]
        for s in data["inputs"]
    ]
    last = writer.table(columns, rows)
    row = last + 2
    writer.put(row, 1, "Rule set", None, SECTION)
    facts: list[tuple[str, Any, str | None]] = [
        ("Id", data["ruleset"], None),
        ("Title", data["ruleset_title"], None),
        ("Effective from", _month(data["ruleset_effective_from"]), MONTH_FORMAT),
        (
            "Tenant defaults of several families",
            COMBINE_WORDS.get(data["defaults_combine"], data["defaults_combine"]),
            None,
        ),
        ("As of (month 0)", _month(data["as_of"]), MONTH_FORMAT),
        ("Months", data["months"], WHOLE_FORMAT),
        ("Horizon end", _month(data["horizon_end"]), MONTH_FORMAT),
        ("Generator", data["generator"], None),
        ("Plan schema version", data["schema_version"], None),
    ]
    for label, value, number_format in facts:
        row += 1
        writer.put(row, 1, label, None, BOLD)
        writer.put(row, 2, value, number_format, {"align": "left"})
        writer.measure(1, len(label))
        writer.measure(2, display_length(value, None))
    writer.finish()


def _licenses_sheet(writer: SheetWriter, licenses: pd.DataFrame, names: Names) -> None:
    columns = (
        Column("License"),
        Column("Part number"),
        Column("Given as"),
        Column("GUID"),
        Column("Quantity", "quantity"),
        Column("Role"),
        Column("Family"),
        Column("Status"),
        Column("File"),
        Column("Where in the file"),
        Column("Product"),
        Column("Recognised"),
        Column("Why"),
    )
    files: dict[str, str] = {}  # a file's name by its path, worked out once per file
    rows = [
        [
            names.product(lic["sku"]),
            lic["sku"],
            lic["sku_given"] or None,
            lic["sku_id"] or None,
            lic["quantity"],
            words(lic["role"], ROLE_WORDS) if lic["role"] else None,
            names.family(lic["family"]) or None,
            words(lic["status"], LICENSE_STATUS_WORDS),
            files[lic["source"]]
            if lic["source"] in files
            else files.setdefault(lic["source"], file_name(lic["source"])),
            lic["location"] or None,
            lic["product_name"] or None,
            MATCHED_BY_WORDS[lic["matched_by"]],
            lic["reason"] or None,
        ]
        for lic in _rows(licenses, TABLES["licenses"])
    ]
    # A line per license line of the exports: hundreds of thousands in a long one, streamed.
    writer.stream_table(columns, rows)
    writer.finish()


RECONCILIATION_SHEET = "Reconciliation"  # only with Microsoft's figures, after Findings


def _rows(frame: pd.DataFrame, keys: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """The records of a long table one at a time, each let go once its row is made."""
    columns = record_columns(frame, keys)
    for values in zip(*columns.values(), strict=True):
        yield dict(zip(keys, values, strict=True))


def _reconciliation_sheet(writer: SheetWriter, section: dict[str, Any]) -> None:
    """Per pool, then per license, capplan beside Microsoft; then why they differ."""
    pools = (
        Column("Pool"),
        Column("capplan entitled GB", GB_FORMAT),
        Column("Microsoft entitled GB", GB_FORMAT),
        Column("Entitled difference GB", SIGNED_GB_FORMAT),
        Column("capplan consumed GB", GB_FORMAT),
        Column("Microsoft rated GB", GB_FORMAT),
        Column("Microsoft actual GB", GB_FORMAT),
        Column("Consumed difference GB", SIGNED_GB_FORMAT),
    )
    last = writer.table(
        pools,
        [
            [
                p["pool"],
                p["capplan_entitled_gb"],
                p["microsoft_entitled_gb"],
                p["entitled_difference_gb"],
                p["capplan_consumed_gb"],
                p["microsoft_consumed_gb"],
                p["microsoft_actual_gb"],
                p["consumed_difference_gb"],
            ]
            for p in section["pools"]
        ],
    )
    licenses = (
        Column("License"),
        Column("Pool"),
        Column("Part"),
        Column("capplan units", WHOLE_FORMAT),
        Column("Microsoft units", WHOLE_FORMAT),
        Column("capplan GB", GB_FORMAT),
        Column("Microsoft GB", GB_FORMAT),
        Column("Difference GB", SIGNED_GB_FORMAT),
        Column("Temporary until"),
    )
    last = writer.table(
        licenses,
        [
            [
                lic["sku"],
                lic["pool"],
                lic["part"],
                lic["capplan_units"],
                lic["microsoft_units"],
                lic["capplan_gb"],
                lic["microsoft_gb"],
                lic["difference_gb"],
                (lic["expires"] or "no date") if lic["temporary"] else None,
            ]
            for lic in section["licenses"]
        ],
        start_row=last + 2,
        autofilter=False,
    )
    row = last + 2
    writer.put(row, 1, "Why they differ", None, SECTION)
    for text in section["explanations"] or [
        f"No difference beyond {section['tolerance_gb']:g} GB."
    ]:
        row += 1
        writer.put(row, 1, text, None, None)
    writer.put(row + 2, 1, f"Microsoft's figures: {section['source']}", None, None)
    writer.finish()


SHEETS = (
    "Summary",
    "Forecast",
    "Timeline",
    "Entitlement",
    "Consumption",
    "Basis codes",
    "Findings",
    "Assumptions",
    "Inputs",
    "Licenses",
)
COMPARISON_SHEET = "Comparison"  # only with what-if scenarios, right after the Summary

COMPARISON_COLUMNS = (
    Column("Plan"),
    Column("Pool"),
    Column("Entitled GB", GB_FORMAT),
    Column("Consumed GB", GB_FORMAT),
    Column("Available GB", GB_FORMAT),
    Column("Available GB at end", GB_FORMAT),
    # Months and "none" share the column: centred, neither runs into the GB beside it.
    Column("First month short", MONTH_FORMAT),
    Column("Add-on units", WHOLE_FORMAT),
    Column("Cost per month (USD)", USD_FORMAT),
    Column("Δ entitled GB", SIGNED_GB_FORMAT),
    Column("Δ consumed GB", SIGNED_GB_FORMAT),
    Column("Δ available GB", SIGNED_GB_FORMAT),
    Column("Δ available GB at end", SIGNED_GB_FORMAT),
    Column("Δ add-on units", SIGNED_WHOLE_FORMAT),
    Column("Δ cost per month (USD)", SIGNED_USD_FORMAT),
)
# The pool summary keys of the columns after Plan and Pool, then the delta keys of the Δ columns.
COMPARISON_VALUES = (
    "entitled_gb",
    "consumed_gb",
    "available_gb",
    "available_end_gb",
    "first_shortfall",
    "addon_units",
    "monthly_cost_usd",
)
COMPARISON_DELTAS = (
    "entitled_gb",
    "consumed_gb",
    "available_gb",
    "available_end_gb",
    "addon_units",
    "monthly_cost_usd",
)


def _comparison_value(key: str, value: Any) -> Any:
    if key == "first_shortfall":
        return _month(value) if value else "none"
    if key == "monthly_cost_usd" and value is None:
        return "unpriced"
    return value


def _comparison_plans(comparison: dict[str, Any]) -> list[dict[str, Any]]:
    """The baseline and each scenario: label, summary and delta rows, available GB by (pool,
    month). A renewal into another rule set counts from its switch month, as in ``whatif``."""
    baseline = comparison["baseline"]
    plans = [
        {
            "index": 0,
            "name": BASELINE_NAME,
            "summary": comparison["baseline_summary"],
            "delta": None,
            "available": _available(baseline),
        }
    ]
    for index, scenario in enumerate(comparison["scenarios"], start=1):
        switch = scenario.get("ruleset_switch")
        before = scenario.get("plan_before_switch")
        plans.append(
            {
                "index": index,
                "name": (
                    f"{scenario['name']} (from {switch['month']})" if switch else scenario["name"]
                ),
                "summary": scenario["summary"],
                "delta": scenario["delta"],
                "available": _available(*([before] if before else []), scenario["plan"]),
            }
        )
    return plans


def _available(*plans: dict[str, Any]) -> dict[tuple[str, str], float]:
    return {(r["pool"], r["month"]): r["available_gb"] for plan in plans for r in plan["forecast"]}


def _comparison_sheet(
    writer: SheetWriter, comparison: dict[str, Any], titles: dict[str, str]
) -> None:
    """Baseline and scenarios side by side: the figures of ``comparison_data`` per plan and
    pool, what each scenario changes, and available GB by month with a chart per pool."""
    baseline = comparison["baseline"]
    plans = _comparison_plans(comparison)

    rows = []
    for entry in plans:
        delta_of = {d["pool"]: d for d in entry["delta"] or []}
        for record in entry["summary"]:
            delta = delta_of.get(record["pool"])
            rows.append(
                [
                    entry["name"],
                    titles.get(record["pool"], record["pool"]),
                    *(_comparison_value(key, record[key]) for key in COMPARISON_VALUES),
                    *(None if delta is None else delta.get(key) for key in COMPARISON_DELTAS),
                ]
            )
    last = writer.table(COMPARISON_COLUMNS, rows)

    row = last + 2
    notes = [
        f"Entitled, consumed and available GB are month 0 ({baseline['as_of']}); at end is "
        f"{baseline['horizon_end']}, the horizon's last month. Δ is the scenario minus the "
        "baseline.",
        "Add-on units and cost per month are what a scenario's own changes buy plus what still "
        "has to be bought to cover its shortfalls (0 when neither). Every value is capplan's: "
        "this sheet does not recompute.",
    ]
    if any(s.get("ruleset_switch") for s in comparison["scenarios"]):
        notes.append(
            'A scenario marked "from" a month renews into another rule set then: its figures '
            "start in that month and are compared with the baseline's in the same month."
        )
    for note in notes:
        writer.put(row, 1, note, None, CAPPLAN)
        row += 1

    row += 1
    writer.put(row, 1, "Scenarios", None, SECTION)
    for scenario in comparison["scenarios"]:
        row += 1
        writer.put(row, 1, scenario["name"], None, BOLD)
        writer.put(row, 2, f"from {file_name(scenario['source']) or 'no file'}")
        if scenario["description"]:
            row += 1
            writer.put(row, 2, scenario["description"], None, {"italic": True})
        for change in scenario["changes"]:
            row += 1
            writer.put(row, 2, f"• {change}")
        for extension in scenario.get("extensions", []):
            # What each capacity extension adds, why it is allowed and whether it bridges the
            # gap to a planned purchase or clean-up.
            row += 1
            title = titles.get(extension["pool"], extension["pool"])
            writer.put(row, 2, f"Capacity extension: {extension_sentence(extension, title)}")

    row += 2
    writer.put(row, 1, "Available GB by month", None, SECTION)
    row += 1
    months = list(dict.fromkeys(r["month"] for r in baseline["forecast"]))
    # The baseline's pools, then any a scenario's other rule set adds; per pool the plans that
    # have it, one column each.
    pools = list(dict.fromkeys(r["pool"] for entry in plans for r in entry["summary"]))
    blocks: list[tuple[str, list[dict[str, Any]]]] = []
    for pool in pools:
        members = [e for e in plans if any((pool, m) in e["available"] for m in months)]
        if members:
            blocks.append((pool, members))
    # Plan names stand right-aligned over their figures.
    columns = [Column("Month", MONTH_FORMAT)]
    first_columns = []
    for pool, members in blocks:
        first_columns.append(len(columns) + 1)
        columns += [Column(entry["name"], GB_FORMAT, align="right") for entry in members]
        # A row of pool titles over each pool's columns, then the table's own header row.
        title = titles.get(pool, pool)
        if len(members) > 1:
            writer.ws.merge_range(
                row - 1,
                first_columns[-1] - 1,
                row - 1,
                first_columns[-1] + len(members) - 2,
                "",
                writer.styles(POOL_TITLE),
            )
        writer.put(row, first_columns[-1], title, None, POOL_TITLE)
    row += 1
    header_row = row
    monthly = [
        [_month(month)]
        + [entry["available"].get((pool, month)) for pool, members in blocks for entry in members]
        for month in months
    ]
    last = writer.table(columns, monthly, header_row, autofilter=False)
    writer.finish()

    chart_column = max(len(COMPARISON_COLUMNS), len(columns)) + 2
    for position, ((pool, members), first_column) in enumerate(
        zip(blocks, first_columns, strict=True)
    ):
        chart = _new_chart(
            writer,
            f"{titles.get(pool, pool)}: available GB per plan",
            "GB available",
            last - header_row,
            labels_low=True,
        )
        for k, entry in enumerate(members):
            column = first_column + k
            colour, dash, symbol, filled = PLAN_STYLES[entry["index"] % len(PLAN_STYLES)]
            chart.add_series(
                {
                    # The plan's name from its header cell, which holds it as text: a scenario
                    # file's name never becomes a formula or a reference of its own.
                    "name": f"='{writer.name}'!${xl_col_to_name(column - 1)}${header_row}",
                    "categories": _range(writer.name, 1, header_row + 1, last),
                    "values": _range(writer.name, column, header_row + 1, last),
                    "line": {"color": f"#{colour}", "width": LINE_WIDTH_PT, "dash_type": dash},
                    "marker": {
                        "type": symbol,
                        "size": 6,
                        "border": {"color": f"#{colour}"},
                        "fill": {"color": f"#{colour}" if filled else "#FFFFFF"},
                    },
                }
            )
        _insert_chart(writer, chart, chart_column, position)


# Sheets of a row per environment or finding: their rows go into the file as XML made in bulk.
STREAMED_SHEETS = ("Consumption", "Findings", "Licenses")


def write_xlsx(report: ReportData, path: Path) -> None:
    """Write the workbook to ``path`` (the CLI wraps this in ``planner.cli.output.atomic_write``).

    With a comparison in ``report`` the workbook gets a Comparison sheet of the baseline and each
    scenario, right after the Summary.
    """
    with no_cycle_collection():
        # Nothing reaches the file before close(): a failure on the way leaves no file behind.
        workbook = new_workbook(path)
        try:
            _write_workbook(report, workbook, path)
        finally:
            workbook.stop_rows_made_beside()


def _write_workbook(report: ReportData, workbook: QuickWorkbook, path: Path) -> None:
    data = report.outline
    compared = report.comparison
    names = SHEETS if compared is None else (SHEETS[0], COMPARISON_SHEET, *SHEETS[1:])
    if "reconciliation" in data:
        after = names.index("Findings") + 1
        names = (*names[:after], RECONCILIATION_SHEET, *names[after:])
    styles = Styles(workbook)
    writers = {
        name: SheetWriter(
            workbook.add_worksheet(
                name, worksheet_class=StreamedSheet if name in STREAMED_SHEETS else None
            ),
            styles,
        )
        for name in (*names, CHECK_SHEET)
    }
    checks: list[list[Any]] = []
    if compared is None:
        _summary_sheet(writers["Summary"], checks, report)
    else:
        _summary_sheet(
            writers["Summary"], checks, report, [s["name"] for s in compared["scenarios"]]
        )
        _comparison_sheet(writers[COMPARISON_SHEET], compared, report.pool_titles)
    _forecast_sheet(writers["Forecast"], report)
    _timeline_sheet(writers["Timeline"], report)
    _entitlement_sheet(writers["Entitlement"], checks, report)
    legend = _consumption_sheet(
        writers["Consumption"], report.tables["consumption"], report.codes.get("consumption", {})
    )
    _basis_codes_sheet(writers["Basis codes"], legend)
    _findings_sheet(writers["Findings"], data["findings"], report.names)
    if "reconciliation" in data:
        _reconciliation_sheet(writers[RECONCILIATION_SHEET], data["reconciliation"])
    _assumptions_sheet(writers["Assumptions"], data, report.names)
    _inputs_sheet(writers["Inputs"], data)
    _licenses_sheet(writers["Licenses"], report.tables["licenses"], report.names)
    _check_sheet(writers[CHECK_SHEET], checks)
    writers["Summary"].ws.activate()
    workbook.set_properties(
        {
            "author": data["generator"],
            "title": f"Capacity plan {data['ruleset']} as of {data['as_of']}",
        }
    )
    # Excel recalculates the formulas when it opens the file; until then, and in viewers that
    # never recalculate, each formula shows the value stored with it.
    try:
        workbook.close()
    except FileCreateError as error:  # the file system's error, as any other writer raises it
        cause = error.args[0] if error.args else None
        if isinstance(cause, OSError) and cause.errno is not None:
            raise OSError(cause.errno, cause.strerror, str(path)) from error
        raise OSError(f"cannot write {path}: {error}") from error
