"""XLSX workbooks: refuse hostile archives before any XML parser sees them, then read one sheet.

An XLSX file is a zip archive of XML parts. Before openpyxl opens it, every part is streamed
once to check that the archive is intact, that it does not inflate to more than a sane size
(a "zip bomb"), that no part, whatever its name, declares a document type or entities (the
way entity expansion attacks start; Excel never writes either), and that no tag, comment or
run of text in it is longer than the longest cell needs (a parser would hold it whole).
openpyxl parses with defusedxml as a second line of defence.

Sheets are read sparsely: only the cells a row actually holds, only up to the header's last
column, and only rows that exist. A sheet's declared size is checked before reading, so one cell
at XFD1048576 costs one cell, not a grid of seventeen billion. The text read (the shared strings,
and each cell read) is counted as it is read, against a budget that grows with the file's size:
text compresses so well that a small file can hold far more of it than any export does. So are
the XML tags of the whole workbook and the cells of a sheet (see WORKBOOK_TAGS_ALLOWED).
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import datetime as _dt
import functools
import io
import math
import os
import pickle
import re
import signal
import tempfile
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import chain, compress, pairwise, repeat
from operator import is_not, itemgetter
from typing import Any

import numpy as np

from planner.errors import InputError, printable
from planner.ingest.source import RawFile
from planner.ingest.table import (
    TRIMMED,
    NumberColumns,
    Table,
    column_letter,
    table_from_grid,
    table_from_rows,
    trim,
)
from planner.model.limits import (
    LONGEST_TEXT,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_ROWS,
    WORKBOOK_TEXT_ALLOWED,
    WORKBOOK_TEXT_PER_BYTE,
    held_bytes,
    too_long_for_a_cell,
)
from planner.model.parallel import Beside, can_fork

MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
# XML tags (each '<') in all the parts of a workbook, and cells in a sheet: so many and a few more
# for each byte of the file. Each costs the checks and the readers some time, however little
# it holds, and a few bytes of XML repeated compress to almost nothing: a file of 0.7 MB held
# ten million empty cells. Exports hold about two thirds of a tag and a quarter of a cell per
# byte of the file (a workbook of 50,000 environments: 3.5 MB, 2.3 million tags, 800,000 cells).
WORKBOOK_TAGS_ALLOWED = 4_000_000
WORKBOOK_TAGS_PER_BYTE = 2
SHEET_CELLS_ALLOWED = 1_000_000
SHEET_BYTES_PER_CELL = 2  # one more cell for every this many bytes of the file
MAX_MEMBERS = 10_000
# Spreadsheet XML compresses well, but not a thousand to one over a megabyte.
MAX_RATIO = 1000
RATIO_CHECKED_FROM = 1024 * 1024
EXCEL_ROWS = 1_048_576  # Excel's own limits
EXCEL_COLUMNS = 16_384
# A used range declared larger than this is refused before reading: 250,000 rows (the most a
# table may hold) by 200 columns.
MAX_DECLARED_CELLS = 50_000_000
HEADER_SEARCH_ROWS = 20  # how far down a sheet a header row may start (title rows above it)

_FORBIDDEN = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)
_OVERLAP = max(len(marker) for marker in _FORBIDDEN)
assert all(b"!" in marker for marker in _FORBIDDEN)  # see _stream_member
_SAVE_AS = "the sheet saved from Excel as .xlsx (Excel Workbook)"

# Elements the reader holds whole before it reads a cell (openpyxl loads the shared strings and
# the styles at once), counted in every part as it is inflated: a small file of a million
# empty styles or strings would otherwise take tens of seconds and gigabytes.
# Two patterns, twice as fast as one with an optional prefix: a tag without a namespace prefix,
# and the end of one with a prefix (which the first does not match).
_COUNTED_NAMES = tuple(b"si c r xf font fill border dxf numFmt cellStyle sheet".split())
_TAGS = b"(" + b"|".join(_COUNTED_NAMES) + rb")[\s/>]"
_COUNTED = (re.compile(b"<" + _TAGS), re.compile(b":" + _TAGS))
_COUNTED_OVERLAP = 16  # longer than any counted tag
# What may end a counted tag's name (the pattern's [\s/>]), as a table of the 256 bytes.
_NAME_ENDS = np.zeros(256, dtype=bool)
_NAME_ENDS[list(b" \t\n\r\f\v/>")] = True
# The counted names of one or two letters, found by whole-array operations (see _tag_counts),
# and the first letters of the longer ones, each looked at by the pattern where it is.
_SHORT_NAMES = tuple(name for name in _COUNTED_NAMES if len(name) <= 2)
_LONGER_FIRSTS = np.array(sorted({name[0] for name in _COUNTED_NAMES if len(name) > 2}))
# Tags looked at one by one in a stretch, at most: past this, the pattern finds them all at once.
_LOOKED_AT_MOST = 2_000
# Excel's own limit is 64,000 cell formats; fonts, fills and borders are fewer.
MAX_STYLE_RECORDS = 200_000
# Each shared string is used by a cell (writers keep only those); a little room for others.
SHARED_STRINGS_BEYOND_CELLS = 1_000
# Runs of rich text (formatted parts of a cell's text): exports have few or none.
MAX_TEXT_RUNS = 1_000_000
# Sheets of a workbook: each is opened and its first rows looked at, some 25 KB apiece.
MAX_SHEETS = 1_000
# Tags (opening, closing or empty) within one record: a row of a sheet, or a string of the shared
# strings table. The reader holds a record's elements until it ends, some hundreds of bytes
# each: 400,000 empty tags in one cell took 95 MB from a file of 3 KB, and a million runs of
# text in one shared string 533 MB from 30 KB. Excel's widest row, 16,384 cells of inline text,
# has about 100,000.
MAX_RECORD_TAGS = 200_000
# The start of a record, with or without a namespace prefix: '<row' or '<x:row', '<si', then a
# space, '>' or '/' (not '<rowBreaks' and the like).
_RECORD_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,31}:)?(row|si)[\s/>]")
_RECORD_TAG_LONGEST = 38
# Everything up to the last record tag (the lookahead: that tag), matched from the end back.
_LAST_RECORD = re.compile(rb"(?s:.*)(?=" + _RECORD_TAG.pattern + rb")")
# What ends the records of a part: the end of the sheet data, or of the shared strings table.
_RECORDS_END = (b"sheetData>", b"sst>")
_RECORD_WORDS = {
    b"row": f"a row holds more than {MAX_RECORD_TAGS:,} XML tags, far more than a row of "
    f"{EXCEL_COLUMNS:,} cells needs",
    b"si": f"a shared string holds more than {MAX_RECORD_TAGS:,} XML tags, far more than the "
    "text of a cell needs",
}


def tags_allowed(raw: RawFile) -> int:
    """The most XML tags a workbook of this size may hold in all its parts."""
    return WORKBOOK_TAGS_ALLOWED + WORKBOOK_TAGS_PER_BYTE * len(raw.data)


def cells_allowed(raw: RawFile) -> int:
    """The most cells a sheet of a workbook of this size may hold (MAX_CELLS at most)."""
    return min(MAX_CELLS, SHEET_CELLS_ALLOWED + len(raw.data) // SHEET_BYTES_PER_CELL)


def _damaged(raw: RawFile, detail: str) -> InputError:
    return InputError(
        f"the workbook is damaged or truncated ({detail})",
        file=raw.name,
        expected=_SAVE_AS,
    )


def guard_archive(raw: RawFile) -> None:
    """Raise InputError unless the zip is an intact, modest, entity-free XLSX package."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw.data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as error:
        raise _damaged(raw, str(error) or type(error).__name__) from None
    with archive:
        members = archive.infolist()
        names = {info.filename for info in members}
        if "xl/workbook.xml" not in names:
            what = (
                "an OpenDocument spreadsheet"
                if "content.xml" in names
                else "a Word or PowerPoint document"
                if {"word/document.xml", "ppt/presentation.xml"} & names
                else "a zip archive"
            )
            raise InputError(
                f"this is {what}, not an Excel workbook", file=raw.name, expected=_SAVE_AS
            )
        if len(members) > MAX_MEMBERS:
            raise InputError(
                f"the workbook has {len(members):,} parts, far more than a spreadsheet needs",
                file=raw.name,
                expected=_SAVE_AS,
            )
        declared = sum(info.file_size for info in members)
        if declared > MAX_UNCOMPRESSED_BYTES:
            raise _too_large(raw, declared)
        for info in members:
            if info.file_size > RATIO_CHECKED_FROM and (
                info.compress_size == 0 or info.file_size / info.compress_size > MAX_RATIO
            ):
                raise InputError(
                    f"part {info.filename} inflates {info.file_size:,} bytes from "
                    f"{info.compress_size:,}: refused as a possible zip bomb",
                    file=raw.name,
                    expected=_SAVE_AS,
                )
        total = 0
        counts: Counter[bytes] = Counter()
        for info in members:
            total = _stream_member(raw, archive, info, total, counts)
        _check_counts(raw, counts)


def _check_counts(raw: RawFile, counts: Counter[bytes]) -> None:
    """Refuse a workbook whose styles, shared strings or rich-text runs are far more than its
    cells could use (see ``_COUNTED``)."""
    styles = sum(
        counts[tag] for tag in (b"xf", b"font", b"fill", b"border", b"dxf", b"numFmt", b"cellStyle")
    )
    if styles > MAX_STYLE_RECORDS:
        raise InputError(
            f"the workbook declares {styles:,} cell styles, far more than Excel allows",
            file=raw.name,
            expected=_SAVE_AS,
        )
    if counts[b"si"] > counts[b"c"] + SHARED_STRINGS_BEYOND_CELLS:
        raise InputError(
            f"the workbook's shared strings table holds {counts[b'si']:,} strings for "
            f"{counts[b'c']:,} cells",
            file=raw.name,
            expected=_SAVE_AS,
        )
    if counts[b"sheet"] > MAX_SHEETS:
        raise InputError(
            f"the workbook has {counts[b'sheet']:,} sheets, far more than an export has",
            file=raw.name,
            expected=f"{_SAVE_AS}, with at most {MAX_SHEETS:,} sheets",
        )
    if counts[b"r"] > MAX_TEXT_RUNS:
        raise InputError(
            f"the workbook holds {counts[b'r']:,} runs of formatted text, far more than an "
            "export has",
            file=raw.name,
            expected=_SAVE_AS,
        )


def _too_large(raw: RawFile, size: int) -> InputError:
    return InputError(
        f"the workbook unpacks to more than {MAX_UNCOMPRESSED_BYTES:,} bytes "
        f"({size:,}): refused as a possible zip bomb",
        file=raw.name,
        expected="a workbook of ordinary size",
    )


class _RecordTags:
    """The tags of the record being read (see MAX_RECORD_TAGS), counted as a part is inflated,
    a stretch of ``_RECORD_STRETCH`` bytes at a time: records that start and end within one
    stretch are no longer than it, so only a record that spans stretches is counted, from its
    start to its end."""

    def __init__(self, raw: RawFile, part: str) -> None:
        self.raw = raw
        self.part = part
        self.count: int | None = None  # None before the first record and after the last
        self.kind = b"row"

    def add(self, window: bytes, start: int) -> None:
        """The tags of ``window[start:]`` (the window begins with the end of the chunk before,
        for a record's tag cut in two)."""
        for end in range(start + _RECORD_STRETCH, len(window) + _RECORD_STRETCH, _RECORD_STRETCH):
            self._add(window, start, min(end, len(window)))
            start = end

    def _add(self, window: bytes, start: int, end: int) -> None:
        first = _first_record_start(window, start, end)
        if first is None:
            if self.count is not None:  # the record goes on, or the records end here
                close = _records_end(window, max(0, start - len(b"sheetData>")), end)
                self._check(self.count + window.count(b"<", start, end if close < 0 else close))
                if close >= 0:
                    self.count = None
            return
        if self.count is not None:
            self._check(self.count + window.count(b"<", start, first))
        last = _last_record_start(window, first, end)
        found = _RECORD_TAG.match(window, last)
        self.kind = found.group(1) if found else self.kind
        self.count = None if _records_end(window, last, end) >= 0 else 0
        if self.count is not None:
            self._check(window.count(b"<", last, end))

    def _check(self, count: int) -> None:
        self.count = count
        if count > MAX_RECORD_TAGS:
            raise InputError(
                f"part {self.part}: {_RECORD_WORDS[self.kind]}",
                file=self.raw.name,
                expected=_SAVE_AS,
            )


