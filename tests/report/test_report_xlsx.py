"""The Excel report: sheets, live formulas that agree with capplan (and carry capplan's values as
their stored results), dates, charts, safe text.

The workbook is read back with openpyxl: as written (formulas as text) and with ``data_only``
(the value stored with each formula, which is what a viewer that does not recalculate shows).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import warnings
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.escape import unescape
from report_plans import FORMULA_NAME, SCRIPT_NAME
from sheet_formulas import Evaluator

from planner.cli.output import atomic_write
from planner.model.vocabulary import ENVIRONMENT_TYPE_WORDS
from planner.report.data import report_data
from planner.report.json_report import render_json
from planner.report.words import format_words
from planner.report.xlsx import CERTAINTY, CHECK_SHEET, SHEETS, write_xlsx
from planner.report.xlsx_writer import (
    ESTIMATE_GB_FORMAT,
    GB_FORMAT,
    MONTH_FORMAT,
    QuotedText,
    SheetWriter,
    Styles,
    chart_text,
    new_workbook,
    safe_cell_text,
)
from planner.results import Plan

CHART_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
TABLE_SHEETS = (
    "Forecast",
    "Entitlement",
    "Consumption",
    "Findings",
    "Assumptions",
    "Inputs",
    "Licenses",
)


def _write(plan: Plan, folder: Path) -> Path:
    target = folder / "plan.xlsx"
    atomic_write(target, lambda path: write_xlsx(report_data(plan), path))
    return target


@pytest.fixture(scope="module")
def short_file(short_plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(short_plan, tmp_path_factory.mktemp("xlsx"))


@pytest.fixture(scope="module")
def short_book(short_file: Path) -> Workbook:
    return load_workbook(short_file)


@pytest.fixture(scope="module")
def short_values(short_file: Path) -> Workbook:
    """The same workbook as a viewer that does not recalculate sees it."""
    return load_workbook(short_file, data_only=True)


@pytest.fixture(scope="module")
def short_json(short_plan: Plan) -> dict[str, Any]:
    return json.loads(render_json(report_data(short_plan)))


def header(ws: Any) -> list[str]:
    return [str(c.value) for c in ws[1] if c.value is not None]


def column_of(ws: Any, name: str) -> int:
    return header(ws).index(name) + 1


def checked(book: Workbook) -> dict[tuple[str, str], Any]:
    """capplan's value of each formula cell, by (sheet, cell), from the hidden Check sheet."""
    ws = book[CHECK_SHEET]
    return {
        (ws.cell(row=r, column=1).value, ws.cell(row=r, column=2).value): ws.cell(
            row=r, column=4
        ).value
        for r in range(2, ws.max_row + 1)
    }


def pool_table(ws: Any) -> tuple[int, dict[str, int]]:
    """The Summary's pool table: its header row and the column of each header."""
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == "Pool")
    columns = {
        str(ws.cell(row=row, column=c).value): c
        for c in range(1, ws.max_column + 1)
        if ws.cell(row=row, column=c).value is not None
    }
    return row, columns


def titles_of(data: dict[str, Any]) -> dict[str, str]:
    return {p["pool"]: p["title"] for p in data["pools"]}


def capacity_header(capacity_type: str) -> str:
    """The Consumption sheet's header of a capacity type's GB, as a reader sees it."""
    return f"{capacity_type.replace('_', ' ').capitalize()} GB"


def test_sheets(short_book: Workbook, short_file: Path) -> None:
    assert short_book.sheetnames == [*SHEETS, CHECK_SHEET]
    assert short_book[CHECK_SHEET].sheet_state == "hidden"
    assert short_book.active.title == "Summary"
    assert set(TABLE_SHEETS) <= set(short_book.sheetnames)
    assert not list(short_file.parent.glob(".plan.xlsx.*"))  # no temporary file left behind


def test_headers_frozen_filtered_and_sized(short_book: Workbook) -> None:
    for name in TABLE_SHEETS:
        ws = short_book[name]
        # The Consumption sheet also keeps the environment's name in view.
        assert ws.freeze_panes == ("B2" if name == "Consumption" else "A2"), name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), name
        for index in range(1, len(header(ws)) + 1):
            letter = ws.cell(row=1, column=index).column_letter
            assert (ws.column_dimensions[letter].width or 0) >= 8, (name, letter)


