"""Data-driven scenario cases: a tenant, a scenario file's text, and deltas worked out by hand."""

from __future__ import annotations

from pathlib import Path

import casefile
import pytest

CASES = casefile.load_cases(Path(__file__).parent / "cases")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_scenario_case(case: casefile.Case, tmp_path: Path) -> None:
    casefile.validate(case)
    assert "scenario" in case.data, f"{case.name}: a scenario case needs a scenario"
    casefile.check(case, casefile.run(case, tmp_path))


def test_there_are_scenario_cases() -> None:
    assert len(CASES) >= 5
