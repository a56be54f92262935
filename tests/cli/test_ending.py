"""The console command ends the process once its outputs are flushed, leaving what it held to
the system (planner/cli/ending.py): the same status and output as before, and no shutdown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from planner.cli import ending

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
INPUTS = [str(SAMPLES / "licenses-graph.json"), str(SAMPLES / "environments-inventory.csv")]
# The console command, with a handler the interpreter's shutdown would run.
SCRIPT = """
import atexit, sys
atexit.register(lambda: print("the interpreter shut down", file=sys.stderr))
from planner.cli import main
main(sys.argv[1:])
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, *args], capture_output=True, text=True, cwd=ROOT, check=False
    )


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["forecast", *INPUTS, "--as-of", "2026-12"], 0),
        (["forecast", *INPUTS, "--as-of", "2026-12", "--months", "60", "--fail-on", "warning"], 1),
        (["forecast", str(SAMPLES), "--as-of", "2026-13"], 2),
        (["--version"], 0),
    ],
)
def test_the_command_ends_with_its_status_and_all_its_output(args: list[str], status: int) -> None:
    ended = _run(*args)
    assert ended.returncode == status, ended.stderr
    assert "the interpreter shut down" not in ended.stderr
    if status == 0 and args[0] == "forecast":
        assert ended.stdout.rstrip().endswith(_library_run(args).rstrip().splitlines()[-1])
    if status == 2:
        assert ended.stderr.startswith("capplan: error:")


def _library_run(args: list[str]) -> str:
    """The same command where the interpreter shuts down as usual."""
    code = "import sys\nfrom planner.cli.main import main\nmain(sys.argv[1:])"
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, check=False
    )
    return done.stdout


def test_an_exit_with_a_text_prints_it_and_is_status_1() -> None:
    code = "from planner.cli.ending import end\nend('no way on')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert (done.returncode, done.stderr) == (1, "no way on\n")


def test_what_is_printed_but_not_yet_flushed_is_not_lost() -> None:
    """Into a pipe, standard output is written in blocks: the last block is flushed at the end."""
    code = "from planner.cli.ending import end\nprint('still in the buffer')\nend(None)"
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=buffered
    )
    assert (done.returncode, done.stdout) == (0, "still in the buffer\n")


def test_nothing_is_kept_where_the_process_does_not_end_by_exit() -> None:
    """A library call or a test frees what a command held, as usual."""
    assert ending._kept is None
    ending.keep_until_exit(object())
    assert ending._kept is None