# The stretch of a part within which records are not counted one by one (see _RecordTags): at
# most a third as many tags as bytes, so far fewer than MAX_RECORD_TAGS.
_RECORD_STRETCH = 64 * 1024


def _records_end(window: bytes, start: int, end: int) -> int:
    """Where the first end of the records is in ``window[start:end]``, or -1: the closing tag
    of the sheet data or the shared strings table (see _RECORDS_END), with or without a
    prefix; text that merely reads so (``sst>`` in a cell) is no end."""
    ends = []
    for marker in _RECORDS_END:
        at = window.find(marker, start, end)
        while at >= 0:
            # '</' and at most a prefix before the name: a short look back, whatever the text.
            opening = window.rfind(b"<", max(0, at - _RECORD_TAG_LONGEST), at)
            if (
                opening >= 0
                and window.startswith(b"</", opening)
                and b">" not in window[opening:at]
            ):
                ends.append(at)
                break
            at = window.find(marker, at + 1, end)
    return min(ends, default=-1)


def _first_record_start(window: bytes, start: int, end: int) -> int | None:
    """Where the first record tag that ends after ``start`` begins, before ``end``."""
    low, high = max(0, start - _RECORD_TAG_LONGEST), end + _RECORD_TAG_LONGEST
    if window.find(b"row", low, high) < 0 and window.find(b"si", low, high) < 0:
        # No record tag (each holds one of these): two searches at memory speed rather than
        # the pattern tried at every '<' (1.2 s of a flood of 20 million other elements).
        return None
    found = _RECORD_TAG.search(window, low, high)
    while found is not None and found.end() <= start:
        found = _RECORD_TAG.search(window, found.start() + 1, end + _RECORD_TAG_LONGEST)
    return None if found is None or found.start() >= end else found.start()


def _last_record_start(window: bytes, first: int, end: int) -> int:
    """Where the last record tag beginning before ``end`` begins (``first``: one begins there),
    found by the regular expression engine from the end back, in C: a Python loop over the tags
    from the last back took seconds on stretches of thousands of tags after a record's start."""
    limit = min(len(window), end + _RECORD_TAG_LONGEST)
    while True:
        found = _LAST_RECORD.match(window, first, limit)
        if found is None:
            return first
        at = found.end()
        if at < end:
            return max(at, first)
        # A record tag that begins at ``end`` or after: look again before it. (A tag ends
        # before the next '<', so the ones before are whole in what is left.)
        limit = at + len(b"<si") - 1


# Bytes from the start of one XML tag to the start of the next, in any part of a workbook: the
# tag with its attributes, then the text, comments, CDATA sections and processing instructions
# up to the next tag. An XML parser holds a tag, a comment or an instruction whole before it
# reports it (and, in the expat of Python 3.11, reads it again from its start with every chunk
# fed to it), and the readers hold an element's text whole: one such stretch of 180 MB took
# 450 to 820 MB and up to 25 s from a workbook of 200 KB. No workbook needs more than the
# longest text of a cell, 32,767 characters each written in at most 8 bytes ('&#65535;',
# '_x0001_'), and the markup around it. Checked in every part that reads as XML (a first
# character other than blanks that is '<'), whatever its name, as openpyxl finds parts through
# the package's relationships.
CHARACTER_BYTES = 8
MAX_TAG_DISTANCE = LONGEST_TEXT * CHARACTER_BYTES + 4096
# The text of a part is looked at in stretches of at most this many bytes, far fewer than
# MAX_TAG_DISTANCE: only the first and the last tag of each stretch matter.
_TAG_STRETCH = 64 * 1024
# What begins a comment, a CDATA section and a processing instruction, and what ends each:
# they may hold '<' that starts no tag.
_SECTIONS = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))
_SECTION_WORDS = {
    b"-->": "a comment",
    b"]]>": "a CDATA section",
    b"?>": "a processing instruction",
}
_OPENER_LONGEST = max(len(opener) for opener, _ in _SECTIONS)
_WHOLE_SECTION = rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>"
# From where a match starts: text and whole sections, up to the first tag (any other '<') or
# a section that does not end in sight.
_UNTIL_TAG = re.compile(rb"(?:[^<]+|" + _WHOLE_SECTION + rb")*", re.S)
# The same past tags too; group 1 is the '<' of the last tag. (A tag and the text after it are
# one step, tried before the sections: the same match, in half the steps of the tag alone.)
_PAST_TAGS = re.compile(
    rb"(?:[^<]+|(<)(?!!--|!\[CDATA\[|\?)[^<]*|" + _WHOLE_SECTION + rb")*",
    re.S,
)
# The inside of a tag after its '<': up to its '>', or to a quote whose value does not end in
# sight.
_TAG_BODY = re.compile(rb"""[^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*""")
_SECTION_START = re.compile(rb"<!--|<!\[CDATA\[|<\?")
_BLANKS = re.compile(rb"[ \t\r\n]*")
# For the message: the cells and rows around a tag, and their references.
_CELL_OR_ROW = re.compile(rb"<(/?)(?:[A-Za-z_][\w.-]*:)?(c|row)(?=[\s/>])([^<>]*)")
_CELL_REFERENCE = re.compile(rb"""\sr\s*=\s*["']([^"'<>]{1,20})["']""")
_LOOK_BACK = 4096
_LOOK_AHEAD = 512


class _TagDistances:
    """How far apart the tags of a part are (see MAX_TAG_DISTANCE), measured as the part is
    inflated, a stretch of at most ``_TAG_STRETCH`` bytes at a time, in C (searches of bytes and
    regular expressions): a stretch without '!' or '?' costs a search for each and one for its
    first and one for its last '<'.

    Distances are counted in bytes of the part's text (UTF-8), from the '<' of one tag to the
    '<' of the next, with whatever lies between: a comment or an instruction is held whole by
    the parser, and the text on either side of one is joined into one value.
    """

    def __init__(self, raw: RawFile, part: str) -> None:
        self.raw = raw
        self.part = part
        self.xml: bool | None = None  # None until the part's first character that is not blank
        # The end of the text before, not looked at yet: a '<' that may begin a section, or
        # what may be the beginning of a section's end.
        self.carry = b""
        self.done = 0  # where the carry begins
        self.tag = 0  # where the last tag begins (the start of the part before the first tag)
        # Inside the last tag: b"" outside a quoted value, the quote inside one; None once the
        # tag has ended, and where it ended.
        self.quote: bytes | None = None
        self.ended = 0
        self.closer = b""  # what ends the section being read; b"" outside one
        self.opened = 0  # where that section begins
        self.sections = False  # whether a section, whole or not, follows the last tag
        self.window = b""  # the text that holds the last tag, and where: for the message
        self.at = -1

    def add(self, text: bytes, *, final: bool = False) -> None:
        """The next text of the part; ``final`` when it is the last."""
        window = self.carry + text if self.carry else text
        base = self.done
        size = len(window)
        start = 0
        while self.xml is not False:
            stop = min(start + _TAG_STRETCH, size)
            held = self._stretch(window, base, start, stop, final=final and stop == size)
            if stop == size:
                self.carry = window[held:]
                self.done = base + held
                return
            start = held

    def end(self) -> None:
        """The part has ended: what was held back is looked at too."""
        self.add(b"", final=True)

    def _stretch(self, window: bytes, base: int, start: int, size: int, *, final: bool) -> int:
        """Look at ``window[start:size]`` (``base``: where the window begins in the part);
        return where the next look must begin (before ``size`` when what ends this stretch may
        be the beginning of a section or of a section's end)."""
        if self.xml is None:
            if base + start == 0 and codecs.BOM_UTF8.startswith(window[: len(codecs.BOM_UTF8)]):
                if size < len(codecs.BOM_UTF8) and not final:
                    return start  # the byte order mark cut in two: wait for the rest
                start = min(size, len(codecs.BOM_UTF8))
            first = _BLANKS.match(window, start, size).end()
            if first < size:
                self.xml = window.startswith(b"<", first)
                if not self.xml:  # no XML parser reads it: an image, a binary part
                    return size
        # Looked at up to ``end``: not up to a '<' near the end that may begin a section.
        end = size
        if not final:
            cut = window.rfind(b"<", max(start, size - _OPENER_LONGEST + 1), size)
            if cut >= 0 and any(
                opener.startswith(window[cut:size]) and len(opener) > size - cut
                for opener, _ in _SECTIONS
            ):
                end = cut
        position = start
        if self.closer:
            found = window.find(self.closer, start, size)
            if found < 0:
                self._check(base + size)
                return size if final else max(start, size - len(self.closer) + 1)
            position = found + len(self.closer)
            self._check(base + position)
            self.closer = b""
            end = max(end, position)  # (what was held back is no section's beginning)
        marked = _may_open_section(window, position, end)
        if not marked:
            stop = end
            first = window.find(b"<", position, end)
            last = window.rfind(b"<", position, end) if first >= 0 else -1
        else:
            found_tags = _PAST_TAGS.match(window, position, end)
            stop = found_tags.end()
            last = first = found_tags.start(1)
            # The first tag matters only when the stretch from the last one may be too long.
            if last >= 0 and base + stop - self.tag > MAX_TAG_DISTANCE:
                first = _UNTIL_TAG.match(window, position, stop).end()
        if last >= 0:
            self._follow_tag(window, base, position, first)  # (for the message)
            self._check(base + first)
            self.tag = base + last
            self.window, self.at = window, last
            self.quote = b""
            self.sections = False
            self._follow_tag(window, base, last + 1, stop)
        else:
            self._follow_tag(window, base, position, stop)
        if marked and not self.sections:
            after = max(position, last + 1)
            self.sections = _SECTION_START.search(window, after, stop) is not None
        if stop < end:  # a section that does not end in this stretch
            opener, closer = next(
                (opener, closer) for opener, closer in _SECTIONS if window.startswith(opener, stop)
            )
            self.closer = closer
            self.opened = base + stop
            self._check(base + size)
            return size if final else max(stop + len(opener), size - len(closer) + 1)
        self._check(base + end)
        return end

    def _follow_tag(self, window: bytes, base: int, start: int, stop: int) -> None:
        """Whether the last tag, still open at ``start``, ends before ``stop``, and where."""
        if self.quote is None:
            return
        if self.quote:  # inside a quoted value
            start = window.find(self.quote, start, stop)
            if start < 0:
                return
            start += 1
        body = _TAG_BODY.match(window, start, stop).end()
        if body >= stop:
            self.quote = b""
        elif window[body] == ord(">"):
            self.quote = None
            self.ended = base + body + 1
        else:
            self.quote = window[body : body + 1]

    def _check(self, at: int) -> None:
        """Refuse the part if ``at`` is too far from the last tag."""
        if at - self.tag <= MAX_TAG_DISTANCE:
            return
        if self.quote is not None or self.ended - self.tag > MAX_TAG_DISTANCE:
            what = "an XML tag"
        elif self.closer and at - self.opened > MAX_TAG_DISTANCE:
            what = _SECTION_WORDS[self.closer]
        elif self.sections or self.closer:
            what = "the text, comments or instructions"
        else:
            what = "the text"
        raise InputError(
            f"part {self.part}: {what} {self._where()} "
            f"{'are' if what.startswith('the text,') else 'is'} more than "
            f"{MAX_TAG_DISTANCE:,} bytes long",
            file=self.raw.name,
            expected=f"at most {MAX_TAG_DISTANCE:,} bytes from one XML tag to the next (what "
            f"a cell of {LONGEST_TEXT:,} characters can need), as Excel writes them",
        )

    def _where(self) -> str:
        """The cell or row of the last tag, as far as the text around it tells."""
        if self.at < 0:
            return "at the start of the part"
        begin = max(0, self.at - _LOOK_BACK)
        around = self.window[begin : self.at + _LOOK_AHEAD]
        cell: bytes | None = None
        row: bytes | None = None
        inside = False
        for found in _CELL_OR_ROW.finditer(around):
            if found.start() > self.at - begin:
                break
            closing, name, attributes = found.groups()
            reference = _CELL_REFERENCE.search(attributes)
            if name == b"row":
                cell = None
                row = None if closing or reference is None else reference.group(1)
            elif closing:
                inside = False
            else:
                cell = reference.group(1) if reference else None
                inside = not attributes.rstrip().endswith(b"/")
        if cell is not None:
            return f"{'in' if inside else 'after'} cell {cell.decode('utf-8', 'replace')}"
        if row is not None:
            return f"in row {row.decode('utf-8', 'replace')}"
        return f"after byte {self.tag:,} of the part"


