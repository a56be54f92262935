"""Checks that build their findings from whole columns find what a plain row-by-row reading finds.

Each reference below reads the plan one row at a time, the simplest way to state the rule; the
checks themselves work a column at a time. On generated tenants (hypothesis) both give the same
findings, in the same order, with the same text. Also: the helpers the checks share, and the
order run_checks puts findings in.
"""

from __future__ import annotations

import gc
import math
import pickle
from operator import attrgetter
from pathlib import PurePath
from typing import Any

import msgspec
import numpy as np
import pandas as pd
import pytest
from budget import examples
from builders import make_inputs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import checks
from planner.checks import REGISTRY, run_checks, timeline
from planner.checks.inputs import not_counted_finding
from planner.checks.integration import purchase_text, purchase_texts
from planner.checks.purchase import sandbox_entitlement, sandboxes_paid
from planner.checks.registry import Check
from planner.checks.timeline import (
    FEW,
    LINK_KINDS,
    LINKABLE_TYPES,
    among,
    dataverse_pool,
    environment_names,
    evaluation_months,
    gb_texts,
    holds,
    link_targets,
    per_distinct,
    pool_title,
)
from planner.engine.forecast import TOLERANCE_GB
from planner.model.inputs import ENVIRONMENT_TYPES, FINANCE_OPERATIONS_TYPES
from planner.model.units import format_gb
from planner.model.vocabulary import capacity_type_words
from planner.planning import build_plan, month_labels
from planner.report.data import FINDING_KEYS, finding_records
from planner.results import SEVERITIES, Finding, Plan, findings_of
from planner.ruleset import resolve_ruleset
from planner.scenarios.read import change_from_table

AS_OF, MONTHS = "2026-12", 6
# Few names, so that rows share them (one environment over several rows, or a clash).
NAMES = ("UAT", "uat", "Dev 1", "PROD", "Ärger", "b")
CAPACITY_TYPES = (
    "dataverse_database",
    "dataverse_file",
    "dataverse_log",
    "operations_database",
    "operations_file",
)
SIZE = st.one_of(
    st.none(), st.sampled_from([0.0, 0.5, 3.0, 1234.5678]), st.floats(0, 3000, allow_nan=False)
)


@st.composite
def environment_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for _ in range(draw(st.integers(0, 10))):
        kind = draw(st.sampled_from(("sandbox", "addon_sandbox", *ENVIRONMENT_TYPES)))
        start = draw(st.integers(0, 4))
        row: dict[str, Any] = {
            "name": draw(st.sampled_from(NAMES)),
            "type": kind,
            "tier": draw(st.sampled_from([None, 2.0, 3.0, 4.0, 5.0])),
            "power_platform": draw(
                st.sampled_from(["", "none", "initial", "integrated", "linked_existing"])
            ),
            "linked_to": draw(st.sampled_from(["", *NAMES, " UAT "])),
            "location": draw(st.sampled_from(["", "row 2", "row 7 "])),
            "start_month": start,
            "end_month": draw(st.one_of(st.none(), st.integers(start + 1, start + 4))),
        }
        for capacity_type in draw(st.sets(st.sampled_from(CAPACITY_TYPES), max_size=3)):
            row[f"{capacity_type}_gb"] = draw(SIZE)
            row[f"{capacity_type}_growth_gb_per_month"] = draw(SIZE)
        rows.append(row)
    return rows


license_rows = st.lists(
    st.builds(
        lambda sku, quantity, start: {"sku": sku, "quantity": quantity, "start_month": start},
        st.sampled_from(
            [
                "DYN365_FINANCE",
                "DYN365_SCM",
                "Dynamics_365_for_Operations_Sandbox_Tier2_SKU",
                "Dynamics_365_for_Operations_Sandbox_Tier4_SKU",
                "CDS_DB_CAPACITY",
            ]
        ),
        st.integers(0, 25),
        st.integers(0, 3),
    ),
    max_size=5,
)