def test_months_are_dates(short_book: Workbook, short_json: dict[str, Any]) -> None:
    ws = short_book["Forecast"]
    months = [ws.cell(row=r, column=1) for r in range(2, ws.max_row + 1)]
    assert len(months) == len(short_json["forecast"])
    for cell, record in zip(months, short_json["forecast"], strict=True):
        assert isinstance(cell.value, dt.datetime)
        assert cell.number_format == MONTH_FORMAT
        assert cell.value.strftime("%Y-%m") == record["month"] and cell.value.day == 1


def test_forecast_values_match_the_json(short_book: Workbook, short_json: dict[str, Any]) -> None:
    ws = short_book["Forecast"]
    keys = (
        "entitled_gb",
        "consumed_gb",
        "borrowed_gb",
        "lent_gb",
        "available_gb",
        "effective_entitled_gb",
    )
    words = {
        "ok": "Within capacity",
        "warning": "Running low (less than 15% left)",
        "critical": "Running low (less than 5% left)",
    }
    for row, record in enumerate(short_json["forecast"], start=2):
        assert ws.cell(row=row, column=2).value == titles_of(short_json)[record["pool"]]
        for offset, key in enumerate(keys, start=3):
            cell = ws.cell(row=row, column=offset)
            assert cell.value == pytest.approx(record[key], abs=5e-4)
            assert cell.number_format == GB_FORMAT
        assert ws.cell(row=row, column=9).value == pytest.approx(
            record["remaining_share"], abs=1e-6
        )
        status = ws.cell(row=row, column=10).value
        if record["status"] == "over":
            assert status == f"Deficit {record['effective_deficit_gb']:,.2f} GB"
        else:
            assert status == words[record["status"]]


def test_one_line_chart_per_pool(short_file: Path, short_json: dict[str, Any]) -> None:
    with zipfile.ZipFile(short_file) as archive:
        charts = sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))
        assert len(charts) == len(short_json["capacity"])
        for name in charts:
            tree = ElementTree.fromstring(archive.read(name))
            assert tree.find(f".//{{{CHART_NS}}}lineChart") is not None
            assert tree.find(f".//{{{CHART_NS}}}dateAx") is not None
            references = [f.text or "" for f in tree.iter(f"{{{CHART_NS}}}f")]
            assert any(r.startswith("'Forecast'!$C$") for r in references)  # entitled
            assert any(r.startswith("'Forecast'!$D$") for r in references)  # consumed
        drawing_rels = archive.read("xl/worksheets/_rels/sheet2.xml.rels").decode()
        assert "drawing" in drawing_rels  # the charts sit on the Forecast sheet


def test_summary_opens_with_title_headline_and_cost(
    short_book: Workbook, short_values: Workbook, short_json: dict[str, Any]
) -> None:
    ws = short_book["Summary"]
    assert ws["A1"].value == f"Capacity plan as of {short_json['as_of']}"
    header_row, _ = pool_table(ws)
    above = [ws.cell(row=r, column=1).value for r in range(1, header_row)]
    for line in short_json["headline"]["lines"]:
        assert line in above
    labels = {value: row for row, value in enumerate(above, start=1) if value}
    monthly = labels["Add-ons per month (USD)"]
    assert short_values["Summary"].cell(row=monthly, column=2).value == pytest.approx(
        short_json["headline"]["monthly_cost_usd"]
    )
    yearly = short_values["Summary"].cell(row=labels["Add-ons per year (USD)"], column=2).value
    assert yearly == pytest.approx(12 * short_json["headline"]["monthly_cost_usd"])
    # One column per figure: capplan's own values are on the hidden Check sheet only.
    headers = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [h for h in headers if h.lower().startswith("capplan ")]


def test_summary_status_column_fits_its_words(short_values: Workbook) -> None:
    """A pool's status is a formula whose words ("Within capacity", "Deficit 1,234.56 GB")
    are wider than a number: the column is as wide as the longest of them, so none is cut
    off when shown."""
    ws = short_values["Summary"]
    row, columns = pool_table(ws)
    column = columns["Status"]
    statuses = [
        str(ws.cell(row=r, column=column).value)
        for r in range(row + 1, ws.max_row + 1)
        if ws.cell(row=r, column=1).value and ws.cell(row=r, column=column).value
    ]
    assert max(map(len, statuses)) > 14  # wider than a formatted number
    width = ws.column_dimensions[get_column_letter(column)].width
    assert width >= max(map(len, statuses)) + 2


