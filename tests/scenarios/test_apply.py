"""What-if scenarios: properties of applying changes, flags against files, purchases."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import msgspec
import numpy as np
import pandas as pd
import pytest
from budget import examples
from builders import licenses, make_inputs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.engine.forecast import Forecast, recommend_purchases
from planner.errors import InputError
from planner.model.changes import Scenario
from planner.planning import build_plan, run_engine
from planner.results import Plan
from planner.ruleset import resolve_ruleset
from planner.scenarios.apply import apply_change, apply_changes
from planner.scenarios.compare import compare, plan_scenario
from planner.scenarios.read import changes_from_flags, read_scenario_file

AS_OF = "2026-12"
MONTHS = 12
POOLED = resolve_ruleset("pooled-2025-12", AS_OF)
SPLIT = resolve_ruleset("split-2023", AS_OF)
RULES = {POOLED.id: POOLED, SPLIT.id: SPLIT}
LICENSES = licenses(DYN365_FINANCE=25, DYN365_SCM=10, CDS_DB_CAPACITY=4)
ENVIRONMENTS = [
    {
        "name": "PROD",
        "type": "production",
        "power_platform": "integrated",
        "dataverse_database_gb": 9,
        "dataverse_file_gb": 4,
        "dataverse_log_gb": 1,
        "operations_database_gb": 120,
        "operations_file_gb": 12,
        "operations_database_growth_gb_per_month": 3,
        "dataverse_database_growth_gb_per_month": 0.4,
    },
    {"name": "UAT", "type": "sandbox", "operations_database_gb": 100, "operations_file_gb": 5},
    {
        "name": "CE",
        "type": "dataverse_production",
        "dataverse_database_gb": 6,
        "dataverse_file_gb": 3,
        "dataverse_log_gb": 0.5,
    },
]
SETTINGS = settings(
    max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def baseline(rules=POOLED):
    return build_plan(make_inputs(LICENSES, ENVIRONMENTS), rules, AS_OF, MONTHS)


@cache
def baseline_forecast(rules_id: str) -> Forecast:
    return run_engine(make_inputs(LICENSES, ENVIRONMENTS), RULES[rules_id], AS_OF, MONTHS)[3]


def scenario_forecast(changes, rules=POOLED) -> Forecast:
    """The engine's figures of a scenario: the properties below are about the numbers, so the
    plan's checks and reports are left out."""
    inputs = apply_changes(make_inputs(LICENSES, ENVIRONMENTS), changes, rules)
    return run_engine(inputs, rules, AS_OF, MONTHS)[3]


def scenario_plan(changes, rules=POOLED, license_rows=LICENSES, environment_rows=ENVIRONMENTS):
    return plan_scenario(
        make_inputs(license_rows, environment_rows),
        Scenario("s", tuple(changes)),
        rules,
        AS_OF,
        MONTHS,
    )


def same_numbers(a: Plan | Forecast, b: Plan | Forecast) -> None:
    a, b = (x.forecast if isinstance(x, Plan) else x for x in (a, b))
    np.testing.assert_allclose(a.entitled, b.entitled, atol=1e-9)
    np.testing.assert_allclose(a.consumed, b.consumed, atol=1e-9)
    np.testing.assert_allclose(a.available, b.available, atol=1e-9)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


@SETTINGS
@given(
    st.sampled_from(["DYN365_FINANCE", "DYN365_SCM", "CDS_DB_CAPACITY", "DYN365_RETAIL"]),
    st.integers(1, 300),
    st.integers(0, MONTHS - 1),
    st.sampled_from([POOLED, SPLIT]),
)
def test_adding_then_removing_licenses_gives_the_baseline(sku, quantity, month, rules) -> None:
    add, remove = changes_from_flags(
        AS_OF, add_licenses=[f"{sku}={quantity}", f"{sku}=-{quantity}"]
    )
    add, remove = replace(add, month=month), replace(remove, month=month)
    same_numbers(scenario_forecast([add, remove], rules), baseline_forecast(rules.id))


FLAG_SETS = [
    {"add_licenses": ["DYN365_FINANCE=20"]},
    {"add_licenses": ["CDS_DB_CAPACITY=5"]},
    {"add_sandbox": ["UAT2:3"]},
    {"link": ["UAT"]},
    {"buy_addon": ["database=12"]},
    {"growth": ["database=1.5"]},
]


