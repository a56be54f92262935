"""Tabular input (CSV text or a worksheet) as one shape: headers, string cells, row numbers.

Readers ask for columns by meaning (a :class:`Field` with aliases), never by position, and parse
whole columns at once. Row-level messages are worked out only when a column holds a bad value,
so the common case of a clean file stays vectorized.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import re
import signal
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import msgspec
import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.model.limits import (
    LONGEST_TEXT,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_ROWS,
    cell_units,
    too_long_for_a_cell,
)
from planner.model.memory import SCAN_BYTES
from planner.model.units import loosely_infinite, plain_float

# Characters trimmed from headers and values. Exports from admin portals and copies from web
# pages carry non-breaking and zero-width spaces that a person cannot see.
TRIMMED = " \t\r\n\u00a0\u2007\u202f\u200b\ufeff"
_INVISIBLE_SPACES = re.compile("[\u00a0\u2007\u202f]")

# Larger than any plausible license count or storage figure; above it is a typing error.
ABSURD = 10_000_000

# Lines PowerShell and Excel put above the header of a CSV.
_TYPE_LINE = re.compile(r"^#TYPE\b")
_SEPARATOR_LINE = re.compile(r"^\s*sep=.\s*$", re.IGNORECASE)
_DELIMITERS = (",", ";", "\t")


def normalize_header(text: str) -> str:
    """``"PrepaidUnits.Enabled"``, ``"prepaid units enabled"`` -> ``"prepaidunitsenabled"``.

    Texts repeat (headers, and the types, units and states of a JSON answer's thousands of
    objects): the last few thousand are remembered."""
    return _normalized(str(text))


@functools.lru_cache(maxsize=4096)
def _normalized(text: str) -> str:
    return _NOT_ALPHANUMERIC.sub("", text.casefold())


_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]")


def compact(text: str) -> str:
    """Value comparison key: case-insensitive, spaces, hyphens and underscores ignored."""
    return normalize_header(text)


def trim(text: str) -> str:
    return _INVISIBLE_SPACES.sub(" ", text).strip(TRIMMED)


@functools.cache
def _normalized_aliases(aliases: tuple[str, ...]) -> frozenset[str]:
    return frozenset(normalize_header(alias) for alias in aliases)


class Field(msgspec.Struct, frozen=True):
    """A column the reader wants, under the names it may have in a file."""

    name: str  # how messages call it, e.g. "quantity"
    aliases: tuple[str, ...]  # header spellings; compared after normalize_header
    required: bool = False

    def matches(self, normalized: str) -> bool:
        return normalized in _normalized_aliases(self.aliases)


@dataclass(frozen=True)
class Table:
    """Cells of one table as trimmed strings ("" for blank), blank rows already dropped."""

    file: str
    headers: tuple[str, ...]
    cells: pd.DataFrame  # columns 0..n-1 in header order, of str (dtype str, or object)
    row_numbers: np.ndarray  # the row number a person sees, per data row
    header_row: int = 1
    sheet: str | None = None  # worksheet title for XLSX, None for delimited text
    decimal_comma: bool = False  # semicolon files come from locales that write 12,5
    # Columns read straight into numbers (NaN where blank): by the CSV parser, and then
    # ``cells`` lacks them, or by the workbook reader from number cells, and then ``cells``
    # holds their text too. ``texts`` gives every column as text, for a reader that needs
    # their words (a value to quote in a message). Parsing numbers in C and not holding every
    # one as a Python string is what makes a large inventory cheap.
    numbers: Mapping[int, np.ndarray] = dataclass_field(default_factory=dict, compare=False)
    texts: Callable[[], pd.DataFrame] | None = dataclass_field(default=None, compare=False)
    _read_again: dict[str, pd.DataFrame] = dataclass_field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def container(self) -> str:
        return "csv" if self.sheet is None else "xlsx"

    def __len__(self) -> int:
        return len(self.cells)

    def column(self, position: int) -> pd.Series:
        if position in self.numbers:
            return self._all_texts()[position]
        return self.cells[position]

    def _all_texts(self) -> pd.DataFrame:
        if "cells" not in self._read_again:
            assert self.texts is not None
            cells = self.texts()
            # The same text read the same way: the same rows, or a bug to hear about.
            assert len(cells) == len(self.cells), "a table read twice differs"
            self._read_again["cells"] = cells
        return self._read_again["cells"]

    def cell_location(self, row_index: int, position: int) -> str:
        """Where a cell is, in the words a person uses to find it."""
        row = int(self.row_numbers[row_index])
        header = self.headers[position]
        if self.sheet is None:
            return f"row {row}, column {header}"
        return f"{self.sheet}!{column_letter(position)}{row} (row {row}, column {header})"

    def row_location(self, row_index: int) -> str:
        row = int(self.row_numbers[row_index])
        return f"row {row}" if self.sheet is None else f"{self.sheet}!A{row} (row {row})"

    def header_location(self) -> str:
        if self.sheet is None:
            return f"row {self.header_row} (header)"
        return f"{self.sheet}!A{self.header_row} (header row)"

    def error(self, message: str, *, row_index: int, position: int, expected: str) -> InputError:
        return InputError(
            message,
            file=self.file,
            location=self.cell_location(row_index, position),
            expected=expected,
        )


def column_letter(position: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (spreadsheet column names)."""
    letters = ""
    number = position + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


# The invisible spaces (no-break, figure, narrow no-break), which trimming makes plain spaces.
_INVISIBLE = "\u00a0\u2007\u202f"
_TRIMMED_SET = frozenset(TRIMMED)


def _needs_trimming(joined: str, cells: int) -> bool:
    """Whether a column whose ``cells`` are ``joined`` by NUL holds a cell to trim: one that
    starts or ends with a character trimming removes, or holds an invisible space anywhere.

    Each blank is looked for on its own first, at memory speed (a character wider than the
    text's own cannot be in it at all, and most columns hold no blank), and only one the column
    holds is looked for beside a NUL: a regular expression of the same alternatives took 5 to
    25 ms a column of 50,000 cells, 107 ms for an inventory's columns; these searches 9 ms.
    A cell holding NUL itself (which no input's text does) makes the count of NULs wrong: yes."""
    if (
        joined.count("\x00") != cells - 1
        or joined[:1] in _TRIMMED_SET
        or joined[-1:] in _TRIMMED_SET
    ):
        return True
    for blank in TRIMMED:
        if blank in joined and (
            blank in _INVISIBLE or "\x00" + blank in joined or blank + "\x00" in joined
        ):
            return True
    return False


