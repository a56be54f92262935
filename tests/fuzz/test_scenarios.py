"""Scenario files mutated from valid ones, read and applied to a plan; what-if flags made up.

Whatever the file holds, reading it (planner.scenarios.read.read_scenario_file) and planning
with it (planner.scenarios.compare.compare, which applies the changes and plans the result)
fail only with InputError, in at most two lines without control characters: keys with control
characters, integers of thousands of digits and a list or table as ``kind`` included.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from planner.errors import InputError
from planner.ingest import load_inputs
from planner.ruleset import bundled_rulesets, resolve_ruleset
from planner.scenarios.compare import compare
from planner.scenarios.read import changes_from_flags, read_scenario_file
from planner.scenarios.schema import FILE_KEYS

from .support import CONTROL, NUMBERISH, fuzz_settings, recase

GOOD = Path(__file__).resolve().parents[1] / "bad_inputs" / "good"
AS_OF = "2026-12"
MONTHS = 24
INPUTS = load_inputs([GOOD / "licenses.csv", GOOD / "environments.csv"])
RULES = resolve_ruleset(None, AS_OF)
OTHER_RULES = next(r.id for r in bundled_rulesets() if r.id != RULES.id)

# One valid change of every kind, against the good inputs (CONTOSO-PROD, CONTOSO-UAT, Contoso CE).
TEMPLATES: list[dict[str, Any]] = [
    {"kind": "add_licenses", "sku": "DYN365_FINANCE", "quantity": 5, "month": "2027-03"},
    {"kind": "remove_licenses", "sku": "DYN365_FINANCE", "quantity": 5},
    {
        "kind": "add_environment",
        "name": "UAT2",
        "type": "addon_sandbox",
        "tier": 2,
        "license": True,
        "power_platform": "initial",
        "operations_database_gb": 30,
        "operations_database_growth_gb_per_month": 0.5,
        "month": "2027-01",
    },
    {"kind": "add_environment", "name": "CE2", "type": "dataverse_sandbox"},
    {"kind": "delete_environment", "name": "CONTOSO-UAT", "month": "2027-06"},
    {"kind": "link_new_dataverse", "name": "CONTOSO-UAT", "note": "wave 2"},
    {"kind": "link_existing_dataverse", "name": "CONTOSO-UAT", "target": "Contoso CE"},
    {
        "kind": "set_growth",
        "environment": "Contoso CE",
        "capacity_type": "dataverse_database",
        "gb_per_month": 0.2,
    },
    {"kind": "set_growth", "pool": "database", "gb_per_month": -0.1},
    {"kind": "buy_addon", "pool": "database", "gb": 10, "month": "2027-02"},
    {"kind": "switch_rules", "rules": OTHER_RULES, "month": "2027-06"},
]
TEMPLATES = [t for t in TEMPLATES if t["kind"] in FILE_KEYS]  # kinds this version knows
KEYS = sorted({key for template in TEMPLATES for key in template} | {"month", "note"})
MONTH_TEXT = ("2026-12", "2027-13", "2026-00", "2028-11", "2028-12", "1999-01", "27-03", "soon")

key_text = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=8)
toml_scalars = st.one_of(
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.integers(10**4000, 10**4001),
    st.floats(),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=10),
    st.sampled_from(NUMBERISH),
    st.sampled_from(MONTH_TEXT),
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    st.datetimes(),
    st.times(),
)
toml_values = st.recursive(
    toml_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(key_text, children, max_size=3)
    ),
    max_leaves=6,
)


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    inner = ", ".join(f"{toml_key(str(k))} = {toml_value(v)}" for k, v in value.items())
    return "{" + inner + "}"


def toml_document(top: dict[str, Any], changes: list[dict[str, Any]]) -> str:
    lines = [f"{toml_key(key)} = {toml_value(value)}" for key, value in top.items()]
    for change in changes:
        lines += ["", "[[changes]]"]
        lines += [f"{toml_key(key)} = {toml_value(value)}" for key, value in change.items()]
    return "\n".join(lines) + "\n"


def value_for(key: str) -> st.SearchStrategy[Any]:
    return toml_values


@st.composite
def mutated_change(draw: st.DrawFn) -> dict[str, Any]:
    change = copy.deepcopy(draw(st.sampled_from(TEMPLATES)))
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        action = draw(st.sampled_from(["drop", "add", "replace", "kind", "month", "recase"]))
        key = draw(st.sampled_from(sorted(change)))
        if action == "drop":
            change.pop(key)
        elif action == "add":
            new_key = draw(st.sampled_from(KEYS) | key_text)
            change[new_key] = draw(value_for(new_key))
        elif action == "replace":
            change[key] = draw(value_for(key))
        elif action == "kind":
            change["kind"] = draw(st.sampled_from([*FILE_KEYS, "teleport", ""]))
        elif action == "month":
            change["month"] = draw(st.sampled_from(MONTH_TEXT) | toml_values)
        else:
            change[recase(key, draw(st.integers(1, 3)))] = change.pop(key)
    return change


@st.composite
def scenarios(draw: st.DrawFn) -> str:
    name = st.sampled_from(["Wave 2", "", " "]) | toml_scalars
    top: dict[str, Any] = {"name": "Wave 2" if draw(st.integers(0, 4)) else draw(name)}
    if draw(st.booleans()):
        top["description"] = draw(toml_values)
    if not draw(st.integers(0, 9)):
        top[draw(key_text)] = draw(toml_values)
    changes = draw(
        st.lists(mutated_change(), min_size=draw(st.sampled_from([0, 1, 1])), max_size=4)
    )
    return toml_document(top, changes)


def check(error: InputError) -> None:
    rendered = error.render()
    assert error.message and len(rendered.splitlines()) <= 2, rendered
    assert not CONTROL.search(rendered.replace("\n  expected: ", "", 1)), repr(rendered)


def plan_with(text: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scenario.toml"
        path.write_bytes(text)
        try:
            scenario = read_scenario_file(path, AS_OF, MONTHS)
            compare(INPUTS, [scenario], RULES, AS_OF, MONTHS)
        except InputError as error:
            check(error)


@fuzz_settings(120)
@given(scenarios())
def test_mutated_scenario_files(text: str) -> None:
    plan_with(text.encode("utf-8"))


@fuzz_settings(150)
@given(scenarios(), st.lists(st.tuples(st.integers(0, 10**6), st.binary(max_size=4)), max_size=3))
def test_scenario_files_with_bytes_changed(text: str, edits: list[tuple[int, bytes]]) -> None:
    data = bytearray(text.encode("utf-8"))
    for position, inserted in edits:
        position %= len(data) + 1
        data[position : position + len(inserted) // 2] = inserted
    plan_with(bytes(data))


flag_values = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=16),
    st.builds(
        "{}={}".format,
        st.sampled_from(["DYN365_FINANCE", "database", "file", " ", ""]),
        st.sampled_from([*NUMBERISH, "5", "-5", "0.5"]),
    ),
    st.builds("{}:{}".format, st.sampled_from(["UAT2", ""]), st.sampled_from(["2", "9", "", "x"])),
)


@fuzz_settings(200)
@given(
    st.dictionaries(
        st.sampled_from(["add_licenses", "add_sandbox", "link", "buy_addon", "growth"]),
        st.lists(flag_values, max_size=2),
        max_size=3,
    )
)
def test_made_up_what_if_flags(flags: dict[str, list[str]]) -> None:
    try:
        changes = changes_from_flags(AS_OF, **flags)
    except InputError as error:
        check(error)
        return
    for change in changes:
        assert change.month == 0