def _may_open_section(window: bytes, start: int, end: int) -> bool:
    """Whether ``window[start:end]`` may hold the beginning of a section: a '!' or a '?' after
    a '<' (one byte is searched for at memory speed, two a great deal slower)."""
    return (window.find(b"!", start, end) >= 0 and window.find(b"<!", start, end) >= 0) or (
        window.find(b"?", start, end) >= 0 and window.find(b"<?", start, end) >= 0
    )


def _tag_counts(text: bytes) -> Counter[bytes]:
    """What ``Counter(_COUNTED[0].findall(text))`` counts: the tags of the counted names in
    ``text``, without a prefix. A sheet has millions of tags, nearly all cells (each a "<" that
    the pattern tries every name at: 0.42 s for the 73 MB sheet of a 7 MB inventory): the
    names of one or two letters are found after every "<" at once by whole-array operations,
    the rare longer ones by the pattern where one may start (0.1 s for that sheet). Matches of
    the pattern never overlap (each begins with "<", which no name or end holds), so each "<"
    is counted alone."""
    octets = np.frombuffer(text + b"\0\0\0", dtype=np.uint8)  # (room for the bytes after a "<")
    after = np.flatnonzero(octets[: len(text)] == ord("<")) + 1
    first, second, third = octets[after], octets[after + 1], octets[after + 2]
    one_letter = _NAME_ENDS[second]
    two_letters = _NAME_ENDS[third]
    counts: Counter[bytes] = Counter()
    short = np.zeros(len(after), dtype=bool)
    for name in _SHORT_NAMES:
        found = (first == name[0]) & (
            one_letter if len(name) == 1 else (second == name[1]) & two_letters
        )
        number = int(np.count_nonzero(found))
        if number:
            counts[name] = number
            short |= found
    longer = after[np.isin(first, _LONGER_FIRSTS) & ~short]
    if len(longer) > _LOOKED_AT_MOST:
        return Counter(_COUNTED[0].findall(text))
    for position in longer.tolist():
        match = _COUNTED[0].match(text, position - 1)
        if match is not None:
            counts[match.group(1)] += 1
    return counts


def _tally(counts: Counter[bytes], text: bytes, sign: int) -> None:
    """Add (``sign`` 1) or take away (-1) the counted tags of ``text`` (see ``_COUNTED``), with
    a namespace prefix or without."""
    found = _tag_counts(text)
    if b":" in text:
        found.update(_COUNTED[1].findall(text))
    for tag, number in found.items():
        counts[tag] += sign * number


def _stream_member(
    raw: RawFile,
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    total: int,
    counts: Counter[bytes],
) -> int:
    """Inflate one part in chunks, counting real bytes (the declared sizes may lie), the
    elements of ``_COUNTED`` into ``counts``, and the tags of each record (see ``_RecordTags``),
    and measuring how far apart its tags are (see ``_TagDistances``)."""
    tail = b""
    read = 0
    seen = b""  # the end of the part's text so far (UTF-8), for tags across chunks
    decoder: Any = None
    records = _RecordTags(raw, info.filename)
    distances = _TagDistances(raw, info.filename)
    try:
        with archive.open(info) as part:
            while chunk := part.read(_CHUNK):
                read += len(chunk)
                total += len(chunk)
                if read > info.file_size or total > MAX_UNCOMPRESSED_BYTES:
                    raise _too_large(raw, total)
                if decoder is None:  # a part may be written in UTF-16: counted as UTF-8
                    utf16 = chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in chunk[:4]
                    decoder = codecs.getincrementaldecoder("utf-16")("replace") if utf16 else False
                # Every part, whatever its name: openpyxl finds parts through the package's
                # relationships, so shared strings may well live in "xl/strings.dat".
                window = tail + chunk
                # Every marker holds a "!": one search at memory speed rules them all out in
                # most parts (six searches took 0.15 s of a 73 MB sheet).
                if b"!" in window and any(marker in window for marker in _FORBIDDEN):
                    raise InputError(
                        f"part {info.filename} declares a document type or entities, which "
                        "Excel never writes: refused",
                        file=raw.name,
                        expected=_SAVE_AS,
                    )
                tail = window[-_OVERLAP:]
                text = chunk if decoder is False else decoder.decode(chunk).encode("utf-8")
                counts[b"<"] += text.count(b"<")
                if counts[b"<"] > tags_allowed(raw):
                    raise InputError(
                        f"the workbook holds more than {tags_allowed(raw):,} XML tags, far more "
                        f"than a workbook of {len(raw.data):,} bytes holds (part "
                        f"{info.filename} and those before it)",
                        file=raw.name,
                        expected=f"{_SAVE_AS}: at most {WORKBOOK_TAGS_ALLOWED:,} tags and "
                        f"{WORKBOOK_TAGS_PER_BYTE} more for each byte of the file",
                    )
                distances.add(text)
                window = seen + text
                _tally(counts, window, 1)
                _tally(counts, seen, -1)  # counted with the chunk before
                records.add(window, len(seen))
                seen = window[-_COUNTED_OVERLAP:]
            distances.end()
    except InputError:
        raise
    except RuntimeError as error:  # zipfile raises this for encrypted members
        raise InputError(
            f"part {info.filename} is encrypted ({error})",
            file=raw.name,
            expected="the workbook saved without a password",
        ) from None
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
    ) as error:
        raise _damaged(raw, f"part {info.filename}: {error or type(error).__name__}") from None
    return total


def cell_text(value: object) -> str:
    """A cell value as the text a person would have typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class SheetChoice:
    table: Table
    format_base: str | None  # what the classifier saw in the headers, None when unknown
    named: bool = False  # True when the sheet is the one the user named
    notes: tuple[str, ...] = ()  # what the reader should know, such as a hidden sheet read


class _TextBudget:
    """The text a workbook may hold as it is read (see WORKBOOK_TEXT_ALLOWED): its shared
    strings, counted once as they are read, and the cells each reading of a sheet holds, counted
    by that reading (:class:`_TextRead`)."""

    def __init__(self, raw: RawFile) -> None:
        self.raw = raw
        self.limit = WORKBOOK_TEXT_ALLOWED + WORKBOOK_TEXT_PER_BYTE * len(raw.data)
        self.strings = 0  # bytes of the shared strings
        self.wide_strings = False  # whether any shared string holds more than ASCII
        self.streamed = 0  # XML elements gone through by the streaming reader
        self.cells = cells_allowed(raw)  # the most cells a sheet may hold

    def add_string(self, text: str, part: str, index: int) -> None:
        """A shared string read (``index``: its place in the table, from 0)."""
        if not text.isascii():
            self.wide_strings = True
        self.strings += held_bytes(text)
        if self.strings > self.limit:
            raise self.refused("the shared strings", f"part {part}, string {index + 1:,}")

    def reading(self) -> _TextRead:
        return _TextRead(self)

    def refused(self, what: str, location: str) -> InputError:
        return InputError(
            f"{what} hold more than {self.limit:,} bytes of text, far more than an export of "
            f"{len(self.raw.data):,} bytes holds",
            file=self.raw.name,
            location=location,
            expected=f"at most {WORKBOOK_TEXT_ALLOWED:,} bytes of text in the shared strings and "
            f"the cells read, and {WORKBOOK_TEXT_PER_BYTE} more for each byte of the file (a "
            "character counts one to four; exports hold about one per byte of the file)",
        )


class _TextRead:
    """The text of the cells one reading of a sheet holds, with the shared strings held
    beside it, against the workbook's budget."""

    def __init__(self, budget: _TextBudget) -> None:
        self.budget = budget
        self.held = budget.strings

    def add(self, size: int) -> bool:
        """Count ``size`` more bytes; whether the budget still holds them."""
        self.held += size
        return self.held <= self.budget.limit


def _text_bytes(texts: list[str], block: bytes, budget: _TextBudget) -> int:
    """The bytes ``texts`` take (see held_bytes), read from the XML ``block``: when it is ASCII
    and refers to no character by number, only shared strings may hold wider characters."""
    if not budget.wide_strings and block.isascii() and b"&#" not in block:
        return sum(map(len, texts))
    return sum(map(held_bytes, texts))


def _read_shared_strings(source: Any, part: str, budget: _TextBudget) -> list[str]:
    """openpyxl's reading of the shared strings table (``read_string_table``, the same
    steps), each string counted against the budget as it is read rather than after the whole
    table is held; a table of the usual shape is read by :func:`_quick_shared_strings`."""
    from openpyxl.cell.text import Text
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    # Read at once only where all its text fits the budget (a string's text takes no more
    # bytes than its part gives it), so that a table over it is refused at the string that
    # goes over, read as it is parsed.
    most = max(0, min(_QUICK_STRINGS_MOST, budget.limit - budget.strings))
    head = source.read(most + 1)
    quick = _quick_shared_strings(head, SHEET_MAIN_NS) if len(head) <= most else None
    if quick is not None:
        for index, text in enumerate(quick):
            budget.add_string(text, part, index)
        return quick
    source = _Prefixed(head, source)
    strings: list[str] = []
    string_tag = f"{{{SHEET_MAIN_NS}}}si"
    for _, node in iterparse(source):
        if node.tag == string_tag:
            text = Text.from_tree(node).content.replace("x005F_", "")
            node.clear()
            budget.add_string(text, part, len(strings))
            strings.append(text)
    return strings


# The shared strings table read at once by _quick_shared_strings, at most (larger ones are read
# as they are parsed): an export of 150,000 environments as LibreOffice saves it has 7 MB.
_QUICK_STRINGS_MOST = 32 * 1024 * 1024
# The table of the usual shape: the declaration, the table with the main namespace as its
# default, then each string as one text (kept as written, or empty), nothing else.
_STRINGS_START = re.compile(
    r'(?:<\?xml version="1\.0" encoding="(?i:utf-8)"(?: standalone="yes")?\?>)?\s*'
    r'<sst xmlns="([^"<>]*)"(?: (?:count|uniqueCount)="[0-9]+")*>'
)
_STRINGS = re.compile(
    r'<si><t(?: xml:space="preserve")?>([^<]*)</t></si>|<si><t(?: xml:space="preserve")?/></si>'
    r"|(<si/>|<si></si>)|([^<])"
)
_STRINGS_END = "</sst>"


