"""History: dated snapshots of the environment list, read for the growth fit.

Each snapshot is an environment list in any supported format, dated by a date in its file name
(``environments-2026-03-31.csv``, ``2026-03``), by a ``date`` column holding one date, or, for the
admin API list, by the newest ``updatedOn`` of its capacity entries. planner.engine.growth fits
the monthly growth through them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.errors import InputError
from planner.ingest.source import DEFAULT_MAX_BYTES

_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})(?:-(\d{2}))?(?!\d)")
_DATE_COLUMNS = {"date", "snapshotdate", "asof", "capturedon", "measuredon"}


@dataclass(frozen=True)
class Snapshot:
    path: str
    date: dt.date
    environments: pd.DataFrame


def _date_from_name(path: Path) -> dt.date | None:
    match = _DATE_IN_NAME.search(path.name)
    if not match:
        return None
    year, month, day = match.groups()
    try:
        return dt.date(int(year), int(month), int(day or 1))
    except ValueError:
        return None


def _date_from_content(path: Path, max_bytes: int) -> dt.date | None:
    """A ``date`` column with one value (inventory CSV), or the newest ``updatedOn`` (admin API)."""
    from planner.ingest.source import decode_text, read_raw

    raw = read_raw(path, max_bytes)
    try:
        text = decode_text(raw)
    except InputError:
        return None  # a workbook: only its file name can date it
    if text.lstrip().startswith(("{", "[")):
        try:
            data = json.loads(text)
        except ValueError:
            return None
        stamps = re.findall(
            r'"(?:updatedOn|admin_capacityupdatedon)"\s*:\s*"(\d{4}-\d{2}-\d{2})', json.dumps(data)
        )
        return max(_iso_date(stamp, path, "updatedOn") for stamp in stamps) if stamps else None
    header, _, body = text.partition("\n")
    delimiter = max((";", ",", "\t"), key=header.count)
    names = [re.sub(r"[\s_.\-]", "", h).casefold() for h in header.split(delimiter)]
    if "admincapacityupdatedon" in names:
        # The CoE capacity table: each row was measured on its own day; the newest dates it.
        position = names.index("admincapacityupdatedon")
        stamps = [
            cells[position].strip().strip('"')[:10]
            for cells in (line.split(delimiter) for line in body.splitlines())
            if len(cells) > position and cells[position].strip().strip('"')
        ]
        return max((_iso_date(s, path, "admin_capacityupdatedon") for s in stamps), default=None)
    matches = [i for i, n in enumerate(names) if n in _DATE_COLUMNS]
    if not matches:
        return None
    values = {
        line.split(delimiter)[matches[0]].strip()
        for line in body.splitlines()
        if line.strip() and len(line.split(delimiter)) > matches[0]
    } - {""}
    if len(values) != 1:
        raise InputError(
            f"the date column holds {len(values)} different dates",
            file=str(path),
            expected="one snapshot date per file",
        )
    return _iso_date(values.pop()[:10], path, "the date column")


def _iso_date(text: str, path: Path, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{what} {text!r} is not a date", file=str(path), expected="YYYY-MM-DD"
        ) from None


def read_snapshots(
    paths: Sequence[str | Path], max_bytes: int = DEFAULT_MAX_BYTES
) -> list[Snapshot]:
    """Each path is a dated environment list, a dated snapshot folder (``2026-12-02/``), or a
    folder holding either (every dated snapshot in it)."""
    from planner.ingest import load_inputs
    from planner.ingest.folders import dated_snapshots

    snapshots = []
    for raw in paths:
        for folder_date, files in dated_snapshots(Path(raw)):
            if folder_date is not None:
                path = files[0].parent
                environments = load_inputs(files, max_bytes=max_bytes, history=True).environments
                if not len(environments):
                    raise InputError(
                        "the snapshot folder holds no environment list",
                        file=str(path),
                        expected="the admin API environment list (capplan collect saves it) or "
                        "another environment list",
                    )
                snapshots.append(Snapshot(str(path), folder_date, environments))
                continue
            (path,) = files
            inputs = load_inputs([], environments=[path], max_bytes=max_bytes, history=True)
            date = _date_from_name(path) or _date_from_content(path, max_bytes)
            if date is None:
                raise InputError(
                    "the snapshot has no date",
                    file=str(path),
                    expected="a date in the file name (environments-2026-03-31.csv), a date "
                    "column, or updatedOn values in an admin API list",
                )
            snapshots.append(Snapshot(str(path), date, inputs.environments))
    dates = [s.date for s in snapshots]
    duplicates = sorted({d for d in dates if dates.count(d) > 1})
    if duplicates:
        raise InputError(
            "several snapshots share the date " + ", ".join(d.isoformat() for d in duplicates),
            expected="one snapshot per date",
        )
    return snapshots
