"""What-if scenarios in the reports: the HTML Scenarios section and the Excel Comparison sheet.

Every number is checked against ``comparison_data`` (the ``whatif`` JSON contract). Scenario
names, sources, descriptions and changes come from user files, so they carry markup and a
formula here and have to stay text.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from openpyxl import Workbook, load_workbook
from report_plans import AS_OF, MONTHS, SHORT_ENVIRONMENTS, make_inputs

from planner.cli.output import atomic_write
from planner.model.changes import Scenario
from planner.planning import build_plan
from planner.report.charts import MARKER_SHAPES, comparison_chart, plan_style, value_axis
from planner.report.data import comparison_data, report_data
from planner.report.formatting import gb, money
from planner.report.html import SECTIONS, render_html, report_view
from planner.report.xlsx import COMPARISON_SHEET, SHEETS, write_xlsx
from planner.report.xlsx_writer import GB_FORMAT, MONTH_FORMAT, SIGNED_GB_FORMAT
from planner.results import Comparison, Plan
from planner.ruleset import resolve_ruleset
from planner.scenarios.compare import compare
from planner.scenarios.read import changes_from_flags, read_scenario_file

MARKUP_NAME = "<img src=x onerror=alert(1)>"
MARKUP_SOURCE = "what <i>if</i>.toml"
MARKUP_DESCRIPTION = "<b>more</b> database & a sandbox"
MARKUP_SANDBOX = "<svg onload=alert(2)>"
FORMULA_NAME = "=cmd|'/c calc'!A1"
CHART_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
DRAWING_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"


def scenarios() -> list[Scenario]:
    return [
        Scenario(
            MARKUP_NAME,
            changes_from_flags(
                AS_OF, buy_addon=["database=200"], add_sandbox=[f"{MARKUP_SANDBOX}:2"]
            ),
            MARKUP_DESCRIPTION,
            MARKUP_SOURCE,
        ),
        Scenario(
            FORMULA_NAME, changes_from_flags(AS_OF, growth=["database=12"]), "", "command line"
        ),
    ]


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    ruleset = resolve_ruleset(None, AS_OF)
    return compare(make_inputs(SHORT_ENVIRONMENTS), scenarios(), ruleset, AS_OF, MONTHS)


@pytest.fixture(scope="module")
def data(comparison: Comparison) -> dict[str, Any]:
    return comparison_data(comparison)


@pytest.fixture(scope="module")
def html(comparison: Comparison) -> str:
    return render_html(report_data(comparison.baseline, comparison))


# --------------------------------------------------------------------------------------------
# Reading the page back


class Page(HTMLParser):
    """Elements with their ancestors, and every table's caption and rows of cells.

    In a cell, the text of a ``change`` span (a scenario's difference from the baseline) is kept
    apart from the figure, and visually hidden words are left out of both.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.elements: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.problems: list[str] = []
        self.text: list[str] = []
        self.tables: list[dict[str, Any]] = []
        self.texts: dict[str, list[str]] = {}
        self._open_tables: list[dict[str, Any]] = []
        self._cell: dict[str, Any] | None = None
        self._capture: list[tuple[str, list[str]]] = []

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link", "wbr", "col", "source"})

    def _classes(self) -> list[str]:
        return [c for _, attrs in self.stack for c in (attrs.get("class") or "").split()]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.elements.append((tag, attributes, [t for t, _ in self.stack]))
        if tag in self.VOID:
            return
        self.stack.append((tag, attributes))
        if tag == "table":
            self._open_tables.append({"caption": "", "rows": []})
        elif tag == "tr" and self._open_tables:
            self._open_tables[-1]["rows"].append([])
        elif tag in ("td", "th") and self._open_tables:
            self._cell = {"tag": tag, "text": "", "change": "", "attrs": attributes}
        if tag in ("title", "desc", "text", "caption", "li", "h4", "summary"):
            self._capture.append((tag, []))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs), [t for t, _ in self.stack]))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        if tag in ("td", "th") and self._cell is not None and self._open_tables:
            cell = self._cell
            cell["text"] = " ".join(cell["text"].split())
            cell["change"] = " ".join(cell["change"].split())
            self._open_tables[-1]["rows"][-1].append(cell)
            self._cell = None
        elif tag == "table" and self._open_tables:
            self.tables.append(self._open_tables.pop())
        if self._capture and self._capture[-1][0] == tag:
            name, parts = self._capture.pop()
            text = " ".join("".join(parts).split())
            self.texts.setdefault(name, []).append(text)
            if name == "caption" and self._open_tables:
                self._open_tables[-1]["caption"] = text

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for _, parts in self._capture:
            parts.append(data)
        if self._cell is None:
            return
        classes = self._classes()
        if "visually-hidden" in classes:
            return
        self._cell["change" if "change" in classes else "text"] += data

    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())

    def find(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs, _ in self.elements if name == tag]

    def table(self, caption_start: str) -> dict[str, Any]:
        (found,) = [t for t in self.tables if t["caption"].startswith(caption_start)]
        return found


