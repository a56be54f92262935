"""Invariants of the engine, checked on generated tenants (hypothesis)."""

from __future__ import annotations

import msgspec
import numpy as np
import pandas as pd
import pytest
from budget import examples
from builders import consumed_by_pool, entitled_by_pool, make_forecast, make_inputs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.engine.consumption import LINE_CATEGORIES
from planner.engine.forecast import Forecast, borrow, compute_forecast
from planner.model.inputs import ENVIRONMENT_TYPES
from planner.planning import run_engine
from planner.ruleset import bundled_rulesets, resolve_ruleset

RULE_SETS = [r.id for r in bundled_rulesets()]
SKUS = [
    "DYN365_FINANCE",
    "DYN365_SCM",
    "DYN365_RETAIL",
    "DYN365_HUMAN_RESOURCES",
    "DYN365_FINANCE_PREMIUM",
    "Dyn365_Operations_Activity",
    "Dynamics_365_for_Operations_Devices",
    "DYN365_ENTERPRISE_SALES",
    "POWERAPPS_PER_APP",
    "CDS_DB_CAPACITY",
    "CDS_FILE_CAPACITY",
    "CDS_LOG_CAPACITY",
    "Dynamics_365_for_Operations_Sandbox_Tier2_SKU",
    "Dynamics_365_for_Operations_Sandbox_Tier4_SKU",
    "DYN365_SCM_ATTACH",
    "DYN365_TEAM_MEMBERS",
]
FNO_TYPES = ("production", "sandbox", "addon_sandbox")
USAGE = st.one_of(st.none(), st.floats(min_value=0, max_value=500, allow_nan=False))
GROWTH = st.one_of(st.none(), st.floats(min_value=0, max_value=20, allow_nan=False))

license_rows = st.lists(
    st.builds(
        lambda sku, quantity, start: {"sku": sku, "quantity": quantity, "start_month": start},
        st.sampled_from(SKUS),
        st.integers(min_value=0, max_value=300),
        st.integers(min_value=0, max_value=5),
    ),
    max_size=8,
)


@st.composite
def environment_rows(draw: st.DrawFn) -> list[dict]:
    count = draw(st.integers(min_value=0, max_value=6))
    rows = []
    for index in range(count):
        kind = draw(st.sampled_from(ENVIRONMENT_TYPES))
        row: dict = {"name": f"env{index}", "type": kind}
        if kind in FNO_TYPES:
            row["power_platform"] = draw(st.sampled_from(["", "none", "initial", "integrated"]))
        for capacity_type in (
            "dataverse_database",
            "dataverse_file",
            "dataverse_log",
            "operations_database",
            "operations_file",
        ):
            row[f"{capacity_type}_gb"] = draw(USAGE)
            row[f"{capacity_type}_growth_gb_per_month"] = draw(GROWTH)
        rows.append(row)
    return rows