def test_what_to_buy_has_a_total_row(
    short_book: Workbook, short_values: Workbook, short_json: dict[str, Any]
) -> None:
    ws, values = short_book["Summary"], short_values["Summary"]
    total = next(
        r
        for r in range(1, ws.max_row + 1)
        if str(ws.cell(row=r, column=1).value).startswith("Total at list price")
    )
    header = next(r for r in range(total, 0, -1) if ws.cell(row=r, column=2).value == "Add-on")
    columns = {ws.cell(row=header, column=c).value: c for c in range(1, ws.max_column + 1)}
    bought = short_json["purchases"]
    assert total - header - 1 == len(bought)
    planned = checked(short_book)
    for name, key in (
        ("Per month (USD)", "monthly_cost_usd"),
        ("To the horizon (USD)", "horizon_cost_usd"),
    ):
        cell = ws.cell(row=total, column=columns[name])
        letter = cell.column_letter
        assert cell.value == f"=SUM({letter}{header + 1}:{letter}{total - 1})"
        expected = sum(p[key] for p in bought)
        assert planned[("Summary", cell.coordinate)] == pytest.approx(expected)
        assert values[cell.coordinate].value == pytest.approx(expected)
    parts = {ws.cell(row=r, column=columns["Part number"]).value for r in range(header + 1, total)}
    assert parts == {p["addon_sku"] for p in bought}


def test_summary_formulas_agree_with_capplan(
    short_book: Workbook, short_values: Workbook, short_json: dict[str, Any]
) -> None:
    ws = short_book["Summary"]
    stored = short_values["Summary"]
    evaluator = Evaluator(short_book)
    planned = checked(short_book)
    header_row, columns = pool_table(ws)
    titles = titles_of(short_json)
    for row, pool in enumerate(short_json["capacity"], start=header_row + 1):
        assert ws.cell(row=row, column=1).value == titles[pool["pool"]]
        for live in ("Entitled GB", "Consumed GB", "Available GB", "Status"):
            cell = ws.cell(row=row, column=columns[live])
            formula = cell.value
            assert cell.data_type == "f" and isinstance(formula, str), live
            assert formula.startswith("="), live
            value = evaluator.formula("Summary", formula)
            expected = planned[("Summary", cell.coordinate)]
            # The result stored with the formula is capplan's value.
            cached = stored[cell.coordinate].value
            if isinstance(expected, str):
                assert value == expected == cached == pool["status_text"]
            else:
                assert value == pytest.approx(expected, abs=1e-9)
                assert cached == pytest.approx(expected, abs=1e-9)
        entitled = ws.cell(row=row, column=columns["Entitled GB"]).coordinate
        assert planned[("Summary", entitled)] == pytest.approx(pool["entitled_gb"], abs=5e-4)
        left_cell = ws.cell(row=row, column=columns["Left"])
        left = evaluator.formula("Summary", left_cell.value)
        cached_left = stored[left_cell.coordinate].value
        if pool["remaining_share"] is None:
            assert left == cached_left == "-"
        else:
            assert left == pytest.approx(pool["remaining_share"], abs=5e-4)
            assert cached_left == pytest.approx(pool["remaining_share"], abs=5e-4)


def test_entitlement_gb_is_quantity_times_per_unit(
    short_book: Workbook, short_values: Workbook, short_json: dict[str, Any]
) -> None:
    ws = short_book["Entitlement"]
    stored = short_values["Entitlement"]
    evaluator = Evaluator(short_book)
    planned = checked(short_book)
    formulas = 0
    for row, line in enumerate(short_json["entitlement"], start=2):
        cell = ws.cell(row=row, column=column_of(ws, "GB"))
        cached = stored[cell.coordinate].value
        assert cached == pytest.approx(line["gb"], abs=5e-4)
        if isinstance(cell.value, str):
            formulas += 1
            assert cell.data_type == "f"
            assert planned[("Entitlement", cell.coordinate)] == pytest.approx(cached)
            assert evaluator.formula("Entitlement", cell.value) == pytest.approx(cached)
        else:
            assert cell.value == cached
    assert formulas == len(short_json["entitlement"])
    assert "capplan GB" not in header(ws) and "Rule" not in header(ws)