def _trim_grid(grid: np.ndarray, *, spaces_replaced: bool = False) -> np.ndarray:
    """Trim every cell of a grid of text (rows by columns); ``spaces_replaced`` when the text
    was already rid of invisible spaces.

    A column is trimmed only when one of its cells needs it: a few searches over the column's
    cells joined by NUL (which no input's text holds: decoding refuses it in text files and XML
    cannot carry it) tell (see :func:`_needs_trimming`), and clean columns cost nothing more.
    The first and the last character are looked at on their own, rather than in a second copy
    of the column with NUL at both ends.
    """
    for position in range(grid.shape[1]):
        column = grid[:, position]
        joined = "\x00".join(column)
        clean = not _needs_trimming(joined, len(column))
        del joined  # before the column is trimmed: it holds all of its text
        if clean:
            continue
        if not grid.flags.writeable:  # a frame's values, shared with the frame
            grid = grid.copy()
        values = pd.Series(column, dtype=str)
        if not spaces_replaced:
            values = values.str.replace(_INVISIBLE_SPACES, " ", regex=True)
        grid[:, position] = values.str.strip(TRIMMED).to_numpy(dtype=object)
    return grid


def _build_table(
    file: str,
    records: np.ndarray,
    record_numbers: np.ndarray,
    header_index: int,
    *,
    sheet: str | None,
    decimal_comma: bool,
    long_text: bool = True,
) -> Table:
    """Split trimmed records (a grid of text) into header and data, dropping blank data rows;
    ``long_text=False`` when the caller knows no cell is longer than an Excel cell holds."""
    headers = tuple(records[header_index].tolist())
    body = records[header_index + 1 :]
    numbers = record_numbers[header_index + 1 :]
    keep = (body != "").any(axis=1) if body.shape[1] else np.zeros(len(body), bool)
    if not keep.all():
        body, numbers = body[keep], numbers[keep]
    _refuse_long_text(file, headers, body if long_text else body[:0], numbers, sheet)
    return Table(
        file=file,
        headers=headers,
        cells=pd.DataFrame(body, columns=range(len(headers)), dtype=str),
        row_numbers=numbers,
        header_row=int(record_numbers[header_index]),
        sheet=sheet,
        decimal_comma=decimal_comma,
    )


def _refuse_long_text(
    file: str, headers: Sequence[str], body: np.ndarray, numbers: np.ndarray, sheet: str | None
) -> None:
    """Refuse a cell longer than an Excel cell holds: the workbook would cut it silently."""
    for header in headers:
        if too_long_for_a_cell(header):
            raise InputError(
                f"a header is {cell_units(header):,} characters long (as a cell counts them)",
                file=file,
                expected=f"headers of at most {LONGEST_TEXT:,} characters",
            )
    if not body.size:
        return
    lengths = np.fromiter(map(len, body.ravel()), np.int64, body.size).reshape(body.shape)
    # A cell counts UTF-16 units, at most two a character: only longer text is counted so.
    over = lengths > LONGEST_TEXT // 2
    if not over.any():
        return
    rows, columns = np.nonzero(over)
    lengths[rows, columns] = [cell_units(text) for text in body[rows, columns].tolist()]
    over = lengths > LONGEST_TEXT
    if not over.any():
        return
    position = int(np.argmax(over.any(axis=0)))  # the first column holding one, as read
    row = int(np.argmax(over[:, position]))
    place = f"row {int(numbers[row])}, column {headers[position] or position + 1}"
    raise InputError(
        f"a cell is {int(lengths[row, position]):,} characters long (as a cell counts them)",
        file=file,
        location=place if sheet is None else f"sheet {sheet}, {place}",
        expected=f"text of at most {LONGEST_TEXT:,} characters (what an Excel cell holds)",
    )


def _sniff_delimiter(line: str) -> str:
    """The delimiter that splits the header line most often, counting outside quotes."""
    unquoted = _QUOTED.sub("", line) if '"' in line else line
    counts = {delimiter: unquoted.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])  # ties keep the first: the comma
    return best if counts[best] else ","


_QUOTED = re.compile(r'"[^"]*"?')


def _line_end(text: str, start: int = 0) -> tuple[int, int]:
    """Where the line that begins at ``start`` ends, and where the next one begins: lines end
    as the CSV parser ends them, at a newline, a carriage return, or the two together (a file
    saved with classic Mac line ends has carriage returns alone). (len, len) for the last line.
    Carriage returns are looked for within the line only: a cheap search in any file."""
    newline = text.find("\n", start)
    end = len(text) if newline < 0 else newline
    ret = text.find("\r", start, end)
    if ret >= 0:
        return ret, ret + 2 if text.startswith("\n", ret + 1) else ret + 1
    return end, min(end + 1, len(text))


def _strip_preamble(text: str) -> tuple[str, int, str | None]:
    """Drop blank lines, PowerShell's "#TYPE ..." line and Excel's "sep=;" line above the
    header; return the delimiter the latter names, if any."""
    skipped = 0
    delimiter = None
    position = 0  # (the text is cut once: a copy of the rest for every line was quadratic)
    while position < len(text):
        blank = _BLANK_LINES.match(text, position).end()
        if blank > position:  # a run of blank lines, at once
            skipped += _text_line_breaks(text, position, blank)
            position = blank
            continue
        end, after = _line_end(text, position)
        first = text[position:end]
        if _SEPARATOR_LINE.match(first):
            delimiter = first.strip()[-1]
        elif trim(first) and not _TYPE_LINE.match(first):
            break  # the header: blank lines and "#TYPE" lines above it are skipped
        position = after
        skipped += 1
    return (text[position:] if position else text), skipped, delimiter


# Lines of nothing but what trimming removes, each with its line break.
_LINE_BLANKS = TRIMMED.replace("\r", "").replace("\n", "")
_BLANK_LINES = re.compile(f"(?:[{_LINE_BLANKS}]*+(?:\r\n|\r|\n))*+")


