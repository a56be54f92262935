"""Work done in a forked child process beside this one, where the system can fork.

A report's workbook is built beside its page, the long tables of a large JSON document are
encoded beside the rest of it, and a large worksheet is read by two processes: on a machine of
two cores both halves run at once. The child
hands a failure to this process, which raises it as its own; Ctrl-C stops this process, which
stops the child. One child at a time is enough on two cores; more would only compete for them.
"""

from __future__ import annotations

import os
import pickle
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
    included) stops the child.

    The child is forked by the system call itself, with a pipe for its one word back: the
    multiprocessing package would cost a large plan's JSON about 4 ms to import and start, for
    nothing this needs."""

    def __init__(self, job: Callable[[], None]) -> None:
        self._receiver, sender = os.pipe()
        self._pid: int | None = None
        self._status: int | None = None
        self._joined = False
        # Ctrl-C reaches the whole process group. The child ignores it (this process stops the
        # child); blocked around the fork, an interrupt cannot reach the child before it does.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self._pid = os.fork()
        except BaseException:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            os.close(self._receiver)
            os.close(sender)
            raise
        if self._pid == 0:  # the child: it never returns from here
            status = 1
            try:
                os.close(self._receiver)
                status = _child(job, sender)
            finally:
                os._exit(status)
        try:
            os.close(sender)
            # A Ctrl-C that came meanwhile is raised here, with the child started: it is
            # stopped before this process goes on to end.
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        except BaseException:
            self.stop()
            raise

    def running(self) -> bool:
        """Whether the child has not ended yet (an ended child is reaped here)."""
        if self._pid is None or self._status is not None:
            return False
        pid, status = os.waitpid(self._pid, os.WNOHANG)
        if pid == 0:
            return True
        self._status = os.waitstatus_to_exitcode(status)
        return False

    def join(self) -> None:
        """Wait for the child; its failure (bad input, an OS error such as a full disk, or
        anything else) is raised here."""
        try:
            message = _received(self._receiver)
            self._wait()
        except BaseException:
            self.stop()
            raise
        finally:
            self._close()
        if message is not None:
            name, code, text, filename = message
            if name == "InputError":
                raise InputError(**text)
            if code is not None:
                raise OSError(code or None, text, filename)
            raise RuntimeError(f"{name}: {text}")
        if self._status != 0:
            raise RuntimeError(f"a writer in a child process stopped (status {self._status})")

    def stop(self) -> None:
        """Stop the child (when this process fails or is interrupted)."""
        if self.running():  # not reaped yet: the process is there to be killed, ended or not
            assert self._pid is not None
            os.kill(self._pid, signal.SIGKILL)
        self._wait()
        self._close()

    def _wait(self) -> None:
        if self._pid is not None and self._status is None:
            _, status = os.waitpid(self._pid, 0)
            self._status = os.waitstatus_to_exitcode(status)

    def _close(self) -> None:
        if not self._joined:
            os.close(self._receiver)
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


def _received(receiver: int) -> Any:
    """The child's word: None where it did its job, else its failure; None too where it ended
    without a word (it was killed: its status tells)."""
    chunks = []
    while chunk := os.read(receiver, 65536):
        chunks.append(chunk)
    return pickle.loads(b"".join(chunks)) if chunks else None


def _child(job: Callable[[], None], sender: int) -> int:
    """Run ``job`` in the child; its status: 0 done, 1 failed (the failure told through
    ``sender``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    try:
        job()
    except BaseException as error:  # reported to the parent, which raises it there
        if isinstance(error, InputError):
            fields = ("message", "file", "location", "expected")
            word: Any = ("InputError", None, {key: getattr(error, key) for key in fields}, None)
        elif isinstance(error, OSError):  # the file system's: the parent raises it as such
            reason = error.strerror if error.errno is not None else str(error)
            word = (type(error).__name__, error.errno or 0, reason, error.filename)
        else:
            word = (type(error).__name__, None, str(error), None)
        _send(sender, word)
        return 1
    return 0


def _send(sender: int, word: Any) -> None:
    data = memoryview(pickle.dumps(word))
    while data:
        data = data[os.write(sender, data) :]
