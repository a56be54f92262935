"""Helpers of the end-to-end tests: the ``capplan`` command run as a user runs it.

Each command is a process of its own (``python -m planner``), forked from a process that has
loaded capplan once (see forkserver.py); ``fresh=True`` starts Python anew, for what happens
while a process starts."""

from __future__ import annotations

import atexit
import json
import locale
import os
import select
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
TIMEOUT = 300


def run_capplan(
    *args: str,
    cwd: Path | None = None,
    env: dict | None = None,
    check_exit: int | None = None,
    fresh: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m planner ARGS`` in a process of its own and return its output."""
    environment = {**os.environ, **(env or {})}
    if fresh:
        result = subprocess.run(
            [sys.executable, "-m", "planner", *args],
            cwd=cwd or ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    else:
        (result,) = _forked([list(args)], cwd or ROOT, environment)
    if check_exit is not None:
        assert result.returncode == check_exit, (result.returncode, result.stdout, result.stderr)
    return result


def run_capplan_together(
    commands: Sequence[Sequence[str]], check_exit: int | None = None
) -> list[subprocess.CompletedProcess[str]]:
    """Run several ``python -m planner`` processes at once (independent commands of one test
    module); their outputs, in the order given."""
    results = _forked([list(args) for args in commands], ROOT, dict(os.environ))
    if check_exit is not None:
        for result in results:
            assert result.returncode == check_exit, (result.args, result.returncode, result.stderr)
    return results


class _ForkServer:
    """tests/e2e/forkserver.py, started on first use, one per test process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("forkserver.py"))],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, request: dict[str, Any], timeout: float | None = None) -> dict[str, int]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        if timeout is not None and not select.select([self.process.stdout], [], [], timeout)[0]:
            raise TimeoutError
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the fork server of the end-to-end tests stopped")
        return json.loads(line)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


_server: _ForkServer | None = None


def _fork_server() -> _ForkServer:
    global _server
    if _server is None or _server.process.poll() is not None:
        _server = _ForkServer()
        atexit.register(_server.close)
    return _server


def _forked(
    commands: list[list[str]], cwd: Path, environment: dict[str, str]
) -> list[subprocess.CompletedProcess[str]]:
    """Each command in a process forked from the fork server, all started before any is waited
    for; their outputs as ``subprocess.run(..., text=True)`` gives them."""
    server = _fork_server()
    with tempfile.TemporaryDirectory(prefix="capplan-run-") as folder:
        started = []
        for index, args in enumerate(commands):
            streams = {name: str(Path(folder) / f"{index}.{name}") for name in ("stdout", "stderr")}
            request = {"argv": args, "cwd": str(cwd), "env": environment, **streams}
            started.append((args, streams, server.ask({"run": request})["pid"]))
        results = []
        for args, streams, pid in started:
            try:
                status = server.ask({"wait": pid}, timeout=TIMEOUT)["status"]
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                server.ask({"wait": pid})
                raise subprocess.TimeoutExpired(args, TIMEOUT) from None
            stdout, stderr = (_text(Path(streams[name]).read_bytes()) for name in streams)
            results.append(
                subprocess.CompletedProcess(
                    [sys.executable, "-m", "planner", *args], status, stdout, stderr
                )
            )
    return results


def _text(data: bytes) -> str:
    """What ``subprocess.run(..., text=True)`` makes of a stream's bytes."""
    text = data.decode(locale.getpreferredencoding(False))
    return text.replace("\r\n", "\n").replace("\r", "\n")
