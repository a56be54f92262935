"""``--format json`` and ``report --json``: the plan contract, or the ``whatif`` contract where
there are scenarios, with GB rounded to 3 decimals when written.

Laid out one record per line: readable in a diff and written by the C JSON encoder, which matters
for tenants with thousands of environments.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import select
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import msgspec
import numpy as np
import pandas as pd

from planner.engine.consumption import TextCodes
from planner.errors import json_safe, json_safe_utf8
from planner.model.parallel import Beside, can_fork
from planner.report.data import (
    FINDING_KEYS,
    SCHEMA_VERSION,
    TABLES,
    FindingList,
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
# What the encoder writes for a string (without ensure_ascii), called directly: the encoder's
# own method costs more than the C function it calls, for each of hundreds of thousands.
_string = json.encoder.encode_basestring


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
        if _AS_THEY_ARE.issuperset(map(type, value)):  # names of environments: nothing to round
            return value
        return [rounded(v, digits) for v in value]
    return value


# Values ``rounded`` leaves as they are.
_AS_THEY_ARE = {str, int, bool, type(None)}


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
# table, however large the tenant. A run of 2,000 consumption lines is about 0.8 MB of text,
# which the allocator serves again from memory it already has; runs ten times as long took
# fresh memory from the system each time (at 50,000 environments 25,000 page faults instead
# of 17,000, and 20 to 50 ms more).
ROWS_AT_ONCE = 2_000


def _frame_json(
    frame: pd.DataFrame,
    pad: str,
    end: str,
    write: Callable[[str], Any],
    codes: dict[str, TextCodes] | None = None,
) -> None:
    """A large table as a list of records, one per line, compact, with numbers and text as
    pandas' encoder writes them: from the frame's columns (each distinct value encoded once),
    or by pandas itself a run of rows at a time where a column holds other values."""
    if frame.empty:
        write("[]")
        return
    keys = tuple(str(key) for key in frame.columns)
    given = codes or {}
    coded = [_column_codes(frame[key], _digits(key), _PANDAS, given.get(key)) for key in keys]
    columns = [column for column in coded if column is not None]
    if len(columns) == len(keys):
        _write_coded(keys, columns, _PANDAS, pad, end, write)
        return
    write("[\n" + pad)
    floats = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]
    for first in range(0, len(frame), ROWS_AT_ONCE):
        if first:
            write(",\n" + pad)
        part = frame.iloc[first : first + ROWS_AT_ONCE].copy()
        for column in floats:
            with np.errstate(over="ignore", invalid="ignore"):
                part[column] = np.round(part[column].to_numpy(dtype=float), _digits(column)) + 0.0
        body = part.to_json(orient="records", double_precision=SHARE_DIGITS, force_ascii=False)[
            1:-1
        ]
        # '},{"' with an unescaped quote cannot occur inside a JSON string: a record boundary.
        write(body.replace('},{"', "},\n" + pad + '{"'))
    write(end + "]")


class PandasTable(msgspec.Struct, frozen=True, eq=False):
    """A large table of the plan JSON, written as pandas writes a frame's records (see
    :func:`_frame_json`), with its text columns' codes where the engine made them."""

    frame: pd.DataFrame
    codes: dict[str, TextCodes] = msgspec.field(default_factory=dict)


class _Style(msgspec.Struct, frozen=True):
    """How records are written: the separators, and whose encoder's text numbers and strings
    take. The plan's large tables are compact, as pandas wrote them (floats rounded with
    numpy and printed to 6 decimals, "/" escaped); every other table is Python's encoder's
    text after :func:`rounded`."""

    item: str
    colon: str
    pandas: bool


_PYTHON = _Style(", ", ": ", pandas=False)
_PANDAS = _Style(",", ":", pandas=True)


@dataclass
class _Coded:
    """A column of records as text: ``texts[codes[i]]`` is row i's cell. ``bare``: the texts
    are strings the encoder writes as they are between quotes (see :func:`_bare`), the quotes
    left to the pieces either side of them."""

    codes: np.ndarray
    texts: list[str]
    bare: bool = False


def _text(value: str, style: _Style) -> str:
    # pandas' encoder writes what Python's does (non-ASCII left as is), but escapes "/".
    text = _string(value)
    return text.replace("/", "\\/") if style.pandas else text


_LEAF_TYPES = {str, float, int, bool, type(None)}
_TEXT = {str, type(None)}
_FLOAT = {float, type(None)}
_NONE = {None}


def _cells(values: list[Any], digits: int, kinds: set[type] | None = None) -> _Coded | None:
    """One key's values of many records, each as the encoder writes it after ``rounded``; None
    where a value is not a plain leaf (a list or an object: left to the encoder as a whole) or
    not a finite number (which the encoder refuses). Values of few distinct ones (at most one
    per ``_ROWS_PER_COMBINATION`` records: a finding's code, severity and month) come coded by
    their distinct values, so that :func:`_write_coded` joins them with the next columns into
    one piece; others as a text per record. ``kinds``: the values' types, where known."""
    kinds = set(map(type, values)) if kinds is None else kinds
    if not kinds <= _LEAF_TYPES:
        return None
    # Text and numbers repeat (types, states, rates): each distinct value is encoded once.
    if kinds <= _TEXT or kinds <= _FLOAT:  # values of one type: equal values, equal text
        distinct = set(values)
        if float in kinds and not all(map(math.isfinite, distinct - _NONE)):
            return None
        text = {
            v: _float_text(v, digits) if type(v) is float else "null" if v is None else _string(v)
            for v in distinct
        }
        if len(distinct) > _combinations_allowed(len(values)):
            return _as_coded(list(map(text.__getitem__, values)))
        index = {value: code for code, value in enumerate(text)}
        codes = np.fromiter(map(index.__getitem__, values), dtype=np.intp, count=len(values))
        return _Coded(codes, list(text.values()))
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
    return _as_coded(cells)


# Text columns of at least this many distinct values are checked for text to escape all at once,
# and written as they are where there is none (see _bare): at 50,000 environments the findings'
# 30,000 messages (13 MB) took 23 ms to encode one by one.
BARE_FROM = 256


