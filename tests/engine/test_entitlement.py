"""Entitlement worked out by hand from the domain brief, under both rule sets."""

from __future__ import annotations

import pytest
from builders import capacity, codes, licenses, make_plan

EXAMPLE = licenses(
    DYN365_FINANCE=25,
    DYN365_SCM=10,
    DYN365_TEAM_MEMBERS=50,
    DYN365_SCM_ATTACH=8,
    Dyn365_Operations_Activity=5,
    CDS_DB_CAPACITY=4,
)
MB = 1 / 1024


def test_issue_example_pooled() -> None:
    plan = make_plan(EXAMPLE)
    # 90 tenant + 35 x 5 + 5 x 1 (Activity) + 4 add-on units
    assert capacity(plan, "database") == pytest.approx(274.0)
    # 80 tenant + 35 x 5 + 5 x 2
    assert capacity(plan, "file") == pytest.approx(265.0)
    assert capacity(plan, "log") == pytest.approx(2.0)


def test_issue_example_split() -> None:
    plan = make_plan(EXAMPLE, rules="split-2023")
    # 10 GB tenant (finance and operations) + 35 x 250 MB (assumed) + 4 add-on units
    assert capacity(plan, "dataverse_database") == pytest.approx(10 + 35 * 250 * MB + 4)
    # 60 GB tenant + 35 base users x 4 GB
    assert capacity(plan, "operations_database") == pytest.approx(200.0)
    assumed_rules = set(plan.assumptions["rule"])
    assert "licenses[DYN365_FINANCE].per_license.dataverse_database" in assumed_rules
    assert "ASSUMED_VALUE" in codes(plan)


def test_lines_sum_to_totals_and_name_their_source() -> None:
    plan = make_plan(EXAMPLE)
    sums = plan.entitlement.groupby("pool")["gb"].sum()
    for row in plan.capacity.itertuples():
        assert sums.get(row.pool, 0.0) == pytest.approx(row.entitled_gb)
    assert plan.entitlement["source"].str.startswith("https://").all()
    assert set(plan.entitlement["confidence"]) <= {"documented", "secondary", "assumed"}


def test_defaults_not_cumulative_under_pooled_but_add_up_under_split() -> None:
    rows = licenses(DYN365_FINANCE=20, DYN365_ENTERPRISE_SALES=10)
    pooled = make_plan(rows)
    # max(90, 30) + 20 x 5 GB + 10 x 250 MB
    assert capacity(pooled, "database") == pytest.approx(90 + 100 + 10 * 250 * MB)
    defaults = pooled.entitlement[pooled.entitlement["kind"] == "tenant_default"]
    assert defaults.groupby("pool")["gb"].sum()["database"] == pytest.approx(90)
    split = make_plan(rows, rules="split-2023")
    # 10 GB (finance and operations) + 10 GB (customer engagement) + per-user amounts
    assert capacity(split, "dataverse_database") == pytest.approx(
        10 + 10 + 20 * 250 * MB + 10 * 250 * MB
    )
    assert capacity(split, "dataverse_file") == pytest.approx(20 + 10 * 2)


def test_premium_default_wins_under_max() -> None:
    plan = make_plan(licenses(DYN365_FINANCE=20, DYN365_FINANCE_PREMIUM=10))
    assert capacity(plan, "database") == pytest.approx(125 + 20 * 5 + 10 * 10)
    assert capacity(plan, "log") == pytest.approx(3)


def test_attach_and_team_members_add_nothing() -> None:
    base = make_plan(licenses(DYN365_FINANCE=20))
    more = make_plan(licenses(DYN365_FINANCE=20, DYN365_SCM_ATTACH=40, DYN365_TEAM_MEMBERS=300))
    assert base.capacity["entitled_gb"].tolist() == more.capacity["entitled_gb"].tolist()


def test_attach_alone_grants_no_tenant_default() -> None:
    plan = make_plan(licenses(DYN365_SCM_ATTACH=10, DYN365_TEAM_MEMBERS=5))
    assert plan.capacity["entitled_gb"].sum() == 0


def test_sandbox_addons() -> None:
    tier2 = make_plan(
        licenses(DYN365_FINANCE=20, Dynamics_365_for_Operations_Sandbox_Tier2_SKU=2),
        rules="split-2023",
    )
    assert capacity(tier2, "operations_database") == pytest.approx(60 + 20 * 4 + 2 * 10)
    tier4 = make_plan(licenses(DYN365_FINANCE=20, Dynamics_365_for_Operations_Sandbox_Tier4_SKU=1))
    # 10 GB per sandbox plus 128 MB per full user license, in database and file
    assert capacity(tier4, "database") == pytest.approx(90 + 100 + 10 + 20 * 128 * MB)
    assert capacity(tier4, "file") == pytest.approx(80 + 100 + 20 * 128 * MB)


def test_addon_sandbox_brings_no_dataverse_under_split() -> None:
    base = make_plan(licenses(DYN365_FINANCE=20), rules="split-2023")
    more = make_plan(
        licenses(DYN365_FINANCE=20, Dynamics_365_for_Operations_Sandbox_Tier3_SKU=3),
        rules="split-2023",
    )
    assert capacity(more, "dataverse_database") == capacity(base, "dataverse_database")


def test_sku_matching_ignores_case_and_prefers_guid() -> None:
    plan = make_plan(
        [
            {"sku": "dyn365_finance", "quantity": 20},
            # A GUID the rules know wins over a part number spelt differently.
            {
                "sku": "SOMETHING_ELSE",
                "sku_id": "B75074F1-4C54-41BF-970F-C9AC871567F5",
                "quantity": 5,
            },
        ]
    )
    known = plan.licenses[plan.licenses["status"] == "known"]
    assert set(known["sku"]) == {"DYN365_FINANCE", "Dyn365_Operations_Activity"}
    assert capacity(plan, "database") == pytest.approx(90 + 100 + 5)


def test_unknown_and_irrelevant_skus_are_listed_never_dropped() -> None:
    plan = make_plan(
        licenses(DYN365_FINANCE=20, DYN365_BUSINESS_CENTRAL_PREMIUM=3, ENTERPRISEPACK=500)
    )
    status = dict(zip(plan.licenses["sku"], plan.licenses["status"], strict=True))
    assert status["DYN365_BUSINESS_CENTRAL_PREMIUM"] == "unknown"
    assert status["ENTERPRISEPACK"] == "not_relevant"
    unknown = [f for f in plan.findings if f.code == "UNKNOWN_SKU"]
    assert [f.subject for f in unknown] == ["DYN365_BUSINESS_CENTRAL_PREMIUM"]
    assert "3 units" in unknown[0].message


def test_licenses_added_later_count_from_their_month() -> None:
    rows = [
        *licenses(DYN365_FINANCE=20),
        {"sku": "DYN365_FINANCE", "quantity": 10, "start_month": 3},
    ]
    plan = make_plan(rows, months=6)
    entitled = plan.forecast.entitled[plan.ruleset.pool_names.index("database")]
    assert entitled.tolist() == pytest.approx([190, 190, 190, 240, 240, 240])