SETTINGS = settings(
    max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@SETTINGS
@given(license_rows, st.sampled_from(SKUS), st.integers(1, 200), st.sampled_from(RULE_SETS))
def test_adding_licenses_never_lowers_entitlement(rows, sku, extra, rules) -> None:
    before = entitled_by_pool(rows, rules=rules, months=6)
    after = entitled_by_pool([*rows, {"sku": sku, "quantity": extra}], rules=rules, months=6)
    assert (after >= before - 1e-9).all()


@SETTINGS
@given(
    license_rows,
    st.sampled_from(
        [
            "DYN365_SCM_ATTACH",
            "DYN365_FINANCE_ATTACH",
            "DYN365_TEAM_MEMBERS",
            "DYN365_ENTERPRISE_TEAM_MEMBERS",
        ]
    ),
    st.integers(1, 500),
    st.sampled_from(RULE_SETS),
)
def test_attach_and_team_members_never_change_entitlement(rows, sku, extra, rules) -> None:
    before = entitled_by_pool(rows, rules=rules, months=3)
    after = entitled_by_pool([*rows, {"sku": sku, "quantity": extra}], rules=rules, months=3)
    np.testing.assert_allclose(after, before)


@SETTINGS
@given(license_rows, st.integers(2, 5), st.integers(1, 10))
def test_addon_sandbox_never_adds_dataverse_under_split(rows, tier, count) -> None:
    sku = f"Dynamics_365_for_Operations_Sandbox_Tier{tier}_SKU"
    before = entitled_by_pool(rows, rules="split-2023", months=3)
    after = entitled_by_pool([*rows, {"sku": sku, "quantity": count}], rules="split-2023", months=3)
    for position, pool in enumerate(resolve_ruleset("split-2023", "2026-12").pool_names):
        if pool.startswith("dataverse_"):
            np.testing.assert_allclose(after[position], before[position])


@SETTINGS
@given(license_rows, environment_rows(), st.sampled_from(RULE_SETS))
def test_lines_always_sum_to_totals(rows, environments, rules) -> None:
    # The plan's capacity table is the forecast's month 0 (planner.planning.build_plan).
    ruleset, entitlement, consumption, forecast = run_engine(
        make_inputs(rows, environments), resolve_ruleset(rules, "2026-12"), "2026-12", 4
    )
    for lines, totals in (
        (entitlement.lines, forecast.entitled[:, 0]),
        (consumption.lines, forecast.consumed[:, 0]),
    ):
        sums = lines.groupby("pool")["gb"].sum() if len(lines) else pd.Series(dtype=float)
        for position, pool in enumerate(ruleset.pool_names):
            assert abs(sums.get(pool, 0.0) - totals[position]) < 1e-6


@SETTINGS
@given(license_rows, environment_rows(), st.sampled_from(RULE_SETS))
def test_the_lines_text_codes_give_the_lines_text(rows, environments, rules) -> None:
    """Where the engine hands over a text column of the lines as values and codes, they give
    that column, row by row, missing values included."""
    _, _, consumption, _ = run_engine(
        make_inputs(rows, environments), resolve_ruleset(rules, "2026-12"), "2026-12", 4
    )
    lines = consumption.lines
    for column, (values, codes) in consumption.line_text.items():
        assert len(codes) == len(lines)
        given = lines[column].tolist()
        coded = values[codes].tolist()
        assert [None if pd.isna(v) else v for v in coded] == [
            None if pd.isna(v) else v for v in given
        ], column
    if len(lines):
        assert {"environment", "pool", "capacity_type"} <= set(consumption.line_text)
    # The columns of a few words each are categoricals that sort as their text does.
    for column in LINE_CATEGORIES:
        if column in consumption.line_text:
            assert isinstance(lines[column].dtype, pd.CategoricalDtype), column
            ordered = lines.sort_values(column, kind="stable")[column].tolist()
            assert ordered == sorted(lines[column].tolist()), column


@SETTINGS
@given(environment_rows(), st.sampled_from(RULE_SETS))
def test_integrated_never_consumes_less_than_initial(environments, rules) -> None:
    fno = [dict(r) for r in environments if r["type"] in FNO_TYPES]
    initial = [{**r, "power_platform": "initial"} for r in fno]
    integrated = [{**r, "power_platform": "integrated"} for r in fno]
    a = consumed_by_pool(initial, rules=rules, months=4)
    b = consumed_by_pool(integrated, rules=rules, months=4)
    assert (b >= a - 1e-9).all()


@SETTINGS
@given(
    st.lists(st.floats(min_value=-1000, max_value=1000, allow_nan=False), min_size=3, max_size=3),
    st.sampled_from(RULE_SETS),
)
def test_borrowing_never_lowers_a_lender_below_zero(values, rules) -> None:
    ruleset = resolve_ruleset(rules, "2026-12")
    available = np.resize(np.array(values), (len(ruleset.pool_names), 1))
    after, borrowed, lent = borrow(available, ruleset)
    lenders = lent[:, 0] > 0
    assert (after[lenders, 0] >= -1e-9).all()
    # Borrowing moves capacity; it never creates or destroys any.
    assert abs(after.sum() - available.sum()) < 1e-6
    assert abs(borrowed.sum() - lent.sum()) < 1e-6


def _first_shortfall(forecast: Forecast) -> int | None:
    over = (forecast.available < -1e-9).any(axis=0)
    return int(np.argmax(over)) if over.any() else None


@SETTINGS
@given(
    license_rows,
    environment_rows(),
    st.floats(min_value=0.01, max_value=50, allow_nan=False),
    st.sampled_from(RULE_SETS),
)
def test_more_growth_never_delays_a_shortfall(rows, environments, extra, rules) -> None:
    slower = make_forecast(rows, environments, rules=rules, months=12)
    faster_rows = [
        {
            **r,
            "operations_database_growth_gb_per_month": (
                r["operations_database_growth_gb_per_month"] or 0
            )
            + extra,
            "dataverse_database_growth_gb_per_month": (
                r["dataverse_database_growth_gb_per_month"] or 0
            )
            + extra,
        }
        for r in environments
    ]
    faster = make_forecast(rows, faster_rows, rules=rules, months=12)
    first_slow, first_fast = _first_shortfall(slower), _first_shortfall(faster)
    if first_slow is not None:
        assert first_fast is not None and first_fast <= first_slow


POOL_FIGURES = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=1000, allow_nan=False),
        st.floats(min_value=0, max_value=1000, allow_nan=False),
    ),
    min_size=5,
    max_size=5,
)


