"""The HTML report: the JSON's numbers, escaped input text, self-contained, accessible."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from browser import find_browser, print_pdf
from report_plans import FORMULA_NAME, MARKUP_FILE, SCRIPT_NAME

from planner.cli.output import atomic_write_text
from planner.model.inputs import Inputs, environment_frame, license_frame
from planner.planning import COMBINE_WORDS, build_plan, plan
from planner.report.charts import (
    LABELS_FROM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    TICK_GAP,
    comparison_chart,
    forecast_chart,
    label_width,
    nice_step,
)
from planner.report.data import report_data
from planner.report.formatting import gb, money
from planner.report.html import (
    FINDINGS_ON_PAGE,
    FINDINGS_ON_PAGE_PER_CODE_AT_LEAST,
    FINDINGS_SHOWN_PER_CODE,
    LARGEST_SHOWN,
    LICENSES_SHOWN,
    SECTIONS,
    WITH_FINDINGS_SHOWN,
    _findings_view,
    environment,
    render_html,
    report_view,
    safe_href,
)
from planner.report.json_report import render_json
from planner.report.words import format_words
from planner.resources import bundled_dir
from planner.results import Plan
from planner.ruleset import resolve_ruleset

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


class Page(HTMLParser):
    """Parses a page strictly enough to catch unbalanced tags, and keeps what the tests need."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.elements: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.text: list[str] = []
        self.visible: list[str] = []  # what a reader sees: no stylesheet, no SVG titles
        self.texts_in: dict[str, list[str]] = {}
        self._capture: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs), list(self.stack)))
        if tag not in VOID:
            self.stack.append(tag)
        if tag in ("title", "desc", "th", "td", "text", "caption"):
            self._capture.append((tag, []))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs), list(self.stack)))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        if self._capture and self._capture[-1][0] == tag:
            name, parts = self._capture.pop()
            self.texts_in.setdefault(name, []).append(" ".join("".join(parts).split()))

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if not self.stack or self.stack[-1] not in ("style", "title", "desc"):
            self.visible.append(data)
        for _, parts in self._capture:
            parts.append(data)

    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())

    def visible_text(self) -> str:
        return " ".join(" ".join(self.visible).split())

    def find(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs, _ in self.elements if name == tag]


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


@pytest.fixture(scope="module")
def short_html(short_plan: Plan) -> str:
    return render_html(report_data(short_plan))


@pytest.fixture(scope="module")
def short_page(short_html: str) -> Page:
    return parse(short_html)


@pytest.fixture(scope="module")
def short_json(short_plan: Plan) -> dict[str, Any]:
    return json.loads(render_json(report_data(short_plan)))


def test_well_formed(short_page: Page) -> None:
    assert short_page.problems == []
    assert short_page.stack == []


def test_document_basics(short_html: str, short_page: Page) -> None:
    assert short_html.startswith("<!DOCTYPE html>")
    (html,) = short_page.find("html")
    assert html["lang"] == "en"
    assert any(m.get("charset") == "utf-8" for m in short_page.find("meta"))
    policy = [
        m for m in short_page.find("meta") if m.get("http-equiv") == "Content-Security-Policy"
    ]
    assert policy and "default-src 'none'" in (policy[0]["content"] or "")
    assert short_page.texts_in["title"][0].startswith("Capacity plan")


def test_sections_in_order(short_page: Page) -> None:
    ids = [a["id"] for a in short_page.find("section")]
    assert ids == [section_id for section_id, _, _ in SECTIONS]
    nav = [a["href"] for name, a, stack in short_page.elements if name == "a" and "nav" in stack]
    assert nav == [f"#{section_id}" for section_id in ids]


def test_capacity_numbers_match_the_json(short_page: Page, short_json: dict[str, Any]) -> None:
    cells = set(short_page.texts_in["td"])
    for pool in short_json["capacity"]:
        for key in ("entitled_gb", "available_gb"):
            assert gb(pool[key]) in cells, (pool["pool"], key)
        # A pool with unmeasured usage gets a marker after its consumed figure.
        assert any(cell.startswith(gb(pool["consumed_gb"])) for cell in cells)


