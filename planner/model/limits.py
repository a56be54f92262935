"""What capplan reads at most, and reading a file under such a limit.

Each limit is far above anything a real tenant produces and low enough that a hostile or
mistaken file (``/dev/zero`` as a rules file, a scenario with a million changes) is refused with
one message instead of using all memory or all afternoon. docs/input-formats.md lists them.
"""

from __future__ import annotations

import errno
import os
import re
import select
import stat
import time
import tomllib
from pathlib import Path
from typing import Any

from planner.errors import InputError, printable
from planner.model.toml_numbers import refuse_unusual_numbers

# Rules and scenario files are hand-written TOML of a few kilobytes; the bundled rule sets are
# about 25 KB. Parsed, TOML can take 200 times its size (a file of long dotted keys): at this
# size that stays within 10 times the file plus 150 MB.
MAX_TOML_BYTES = 256 * 1024
# Parts of one dotted TOML key or table header (``a.b.c``): the rule sets use three or four.
# tomllib's work grows with the square of a key's parts: 3,000 take half a second, 50,000 (a
# 100 KB line) minutes and gigabytes.
MAX_TOML_KEY_PARTS = 32
# Columns of one table (CSV or sheet): no format capplan reads has more than a few dozen.
MAX_COLUMNS = 1_000
# Rows of one table or items of one JSON list: a quarter more than the 200,000 environments
# capplan is built to plan; a file longer than that is refused before it is parsed. Each
# environment read is planned, so a tenant's memory grows with its environments whatever the
# size of its file (the shortest valid row, "E1,developer", is a dozen bytes): this limit is
# what bounds it. Measured peak resident memory at 250,000 environments (benchmarks/bench.py's
# inventory, 36 months, the whole process tree, a forked child's shared pages counted in both):
# forecast to JSON 0.8 GB, whatif 1.2 GB, report 1.35 GB; 3.2 to 5.4 KB per environment. The
# admin environment list as JSON costs about 12 KB per environment to read, and a file of that
# many is far above the default input size.
MAX_ROWS = 250_000
# License lines of one file. Every license format capplan reads lists a line per product or per
# subscription of one, and Microsoft's list of products (product names and service plan
# identifiers, December 2025) names 568: twenty thousand lines is thirty-five times every product
# there is. A file of more is no license export; read as one, its hundreds of thousands of
# unknown products would each be a line and a finding of the plan (a 7 MB file took a gigabyte).
MAX_LICENSE_LINES = 20_000
# Rows of Microsoft's product names and service plan identifiers CSV (a row per product and
# service plan) that ``rules import-skus`` reads: the list of December 2025 has 5,457, so ten
# times that leaves it room to grow for years and refuses a file that is something else before
# it fills memory.
MAX_PRODUCT_ROWS = 55_000
# Bytes of JSON text per object or list, at the least: Microsoft's answers spend tens of bytes on
# each (keys are long words), PowerShell's exports more. A document with more containers than one
# per this many bytes, beyond the first 100,000 (a few megabytes of memory), is refused before it
# is parsed: a 7 MB list of empty objects would otherwise be 2.4 million dictionaries, 270 MB.
MIN_JSON_BYTES_PER_CONTAINER = 16
JSON_CONTAINERS_ALLOWED = 100_000
# Bytes of JSON text per value (a text, a number, an object or list), at the least, beyond the
# first million: Microsoft's answers spend about 20 on each written without a space (the
# samples, indented, 23 to 25), a key and its value together. Parsed, a value is an object of 30
# to 60 bytes and its place in its list or object: a 45 MB list of two-letter texts (5 bytes
# each) took 800 MB, one of 48 MB at one value per 7 bytes 650 MB; at one per 10 a document
# stays within ten times its size, as reading any other input does.
MIN_JSON_BYTES_PER_VALUE = 10
JSON_VALUES_ALLOWED = 1_000_000
# Bytes of a SKU catalog file (the bundled one, or the one ``rules import-skus --out`` rewrites):
# the bundled catalog of 628 products is 167 KB, and a catalog of every product in the largest
# list ``rules import-skus`` reads stays far below this. A device or a file of something else is
# refused before it is read whole.
MAX_CATALOG_BYTES = 16 * 1024 * 1024
# Cells of one table (rows times columns, counted before parsing): 250,000 rows of 20 columns (the
# inventory template has 18). Measured: parsing costs 15 to 45 bytes per cell of text and about
# 90 bytes and 2.5 microseconds per cell of a workbook, so a table at the limit needs at most
# about 500 MB and a quarter of a minute, whatever its shape.
MAX_CELLS = 5_000_000
# Characters of one cell or name: what an Excel cell holds. Longer text would be cut in the
# workbook without a word, so it is refused where it is read. Excel counts UTF-16 units: a
# character beyond U+FFFF (an emoji, say) is two of them.
LONGEST_TEXT = 32_767


