"""Benchmark: the worst inputs capplan must survive, each against its time and memory bound.

Every case writes a hostile file, runs capplan on it in a fresh process and reports the wall
time, the peak resident memory of the process tree, and the exit status next to the bound:
under 10 s for a file of up to 10 MB, and peak memory under 10 times the file size plus 150 MB
(for a real inventory or license sheet, which costs memory per row rather than per byte:
150 MB and 10 KB per row).
Exit status 0, 1 or 2 is fine (a refusal is the point of most cases); 70 or a signal is not.

    python benchmarks/hostile.py [--keep DIR] [--case TEXT ...]
"""

from __future__ import annotations

import argparse
import gzip
import io
import random
import sys
import tempfile
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import ROOT, capplan_command, compile_checkout, generate, measure

sys.path.insert(0, str(ROOT))

from planner.model.limits import MAX_ROWS

GOOD = ROOT / "tests" / "bad_inputs" / "good"
SECONDS = 10.0
MB = 1024 * 1024


def _workbook(sheet_xml: str) -> bytes:
    """A minimal XLSX package around one worksheet part."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relations = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
            f'Type="{relations}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{relations}"><sheets>'
            '<sheet name="Licenses" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
            f'Type="{relations}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _sheet(rows: str, dimension: str = "") -> str:
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<worksheet xmlns="{main}">{declared}<sheetData>{rows}</sheetData></worksheet>'


def far_cell(folder: Path) -> Path:
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>quantity</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>DYN365_FINANCE</t></is></c>'
        '<c r="B2"><v>5</v></c></row>'
        '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    )
    path = folder / "far-cell.xlsx"
    path.write_bytes(_workbook(_sheet(rows)))
    return path


def wide_workbook(folder: Path) -> Path:
    """A 3,000-column sheet of numbers, a few hundred rows: about 7 MB unpacked."""
    head = "".join(f"<c><v>{n}</v></c>" for n in range(3, 3001))
    rows = [
        '<row r="1"><c t="inlineStr"><is><t>sku</t></is></c>'
        f'<c t="inlineStr"><is><t>quantity</t></is></c>{head}</row>'
    ]
    body = "".join(f"<c><v>{n}</v></c>" for n in range(3000))
    rows += [f'<row r="{r}">{body}</row>' for r in range(2, 400)]
    path = folder / "wide.xlsx"
    path.write_bytes(_workbook(_sheet("".join(rows))))
    return path


def nested_cell(folder: Path) -> Path:
    """A workbook of 3 KB whose one cell nests 200,000 elements: refused before it is read."""
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>quantity</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is>' + "<x>" * 200_000 + "</x>" * 200_000 + "</is></c>"
        "</row>"
    )
    path = folder / "nested-cell.xlsx"
    path.write_bytes(_workbook(_sheet(rows)))
    return path


def string_of_runs(folder: Path) -> Path:
    """A workbook of 30 KB whose one shared string holds a million runs of text: refused
    before the strings are read."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>5</v></c></row>'
    )
    strings = (
        f'<sst xmlns="{main}"><si><t>sku</t></si><si><t>quantity</t></si><si>'
        + "<r><t>a</t></r>" * 1_000_000
        + "</si></sst>"
    )
    relations = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(io.BytesIO(_workbook(_sheet(rows)))) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts["xl/sharedStrings.xml"] = strings.encode()
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Id="rId2" Type="{relations}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>'.encode(),
    )
    path = folder / "string-of-runs.xlsx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