def test_every_formula_stores_a_result(short_book: Workbook, short_values: Workbook) -> None:
    """A viewer that does not recalculate finds a value in every formula cell."""
    formulas = 0
    for ws in short_book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas += 1
                    cached = short_values[ws.title][cell.coordinate].value
                    assert cached is not None, (ws.title, cell.coordinate)
    assert formulas > 0


def test_a_default_that_grants_nothing_is_a_value(split_plan: Plan, tmp_path: Path) -> None:
    """Where quantity x per unit is not capplan's number, the workbook keeps the number."""
    target = _write(split_plan, tmp_path)
    book = load_workbook(target)
    values = load_workbook(target, data_only=True)
    evaluator = Evaluator(book)
    planned = checked(book)
    ws = book["Entitlement"]
    for row in range(2, ws.max_row + 1):
        cell = ws.cell(row=row, column=column_of(ws, "GB"))
        if cell.data_type == "f":
            value = evaluator.formula("Entitlement", cell.value)
            assert value == pytest.approx(planned[("Entitlement", cell.coordinate)])
            assert values["Entitlement"][cell.coordinate].value == pytest.approx(value)
        else:
            assert ("Entitlement", cell.coordinate) not in planned
    summary = book["Summary"]
    header_row, _ = pool_table(summary)
    pool_rows = range(header_row + 1, header_row + 1 + len(split_plan.ruleset.pools))
    for (sheet, coordinate), expected in planned.items():
        # The pool table; the cost cells (sums over what to buy) are left to LibreOffice.
        if sheet != "Summary" or summary[coordinate].row not in pool_rows:
            continue
        value = evaluator.formula("Summary", summary[coordinate].value)
        cached = values["Summary"][coordinate].value
        if isinstance(expected, str):
            assert value == cached == expected
        else:
            assert value == pytest.approx(expected)
            assert cached == pytest.approx(expected)


def test_editing_a_quantity_updates_the_summary(short_file: Path) -> None:
    book = load_workbook(short_file)
    entitlement, summary = book["Entitlement"], book["Summary"]
    evaluator = Evaluator(book)
    row = next(
        r
        for r in range(2, entitlement.max_row + 1)
        if entitlement.cell(row=r, column=column_of(entitlement, "Part number")).value
        == "DYN365_FINANCE"
        and entitlement.cell(row=r, column=1).value == "Database"
    )
    per_unit = entitlement.cell(row=row, column=column_of(entitlement, "Per unit (GB)")).value
    header_row, columns = pool_table(summary)
    pool_row = next(
        r
        for r in range(header_row + 1, summary.max_row + 1)
        if summary.cell(row=r, column=1).value == "Database"
    )
    entitled = summary.cell(row=pool_row, column=columns["Entitled GB"]).value
    before = evaluator.formula("Summary", entitled)
    entitlement.cell(row=row, column=column_of(entitlement, "Quantity")).value += 10
    after = evaluator.formula("Summary", entitled)
    assert after - before == pytest.approx(10 * per_unit)


STATUS_WORDS = {
    '"Within capacity"',
    '"Running low (less than 15% left)"',
    '"Running low (less than 5% left)"',
}


def test_status_cells_are_coloured(short_book: Workbook) -> None:
    """Every status has its colour, keyed on the admin center's words (a deficit on the word
    it begins with), so colours follow a recalculated status."""
    ranges = {
        name: {str(r.sqref): r.rules for r in short_book[name].conditional_formatting}
        for name in ("Summary", "Forecast", "Findings")
    }
    for name, expected_words in (
        ("Summary", STATUS_WORDS),
        ("Forecast", STATUS_WORDS),
        ("Findings", {'"info"', '"warning"', '"error"'}),
    ):
        formulas = {
            rule.formula[0]
            for rules in ranges[name].values()
            for rule in rules
            if rule.dxf is not None and rule.dxf.fill is not None
        }
        exact = {f for f in formulas if f.startswith('"')}
        assert exact == expected_words, name
        rest = formulas - exact
        if name == "Findings":
            assert not rest
        else:
            assert len(rest) == 1 and '="Deficit"' in rest.pop(), name