@contextlib.contextmanager
def _interrupts_seen() -> Iterator[list[int]]:
    """Ctrl-C while pandas' parser runs, kept: the parser reads its text through Python and
    reports any failure of that reading as its own error about the text ("Calling
    read(nbytes) on source failed"), so an interrupt there read as a malformed file (exit
    status 2 instead of 130), or was lost where that error only means "read it the other
    way". The list given receives each interrupt; the caller raises KeyboardInterrupt for it
    where the parser failed. (Handlers can be set in the main thread only; elsewhere nothing is
    kept.)"""
    seen: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield seen
        return
    previous = signal.getsignal(signal.SIGINT)

    def kept(number: int, frame: Any) -> None:
        seen.append(number)
        if callable(previous):
            previous(number, frame)
        elif previous != signal.SIG_IGN:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, kept)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)


def _raise_if_interrupted(seen: list[int]) -> None:
    if seen:
        raise KeyboardInterrupt


def _parser_error(file: str, error: Exception, skipped: int, delimiter: str) -> InputError:
    message = str(error)
    location = None
    line = re.search(r"line (\d+)", message)  # 1-based line of the text pandas read
    row = re.search(r"row (\d+)", message)  # 0-based record
    if line:
        location = f"row {int(line.group(1)) + skipped}"
    elif row:
        location = f"row {int(row.group(1)) + 1 + skipped}"
    if "EOF inside string" in message:
        reason = "a quoted value is never closed"
    elif "Expected" in message:
        reason = "a row has more values than the header has columns"
    else:
        reason = "the text cannot be split into rows and columns"
    return InputError(
        reason,
        file=file,
        location=location,
        expected=f"one value per header column, separated by {_delimiter_name(delimiter)}",
    )


def _may_need_trimming(
    text: str, delimiter: str, utf8: bytes | None = None, *, quotes_seen: bool = False
) -> bool:
    """Whether any cell of the text could start or end with a character that trimming removes.

    A few substring searches in C are much cheaper than trimming every column: a blank next to a
    delimiter or a line end, at the start or the end. Quoted text may hide anything (line breaks
    in a cell), so any quote means yes, unless ``quotes_seen``: the caller looks at the cells
    that hold a line break itself, and a blank next to a quote (the edge of a quoted cell) then
    counts as next to a delimiter. ``utf8``: the text's UTF-8 encoding, where the caller has it
    (see :func:`_blank_at_an_edge`).
    """
    quoted = '"' in text
    if quoted and not quotes_seen:
        return True
    blanks = [c for c in TRIMMED if c not in (delimiter, "\r", "\n")]
    if text[:1] in blanks or text[-1:] in blanks:
        return True
    # A substring test is a fast search in C; only blanks the text holds at all need pairing.
    present = [blank for blank in blanks if blank in text]
    edges = (delimiter, "\r", "\n", *(['"'] if quoted else []))
    if present and utf8 is not None:
        return _blank_at_an_edge(utf8, edges, present)
    return any(blank + edge in text or edge + blank in text for blank in present for edge in edges)


def _blank_at_an_edge(utf8: bytes, edges: Sequence[str], blanks: list[str]) -> bool:
    """Whether one of ``blanks`` is next to one of ``edges`` (ASCII: the delimiter, line ends and
    perhaps the quote) in the UTF-8 text (its start and end count as line ends), looked for at
    every place of each blank at once.

    Names with spaces are the rule, and the space is then next to something almost anywhere: six
    searches for a space beside an edge took 32 ms of 5.9 MB of text (50,000 environments), where
    the bytes beside every space are read in 4 ms. A blank's UTF-8 starts with its one lead byte
    and no other character's holds that sequence, so the bytes match a blank's exactly where the
    text is that blank. The text is read ``_SCAN_BYTES`` at a time, each stretch with the bytes
    either side of it, in one buffer used again: arrays the size of the whole text are fresh
    memory, whose first use costs more than the comparisons (see :func:`_line_breaks`)."""
    octets = np.frombuffer(utf8, dtype=np.uint8)
    size = len(octets)
    edge_codes = np.array([ord(edge) for edge in edges], dtype=np.uint8)
    codes = [np.frombuffer(blank.encode("utf-8"), dtype=np.uint8) for blank in blanks]
    # window[_BESIDE + k] is the byte at start + k; outside the text, line ends.
    window = np.empty(min(size, _SCAN_BYTES) + 2 * _BESIDE, dtype=np.uint8)
    for start in range(0, size, _SCAN_BYTES):
        stop = min(start + _SCAN_BYTES, size)
        low, high = max(start - _BESIDE, 0), min(stop + _BESIDE, size)
        part = window[: stop - start + 2 * _BESIDE]
        part[:] = ord("\n")
        part[_BESIDE - (start - low) : _BESIDE + (high - start)] = octets[low:high]
        for code in codes:
            places = np.flatnonzero(part[_BESIDE : _BESIDE + stop - start] == code[0]) + _BESIDE
            for offset in range(1, len(code)):
                places = places[part[places + offset] == code[offset]]
            if np.isin(part[places - 1], edge_codes).any():
                return True
            if np.isin(part[places + len(code)], edge_codes).any():
                return True
    return False


# Bytes of text compared at a time (see _blank_at_an_edge and _line_breaks).
_SCAN_BYTES = SCAN_BYTES
# Bytes read either side of a stretch: a blank's UTF-8 (at most 3 bytes) and the byte after it.
_BESIDE = 4


# Which columns of a header row a reader parses as numbers (positions, 0-based); None when the
# table is not one whose reader takes its text as plain Python strings.
NumberColumns = Callable[[tuple[str, ...]], Collection[int] | None]


