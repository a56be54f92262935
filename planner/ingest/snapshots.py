"""Growth from history: dated snapshots of the environment list, fitted by least squares.

Each snapshot is an environment list in any supported format, dated by a date in its file name
(``environments-2026-03-31.csv``, ``2026-03``), by a ``date`` column holding one date, or, for the
admin API list, by the newest ``updatedOn`` of its capacity entries. For every environment and
capacity type with at least three snapshots, the monthly growth is the slope of the least-squares
line through its usage; it is used wherever the inventory gives no growth.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.ingest.source import DEFAULT_MAX_BYTES
from planner.model.inputs import CAPACITY_TYPES, Inputs

MIN_SNAPSHOTS = 3
_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})(?:-(\d{2}))?(?!\d)")
_DATE_COLUMNS = {"date", "snapshotdate", "asof", "capturedon", "measuredon"}

FIT_COLUMNS = (
    "environment",
    "capacity_type",
    "gb_per_month",
    "snapshots",
    "first_date",
    "last_date",
    "fitted",
    "note",
)


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


def month_position(dates: pd.Series) -> pd.Series:
    """Calendar months as numbers: the first of each month is a whole month, days in between
    are fractions of their own month (so monthly snapshots are exactly one month apart)."""
    serial = dates.dt.year * 12 + dates.dt.month - 1
    return serial + (dates.dt.day - 1) / dates.dt.days_in_month


def fit_growth(snapshots: Sequence[Snapshot]) -> pd.DataFrame:
    """Least-squares monthly growth per environment and capacity type, computed group-wise."""
    frames = []
    for snapshot in snapshots:
        usage = snapshot.environments[["name", *[f"{t}_gb" for t in CAPACITY_TYPES]]]
        long = usage.melt(id_vars="name", var_name="column", value_name="gb").dropna()
        long["date"] = pd.Timestamp(snapshot.date)
        frames.append(long)
    if not frames:
        return pd.DataFrame(columns=list(FIT_COLUMNS))
    points = pd.concat(frames, ignore_index=True)
    points["capacity_type"] = points["column"].str.removesuffix("_gb")
    points["x"] = month_position(points["date"])
    grouped = points.groupby(["name", "capacity_type"], sort=True)
    # Centred sums keep the fit exact to rounding even with month numbers in the tens of thousands.
    dx = points["x"] - grouped["x"].transform("mean")
    dy = points["gb"] - grouped["gb"].transform("mean")
    points["sxy"] = dx * dy
    points["sxx"] = dx * dx
    sums = points.groupby(["name", "capacity_type"], sort=True)[["sxy", "sxx"]].sum()
    count = grouped.size()
    first = grouped["date"].min()
    last = grouped["date"].max()
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = sums["sxy"] / sums["sxx"]
    fitted = (count >= MIN_SNAPSHOTS) & np.isfinite(slope)
    result = pd.DataFrame(
        {
            "environment": sums.index.get_level_values(0),
            "capacity_type": sums.index.get_level_values(1),
            "gb_per_month": np.where(fitted, slope, np.nan),
            "snapshots": count.to_numpy(),
            "first_date": first.dt.date.astype(str).to_numpy(),
            "last_date": last.dt.date.astype(str).to_numpy(),
            "fitted": fitted.to_numpy(),
        }
    )
    result["note"] = np.where(
        result["fitted"],
        "fitted from "
        + result["snapshots"].astype(str)
        + " snapshots, "
        + result["first_date"]
        + " to "
        + result["last_date"],
        f"not fitted: needs at least {MIN_SNAPSHOTS} snapshots, has "
        + result["snapshots"].astype(str),
    )
    return result.reset_index(drop=True)


def apply_fitted_growth(inputs: Inputs, fits: pd.DataFrame) -> Inputs:
    """Use fitted rates where the inventory gives no growth; note the basis of each."""
    environments = inputs.environments.copy()
    for capacity_type in CAPACITY_TYPES:
        column = f"{capacity_type}_growth_gb_per_month"
        basis = f"{capacity_type}_growth_basis"
        rows = fits[(fits["capacity_type"] == capacity_type) & fits["fitted"]]
        rate = environments["name"].map(rows.set_index("environment")["gb_per_month"])
        note = environments["name"].map(rows.set_index("environment")["note"])
        use = environments[column].isna() & rate.notna()
        environments[column] = environments[column].where(~use, rate)
        environments[basis] = note.where(use, "")
    return inputs.with_tables(environments=environments).with_growth_fits(fits)
