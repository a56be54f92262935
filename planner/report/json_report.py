"""``--format json`` and ``report --json``: the plan contract, or the ``whatif`` contract where
there are scenarios, with GB rounded to 3 decimals when written.

Laid out one record per line: readable in a diff and written by the C JSON encoder, which matters
for tenants with thousands of environments.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import json_safe
from planner.report.data import SCHEMA_VERSION, TABLES, ReportData, plan_document, records
from planner.report.reconciliation import RECONCILE_CODES

DIGITS = 3
# Tables whose length grows with the tenant (a line per environment and capacity type, a row per
# month and pool): pandas writes them in one pass, without a Python object per row.
LARGE_TABLES = ("consumption", "forecast")


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": "))
_compact = _ENCODER.encode


def rounded(value: Any, digits: int = DIGITS) -> Any:
    """Round every float in a nested structure (for writing only); -0.0 becomes 0.0."""
    if type(value) is float:
        return round(value, digits) + 0.0
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v, digits) for v in value]
    return value


def _rounded_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rounded`` for a list of flat records: the floats of thousands of rows, one pass."""
    return [
        {
            k: round(v, DIGITS) + 0.0
            if type(v) is float
            else (rounded(v) if type(v) is list else v)
            for k, v in record.items()
        }
        for record in records
    ]


def _nested(record: dict[str, Any]) -> bool:
    """A record holding objects or lists of objects (a scenario's plan) is laid out itself."""
    return any(
        isinstance(v, dict) or (isinstance(v, list) and v and isinstance(v[0], dict))
        for v in record.values()
    )


def _frame_json(frame: pd.DataFrame, pad: str, end: str) -> str:
    """A large table as a list of records, one per line, encoded by pandas in one pass."""
    if frame.empty:
        return "[]"
    rounded_frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            numbers = frame[column].to_numpy(dtype=float)
            rounded_frame[column] = np.round(numbers, DIGITS) + 0.0
    body = rounded_frame.to_json(orient="records", double_precision=DIGITS, force_ascii=False)
    # '},{"' with an unescaped quote cannot occur inside a JSON string: a record boundary.
    return "[\n" + pad + body[1:-1].replace('},{"', "},\n" + pad + '{"') + end + "]"


def _layout(value: Any, depth: int) -> str:
    """Objects one key per line, lists of flat records one record per line, the rest compact."""
    pad = "  " * (depth + 1)
    end = "\n" + "  " * depth
    if isinstance(value, pd.DataFrame):
        return _frame_json(value, pad, end)
    if isinstance(value, dict) and value:
        parts = [f"{pad}{_compact(k)}: {_layout(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(parts) + end + "}"
    if isinstance(value, list) and value and isinstance(value[0], dict):
        if not _nested(value[0]):  # the records of one list share their shape
            # One call of the C encoder for the whole list, then a line break between records:
            # '}, {"' with an unescaped quote cannot occur inside a JSON string, and flat
            # records hold no other braces, so it marks exactly the record boundaries.
            body = _compact(_rounded_records(value))[1:-1]
            return "[\n" + pad + body.replace('}, {"', "},\n" + pad + '{"') + end + "]"
        items = [
            pad + (_layout(item, depth + 1) if _nested(item) else _compact(rounded(item)))
            for item in value
        ]
        return "[\n" + ",\n".join(items) + end + "]"
    return _compact(rounded(value))


def dumps(data: dict[str, Any]) -> str:
    """JSON laid out for reading and diffing, every float rounded to ``DIGITS`` decimals."""
    return json_safe(_layout(data, 0) + "\n")


def render_json(data: ReportData) -> str:
    """The ``whatif`` JSON where the data holds a comparison, the plan JSON otherwise."""
    if data.comparison is not None:
        return dumps(data.comparison)
    tables = {
        name: frame if name in LARGE_TABLES else records(frame, TABLES[name])
        for name, frame in data.tables.items()
    }
    return dumps(plan_document(data.fields, tables))


def render_reconcile_json(report: ReportData) -> str:
    """``capplan reconcile --format json``: the reconciliation and its findings alone."""
    data = report.plan
    if "reconciliation" not in data:
        raise ValueError("the plan has no tenant capacity answer to reconcile against")
    return dumps(
        {
            "schema_version": SCHEMA_VERSION,
            "ruleset": data["ruleset"],
            "as_of": data["as_of"],
            "inputs": data["inputs"],
            "reconciliation": data["reconciliation"],
            "findings": [f for f in data["findings"] if f["code"] in RECONCILE_CODES],
        }
    )