def _bare(texts: list[str], style: _Style) -> bool:
    """Whether each of the strings is written by the encoder as itself between quotes: none holds
    a backslash, a quote or a control character below U+0020 (the only characters it escapes),
    nor, in pandas' style, "/".

    Looked at a thousand strings at a time, joined by quotes, in UTF-8 (where no other character
    has a byte below 0x20): a quote inside one of them makes one quote too many. The findings'
    13 MB of messages at 50,000 environments take 3 ms, where encoding each took 24 ms (and
    looking at all of them at once 16 ms: fresh memory for each copy)."""
    for first in range(0, len(texts), 1_000):
        run = texts[first : first + 1_000]
        joined = '"'.join(run)
        if "\\" in joined or (style.pandas and "/" in joined):
            return False
        try:
            octets = np.frombuffer(joined.encode(), dtype=np.uint8)
        except UnicodeEncodeError:  # a lone surrogate: left to the encoder
            return False
        if octets.min(initial=0xFF) < 0x20 or np.count_nonzero(octets == 0x22) != len(run) - 1:
            return False
    return True


def _bare_coded(codes: np.ndarray, texts: list[str], style: _Style) -> _Coded | None:
    """``texts`` as bare text (see :class:`_Coded`) where there are many, none needs escaping and
    every row has one (a missing value, code -1, is written null)."""
    if len(texts) >= BARE_FROM and (not len(codes) or codes.min() >= 0) and _bare(texts, style):
        return _Coded(codes, texts, bare=True)
    return None


def _more_distinct(values: list[Any], count: int) -> bool:
    """Whether ``values`` hold more than ``count`` distinct ones: ``len(set(values)) > count``,
    found out as soon as it is so. The findings' messages are tens of thousands of long texts,
    each different: hashing all of them to learn that took 6 ms at 50,000 environments."""
    if count < 0:
        return True
    seen: set[Any] = set()
    for start in range(0, len(values), _DISTINCT_STEP):
        seen.update(values[start : start + _DISTINCT_STEP])
        if len(seen) > count:
            return True
    return False


# Values added to the set of distinct ones at a time (see _more_distinct).
_DISTINCT_STEP = 256


