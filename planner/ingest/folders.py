"""Snapshot folders: what ``capplan collect`` writes, read back as inputs and as history.

A snapshot folder is named by its date (``2026-12-02``) and holds raw API answers and a
``manifest.json`` listing them. Given as an input, the folder stands for the files in it; given
to ``--history``, a folder of such folders is one dated snapshot per folder.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

from planner.errors import InputError
from planner.model.months import refuse_other_digits_in_name

MANIFEST = "manifest.json"
_DATE_NAME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def folder_date(path: Path) -> dt.date | None:
    """The date a folder's name is, or None (``2026-12-02`` -> 2026-12-02); ``InputError`` for
    a date written with other digits (``２０２６-12-02``)."""
    refuse_other_digits_in_name(path.name, file=str(path))
    match = _DATE_NAME.fullmatch(path.name)
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def visible_files(folder: Path) -> list[Path]:
    """The visible files of a folder capplan reads, sorted by name (folders in it are left to
    the caller). An entry that is neither a file nor a folder, a named pipe, a socket or a
    device (or a link to one), is refused rather than passed over without a word."""
    files = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file():
            files.append(entry)
        elif not entry.is_dir():
            raise _neither_file_nor_folder(entry)
    return files


def _neither_file_nor_folder(entry: Path) -> InputError:
    return InputError(
        "the folder holds an entry that is neither a file nor a folder (a named pipe, a socket "
        "or a device, or a link to one)",
        file=str(entry),
        expected="files and folders only in a folder capplan reads",
    )


def snapshot_files(folder: Path) -> list[Path]:
    """The input files of a snapshot folder: those its manifest lists, or, without a manifest,
    every visible file in it (sorted by name)."""
    manifest = folder / MANIFEST
    if manifest.is_file():
        names = _manifest_files(manifest)
    else:
        names = [p.name for p in visible_files(folder)]
    files = [folder / name for name in names]
    if not files:
        raise InputError(
            "the folder holds no input files",
            file=str(folder),
            expected="a snapshot folder written by 'capplan collect', or the files themselves",
        )
    return files


def _manifest_files(manifest: Path) -> list[str]:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        names = [entry["file"] for entry in data["files"]]
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError(
            "the snapshot manifest cannot be read",
            file=str(manifest),
            expected="manifest.json as 'capplan collect' writes it: a 'files' list of "
            "{file, endpoint, count, sha256}",
        ) from None
    for name in names:
        if not isinstance(name, str) or Path(name).name != name or name == MANIFEST:
            raise InputError(
                f"the manifest names {name!r}, which is not a file of this folder",
                file=str(manifest),
                expected="plain file names of the folder",
            )
    return names


def expand_inputs(paths: Sequence[str | os.PathLike[str]]) -> list[str | os.PathLike[str]]:
    """Files stay as given; a folder becomes the files of its snapshot."""
    out: list[str | os.PathLike[str]] = []
    for path in paths:
        out.extend(snapshot_files(Path(path)) if Path(path).is_dir() else [path])
    return out


def dated_snapshots(path: Path) -> list[tuple[dt.date | None, list[Path]]]:
    """What ``--history PATH`` stands for: (date or None, files) per snapshot.

    A file is one snapshot (dated later from its name or content); a dated snapshot folder is
    one; any other folder stands for every dated snapshot folder and file inside it.
    """
    if not path.is_dir():
        return [(None, [path])]
    date = folder_date(path)
    if date is not None:
        return [(date, snapshot_files(path))]
    found: list[tuple[dt.date | None, list[Path]]] = []
    for child in sorted(path.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir():
            child_date = folder_date(child)
            if child_date is not None:
                found.append((child_date, snapshot_files(child)))
        elif child.is_file():
            found.append((None, [child]))
        else:
            raise _neither_file_nor_folder(child)
    if not found:
        raise InputError(
            "the history folder holds no dated snapshots",
            file=str(path),
            expected="folders named YYYY-MM-DD (as 'capplan collect' writes them) or dated "
            "environment lists such as environments-2026-03-31.csv",
        )
    return found