def _quick_shared_strings(data: bytes, namespace: str) -> list[str] | None:
    """The shared strings table ``data`` (its part whole) as openpyxl reads it, each string
    its text stripped of formatting (the text of its one run), with the same "x005F_" taken
    out; None when the table is of another shape (runs of formatting, phonetic text, prefixed
    names, another namespace, other elements) or is no well-formed XML, which openpyxl's
    reading then reads, or refuses. As openpyxl parses it, an element at a time, the table of
    150,000 environments took 3.3 s; read so, 0.2 s."""
    from xml.parsers import expat

    try:
        text = data.decode("utf-8")
        expat.ParserCreate(namespace_separator=" ").Parse(data, True)
    except (UnicodeDecodeError, expat.ExpatError, ValueError):
        return None
    start = _STRINGS_START.match(text)
    text = text.rstrip()  # (blanks after the table are no part of it)
    if start is None or start.group(1) != namespace or not text.endswith(_STRINGS_END):
        return None
    body = text[start.end() : -len(_STRINGS_END)]
    strings: list[str] = []
    for written, empty, other in _STRINGS.findall(body):
        if other or empty:
            return None  # (an empty string item has no text: openpyxl's reading decides)
        strings.append(written)
    if "&" in body or "\r" in body:
        strings = [_xml_text(item) for item in strings]
    if "x005F_" in body:
        strings = [item.replace("x005F_", "") for item in strings]
    return strings


