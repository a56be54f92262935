"""The workbook framework of the Excel report: cells, columns, styles and sheets written with
XlsxWriter, text always kept text.

XlsxWriter keeps a light record per cell instead of a styled cell object, so a tenant of thousands
of environments stays quick. Text from input files goes through :func:`safe_cell_text` and is
always written as a string cell, never as a formula, whatever it starts with. The sheets of the
report are in :mod:`planner.report.xlsx`; nothing here knows about a plan.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import itertools
import math
import operator
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.format import Format
from xlsxwriter.utility import _utf16_len, _utf16_truncate, xl_col_to_name
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from planner.errors import FORMULA_TRIGGERS
from planner.model.memory import SCAN_BYTES
from planner.model.parallel import Beside, can_fork

GB_FORMAT = '#,##0.00 "GB"'
# A planning estimate rather than a measurement: still a number, shown with an approximation sign.
ESTIMATE_GB_FORMAT = '"≈ "#,##0.00 "GB"'
AXIS_GB_FORMAT = '#,##0 "GB"'
MONTH_FORMAT = "yyyy-mm"
DATE_FORMAT = "yyyy-mm-dd"
USD_FORMAT = '"$"#,##0.00'
WHOLE_FORMAT = "#,##0"
FRACTION_FORMAT = "#,##0.00"
SHARE_FORMAT = "0%"
# Differences from the baseline always carry their sign.
SIGNED_GB_FORMAT = '+#,##0.00 "GB";-#,##0.00 "GB";0.00 "GB"'
SIGNED_USD_FORMAT = '+"$"#,##0.00;-"$"#,##0.00;"$"0.00'
SIGNED_WHOLE_FORMAT = "+#,##0;-#,##0;0"

# Characters the xlsx format cannot hold: control characters but tab, line feed and carriage
# return.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# In the lines of a column joined by line feeds: a line that needs safe_cell_text.
_NEEDS_CARE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]|(?:^|\n)[=+\-@\t\r]")
_ILLEGAL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_TRIGGERS = "=+-@\t\r"
_TRIGGER_TUPLE = tuple(_TRIGGERS)
# A pattern that starts with a literal finds that literal first: fast (far faster than
# looking for each two-character text with "in", which goes through the text once for each).
_TRIGGER_AFTER_LINE_FEED = re.compile(r"\n[=+\-@\t\r]")


def has_illegal(text: str) -> bool:
    """Whether ``text`` holds a character that ``_ILLEGAL`` finds, without a pattern scan: in
    UTF-8 those characters are single bytes that no other character's bytes contain."""
    data = text.encode("utf-8", "surrogatepass")
    return len(data.translate(None, _ILLEGAL_BYTES)) != len(data)


def needs_care(joined: str) -> bool:
    """Whether ``_NEEDS_CARE`` finds anything in ``joined`` (lines of a column joined by line
    feeds), answered by a few scans in C."""
    return (
        joined.startswith(_TRIGGER_TUPLE)
        or _TRIGGER_AFTER_LINE_FEED.search(joined) is not None
        or has_illegal(joined)
    )


# What XlsxWriter takes for a cell reference in a chart's title or series name (Sheet!A1).
_LOOKS_LIKE_REFERENCE = re.compile(r"^=?[^!]+!\$?[A-Z]+\$?\d+")

# The workbook keeps every cell until it is closed (the charts' cached data and the merged
# pool titles need that); text is only ever text, never turned into a formula, URL or number.
# Cells sit at the top of their row by default (rows grow with wrapped text), so a plain text
# cell needs no format of its own, which keeps a large sheet quick to write.
WORKBOOK_OPTIONS: dict[str, Any] = {
    "constant_memory": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": True,
    "in_memory": True,
    "default_format_properties": {"font_name": "Calibri", "font_size": 11, "valign": "top"},
}

MIN_WIDTH = 8
MAX_WIDTH = 48
WRAP_WIDTH = 64
LINE_HEIGHT = 15  # points, the default row height of one line
MAX_URL_LENGTH = 255  # longer links stay plain text: older Excel versions refuse them

# Cell styles, as XlsxWriter format properties. Cells combine them; equal combinations share
# one format.
WRAPPED: Mapping[str, Any] = {"text_wrap": True}
HEADER: Mapping[str, Any] = {
    "bold": True,
    "bg_color": "#E9ECF1",
    "bottom": 2,  # medium
    "bottom_color": "#1A1A1A",
    "valign": "bottom",
}
BOLD: Mapping[str, Any] = {"bold": True}
CAPPLAN: Mapping[str, Any] = {"italic": True, "font_color": "#4A4A4A"}
SECTION: Mapping[str, Any] = {"bold": True, "font_size": 13}
LINK: Mapping[str, Any] = {"font_color": "#1D4ED8", "underline": 1}
# A pool's title over its plans' columns on the Comparison sheet.
POOL_TITLE: Mapping[str, Any] = {"bold": True, "bg_color": "#E9ECF1", "align": "center"}
# Keeps formula-like text a string when someone edits the cell and presses Enter.
QUOTED: Mapping[str, Any] = {"quote_prefix": True}


@dataclass(frozen=True)
class Formula:
    """A formula capplan wrote, with capplan's value as its stored result; strings are always
    stored as text."""

    text: str
    value: float | str


@dataclass(frozen=True)
class QuotedText:
    """Text that a spreadsheet would take for a formula once edited: written as a string cell
    with a quote prefix."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Estimate:
    """A number that is a planning estimate, not a measurement: written as a number (sums and
    formulas take it) in the column's estimate format, which marks it with "≈"."""

    value: float


@dataclass(frozen=True)
class Link:
    """A hyperlink cell showing ``text``; ``quoted``: the text would be taken for a formula once
    edited, and has a quote prefix (set by :func:`safe_cell_text`)."""

    url: str
    text: str
    quoted: bool = False


@dataclass(frozen=True)
class Column:
    header: str
    number_format: str | None = None
    # For Estimate values; they take ``number_format`` when this is not given.
    estimate_format: str | None = None
    wrap: bool = False  # long prose: a fixed width and wrapped lines instead of a huge column
    capplan: bool = False  # capplan's own value beside a formula column
    align: str | None = None  # horizontal alignment of the header and the values

    @property
    def alignment(self) -> str | None:
        """Months are centred, so they do not run into the text or number beside them."""
        if self.align is None and self.number_format == MONTH_FORMAT:
            return "center"
        return self.align


