"""Where the bundled rule sets and templates are.

In an installed wheel they sit inside the package (``planner/_bundled``); in a checkout they are
the top-level ``rules/`` and ``templates/`` folders beside ``planner/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    installed = _PACKAGE / "_bundled" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name
