"""Reading and writing inventory rows as plain records (for ``verify --inventory``).

Planning reads inventories through planner.ingest; this module only carries rows through a
check and writes them back out, neutralising spreadsheet formulas on the way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from planner.errors import FORMULA_TRIGGERS, InputError


def neutralise_formula(value: Any) -> Any:
    """Text a spreadsheet would run as a formula is stored as text (a leading apostrophe)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    from planner.ingest import load_inputs

    inputs = load_inputs([], environments=[str(path)])
    frame = inputs.environments
    if "org_url" not in frame.columns or not (frame["org_url"] != "").any():
        raise InputError(
            "the inventory has no org_url values to check",
            file=str(path),
            expected="an org_url column with Dataverse organization URLs",
        )
    return frame.to_dict(orient="records")


def rows_as_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """The checked rows as CSV text; the caller writes it (atomically)."""
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns and key not in ("start_month", "end_month"):
                columns.append(key)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: neutralise_formula("" if _blank(row.get(k)) else row.get(k)) for k in columns}
        )
    return buffer.getvalue()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)
