"""Finding checks, case by case: every file under ``cases/<CODE>/`` is one plan and what its
findings must (and must not) contain.

A case writes the inputs as they are after its planned changes were applied (a link at month m
ends the environment's row at m and continues it, linked, from m), and lists the changes
themselves, which the plan keeps for the checks. The format is the one of every case file
(``tests/casefile.py``); ``cases/README.md`` explains how changes are written.
"""

from __future__ import annotations

from pathlib import Path

import casefile
import pytest

from planner.checks import REGISTRY

ALL_CASES = casefile.load_cases(Path(__file__).resolve().parent / "cases")


def _code(case: casefile.Case) -> str:
    return Path(case.name).parts[0]  # the folder: the finding code the case is about


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.name for c in ALL_CASES])
def test_case(case: casefile.Case, tmp_path: Path) -> None:
    casefile.validate(case)
    exercised = {e["code"] for e in case.present + case.absent}
    assert _code(case) in exercised, f"{case.name}: the case says nothing about {_code(case)}"
    casefile.check(case, casefile.run(case, tmp_path))


def test_every_code_has_a_positive_and_a_negative_case() -> None:
    raised = {_code(c) for c in ALL_CASES if any(e["code"] == _code(c) for e in c.present)}
    quiet = {_code(c) for c in ALL_CASES if any(e["code"] == _code(c) for e in c.absent)}
    assert set(REGISTRY) - raised == set(), "codes without a case that raises them"
    assert set(REGISTRY) - quiet == set(), "codes without a case where they stay quiet"
    assert {_code(c) for c in ALL_CASES} <= set(REGISTRY), "a case folder names no registered code"
