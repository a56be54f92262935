"""``report --xlsx``: the Plan as an Excel workbook that stays live when someone edits it.

Numbers come from :func:`planner.report.data.plan_data` (the JSON contract), unrounded; only the
cell number formats round them for display. The Summary totals are formulas over the line sheets
(entitled = SUMIFS over Entitlement, consumed = SUMIFS over Consumption, available = entitled -
consumed + borrowed - lent), and an Entitlement line's GB is quantity x per unit where that is how
capplan computed it, so changing a quantity updates the summary. capplan's own values sit in the
column next to each formula, so anyone can see when an edit moved a number away from the plan.

Text from input files goes through :func:`safe_cell_text`: it is stored as text, never as a
formula, whatever it starts with.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText
from openpyxl.chart import LineChart, Reference, Series
from openpyxl.chart.axis import DateAxis
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.drawing.line import LineProperties
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from planner.engine.forecast import TOLERANCE_GB
from planner.months import first_day
from planner.plan import Plan
from planner.report.data import plan_data
from planner.report.html import check_baseline
from planner.report.text import headline
from planner.whatif import Comparison, comparison_data

GB_FORMAT = '#,##0.00 "GB"'
AXIS_GB_FORMAT = '#,##0 "GB"'
MONTH_FORMAT = "yyyy-mm"
USD_FORMAT = '"$"#,##0.00'
WHOLE_FORMAT = "#,##0"
FRACTION_FORMAT = "#,##0.00"
SHARE_FORMAT = "0%"
# Differences from the baseline always carry their sign.
SIGNED_GB_FORMAT = '+#,##0.00 "GB";-#,##0.00 "GB";0.00 "GB"'
SIGNED_USD_FORMAT = '+"$"#,##0.00;-"$"#,##0.00;"$"0.00'
SIGNED_WHOLE_FORMAT = "+#,##0;-#,##0;0"

# Spreadsheets read a cell starting with one of these as a formula (openpyxl does for "=", Excel
# and LibreOffice for the others when the cell is edited; tab and CR hide the sign in a CSV).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Characters the xlsx format cannot hold (openpyxl refuses them): control characters but tab,
# line feed and carriage return.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

MIN_WIDTH = 8
MAX_WIDTH = 48
WRAP_WIDTH = 64
LINE_HEIGHT = 15  # points, the default row height of one line

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E9ECF1")
HEADER_BORDER = Border(bottom=Side(style="medium", color="1A1A1A"))
CAPPLAN_FONT = Font(italic=True, color="4A4A4A")
SECTION_FONT = Font(bold=True, size=13)
LINK_FONT = Font(color="1D4ED8", underline="single")

# Status and severity colours, as in the HTML report: every one also has its word in the cell.
STATUS_STYLES = {
    "ok": ("DCFCE7", "14532D"),
    "warning": ("FEF3C7", "6B3A00"),
    "over": ("991B1B", "FFFFFF"),
}
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
    ("B45309", "sysDot", "triangle", True),
    ("047857", "lgDashDot", "diamond", False),
    ("7E22CE", "sysDash", "star", True),
    ("BE185D", "sysDot", "x", False),
)
BASELINE_NAME = "Baseline"
CHART_ROWS = 18  # rows between the top edges of two stacked charts
CHART_WIDTH_CM = 18
CHART_HEIGHT_CM = 8.5


class Formula(str):
    """A formula capplan wrote; plain strings are always stored as text."""


@dataclass(frozen=True)
class Column:
    header: str
    number_format: str | None = None
    wrap: bool = False  # long prose: a fixed width and wrapped lines instead of a huge column
    capplan: bool = False  # capplan's own value beside a formula column


def safe_cell_text(value: Any) -> Any:
    """``value`` ready to go into a cell, where text can never become a formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, tab or CR comes back as rich text, which
    openpyxl always stores as a string cell (a plain string starting with ``=`` would be stored
    as a formula). Characters the file format cannot hold are dropped. Anything else (numbers,
    dates, None) is returned unchanged.
    """
    if not isinstance(value, str) or isinstance(value, Formula):
        return value
    text = _ILLEGAL.sub("", value)
    if text.startswith(FORMULA_TRIGGERS):
        return CellRichText([text])
    return text


def _display_length(value: Any, number_format: str | None) -> int:
    if value is None:
        return 0
    if isinstance(value, Formula):
        return 14  # a formatted GB total such as "1,234.00 GB"
    if isinstance(value, (dt.date, dt.datetime)):
        return 8
    if isinstance(value, bool):
        return 5
    if isinstance(value, (int, float)):
        suffix = 3 if number_format and "GB" in number_format else 0
        return len(f"{value:,.2f}") + suffix
    return max((len(line) for line in str(value).splitlines()), default=0)


def _wrapped_lines(value: Any) -> int:
    if not isinstance(value, str):
        return 1
    # About one character per unit of column width; a little slack for proportional fonts.
    per_line = WRAP_WIDTH - 6
    return sum(max(1, math.ceil(len(part) / per_line)) for part in value.splitlines() or [""])


def put(ws: Worksheet, row: int, column: int, value: Any, number_format: str | None = None) -> Any:
    """Write one cell; the only way values reach a sheet, so all text passes safe_cell_text."""
    cell = ws.cell(row=row, column=column)
    safe = safe_cell_text(value)
    cell.value = safe
    if isinstance(safe, CellRichText):
        # Keeps it text when someone edits the cell and presses Enter.
        cell.quotePrefix = True
    # Formulas get the column's number format; text (a word like "unknown") needs none.
    if number_format and (isinstance(value, Formula) or not isinstance(value, str)):
        cell.number_format = number_format
    return cell


TOP = Alignment(vertical="top")
TOP_WRAPPED = Alignment(wrap_text=True, vertical="top")


class SheetWriter:
    """Writes tables onto one sheet and remembers how wide each column has to be."""

    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        self.widths: dict[int, int] = {}
        self.wrapped: set[int] = set()

    def measure(self, column: int, length: int) -> None:
        self.widths[column] = max(self.widths.get(column, 0), length)

    def header(self, row: int, columns: Sequence[Column]) -> None:
        for index, column in enumerate(columns, start=1):
            cell = put(self.ws, row, index, column.header)
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            cell.border = HEADER_BORDER
            cell.alignment = Alignment(vertical="bottom")
            self.measure(index, min(len(column.header), MAX_WIDTH))

    def table(
        self,
        columns: Sequence[Column],
        rows: Iterable[Sequence[Any]],
        start_row: int = 1,
        *,
        autofilter: bool = True,
        measure: bool = True,
    ) -> int:
        """Header and rows from ``start_row``; returns the last row written.

        ``measure=False`` for a second, smaller table on a sheet: the main table sets the widths.
        """
        if measure:
            self.header(start_row, columns)
        else:
            saved = dict(self.widths)
            self.header(start_row, columns)
            self.widths = saved
        row_number = start_row
        styles: dict[tuple[int, str, bool], Any] = {}
        for row_number, values in enumerate(rows, start=start_row + 1):
            lines = 1
            for index, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
                number_format = column.number_format
                if number_format == "quantity":
                    number_format = (
                        WHOLE_FORMAT
                        if isinstance(value, (int, float)) and float(value).is_integer()
                        else FRACTION_FORMAT
                    )
                cell = put(self.ws, row_number, index, value, number_format)
                # Setting fonts and alignments one cell at a time dominates the time of a large
                # sheet; cells of one column that end up styled alike share a copy of the style.
                key = (index, cell.number_format, cell.quotePrefix)
                style = styles.get(key)
                if style is None:
                    if column.capplan:
                        cell.font = CAPPLAN_FONT
                    cell.alignment = TOP_WRAPPED if column.wrap else TOP
                    styles[key] = copy(cell._style)
                else:
                    cell._style = copy(style)
                if column.wrap:
                    self.wrapped.add(index)
                    lines = max(lines, _wrapped_lines(value))
                if measure:
                    self.measure(index, _display_length(value, number_format))
            if lines > 1:
                # Spreadsheets do not all grow a row to its wrapped text when they open a file.
                self.ws.row_dimensions[row_number].height = LINE_HEIGHT * lines
        last_column = get_column_letter(len(columns))
        if autofilter:
            self.ws.auto_filter.ref = f"A{start_row}:{last_column}{max(row_number, start_row)}"
        return row_number

    def finish(self, *, freeze: str | None = "A2") -> None:
        for column, length in self.widths.items():
            width = (
                WRAP_WIDTH if column in self.wrapped else min(max(length + 2, MIN_WIDTH), MAX_WIDTH)
            )
            self.ws.column_dimensions[get_column_letter(column)].width = width
        if freeze:
            self.ws.freeze_panes = freeze
            self.ws.print_title_rows = "1:1"
        self.ws.page_setup.orientation = "landscape"
        self.ws.page_setup.paperSize = self.ws.PAPERSIZE_A4
        # Fit the width of a sheet to the page; let it run over as many pages as it needs.
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True
        self.ws.page_setup.fitToWidth = 1
        self.ws.page_setup.fitToHeight = 0


def _month(month: str | None) -> dt.date | None:
    return first_day(month) if month else None


def _colour_words(ws: Worksheet, cells: str, styles: dict[str, tuple[str, str]]) -> None:
    """Conditional formats keyed on the cell's word, so they follow edits and recalculation."""
    for word, (ground, ink) in styles.items():
        ws.conditional_formatting.add(
            cells,
            CellIsRule(
                operator="equal",
                formula=[f'"{word}"'],
                fill=PatternFill("solid", fgColor=ground, bgColor=ground),
                font=Font(bold=True, color=ink),
            ),
        )


