"""The renderers read the long tables (the consumption lines, the license lines) from their
frames, never as a record per line: for a tenant of many environments, or an export of hundreds
of thousands of license lines, those records are the largest thing a run could build."""

from __future__ import annotations

from pathlib import Path

from report_plans import SHORT_ENVIRONMENTS, make_plan

from planner.report.data import LONG_TABLES, plan_data, report_data
from planner.report.html import render_html
from planner.report.text import render_markdown, render_table
from planner.report.xlsx import write_xlsx


def test_brief_is_the_plan_without_its_long_tables() -> None:
    plan = make_plan(SHORT_ENVIRONMENTS)
    data = report_data(plan)
    full = plan_data(plan)
    assert full["consumption"] and full["licenses"]
    assert not set(LONG_TABLES) & set(data.brief)
    assert data.brief == {key: value for key, value in full.items() if key not in LONG_TABLES}
    assert list(data.brief) == [key for key in full if key not in LONG_TABLES]
    assert data.plan == full


def test_page_and_workbook_build_no_record_per_line(tmp_path: Path) -> None:
    data = report_data(make_plan(SHORT_ENVIRONMENTS))
    render_html(data)
    write_xlsx(data, tmp_path / "plan.xlsx")
    render_table(data)
    render_markdown(data)
    assert data.timeline is not None
    assert "plan" not in vars(data)  # the cached full plan was never built
    # Nor a record of every finding: each renderer makes those of the findings it lists.
    findings = data.outline["findings"]
    assert len(findings)
    assert "_records" not in vars(findings)