class _Prefixed(io.RawIOBase):
    """``head`` (bytes read already) and then the rest of ``source``, as one stream."""

    def __init__(self, head: bytes, source: Any) -> None:
        self._head = memoryview(head)
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        chunk = self._source.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@functools.cache
def _reader_class() -> type:
    """openpyxl's workbook reader, its shared strings read by _read_shared_strings."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.xml.constants import SHARED_STRINGS

    class Reader(ExcelReader):  # type: ignore[misc]
        budget: _TextBudget

        def read_strings(self) -> None:
            found = self.package.find(SHARED_STRINGS)
            if found is not None:
                part = found.PartName[1:]
                with self.archive.open(part) as source:
                    self.shared_strings = _read_shared_strings(source, part, self.budget)

    return Reader


def _open(raw: RawFile, budget: _TextBudget) -> Any:  # an openpyxl read-only Workbook
    try:
        _read_declared_size_only()
        with warnings.catch_warnings():
            # openpyxl warns about workbook features it drops (data validation, styles); none
            # of them matter for reading values.
            warnings.simplefilter("ignore")
            # What openpyxl.load_workbook does, with the reader above.
            reader = _reader_class()(
                io.BytesIO(raw.data), read_only=True, data_only=True, keep_links=False
            )
            reader.budget = budget
            reader.read()
            return reader.wb
    except InputError:
        raise
    except _TooManyElements as error:
        raise InputError(
            f"sheet {printable(str(error))!r} has more than {MAX_ELEMENTS_BEFORE_CELLS:,} XML "
            "elements before its cells",
            file=raw.name,
            expected="a sheet as Excel writes it: its views, format and column widths (at most "
            "one per column) before the cells",
        ) from None
    except Exception as error:  # openpyxl raises many types for malformed parts
        raise _damaged(raw, f"{type(error).__name__}: {error}") from None


# XML elements of a sheet before its cell data, read (and held) to find its declared size: Excel
# writes a handful (the sheet's views, format and properties) and at most one per column of
# widths (16,384). A sheet of millions there (a 4 MB file of 18 million took 1.5 GB and 24 s)
# is refused at this many.
MAX_ELEMENTS_BEFORE_CELLS = 100_000


class _TooManyElements(Exception):
    """A sheet with more than MAX_ELEMENTS_BEFORE_CELLS elements before its cells: its title."""


@functools.cache
def _read_declared_size_only() -> None:
    """Make openpyxl's read-only sheets stop looking for the declared size at the sheet data.

    openpyxl reads a sheet's <dimension> when it opens a workbook, and when a sheet has none
    (Excel always writes one; other tools do not) it parses the whole sheet to find that out.
    This does the same with the same result, but stops where the sheet data starts: the
    dimension can only come before it.
    """
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.cell import range_boundaries
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    def get_size(sheet: Any) -> None:
        source = sheet._get_source()
        try:
            for count, (_, element) in enumerate(iterparse(source, events=("start",))):
                if count > MAX_ELEMENTS_BEFORE_CELLS:  # the parser keeps each one it met
                    raise _TooManyElements(sheet.title)
                tag = element.tag.rpartition("}")[2]
                if tag == "dimension":
                    reference = element.get("ref")
                    if reference:
                        boundaries = range_boundaries(reference)
                        if None not in boundaries:
                            (
                                sheet._min_column,
                                sheet._min_row,
                                sheet._max_column,
                                sheet._max_row,
                            ) = boundaries
                    return
                if tag == "sheetData":
                    return
        finally:
            source.close()

    ReadOnlyWorksheet._get_size = get_size


_LETTERS = re.compile(r"[A-Za-z]{1,3}")


@functools.cache
def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


class _TooManyCells(Exception):
    pass


class _TooMuchText(Exception):
    """The text of the cells read is more than the workbook's budget: the row and column
    numbers of the cell that made it so."""


# Bytes of a part inflated and scanned, or of a worksheet part fed to the XML parser, at a time.
_CHUNK = 1 << 20
_TOP_CHUNK = 1 << 16  # the same, for the top rows of a sheet where its header is searched

# XML elements the streaming reader goes through in one workbook, whatever sheets and however
# often: a Python call or two for each, about a microsecond (a sheet of ten million cells of
# another shape than the quick reader's took 25 s). A sheet as Excel and the usual writers save
# it goes to the quick reader, which reads millions of cells a second; the streaming reader
# reads the rest, and the top rows of each sheet. An export of a few hundred thousand cells
# in any shape fits.
MAX_STREAMED_ELEMENTS = 3_000_000


class _TooManyElementsStreamed(Exception):
    pass


def _converter(
    shared: Sequence[Any], styles: tuple[set[int], set[int], Any]
) -> Callable[[str, int, str], Any]:
    """The value openpyxl gives a cell of type ``kind`` (its t attribute) and style ``style``
    whose <v> holds ``raw`` (never blank)."""
    from openpyxl.utils.datetime import from_excel, from_ISO8601

    date_styles, timedelta_styles, epoch = styles

    def value_of(kind: str, style: int, raw: str) -> Any:
        # A number no spreadsheet program writes (a number cell holding "NaN", "INF" or words,
        # a date beyond the calendar) is its text as written, as a person would read it: the
        # rule of the cell's column then says what is wrong with it, and where. A cell of
        # another type whose value is not of that type is refused, naming the cell.
        if kind == "n":
            number = _number(raw)
            if number is None:
                return raw
            if style in date_styles:
                try:
                    return from_excel(number, epoch, timedelta=style in timedelta_styles)
                except (OverflowError, ValueError, ArithmeticError):
                    return raw
            return number
        if kind == "s":
            try:
                index = int(raw)
                if index < 0:
                    raise IndexError(index)
                return shared[index]
            except (ValueError, IndexError):
                raise _BadValue(
                    f"refers to shared string {printable(raw, 40)!r}, which the workbook does "
                    f"not have (it has {len(shared):,})",
                    _SAVE_AS,
                ) from None
        if kind == "b":
            number = _number(raw)
            if not isinstance(number, int) or number not in (0, 1):  # 2 was read as true
                raise _BadValue(
                    f"is a true/false cell holding {printable(raw, 40)!r}",
                    "1 (true) or 0 (false) in a true/false cell, as Excel writes it",
                )
            return bool(number)
        if kind == "d":
            try:
                return from_ISO8601(raw)
            except (ValueError, OverflowError, TypeError, AttributeError):
                raise _BadValue(
                    f"is a date cell holding {printable(raw, 40)!r}, which is no date",
                    "a date written as YYYY-MM-DD in a date cell, as Excel writes it",
                ) from None
        return raw  # "str" (a formula's text), "e" (an error such as #N/A)

    return value_of


def _number(raw: str) -> int | float | None:
    """The number a number cell's value is written as; None when it is written as none: with
    what int() and float() read but no spreadsheet program writes (digits of other scripts
    such as "١٠", underscores as in "1_0"), or what they do not read ("NaN" and "INF" among
    them: float() reads only values written with a point or an exponent), or more digits than
    int() reads."""
    if not raw.isascii() or "_" in raw:
        return None
    try:
        return float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
    except ValueError:
        return None


class _BadValue(Exception):
    """A cell's value that is not of the cell's type: what is wrong (said of the cell), and what
    was expected."""


class _BadCell(Exception):
    """A cell whose value is not of its type: its row and column numbers, then the arguments of
    _BadValue."""


def _sheet_rows(
    source: Any,
    shared: Sequence[Any],
    styles: tuple[set[int], set[int], Any],
    last_column: int,
    text_read: _TextRead | None = None,
    header_number: int = 0,
    last_row: int | None = None,
) -> Iterator[tuple[int, list[tuple[int, str]]]]:
    """(row number, [(column, text)]) of a worksheet part, cells holding a value only, up to
    ``last_column``; each value converted as openpyxl converts it (numbers, text, booleans, dates
    by style), then written as text by :func:`cell_text`. With ``header_number``, the cells of
    rows above it are not read (nor those rows yielded), nor the cells right of the last one of
    that row that holds a value. The cells of rows below ``last_row`` are not read either: the
    first such row is yielded empty, to say that the rows wanted have ended. The text of the
    cells read counts against ``text_read``: _TooMuchText (the row and column of the cell one
    too many) when the budget is spent.

    A streaming expat parser: no element objects, no padding to the widest row, and cells right
    of the last column cost a look at their reference only. Every cell counts towards the
    sheet's allowance (see cells_allowed), wherever it is, and every element towards the
    workbook's (see MAX_STREAMED_ELEMENTS), so the counts bound the work on a sheet.
    """
    from xml.parsers import expat

    value_of = _converter(shared, styles)
    done: list[tuple[int, list[tuple[int, str]]]] = []
    row_number = 0
    column = 0
    seen = 0
    cells: list[tuple[int, str]] = []
    # The cell being read: column, type, style (None when it is right of the last column).
    cell: tuple[int, str, int] | None = None
    value: str | None = None
    inline: list[str] | None = None
    text: list[str] = []
    collecting = False
    # Inside <rPh> (phonetic runs), <t> is not the cell's text.
    phonetic = 0
    names: dict[str, str] = {}
    digits = "0123456789"

    def local(name: str) -> str:
        tag = names[name] = name.rsplit(" ", 1)[-1].rsplit(":", 1)[-1]
        return tag

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal row_number, column, seen, cells, cell, value, inline, collecting, phonetic
        nonlocal elements
        elements += 1
        if elements > allowed:
            raise _TooManyElementsStreamed
        tag = names.get(name) or local(name)
        if tag == "c":
            seen += 1
            if seen > most_cells:
                raise _TooManyCells
            reference = attributes.get("r")
            if reference:
                letters = reference.rstrip(digits)
                column = _column_number(letters) if letters.isalpha() else 0
            else:
                column += 1
            if (
                column > last_column
                or 1 <= row_number < header_number
                or (last_row is not None and row_number > last_row)
            ):
                cell = None
                return
            style = attributes.get("s")
            cell = (column, attributes.get("t", "n"), int(style) if style else 0)
            value = None
            inline = None
        elif tag == "v":
            if cell is not None:
                collecting = True
                text.clear()
        elif tag == "row":
            number = attributes.get("r")
            if number is None:
                row_number += 1
            else:
                try:
                    row_number = int(number)
                except ValueError:
                    raise ValueError(f"{number!r} is not a valid row number") from None
            column = 0
            cells = []
        elif cell is not None:
            if tag == "is":
                inline = []
            elif tag == "rPh":
                phonetic += 1
            elif tag == "t" and inline is not None and not phonetic:
                collecting = True
                text.clear()

    def end(name: str) -> None:
        nonlocal cells, cell, value, collecting, phonetic, last_column
        tag = names.get(name) or local(name)
        if tag == "c":
            if cell is not None:
                try:
                    found = _cell_value(cell, value, inline)
                except _BadValue as error:
                    raise _BadCell(row_number, cell[0], *error.args) from None
                if found is not None:
                    written = cell_text(found)
                    if text_read is not None and not text_read.add(held_bytes(written)):
                        raise _TooMuchText(row_number, cell[0])
                    cells.append((cell[0], written))
            cell = None
        elif tag == "v":
            if collecting:
                value = "".join(text)
                collecting = False
        elif tag == "row":
            if cells or (last_row is not None and row_number > last_row):
                done.append((row_number, cells))
                if cells and row_number == header_number:  # nothing right of it is read
                    last_column = min(last_column, max(column for column, _ in cells))
            cells = []
        elif tag == "t":
            if collecting and inline is not None:
                inline.append("".join(text))
                collecting = False
        elif tag == "rPh":
            phonetic -= 1

    def characters(data: str) -> None:
        if collecting:
            text.append(data)

    def _cell_value(cell: tuple[int, str, int], raw: str | None, inline: list[str] | None) -> Any:
        _, kind, style = cell
        if kind == "inlineStr":
            return None if inline is None else "".join(inline)
        if not raw:
            return None
        return value_of(kind, style, raw)

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    # Elements this reading may go through (see MAX_STREAMED_ELEMENTS), and those it did.
    allowed = MAX_STREAMED_ELEMENTS
    elements = 0
    most_cells = MAX_CELLS
    if text_read is not None:
        allowed -= text_read.budget.streamed
        most_cells = text_read.budget.cells
    # The header is searched in the top rows: those are read in smaller pieces, so that the
    # elements of the rows below them go through few callbacks.
    size = _CHUNK if last_row is None else _TOP_CHUNK
    try:
        while True:
            chunk = source.read(size)
            parser.Parse(chunk, not chunk)
            yield from done
            done.clear()
            if not chunk:
                return
    finally:
        if text_read is not None:
            text_read.budget.streamed += elements


# ----------------------------------------------------------------------------------------------
# The quick reader: a whole sheet as a grid, for sheets of the usual shape.
#
# The streaming reader above makes several Python calls per cell (a quarter of a million cells
# take seconds). Sheets as Excel, openpyxl or XlsxWriter write them are a run of a few kinds of
# tokens, which one regular expression finds in C; the cells are then placed with whole-array
# operations and each distinct value is converted once. Anything of another shape (prefixed
# element names, comments, CDATA, other attributes, rows out of order, a cell repeated, text in
# several runs) or any problem at all (an XML error, a value that does not convert) is left to
# the streaming reader, which reads the sheet again from the start and decides: the quick
# reader never reads a sheet differently, it only makes reading faster. It refuses a sheet only
# for too many cells or rows, which the streaming reader would count the same, and refuse
# with the same words, after going through them all again one at a time.

# An optional part of the patterns below is written "(?:X|)", which matches as "(?:X)?" does
# (X if it can, else nothing) and which Python's regular expressions try faster: a group made
# optional goes through their general repetition. For _TOKENS, on the 73 MB sheet of a 7 MB
# inventory, 2.1 s -> 1.7 s.

# The attributes a cell's rest (see _TOKENS) begins with, each captured: its style, its type.
_STYLE_AND_TYPE = r'(?: s="([0-9]+)"|)(?: t="([A-Za-z]+)"|)'
# The start of an inline string's text, its spaces kept or not.
_TEXT_START = r'<t(?: xml:space="preserve"|)>'

_TOKENS = re.compile(
    # 1 a cell's column letters, "" when it has no reference (it is then the cell right of
    # the one before, or the row's first), 2 the rest of the cell, never empty: optional s and
    # t attributes in this order, then nothing (the element's end, "/>" or " />" as openpyxl
    # writes it), or an optional formula and an optional value, or an inline string of one run
    r'<c(?: r="([A-Z]{1,3})[0-9]+"|)('
    r'(?: s="[0-9]+"|)(?: t="[A-Za-z]+"|)'
    # (the commonest shape, a value alone, is tried first: the same cells, found sooner)
    r"(?:><v>[^<]*</v></c>|><is>" + _TEXT_START + r"[^<]*</t></is></c>| ?/>"
    r'|>(?:<f(?: [\w:.-]+="[^"<&]*")*(?:/>|>[^<]*</f>)|)(?:<v/>|<v>[^<]*</v>|)</c>))'
    # 3 a row's start (its number first when it has one, else it is the row below the one
    # before; "/>" at the end when it is empty), a row's end, or a "<" that starts anything else
    r'|(<row(?: r="[0-9]+"|)(?: (?!r=)[\w:.-]+="[^"<&]*")* ?/?>|</row>|<)'
    # text between elements, which the streaming reader ignores too
    r"|[^<]+"
)
# A row's number as a row's tag of _TOKENS writes it ("" when it has none).
_ROW_NUMBERS = re.compile(r'<row(?: r="([0-9]+)")?')
# The start of a cell's rest (see _TOKENS) up to its value or inline text: its style and type,
# then "><v>" or "><is><t>" (spaces kept or not, as openpyxl writes text with blanks at its
# edges); and the end of the rest after either.
_VALUE_HEAD = re.compile(_STYLE_AND_TYPE + r">(<v>|<is>" + _TEXT_START + ")")
_VALUE_END = "</v></c>"
_INLINE_END = "</t></is></c>"
# Distinct starts (see _VALUE_HEAD) whose short way is remembered: a sheet's cells have a few
# dozen (each style with each type); more are looked at each time.
_HEADS_REMEMBERED = 1_000


_CELL_REST = re.compile(
    _STYLE_AND_TYPE
    + r'(?: ?/>|>(?:<f(?: [\w:.-]+="[^"<&]*")*(?:/>|>[^<]*</f>)|)(?:<v/>|<v>([^<]*)</v>|)</c>'
    + r"|>(<is>)"
    + _TEXT_START
    + r"([^<]*)</t></is></c>)"
)
# An element the streaming reader would take for a row or a cell, whatever its prefix.
_ROW_OR_CELL = re.compile(rb"<(?:[^\s<>/:]+:)?(?:row|c)[\s/>]")
_CELL_TAG = re.compile(rb"<(?:[^\s<>/:]+:)?c[\s/>]")
_DECLARATION = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)")
_REFERENCE = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_SHEET_DATA = b"<sheetData>"
_SHEET_DATA_END = b"</sheetData>"
_ROW_END = b"</row>"
# The most bytes held waiting for a row's end; a sheet with a longer row is streamed.
_LONGEST_PENDING = 16 * _CHUNK
# Bytes of whole rows read by one pass of _TOKENS: what a sheet of another shape costs before it
# is handed to the streaming reader (a few tens of MB of tokens at most).
_BLOCK = 1 << 17
# Distinct cell values remembered with their text (inventories repeat words and figures), and
# the longest cell (its XML, in characters) remembered beyond its block.
_REMEMBERED = 1 << 18
_LONGEST_REMEMBERED = 1024
# Whole numbers a float holds exactly: a number cell's text of one of them reads as the float.
_EXACT_WHOLE = 2**53
_TRIMMED_EDGES = re.compile(f"^[{TRIMMED}]|[{TRIMMED}]$|[\u00a0\u2007\u202f]")


class _NotSimple(Exception):
    """The sheet is not of the shape the quick reader reads: the streaming reader decides."""


class _NotBeside(Exception):
    """What the quick reader's two processes read cannot be put together as one process would
    read it (a row without its number at the start of a segment, more cells than a sheet may
    hold): one process reads the sheet again, and says."""


# A worksheet part this long (as its archive declares it) or longer is read by two processes,
# each a segment of _SEGMENT bytes in turn (see _quick_cells). Forecasts of inventories saved
# as Excel saves them, here: 150,000 rows (a workbook of 7 MB, a part of 72 MB) 8.3 s in one
# process, 7.2 s in two; 60,000 rows (29 MB) 3.19 s and 2.96 s; 25,000 rows (12 MB) 1.75 s
# and 1.65 s. Below it, starting the second process costs about what it saves.
PARALLEL_FROM = 8 * _CHUNK
# Rows read by one process before the second starts: the second holds at first all that the
# first holds (the interpreter, the shared strings), and memory is allowed for by the rows read
# (see benchmarks/hostile.py). A part declared long whose rows are few (long cells, thousands of
# columns) is read by one process.
PARALLEL_ROWS = 20_000
_SEGMENT = 4 * _CHUNK
# The first process reads one segment of every _SHARE, the second the others: the first also
# feeds every chunk to the checking process, which competes with both for the two cores.
_SHARE = 3


@functools.cache
def _column_numbers() -> dict[str, int]:
    """Column letters A to ZZZ and their numbers; 0 for a cell without a reference ("")."""
    letters = [chr(code) for code in range(ord("A"), ord("Z") + 1)]
    names = letters + [a + b for a in letters for b in letters]
    names += [a + b for a in letters for b in names[26:]]
    numbers = {name: _column_number(name) for name in names}
    numbers[""] = 0
    return numbers


def _positions(explicit: np.ndarray, first: np.ndarray, start: int) -> np.ndarray:
    """The numbers of a run of rows, or of the cells of a run of rows, as the streaming reader
    counts them: ``explicit`` holds each one's number as written, or 0 (none written: the one
    after the one before); ``first`` is True where counting starts again (a row's first cell),
    from ``start`` (for a row: after the last row of the block before, for a cell: 1). Each
    number is that of the last one written or started from, plus how far it is from there."""
    index = np.arange(len(explicit), dtype=np.int64)
    begins = np.maximum.accumulate(np.where(first, index, 0))
    step = index - begins  # how far from where counting starts again
    anchors = explicit != 0
    base = np.where(anchors, explicit - step, start)
    last = np.maximum.accumulate(np.where(anchors | first, index, 0))
    return base[last] + step


def _reference(match: re.Match[str]) -> str:
    name = match.group(1)
    if name[0] != "#":
        return _NAMED[name]
    return chr(int(name[2:], 16) if name[1] == "x" else int(name[1:]))


def _xml_text(text: str) -> str:
    """Character data as the XML parser reports it: line ends normalized, references replaced
    (the parser has already checked that the part is well formed)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _REFERENCE.sub(_reference, text) if "&" in text else text


@dataclass
class _QuickCells:
    """The cells holding a value, in sheet order: row number, column number, text."""

    rows: np.ndarray
    columns: np.ndarray
    texts: np.ndarray
    untrimmed: bool  # whether any text starts or ends with a blank, or holds an odd space
    long_text: bool  # whether any text is longer than an Excel cell holds
    # The text of number cells of styles that are no date's (most of an export's numbers: see
    # _quick_cells's short ways) and the number each is, as the text reading would parse it (see
    # _with_numbers); None when more distinct ones were met than are remembered.
    numbers: dict[str, float] | None = None


# Whether a sheet's part is well-formed XML is asked of expat, as the streaming reader asks it.
# For a part of more than a chunk, expat runs in a process of its own, fed the same bytes
# through a pipe: on two cores it checks at C speed beside this process's reading, and a large
# sheet is read in the time of its reading alone (expat took 1.3 s of 12 for a sheet of 53 MB).
# The process is a bare interpreter (no site, no environment): 30 ms and 10 MB to start.
_CHECK_WELL_FORMED = """
import os, signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
from xml.parsers import expat
parser = expat.ParserCreate(namespace_separator=" ")
try:
    while chunk := os.read(0, 1 << 20):
        parser.Parse(chunk, False)
except Exception:
    os.write(1, b"0")
    raise SystemExit
try:
    parser.Parse(b"", True)
    os.write(1, b"11")
except Exception:
    os.write(1, b"10")
"""


class _WellFormed:
    """Whether the bytes fed to it make well-formed XML: :meth:`feed` each chunk in order, then
    :meth:`end`; _NotSimple is raised (at the latest by :meth:`end`) when they do not.

    A first chunk of ``_CHUNK`` bytes or more is checked by a separate process (see
    _CHECK_WELL_FORMED), anything shorter (or where no process can be started) here.
    :meth:`so_far` raises _NotSimple when the bytes fed so far hold an error (the streaming
    reader would stop there first); :meth:`close` stops a process not waited for."""

    def __init__(self) -> None:
        self._parser: Any = None
        self._process: Any = None

    def feed(self, chunk: bytes) -> None:
        if self._parser is None and self._process is None:
            if len(chunk) >= _CHUNK:
                self._process = _checking_process()
            if self._process is None:
                from xml.parsers import expat

                self._parser = expat.ParserCreate(namespace_separator=" ")
        if self._process is None:
            self._parser.Parse(chunk, False)
            return
        try:
            view = memoryview(chunk)
            while view:
                view = view[os.write(self._process.stdin.fileno(), view) :]
        except OSError:  # the process stopped at the first error it found, or cannot go on
            self.close()
            raise _NotSimple from None

    def leave(self) -> None:
        """In a process forked from the one that feeds the checker: its ends of the pipes to
        the checking process closed here, the process left to the other (which this one must
        not hold open, nor stop)."""
        if self._process is not None:
            for stream in (self._process.stdin, self._process.stdout):
                stream.close()
        self._process = self._parser = None

    def so_far(self) -> None:
        if self._process is not None and self._verdict()[:1] != b"1":
            raise _NotSimple

    def end(self) -> None:
        if self._process is None:
            if self._parser is not None:
                self._parser.Parse(b"", True)
        elif self._verdict() != b"11":
            raise _NotSimple

    def _verdict(self) -> bytes:
        """What the process says once it has read all it was fed ("1" no error, then "1" the
        end well placed), or b"" when it cannot say."""
        try:
            self._process.stdin.close()
            verdict: bytes = self._process.stdout.read()
        except OSError:
            verdict = b""
        self.close()
        return verdict

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.kill()
            process.wait()
            for stream in (process.stdin, process.stdout):
                stream.close()


def _checking_process() -> Any:
    """The process of _CHECK_WELL_FORMED, reading from a pipe; None where none can be started."""
    import subprocess
    import sys

    if not sys.executable:
        return None
    # Ctrl-C reaches the whole process group: blocked while the process starts (it inherits
    # the mask, and ignores the signal once running), so that only this process hears it.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _CHECK_WELL_FORMED],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
        )
    except OSError:
        return None
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    # A pipe that holds a whole chunk: writing one then waits only while the process is still
    # on the one before (64 KB, the usual size, would have this process wait for each).
    try:
        import fcntl

        fcntl.fcntl(process.stdin.fileno(), fcntl.F_SETPIPE_SZ, _CHUNK)
    except (ImportError, AttributeError, OSError):
        pass  # slower, not wrong
    return process


