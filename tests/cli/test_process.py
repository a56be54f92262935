"""What capplan asks of its process: freed blocks of a few megabytes kept for reuse (glibc on
Linux), and no pool of BLAS threads."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from planner.cli.memory import _glibc

GLIBC = pytest.mark.skipif(_glibc() is None, reason="asks glibc's allocator")

# Faults made by the second of two 8 MB blocks (2,048 pages), the first freed before it.
SCRIPT = """
import resource, sys
from planner.cli.memory import keep_freed_memory
if sys.argv[1] == "keep":
    keep_freed_memory()
first = bytearray(8 * 1024 * 1024)
del first
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
second = bytearray(8 * 1024 * 1024)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True
    )
    return int(result.stdout)


@GLIBC
def test_a_freed_block_is_reused_rather_than_taken_fresh() -> None:
    assert _faults("default") > 1_500  # glibc's default: the first block was handed back
    assert _faults("keep") < 500


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
