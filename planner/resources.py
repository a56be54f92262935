"""Where the bundled rule sets and templates are.

In an installed wheel they sit inside the package (``planner/_bundled``); in a checkout they are
the top-level ``rules/`` and ``templates/`` folders beside ``planner/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


# The bundled folders capplan reads as it runs: the rule sets and SKU catalog (every command
# that plans), and the report templates and starter files. No output may be written into them.
READ_FOLDERS = ("rules", "templates")


def bundled_dir(name: str) -> Path:
    installed = _PACKAGE / "_bundled" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def bundled_folders() -> list[Path]:
    """The bundled folders capplan reads (see READ_FOLDERS)."""
    return [bundled_dir(name) for name in READ_FOLDERS]