def safe_cell_text(value: Any) -> Any:
    """``value`` ready to go into a cell, where text can never become a formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, tab or CR comes back as :class:`QuotedText`,
    which is written as a string cell with a quote prefix (every text is written as a string,
    never as a formula; the prefix keeps it text when someone edits the cell). Characters the
    file format cannot hold are dropped. Anything else (numbers, dates, None) is returned
    unchanged.
    """
    if isinstance(value, Link):
        shown = _ILLEGAL.sub("", value.text)
        return Link(value.url, shown, shown.startswith(FORMULA_TRIGGERS))
    if not isinstance(value, str):
        return value
    text = _ILLEGAL.sub("", value)
    if text.startswith(FORMULA_TRIGGERS):
        return QuotedText(text)
    return text


# What a link to a local file may hold in its path: XlsxWriter takes "#" for the start of a
# place in the file, and a colon before the first separator makes a scheme of a folder name
# ("javascript:x/report.html").
_UNLINKABLE_PATH = re.compile(r"[#%\\]|^[^/]*:")


def file_link(path: str) -> Link | str:
    """A link to the local file at the relative ``path`` showing the path, or the path alone
    where a link could not say it exactly (see ``_UNLINKABLE_PATH``)."""
    if _UNLINKABLE_PATH.search(path) or _ILLEGAL.search(path):
        return path
    return Link(f"external:{path}", path)


def chart_text(text: str) -> str:
    """A chart title or name as literal text: XlsxWriter would read ``Sheet!A1`` as a cell
    reference, so a zero-width space after the ``!`` keeps it words."""
    text = _ILLEGAL.sub("", text)
    if _LOOKS_LIKE_REFERENCE.match(text):
        text = text.replace("!", "!\u200b")
    return text


def _text_length(text: str) -> int:
    if "\n" not in text:
        return len(text)
    return max((len(line) for line in text.splitlines()), default=0)


def display_length(value: Any, number_format: str | None) -> int:
    if value is None:
        return 0
    if isinstance(value, Formula):
        if isinstance(value.value, str):  # words, such as a status: as long as they are
            return _text_length(value.value)
        return 14  # a formatted GB total such as "1,234.00 GB"
    if isinstance(value, Estimate):
        return display_length(value.value, number_format) + 2  # "≈ "
    if isinstance(value, (dt.date, dt.datetime)):
        return 8
    if isinstance(value, bool):
        return 5
    if isinstance(value, (int, float)):
        suffix = 3 if number_format and "GB" in number_format else 0
        return len(f"{value:,.2f}") + suffix
    if isinstance(value, Link):
        return _text_length(value.text)
    return _text_length(str(value))


def _column_length(values: Sequence[Any], number_format: str | None) -> int:
    """The longest display length in a column: numbers by their extremes (the formatted length
    only grows with the magnitude), everything else one by one."""
    numbers = [v for v in values if type(v) is float or type(v) is int]
    longest = 0
    if numbers:
        longest = max(
            display_length(min(numbers), number_format),
            display_length(max(numbers), number_format),
        )
    for value in values:
        kind = type(value)
        if kind is str:
            length = _text_length(value)
        elif value is None or kind is float or kind is int:
            continue
        else:
            length = display_length(value, number_format)
        if length > longest:
            longest = length
    return longest


def _streamable(values: Sequence[Any]) -> bool:
    """Whether :meth:`SheetWriter.stream_table` writes a column of these values: all text, all
    dates, or all finite numbers (blanks anywhere)."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds <= {str} or kinds == {dt.date}:
        return True
    return kinds <= {float, int} and all(math.isfinite(v) for v in values if type(v) is float)


# What ends a text cut to fit a cell: the reader sees that it was cut, and where the rest is.
CUT_NOTE = " … [cut to fit the cell; the JSON report holds the whole text]"


def fit_cell(text: str, limit: int) -> str:
    """``text`` as a cell of ``limit`` UTF-16 units holds it: longer text cut (never inside a
    character beyond U+FFFF) and ended with ``CUT_NOTE``, rather than cut without a word as
    XlsxWriter would. Inputs longer than a cell are refused where they are read; this is
    what the writer makes of longer text it builds itself (a list of names, say)."""
    if len(text) <= limit // 2:
        return text
    units = _utf16_len(text)
    if units <= limit:
        return text
    room = max(limit - len(CUT_NOTE), 0)
    kept = text[:room] if units == len(text) else _utf16_truncate(text, room)
    return kept + CUT_NOTE if room else kept


def _style(cell_format: Format | None) -> str:
    """A cell's style attribute."""
    return "" if cell_format is None else f' s="{cell_format._get_xf_index()}"'


def _wrapped_lines(value: Any) -> int:
    if isinstance(value, QuotedText):
        value = value.text
    if not isinstance(value, str):
        return 1
    # About one character per unit of column width; a little slack for proportional fonts.
    per_line = WRAP_WIDTH - 6
    if len(value) <= per_line and "\n" not in value:
        return 1
    parts = value.splitlines()
    if len(parts) == 1:  # a long line: a sentence of a finding, say
        return max(1, math.ceil(len(parts[0]) / per_line))
    return sum(max(1, math.ceil(len(part) / per_line)) for part in parts or [""])


# What str.splitlines breaks a line at, but the line feed.
_OTHER_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


@dataclass(frozen=True)
class _Census:
    """What the distinct texts of a column hold, each answered by a scan in C of the texts
    joined by line feeds (so "_x" cannot span two of them)."""

    care: bool  # a text that needs_care finds: a formula trigger or an illegal character
    one_line_each: bool  # no text holds a line break
    escape: bool  # a text XlsxWriter escapes: "_x", a control character but tab and line feed
    marks: bool  # "&", "<" or ">"


# The first and the last character of a text (none of an empty one).
_FIRST, _LAST = operator.itemgetter(slice(None, 1)), operator.itemgetter(slice(-1, None))
# Bytes of UTF-8 text, each an ASCII character: a control character (below a space), and others
# the census looks for. No byte of a longer character is below 0x80.
_IS_ILLEGAL = np.zeros(0x20, dtype=bool)
_IS_ILLEGAL[list(_ILLEGAL_BYTES)] = True
_LINE_FEED, _CARRIAGE_RETURN, _UNDERSCORE, _SMALL_X = b"\n\r_x"