def table_from_text(
    file: str,
    text: str,
    number_columns: NumberColumns | None = None,
    *,
    utf8: bytes | None = None,
) -> Table:
    """Parse delimited text (comma, semicolon or tab, sniffed from the header line).

    ``number_columns`` names the columns of a header row that the reader will parse as numbers:
    when every cell of them is a number or blank, the CSV parser reads them as numbers and the
    table keeps them in ``numbers`` (see :class:`Table`), and the other cells as plain Python
    strings. ``utf8`` is the text's UTF-8 encoding when the caller has it (the file's bytes):
    lines are counted in it and the parser reads it, rather than the text encoded again.
    Without it the text is encoded once here: the searches below go through the bytes at
    memory speed (a UTF-16 inventory of 50,000 environments: 64 ms of searches in its text
    against 6 ms to encode it)."""
    if utf8 is None:
        with contextlib.suppress(UnicodeEncodeError):  # a lone surrogate: searched as text
            utf8 = text.encode("utf-8")
    body, skipped, delimiter = _strip_preamble(text)
    # One pass over the whole text is much cheaper than one per column. The invisible spaces
    # are not ASCII, and their UTF-8 begins with C2 or E2: bytes without either (found at
    # memory speed) hold none, and the text need not be searched.
    if not body.isascii() and (utf8 is None or b"\xc2" in utf8 or b"\xe2" in utf8):
        body = _INVISIBLE_SPACES.sub(" ", body)
    if body is not text:  # a line above the header dropped or a space replaced
        utf8 = None
    header_line = _first_filled_line(body)
    if header_line is None:
        raise InputError(
            "the file has no header row and no data", file=file, expected="a header row"
        )
    if delimiter not in _DELIMITERS:
        delimiter = _sniff_delimiter(header_line)
    # Refused before parsing: the parser's work grows with columns times rows.
    columns = header_line.count(delimiter) + 1
    if columns > MAX_COLUMNS:
        raise InputError(
            f"the header has {columns:,} columns, more than the {MAX_COLUMNS:,} capplan reads",
            file=file,
            location=f"row {skipped + 1}",
            expected="a license export or environment list (a few dozen columns at most)",
        )
    lines = _text_line_breaks(body) if utf8 is None else _line_breaks(utf8)
    if lines > MAX_ROWS + 100:  # a little room for blank lines and line breaks in cells
        raise InputError(
            f"the file has {lines:,} lines, more than the {MAX_ROWS:,} rows capplan reads",
            file=file,
            expected=f"at most {MAX_ROWS:,} licenses or environments in one file",
        )
    if lines * columns > MAX_CELLS:
        raise InputError(
            f"the file has {lines:,} lines of {columns:,} columns, more than the "
            f"{MAX_CELLS:,} cells capplan reads",
            file=file,
            expected="a license export or environment list with the columns it needs",
        )
    long_line = _holds_a_long_line(body)
    long_text = _may_hold_long_text(body, long_line)
    # A long line may be a long number, which only the reading as text refuses; a long cell
    # that quotes let run over several lines is text, and the reading with numbers finds it.
    if number_columns is not None and not long_line:
        table = _table_with_numbers(
            file,
            text,
            body,
            header_line,
            skipped,
            delimiter,
            number_columns if delimiter != ";" else _as_text(number_columns),
            utf8,
            line_breaks=lines,
            long_text=long_text,
        )
        if table is not None:
            return table
    try:
        with _interrupts_seen() as interrupts:
            records = pd.read_csv(
                io.StringIO(body),
                sep=delimiter,
                header=None,
                # Plain Python strings: the cells are checked and trimmed as one grid, and become
                # a frame of text only once that is done.
                dtype=object,
                na_filter=False,
                keep_default_na=False,
                skip_blank_lines=False,
                quoting=csv.QUOTE_MINIMAL,
                engine="c",
            )
    except pd.errors.EmptyDataError:
        _raise_if_interrupted(interrupts)
        raise InputError("the file has no header row and no data", file=file) from None
    except (pd.errors.ParserError, ValueError, OverflowError) as error:
        _raise_if_interrupted(interrupts)
        raise _parser_error(file, error, skipped, delimiter) from None
    grid = records.to_numpy(dtype=object)
    if _may_need_trimming(body, delimiter):
        grid = _trim_grid(grid, spaces_replaced=True)
    numbers = np.arange(1, len(grid) + 1, dtype=np.int64) + skipped
    non_blank = np.flatnonzero((grid != "").any(axis=1))
    if not len(non_blank):
        raise InputError("the file has no header row and no data", file=file)
    return _build_table(
        file,
        grid,
        numbers,
        int(non_blank[0]),
        sheet=None,
        decimal_comma=delimiter == ";",
        long_text=long_text,
    )


def _line_breaks(utf8: bytes) -> int:
    """How many line breaks UTF-8 text holds as the CSV parser reads them: a newline, a
    carriage return, or the two together (no other character's bytes include either). The
    bytes are counted by numpy, several times faster than str.count finds them, a stretch of
    ``_SCAN_BYTES`` at a time into one buffer: a comparison of the whole text at once makes an
    array as large as the text, fresh memory whose first use (at 50,000 environments, 6 MB)
    cost twice the counting."""
    octets = np.frombuffer(utf8, dtype=np.uint8)
    found = np.empty(min(len(octets), _SCAN_BYTES), dtype=bool)
    newlines = returns = pairs = 0
    for start in range(0, len(octets), _SCAN_BYTES):
        stretch = octets[start : start + _SCAN_BYTES]
        seen = found[: len(stretch)]
        newlines += int(np.count_nonzero(np.equal(stretch, ord("\n"), out=seen)))
        at = np.flatnonzero(np.equal(stretch, ord("\r"), out=seen))
        if len(at):
            # A carriage return and the newline after it (in the next stretch, maybe) are one
            # line break: the byte after each return is looked at, not the whole text again.
            returns += len(at)
            after = at + (start + 1)
            pairs += int(np.count_nonzero(octets[after[after < len(octets)]] == ord("\n")))
    return newlines + returns - pairs


def _text_line_breaks(text: str, start: int = 0, end: int | None = None) -> int:
    """:func:`_line_breaks` of text (of ``text[start:end]``)."""
    end = len(text) if end is None else end
    returns = text.count("\r", start, end)
    newlines = text.count("\n", start, end)
    return newlines + returns - (text.count("\r\n", start, end) if returns else 0)


def _first_filled_line(body: str) -> str | None:
    """The first line (with its line break) holding more than blanks, or None."""
    start = 0
    while start < len(body):
        # (the preamble's blank lines are gone: the first line is mostly the header's)
        after = _line_end(body, start)[1]
        if trim(body[start:after]):
            return body[start:after]
        start = after
    return None


def _as_text(number_columns: NumberColumns) -> NumberColumns:
    """``number_columns`` for a semicolon file: no column read as numbers by the parser (which
    would read "1.000" as one, where it may be a thousand written with a grouping dot), but
    the file still split into cells by it wherever the reader takes it as plain Python strings;
    the readers parse the numbers' text, as from the reading as text. At 50,000 environments
    the reading as text took 176 ms, this 91 ms."""

    def none_of(headers: tuple[str, ...]) -> Collection[int] | None:
        return () if number_columns(headers) is not None else None

    return none_of