def _number(value: float) -> str:
    """A constant for a formula: shortest exact text, Excel's exponent letter."""
    return format(value, ".15G")


def status_formula(row: int, entitled: str, available: str, warning_share: float) -> Formula:
    """The forecast's pool status as a formula (planner.engine.forecast.pool_status).

    Written without a division so no branch can fail: remaining < share <=> available < share x
    entitled when entitled > 0.
    """
    e, a = f"{entitled}{row}", f"{available}{row}"
    share = _number(warning_share)
    return Formula(
        f'=IF({a}<-{_number(TOLERANCE_GB)},"over",'
        f'IF(IF({e}>0,{a}<{share}*{e},IF({a}<0,-1,1)<{share}),"warning","ok"))'
    )


ENTITLEMENT_COLUMNS = (
    Column("Pool"),
    Column("License"),
    Column("Kind"),
    Column("Family"),
    Column("Quantity", "quantity"),
    Column("Per unit (GB)", GB_FORMAT),
    Column("GB", GB_FORMAT),
    Column("capplan GB", GB_FORMAT, capplan=True),
    Column("Confidence"),
    Column("Source"),
    Column("Source address"),
    Column("Rule"),
    Column("Explanation", wrap=True),
)

CONSUMPTION_COLUMNS = (
    Column("Pool"),
    Column("Environment"),
    Column("Environment type"),
    Column("Power Platform"),
    Column("Capacity type"),
    Column("GB", GB_FORMAT),
    Column("Basis", wrap=True),
    Column("Confidence"),
    Column("Measured GB", GB_FORMAT),
    Column("Growth GB per month", GB_FORMAT),
)