def test_forecast_numbers_match_the_json(short_page: Page, short_json: dict[str, Any]) -> None:
    rows = set(short_page.texts_in["td"])
    months = set(short_page.texts_in["th"])
    for record in short_json["forecast"]:
        assert record["month"] in months
        assert gb(record["entitled_gb"]) in rows
        assert gb(record["consumed_gb"]) in rows
        assert gb(record["available_gb"]) in rows


def test_shortfalls_and_costs(short_page: Page, short_json: dict[str, Any]) -> None:
    text = short_page.all_text()
    assert short_json["shortfalls"], "the short plan must run short"
    cells = set(short_page.texts_in["td"])
    for shortfall in short_json["shortfalls"]:
        assert f"Short from {shortfall['first_month']}" in text
        assert gb(shortfall["peak_deficit_gb"]) in text
        assert f"short from {shortfall['first_month']}" in short_page.texts_in["text"]
    # What to buy shows the plan's purchases (with --buffer and --buy-at), and their cost.
    for purchase in short_json["purchases"]:
        assert f"{purchase['units']:,}" in cells
        assert purchase["buy_month"] in cells
        assert money(purchase["monthly_cost_usd"]) in cells
        assert money(purchase["horizon_cost_usd"]) in cells
    total = sum(p["monthly_cost_usd"] for p in short_json["purchases"])
    assert money(total) in text
    assert money(total * 12) in text


def test_unpriced_shortfall_says_so(split_plan: Plan) -> None:
    page = parse(render_html(report_data(split_plan)))
    data = json.loads(render_json(report_data(split_plan)))
    assert any(s["monthly_cost_usd"] is None for s in data["shortfalls"])
    assert "unpriced" in page.texts_in["td"]
    assert "plus unpriced add-ons for" in page.all_text()


def test_entitlement_and_consumption_lines(short_page: Page, short_json: dict[str, Any]) -> None:
    cells = set(short_page.texts_in["td"])
    for line in short_json["entitlement"]:
        assert gb(line["gb"]) in cells
        assert gb(line["per_unit_gb"]) in cells
    for line in short_json["consumption"]:
        expected = "unknown" if line["confidence"] == "unknown" else gb(line["gb"])
        assert expected in cells
        assert line["basis"] in cells
    links = [a["href"] for a in short_page.find("a") if (a["href"] or "").startswith("http")]
    assert set(links) >= {line["source"] for line in short_json["entitlement"] if line["source"]}


def test_unknown_usage_is_not_shown_as_zero(short_plan: Plan, short_json: dict[str, Any]) -> None:
    view = report_view(report_data(short_plan))
    unknown = [line for line in short_json["consumption"] if line["confidence"] == "unknown"]
    assert unknown, "the short plan has unmeasured usage without an estimate"
    groups = view["consumption"]["largest"]
    assert view["consumption"]["every"]  # a small tenant: every environment on the page
    shown = [line for group in groups for line in group["lines"] if line["unknown"]]
    assert len(shown) == len(unknown)
    assert all(line["gb"] == "unknown" for line in shown)


def test_findings_grouped_by_severity(short_page: Page, short_json: dict[str, Any]) -> None:
    text = short_page.all_text()
    for finding in short_json["findings"]:
        assert finding["message"] in text
    captions = [c for c in short_page.texts_in["caption"] if c.endswith("findings")]
    assert captions == ["Error findings", "Warning findings", "Info findings"]


def test_assumptions_inputs_and_rule_set(short_page: Page, short_json: dict[str, Any]) -> None:
    text = short_page.all_text()
    for assumption in short_json["assumptions"]:
        assert assumption["reason"] in text
    for source in short_json["inputs"]:
        assert Path(source["path"]).name in text and format_words(source["format"]) in text
    for value in (
        short_json["ruleset"],
        short_json["ruleset_title"],
        short_json["ruleset_effective_from"],
        COMBINE_WORDS[short_json["defaults_combine"]],
    ):
        assert value in text