@st.composite
def tenants(draw: st.DrawFn) -> Plan:
    rules = draw(st.sampled_from(["pooled-2025-12", "split-2023"]))
    environments = draw(environment_rows())
    labels = month_labels(AS_OF, MONTHS)
    links = draw(
        st.lists(st.tuples(st.sampled_from(NAMES), st.integers(0, MONTHS - 1)), max_size=2)
    )
    changes = [
        change_from_table(
            {"kind": "link_new_dataverse", "name": name, "month": labels[month]},
            AS_OF,
            MONTHS,
            "generated.toml",
            f"changes[{index + 1}]",
        )
        for index, (name, month) in enumerate(links)
    ]
    inputs = make_inputs(draw(license_rows), environments)
    return build_plan(inputs, resolve_ruleset(rules, AS_OF), AS_OF, MONTHS, changes)


SETTINGS = settings(
    max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def found(plan: Plan, code: str) -> list[Finding]:
    return list(REGISTRY[code].function(plan))


# The references: one row at a time.


def reference_months(plan: Plan) -> list[int]:
    months = {0, *(int(c.month) for c in plan.changes)}
    for column in (
        plan.environments["start_month"],
        plan.environments["end_month"],
        plan.licenses["start_month"],
    ):
        months.update(int(m) for m in column)
    return sorted(m for m in months if 0 <= m < plan.months)


def is_active(plan: Plan, row: int, month: int) -> bool:
    environments = plan.environments
    return bool(
        environments["start_month"].iloc[row] <= month < environments["end_month"].iloc[row]
    )


def reference_sandboxes(plan: Plan) -> list[Finding]:
    if plan.licenses.empty:
        return []
    # What pays for sandboxes is the check's own (not rewritten); this reading checks how the
    # sandboxes are matched against it, row by row.
    base, addon_total, tier_skus = sandbox_entitlement(plan)
    rows = list(plan.environments.itertuples(index=False))
    # Included sandboxes (type sandbox) first, then add-ons by the month they appear.
    order = sorted(
        (at for at, row in enumerate(rows) if row.type in ("sandbox", "addon_sandbox")),
        key=lambda at: (rows[at].type != "sandbox", rows[at].start_month, at),
    )
    reported: set[str] = set()
    findings = []
    for month in reference_months(plan):
        included, bought = sandboxes_paid(plan, base, addon_total, month)
        sandboxes = [at for at in order if is_active(plan, at, month)]
        when = plan.forecast.months[month]
        for at in sandboxes[included + bought :]:
            name, tier = str(rows[at].name), rows[at].tier
            if name in reported:
                continue
            reported.add(name)
            sku = None if math.isnan(tier) else tier_skus.get(int(tier))
            every = ", ".join(tier_skus[t] for t in sorted(tier_skus))
            buy = (
                f"buy {sku} for it"
                if sku
                else f"buy a sandbox add-on license of its tier ({every}) for it"
            )
            findings.append(
                Finding(
                    "SANDBOXES_EXCEED_ENTITLEMENT",
                    "warning",
                    name,
                    f"{len(sandboxes)} sandbox environments in {when}, but the licenses cover "
                    f"{included + bought} ({included} included with the finance and operations "
                    f"licenses, {bought} sandbox add-on licenses); {name} is not covered: {buy}, "
                    "or delete it.",
                    month=when,
                )
            )
    return findings


def reference_addon_sandboxes(plan: Plan) -> list[Finding]:
    position, pool = dataverse_pool(plan)
    available = plan.forecast.available[position]
    rows = list(plan.environments.itertuples(index=False))
    planned: dict[str, Any] = {}  # each sandbox's earliest planned link
    for change in plan.changes:
        if change.kind in LINK_KINDS and (
            change.subject not in planned or change.month < planned[change.subject].month
        ):
            planned[change.subject] = change
    chosen: dict[str, tuple[int, int, bool]] = {}  # name -> (month, row, pool over)
    for month in reference_months(plan):
        over = bool(available[month] < -TOLERANCE_GB)
        for at, row in enumerate(rows):
            linked = row.type == "addon_sandbox" and row.power_platform in (
                "integrated",
                "linked_existing",
            )
            if not linked or not is_active(plan, at, month):
                continue
            name = str(row.name)
            if name not in chosen or (over and not chosen[name][2]):
                chosen[name] = (month, at, over)
    title = pool_title(plan, pool)
    findings = []
    for name in sorted(chosen):
        month, at, over = chosen[name]
        source, holder = at, ""
        target = str(rows[at].linked_to).strip()
        if rows[at].power_platform == "linked_existing" and target:
            held = [
                r
                for r, row in enumerate(rows)
                if str(row.name) == target and is_active(plan, r, month)
            ]
            if held:
                source, holder = held[0], f" (existing environment {target})"
        need = float(
            plan.consumption_detail.counted_gb("dataverse_database", np.array([source]), month)[0]
        )
        basis = (
            "rule-set estimate" if math.isnan(rows[source].dataverse_database_gb) else "measured"
        )
        change = planned.get(name)
        linked_text = (
            f"is planned to be linked to Dataverse from {change.month_label}"
            if change is not None
            else "is linked to Dataverse"
        )
        when = plan.forecast.months[month]
        if over:
            deficit = -float(available[month])
            closing = (
                f"The {title} pool is over by {format_gb(deficit)} in {when}: buy "
                f"{purchase_text(plan.ruleset, pool, deficit)} to cover it."
            )
        else:
            closing = (
                f"The pool covers it in {when}; if it runs short, "
                f"{purchase_text(plan.ruleset, pool, need)} covers this sandbox."
            )
        findings.append(
            Finding(
                "ADDON_SANDBOX_NO_DATAVERSE",
                "error" if over else "warning",
                name,
                f"{name} is an add-on sandbox and {linked_text}: add-on sandboxes bring no "
                f"Dataverse capacity, so its Dataverse database{holder} needs {format_gb(need)} "
                f"({basis}) from the {title} pool. {closing}",
                month=when,
            )
        )
    return findings


def unusual_rows(plan: Plan, code: str) -> list[Any]:
    rows = plan.consumption_detail.unusual
    return [row for row in rows.itertuples(index=False) if row.code == code]


def where(row: Any) -> str:
    return f"{f'{row.source} {row.location}'.strip()}, column {row.column}"


def reference_unusual(plan: Plan, code: str) -> list[Finding]:
    findings = []
    for row in unusual_rows(plan, code):
        name, value, kind = row.environment, row.value, row.capacity_type
        if code == "GROWTH_FROM_UNKNOWN_START":
            message = (
                f"{name} grows {value:g} GB per month of {kind} ({where(row)}), but its "
                f"{kind}_gb is blank and the rule set has no estimate: the starting size is "
                "unknown, so it grows from 0 GB and the plan understates it by that size. "
                f"Fill in {kind}_gb."
            )
        elif code == "USAGE_CONTRADICTS_STATE":
            state = (
                f"its power_platform is {row.power_platform}"
                if row.power_platform
                else f"it is a {row.environment_type} environment"
            )
            side = "Dataverse" if kind.startswith("dataverse_") else "Operations"
            message = (
                f"{name} has {value:g} GB of {kind} ({where(row)}), but {state}, which has no "
                f"{side} side. The value is counted; correct the row's type or power_platform, "
                "or clear the value if it belongs elsewhere."
            )
        else:
            message = (
                f"{name} is a cloud-hosted environment: its {kind} ({value:g}, {where(row)}) is "
                "in your own Azure subscription and draws on no tenant capacity, so it is not "
                "counted."
            )
        findings.append(Finding(code, REGISTRY[code].severity, str(name), message))
    return findings


def reference_not_counted(plan: Plan) -> list[Finding]:
    by_kind: dict[str, list[Any]] = {}
    for row in unusual_rows(plan, "USAGE_NOT_COUNTED"):
        by_kind.setdefault(str(row.environment_type), []).append(row)
    findings = []
    for kind in sorted(by_kind):
        rows = by_kind[kind]
        names = sorted(dict.fromkeys(row.environment for row in rows), key=str.casefold)
        described = []
        for name in names[:5]:
            given = [row for row in rows if row.environment == name]
            values = ", ".join(
                f"{capacity_type_words(row.capacity_type)} "
                + (
                    f"growth {row.value:g} GB per month"
                    if row.column.endswith("_per_month")
                    else f"{row.value:g} GB"
                )
                for row in given
            )
            place = f"{PurePath(given[0].source).name} {given[0].location}".strip()
            described.append(f"{name} ({place}: {values})")
        more = len(names) - 5
        listed = "; ".join(described) + (f"; and {more:,} more" if more > 0 else "")
        findings.append(not_counted_finding(kind, len(names), listed))
    return findings


def reference_first_active(
    plan: Plan, matches: Any, skip: frozenset[str] = frozenset()
) -> list[tuple[Any, str]]:
    """Each environment of the rows that ``matches`` once, by name: its row and the label of
    the first month it is active in, month by month and row by row."""
    rows = list(plan.environments.itertuples(index=False))
    seen, chosen = set(skip), []
    for month in reference_months(plan):
        for at, row in enumerate(rows):
            if matches(row) and is_active(plan, at, month) and str(row.name) not in seen:
                seen.add(str(row.name))
                chosen.append((row, plan.forecast.months[month]))
    return chosen


def reference_initial_replaced(plan: Plan) -> list[Finding]:
    managed = {name for name, kind in plan.ruleset.environment_types.items() if kind.lcs_managed}
    estimates = plan.ruleset.consumption.estimates.get("initial", {})
    initial = estimates.get("dataverse_database", plan.ruleset.consumption.minimum)
    title = pool_title(plan, dataverse_pool(plan)[1])

    def finding(row: Any, when: str) -> Finding:
        name, target = str(row.name), str(row.linked_to).strip()
        return Finding(
            "INITIAL_ENVIRONMENT_REPLACED",
            "info",
            name,
            f"{name} is linked to {target or 'an existing environment'}, so its initial "
            f"Power Platform environment (also named {name}) is disconnected from it. "
            "Delete it, or reuse it for something else; deleting it frees the "
            f"{initial.text} of {title} capacity it uses.",
            month=when,
        )

    chosen = reference_first_active(
        plan, lambda row: row.type in managed and row.power_platform == "linked_existing"
    )
    return [finding(row, when) for row, when in chosen]


def reference_sandbox_linked_to_production(plan: Plan) -> list[Finding]:
    rows = list(plan.environments.itertuples(index=False))
    type_of = {str(row.name): row.type for row in rows}  # of a name given twice, its last row's

    def finding(row: Any, when: str) -> Finding:
        name, target = str(row.name), str(row.linked_to)
        return Finding(
            "SANDBOX_LINKED_TO_PRODUCTION",
            "warning",
            name,
            f"{name} is a sandbox linked to {target}, a production Dataverse environment: "
            "its test data, test runs and refreshes reach production records, and the link "
            "cannot be undone (only deleting environments ends it). Link "
            f"{name} to a Dataverse sandbox instead, such as a copy of production.",
            month=when,
        )

    chosen = reference_first_active(
        plan,
        lambda row: (
            row.type in ("sandbox", "addon_sandbox", "cloud_hosted_dev")
            and row.power_platform == "linked_existing"
            and type_of.get(str(row.linked_to)) == "dataverse_production"
        ),
    )
    return [finding(row, when) for row, when in chosen]


def reference_link_not_one_to_one(plan: Plan) -> list[Finding]:
    rows = list(plan.environments.itertuples(index=False))
    findings, reported = [], set()
    for month in reference_months(plan):
        when = plan.forecast.months[month]
        active_rows = [row for at, row in enumerate(rows) if is_active(plan, at, month)]
        type_now = {str(row.name): row.type for row in active_rows}
        sharing: dict[str, list[str]] = {}
        for row in active_rows:
            if row.type not in FINANCE_OPERATIONS_TYPES or row.power_platform != "linked_existing":
                continue
            name, target = str(row.name), str(row.linked_to).strip()
            if not target:
                problem = (
                    f"{name} is linked to an existing Power Platform environment but linked_to "
                    "is blank: fill in the name of the Dataverse environment it is linked to."
                )
            elif target not in type_now:
                problem = (
                    f"{name} is linked to {target}, which is not in the inventory in {when}: "
                    f"add {target} to the inventory, correct linked_to, or keep {target} while "
                    f"{name} is linked to it."
                )
            elif type_now[target] not in LINKABLE_TYPES:
                problem = (
                    f"{name} is linked to {target}, a {type_now[target]} environment without a "
                    "Dataverse database of its own to link to: link it to a Dataverse "
                    "production or sandbox environment."
                )
            else:
                sharing.setdefault(target, []).append(name)
                continue
            if (name, "target") not in reported:
                reported.add((name, "target"))
                findings.append(Finding("LINK_NOT_ONE_TO_ONE", "error", name, problem, when))
        for target in sorted(sharing):
            if len(sharing[target]) > 1 and (target, "shared") not in reported:
                reported.add((target, "shared"))
                findings.append(
                    Finding(
                        "LINK_NOT_ONE_TO_ONE",
                        "error",
                        target,
                        f"{', '.join(sorted(sharing[target]))} are all linked to {target} in "
                        f"{when}; a Power Platform environment is linked to one finance and "
                        "operations environment only. Keep one link and give each of the others "
                        "its own Dataverse environment (a new one, or another existing one).",
                        when,
                    )
                )
    return findings


def reference_cloud_hosted(plan: Plan, code: str) -> list[tuple[str, str | None]]:
    """The subjects and months of the cloud-hosted checks' findings about inventory rows."""
    stated = "linked_existing" if code == "CHE_EXISTING_ENVIRONMENT" else "initial"
    column = "power_platform" if code == "CHE_EXISTING_ENVIRONMENT" else "stated_power_platform"
    chosen = reference_first_active(
        plan, lambda row: row.type == "cloud_hosted_dev" and getattr(row, column) == stated
    )
    return [(str(row.name), when) for row, when in chosen]


@SETTINGS
@given(tenants())
def test_evaluation_months_are_those_a_change_shows_in(plan: Plan) -> None:
    assert evaluation_months(plan) == reference_months(plan)


@SETTINGS
@given(tenants())
def test_sandbox_checks_find_what_a_row_by_row_reading_finds(plan: Plan) -> None:
    assert found(plan, "SANDBOXES_EXCEED_ENTITLEMENT") == reference_sandboxes(plan)
    assert found(plan, "ADDON_SANDBOX_NO_DATAVERSE") == reference_addon_sandboxes(plan)


@SETTINGS
@given(tenants())
def test_unusual_value_checks_find_what_a_row_by_row_reading_finds(plan: Plan) -> None:
    for code in ("GROWTH_FROM_UNKNOWN_START", "USAGE_CONTRADICTS_STATE", "CHE_OPERATIONS_USAGE"):
        assert found(plan, code) == reference_unusual(plan, code)
    assert found(plan, "USAGE_NOT_COUNTED") == reference_not_counted(plan)


@SETTINGS
@given(tenants())
def test_first_active_checks_find_what_a_row_by_row_reading_finds(plan: Plan) -> None:
    assert found(plan, "INITIAL_ENVIRONMENT_REPLACED") == reference_initial_replaced(plan)
    assert found(plan, "SANDBOX_LINKED_TO_PRODUCTION") == (
        reference_sandbox_linked_to_production(plan)
    )
    assert found(plan, "LINK_NOT_ONE_TO_ONE") == reference_link_not_one_to_one(plan)
    for code in ("CHE_EXISTING_ENVIRONMENT", "CHE_NO_INITIAL_ENVIRONMENT"):
        # The planned links of CHE_EXISTING_ENVIRONMENT are link_existing changes, which the
        # generator does not make: its findings are the inventory's.
        assert [(f.subject, f.month) for f in found(plan, code)] == (
            reference_cloud_hosted(plan, code)
        )


def test_links_to_existing_environments_are_reported_once_from_their_first_month() -> None:
    """Rows of one name over several months, linked to existing environments: each is reported
    once, in the first month a row of it matches (links the generator seldom makes)."""
    environments = [
        {"name": "CRM", "type": "dataverse_production"},
        {"name": "CRM test", "type": "dataverse_sandbox"},
        {"name": "UAT", "type": "sandbox", "tier": 2.0, "power_platform": "none", "end_month": 2},
        {"name": "UAT", "type": "sandbox", "tier": 2.0, "start_month": 2},
        {"name": "Dev", "type": "cloud_hosted_dev", "start_month": 1},
        {"name": "Box", "type": "addon_sandbox", "tier": 2.0, "start_month": 3},
    ]
    for row, target in ((3, "CRM"), (4, "CRM test"), (5, "CRM")):
        environments[row].update(power_platform="linked_existing", linked_to=target)
    months = month_labels(AS_OF, MONTHS)
    # Linked again by a planned change: reported from the change, and not again from its row.
    change = {"kind": "link_existing_dataverse", "name": "Dev", "target": "CRM"}
    plan = build_plan(
        make_inputs([{"sku": "DYN365_FINANCE", "quantity": 20}], environments),
        resolve_ruleset("pooled-2025-12", AS_OF),
        AS_OF,
        MONTHS,
        [change_from_table({**change, "month": months[4]}, AS_OF, MONTHS, "plan.toml", "c")],
    )
    linked = found(plan, "SANDBOX_LINKED_TO_PRODUCTION")
    assert linked == reference_sandbox_linked_to_production(plan)
    assert [(f.subject, f.month) for f in linked] == [("UAT", months[2]), ("Box", months[3])]
    replaced = found(plan, "INITIAL_ENVIRONMENT_REPLACED")
    assert replaced == reference_initial_replaced(plan)
    assert [(f.subject, f.month) for f in replaced] == [("UAT", months[2]), ("Box", months[3])]
    existing = [(f.subject, f.month) for f in found(plan, "CHE_EXISTING_ENVIRONMENT")]
    assert existing == [("Dev", months[4])]
    unchanged = build_plan(plan.inputs, plan.ruleset, AS_OF, MONTHS)
    existing = [(f.subject, f.month) for f in found(unchanged, "CHE_EXISTING_ENVIRONMENT")]
    assert existing == reference_cloud_hosted(unchanged, "CHE_EXISTING_ENVIRONMENT")
    assert existing == [("Dev", months[1])]


def test_generated_tenants_make_the_checks_speak() -> None:
    """The generator reaches the findings the tests above compare (so they can fail)."""
    spoken: set[str] = set()
    severities: set[str] = set()

    # Its budget is what it asserts about: the same in every profile.
    @settings(max_examples=100, deadline=None, database=None, derandomize=True)
    @given(tenants())
    def collect(plan: Plan) -> None:
        for finding in plan.findings:
            spoken.add(finding.code)
            if finding.code == "ADDON_SANDBOX_NO_DATAVERSE":
                severities.add(finding.severity)

    collect()
    assert {
        "SANDBOXES_EXCEED_ENTITLEMENT",
        "ADDON_SANDBOX_NO_DATAVERSE",
        "GROWTH_FROM_UNKNOWN_START",
        "USAGE_CONTRADICTS_STATE",
        "CHE_OPERATIONS_USAGE",
        "USAGE_NOT_COUNTED",
        "INITIAL_ENVIRONMENT_REPLACED",
        "CHE_NO_INITIAL_ENVIRONMENT",
        "LINK_NOT_ONE_TO_ONE",
    } <= spoken
    assert severities == {"warning", "error"}


# The helpers.

FIELDS = st.text(alphabet="aZ é", max_size=4)


@given(
    subjects=st.lists(FIELDS, max_size=8),
    severity=st.sampled_from(SEVERITIES),
    month=st.one_of(st.none(), FIELDS),
)
def test_findings_of_makes_the_findings_their_fields_make(
    subjects: list[str], severity: str, month: str | None
) -> None:
    messages = [f"message {s}" for s in subjects]
    made = findings_of("CODE", severity, subjects, messages, month)
    expected = [
        Finding("CODE", severity, s, m, month=month)
        for s, m in zip(subjects, messages, strict=True)
    ]
    assert made == expected
    assert [hash(f) for f in made] == [hash(f) for f in expected]
    assert [repr(f) for f in made] == [repr(f) for f in expected]
    assert pickle.loads(pickle.dumps(made)) == expected
    # One severity and month per finding.
    per_row = findings_of(
        "CODE", [severity] * len(subjects), subjects, messages, [month] * len(subjects)
    )
    assert per_row == expected
    if made:
        with pytest.raises(AttributeError):  # a finding is frozen
            made[0].subject = "other"  # type: ignore[misc]


def test_findings_of_refuses_fields_of_other_lengths() -> None:
    with pytest.raises(ValueError, match="2 subjects"):
        findings_of("CODE", "info", ["a", "b"], ["only one"])
    with pytest.raises(ValueError, match="2 subjects"):
        findings_of("CODE", ["info"], ["a", "b"], ["one", "two"])


@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1e-7])
        ),
        max_size=30,
    )
)
def test_per_distinct_is_the_function_of_each_value(values: list[float]) -> None:
    array = np.array(values, dtype=float)
    assert per_distinct(array, format_gb) == [format_gb(v) for v in values]
    assert per_distinct(array, lambda v: f"{v:g}") == [f"{v:g}" for v in values]
    assert gb_texts(array) == [format_gb(v) for v in values]


