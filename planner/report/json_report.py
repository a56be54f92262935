"""``--format json`` and ``report --json``: the plan contract, or the ``whatif`` contract where
there are scenarios, with GB rounded to 3 decimals when written.

Laid out one record per line: readable in a diff and written by the C JSON encoder, which matters
for tenants with thousands of environments.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from planner.errors import json_safe
from planner.report.data import (
    SCHEMA_VERSION,
    TABLES,
    LineTable,
    ReportData,
    plan_document,
)
from planner.report.reconciliation import RECONCILE_CODES

DIGITS = 3
# Shares (``remaining_share``) are written with more digits: 7.14% is 0.071429, not 0.071.
SHARE_DIGITS = 6


def _digits(key: str) -> int:
    return SHARE_DIGITS if key.endswith("_share") else DIGITS


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
        return {
            k: rounded(v, SHARE_DIGITS if str(k).endswith("_share") else digits)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [rounded(v, digits) for v in value]
    return value


def _rounded_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rounded`` for a list of flat records: the floats of thousands of rows, one pass."""
    return [
        {
            k: round(v, _digits(k)) + 0.0
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
    floats = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]
    for first in range(0, len(frame), ROWS_AT_ONCE):
        if first:
            write(",\n" + pad)
        part = frame.iloc[first : first + ROWS_AT_ONCE].copy()
        for column in floats:
            part[column] = np.round(part[column].to_numpy(dtype=float), _digits(column)) + 0.0
        body = part.to_json(orient="records", double_precision=SHARE_DIGITS, force_ascii=False)[
            1:-1
        ]
        # '},{"' with an unescaped quote cannot occur inside a JSON string: a record boundary.
        write(body.replace('},{"', "},\n" + pad + '{"'))
    write(end + "]")


_LEAF_TYPES = {str, float, int, bool, type(None)}
_TEXT = {str, type(None)}
_FLOAT = {float, type(None)}
_NONE = {None}


def _cells(values: list[Any], digits: int) -> list[str] | None:
    """One key's values of many records, each as the encoder writes it after ``rounded``; None
    where a value is not a plain leaf (a list or an object: left to the encoder as a whole) or
    not a finite number (which the encoder refuses)."""
    kinds = set(map(type, values))
    if not kinds <= _LEAF_TYPES:
        return None
    # Text and numbers repeat (types, states, rates): each distinct value is encoded once.
    if kinds <= _TEXT or kinds <= _FLOAT:  # values of one type: equal values, equal text
        distinct = set(values)
        if float in kinds and not all(map(math.isfinite, distinct - _NONE)):
            return None
        text = {v: _float_text(v, digits) if type(v) is float else _compact(v) for v in distinct}
        return list(map(text.__getitem__, values))
    seen: dict[tuple[type, Any], str] = {}
    cells = []
    for value in values:
        key = (type(value), value)
        cell = seen.get(key)
        if cell is None:
            if type(value) is float and not math.isfinite(value):
                return None
            cell = seen[key] = (
                _float_text(value, digits) if type(value) is float else _compact(value)
            )
        cells.append(cell)
    return cells


def _column_cells(values: pd.Series, digits: int) -> list[str] | None:
    """:func:`_cells` of a frame's column, from its array: each distinct value found by
    pandas' hashing and encoded once, NaN and missing text as null. None where the column is
    not floats or text (left to :func:`_cells`), or holds a value that is not finite or not
    text."""
    dtype = values.dtype
    if pd.api.types.is_float_dtype(dtype):
        codes, distinct = pd.factorize(values.to_numpy(dtype=float))
        if not np.isfinite(distinct).all():
            return None
        texts = [_float_text(value, digits) for value in distinct.tolist()]
    elif pd.api.types.is_string_dtype(dtype):
        # An object column may hold lists or objects, which have no hash: left to the records.
        if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
            return None
        codes, found = pd.factorize(values)
        text_values = list(found)
        if not all(type(value) is str for value in text_values):
            return None
        texts = list(map(_compact, text_values))
    else:
        return None
    # Position -1 (a missing value) picks the last entry: null.
    table = np.array([*texts, "null"], dtype=object)
    return table[codes].tolist()


def _float_text(value: float, digits: int) -> str:
    """A finite float as the encoder writes it once ``rounded``: its repr."""
    return float.__repr__(round(value, digits) + 0.0)


def _flat_columns(
    records: list[dict[str, Any]], pad: str, end: str, write: Callable[[str], Any]
) -> bool:
    """A list of flat records of one shape written key by key rather than record by record:
    the same text as the encoder's, a run of records at a time. False (nothing written) where
    the records differ in shape or hold other than text, numbers, booleans and nulls."""
    keys = tuple(records[0])
    if not keys or any(tuple(record) != keys for record in records):
        return False
    return _write_columns(
        keys, [[record[key] for record in records] for key in keys], pad, end, write
    )


def _write_columns(
    keys: tuple[str, ...],
    values: list[list[Any]],
    pad: str,
    end: str,
    write: Callable[[str], Any],
    runs: list[str] | None = None,
    *,
    encoded: bool = False,
) -> bool:
    """Records given as a list of values per key, written as :func:`_flat_columns` writes
    them; False (nothing written) where a value is not a leaf it can write. Each run of
    records written is appended to ``runs`` when given (the text between the brackets, but
    the separators between runs). ``encoded``: the values are their JSON text already."""
    columns = []
    for key, column in zip(keys, values, strict=True):
        cells = column if encoded else _cells(column, _digits(str(key)))
        if cells is None:
            return False
        columns.append(cells)
    # Each record is its keys' text and its cells in turn: "{" key ": " cell ", " key ": " cell
    # ... "}" and the separator. A run of records is one list of those pieces, filled a column at
    # a time by slice assignment and joined once, rather than formatted record by record.
    heads = [("{" if index == 0 else ", ") + _compact(key) + ": " for index, key in enumerate(keys)]
    step = 2 * len(keys) + 1
    write("[\n" + pad)
    separator = ",\n" + pad
    for first in range(0, len(columns[0]), ROWS_AT_ONCE):
        if first:
            write(separator)
        count = len(columns[0][first : first + ROWS_AT_ONCE])
        pieces: list[str] = [""] * (count * step)
        for index, (head, column) in enumerate(zip(heads, columns, strict=True)):
            pieces[2 * index :: step] = [head] * count
            pieces[2 * index + 1 :: step] = column[first : first + count]
        pieces[step - 1 :: step] = ["}" + separator] * count
        pieces[-1] = "}"
        run = "".join(pieces)
        write(run)
        if runs is not None:
            runs.append(run)
    write(end + "]")
    return True


def _write_cells(
    table: LineTable,
    pad: str,
    end: str,
    write: Callable[[str], Any],
    runs: list[str] | None,
) -> bool:
    """A line table written by :func:`_write_columns`, its cells made from the frame's arrays
    where a column allows, from the records' values otherwise."""
    frame = table.frame
    cells: list[list[str]] = []
    for key in table.keys:
        column = _column_cells(frame[key], _digits(key))
        if column is None:
            column = _cells(table.column(key), _digits(key))
            if column is None:
                return False
        cells.append(column)
    return _write_columns(table.keys, cells, pad, end, write, runs, encoded=True)


# A line table's source and keys: the same lines, wherever the table is in a document.
_LineKey = tuple[int, tuple[str, ...]]


def _line_key(table: LineTable) -> _LineKey | None:
    return None if table.source is None else (id(table.source), table.keys)


@dataclass
class _Written:
    """Line tables a document holds more than once (a scenario's consumption lines that are
    its baseline's), and the runs of records of those already written, with the separator
    they were laid out with. The document keeps the sources alive while it is written, so
    their ids name them."""

    shared: set[_LineKey] = field(default_factory=set)
    runs: dict[_LineKey, tuple[str, list[str]]] = field(default_factory=dict)


def _shared_line_tables(value: Any) -> set[_LineKey]:
    """The line tables of the same source and keys that occur more than once in ``value``."""
    seen: set[_LineKey] = set()
    shared: set[_LineKey] = set()

    def visit(item: Any) -> None:
        if isinstance(item, LineTable):
            key = _line_key(item)
            if key is not None:
                (shared if key in seen else seen).add(key)
        elif isinstance(item, dict):
            for inner in item.values():
                visit(inner)
        elif isinstance(item, list) and item and isinstance(item[0], dict) and _nested(item[0]):
            for inner in item:
                visit(inner)

    visit(value)
    return shared


def _line_table(
    value: LineTable, depth: int, write: Callable[[str], Any], key: str, written: _Written
) -> None:
    """A line table as the list of records it stands for, from its columns where it can be;
    one whose lines were written before in the document is that text again, at this depth."""
    pad = "  " * (depth + 1)
    end = "\n" + "  " * depth
    separator = ",\n" + pad
    line_key = _line_key(value)
    earlier = written.runs.get(line_key) if line_key is not None else None
    if earlier is not None:
        # The records hold no line feed (the encoder escapes it in text): in a run, every
        # line feed is in a separator of two records, and only the separator's pad differs.
        before, runs = earlier
        write("[\n" + pad)
        for index, run in enumerate(runs):
            if index:
                write(separator)
            write(run if before == separator else run.replace(before, separator))
        write(end + "]")
        return
    runs: list[str] | None = [] if line_key in written.shared else None
    if len(value.frame) and value.keys and _write_cells(value, pad, end, write, runs):
        if runs is not None and line_key is not None:
            written.runs[line_key] = (separator, runs)
        return
    _layout(value.records(), depth, write, key, written)


def _layout(
    value: Any,
    depth: int,
    write: Callable[[str], Any],
    key: str = "",
    written: _Written | None = None,
) -> None:
    """Objects one key per line, lists of flat records one record per line, the rest compact;
    written piece by piece. ``written``: see :class:`_Written` (made here when not given)."""
    if written is None:
        written = _Written(_shared_line_tables(value))
    pad = "  " * (depth + 1)
    end = "\n" + "  " * depth
    if isinstance(value, pd.DataFrame):
        _frame_json(value, pad, end, write)
        return
    if isinstance(value, LineTable):
        _line_table(value, depth, write, key, written)
        return
    if isinstance(value, dict) and value:
        write("{\n")
        for index, (key, item) in enumerate(value.items()):
            write((",\n" if index else "") + f"{pad}{_compact(key)}: ")
            _layout(item, depth + 1, write, str(key), written)
        write(end + "}")
        return
    if isinstance(value, list) and value and isinstance(value[0], dict):
        if not _nested(value[0]):  # the records of one list share their shape
            if _flat_columns(value, pad, end, write):
                return
            # One call of the C encoder for the whole list, then a line break between records:
            # '}, {"' with an unescaped quote cannot occur inside a JSON string, and flat
            # records hold no other braces, so it marks exactly the record boundaries.
            body = _compact(_rounded_records(value))[1:-1]
            write("[\n" + pad + body.replace('}, {"', "},\n" + pad + '{"') + end + "]")
            return
        write("[\n")
        for index, item in enumerate(value):
            write((",\n" if index else "") + pad)
            if _nested(item):
                _layout(item, depth + 1, write, "", written)
            else:
                write(_compact(rounded(item)))
        write(end + "]")
        return
    write(_compact(rounded(value, _digits(key))))


def dump(data: dict[str, Any], handle: TextIO) -> None:
    """JSON laid out for reading and diffing, every float rounded to ``DIGITS`` decimals,
    written to ``handle`` as it is made."""
    # Characters a terminal acts on are written as \u escapes, piece by piece as they go out.
    _layout(data, 0, lambda text: handle.write(json_safe(text)))
    handle.write("\n")


def dumps(data: dict[str, Any]) -> str:
    """:func:`dump` into a string."""
    buffer = io.StringIO()
    dump(data, buffer)
    return buffer.getvalue()


def _document(data: ReportData) -> dict[str, Any]:
    """The ``whatif`` JSON where the data holds a comparison, the plan JSON otherwise."""
    if data.comparison is not None:
        return data.comparison
    # The other tables are written from their columns too: a license export can list hundreds
    # of thousands of rows.
    tables = {
        name: frame if name in LARGE_TABLES else LineTable(frame, TABLES[name])
        for name, frame in data.tables.items()
    }
    return plan_document(data.fields, tables)


def render_json(data: ReportData) -> str:
    """The ``whatif`` JSON where the data holds a comparison, the plan JSON otherwise."""
    return dumps(_document(data))


def write_json(data: ReportData, path: str | Path) -> None:
    """:func:`render_json` straight into a file (use inside ``atomic_write``): the large tables
    are encoded and written a run of rows at a time, never held as one text."""
    with open(path, "w", encoding="utf-8") as handle:
        dump(_document(data), handle)


def render_reconcile_json(report: ReportData) -> str:
    """``capplan reconcile --format json``: the reconciliation and its findings alone."""
    data = report.brief
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