# One token of 180 MB in a sheet, in each place a parser or reader would hold it whole: a tag's
# attribute, a comment, a cell's value or inline string, a cell right of the header's last
# column (never read, yet parsed). Runs of 50,000 letters, each followed by six random hex
# digits, deflate about 900 to 1: under the inflation ratio refused as a zip bomb, and the
# unpacked sheet under the 200 MB refused. Refused before any parser sees it.
LONG_TOKEN_SHAPES = {
    "attribute": '<c r="A2" t="str" x="{token}"><v>DYN365_FINANCE</v></c><c r="B2"><v>5</v></c>',
    "comment": '<!--{token}--><c r="A2" t="str"><v>DYN365_FINANCE</v></c><c r="B2"><v>5</v></c>',
    "right of header": '<c r="A2" t="str"><v>DYN365_FINANCE</v></c><c r="B2"><v>5</v>'
    '</c><c r="Z2" t="str"><v>{token}</v></c>',
    "value": '<c r="A2" t="str"><v>{token}</v></c><c r="B2"><v>5</v></c>',
    "inline string": '<c r="A2" t="inlineStr"><is><t>{token}</t></is></c><c r="B2"><v>5</v></c>',
}


def long_token(shape: str) -> Callable[[Path], Path]:
    """A workbook of about 200 KB whose sheet holds one token of 180 MB, in the place named."""

    def make(folder: Path) -> Path:
        generator = random.Random(7)
        token = "".join("A" * 50_000 + generator.randbytes(3).hex() for _ in range(3_600))
        rows = (
            '<row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c>'
            '<c r="B1" t="inlineStr"><is><t>quantity</t></is></c></row>'
            f'<row r="2">{LONG_TOKEN_SHAPES[shape].replace("{token}", token)}</row>'
        )
        path = folder / f"long-{shape.replace(' ', '-')}.xlsx"
        path.write_bytes(_workbook(_sheet(rows)))
        return path

    return make


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _with_part(
    book: bytes, kind: str, text: str, number: int, changed: dict[str, tuple[bytes, bytes]]
) -> bytes:
    """The workbook ``book`` with a part ``xl/{kind}.xml`` of ``text``, as Excel adds one: the
    part, its relationship (rId``number``) and its content type; and ``changed`` parts with
    one text replaced by another."""
    with zipfile.ZipFile(io.BytesIO(book)) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts[f"xl/{kind}.xml"] = text.encode()
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Id="rId{number}" Type="{_RELATIONS}/{kind}" '
        f'Target="{kind}.xml"/></Relationships>'.encode(),
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        f'<Override PartName="/xl/{kind}.xml" ContentType="application/'
        f'vnd.openxmlformats-officedocument.spreadsheetml.{kind}+xml"/></Types>'.encode(),
    )
    for name, (old, new) in changed.items():
        parts[name] = parts[name].replace(old, new)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _with_bold_style(book: bytes) -> bytes:
    """The workbook ``book`` with a styles part of two cell formats, the second of a bold font
    (style 1), as Excel adds one."""
    styles = (
        f'<styleSheet xmlns="{_MAIN}"><fonts count="2"><font><sz val="11"/></font>'
        '<font><b/><sz val="11"/></font></fonts><fills count="1"><fill>'
        '<patternFill patternType="none"/></fill></fills><borders count="1"><border/>'
        '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
        'borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" '
        'fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" '
        'borderId="0" xfId="0" applyFont="1"/></cellXfs></styleSheet>'
    )
    return _with_part(book, "styles", styles, 3, {})


def _with_shared_strings(book: bytes, strings: list[str], *, hidden: bool = False) -> bytes:
    """The workbook ``book`` with a shared strings table of ``strings``, as Excel adds one: the
    part, its relationship and its content type; its sheet hidden if ``hidden``."""
    items = "".join(f"<si><t>{text}</t></si>" for text in strings)
    hide = {"xl/workbook.xml": (b'sheetId="1"', b'sheetId="1" state="hidden"')}
    return _with_part(
        book, "sharedStrings", f'<sst xmlns="{_MAIN}">{items}</sst>', 2, hide if hidden else {}
    )