SUMMARY_COLUMNS = (
    Column("Pool"),
    Column("Title"),
    Column("Entitled GB", GB_FORMAT),
    Column("capplan entitled GB", GB_FORMAT, capplan=True),
    Column("Consumed GB", GB_FORMAT),
    Column("capplan consumed GB", GB_FORMAT, capplan=True),
    Column("Borrowed GB", GB_FORMAT),
    Column("Lent GB", GB_FORMAT),
    Column("Available GB", GB_FORMAT),
    Column("capplan available GB", GB_FORMAT, capplan=True),
    Column("Left", SHARE_FORMAT),
    Column("Status"),
    Column("capplan status", capplan=True),
)


def letter(columns: Sequence[Column], header: str) -> str:
    """The column letter of a header, so formulas follow when columns move."""
    return get_column_letter([c.header for c in columns].index(header) + 1)


# Where the formulas look.
ENTITLEMENT_POOL = letter(ENTITLEMENT_COLUMNS, "Pool")
ENTITLEMENT_QUANTITY = letter(ENTITLEMENT_COLUMNS, "Quantity")
ENTITLEMENT_PER_UNIT = letter(ENTITLEMENT_COLUMNS, "Per unit (GB)")
ENTITLEMENT_GB = letter(ENTITLEMENT_COLUMNS, "GB")
CONSUMPTION_POOL = letter(CONSUMPTION_COLUMNS, "Pool")
CONSUMPTION_GB = letter(CONSUMPTION_COLUMNS, "GB")
SUMMARY_ENTITLED = letter(SUMMARY_COLUMNS, "Entitled GB")
SUMMARY_CONSUMED = letter(SUMMARY_COLUMNS, "Consumed GB")
SUMMARY_BORROWED = letter(SUMMARY_COLUMNS, "Borrowed GB")
SUMMARY_LENT = letter(SUMMARY_COLUMNS, "Lent GB")
SUMMARY_AVAILABLE = letter(SUMMARY_COLUMNS, "Available GB")
SUMMARY_STATUS = letter(SUMMARY_COLUMNS, "Status")
SUMMARY_PLANNED_STATUS = letter(SUMMARY_COLUMNS, "capplan status")

