"""How a run of the ``capplan`` command ends: once its outputs are written and flushed, the
process exits at once, leaving what it holds to the system.

Freeing a large plan object by object when the command returns (the frames, the records, the
hundreds of thousands of texts of the consumption lines) took 40 ms at 50,000 environments, for
memory the system reclaims in one go when the process ends. The command keeps those objects to
its end (:func:`keep_until_exit`), and the console command ends the process without freeing
them (:func:`end`). Called as a library or from a test, nothing is kept and nothing ends.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

# The objects kept to the end of the process: None until the console command starts.
_kept: list[Any] | None = None


def ending_by_exit() -> None:
    """From now on the process ends by :func:`end`: what commands keep is kept."""
    global _kept
    _kept = []


def keep_until_exit(*objects: Any) -> None:
    """Keep ``objects`` (a command's plan and report data) alive until the process ends, where
    it ends by :func:`end`; elsewhere they are freed as usual."""
    if _kept is not None:
        _kept.extend(objects)


def end(status: object) -> NoReturn:
    """End the process with ``status`` as ``sys.exit`` would (None is 0; a text is printed to
    standard error and is 1), once standard output and standard error are flushed, without
    freeing what it holds and without the interpreter's shutdown. Every output file is closed
    and flushed to disk by then (see planner/cli/output.py)."""
    if status is None:
        code = 0
    elif isinstance(status, int):
        code = status
    else:
        print(status, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a reader gone, or the stream closed: nothing to lose
            pass
    os._exit(code & 0xFF)
