"""The quick sheet reader reads exactly what the streaming reader reads, or leaves the sheet to it.

Every case is read twice: as capplan reads it (the quick reader when the sheet has the usual
shape) and with the quick reader switched off (the streaming XML reader alone). The tables, or
the refusals, must be the same; and each case says whether the quick reader should take it.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from planner.errors import InputError
from planner.ingest import workbook
from planner.ingest.detect import classify_headers
from planner.ingest.inventory import number_columns
from planner.ingest.source import read_raw
from planner.ingest.table import Table, _to_floats

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
HEADER = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>type</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>dataverse_database_gb</t></is></c></row>'
)


def package(rows: str, *, shared: list[str] | None = None, prefix: str = "") -> bytes:
    """A minimal workbook around one sheet whose sheet data holds ``rows``."""
    strings = ""
    if shared is not None:
        items = "".join(f"<si><t>{text}</t></si>" for text in shared)
        strings = f'<sst xmlns="{MAIN}" count="{len(shared)}">{items}</sst>'
    name = f"{prefix}:" if prefix else ""
    namespace = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{name}worksheet {namespace}>'
        f"<{name}sheetData>{rows}</{name}sheetData></{name}worksheet>"
    )
    shared_type = f"{RELATIONS}/sharedStrings"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            + (
                '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                if strings
                else ""
            )
            + "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" '
            f'Type="{RELATIONS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONS}"><sheets>'
            '<sheet name="Environments" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" '
            f'Type="{RELATIONS}/worksheet" Target="worksheets/sheet1.xml"/>'
            + (
                f'<Relationship Id="rId2" Type="{shared_type}" Target="sharedStrings.xml"/>'
                if strings
                else ""
            )
            + "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    if strings:
        parts["xl/sharedStrings.xml"] = strings
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, text in parts.items():
            archive.writestr(part, text)
    return buffer.getvalue()


def inline(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def row(number: int, *cells: str, attributes: str = "") -> str:
    return f'<row r="{number}"{attributes}>{"".join(cells)}</row>'


def data_row(number: int, name: str = "Dev", size: str = "<v>1.5</v>") -> str:
    return row(
        number,
        inline(f"A{number}", name),
        inline(f"B{number}", "developer"),
        f'<c r="C{number}">{size}</c>',
    )


# (id, sheet data, shared strings, prefix, whether the quick reader takes the sheet)
SHAPES: list[tuple[str, str, list[str] | None, str, bool]] = [
    ("usual", HEADER + data_row(2) + data_row(3, "Test"), None, "", True),
    (
        "shared strings, formula, booleans, errors, integers",
        HEADER
        + row(
            2,
            '<c r="A2" t="s"><v>0</v></c>',
            '<c r="B2" t="s"><v>1</v></c>',
            '<c r="C2"><f>1+1</f><v>2</v></c>',
            '<c r="D2" t="b"><v>1</v></c>',
            '<c r="E2" t="e"><v>#N/A</v></c>',
            '<c r="F2" t="str"><v>text</v></c>',
        )
        + row(
            3,
            '<c r="A3" t="s"><v>2</v></c>',
            '<c r="B3" t="s"><v>1</v></c>',
            '<c r="C3"><v>12345678901234567890</v></c>',
            '<c r="D3"><v>1E+20</v></c>',
            '<c r="E3"><v>5.0</v></c>',
            '<c r="F3"><v>-0</v></c>',
        )
        + row(
            4,
            '<c r="A4" t="s"><v>3</v></c>',
            '<c r="B4" t="s"><v>1</v></c>',
            '<c r="C4" t="d"><v>2026-03-31T00:00:00</v></c>',
        ),
        ["Prod", "production", " Spaced\u00a0out ", "Q&amp;A"],
        "",
        True,
    ),
    (
        "references, line ends and blanks",
        HEADER
        + data_row(2, "A &amp; B &lt;1&gt; &#x41;&#66;", "<v>0.1</v>")
        + data_row(3, "two\r\nlines\rhere", "<v/>")
        + data_row(4, " padded ", "")
        + row(5, '<c r="A5" s="1"/>', '<c r="B5" s="1"/>')
        + '<row r="6" spans="1:3" ht="20" customHeight="1"/>'
        + data_row(7, "After", "<v>2</v>")
        + row(8, inline("D8", "right of the header"))
        + row(9, inline("A9", ""), inline("B9", "developer")),
        None,
        "",
        True,
    ),
    (
        "one cell at XFD1048576",
        HEADER + data_row(2) + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
        None,
        "",
        True,
    ),
    (
        "cells without a reference",
        HEADER + '<row r="2"><c t="inlineStr"><is><t>Dev</t></is></c><c><v>1</v></c></row>',
        None,
        "",
        True,
    ),
    ("rows without a number", HEADER + "<row>" + inline("A2", "Dev") + "</row>", None, "", True),
    (
        "cells of the first style, as LibreOffice writes them",
        HEADER
        + row(
            2,
            '<c r="A2" s="0" t="s"><v>0</v></c>',
            '<c r="B2" s="0" t="s"><v>1</v></c>',
            '<c r="C2" s="0" t="n"><v>2.5</v></c>',
            '<c r="D2" s="0"><v>7</v></c>',
            '<c r="E2" s="0" t="s"><v>00</v></c>',
            attributes=' customFormat="false" ht="12.8"',
        ),
        [" Dev ", "developer"],
        "",
        True,
    ),
    (
        "empty elements ended by a space and '/>', as openpyxl writes them",
        HEADER
        + '<row r="2" >'
        + inline("A2", "Dev")
        + '<c r="B2" t="inlineStr" /><c r="C2" s="0" /></row><row r="3" />'
        + data_row(4),
        None,
        "",
        True,
    ),
    (
        "cells and rows with and without references, gaps, rows jumping ahead",
        HEADER.replace(' r="B1"', "")
        + '<row><c t="inlineStr"><is><t>Dev</t></is></c><c/><c s="0"><v>2</v></c></row>'
        + '<row r="5"><c r="B5"><v>3</v></c><c><v>4</v></c><c r="A5"/></row>'
        + '<row spans="1:3"><c r="C6"><v>5</v></c></row><row/>'
        + '<row r="9"><c r="B9" t="inlineStr"><is><t>x</t></is></c><c/><c><v>6</v></c></row>'
        + '<row r="12" spans="1:3"><c><v>7</v></c><c r="C12"><v>8</v></c></row>'
        + "<row><c/><c/><c/><c/><c><v>right of the header</v></c></row>",
        None,
        "",
        True,
    ),
    (
        "a title above a header without references",
        '<row><c t="inlineStr"><is><t>Environments</t></is></c></row><row/>'
        + HEADER.replace('<row r="1">', "<row>").replace(' r="A1"', "").replace(' r="C1"', "")
        + '<row><c t="inlineStr"><is><t>Dev</t></is></c><c/><c><v>1.5</v></c></row>',
        None,
        "",
        True,
    ),
    (
        "a row's number after its other attributes",
        HEADER + '<row spans="1:3" r="2">' + inline("A2", "Dev") + "</row>",
        None,
        "",
        False,
    ),
    (
        "rows without a number going past Excel's last row",
        HEADER + '<row r="1048576"><c r="A1048576"><v>1</v></c></row><row><c><v>1</v></c></row>',
        None,
        "",
        False,
    ),
    (
        "prefixed element names",
        HEADER.replace("<", "<x:").replace("<x:/", "</x:"),
        None,
        "x",
        False,
    ),
    ("a comment", HEADER + "<!-- note -->" + data_row(2), None, "", False),
    ("CDATA", HEADER + data_row(2, "<![CDATA[Dev]]>"), None, "", False),
    ("rows out of order", HEADER + data_row(3) + data_row(2, "Test"), None, "", False),
    (
        "one cell given twice",
        HEADER + row(2, inline("A2", "Dev"), inline("A2", "Test"), inline("B2", "developer")),
        None,
        "",
        False,
    ),
    (
        "rich text of several runs",
        HEADER
        + row(
            2,
            '<c r="A2" t="inlineStr"><is><r><t>De</t></r><r><t>v</t></r></is></c>',
            inline("B2", "developer"),
        ),
        None,
        "",
        False,
    ),
    (
        "phonetic runs",
        HEADER
        + row(
            2,
            '<c r="A2" t="inlineStr"><is><t>Dev</t><rPh sb="0" eb="1"><t>x</t></rPh></is></c>',
            inline("B2", "developer"),
        ),
        None,
        "",
        False,
    ),
    (
        "attributes in another order",
        HEADER
        + row(2, '<c t="inlineStr" r="A2"><is><t>Dev</t></is></c>', inline("B2", "developer")),
        None,
        "",
        False,
    ),
    ("a cell outside any row", HEADER + inline("A2", "Dev") + data_row(3), None, "", False),
    (
        "a shared string that does not exist",
        HEADER + row(2, '<c r="A2" t="s"><v>7</v></c>'),
        ["x"],
        "",
        False,
    ),
    # Number cells holding what no program writes: their text, which the column's rule refuses.
    ("a number that is not one", HEADER + data_row(2, size="<v>1.2.3</v>"), None, "", True),
    ("a number cell of NaN", HEADER + data_row(2, size="<v>NaN</v>"), None, "", True),
    ("a number cell of INF", HEADER + data_row(2, size="<v>-INF</v>"), None, "", True),
    (
        "a date no calendar holds",
        HEADER
        + row(
            2, inline("A2", "Dev"), inline("B2", "developer"), '<c r="C2" s="1"><v>1E+300</v></c>'
        ),
        None,
        "",
        True,
    ),
    (
        "a date cell that is no date",
        HEADER
        + row(2, inline("A2", "Dev"), inline("B2", "developer"), '<c r="C2" t="d"><v>soon</v></c>'),
        None,
        "",
        False,
    ),
    (
        "a boolean other than 0 or 1 (refused, naming the cell)",
        HEADER
        + row(2, inline("A2", "Dev"), inline("B2", "developer"), '<c r="C2" t="b"><v>7</v></c>'),
        None,
        "",
        False,
    ),
    (
        "XML error after the header",
        HEADER + data_row(2) + "<row r='3'><c></row>",
        None,
        "",
        False,
    ),
    ("row number zero", '<row r="0"><c r="A0"><v>1</v></c></row>' + HEADER, None, "", False),
    (
        "a title above the header",
        row(1, inline("A1", "Environments"), inline("F1", "as of March"))
        + HEADER.replace('1"', '3"')  # the header in row 3
        + data_row(4)
        + row(5, inline("A5", "Test"), inline("B5", "developer"), inline("E5", "note")),
        None,
        "",
        True,
    ),
    (
        # Not read, by either reader: a date no program writes, a number that is not one.
        "cells right of the header that would not read",
        HEADER
        + data_row(2)
        + row(
            30,
            inline("A30", "Test"),
            inline("B30", "developer"),
            '<c r="D30" t="d"><v>not a date</v></c>',
            '<c r="E30"><v>1.2.3</v></c>',
        ),
        None,
        "",
        True,
    ),
    ("row beyond Excel", HEADER + data_row(1048577), None, "", False),
]


def streamed_only(*arguments: Any) -> Any:
    """Stands in for the quick reader: every sheet goes to the streaming reader."""
    raise workbook._NotSimple


def outcome(raw: Any) -> Table | str:
    try:
        return workbook.choose_sheet(raw, classify_headers, None).table
    except InputError as error:
        return str(error)


def same(first: Table | str, second: Table | str) -> bool:
    if isinstance(first, str) or isinstance(second, str):
        return first == second
    return (
        first.headers == second.headers
        and first.cells.equals(second.cells)
        and first.row_numbers.tolist() == second.row_numbers.tolist()
        and first.header_row == second.header_row
    )


@pytest.mark.parametrize(
    ("rows", "shared", "prefix", "quick"),
    [pytest.param(*case[1:], id=case[0]) for case in SHAPES],
)
def test_quick_and_streamed_readings_agree(
    rows: str,
    shared: list[str] | None,
    prefix: str,
    quick: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(package(rows, shared=shared, prefix=prefix))
    raw = read_raw(path)
    taken: list[bool] = []
    original = workbook._quick_cells

    def watched(*arguments: Any) -> Any:
        try:
            cells = original(*arguments)
        except workbook._NotSimple:
            taken.append(False)
            raise
        taken.append(True)
        return cells

    monkeypatch.setattr(workbook, "_quick_cells", watched)
    as_read = outcome(raw)
    # None at all when the search for the header already refused the sheet.
    assert taken == [quick] or (not quick and not taken), taken

    monkeypatch.setattr(workbook, "_quick_cells", streamed_only)
    assert same(as_read, outcome(raw)), (as_read, outcome(raw))


def openpyxl_workbook(path: Path, rows: list[list[Any]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Environments"
    for values in rows:
        sheet.append(values)
    book.save(path)
    return path


def test_openpyxl_values_read_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dates (by style), times, booleans, floats and shared strings as openpyxl writes them."""
    rows: list[list[Any]] = [["name", "type", "measured_on", "dataverse_database_gb", "note"]]
    values: list[Callable[[int], Any]] = [
        lambda n: dt.datetime(2026, 1, 1) + dt.timedelta(days=n, seconds=n * 37),
        lambda n: dt.date(2025, 12, 31) - dt.timedelta(days=n),
        lambda n: dt.time(n % 24, n % 60),
        lambda n: n % 2 == 0,
        lambda n: n / 7,
        lambda n: f" text {n}\u00a0",
        lambda n: None,
    ]
    for number in range(60):
        rows.append(
            [f"Env{number}", "developer", values[number % len(values)](number), number * 0.25, ""]
        )
    raw = read_raw(openpyxl_workbook(tmp_path / "book.xlsx", rows))
    calls: list[str] = []
    original = workbook._quick_grid

    def watched(*arguments: Any) -> Any:
        calls.append("quick")
        return original(*arguments)

    monkeypatch.setattr(workbook, "_quick_grid", watched)
    as_read = outcome(raw)
    assert calls == ["quick"] and not isinstance(as_read, str)
    monkeypatch.setattr(workbook, "_quick_cells", streamed_only)
    assert same(as_read, outcome(raw))


