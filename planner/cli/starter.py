"""``capplan init``: starter files to fill in, copied from the bundled templates."""

from __future__ import annotations

import shutil
from pathlib import Path

from planner.cli.output import check_not_input, write_all
from planner.errors import InputError
from planner.resources import bundled_dir, bundled_folders

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
    source = bundled_dir("templates") / "starter"
    written = [target / name for name in STARTER_FILES]
    # Before the folder is made: never into capplan's own rules or templates (a starter file
    # linked to its template would copy it onto itself; scenario.toml among the rules would
    # be read as a rule set by every later run).
    for path in written:
        check_not_input(path, [source, *bundled_folders()], "the starter files")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(
            f"cannot make the folder ({error.strerror or error})",
            file=str(target),
            expected="a folder capplan can write to",
        ) from None
    # As one: every file is finished first, then all are moved into place (see write_all);
    # a full disk or an unwritable file leaves none of them.
    write_all(
        [
            (path, lambda staged, template=source / path.name: _copy(template, staged))
            for path in written
        ]
    )
    return written


def _copy(template: Path, staged: Path) -> None:
    shutil.copyfile(template, staged)
