"""Helpers of the end-to-end tests: the ``capplan`` command run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"


def run_capplan(
    *args: str, cwd: Path | None = None, env: dict | None = None, check_exit: int | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m planner`` in a fresh process and return its output."""
    environment = {**os.environ, **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "planner", *args],
        cwd=cwd or ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check_exit is not None:
        assert result.returncode == check_exit, (result.returncode, result.stdout, result.stderr)
    return result


def run_capplan_together(
    commands: Sequence[Sequence[str]], check_exit: int | None = None
) -> list[subprocess.CompletedProcess[str]]:
    """Run several ``python -m planner`` processes at once (independent commands of one test
    module); their outputs, in the order given."""
    started = [
        (
            list(args),
            subprocess.Popen(
                [sys.executable, "-m", "planner", *args],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        for args in commands
    ]
    results = []
    for args, process in started:
        stdout, stderr = process.communicate(timeout=300)
        result = subprocess.CompletedProcess(args, process.returncode, stdout, stderr)
        if check_exit is not None:
            assert result.returncode == check_exit, (args, result.returncode, stderr)
        results.append(result)
    return results