def flag_changes(rules, order) -> list:
    """The changes of FLAG_SETS in ``order`` (buying and growing only where they apply)."""
    return [
        c
        for index in order
        for c in changes_from_flags(
            AS_OF,
            **{
                k: v
                for k, v in FLAG_SETS[index].items()
                if not (rules is SPLIT and k in ("buy_addon", "growth"))
            },
        )
    ]


@cache
def in_written_order(rules_id: str) -> Forecast:
    rules = RULES[rules_id]
    return scenario_forecast(flag_changes(rules, range(len(FLAG_SETS))), rules)


@SETTINGS
@given(st.permutations(range(len(FLAG_SETS))), st.sampled_from([0, 1]))
def test_independent_changes_commute(order, rules_index) -> None:
    rules = [POOLED, SPLIT][rules_index]
    same_numbers(in_written_order(rules.id), scenario_forecast(flag_changes(rules, order), rules))


FILE_EQUIVALENTS = [
    (
        {"add_licenses": ["DYN365_FINANCE=20"]},
        'kind = "add_licenses"\nsku = "DYN365_FINANCE"\nquantity = 20',
    ),
    (
        {"add_licenses": ["DYN365_SCM=-4"]},
        'kind = "remove_licenses"\nsku = "DYN365_SCM"\nquantity = 4',
    ),
    (
        {"add_sandbox": ["UAT2:3"]},
        'kind = "add_environment"\nname = "UAT2"\ntype = "addon_sandbox"\ntier = 3\n'
        'power_platform = "initial"',
    ),
    (
        {"add_sandbox": ["UAT2:3=45.5"]},
        'kind = "add_environment"\nname = "UAT2"\ntype = "addon_sandbox"\ntier = 3\n'
        'power_platform = "initial"\noperations_database_gb = 45.5',
    ),
    ({"link": ["UAT"]}, 'kind = "link_new_dataverse"\nname = "UAT"'),
    ({"buy_addon": ["database=12"]}, 'kind = "buy_addon"\npool = "database"\ngb = 12'),
    ({"growth": ["file=2.5"]}, 'kind = "set_growth"\npool = "file"\ngb_per_month = 2.5'),
]


@pytest.mark.parametrize(("flags", "table"), FILE_EQUIVALENTS)
def test_a_flag_equals_its_one_change_scenario_file(tmp_path, flags, table) -> None:
    path = write(tmp_path, f'name = "one"\n\n[[changes]]\n{table}\n')
    from_file = read_scenario_file(path, AS_OF, MONTHS)
    from_flag = changes_from_flags(AS_OF, **flags)
    same_numbers(scenario_plan(from_file.changes), scenario_plan(from_flag))


def test_scenario_equals_forecast_of_edited_inputs() -> None:
    changes = changes_from_flags(
        AS_OF, add_licenses=["DYN365_FINANCE=20"], link=["UAT"], add_sandbox=["UAT2:2"]
    )
    edited_licenses = [
        *LICENSES,
        {"sku": "DYN365_FINANCE", "quantity": 20},
        {"sku": "Dynamics_365_for_Operations_Sandbox_Tier2_SKU", "quantity": 1},
    ]
    edited_environments = [
        ENVIRONMENTS[0],
        {**ENVIRONMENTS[1], "power_platform": "integrated"},
        ENVIRONMENTS[2],
        {"name": "UAT2", "type": "addon_sandbox", "tier": 2, "power_platform": "initial"},
    ]
    edited = build_plan(make_inputs(edited_licenses, edited_environments), POOLED, AS_OF, MONTHS)
    same_numbers(scenario_plan(changes), edited)


def test_dated_link_continues_measured_growth_without_a_jump(tmp_path) -> None:
    path = write(
        tmp_path,
        'name = "link prod later"\n[[changes]]\nkind = "set_growth"\n'
        'environment = "PROD"\ncapacity_type = "operations_database"\ngb_per_month = 5\n'
        'month = "2027-04"\n',
    )
    plan = scenario_plan(read_scenario_file(path, AS_OF, MONTHS).changes)
    prod = plan.forecast.consumed[POOLED.pool_names.index("database")]
    base = baseline().forecast.consumed[POOLED.pool_names.index("database")]
    # Same until April (month 4); from then PROD grows 5 instead of 3 GB a month.
    np.testing.assert_allclose(prod[:5], base[:5])
    np.testing.assert_allclose(prod[5:] - base[5:], [2 * k for k in range(1, MONTHS - 4)])