class _CountedPattern:
    """A compiled pattern whose full matches are counted (the cells read the long way)."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.calls = 0

    def fullmatch(self, text: str) -> re.Match[str] | None:
        self.calls += 1
        return self.pattern.fullmatch(text)


def test_cells_of_every_style_read_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cell styled, as Excel saves a formatted table: numbers of styles that are no
    date's (a font, a number format) and text take the short ways, dates the long one, and
    the table is the streaming reader's."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Environments"
    sheet.append(["name", "type", "measured_on", "dataverse_database_gb", "file_gb", "note"])
    for number in range(1, 41):
        sheet.append(
            [
                f"Env{number}",
                "developer",
                dt.date(2026, 1, 1) + dt.timedelta(days=number),
                number * 0.25,
                number,
                f" text {number}",
            ]
        )
    bold = openpyxl.styles.Font(bold=True)
    for cells in sheet.iter_rows():
        for cell in cells:
            cell.font = bold
    for (cell,) in sheet.iter_rows(min_row=2, min_col=4, max_col=4):
        cell.number_format = "0.00"
    for (cell,) in sheet.iter_rows(min_row=2, min_col=3, max_col=3):
        cell.number_format = "yyyy-mm-dd"
    path = tmp_path / "styled.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        written = archive.read("xl/worksheets/sheet1.xml").decode()
    assert ' s="0"' not in written and written.count(' s="') >= 6 * 41  # every cell styled
    raw = read_raw(path)
    counted = _CountedPattern(workbook._CELL_REST)
    monkeypatch.setattr(workbook, "_CELL_REST", counted)
    as_read = outcome(raw)
    assert not isinstance(as_read, str) and as_read.headers[2] == "measured_on"
    assert counted.calls == 40  # the dates alone
    monkeypatch.setattr(workbook, "_quick_cells", streamed_only)
    assert same(as_read, outcome(raw))


def test_too_many_cells_are_refused_by_the_quick_reader_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the streaming reader going through them all again, with the same message."""
    monkeypatch.setattr(workbook, "MAX_CELLS", 5)
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(package(HEADER + data_row(2) + data_row(3)))
    raw = read_raw(path)
    streamed = outcome_streamed(raw, monkeypatch)
    assert "holds more than 5 cells" in streamed
    monkeypatch.undo()
    monkeypatch.setattr(workbook, "MAX_CELLS", 5)
    monkeypatch.setattr(workbook, "_sheet_rows", refuse_full_streaming(workbook._sheet_rows))
    with zipfile.ZipFile(path) as archive, pytest.raises(workbook._TooManyCells):
        workbook._quick_cells(
            lambda: archive.open("xl/worksheets/sheet1.xml"),
            [],
            (set(), set(), None),
            1000,
        )
    assert outcome(raw) == streamed