SHORTFALL_COLUMNS = (
    Column("Pool short"),
    Column("First month short", MONTH_FORMAT),
    Column("Peak deficit", GB_FORMAT),
    Column("Peak month", MONTH_FORMAT),
    Column("Add-on", None),
    Column("Add-on unit", GB_FORMAT),
    Column("Units", WHOLE_FORMAT),
    Column("Cost per month (USD)", USD_FORMAT),
    Column("Note"),
)

FORECAST_COLUMNS = (
    Column("Month", MONTH_FORMAT),
    Column("Pool"),
    Column("Entitled GB", GB_FORMAT),
    Column("Consumed GB", GB_FORMAT),
    Column("Borrowed GB", GB_FORMAT),
    Column("Lent GB", GB_FORMAT),
    Column("Available GB", GB_FORMAT),
    Column("Status"),
)


def _summary_sheet(
    ws: Worksheet, data: dict[str, Any], plan: Plan, scenarios: Sequence[str] = ()
) -> None:
    writer = SheetWriter(ws)
    titles = {p.name: p.title for p in plan.ruleset.pools}
    warning_share = plan.ruleset.thresholds.warning_remaining.value
    rows = []
    for row, pool in enumerate(data["capacity"], start=2):
        rows.append(
            [
                pool["pool"],
                titles.get(pool["pool"], pool["pool"]),
                Formula(
                    f"=SUMIFS(Entitlement!${ENTITLEMENT_GB}:${ENTITLEMENT_GB},"
                    f"Entitlement!${ENTITLEMENT_POOL}:${ENTITLEMENT_POOL},$A{row})"
                ),
                pool["entitled_gb"],
                Formula(
                    f"=SUMIFS(Consumption!${CONSUMPTION_GB}:${CONSUMPTION_GB},"
                    f"Consumption!${CONSUMPTION_POOL}:${CONSUMPTION_POOL},$A{row})"
                ),
                pool["consumed_gb"],
                pool["borrowed_gb"],
                pool["lent_gb"],
                Formula(
                    f"={SUMMARY_ENTITLED}{row}-{SUMMARY_CONSUMED}{row}"
                    f"+{SUMMARY_BORROWED}{row}-{SUMMARY_LENT}{row}"
                ),
                pool["available_gb"],
                Formula(
                    f"=IF({SUMMARY_ENTITLED}{row}>0,"
                    f'{SUMMARY_AVAILABLE}{row}/{SUMMARY_ENTITLED}{row},"-")'
                ),
                status_formula(row, SUMMARY_ENTITLED, SUMMARY_AVAILABLE, warning_share),
                pool["status"],
            ]
        )
    last = writer.table(SUMMARY_COLUMNS, rows)
    _colour_words(ws, f"{SUMMARY_STATUS}2:{SUMMARY_PLANNED_STATUS}{last}", STATUS_STYLES)

    row = last + 2
    put(ws, row, 1, "What to buy").font = SECTION_FONT
    row += 1
    if data["shortfalls"]:
        shortfall_rows = [
            [
                s["pool"],
                _month(s["first_month"]),
                s["peak_deficit_gb"],
                _month(s["peak_month"]),
                s["addon_sku"] or "none known",
                s["addon_unit_gb"],
                s["addon_units"],
                "unpriced" if s["monthly_cost_usd"] is None else s["monthly_cost_usd"],
                s["note"] or None,
            ]
            for s in data["shortfalls"]
        ]
        row = (
            writer.table(SHORTFALL_COLUMNS, shortfall_rows, row, autofilter=False, measure=False)
            + 1
        )
    else:
        put(
            ws,
            row,
            1,
            f"Nothing: no pool runs short from {data['as_of']} to {data['horizon_end']}.",
        )
        row += 1

    row += 1
    for line in headline(data):
        put(ws, row, 1, line).font = Font(bold=True)
        row += 1
    row += 1
    notes = [
        f"Month 0 is {data['as_of']}; the plan runs {data['months']} months to "
        f"{data['horizon_end']} (rule set {data['ruleset']}).",
        "Entitled and consumed GB are formulas over the Entitlement and Consumption sheets, so "
        "editing a quantity or a GB there updates them; the capplan columns keep the planned "
        "values.",
        "Borrowed and lent GB are capplan's month-0 values; they do not recompute after an edit.",
        f"Status: over when available is below zero after borrowing, warning when less than "
        f"{warning_share:.0%} of the entitlement is left, ok otherwise.",
    ]
    if scenarios:
        notes.append(
            f"This plan is the baseline; the {COMPARISON_SHEET} sheet compares it with "
            f"{len(scenarios)} what-if scenario{'' if len(scenarios) == 1 else 's'}."
        )
    for note in notes:
        put(ws, row, 1, note).font = CAPPLAN_FONT
        row += 1
    writer.finish()