# Text a workbook may hold, in bytes as capplan holds it (a character takes one, two or four, as
# the widest character of its text needs): the shared strings, each once, and the text of every
# cell read into a table, each cell whether its text is its own or a shared string (the readers
# work on each row's text: one string shared by 3,000 names is 3,000 names to compare). Text
# compresses far better in a workbook than any value needs: 3,000 cells of 32,000 letters, 96 MB
# of text, fit in a file of 147 KB and took 180 to 650 MB to read (the most as the names of
# environments). Exports hold little more than a byte of text per byte of the file (50,000
# environments: 3.3 MB of text in a workbook of 2.5 MB; 150,000: 8.5 MB in 7.4 MB), far below
# this. Reading and planning hold each byte allowed at most twice (the text, and a folded copy
# to compare names), and writing the JSON or Excel report some seven times: 8 MB of names in a
# file of 14 KB took 100 MB to plan but 153 MB for the JSON and 157 MB for the report, over ten
# times the file and 150 MB; 4 MB of them stay within it.
WORKBOOK_TEXT_ALLOWED = 4 * 1024 * 1024
WORKBOOK_TEXT_PER_BYTE = 4


def held_bytes(text: str) -> int:
    """The bytes ``text`` takes in memory beside an empty string: one, two or four a character,
    as its widest character needs (see WORKBOOK_TEXT_ALLOWED)."""
    if text.isascii():  # known without a look at the characters
        return len(text)
    widest = ord(max(text))
    return len(text) * (1 if widest < 0x100 else 2 if widest < 0x10000 else 4)


