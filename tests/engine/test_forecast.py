"""Borrowing, status thresholds, shortfalls and add-on recommendations."""

from __future__ import annotations

import numpy as np
import pytest
from builders import capacity, codes, licenses, make_plan

from planner.engine.forecast import borrow
from planner.ruleset import resolve_ruleset

POOLED = resolve_ruleset("pooled-2025-12", "2026-12")


def test_borrowing_order_database_covers_log_then_file() -> None:
    # database, file, log
    available = np.array([[5.0], [-4.0], [-3.0]])
    after, borrowed, lent = borrow(available, POOLED)
    # log is covered first (3), then file gets the remaining 2
    assert after[:, 0].tolist() == [0.0, -2.0, 0.0]
    assert borrowed[:, 0].tolist() == [0.0, 2.0, 3.0]
    assert lent[:, 0].tolist() == [5.0, 0.0, 0.0]


def test_log_covers_file_and_file_covers_nothing() -> None:
    after, _, _ = borrow(np.array([[-1.0], [-2.0], [3.0]]), POOLED)
    assert after[:, 0].tolist() == [-1.0, 0.0, 1.0]
    after, _, _ = borrow(np.array([[-1.0], [10.0], [0.0]]), POOLED)
    assert after[:, 0].tolist() == [-1.0, 10.0, 0.0]


def test_shortfall_first_month_peak_and_addon() -> None:
    plan = make_plan(
        licenses(DYN365_FINANCE=20),
        [
            {
                "name": "PROD",
                "type": "production",
                "power_platform": "integrated",
                "dataverse_database_gb": 10,
                "operations_database_gb": 160,
                "operations_database_growth_gb_per_month": 10,
                "operations_file_gb": 0,
            }
        ],
        months=12,
    )
    # entitled 190; consumed 170 + 10k -> over from month 3 (200 > 190); peak at month 11: 90
    shortfall = plan.shortfalls.iloc[0]
    assert shortfall["pool"] == "database"
    assert shortfall["first_month"] == "2027-03"
    assert shortfall["peak_deficit_gb"] == pytest.approx(90)
    assert shortfall["peak_month"] == "2027-11"
    assert shortfall["addon_sku"] == "CDS_DB_CAPACITY"
    assert shortfall["addon_units"] == 90
    assert shortfall["monthly_cost_usd"] == pytest.approx(90 * 40)
    assert "CAPACITY_OVER" in codes(plan)


def test_units_round_up() -> None:
    plan = make_plan(
        licenses(DYN365_FINANCE=20),
        [
            {
                "name": "P",
                "type": "production",
                "power_platform": "integrated",
                "dataverse_database_gb": 100.3,
                "operations_database_gb": 90,
                "operations_file_gb": 0,
            }
        ],
        months=1,
    )
    # 100.3 + 90 against 190: a 0.3 GB deficit still needs a whole 1 GB unit
    assert plan.shortfalls.iloc[0]["peak_deficit_gb"] == pytest.approx(0.3)
    assert plan.shortfalls.iloc[0]["addon_units"] == 1


def test_status_warning_below_fifteen_percent() -> None:
    # database entitled 190; consume 170 -> 20 left = 10.5%
    plan = make_plan(
        licenses(DYN365_FINANCE=20),
        [
            {
                "name": "P",
                "type": "production",
                "power_platform": "integrated",
                "dataverse_database_gb": 10,
                "operations_database_gb": 160,
                "operations_file_gb": 0,
            }
        ],
        months=1,
    )
    assert plan.capacity.set_index("pool")["status"]["database"] == "warning"
    assert "CAPACITY_WARNING" in codes(plan)


def test_file_over_is_covered_by_spare_database() -> None:
    plan = make_plan(
        licenses(DYN365_FINANCE=20),
        [
            {
                "name": "P",
                "type": "production",
                "power_platform": "integrated",
                "dataverse_database_gb": 3,
                "operations_database_gb": 10,
                "operations_file_gb": 200,
            }
        ],
        months=1,
    )
    # file entitled 180, consumed 200: log lends its 2 spare GB first, then database 18
    assert capacity(plan, "file", "available_gb") == pytest.approx(0)
    assert capacity(plan, "log", "lent_gb") == pytest.approx(2)
    assert capacity(plan, "database", "available_gb") == pytest.approx(190 - 13 - 18)
    assert plan.shortfalls.empty


def test_unpriced_addon_under_split() -> None:
    plan = make_plan(
        licenses(DYN365_FINANCE=20),
        [
            {
                "name": "P",
                "type": "production",
                "operations_database_gb": 150,
                "operations_file_gb": 0,
            }
        ],
        rules="split-2023",
        months=1,
    )
    shortfall = plan.shortfalls.set_index("pool").loc["operations_database"]
    assert shortfall["addon_units"] == 10
    assert shortfall["monthly_cost_usd"] is None
    assert "unpriced" in shortfall["note"]


@pytest.mark.parametrize(
    ("database", "growing", "peak_month"),
    [
        ([1.0, -2.0, -5.0, -9.0], True, "2027-03"),  # still falling in the last month
        ([1.0, -6.0, -5.0, -4.0], False, "2027-01"),  # peaked, recovering by the end
        ([1.0, -3.0, -3.0, -3.0], False, "2027-01"),  # flat at the end: the peak is real
        ([-1.0, -2.0, 0.5, 1.0], False, "2027-01"),  # no longer short at the end
    ],
)
def test_shortfall_says_whether_the_deficit_still_grows(
    database: list[float], growing: bool, peak_month: str
) -> None:
    from planner.engine.forecast import shortfalls

    months = ["2026-12", "2027-01", "2027-02", "2027-03"]
    available = np.array([database, [10.0] * 4, [1.0] * 4])
    row = shortfalls(available, months, POOLED).iloc[0]
    assert bool(row["growing_at_end"]) is growing
    assert row["peak_month"] == peak_month