def _quick_cells(
    open_source: Callable[[], Any],
    shared: Sequence[Any],
    styles: tuple[set[int], set[int], Any],
    last_column: int,
    header_number: int = 0,
    text_read: _TextRead | None = None,
    size: int = 0,
) -> _QuickCells:
    """Every cell of a worksheet part holding a value, up to ``last_column``, as the streaming
    reader gives them; _NotSimple when the part is of another shape, or when the text of the
    cells is more than ``text_read`` allows (the streaming reader then names the cell).

    A part of ``size`` (its declared length; 0: not said) of ``PARALLEL_FROM`` bytes or more is
    read by two processes where the system can fork, once the header row and ``PARALLEL_ROWS``
    rows are read: each reads segments of ``_SEGMENT`` bytes of rows in turn (see _SHARE), and
    the cells of both are put together as one process reads them. Whatever their reading cannot
    settle (see _NotBeside) is read again by one process; the answer is the same.

    With ``header_number``, the rows above it are not read, nor the cells right of the last one
    of that row that holds a value, as by the streaming reader (no table holds them).

    Every chunk still goes through expat (without callbacks, so at C speed): the part must be
    well formed XML in every respect, exactly as for the streaming reader.
    """
    checker = _WellFormed()
    last_column_given = last_column
    columns_of = _column_numbers()
    most_cells = MAX_CELLS if text_read is None else text_read.budget.cells
    value = _converter(shared, styles)
    remembered: dict[str, str | None] = {}
    numbers: dict[str, float] | None = {"": np.nan}
    untrimmed = long_text = False
    date_styles = styles[0]
    short_ways: dict[str, str] = {}  # what short_way said of each head (a few dozen)

    def short_way(head: str) -> str:
        """The short way of a cell whose rest starts with ``head`` (see _VALUE_HEAD), whatever
        its style where that does not change the value: "n" for a number (no type, or the
        number type) of a style that is no date's, "s" for a shared string, "i" for inline
        text, "" for the long way (anything else)."""
        match = _VALUE_HEAD.fullmatch(head)
        style, kind, content = match.groups() if match is not None else ("", "?", "")
        if content != "<v>":
            way = "i" if kind == "inlineStr" else ""
        elif kind in (None, "n") and int(style or 0) not in date_styles:
            way = "n"
        else:
            way = "s" if kind == "s" else ""
        if len(short_ways) < _HEADS_REMEMBERED:
            short_ways[head] = way
        return way

    def text_of(rest: str) -> str | None:
        """The text of a cell from its rest (see _TOKENS), None when it holds no value."""
        nonlocal untrimmed, long_text, numbers
        close = rest.find(">") + 1  # the end of the cell's start tag
        if rest.startswith("<v>", close) and rest.endswith(_VALUE_END):
            start = close + len("<v>")
        elif rest.startswith("<is><t", close) and rest.endswith(_INLINE_END):
            start = rest.find(">", close + len("<is><t")) + 1
        else:
            start = 0
        way = short_ways.get(head := rest[:start]) if start else ""
        if way is None:
            way = short_way(head)
        if way == "n":
            # A number of a style that is no date's, without type or of the number type (the
            # default, as openpyxl and LibreOffice write it): the commonest cell.
            raw = rest[start : -len(_VALUE_END)]
            if raw and "&" not in raw and "\r" not in raw:
                # What value() and cell_text() make of it: digits, never blanks at the edges.
                number = _number(raw)
                if number is not None:
                    text = repr(number) if isinstance(number, float) else str(number)
                    if numbers is not None and (
                        -_EXACT_WHOLE <= number <= _EXACT_WHOLE
                        if isinstance(number, int)
                        else math.isfinite(number)
                    ):
                        numbers[text] = float(number)
                        if len(numbers) > _REMEMBERED:
                            numbers = None
                    return text
        text: str | None
        if way == "i":
            # Text of its own, the commonest cell after numbers where strings are not shared.
            text = _xml_text(rest[start : -len(_INLINE_END)])
        elif (
            way == "s"
            and (raw := rest[start : -len(_VALUE_END)]).isdigit()
            and raw.isascii()
            and int(raw) < len(shared)
        ):
            # A shared string's cell, as Excel and LibreOffice write text: what value() and
            # cell_text() make of it.
            text = str(shared[int(raw)])
        else:
            match = _CELL_REST.fullmatch(rest)
            if match is None:
                raise _NotSimple
            style, kind, raw, inline, inline_text = match.groups()
            kind = kind or "n"
            if inline:
                text = _xml_text(inline_text) if kind == "inlineStr" else None
            elif kind == "inlineStr" or not raw:
                text = None
            else:
                found = value(kind, int(style) if style else 0, _xml_text(raw))
                text = None if found is None else cell_text(found)
        if text is not None:
            if not untrimmed and _TRIMMED_EDGES.search(text):
                untrimmed = True
            if too_long_for_a_cell(text):
                long_text = True
        return text

    all_rows: list[np.ndarray] = []
    all_columns: list[np.ndarray] = []
    all_texts: list[list[str | None]] = []
    # Read by two processes (see PARALLEL_FROM): the segment of each block read, and the
    # first and last row number of each block that holds rows, with its segment.
    all_segments: list[int] = []
    bounds: list[tuple[int, int, int]] = []
    segment = -1  # the segment being read (-1: before the second process starts)
    segment_begins = False  # the block being read is the first of its segment
    numbered = True  # every row read so far states its number
    rows_read = 0
    seen = 0  # cells, as the streaming reader counts them
    last_row = 0
    header_read = False
    held_before = text_read.held if text_read is not None else 0

    def take(block: bytes) -> None:
        """Read the rows of a block of whole rows."""
        nonlocal seen, last_row, last_column, header_read, numbered, rows_read
        tokens = _TOKENS.findall(block.decode("utf-8"))
        if tokens:
            # One list per group (zip(*tokens) is several times slower); fewer groups make
            # fewer strings, so rows are told apart by their own text, once per row.
            letters, rests, marks = (list(map(itemgetter(group), tokens)) for group in range(3))
            mark = np.array(marks, dtype=object)
            if (mark == "<").any():
                raise _NotSimple
            closing = mark == "</row>"
            starts = (mark != "") & ~closing
            is_cell = np.array(rests, dtype=object) != ""  # (a cell's rest is never empty)
            row_tokens = mark[starts].tolist()
            closed = np.zeros(len(tokens), bool)
            closed[starts] = [token[-2] == "/" for token in row_tokens]
            depth = np.cumsum((starts & ~closed).astype(np.int64) - closing)
            # Rows side by side, never nested; cells only inside a row.
            if (
                depth[-1] != 0
                or depth.min() < 0
                or depth.max() > 1
                or (depth[is_cell] != 1).any()
                or (depth[closed] != 0).any()
            ):
                raise _NotSimple
            # Each row's number as written ("" for none): one search over the rows' tags
            # joined (each holds "<row" once: an attribute's value holds no "<").
            written_numbers = _ROW_NUMBERS.findall("".join(row_tokens))
            row_numbers = np.array(
                list(map(int, written_numbers))
                if "" not in written_numbers
                else [int(number) if number else -1 for number in written_numbers],
                dtype=np.int64,
            )
            if len(row_numbers) and (row_numbers < 0).any():
                numbered = False
                if segment_begins and row_numbers[0] < 0:
                    raise _NotBeside  # the row before is the other process's
                # Rows without a number: each is the row below the one before. (A row numbered
                # 0 is kept as 0, which the check below leaves to the streaming reader.)
                written = np.where(row_numbers < 0, 0, row_numbers)
                first = np.zeros(len(written), bool)
                first[0] = True
                counted = _positions(written, first, last_row + 1)
                row_numbers = np.where(row_numbers == 0, 0, counted)
            if len(row_numbers) and (
                row_numbers[0] <= last_row
                or row_numbers[-1] > EXCEL_ROWS
                or (np.diff(row_numbers) <= 0).any()
            ):
                raise _NotSimple
            if len(row_numbers):
                last_row = int(row_numbers[-1])
                bounds.append((segment, int(row_numbers[0]), last_row))
                rows_read += len(row_numbers)
            cell_rows = row_numbers[(np.cumsum(starts) - 1)[is_cell]]
            cell_columns = np.fromiter(
                map(columns_of.__getitem__, compress(letters, rests)), np.int64
            )
            if len(cell_columns) and not cell_columns.all():
                # Cells without a reference: each is right of the cell before in its row.
                first = np.ones(len(cell_rows), bool)
                first[1:] = cell_rows[1:] != cell_rows[:-1]
                cell_columns = _positions(cell_columns, first, 1)
            cell_rests = list(filter(None, rests))
            seen += len(cell_rests)
            if header_number and not header_read and (cell_rows == header_number).any():
                # The header row: nothing right of its last cell holding a value is read.
                header_read = True
                heading = np.flatnonzero(cell_rows == header_number).tolist()
                filled = [
                    int(cell_columns[i])
                    for i in heading
                    if cell_columns[i] <= last_column and text_of(cell_rests[i]) is not None
                ]
                if filled:
                    last_column = min(last_column, max(filled))
            within = cell_columns <= last_column
            if header_number and len(cell_rows) and cell_rows[0] < header_number:
                within &= cell_rows >= header_number
            if not within.all():
                cell_rows, cell_columns = cell_rows[within], cell_columns[within]
                cell_rests = [cell_rests[i] for i in np.flatnonzero(within)]
            # Each distinct cell converted once; forgotten all at once when too many are held,
            # and at once when long (a copy of its XML beside its text; long text is seldom
            # repeated).
            if len(remembered) > _REMEMBERED:
                remembered.clear()
            new = set(cell_rests).difference(remembered)
            for rest in new:
                remembered[rest] = text_of(rest)
            texts = list(map(remembered.__getitem__, cell_rests))
            for rest in new:
                if len(rest) > _LONGEST_REMEMBERED:
                    del remembered[rest]
            if None in texts:
                held = np.fromiter(map(is_not, texts, repeat(None)), bool, len(texts))
                cell_rows, cell_columns = cell_rows[held], cell_columns[held]
                texts = [text for text in texts if text is not None]
            if text_read is not None:
                size = _text_bytes(texts, block, text_read.budget)
                if not text_read.add(size):
                    raise _NotSimple  # the streaming reader says where
            all_rows.append(cell_rows)
            all_columns.append(cell_columns)
            all_texts.append(texts)
            all_segments.append(segment)

    beside = size > 0 and size >= PARALLEL_FROM and can_fork()
    checking = True  # whether this process feeds the checker (the second one does not)

    def blocks(source: Any) -> Iterator[bytes]:
        """The part's blocks of whole rows, each at most _BLOCK bytes unless one row is longer;
        each chunk fed to the checker, and the cells seen held against the most allowed."""
        started = False
        pending = b""
        while True:
            chunk = source.read(_CHUNK)
            if checking:
                if chunk:
                    checker.feed(chunk)
                else:
                    checker.end()
            pending += chunk
            if not started:
                begin = pending.find(_SHEET_DATA)
                if begin < 0:
                    if len(pending) > _LONGEST_PENDING or not chunk:
                        raise _NotSimple
                    continue
                head = pending[:begin]
                declared = _DECLARATION.match(head)
                if (
                    _ROW_OR_CELL.search(head)
                    or head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))
                    or (declared and declared.group(1).lower() not in (b"utf-8", b"utf8"))
                ):
                    raise _NotSimple
                pending = pending[begin + len(_SHEET_DATA) :]
                started = True
            if chunk:
                while (cut := pending.rfind(_ROW_END, 0, _BLOCK)) >= 0 or (
                    cut := pending.find(_ROW_END)
                ) >= 0:
                    cut += len(_ROW_END)
                    block, pending = pending[:cut], pending[cut:]
                    yield block
                if len(pending) > _LONGEST_PENDING:
                    raise _NotSimple
            else:
                end = pending.find(_SHEET_DATA_END)
                if end < 0 or _ROW_OR_CELL.search(pending, end):
                    raise _NotSimple
                block, pending = pending[:end], b""
                yield block
            # Cells of a row not yet ended count too, as the streaming reader counts them.
            if seen + len(_CELL_TAG.findall(pending)) > most_cells:
                if segment >= 0:
                    # Counted in part from the other process's blocks: the reading by one
                    # process says exactly where.
                    raise _NotBeside
                # Every cell read was of the usual shape: the streaming reader would count the
                # same cells, and refuse the sheet at the same one, unless the XML read so far
                # holds an error, where it stops first.
                checker.so_far()
                raise _TooManyCells
            if not chunk:
                return

    def read_segments(parts: Iterator[bytes], side: int) -> int:
        """Read the blocks of the segments of ``side`` (0 the first process, 1 the second: see
        _SHARE), counting the cells of the others; the cells read."""
        nonlocal segment, segment_begins, seen
        read = 0
        offset = 0
        for block in parts:
            number = offset // _SEGMENT
            offset += len(block)
            if not _reads(number, side):
                # (In a sheet of the usual shape, each "<c" starts a cell.)
                seen += block.count(b"<c")
                continue
            segment_begins, segment = number != segment, number
            before = seen
            take(block)
            read += seen - before
        return read

    def beside_job(parts: Iterator[bytes], out: Any) -> None:
        """In the second process: its segments read, and what was read written to ``out`` for
        the first ("not simple", or None where this reading cannot say: see _NotBeside)."""
        nonlocal checking, segment
        checking, segment = False, 0
        checker.leave()
        for found in (all_rows, all_columns, all_texts, all_segments, bounds):
            found.clear()
        held = text_read.held if text_read is not None else 0
        try:
            read = read_segments(parts, 1)
        except _NotSimple:
            answer: Any = "not simple"
        except _NotBeside:
            answer = None
        else:
            answer = (
                read,
                all_rows,
                all_columns,
                all_texts,
                all_segments,
                bounds,
                untrimmed,
                long_text,
                numbers,
                (text_read.held - held) if text_read is not None else 0,
            )
        pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()

    try:
        with open_source() as source:
            parts = blocks(source)
            for block in parts:
                take(block)
                if (
                    beside
                    and numbered
                    and (header_read or not header_number)
                    and rows_read >= PARALLEL_ROWS
                ):
                    break
            else:
                beside = False
            if beside:
                with contextlib.ExitStack() as stack:
                    try:
                        out = stack.enter_context(tempfile.TemporaryFile())
                        other = stack.enter_context(Beside(partial(beside_job, parts, out)))
                    except OSError:  # no second process, or nowhere for its answer
                        raise _NotBeside from None
                    segment, before = 0, seen
                    read = before + read_segments(parts, 0)
                    try:
                        other.join()
                        out.seek(0)
                        answer = pickle.load(out)
                    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError):
                        answer = None
                if answer == "not simple":
                    raise _NotSimple
                if answer is None:
                    raise _NotBeside
                numbers = _joined_beside(
                    answer, all_rows, all_columns, all_texts, all_segments, bounds, numbers
                )
                untrimmed = untrimmed or answer[6]
                long_text = long_text or answer[7]
                if text_read is not None and not text_read.add(answer[9]):
                    raise _NotSimple  # the streaming reader says where
                if read + answer[0] > most_cells:
                    raise _NotBeside
    except _NotBeside:
        # The reading by one process says what the reading by two could not.
        if text_read is not None:
            text_read.held = held_before
        return _quick_cells(
            open_source, shared, styles, last_column_given, header_number, text_read
        )  # (no size given: by one process)
    except (_NotSimple, _TooManyCells):
        raise
    except Exception as error:
        raise _NotSimple from error
    finally:
        checker.close()
    order = sorted(range(len(all_segments)), key=all_segments.__getitem__)  # stable
    if order != list(range(len(order))):
        all_rows = [all_rows[i] for i in order]
        all_columns = [all_columns[i] for i in order]
        all_texts = [all_texts[i] for i in order]
    rows = np.concatenate(all_rows) if all_rows else np.zeros(0, np.int64)
    columns = np.concatenate(all_columns) if all_columns else np.zeros(0, np.int64)
    texts = np.fromiter(chain.from_iterable(all_texts), dtype=object, count=len(rows))
    # A row's cells from left to right, each once (dict(cells) would keep the last of two).
    same_row = rows[1:] == rows[:-1]
    if (same_row & (columns[1:] <= columns[:-1])).any():
        raise _NotSimple
    return _QuickCells(rows, columns, texts, untrimmed, long_text, numbers)