@SETTINGS
@given(
    st.floats(0, 40),
    st.sampled_from(["now", "first-shortfall"]),
    st.sampled_from(["pooled-2025-12", "split-2023"]),
    st.floats(0.5, 15),
)
def test_buying_the_recommendation_removes_every_shortfall(
    buffer, buy_at, rules_id, growth
) -> None:
    rules = resolve_ruleset(rules_id, AS_OF)
    environments = [
        {
            **ENVIRONMENTS[0],
            "operations_database_growth_gb_per_month": growth,
            "dataverse_log_growth_gb_per_month": growth / 10,
        },
        *ENVIRONMENTS[1:],
    ]
    inputs = make_inputs(LICENSES, environments)
    forecast = run_engine(inputs, rules, AS_OF, MONTHS)[3]
    purchases = recommend_purchases(forecast, rules, buffer, buy_at).dropna(subset=["units"])
    buy = [
        c
        for row in purchases.itertuples()
        for c in changes_from_flags(AS_OF, buy_addon=[f"{row.pool}={row.units * row.unit_gb}"])
    ]
    months = {row.pool: forecast.months.index(row.buy_month) for row in purchases.itertuples()}
    buy = [replace(c, month=months[c.subject]) for c in buy]
    after = run_engine(apply_changes(inputs, buy, rules), rules, AS_OF, MONTHS)[3]
    priced_pools = set(purchases["pool"])
    for position, pool in enumerate(rules.pool_names):
        if pool in priced_pools:
            assert (after.available[position] >= -1e-9).all()
            if buffer == 0:
                continue
            # The headroom holds wherever the pool does not lend it to another pool.
            start = months[pool]
            entitled = after.entitled[position, start:]
            kept = after.available[position, start:] + after.lent[position, start:]
            assert (kept / entitled >= buffer / 100 - 1e-9).all()


def test_comparison_deltas_by_hand() -> None:
    comparison = compare(
        make_inputs(LICENSES, ENVIRONMENTS),
        [
            Scenario("more users", changes_from_flags(AS_OF, add_licenses=["DYN365_FINANCE=10"])),
            Scenario("link UAT", changes_from_flags(AS_OF, link=["UAT"])),
        ],
        POOLED,
        AS_OF,
        MONTHS,
    )
    from planner.report.data import comparison_data

    data = comparison_data(comparison)
    more_users = {d["pool"]: d for d in data["scenarios"][0]["delta"]}
    assert more_users["database"]["entitled_gb"] == pytest.approx(50)
    assert more_users["file"]["entitled_gb"] == pytest.approx(50)
    assert more_users["database"]["consumed_gb"] == pytest.approx(0)
    link = {d["pool"]: d for d in data["scenarios"][1]["delta"]}
    # initial (1 GB) becomes integrated (3 GB)
    assert link["database"]["consumed_gb"] == pytest.approx(2)
    assert link["database"]["available_gb"] == pytest.approx(-2)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('name = "x"\n[[changes]]\nkind = "fly"\n', "kind is 'fly'"),
        (
            'name = "x"\n[[changes]]\nkind = "add_licenses"\nsku = "A"\nquantity = 2\ncolour = 1\n',
            "unknown key 'colour'",
        ),
        (
            'name = "x"\n[[changes]]\nkind = "link_new_dataverse"\nname = "NOPE"\n',
            "no environment named 'NOPE'",
        ),
        ('name = "x"\n[[changes]]\nkind = "link_new_dataverse"\nname = "PROD"\n', "already linked"),
        (
            'name = "x"\n[[changes]]\nkind = "link_new_dataverse"\nname = "CE"\n',
            "only finance and operations environments are linked",
        ),
        (
            'name = "x"\n[[changes]]\nkind = "remove_licenses"\nsku = "DYN365_SCM"\n'
            "quantity = 11\n",
            "the tenant holds 10",
        ),
        (
            'name = "x"\n[[changes]]\nkind = "add_licenses"\nsku = "DYN365_SCM"\nquantity = 2\n'
            'month = "2026-13"\n',
            "2026-13",
        ),
        (
            'name = "x"\n[[changes]]\nkind = "add_licenses"\nsku = "DYN365_SCM"\nquantity = 2\n'
            'month = "2030-01"\n',
            "after the horizon",
        ),
        (
            'name = "x"\n[[changes]]\nkind = "add_environment"\nname = "UAT"\ntype = "sandbox"\n',
            "already exists",
        ),
        (
            'name = "x"\n[[changes]]\nkind = "add_licenses"\nsku = "A"\nquantity = 2.5\n',
            "whole number",
        ),
        ('name = "x"\n', "no changes"),
        ("name = \n", "not valid TOML"),
    ],
)
def test_bad_scenarios_name_file_and_change(tmp_path, text, fragment) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        scenario = read_scenario_file(path, AS_OF, MONTHS)
        scenario_plan(scenario.changes)
    message = caught.value.render()
    assert fragment in message
    assert str(path) in message