def _census(texts: Sequence[str]) -> _Census:
    """The :class:`_Census` of a column's texts: the texts joined by line feeds, their bytes
    counted a stretch at a time into one buffer (a comparison of every byte with a constant is
    quicker than a scan of the text for one of several characters, and a buffer used again
    costs no fresh memory: a Findings column of 165,000 messages is 49 MB)."""
    joined = "\n".join(texts)
    encoded = joined.encode("utf-8", "surrogatepass")
    data = np.frombuffer(encoded, dtype=np.uint8)
    below = feeds = 0
    escape_mark = False  # "_x", which XlsxWriter escapes
    seen = np.empty(min(len(data), _CENSUS_BYTES), dtype=bool)
    for start in range(0, len(data), _CENSUS_BYTES):
        stretch = data[start : start + _CENSUS_BYTES]
        flags = seen[: len(stretch)]
        below += int(np.count_nonzero(np.less(stretch, 0x20, out=flags)))
        feeds += int(np.count_nonzero(np.equal(stretch, _LINE_FEED, out=flags)))
        if not escape_mark:  # the byte after each "_", the next stretch's first included
            after = np.flatnonzero(np.equal(stretch, _UNDERSCORE, out=flags)) + (start + 1)
            escape_mark = bool((data[after[after < len(data)]] == _SMALL_X).any())
    if below == feeds:  # no control character but line feeds
        illegal = carriage = False
    else:
        found = data[data < 0x20]
        illegal = bool(_IS_ILLEGAL[found].any())
        carriage = bool((found == _CARRIAGE_RETURN).any())
    if carriage:
        breaks = True
    elif joined.isascii() and not illegal:
        # The other line breaks are illegal control characters or beyond ASCII.
        breaks = False
    else:
        breaks = any(character in joined for character in _OTHER_LINE_BREAKS)
    one_line_each = not breaks and feeds == len(texts) - 1
    if one_line_each:
        # Each text is a line of its own: a trigger after a line feed starts a text.
        firsts = "".join(map(_FIRST, texts))
        trigger = any(character in firsts for character in _TRIGGERS)
    else:
        trigger = (
            joined.startswith(_TRIGGER_TUPLE) or _TRIGGER_AFTER_LINE_FEED.search(joined) is not None
        )
    return _Census(
        care=illegal or trigger,
        one_line_each=one_line_each,
        # XlsxWriter's escapes change only text holding "_x", a control character but tab
        # and line feed, or U+FFFE/U+FFFF (none in ASCII text).
        escape=illegal
        or carriage
        or (not joined.isascii() and ("\ufffe" in joined or "\uffff" in joined))
        or escape_mark,
        marks="&" in joined or "<" in joined or ">" in joined,
    )


# Bytes of a column's joined texts the census compares at a time.
_CENSUS_BYTES = SCAN_BYTES


