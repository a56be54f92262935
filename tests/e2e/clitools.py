"""Helpers of the end-to-end tests: the ``capplan`` command run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
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