def _forecast_sheet(ws: Worksheet, data: dict[str, Any], plan: Plan) -> None:
    writer = SheetWriter(ws)
    forecast = data["forecast"]
    rows = [
        [
            _month(r["month"]),
            r["pool"],
            r["entitled_gb"],
            r["consumed_gb"],
            r["borrowed_gb"],
            r["lent_gb"],
            r["available_gb"],
            r["status"],
        ]
        for r in forecast
    ]
    last = writer.table(FORECAST_COLUMNS, rows)
    _colour_words(ws, f"H2:H{last}", STATUS_STYLES)
    writer.finish()

    titles = {p.name: p.title for p in plan.ruleset.pools}
    shortfall_of = {s["pool"]: s for s in data["shortfalls"]}
    # The forecast lists each pool's months together, so one pool is one block of rows.
    blocks: dict[str, list[int]] = {}
    for row, record in enumerate(forecast, start=2):
        blocks.setdefault(record["pool"], []).append(row)
    chart_column = get_column_letter(len(FORECAST_COLUMNS) + 2)
    for position, (pool, block) in enumerate(blocks.items()):
        first, last_row = block[0], block[-1]
        title = f"{titles.get(pool, pool)} ({pool}): entitled and consumed"
        if pool in shortfall_of:
            title += f", short from {shortfall_of[pool]['first_month']}"
        chart = _line_chart(ws, title, first, last_row)
        ws.add_chart(chart, f"{chart_column}{2 + position * CHART_ROWS}")


def _line_chart(ws: Worksheet, title: str, first: int, last: int) -> LineChart:
    chart = LineChart()
    chart.title = title
    chart.height = CHART_HEIGHT_CM
    chart.width = CHART_WIDTH_CM
    chart.y_axis.title = "GB"
    chart.y_axis.number_format = AXIS_GB_FORMAT
    chart.y_axis.crossAx = 500
    chart.x_axis = DateAxis(crossAx=100)
    chart.x_axis.title = "Month"
    chart.x_axis.number_format = MONTH_FORMAT
    chart.x_axis.majorTimeUnit = "months"
    # A label every quarter once the horizon is longer than a year, so they stay readable.
    chart.x_axis.majorUnit = 3 if last - first + 1 > 12 else 1
    # openpyxl 3.1 marks axes as deleted unless told otherwise; Excel then draws no labels.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    headers = [c.header for c in FORECAST_COLUMNS]
    drawn = (
        (headers.index("Entitled GB") + 1, "entitled", "Entitled"),
        (headers.index("Consumed GB") + 1, "consumed", "Consumed"),
    )
    for column, key, name in drawn:
        values = Reference(ws, min_col=column, min_row=first, max_row=last)
        series = Series(values, title=name)
        colour, dash = SERIES_STYLES[key]
        series.graphicalProperties.line.solidFill = colour
        series.graphicalProperties.line.dashStyle = dash
        series.graphicalProperties.line.width = 28575  # 2.25 pt in EMU
        series.smooth = False
        series.marker.symbol = "none"
        chart.series.append(series)
    month_column = headers.index("Month") + 1
    chart.set_categories(Reference(ws, min_col=month_column, min_row=first, max_row=last))
    return chart