# Cells of 32,000 letters (an Excel cell holds 32,767), each beginning with its own number: 3,000
# of them are 96 MB of text in a workbook of about 150 KB. Each shape puts them where a reader
# holds them: the shared strings (a string per cell, or one string every cell reads), inline
# strings, a column of the table that capplan does not use, cells right of the table, a hidden
# sheet, the license sheet. Refused while the text is read, once it is more than a workbook of
# that size may hold (planner/model/limits.py). "at the limit" is the most of them accepted:
# 120 inline names, 3.8 MB in a file of 7 KB, read and planned.
LONG_CELL = 32_000
LONG_CELL_SHAPES = (
    "shared names",
    "one shared name",
    "inline names",
    "unused column",
    "right of the table",
    "hidden sheet",
    "license sheet",
    "at the limit",
)


def long_cells(shape: str) -> Callable[[Path], Path]:
    """A workbook of long cells placed as ``shape`` says (see LONG_CELL_SHAPES)."""

    def text(number: int) -> str:
        head = f"T{number:05d}"
        return head + "x" * (LONG_CELL - len(head))

    def shared(column: str, number: int, index: int) -> str:
        return f'<c r="{column}{number}" t="s"><v>{index}</v></c>'

    def inline(column: str, number: int, value: str) -> str:
        return f'<c r="{column}{number}" t="inlineStr"><is><t>{value}</t></is></c>'

    def make(folder: Path) -> Path:
        count = 120 if shape == "at the limit" else 3_000
        licenses = shape == "license sheet"
        first = ("sku", "quantity") if licenses else ("name", "type")
        headers = [*first, "notes"] if shape == "unused column" else list(first)
        strings = [*headers, "developer"]  # the long texts follow, from index len(strings)
        base = len(strings)
        rows = ['<row r="1">' + "".join(shared(chr(65 + i), 1, i) for i in range(len(headers)))]
        rows[0] += "</row>"
        for n in range(count):
            number = n + 2
            kind = shared("B", number, len(headers))  # "developer"
            second = f'<c r="B{number}"><v>5</v></c>' if licenses else kind
            if shape in ("shared names", "hidden sheet", "license sheet"):
                cells = shared("A", number, base + n) + second
            elif shape == "one shared name":
                cells = shared("A", number, base) + second
            elif shape in ("inline names", "at the limit"):
                cells = inline("A", number, text(n)) + second
            else:  # a short name, the long text in the notes or right of the table
                where = "C" if shape == "unused column" else "F"
                cells = inline("A", number, f"E{n}") + second + shared(where, number, base + n)
            rows.append(f'<row r="{number}">{cells}</row>')
        if shape == "one shared name":
            strings.append(text(0))
        elif shape not in ("inline names", "at the limit"):
            strings += [text(n) for n in range(count)]
        book = _workbook(_sheet("".join(rows)))
        path = folder / f"long-cells-{shape.replace(' ', '-')}.xlsx"
        path.write_bytes(_with_shared_strings(book, strings, hidden=shape == "hidden sheet"))
        return path

    return make


def elements_before_cells(folder: Path, repeats: int = 2_000_000) -> Path:
    """A workbook of 4 MB whose sheet holds 18 million elements before its cells (a comment
    of random hex digits among every eight, which keeps the part under the inflation ratio
    refused as a zip bomb): refused when the sheet's declared size is looked for."""
    generator = random.Random(7)
    flood = "".join("<x/>" * 8 + f"<!--{generator.randbytes(1).hex()}-->" for _ in range(repeats))
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>quantity</t></is></c></row>'
        '<row r="2"><c r="A2" t="str"><v>DYN365_FINANCE</v></c><c r="B2"><v>5</v></c></row>'
    )
    sheet = _sheet(rows).replace("<sheetData>", f"<sheetViews>{flood}</sheetViews><sheetData>")
    path = folder / f"elements-before-cells-{repeats}.xlsx"
    path.write_bytes(_workbook(sheet))
    return path


def seven_mb_of_elements(folder: Path) -> Path:
    """The same flood of elements and comments, 7 MB of it: refused once it holds more tags
    than a workbook of its size may (each stretch of comments and elements measured on the
    way took 9.3 s)."""
    return elements_before_cells(folder, 3_400_000)