def test_input_text_stays_text(short_html: str, short_page: Page) -> None:
    assert short_page.find("script") == []
    assert SCRIPT_NAME not in short_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in short_html
    assert SCRIPT_NAME in short_page.all_text()
    assert MARKUP_FILE not in short_html and MARKUP_FILE in short_page.all_text()
    assert short_page.find("b") == []
    assert FORMULA_NAME in short_page.all_text()


def test_nothing_loaded_from_anywhere(short_html: str, short_page: Page) -> None:
    for tag in ("script", "link", "img", "iframe", "object", "embed", "audio", "video", "base"):
        assert short_page.find(tag) == [], tag
    assert all("src" not in attrs for _, attrs, _ in short_page.elements)
    for name, attrs, _ in short_page.elements:
        href = attrs.get("href")
        if href is not None:
            # Only in-page anchors and links to the rule sources, which nothing loads.
            assert name == "a" and (href.startswith("#") or href.startswith("https://")), href
    assert "@import" not in short_html and "@font-face" not in short_html
    assert re.findall(r"url\((?!#)", short_html) == []


def test_every_header_cell_has_a_scope(short_page: Page) -> None:
    headers = short_page.find("th")
    assert headers
    assert all(attrs.get("scope") in ("col", "row", "rowgroup") for attrs in headers)


def test_charts_are_sized_labelled_and_backed_by_data(
    short_page: Page, short_json: dict[str, Any]
) -> None:
    charts = [a for a in short_page.find("svg") if "chart" in (a.get("class") or "").split()]
    assert len(charts) == len(short_json["capacity"])
    ids = {a["id"] for _, a, _ in short_page.elements if "id" in a}
    for chart in charts:
        assert chart["role"] == "img"
        # No fixed size: the chart scales to its column, keeping the shape of its viewBox.
        assert "width" not in chart and "height" not in chart
        assert len((chart["viewbox"] or "").split()) == 4
        labelled = (chart["aria-labelledby"] or "").split()
        assert len(labelled) == 2 and set(labelled) <= ids
    assert len(short_page.texts_in["desc"]) == len(charts)
    assert all("GB" in desc for desc in short_page.texts_in["desc"])
    tick_labels = short_page.texts_in["text"]
    assert short_json["as_of"] in tick_labels and "Month" in tick_labels and "GB" in tick_labels
    data_tables = [c for c in short_page.texts_in["caption"] if c.endswith("by month")]
    assert len(data_tables) == len(charts)


def test_borrowing_draws_the_line_a_pool_is_measured_against(split_plan: Plan) -> None:
    view = report_view(report_data(split_plan))
    keys = {
        pool["pool"]: [line["key"] for line in pool["chart"]["lines"]] for pool in view["forecasts"]
    }
    assert "after-borrowing" in keys["dataverse_log"]
    assert "after-borrowing" not in keys["operations_database"]


def test_clear_plan_has_nothing_to_buy(clear_plan: Plan) -> None:
    page = parse(render_html(report_data(clear_plan)))
    assert page.problems == []
    text = page.all_text()
    assert "nothing to buy" in text
    assert not any(t.startswith("short from") for t in page.texts_in["text"])
    assert "No findings." in text


def test_printable(short_html: str) -> None:
    assert "@page { size: A4" in short_html
    assert "break-before: page" not in short_html  # sections follow on, no half-empty pages
    assert "table-header-group" in short_html  # a table's header repeats on every page
    assert "break-inside: avoid" in short_html


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://learn.microsoft.com/x", "https://learn.microsoft.com/x"),
        ("http://example.org/a", "http://example.org/a"),
        ("javascript:alert(1)", None),
        (" JavaScript:alert(1)", None),
        ("data:text/html,<b>x</b>", None),
        ("file:///etc/passwd", None),
        ("", None),
        (None, None),
    ],
)
def test_only_web_addresses_become_links(url: str | None, expected: str | None) -> None:
    assert safe_href(url) == expected


def test_templates_come_from_the_bundled_folder() -> None:
    assert environment().autoescape is True
    assert (bundled_dir("templates") / "report.html.j2").is_file()


@pytest.mark.parametrize(
    ("span", "step"),
    [(400.0, 100.0), (2.0, 0.5), (269.0, 100.0), (12.5, 2.5), (0.0, 1.0), (1.0, 0.2)],
)
def test_nice_step(span: float, step: float) -> None:
    assert nice_step(span) == pytest.approx(step)


