"""What capplan asks of its process: no pool of BLAS threads, no transparent huge pages."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from planner.model.memory import _glibc

THREADS = "import os, planner.cli; print(os.environ['OPENBLAS_NUM_THREADS'])"


@pytest.mark.parametrize(("given", "expected"), [(None, "1"), ("4", "4")])
def test_numpy_starts_no_blas_threads_unless_the_user_asks(
    given: str | None, expected: str
) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        environment["OPENBLAS_NUM_THREADS"] = given
    result = subprocess.run(
        [sys.executable, "-c", THREADS], capture_output=True, text=True, check=True, env=environment
    )
    assert result.stdout.strip() == expected


# Whether transparent huge pages are off for the process, after a command ran (prctl 42 is
# PR_GET_THP_DISABLE).
HUGE = """
import ctypes
from planner.cli.main import main
try:
    main(["--version"])
except SystemExit:
    pass
print(ctypes.CDLL("libc.so.6").prctl(42, 0, 0, 0, 0))
"""


@pytest.mark.skipif(_glibc() is None, reason="asked of Linux through glibc")
def test_a_command_runs_without_transparent_huge_pages() -> None:
    result = subprocess.run(
        [sys.executable, "-c", HUGE], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "1"
