"""JSON documents built from each format's own vocabulary, and valid documents with keys changed.

tests/ingest/test_fuzz.py swaps one node of a sample for a random value. These tests instead
build whole Graph, Power Platform admin and LCS documents from the keys those readers look for,
with plausible and hostile values in any combination, spelt in any case, wrapped the ways APIs
and PowerShell wrap them; and they rename, drop, duplicate and retype keys of valid documents.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.planning import build_plan
from planner.report.data import report_data
from planner.report.json_report import render_json
from planner.ruleset import resolve_ruleset

from .support import CELL_CHARACTERS, NUMBERISH, fuzz_settings, json_values, read, recase

counts = st.one_of(
    st.integers(0, 60),
    st.integers(0, 60),
    st.integers(-5, 60),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False),
    st.sampled_from(NUMBERISH),
    st.sampled_from([True, None, [], {}]),
)
megabytes = st.one_of(
    st.floats(0, 10**6),
    st.floats(0, 10**6),
    st.floats(allow_nan=False),
    st.integers(-(10**15), 10**15),
    st.sampled_from(NUMBERISH),
    st.none(),
)
words = st.text(CELL_CHARACTERS, max_size=12)
guids = st.sampled_from(
    [
        "00000000-0000-0000-0000-0000000000a1",
        "{00000000-0000-0000-0000-0000000000A2}",
        "00000000-0000-0000-0000-0000000000a3",
        "x",
    ]
)
dates = st.sampled_from(["2026-11-26T06:15:00Z", "2026-13-45T00:00:00Z", "yesterday", ""])


@st.composite
def obj(draw: st.DrawFn, fields: dict[str, Any], chaos: int) -> dict[str, Any]:
    """An object with most of ``fields``, keys spelt in any case; with ``chaos`` 1 in 12 (1) or
    1 in 3 (2) values is any JSON value instead of a plausible one, and stray keys appear."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if not draw(st.integers(0, 19)):
            continue  # a key left out
        spelling = recase(key, draw(st.integers(0, 9)) // 4)
        wild = chaos and not draw(st.integers(0, 11 if chaos == 1 else 2))
        if wild:
            out[spelling] = draw(json_values)
        elif callable(value):
            out[spelling] = draw(value(chaos))
        else:
            out[spelling] = draw(value)
    if chaos and not draw(st.integers(0, 4)):
        out[draw(words)] = draw(json_values)
    return out


def graph_item(chaos: int) -> st.SearchStrategy[dict[str, Any]]:
    return obj(
        {
            "skuPartNumber": st.sampled_from(["DYN365_FINANCE", "CDS_DB_CAPACITY", "DYN365_SCM"])
            | words,
            "skuId": guids,
            "consumedUnits": counts,
            "capabilityStatus": st.sampled_from(["Enabled", "Warning", "Suspended"]),
            "prepaidUnits": lambda c: obj(
                {"enabled": counts, "warning": counts, "suspended": counts, "lockedOut": counts},
                c,
            ),
            "servicePlans": lambda c: st.lists(obj({"servicePlanName": words}, c), max_size=2),
        },
        chaos,
    )


def capacity_entry(chaos: int) -> st.SearchStrategy[dict[str, Any]]:
    return obj(
        {
            "capacityType": st.sampled_from(
                ["Database", "File", "Log", "FinOpsDatabase", "FinOpsFile", "Api", "database"]
            ),
            "ratedConsumption": megabytes,
            "actualConsumption": megabytes,
            "capacityUnit": st.sampled_from(["MB", "GB", "KB", "TB", "mb", ""]),
            "updatedOn": dates,
        },
        chaos,
    )


def ppac_item(chaos: int) -> st.SearchStrategy[dict[str, Any]]:
    properties = {
        "displayName": st.sampled_from(["Contoso CE", "CONTOSO-PROD", "contoso ce"]) | words,
        "environmentSku": st.sampled_from(
            ["Production", "Sandbox", "Default", "Developer", "Trial", "Teams", "Preview"]
        ),
        "isDefault": st.booleans(),
        "capacity": lambda c: st.lists(capacity_entry(c), max_size=4),
        "linkedEnvironmentMetadata": lambda c: obj({"instanceUrl": words}, c),
    }
    return obj(
        {
            "name": st.sampled_from(["00000000-0000-0000-0000-0000000000e1", "Default-1"]) | words,
            "properties": lambda c: obj(properties, c),
        },
        chaos,
    )


def lcs_item(chaos: int) -> st.SearchStrategy[dict[str, Any]]:
    return obj(
        {
            "EnvironmentName": st.sampled_from(["CONTOSO-PROD", "CONTOSO-UAT", "contoso-uat"])
            | words,
            "EnvironmentType": st.sampled_from(["Production", "Sandbox", "DevTest", "Build"])
            | words,
            "EnvironmentGroup": st.sampled_from(["Primary", "DisasterRecovery"]),
            "TopologyDisplayName": st.sampled_from(["Tier 2", "Tier-5 sandbox", "T9", "High"]),
            "DeploymentStatusDisplay": st.sampled_from(["Deployed", "Deleted", "Deleting"]),
        },
        chaos,
    )


@st.composite
def documents(draw: st.DrawFn) -> Any:
    chaos = draw(st.sampled_from([0, 0, 1, 2]))
    items_key, item = draw(
        st.sampled_from([("value", graph_item), ("value", ppac_item), ("Data", lcs_item)])
    )
    items = draw(st.lists(item(chaos), min_size=1, max_size=4))
    shape = draw(st.integers(0, 3))
    if shape == 0:
        return items
    document: dict[str, Any] = {recase(items_key, draw(st.integers(0, 3))): items}
    if shape == 2:
        document["@odata.nextLink"] = draw(st.sampled_from(["https://next", None, 5]))
    if shape == 3:
        success = draw(st.integers(0, 5)) > 0
        document.update(ResultHasMorePages=draw(st.booleans()), IsSuccess=success)
    return document


# 400 generated documents, several seconds: CI runs it (slow); the tests below fuzz the JSON
# readers in a bare run.
@pytest.mark.slow
@fuzz_settings(400)
@given(documents(), st.booleans())
def test_documents_built_from_each_vocabulary(document: Any, pretty: bool) -> None:
    text = json.dumps(document, indent=2 if pretty else None, ensure_ascii=pretty)
    read(text.encode("utf-8"), ".json")


SEED_DOCUMENTS: list[Any] = [
    {
        "value": [
            {
                "skuId": "00000000-0000-0000-0000-0000000000a1",
                "skuPartNumber": "DYN365_FINANCE",
                "consumedUnits": 20,
                "prepaidUnits": {"enabled": 25, "warning": 0, "suspended": 0, "lockedOut": 0},
            },
            {
                "skuPartNumber": "CDS_DB_CAPACITY",
                "prepaidUnits": {"enabled": 4, "warning": 1},
            },
        ]
    },
    {
        "value": [
            {
                "name": "00000000-0000-0000-0000-0000000000e1",
                "properties": {
                    "displayName": "CONTOSO-PROD",
                    "environmentSku": "Production",
                    "capacity": [
                        {"capacityType": "Database", "ratedConsumption": 2150.4},
                        {"capacityType": "FinOpsDatabase", "ratedConsumption": 40960},
                    ],
                    "linkedEnvironmentMetadata": {"instanceUrl": "https://p.crm.dynamics.com/"},
                },
            },
            {
                "name": "00000000-0000-0000-0000-0000000000e2",
                "properties": {"displayName": "Contoso CE", "environmentSku": "Sandbox"},
            },
        ]
    },
    {
        "ResultHasMorePages": False,
        "Data": [
            {"EnvironmentName": "CONTOSO-PROD", "EnvironmentType": "Production"},
            {
                "EnvironmentName": "CONTOSO-UAT",
                "EnvironmentType": "Sandbox",
                "TopologyDisplayName": "Tier 2",
            },
        ],
    },
]


def containers(node: Any) -> list[Any]:
    """Every object and list in a JSON tree."""
    found = [node] if isinstance(node, (dict, list)) else []
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for child in children:
        found += containers(child)
    return found


@st.composite
def changed_documents(draw: st.DrawFn) -> Any:
    document = copy.deepcopy(draw(st.sampled_from(SEED_DOCUMENTS)))
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(containers(document)))
        if isinstance(target, list):
            if target and draw(st.booleans()):
                target.append(copy.deepcopy(draw(st.sampled_from(target))))  # a duplicate item
            elif target:
                del target[draw(st.integers(0, len(target) - 1))]
            continue
        if not target:
            continue
        key = draw(st.sampled_from(sorted(target)))
        action = draw(st.sampled_from(["recase", "drop", "stringify", "wrap", "replace"]))
        value = target.pop(key)
        if action == "recase":
            target[recase(key, draw(st.integers(1, 3)))] = value
        elif action == "stringify":
            target[key] = json.dumps(value) if not isinstance(value, str) else value.upper()
        elif action == "wrap":
            target[key] = [value]
        elif action == "replace":
            target[key] = draw(json_values)
    return document


@fuzz_settings(300)
@given(changed_documents())
def test_valid_documents_with_keys_changed(document: Any) -> None:
    read(json.dumps(document).encode("utf-8"), ".json")


RULES = resolve_ruleset(None, "2026-12")


@fuzz_settings(40)
@given(changed_documents())
def test_accepted_documents_can_be_planned(document: Any) -> None:
    inputs = read(json.dumps(document).encode("utf-8"), ".json")
    if inputs is not None:
        render_json(report_data(build_plan(inputs, RULES, "2026-12", 12))).encode("utf-8")
