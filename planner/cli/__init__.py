"""The command line: click commands that parse options, call the library and pick a renderer."""

import os
import signal
import threading
from collections.abc import Sequence
from typing import NoReturn

from planner.cli.interrupt import interrupted_while_starting

# capplan does no linear algebra, but numpy starts OpenBLAS's pool of threads as it loads. The
# threads wait by spinning, on the very cores a large report's workbook and JSON are written
# on, and starting them adds 10 to 50 ms to every command. One thread is none to start. (Set
# before numpy loads, and only where the user has not chosen.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# Until planner.cli.main has loaded; it hands Ctrl-C back to its own handling at its end. (Not
# where Ctrl-C is ignored, as in a background job, nor from a thread, where it cannot be set.)
if (
    threading.current_thread() is threading.main_thread()
    and signal.getsignal(signal.SIGINT) is signal.default_int_handler
):
    signal.signal(signal.SIGINT, interrupted_while_starting)

from planner.cli import ending
from planner.cli.main import cli
from planner.cli.main import main as run


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The ``capplan`` console command (and ``python -m planner``): the command, then the end of
    the process without freeing what the command held (see planner/cli/ending.py)."""
    ending.ending_by_exit()
    try:
        run(argv)
    except SystemExit as stop:
        ending.end(stop.code)
    ending.end(0)


__all__ = ["cli", "main", "run"]
