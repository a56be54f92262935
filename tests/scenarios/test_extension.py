"""Capacity extensions as a what-if change: the rule set's rules, one engine path, the flag.

The tenant: Database entitled to 190 GB (20 Finance licenses, pooled), consuming 150 GB in
2026-12 and growing 10 GB a month, so it is first short in 2027-05. The case files under
``cases/extension-*.toml`` hold the worked examples; these tests hold what cases cannot say.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import msgspec
import numpy as np
import pytest
from builders import licenses, make_inputs

from planner.engine.entitlement import EXTENSION_MONTHS_RULE
from planner.errors import InputError
from planner.model.changes import RequestExtension, Scenario
from planner.model.months import months_of_days
from planner.report.contract import WhatifDocument
from planner.report.data import comparison_data, report_data
from planner.report.json_report import render_json
from planner.ruleset import resolve_ruleset
from planner.scenarios.compare import compare, plan_scenario
from planner.scenarios.read import changes_from_flags, read_scenario_file

AS_OF = "2026-12"
MONTHS = 12
POOLED = resolve_ruleset("pooled-2025-12", AS_OF)
SPLIT = resolve_ruleset("split-2023", AS_OF)
LICENSES = licenses(DYN365_FINANCE=20)
PROD = {
    "name": "PROD",
    "type": "production",
    "power_platform": "integrated",
    "dataverse_database_gb": 10,
    "dataverse_file_gb": 2,
    "dataverse_log_gb": 0.5,
    "operations_database_gb": 140,
    "operations_file_gb": 10,
    "operations_database_growth_gb_per_month": 10,
}
INPUTS = make_inputs(LICENSES, [PROD])
DATABASE = POOLED.pool_names.index("database")


def ask(month: str, pool: str = "database") -> RequestExtension:
    offset = int(month[:4]) * 12 + int(month[5:]) - (2026 * 12 + 12)
    return RequestExtension(pool=pool, month=offset, month_label=month, origin=f"test {month}")


def planned(*changes, rules=POOLED, inputs=INPUTS, months=MONTHS):
    return plan_scenario(inputs, Scenario("s", tuple(changes)), rules, AS_OF, months)


def test_days_become_the_months_they_reach() -> None:
    # From a month's first day: 45 days reach into the next month, 30 do not, 365 are 12 months.
    assert [months_of_days(d) for d in (1, 30, 31, 45, 61, 365, 366)] == [1, 1, 2, 2, 3, 12, 13]


def test_an_allowed_extension_adds_to_the_entitlement_in_its_months_only() -> None:
    plan = planned(ask("2027-04"))
    added = plan.forecast.entitled[DATABASE] - planned().forecast.entitled[DATABASE]
    # 25% of the 190 GB consumed in 2027-04, in 2027-04 and 2027-05 (indexes 4 and 5).
    np.testing.assert_allclose(added, [0, 0, 0, 0, 47.5, 47.5, 0, 0, 0, 0, 0, 0])
    assert plan.shortfalls.set_index("pool").loc["database", "first_month"] == "2027-06"
    # Borrowing, status and deficits see it: it is entitlement like any other.
    assert plan.forecast.status[DATABASE, 5] != "over"


def test_the_rule_sets_numbers_drive_it_not_the_code() -> None:
    overage = POOLED.overage
    assert overage is not None
    rules = msgspec.structs.replace(
        POOLED,
        overage=msgspec.structs.replace(
            overage,
            extension_above=msgspec.structs.replace(overage.extension_above, value=0.5),
            extension_share=msgspec.structs.replace(overage.extension_share, value=0.5),
            extension_days=msgspec.structs.replace(overage.extension_days, value=20),
            extension_max=msgspec.structs.replace(overage.extension_max, value=1),
        ),
    )
    # 150 of 190 GB is 79%: below the bundled 80%, above this rule set's 50%.
    plan = planned(ask("2026-12"), rules=rules)
    added = plan.forecast.entitled[DATABASE] - planned(rules=rules).forecast.entitled[DATABASE]
    np.testing.assert_allclose(added[:2], [75.0, 0.0])  # half of 150 GB; 20 days: one month
    with pytest.raises(InputError, match=r"a 2nd capacity extension within 365 days \(2026-12"):
        planned(ask("2026-12"), ask("2027-06"), rules=rules)


def test_a_rule_set_without_extension_rules_refuses_the_request() -> None:
    with pytest.raises(InputError, match="states no capacity extension"):
        planned(ask("2027-04"), rules=msgspec.structs.replace(POOLED, overage=None))


def test_an_unknown_pool_is_refused_with_the_pools_that_may_be_extended() -> None:
    with pytest.raises(InputError) as raised:
        planned(ask("2027-04", pool="storage"))
    assert "'storage' is not a pool of rule set pooled-2025-12" in str(raised.value)
    assert "one of database, file, log" in str(raised.value)


def test_split_model_extends_dataverse_pools_only() -> None:
    full = make_inputs(LICENSES, [{**PROD, "dataverse_database_gb": 2000}])
    plan = planned(ask("2027-01", pool="dataverse_database"), rules=SPLIT, inputs=full)
    position = SPLIT.pool_names.index("dataverse_database")
    added = (
        plan.forecast.entitled[position]
        - planned(rules=SPLIT, inputs=full).forecast.entitled[position]
    )
    np.testing.assert_allclose(added[1:3], [500.0, 500.0])
    with pytest.raises(InputError) as raised:
        planned(ask("2027-01", pool="operations_database"), rules=SPLIT, inputs=full)
    message = str(raised.value)
    assert "Operations database holds finance and operations capacity only" in message
    assert "one of dataverse_database, dataverse_file, dataverse_log" in message


def test_the_plan_lists_how_days_map_to_months_among_its_assumptions() -> None:
    plan = planned(ask("2027-04"))
    rows = plan.assumptions[plan.assumptions["rule"] == EXTENSION_MONTHS_RULE]
    assert len(rows) == 1
    assert "45 days counted as 2 whole months, from the month asked for" in rows["value"].iloc[0]
    assert "fewer than 12 months apart" in rows["reason"].iloc[0]
    # It is how the plan counts, not a rule-set number: no "put your figure in a rules file".
    assert not [f for f in plan.findings if "capacity extension" in f.message]
    assert EXTENSION_MONTHS_RULE not in set(planned().assumptions["rule"])


def test_an_extension_in_month_0_is_an_entitlement_line_of_its_own() -> None:
    # 180 of 190 GB used in month 0: 25% of 180 GB more.
    full = make_inputs(LICENSES, [{**PROD, "operations_database_gb": 170}])
    plan = planned(ask("2026-12"), inputs=full)
    lines = plan.entitlement[plan.entitlement["kind"] == "capacity_extension"]
    assert list(lines["pool"]) == ["database"] and lines["gb"].iloc[0] == pytest.approx(45)
    assert lines["source"].iloc[0] == POOLED.overage.extension_share.source.url
    assert plan.capacity.set_index("pool").loc["database", "entitled_gb"] == pytest.approx(235)


def test_the_flag_equals_its_one_change_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "one.toml"
    path.write_text(
        'name = "one"\n[[changes]]\nkind = "request_extension"\npool = "database"\n'
        'month = "2027-04"\n',
        encoding="utf-8",
    )
    from_file = read_scenario_file(path, AS_OF, MONTHS).changes
    from_flag = changes_from_flags(AS_OF, extension=["database@2027-04"], months=MONTHS)
    assert [replace(c, origin="") for c in from_file] == [replace(c, origin="") for c in from_flag]
    a, b = planned(*from_file), planned(*from_flag)
    np.testing.assert_allclose(a.forecast.entitled, b.forecast.entitled)
    np.testing.assert_allclose(a.forecast.available, b.forecast.available)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("database", "is not of the form POOL@YYYY-MM"),
        ("@2027-04", "is not of the form POOL@YYYY-MM"),
        ("database@", "is not of the form POOL@YYYY-MM"),
        ("database@2027-4", "is not a month"),
        ("database@2027-13", "has month 13"),
        ("database@2026-11", "is before month 0 of the plan (2026-12)"),
        ("database@2027-12", "is after the horizon ends (2027-11)"),
    ],
)
def test_a_bad_flag_is_refused_with_the_expected_form(value: str, said: str) -> None:
    with pytest.raises(InputError) as raised:
        changes_from_flags(AS_OF, extension=[value], months=MONTHS)
    assert said in str(raised.value)
    assert "POOL@YYYY-MM" in str(raised.value)


def _compared(text: str, tmp_path: Path, rules=POOLED) -> dict:
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    scenario = read_scenario_file(path, AS_OF, MONTHS)
    return comparison_data(compare(INPUTS, [scenario], rules, AS_OF, MONTHS))


EXTENSION = '[[changes]]\nkind = "request_extension"\npool = "{pool}"\nmonth = "{month}"\n'


def test_changes_that_make_no_room_in_the_pool_do_not_end_the_gap(tmp_path: Path) -> None:
    text = (
        'name = "s"\n'
        + EXTENSION.format(pool="database", month="2027-04")
        + '[[changes]]\nkind = "buy_addon"\npool = "file"\ngb = 100\nmonth = "2027-06"\n'
        + '[[changes]]\nkind = "set_growth"\npool = "database"\ngb_per_month = 2\n'
        'month = "2027-06"\n'
    )
    [extension] = _compared(text, tmp_path)["scenarios"][0]["extensions"]
    assert extension["bridges"] is False and extension["until"] is None
    assert extension["note"].startswith("no purchase or clean-up of Database is planned after it")


def test_added_licenses_that_grant_the_pool_capacity_end_the_gap(tmp_path: Path) -> None:
    text = (
        'name = "s"\n'
        + EXTENSION.format(pool="database", month="2027-04")
        + '[[changes]]\nkind = "add_licenses"\nsku = "DYN365_FINANCE"\nquantity = 10\n'
        'month = "2027-06"\n'
    )
    [extension] = _compared(text, tmp_path)["scenarios"][0]["extensions"]
    assert extension["bridges"] is True and extension["until"] == "2027-06"
    assert extension["note"].startswith("bridges the gap to the added licenses in 2027-06")


def test_the_whatif_json_carries_the_extensions_and_keeps_its_contract(tmp_path: Path) -> None:
    text = 'name = "s"\n' + EXTENSION.format(pool="database", month="2027-04")
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    scenario = read_scenario_file(path, AS_OF, MONTHS)
    document = msgspec.json.decode(
        render_json(report_data(comparison=compare(INPUTS, [scenario], POOLED, AS_OF, MONTHS)))
    )
    msgspec.convert(document, WhatifDocument)
    [extension] = document["scenarios"][0]["extensions"]
    assert extension["months"] == ["2027-04", "2027-05"]
    # How days map to months is an assumption row, not a finding about an assumed number.
    findings = document["scenarios"][0]["plan"]["findings"]
    assert not [f for f in findings if f["code"] == "ASSUMED_VALUE"]
    assumptions = document["scenarios"][0]["plan"]["assumptions"]
    assert [a["rule"] for a in assumptions] == [EXTENSION_MONTHS_RULE]


SWITCH = '[[changes]]\nkind = "switch_rules"\nrules = "pooled-2025-12"\nmonth = "2027-06"\n'


def test_an_extension_running_into_a_switch_without_its_pool_is_refused(tmp_path: Path) -> None:
    full = make_inputs(LICENSES, [{**PROD, "dataverse_database_gb": 2000}])
    path = tmp_path / "s.toml"
    path.write_text(
        'name = "renew"\n' + SWITCH + EXTENSION.format(pool="dataverse_database", month="2027-05"),
        encoding="utf-8",
    )
    scenario = read_scenario_file(path, AS_OF, MONTHS)
    with pytest.raises(InputError) as raised:
        compare(full, [scenario], SPLIT, AS_OF, MONTHS)
    message = str(raised.value)
    assert "changes[2]" in message
    assert "still runs in 2027-06, when the scenario switches to rule set pooled-2025-12" in message


def test_extensions_count_across_a_switch_of_rule_sets(tmp_path: Path) -> None:
    full = make_inputs(LICENSES, [{**PROD, "dataverse_database_gb": 2000}])
    early = "".join(
        EXTENSION.format(pool="dataverse_database", month=m) for m in ("2027-01", "2027-03")
    )
    allowed = early + EXTENSION.format(pool="database", month="2027-07")
    path = tmp_path / "s.toml"
    path.write_text('name = "renew"\n' + SWITCH + allowed, encoding="utf-8")
    scenario = read_scenario_file(path, AS_OF, MONTHS)
    compared = comparison_data(compare(full, [scenario], SPLIT, AS_OF, MONTHS))
    rows = compared["scenarios"][0]["extensions"]
    assert [(e["pool"], e["month"]) for e in rows] == [
        ("dataverse_database", "2027-01"),
        ("dataverse_database", "2027-03"),
        ("database", "2027-07"),
    ]
    assert rows[2]["months"] == ["2027-07", "2027-08"]
    path.write_text(
        'name = "renew"\n' + SWITCH + allowed + EXTENSION.format(pool="database", month="2027-09"),
        encoding="utf-8",
    )
    scenario = read_scenario_file(path, AS_OF, MONTHS)
    with pytest.raises(InputError, match=r"4th .* \(2027-01, 2027-03, 2027-07 already\)"):
        compare(full, [scenario], SPLIT, AS_OF, MONTHS)


def test_a_clean_up_written_as_negative_pool_growth_ends_the_gap(tmp_path: Path) -> None:
    text = (
        'name = "s"\n'
        + EXTENSION.format(pool="database", month="2027-04")
        + '[[changes]]\nkind = "set_growth"\npool = "database"\ngb_per_month = -20\n'
        'month = "2027-06"\n'
    )
    [extension] = _compared(text, tmp_path)["scenarios"][0]["extensions"]
    assert extension["bridges"] is True
    assert extension["note"] == (
        "bridges the gap to the clean-up in 2027-06 (add -20 GB per month of growth to the "
        "database pool, on top of the environments' own)"
    )