def cells_without_references(folder: Path) -> Path:
    """A license sheet of 24,000 rows of 401 cells, all but the first without the optional
    reference (a cell is then the one right of the one before): 9.6 million cells in well under
    1 MB. Read cell by cell it took 23 s; refused now for more tags than a file of its size
    holds."""
    generator = random.Random(7)
    rows = [
        '<row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>quantity</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>DYN365_FINANCE</t></is></c>'
        '<c r="B2"><v>25</v></c></row>'
    ]
    for number in range(3, 24_003):
        first = f'<c r="C{number}"><v>{generator.randint(0, 10**9)}</v></c>'
        rows.append(f'<row r="{number}">{first}{"<c><v>1</v></c>" * 400}</row>')
    path = folder / "cells-without-references.xlsx"
    path.write_bytes(_workbook(_sheet("".join(rows))))
    return path


def million_columns(folder: Path) -> Path:
    path = folder / "million-columns.csv"
    header = ",".join(["name", "type", *(f"c{n}" for n in range(1_000_000))])
    path.write_text(header + "\nA,developer\n", encoding="utf-8")
    return path


def long_csv(folder: Path) -> Path:
    """10 MB of license rows: refused at the row limit before parsing."""
    path = folder / "long.csv"
    path.write_text("sku,quantity\n" + "DYN365_FINANCE,1\n" * 600_000, encoding="utf-8")
    return path


def scenario_20000(folder: Path) -> Path:
    path = folder / "scenario-20000.toml"
    change = '[[changes]]\nkind = "buy_addon"\npool = "database"\ngb = 1\n\n'
    path.write_text('name = "Many"\n\n' + change * 20_000, encoding="utf-8")
    return path


def gzip_json(folder: Path) -> Path:
    path = folder / "gzip-named.json"
    path.write_bytes(gzip.compress(b" " * (64 * MB)))
    return path


def json_of_short_texts(folder: Path, size: int = 45 * MB, text: str = "ab") -> Path:
    """A JSON list of ``size`` bytes of one short text again and again (below the default
    input limit): values this dense are refused before they are parsed."""
    path = folder / f"short-texts-{len(text)}.json"
    item = f'"{text}",'.encode()
    count = size // len(item)
    path.write_bytes(b'{"value": [' + item * count + f'"{text}"]}}'.encode())
    return path


LARGE_INVENTORY = 50_000


def large_inventory(folder: Path) -> Path:
    """A tenant of 50,000 environments planned over 120 months. A table may hold ten times as
    many; bench.py measures those sizes."""
    _, inventory = generate(folder, LARGE_INVENTORY - 1)
    return inventory


WORKBOOK_MB = 7


def workbook_inventory(folder: Path) -> Path:
    """An inventory workbook of about 7 MB (a 7 MB file of any shape should finish in under 10 s):
    the bench's environments, written as a sheet until the file reaches that size."""
    import csv

    import xlsxwriter

    rows = 60_000
    while True:
        _, inventory = generate(folder, rows - 1)
        with inventory.open(encoding="utf-8", newline="") as handle:
            table = list(csv.reader(handle))
        path = folder / "inventory-7mb.xlsx"
        workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        sheet = workbook.add_worksheet("Environments")
        for number, row in enumerate(table):
            for column, value in enumerate(row):
                if value == "":
                    continue
                try:
                    figure = float(value) if number else None
                except ValueError:
                    figure = None
                if figure is None:
                    sheet.write_string(number, column, value)
                else:
                    sheet.write_number(number, column, figure)
        workbook.close()
        size = path.stat().st_size
        if size >= WORKBOOK_MB * MB * 0.95:
            global WORKBOOK_ROWS
            WORKBOOK_ROWS = rows
            return path
        rows = int(rows * WORKBOOK_MB * MB / size) + 1000


WORKBOOK_ROWS = 0