@given(
    st.lists(st.floats(0, 1e6, allow_nan=False), max_size=20),
    st.sampled_from(["pooled-2025-12", "split-2023"]),
)
def test_purchase_texts_are_the_purchase_text_of_each_amount(gbs: list[float], rules: str) -> None:
    ruleset = resolve_ruleset(rules, AS_OF)
    for pool in ruleset.pool_names:
        assert purchase_texts(ruleset, pool, np.array(gbs, dtype=float)) == [
            purchase_text(ruleset, pool, gb) for gb in gbs
        ]


TEXTS = st.one_of(st.sampled_from(["a", "b", "", " a", "É"]), st.none(), st.just(math.nan))


@given(
    values=st.lists(TEXTS, max_size=30),
    wanted=st.sets(st.sampled_from(["a", "b", "", "É", "c", "d", "e"])),
)
def test_holds_and_among_are_what_pandas_isin_says(values: list[Any], wanted: set[str]) -> None:
    column = pd.Series(values, dtype=object)
    expected = column.isin(list(wanted)).to_numpy()
    assert holds(column, *wanted).tolist() == expected.tolist()
    assert among(column.to_numpy(), wanted).tolist() == expected.tolist()
    with_na = pd.Series([*values, pd.NA], dtype=object)
    assert holds(with_na, *wanted).tolist() == with_na.isin(list(wanted)).tolist()
    within = np.arange(len(values)) % 2 == 0
    assert holds(column, *wanted, within=within).tolist() == (expected & within).tolist()


