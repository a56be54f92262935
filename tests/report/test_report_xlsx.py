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
from openpyxl.utils.escape import unescape
from report_plans import FORMULA_NAME, SCRIPT_NAME
from sheet_formulas import Evaluator

from planner.cli.output import atomic_write
from planner.report.data import report_data
from planner.report.json_report import render_json
from planner.report.xlsx import CERTAINTY, SHEETS, write_xlsx
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
    "Summary",
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


def capacity_header(capacity_type: str) -> str:
    """The Consumption sheet's header of a capacity type's GB, as a reader sees it."""
    return f"{capacity_type.replace('_', ' ').capitalize()} GB"


def test_sheets(short_book: Workbook, short_file: Path) -> None:
    assert short_book.sheetnames == list(SHEETS)
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
    keys = ("entitled_gb", "consumed_gb", "borrowed_gb", "lent_gb", "available_gb")
    for row, record in enumerate(short_json["forecast"], start=2):
        assert ws.cell(row=row, column=2).value == record["pool"]
        for offset, key in enumerate(keys, start=3):
            cell = ws.cell(row=row, column=offset)
            assert cell.value == pytest.approx(record[key], abs=5e-4)
            assert cell.number_format == GB_FORMAT
        assert ws.cell(row=row, column=8).value == record["status"]


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


def test_summary_formulas_agree_with_capplan(
    short_book: Workbook, short_values: Workbook, short_json: dict[str, Any]
) -> None:
    ws = short_book["Summary"]
    stored = short_values["Summary"]
    evaluator = Evaluator(short_book)
    pairs = {
        "Entitled GB": "capplan entitled GB",
        "Consumed GB": "capplan consumed GB",
        "Available GB": "capplan available GB",
        "Status": "capplan status",
    }
    for row, pool in enumerate(short_json["capacity"], start=2):
        assert ws.cell(row=row, column=1).value == pool["pool"]
        for live, planned in pairs.items():
            cell = ws.cell(row=row, column=column_of(ws, live))
            formula = cell.value
            assert cell.data_type == "f" and isinstance(formula, str), live
            assert formula.startswith("="), live
            value = evaluator.formula("Summary", formula)
            expected = ws.cell(row=row, column=column_of(ws, planned)).value
            # The result stored with the formula is capplan's value.
            cached = stored.cell(row=row, column=column_of(ws, live)).value
            if isinstance(expected, str):
                assert value == expected == cached == pool["status"]
            else:
                assert value == pytest.approx(expected, abs=1e-9)
                assert cached == pytest.approx(expected, abs=1e-9)
        assert ws.cell(row=row, column=column_of(ws, "capplan entitled GB")).value == (
            pytest.approx(pool["entitled_gb"], abs=5e-4)
        )
        left_cell = ws.cell(row=row, column=column_of(ws, "Left"))
        left = evaluator.formula("Summary", left_cell.value)
        cached_left = stored.cell(row=row, column=column_of(ws, "Left")).value
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
    formulas = 0
    for row, line in enumerate(short_json["entitlement"], start=2):
        cell = ws.cell(row=row, column=column_of(ws, "GB"))
        planned = ws.cell(row=row, column=column_of(ws, "capplan GB")).value
        assert planned == pytest.approx(line["gb"], abs=5e-4)
        cached = stored.cell(row=row, column=column_of(ws, "GB")).value
        assert cached == pytest.approx(planned, abs=1e-9)
        if isinstance(cell.value, str):
            formulas += 1
            assert cell.data_type == "f"
            assert evaluator.formula("Entitlement", cell.value) == pytest.approx(planned)
        else:
            assert cell.value == planned
    assert formulas == len(short_json["entitlement"])


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
    ws = book["Entitlement"]
    evaluator = Evaluator(book)
    for row in range(2, ws.max_row + 1):
        cell = ws.cell(row=row, column=column_of(ws, "GB"))
        planned = ws.cell(row=row, column=column_of(ws, "capplan GB")).value
        value = (
            evaluator.formula("Entitlement", cell.value) if cell.data_type == "f" else cell.value
        )
        assert value == pytest.approx(planned)
        assert values["Entitlement"][cell.coordinate].value == pytest.approx(planned)
    summary = book["Summary"]
    for row in range(2, 2 + len(split_plan.ruleset.pools)):
        for live, planned in (("C", "D"), ("E", "F"), ("I", "J"), ("L", "M")):
            value = evaluator.formula("Summary", summary[f"{live}{row}"].value)
            expected = summary[f"{planned}{row}"].value
            cached = values["Summary"][f"{live}{row}"].value
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
        if entitlement.cell(row=r, column=2).value == "DYN365_FINANCE"
        and entitlement.cell(row=r, column=1).value == "database"
    )
    per_unit = entitlement.cell(row=row, column=6).value
    pool_row = next(
        r
        for r in range(2, summary.max_row + 1)
        if summary.cell(row=r, column=1).value == "database"
    )
    before = evaluator.formula("Summary", summary.cell(row=pool_row, column=3).value)
    entitlement.cell(row=row, column=5).value += 10
    after = evaluator.formula("Summary", summary.cell(row=pool_row, column=3).value)
    assert after - before == pytest.approx(10 * per_unit)


def test_status_cells_are_coloured(short_book: Workbook) -> None:
    ranges = {
        name: {str(r.sqref): r.rules for r in short_book[name].conditional_formatting}
        for name in ("Summary", "Forecast", "Findings")
    }
    for name, expected_words in (
        ("Summary", {"ok", "warning", "over"}),
        ("Forecast", {"ok", "warning", "over"}),
        ("Findings", {"info", "warning", "error"}),
    ):
        words = {
            rule.formula[0].strip('"')
            for rules in ranges[name].values()
            for rule in rules
            if rule.dxf is not None and rule.dxf.fill is not None
        }
        assert words == expected_words, name


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
        assert (
            ws.cell(row=row, column=column_of(ws, "Environment type")).value
            == (line["environment_type"])
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
    pool_row = next(
        r
        for r in range(2, summary.max_row + 1)
        if summary.cell(row=r, column=1).value == line["pool"]
    )
    consumed = summary.cell(row=pool_row, column=column_of(summary, "Consumed GB")).value
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
        assert source["path"] in values and source["format"] in values
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
    for shortfall in short_json["shortfalls"]:
        assert shortfall["addon_sku"] in values
        assert shortfall["addon_units"] in values
        assert shortfall["monthly_cost_usd"] in values


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
    unsaved = load_workbook(bare, data_only=True)["Summary"]
    assert all(unsaved[f"{live}2"].value is None for live in "CEIL")  # nothing to copy from
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
    ws = book["Summary"]
    for row in range(2, 2 + 3):
        for live, planned in (("C", "D"), ("E", "F"), ("I", "J"), ("L", "M")):
            computed, expected = ws[f"{live}{row}"].value, ws[f"{planned}{row}"].value
            assert computed == (expected if isinstance(expected, str) else pytest.approx(expected))
            # What LibreOffice computes is what the workbook saved with the formula.
            stored = saved["Summary"][f"{live}{row}"].value
            assert stored == (computed if isinstance(computed, str) else pytest.approx(computed))
    entitlement = book["Entitlement"]
    for row in range(2, entitlement.max_row + 1):
        assert entitlement[f"G{row}"].value == pytest.approx(entitlement[f"H{row}"].value)