@pytest.fixture(scope="module")
def page(html: str) -> Page:
    parsed = Page()
    parsed.feed(html)
    parsed.close()
    return parsed


def signed(value: float | None, formatter: Any) -> str:
    if value is None:
        return "-"
    if abs(value) < 1e-9:
        return "no change"
    return ("+" if value > 0 else "-") + formatter(abs(value))


def units(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def plan_names(data: dict[str, Any]) -> list[str]:
    return ["Baseline"] + [s["name"] for s in data["scenarios"]]


def forecast_of(plan: dict[str, Any], pool: str) -> list[dict[str, Any]]:
    return [r for r in plan["forecast"] if r["pool"] == pool]


# --------------------------------------------------------------------------------------------
# HTML


def test_section_follows_what_to_buy(page: Page) -> None:
    assert page.problems == [] and page.stack == []
    ids = [a["id"] for a in page.find("section")]
    expected = [section_id for section_id, _, _ in SECTIONS]
    expected.insert(expected.index("buy") + 1, "scenarios")
    assert ids == expected
    nav = [a["href"] for name, a, stack in page.elements if name == "a" and "nav" in stack]
    assert "#scenarios" in nav
    assert "compared with 2 what-if scenarios" in page.all_text()


def test_without_a_comparison_nothing_changes(short_plan: Plan) -> None:
    view = report_view(report_data(short_plan))
    assert view["comparison"] is None
    assert [s["id"] for s in view["sections"]] == [s for s, _, _ in SECTIONS]
    assert 'id="scenarios"' not in render_html(report_data(short_plan))


def test_scenarios_listed_with_source_and_changes(page: Page, data: dict[str, Any]) -> None:
    headings = page.texts["h4"]
    items = page.texts["li"]
    text = page.all_text()
    for scenario in data["scenarios"]:
        assert scenario["name"] in headings
        assert f"From {scenario['source']}" in text
        for change in scenario["changes"]:
            assert change in items
    assert MARKUP_DESCRIPTION in text


def test_pool_tables_equal_the_comparison_data(page: Page, data: dict[str, Any]) -> None:
    titles = {p["pool"]: p for p in data["baseline"]["capacity"]}
    assert set(titles) == {row["pool"] for row in data["baseline_summary"]}
    summaries = [data["baseline_summary"]] + [s["summary"] for s in data["scenarios"]]
    deltas: list[list[dict[str, Any]] | None] = [None] + [s["delta"] for s in data["scenarios"]]
    for pool_row in data["baseline_summary"]:
        pool = pool_row["pool"]
        table = page.table(f"{report_title(pool)} ({pool}) per plan")
        rows = [r for r in table["rows"] if r and r[0]["tag"] == "th" and r[0]["attrs"]["scope"]]
        body = [r for r in rows if r[0]["attrs"]["scope"] == "row"]
        assert [r[0]["text"] for r in body] == plan_names(data)
        for cells, summary, delta_rows in zip(body, summaries, deltas, strict=True):
            row = next(r for r in summary if r["pool"] == pool)
            shown = [c["text"] for c in cells[1:]]
            assert shown == [
                gb(row["entitled_gb"]),
                gb(row["consumed_gb"]),
                gb(row["available_gb"]),
                gb(row["available_end_gb"]),
                row["first_shortfall"] or "none",
                units(row["addon_units"]),
                money(row["monthly_cost_usd"]),
            ], (pool, cells[0]["text"])
            changes = [c["change"] for c in cells[1:]]
            if delta_rows is None:
                assert changes == [""] * 7
                continue
            delta = next(d for d in delta_rows if d["pool"] == pool)
            moved = delta["first_shortfall"] != delta["baseline_first_shortfall"]
            assert changes == [
                signed(delta["entitled_gb"], gb),
                signed(delta["consumed_gb"], gb),
                signed(delta["available_gb"], gb),
                signed(delta["available_end_gb"], gb),
                f"baseline: {delta['baseline_first_shortfall'] or 'none'}" if moved else "",
                signed(delta["addon_units"], units),
                signed(delta["monthly_cost_usd"], money),
            ], (pool, cells[0]["text"])


def report_title(pool: str) -> str:
    return {p.name: p.title for p in resolve_ruleset(None, AS_OF).pools}[pool]


def test_deltas_are_signed_and_judged(comparison: Comparison) -> None:
    view = report_view(report_data(comparison.baseline, comparison))["comparison"]
    database = next(p for p in view["pools"] if p["pool"] == "database")
    more, faster = database["rows"][1], database["rows"][2]
    # 200 GB of database add-on and a tier 2 sandbox license (10 GB): nothing left to buy.
    assert more["entitled"]["change"] == {"text": "+210.00 GB", "direction": "better"}
    assert more["cost"]["change"]["text"].startswith("-$")
    assert more["cost"]["change"]["direction"] == "better"
    assert more["first_short"]["change"]["direction"] == "better"
    # Faster growth: short sooner, more to buy.
    assert faster["first_short"]["change"]["direction"] == "worse"
    assert faster["units"]["change"]["text"].startswith("+")
    assert faster["units"]["change"]["direction"] == "worse"
    assert faster["entitled"]["change"] == {"text": "no change", "direction": "same"}


def test_one_chart_per_pool_with_one_line_per_plan(page: Page, data: dict[str, Any]) -> None:
    charts = [a for a in page.find("svg") if "comparison-chart" in (a.get("class") or "").split()]
    assert len(charts) == len(data["baseline_summary"])
    ids = {a["id"] for _, a, _ in page.elements if "id" in a}
    plans = len(data["scenarios"]) + 1
    lines = [a for a in page.find("path") if "plan-line" in (a.get("class") or "")]
    assert len(lines) == plans * len(charts)
    markers = [
        a
        for name, a, stack in page.elements
        if name == "path" and "plan-marker" in (a.get("class") or "") and "g" in stack
    ]
    assert len(markers) >= plans * len(charts)
    for line in lines:
        # One unbroken line through every month: a move, then a segment to each next month.
        steps = (line["d"] or "").split()
        assert len(steps) == MONTHS and steps[0].startswith("M")
        assert all(step.startswith("L") for step in steps[1:])
    for chart in charts:
        assert chart["role"] == "img"
        labelled = (chart["aria-labelledby"] or "").split()
        assert len(labelled) == 2 and set(labelled) <= ids
    texts = page.texts["text"]
    assert "Month" in texts and "GB available" in texts and "0 GB" in texts
    assert "Below 0 GB: short" in texts  # the baseline runs short: the zero line matters
    for name in plan_names(data):
        assert name in texts  # the legend
    titles = [t for t in page.texts["title"] if "one line per plan" in t]
    assert len(titles) == len(charts)
    zero_lines = [a for a in page.find("line") if a.get("class") == "zero-line"]
    assert len(zero_lines) == len(charts)


def test_chart_data_tables_equal_the_forecasts(page: Page, data: dict[str, Any]) -> None:
    plans = [data["baseline"]] + [s["plan"] for s in data["scenarios"]]
    for pool_row in data["baseline_summary"]:
        pool = pool_row["pool"]
        table = page.table(f"{report_title(pool)} ({pool}): available capacity by month")
        header, *body = table["rows"]
        assert [c["text"] for c in header] == ["Month", *plan_names(data)]
        assert len(body) == MONTHS
        columns = [forecast_of(plan, pool) for plan in plans]
        for position, cells in enumerate(body):
            assert cells[0]["text"] == columns[0][position]["month"]
            assert [c["text"] for c in cells[1:]] == [
                gb(column[position]["available_gb"]) for column in columns
            ]


def test_findings_that_differ(page: Page, data: dict[str, Any]) -> None:
    baseline = {(f["code"], f["subject"]) for f in data["baseline"]["findings"]}
    first, second = data["scenarios"]
    new = [f for f in first["plan"]["findings"] if (f["code"], f["subject"]) not in baseline]
    after = {(f["code"], f["subject"]) for f in first["plan"]["findings"]}
    gone = [f for f in data["baseline"]["findings"] if (f["code"], f["subject"]) not in after]
    assert new and gone, "the first scenario adds findings and clears others"
    table = page.table(f"What {first['name']} raises")
    rows = [[c["text"] for c in r] for r in table["rows"][1:]]
    assert sorted((r[0], r[2], r[3], r[5]) for r in rows) == sorted(
        [("New", f["code"], f["subject"], f["message"]) for f in new]
        + [("No longer raised", f["code"], f["subject"], f["message"]) for f in gone]
    )
    # The second scenario only grows faster: the same findings, worse numbers.
    assert {(f["code"], f["subject"]) for f in second["plan"]["findings"]} == baseline
    assert not [t for t in page.tables if t["caption"].startswith(f"What {second['name']}")]
    assert "The same findings as the baseline." in page.all_text()


def test_scenario_text_stays_text(html: str, page: Page) -> None:
    for raw in (MARKUP_NAME, MARKUP_SOURCE, MARKUP_DESCRIPTION, MARKUP_SANDBOX):
        assert raw not in html
        assert raw in page.all_text()
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert page.find("img") == [] and page.find("i") == [] and page.find("b") == []
    assert page.find("script") == []
    assert all(not name.startswith("on") for _, a, _ in page.elements for name in a)
    svg_classes = {(a.get("class") or "").split()[0] for a in page.find("svg")}
    assert svg_classes <= {"chart", "swatch", "icon"}
    for name, attrs, _ in page.elements:
        if attrs.get("href") is not None:
            assert name == "a", name


def test_every_header_cell_has_a_scope(page: Page) -> None:
    assert all(a.get("scope") in ("col", "colgroup", "row", "rowgroup") for a in page.find("th"))


def test_plan_must_be_the_baseline(comparison: Comparison, tmp_path: Path) -> None:
    other = build_plan(make_inputs(SHORT_ENVIRONMENTS), resolve_ruleset(None, AS_OF), AS_OF, 12)
    with pytest.raises(ValueError, match="baseline"):
        report_data(other, comparison)


def test_a_renewal_into_another_rule_set(tmp_path: Path) -> None:
    """A scenario that switches rule sets has figures from its switch month, and pools of its
    own: its line of a baseline pool stops at the switch, its own pools get tables and charts."""
    file = tmp_path / "renew.toml"
    file.write_text(
        'name = "Renew"\n[[changes]]\nkind = "switch_rules"\nrules = "split-2023"\n'
        'month = "2026-07"\n',
        encoding="utf-8",
    )
    scenario = read_scenario_file(file, AS_OF, MONTHS)
    result = compare(
        make_inputs(SHORT_ENVIRONMENTS), [scenario], resolve_ruleset(None, AS_OF), AS_OF, MONTHS
    )
    data = comparison_data(result)
    (entry,) = data["scenarios"]
    page = Page()
    page.feed(render_html(report_data(result.baseline, result)))
    page.close()
    assert page.problems == []
    label = "Renew (from 2026-07)"
    before = forecast_of(entry["plan_before_switch"], "database")
    table = page.table(f"{report_title('database')} (database): available capacity by month")
    header, *body = table["rows"]
    assert [c["text"] for c in header] == ["Month", "Baseline", label]
    assert [row[2]["text"] for row in body] == [gb(r["available_gb"]) for r in before] + ["-"] * (
        MONTHS - len(before)
    )
    own = [r["pool"] for r in entry["summary"] if r["pool"] not in {"database", "file", "log"}]
    assert own, "the older rule set splits pools differently"
    titles = {p.name: p.title for p in resolve_ruleset("split-2023", AS_OF).pools}
    for pool in own:
        body = page.table(f"{titles[pool]} ({pool}) per plan")["rows"][2:]
        assert [row[0]["text"] for row in body] == [label]
    charts = [a for a in page.find("svg") if "comparison-chart" in (a.get("class") or "")]
    assert len(charts) == len({r["pool"] for r in data["baseline_summary"] + entry["summary"]})
    assert label in page.texts["text"]

    target = tmp_path / "renew.xlsx"
    write_xlsx(report_data(result.baseline, result), target)
    ws = load_workbook(target)[COMPARISON_SHEET]
    plans = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
    assert plans.count(label) == len(entry["summary"])
    assert len(_comparison_charts(target)) == len(charts)


def test_unpriced_and_unknown_figures(tmp_path: Path) -> None:
    """The older rule set prices no log add-on: cost and its delta say so instead of a number."""
    ruleset = resolve_ruleset("split-2023", AS_OF)
    result = compare(
        make_inputs(SHORT_ENVIRONMENTS),
        [Scenario("more", changes_from_flags(AS_OF, add_licenses=["DYN365_FINANCE=5"]))],
        ruleset,
        AS_OF,
        MONTHS,
    )
    data = comparison_data(result)
    assert any(r["monthly_cost_usd"] is None for r in data["baseline_summary"])
    view = report_view(report_data(result.baseline, result))["comparison"]
    cells = [row["cost"] for pool in view["pools"] for row in pool["rows"]]
    assert {"text": "unpriced", "change": None} in cells
    assert any(c["change"] == {"text": "-", "direction": "unknown"} for c in cells)
    target = tmp_path / "split.xlsx"
    write_xlsx(report_data(result.baseline, result), target)
    values = [c.value for row in load_workbook(target)[COMPARISON_SHEET].iter_rows() for c in row]
    assert "unpriced" in values


# --------------------------------------------------------------------------------------------
# Chart geometry


def test_value_axis_shows_zero_and_every_value() -> None:
    low, high, step, digits = value_axis(-132.5, 283.5)
    assert (low, step, digits) == (-200.0, 100.0, 0) and high >= 283.5
    assert (high - low) / step == round((high - low) / step)
    low, high, _, _ = value_axis(-9.01, 0.0)
    assert low <= -9.01 and high > 0  # room above a line that runs at 0 GB
    assert value_axis(0.0, 0.0) == (0.0, 1.0, 1.0, 0)
    assert value_axis(10.0, 40.0)[0] == 0.0


def test_comparison_chart_geometry() -> None:
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    series = [
        {"name": "Baseline", "values": [50.0 - 10 * m for m in range(12)]},
        {"name": "x" * 90, "values": [50.0] * 12},
        {"name": "Third", "values": [50.0] * 12},
    ]
    chart = comparison_chart(months, series)
    plot = chart["plot"]
    assert chart["y_ticks"][0]["label"].startswith("-") and "0 GB" in [
        t["label"] for t in chart["y_ticks"]
    ]
    assert plot["top"] < chart["zero_y"] < plot["bottom"]
    assert chart["short_band"]["y"] == chart["zero_y"]
    for line in chart["lines"]:
        for point in line["path"].split():
            x, y = (float(v) for v in point[1:].split(","))
            assert plot["left"] <= x <= plot["right"] and plot["top"] <= y <= plot["bottom"]
    styles = {(line["style"], line["shape"]) for line in chart["lines"]}
    assert len(styles) == 3
    # Lines on top of each other still show their own markers: on other months.
    starts = [line["markers"].split("M")[1].split(",")[0] for line in chart["lines"][1:]]
    assert starts[0] != starts[1]
    legend = [item for item in chart["legend"] if item["key"] == "plan"]
    assert legend[1]["name"].endswith("…") and legend[1]["full_name"] == "x" * 90
    assert max(item["x"] for item in chart["legend"]) < chart["width"]
    assert len({item["y"] for item in chart["legend"]}) >= 2  # the long name wrapped a row


def test_single_month_and_many_plans() -> None:
    chart = comparison_chart(["2026-01"], [{"name": "a", "values": [0.0]}])
    assert chart["lines"][0]["markers"]  # a single month shows as a marker
    looks = {plan_style(index) for index in range(36)}
    assert len(looks) == 36 and {shape for _, shape in looks} == set(MARKER_SHAPES)


# --------------------------------------------------------------------------------------------
# Excel


@pytest.fixture(scope="module")
def book_file(comparison: Comparison, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("scenarios") / "plan.xlsx"
    data = report_data(comparison.baseline, comparison)
    atomic_write(target, lambda path: write_xlsx(data, path))
    return target


@pytest.fixture(scope="module")
def book(book_file: Path) -> Workbook:
    return load_workbook(book_file)


def test_comparison_sheet_after_the_summary(book: Workbook) -> None:
    assert book.sheetnames == [SHEETS[0], COMPARISON_SHEET, *SHEETS[1:]]
    ws = book[COMPARISON_SHEET]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    summary = [c.value for row in book["Summary"].iter_rows() for c in row if c.value]
    assert any(isinstance(v, str) and "Comparison sheet" in v for v in summary)


def test_comparison_table_equals_the_comparison_data(book: Workbook, data: dict[str, Any]) -> None:
    ws = book[COMPARISON_SHEET]
    header = [c.value for c in ws[1]]
    expected_rows = []
    for name, summary, deltas in [("Baseline", data["baseline_summary"], None)] + [
        (s["name"], s["summary"], s["delta"]) for s in data["scenarios"]
    ]:
        for row in summary:
            delta = None if deltas is None else next(d for d in deltas if d["pool"] == row["pool"])
            expected_rows.append((name, row, delta))
    column = {title: index + 1 for index, title in enumerate(header)}
    for number, (name, row, delta) in enumerate(expected_rows, start=2):

        def cell(title: str, number: int = number) -> Any:
            return ws.cell(row=number, column=column[title])

        assert cell("Plan").value == name and cell("Pool").value == row["pool"]
        for title, key in (
            ("Entitled GB", "entitled_gb"),
            ("Consumed GB", "consumed_gb"),
            ("Available GB", "available_gb"),
            ("Available GB at end", "available_end_gb"),
        ):
            assert cell(title).value == pytest.approx(row[key], abs=1e-9)
            assert cell(title).number_format == GB_FORMAT
        assert cell("Add-on units").value == row["addon_units"]
        assert cell("Cost per month (USD)").value == pytest.approx(row["monthly_cost_usd"])
        short = cell("First month short")
        if row["first_shortfall"] is None:
            assert short.value == "none"
        else:
            assert isinstance(short.value, dt.datetime) and short.number_format == MONTH_FORMAT
            assert short.value.strftime("%Y-%m") == row["first_shortfall"]
        for title, key in (
            ("Δ entitled GB", "entitled_gb"),
            ("Δ consumed GB", "consumed_gb"),
            ("Δ available GB", "available_gb"),
            ("Δ available GB at end", "available_end_gb"),
            ("Δ add-on units", "addon_units"),
            ("Δ cost per month (USD)", "monthly_cost_usd"),
        ):
            if delta is None:
                assert cell(title).value is None
            else:
                assert cell(title).value == pytest.approx(delta[key], abs=1e-9), (name, title)
        if delta is not None:
            assert cell("Δ available GB").number_format == SIGNED_GB_FORMAT
    assert ws.cell(row=len(expected_rows) + 2, column=1).value is None


def test_available_by_month(book: Workbook, data: dict[str, Any]) -> None:
    ws = book[COMPARISON_SHEET]
    title_row = next(
        r
        for r in range(1, ws.max_row + 1)
        if ws.cell(row=r, column=1).value == "Available GB by month"
    )
    header_row = title_row + 2
    pools = [r["pool"] for r in data["baseline_summary"]]
    names = plan_names(data)
    assert ws.cell(row=header_row, column=1).value == "Month"
    assert [ws.cell(row=header_row, column=c).value for c in range(2, 2 + len(names))] == names
    for position, pool in enumerate(pools):
        assert f"({pool})" in ws.cell(row=title_row + 1, column=2 + position * len(names)).value
    plans = [data["baseline"]] + [s["plan"] for s in data["scenarios"]]
    for position, pool in enumerate(pools):
        for k, plan in enumerate(plans):
            column = 2 + position * len(names) + k
            for offset, record in enumerate(forecast_of(plan, pool)):
                row = header_row + 1 + offset
                month = ws.cell(row=row, column=1)
                assert isinstance(month.value, dt.datetime) and month.number_format == MONTH_FORMAT
                assert month.value.strftime("%Y-%m") == record["month"]
                value = ws.cell(row=row, column=column)
                assert value.value == pytest.approx(record["available_gb"], abs=1e-9)
                assert value.number_format == GB_FORMAT


def _comparison_charts(book_file: Path) -> list[ElementTree.Element]:
    with zipfile.ZipFile(book_file) as archive:
        trees = [
            ElementTree.fromstring(archive.read(name))
            for name in archive.namelist()
            if name.startswith("xl/charts/chart")
        ]
    return [
        tree
        for tree in trees
        if any(
            (f.text or "").startswith(f"'{COMPARISON_SHEET}'!")
            for f in tree.iter(f"{{{CHART_NS}}}f")
        )
    ]


def test_one_line_chart_per_pool_with_a_series_per_plan(
    book: Workbook, book_file: Path, data: dict[str, Any]
) -> None:
    charts = _comparison_charts(book_file)
    assert len(charts) == len(data["baseline_summary"])
    sheet = book[COMPARISON_SHEET]
    for tree in charts:
        assert tree.find(f".//{{{CHART_NS}}}lineChart") is not None
        assert tree.find(f".//{{{CHART_NS}}}dateAx") is not None
        series = tree.findall(f".//{{{CHART_NS}}}ser")
        assert len(series) == len(data["scenarios"]) + 1
        # Each series is named by its plan's header cell (text, never a formula of its own),
        # and the file keeps the name it shows.
        names = []
        for s in series:
            reference = s.find(f"{{{CHART_NS}}}tx/{{{CHART_NS}}}strRef/{{{CHART_NS}}}f")
            shown = s.find(f"{{{CHART_NS}}}tx/{{{CHART_NS}}}strRef//{{{CHART_NS}}}v")
            assert reference is not None and shown is not None
            match = re.fullmatch(rf"'{COMPARISON_SHEET}'!\$([A-Z]+)\$(\d+)", reference.text or "")
            assert match, reference.text
            header = sheet[f"{match[1]}{match[2]}"]
            assert header.data_type == "s" and header.value == shown.text
            names.append(shown.text)
        assert names == plan_names(data)
        # Told apart in greyscale: each plan its own marker and dash pattern.
        symbols = {_value(s, f".//{{{CHART_NS}}}symbol") for s in series}
        dashes = {_value(s, f".//{{{DRAWING_NS}}}prstDash") for s in series}
        assert len(symbols) == len(series) and len(dashes) == len(series)


def _value(element: ElementTree.Element, path: str) -> str | None:
    found = element.find(path)
    return None if found is None else found.get("val")


def test_formula_like_names_stay_text(book: Workbook, book_file: Path) -> None:
    ws = book[COMPARISON_SHEET]
    cells = [c for row in ws.iter_rows() for c in row if c.value == FORMULA_NAME]
    assert cells, "the scenario's name is on the sheet"
    assert all(c.data_type == "s" for c in cells)
    assert all(c.quotePrefix for c in cells)  # and stays text when someone edits it
    with zipfile.ZipFile(book_file) as archive:
        for name in archive.namelist():
            if not name.endswith(".xml"):
                continue
            xml = archive.read(name).decode()
            formulas = [part.split("</")[0] for part in xml.split("<f>")[1:]]
            formulas += [part.split("</")[0] for part in xml.split("<c:f>")[1:]]
            assert not any("cmd" in f for f in formulas), name