def test_chart_geometry_stays_inside_the_frame() -> None:
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    chart = forecast_chart(
        months,
        [
            {"key": "entitled", "name": "Entitled", "values": [100.0] * 12},
            {"key": "consumed", "name": "Consumed", "values": [80.0 + 5 * m for m in range(12)]},
        ],
        [80.0 + 5 * m > 100.0 for m in range(12)],
        "2026-06",
    )
    plot = chart["plot"]
    for line in chart["lines"]:
        for point in line["points"].split():
            x, y = (float(v) for v in point.split(","))
            assert plot["left"] <= x <= plot["right"] and plot["top"] <= y <= plot["bottom"]
    # The lines lie between 80 and 135 GB: the axis starts near them, not at 0 GB.
    assert chart["y_ticks"][0]["label"] == "60 GB" and chart["y_min"] == 60
    assert chart["y_ticks"][-1]["label"] == "160 GB"  # above 135 GB, with headroom
    assert chart["marker"]["month"] == "2026-06"
    assert chart["bands"] and chart["bands"][0]["width"] > 0
    assert chart["x_ticks"][0]["label"] == "2026-01"


@pytest.mark.parametrize("scale", [1.0, 1e3, 1e6, 1e9])
def test_tick_labels_fit_left_of_the_plot_at_any_size(scale: float) -> None:
    """A tenant short by petabytes labels its ticks "2,000,000,000 GB": the plot moves right so
    that every label lies between the axis title and the plot, in both kinds of chart; a small
    tenant's charts keep the usual margin."""
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    values = [scale * (1 + m) for m in range(12)]
    charts = [
        forecast_chart(
            months,
            [{"key": "consumed", "name": "Consumed", "values": values}],
            [False] * 12,
            None,
        ),
        comparison_chart(months, [{"name": "Baseline", "values": [-v for v in values]}]),
    ]
    for chart in charts:
        left = chart["plot"]["left"]
        for tick in chart["y_ticks"]:
            assert LABELS_FROM + label_width(tick["label"]) + TICK_GAP <= left, tick["label"]
        assert (left == MARGIN_LEFT) == (scale == 1.0)
        assert chart["plot"]["right"] == chart["width"] - MARGIN_RIGHT


def test_single_month_chart_draws_dots() -> None:
    chart = forecast_chart(
        ["2026-01"],
        [{"key": "entitled", "name": "Entitled", "values": [0.0]}],
        [False],
        None,
    )
    assert chart["lines"][0]["dots"]
    assert chart["y_ticks"][-1]["label"] == "1 GB"


@pytest.mark.parametrize("months", [1, 2, 120])
def test_empty_inputs_and_any_horizon(months: int) -> None:
    """No license, no environment, one month or ten years: still a whole, valid page."""
    plan = build_plan(
        Inputs(license_frame([]), environment_frame([])),
        resolve_ruleset(None, "2026-01"),
        "2026-01",
        months,
    )
    page = parse(render_html(report_data(plan)))
    assert page.problems == [] and page.stack == []
    assert "No license in the inputs grants capacity." in page.all_text()
    # A pool with nothing in it gets one sentence instead of an empty chart.
    assert [a for a in page.find("svg") if "chart" in (a.get("class") or "")] == []
    assert page.all_text().count("Nothing in this pool") == 3


SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SAMPLE_PAGES_AT_MOST = 5


def sample_plan() -> Plan:
    return plan(
        [SAMPLES / "licenses-graph.json", SAMPLES / "environments-inventory.csv"],
        as_of="2026-12",
    )


@pytest.mark.slow
@pytest.mark.skipif(find_browser() is None, reason="needs a Chromium-based browser")
def test_prints_on_a4(tmp_path: Path) -> None:
    """The bundled sample prints on a few A4 pages: no forced break before every section."""
    page, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    atomic_write_text(page, render_html(report_data(sample_plan())))
    print_pdf(page, pdf)
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", content)
    pages = re.findall(rb"/Type\s*/Page\b(?!s)", content)
    assert pages, "the print has no page objects to count"
    # A4 is 595 x 842 points.
    assert all(abs(float(w) - 595) < 1 and abs(float(h) - 842) < 1 for w, h in boxes)
    assert len(pages) <= SAMPLE_PAGES_AT_MOST