def test_renewal_into_the_pooled_model(tmp_path) -> None:
    """Planned from the switch month under the new rules; before it, under the old ones."""
    from planner.report.data import comparison_data

    path = write(
        tmp_path,
        'name = "renew"\n[[changes]]\nkind = "switch_rules"\nrules = "pooled-2025-12"\n'
        'month = "2027-06"\n[[changes]]\nkind = "add_licenses"\nsku = "DYN365_FINANCE"\n'
        'quantity = 10\nmonth = "2027-09"\n',
    )
    scenario = read_scenario_file(path, AS_OF, MONTHS)
    comparison = compare(make_inputs(LICENSES, ENVIRONMENTS), [scenario], SPLIT, AS_OF, MONTHS)
    (_, after), before = comparison.scenarios[0], comparison.before_switch["renew"]
    assert before.ruleset.id == "split-2023" and before.months == 6
    assert after.ruleset.id == "pooled-2025-12" and after.as_of == "2027-06"
    assert after.months == MONTHS - 6
    # The pooled plan starts where the split timeline left off: PROD's database grew 6 months.
    baseline = comparison.baseline
    consumed_at_switch = baseline.forecast.consumed[:, 6]
    split_database = sum(
        consumed_at_switch[baseline.ruleset.pool_names.index(p)]
        for p in ("dataverse_database", "operations_database")
    )
    assert after.forecast.consumed[0, 0] == pytest.approx(split_database)
    # 25 Finance + 10 SCM under pooled: 90 + 35 x 5 + 4; 10 more Finance from month 3 on.
    assert after.forecast.entitled[0, 0] == pytest.approx(269)
    assert after.forecast.entitled[0, 3] == pytest.approx(319)
    data = comparison_data(comparison)
    entry = data["scenarios"][0]
    assert entry["ruleset_switch"] == {"rules": "pooled-2025-12", "month": "2027-06"}
    database = next(d for d in entry["delta"] if d["pool"] == "database")
    assert database["baseline_pools"] == ["dataverse_database", "operations_database"]
    assert database["consumed_gb"] == pytest.approx(0)


def test_renewal_needs_a_later_month(tmp_path) -> None:
    path = write(tmp_path, 'name = "x"\n[[changes]]\nkind = "switch_rules"\nrules = "split-2023"\n')
    with pytest.raises(InputError, match="needs a month after month 0"):
        read_scenario_file(path, AS_OF, MONTHS)


def test_add_sandbox_takes_a_starting_size_and_says_it_was_given() -> None:
    [change] = changes_from_flags(AS_OF, add_sandbox=["UAT2:3=45.5"])
    assert "Operations database 45.5 GB as given" in change.describe()
    sized = scenario_plan([change])
    database = POOLED.pool_names.index("database")
    # The sandbox's 45.5 GB, its initial environment's 1 GB, less the Tier 3 add-on's own 10 GB
    # is not consumption: only what is consumed is compared here.
    np.testing.assert_allclose(
        sized.forecast.consumed[database] - baseline().forecast.consumed[database], 46.5
    )
    assert not [
        f
        for f in sized.findings
        if f.code == "USAGE_UNKNOWN" and "UAT2" in f.message and f.subject == "operations_database"
    ]


def test_add_sandbox_without_a_size_says_how_to_give_one() -> None:
    [change] = changes_from_flags(AS_OF, add_sandbox=["UAT2:3"])
    assert "rule set's planning estimates" in change.describe()
    unknown = [
        f
        for f in scenario_plan([change]).findings
        if f.code == "USAGE_UNKNOWN" and f.subject == "operations_database"
    ]
    assert unknown and "--add-sandbox UAT2:3=GB" in unknown[0].message
    assert "inventory" not in unknown[0].message


