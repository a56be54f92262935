"""The storage overage lifecycle: dates, environments, and the tenants it does not apply to."""

from __future__ import annotations

from typing import Any

from builders import make_plan

ADDONS = [
    {"sku": "CDS_DB_CAPACITY", "quantity": 10},
    {"sku": "CDS_LOG_CAPACITY", "quantity": 5},
    {"sku": "CDS_FILE_CAPACITY", "quantity": 20},
]


def _environments(**production: Any) -> list[dict[str, Any]]:
    return [
        {
            "name": "PROD",
            "type": "dataverse_production",
            "dataverse_database_gb": 6,
            "dataverse_file_gb": 5,
            "dataverse_log_gb": 1,
            **production,
        },
        {"name": "UAT", "type": "dataverse_sandbox", "dataverse_database_gb": 1},
        {"name": "PAID", "type": "dataverse_sandbox", "payg": True, "dataverse_database_gb": 1},
    ]


def _stages(plan) -> list[tuple[int, str, tuple[str, ...]]]:
    return [(s.stage, s.starts, s.environments) for s in plan.lifecycle.stages]


def test_stage_dates_follow_the_first_day_over() -> None:
    plan = make_plan(ADDONS, _environments(dataverse_database_growth_gb_per_month=1), months=12)
    assert _stages(plan) == [
        (1, "2027-03-01", ("PAID", "PROD", "UAT")),
        (2, "2027-03-31", ("UAT",)),
        (3, "2027-05-30", ("UAT",)),
    ]
    assert plan.lifecycle.note is None


def test_a_deficit_that_clears_stops_the_lifecycle_and_a_new_one_restarts_it() -> None:
    # Over in 2027-01 only (a 31-day month: stage 2 falls on its last day), then the sandbox
    # is deleted and the tenant is within capacity, then PROD grows over again.
    environments = _environments(dataverse_database_gb=9)
    environments[1]["end_month"] = 2  # UAT gone from 2027-02
    environments.append(
        {"name": "LATER", "type": "dataverse_sandbox", "dataverse_database_gb": 2, "start_month": 5}
    )
    plan = make_plan(ADDONS, environments, as_of="2026-12", months=8)
    over = (plan.forecast.available < -1e-9).any(axis=0).tolist()
    assert over == [True, True, False, False, False, True, True, True]
    assert [(stage, starts) for stage, starts, _ in _stages(plan)] == [
        (1, "2026-12-01"),
        (2, "2026-12-31"),
        (1, "2027-05-01"),
        (2, "2027-05-31"),
        (3, "2027-07-30"),
    ]
    # Each stage names the sandboxes there on its date: UAT in December, LATER in May.
    assert _stages(plan)[1][2] == ("UAT",)
    assert _stages(plan)[3][2] == ("LATER",)


def test_a_finance_and_operations_tenant_gets_a_note_and_no_stages() -> None:
    environments = _environments(dataverse_database_growth_gb_per_month=1)
    environments.append({"name": "FO", "type": "sandbox", "tier": 2, "power_platform": "none"})
    plan = make_plan(ADDONS, environments, months=12)
    assert len(plan.shortfalls)
    assert plan.lifecycle.stages == ()
    assert "only to Dataverse-only tenants" in plan.lifecycle.note
    assert "finance and operations environments (FO)" in plan.lifecycle.note


def test_the_note_names_the_first_three_in_order_ignoring_case_and_counts_the_rest() -> None:
    environments = _environments(dataverse_database_growth_gb_per_month=1)
    for name in ("fo-b", "FO-C", "FO-a", "fo-A", "Fo-b", "later"):
        environments.append({"name": name, "type": "sandbox", "tier": 2, "power_platform": "none"})
    environments[-1]["start_month"] = 12  # after the horizon: not among them
    plan = make_plan(ADDONS, environments, months=12)
    # Equal but for case, names keep the order they come in.
    assert "finance and operations environments (FO-a, fo-A, fo-b and 2 more)" in (
        plan.lifecycle.note
    )


def test_operations_consumption_alone_takes_a_tenant_out_of_scope() -> None:
    environments = _environments(dataverse_database_growth_gb_per_month=1, operations_database_gb=2)
    plan = make_plan(ADDONS, environments, months=12)
    assert plan.lifecycle.stages == ()
    assert "Operations storage consumption" in plan.lifecycle.note


def test_no_deficit_no_stages() -> None:
    plan = make_plan(ADDONS, _environments(), months=12)
    assert plan.lifecycle.stages == ()
    assert plan.lifecycle.note is None