# Ids of the rule sets and the inventory template that a reader must not meet in the page: pool
# and capacity-type ids, Power Platform states, environment types, paths inside a rules file.
INTERNAL_WORDS = re.compile(
    r"\b(dataverse_(database|file|log|production|sandbox)|operations_(database|file)"
    r"|linked_existing|addon_sandbox|cloud_hosted_dev|defaults_combine|tenant_default"
    r"|per_license|per_base_user|consumption\.estimates|licenses\[|families\.)"
)


@pytest.mark.parametrize("rules", ["pooled-2025-12", "split-2023"])
def test_visible_text_has_no_internal_ids(rules: str) -> None:
    sample = plan(
        [SAMPLES / "licenses-graph.json", SAMPLES / "environments-inventory.csv"],
        as_of="2026-12",
        rules=rules,
    )
    page = parse(render_html(report_data(sample)))
    text = page.visible_text()
    assert INTERNAL_WORDS.findall(text) == []
    # The pools are named by their titles; no file is named by a path with folders.
    for pool in sample.ruleset.pools:
        assert pool.title in text
    assert str(SAMPLES) not in text and "samples/" not in text
    assert not re.search(r"\b1 (rows|SKUs|lines|months)\b", text)


def test_error_findings_lead_the_headline_and_it_is_never_green(short_plan: Plan) -> None:
    import msgspec

    from planner.results import Finding

    doubt = Finding("LINK_NOT_ONE_TO_ONE", "error", "contoso-uat", "linked twice")
    flawed = msgspec.structs.replace(short_plan, findings=(doubt, *short_plan.findings))
    view = report_view(report_data(flawed))
    assert view["tone"] == "error"
    assert view["headline"][0].startswith("Plan has errors; figures may be wrong")
    assert 'class="headline headline-clear"' not in render_html(report_data(flawed))


def _large_tenant(count: int) -> Plan:
    """``count`` Dataverse sandboxes of growing size, and add-on sandboxes linked to Dataverse
    (each an ADDON_SANDBOX_NO_DATAVERSE finding) of the smallest size."""
    rows: list[dict[str, Any]] = [
        {"name": f"env-{i:04d}", "type": "dataverse_sandbox", "dataverse_database_gb": 1.0 + i}
        for i in range(count)
    ]
    rows += [
        {
            "name": f"linked-{i:03d}",
            "type": "addon_sandbox",
            "tier": 2,
            "power_platform": "integrated",
            "dataverse_database_gb": 0.5,
        }
        for i in range(WITH_FINDINGS_SHOWN + 5)
    ]
    inputs = Inputs(
        license_frame([{"sku": "DYN365_FINANCE", "quantity": 25, "source": "test"}]),
        environment_frame([{"source": "test", **row} for row in rows]),
    )
    return build_plan(inputs, resolve_ruleset(None, "2026-12"), "2026-12", 12)