def cell_units(text: str) -> int:
    """The length of ``text`` as a cell counts it: UTF-16 units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def too_long_for_a_cell(text: str) -> bool:
    """Whether ``text`` is longer than a cell holds (``LONGEST_TEXT`` UTF-16 units); text of
    at most half as many characters is not, whatever they are."""
    return len(text) > LONGEST_TEXT // 2 and cell_units(text) > LONGEST_TEXT


# Changes in one scenario (file or flags): a what-if is a handful of decisions, not a data set.
# Each change is applied to the inputs in turn (about 10 ms each), so 200 take about 2 s.
MAX_SCENARIO_CHANGES = 200
# Scenarios of one run (scenario files, and the what-if flags as one more), and their changes in
# all. Each scenario is a whole plan of the tenant besides the baseline, so time and memory grow
# with their number (300 scenarios of one change took 13 s on the samples, 10 of 200 changes
# 13 s): a comparison is a handful of options; more are compared in runs of their own.
MAX_SCENARIOS = 10
# Rows the changes of a run's scenarios are applied to, in all: each change other than one that
# only adds rows (licenses, add-ons, environments) is applied to the whole inventory and license
# tables in turn, a copy of them each (100 links on 400,000 environments took 19 s, 40 of them
# 8 s). Ten million is 50 such changes on 200,000 environments.
MAX_EDITED_ROWS = 10_000_000
MAX_RUN_CHANGES = 2 * MAX_SCENARIO_CHANGES


# Snapshots one run reads through --history (files and dated folders, counted before any is
# read). Each is read as an input of its own, a few milliseconds for a small list and more for a
# large one: 2,000 daily snapshots of the sample inventory took 13 s. A thousand is nearly three
# years of daily snapshots; growth is fitted per month, so weekly or monthly ones serve as well.
MAX_SNAPSHOTS = 1_000


# How long a named pipe may take to get a writer and its first bytes.
PIPE_WAIT_SECONDS = 1.0
# How long reading a named pipe may take in all: a program that writes an export into one
# (``<(cat licenses.csv)``) is done in a moment; a writer that never ends would hold the run.
PIPE_READ_SECONDS = 5.0


def read_up_to(path: str | Path, limit: int) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of a file, and whether it is a named pipe.

    Not blocking on the open: a named pipe nothing writes to would otherwise hold the run
    forever. A pipe is given PIPE_WAIT_SECONDS to get a writer and data, and reads as empty
    if it does not; it must then end within PIPE_READ_SECONDS, else :class:`PipeTooSlow`.
    OSError as the system raises it."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        pipe = stat.S_ISFIFO(os.fstat(descriptor).st_mode)
        if pipe and not select.select([descriptor], [], [], PIPE_WAIT_SECONDS)[0]:
            return b"", True
        if pipe:
            return _read_pipe(descriptor, limit), pipe
        os.set_blocking(descriptor, True)
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):  # a device: its size says nothing, read it whole
            return handle.read(limit), pipe
        # A file's size is known: asking for just past it spares allocating the whole limit
        # (which then shrinks), several times the cost of the copy for a large file. A file
        # that grows meanwhile is read on, up to the limit, as before.
        size = status.st_size
        first = handle.read(min(limit, size + 1))
        if len(first) <= size or len(first) >= limit:
            return first, pipe
        return first + handle.read(limit - len(first)), pipe


def process_alive(pid: int) -> bool:
    """Whether a process of this number exists (one of another user's counts): a run's own
    temporary folders carry its number, so that a later run can clear those of a killed one."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


class PipeTooSlow(OSError):
    """A named pipe still open, its writer not done, after PIPE_READ_SECONDS."""

    def __init__(self) -> None:
        super().__init__(
            errno.ETIMEDOUT,
            f"the pipe was still being written to after {PIPE_READ_SECONDS:g} s; save the "
            "output to a file first",
        )


def _read_pipe(descriptor: int, limit: int) -> bytes:
    """At most ``limit`` bytes of a named pipe (non-blocking), until its writer closes it,
    within PIPE_READ_SECONDS."""
    deadline = time.monotonic() + PIPE_READ_SECONDS
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([descriptor], [], [], left)[0]:
            raise PipeTooSlow()
        try:
            chunk = os.read(descriptor, min(1 << 20, limit - size))
        except BlockingIOError:
            continue
        if not chunk:  # the writer closed it
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def read_limited(path: str | Path, max_bytes: int, what: str, expected: str) -> bytes:
    """The bytes of ``path``, refusing a file larger than ``max_bytes`` without reading more.

    Reading one byte past the limit tells "exactly at the limit" from "larger", and works for
    files whose size the file system does not report (pipes, devices such as /dev/zero).
    """
    name = str(path)
    file = Path(path)
    try:
        if file.is_dir():
            raise InputError(f"the {what} is a folder, not a file", file=name, expected=expected)
        data, pipe = read_up_to(file, max_bytes + 1)
    except FileNotFoundError:
        raise InputError(f"{what} not found", file=name, expected=expected) from None
    except PermissionError:
        raise InputError(f"permission denied when reading the {what}", file=name) from None
    except OSError as error:
        raise InputError(
            f"cannot read the {what} ({error.strerror or error})", file=name, expected=expected
        ) from None
    if pipe and not data:
        raise InputError(
            f"the {what} is a named pipe that nothing writes to", file=name, expected=expected
        )
    if len(data) > max_bytes:
        raise InputError(
            f"the {what} is larger than the limit of {max_bytes:,} bytes",
            file=name,
            expected=expected,
        )
    return data


_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
# A key starts after a character that cannot be part of one: each line is scanned once, not
# from every character.
_KEY_START = r"""(?<![A-Za-z0-9_."'\\-])"""
_LONG_KEY = re.compile(
    rf"{_KEY_START}{_KEY_PART}(?:[ \t]*\.[ \t]*{_KEY_PART}){{{MAX_TOML_KEY_PARTS}}}"
)


def _may_hold_a_long_key(text: str) -> bool:
    """Whether a line of ``text`` holds as many dots as a key of too many parts needs: such a key
    is on one line (the pattern's parts and separators hold no line break). Counting the dots of
    each line costs a tenth of the pattern's search, which the bundled rule sets would pay at
    every run (about a millisecond each)."""
    if text.count(".") < MAX_TOML_KEY_PARTS:
        return False
    return any(line.count(".") >= MAX_TOML_KEY_PARTS for line in text.split("\n"))


def parse_toml(text: str) -> dict[str, Any]:
    """``tomllib.loads``, refusing first a dotted key or table header of more than
    :data:`MAX_TOML_KEY_PARTS` parts (TOMLDecodeError, naming the line): tomllib would take
    minutes over it. (Text in a string that looks like such a key is refused too; no rules or
    scenario file holds one.) Nesting too deep for the parser raises RecursionError. A number
    written with an underscore, in hexadecimal, octal or binary, or as inf or nan raises
    :class:`~planner.model.toml_numbers.UnusualNumber` (a TOMLDecodeError with the line, the
    column and what was expected)."""
    found = _LONG_KEY.search(text) if _may_hold_a_long_key(text) else None
    if found is not None:
        line = text.count("\n", 0, found.start()) + 1
        raise tomllib.TOMLDecodeError(
            f"a key or table name of more than {MAX_TOML_KEY_PARTS} dotted parts (at line {line})"
        )
    data = tomllib.loads(text)
    refuse_unusual_numbers(text)  # on valid TOML only: tomllib's own errors come first
    return data


def require_utf8(value: str, what: str) -> None:
    """Command-line text that is not valid UTF-8 (undecodable bytes) cannot be written out."""
    if too_long_for_a_cell(value):
        raise InputError(
            f"{what} is {cell_units(value):,} characters long (as a cell counts them)",
            expected=f"at most {LONGEST_TEXT:,} characters (what an Excel cell holds)",
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(
            f"{what} {printable(value)} is not valid UTF-8 text",
            expected="text in UTF-8 (retype or rename it)",
        ) from None