def _table_with_numbers(
    file: str,
    text: str,
    body: str,
    header_line: str,
    skipped: int,
    delimiter: str,
    number_columns: NumberColumns,
    utf8: bytes | None = None,
    *,
    line_breaks: int,
    long_text: bool,
) -> Table | None:
    """The table of :func:`table_from_text` with the number columns read as numbers by the CSV
    parser, or None when the text is not plain enough to be sure of the same reading (then it is
    read all as text). ``line_breaks``: how many the body holds (see :func:`_line_breaks`).

    Plain enough: the header is the first line and holds no quotes (so it is the first record,
    split at the delimiters), and every cell of the number columns is blank or a number the
    parser reads (anything else, a blank made of spaces included, fails the parse). A number
    reads the same either way: both are pandas' one string to number conversion, which skips
    the blanks that trimming would remove."""
    line = header_line[:-1] if header_line.endswith("\n") else header_line
    line = line[:-1] if line.endswith("\r") else line
    header_cells = _plain_cells(line, delimiter)
    if header_cells is None:
        return None
    headers = tuple(trim(cell) for cell in header_cells)
    chosen = number_columns(headers)
    if chosen is None or not any(headers):
        return None
    wanted = set(chosen)
    if len(wanted) == len(headers):
        return None  # a table of numbers alone is no inventory
    # A first row longer than the header would make the parser take its first cells for row
    # labels, where the reading as text refuses the file: that row is looked at first.
    end = body.find("\n", len(header_line))
    first_row = body[len(header_line) : end if end >= 0 else len(body)].rstrip("\r")
    first_cells = _plain_cells(first_row, delimiter)
    if first_cells is None or len(first_cells) > len(headers):
        return None
    positions = range(len(headers))
    try:
        with _interrupts_seen() as interrupts:
            frame = pd.read_csv(
                # Bytes are read as they are; text is copied.
                io.BytesIO(body.encode("utf-8") if utf8 is None else utf8),
                sep=delimiter,
                header=0,
                names=list(positions),
                dtype={p: np.float64 if p in wanted else object for p in positions},
                na_filter=True,
                keep_default_na=False,
                na_values={p: [""] for p in wanted},  # only an empty cell is blank
                skip_blank_lines=False,
                quoting=csv.QUOTE_MINIMAL,
                engine="c",
            )
    except (ValueError, OverflowError, pd.errors.ParserError, pd.errors.EmptyDataError):
        _raise_if_interrupted(interrupts)
        return None  # a cell that is not a number, or text the full reading complains about
    index = frame.index
    if frame.shape[1] != len(headers) or not (
        isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
    ):
        return None  # a first row longer than the header: the full reading says so
    words = [p for p in positions if p not in wanted]
    numbers = {p: frame[p].to_numpy(dtype=np.float64) for p in sorted(wanted)}
    texts = {p: frame[p].to_numpy(dtype=object) for p in words}
    del frame
    # Only quotes let a cell hold a line break, which may be at its edge: the text columns with
    # one, found in their cells joined, are those it may be in. Every line break outside the
    # cells ends a record (the header, each row, a blank line; the last maybe without one), so
    # where the text has no more line breaks than that, no cell holds one: nothing to look for.
    records = 1 + len(texts[words[0]])
    inside = line_breaks - records + (0 if body.endswith(("\n", "\r")) else 1)
    spanning = (
        [p for p in words if _holds_a_line_break("\x00".join(texts[p]))]
        if '"' in body and inside != 0
        else []
    )
    if spanning or _may_need_trimming(body, delimiter, utf8, quotes_seen=True):
        grid = _trim_grid(np.column_stack([texts[p] for p in words]), spaces_replaced=True)
        texts = dict(zip(words, grid.T, strict=True))
    # Blank rows: a row is kept once a cell of it is found filled; the first column (the
    # name, in an inventory) mostly settles it alone.
    rows = len(texts[words[0]])
    filled = np.zeros(rows, dtype=bool)
    for column in (*texts.values(), *numbers.values()):
        open_rows = np.flatnonzero(~filled)
        if not len(open_rows):
            break
        cells = column[open_rows]
        filled[open_rows] = ~np.isnan(cells) if cells.dtype.kind == "f" else cells != ""
    # Record 0 is the header: data record i is the (i + 1)-th record, numbered from 1.
    row_numbers = np.arange(2, rows + 2, dtype=np.int64) + skipped
    if not filled.all():
        row_numbers = row_numbers[filled]
        texts = {p: values[filled] for p, values in texts.items()}
        numbers = {p: values[filled] for p, values in numbers.items()}
    # No line is long (else the text is read as text alone): a cell runs longer only over
    # several lines, and only in a text column (a number is on one line). Columns without a
    # line break in any cell are left out (blank) of the grid whose cells are measured.
    if long_text and spanning:
        grid = np.full((len(row_numbers), len(headers)), "", dtype=object)
        for position in spanning:
            grid[:, position] = texts[position]
        _refuse_long_text(file, headers, grid, row_numbers, None)
    return Table(
        file=file,
        headers=headers,
        # Plain Python strings: the readers' string operations cost several times less on them
        # than on pandas' string array, and give the same answers for text without gaps.
        cells=pd.DataFrame(texts, columns=words, dtype=object, copy=False),
        row_numbers=row_numbers,
        header_row=1 + skipped,
        sheet=None,
        decimal_comma=delimiter == ";",
        numbers=numbers,
        texts=lambda: table_from_text(file, text).cells,
    )


def _plain_cells(line: str, delimiter: str) -> list[str] | None:
    """The cells of one line of delimited text, where the line is plainly written: each cell
    either without quotes, or quoted whole with any quote inside it written twice (and no line
    break). None for anything else (a quote inside an unquoted cell, text after a closing quote,
    a cell that runs on to the next line): parsers differ on such text, or it is not one line."""
    if '"' not in line:
        return None if "\r" in line else line.split(delimiter)
    if not _plain_line(delimiter).fullmatch(line):
        return None
    return next(csv.reader([line], delimiter=delimiter, quotechar='"', strict=True))


@functools.cache
def _plain_line(delimiter: str) -> re.Pattern[str]:
    d = re.escape(delimiter)
    cell = f'(?:"(?:[^"\r\n]|"")*"|[^"\r\n{d}]*)'
    return re.compile(f"{cell}(?:{d}{cell})*")


