"""Growth from history: the least-squares monthly growth of each environment's usage.

For every environment and capacity type with at least :data:`MIN_SNAPSHOTS` dated snapshots
(planner.ingest.snapshots reads them), the monthly growth is the slope of the least-squares line
through its usage; it is used wherever the inventory gives no growth.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner.model.inputs import CAPACITY_TYPES, Inputs

if TYPE_CHECKING:
    from planner.ingest.snapshots import Snapshot

MIN_SNAPSHOTS = 3

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