def outcome_streamed(raw: Any, monkeypatch: pytest.MonkeyPatch) -> Table | str:
    with monkeypatch.context() as patch:
        patch.setattr(workbook, "_quick_cells", streamed_only)
        return outcome(raw)


def refuse_full_streaming(original: Callable[..., Any]) -> Callable[..., Any]:
    """The streaming reader, for the top rows only (where the header is searched)."""

    def reader(*arguments: Any) -> Any:
        assert arguments[-1] is not None, "the whole sheet was streamed"
        return original(*arguments)

    return reader


def positional_sheet(rows: int, seed: int) -> str:
    """Rows and cells with and without references, at random: gaps, rows jumping ahead, cells
    left and right of the header's last column, empty rows and cells."""
    chooser = random.Random(seed)
    names = ("name", "type", "dataverse_database_gb")
    header = (
        "".join(
            inline(f"{'ABC'[i]}1", name).replace(
                ' r="', ' r="' if chooser.random() < 0.5 else ' x="'
            )
            for i, name in enumerate(names)
        )
        .replace(' x="A1"', "")
        .replace(' x="B1"', "")
        .replace(' x="C1"', "")
    )
    parts = [f"<row>{header}</row>" if chooser.random() < 0.5 else f'<row r="1">{header}</row>']
    number = 1
    for _ in range(rows):
        if chooser.random() < 0.5:
            number += chooser.choice((1, 2, 7))
            start = f'<row r="{number}"'
        else:
            number += 1
            start = "<row"
        cells = []
        column = 0
        for _ in range(chooser.randint(0, 6)):
            value = chooser.choice(
                ("<v>1.5</v>", "<v>7</v>", "", "<v/>", "<is><t>Dev</t></is>", "<v>x</v>")
            )
            kind = ' t="inlineStr"' if value.startswith("<is>") else ""
            if chooser.random() < 0.5:
                column += chooser.choice((1, 2, 3))
                reference = f' r="{workbook.column_letter(column - 1)}{number}"'
            else:
                column += 1
                reference = ""
            cells.append(f"<c{reference}{kind}>{value}</c>" if value else f"<c{reference}{kind}/>")
        parts.append(f"{start}>{''.join(cells)}</row>" if cells else f"{start}/>")
    return "".join(parts)