def _text_lines(texts: Sequence[str], one_line_each: bool) -> np.ndarray:
    """:func:`_wrapped_lines` of each text; texts without line breaks by their lengths alone."""
    if not one_line_each:
        return np.array(list(map(_wrapped_lines, texts)), dtype=np.int64)
    per_line = WRAP_WIDTH - 6
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    return np.maximum((lengths + per_line - 1) // per_line, 1)


def _words_lines(text: str, width: int) -> int:
    """How many lines ``text`` wraps onto, word by word, at ``width`` characters a line."""
    lines, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > width:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
    return lines


def letter(columns: Sequence[Column], header: str) -> str:
    """The column letter of a header, so formulas follow when columns move."""
    return xl_col_to_name([c.header for c in columns].index(header))


# zlib's level for the workbook's parts. XlsxWriter takes zlib's default (6), which spends a
# third of a large workbook's time compressing; level 2 does it three times as fast for a file
# about a quarter larger. Every reader inflates any level alike.
ZIP_LEVEL = 2
# The parts are deflated by ISA-L (the isal package) where it is installed: the same deflate
# format, made with vector instructions about four times as fast as zlib's level 2, and at its
# level 2 (of 0 to 3) a large workbook within 2% of zlib's size. Without it, zlib at ZIP_LEVEL.
ISAL_LEVEL = 2
try:
    from isal import isal_zlib
except ImportError:  # installed without its dependencies
    isal_zlib = None


def _deflater() -> Any:
    """A raw deflate stream for one part, as zipfile makes its own."""
    if isal_zlib is None:
        return zlib.compressobj(ZIP_LEVEL, zlib.DEFLATED, -15)
    return isal_zlib.compressobj(ISAL_LEVEL, isal_zlib.DEFLATED, -15)


# Where a streamed sheet's rows go in its XML until the workbook is packed: NUL never occurs in
# a part XlsxWriter writes (the xlsx format cannot hold it).
_ROWS_MARK = "\x00capplan-rows-{}\x00"
ROW_CHUNK = 4096  # rows made, encoded and deflated at a time
_SHEET_PARTS = "xl/worksheets/sheet"


class _QuickZipFile(zipfile.ZipFile):
    """A zip file whose parts are compressed at ``ZIP_LEVEL`` unless a level is given, and whose
    streamed sheets get their rows chunk by chunk as they are deflated (``streams``: the rows of
    each sheet by the mark left in its XML)."""

    def __init__(
        self,
        *args: Any,
        streams: Mapping[bytes, Callable[[], Iterable[str | bytes]]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.streams = dict(streams or {})

    def writestr(
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: bytes | str,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        level = ZIP_LEVEL if compresslevel is None else compresslevel
        name = getattr(zinfo_or_arcname, "filename", zinfo_or_arcname)
        if self.streams and isinstance(data, bytes) and str(name).startswith(_SHEET_PARTS):
            for mark, rows in self.streams.items():
                at = data.find(mark)
                if at >= 0:
                    self._write_streamed(
                        zinfo_or_arcname, (data[:at], rows, data[at + len(mark) :]), level
                    )
                    return
        super().writestr(zinfo_or_arcname, data, compress_type, level)

    def open(  # type: ignore[override]
        self,
        name: str | zipfile.ZipInfo,
        mode: str = "r",
        pwd: bytes | None = None,
        *,
        force_zip64: bool = False,
    ) -> Any:
        """A part as zipfile opens it; one written at capplan's level is deflated by
        :func:`_deflater` (zipfile takes zlib's, and offers no other)."""
        opened = super().open(name, mode, pwd, force_zip64=force_zip64)  # type: ignore[arg-type]
        if mode == "w" and isal_zlib is not None:
            zinfo = opened._zinfo
            level = getattr(zinfo, "compress_level", getattr(zinfo, "_compresslevel", None))
            if zinfo.compress_type == zipfile.ZIP_DEFLATED and level == ZIP_LEVEL:
                opened._compressor = _deflater()
        return opened

    def write(
        self,
        filename: str | os.PathLike[str],
        arcname: str | None = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        level = ZIP_LEVEL if compresslevel is None else compresslevel
        if self.streams and arcname and arcname.startswith(_SHEET_PARTS):
            # A sheet XlsxWriter left in a temporary file: read back, its rows put in.
            zinfo = zipfile.ZipInfo.from_file(filename, arcname)
            zinfo.compress_type = self.compression if compress_type is None else compress_type
            self.writestr(zinfo, Path(filename).read_bytes(), compress_type, level)
            return
        super().write(filename, arcname, compress_type, level)

    def _write_streamed(
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        parts: tuple[bytes, Callable[[], Iterable[str | bytes]], bytes],
        level: int,
    ) -> None:
        head, rows, tail = parts
        if isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo = zinfo_or_arcname
        else:
            zinfo = zipfile.ZipInfo(zinfo_or_arcname, (1980, 1, 1, 0, 0, 0))
            zinfo.compress_type = self.compression
        # What writestr sets: compress_level from Python 3.13, _compresslevel before it.
        if hasattr(zinfo, "compress_level"):
            zinfo.compress_level = level
        else:
            zinfo._compresslevel = level  # type: ignore[attr-defined]
        with self.open(zinfo, "w") as sink:
            sink.write(head)
            for chunk in rows():
                sink.write(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8"))
            sink.write(tail)


class QuickWorkbook(Workbook):
    """XlsxWriter's workbook, packed at ``ZIP_LEVEL``, with the rows of its streamed sheets made
    while they are packed. XlsxWriter offers no option for the level: while this workbook is
    stored, its module's zip file class is the one above (the same zip file in every other
    respect)."""

    def add_worksheet(self, name: str | None = None, worksheet_class: Any = None) -> Any:
        sheet = super().add_worksheet(name, worksheet_class)
        if isinstance(sheet, StreamedSheet) and isinstance(self.filename, str) and can_fork():
            sheet.beside_folder = Path(self.filename).parent
        return sheet

    def stop_rows_made_beside(self) -> None:
        """Stop the children still making a streamed sheet's rows (the workbook was not
        packed: a failure on the way), and drop their files."""
        for sheet in self.worksheets():
            if isinstance(sheet, StreamedSheet) and isinstance(sheet.streamed_rows, RowsMadeBeside):
                sheet.streamed_rows.close()

    def _store_workbook(self) -> None:
        module = xlsxwriter.workbook
        original = module.ZipFile
        streams = {
            _ROWS_MARK.format(sheet.index).encode("ascii"): sheet.streamed_rows
            for sheet in self.worksheets()
            if isinstance(sheet, StreamedSheet) and sheet.streamed_rows is not None
        }
        module.ZipFile = functools.partial(_QuickZipFile, streams=streams)  # type: ignore[misc]
        # The check sum of each part, by ISA-L's CRC-32 where it is installed: the same sum,
        # six times as fast (at 200,000 environments 30 ms of the workbook's 1.2 s to 5 ms).
        checksum = zipfile.crc32  # type: ignore[attr-defined]
        if isal_zlib is not None:
            zipfile.crc32 = isal_zlib.crc32  # type: ignore[attr-defined]
        try:
            super()._store_workbook()
        finally:
            module.ZipFile = original  # type: ignore[misc]
            zipfile.crc32 = checksum  # type: ignore[attr-defined]


def new_workbook(path: Path | str) -> QuickWorkbook:
    """An empty workbook that writes to ``path`` when closed, with text kept as text."""
    return QuickWorkbook(str(path), WORKBOOK_OPTIONS)


class Styles:
    """The formats of one workbook: one per distinct combination of properties."""

    def __init__(self, workbook: Workbook) -> None:
        self.workbook = workbook
        self._cells: dict[tuple[tuple[str, Any], ...], Format] = {}
        self._conditional: dict[tuple[tuple[str, Any], ...], Format] = {}

    def __call__(self, *parts: Mapping[str, Any] | None, **extra: Any) -> Format:
        return self._make(self._cells, parts, extra)

    def conditional(self, *parts: Mapping[str, Any] | None, **extra: Any) -> Format:
        """A format for conditional formatting (kept apart from the cell formats)."""
        return self._make(self._conditional, parts, extra)

    def _make(
        self,
        made: dict[tuple[tuple[str, Any], ...], Format],
        parts: Iterable[Mapping[str, Any] | None],
        extra: Mapping[str, Any],
    ) -> Format:
        properties: dict[str, Any] = {}
        for part in parts:
            if part:
                properties.update(part)
        properties.update(extra)
        key = tuple(sorted(properties.items()))
        found = made.get(key)
        if found is None:
            found = made[key] = self.workbook.add_format(properties)
        return found


@dataclass(frozen=True)
class _ColumnFormats:
    """The formats of one column of a table, by what a cell holds."""

    number_format: str | None  # for measuring: "quantity" is measured as a fraction
    text: Format | None  # None: the workbook's default
    quoted: Format
    number: Format | None
    fraction: Format | None  # "quantity" columns: whole numbers get ``number``, others this
    link: Format
    quoted_link: Format
    estimate: Format | None

    def all(self) -> tuple[Format | None, ...]:
        return (
            self.text,
            self.quoted,
            self.number,
            self.fraction,
            self.link,
            self.quoted_link,
            self.estimate,
        )

    def pick(self, value: Any) -> tuple[Any, Format | None]:
        """A cell's safe value and its format."""
        safe = safe_cell_text(value)
        if isinstance(safe, str):
            return safe, self.text
        if isinstance(safe, QuotedText):
            return safe, self.quoted
        if isinstance(safe, Link):
            return safe, self.quoted_link if safe.quoted else self.link
        if isinstance(safe, Estimate):
            return safe.value, self.estimate
        if (
            self.fraction is not None
            and isinstance(safe, (int, float))
            and not float(safe).is_integer()
        ):
            return safe, self.fraction
        return safe, self.number  # numbers, dates and formulas


# A streamed sheet of this many rows or more has them made by a child process from the moment
# the sheet is ready (RowsMadeBeside).
ROWS_MADE_BESIDE = 10_000
_READ_BACK = 1 << 20  # bytes of rows made beside read back at a time


class RowsMadeBeside:
    """A streamed sheet's rows made as XML by a forked child process into a temporary file in
    ``folder`` (the workbook's, unlinked at once: nothing is left of it after a kill), while
    this process makes the other sheets. Made while packing, after every sheet, the rows of
    the Consumption and Findings sheets held up the whole report (0.6 s at 200,000
    environments, a report 0.37 s quicker so); where both cores are busy anyway (the page and
    the JSON), it gains nothing, and costs the memory counted for a third process. Called when
    the workbook is packed, it waits for the child (whose failure is raised here) and gives
    the file's bytes, the same as ``rows()`` made here would be."""

    def __init__(self, rows: Callable[[], Iterable[str]], folder: Path) -> None:
        self._file = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 (closed by close())
        try:
            self._child: Beside | None = Beside(
                functools.partial(_write_rows, rows, self._file.fileno(), os.getpid())
            )
        except BaseException:
            self._file.close()
            raise

    def __call__(self) -> Iterator[bytes]:
        try:
            assert self._child is not None
            self._child.join()
            self._child = None
            self._file.seek(0)
            while chunk := self._file.read(_READ_BACK):
                yield chunk
        finally:
            self.close()

    def close(self) -> None:
        if self._child is not None:
            self._child.stop()
            self._child = None
        self._file.close()


def _write_rows(rows: Callable[[], Iterable[str]], descriptor: int, maker: int) -> None:
    """In the child: ``rows()`` into the open file ``descriptor``, UTF-8. It stops when the
    process that made it is gone (killed before it could stop the child)."""
    with open(descriptor, "wb", closefd=False) as sink:
        for chunk in rows():
            if os.getppid() != maker:
                raise RuntimeError("the workbook's process is gone")
            sink.write(chunk.encode("utf-8"))


class StreamedSheet(Worksheet):
    """A worksheet whose rows below the header are made as XML while the workbook is packed, a
    chunk at a time, and deflated straight into the file. XlsxWriter keeps a record per cell
    until it closes the workbook, and the sheet's whole XML in memory; for a sheet of tens of
    thousands of rows, rows made in bulk are far quicker, and made in chunks they take the
    same memory however many there are. The header and everything else of the sheet (widths,
    filter, frozen panes) go through XlsxWriter as usual."""

    def __init__(self) -> None:
        super().__init__()
        self.streamed_rows: Callable[[], Iterable[str | bytes]] | None = None
        self.header_rows = 0
        # Where a child process may make the rows beside the rest (see RowsMadeBeside): the
        # workbook's folder where the system can fork, else None.
        self.beside_folder: Path | None = None

    def stream(self, rows: Callable[[], Iterable[str]], count: int, last_column: int) -> None:
        """``rows()``: the ``<row>`` elements of sheet rows 2 to count + 1, in order, as chunks
        of XML text; called once, when the workbook is packed, or at once by a child process
        (``ROWS_MADE_BESIDE`` rows or more) while this one makes the other sheets."""
        self.header_rows = 1
        self.streamed_rows = rows
        if self.beside_folder is not None and count >= ROWS_MADE_BESIDE:
            self.streamed_rows = RowsMadeBeside(rows, self.beside_folder)
        self._check_dimensions(count, last_column)

    def _write_sheet_data(self) -> None:
        if self.streamed_rows is None:
            super()._write_sheet_data()
            return
        self._xml_start_tag("sheetData")
        # XlsxWriter writes the header row; the streamed rows follow it when the part is packed.
        last_row = self.dim_rowmax
        self.dim_rowmax = self.header_rows - 1
        try:
            self._write_rows()
        finally:
            self.dim_rowmax = last_row
        self.fh.write(_ROWS_MARK.format(self.index))
        self._xml_end_tag("sheetData")


@dataclass(frozen=True)
class CodedColumn:
    """One column of a streamed sheet's rows as a code per row into ``ends``: the distinct
    texts of its cells after their row number, from the quote that closes the reference on
    (``" s="3"><v>0.25</v></c>``); an empty end is no cell. Each distinct cell is made once,
    however many rows hold it."""

    codes: np.ndarray  # an index into ends for each row
    ends: Sequence[str]
    lines: np.ndarray | None = None  # a wrapped column: each row's height in lines


def factorized(values: Sequence[Any]) -> tuple[np.ndarray, list[Any]]:
    """A code per value, -1 for None, and the distinct values but None in the order they
    first come (values equal as keys of a dict are one)."""
    first = dict.fromkeys(values)
    first.pop(None, None)
    number: dict[Any, int] = dict(zip(first, range(len(first)), strict=True))
    number[None] = -1
    codes = np.fromiter(map(number.__getitem__, values), dtype=np.int64, count=len(values))
    return codes, list(first)


def _row_lines(columns: Sequence[CodedColumn]) -> np.ndarray | None:
    """Each row's height in lines, by its wrapped columns; None where every row is one line."""
    heights = [column.lines for column in columns if column.lines is not None]
    if not heights or max(int(lines.max(initial=1)) for lines in heights) <= 1:
        return None
    return functools.reduce(np.maximum, heights)


def _plain_ends(texts: Sequence[str], style: str) -> list[str]:
    """The ends of inline string cells of plain texts (nothing to pick, cut or escape)."""
    head, tail = f'"{style} t="inlineStr"><is><t>', "</t></is></c>"
    ends = [f"{head}{text}{tail}" for text in texts]
    # Text with a space at either end keeps it: the first and last characters, looked at once.
    edges = "".join(map(_FIRST, texts)) + "".join(map(_LAST, texts))
    if "".join(edges.split()) != edges:
        spaced = f'"{style} t="inlineStr"><is><t xml:space="preserve">'
        for index, text in enumerate(texts):
            if text[:1].isspace() or text[-1:].isspace():
                ends[index] = f"{spaced}{text}{tail}"
    return ends


_ROW_OPEN = '<row r="'
# Rows are joined in groups of one pattern of blank cells, up to this many patterns in a chunk
# (beyond, each row leaves out its blanks itself), over the first columns with blanks.
_MOST_PATTERNS = 64
_PATTERN_BITS = 62


def object_array(values: Sequence[Any]) -> np.ndarray:
    """``values`` as a one-dimensional array of objects."""
    made = np.empty(len(values), dtype=object)
    made[:] = values
    return made


@functools.lru_cache(maxsize=64)
def _row_attributes(lines: int) -> str:
    """What closes a row's opening tag after its number: its height where it is taller than a
    line."""
    return f'" ht="{LINE_HEIGHT * lines}" customHeight="1">' if lines > 1 else '">'


def chunked_rows(
    count: int, columns: Sequence[CodedColumn], heights: np.ndarray | None
) -> Callable[[], Iterator[str]]:
    """The rows of a streamed sheet from 2 to ``count + 1``, a chunk of ``ROW_CHUNK`` at a time,
    from its columns A, B, ... in order; ``heights`` in lines where a row is taller than one.

    A row is its pieces joined by its number, the one text that differs from row to row: the
    piece between two cells is the end of one and the opening of the next up to the row number
    (``"><v>0.25</v></c><c r="D``), so it is made once for each distinct end and next column.
    The next column is the next one with a cell in that row, and a blank cell has no piece."""
    width = len(columns)
    # What follows a cell's end: the opening of the next cell up to its row number, or the end
    # of the row.
    openings = [f'<c r="{xl_col_to_name(index)}' for index in range(width)] + ["</row>"]
    # Columns may share their ends (one list for several columns of numbers): arrays made once.
    arrays: dict[int, np.ndarray] = {}
    for column in columns:
        if id(column.ends) not in arrays:
            arrays[id(column.ends)] = object_array(column.ends)
    ends = [arrays[id(column.ends)] for column in columns]
    empty = [distinct == "" for distinct in ends]
    # A row's piece after its number, by its first column with a cell (all rows one line high).
    starts = object_array(['">' + opening for opening in openings])
    # The pieces of a column of few distinct cells, by the next column: made once for all chunks.
    made: dict[tuple[int, int], np.ndarray] = {}

    def pieces(index: int, codes: np.ndarray, after: np.ndarray) -> np.ndarray:
        """The pieces that end this column's cells of a chunk, by the next column with a cell
        (``after``, one per row)."""
        following = np.flatnonzero(np.bincount(after, minlength=width + 1))
        if len(following) == 1:
            return _ends_then(index, codes, int(following[0]))
        out = np.empty(len(codes), dtype=object)
        for column in following.tolist():
            rows = after == column
            out[rows] = _ends_then(index, codes[rows], column)
        return out

    def _ends_then(index: int, codes: np.ndarray, column: int) -> np.ndarray:
        distinct = ends[index]
        if len(distinct) > len(codes):  # mostly distinct cells: each row's own
            return distinct[codes] + openings[column]
        table = made.get((index, column))
        if table is None:
            table = made[(index, column)] = distinct + openings[column]
        return table[codes]

    def rows() -> Iterator[str]:
        for start in range(0, count, ROW_CHUNK):
            stop = min(start + ROW_CHUNK, count)
            size = stop - start
            after = np.full(size, width)  # each row's next column with a cell
            parts: list[np.ndarray] = []
            # The pattern of blank cells of each row: a bit for each column with any blank.
            pattern = np.zeros(size, dtype=np.int64)
            gaps: list[int] = []
            for index in range(width - 1, -1, -1):
                codes = columns[index].codes[start:stop]
                blank = empty[index][codes]
                if blank.any():
                    cells = np.full(size, "", dtype=object)
                    filled = ~blank
                    cells[filled] = pieces(index, codes[filled], after[filled])
                    after = np.where(blank, after, index)
                    if len(gaps) < _PATTERN_BITS:
                        pattern |= blank.astype(np.int64) << len(gaps)
                    gaps.append(index)
                else:
                    cells = pieces(index, codes, after)
                    after = np.full(size, index)
                parts.append(cells)
            parts.reverse()
            if heights is None:
                first = starts[after]
            else:
                first = object_array(
                    list(
                        map(
                            str.__add__,
                            map(_row_attributes, heights[start:stop].tolist()),
                            map(openings.__getitem__, after.tolist()),
                        )
                    )
                )
            numbers = list(map(str, range(start + 2, stop + 2)))
            if not gaps:
                made = zip(itertools.repeat(_ROW_OPEN), first.tolist(), *map(list, parts))
                yield "".join(map(str.join, numbers, made))
                continue
            patterns, group = np.unique(pattern, return_inverse=True)
            if len(gaps) > _PATTERN_BITS or len(patterns) > _MOST_PATTERNS:
                # The pieces of blank cells are empty: left out of each row.
                made_rows = map(
                    filter,
                    itertools.repeat(None),
                    zip(itertools.repeat(_ROW_OPEN), first.tolist(), *map(list, parts)),
                )
                yield "".join(map(str.join, numbers, made_rows))
                continue
            # Rows of one pattern have cells in the same columns: joined without the blanks.
            made = np.empty(size, dtype=object)
            numbered = object_array(numbers)
            for position, blanks in enumerate(patterns.tolist()):
                rows = np.flatnonzero(group == position)
                lacking = {column for bit, column in enumerate(gaps) if blanks >> bit & 1}
                filled = [
                    part[rows].tolist()
                    for column, part in enumerate(parts)
                    if column not in lacking
                ]
                made[rows] = list(
                    map(
                        str.join,
                        numbered[rows].tolist(),
                        zip(itertools.repeat(_ROW_OPEN), first[rows].tolist(), *filled),
                    )
                )
            yield "".join(made.tolist())

    return rows


class SheetWriter:
    """Writes tables onto one sheet and remembers how wide each column has to be.

    Rows and columns count from 1, as in the A1 references of the formulas.
    """

    def __init__(self, ws: Worksheet, styles: Styles) -> None:
        self.ws = ws
        self.styles = styles
        self.widths: dict[int, int] = {}
        self.wrapped: set[int] = set()
        # Header rows of tables that do not set the widths: their words wrap to fit.
        self.fitted_headers: list[tuple[int, list[str]]] = []

    @property
    def name(self) -> str:
        return str(self.ws.name)

    def measure(self, column: int, length: int) -> None:
        self.widths[column] = max(self.widths.get(column, 0), length)

    def put(
        self,
        row: int,
        column: int,
        value: Any,
        number_format: str | None = None,
        *styles: Mapping[str, Any] | None,
    ) -> None:
        """Write one cell; text passes :func:`safe_cell_text` and is always a string cell."""
        safe = safe_cell_text(value)
        extra: dict[str, Any] = {}
        # Formulas, numbers and dates get the number format; text (a word like "unknown")
        # needs none.
        if number_format and not isinstance(safe, (str, QuotedText, Link)):
            extra["num_format"] = number_format
        if isinstance(safe, QuotedText) or (isinstance(safe, Link) and safe.quoted):
            extra.update(QUOTED)
        cell_format = self.styles(*styles, **extra) if extra or any(styles) else None
        self._write(row - 1, column - 1, safe, cell_format)

    def _write_text(self, row: int, column: int, text: str, cell_format: Format | None) -> None:
        """A string cell. XlsxWriter copies text that begins with ``<r>`` and ends with ``</r>``
        into the file as rich-text XML unescaped; such text (an environment's name, say) is
        written as three plain runs instead (XlsxWriter's least), which show the same
        characters."""
        if text.startswith("<r>") and text.endswith("</r>"):
            runs = (
                text[:1],
                text[1:2],
                text[2:],
                *((cell_format,) if cell_format is not None else ()),
            )
            self.ws.write_rich_string(row, column, *runs)
        else:
            self.ws.write_string(row, column, fit_cell(text, self.ws.xls_strmax), cell_format)

    def _write(self, row: int, column: int, value: Any, cell_format: Format | None) -> None:
        """One safe value at a 0-based position."""
        ws = self.ws
        if value is None:
            if cell_format is not None:
                ws.write_blank(row, column, None, cell_format)
        elif isinstance(value, str):
            self._write_text(row, column, value, cell_format)
        elif isinstance(value, QuotedText):
            self._write_text(row, column, value.text, cell_format)
        elif isinstance(value, Formula):
            ws.write_formula(row, column, value.text, cell_format, value.value)
        elif isinstance(value, Link):
            if len(value.url) > MAX_URL_LENGTH or _ILLEGAL.search(value.url):
                self._write(row, column, safe_cell_text(value.text), cell_format)
            else:
                ws.write_url(row, column, value.url, cell_format, value.text)
        elif isinstance(value, bool):
            ws.write_boolean(row, column, value, cell_format)
        elif isinstance(value, (int, float)):
            ws.write_number(row, column, value, cell_format)
        elif isinstance(value, (dt.date, dt.datetime)):
            ws.write_datetime(row, column, value, cell_format)
        else:
            raise TypeError(f"no cell for {type(value).__name__}")

    def _formats(self, column: Column) -> _ColumnFormats:
        base = dict(WRAPPED if column.wrap else {})
        if column.capplan:
            base.update(CAPPLAN)
        if column.alignment:
            base["align"] = column.alignment
        text = self.styles(base) if base else None
        number_format = column.number_format
        if number_format == "quantity":
            number = self.styles(base, num_format=WHOLE_FORMAT)
            fraction: Format | None = self.styles(base, num_format=FRACTION_FORMAT)
        else:
            number = self.styles(base, num_format=number_format) if number_format else text
            fraction = None
        return _ColumnFormats(
            number_format=FRACTION_FORMAT if number_format == "quantity" else number_format,
            text=text,
            quoted=self.styles(base, QUOTED),
            number=number,
            fraction=fraction,
            link=self.styles(base, LINK),
            quoted_link=self.styles(base, LINK, QUOTED),
            estimate=self.styles(base, num_format=column.estimate_format)
            if column.estimate_format
            else number,
        )

    def header(self, row: int, columns: Sequence[Column], *, measure: bool = True) -> None:
        """The header row; with ``measure=False`` the columns keep the widths the sheet's main
        table gives them and a longer header wraps onto more lines."""
        for index, column in enumerate(columns, start=1):
            align = {"align": column.alignment} if column.alignment else None
            self.put(row, index, column.header, None, HEADER, align, None if measure else WRAPPED)
            if measure:
                self.measure(index, min(len(column.header), MAX_WIDTH))
        if not measure:
            self.fitted_headers.append((row, [column.header for column in columns]))

    def table(
        self,
        columns: Sequence[Column],
        rows: Iterable[Sequence[Any]],
        start_row: int = 1,
        *,
        autofilter: bool = True,
        measure: bool = True,
    ) -> int:
        """Header and rows from ``start_row``; returns the last row written.

        ``measure=False`` for a second, smaller table on a sheet: the main table sets the widths.
        """
        self.header(start_row, columns, measure=measure)
        rows = list(rows)
        width = len(columns)
        for number, values in enumerate(rows, start=start_row + 1):
            if len(values) != width:
                raise ValueError(f"row {number} has {len(values)} cells for {width} columns")
        # Column by column: the cells of a column are mostly of one kind, which a whole column
        # can be checked for at once.
        cells = list(zip(*rows, strict=True)) if rows else [()] * width
        heights: list[int] = [1] * len(rows)
        for index, (column, values) in enumerate(zip(columns, cells, strict=True)):
            length = self._column(index, start_row, values, self._formats(column))
            if column.wrap:
                self.wrapped.add(index + 1)
                heights = [max(h, _wrapped_lines(v)) for h, v in zip(heights, values, strict=True)]
            elif measure:
                self.measure(index + 1, length)
        for row, lines in enumerate(heights, start=start_row):
            if lines > 1:
                # Spreadsheets do not all grow a row to its wrapped text when they open a file.
                self.ws.set_row(row, LINE_HEIGHT * lines)
        last_row = start_row + len(rows)
        if autofilter:
            self.ws.autofilter(start_row - 1, 0, last_row - 1, width - 1)
        return last_row

    def stream_table(self, columns: Sequence[Column], rows: Sequence[Sequence[Any]]) -> int:
        """:meth:`table` from the sheet's first row, its rows made as XML in bulk and streamed
        into a :class:`StreamedSheet` when the workbook is packed (text repeated through a
        column as shared strings, other text inline): the same cells, formats, widths and row
        heights. For columns of text, dates or numbers; any other table, or a sheet that cannot
        stream, goes through :meth:`table`. Returns the last row written."""
        rows = list(rows)
        width = len(columns)
        for number, values in enumerate(rows, start=2):
            if len(values) != width:
                raise ValueError(f"row {number} has {len(values)} cells for {width} columns")
        cells = list(zip(*rows, strict=True)) if rows else [()] * width
        return self.stream_columns(columns, cells)

    def stream_columns(self, columns: Sequence[Column], cells: Sequence[Sequence[Any]]) -> int:
        """:meth:`stream_table` of a table given column by column: ``cells`` holds each
        column's values, top to bottom."""
        if len(cells) != len(columns):
            raise ValueError(f"{len(cells)} columns of values for {len(columns)} columns")
        count = len(cells[0]) if cells else 0
        for index, values in enumerate(cells):
            if len(values) != count:
                raise ValueError(f"column {index + 1} has {len(values)} cells for {count} rows")
        if (
            not count
            or not isinstance(self.ws, StreamedSheet)
            or not all(_streamable(values) for values in cells)
        ):
            return self.table(columns, list(zip(*cells, strict=True)))
        self.header(1, columns)
        width = len(columns)
        coded = [
            self.coded_column(index, *factorized(values), column)
            for index, (column, values) in enumerate(zip(columns, cells, strict=True))
        ]
        self.ws.stream(chunked_rows(count, coded, _row_lines(coded)), count, width - 1)
        last_row = count + 1
        self.ws.autofilter(0, 0, last_row - 1, width - 1)
        return last_row

    def coded_column(
        self, index: int, codes: np.ndarray, distinct: Sequence[Any], column: Column
    ) -> CodedColumn:
        """The streamed cells of column ``index`` (from 0) whose rows hold ``distinct[code]``
        (no cell where the code is negative), made once per distinct value as
        :meth:`stream_table` makes them; measures the column as :meth:`table` does (a wrapped
        column: its rows' heights in lines). ``distinct`` holds no value twice: all text, all
        dates or all finite numbers."""
        formats = self._formats(column)
        codes = np.asarray(codes, dtype=np.int64)
        present = codes[codes >= 0]
        times = np.bincount(present, minlength=len(distinct))
        if not times.all():  # values no row holds: neither measured nor made
            kept = np.flatnonzero(times)
            renumbered = np.full(len(distinct) + 1, -1, dtype=np.int64)
            renumbered[kept] = np.arange(len(kept))
            codes = renumbered[codes]  # -1 stays -1: the last
            distinct = [distinct[code] for code in kept.tolist()]
            times = times[kept]
        # Every format the column may use gets its index now: the cells are made after the
        # workbook's styles are written.
        for cell_format in formats.all():
            _style(cell_format)
        lines: np.ndarray | None = None
        if set(map(type, distinct)) <= {str}:
            census = _census(distinct)
            if census.care:
                length = _column_length(distinct, formats.number_format)
            elif census.one_line_each:
                length = max(map(len, distinct), default=0)
            else:
                length = max(map(len, "\n".join(distinct).splitlines()), default=0)
            ends = self._text_ends(distinct, codes, times, formats, census)
            if column.wrap:
                lines = _text_lines(distinct, census.one_line_each)
        else:  # dates or numbers
            length = _column_length(distinct, formats.number_format)
            ends = []
            for value in distinct:
                safe, cell_format = formats.pick(value)
                number = self.ws._convert_date_time(safe) if isinstance(safe, dt.date) else safe
                ends.append(f'"{_style(cell_format)}><v>{number:.16G}</v></c>')
        ends.append("")  # no cell: the code -1
        if column.wrap:
            self.wrapped.add(index + 1)
            # One line where there is no cell (the code -1 picks the last).
            lines = np.append(np.ones(len(distinct), np.int64) if lines is None else lines, 1)
            lines = lines[codes]
        else:
            self.measure(index + 1, length)
        return CodedColumn(np.where(codes < 0, len(ends) - 1, codes), ends, lines)

    def _text_ends(
        self,
        distinct: Sequence[str],
        codes: np.ndarray,
        times: np.ndarray,
        formats: _ColumnFormats,
        census: _Census,
    ) -> list[str]:
        """The end of each distinct text's cell (what follows its row number): a shared string
        where the column repeats its values, else an inline string, escaped and spaced as
        XlsxWriter writes it. ``times``: how many cells hold each."""
        plain = _style(formats.text)
        care, escape, marks = census.care, census.escape, census.marks
        limit = self.ws.xls_strmax  # XlsxWriter cuts longer text to what a cell holds
        long = max(map(len, distinct), default=0) > limit // 2
        shared = len(distinct) * 4 <= int(times.sum())
        if not shared and not care and not escape and not marks and not long:
            # The usual column of plain text: nothing to pick, cut or escape.
            return _plain_ends(distinct, plain)
        strings = self.ws.str_table

        def made(value: str) -> str:
            if care:
                safe, cell_format = formats.pick(value)
                style = _style(cell_format)
                text = safe.text if isinstance(safe, QuotedText) else safe
            else:
                style, text = plain, value
            if long:
                text = fit_cell(text, limit)
            if shared and text:
                # XlsxWriter escapes the shared strings when it writes them.
                return f'"{style} t="s"><v>{strings._get_shared_string_index(text)}</v></c>'
            if escape:
                text = Worksheet._escape_control_characters(text)
            # _preserve_whitespace's test (\s at either end) without two pattern scans.
            spaced = text[:1].isspace() or text[-1:].isspace()
            preserve = ' xml:space="preserve"' if spaced else ""
            if marks:
                text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            return f'"{style} t="inlineStr"><is><t{preserve}>{text}</t></is></c>'

        if not shared:
            return list(map(made, distinct))
        # Shared strings are numbered as the cells first use them, top to bottom.
        ends = [""] * len(distinct)
        for code in pd.unique(codes[codes >= 0]).tolist():
            end = ends[code] = made(distinct[code])
            if ' t="s">' in end:
                # Each cell counts once in the table's total, as XlsxWriter counts it.
                strings.count += int(times[code]) - 1
        return ends

    def _column(
        self, index: int, first_row: int, values: Sequence[Any], formats: _ColumnFormats
    ) -> int:
        """Write one column's values from 0-based row ``first_row`` down; returns the longest
        display length among them."""
        ws = self.ws
        kinds = set(map(type, values))
        kinds.discard(type(None))
        if kinds == {str}:
            strings = [v for v in values if v is not None]
            joined = "\n".join(strings)
            if not needs_care(joined):
                write_string, text = ws.write_string, formats.text
                limit = ws.xls_strmax
                if max(map(len, strings)) > limit // 2:
                    values = [v if v is None else fit_cell(v, limit) for v in values]
                for row, value in enumerate(values, start=first_row):
                    if value is not None:
                        write_string(row, index, value, text)
                return max(map(len, joined.splitlines()), default=0)
        elif kinds and kinds <= {float, int} and formats.fraction is None:
            write_number, number = ws.write_number, formats.number
            numbers = []
            for row, value in enumerate(values, start=first_row):
                if value is not None:
                    write_number(row, index, value, number)
                    numbers.append(value)
            return max(
                display_length(min(numbers), formats.number_format),
                display_length(max(numbers), formats.number_format),
            )
        # Anything else cell by cell.
        for row, value in enumerate(values, start=first_row):
            if value is not None:
                self._write(row, index, *formats.pick(value))
        return _column_length(values, formats.number_format)

    def colour_words(self, cells: str, styles: Mapping[str, tuple[str, str]]) -> None:
        """Conditional formats keyed on the cell's word, so they follow edits and
        recalculation."""
        for word, (ground, ink) in styles.items():
            self.ws.conditional_format(
                cells,
                {
                    "type": "cell",
                    "criteria": "equal to",
                    "value": f'"{word}"',
                    "format": self.styles.conditional(
                        bold=True, bg_color=f"#{ground}", font_color=f"#{ink}"
                    ),
                },
            )

    def colour_prefix(self, cells: str, prefix: str, style: tuple[str, str]) -> None:
        """A conditional format for cells whose text begins with ``prefix``."""
        ground, ink = style
        self.ws.conditional_format(
            cells,
            {
                "type": "text",
                "criteria": "begins with",
                "value": prefix,
                "format": self.styles.conditional(
                    bold=True, bg_color=f"#{ground}", font_color=f"#{ink}"
                ),
            },
        )

    def finish(self, *, freeze: str | None = "A2") -> None:
        widths: dict[int, int] = {}
        for column, length in self.widths.items():
            width = (
                WRAP_WIDTH if column in self.wrapped else min(max(length + 2, MIN_WIDTH), MAX_WIDTH)
            )
            widths[column] = width
            self.ws.set_column(column - 1, column - 1, width)
        for row, headers in self.fitted_headers:
            lines = max(
                _words_lines(header, widths.get(index, MIN_WIDTH) - 1)
                for index, header in enumerate(headers, start=1)
            )
            if lines > 1:
                self.ws.set_row(row - 1, LINE_HEIGHT * lines)
        if freeze:
            self.ws.freeze_panes(freeze)
            self.ws.repeat_rows(0)
        self.ws.set_landscape()
        self.ws.set_paper(9)  # A4
        # Fit the width of a sheet to the page; let it run over as many pages as it needs.
        self.ws.fit_to_pages(1, 0)


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector: a large sheet is hundreds of thousands of small cell
    records, none of them in a cycle, and repeated collections would only scan them again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