def _may_hold_long_text(text: str, long_line: bool | None = None) -> bool:
    """Whether a cell of delimited text could be longer than an Excel cell: not when no line
    is, unless quotes let a cell run over several lines. A cell counts UTF-16 units, at most
    two a character: a line of at most half the limit in characters holds no longer cell.
    ``long_line``: what :func:`_holds_a_long_line` says of the text, where known."""
    if len(text) <= LONGEST_TEXT // 2:
        return False
    if '"' in text:
        return True
    return _holds_a_long_line(text) if long_line is None else long_line


def _holds_a_line_break(text: str) -> bool:
    return "\n" in text or "\r" in text


def _holds_a_long_line(text: str) -> bool:
    """Whether a line of the text is longer than half an Excel cell (see
    :func:`_may_hold_long_text`)."""
    limit = LONGEST_TEXT // 2
    if len(text) <= limit:
        return False
    # A line longer than that holds a whole stretch of half of it (counted from the start of
    # the text) without a line break: only such stretches, which clean files lack, are
    # measured, and no string is made of any line.
    half = (limit + 1) // 2
    for start in range(0, len(text), half):
        if text.find("\n", start, start + half) >= 0 or text.find("\r", start, start + half) >= 0:
            continue
        end = min(_or_end(text.find("\n", start), text), _or_end(text.find("\r", start), text))
        line = end - (max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1)
        if line > limit:
            return True
    return False


def _or_end(at: int, text: str) -> int:
    """A search's answer, the end of ``text`` when nothing was found."""
    return len(text) if at < 0 else at


def _delimiter_name(delimiter: str) -> str:
    return {",": "commas", ";": "semicolons", "\t": "tabs"}[delimiter]


def table_from_rows(
    file: str,
    sheet: str,
    rows: Sequence[Sequence[str]],
    header_index: int,
    *,
    row_numbers: Sequence[int] | None = None,
) -> Table:
    """Build a table from worksheet rows already turned into strings; ``row_numbers`` are the
    sheet's row numbers of ``rows`` (default: row 1 = rows[0])."""
    width = max((len(row) for row in rows), default=0)
    grid = np.full((len(rows), width), "", dtype=object)
    for index, row in enumerate(rows):
        grid[index, : len(row)] = ["" if cell is None else str(cell) for cell in row]
    return table_from_grid(file, sheet, grid, header_index, row_numbers=row_numbers)


def table_from_grid(
    file: str,
    sheet: str,
    grid: np.ndarray,
    header_index: int,
    *,
    row_numbers: Sequence[int] | np.ndarray | None = None,
    untrimmed: bool = True,
    long_text: bool = True,
) -> Table:
    """:func:`table_from_rows` for rows already in a grid of text (rows by columns, object
    dtype, changed in place); ``untrimmed=False`` when no cell starts or ends with a blank or
    holds an invisible space, ``long_text=False`` when none is longer than an Excel cell."""
    if untrimmed:
        grid = _trim_grid(grid)
    if row_numbers is None:
        numbers = np.arange(1, len(grid) + 1, dtype=np.int64)
    else:
        numbers = np.asarray(row_numbers, dtype=np.int64)
    return _build_table(
        file, grid, numbers, header_index, sheet=sheet, decimal_comma=False, long_text=long_text
    )


def match_columns(table: Table, fields: Iterable[Field]) -> dict[str, int]:
    """Map each field to the position of the one column that means it."""
    fields = tuple(fields)
    found: dict[str, int] = {}
    for position, header in enumerate(table.headers):
        key = normalize_header(header)
        if not key:
            continue
        for field in fields:
            if not field.matches(key):
                continue
            if field.name in found:
                first = found[field.name]
                raise InputError(
                    f"two columns give {field.name}: {describe_column(table, first)} and "
                    f"{describe_column(table, position)}",
                    file=table.file,
                    location=table.header_location(),
                    expected=f"exactly one column for {field.name}",
                )
            found[field.name] = position
    for field in fields:
        if field.required and field.name not in found:
            raise InputError(
                f"no column for {field.name}",
                file=table.file,
                location=table.header_location(),
                expected=f"a column named {_either(field.aliases)} (found: {_found(table)})",
            )
    return found


def describe_column(table: Table, position: int) -> str:
    header = table.headers[position]
    if table.sheet is None:
        return f"'{header}'"
    return f"'{header}' ({column_letter(position)})"


def _either(aliases: Sequence[str]) -> str:
    quoted = [f"'{alias}'" for alias in aliases]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _found(table: Table) -> str:
    shown = [header for header in table.headers if header][:20]
    return ", ".join(shown) if shown else "no headers"


# ----------------------------------------------------------------------------------------------
# Numbers


class NumberRule(msgspec.Struct, frozen=True):
    """What a numeric column accepts, and how messages describe it."""

    what: str  # "a whole number of licenses", "a size in GB"
    whole: bool
    minimum: float = 0.0
    maximum: float = ABSURD
    required: bool = False

    def expected(self) -> str:
        low = f"{self.minimum:,.0f}" if self.minimum == int(self.minimum) else f"{self.minimum:,}"
        text = f"{self.what} from {low} to {self.maximum:,.0f}"
        if not self.required:
            text += ", or blank"
        return text


_DECIMAL_COMMA = re.compile(r"^[+-]?[0-9]+,[0-9]+$")
# In a semicolon file (a locale with decimal commas) "1.000" may be a thousand written with a
# grouping dot or one written with a decimal point; refusing beats guessing by a factor of 1000.
_GROUPED_BY_DOTS = r"[+-]?[0-9]{1,3}(?:\.[0-9]{3})+"
_DECIMAL_COMMA_CELL = re.compile(r"[+-]?[0-9]+,[0-9]+")
# A decimal comma with digits on one side only (",5", "5,"): not read, and said so.
_HALF_DECIMAL_COMMA = re.compile(r"([+-]?)(?:,([0-9]+)|([0-9]+),)")
_GROUPED_BY_DOTS_CELL = re.compile(_GROUPED_BY_DOTS)


