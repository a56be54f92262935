"""The allocator keeps freed blocks of a few megabytes for reuse (glibc on Linux)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from planner.cli.memory import _glibc

pytestmark = pytest.mark.skipif(_glibc() is None, reason="asks glibc's allocator")

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


def test_a_freed_block_is_reused_rather_than_taken_fresh() -> None:
    assert _faults("default") > 1_500  # glibc's default: the first block was handed back
    assert _faults("keep") < 500