def test_consumption_lines_and_unknown_usage(
    short_book: Workbook, short_json: dict[str, Any]
) -> None:
    """One row per environment, a GB column per capacity type: measured numbers as GB,
    estimates marked with "≈", "unknown" as the word (never 0)."""
    ws = short_book["Consumption"]
    legend = {
        code: (capacity_type, basis)
        for code, capacity_type, basis, _ in short_book["Basis codes"].iter_rows(
            min_row=2, values_only=True
        )
    }
    rows = {ws.cell(row=r, column=1).value: r for r in range(2, ws.max_row + 1)}
    assert len(rows) == ws.max_row - 1 == len({c["environment"] for c in short_json["consumption"]})
    names = [name for name in rows if name is not None]
    assert names == sorted(names, key=str.casefold)
    formats = set()
    for line in short_json["consumption"]:
        row = rows[line["environment"]]
        title = capacity_header(line["capacity_type"]).removesuffix(" GB")
        cell = ws.cell(row=row, column=column_of(ws, capacity_header(line["capacity_type"])))
        # The environment type in words, as the inventory's vocabulary says it.
        assert (
            ws.cell(row=row, column=column_of(ws, "Environment type")).value
            == (ENVIRONMENT_TYPE_WORDS[line["environment_type"]])
        )
        # The basis: a code per capacity type, explained on the Basis codes sheet; the growth
        # rate in a column of its own.
        codes = ws.cell(row=row, column=column_of(ws, "Basis codes")).value.split(", ")
        explained = [legend[code] for code in codes if legend[code][0] == title]
        assert len(explained) == 1
        assert line["basis"].startswith(explained[0][1])
        growth = ws.cell(row=row, column=column_of(ws, f"{title} growth per month")).value
        assert growth == pytest.approx(line["growth_gb_per_month"])
        if growth:
            assert line["basis"] != explained[0][1]
        if line["confidence"] == "unknown":
            assert cell.value == "unknown"
            continue
        assert cell.value == pytest.approx(line["gb"], abs=5e-4)
        expected = GB_FORMAT if line["confidence"] == "measured" else ESTIMATE_GB_FORMAT
        assert cell.number_format == expected
        formats.add(expected)
    assert formats == {GB_FORMAT, ESTIMATE_GB_FORMAT}  # the plan has both kinds
    assert "unknown" in {c["confidence"] for c in short_json["consumption"]}
    for name, row in rows.items():
        words = {c["confidence"] for c in short_json["consumption"] if c["environment"] == name}
        least = next(word for word in CERTAINTY if word in words)
        assert ws.cell(row=row, column=column_of(ws, "Least certain")).value == least


def test_typing_a_measured_gb_over_unknown_updates_the_summary(
    short_file: Path, short_json: dict[str, Any]
) -> None:
    book = load_workbook(short_file)
    consumption, summary = book["Consumption"], book["Summary"]
    evaluator = Evaluator(book)
    line = next(c for c in short_json["consumption"] if c["confidence"] == "unknown")
    row = next(
        r
        for r in range(2, consumption.max_row + 1)
        if consumption.cell(row=r, column=1).value == line["environment"]
    )
    cell = consumption.cell(
        row=row, column=column_of(consumption, capacity_header(line["capacity_type"]))
    )
    header_row, columns = pool_table(summary)
    pool_row = next(
        r
        for r in range(header_row + 1, summary.max_row + 1)
        if summary.cell(row=r, column=1).value == titles_of(short_json)[line["pool"]]
    )
    consumed = summary.cell(row=pool_row, column=columns["Consumed GB"]).value
    before = evaluator.formula("Summary", consumed)
    assert before == pytest.approx(
        next(p["consumed_gb"] for p in short_json["capacity"] if p["pool"] == line["pool"]),
        abs=5e-3,
    )
    cell.value = 12.5
    assert evaluator.formula("Summary", consumed) - before == pytest.approx(12.5)