class _CellBytes(msgspec.Struct, frozen=True):
    """A column's cells in UTF-8, one after another with NUL between them: ``octets``, where
    each cell starts and ends (the position after its last byte), and the cell of each byte (a
    NUL counts to the cell after it)."""

    octets: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    cell: np.ndarray

    @classmethod
    def of(cls, texts: np.ndarray) -> _CellBytes | None:
        """None where a cell is not text, holds NUL or a lone surrogate (not in any input read:
        such a column is looked at a cell at a time)."""
        try:
            octets = np.frombuffer("\x00".join(texts.tolist()).encode("utf-8"), dtype=np.uint8)
        except (TypeError, UnicodeEncodeError):
            return None
        nul = octets == 0
        separators = np.flatnonzero(nul)
        if len(separators) != len(texts) - 1:
            return None
        starts = np.concatenate(([0], separators + 1))
        ends = np.concatenate((separators, [len(octets)]))
        return cls(octets, starts, ends, np.cumsum(nul))

    def count(self, where: np.ndarray) -> np.ndarray:
        """How many of each cell's bytes ``where`` marks (NULs never marked)."""
        return np.bincount(self.cell[where], minlength=len(self.starts))

    def signed(self) -> np.ndarray:
        """Which cells start with + or -."""
        filled = self.starts < self.ends
        first = np.zeros(len(self.starts), dtype=np.uint8)
        first[filled] = self.octets[self.starts[filled]]
        return (first == 0x2B) | (first == 0x2D)


def _matching(texts: np.ndarray, pattern: re.Pattern[str]) -> np.ndarray:
    """Which cells are text that ``pattern`` matches whole, a cell at a time (where a column
    cannot be looked at as one: see _CellBytes.of)."""
    return np.array(
        [isinstance(text, str) and pattern.fullmatch(text) is not None for text in texts],
        dtype=bool,
    )


def _digits(octets: np.ndarray) -> np.ndarray:
    return (octets - np.uint8(0x30)) < 10  # below "0" wraps round to a large byte


def _number_form(
    texts: np.ndarray,
    pattern: re.Pattern[str],
    separator: int,
    fits: Callable[[_CellBytes, np.ndarray], np.ndarray],
    bytes_: _CellBytes | None,
) -> np.ndarray:
    """Which cells fully match ``pattern``, a form of number written with the byte
    ``separator``: ``fits`` tells it for the whole column at once from the column's bytes
    (``bytes_``, its :meth:`_CellBytes.of`) and the separator's places (none where no cell
    holds it); a column that cannot be looked at so (``bytes_`` None) is matched a cell at a
    time."""
    if bytes_ is None:
        return _matching(texts, pattern)
    places = np.flatnonzero(bytes_.octets == separator)
    if not len(places):
        return np.zeros(len(texts), dtype=bool)
    return fits(bytes_, places)


def _decimal_commas(texts: np.ndarray) -> np.ndarray:
    """Which cells fully match ``[+-]?[0-9]+,[0-9]+`` (a number with a decimal comma): one
    comma, ASCII digits on both sides of it and nothing else but a leading sign, worked out
    for the whole column at once. A column of 50,000 numbers took 10 ms through the pattern a
    cell at a time, 4 ms so."""
    return _number_form(texts, *_DECIMAL_COMMA_FORM, _CellBytes.of(texts))


def _one_comma_between_digits(bytes_: _CellBytes, commas: np.ndarray) -> np.ndarray:
    octets, cells = bytes_.octets, len(bytes_.starts)
    signed = bytes_.signed()
    others = bytes_.count(~_digits(octets) & (octets != 0))  # the comma and the sign among them
    at = np.full(cells, -1, dtype=np.int64)
    at[bytes_.cell[commas]] = commas
    return (
        (np.bincount(bytes_.cell[commas], minlength=cells) == 1)
        & (others == 1 + signed)
        & (at > bytes_.starts + signed)
        & (at < bytes_.ends - 1)
    )


def _grouped_by_dots(texts: np.ndarray) -> np.ndarray:
    """Which cells fully match ``_GROUPED_BY_DOTS`` (1 to 3 digits, then groups of a dot and
    3 digits, after a leading sign or none), worked out for the whole column at once (see
    :func:`_decimal_commas`)."""
    return _number_form(texts, *_GROUPED_BY_DOTS_FORM, _CellBytes.of(texts))


