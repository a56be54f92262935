"""What a workbook may hold for its size, and how much of it the slow reader goes through.

A few bytes of XML repeated compress to almost nothing: a file of 0.7 MB held ten million empty
cells. The checks of the archive count its tags, the readers the cells of a sheet, against
allowances that grow with the file's size; the streaming reader (for sheets of another shape
than Excel's) goes through a bounded number of elements, and a sheet known to hold more is
refused before it starts.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from planner.errors import InputError
from planner.ingest import workbook
from planner.ingest.detect import classify_headers
from planner.ingest.source import read_raw
from tests.ingest.test_quick_sheet import HEADER, data_row, package, refuse_full_streaming


def read(path: Path) -> Any:
    return workbook.choose_sheet(read_raw(path), classify_headers, None).table


def test_a_workbook_of_far_more_tags_than_its_size_holds_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workbook, "WORKBOOK_TAGS_ALLOWED", 20_000)
    path = tmp_path / "tags.xlsx"
    path.write_bytes(package(HEADER + data_row(2) + "<row><c/><c/><c/></row>" * 20_000))
    raw = read_raw(path)
    assert workbook.tags_allowed(raw) < 60_000
    with pytest.raises(InputError, match=r"holds more than [0-9,]+ XML tags, far more than"):
        workbook.guard_archive(raw)


def test_an_export_is_far_within_the_allowances(tmp_path: Path) -> None:
    rows = HEADER + "".join(data_row(number, f"Env {number}") for number in range(2, 2002))
    path = tmp_path / "export.xlsx"
    path.write_bytes(package(rows))
    assert len(read(path).cells) == 2000


def test_a_sheet_of_more_cells_than_its_size_allows_is_refused_without_streaming(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workbook, "SHEET_CELLS_ALLOWED", 40)
    monkeypatch.setattr(workbook, "SHEET_BYTES_PER_CELL", 10**9)
    path = tmp_path / "cells.xlsx"
    path.write_bytes(package(HEADER + "".join(data_row(n) for n in range(2, 40))))
    monkeypatch.setattr(workbook, "_sheet_rows", refuse_full_streaming(workbook._sheet_rows))
    with pytest.raises(InputError, match="holds more than 40 cells, far more than a workbook"):
        read(path)


@pytest.mark.parametrize("oddity", ["<!-- a comment -->", "<x:row xmlns:x='urn:x'/>"])
def test_a_sheet_the_streaming_reader_would_take_long_over_is_refused_before_it_starts(
    oddity: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workbook, "MAX_STREAMED_ELEMENTS", 300)
    path = tmp_path / "odd.xlsx"
    rows = HEADER + "".join(data_row(n) for n in range(2, 40))
    path.write_bytes(package(rows + oddity))
    monkeypatch.setattr(workbook, "_sheet_rows", refuse_full_streaming(workbook._sheet_rows))
    with pytest.raises(InputError, match="XML elements, and is not of the shape capplan reads"):
        read(path)
    monkeypatch.undo()
    assert len(read(path).cells) == 38  # read as before within the allowance


def test_the_streaming_reader_stops_at_its_allowance(tmp_path: Path) -> None:
    """Counted as it reads too (the top rows of every sheet count): refused at the allowance."""
    path = tmp_path / "odd.xlsx"
    path.write_bytes(package(HEADER + "<!-- x -->" + "".join(data_row(n) for n in range(2, 40))))
    raw = read_raw(path)
    budget = workbook._TextBudget(raw)
    book = workbook._open(raw, budget)
    try:
        sheet = book.worksheets[0]
        rows = list(workbook._sparse_rows(raw, sheet, budget.reading()))
        assert len(rows) == 39
        assert budget.streamed > 39 * 4
        budget.streamed = workbook.MAX_STREAMED_ELEMENTS - 20
        with pytest.raises(InputError, match=r"more than [0-9,]+ XML elements"):
            list(workbook._sparse_rows(raw, sheet, budget.reading()))
    finally:
        book.close()


def test_the_last_record_start_is_found_as_a_walk_back_finds_it() -> None:
    """The regular expression that finds the last record tag, against the tags one by one."""
    chooser = random.Random(3)
    pieces = [b"<row>", b'<row r="1">', b"<x:row>", b"<si>", b"<c/>", b"<rows>", b"<v>1</v>", b"a"]
    for _ in range(2000):
        window = b"".join(chooser.choice(pieces) for _ in range(chooser.randint(1, 30)))
        starts = [m.start() for m in workbook._RECORD_TAG.finditer(window)]
        if not starts:
            continue
        first = starts[0]
        end = chooser.randint(first + 1, len(window))
        expected = max(s for s in starts if s < end)
        assert workbook._last_record_start(window, first, end) == expected, (window, end)
