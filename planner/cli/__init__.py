"""The command line: click commands that parse options, call the library and pick a renderer."""

import os
import signal
import threading
from types import FrameType


def _interrupted_while_starting(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C while the command's modules load: the same line and status as later, no
    traceback of the import machinery (nothing has been written yet)."""
    os.write(2, b"\ncapplan: interrupted\n")
    os._exit(130)


# Until planner.cli.main has loaded; it hands Ctrl-C back to its own handling at its end. (Not
# where Ctrl-C is ignored, as in a background job, nor from a thread, where it cannot be set.)
if (
    threading.current_thread() is threading.main_thread()
    and signal.getsignal(signal.SIGINT) is signal.default_int_handler
):
    signal.signal(signal.SIGINT, _interrupted_while_starting)

from planner.cli.main import cli, main  # noqa: E402

__all__ = ["cli", "main"]
