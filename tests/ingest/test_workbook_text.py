"""The text a workbook may hold as it is read: its shared strings and the cells read, counted
against a budget that grows with the file (WORKBOOK_TEXT_ALLOWED), each cell as often as it is
read and each character as wide as memory holds it; cells no table holds are not counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.ingest import workbook
from planner.ingest.source import read_raw
from planner.model.limits import held_bytes
from tests.ingest.test_quick_sheet import (
    HEADER,
    data_row,
    inline,
    outcome,
    package,
    row,
    streamed_only,
)

# The budget in these tests: this many bytes, and nothing per byte of the file.
ALLOWED = 2_000


@pytest.fixture(autouse=True)
def small_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbook, "WORKBOOK_TEXT_ALLOWED", ALLOWED)
    monkeypatch.setattr(workbook, "WORKBOOK_TEXT_PER_BYTE", 0)


def read(tmp_path: Path, rows: str, shared: list[str] | None = None) -> object:
    """The table or the message, read as capplan reads it: both readers must say the same."""
    path = tmp_path / "book.xlsx"
    path.write_bytes(package(rows, shared=shared))
    first = outcome(read_raw(path))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(workbook, "_quick_cells", streamed_only)
        second = outcome(read_raw(path))
    assert type(first) is type(second)
    if isinstance(first, str):
        assert first == second
    return first


def names(count: int, length: int) -> str:
    """Rows 2 and on: ``count`` environments whose names are ``length`` letters long."""
    return "".join(data_row(n, f"{n:04d}".ljust(length, "x")) for n in range(2, count + 2))


def test_text_within_the_budget_is_read(tmp_path: Path) -> None:
    table = read(tmp_path, HEADER + names(3, 500))
    assert not isinstance(table, str) and len(table) == 3


def test_cells_beyond_the_budget_are_refused_at_the_cell(tmp_path: Path) -> None:
    message = read(tmp_path, HEADER + names(6, 500))
    assert isinstance(message, str)
    assert "book.xlsx, Environments!A5 (row 5): the cells of sheet Environments" in message
    assert f"hold more than {ALLOWED:,} bytes of text" in message


def test_shared_strings_beyond_the_budget_are_refused_as_they_are_read(tmp_path: Path) -> None:
    shared = ["name", "type", "developer", *(f"{n}".ljust(600, "x") for n in range(4))]
    rows = HEADER + row(2, '<c r="A2" t="s"><v>3</v></c>', '<c r="B2" t="s"><v>2</v></c>')
    message = read(tmp_path, rows, shared)
    assert isinstance(message, str)
    assert "part xl/sharedStrings.xml, string 7: the shared strings hold more than" in message


def test_a_shared_string_counts_for_every_cell_that_reads_it(tmp_path: Path) -> None:
    """One string in the table, read by each row: the readers compare and write each row's."""
    shared = ["x" * 400, "developer"]
    cells = [
        row(n, f'<c r="A{n}" t="s"><v>0</v></c>', f'<c r="B{n}" t="s"><v>1</v></c>')
        for n in range(2, 8)
    ]
    message = read(tmp_path, HEADER + "".join(cells), shared)
    # The table's 409 bytes, and 409 more for each row: row 5 is one too many.
    assert isinstance(message, str) and "Environments!A5 (row 5)" in message


def test_cells_no_table_holds_do_not_count(tmp_path: Path) -> None:
    """Right of the header's last cell, below the rows the header is searched in: read by
    nobody, held by nobody."""
    near = names(19, 10)
    far = "".join(
        row(n, inline(f"A{n}", f"E{n}"), inline(f"B{n}", "developer"), inline(f"F{n}", "y" * 900))
        for n in range(21, 40)
    )
    table = read(tmp_path, HEADER + near + far)
    assert not isinstance(table, str) and len(table) == 38


def test_a_character_counts_as_wide_as_memory_holds_it(tmp_path: Path) -> None:
    # 300 characters: 300 bytes as ASCII or Latin-1, 1,200 beyond the Basic Multilingual Plane.
    assert held_bytes("a" * 300) == 300
    assert held_bytes("é" * 300) == 300
    assert held_bytes("ā" * 300) == 600
    assert held_bytes("a" * 299 + "\U0001f600") == 1_200

    def sheet(letters: str) -> str:
        """Short names, then (below the rows the header is searched in) two of 300
        characters, written with ``letters`` (three characters of XML)."""
        long = "".join(data_row(n, f"{n:03d}" + letters * 99) for n in (21, 22))
        return HEADER + names(19, 4) + long

    assert not isinstance(read(tmp_path, sheet("ééé")), str)
    wide = read(tmp_path, sheet("\U0001f600" * 3))
    assert isinstance(wide, str) and "Environments!A22 (row 22)" in wide
    # The same characters written by number, in XML of ASCII alone.
    by_number = read(tmp_path, sheet("&#128512;" * 3))
    assert isinstance(by_number, str) and "Environments!A22 (row 22)" in by_number