def _reads(segment: int, side: int) -> bool:
    """Whether the process of ``side`` (0 the first, 1 the second) reads ``segment`` (see
    _SHARE); the first reads segment 0, which goes on from the rows it read alone."""
    return (segment % _SHARE == 0) == (side == 0)


def _part_size(worksheet: Any) -> int:
    """A worksheet part's length as its archive declares it (0 where it cannot be told): only
    how the part is read depends on it."""
    try:
        return int(worksheet.parent._archive.getinfo(worksheet._worksheet_path).file_size)
    except (AttributeError, KeyError, TypeError, ValueError):
        return 0


def _joined_beside(
    answer: tuple[Any, ...],
    all_rows: list[np.ndarray],
    all_columns: list[np.ndarray],
    all_texts: list[list[str | None]],
    all_segments: list[int],
    bounds: list[tuple[int, int, int]],
    numbers: dict[str, float] | None,
) -> dict[str, float] | None:
    """The cells the second process read (its ``answer``: see _quick_cells) added to this
    process's, each block with its segment; the numbers' texts of both (see _QuickCells).
    _NotSimple where a segment's first row is not below the one before, as one process would
    have found it."""
    _, rows, columns, texts, segments, other_bounds, _, _, other_numbers, _ = answer
    all_rows += rows
    all_columns += columns
    all_texts += texts
    all_segments += segments
    ordered = sorted(bounds + other_bounds, key=itemgetter(0))  # stable: in order in a segment
    for (_, _, last), (_, first, _) in pairwise(ordered):
        if first <= last:
            raise _NotSimple
    if numbers is None or other_numbers is None:
        return None
    numbers.update(other_numbers)
    return numbers if len(numbers) <= _REMEMBERED else None