def _pools(ruleset, figures) -> tuple[np.ndarray, np.ndarray]:
    count = len(ruleset.pool_names)
    entitled = np.array([[e] for e, _ in figures[:count]])
    consumed = np.array([[c] for _, c in figures[:count]])
    return entitled, consumed


@SETTINGS
@given(POOL_FIGURES, st.sampled_from(RULE_SETS))
def test_borrowing_never_creates_capacity(figures, rules) -> None:
    ruleset = resolve_ruleset(rules, "2026-12")
    entitled, consumed = _pools(ruleset, figures)
    forecast = compute_forecast(entitled, consumed, ["2026-12"], ruleset)
    deficit = forecast.deficit[:, 0]
    # Capacity only moves between the pools that borrow from one another: however it moves, the
    # deficits left are at least what the group as a whole is short.
    groups = _borrowing_groups(ruleset)
    for members in groups:
        short = consumed[members, 0].sum() - entitled[members, 0].sum()
        assert deficit[members].sum() >= short - 1e-6
    # The effective capacity counts nothing a lender does not have spare.
    received = forecast.effective[:, 0] - entitled[:, 0]
    spare = np.clip(entitled[:, 0] - consumed[:, 0], 0, None)
    assert received.sum() <= spare.sum() + 1e-6
    assert (received >= -1e-9).all()


@SETTINGS
@given(POOL_FIGURES, st.sampled_from(RULE_SETS))
def test_a_pool_that_cannot_borrow_keeps_its_raw_deficit(figures, rules) -> None:
    ruleset = resolve_ruleset(rules, "2026-12")
    entitled, consumed = _pools(ruleset, figures)
    forecast = compute_forecast(entitled, consumed, ["2026-12"], ruleset)
    borrowers = {rule.borrower for rule in ruleset.borrowing}
    for position, pool in enumerate(ruleset.pool_names):
        if pool in borrowers:
            continue
        raw = max(0.0, consumed[position, 0] - entitled[position, 0])
        assert forecast.deficit[position, 0] == pytest.approx(raw, abs=1e-9)
        assert forecast.effective[position, 0] == pytest.approx(entitled[position, 0])


