"""``--format json``: the Plan contract, GB rounded to 3 decimals when written.

Laid out one record per line: readable in a diff and written by the C JSON encoder, which matters
for tenants with thousands of environments.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from planner.errors import json_safe
from planner.report.data import LARGE_TABLES, plan_data, rounded
from planner.results import Plan

DIGITS = 3


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": "))
_compact = _ENCODER.encode


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
    body = frame.to_json(orient="records", double_precision=DIGITS, force_ascii=False)[1:-1]
    # '},{"' with an unescaped quote cannot occur inside a JSON string: a record boundary.
    return "[\n" + pad + body.replace('},{"', "},\n" + pad + '{"') + end + "]"


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
            body = _compact(value)[1:-1]
            return "[\n" + pad + body.replace('}, {"', "},\n" + pad + '{"') + end + "]"
        items = [
            pad + (_layout(item, depth + 1) if _nested(item) else _compact(item)) for item in value
        ]
        return "[\n" + ",\n".join(items) + end + "]"
    return _compact(rounded(value))


def dumps(data: dict[str, Any]) -> str:
    """JSON laid out for reading and diffing; floats in record lists were rounded by
    ``plan_data(..., digits=DIGITS)``, other floats are rounded here."""
    return json_safe(_layout(data, 0) + "\n")


def render_json(plan: Plan) -> str:
    return dumps(plan_data(plan, digits=DIGITS, frames=LARGE_TABLES))