def _comma_forms(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_decimal_commas` and :func:`_grouped_by_dots` of a semicolon file's column, from
    one look at its bytes (the joined and encoded texts and where each cell ends, made once
    for both rather than once each)."""
    bytes_ = _CellBytes.of(texts)
    return (
        _number_form(texts, *_DECIMAL_COMMA_FORM, bytes_),
        _number_form(texts, *_GROUPED_BY_DOTS_FORM, bytes_),
    )


def _groups_of_three(bytes_: _CellBytes, dots: np.ndarray) -> np.ndarray:
    octets, count = bytes_.octets, len(bytes_.starts)
    signed = bytes_.signed()
    cells = bytes_.cell[dots]
    # Each dot is followed by three bytes and then the next dot of its cell or the cell's end.
    following = np.append(dots[1:], -1)
    same_cell = np.append(cells[1:] == cells[:-1], False)
    boundary = np.where(same_cell, following, bytes_.ends[cells])
    badly_spaced = np.bincount(cells[boundary - dots != 4], minlength=count)
    first = np.full(count, -1, dtype=np.int64)
    leading = np.append(True, cells[1:] != cells[:-1])  # each cell's first dot
    first[cells[leading]] = dots[leading]
    lead = first - (bytes_.starts + signed)
    per_cell = np.bincount(cells, minlength=count)
    return (
        (per_cell >= 1)
        & (bytes_.count(~_digits(octets) & (octets != 0)) == per_cell + signed)
        & (badly_spaced == 0)
        & (lead >= 1)
        & (lead <= 3)
    )


# The two forms of number looked for in a semicolon file's cells, each as _number_form takes it:
# the pattern a cell matches whole, the separator byte, and what tells a column at once.
_DECIMAL_COMMA_FORM = (_DECIMAL_COMMA_CELL, 0x2C, _one_comma_between_digits)
_GROUPED_BY_DOTS_FORM = (_GROUPED_BY_DOTS_CELL, 0x2E, _groups_of_three)


def _to_floats(
    values: pd.Series, decimal_comma: bool, comma: np.ndarray | None = None
) -> np.ndarray:
    """The column's numbers, NaN where blank or not a number. pandas' number parser reads the
    column as plain Python strings, which is several times cheaper than through its string
    array and reads the same strings the same way. ``comma``: the column's
    :func:`_decimal_commas`, where known."""
    texts = values.to_numpy(dtype=object)
    if decimal_comma:
        comma = _decimal_commas(texts) if comma is None else comma
        if comma.any():
            texts = texts.copy()
            # Each such cell is a sign, digits and one comma, never NUL: joined by NUL, their
            # commas become points in one pass (50,000 cells: 2.5 ms rather than 3.2 a cell at
            # a time), and the pieces are the cells again.
            texts[comma] = "\0".join(texts[comma].tolist()).replace(",", ".").split("\0")
    blank = texts == ""
    if blank.any():
        texts = texts.copy()
        texts[blank] = None
    numbers = pd.to_numeric(texts, errors="coerce")
    return np.asarray(numbers, dtype=np.float64)


def number_problem(text: str, rule: NumberRule, decimal_comma: bool = False) -> str | None:
    """Why one written value breaks the rule, or None when it is fine."""
    if text == "":
        return "value is missing" if rule.required else None
    if decimal_comma and re.fullmatch(_GROUPED_BY_DOTS, text):
        return (
            f"'{text}' is ambiguous in a semicolon-separated file (a thousand, or a decimal "
            "point?); write it without grouping dots"
        )
    if decimal_comma and (half := _HALF_DECIMAL_COMMA.fullmatch(text)):
        sign, fraction, whole = half.groups()
        return (
            f"'{text}' has no digit before its decimal comma; write {sign}0,{fraction}"
            if fraction
            else f"'{text}' has no digit after its decimal comma; write {sign}{whole}"
        )
    candidate = text.replace(",", ".") if decimal_comma and _DECIMAL_COMMA.match(text) else text
    try:
        number = plain_float(candidate)
    except ValueError:
        if loosely_infinite(candidate):
            return f"'{text}' is not a finite number"
        if any(character.isdigit() and not character.isascii() for character in text):
            return f"'{text}' is not written with the digits 0 to 9"
        if re.fullmatch(r"[+-]?[0-9.,'\s]+", text):
            return f"'{text}' is not a plain number (write it without thousands separators)"
        return f"'{text}' is not a number"
    if not np.isfinite(number):
        return f"'{text}' is not a finite number"
    if number < rule.minimum:
        return f"'{text}' is negative" if rule.minimum == 0 else f"'{text}' is too small"
    if number > rule.maximum:
        return f"'{text}' is larger than {rule.maximum:,.0f}, which cannot be right"
    if rule.whole and number != int(number):
        return f"'{text}' is not a whole number"
    return None


def parse_numbers(
    table: Table,
    position: int,
    field_name: str,
    rule: NumberRule,
    values: pd.Series | None = None,
) -> np.ndarray:
    """Parse a whole column; NaN where blank. The first bad cell raises, naming row and column.
    ``values`` stands for the column's text when a reader has rewritten it ("Tier 2" -> "2")."""
    read = table.numbers.get(position) if values is None else None
    if read is not None and _all_allowed(read, rule):
        return read
    # Text: the column's words, to parse or to quote the first bad one of.
    if values is None:
        values = table.column(position)
    texts = values.to_numpy(dtype=object)
    comma, grouped = _comma_forms(texts) if table.decimal_comma else (None, None)
    numbers = _to_floats(values, table.decimal_comma, comma)
    blank = texts == ""
    with np.errstate(invalid="ignore"):
        bad = ~blank & (~np.isfinite(numbers) | (numbers < rule.minimum) | (numbers > rule.maximum))
        if rule.whole:
            bad |= ~blank & np.isfinite(numbers) & (numbers != np.floor(numbers))
    if rule.required:
        bad |= blank
    if grouped is not None:
        bad |= grouped
    if bad.any():
        _raise_first(table, position, values, field_name, rule, np.flatnonzero(bad))
    return numbers


def distinct_numbers(
    texts: pd.Series, codes: np.ndarray, rule: NumberRule, decimal_comma: bool = False
) -> np.ndarray | None:
    """The numbers of a column of few distinct texts, each parsed once and spread by ``codes``
    (from ``pd.factorize``), when every one keeps the rule; else None, and the column is to be
    parsed whole (:func:`parse_numbers`), which names the first bad row.

    A text reads the same here as in its column: the number parser's choices depend on which
    texts a column holds, not on how often."""
    cells = texts.to_numpy(dtype=object)
    comma, grouped = _comma_forms(cells) if decimal_comma else (None, None)
    numbers = _to_floats(texts, decimal_comma, comma)
    blank = cells == ""
    if rule.required and blank.any():
        return None
    if grouped is not None and grouped.any():
        return None
    with np.errstate(invalid="ignore"):
        bad = ~blank & (~np.isfinite(numbers) | (numbers < rule.minimum) | (numbers > rule.maximum))
        if rule.whole:
            bad |= ~blank & np.isfinite(numbers) & (numbers != np.floor(numbers))
        bad |= (numbers == 0) & np.signbit(numbers)
    if bad.any():
        return None
    return numbers[codes]


def _all_allowed(numbers: np.ndarray, rule: NumberRule) -> bool:
    """Whether numbers the CSV parser read (NaN where blank) all keep the rule, and read as the
    text would: a zero written with a minus sign keeps it or not depending on the other cells
    when parsed from text, so such a column is parsed from its text."""
    blank = np.isnan(numbers)
    if rule.required and blank.any():
        return False
    with np.errstate(invalid="ignore"):
        bad = np.isinf(numbers) | (numbers < rule.minimum) | (numbers > rule.maximum)
        if rule.whole:
            bad |= ~blank & (numbers != np.floor(numbers))
        bad |= (numbers == 0) & np.signbit(numbers)
    return not bad.any()


def _raise_first(
    table: Table,
    position: int,
    values: pd.Series,
    field_name: str,
    rule: NumberRule,
    rows: np.ndarray,
) -> None:
    # The vectorized test and number_problem agree except on exotic spellings pandas and float()
    # read differently; take the first row number_problem also rejects, else the first row.
    chosen, reason = int(rows[0]), None
    for row in rows:
        reason = number_problem(str(values.iloc[int(row)]), rule, table.decimal_comma)
        if reason:
            chosen = int(row)
            break
    if reason is None:
        reason = f"'{values.iloc[chosen]}' is not a number capplan can read"
    more = len(rows) - 1
    suffix = f" (and {more} more row{'s' if more > 1 else ''} in this column)" if more else ""
    raise table.error(
        f"{field_name}: {reason}{suffix}",
        row_index=chosen,
        position=position,
        expected=rule.expected(),
    )
