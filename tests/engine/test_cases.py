"""Data-driven engine cases: input written in a case file, the plan worked out by hand."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from builders import codes, make_plan

CASES = sorted((Path(__file__).parent / "cases").glob("*.toml"))
CASE_KEYS = {
    "description",
    "rules",
    "as_of",
    "months",
    "licenses",
    "environments",
    "expected",
    "expected_findings",
    "absent_findings",
}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    case = tomllib.loads(path.read_text(encoding="utf-8"))
    assert set(case) <= CASE_KEYS, set(case) - CASE_KEYS
    plan = make_plan(
        case.get("licenses", []),
        case.get("environments", []),
        rules=case["rules"],
        as_of=case["as_of"],
        months=case["months"],
    )
    capacity = plan.capacity.set_index("pool")
    for pool, expected in case["expected"].get("capacity", {}).items():
        for key, value in expected.items():
            actual = capacity.loc[pool, key]
            if isinstance(value, str):
                assert actual == value, (pool, key)
            else:
                assert actual == pytest.approx(value, abs=1e-9), (pool, key)
    shortfalls = plan.shortfalls.set_index("pool")
    expected_shortfalls = case["expected"].get("shortfalls", [])
    assert sorted(s["pool"] for s in expected_shortfalls) == sorted(shortfalls.index) or (
        not expected_shortfalls and "shortfalls" not in case["expected"]
    )
    for expected in expected_shortfalls:
        row = shortfalls.loc[expected["pool"]]
        for key, value in expected.items():
            if key != "pool":
                assert row[key] == (value if isinstance(value, str) else pytest.approx(value))
    found = codes(plan)
    assert set(case.get("expected_findings", [])) <= found
    assert not set(case.get("absent_findings", [])) & found


def test_there_are_cases() -> None:
    assert len(CASES) >= 5