def saved_workbook_inventory(folder: Path, *, style: int = 0) -> Path:
    """The same inventory of about 7 MB as Excel and LibreOffice save a workbook: its text in
    the shared strings table, every cell and row with the attributes LibreOffice writes; every
    cell of the style ``style`` (1: a bold font, as a formatted table has)."""
    import csv

    from openpyxl.utils import get_column_letter

    global SAVED_ROWS
    rows = 60_000
    while True:
        _, inventory = generate(folder, rows - 1)
        with inventory.open(encoding="utf-8", newline="") as handle:
            table = list(csv.reader(handle))
        strings: dict[str, int] = {}
        lines = []
        for number, values in enumerate(table, start=1):
            cells = []
            for column, value in enumerate(values, start=1):
                if value == "":
                    continue
                reference = f"{get_column_letter(column)}{number}"
                try:
                    figure = float(value) if number > 1 else None
                except ValueError:
                    figure = None
                if figure is None:
                    index = strings.setdefault(value, len(strings))
                    cells.append(f'<c r="{reference}" s="{style}" t="s"><v>{index}</v></c>')
                else:
                    cells.append(f'<c r="{reference}" s="{style}" t="n"><v>{value}</v></c>')
            lines.append(
                f'<row r="{number}" customFormat="false" ht="12.8" hidden="false" '
                f'customHeight="false" outlineLevel="0" collapsed="false">{"".join(cells)}</row>'
            )
        book = _with_shared_strings(_workbook(_sheet("".join(lines))), list(strings))
        if style:
            book = _with_bold_style(book)
        if len(book) >= WORKBOOK_MB * MB * 0.95:
            path = folder / ("inventory-7mb-styled.xlsx" if style else "inventory-7mb-saved.xlsx")
            path.write_bytes(book)
            SAVED_ROWS = rows
            return path
        rows = int(rows * WORKBOOK_MB * MB / len(book)) + 1000


SAVED_ROWS = 0


def saved_workbook_bound(path: Path) -> int:
    """As workbook_bound, for the saved workbook's environments."""
    return 150 * MB + 10 * 1024 * SAVED_ROWS


def workbook_bound(path: Path) -> int:
    """Peak memory allowed for the workbook inventory: as for any real inventory, per
    environment (see inventory_bound), since each of its rows is a valid environment."""
    return 150 * MB + 10 * 1024 * WORKBOOK_ROWS


def file_bound(path: Path) -> int:
    """Peak memory allowed for a file of its size."""
    return 10 * path.stat().st_size + 150 * MB


def inventory_bound(path: Path) -> int:
    """Peak memory allowed for the large inventory: per environment (a forecast to the text
    table measured at about 9 KB each, planner/model/limits.py), whatever the file's size."""
    return 150 * MB + 10 * 1024 * LARGE_INVENTORY


def rows_bound(path: Path) -> int:
    """Peak memory allowed for a table whose every row is a valid environment or license line:
    per row, as for the large inventory."""
    with path.open("rb") as handle:
        rows = sum(1 for _ in handle) - 1
    return 150 * MB + 10 * 1024 * rows


def _seven_mb_csv(path: Path, header: str, row: Callable[[int], str]) -> Path:
    """A CSV of ``header`` and rows made by ``row(n)`` until the file holds 7 MB."""
    lines, size, number = [header], 0, 0
    while size < WORKBOOK_MB * MB:
        line = row(number)
        lines.append(line)
        size += len(line) + 1
        number += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def license_sheet(folder: Path) -> Path:
    """A license sheet of 7 MB: known, free and unknown part numbers, each unknown one new.
    Far more lines than any license export has, it is refused before it is planned."""
    known = ("DYN365_FINANCE", "DYN365_SCM", "CDS_DB_CAPACITY", "FLOW_FREE", "POWERAPPS_VIRAL")
    return _seven_mb_csv(
        folder / "licenses-7mb.csv",
        "sku,quantity",
        lambda n: f"{known[n % 5] if n % 7 else f'UNKNOWN_PART_{n}'},{n % 50 + 1}",
    )