def _entitlement_sheet(ws: Worksheet, data: dict[str, Any], plan: Plan) -> None:
    writer = SheetWriter(ws)
    source_titles = {s.url: s.title for s in plan.ruleset.sources.values()}
    rows = []
    links: dict[int, str] = {}
    for row, line in enumerate(data["entitlement"], start=2):
        quantity, per_unit, total = line["quantity"], line["per_unit_gb"], line["gb"]
        # The formula only where it reproduces capplan's number: a tenant default that lost to a
        # larger one (defaults_combine = max) is held but grants nothing.
        live = math.isclose(quantity * per_unit, total, rel_tol=1e-9, abs_tol=1e-9)
        url = line["source"] or ""
        if url.lower().startswith(("http://", "https://")):
            links[row] = url
        rows.append(
            [
                line["pool"],
                line["sku"] or "(tenant default)",
                line["kind"],
                line["family"],
                quantity,
                per_unit,
                Formula(f"={ENTITLEMENT_QUANTITY}{row}*{ENTITLEMENT_PER_UNIT}{row}")
                if live
                else total,
                total,
                line["confidence"],
                source_titles.get(url, url or None),
                url or None,
                line["rule"],
                line["explanation"],
            ]
        )
    writer.table(ENTITLEMENT_COLUMNS, rows)
    for row, url in links.items():
        cell = ws[f"{letter(ENTITLEMENT_COLUMNS, 'Source')}{row}"]
        cell.hyperlink = url
        cell.font = LINK_FONT
    writer.finish()


def _consumption_sheet(ws: Worksheet, data: dict[str, Any]) -> None:
    writer = SheetWriter(ws)
    rows = [
        [
            line["pool"],
            line["environment"],
            line["environment_type"],
            line["power_platform"] or None,
            line["capacity_type"],
            # Never 0 where the truth is unknown; SUMIFS skips the word, which is how capplan
            # counts it (as 0), and typing a measured number in its place updates the summary.
            "unknown" if line["confidence"] == "unknown" else line["gb"],
            line["basis"],
            line["confidence"],
            line["measured_gb"],
            line["growth_gb_per_month"],
        ]
        for line in data["consumption"]
    ]
    writer.table(CONSUMPTION_COLUMNS, rows)
    writer.finish()


def _findings_sheet(ws: Worksheet, data: dict[str, Any]) -> None:
    writer = SheetWriter(ws)
    columns = (
        Column("Severity"),
        Column("Code"),
        Column("Subject"),
        Column("Month", MONTH_FORMAT),
        Column("Message", wrap=True),
    )
    rows = [
        [f["severity"], f["code"], f["subject"], _month(f["month"]), f["message"]]
        for f in data["findings"]
    ]
    last = writer.table(columns, rows)
    _colour_words(ws, f"A2:A{max(last, 2)}", SEVERITY_STYLES)
    writer.finish()


def _assumptions_sheet(ws: Worksheet, data: dict[str, Any]) -> None:
    writer = SheetWriter(ws)
    columns = (
        Column("Value"),
        Column("Pool"),
        Column("License"),
        Column("Reason", wrap=True),
        Column("Rule"),
        Column("Environments", wrap=True),
    )
    rows = [
        [
            a["value"],
            a["pool"] or "all pools",
            a["sku"],
            a["reason"],
            a["rule"],
            ", ".join(a["environments"] or []) or None,
        ]
        for a in data["assumptions"]
    ]
    writer.table(columns, rows)
    writer.finish()


def _inputs_sheet(ws: Worksheet, data: dict[str, Any]) -> None:
    writer = SheetWriter(ws)
    columns = (
        Column("File"),
        Column("Holds"),
        Column("Format detected"),
        Column("Rows", WHOLE_FORMAT),
    )
    rows = [[s["path"], s["kind"], s["format"], s["rows"]] for s in data["inputs"]]
    last = writer.table(columns, rows)
    row = last + 2
    put(ws, row, 1, "Rule set").font = SECTION_FONT
    facts: list[tuple[str, Any, str | None]] = [
        ("Id", data["ruleset"], None),
        ("Title", data["ruleset_title"], None),
        ("Effective from", _month(data["ruleset_effective_from"]), MONTH_FORMAT),
        ("Tenant defaults combine", data["defaults_combine"], None),
        ("As of (month 0)", _month(data["as_of"]), MONTH_FORMAT),
        ("Months", data["months"], WHOLE_FORMAT),
        ("Horizon end", _month(data["horizon_end"]), MONTH_FORMAT),
        ("Generator", data["generator"], None),
        ("Plan schema version", data["schema_version"], None),
    ]
    for label, value, number_format in facts:
        row += 1
        put(ws, row, 1, label).font = HEADER_FONT
        put(ws, row, 2, value, number_format).alignment = Alignment(horizontal="left")
        writer.measure(1, len(label))
        writer.measure(2, _display_length(value, None))
    writer.finish()


