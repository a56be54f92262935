"""``capplan init``: starter files to fill in, copied from the bundled templates."""

from __future__ import annotations

import shutil
from pathlib import Path

from planner.errors import InputError
from planner.resources import bundled_dir

STARTER_FILES = ("environments.csv", "licenses.csv", "scenario.toml")


def write_starter_files(directory: str | Path, *, force: bool = False) -> list[Path]:
    """Copy the starter inventory, license sheet and scenario into ``directory``.

    Existing files are left alone unless ``force``; nothing is written when any would clash.
    """
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise InputError("not a folder", file=str(target), expected="a folder to write into")
    clashes = [target / name for name in STARTER_FILES if (target / name).exists()]
    if clashes and not force:
        raise InputError(
            "starter files already exist: " + ", ".join(str(p) for p in clashes),
            expected="an empty folder, or --force to overwrite them",
        )
    target.mkdir(parents=True, exist_ok=True)
    source = bundled_dir("templates") / "starter"
    written = []
    for name in STARTER_FILES:
        shutil.copyfile(source / name, target / name)
        written.append(target / name)
    return written