def short_rows(folder: Path) -> Path:
    """An inventory of 7 MB in short valid rows: about 414,000 developer environments, more
    than the rows read, so refused before it is parsed."""
    return _seven_mb_csv(folder / "short-rows.csv", "name,type", lambda n: f"E{n},developer")


def rows_at_the_limit(folder: Path) -> Path:
    """As many of the shortest valid rows as capplan reads (4.3 MB): each one an environment
    to plan."""
    path = folder / "rows-at-the-limit.csv"
    rows = "".join(f"E{n},developer\n" for n in range(MAX_ROWS))
    path.write_text("name,type\n" + rows, encoding="utf-8")
    return path


def linked_sandboxes(folder: Path) -> Path:
    """An inventory of 7 MB of add-on sandboxes linked to Dataverse, each a finding or two."""
    return _seven_mb_csv(
        folder / "linked-sandboxes.csv",
        "name,type,tier,power_platform",
        lambda n: f"S{n},addon_sandbox,2,integrated",
    )


def new_sandboxes(folder: Path) -> Path:
    """The most of the shortest rows capplan reads, and a scenario of the most changes a
    scenario may hold (200), each a new sandbox: each is checked for the capacity its setup
    needs."""
    inventory = rows_at_the_limit(folder)
    change = '[[changes]]\nkind = "add_environment"\nname = "NEW-{n}"\ntype = "sandbox"\n\n'
    text = 'name = "New sandboxes"\n\n' + "".join(change.format(n=n) for n in range(200))
    (folder / "new-sandboxes.toml").write_text(text, encoding="utf-8")
    return inventory


def linked_pairs(folder: Path) -> Path:
    """An inventory of 7 MB of sandboxes each linked to its own production Dataverse
    environment."""
    return _seven_mb_csv(
        folder / "linked-pairs.csv",
        "name,type,tier,power_platform,linked_to",
        lambda n: f"L{n},sandbox,,linked_existing,D{n}\nD{n},dataverse_production,,,",
    )


Case = tuple[str, Callable[[Path], Path], Callable[[Path], list[str]], Callable[[Path], int]]


