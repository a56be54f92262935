"""How a run of the ``capplan`` command ends: once its outputs are written and flushed, the
process exits at once, leaving what it holds to the system.

Freeing a large plan object by object when the command returns (the frames, the records, the
hundreds of thousands of texts of the consumption lines) took 40 ms at 50,000 environments, for
memory the system reclaims in one go when the process ends. The command keeps those objects to
its end (:func:`keep_until_exit`), and the console command ends the process without freeing
them (:func:`end`). The same goes for the files its outputs replaced: they are removed by a
process of its own once this one has ended (:func:`remove_later`). Called as a library or from
a test, nothing is kept, everything is removed at once, and nothing ends.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from pathlib import Path
from typing import Any, NoReturn

# The objects kept to the end of the process: None until the console command starts.
_kept: list[Any] | None = None
# The process that ends by end(): not a child forked from it (a batch's worker, a writer).
_ending_process: int | None = None
# Folders to remove once the process has ended (see remove_later).
_removals: list[Path] = []


def ending_by_exit() -> None:
    """From now on the process ends by :func:`end`: what commands keep is kept."""
    global _kept, _ending_process
    _kept = []
    _ending_process = os.getpid()


def _ends_by_exit() -> bool:
    return _kept is not None and _ending_process == os.getpid()


def keep_until_exit(*objects: Any) -> None:
    """Keep ``objects`` (a command's plan and report data) alive until the process ends, where
    it ends by :func:`end`; elsewhere they are freed as usual."""
    if _ends_by_exit():
        assert _kept is not None
        _kept.extend(objects)


def removes_later() -> bool:
    """Whether :func:`remove_later` defers: in the process that ends by :func:`end`, where a
    process of its own can remove files after it."""
    return _ends_by_exit() and _remover() is not None


@functools.cache
def _remover() -> str | None:
    return shutil.which("rm")


def remove_later(folder: Path) -> None:
    """Remove ``folder`` (the staging folder of outputs written, holding the files they
    replaced) once the process has ended, by a process of its own: freeing a large replaced
    file's blocks takes tens of milliseconds that nothing waits for. Where that is not so, or
    that process cannot be started, it is removed at the end all the same."""
    if removes_later():
        _removals.append(folder)
    else:
        shutil.rmtree(folder, ignore_errors=True)


def _remove_after() -> None:
    """Start the removal of the folders given to :func:`remove_later`, detached: in a session
    of its own, reading and writing nothing of this process's, not waited for."""
    remover = _remover()
    if not _removals or remover is None:
        return
    import subprocess

    try:
        subprocess.Popen(
            [remover, "-rf", "--", *map(str, _removals)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        for folder in _removals:
            shutil.rmtree(folder, ignore_errors=True)


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
    _remove_after()
    os._exit(code & 0xFF)
