"""A table streamed into its sheet as XML made in bulk reads back as the table XlsxWriter writes
cell by cell: values, formats, quote prefixes, widths, row heights and the filter."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from planner.report.xlsx_writer import (
    GB_FORMAT,
    MONTH_FORMAT,
    Column,
    SheetWriter,
    StreamedSheet,
    Styles,
    new_workbook,
)

COLUMNS = (
    Column("Severity"),
    Column("Subject"),
    Column("Month", MONTH_FORMAT),
    Column("GB", GB_FORMAT),
    Column("Message", wrap=True),
)
AWKWARD = [
    '=HYPERLINK("http://x","y")',
    "-5 GB",
    "@sum",
    "\tindented",
    " leading and trailing ",
    "a & b < c > d",
    "bell\x07 and escape\x1b",
    "line one\nline two",
    "caf\u00e9 \u2013 \U0001f600",
    "x" * 70,
    "",
]


def _rows() -> list[list[Any]]:
    rows: list[list[Any]] = []
    for index, text in enumerate(AWKWARD * 3):
        rows.append(
            [
                ("error", "warning", "info")[index % 3],
                text if index % 4 else None,
                dt.date(2026, 1 + index % 12, 1) if index % 5 else None,
                None if index % 7 == 0 else index * 1.25,
                f"{text} " * (1 + index % 6),
            ]
        )
    return rows


def _write(path: Path, rows: list[list[Any]], *, streamed: bool) -> int:
    workbook = new_workbook(path)
    writer = SheetWriter(
        workbook.add_worksheet("Findings", worksheet_class=StreamedSheet if streamed else None),
        Styles(workbook),
    )
    last = writer.stream_table(COLUMNS, rows) if streamed else writer.table(COLUMNS, rows)
    writer.finish()
    workbook.close()
    return last


def _read(path: Path) -> dict[str, Any]:
    sheet = load_workbook(path)["Findings"]
    cells = [
        (
            cell.coordinate,
            cell.value,
            cell.number_format,
            cell.alignment.horizontal,
            cell.alignment.wrap_text,
            cell._style.quotePrefix,
        )
        for row in sheet.iter_rows()
        for cell in row
    ]
    return {
        "cells": cells,
        "heights": {k: v.height for k, v in sheet.row_dimensions.items() if v.height},
        "widths": {k: v.width for k, v in sheet.column_dimensions.items()},
        "filter": sheet.auto_filter.ref,
        "dimensions": sheet.dimensions,
    }


@pytest.mark.parametrize("rows", [_rows(), []], ids=["awkward", "empty"])
def test_streamed_table_reads_back_as_the_written_one(
    rows: list[list[Any]], tmp_path: Path
) -> None:
    streamed, written = tmp_path / "streamed.xlsx", tmp_path / "written.xlsx"
    assert _write(streamed, rows, streamed=True) == _write(written, rows, streamed=False)
    assert _read(streamed) == _read(written)


def test_text_is_escaped_as_xlsxwriter_escapes_it(tmp_path: Path) -> None:
    """A literal _xHHHH_ keeps its meaning and a carriage return is written as its escape, as
    XlsxWriter writes them (openpyxl does not undo these escapes in inline strings, so the
    sheet's XML is read here)."""
    path = tmp_path / "streamed.xlsx"
    _write(path, [["info", "_x0041_ name", None, None, "one\rtwo"]], streamed=True)
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<t>_x005F_x0041_ name</t>" in sheet
    assert "<t>one_x000D_two</t>" in sheet


def test_columns_it_cannot_stream_go_cell_by_cell(tmp_path: Path) -> None:
    rows = [["a", None, None, True, "b"]]  # a boolean: only XlsxWriter writes those
    streamed, written = tmp_path / "streamed.xlsx", tmp_path / "written.xlsx"
    _write(streamed, rows, streamed=True)
    _write(written, rows, streamed=False)
    assert _read(streamed) == _read(written)
    assert load_workbook(streamed)["Findings"]["D2"].value is True


@pytest.mark.parametrize(
    "text",
    [
        "plain words",
        "_x0041_ literal",
        "half _x004 escape",
        "carriage\rreturn",
        "bell\x07 dropped",
        "non\ufffecharacter",
        "non\uffffcharacter",
        " leading",
        "trailing ",
        "\u00a0non-breaking",
        "non-breaking\u00a0",
        "ends with a line feed\n",
        "\tindented",
        "a & b < c",
    ],
)
def test_each_text_is_escaped_and_spaced_as_xlsxwriter_does(text: str, tmp_path: Path) -> None:
    """Alone in its column or beside plain text, a text's XML is XlsxWriter's escapes and its
    whitespace attribute, whichever way the column is checked."""
    from xlsxwriter.utility import _preserve_whitespace
    from xlsxwriter.worksheet import Worksheet

    from planner.report.xlsx_writer import QuotedText, safe_cell_text

    safe = safe_cell_text(text)
    expected = Worksheet._escape_control_characters(
        safe.text if isinstance(safe, QuotedText) else safe
    )
    preserve = ' xml:space="preserve"' if _preserve_whitespace(expected) else ""
    expected = expected.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for rows in ([["info", None, None, None, text]], [["info", None, None, None, "plain"]] * 2):
        if len(rows) > 1:
            rows = [rows[0], ["info", None, None, None, text]]
        path = tmp_path / "streamed.xlsx"
        _write(path, rows, streamed=True)
        with zipfile.ZipFile(path) as archive:
            sheet = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
        assert f"<t{preserve}>{expected}</t>" in sheet


def test_rows_made_a_chunk_at_a_time_read_back_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows are made while the sheet is packed, a chunk at a time: chunks that end anywhere,
    tall rows among them, still give the table XlsxWriter writes."""
    import planner.report.xlsx_writer as xlsx_writer

    monkeypatch.setattr(xlsx_writer, "ROW_CHUNK", 7)
    rows = _rows()
    streamed, written = tmp_path / "streamed.xlsx", tmp_path / "written.xlsx"
    assert _write(streamed, rows, streamed=True) == _write(written, rows, streamed=False)
    assert _read(streamed) == _read(written)


def test_repeated_text_is_shared_and_reads_back_the_same(tmp_path: Path) -> None:
    """A column that repeats a few values holds them as shared strings (each once in the
    table), awkward ones too: formulas stay text with a quote prefix, escapes and spaces
    are kept."""
    repeated = ["=SUM(A1)", "_x0041_ name", " spaced ", "a & b", "bell\x07", "plain"]
    rows = [
        ["info", repeated[index % len(repeated)], None, float(index), "words"]
        for index in range(60)
    ]
    streamed, written = tmp_path / "streamed.xlsx", tmp_path / "written.xlsx"
    _write(streamed, rows, streamed=True)
    _write(written, rows, streamed=False)
    assert _read(streamed) == _read(written)
    with zipfile.ZipFile(streamed) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
        strings = archive.read("xl/sharedStrings.xml").decode("utf-8")
    # B2 is "=SUM(A1)": a quote-prefixed shared string, not an inline one.
    assert re.search(r'<c r="B2" s="\d+" t="s"><v>\d+</v></c>', sheet)
    headers, words = {column.header for column in COLUMNS}, {"info", "words"}
    assert strings.count("<si>") == len(headers) + len(repeated) + len(words)
    with zipfile.ZipFile(written) as archive:
        expected = archive.read("xl/sharedStrings.xml").decode("utf-8")
    # The table's total counts every cell that refers to it, as XlsxWriter's own count does.
    assert _total(strings) == _total(expected)


def _total(shared_strings: str) -> int:
    found = re.search(r'<sst [^>]*count="(\d+)"', shared_strings)
    assert found is not None
    return int(found.group(1))


def test_streamed_rows_reach_a_workbook_packed_from_temporary_files(tmp_path: Path) -> None:
    """XlsxWriter can keep a sheet's XML in a temporary file instead of memory: the streamed
    rows are put into it all the same."""
    from planner.report.xlsx_writer import WORKBOOK_OPTIONS, QuickWorkbook

    rows = _rows()
    streamed, written = tmp_path / "streamed.xlsx", tmp_path / "written.xlsx"
    workbook = QuickWorkbook(str(streamed), {**WORKBOOK_OPTIONS, "in_memory": False})
    writer = SheetWriter(
        workbook.add_worksheet("Findings", worksheet_class=StreamedSheet), Styles(workbook)
    )
    writer.stream_table(COLUMNS, rows)
    writer.finish()
    workbook.close()
    _write(written, rows, streamed=False)
    assert _read(streamed) == _read(written)


def test_a_table_given_column_by_column_reads_back_as_the_written_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Columns given whole, with no cell anywhere a row may lack one: in the first column, in
    the last, in every column of a row, and across the ends of chunks."""
    import planner.report.xlsx_writer as xlsx_writer

    monkeypatch.setattr(xlsx_writer, "ROW_CHUNK", 5)
    rows = [
        [None if index % 3 == 0 else value for value in row] if index % 2 else row
        for index, row in enumerate(_rows())
    ]
    rows[4] = [None] * len(COLUMNS)
    rows[9][0] = rows[9][-1] = None
    columns = [list(values) for values in zip(*rows, strict=True)]
    streamed, written = tmp_path / "streamed.xlsx", tmp_path / "written.xlsx"
    workbook = new_workbook(streamed)
    writer = SheetWriter(
        workbook.add_worksheet("Findings", worksheet_class=StreamedSheet), Styles(workbook)
    )
    assert writer.stream_columns(COLUMNS, columns) == len(rows) + 1
    writer.finish()
    workbook.close()
    _write(written, rows, streamed=False)
    assert _read(streamed) == _read(written)
    with zipfile.ZipFile(streamed) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert '<row r="6"></row>' in sheet  # the row of no cells


def test_columns_of_different_lengths_are_refused(tmp_path: Path) -> None:
    workbook = new_workbook(tmp_path / "refused.xlsx")
    writer = SheetWriter(
        workbook.add_worksheet("Findings", worksheet_class=StreamedSheet), Styles(workbook)
    )
    with pytest.raises(ValueError, match="column 2 has 1 cells for 2 rows"):
        writer.stream_columns(COLUMNS, [["a", "b"], ["c"], [None, None], [1.0, 2.0], ["d", "e"]])


def _streamed_workbook(path: Path, rows: list[list[Any]]) -> tuple[Any, StreamedSheet]:
    workbook = new_workbook(path)
    sheet = workbook.add_worksheet("Findings", worksheet_class=StreamedSheet)
    writer = SheetWriter(sheet, Styles(workbook))
    writer.stream_table(COLUMNS, rows)
    writer.finish()
    return workbook, sheet


def _parts(path: Path) -> dict[str, bytes]:
    """The workbook's parts but the one that holds the time it was made."""
    with zipfile.ZipFile(path) as archive:
        return {
            name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"
        }


def test_rows_made_beside_are_the_rows_made_while_packing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large sheet's rows made by a child process while the other sheets are made, read
    back from its file when the workbook is packed, give the workbook the rows made while
    packing give, byte for byte; the child's file leaves nothing behind."""
    import planner.report.xlsx_writer as xlsx_writer

    monkeypatch.setattr(xlsx_writer, "ROW_CHUNK", 7)
    monkeypatch.setattr(xlsx_writer, "_READ_BACK", 100)  # read back in pieces that end anywhere
    rows = _rows()
    made = {}
    for name, least in (("beside", 0), ("packing", len(rows) + 1)):
        monkeypatch.setattr(xlsx_writer, "ROWS_MADE_BESIDE", least)
        workbook, sheet = _streamed_workbook(tmp_path / f"{name}.xlsx", rows)
        made[name] = type(sheet.streamed_rows).__name__
        workbook.close()
    assert made == {"beside": "RowsMadeBeside", "packing": "function"}
    assert _parts(tmp_path / "beside.xlsx") == _parts(tmp_path / "packing.xlsx")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["beside.xlsx", "packing.xlsx"]


def test_a_child_that_fails_to_make_the_rows_fails_the_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child's failure is raised where the workbook is packed, as the writer's own."""
    import planner.report.xlsx_writer as xlsx_writer

    def rows() -> Any:
        raise ValueError("no rows today")

    monkeypatch.setattr(xlsx_writer, "ROWS_MADE_BESIDE", 0)
    monkeypatch.setattr(xlsx_writer, "chunked_rows", lambda *given: rows)
    workbook, _ = _streamed_workbook(tmp_path / "book.xlsx", _rows())
    with pytest.raises(RuntimeError, match="ValueError: no rows today"):
        workbook.close()


def test_a_workbook_given_up_stops_its_children(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workbook given up before it is packed (a failure on the way) stops the children still
    making its rows, and drops their files."""
    import contextlib
    import os
    import signal
    import time

    import planner.report.xlsx_writer as xlsx_writer

    def rows() -> Any:
        time.sleep(600)
        return iter(())

    monkeypatch.setattr(xlsx_writer, "ROWS_MADE_BESIDE", 0)
    monkeypatch.setattr(xlsx_writer, "chunked_rows", lambda *given: rows)
    workbook, sheet = _streamed_workbook(tmp_path / "book.xlsx", _rows())
    child = sheet.streamed_rows._child._pid
    try:
        workbook.stop_rows_made_beside()
        with pytest.raises(ProcessLookupError):  # killed and reaped
            os.kill(child, 0)
    finally:  # (should the test fail: no child left asleep)
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    assert list(tmp_path.iterdir()) == []


def test_a_child_whose_workbook_process_is_gone_stops() -> None:
    """Rows are made only for the process that asked for them: one killed meanwhile (which
    could not stop the child) leaves the child to stop at its next chunk."""
    import os
    import tempfile

    from planner.report.xlsx_writer import _write_rows

    with tempfile.TemporaryFile() as sink:
        with pytest.raises(RuntimeError, match="gone"):
            _write_rows(lambda: iter(["<row/>"]), sink.fileno(), os.getppid() + 1)
        sink.seek(0)
        assert sink.read() == b""
