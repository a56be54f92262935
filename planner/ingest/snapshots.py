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
from planner.ingest.table import normalize_header
from planner.model.limits import MAX_SNAPSHOTS
from planner.model.months import refuse_other_digits_in_name

# Digits 0 to 9, not next to a digit of any script (see refuse_other_digits_in_name).
_DATE_IN_NAME = re.compile(r"(?<!\d)([0-9]{4})-([0-9]{2})(?:-([0-9]{2}))?(?!\d)")
_DATE_COLUMNS = {"date", "snapshotdate", "asof", "capturedon", "measuredon"}


@dataclass(frozen=True)
class Snapshot:
    path: str
    date: dt.date
    environments: pd.DataFrame


def _date_from_name(path: Path) -> dt.date | None:
    refuse_other_digits_in_name(path.name, file=str(path))
    dates = set()
    for match in _DATE_IN_NAME.finditer(path.name):
        year, month, day = match.groups()
        try:
            dates.add(dt.date(int(year), int(month), int(day or 1)))
        except ValueError:
            continue
    if len(dates) > 1:
        raise InputError(
            "the file name holds several dates: "
            + ", ".join(date.isoformat() for date in sorted(dates)),
            file=str(path),
            expected="one snapshot date in the name, such as environments-2026-03-31.csv",
        )
    return dates.pop() if dates else None


# Snapshot dates capplan reads: Dataverse and finance and operations apps came long after the
# first, and a date past the last is a typing error (9999-12-31 stands for "never").
EARLIEST_SNAPSHOT = dt.date(2000, 1, 1)
LATEST_SNAPSHOT = dt.date(2099, 12, 31)


def _plausible(date: dt.date, path: Path) -> dt.date:
    if not EARLIEST_SNAPSHOT <= date <= LATEST_SNAPSHOT:
        raise InputError(
            f"the snapshot is dated {date.isoformat()}",
            file=str(path),
            expected=f"a date from {EARLIEST_SNAPSHOT.isoformat()} to "
            f"{LATEST_SNAPSHOT.isoformat()}",
        )
    return date


def _date_from_content(path: Path, max_bytes: int) -> dt.date | None:
    """A date column with one value (an environment table, CSV or sheet), the newest
    ``admin_capacityupdatedon`` (the CoE capacity table) or the newest ``updatedOn`` (admin API).

    The file is opened as every input is (planner.ingest.detect): quotes, delimiters, blank and
    preamble lines and worksheets are read the same way, and a bad date is named by its cell."""
    from planner.ingest.detect import open_content
    from planner.ingest.source import read_raw

    content = open_content(read_raw(path, max_bytes), kind="environments")
    if content.json is not None:
        # Digits of any script: a stamp written in others is named and refused by _iso_date.
        stamps = re.findall(
            r'"(?:updatedOn|admin_capacityupdatedon)"\s*:\s*"(\d{4}-\d{2}-\d{2})',
            json.dumps(content.json.root),
        )
        return max(_iso_date(stamp, path, "updatedOn") for stamp in stamps) if stamps else None
    table = content.table
    assert table is not None
    names = [normalize_header(h) for h in table.headers]
    if "admincapacityupdatedon" in names:
        # The CoE capacity table: each row was measured on its own day; the newest dates it.
        position = names.index("admincapacityupdatedon")
        dates = [
            _iso_date(
                text[:10], path, "admin_capacityupdatedon", table.cell_location(row, position)
            )
            for row, text in enumerate(table.column(position))
            if text
        ]
        return max(dates, default=None)
    matches = [i for i, n in enumerate(names) if n in _DATE_COLUMNS]
    if not matches:
        return None
    position = matches[0]
    column = table.column(position)
    values = set(column) - {""}
    if len(values) != 1:
        raise InputError(
            f"the date column holds {len(values)} different dates",
            file=str(path),
            location=f"column {table.headers[position]}",
            expected="one snapshot date per file",
        )
    row = int((column != "").to_numpy().argmax())
    return _iso_date(values.pop()[:10], path, "the date column", table.cell_location(row, position))


def _iso_date(text: str, path: Path, what: str, location: str | None = None) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{what} {text!r} is not a date",
            file=str(path),
            location=location,
            expected="YYYY-MM-DD",
        ) from None


def read_snapshots(
    paths: Sequence[str | Path], max_bytes: int = DEFAULT_MAX_BYTES
) -> list[Snapshot]:
    """Each path is a dated environment list, a dated snapshot folder (``2026-12-02/``), or a
    folder holding either (every dated snapshot in it)."""
    from planner.ingest import load_inputs
    from planner.ingest.folders import dated_snapshots

    listed = [dated_snapshots(Path(raw)) for raw in paths]
    count = sum(map(len, listed))
    if count > MAX_SNAPSHOTS:  # counted from the folders' listings, before any is read
        raise InputError(
            f"the history holds {count:,} snapshots, more than the {MAX_SNAPSHOTS:,} capplan "
            "reads in one run",
            file=str(paths[0]) if len(paths) == 1 else None,
            expected=f"at most {MAX_SNAPSHOTS:,} dated snapshots (growth is fitted per month: "
            "give the recent ones, or one a week or a month)",
        )
    snapshots = []
    for found in listed:
        for folder_date, files in found:
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
                snapshots.append(Snapshot(str(path), _plausible(folder_date, path), environments))
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
            snapshots.append(Snapshot(str(path), _plausible(date, path), inputs.environments))
    dates = [s.date for s in snapshots]
    duplicates = sorted({d for d in dates if dates.count(d) > 1})
    if duplicates:
        raise InputError(
            "several snapshots share the date " + ", ".join(d.isoformat() for d in duplicates),
            expected="one snapshot per date",
        )
    return snapshots
