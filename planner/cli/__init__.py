"""The command line: click commands that parse options, call the library and pick a renderer."""

# Until planner.cli.main has loaded, Ctrl-C ends the run quietly; main.py hands it back to its
# own handling at its end. Set first, with the C module alone: every module loaded before it
# is a moment in which Ctrl-C prints the import machinery's traceback. (Not where Ctrl-C is
# ignored, as in a background job, nor from a thread, where it cannot be set.)
import _signal

from planner.cli.interrupt import interrupted_while_starting

if _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:
    try:  # noqa: SIM105 (contextlib is one more module to load first)
        _signal.signal(_signal.SIGINT, interrupted_while_starting)
    except ValueError:  # not the main thread
        pass

import os
import sys
from collections.abc import Sequence
from typing import NoReturn

# capplan does no linear algebra, but numpy starts OpenBLAS's pool of threads as it loads. The
# threads wait by spinning, on the very cores a large report's workbook and JSON are written
# on, and starting them adds 10 to 50 ms to every command. One thread is none to start. (Set
# before numpy loads, and only where the user has not chosen.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from planner.cli import ending
from planner.cli.main import cli
from planner.cli.main import main as run


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The ``capplan`` console command (and ``python -m planner``): the command, then the end of
    the process without freeing what the command held (see planner/cli/ending.py)."""
    if sys.stderr is None:  # started with standard error closed (2>&-): messages go nowhere
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (for the rest of the process)
    if sys.stdout is None:
        # Started with standard output closed (``capplan ... >&-``): what the command prints
        # would be lost, or end in an internal error where it is written.
        sys.stderr.write(
            "capplan: error: standard output is closed: nothing could be printed\n"
            "  expected: standard output open, to a terminal, a file or a pipe\n"
        )
        raise SystemExit(2)
    ending.ending_by_exit()
    try:
        run(argv)
    except SystemExit as stop:
        ending.end(stop.code)
    ending.end(0)


__all__ = ["cli", "main", "run"]
