"""The command line: click commands that parse options, call the library and pick a renderer."""

import os
import signal
import threading

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

from planner.cli.main import cli, main

__all__ = ["cli", "main"]
