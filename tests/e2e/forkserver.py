"""A Python process that has loaded capplan once and forks a process per command run.

The end-to-end tests run the ``capplan`` command as a user does: a process of its own, with its
own standard streams, working folder and environment, ending with its exit status. Starting
Python and loading pandas and capplan is most of the time of a small command (about 0.6 s of
0.8 s of CPU here); a process forked from one that has done it once skips that, and is otherwise
the command as ``python -m planner`` runs it: planner/__main__.py, in a new process, whose
descriptors 0, 1 and 2 are the files given and no other.

Run by tests/e2e/clitools.py, which speaks to it by lines of JSON on its standard input and
output::

    {"run": {"argv": [...], "cwd": ..., "env": {...}, "stdout": path, "stderr": path}}
        -> {"pid": 1234}
    {"wait": 1234}
        -> {"status": 0}        (a negative status: ended by that signal, as subprocess says)

The tests that are about the start of a process (the modules it loads, Ctrl-C while it loads,
the encoding of its streams) start Python afresh instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import runpy
import sys
import traceback
from typing import Any

# What the commands load, loaded here once (planner.cli sets up Ctrl-C and the thread pool's
# size as a fresh process would, before pandas loads).
import planner.cli
import planner.cli.main
import planner.planning
import planner.report.data
import planner.report.html
import planner.report.json_report
import planner.report.xlsx

MAIN = os.path.join(os.path.dirname(planner.__file__), "__main__.py")


def _child(request: dict[str, Any]) -> None:
    """In the forked process: become ``python -m planner ARGS`` and run to its end."""
    status = 1
    try:
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        streams = [
            os.open(os.devnull, os.O_RDONLY),
            os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
            os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
        ]
        for target, descriptor in enumerate(streams):
            os.dup2(descriptor, target)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        sys.argv = [MAIN, *request["argv"]]
        try:
            runpy.run_module("planner", run_name="__main__", alter_sys=True)
            status = 0
        except SystemExit as stop:  # as the interpreter ends on it
            if stop.code is None:
                status = 0
            elif isinstance(stop.code, int):
                status = stop.code & 0xFF
            else:
                print(stop.code, file=sys.stderr)
                status = 1
        except BaseException:  # what the interpreter prints of an uncaught error
            traceback.print_exc()
            status = 1
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    finally:
        os._exit(status)


def serve() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        if "run" in request:
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                _child(request["run"])
            answer: dict[str, int] = {"pid": pid}
        else:
            _, raw = os.waitpid(int(request["wait"]), 0)
            code = os.waitstatus_to_exitcode(raw)
            answer = {"status": code}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