@given(
    values=st.lists(st.one_of(TEXTS, st.floats(), st.integers(-2, 2)), max_size=30),
    wanted=st.sets(st.sampled_from(["a", "b", "", "É", "c", "d", "e", "1", "nan"]), min_size=6),
)
def test_among_many_wanted_texts_is_what_pandas_isin_says(
    values: list[Any], wanted: set[str]
) -> None:
    """More wanted texts than among compares one by one: looked up in a set instead."""
    assert len(wanted) > FEW
    column = pd.Series(values, dtype=object)
    expected = column.isin(list(wanted)).to_numpy()
    assert among(column.to_numpy(), wanted).tolist() == expected.tolist()
    with_na = np.array([*values, pd.NA], dtype=object)
    assert among(with_na, wanted).tolist() == pd.Series(with_na).isin(list(wanted)).tolist()


@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),  # the check that finds it
            st.sampled_from(SEVERITIES),
            st.sampled_from(["B_CODE", "A_CODE", "C_CODE"]),
            st.sampled_from(["x", "X", "a", "é", ""]),
        ),
        max_size=25,
    )
)
def test_run_checks_orders_most_severe_first_then_by_code_and_subject(
    made: list[tuple[int, str, str, str]],
) -> None:
    found_by = {
        at: [
            Finding(code, severity, subject, f"{index}")
            for index, (by, severity, code, subject) in enumerate(made)
            if by == at
        ]
        for at in range(4)
    }
    registry = {
        f"CHECK_{at}": Check(f"CHECK_{at}", "info", lambda plan, at=at: iter(found_by[at]))
        for at in range(4)
    }
    in_order = [f for at in range(4) for f in found_by[at]]
    rank = {severity: -SEVERITIES.index(severity) for severity in SEVERITIES}
    expected = sorted(in_order, key=lambda f: (rank[f.severity], f.code, f.subject))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(checks, "REGISTRY", registry)
        assert list(run_checks(None)) == expected  # type: ignore[arg-type]
        registry["CHECK_BAD"] = Check(
            "CHECK_BAD", "info", lambda plan: [Finding("X", "fatal", "s", "m")]
        )
        with pytest.raises(ValueError, match="fatal"):
            run_checks(None)  # type: ignore[arg-type]