@SETTINGS
@given(POOL_FIGURES, st.sampled_from(RULE_SETS), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_the_order_pools_are_listed(figures, rules, random) -> None:
    ruleset = resolve_ruleset(rules, "2026-12")
    entitled, consumed = _pools(ruleset, figures)
    order = list(range(len(ruleset.pool_names)))
    random.shuffle(order)
    shuffled = msgspec.structs.replace(ruleset, pools=tuple(ruleset.pools[i] for i in order))
    a = compute_forecast(entitled, consumed, ["2026-12"], ruleset)
    b = compute_forecast(entitled[order], consumed[order], ["2026-12"], shuffled)
    for new, old in enumerate(order):
        assert b.status[new, 0] == a.status[old, 0]
        assert b.deficit[new, 0] == pytest.approx(a.deficit[old, 0], abs=1e-9)
        assert b.effective[new, 0] == pytest.approx(a.effective[old, 0], abs=1e-9)
        assert b.remaining[new, 0] == pytest.approx(a.remaining[old, 0], abs=1e-9)
    assert {k: v[0] for k, v in a.borrowed_from.items()} == pytest.approx(
        {k: v[0] for k, v in b.borrowed_from.items()}
    )


def _borrowing_groups(ruleset) -> list[list[int]]:
    """Pools joined by borrowing, as lists of positions (a pool alone is its own group)."""
    index = {p: i for i, p in enumerate(ruleset.pool_names)}
    group = list(range(len(index)))

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    for rule in ruleset.borrowing:
        group[root(index[rule.lender])] = root(index[rule.borrower])
    members: dict[int, list[int]] = {}
    for i in range(len(index)):
        members.setdefault(root(i), []).append(i)
    return list(members.values())


@SETTINGS
@given(POOL_FIGURES, st.sampled_from(RULE_SETS))
def test_the_effective_deficit_is_consumption_beyond_the_effective_capacity(figures, rules) -> None:
    """The notification's effective capacity and the overage's deficit tell one story: a pool is
    over by exactly what it consumes beyond its effective capacity, and never over otherwise."""
    ruleset = resolve_ruleset(rules, "2026-12")
    entitled, consumed = _pools(ruleset, figures)
    forecast = compute_forecast(entitled, consumed, ["2026-12"], ruleset)
    beyond = np.clip(consumed[:, 0] - forecast.effective[:, 0], 0, None)
    assert forecast.deficit[:, 0] == pytest.approx(beyond, abs=1e-6)
    assert ((forecast.status[:, 0] == "over") == (forecast.deficit[:, 0] > 0)).all()


def _page_rules(entitled: dict[str, float], consumed: dict[str, float], line: float):
    """The capacity page's rules for one month, written out plainly with scalars: Log borrows
    from Database; File from Log, then Database. First the deficits are covered, then a pool
    above its line counts more spare capacity for the notification; a pool that lent keeps its
    own figures, one above its own line lends nothing more. Returns effective capacity and
    deficit per type."""
    spare = {t: max(entitled[t] - consumed[t], 0.0) for t in entitled}
    need = {t: max(consumed[t] - entitled[t], 0.0) for t in entitled}
    received = dict.fromkeys(entitled, 0.0)
    lent = dict.fromkeys(entitled, 0.0)
    order = [("database", "log"), ("log", "file"), ("database", "file")]
    for lender, borrower in order:
        amount = min(spare[lender], need[borrower])
        spare[lender] -= amount
        need[borrower] -= amount
        received[borrower] += amount
        lent[lender] += amount
    for lender, borrower in order:
        if lent[borrower] > 1e-9 or consumed[lender] > line * entitled[lender] + 1e-9:
            continue
        wanted = max(consumed[borrower] / line - entitled[borrower] - received[borrower], 0.0)
        amount = min(spare[lender], wanted)
        spare[lender] -= amount
        received[borrower] += amount
    return {t: entitled[t] + received[t] for t in entitled}, need


@SETTINGS
@given(
    st.lists(
        st.tuples(*(st.floats(min_value=0, max_value=300, allow_nan=False) for _ in range(6))),
        min_size=1,
        max_size=6,
    )
)
def test_the_engine_agrees_with_the_page_written_out_month_by_month(months) -> None:
    ruleset = resolve_ruleset("pooled-2025-12", "2026-12")
    pools = ruleset.pool_names
    types = ("database", "log", "file")
    entitled = np.array([[m[types.index(p)] for m in months] for p in pools])
    consumed = np.array([[m[3 + types.index(p)] for m in months] for p in pools])
    labels = [f"2027-{n + 1:02d}" for n in range(len(months))]
    forecast = compute_forecast(entitled, consumed, labels, ruleset)
    line = 1 - ruleset.thresholds.warning_remaining.value
    for month, values in enumerate(months):
        effective, deficit = _page_rules(
            dict(zip(types, values[:3], strict=True)),
            dict(zip(types, values[3:], strict=True)),
            line,
        )
        for position, pool in enumerate(pools):
            assert forecast.effective[position, month] == pytest.approx(effective[pool], abs=1e-6)
            assert forecast.deficit[position, month] == pytest.approx(deficit[pool], abs=1e-6)
