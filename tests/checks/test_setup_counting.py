"""What a setup adds to each pool, counted for all setups at once, is to the bit what counting
each setup's rows on their own gives (the engine counts every row by itself, and sums a pool's
capacity types in one order).

On generated tenants and scenarios (hypothesis): new environments with and without sizes,
links to new and to existing Dataverse databases, in several months.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from budget import examples
from builders import make_inputs
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from planner.checks import provisioning
from planner.errors import InputError
from planner.planning import build_plan, month_labels
from planner.results import Plan
from planner.ruleset import resolve_ruleset
from planner.scenarios.apply import apply_changes
from planner.scenarios.read import change_from_table

AS_OF, MONTHS = "2026-12", 8
# Finance and operations environments (links are made from them) and Dataverse ones (linked to).
OPERATIONS = ("UAT", "Build", "Test", "Ärger")
OPERATIONS_TYPES = ("sandbox", "addon_sandbox", "production")
DATAVERSE = ("Dev 1", "PROD DV")
NEW_TYPES = ("sandbox", "addon_sandbox", "production", "developer", "trial", "dataverse_sandbox")
SIZE = st.one_of(st.none(), st.sampled_from([0.0, 0.5, 1234.5678]), st.floats(0, 3000))


@st.composite
def sizes(draw: st.DrawFn) -> dict[str, float]:
    drawn: dict[str, float] = {}
    for capacity_type in draw(
        st.sets(st.sampled_from(["dataverse_database", "dataverse_file", "dataverse_log"]))
    ):
        for column in (f"{capacity_type}_gb", f"{capacity_type}_growth_gb_per_month"):
            size = draw(SIZE)
            if size is not None:
                drawn[column] = size
    return drawn


@st.composite
def setups(draw: st.DrawFn) -> Plan:
    labels = month_labels(AS_OF, MONTHS)
    environments: list[dict[str, Any]] = []
    operations = draw(st.lists(st.sampled_from(OPERATIONS), unique=True, max_size=4))
    for name in operations:
        environments.append(
            {
                "name": name,
                "type": draw(st.sampled_from(OPERATIONS_TYPES)),
                "power_platform": draw(st.sampled_from(["", "none", "initial"])),
                "start_month": draw(st.integers(0, 2)),
                **draw(sizes()),
            }
        )
    for name in DATAVERSE:
        environments.append({"name": name, "type": "dataverse_sandbox", **draw(sizes())})
    tables: list[dict[str, Any]] = []
    for name in draw(st.lists(st.sampled_from(operations), unique=True)) if operations else []:
        month = labels[draw(st.integers(0, MONTHS - 1))]
        if draw(st.booleans()):
            tables.append({"kind": "link_new_dataverse", "name": name, "month": month})
        else:
            target = draw(st.sampled_from(DATAVERSE))
            tables.append(
                {"kind": "link_existing_dataverse", "name": name, "target": target, "month": month}
            )
    for index in range(draw(st.integers(0, 8))):
        tables.append(
            {
                "kind": "add_environment",
                "name": f"New {index}",
                "type": draw(st.sampled_from(NEW_TYPES)),
                "month": labels[draw(st.integers(0, MONTHS - 1))],
                **draw(sizes()),
            }
        )
    rules = draw(st.sampled_from(["pooled-2025-12", "split-2023"]))
    try:
        changes = [
            change_from_table(table, AS_OF, MONTHS, "generated.toml", f"changes[{n + 1}]")
            for n, table in enumerate(tables)
        ]
        return planned(environments, changes, rules)
    except InputError:
        assume(False)
        raise


def planned(environments: list[dict[str, Any]], changes: list[Any], rules: str) -> Plan:
    """The plan of a tenant of ``environments`` with the changes applied."""
    ruleset = resolve_ruleset(rules, AS_OF)
    inputs = make_inputs([{"sku": "DYN365_FINANCE", "quantity": 20}], environments)
    return build_plan(apply_changes(inputs, changes, ruleset), ruleset, AS_OF, MONTHS, changes)


def each_setup(plan: Plan) -> list[tuple[int, Any, Any]]:
    """Every setup of the plan's changes, as the check finds them: (month, created, replaced)."""
    groups: dict[tuple[str, int], list[Any]] = {}
    for change in plan.changes:
        if change.kind in provisioning.SETUP_KINDS and 0 <= change.month < plan.months:
            groups.setdefault((change.subject, change.month), []).append(change)
    inventory = plan.inputs.environments
    rows_of = provisioning._rows_named(inventory, {subject for subject, _ in groups})
    found = []
    for (subject, month), group in sorted(groups.items(), key=lambda g: (g[0][1], g[0][0])):
        named = rows_of.get(subject, np.zeros(0, dtype=np.int64))
        rows = provisioning._before_and_after(plan, named, month, group)
        if rows is not None:
            found.append((month, *rows))
    return found


@given(setups())
@settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_setups_counted_together_add_what_each_adds_alone(plan: Plan) -> None:
    found = each_setup(plan)
    event(f"setups: {min(len(found), 3)}")
    event(f"links: {sum(len(replaced) for _, _, replaced in found) > 0}")
    together = provisioning._added(plan, found)
    for (month, created, replaced), added in zip(found, together, strict=True):
        alone = provisioning._pool_use(plan, created, month) - provisioning._pool_use(
            plan, replaced, month
        )
        assert added.tobytes() == alone.tobytes(), (month, created, replaced, added, alone)


def test_a_row_counted_with_others_counts_what_it_counts_alone() -> None:
    """The rows of many new sandboxes of different sizes, counted in different months."""
    labels = month_labels(AS_OF, MONTHS)
    tables = [
        {
            "kind": "add_environment",
            "name": f"New {n}",
            "type": ("sandbox", "developer", "production")[n % 3],
            "month": labels[n % MONTHS],
            "dataverse_database_gb": n * 1.7,
            "dataverse_file_growth_gb_per_month": n / 3,
        }
        for n in range(40)
    ]
    changes = [
        change_from_table(table, AS_OF, MONTHS, "generated.toml", f"changes[{n + 1}]")
        for n, table in enumerate(tables)
    ]
    plan = planned([], changes, "pooled-2025-12")
    found = each_setup(plan)
    assert len(found) == 40
    together = provisioning._added(plan, found)
    for (month, created, replaced), added in zip(found, together, strict=True):
        alone = provisioning._pool_use(plan, created, month) - provisioning._pool_use(
            plan, replaced, month
        )
        assert added.tobytes() == alone.tobytes()
    assert any(added.any() for added in together)
