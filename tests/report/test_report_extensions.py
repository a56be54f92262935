"""Capacity extensions in every human output of a comparison, from the whatif JSON's rows.

Two scenarios ask for the same extension of Database in 2027-04 (100% used then): one buys
add-ons from 2027-06 and is bridged, the other plans nothing after it.
"""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

import pytest
from builders import licenses, make_inputs
from openpyxl import load_workbook

from planner.model.changes import BuyAddon, RequestExtension, Scenario
from planner.report.data import ReportData, report_data
from planner.report.html import render_html
from planner.report.text import render_table
from planner.report.whatif_text import render_whatif_markdown, render_whatif_table
from planner.report.xlsx import COMPARISON_SHEET, write_xlsx
from planner.ruleset import resolve_ruleset
from planner.scenarios.compare import compare

AS_OF = "2026-12"
PROD = {
    "name": "PROD",
    "type": "production",
    "power_platform": "integrated",
    "dataverse_database_gb": 10,
    "operations_database_gb": 140,
    "operations_database_growth_gb_per_month": 10,
}
EXTENSION = RequestExtension(pool="database", month=4, month_label="2027-04", origin="x")
BRIDGED = (
    "Database asked for in 2027-04: 47.50 GB more in 2027-04 to 2027-05 (Database 100% used in "
    "2027-04, more than the 80% an extension needs); bridges the gap to the purchase in 2027-06 "
    "(buy 30 GB of database capacity)"
)
ALONE = (
    "Database asked for in 2027-04: 47.50 GB more in 2027-04 to 2027-05 (Database 100% used in "
    "2027-04, more than the 80% an extension needs); no purchase or clean-up of Database is "
    "planned after it; Database is short in 2027-06"
)


@pytest.fixture(scope="module")
def report() -> ReportData:
    buy = BuyAddon(pool="database", gb=30, month=6, month_label="2027-06", origin="y")
    scenarios = [
        Scenario("bridged", (EXTENSION, buy)),
        Scenario("alone", (EXTENSION,)),
    ]
    inputs = make_inputs(licenses(DYN365_FINANCE=20), [PROD])
    ruleset = resolve_ruleset("pooled-2025-12", AS_OF)
    return report_data(comparison=compare(inputs, scenarios, ruleset, AS_OF, 12))


def test_the_whatif_table_and_markdown_say_each_extension(report: ReportData) -> None:
    table = render_whatif_table(report)
    assert f"  bridged: {BRIDGED}\n" in table
    assert f"  alone: {ALONE}\n" in table
    assert table.index("Capacity extensions") < table.index("Findings that differ")
    markdown = render_whatif_markdown(report)
    assert "### Capacity extensions" in markdown
    assert f"- bridged: {BRIDGED}" in markdown


def test_the_html_scenarios_section_has_a_row_per_extension(report: ReportData) -> None:
    page = html_lib.unescape(re.sub(r"\s+", " ", render_html(report)))
    section = page[page.index('id="capacity-extensions"') :]
    rows = re.findall(r"<tr>(.*?)</tr>", section[: section.index("</table>")])
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in rows[1:]]
    assert [c[0] for c in cells] == ["bridged", "alone"]
    assert cells[0][1:5] == ["Database", "2027-04", "47.50 GB", "2027-04 to 2027-05"]
    assert [c[6] for c in cells] == ["Yes", "No"]
    assert (
        cells[1][7]
        == "no purchase or clean-up of Database is planned after it; Database is short in 2027-06"
    )


def test_the_comparison_sheet_lists_them_under_their_scenario(
    report: ReportData, tmp_path: Path
) -> None:
    path = tmp_path / "plan.xlsx"
    write_xlsx(report, path)
    sheet = load_workbook(path)[COMPARISON_SHEET]
    texts = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    listed = texts[texts.index("Scenarios") :]
    order = ["bridged", f"Capacity extension: {BRIDGED}", "alone", f"Capacity extension: {ALONE}"]
    assert [listed.index(text) for text in order] == sorted(listed.index(text) for text in order)


def test_a_plan_without_extensions_says_nothing_of_them() -> None:
    inputs = make_inputs(licenses(DYN365_FINANCE=20), [PROD])
    ruleset = resolve_ruleset("pooled-2025-12", AS_OF)
    buy = BuyAddon(pool="database", gb=30, origin="y", month_label=AS_OF)
    data = report_data(comparison=compare(inputs, [Scenario("buy", (buy,))], ruleset, AS_OF, 12))
    assert "Capacity extension" not in render_whatif_table(data)
    assert 'id="capacity-extensions"' not in render_html(data)
    assert "Capacity extension" not in render_table(data)
