"""Growth fitted from dated snapshots."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from budget import examples
from builders import codes, licenses, make_inputs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.engine.growth import apply_fitted_growth, fit_growth, month_position
from planner.errors import InputError
from planner.ingest.snapshots import read_snapshots
from planner.planning import build_plan
from planner.ruleset import resolve_ruleset

HEADER = "name,type,dataverse_database_gb,operations_database_gb\n"


def snapshot(folder: Path, date: dt.date, rows: list[tuple[str, float, float]]) -> Path:
    path = folder / f"environments-{date.isoformat()}.csv"
    body = "".join(f"{name},production,{dv},{ops}\n" for name, dv, ops in rows)
    path.write_text(HEADER + body, encoding="utf-8")
    return path


@settings(
    max_examples=examples(15),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    start=st.floats(0, 500),
    rate=st.floats(-5, 50),
    offsets=st.lists(st.integers(0, 900), min_size=3, max_size=8, unique=True),
)
def test_least_squares_recovers_linear_growth(tmp_path_factory, start, rate, offsets) -> None:
    """Snapshots on any days: usage exactly linear in calendar months is fitted exactly."""
    folder = tmp_path_factory.mktemp("history")
    dates = [dt.date(2025, 1, 1) + dt.timedelta(days=d) for d in offsets]
    months = month_position(pd.Series(pd.to_datetime(dates))).tolist()
    paths = [
        # Shifted up so that shrinking usage stays above zero over the 30 months drawn from.
        snapshot(
            folder,
            date,
            [
                (
                    "PROD",
                    1 + 0.5 * (x - min(months)),
                    start + 30 * abs(rate) + rate * (x - min(months)),
                )
            ],
        )
        for date, x in zip(dates, months, strict=True)
    ]
    fits = fit_growth(read_snapshots(paths)).set_index(["environment", "capacity_type"])
    assert fits.loc[("PROD", "operations_database"), "gb_per_month"] == pytest.approx(
        rate, abs=1e-6
    )
    assert fits.loc[("PROD", "dataverse_database"), "gb_per_month"] == pytest.approx(0.5)
    assert fits.loc[("PROD", "operations_database"), "snapshots"] == len(offsets)


def test_monthly_snapshots_are_one_month_apart(tmp_path) -> None:
    paths = [
        snapshot(tmp_path, dt.date(2026, m, 1), [("PROD", 2, 100 + 5 * m)]) for m in (1, 2, 3, 4)
    ]
    fits = fit_growth(read_snapshots(paths)).set_index(["environment", "capacity_type"])
    assert fits.loc[("PROD", "operations_database"), "gb_per_month"] == pytest.approx(5)


def test_fitted_growth_is_used_only_where_none_is_given(tmp_path) -> None:
    paths = [
        snapshot(tmp_path, dt.date(2026, m, 1), [("PROD", 4 + m, 100 + 3 * m), ("UAT", 1, 50)])
        for m in (1, 2, 3)
    ]
    fits = fit_growth(read_snapshots(paths))
    inputs = make_inputs(
        licenses(DYN365_FINANCE=20),
        [
            {
                "name": "PROD",
                "type": "production",
                "operations_database_gb": 103,
                "operations_database_growth_gb_per_month": 10,
                "dataverse_database_gb": 7,
                "operations_file_gb": 0,
            }
        ],
    )
    fitted = apply_fitted_growth(inputs, fits).environments.iloc[0]
    assert fitted["operations_database_growth_gb_per_month"] == 10  # given wins
    assert fitted["dataverse_database_growth_gb_per_month"] == pytest.approx(1)
    assert "fitted from 3 snapshots" in fitted["dataverse_database_growth_basis"]


def test_too_few_snapshots_are_reported(tmp_path) -> None:
    paths = [snapshot(tmp_path, dt.date(2026, m, 1), [("PROD", 4, 100)]) for m in (1, 2)]
    fits = fit_growth(read_snapshots(paths))
    assert not fits["fitted"].any()
    inputs = apply_fitted_growth(
        make_inputs(
            licenses(DYN365_FINANCE=20),
            [
                {
                    "name": "PROD",
                    "type": "production",
                    "operations_database_gb": 100,
                    "operations_file_gb": 0,
                }
            ],
        ),
        fits,
    )
    plan = build_plan(inputs, resolve_ruleset("pooled-2025-12", "2026-12"), "2026-12", 6)
    assert "GROWTH_NOT_FITTED" in codes(plan)
    message = next(f.message for f in plan.findings if f.code == "GROWTH_NOT_FITTED")
    assert "at least 3 snapshots, has 2" in message


def test_date_from_a_date_column_and_errors(tmp_path) -> None:
    dated = tmp_path / "snapshot-a.csv"
    dated.write_text(
        "name,type,date,dataverse_database_gb\nX,dataverse_production,2026-05-31,2\n",
        encoding="utf-8",
    )
    assert read_snapshots([dated])[0].date == dt.date(2026, 5, 31)
    undated = tmp_path / "snapshot-b.csv"
    undated.write_text(
        "name,type,dataverse_database_gb\nX,dataverse_production,2\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match="no date"):
        read_snapshots([undated])
    mixed = tmp_path / "snapshot-c.csv"
    mixed.write_text(
        "name,type,date\nX,dataverse_production,2026-05-31\nY,dataverse_production,2026-06-30\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="2 different dates"):
        read_snapshots([mixed])


def test_the_date_column_is_read_like_any_table(tmp_path) -> None:
    """Quotes, the delimiter, Excel's "sep=" line and worksheets: as every input is read."""
    quoted = tmp_path / "snapshot-quoted.csv"
    quoted.write_text(
        'name,type,dataverse_database_gb,date\n"Contoso, CE",dataverse_production,2,2026-04-30\n',
        encoding="utf-8",
    )
    assert read_snapshots([quoted])[0].date == dt.date(2026, 4, 30)
    semicolons = tmp_path / "snapshot-semicolons.csv"
    semicolons.write_text(
        "sep=;\nname;type;date;dataverse_database_gb\n"
        '"CE; north";dataverse_production;2026-05-31;2,5\n',
        encoding="utf-8",
    )
    assert read_snapshots([semicolons])[0].date == dt.date(2026, 5, 31)
    workbook = tmp_path / "snapshot-sheet.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["name", "type", "dataverse_database_gb", "date"])
    book.active.append(["CE", "dataverse_production", 2, "2026-06-30"])
    book.save(workbook)
    assert read_snapshots([workbook])[0].date == dt.date(2026, 6, 30)
    wrong = tmp_path / "snapshot-wrong.csv"
    wrong.write_text('name,type,date\n"X, Y",dataverse_production,2026-13-45\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_snapshots([wrong])
    assert caught.value.location == "row 2, column date"
    assert "'2026-13-45' is not a date" in caught.value.message