def test_text_from_inputs_never_becomes_a_formula(short_book: Workbook, short_file: Path) -> None:
    ws = short_book["Consumption"]
    names = {
        ws.cell(row=r, column=1).value: ws.cell(row=r, column=1) for r in range(2, ws.max_row + 1)
    }
    cell = names[FORMULA_NAME]
    assert cell.data_type == "s"
    assert cell.value == FORMULA_NAME
    assert cell.quotePrefix  # stays text when someone edits it
    assert SCRIPT_NAME in names
    assert not names[SCRIPT_NAME].quotePrefix  # only text a spreadsheet would run is marked
    with zipfile.ZipFile(short_file) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        for name in sheets:
            xml = archive.read(name).decode()
            assert "HYPERLINK" not in "".join(
                part.split("</f>")[0] for part in xml.split("<f>")[1:]
            ), name


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_safe_cell_text_guards_formula_like_text(text: str) -> None:
    guarded = safe_cell_text(text)
    assert isinstance(guarded, QuotedText)
    assert str(guarded) == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [("plain", "plain"), ("a=b", "a=b"), (5, 5), (2.5, 2.5), (None, None), ("bell\x07", "bell")],
)
def test_safe_cell_text_leaves_the_rest(value: Any, expected: Any) -> None:
    assert safe_cell_text(value) == expected