@pytest.mark.parametrize("seed", range(12))
def test_positional_cells_and_rows_read_alike(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cells and rows without references (their place is the one after the one before) are
    read by the quick reader, exactly as the streaming reader reads them."""
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(package(positional_sheet(300, seed)))
    raw = read_raw(path)
    monkeypatch.setattr(workbook, "_sheet_rows", refuse_full_streaming(workbook._sheet_rows))
    as_read = outcome(raw)
    assert not isinstance(as_read, str), as_read
    monkeypatch.undo()
    assert same(as_read, outcome_streamed(raw, monkeypatch)), (as_read, outcome(raw))


def sheet_rewritten(data: bytes, rewrite: Callable[[str], str]) -> bytes:
    """The workbook ``data`` with its sheet's XML rewritten."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            text = source.read(info).decode("utf-8")
            if info.filename == "xl/worksheets/sheet1.xml":
                text = rewrite(text)
            target.writestr(info.filename, text, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def many_rows(count: int, start: int = 2) -> str:
    return "".join(data_row(number, f"Env{number}") for number in range(start, start + count))


# (id, workbook): sheets of many chunks whose XML is checked by a process of its own.
CHECKED_BESIDE: list[tuple[str, bytes]] = [
    ("well formed", package(HEADER + many_rows(600))),
    (
        # (past the first 64 KB, which the search for the header reads)
        "an error past the rows where the header is searched",
        package(HEADER + many_rows(600) + "<row r='700'><c></row>" + many_rows(300, 701)),
    ),
    ("an error in the last chunk", package(HEADER + many_rows(600) + "<row r='900'><c></row>")),
    (
        "an error at the end alone (the worksheet never closed)",
        sheet_rewritten(
            package(HEADER + many_rows(600)), lambda text: text[: -len("</worksheet>")]
        ),
    ),
    (
        "text after the worksheet",
        sheet_rewritten(package(HEADER + many_rows(600)), lambda text: text + "<worksheet/>"),
    ),
]


@pytest.mark.parametrize("data", [pytest.param(case[1], id=case[0]) for case in CHECKED_BESIDE])
def test_a_long_sheet_is_checked_beside_and_read_alike(
    data: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same reading, or the same refusal, as the streaming reader's, with the XML checked
    by a separate process (every sheet of more than a chunk: one of 64 bytes here)."""
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(data)
    raw = read_raw(path)
    monkeypatch.setattr(workbook, "_CHUNK", 64)
    started: list[bool] = []
    original = workbook._checking_process

    def watched() -> Any:
        process = original()
        started.append(process is not None)
        return process

    monkeypatch.setattr(workbook, "_checking_process", watched)
    as_read = outcome(raw)
    assert started == [True]
    assert same(as_read, outcome_streamed(raw, monkeypatch)), as_read


@pytest.mark.parametrize("chunk", [64, 1 << 20], ids=["checked beside", "checked here"])
def test_an_xml_error_before_too_many_cells_is_the_one_reported(
    chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The streaming reader stops at the first XML error, before it has counted the cells
    that are too many; the quick reader then leaves the sheet to it."""
    monkeypatch.setattr(workbook, "MAX_CELLS", 2000)
    monkeypatch.setattr(workbook, "_CHUNK", chunk)
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(
        package(HEADER + many_rows(600) + "<row r='700'><c>&</c></row>" + many_rows(300, 701))
    )
    raw = read_raw(path)
    streamed = outcome_streamed(raw, monkeypatch)
    assert isinstance(streamed, str) and "damaged" in streamed, streamed
    assert outcome(raw) == streamed


def test_the_checking_process_is_stopped_when_the_quick_reader_gives_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sheet of another shape (a comment) goes to the streaming reader; the process checking
    its XML has ended by then."""
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(package(HEADER + many_rows(100) + "<!-- note -->" + many_rows(300, 102)))
    raw = read_raw(path)
    monkeypatch.setattr(workbook, "_CHUNK", 64)
    processes: list[Any] = []
    original = workbook._checking_process

    def watched() -> Any:
        processes.append(original())
        return processes[-1]

    monkeypatch.setattr(workbook, "_checking_process", watched)
    assert not isinstance(outcome(raw), str)
    assert len(processes) == 1 and processes[0].returncode is not None


@pytest.mark.parametrize("chunk", [64, 1 << 20], ids=["checked beside", "checked here"])
@pytest.mark.parametrize(
    ("xml", "so_far", "at_the_end"),
    [
        pytest.param(b"<a>" + b"<b>text</b>" * 20, True, False, id="not yet ended"),
        pytest.param(b"<a>" + b"<b>text</b>" * 20 + b"</a>", True, True, id="whole"),
        pytest.param(b"<a>" + b"<b>text</b>" * 20 + b"<b>&</b></a>", False, False, id="error"),
        pytest.param(b"<a>" + b"<b>text</b>" * 20 + b"</a><a/>", False, False, id="two roots"),
    ],
)
def test_well_formed_xml_as_expat_finds_it(
    xml: bytes, so_far: bool, at_the_end: bool, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What was fed holds no error so far, and the whole is a document: asked of a separate
    process for a first chunk of ``_CHUNK`` bytes or more, of expat here otherwise."""
    monkeypatch.setattr(workbook, "_CHUNK", chunk)

    def fed(checker: Any) -> Any:
        for start in range(0, len(xml), 64):
            checker.feed(xml[start : start + 64])
        return checker

    for ask, expected in (("so_far", so_far), ("end", at_the_end)):
        checker = workbook._WellFormed()
        try:
            fed(checker)
            getattr(checker, ask)()
        except workbook._NotSimple:
            answer = False
        except Exception:  # expat's own error, raised here (the reader takes it as _NotSimple)
            answer = False
        else:
            answer = True
        finally:
            checker.close()
        assert answer is expected, ask


# Number cells as a program may write them: each reads as a number a float holds, shortest text
# or not (the first ones), or is one no float holds exactly or at all (the last three).
NUMBER_TEXTS = ("1", "2.5", "0.1", "1E+20", "1e-320", "-0", "-0.0", "3.0000000000000004", "007")
NUMBER_TEXTS += ("5.", ".5", "-12.75", "9007199254740993", "12345678901234567890", "1e400")


@pytest.mark.parametrize("seed", range(6))
def test_number_cells_read_as_numbers_are_the_numbers_of_their_text(
    seed: int, tmp_path: Path
) -> None:
    """An inventory's number columns whose cells are all number cells (or blank) are kept as
    numbers when the sheet is read, and each is the number its text parses to."""
    chooser = random.Random(seed)
    headers = ("name", "type", "dataverse_database_gb", "dataverse_file_gb", "tier")
    rows = [row(1, *(inline(f"{'ABCDE'[i]}1", text) for i, text in enumerate(headers)))]
    for number in range(2, 60):
        cells = [inline(f"A{number}", f"Env{number}"), inline(f"B{number}", "sandbox")]
        for column in "CDE":
            pick = chooser.random()
            if pick < 0.15:
                continue  # blank
            if pick < 0.5:
                # Column D: numbers a float holds alone; C and E: any.
                value = chooser.choice(NUMBER_TEXTS[:-3] if column == "D" else NUMBER_TEXTS)
            elif pick < 0.55 and seed % 2 and column != "D":
                cells.append(inline(f"{column}{number}", " 2.5 "))  # text: parsed from text
                continue
            else:
                value = repr(chooser.uniform(0, 10 ** chooser.randint(0, 12)))
            kind = chooser.choice(("", ' t="n"'))  # the number type, written or not
            cells.append(f'<c r="{column}{number}"{kind}><v>{value}</v></c>')
        rows.append(row(number, *cells))
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(package("".join(rows)))
    table = workbook.choose_sheet(read_raw(path), classify_headers, None, number_columns).table
    assert 3 in table.numbers and 4 not in table.numbers  # the tier is no size: read as text
    for position, numbers in table.numbers.items():
        parsed = _to_floats(table.cells[position], False)
        assert numbers.tobytes() == parsed.tobytes(), headers[position]


def sst(items: list[str], *, head: str = "", namespace: str = MAIN, between: str = "") -> bytes:
    declaration = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    start = f'{head}{declaration}<sst xmlns="{namespace}" count="{len(items)}">'
    return (start + between.join(items) + "</sst>").encode("utf-8")


STRING_TEXTS = [
    "Dev",
    "",
    " spaced ",
    "a &amp; b &lt;c&gt;",
    "line\r\nend",
    "&#13;cr",
    "x005F_x",
    "Ärger ✓ 𝔘",
]


def plain(text: str, preserve: bool = False) -> str:
    space = ' xml:space="preserve"' if preserve else ""
    return f"<si><t{space}>{text}</t></si>" if text else f"<si><t{space}/></si>"


# (id, the table, whether it has the usual shape, read at once)
STRING_TABLES: list[tuple[str, bytes, bool]] = [
    ("usual", sst([plain(text) for text in STRING_TEXTS]), True),
    ("preserved", sst([plain(text, True) for text in STRING_TEXTS]), True),
    ("empty", sst([]), True),
    ("runs of formatting", sst([plain("a"), "<si><r><t>b</t></r><r><t>c</t></r></si>"]), False),
    ("phonetic text", sst(['<si><t>漢字</t><rPh sb="0" eb="1"><t>かん</t></rPh></si>']), False),
    ("blanks between strings", sst([plain("a"), plain("b")], between="\n  "), False),
    ("another namespace", sst([plain("a")], namespace="urn:other"), False),
    ("a string without text", sst([plain("a"), "<si/>"]), False),
    ("a comment", sst([plain("a"), "<!-- note -->", plain("b")]), False),
    ("byte order mark", sst([plain("a")], head="\ufeff"), False),
    ("not well formed", sst([plain("a"), "<si><t>b</si>"]), False),
]


@pytest.mark.parametrize(
    ("data", "usual"), [pytest.param(*case[1:], id=case[0]) for case in STRING_TABLES]
)
def test_shared_strings_read_at_once_are_openpyxls(
    data: bytes, usual: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shared strings table of the usual shape is read at once, each string what openpyxl
    makes of it; any other is left to openpyxl's reading (or refusal)."""
    budget = workbook._TextBudget(read_raw_bytes(b"x" * 1000))
    assert (workbook._quick_shared_strings(data, MAIN) is not None) is usual

    def read(quick: bool) -> list[str] | str:
        with monkeypatch.context() as patch:
            if not quick:
                patch.setattr(workbook, "_quick_shared_strings", lambda *arguments: None)
            try:
                return workbook._read_shared_strings(io.BytesIO(data), "xl/sst.xml", budget)
            except Exception as error:  # openpyxl's refusal of XML that is not well formed
                return type(error).__name__

    assert read(True) == read(False)


def read_raw_bytes(data: bytes) -> Any:
    from planner.ingest.source import RawFile

    return RawFile("book.xlsx", data)


def shared_rows(count: int) -> tuple[str, list[str]]:
    """Rows as Excel saves them: text in the shared strings table, every row and cell styled."""
    strings = ["name", "type", "dataverse_database_gb", "developer"]
    rows = [
        '<row r="1"><c r="A1" s="0" t="s"><v>0</v></c><c r="B1" s="0" t="s"><v>1</v></c>'
        '<c r="C1" s="0" t="s"><v>2</v></c></row>'
    ]
    for number in range(2, count + 2):
        strings.append(f"Env {number}")
        rows.append(
            f'<row r="{number}" spans="1:3"><c r="A{number}" s="0" t="s"><v>{len(strings) - 1}'
            f'</v></c><c r="B{number}" s="0" t="s"><v>3</v></c><c r="C{number}" s="0" t="n">'
            f"<v>{number / 8}</v></c></row>"
        )
    return "".join(rows), strings


def unnumbered_from(rows: str, number: int) -> str:
    """``rows`` with the numbers of rows from ``number`` on left out (each is the row below)."""
    return re.sub(
        r'<row r="([0-9]+)"',
        lambda found: "<row" if int(found.group(1)) >= number else found.group(0),
        rows,
    )


# (id, rows, shared strings, whether the reading by two processes is settled by one)
BESIDE_CASES: list[tuple[str, str, list[str] | None, bool]] = [
    ("inline text and numbers", HEADER + many_rows(600), None, False),
    ("shared strings, as saved", *shared_rows(600), False),
    (
        "rows without their numbers from the middle on",
        unnumbered_from(HEADER + many_rows(600), 300),
        None,
        True,
    ),
    ("a row number again in a later segment", HEADER + many_rows(600) + data_row(300), None, False),
    # (at a few places; test_rows_going_back_where_the_second_process_begins_are_not_simple
    # puts it where the second process's first segment begins)
    *(
        (
            f"rows going back after {count}",
            HEADER + many_rows(count, 700) + many_rows(300, 2),
            None,
            False,
        )
        for count in range(3, 6)
    ),
    (
        "an XML error in a later segment",
        HEADER + many_rows(600) + "<row r='700'><c></row>",
        None,
        False,
    ),
    (
        "a cell of another shape in a later segment",
        HEADER + many_rows(600) + row(700, '<c r="A700" t="e"><v>#N/A</v></c>'),
        None,
        False,
    ),
]


def read_by_two(monkeypatch: pytest.MonkeyPatch) -> tuple[list[bool], list[int]]:
    """Every sheet read by two processes, in segments of a few rows, its XML checked by a
    process of its own; whether each reading started a second process, and how many times the
    quick reader ran (a second time: the one-process reading that settles what two could
    not)."""
    monkeypatch.setattr(workbook, "PARALLEL_FROM", 0)
    monkeypatch.setattr(workbook, "PARALLEL_ROWS", 0)
    monkeypatch.setattr(workbook, "_SEGMENT", 600)
    monkeypatch.setattr(workbook, "_BLOCK", 200)
    monkeypatch.setattr(workbook, "_CHUNK", 64)
    started: list[bool] = []
    runs: list[int] = [0]
    beside, quick = workbook.Beside, workbook._quick_cells

    def watched_beside(job: Callable[[], None]) -> Any:
        started.append(True)
        return beside(job)

    def watched_quick(*arguments: Any) -> Any:
        runs[0] += 1
        return quick(*arguments)

    monkeypatch.setattr(workbook, "Beside", watched_beside)
    monkeypatch.setattr(workbook, "_quick_cells", watched_quick)
    return started, runs


@pytest.mark.skipif(not workbook.can_fork(), reason="the second process is forked")
@pytest.mark.parametrize(
    ("rows", "shared", "settled_by_one"),
    [pytest.param(*case[1:], id=case[0]) for case in BESIDE_CASES],
)
def test_a_sheet_read_by_two_processes_is_read_as_by_one(
    rows: str,
    shared: list[str] | None,
    settled_by_one: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same table, or the same refusal, as the streaming reader's and as the quick reader's
    in one process, whichever segments hold what."""
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(package(rows, shared=shared))
    raw = read_raw(path)
    streamed = outcome_streamed(raw, monkeypatch)
    alone, taken_alone = outcome_taken(raw, monkeypatch)
    started, runs = read_by_two(monkeypatch)
    by_two, taken_by_two = outcome_taken(raw, monkeypatch)
    assert started, "no second process"
    # Settled by one: the quick reader once by two processes, once more by one.
    assert runs[0] == (2 if settled_by_one else 1) or isinstance(by_two, str), runs
    # The quick reader takes the same sheets, and leaves the same ones to the streaming reader.
    assert taken_by_two == taken_alone
    assert same(by_two, alone), (by_two, alone)
    assert same(by_two, streamed), (by_two, streamed)


def outcome_taken(raw: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Table | str, bool]:
    """The outcome, and whether the quick reader read the sheet (rather than leave it to the
    streaming reader)."""
    taken = [True]
    original = workbook._quick_cells

    def watched(*arguments: Any) -> Any:
        try:
            return original(*arguments)
        except workbook._NotSimple:
            taken[0] = False
            raise

    with monkeypatch.context() as patch:
        patch.setattr(workbook, "_quick_cells", watched)
        return outcome(raw), taken[0]


@pytest.mark.skipif(not workbook.can_fork(), reason="the second process is forked")
def test_two_processes_give_the_cells_in_sheet_order(monkeypatch: pytest.MonkeyPatch) -> None:
    rows, strings = shared_rows(600)
    data = package(rows, shared=strings)

    def cells(size: int) -> Any:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return workbook._quick_cells(
                lambda: archive.open("xl/worksheets/sheet1.xml"),
                strings,
                (set(), set(), None),
                1000,
                1,
                None,
                size,
            )

    alone = cells(0)
    read_by_two(monkeypatch)
    by_two = cells(len(data))
    for field in ("rows", "columns", "texts"):
        assert getattr(by_two, field).tolist() == getattr(alone, field).tolist(), field
    assert (by_two.untrimmed, by_two.long_text) == (alone.untrimmed, alone.long_text)
    # (A blank's entry is NaN, which equals no NaN: compared as text.)
    assert repr(sorted(by_two.numbers.items())) == repr(sorted(alone.numbers.items()))


def test_each_segment_is_read_by_one_process_the_second_reading_most() -> None:
    segments = range(3 * workbook._SHARE)
    first = [number for number in segments if workbook._reads(number, 0)]
    second = [number for number in segments if workbook._reads(number, 1)]
    assert sorted(first + second) == list(segments)
    assert 0 in first and len(second) > len(first)


@pytest.mark.skipif(not workbook.can_fork(), reason="the second process is forked")
@pytest.mark.parametrize("seed", range(6))
def test_positional_sheets_read_by_two_processes_read_alike(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(package(positional_sheet(300, seed)))
    raw = read_raw(path)
    streamed = outcome_streamed(raw, monkeypatch)
    read_by_two(monkeypatch)
    assert same(outcome(raw), streamed)


@pytest.mark.skipif(not workbook.can_fork(), reason="the second process is forked")
def test_too_many_cells_read_by_two_processes_are_refused_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cells counted in part from the other process's blocks: one process reads the sheet
    again and refuses it with the same message, without the streaming reader."""
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(package(HEADER + many_rows(600)))
    raw = read_raw(path)
    monkeypatch.setattr(workbook, "MAX_CELLS", 1600)
    streamed = outcome_streamed(raw, monkeypatch)
    assert "holds more than 1,600 cells" in streamed
    started, runs = read_by_two(monkeypatch)
    monkeypatch.setattr(workbook, "_sheet_rows", refuse_full_streaming(workbook._sheet_rows))
    assert outcome(raw) == streamed
    assert started and runs[0] == 2


@pytest.mark.skipif(not workbook.can_fork(), reason="the second process is forked")
@pytest.mark.parametrize("failing", ["its answer", "its start"])
def test_a_second_process_that_fails_leaves_the_reading_to_one(
    failing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(package(HEADER + many_rows(600)))
    raw = read_raw(path)
    alone = outcome(raw)
    started, runs = read_by_two(monkeypatch)

    def broken(*arguments: Any, **options: Any) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    if failing == "its answer":
        monkeypatch.setattr(workbook.pickle, "dump", broken)
    else:
        monkeypatch.setattr(workbook, "Beside", broken)
    assert same(outcome(raw), alone)
    assert runs[0] == 2
    assert started or failing == "its start"


@pytest.mark.skipif(not workbook.can_fork(), reason="the second process is forked")
@pytest.mark.parametrize("before", range(2, 7))
def test_rows_going_back_where_the_second_process_begins_are_not_simple(
    before: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows going back at the start of a segment of the second process, which meets no row of
    the first before them: the quick reader gives the sheet up, as one process does."""
    data = package(HEADER + many_rows(before, 700) + many_rows(6, 2))

    def read(size: int) -> None:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            workbook._quick_cells(
                lambda: archive.open("xl/worksheets/sheet1.xml"),
                [],
                (set(), set(), None),
                1000,
                1,
                None,
                size,
            )

    with pytest.raises(workbook._NotSimple):
        read(0)
    read_by_two(monkeypatch)
    with pytest.raises(workbook._NotSimple):
        read(len(data))