def test_a_large_tenant_shows_what_a_reader_acts_on() -> None:
    """The page lists the largest environments and those with findings, totals per type, and
    points to the files that hold every line; findings of one code are cut short the same way."""
    plan = _large_tenant(LARGEST_SHOWN * 10)
    report = report_data(plan)
    data = json.loads(render_json(report))
    html = render_html(report, files={"xlsx": "plan.xlsx", "json": "sub dir/plan.json"})
    page = parse(html)
    text = page.all_text()
    consumption = report_view(report)["consumption"]
    assert not consumption["complete"]
    largest = [group["environment"] for group in consumption["largest"]]
    expected = [f"env-{i:04d}" for i in range(LARGEST_SHOWN * 10 - 1, LARGEST_SHOWN * 9 - 1, -1)]
    assert largest == expected
    flagged = [group["environment"] for group in consumption["with_findings"]]
    assert flagged == [f"linked-{i:03d}" for i in range(WITH_FINDINGS_SHOWN)]
    assert consumption["with_findings_more"] == "5"
    shown = set(largest) | set(flagged)
    section = html[html.index('id="consumption"') : html.index('id="findings"')]
    for line in data["consumption"]:
        assert (f">{line['environment']} <" in section) == (line["environment"] in shown)
    # Totals per capacity type: every line counted, none listed.
    database = next(t for t in consumption["totals"] if t["capacity_type"] == "Dataverse database")
    lines = [c for c in data["consumption"] if c["capacity_type"] == "dataverse_database"]
    assert database["environments"] == f"{len(lines):,}"
    assert database["gb"] == gb(sum(c["gb"] for c in lines))
    assert database["gb"] in page.texts_in["td"]
    hrefs = {a["href"] for a in page.find("a")}
    assert {"plan.xlsx", "sub%20dir/plan.json"} <= hrefs
    assert "The complete list of every environment and capacity type is in" in text
    # The findings of one code beyond the first few are counted, not listed: the first 20, or
    # the code's share of the hundred the page lists where more than five codes have findings.
    codes = [f["code"] for f in data["findings"]]
    per_code = min(
        FINDINGS_SHOWN_PER_CODE,
        max(FINDINGS_ON_PAGE_PER_CODE_AT_LEAST, FINDINGS_ON_PAGE // len(set(codes))),
    )
    many = codes.count("ADDON_SANDBOX_NO_DATAVERSE")
    assert many > per_code
    assert f"And {many - per_code} more ADDON_SANDBOX_NO_DATAVERSE findings" in text
    assert text.count("is an add-on sandbox and is linked") == per_code


def test_the_page_lists_at_most_a_hundred_findings_however_many_codes() -> None:
    """Many codes with many findings each: each code shows its share of the hundred, and at
    least three; a few codes show their first 20."""
    findings = [
        {"code": f"CODE_{c:02d}", "severity": "warning", "subject": f"ENV-{n}", "message": "m"}
        for c in range(40)
        for n in range(30)
    ]
    names = report_data(_large_tenant(2)).names
    for codes, per_code in ((40, 3), (10, 10), (4, FINDINGS_SHOWN_PER_CODE)):
        chosen = [f for f in findings if int(f["code"][-2:]) < codes]
        view = _findings_view([{**f, "month": None} for f in chosen], names)
        listed = sum(len(group["entries"]) for group in view)
        assert listed == codes * per_code
        more = {m["code"]: m["count"] for group in view for m in group["more"]}
        assert more == {f"CODE_{c:02d}": str(30 - per_code) for c in range(codes)}


def test_the_page_stays_small_as_the_tenant_grows() -> None:
    """Ten times the environments: the page grows by far less than the JSON."""
    small, large = _large_tenant(LARGEST_SHOWN * 2), _large_tenant(LARGEST_SHOWN * 20)
    little, big = report_data(small), report_data(large)
    small_page, large_page = len(render_html(little)), len(render_html(big))
    small_json, large_json = len(render_json(little)), len(render_json(big))
    assert large_json > 2.5 * small_json
    assert large_page < 1.1 * small_page


def test_a_long_license_export_is_listed_in_part() -> None:
    """An export of many license lines: the page lists the first ones and counts the rest,
    whose place it names; a short export is listed whole."""
    many = LICENSES_SHOWN * 3
    rows = [
        {"sku": "CDS_DB_CAPACITY", "quantity": 1, "source": "test", "location": f"row {n}"}
        for n in range(2, many + 2)
    ]
    inputs = Inputs(
        license_frame([{"sku": "DYN365_FINANCE", "quantity": 25, "source": "test"}, *rows]),
        environment_frame([]),
    )
    report = report_data(build_plan(inputs, resolve_ruleset(None, "2026-12"), "2026-12", 12))
    text = parse(render_html(report)).all_text()
    assert f"The first {LICENSES_SHOWN} of the {many + 1:,} license lines are listed" in text
    assert f"the other {many + 1 - LICENSES_SHOWN:,} are in the workbook's Licenses sheet" in text
    assert text.count("CDS_DB_CAPACITY") <= LICENSES_SHOWN + 10
    assert len(json.loads(render_json(report))["licenses"]) == many + 1
    short = parse(render_html(report_data(_large_tenant(3)))).all_text()
    assert "Every license line of the inputs" in short
    assert "license lines are listed" not in short


def test_text_and_markdown_list_the_first_findings_of_a_code() -> None:
    """The terminal table and the markdown summary list the first findings of each code and
    count the rest, as the page does; the JSON keeps them all."""
    from planner.report.text import render_markdown, render_table

    report = report_data(_large_tenant(3))
    codes = [f["code"] for f in json.loads(render_json(report))["findings"]]
    more = codes.count("ADDON_SANDBOX_NO_DATAVERSE") - FINDINGS_SHOWN_PER_CODE
    assert more > 0
    table, markdown = render_table(report), render_markdown(report)
    assert table.count("is an add-on sandbox and is linked") == FINDINGS_SHOWN_PER_CODE
    assert f"... and {more} more ADDON_SANDBOX_NO_DATAVERSE (--format json lists them all)" in table
    assert markdown.count("is an add-on sandbox and is linked") == FINDINGS_SHOWN_PER_CODE
    assert f"- and {more} more `ADDON_SANDBOX_NO_DATAVERSE` (the JSON lists them all)" in markdown


def test_text_lists_the_first_ignored_licenses() -> None:
    from planner.report.text import LICENSE_ENTRIES_SHOWN, render_table

    rows = [
        {"sku": "FLOW_FREE", "quantity": n, "source": "test", "location": f"row {n}"}
        for n in range(1, LICENSE_ENTRIES_SHOWN + 11)
    ]
    inputs = Inputs(license_frame(rows), environment_frame([]))
    report = report_data(build_plan(inputs, resolve_ruleset(None, "2026-12"), "2026-12", 12))
    table = render_table(report)
    assert table.count("FLOW_FREE (") == LICENSE_ENTRIES_SHOWN
    assert "; and 10 more (the JSON and the workbook list them all)" in table


def test_whatif_text_lists_the_first_new_findings_of_a_code() -> None:
    """A scenario that raises many findings of one code: the what-if table and markdown list
    the first of them and count the rest."""
    from planner.model.changes import AddEnvironment, Scenario
    from planner.report.whatif_text import render_whatif_markdown, render_whatif_table
    from planner.scenarios.compare import compare

    count = FINDINGS_SHOWN_PER_CODE + 7
    changes = tuple(
        AddEnvironment(
            month=0,
            month_label="2026-12",
            name=f"new-sandbox-{n:02d}",
            type="addon_sandbox",
            tier=2,
            power_platform="integrated",
            sizes={"dataverse_database_gb": 1.0},
        )
        for n in range(count)
    )
    plan = _large_tenant(2)
    comparison = compare(
        plan.inputs, [Scenario("many sandboxes", changes)], plan.ruleset, "2026-12", 12
    )
    report = report_data(comparison=comparison)
    table, markdown = render_whatif_table(report), render_whatif_markdown(report)
    line = "many sandboxes: and 7 more ADDON_SANDBOX_NO_DATAVERSE (--format json lists them all)"
    for text in (table, markdown):
        assert text.count("new-sandbox-") >= FINDINGS_SHOWN_PER_CODE
        assert text.count("is an add-on sandbox and") == FINDINGS_SHOWN_PER_CODE
        assert line in text


def test_text_names_the_first_environments_of_an_assumption() -> None:
    from planner.report.text import ENVIRONMENTS_SHOWN, render_markdown, render_table

    report = report_data(_large_tenant(ENVIRONMENTS_SHOWN * 3))
    assumptions = json.loads(render_json(report))["assumptions"]
    widest = max(assumptions, key=lambda a: len(a["environments"]))
    more = len(widest["environments"]) - ENVIRONMENTS_SHOWN
    assert more > 0
    for text in (render_table(report), render_markdown(report)):
        line = next(line for line in text.splitlines() if widest["reason"] in line)
        assert line.count("env-") == ENVIRONMENTS_SHOWN
        assert line.endswith(f" and {more:,} more")
