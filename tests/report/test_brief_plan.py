"""The page and the workbook read the consumption lines from the frame, never as a record per
line: for a tenant of many environments those records are the largest thing a run could build."""

from __future__ import annotations

from pathlib import Path

from report_plans import SHORT_ENVIRONMENTS, make_plan

from planner.report.data import plan_data, report_data
from planner.report.html import render_html
from planner.report.xlsx import write_xlsx


def test_brief_is_the_plan_without_its_consumption_lines() -> None:
    plan = make_plan(SHORT_ENVIRONMENTS)
    data = report_data(plan)
    assert "consumption" not in data.brief
    full = plan_data(plan)
    assert full["consumption"]
    assert data.brief == {key: value for key, value in full.items() if key != "consumption"}
    assert list(data.brief) == [key for key in full if key != "consumption"]
    assert data.plan == full


def test_page_and_workbook_build_no_record_per_line(tmp_path: Path) -> None:
    data = report_data(make_plan(SHORT_ENVIRONMENTS))
    render_html(data)
    write_xlsx(data, tmp_path / "plan.xlsx")
    assert data.timeline is not None
    assert "plan" not in vars(data)  # the cached full plan was never built
    assert "brief" in vars(data)
