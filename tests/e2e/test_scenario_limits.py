"""Limits on what one what-if run compares: scenarios, and their changes in all."""

from __future__ import annotations

from pathlib import Path

from planner.model.limits import MAX_RUN_CHANGES, MAX_SCENARIO_CHANGES, MAX_SCENARIOS
from tests.e2e.clitools import SAMPLES, run_capplan

INPUTS = [str(SAMPLES / "licenses-graph.json"), str(SAMPLES / "environments-inventory.csv")]
CHANGE = '[[changes]]\nkind = "buy_addon"\npool = "database"\ngb = 1\n\n'


def _scenario(folder: Path, number: int, changes: int) -> str:
    path = folder / f"scenario-{number}.toml"
    path.write_text(f'name = "Option {number}"\n\n' + CHANGE * changes, encoding="utf-8")
    return str(path)


def _whatif(*options: str) -> tuple[int, str]:
    result = run_capplan("whatif", *INPUTS, "--as-of", "2026-12", *options)
    assert "Traceback" not in result.stderr
    return result.returncode, result.stderr


def test_more_scenario_files_than_a_run_compares_are_refused(tmp_path: Path) -> None:
    files = [_scenario(tmp_path, n, 1) for n in range(MAX_SCENARIOS + 1)]
    status, message = _whatif(*(option for f in files for option in ("--scenario", f)))
    assert status == 2
    assert f"{MAX_SCENARIOS + 1} scenario files, more than the {MAX_SCENARIOS}" in message
    # As many as a run compares are compared; the flags are one more scenario.
    allowed = [option for f in files[:MAX_SCENARIOS] for option in ("--scenario", f)]
    assert _whatif(*allowed)[0] == 0
    status, message = _whatif(*allowed, "--buy-addon", "database=1")
    assert status == 2 and "the what-if flags make one scenario more" in message


def test_changes_of_all_the_scenarios_of_a_run_are_limited(tmp_path: Path) -> None:
    count = MAX_RUN_CHANGES // MAX_SCENARIO_CHANGES + 1
    files = [_scenario(tmp_path, n, MAX_SCENARIO_CHANGES) for n in range(count)]
    status, message = _whatif(*(option for f in files for option in ("--scenario", f)))
    assert status == 2
    assert f"scenario-{count - 1}.toml: the scenarios up to this one make" in message
    assert f"more than the {MAX_RUN_CHANGES:,} capplan applies in one run" in message
