"""What capplan reads at most, and reading a file under such a limit.

Each limit is far above anything a real tenant produces and low enough that a hostile or
mistaken file (``/dev/zero`` as a rules file, a scenario with a million changes) is refused with
one message instead of using all memory or all afternoon. docs/input-formats.md lists them.
"""

from __future__ import annotations

from pathlib import Path

from planner.errors import InputError

# Rules and scenario files are hand-written TOML of a few kilobytes; the bundled rule sets are
# about 25 KB.
MAX_TOML_BYTES = 1024 * 1024
# Columns of one table (CSV or sheet): no format capplan reads has more than a few dozen.
MAX_COLUMNS = 1_000
# Rows of one table or items of one JSON list: the largest tenants have a few thousand
# environments. Planning costs about 8 KB of memory per environment (14 KB over 120 months),
# so 10,000 environments stay within about 220 MB and a few seconds.
MAX_ROWS = 10_000
# Cells of one table (rows times columns): ten thousand rows of a hundred columns.
MAX_CELLS = 1_000_000
# Characters of one cell or name: what an Excel cell holds. Longer text would be cut in the
# workbook without a word, so it is refused where it is read.
LONGEST_TEXT = 32_767
# Changes in one scenario (file or flags): a what-if is a handful of decisions, not a data set.
# Each change is applied to the inputs in turn (about 10 ms each), so 200 take about 2 s.
MAX_SCENARIO_CHANGES = 200


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
        with file.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputError(f"{what} not found", file=name, expected=expected) from None
    except PermissionError:
        raise InputError(f"permission denied when reading the {what}", file=name) from None
    except OSError as error:
        raise InputError(
            f"cannot read the {what} ({error.strerror or error})", file=name, expected=expected
        ) from None
    if len(data) > max_bytes:
        raise InputError(
            f"the {what} is larger than the limit of {max_bytes:,} bytes",
            file=name,
            expected=expected,
        )
    return data