def cases(capplan: list[str]) -> list[Case]:
    licenses, environments = str(GOOD / "licenses.csv"), str(GOOD / "environments.csv")
    as_of = ["--as-of", "2026-12"]

    def forecast_with(option: str) -> Callable[[Path], list[str]]:
        def command(path: Path) -> list[str]:
            if option == "licenses":
                return [*capplan, "forecast", str(path), environments, *as_of]
            if option == "environments":
                return [*capplan, "forecast", licenses, str(path), *as_of, "--months", "120"]
            if option == "new sandboxes":
                scenario = str(path.parent / "new-sandboxes.toml")
                return [*capplan, "whatif", licenses, str(path), *as_of, "--scenario", scenario]
            return [*capplan, "whatif", licenses, environments, *as_of, "--scenario", str(path)]

        return command

    return [
        ("one cell at XFD1048576", far_cell, forecast_with("licenses"), file_bound),
        ("3,000-column workbook", wide_workbook, forecast_with("licenses"), file_bound),
        ("200,000 elements nested in a cell", nested_cell, forecast_with("licenses"), file_bound),
        (
            "9.6 million cells without references",
            cells_without_references,
            forecast_with("licenses"),
            file_bound,
        ),
        (
            "a shared string of a million runs",
            string_of_runs,
            forecast_with("licenses"),
            file_bound,
        ),
        (
            "18 million elements before the cells",
            elements_before_cells,
            forecast_with("licenses"),
            file_bound,
        ),
        (
            "7 MB of elements and comments",
            seven_mb_of_elements,
            forecast_with("licenses"),
            file_bound,
        ),
        *(
            (f"180 MB token: {shape}", long_token(shape), forecast_with("licenses"), file_bound)
            for shape in LONG_TOKEN_SHAPES
        ),
        *(
            (
                f"long cells: {shape}",
                long_cells(shape),
                forecast_with("licenses" if shape == "license sheet" else "environments"),
                file_bound,
            )
            for shape in LONG_CELL_SHAPES
        ),
        (
            "CSV of a million header columns",
            million_columns,
            forecast_with("environments"),
            file_bound,
        ),
        ("10 MB CSV of 600,000 rows", long_csv, forecast_with("licenses"), file_bound),
        ("scenario of 20,000 changes", scenario_20000, forecast_with("scenario"), file_bound),
        ("gzip named .json", gzip_json, forecast_with("licenses"), file_bound),
        (
            "45 MB JSON of two-letter texts",
            json_of_short_texts,
            forecast_with("licenses"),
            file_bound,
        ),
        (
            "48 MB JSON, a value per 10 bytes",
            partial(json_of_short_texts, size=48 * MB, text="abcdefg"),
            forecast_with("licenses"),
            file_bound,
        ),
        (
            "7 MB inventory workbook",
            workbook_inventory,
            forecast_with("environments"),
            workbook_bound,
        ),
        (
            "7 MB inventory workbook as saved",
            saved_workbook_inventory,
            forecast_with("environments"),
            saved_workbook_bound,
        ),
        (
            "7 MB inventory workbook, every cell styled",
            partial(saved_workbook_inventory, style=1),
            forecast_with("environments"),
            saved_workbook_bound,
        ),
        (
            "50,000 environments, 120 months",
            large_inventory,
            forecast_with("environments"),
            inventory_bound,
        ),
        ("7 MB license sheet", license_sheet, forecast_with("licenses"), file_bound),
        ("7 MB of the shortest rows", short_rows, forecast_with("environments"), file_bound),
        (
            "the shortest rows, as many as are read",
            rows_at_the_limit,
            forecast_with("environments"),
            rows_bound,
        ),
        (
            "7 MB of linked add-on sandboxes",
            linked_sandboxes,
            forecast_with("environments"),
            rows_bound,
        ),
        (
            "200 new sandboxes, the most rows read",
            new_sandboxes,
            forecast_with("new sandboxes"),
            rows_bound,
        ),
        (
            "7 MB of sandboxes linked in pairs",
            linked_pairs,
            forecast_with("environments"),
            rows_bound,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="Write the hostile files here and keep them.")
    parser.add_argument(
        "--case",
        action="append",
        default=[],
        metavar="TEXT",
        help="Run only the cases whose name holds TEXT (may be given again).",
    )
    options = parser.parse_args(argv)
    if options.keep:
        options.keep.mkdir(parents=True, exist_ok=True)
        return _run(options.keep, options.case)
    with tempfile.TemporaryDirectory(prefix="capplan-hostile-") as folder:
        return _run(Path(folder), options.case)


def _run(folder: Path, chosen: list[str]) -> int:
    """Every case (or those whose name holds one of ``chosen``), its files made in ``folder``:
    1 if any ended over its bounds."""
    compile_checkout()
    capplan = capplan_command()
    failed = 0
    columns = f"{'file':>9} {'seconds':>8} {'cpu s':>6} {'peak MB':>8} {'bound MB':>9}"
    print(f"{'case':36} {columns}  status")
    for name, make, command, memory_bound in cases(capplan):
        if chosen and not any(text in name for text in chosen):
            continue
        path = make(folder)
        size = path.stat().st_size
        seconds, peak, status, _, cpu = measure(command(path))
        bound = memory_bound(path)
        ok = status in (0, 1, 2) and seconds < SECONDS and peak < bound
        failed += not ok
        print(
            f"{name:36} {size / MB:8.2f}M {seconds:8.2f} {cpu:6.2f} {peak / MB:8.0f} "
            f"{bound / MB:9.0f}  "
            f"exit {status}{'' if ok else '  <-- over the bound'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
