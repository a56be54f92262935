"""``--format json``: the Plan contract, GB rounded to 3 decimals when written.

Laid out one record per line: readable in a diff and written by the C JSON encoder, which matters
for tenants with thousands of environments.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

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


# Rows of a large table encoded at once: the text of one run is all that is held besides the
# table, however large the tenant.
ROWS_AT_ONCE = 20_000


def _frame_json(frame: pd.DataFrame, pad: str, end: str, write: Callable[[str], Any]) -> None:
    """A large table as a list of records, one per line, encoded by pandas a run of rows at a
    time and written as it goes."""
    if frame.empty:
        write("[]")
        return
    write("[\n" + pad)
    for first in range(0, len(frame), ROWS_AT_ONCE):
        if first:
            write(",\n" + pad)
        part = frame.iloc[first : first + ROWS_AT_ONCE]
        body = part.to_json(orient="records", double_precision=DIGITS, force_ascii=False)[1:-1]
        # '},{"' with an unescaped quote cannot occur inside a JSON string: a record boundary.
        write(body.replace('},{"', "},\n" + pad + '{"'))
    write(end + "]")


def _layout(value: Any, depth: int, write: Callable[[str], Any]) -> None:
    """Objects one key per line, lists of flat records one record per line, the rest compact;
    written piece by piece."""
    pad = "  " * (depth + 1)
    end = "\n" + "  " * depth
    if isinstance(value, pd.DataFrame):
        _frame_json(value, pad, end, write)
        return
    if isinstance(value, dict) and value:
        write("{\n")
        for index, (key, item) in enumerate(value.items()):
            write((",\n" if index else "") + f"{pad}{_compact(key)}: ")
            _layout(item, depth + 1, write)
        write(end + "}")
        return
    if isinstance(value, list) and value and isinstance(value[0], dict):
        if not _nested(value[0]):  # the records of one list share their shape
            # One call of the C encoder for the whole list, then a line break between records:
            # '}, {"' with an unescaped quote cannot occur inside a JSON string, and flat
            # records hold no other braces, so it marks exactly the record boundaries.
            body = _compact(value)[1:-1]
            write("[\n" + pad + body.replace('}, {"', "},\n" + pad + '{"') + end + "]")
            return
        write("[\n")
        for index, item in enumerate(value):
            write((",\n" if index else "") + pad)
            if _nested(item):
                _layout(item, depth + 1, write)
            else:
                write(_compact(item))
        write(end + "]")
        return
    write(_compact(rounded(value)))


def dump(data: dict[str, Any], handle: TextIO) -> None:
    """JSON laid out for reading and diffing, written to ``handle`` as it is made; floats in
    record lists were rounded by ``plan_data(..., digits=DIGITS)``, other floats are rounded
    here."""
    _layout(data, 0, handle.write)
    handle.write("\n")


def dumps(data: dict[str, Any]) -> str:
    """:func:`dump` into a string."""
    buffer = io.StringIO()
    dump(data, buffer)
    return buffer.getvalue()


def render_json(plan: Plan) -> str:
    return dumps(plan_data(plan, digits=DIGITS, frames=LARGE_TABLES))


def write_json(plan: Plan, path: str | Path) -> None:
    """The plan JSON straight into a file (use inside ``atomic_write``): the large tables are
    encoded and written a run of rows at a time, never held as one text."""
    with open(path, "w", encoding="utf-8") as handle:
        dump(plan_data(plan, digits=DIGITS, frames=LARGE_TABLES), handle)
