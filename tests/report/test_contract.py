"""The JSON contracts are written once, as types: the schemas in docs/ are generated from them,
and what capplan writes is checked against them with unknown keys refused."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest
from report_plans import AS_OF, SHORT_ENVIRONMENTS, make_inputs

from planner.model.changes import Scenario
from planner.report.contract import (
    PLAN_SCHEMA,
    WHATIF_SCHEMA,
    PlanDocument,
    WhatifDocument,
    main,
    schema_text,
)
from planner.report.data import PLAN_KEYS, plan_data, report_data
from planner.report.json_report import render_json
from planner.results import Plan
from planner.ruleset import resolve_ruleset
from planner.scenarios.compare import compare
from planner.scenarios.read import changes_from_flags

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("name", [PLAN_SCHEMA, WHATIF_SCHEMA])
def test_schemas_in_docs_are_generated(name: str) -> None:
    written = (DOCS / name).read_text(encoding="utf-8")
    assert written == schema_text(name), (
        f"docs/{name} drifted from planner/report/contract.py: "
        "run python -m planner.report.contract docs"
    )


def test_the_generator_writes_both(tmp_path: Path) -> None:
    assert main([str(tmp_path)]) == 0
    for name in (PLAN_SCHEMA, WHATIF_SCHEMA):
        assert json.loads((tmp_path / name).read_text(encoding="utf-8"))["$defs"]


def test_plan_json_holds_exactly_the_contract(short_plan: Plan, split_plan: Plan) -> None:
    for plan in (short_plan, split_plan):
        # reconciliation is there only with a tenant capacity answer (tests/reconcile).
        assert tuple(plan_data(plan)) == tuple(k for k in PLAN_KEYS if k != "reconciliation")
        document = json.loads(render_json(report_data(plan)))
        msgspec.convert(document, PlanDocument)  # unknown keys refused


def test_whatif_json_holds_exactly_the_contract() -> None:
    changes = changes_from_flags(AS_OF, add_licenses=["DYN365_FINANCE=5"], add_sandbox=["UAT2:2"])
    scenario = Scenario(name="more", changes=changes, source="command line")
    ruleset = resolve_ruleset(None, AS_OF)
    comparison = compare(make_inputs(SHORT_ENVIRONMENTS), [scenario], ruleset, AS_OF, 12)
    document = json.loads(render_json(report_data(comparison=comparison)))
    msgspec.convert(document, WhatifDocument)


def test_a_key_outside_the_contract_is_refused(short_plan: Plan) -> None:
    document = json.loads(render_json(report_data(short_plan)))
    document["capacity"][0]["borrowed"] = 1.0
    with pytest.raises(msgspec.ValidationError, match=r"borrowed.*\$\.capacity\[0\]"):
        msgspec.convert(document, PlanDocument)
