"""Work done in a forked child process beside this one, where the system can fork.

A report's workbook is built beside its page, and the long tables of a large JSON document are
encoded beside the rest of it: on a machine of two cores both halves run at once. The child
hands a failure to this process, which raises it as its own; Ctrl-C stops this process, which
stops the child. One child at a time is enough on two cores; more would only compete for them.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from types import TracebackType
from typing import Any

from planner.errors import InputError


def can_fork() -> bool:
    return hasattr(os, "fork")


class Beside:
    """``job`` running in a forked child from the moment this is made; :meth:`join` waits for it
    and raises its failure here. Used as a context manager, an exception in the body (Ctrl-C
    included) stops the child."""

    def __init__(self, job: Callable[[], None]) -> None:
        # Imported only where a child is started: every other command runs without it.
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_child, args=(job, sender), daemon=True)
        # Ctrl-C reaches the whole process group. The child ignores it (this process stops the
        # child); blocked around the fork, an interrupt cannot reach the child before it does.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self._process.start()
        except BaseException:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            raise
        try:
            # A Ctrl-C that came meanwhile is raised here, with the child started: it is
            # stopped before this process goes on to end.
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            sender.close()
        except BaseException:
            self._process.kill()
            self._process.join()
            raise
        self._joined = False

    def join(self) -> None:
        """Wait for the child; its failure (bad input, an OS error such as a full disk, or
        anything else) is raised here."""
        try:
            try:
                message = self._receiver.recv()
            except EOFError:  # the child ended without a word: it was killed
                message = None
            self._process.join()
        except BaseException:
            self.stop()
            raise
        finally:
            self._receiver.close()
            self._joined = True
        if message is not None:
            name, code, text, filename = message
            if name == "InputError":
                raise InputError(**text)
            if code is not None:
                raise OSError(code or None, text, filename)
            raise RuntimeError(f"{name}: {text}")
        if self._process.exitcode != 0:
            status = self._process.exitcode
            raise RuntimeError(f"a writer in a child process stopped (status {status})")

    def stop(self) -> None:
        """Stop the child (when this process fails or is interrupted)."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._receiver.close()
        self._joined = True

    def __enter__(self) -> Beside:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._joined:
            if kind is None:
                self.join()
            else:
                self.stop()


def _child(job: Callable[[], None], sender: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    try:
        job()
    except BaseException as error:  # reported to the parent, which raises it there
        if isinstance(error, InputError):
            fields = ("message", "file", "location", "expected")
            sender.send(("InputError", None, {key: getattr(error, key) for key in fields}, None))
        elif isinstance(error, OSError):  # the file system's: the parent raises it as such
            reason = error.strerror if error.errno is not None else str(error)
            sender.send((type(error).__name__, error.errno or 0, reason, error.filename))
        else:
            sender.send((type(error).__name__, None, str(error), None))
        sender.close()
        os._exit(1)
    sender.send(None)
    sender.close()
