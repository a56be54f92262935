"""Tables (CSV text and workbooks) with one cell changed, and grids made up from scratch.

tests/ingest/test_fuzz.py flips bytes of the samples and puts random text under known headers;
these tests change one *cell* of a complete, valid table (the header included), so every column
reader and every cross-column rule (tiers only on sandboxes, linked_to naming a Dataverse row,
unique names) meets hostile values inside an otherwise good file, as CSV and as XLSX. Accepted
tables are planned and rendered, to show that what ingest lets through cannot crash the engine.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json

import openpyxl
import pytest
from hypothesis import given, reject
from hypothesis import strategies as st

from planner.model.inputs import ACTUAL_COLUMNS, GROWTH_COLUMNS, USAGE_COLUMNS
from planner.planning import build_plan
from planner.report.data import report_data
from planner.report.json_report import render_json
from planner.report.text import render_markdown, render_table
from planner.ruleset import resolve_ruleset

from .support import NUMBERISH, cells, fuzz_settings, read

INVENTORY_HEADER = [
    "name",
    "type",
    "tier",
    "power_platform",
    "linked_to",
    "org_url",
    *USAGE_COLUMNS,
    *ACTUAL_COLUMNS,
    *GROWTH_COLUMNS,
]


def inventory_row(name: str, kind: str, tier: str, state: str, linked: str, size: str) -> list[str]:
    sizes = [size] * len(USAGE_COLUMNS) + [size] * len(ACTUAL_COLUMNS)
    growth = ["0.1"] * len(GROWTH_COLUMNS)
    url = f"https://{name.lower()}.crm.dynamics.com" if kind.startswith("dataverse") else ""
    return [name, kind, tier, state, linked, url, *sizes, *growth]


SEEDS: dict[str, list[list[str]]] = {
    "inventory": [
        INVENTORY_HEADER,
        inventory_row("PROD", "production", "", "integrated", "", "40"),
        inventory_row("UAT", "sandbox", "Tier 2", "initial", "", "20"),
        inventory_row("TRAIN", "addon_sandbox", "3", "linked_existing", "CE", "5"),
        inventory_row("DEV", "cloud_hosted_dev", "", "none", "", ""),
        inventory_row("CE", "dataverse_production", "", "", "", "3.5"),
        inventory_row("Default", "default", "", "", "", "1"),
    ],
    "planning": [
        ["sku", "quantity", "display_name", "sku_id"],
        ["DYN365_FINANCE", "25", "Dynamics 365 Finance", "00000000-0000-0000-0000-0000000000a1"],
        ["DYN365_SCM", "10", "Supply Chain", ""],
        ["CDS_DB_CAPACITY", "4", "Dataverse database add-on", ""],
    ],
    "mg": [
        ["SkuPartNumber", "SkuId", "ActiveUnits", "WarningUnits", "ConsumedUnits", "DisplayName"],
        ["DYN365_FINANCE", "00000000-0000-0000-0000-0000000000a1", "25", "0", "20", "Finance"],
        ["DYN365_TEAM_MEMBERS", "00000000-0000-0000-0000-0000000000a2", "50", "2", "41", ""],
    ],
    "msol": [
        ["AccountSkuId", "ActiveUnits", "WarningUnits", "ConsumedUnits"],
        ["contoso:DYN365_FINANCE", "25", "0", "20"],
        ["contoso:DYN365_SCM", "10", "1", "9"],
    ],
}
# Other spellings a header cell may take: aliases of other columns, near misses, capacity-like.
HEADER_CELLS = (
    "Name",
    "environment_type",
    "sandbox_tier",
    "quantity",
    "qty",
    "sku",
    "AccountSkuId",
    "SkuPartNumber",
    "dataverse_databse_gb",
    "growth",
    "date",
    "",
)
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16")


def serialise(rows: list[list[str]], delimiter: str, encoding: str, quoting: int) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


@st.composite
def one_cell_changed(draw: st.DrawFn, seeds: tuple[str, ...] = tuple(SEEDS)) -> list[list[str]]:
    rows = [list(row) for row in SEEDS[draw(st.sampled_from(seeds))]]
    for _ in range(draw(st.integers(1, 2))):
        row = draw(st.integers(0, len(rows) - 1))
        column = draw(st.integers(0, len(rows[row]) - 1))
        replacement = st.sampled_from(HEADER_CELLS) | cells if row == 0 else cells
        rows[row][column] = draw(replacement)
    return rows


# 300 generated files, several seconds: CI runs it (slow); test_made_up_grids and
# test_what_is_accepted_can_be_planned_and_rendered fuzz the CSV reader in a bare run.
@pytest.mark.slow
@fuzz_settings(300)
@given(
    one_cell_changed(),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(ENCODINGS),
    st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
)
def test_csv_with_one_cell_changed(
    rows: list[list[str]], delimiter: str, encoding: str, quoting: int
) -> None:
    read(serialise(rows, delimiter, encoding, quoting), ".csv")


@fuzz_settings(200)
@given(
    st.lists(st.sampled_from([*SEEDS["inventory"][0], *SEEDS["mg"][0], *HEADER_CELLS]), max_size=8),
    st.lists(st.lists(cells, max_size=9), max_size=6),
    st.sampled_from(["", "#TYPE Microsoft.Graph\r\n", "sep=;\r\n", "\r\n\r\n", "sep=|\n"]),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["\r\n", "\n", "\r"]),
    st.sampled_from([codecs.BOM_UTF8, b""]),
)
def test_made_up_grids(
    header: list[str],
    body: list[list[str]],
    preamble: str,
    delimiter: str,
    line_end: str,
    bom: bytes,
) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=line_end).writerows([header, *body])
    read(bom + (preamble + buffer.getvalue()).encode("utf-8"), ".txt")


# Typed cell values a workbook can hold (what openpyxl writes and reads back).
workbook_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2100, 1, 1)),
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)),
    st.times(),
    st.sampled_from(NUMBERISH),
    st.sampled_from(["=1/0", "=NA()", "#N/A", "#DIV/0!", "=A1", "  7  "]),
    st.text(st.characters(exclude_categories=["Cs", "Cc"]), max_size=10),
)


def workbook_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def typed(text: str) -> object:
    """A seed cell as Excel would store it: numbers as numbers, blanks empty."""
    if text == "":
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


@fuzz_settings(60)
@given(
    st.sampled_from(sorted(SEEDS)),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
    workbook_values,
    st.integers(0, 3),
    st.booleans(),
)
def test_workbook_with_one_cell_changed(
    seed: str, row: int, column: int, value: object, title_rows: int, second_sheet: bool
) -> None:
    rows: list[list[object]] = [[typed(cell) for cell in line] for line in SEEDS[seed]]
    row %= len(rows)
    rows[row][column % len(rows[row])] = value
    sheets = {"Data": [["Exported from the admin center"]] * title_rows + rows}
    if second_sheet:
        sheets["Notes"] = [["owner", "note"], ["IT", '=HYPERLINK("x")']]
    try:
        data = workbook_bytes(sheets)
    except (ValueError, TypeError):
        reject()  # openpyxl cannot write this value; nothing for the reader to read
    read(data, ".xlsx")


RULES = resolve_ruleset(None, "2026-12")


@fuzz_settings(40)
@given(one_cell_changed(("inventory", "planning")), st.sampled_from([",", ";"]))
def test_what_is_accepted_can_be_planned_and_rendered(
    rows: list[list[str]], delimiter: str
) -> None:
    inputs = read(serialise(rows, delimiter, "utf-8", csv.QUOTE_MINIMAL), ".csv")
    if inputs is None:
        return
    plan = build_plan(inputs, RULES, "2026-12", 12)
    for text in (render_table(report_data(plan), colour=False), render_markdown(report_data(plan))):
        text.encode("utf-8")
    document = json.loads(render_json(report_data(plan)), parse_constant=not_a_number)
    for month in document["forecast"]:
        assert month["consumed_gb"] >= 0 and month["entitled_gb"] >= 0, month


def not_a_number(name: str) -> None:
    raise AssertionError(f"the plan JSON holds {name}")
