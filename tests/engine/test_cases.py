"""Data-driven engine cases: a tenant written in a case file, the plan worked out by hand."""

from __future__ import annotations

from pathlib import Path

import casefile
import pytest

CASES = casefile.load_cases(Path(__file__).parent / "cases")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: casefile.Case, tmp_path: Path) -> None:
    casefile.validate(case)
    casefile.check(case, casefile.run(case, tmp_path))


def test_there_are_cases() -> None:
    assert len(CASES) >= 5