def _licenses_sheet(ws: Worksheet, data: dict[str, Any]) -> None:
    writer = SheetWriter(ws)
    columns = (
        Column("License"),
        Column("Given as"),
        Column("GUID"),
        Column("Quantity", "quantity"),
        Column("Role"),
        Column("Family"),
        Column("Status"),
        Column("File"),
        Column("Where in the file"),
    )
    rows = [
        [
            lic["sku"],
            lic["sku_given"],
            lic["sku_id"] or None,
            lic["quantity"],
            lic["role"] or None,
            lic["family"] or None,
            lic["status"],
            lic["source"],
            lic["location"] or None,
        ]
        for lic in data["licenses"]
    ]
    writer.table(columns, rows)
    writer.finish()


SHEETS = (
    "Summary",
    "Forecast",
    "Entitlement",
    "Consumption",
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


def _comparison_sheet(ws: Worksheet, comparison: dict[str, Any], titles: dict[str, str]) -> None:
    """Baseline and scenarios side by side: the figures of ``comparison_data`` per plan and
    pool, what each scenario changes, and available GB by month with a chart per pool."""
    writer = SheetWriter(ws)
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
                    record["pool"],
                    *(_comparison_value(key, record[key]) for key in COMPARISON_VALUES),
                    *(None if delta is None else delta.get(key) for key in COMPARISON_DELTAS),
                ]
            )
    last = writer.table(COMPARISON_COLUMNS, rows)
    # Months and "none" share the column: centred, neither runs into the GB beside it.
    short_column = letter(COMPARISON_COLUMNS, "First month short")
    for cell in ws[f"{short_column}2:{short_column}{last}"]:
        cell[0].alignment = Alignment(horizontal="center", vertical="top")

    row = last + 2
    notes = [
        f"Entitled, consumed and available GB are month 0 ({baseline['as_of']}); at end is "
        f"{baseline['horizon_end']}, the horizon's last month. Δ is the scenario minus the "
        "baseline.",
        "Add-on units and cost cover each plan's shortfall within the horizon (0 when it has "
        "none). Every value is capplan's: this sheet does not recompute.",
    ]
    if any(s.get("ruleset_switch") for s in comparison["scenarios"]):
        notes.append(
            'A scenario marked "from" a month renews into another rule set then: its figures '
            "start in that month and are compared with the baseline's in the same month."
        )
    for note in notes:
        put(ws, row, 1, note).font = CAPPLAN_FONT
        row += 1

    row += 1
    put(ws, row, 1, "Scenarios").font = SECTION_FONT
    for scenario in comparison["scenarios"]:
        row += 1
        put(ws, row, 1, scenario["name"]).font = HEADER_FONT
        put(ws, row, 2, f"from {scenario['source'] or 'no file'}")
        if scenario["description"]:
            row += 1
            put(ws, row, 2, scenario["description"]).font = Font(italic=True)
        for change in scenario["changes"]:
            row += 1
            put(ws, row, 2, f"• {change}")

    row += 2
    put(ws, row, 1, "Available GB by month").font = SECTION_FONT
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
    columns = [Column("Month", MONTH_FORMAT)]
    first_columns = []
    for pool, members in blocks:
        first_columns.append(len(columns) + 1)
        columns += [Column(entry["name"], GB_FORMAT) for entry in members]
        # A row of pool titles over each pool's columns, then the table's own header row.
        cell = put(ws, row, first_columns[-1], f"{titles.get(pool, pool)} ({pool})")
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        if len(members) > 1:
            ws.merge_cells(
                start_row=row,
                start_column=first_columns[-1],
                end_row=row,
                end_column=first_columns[-1] + len(members) - 1,
            )
    row += 1
    header_row = row
    monthly = [
        [_month(month)]
        + [entry["available"].get((pool, month)) for pool, members in blocks for entry in members]
        for month in months
    ]
    last = writer.table(columns, monthly, header_row, autofilter=False)
    for column in range(2, len(columns) + 1):
        # Plan names over their figures, which stand right-aligned.
        ws.cell(row=header_row, column=column).alignment = Alignment(horizontal="right")
    writer.finish()

    chart_column = get_column_letter(max(len(COMPARISON_COLUMNS), len(columns)) + 2)
    for position, ((pool, members), first_column) in enumerate(
        zip(blocks, first_columns, strict=True)
    ):
        chart = _comparison_chart(
            ws,
            f"{titles.get(pool, pool)} ({pool}): available GB per plan",
            [(first_column + k, e["name"], e["index"]) for k, e in enumerate(members)],
            header_row + 1,
            last,
        )
        ws.add_chart(chart, f"{chart_column}{2 + position * CHART_ROWS}")