def test_add_sandbox_uses_the_rule_sets_estimate_for_its_tier() -> None:
    estimate = msgspec.structs.replace(
        POOLED.consumption.estimates["initial"]["dataverse_database"],
        gb=30.0,
        text="30 GB",
        rule="consumption.estimates.operations_tier_3.operations_database",
    )
    estimates = {
        **POOLED.consumption.estimates,
        "operations_tier_3": {"operations_database": estimate},
    }
    rules = msgspec.structs.replace(
        POOLED, consumption=msgspec.structs.replace(POOLED.consumption, estimates=estimates)
    )
    plan = scenario_plan(changes_from_flags(AS_OF, add_sandbox=["UAT2:3"]), rules)
    line = plan.consumption[
        (plan.consumption["environment"] == "UAT2")
        & (plan.consumption["capacity_type"] == "operations_database")
    ]
    assert line["gb"].tolist() == [30.0]
    assert "operations_tier_3" in line["basis"].iloc[0]


@pytest.mark.parametrize("value", ["UAT2:3=-4", "UAT2:3=lots", ":3=5", "UAT2:7=5"])
def test_add_sandbox_refuses_what_it_cannot_plan(value: str) -> None:
    with pytest.raises(InputError):
        changes_from_flags(AS_OF, add_sandbox=[value])


def test_growth_flag_is_extra_growth_on_top() -> None:
    [change] = changes_from_flags(AS_OF, growth=["database=1.5"])
    assert change.describe().startswith("add 1.5 GB per month of growth to the database pool")
    assert "on top of the environments' own" in change.describe()
    grown = scenario_plan([change])
    database = POOLED.pool_names.index("database")
    np.testing.assert_allclose(
        grown.forecast.consumed[database] - baseline().forecast.consumed[database],
        [1.5 * month for month in range(MONTHS)],
    )


def test_rows_added_together_equal_rows_added_one_by_one(tmp_path) -> None:
    """apply_changes gathers the rows of adding changes and appends them at once: the tables
    are those of applying each change on its own, in order."""
    path = tmp_path / "many.toml"
    adds = "".join(
        f'[[changes]]\nkind = "add_environment"\nname = "S{n}"\ntype = "addon_sandbox"\n'
        f'tier = {2 + n % 2}\nmonth = "2027-0{1 + n % 3}"\noperations_database_gb = {n}\n'
        f'[[changes]]\nkind = "add_licenses"\nsku = "DYN365_FINANCE"\nquantity = {n + 1}\n'
        f'[[changes]]\nkind = "buy_addon"\npool = "database"\ngb = {n + 1}\n'
        for n in range(60)
    )
    link = '[[changes]]\nkind = "link_new_dataverse"\nname = "S1"\nmonth = "2027-02"\n'
    path.write_text(f'name = "many"\n{adds}{link}', encoding="utf-8")
    changes = read_scenario_file(path, AS_OF, MONTHS).changes
    start = make_inputs(LICENSES, ENVIRONMENTS)
    together = apply_changes(start, changes, POOLED)
    one_by_one = start
    for change in sorted(changes, key=lambda c: c.month):
        one_by_one = apply_change(change, one_by_one, POOLED)
    assert len(together.environments) == len(ENVIRONMENTS) + 60
    pd.testing.assert_frame_equal(together.environments, one_by_one.environments)
    pd.testing.assert_frame_equal(together.licenses, one_by_one.licenses)


def test_changes_that_edit_rows_are_limited_by_the_rows_they_are_applied_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each change that edits the tables is applied to all their rows: the changes of all the
    scenarios of a run, times the rows, are refused above the limit before anything is planned;
    changes that only add rows do not count."""
    from planner.scenarios import apply

    inputs = make_inputs(LICENSES, ENVIRONMENTS)
    rows = len(inputs.environments) + len(inputs.licenses)
    edits = changes_from_flags(AS_OF, link=("UAT",), months=MONTHS)
    adds = changes_from_flags(AS_OF, add_sandbox=("NEW-1", "NEW-2", "NEW-3"), months=MONTHS)
    scenarios = [Scenario("a", tuple(edits) + tuple(adds)), Scenario("b", tuple(edits))]
    monkeypatch.setattr(apply, "MAX_EDITED_ROWS", 2 * rows)
    compare(inputs, scenarios, POOLED, AS_OF, MONTHS)  # two edits: at the limit
    monkeypatch.setattr(apply, "MAX_EDITED_ROWS", 2 * rows - 1)
    with pytest.raises(
        InputError,
        match=f"2 changes that edit environments or licenses, each "
        f"applied to {rows} rows, are more than",
    ):
        compare(inputs, scenarios, POOLED, AS_OF, MONTHS)