def _quick_grid(
    raw: RawFile, worksheet: Any, header_number: int, budget: _TextBudget
) -> tuple[np.ndarray, np.ndarray, _QuickCells]:
    """The rows _read_sheet reads (the header row and the rows below it that hold a value, as
    wide as the header) as a grid of text, their row numbers, and the cells read (which say
    whether any text may need trimming); _NotSimple when the sheet needs the streaming reader."""
    workbook = worksheet.parent
    styles = (set(workbook._date_formats), set(workbook._timedelta_formats), workbook.epoch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cells = _quick_cells(
            worksheet._get_source,
            worksheet._shared_strings,
            styles,
            MAX_COLUMNS,
            header_number,
            budget.reading(),
            _part_size(worksheet),
        )
    header = cells.rows == header_number
    if not header.any():
        raise _NotSimple
    width = int(cells.columns[header].max())
    # The cells come row after row, from the header down (_quick_cells reads no row above
    # it, and each row's number is above the last), so the row numbers are found, and each
    # cell's row among them counted, in one pass rather than by sorting and searching (0.3 s
    # of two million cells, 0.1 s this way). Cells in any other order are left to the
    # streaming reader.
    steps = np.diff(cells.rows)
    if (steps < 0).any() or cells.rows[0] < header_number:
        raise _NotSimple
    starts = np.empty(len(cells.rows), dtype=bool)
    starts[:1] = True
    np.not_equal(steps, 0, out=starts[1:])
    numbers = cells.rows[starts]
    if len(numbers) > MAX_ROWS + 1 or len(numbers) * width > MAX_CELLS:
        # The streaming reader would refuse the sheet at the first row one too many.
        raise _too_many_rows(raw, worksheet, min(MAX_ROWS + 2, MAX_CELLS // width + 1), width)
    chosen = cells.columns <= width
    row_of = np.cumsum(starts) - 1
    grid = np.full((len(numbers), width), "", dtype=object)
    grid[row_of[chosen], cells.columns[chosen] - 1] = cells.texts[chosen]
    return grid, numbers, cells


def _sparse_rows(
    raw: RawFile,
    worksheet: Any,
    text_read: _TextRead,
    *,
    last_row: int | None = None,
    last_column: int = MAX_COLUMNS,
    header_number: int = 0,
) -> Iterator[tuple[int, dict[int, str]]]:
    """(row number, {column number: text}) for every row holding a value, in sheet order.

    Cells right of ``last_column`` are skipped unread; rows below ``last_row`` are not read.
    With ``header_number``, nor are the rows above it or the cells right of its last one (see
    _sheet_rows). The text read counts against ``text_read``.
    """
    workbook = worksheet.parent
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # Not public API: the read-only worksheet's part and its workbook's shared strings
            # and date styles, the same arguments openpyxl itself gives its parser.
            with worksheet._get_source() as source:
                styles = (
                    set(workbook._date_formats),
                    set(workbook._timedelta_formats),
                    workbook.epoch,
                )
                rows = _sheet_rows(
                    source,
                    worksheet._shared_strings,
                    styles,
                    last_column,
                    text_read,
                    header_number,
                    last_row,
                )
                for number, cells in rows:
                    if last_row is not None and number > last_row:
                        return
                    if number > EXCEL_ROWS or number < 1:
                        raise InputError(
                            f"sheet {worksheet.title} has a row numbered {number:,}, outside "
                            f"Excel's 1 to {EXCEL_ROWS:,}",
                            file=raw.name,
                            expected=_SAVE_AS,
                        )
                    yield number, dict(cells)
    except InputError:
        raise
    except _TooMuchText as error:
        row, column = error.args
        cell = f"{column_letter(column - 1)}{row}" if column > 0 else f"A{row}"
        raise text_read.budget.refused(
            f"the cells of sheet {worksheet.title} read up to this one",
            f"{worksheet.title}!{cell} (row {row})",
        ) from None
    except _TooManyCells:
        raise _too_many_cells(raw, worksheet) from None
    except _TooManyElementsStreamed:
        raise _too_many_streamed(raw, worksheet, None) from None
    except _BadCell as error:
        row, column, problem, expected = error.args
        cell = f"{column_letter(column - 1)}{row}"
        raise InputError(
            f"cell {cell} of sheet {worksheet.title} {problem}",
            file=raw.name,
            location=f"{worksheet.title}!{cell} (row {row})",
            expected=expected,
        ) from None
    except Exception as error:
        raise _damaged(raw, f"sheet {worksheet.title}: {type(error).__name__}: {error}") from None


def _too_many_streamed(raw: RawFile, worksheet: Any, elements: int | None) -> InputError:
    """The refusal of a sheet whose XML elements (``elements``, when counted) are more than the
    streaming reader goes through (see MAX_STREAMED_ELEMENTS)."""
    held = f"{elements:,}" if elements is not None else f"more than {MAX_STREAMED_ELEMENTS:,}"
    return InputError(
        f"sheet {worksheet.title} holds {held} XML elements, and is not of the shape capplan "
        "reads quickly (as Excel writes a sheet, rows in order within Excel's grid): it reads "
        f"at most {MAX_STREAMED_ELEMENTS:,} elements of other sheets",
        file=raw.name,
        expected=f"{_SAVE_AS}, or a smaller sheet",
    )


def _count_elements(worksheet: Any) -> int:
    """About how many XML elements a sheet's part holds (its start tags), counted in C."""
    count = 0
    with worksheet._get_source() as source:
        while chunk := source.read(_CHUNK):
            count += (
                chunk.count(b"<") - chunk.count(b"</") - chunk.count(b"<!") - chunk.count(b"<?")
            )
    return count


def _too_many_cells(raw: RawFile, worksheet: Any) -> InputError:
    most = cells_allowed(raw)
    if most < MAX_CELLS:
        return InputError(
            f"sheet {worksheet.title} holds more than {most:,} cells, far more than a workbook "
            f"of {len(raw.data):,} bytes holds",
            file=raw.name,
            expected=f"{_SAVE_AS}: at most {SHEET_CELLS_ALLOWED:,} cells and one more for "
            f"every {SHEET_BYTES_PER_CELL} bytes of the file ({MAX_CELLS:,} at most)",
        )
    return InputError(
        f"sheet {worksheet.title} holds more than {MAX_CELLS:,} cells",
        file=raw.name,
        expected=f"at most {MAX_CELLS:,} cells (for example {MAX_ROWS:,} rows of "
        f"{MAX_CELLS // MAX_ROWS} columns)",
    )


def _check_declared_size(raw: RawFile, worksheet: Any) -> None:
    """Refuse a sheet whose declared used range no spreadsheet program would write."""
    rows = (worksheet.max_row or 0) - (worksheet.min_row or 1) + 1
    columns = (worksheet.max_column or 0) - (worksheet.min_column or 1) + 1
    if (worksheet.max_row or 0) > EXCEL_ROWS or (worksheet.max_column or 0) > EXCEL_COLUMNS:
        problem = "beyond Excel's grid"
    elif rows * columns > MAX_DECLARED_CELLS:
        problem = f"{rows * columns:,} cells, more than the {MAX_DECLARED_CELLS:,} capplan reads"
    else:
        return
    raise InputError(
        f"sheet {worksheet.title} declares a used range of {rows:,} rows by {columns:,} "
        f"columns ({problem})",
        file=raw.name,
        expected="a sheet of ordinary size (select the used cells, copy them to a new workbook "
        "and save it as .xlsx)",
    )


def _dense(cells: dict[int, str], width: int) -> list[str]:
    row = [""] * width
    for column, text in cells.items():
        if column <= width:
            row[column - 1] = text
    return row


def _top_rows(raw: RawFile, worksheet: Any, budget: _TextBudget) -> list[list[str]]:
    """The first rows of a sheet, where the header is searched, as dense rows."""
    top = dict(_sparse_rows(raw, worksheet, budget.reading(), last_row=HEADER_SEARCH_ROWS))
    width = max((max(cells) for cells in top.values()), default=0)
    return [_dense(top.get(number, {}), width) for number in range(1, HEADER_SEARCH_ROWS + 1)]


def _find_header(
    rows: Sequence[Sequence[str]], classify: Callable[[Sequence[str]], str | None]
) -> tuple[int, str | None] | None:
    """Index of the header row (the first one of a known format, else the first non-blank)."""
    first_non_blank = None
    for index, row in enumerate(rows):
        cells = [trim(cell) for cell in row]
        if not any(cells):
            continue
        if first_non_blank is None:
            first_non_blank = index
        base = classify(cells)
        if base is not None:
            return index, base
    return None if first_non_blank is None else (first_non_blank, None)


def choose_sheet(
    raw: RawFile,
    classify: Callable[[Sequence[str]], str | None],
    sheet: str | None,
    number_columns: NumberColumns | None = None,
) -> SheetChoice:
    """Read the sheet named ``sheet`` when the workbook has it, else the one sheet whose headers
    belong to a known format; several candidates need the user to name one.

    ``number_columns`` names the columns of a header row that the reader will parse as numbers:
    those read as numbers already, as they are read from a CSV file (see :func:`_with_numbers`)."""
    guard_archive(raw)
    budget = _TextBudget(raw)
    workbook = _open(raw, budget)
    try:
        worksheets = list(workbook.worksheets)
        titles = [ws.title for ws in worksheets]
        if not worksheets:
            raise InputError("the workbook has no worksheets", file=raw.name, expected=_SAVE_AS)
        by_title = {ws.title: ws for ws in worksheets}
        if sheet is not None and sheet in by_title:
            _check_declared_size(raw, by_title[sheet])
            return _read_sheet(
                raw, by_title[sheet], classify, budget, named=True, number_columns=number_columns
            )
        candidates: list[tuple[Any, tuple[int, str | None]]] = []
        for worksheet in worksheets:
            _check_declared_size(raw, worksheet)
            top = _top_rows(raw, worksheet, budget)
            found = _find_header(top, classify)
            if found is not None:
                candidates.append((worksheet, found))
        known = [(ws, found) for ws, found in candidates if found[1] is not None]
        missing = f"there is no sheet named '{sheet}'; " if sheet is not None else ""
        if len(known) == 1:
            return _read_sheet(
                raw, known[0][0], classify, budget, found=known[0][1], number_columns=number_columns
            )
        if len(known) > 1:
            names = ", ".join(f"'{ws.title}'" for ws, _ in known)
            raise InputError(
                f"{missing}several sheets look like inputs: {names}",
                file=raw.name,
                expected="the sheet to read named with --sheet (the sheet parameter)",
            )
        if len(candidates) == 1 and not missing:
            # One sheet with content but unknown headers: read it so the message names them.
            return _read_sheet(
                raw,
                candidates[0][0],
                classify,
                budget,
                found=candidates[0][1],
                number_columns=number_columns,
            )
        raise InputError(
            f"{missing}no sheet has the headers of a known format "
            f"(sheets: {', '.join(repr(t) for t in titles)})",
            file=raw.name,
            expected="a sheet whose first row holds the column headers of a license export, a "
            "planning sheet or the environment inventory template; or --sheet NAME",
        )
    finally:
        workbook.close()


def _read_sheet(
    raw: RawFile,
    worksheet: Any,
    classify: Callable[[Sequence[str]], str | None],
    budget: _TextBudget,
    *,
    named: bool = False,
    found: tuple[int, str | None] | None = None,
    number_columns: NumberColumns | None = None,
) -> SheetChoice:
    """Read a sheet from its header row on; ``found`` is the header the caller already found
    (its index and format), which spares reading the top rows again."""
    if found is None:
        found = _find_header(_top_rows(raw, worksheet, budget), classify)
    if found is None:
        raise InputError(
            f"sheet {worksheet.title} is empty",
            file=raw.name,
            location=f"{worksheet.title}!A1",
            expected="a header row followed by data rows",
        )
    header_index, base = found
    header_number = header_index + 1
    try:
        grid, numbers, cells = _quick_grid(raw, worksheet, header_number, budget)
    except _TooManyCells:
        raise _too_many_cells(raw, worksheet) from None
    except _NotSimple:
        table = _streamed_table(raw, worksheet, header_number, budget)
    else:
        table = table_from_grid(
            raw.name,
            worksheet.title,
            grid,
            0,
            row_numbers=numbers,
            untrimmed=cells.untrimmed,
            long_text=cells.long_text,
        )
        if number_columns is not None and cells.numbers is not None:
            table = _with_numbers(table, number_columns(table.headers), cells.numbers)
    notes: tuple[str, ...] = ()
    state = getattr(worksheet, "sheet_state", "visible")
    if state != "visible":
        notes = (
            f"{raw.name}: sheet {worksheet.title} is {'very ' if state == 'veryHidden' else ''}"
            "hidden in Excel; it was read because its headers are the ones capplan looks for",
        )
    return SheetChoice(table=table, format_base=base, named=named, notes=notes)


def _with_numbers(table: Table, chosen: Collection[int] | None, read: Mapping[str, float]) -> Table:
    """The table with the number columns among ``chosen`` whose every cell is blank or a
    number cell's text (``read``: the text of each, "" included, and its number) kept as
    numbers too, as the CSV reader keeps them (see Table.numbers): parsing them from their
    text again is then spared (0.7 s of a 7 MB inventory workbook). A number's text reads as
    that number (pandas' parser and Python's agree on the shortest text of a float, and on a
    whole number a float holds exactly), so the numbers are those the text would give."""
    numbers: dict[int, np.ndarray] = {}
    for position in sorted(set(chosen or ())):
        if not 0 <= position < len(table.headers):
            continue
        texts = table.cells[position].to_numpy(dtype=object)
        try:
            numbers[position] = np.fromiter(map(read.__getitem__, texts), np.float64, len(texts))
        except KeyError:  # a cell of text: the column is parsed from its text
            continue
    if not numbers:
        return table
    cells = table.cells
    return dataclasses.replace(table, numbers=numbers, texts=lambda: cells)


def _too_many_rows(raw: RawFile, worksheet: Any, rows: int, width: int) -> InputError:
    """The refusal of a sheet found to have ``rows`` rows (the header's included) of ``width``
    columns, one more than capplan reads."""
    return InputError(
        f"sheet {worksheet.title} has more than {rows - 1:,} rows of {width:,} "
        f"columns: capplan reads at most {MAX_ROWS:,} rows and {MAX_CELLS:,} cells",
        file=raw.name,
        expected=f"at most {MAX_ROWS:,} licenses or environments in one sheet",
    )


def _streamed_table(raw: RawFile, worksheet: Any, header_number: int, budget: _TextBudget) -> Table:
    """The header row and the rows below it that hold a value, read by the streaming reader
    (refused before it starts when the sheet holds more elements than it may go through)."""
    elements = _count_elements(worksheet)
    if budget.streamed + elements > MAX_STREAMED_ELEMENTS:
        raise _too_many_streamed(raw, worksheet, elements)
    rows: list[list[str]] = []
    numbers: list[int] = []
    width = 0
    cells_read = _sparse_rows(raw, worksheet, budget.reading(), header_number=header_number)
    for number, cells in cells_read:
        if number == header_number:
            width = max(cells)  # nothing right of the last header is read
        elif number < header_number or not width:
            continue
        rows.append(_dense(cells, width))
        numbers.append(number)
        if len(rows) > MAX_ROWS + 1 or len(rows) * width > MAX_CELLS:
            raise _too_many_rows(raw, worksheet, len(rows), width)
    return table_from_rows(raw.name, worksheet.title, rows, 0, row_numbers=numbers)