def _record_column(values: list[Any], digits: int) -> _Coded | None:
    """One key's values of many records as a column (see :func:`_cells`): as they are where they
    are many different strings with nothing to escape (strings of few values are encoded a
    value at a time, and their pieces joined with the next columns')."""
    kinds = set(map(type, values))
    if (
        len(values) >= BARE_FROM
        and kinds == {str}
        and _more_distinct(values, len(values) // _ROWS_PER_COMBINATION)
    ):
        coded = _bare_coded(np.arange(len(values)), values, _PYTHON)
        if coded is not None:
            return coded
    return _cells(values, digits, kinds)


def _column_codes(
    values: pd.Series, digits: int, style: _Style = _PYTHON, given: TextCodes | None = None
) -> _Coded | None:
    """A frame's column as :class:`_Coded` text, from its array: each distinct value found by
    pandas' hashing and encoded once, NaN and missing text as null. None where the column
    holds other than floats, whole numbers, true/false or text (or, in Python's style, a value
    that is not finite): left to the records, or to pandas. ``given``: the column's text as
    the engine made it, values and codes (see ``LineTable.codes``): nothing to find."""
    if given is not None:
        return _given_codes(given, style)
    dtype = values.dtype
    if pd.api.types.is_float_dtype(dtype) and style.pandas:
        # Rounded first, as the text is the rounded value's: measured sizes of four decimals
        # are half as many distinct once rounded to three (at 50,000 environments 111,000 of
        # the 169,000 lines' figures, 55,000 rounded), each written once.
        with np.errstate(over="ignore", invalid="ignore"):  # a huge value stays as it is
            codes, distinct = pd.factorize(np.round(values.to_numpy(dtype=float), digits) + 0.0)
        texts = _pandas_numbers(distinct)
    elif pd.api.types.is_float_dtype(dtype):
        array = values.to_numpy(dtype=float)
        if np.isinf(array).any():
            return None
        # Rounded first, as the text is the rounded value's repr: a what-if's measured sizes of
        # four decimals, 150,000 distinct at 50,000 environments, are a fifth as many rounded.
        codes, distinct = pd.factorize(_rounded_array(array, digits) + 0.0)  # -0.0 written 0.0
        texts = list(map(float.__repr__, distinct.tolist()))
    elif pd.api.types.is_string_dtype(dtype):
        # Hashed as Python objects (twice as fast as through pandas' text arrays). An object
        # column may hold lists or objects, which have no hash, or other values than text:
        # left to the records.
        try:
            codes, found = pd.factorize(values.to_numpy(dtype=object))
        except TypeError:
            return None
        text_values = found.tolist()
        if set(map(type, text_values)) - {str}:
            return None
        bare = _bare_coded(codes, text_values, style)
        if bare is not None:
            return bare
        texts = [_text(value, style) for value in text_values]
    elif isinstance(dtype, np.dtype) and dtype.kind in "biu":  # numpy's: no missing value
        codes, distinct = pd.factorize(values.to_numpy())
        if style.pandas:
            texts = _pandas_numbers(distinct)
        else:  # as the encoder writes Python's bool and int
            texts = [_compact(value) for value in distinct.tolist()]
    else:
        return None
    if (codes < 0).any():  # a missing value: the entry after the last
        codes = np.where(codes < 0, len(texts), codes)
        texts.append("null")
    return _Coded(codes, texts)


# Values of a given text column encoded as they are up to this many; more (an inventory column
# taken per line, its environments' 50,000 types) are found distinct first.
_VALUES_AS_GIVEN = 1_000


def _given_codes(given: TextCodes, style: _Style) -> _Coded | None:
    """A text column given as values and codes, each distinct value encoded once (missing text
    as null); None where a value is neither text nor missing."""
    values, codes = given
    value_list = values.tolist()
    # Bare as they are given where they are all text: up to _VALUES_AS_GIVEN of them, or many
    # different strings (names of environments), with nothing to find. More values, repeated,
    # are found distinct first, to be encoded once and joined with the next pieces.
    many = len(values) > _VALUES_AS_GIVEN
    if set(map(type, value_list)) == {str} and (
        not many or _more_distinct(value_list, len(codes) // _ROWS_PER_COMBINATION)
    ):
        bare = _bare_coded(codes, value_list, style)
        if bare is not None:
            return bare
    if many:
        try:
            value_codes, values = pd.factorize(values)  # missing values: -1
        except TypeError:  # a value without a hash: not text
            return None
        codes = value_codes[codes]
        value_list = values.tolist()
    texts = []
    for value in value_list:
        if type(value) is str:
            texts.append(_text(value, style))
        elif value is None or (type(value) is float and math.isnan(value)):
            texts.append("null")
        else:
            return None
    if len(codes) and codes.min() < 0:  # missing, as found by factorize
        codes = np.where(codes < 0, len(texts), codes)
        texts.append("null")
    return _Coded(codes, texts)


def _pandas_numbers(values: np.ndarray) -> list[str]:
    """Numbers as pandas' encoder writes them in the plan's large tables (a float to 6
    decimals, NaN and infinities as null): one call for all of them."""
    if not len(values):
        return []
    return (
        pd.Series(values).to_json(orient="values", double_precision=SHARE_DIGITS)[1:-1].split(",")
    )


def _as_coded(cells: list[str]) -> _Coded:
    """Cells already made, one text per row (they are not looked for again)."""
    return _Coded(np.arange(len(cells)), cells)


def _float_text(value: float, digits: int) -> str:
    """A finite float as the encoder writes it once ``rounded``: its repr."""
    return float.__repr__(round(value, digits) + 0.0)


def _rounded_array(values: np.ndarray, digits: int) -> np.ndarray:
    """``round(value, digits)`` of each value, the same floats as Python's round gives, for a
    whole array at once. Python rounds the value's exact decimal expansion to ``digits``
    places (a tie to the even neighbour) and reads the result back as the nearest float; here
    the value times 10**digits is rounded to a whole number and divided again, the division
    correctly rounded as the reading is. The product's own rounding cannot carry it across a
    half: where it lands exactly on one, the product's rounding error (Dekker's exact product)
    says on which side the exact product lies, or that it is the half itself. Values whose
    product is too large to hold a fraction, or too small for the exact product, are rounded
    by Python. A what-if's consumption lines at 50,000 environments (600,000 figures): 266 ms
    value by value, 20 ms so."""
    scale = 10.0**digits
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        scaled = values * scale
        whole = np.floor(scaled)
        result = np.rint(scaled)
        half = scaled - whole == 0.5
        if half.any():
            error = _product_error(values[half], scale)
            lower = whole[half]
            odd = np.fmod(lower, 2.0) != 0
            # A tie between -1 and 0 rounds to 0 with the value's sign, as round() gives (-0.0).
            result[half] = np.copysign(lower + ((error > 0) | ((error == 0) & odd)), values[half])
        result /= scale
        magnitude = np.abs(values)
        python = ~(np.abs(scaled) < 2.0**52) | (half & ~(magnitude > 1e-200))
    python &= ~np.isnan(values)
    if python.any():
        result[python] = [round(value, digits) for value in values[python].tolist()]
    return result


# Veltkamp's splitter for doubles: 2**27 + 1.
_SPLITTER = 134217729.0


def _product_error(values: np.ndarray, factor: float) -> np.ndarray:
    """The rounding error of each ``value * factor`` (the exact product is the float product
    plus it), by Dekker's product of the halves of both: exact where nothing overflows or
    falls below the normal floats."""
    product = values * factor
    split = _SPLITTER * values
    high = split - (split - values)
    low = values - high
    split_factor = _SPLITTER * factor
    factor_high = split_factor - (split_factor - factor)
    factor_low = factor - factor_high
    return (
        (high * factor_high - product) + high * factor_low + low * factor_high
    ) + low * factor_low


def _flat_columns(
    records: list[dict[str, Any]], pad: str, end: str, write: Callable[[str], Any]
) -> bool:
    """A list of flat records of one shape written key by key rather than record by record:
    the same text as the encoder's, a run of records at a time. False (nothing written) where
    the records differ in shape or hold other than text, numbers, booleans and nulls."""
    keys = tuple(records[0])
    if not keys or any(tuple(record) != keys for record in records):
        return False
    coded = []
    for key in keys:
        column = _record_column(list(map(itemgetter(key), records)), _digits(str(key)))
        if column is None:
            return False
        coded.append(column)
    _write_coded(keys, coded, _PYTHON, pad, end, write)
    return True


@dataclass
class _Laid:
    """Records as pieces to join: for each piece, the texts and each record's position in them
    (a record is its pieces in turn, without the separator between records)."""

    tables: list[np.ndarray]
    codes: list[np.ndarray]
    rows: int


def _write_coded(
    keys: tuple[str, ...],
    columns: list[_Coded],
    style: _Style,
    pad: str,
    end: str,
    write: Callable[[str], Any],
) -> _Laid:
    """Records given as coded columns written one per line (see :func:`_write_laid`); returns
    them laid out, to be written again elsewhere.

    A record is its pieces in turn: the key of each column (after "{" for the first) and its
    cell, then "}". Next pieces whose values occur in few combinations are one piece (a key and
    its few values; a line's type, confidence and basis), each combination's text made once."""
    rows = len(columns[0].codes)
    same = np.zeros(rows, dtype=np.intp)
    pieces_of: list[_Coded] = []
    quote = ""  # a bare column's closing quote, owed to the piece after it
    for index, (key, column) in enumerate(zip(keys, columns, strict=True)):
        head = quote + ("{" if index == 0 else style.item) + _text(key, style) + style.colon
        quote = '"' if column.bare else ""
        _add_piece(pieces_of, _Coded(same, [head + quote]), rows)
        _add_piece(pieces_of, column, rows)
    _add_piece(pieces_of, _Coded(same, [quote + "}"]), rows)
    laid = _Laid(
        [np.array(piece.texts, dtype=object) for piece in pieces_of],
        [piece.codes for piece in pieces_of],
        rows,
    )
    _write_laid(laid, pad, end, write)
    return laid


def _write_laid(laid: _Laid, pad: str, end: str, write: Callable[[str], Any]) -> None:
    """Records laid out as pieces, one per line at the depth of ``pad``, a run of records at a
    time: the pieces of a run are one list, filled a piece at a time by slice assignment (and
    the separators of the records), and joined once."""
    separator = ",\n" + pad
    step = len(laid.tables) + 1
    write("[\n" + pad)
    for first in range(0, laid.rows, ROWS_AT_ONCE):
        if first:
            write(separator)
        stop = min(first + ROWS_AT_ONCE, laid.rows)
        count = stop - first
        pieces: list[str] = [""] * (count * step)
        for index, (table, codes) in enumerate(zip(laid.tables, laid.codes, strict=True)):
            pieces[index::step] = table[codes[first:stop]].tolist()
        pieces[step - 1 :: step] = [separator] * count
        pieces[-1] = ""  # the run's last record: no separator
        write("".join(pieces))
    write(end + "]")


def _add_piece(pieces: list[_Coded], piece: _Coded, rows: int) -> None:
    """``piece`` after the others, as part of the last where their combinations are few."""
    joined = _joined(pieces[-1], piece, rows) if pieces else None
    if joined is None:
        pieces.append(piece)
    else:
        pieces[-1] = joined


# Next columns are one piece where they hold at most one distinct combination per this many
# rows: the texts of their combinations are few next to the rows they serve. Making each
# combination's text costs more than the piece it saves in every row it serves, unless it
# serves dozens: at 50,000 environments, one per 4 rows made the consumption lines' text in
# 0.137 s, one per 64 in 0.097 s (with names of words and accents; 0.104 s and 0.077 s with
# bench.py's), and one per 32 to 1,024 within 3 ms of that.
_ROWS_PER_COMBINATION = 64


def _combinations_allowed(rows: int) -> int:
    """The most distinct values (or combinations of two next columns' values) a piece of
    ``rows`` records may hold to be coded by value and joined with the next pieces (see
    ``_ROWS_PER_COMBINATION``)."""
    return max(rows // _ROWS_PER_COMBINATION, 1)


def _joined(left: _Coded, right: _Coded, rows: int) -> _Coded | None:
    """Two next columns as one, where their values occur in few combinations (see
    ``_ROWS_PER_COMBINATION``); None otherwise."""
    limit = _combinations_allowed(rows)
    width = len(right.texts)
    if max(len(left.texts), width) > limit:
        return None
    # A piece of one text (a key between two columns) joins the other without a code to work
    # out. (Joined to a column of thousands of values, it makes as many texts, and each costs
    # about what the piece it saves does: 85 ms for the consumption lines at 50,000
    # environments as here, 95 ms so.)
    if len(left.texts) == 1:
        return _Coded(right.codes, [left.texts[0] + text for text in right.texts])
    if width == 1:
        return _Coded(left.codes, [text + right.texts[0] for text in left.texts])
    combined = left.codes.astype(np.int64) * width + right.codes
    if len(left.texts) * width <= limit:  # every combination may be: no need to find them
        return _Coded(combined, [first + second for first in left.texts for second in right.texts])
    codes, found = pd.factorize(combined)
    if len(found) > limit:
        return None
    return _Coded(
        codes,
        [left.texts[value // width] + right.texts[value % width] for value in found.tolist()],
    )


def _write_cells(table: LineTable, pad: str, end: str, write: Callable[[str], Any]) -> _Laid | None:
    """A line table written by :func:`_write_coded`, its cells made from the frame's arrays
    where a column allows, from the records' values otherwise; None (nothing written) where
    a value is not a leaf it can write."""
    frame = table.frame
    for key in table.keys:  # lists or objects (an assumption's environments): the records'
        values = frame[key]
        if values.dtype == object and _CONTAINERS.intersection(map(type, values.to_numpy())):
            return None
    coded: list[_Coded] = []
    for key in table.keys:
        column = _column_codes(frame[key], _digits(key), _PYTHON, table.codes.get(key))
        if column is None:
            column = _record_column(table.column(key), _digits(key))
            if column is None:
                return None
        coded.append(column)
    return _write_coded(table.keys, coded, _PYTHON, pad, end, write)


# Values that make a column's cells the records' to write (see _write_cells).
_CONTAINERS = {list, tuple, dict, np.ndarray}


# A line table's source and keys: the same lines, wherever the table is in a document.
_LineKey = tuple[int, tuple[str, ...]]


def _line_key(table: LineTable) -> _LineKey | None:
    return None if table.source is None else (id(table.source), table.keys)


@dataclass
class _Written:
    """Line tables a document holds more than once (a scenario's consumption lines that are
    its baseline's), and the records of those already written, as laid out (written again at
    another depth, nothing is encoded twice). The document keeps the sources alive while it
    is written, so their ids name them."""

    shared: set[_LineKey] = field(default_factory=set)
    laid: dict[_LineKey, _Laid] = field(default_factory=dict)
    # Of those written into the output itself (see _WritingBack): their bytes, and the depth.
    kept: dict[_LineKey, tuple[_Kept, int]] = field(default_factory=dict)
    # Where a child process writes the document's long tables (see _Beside): each is left out
    # here, where the rest of the document is written.
    beside: _Beside | None = None


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
    line_key = _line_key(value)
    earlier = written.laid.get(line_key) if line_key is not None else None
    if earlier is not None:
        assert line_key is not None
        kept = written.kept.get(line_key)
        if kept is not None and isinstance(write, _WritingBack):
            # The same bytes again, indented for this depth: nothing laid out again.
            write.indented(kept[0], depth - kept[1])
        else:
            _write_laid(earlier, pad, end, write)
        return
    shared = line_key is not None and line_key in written.shared
    keeping = (
        write.keeping() if shared and isinstance(write, _WritingBack) else contextlib.nullcontext()
    )
    with keeping as kept_bytes:
        laid = _write_cells(value, pad, end, write) if len(value.frame) and value.keys else None
    if laid is not None:
        if shared:
            assert line_key is not None
            written.laid[line_key] = laid
            if kept_bytes is not None and kept_bytes.whole:
                written.kept[line_key] = (kept_bytes, depth)
        return
    _layout(value.records(), depth, write, key, written)


def _finding_list(
    value: FindingList, depth: int, write: Callable[[str], Any], key: str, written: _Written
) -> None:
    """A plan's findings as the list of their records, written from their columns where they
    hold what it can write (text and nulls), from the records otherwise."""
    if len(value):
        columns = [_record_column(column, DIGITS) for column in value.columns()]
        coded = [column for column in columns if column is not None]
        if len(coded) == len(columns):
            pad, end = "  " * (depth + 1), "\n" + "  " * depth
            _write_coded(FINDING_KEYS, coded, _PYTHON, pad, end, write)
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
    if written.beside is not None and written.beside.takes(value):
        written.beside.reached()
        return
    pad = "  " * (depth + 1)
    end = "\n" + "  " * depth
    if isinstance(value, pd.DataFrame):
        _frame_json(value, pad, end, write)
        return
    if isinstance(value, PandasTable):
        _frame_json(value.frame, pad, end, write, value.codes)
        return
    if isinstance(value, LineTable):
        _line_table(value, depth, write, key, written)
        return
    if isinstance(value, FindingList):
        _finding_list(value, depth, write, key, written)
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
            if len(value) <= FEW_RECORDS and all(value):
                # A record at a time: a few records may be large (an assumption naming 100,000
                # environments), and the text of one is all that is held at once. (An empty
                # record shares the line of the next, as the replacement below leaves it.)
                write("[\n")
                for index, record in enumerate(_rounded_records(value)):
                    write((",\n" if index else "") + pad)
                    write(_compact(record))
                write(end + "]")
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


# Flat records up to this many are encoded one at a time (see _layout), more in one call.
FEW_RECORDS = 64


def dump(data: dict[str, Any], handle: TextIO) -> None:
    """JSON laid out for reading and diffing, every float rounded to ``DIGITS`` decimals,
    written to ``handle`` as it is made."""
    _layout(data, 0, _writer(handle))
    handle.write("\n")


def _writer(handle: TextIO) -> Callable[[str], Any]:
    # Characters a terminal acts on are written as \u escapes, piece by piece as they go out.
    return lambda text: handle.write(json_safe(text))


# Characters written to an output file between two requests that the system start writing
# them to disk (see _WritingBack).
WRITE_BACK_EVERY = 16 * 1024 * 1024


class _Kept:
    """The bytes of a line table as they were written, to be written again further on (a
    scenario's consumption lines that are its baseline's), up to ``KEPT_AT_MOST`` bytes: a
    larger table is not kept (``whole`` is then False) and is laid out again where it comes
    back. For a what-if's 480 MB of lines (249,000 environments of long names) that took 0.1 s
    more, and the process writing them peaked at 413 MB instead of 750 MB."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.size = 0
        self.whole = True

    def append(self, data: bytes) -> None:
        if not self.whole:
            return
        self.size += len(data)
        if self.size > KEPT_AT_MOST:
            self.whole = False
            self.pieces = []
            return
        self.pieces.append(data)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.pieces)


# The most bytes of a line table kept to be written again (see _Kept): a what-if's consumption
# lines at 50,000 environments are 57 MB to 72 MB; at 200,000, 230 MB are laid out again.
KEPT_AT_MOST = 128 * 1024 * 1024


class _WritingBack:
    """:func:`_writer` for the output file itself: every ``WRITE_BACK_EVERY`` characters the
    system is asked to start writing what came before to disk (``posix_fadvise``), while the
    rest is still being made. The flush that seals the file (see planner/cli/output.py) then
    waits for the last part alone: for the 142 MB of a what-if at 50,000 environments, 4 ms
    instead of 56 ms."""

    def __init__(self, handle: BinaryIO, *, advise: bool = True) -> None:
        self._handle = handle
        self._pending = 0
        handle.flush()
        # advise False: a file read again soon, whose pages are better left in the cache.
        self._advise = advise
        self._since = _position(handle.fileno())
        # What is written, kept as it goes out (see keeping), or None.
        self._kept: _Kept | None = None

    def __call__(self, text: str) -> None:
        data = json_safe_utf8(text)
        self._handle.write(data)
        if self._kept is not None:
            self._kept.append(data)
        self._pending += len(text)
        if self._pending >= WRITE_BACK_EVERY:
            self.done()

    @contextlib.contextmanager
    def keeping(self) -> Iterator[_Kept]:
        """What is written within the context, kept as it goes out: the bytes of a line table
        that the document holds again further on (see _line_table)."""
        kept = _Kept()
        self._kept = kept
        try:
            yield kept
        finally:
            self._kept = None

    def indented(self, kept: Iterable[bytes], more: int) -> None:
        """The bytes ``kept`` of a line table written again ``more`` levels deeper (or less,
        where negative): its line breaks are its layout's alone, each followed by its indent,
        since the JSON of a text writes a line break as ``\n``."""
        before, after = b"\n" + b"  " * max(-more, 0), b"\n" + b"  " * max(more, 0)
        for data in kept:
            self._handle.write(data.replace(before, after) if more else data)
            self._pending += len(data)
            if self._pending >= WRITE_BACK_EVERY:
                self.done()

    def done(self) -> None:
        """Ask for the write-back of what is written and not yet asked for."""
        self._pending = 0
        self._handle.flush()
        if self._advise:
            self._since = write_back(self._handle.fileno(), self._since)


def _position(descriptor: int, whence: int = os.SEEK_CUR) -> int | None:
    """The file's position (``whence``: at its end); None for a pipe, which has none."""
    try:
        return os.lseek(descriptor, 0, whence)
    except OSError:
        return None


def write_back(descriptor: int, since: int | None) -> int | None:
    """Ask the system to start writing the file's bytes from ``since`` to its position to disk
    (where it can be asked); returns that position (None: a pipe, nothing to ask)."""
    position = _position(descriptor)
    if position is None or since is None:
        return position
    if hasattr(os, "posix_fadvise") and position > since:
        # Linux starts write-back of dirty pages without waiting for it (and keeps the pages
        # being written); pages already clean are dropped from the cache.
        with contextlib.suppress(OSError):
            os.posix_fadvise(descriptor, since, position - since, os.POSIX_FADV_DONTNEED)
    return position


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
        name: PandasTable(frame, data.codes.get(name, {}))
        if name in LARGE_TABLES
        else LineTable(frame, TABLES[name])
        for name, frame in data.tables.items()
    }
    return plan_document(data.fields, tables, findings_as_list=False)


def render_json(data: ReportData) -> str:
    """The ``whatif`` JSON where the data holds a comparison, the plan JSON otherwise."""
    return dumps(_document(data))


def write_json(data: ReportData, path: str | Path, *, beside: bool = False) -> None:
    """:func:`render_json` straight into a file (use inside ``atomic_write``): the large tables
    are encoded and written a run of rows at a time, never held as one text.

    With ``beside``, where the system can fork and the document's long tables hold at least
    ``LINES_BESIDE`` lines, a child process writes those tables while this one writes the rest
    (use it where no other child is at work: one per core)."""
    write_document(_document(data), path, beside=beside)


def write_document(document: dict[str, Any], path: str | Path, *, beside: bool = False) -> None:
    """:func:`dump` into a file; ``beside``: see :func:`write_json`."""
    long_tables = _long_tables(document) if beside and can_fork() else []
    with open(path, "wb") as handle:
        _write_into(document, handle, Path(path), long_tables, on_disk=True)


class _HeadWritten(Exception):
    """A begun document's layout has reached its first long table (see _Beside.begin)."""


class _HeadDiffers(Exception):
    """The head of a document that follows on is not the text begun (see _Beside.follow_on)."""


def _table_shape(table: Any, depth: int, key: str) -> tuple[Any, ...]:
    frame = table if isinstance(table, pd.DataFrame) else table.frame
    keys = table.keys if isinstance(table, LineTable) else tuple(frame.columns)
    return (type(table), depth, key, keys, len(frame))


# A private temporary folder, removed when the context ends.
Scratch = Callable[[], contextlib.AbstractContextManager[Path]]
Finish = Callable[[ReportData], None]


@contextlib.contextmanager
def begin_json(data: ReportData, path: str | Path) -> Iterator[Finish]:
    """:func:`write_json` with ``beside``, begun before the plan's checks run: a large plan's
    long tables (its consumption lines) are the engine's alone, so the child writes them while
    this process runs the checks, rather than after.

    ``data``: the report data of the plan the engine made (planner.planning.engine_plan). The
    text up to the first long table is written into ``path`` and the child started; the context
    gives the function that finishes the file with the report data of the same plan once
    checked (report_data with ``before_checks``). Its head must be the same text and its long
    tables the same: where they are not (a field before the tables that depended on the
    findings), the child is stopped and the file written again from the start. Where there is
    no long table, or no fork, nothing is begun: the function writes the whole file. Leaving
    the context with an error stops the child."""
    target = Path(path)
    document = _document(data)
    long_tables = _long_tables(document) if can_fork() else []
    if not long_tables:
        yield partial(write_json, path=target, beside=True)
        return
    with (
        open(target, "wb") as handle,
        _begun(document, handle, target, long_tables, on_disk=True) as finish,
    ):
        yield finish


@contextlib.contextmanager
def begin_stream(
    data: ReportData, stream: BinaryIO, scratch: Scratch | None = None
) -> Iterator[Finish]:
    """:func:`begin_json` into an open stream of bytes, as :func:`stream_json` writes it (the
    parts this process writes meanwhile in a folder from ``scratch``). A head that differs is
    written again where the stream is a file; into a pipe, what went out cannot be taken
    back: that is an error (RuntimeError)."""
    scratch = scratch or _temporary_folder
    document = _document(data)
    long_tables = _long_tables(document) if can_fork() else []
    if long_tables:
        with contextlib.ExitStack() as stack:
            parts = _parts_in(scratch, stack)
            if parts is not None:
                with _begun(document, stream, parts, long_tables) as finish:
                    yield finish
                return
    yield lambda checked: stream_json(checked, stream, scratch)  # the whole document, after


@contextlib.contextmanager
def _begun(
    document: dict[str, Any],
    handle: BinaryIO,
    parts: Path,
    long_tables: list[Any],
    *,
    on_disk: bool = False,
) -> Iterator[Finish]:
    """``document`` begun into ``handle`` (see :meth:`_Beside.begin`); the function that
    finishes it with the checked plan's report data. ``on_disk``: see :class:`_Beside`."""
    handle.flush()
    start = _position(handle.fileno())  # None: a pipe, which cannot be written again
    split = _Beside(parts, long_tables, _shared_line_tables(document), on_disk=on_disk)
    try:
        split.begin(handle, document)

        def finish(checked: ReportData) -> None:
            following = _document(checked)
            if split.follow_on(following):
                try:
                    _layout(following, 0, split.write, written=_Written(split.shared, beside=split))
                    split.write("\n")
                    split.finish(handle)
                    return
                except _HeadDiffers:
                    pass
            split.stop()
            split.discard()
            if start is None:
                raise RuntimeError("the JSON begun before the checks is not the checked plan's")
            handle.seek(start)  # begun on another text: written again, from the start
            handle.truncate()
            _write_into(following, handle, parts, _long_tables(following))

        yield finish
    except BaseException:
        split.stop()
        raise
    finally:
        split.discard()


@contextlib.contextmanager
def _temporary_folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="capplan-json-") as folder:
        yield Path(folder)


def stream_json(data: ReportData, stream: BinaryIO, scratch: Scratch = _temporary_folder) -> None:
    """:func:`render_json` into an open stream of bytes (standard output: a file, a pipe or a
    device) as it is made, never held as one text. As :func:`write_json` with ``beside``, a
    child process writes the long tables of a large document; the parts this process writes
    meanwhile are kept in a private temporary folder, from ``scratch`` (made only then: where
    none can be made, this process writes the whole document)."""
    document = _document(data)
    long_tables = _long_tables(document) if can_fork() else []
    if long_tables:
        with contextlib.ExitStack() as stack:
            parts = _parts_in(scratch, stack)
            if parts is not None:
                _write_into(document, stream, parts, long_tables)
                return
    _write_into(document, stream, None, [])


def _parts_in(scratch: Scratch, stack: contextlib.ExitStack) -> Path | None:
    """The path the parts of a document printed by two processes are named after, in a folder
    from ``scratch`` that ``stack`` removes; None where no folder can be made (this process
    then writes the whole document)."""
    try:
        return stack.enter_context(scratch()) / "output.json"
    except OSError:
        return None


def _write_into(
    document: dict[str, Any],
    handle: BinaryIO,
    parts: Path | None,
    long_tables: list[tuple[Any, int, str]],
    *,
    on_disk: bool = False,
) -> None:
    """:func:`dump` into ``handle``, the ``long_tables`` (see :func:`_long_tables`) by a child
    process where there are any; ``parts``: the path the parts this process writes meanwhile
    are named after, ``on_disk``: see :class:`_Beside`."""
    if not long_tables:
        sink = _WritingBack(handle)
        _layout(document, 0, sink)
        sink("\n")
        sink.done()
        return
    assert parts is not None
    split = _Beside(parts, long_tables, _shared_line_tables(document), on_disk=on_disk)
    try:
        split.start(handle)
        _layout(document, 0, split.write, written=_Written(split.shared, beside=split))
        split.write("\n")
        split.finish(handle)
    except BaseException:
        split.stop()
        raise
    finally:
        split.discard()


# Lines of the long tables (the consumption lines, a line per environment and capacity type)
# from which write_json(beside=True) has a child process write them: below it, starting the
# child costs about what it saves.
LINES_BESIDE = 20_000


def _long_tables(value: Any, depth: int = 0, key: str = "") -> list[tuple[Any, int, str]]:
    """The tables of at least ``LINES_BESIDE`` lines in ``value``, each with the depth and key
    :func:`_layout` meets it at, in the order it does."""
    if isinstance(value, pd.DataFrame | LineTable | PandasTable):
        lines = len(value) if isinstance(value, pd.DataFrame) else len(value.frame)
        return [(value, depth, key)] if lines >= LINES_BESIDE else []
    found: list[tuple[Any, int, str]] = []
    if isinstance(value, dict):
        for inner_key, item in value.items():
            found += _long_tables(item, depth + 1, str(inner_key))
    elif isinstance(value, list) and value and isinstance(value[0], dict) and _nested(value[0]):
        for item in value:
            if _nested(item):
                found += _long_tables(item, depth + 1)
    return found


class _Beside:
    """A document written by two processes at once: a forked child writes its long tables, this
    process the rest.

    The child starts where this process reaches the first long table: the text before it is in
    the output file already, and the child writes that table straight after it (the two share
    the file's position). This process writes what follows each long table into a part file of
    its own, and says so through a pipe when a part is complete. Before each later long table,
    the child appends the part that precedes it, then writes the table; once the child is done,
    this process appends the last part. Every byte of the output is thus written once into it,
    in order, and the child never waits unless this process is behind.

    ``on_disk``: the output is a file that is flushed to disk once written (see
    planner/cli/output.py). The child, its tables written, then waits for them to reach the
    disk while this process writes the rest, and the flush waits for the rest alone: at 50,000
    environments (57 MB of tables) 20 ms rather than 76 ms here."""

    def __init__(
        self,
        path: Path,
        tables: list[tuple[Any, int, str]],
        shared: set[_LineKey],
        *,
        on_disk: bool = False,
    ) -> None:
        self.path = path
        self.on_disk = on_disk
        self.tables = tables
        self.shared = shared
        self._ids = {id(table) for table, _, _ in tables}
        # The output file until the first long table; then each part in turn.
        self.output: BinaryIO | _HeldPart | None = None
        self._reached = 0
        self._child: Beside | None = None
        # The output file's text before the first long table, written here.
        self._head: _WritingBack | None = None
        # This process's end of the pipe that tells the child a part is complete.
        self._done: int | None = None
        # A document begun early (see begin_json): the head as written, kept to be compared
        # with the head of the document that follows on (None: not begun early), and how much
        # of it that document has matched so far (None: not following on, or past its head).
        self._begun: list[str] | None = None
        self._matched: int | None = None

    def begin(self, output: BinaryIO, document: dict[str, Any]) -> None:
        """Write ``document`` into ``output`` up to its first long table, which the child
        starts writing; the rest of the document is left for :meth:`follow_on`."""
        self.start(output)
        self._begun = []
        try:
            _layout(document, 0, self.write, written=_Written(self.shared, beside=self))
        except _HeadWritten:
            return
        raise RuntimeError("the JSON writer found no long table where it had found one")

    def follow_on(self, document: dict[str, Any]) -> bool:
        """Go on with ``document`` where :meth:`begin` left off: True where its long tables are
        the begun document's, in number, place, keys and length (the child is writing those),
        and then its head has to be the same text (:meth:`write` raises _HeadDiffers if not)."""
        assert self._begun is not None
        tables = _long_tables(document)
        if [_table_shape(*table) for table in tables] != [_table_shape(*t) for t in self.tables]:
            return False
        self._ids = {id(table) for table, _, _ in tables}
        self._matched = 0
        return True

    def _part(self, index: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{index}.part")

    def _ahead(self, index: int) -> Path:
        """Where the child lays out long table ``index`` while the part before it is written."""
        return self.path.with_name(f"{self.path.name}.{index}.table")

    def start(self, output: BinaryIO) -> None:
        """Write into ``output`` (the output file) until the first long table."""
        self.output = output
        self._head = _WritingBack(output)

    def write(self, text: str) -> None:
        """Text of the document for this process's current part."""
        assert self.output is not None
        if self._matched is not None:  # the head of a document that follows on: written already
            assert self._begun is not None
            end = self._matched + len(text)
            if self._begun[0][self._matched : end] != text:
                raise _HeadDiffers
            self._matched = end
        elif self._head is not None:
            self._head(text)
            if self._begun is not None:
                self._begun.append(text)
        else:
            self.output.write(json_safe_utf8(text))

    def takes(self, value: Any) -> bool:
        return id(value) in self._ids

    def reached(self) -> None:
        """This process has reached the next long table: the child writes it; what follows
        goes into a part file of its own."""
        assert self.output is not None
        if self._matched is not None:  # following on: the first table, begun already
            assert self._begun is not None
            if self._matched != len(self._begun[0]):
                raise _HeadDiffers
            self._matched = None
            return
        if self._reached == 0:
            if self._head is not None:
                self._head.done()
                self._head = None
            assert not isinstance(self.output, _HeldPart)
            ready, self._done = os.pipe()
            try:
                self._child = Beside(partial(self._write_tables, self.output, ready, self._done))
            finally:
                os.close(ready)
        else:
            self.output.close()
            self._tell_child()
        self._reached += 1
        part = self._part(self._reached)
        # The part after the last table is this process's to append: see _HeldPart.
        self.output = (
            _HeldPart(part) if self._reached == len(self.tables) else open(part, "wb")  # noqa: SIM115
        )
        if self._begun is not None and self._reached == 1:
            self._begun[:] = ["".join(self._begun)]
            raise _HeadWritten

    def _tell_child(self) -> None:
        """Tell the child the part before the table it writes next is complete; a child that
        has stopped (its end of the pipe closed) has its failure raised here."""
        assert self._done is not None and self._child is not None
        try:
            os.write(self._done, b".")
        except BrokenPipeError:
            self._child.join()  # raises what stopped it
            raise RuntimeError("the JSON writer's child process stopped") from None

    def _write_tables(self, output: BinaryIO, ready: int, done: int) -> None:
        """In the child: each long table as :func:`_layout` writes it, into the output, each
        after the part before it (appended once this process says it is complete)."""
        os.close(done)  # only this process's end stays open there: its exit ends the pipe
        written = _Written(self.shared)
        for index, (table, depth, key) in enumerate(self.tables):
            ahead = index and not select.select([ready], [], [], 0)[0]
            if ahead:
                # The part before this table is not complete yet (this process is checking a
                # what-if's plans): the table is laid out meanwhile into a file of its own and
                # copied after the part, rather than begun once the part is done. A what-if
                # of 50,000 environments that adds a sandbox took 40 to 70 ms less so.
                with open(self._ahead(index), "wb") as laid:
                    # Read again soon: its pages are left in the cache.
                    sink = _WritingBack(laid, advise=False)
                    _layout(table, depth, sink, key, written)
                    sink.done()
                if self.on_disk:
                    # What is written waits for the disk meanwhile, rather than all of it at
                    # the end (a what-if's first table of consumption lines, 57 MB at 50,000
                    # environments).
                    with contextlib.suppress(OSError):
                        os.fdatasync(output.fileno())
            # Made before the part is appended, so that its write-back is asked for with the
            # table's (the part's bytes are in the output from here on).
            sink = _WritingBack(output)
            if index:
                if os.read(ready, 1) != b".":
                    raise RuntimeError("the JSON writer's other process stopped")
                _append(self._part(index), output.fileno())
            if ahead:
                _append(self._ahead(index), output.fileno())
                self._ahead(index).unlink(missing_ok=True)
            else:
                _layout(table, depth, sink, key, written)
            sink.done()
        if self.on_disk:
            with contextlib.suppress(OSError):  # a file that cannot be flushed: nothing to wait for
                os.fdatasync(output.fileno())

    def finish(self, handle: BinaryIO) -> None:
        """Wait for the child, then append the last part to the output."""
        assert self.output is not None and self._child is not None
        if self._reached != len(self.tables):
            raise RuntimeError("the JSON writer met its long tables other than it found them")
        self.output.close()
        self._child.join()
        handle.flush()
        descriptor = handle.fileno()
        since = _position(descriptor, os.SEEK_END)  # past what the child wrote
        assert isinstance(self.output, _HeldPart)
        self.output.append_to(descriptor)
        write_back(descriptor, since)

    def stop(self) -> None:
        if self._child is not None:
            self._child.stop()
        if self.output is not None:
            self.output.close()

    def discard(self) -> None:
        if self._done is not None:
            os.close(self._done)
            self._done = None
        for index in range(1, len(self.tables) + 1):
            self._part(index).unlink(missing_ok=True)
            self._ahead(index).unlink(missing_ok=True)


class _HeldPart:
    """The part of a document after its last long table, which this process appends to the
    output itself once the child is done (see :class:`_Beside`): held in memory up to
    ``HELD_AT_MOST`` bytes, and then in its part file like the others. Held, it is written
    into the output once, rather than into a part file and copied from it: at 50,000
    environments the findings after the consumption lines are 19 MB, and their copy took 7 ms
    after the child was done."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pieces: list[bytes] = []
        self.size = 0
        self.file: BinaryIO | None = None

    def write(self, data: bytes) -> None:
        if self.file is not None:
            self.file.write(data)
            return
        self.pieces.append(data)
        self.size += len(data)
        if self.size > HELD_AT_MOST:
            self.file = open(self.path, "wb")  # noqa: SIM115
            self.file.writelines(self.pieces)
            self.pieces = []

    def close(self) -> None:
        if self.file is not None:
            self.file.close()

    def append_to(self, descriptor: int) -> None:
        """Append the part to the open file ``descriptor``."""
        if self.file is not None:
            _append(self.path, descriptor)
            return
        with os.fdopen(os.dup(descriptor), "wb") as sink:
            sink.writelines(self.pieces)


# The most bytes of a document's last part held in memory (see _HeldPart).
HELD_AT_MOST = 32 * 1024 * 1024


def _append(source: Path, descriptor: int) -> None:
    """The file at ``source`` appended to the open file ``descriptor``, copied by the system
    where it can."""
    with open(source, "rb") as part:
        size = os.fstat(part.fileno()).st_size
        try:
            while size > 0:
                copied = os.copy_file_range(part.fileno(), descriptor, size)
                if copied == 0:
                    break
                size -= copied
        except (AttributeError, OSError):
            pass
        if size > 0:  # copy_file_range is missing, or refused these files
            part.seek(-size, os.SEEK_END)
            with os.fdopen(os.dup(descriptor), "wb") as sink:
                shutil.copyfileobj(part, sink)


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