def test_finding_records_are_the_findings_fields_in_order() -> None:
    made = [
        Finding("CODE", "info", "UAT", "text"),
        Finding("CODE", "error", "b", "t", month="2026-12"),
    ]
    records = finding_records(made)
    assert records == [{key: getattr(f, key) for key in FINDING_KEYS} for f in made]
    assert [list(r) for r in records] == [list(FINDING_KEYS)] * 2
    records[0]["subject"] = "changed"
    assert made[0].subject == "UAT", "a record is a copy"
    assert attrgetter(*FINDING_KEYS)(made[1]) == tuple(records[1].values())


def test_an_add_on_sandbox_is_reported_in_the_first_month_its_pool_is_over() -> None:
    """Linked from month 0, the pool over only from a later month: that later month is the one
    reported, by the check as by the reference."""
    environments = [
        {"name": "SB", "type": "addon_sandbox", "tier": 2.0, "power_platform": "integrated"},
        {"name": "CRM", "type": "dataverse_production", "dataverse_database_gb": 1.0},
        {"name": "CRM", "type": "dataverse_production", "dataverse_database_gb": 5000.0},
    ]
    environments[1]["end_month"] = 3
    environments[2]["start_month"] = 3
    plan = build_plan(
        make_inputs([{"sku": "DYN365_FINANCE", "quantity": 20}], environments),
        resolve_ruleset("pooled-2025-12", AS_OF),
        AS_OF,
        MONTHS,
    )
    findings = found(plan, "ADDON_SANDBOX_NO_DATAVERSE")
    assert findings == reference_addon_sandboxes(plan)
    assert [(f.severity, f.month) for f in findings] == [("error", plan.forecast.months[3])]


