"""Consumption lines: measured values, planning estimates and how each environment counts."""

from __future__ import annotations

import pytest
from builders import capacity, codes, licenses, make_plan

LICENSES = licenses(DYN365_FINANCE=20)


def lines(plan, environment: str) -> dict[str, float]:
    rows = plan.consumption[plan.consumption["environment"] == environment]
    return dict(zip(rows["capacity_type"], rows["gb"], strict=True))


def test_initial_and_integrated_estimates() -> None:
    plan = make_plan(
        LICENSES,
        [
            {
                "name": "PROD",
                "type": "production",
                "power_platform": "integrated",
                "operations_database_gb": 50,
                "operations_file_gb": 5,
            },
            {
                "name": "UAT",
                "type": "sandbox",
                "operations_database_gb": 20,
                "operations_file_gb": 1,
            },
        ],
    )
    assert lines(plan, "PROD")["dataverse_database"] == pytest.approx(3)
    # The included sandbox defaults to an initial environment without Dataverse: 1 GB, no file
    # or log capacity at all.
    assert lines(plan, "UAT") == {
        "dataverse_database": 1.0,
        "operations_database": 20.0,
        "operations_file": 1.0,
    }
    assert capacity(plan, "database", "consumed_gb") == pytest.approx(3 + 50 + 1 + 20)


def test_minimum_per_counted_environment_and_default_allowance() -> None:
    plan = make_plan(
        LICENSES,
        [
            {
                "name": "CE",
                "type": "dataverse_production",
                "dataverse_database_gb": 0.2,
                "dataverse_file_gb": 0.5,
                "dataverse_log_gb": 0,
            },
            {
                "name": "Default",
                "type": "default",
                "dataverse_database_gb": 5,
                "dataverse_file_gb": 2,
                "dataverse_log_gb": 1.5,
            },
            {"name": "Try", "type": "trial", "dataverse_database_gb": 4},
            {"name": "Dev", "type": "developer", "dataverse_database_gb": 2},
        ],
    )
    assert lines(plan, "CE")["dataverse_database"] == pytest.approx(1)
    assert lines(plan, "Default") == pytest.approx(
        {"dataverse_database": 2, "dataverse_file": 0, "dataverse_log": 0.5}
    )
    assert lines(plan, "Try")["dataverse_database"] == 0
    assert lines(plan, "Dev")["dataverse_database"] == 0
    basis = plan.consumption.set_index(["environment", "capacity_type"])["basis"]
    assert basis[("Try", "dataverse_database")].startswith("not counted (Trial")
    assert "raised to the minimum" in basis[("CE", "dataverse_database")]


def test_cloud_hosted_dev_uses_no_operations_capacity() -> None:
    plan = make_plan(
        LICENSES,
        [{"name": "DEV1", "type": "cloud_hosted_dev", "operations_database_gb": 100}],
    )
    assert lines(plan, "DEV1") == {}
    assert capacity(plan, "database", "consumed_gb") == 0


def test_linked_existing_keeps_the_disconnected_initial_environment() -> None:
    plan = make_plan(
        LICENSES,
        [
            {"name": "CRM", "type": "dataverse_production", "dataverse_database_gb": 12},
            {
                "name": "TEST",
                "type": "sandbox",
                "power_platform": "linked_existing",
                "linked_to": "CRM",
                "operations_database_gb": 10,
                "operations_file_gb": 0,
            },
        ],
    )
    assert lines(plan, "TEST")["dataverse_database"] == pytest.approx(1)
    assert lines(plan, "CRM")["dataverse_database"] == pytest.approx(12)


def test_unmeasured_operations_usage_is_unknown_not_silently_zero() -> None:
    plan = make_plan(LICENSES, [{"name": "PROD", "type": "production"}])
    basis = plan.consumption.set_index(["environment", "capacity_type"])["basis"]
    assert basis[("PROD", "operations_database")].startswith("unknown")
    assert "USAGE_UNKNOWN" in codes(plan)
    assert "consumption.estimates.operations" in set(plan.assumptions["rule"])


def test_growth_and_rated_versus_actual() -> None:
    plan = make_plan(
        LICENSES,
        [
            {
                "name": "PROD",
                "type": "production",
                "power_platform": "integrated",
                "dataverse_database_gb": 4,
                "dataverse_database_actual_gb": 3.2,
                "dataverse_database_growth_gb_per_month": 0.5,
                "operations_database_gb": 10,
                "operations_file_gb": 0,
            }
        ],
        months=4,
    )
    row = plan.consumption[plan.consumption["capacity_type"] == "dataverse_database"].iloc[0]
    assert row["gb"] == 4 and row["actual_gb"] == pytest.approx(3.2)
    assert row["basis"].startswith("measured (rated)")
    consumed = plan.forecast.consumed[plan.ruleset.pool_names.index("database")]
    assert consumed.tolist() == pytest.approx([14, 14.5, 15, 15.5])


def test_environment_deleted_and_added_in_later_months() -> None:
    plan = make_plan(
        LICENSES,
        [
            {
                "name": "OLD",
                "type": "dataverse_sandbox",
                "dataverse_database_gb": 5,
                "end_month": 2,
            },
            {"name": "NEW", "type": "dataverse_sandbox", "start_month": 1},
        ],
        months=4,
    )
    consumed = plan.forecast.consumed[plan.ruleset.pool_names.index("database")]
    assert consumed.tolist() == pytest.approx([5, 6, 1, 1])
    assert set(plan.consumption["environment"]) == {"OLD"}