@pytest.mark.parametrize("text", [FORMULA_NAME, "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_guarded_text_round_trips(text: str, tmp_path: Path) -> None:
    workbook = new_workbook(tmp_path / "t.xlsx")
    writer = SheetWriter(workbook.add_worksheet("T"), Styles(workbook))
    writer.put(1, 1, text)
    workbook.close()
    cell = load_workbook(tmp_path / "t.xlsx").active["A1"]
    # The file stores a control character such as CR as _x000D_, which Excel decodes; openpyxl
    # leaves that to the reader.
    assert cell.data_type == "s" and unescape(cell.value) == text
    assert cell.quotePrefix


def test_chart_titles_stay_words(tmp_path: Path) -> None:
    """A title that looks like a reference (a rule set's pool title, say) is not one."""
    assert chart_text("Pool title") == "Pool title"
    workbook = new_workbook(tmp_path / "c.xlsx")
    ws = workbook.add_worksheet("Data")
    ws.write_column(0, 0, [1, 2, 3])
    chart = workbook.add_chart({"type": "line"})
    chart.add_series({"values": "='Data'!$A$1:$A$3", "name": chart_text("=Data!A1")})
    chart.set_title({"name": chart_text("Data!A1 pool")})
    ws.insert_chart(0, 2, chart)
    workbook.close()
    with zipfile.ZipFile(tmp_path / "c.xlsx") as archive:
        xml = archive.read("xl/charts/chart1.xml").decode()
    references = [part.split("</c:f>")[0] for part in xml.split("<c:f>")[1:]]
    assert references == ["'Data'!$A$1:$A$3"]
    assert "Data!\u200bA1 pool" in xml and "=Data!\u200bA1" in xml


def test_inputs_and_rule_set(short_book: Workbook, short_json: dict[str, Any]) -> None:
    ws = short_book["Inputs"]
    values = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    for source in short_json["inputs"]:
        assert Path(source["path"]).name in values and format_words(source["format"]) in values
    assert short_json["ruleset"] in values and short_json["ruleset_title"] in values
    effective = next(
        ws.cell(row=r, column=2)
        for r in range(1, ws.max_row + 1)
        if ws.cell(row=r, column=1).value == "Effective from"
    )
    assert effective.value.strftime("%Y-%m") == short_json["ruleset_effective_from"]


def test_shortfalls_on_the_summary(short_book: Workbook, short_json: dict[str, Any]) -> None:
    ws = short_book["Summary"]
    values = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    for purchase in short_json["purchases"]:
        assert purchase["addon_sku"] in values
        assert purchase["units"] in values
        assert purchase["monthly_cost_usd"] in values


def _without_results(source: Path, target: Path) -> None:
    """A copy of the workbook whose formulas have no saved results. LibreOffice shows saved
    results as they are, so only a copy without them shows what it computes itself."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                xml = re.sub(r'(<c [^>]*?) t="str"(><f>)', r"\1\2", data.decode())
                data = re.sub(r"(</f>)<v>[^<]*</v>", r"\1", xml).encode()
            copy.writestr(item, data, zipfile.ZIP_DEFLATED)


@pytest.mark.slow
def test_libreoffice_computes_the_same_numbers(short_file: Path, tmp_path: Path) -> None:
    """A real spreadsheet recalculates every formula and gets capplan's values.

    In CI (CI=true) a missing LibreOffice is a failure, not a skip: .ci/run installs it.
    """
    if shutil.which("soffice") is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) must be installed in CI (see .ci/run)")
        pytest.skip("needs LibreOffice")
    bare = tmp_path / "bare.xlsx"
    _without_results(short_file, bare)
    planned = checked(load_workbook(short_file))
    unsaved = load_workbook(bare, data_only=True)
    # Nothing to copy from: every formula's saved result is gone.
    assert all(unsaved[sheet][cell].value is None for sheet, cell in planned)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "out"),
            str(bare),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    with warnings.catch_warnings():
        # openpyxl cannot read back every chart LibreOffice writes; the numbers are what counts.
        warnings.simplefilter("ignore", UserWarning)
        book = load_workbook(tmp_path / "out" / bare.name, data_only=True)
    saved = load_workbook(short_file, data_only=True)
    assert {sheet for sheet, _ in planned} == {"Summary", "Entitlement"}
    for (sheet, cell), expected in planned.items():
        computed = book[sheet][cell].value
        assert computed == (expected if isinstance(expected, str) else pytest.approx(expected))
        # What LibreOffice computes is what the workbook saved with the formula.
        stored = saved[sheet][cell].value
        assert stored == (computed if isinstance(computed, str) else pytest.approx(computed))


def test_buffer_and_buy_at_reach_the_page_and_the_workbook(tmp_path: Path) -> None:
    """--buffer and --buy-at change the HTML's and the workbook's purchase exactly as the JSON."""
    from planner.planning import plan as make
    from planner.report.html import report_view

    samples = Path(__file__).resolve().parents[2] / "samples"
    buffered = make(
        [samples / "licenses-graph.json", samples / "environments-inventory.csv"],
        as_of="2026-12",
        buffer_pct=10,
        buy_at="now",
    )
    data = json.loads(render_json(report_data(buffered)))
    plain = json.loads(
        render_json(
            report_data(
                make(
                    [samples / "licenses-graph.json", samples / "environments-inventory.csv"],
                    as_of="2026-12",
                )
            )
        )
    )
    assert [p["units"] for p in data["purchases"]] != [p["units"] for p in plain["purchases"]]
    view = report_view(report_data(buffered))
    assert [(r["units"], r["buy_month"]) for r in view["purchases"]] == [
        (f"{p['units']:,}", p["buy_month"])
        for p in sorted(data["purchases"], key=lambda p: (p["buy_month"], p["pool"]))
    ]
    assert view["headline"] == data["headline"]["lines"]
    book = load_workbook(_write(buffered, tmp_path), data_only=True)
    ws = book["Summary"]
    values = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    for purchase in data["purchases"]:
        assert purchase["units"] in values and purchase["monthly_cost_usd"] in values
    for line in data["headline"]["lines"]:
        assert line in values


def test_consumption_names_read_back_as_written(tmp_path: Path) -> None:
    """The streamed Consumption sheet escapes what Excel would decode (_xHHHH_) and what XML
    would change (a carriage return) as XlsxWriter does, so every name reads back as written."""
    from builders import make_plan

    names = ["_x0041_", "a\rb", "\r=1", "plain"]
    environments = [
        {"name": name, "type": "dataverse_production", "dataverse_database_gb": 1 + n}
        for n, name in enumerate(names)
    ]
    path = _write(make_plan([], environments, months=1), tmp_path)
    sheet = load_workbook(path)["Consumption"]
    found = {
        unescape(row[0].value): row[0]
        for row in sheet.iter_rows(min_row=2)
        if row[0].value is not None
    }
    assert set(names) <= set(found)
    assert found["\r=1"].quotePrefix


@pytest.mark.parametrize(
    "text", ["<r><t>x</t></r>", "<r></t></r></si><si><t>injected</t></si><si><r><t></r>"]
)
def test_text_that_looks_like_rich_text_xml_stays_text(text: str, tmp_path: Path) -> None:
    workbook = new_workbook(tmp_path / "t.xlsx")
    writer = SheetWriter(workbook.add_worksheet("T"), Styles(workbook))
    writer.put(1, 1, text)
    writer.put(2, 1, "after")
    workbook.close()
    sheet = load_workbook(tmp_path / "t.xlsx").active
    assert str(sheet["A1"].value) == text
    assert sheet["A2"].value == "after"