def _comparison_chart(
    ws: Worksheet,
    title: str,
    series_columns: Sequence[tuple[int, str, int]],
    first: int,
    last: int,
) -> LineChart:
    """A line per plan: ``series_columns`` holds each one's column, name and plan number (which
    picks its look, the same in every chart)."""
    chart = LineChart()
    chart.title = _ILLEGAL.sub("", title)
    chart.height = CHART_HEIGHT_CM
    chart.width = CHART_WIDTH_CM
    chart.y_axis.title = "GB available"
    chart.y_axis.number_format = AXIS_GB_FORMAT
    chart.y_axis.crossAx = 500
    chart.x_axis = DateAxis(crossAx=100)
    chart.x_axis.title = "Month"
    chart.x_axis.number_format = MONTH_FORMAT
    chart.x_axis.majorTimeUnit = "months"
    chart.x_axis.majorUnit = 3 if last - first + 1 > 12 else 1
    # The month axis crosses at 0 GB, so it is the zero line; its labels stay at the bottom
    # even where the plans go below zero (short).
    chart.x_axis.tickLblPos = "low"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    for column, name, index in series_columns:
        colour, dash, symbol, filled = PLAN_STYLES[index % len(PLAN_STYLES)]
        values = Reference(ws, min_col=column, min_row=first, max_row=last)
        # A literal title, never a formula: the name comes from a scenario file.
        series = Series(values, title=_ILLEGAL.sub("", name))
        series.graphicalProperties.line.solidFill = colour
        series.graphicalProperties.line.dashStyle = dash
        series.graphicalProperties.line.width = 28575  # 2.25 pt in EMU
        series.smooth = False
        series.marker.symbol = symbol
        series.marker.size = 6
        series.marker.graphicalProperties = GraphicalProperties(
            solidFill=colour if filled else "FFFFFF", ln=LineProperties(solidFill=colour)
        )
        chart.series.append(series)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    return chart


def build_workbook(plan: Plan, comparison: Comparison | None = None) -> Workbook:
    """The workbook; with a ``comparison`` (whose baseline is ``plan``) a Comparison sheet
    follows the Summary."""
    data = plan_data(plan)
    names = SHEETS if comparison is None else (SHEETS[0], COMPARISON_SHEET, *SHEETS[1:])
    workbook = Workbook()
    sheets = {name: workbook.create_sheet(name) for name in names}
    workbook.remove(workbook.worksheets[0])  # the blank default sheet
    if comparison is None:
        _summary_sheet(sheets["Summary"], data, plan)
    else:
        check_baseline(plan, comparison)
        compared = comparison_data(comparison)
        _summary_sheet(sheets["Summary"], data, plan, [s["name"] for s in compared["scenarios"]])
        # The baseline's pool titles, and those of pools only a scenario's rule set has.
        titles = {p.name: p.title for _, other in comparison.scenarios for p in other.ruleset.pools}
        titles.update({p.name: p.title for p in plan.ruleset.pools})
        _comparison_sheet(sheets[COMPARISON_SHEET], compared, titles)
    _forecast_sheet(sheets["Forecast"], data, plan)
    _entitlement_sheet(sheets["Entitlement"], data, plan)
    _consumption_sheet(sheets["Consumption"], data)
    _findings_sheet(sheets["Findings"], data)
    _assumptions_sheet(sheets["Assumptions"], data)
    _inputs_sheet(sheets["Inputs"], data)
    _licenses_sheet(sheets["Licenses"], data)
    workbook.active = 0
    workbook.properties.creator = data["generator"]
    workbook.properties.title = f"Capacity plan {data['ruleset']} as of {data['as_of']}"
    # Excel recalculates the formulas when it opens the file (openpyxl stores no results).
    workbook.calculation.fullCalcOnLoad = True
    return workbook


def write_xlsx(plan: Plan, path: Path, comparison: Comparison | None = None) -> None:
    """Write the workbook to ``path`` (the CLI wraps this in ``planner.output.atomic_write``).

    With a ``comparison`` (``plan`` being ``comparison.baseline``) the workbook gets a
    Comparison sheet of the baseline and each scenario.
    """
    build_workbook(plan, comparison).save(path)
