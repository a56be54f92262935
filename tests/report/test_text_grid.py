"""The printed tables: a cell of several lines (a month's events) takes as many lines."""

from __future__ import annotations

from pathlib import Path

from planner.planning import plan
from planner.report.data import report_data
from planner.report.formatting import grid
from planner.report.text import render_table

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_a_cell_of_several_lines_takes_as_many_lines_of_the_table() -> None:
    rows = [["2027-02", "1.00", "first\nsecond one"], ["2027-03", "12.50", ""]]
    assert grid(["Month", "GB", "What happens"], rows, [False, True, False]) == [
        "Month       GB  What happens",
        "-------  -----  ------------",
        "2027-02   1.00  first",
        "                second one",
        "2027-03  12.50",
    ]


def test_a_months_events_are_listed_one_under_another() -> None:
    """The sample's 2027-02 starts three banners: each on a line of its own, in the column."""
    checked = plan(
        [SAMPLES / "licenses-graph.json", SAMPLES / "environments-inventory.csv"],
        as_of="2026-12",
        months=24,
    )
    lines = render_table(report_data(checked)).splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Month") and "What" in line)
    column = lines[header].index("What happens")
    first = next(i for i, line in enumerate(lines) if line.startswith("2027-02"))
    events = [lines[first][column:]]
    for line in lines[first + 1 :]:
        if line[:column].strip():
            break
        events.append(line[column:])
    assert len(events) == 3 and all(";" not in event for event in events)
    assert events[0].startswith("Database: first banner")