@pytest.mark.parametrize("enabled", [True, False])
def test_run_checks_leaves_the_cycle_collector_as_it_found_it(enabled: bool) -> None:
    """Paused while the checks run, on again afterwards only if it was on, also when a check
    fails."""
    seen: list[bool] = []

    def failing(plan: Plan) -> list[Finding]:
        seen.append(gc.isenabled())
        raise RuntimeError("a failing check")

    registry = {"CHECK_FAILS": Check("CHECK_FAILS", "info", failing)}
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(checks, "REGISTRY", registry)
            with pytest.raises(RuntimeError, match="a failing check"):
                run_checks(None)  # type: ignore[arg-type]
        assert seen == [False]
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_sandboxes_named_by_other_than_text_are_named_as_their_text() -> None:
    """Names are text from every reader; a name that is not (a number a caller put in the
    frame) is reported by its text, by the check as by the reference."""
    environments = [
        {"name": f"SB {at}", "type": "addon_sandbox", "tier": 2.0} for at in range(4)
    ] + [{"name": "SB", "type": "sandbox", "tier": 2.0}]
    plan = build_plan(
        make_inputs([{"sku": "DYN365_FINANCE", "quantity": 20}], environments),
        resolve_ruleset("pooled-2025-12", AS_OF),
        AS_OF,
        MONTHS,
    )
    named = pd.Series([7, 7.5, "SB 2", 7, "SB"], dtype=object)
    plan = msgspec.structs.replace(plan, environments=plan.environments.assign(name=named))
    findings = found(plan, "SANDBOXES_EXCEED_ENTITLEMENT")
    assert findings == reference_sandboxes(plan)
    assert [f.subject for f in findings] == ["7", "7.5", "SB 2"]


