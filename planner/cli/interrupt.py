"""Ctrl-C while capplan's modules load (planner/cli/__init__.py sets it, main.py unsets it)."""

from __future__ import annotations

import os


def interrupted_while_starting(signum: int, frame: object) -> None:
    """Ctrl-C while the command's modules load: the same line and status as later, no
    traceback of the import machinery (nothing has been written yet)."""
    os.write(2, b"\ncapplan: interrupted\n")
    os._exit(130)