def test_the_link_kinds_are_the_link_changes_kinds() -> None:
    """The checks name the link kinds without importing the change classes; they are theirs."""
    from planner.model.changes import LINKS

    assert tuple(change.kind for change in LINKS) == LINK_KINDS


def test_columns_the_checks_share_are_made_once_per_inventory() -> None:
    """The names and link targets several checks read are made once for a plan's inventory,
    read-only; a plan with another inventory frame has its own, and they go with the frame."""
    environments = [
        {"name": "UAT", "type": "sandbox", "power_platform": "linked_existing"},
        {"name": "CRM", "type": "dataverse_production"},
    ]
    environments[0]["linked_to"] = " CRM"
    plan = build_plan(
        make_inputs([{"sku": "DYN365_FINANCE", "quantity": 20}], environments),
        resolve_ruleset("pooled-2025-12", AS_OF),
        AS_OF,
        MONTHS,
    )
    names, targets = environment_names(plan), link_targets(plan)
    assert names.tolist() == ["UAT", "CRM"] and targets.tolist() == ["CRM", ""]
    assert environment_names(plan) is names and link_targets(plan) is targets
    with pytest.raises(ValueError, match="read-only"):
        names[0] = "changed"
    frame = plan.environments.assign(name=pd.Series([7, "CRM"], dtype=object))
    other = msgspec.structs.replace(plan, environments=frame)
    assert environment_names(other).tolist() == ["7", "CRM"]
    assert environment_names(plan) is names
    made = len(timeline._MADE)
    del other, frame
    gc.collect()
    assert len(timeline._MADE) == made - 1
