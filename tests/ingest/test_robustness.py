"""Files capplan must refuse cleanly: too large, legacy or encrypted, damaged, hostile, empty."""

from __future__ import annotations

import codecs
import io
import json
import random
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.errors import InputError
from planner.ingest import load_inputs, workbook
from planner.ingest.source import RawFile
from planner.model.limits import LONGEST_TEXT, MAX_ROWS

from .conftest import SAMPLES, load_error

INVENTORY_XLSX = SAMPLES / "environments-inventory.xlsx"


def rezip(source: Path, change: dict[str, bytes]) -> bytes:
    """Copy a workbook, replacing or adding parts."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(source) as original,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for info in original.infolist():
            copy.writestr(info.filename, change.pop(info.filename, original.read(info.filename)))
        for name, data in change.items():
            copy.writestr(name, data)
    return buffer.getvalue()


def test_file_over_the_size_limit(write_text) -> None:
    path = write_text("plan.csv", "sku,quantity\n" + "A,1\n" * 500)
    error = load_error(path, max_bytes=1000)
    assert "larger than the limit of 1,000 bytes" in error.message
    assert len(load_inputs([path], max_bytes=10_000).licenses) == 500


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert "not found" in load_error(tmp_path / "nope.csv").message
    assert "folder" in load_error(tmp_path).message


@pytest.mark.parametrize("content", [b"", b"   \r\n\t\n", "\ufeff".encode()])
def test_empty_files(write_bytes, content: bytes) -> None:
    assert "empty" in load_error(write_bytes("empty.csv", content)).message


def test_legacy_xls(write_bytes) -> None:
    data = bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 600 + "Workbook".encode("utf-16-le")
    error = load_error(write_bytes("old.xls", data))
    assert ".xls" in error.message and ".xlsx" in error.expected


def test_password_protected_xlsx(write_bytes) -> None:
    data = bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 600 + "EncryptionInfo".encode("utf-16-le")
    error = load_error(write_bytes("secret.xlsx", data))
    assert "password" in error.message and "password removed" in error.expected


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"%PDF-1.7\n...", "PDF"),
        (b"\x1f\x8b\x08\x00rest", "gzip"),
        (b"\x89PNG\r\n\x1a\n", "PNG"),
    ],
)
def test_other_binaries(write_bytes, data: bytes, fragment: str) -> None:
    assert fragment in load_error(write_bytes("file.csv", data)).message


def test_binary_garbage(write_bytes) -> None:
    error = load_error(write_bytes("garbage.csv", bytes(range(256)) * 4))
    assert error.file and "UTF-8" in error.message


def test_text_with_nul_bytes_is_binary(write_bytes) -> None:
    error = load_error(write_bytes("utf16.csv", "sku,quantity\n".encode("utf-16-le")))
    assert "UTF-16" in error.message


def test_latin1_csv_is_not_utf8(write_bytes) -> None:
    error = load_error(
        write_bytes("plan.csv", "sku,quantity,name\nA,1,Soci\xe9t\xe9\n".encode("latin-1"))
    )
    assert error.location == "line 2"
    assert "CSV UTF-8" in error.expected


def test_truncated_workbook(write_bytes) -> None:
    data = INVENTORY_XLSX.read_bytes()
    error = load_error(write_bytes("cut.xlsx", data[: len(data) // 2]))
    assert "damaged or truncated" in error.message


def test_zip_that_is_not_a_workbook(write_bytes) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert "Word" in load_error(write_bytes("doc.xlsx", buffer.getvalue())).message


def test_corrupted_part_in_a_workbook(write_bytes) -> None:
    data = bytearray(rezip(INVENTORY_XLSX, {"xl/padding.xml": b"<a>" + b"x" * 5000 + b"</a>"}))
    start = data.find(b"xl/padding.xml") + len("xl/padding.xml")
    data[start + 10 : start + 30] = b"\xff" * 20  # damage the compressed stream
    error = load_error(write_bytes("bad.xlsx", bytes(data)))
    assert isinstance(error, InputError)


def test_workbook_declaring_entities_is_refused(write_bytes) -> None:
    with zipfile.ZipFile(INVENTORY_XLSX) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;">]>' + sheet
    )
    error = load_error(
        write_bytes("lol.xlsx", rezip(INVENTORY_XLSX, {"xl/worksheets/sheet1.xml": hostile}))
    )
    assert "document type or entities" in error.message


def test_zip_bomb_by_declared_size(write_bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbook, "MAX_UNCOMPRESSED_BYTES", 2000)
    error = load_error(write_bytes("big.xlsx", INVENTORY_XLSX.read_bytes()))
    assert "zip bomb" in error.message


def test_zip_bomb_by_ratio(write_bytes) -> None:
    data = rezip(INVENTORY_XLSX, {"xl/media/zeros.bin": b"\x00" * (3 * 1024 * 1024)})
    error = load_error(write_bytes("bomb.xlsx", data))
    assert "zip bomb" in error.message


def test_actual_size_is_checked_while_reading(write_bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    # Declared sizes that understate the real ones are caught while inflating.
    monkeypatch.setattr(workbook, "MAX_UNCOMPRESSED_BYTES", 10**9)
    original = workbook._stream_member

    def lying_stream(raw, archive, info, total):  # type: ignore[no-untyped-def]
        info.file_size = 1
        return original(raw, archive, info, total)

    monkeypatch.setattr(workbook, "_stream_member", lying_stream)
    error = load_error(write_bytes("lies.xlsx", INVENTORY_XLSX.read_bytes()))
    assert isinstance(error, InputError)


LICENSE_ROWS = [["SkuPartNumber", "ActiveUnits"], ["DYN365_SCM", 10]]
INVENTORY_ROWS = [["name", "type"], ["PROD", "production"]]


def test_workbook_with_two_input_sheets_asks_for_one(write_xlsx) -> None:
    path = write_xlsx("both.xlsx", {"Licenses": LICENSE_ROWS, "Environments": INVENTORY_ROWS})
    error = load_error(path)
    assert "'Licenses', 'Environments'" in error.message
    assert "--sheet" in error.expected
    inputs = load_inputs([path], sheet="Environments")
    assert inputs.environments["name"].tolist() == ["PROD"]
    assert inputs.sources[0].format == "inventory-xlsx"


def test_sheet_option_applies_where_the_sheet_exists(write_xlsx) -> None:
    both = write_xlsx("both.xlsx", {"Licenses": LICENSE_ROWS, "Environments": INVENTORY_ROWS})
    only = write_xlsx("only.xlsx", {"Sheet1": INVENTORY_ROWS})
    inputs = load_inputs([both, only], sheet="Licenses")
    assert [s.format for s in inputs.sources] == ["mg-subscribedsku-xlsx", "inventory-xlsx"]


def test_sheet_option_naming_no_sheet(write_xlsx) -> None:
    path = write_xlsx("one.xlsx", {"Sheet1": INVENTORY_ROWS})
    with pytest.raises(InputError, match="no workbook among the inputs has a sheet named 'Other'"):
        load_inputs([path], sheet="Other")


def test_workbook_without_a_known_sheet(write_xlsx) -> None:
    path = write_xlsx("notes.xlsx", {"A": [["hello"]], "B": [["x", "y"], [1, 2]]})
    error = load_error(path)
    assert "no sheet has the headers of a known format" in error.message
    assert "'A', 'B'" in error.message


def test_workbook_with_an_empty_sheet(write_xlsx) -> None:
    error = load_error(write_xlsx("empty.xlsx", {"Sheet1": []}))
    assert isinstance(error, InputError)


def test_csv_row_with_too_many_values(write_text) -> None:
    error = load_error(write_text("plan.csv", "sku,quantity\nA,1\nB,2,3\n"))
    assert error.location == "row 3"


def test_csv_unclosed_quote(write_text) -> None:
    error = load_error(write_text("plan.csv", 'sku,quantity\nA,1\n"B,2\n'))
    assert "never closed" in error.message
    assert error.location == "row 3"


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"value": [1e999]}'])
def test_hostile_json(write_text, text: str) -> None:
    assert isinstance(load_error(write_text("deep.json", text)), InputError)


def test_json_with_nan_literal(write_text) -> None:
    text = '{"value": [{"skuPartNumber": "A", "prepaidUnits": {"enabled": NaN}}]}'
    assert "not a JSON number" in load_error(write_text("nan.json", text)).message


def test_truncated_json(write_bytes) -> None:
    data = (SAMPLES / "licenses-graph.json").read_bytes()
    error = load_error(write_bytes("cut.json", data[:500]))
    assert "not valid JSON" in error.message and error.location.startswith("line ")


def test_forced_kind_picks_the_matching_sheet(write_xlsx) -> None:
    path = write_xlsx("both.xlsx", {"Licenses": LICENSE_ROWS, "Environments": INVENTORY_ROWS})
    inputs = load_inputs([], licenses=[path])
    assert inputs.licenses["sku"].tolist() == ["DYN365_SCM"]
    inputs = load_inputs([], environments=[path])
    assert inputs.environments["name"].tolist() == ["PROD"]


def test_a_lone_path_is_one_file() -> None:
    inputs = load_inputs(str(SAMPLES / "licenses-planning.csv"))  # type: ignore[arg-type]
    assert len(inputs.sources) == 1


def test_a_table_at_the_row_limit_is_read(write_text) -> None:
    """The largest tenant capplan reads, well above the 200,000 environments it is built to
    plan: every row of a file at the limit is kept."""
    assert MAX_ROWS > 200_000
    rows = "".join(f"E{number:06d},developer\n" for number in range(MAX_ROWS))
    environments = load_inputs([write_text("inventory.csv", "name,type\n" + rows)]).environments
    assert len(environments) == MAX_ROWS
    assert environments["name"].iloc[-1] == f"E{MAX_ROWS - 1:06d}"


def test_the_row_limit_bounds_the_environments_of_all_files_together(
    write_text, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files each within the limit plan no more environments than one may hold; the same
    environments in two files are one environment each."""
    import planner.ingest

    monkeypatch.setattr(planner.ingest, "MAX_ROWS", 3)
    first = write_text("first.csv", "name,type\nE1,developer\nE2,developer\n")
    again = write_text("again.csv", "name,type\nE1,developer\nE2,developer\n")
    assert len(load_inputs([first, again]).environments) == 2
    other = write_text("other.csv", "name,type\nE3,developer\nE4,developer\n")
    with pytest.raises(InputError) as raised:
        load_inputs([first, other])
    assert raised.value.message == (
        "the inputs list 4 environments together, more than the 3 capplan plans"
    )
    assert raised.value.file == f"{first}, {other}"


def test_workbook_over_the_row_limit(write_xlsx, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbook, "MAX_ROWS", 3)
    rows = [["name", "type"], *([f"E{number}", "developer"] for number in range(6))]
    error = load_error(write_xlsx("long.xlsx", {"Environments": rows}))
    assert error.message == (
        "sheet Environments has more than 4 rows of 2 columns: capplan reads at most 3 rows "
        "and 5,000,000 cells"
    )


def test_workbook_over_the_cell_limit(write_xlsx, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cells are counted as the sheet is parsed, wherever they are, and rows are counted as
    wide as the header."""
    monkeypatch.setattr(workbook, "MAX_ROWS", 2)
    monkeypatch.setattr(workbook, "MAX_CELLS", 20)
    rows = [["name", "type"], *([f"E{number}", "developer"] for number in range(14))]
    error = load_error(write_xlsx("dense.xlsx", {"Environments": rows}))
    assert error.message == "sheet Environments holds more than 20 cells"
    assert error.expected == "at most 20 cells (for example 2 rows of 10 columns)"

    monkeypatch.setattr(workbook, "MAX_ROWS", 100)
    header = ["name", "type", *(f"note {number}" for number in range(8))]
    rows = [header, *([f"E{number}"] for number in range(4))]
    error = load_error(write_xlsx("sparse.xlsx", {"Environments": rows}))
    assert error.message.startswith("sheet Environments has more than 2 rows of 10 columns")


def test_brackets_in_strings_are_not_counted_as_objects() -> None:
    """A document dense in brackets only within its strings is read; one dense in objects is
    refused before it is parsed, whatever quotes and backslashes its strings hold."""
    from planner.ingest.jsondoc import parse_json, without_strings

    def containers(text: str) -> int:
        bare = without_strings(text)
        return bare.count("{") + bare.count("[")

    names = [{"name": "{[" * 20, "note": 'say \\"{\\" twice'} for _ in range(20_000)]
    text = json.dumps(names)
    assert containers(text) == 20_001
    assert parse_json("names.json", text) == names
    unclosed = "[" * 200_000 + '"' + '\\"' * 200_000
    assert containers(unclosed) == 200_000
    with pytest.raises(InputError, match="200,000 objects and lists in 600,001 characters"):
        parse_json("unclosed.json", unclosed)


def test_a_document_dense_in_values_is_refused_before_it_is_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Texts or numbers a few characters each would cost ten times the file and more once
    parsed: beyond the first values allowed, fewer than one per 10 characters is no API answer.
    Commas and colons within strings are not values; Microsoft's answers, written without a
    space, pass."""
    from planner.ingest import jsondoc
    from planner.ingest.jsondoc import parse_json

    monkeypatch.setattr(jsondoc, "JSON_VALUES_ALLOWED", 0)
    short = json.dumps({"value": ["ab"] * 2_000}, separators=(",", ":"))
    with pytest.raises(InputError, match=r"over 2,000 values in 10,011 characters, more than one"):
        parse_json("short.json", short)
    numbers = json.dumps([1.5] * 3_000, separators=(",", ":"))
    with pytest.raises(InputError, match="over 2,999 values"):
        parse_json("numbers.json", numbers)
    punctuated = [{"n": "a,b:c,d:e,f:g,h:i,j,k,l"} for _ in range(600)]
    assert parse_json("punctuated.json", json.dumps(punctuated)) == punctuated
    for sample in SAMPLES.glob("*.json"):
        document = json.loads(sample.read_text(encoding="utf-8"))
        tight = json.dumps(document, separators=(",", ":"))
        assert parse_json(sample.name, tight) == document


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _guarded(sheet: str) -> None:
    with zipfile.ZipFile(INVENTORY_XLSX) as archive:
        names = archive.namelist()
    assert "xl/worksheets/sheet1.xml" in names
    data = rezip(INVENTORY_XLSX, {"xl/worksheets/sheet1.xml": sheet.encode("utf-8")})
    workbook.guard_archive(RawFile("sheet.xlsx", data))


def _row(number: int, tags: int, prefix: str = "") -> str:
    """A row of ``tags`` tags in all: empty cells, and words like 'arrow' that are no row."""
    cells = f"<{prefix}c><{prefix}v>arrow</{prefix}v></{prefix}c>" * ((tags - 2) // 4)
    return f'<{prefix}row r="{number}">{cells}</{prefix}row>'


@pytest.mark.parametrize("prefix", ["", "x:"])
def test_long_rows_each_under_the_limit_pass_whatever_the_chunks(prefix: str) -> None:
    # Rows of 150,000 tags span several inflated chunks each; what follows the sheet data
    # (hyperlinks, merged cells) is no row's, however much of it there is.
    rows = "".join(_row(number, 150_000, prefix) for number in (1, 2, 3))
    after = f"<{prefix}hyperlinks>" + f'<{prefix}hyperlink ref="A1"/>' * 300_000
    declared = f'xmlns:x="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    _guarded(
        f"<{prefix}worksheet {declared}><{prefix}sheetData>{rows}</{prefix}sheetData>"
        f"{after}</{prefix}hyperlinks></{prefix}worksheet>"
    )


@pytest.mark.parametrize("prefix", ["", "x:"])
def test_one_row_over_the_limit_is_refused_wherever_it_is(prefix: str) -> None:
    declared = f'xmlns:x="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    rows = (
        _row(1, 1_000, prefix) + _row(2, workbook.MAX_RECORD_TAGS + 10, prefix) + _row(3, 8, prefix)
    )
    with pytest.raises(InputError) as raised:
        _guarded(
            f"<{prefix}worksheet {declared}><{prefix}sheetData>{rows}</{prefix}sheetData>"
            f"</{prefix}worksheet>"
        )
    assert "a row holds more than 200,000 XML tags" in raised.value.message


def _guarded_strings(strings: str, sheet: str = "") -> None:
    table = f'<sst xmlns="{MAIN}">{strings}</sst>'.encode()
    parts = {"xl/sharedStrings.xml": table}
    if sheet:
        parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    workbook.guard_archive(RawFile("strings.xlsx", rezip(INVENTORY_XLSX, parts)))


def test_many_short_shared_strings_pass() -> None:
    # 150,000 strings of 5 tags each, used by as many cells: far more tags than one record may
    # hold, in records each well under it.
    rows = "".join(
        f'<row r="{r}">'
        + "".join(f'<c t="s"><v>{r * 10 + c}</v></c>' for c in range(10))
        + "</row>"
        for r in range(15_000)
    )
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'
    _guarded_strings("".join(f"<si><t>name {n}</t></si>" for n in range(150_000)), sheet)


def test_one_shared_string_of_too_many_tags_is_refused_even_after_text_like_an_end() -> None:
    # 'sst>' and 'sheetData>' in text end nothing: only closing tags do.
    runs = "<r><t>a</t></r>" * (workbook.MAX_RECORD_TAGS // 4 + 10)
    with pytest.raises(InputError) as raised:
        _guarded_strings(f"<si><t>ok</t></si><si><t>sst> and sheetData></t>{runs}</si>")
    assert "a shared string holds more than 200,000 XML tags" in raised.value.message


# One tag, comment or run of text longer than any cell needs: refused as the part is inflated,
# before a parser holds it. A little over the limit (the files stay small: the parts are under
# the megabyte from which the inflation ratio is checked).
OVER = "A" * (workbook.MAX_TAG_DISTANCE + 10)
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>type</t></is></c></row>'
)


def _sheet(row_two: str) -> str:
    return f'<worksheet xmlns="{MAIN}"><sheetData>{HEADER_ROW}<row r="2">{row_two}</row>' + (
        "</sheetData></worksheet>"
    )


@pytest.mark.parametrize(
    ("row_two", "fragment"),
    [
        (
            f'<c r="A2" t="str" x="{OVER}"><v>CONTOSO</v></c>',
            "an XML tag in cell A2 is more than 266,232 bytes long",
        ),
        (f'<c r="A2" t="str" x=">{OVER}>"><v>CONTOSO</v></c>', "an XML tag in cell A2"),
        (f'<!--{OVER}--><c r="A2"><v>1</v></c>', "a comment in row 2 is more than"),
        (f'<?pi {OVER}?><c r="A2"><v>1</v></c>', "a processing instruction in row 2"),
        (f'<c r="A2" t="str"><v><![CDATA[{OVER}]]></v></c>', "a CDATA section in cell A2"),
        (f'<c r="A2" t="str"><v>{OVER}</v></c>', "the text in cell A2 is more than"),
        (f'<c r="A2" t="inlineStr"><is><t>{OVER}</t></is></c>', "the text in cell A2"),
        (f'<c r="Z2" t="str"><v>{OVER}</v></c>', "the text in cell Z2"),
        (f'<c r="A2"><v>1</v></c>{OVER}', "the text after cell A2"),
        # Text joined across comments is one value to the parser: measured as one.
        (
            '<c r="A2" t="str"><v>' + "<!-- -->".join([OVER[:100_000]] * 3) + "</v></c>",
            "the text, comments or instructions in cell A2 are more than",
        ),
    ],
)
def test_one_stretch_longer_than_a_cell_needs_is_refused(row_two: str, fragment: str) -> None:
    with pytest.raises(InputError) as raised:
        _guarded(_sheet(row_two))
    assert "part xl/worksheets/sheet1.xml: " in raised.value.message
    assert fragment in raised.value.message
    assert "266,232 bytes from one XML tag to the next" in (raised.value.expected or "")


@pytest.mark.parametrize(
    ("tag", "text", "named"),
    [(300_000, 10, "an XML tag"), (262_990, 5_000, "the text"), (100_000, 300_000, "the text")],
)
def test_the_tag_is_named_only_when_it_alone_is_too_long(tag: int, text: int, named: str) -> None:
    # The second: a tag under the limit that ends in the stretch where the next tag is.
    distances = workbook._TagDistances(RawFile("part.xlsx", b""), "xl/part.xml")
    with pytest.raises(InputError) as raised:
        distances.add(b'<r><c x="' + b"a" * tag + b'">' + b"b" * text + b"<d/></r>")
        distances.end()
    assert raised.value.message.startswith(f"part xl/part.xml: {named} after byte 3 of the part")


@pytest.mark.parametrize(
    "part",
    [
        # Shared strings, and a part whose first characters are blanks (XML all the same).
        f'<sst xmlns="{MAIN}"><si><t>{OVER}</t></si></sst>'.encode(),
        b"\r\n " * 1000 + f'<sst xmlns="{MAIN}" x="{OVER}"/>'.encode(),
        # Written in UTF-16: measured as UTF-8.
        f'<sst xmlns="{MAIN}"><si><t>{OVER}</t></si></sst>'.encode("utf-16"),
        # Blanks before the first tag.
        b" " * (workbook.MAX_TAG_DISTANCE + 1) + b"<sst/>",
    ],
)
def test_any_part_that_reads_as_xml_is_measured(part: bytes) -> None:
    data = rezip(INVENTORY_XLSX, {"xl/sharedStrings.xml": part})
    with pytest.raises(InputError) as raised:
        workbook.guard_archive(RawFile("strings.xlsx", data))
    assert "part xl/sharedStrings.xml: " in raised.value.message
    assert "is more than 266,232 bytes long" in raised.value.message


def test_a_part_that_is_no_xml_is_not_measured() -> None:
    # An image or a binary part: no parser reads it as XML, however long its stretches.
    image = b"\x89PNG\r\n\x1a\n" + pseudo_random(workbook.MAX_TAG_DISTANCE * 2).replace(b"<", b"")
    workbook.guard_archive(RawFile("image.xlsx", rezip(INVENTORY_XLSX, {"xl/media/a.png": image})))


def pseudo_random(size: int) -> bytes:
    """Bytes that do not compress, the same on every run."""
    return random.Random(7).randbytes(size)


# The longest text of a cell, each character written at its longest: 8 bytes.
LONGEST_ESCAPED = "&#19968;" * LONGEST_TEXT


def test_the_longest_cell_written_at_its_longest_is_read(
    write_bytes: Callable[[str, bytes], Path],
) -> None:
    sheet = _sheet(
        f'<c r="A2" t="inlineStr"><is><t>{LONGEST_ESCAPED}</t></is></c>'
        '<c r="B2" t="inlineStr"><is><t>developer</t></is></c>'
    )
    path = write_bytes("long.xlsx", _workbook_of(sheet))
    (name,) = load_inputs([path]).environments["name"]
    assert name == "\u4e00" * LONGEST_TEXT


def test_long_attributes_and_text_each_within_the_limit_pass() -> None:
    # As a pivot cache keeps a cell's text (in an attribute), and a part of many such
    # stretches, long and short, cut into chunks anywhere.
    items = "".join(
        f'<s v="{LONGEST_ESCAPED[: 8 * n]}"/><!-- {n} --><x><![CDATA[<a>]]>{"b" * n}</x>'
        for n in (LONGEST_TEXT, 1, 3000, LONGEST_TEXT, 0)
    )
    part = f'<?xml version="1.0"?>\n<pivotCacheRecords xmlns="{MAIN}">{items}</pivotCacheRecords>'
    cache = {"xl/pivotCache/pivotCacheRecords1.xml": part.encode()}
    workbook.guard_archive(RawFile("pivot.xlsx", rezip(INVENTORY_XLSX, cache)))


def _workbook_of(sheet: str) -> bytes:
    """The sample workbook with its first sheet replaced and its second one taken out."""
    data = rezip(INVENTORY_XLSX, {"xl/worksheets/sheet1.xml": sheet.encode()})
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as original,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for info in original.infolist():
            if info.filename != "xl/worksheets/sheet2.xml":
                copy.writestr(info.filename, original.read(info.filename))
    return buffer.getvalue()


# The measure against a plain reading of the text, on small limits: whatever the text and
# wherever the chunks end, the part is refused exactly when a tag follows another (or the
# start of the part) by more than the limit, or the part ends more than the limit after one.
_SMALL_LIMIT = 40
_PIECES = [
    b"<", b">", b"!", b"-", b"?", b"[", b"]", b"CDATA", b'"', b"'", b" ", b"\n", b"a",
    b"a" * 11, b"<a>", b"</a>", b"<!--", b"-->", b"<?", b"?>", b"<![CDATA[", b"]]>",
]  # fmt: skip


def _refused_by_a_plain_reading(text: bytes) -> bool:
    start = 3 if text.startswith(codecs.BOM_UTF8) else 0
    blank = len(text) - len(text[start:].lstrip(b" \t\r\n"))
    if blank < len(text) and text[blank : blank + 1] != b"<":
        return False  # no XML
    tags, position = [0], 0
    while (position := text.find(b"<", position)) >= 0:
        for opener, closer in ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>")):
            if text.startswith(opener, position):
                end = text.find(closer, position + len(opener))
                position = len(text) if end < 0 else end + len(closer)
                break
        else:
            tags.append(position)
            position += 1
    distances = [b - a for a, b in zip(tags, [*tags[1:], len(text)], strict=True)]
    return max(distances) > _SMALL_LIMIT


@settings(max_examples=examples(1500), deadline=None)
@given(
    pieces=st.lists(st.sampled_from(_PIECES), max_size=60),
    cuts=st.lists(st.integers(min_value=0, max_value=70), max_size=8),
    bom=st.booleans(),
)
def test_the_measure_agrees_with_a_plain_reading(
    pieces: list[bytes], cuts: list[int], bom: bool
) -> None:
    text = codecs.BOM_UTF8 * bom + b"".join(pieces)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(workbook, "MAX_TAG_DISTANCE", _SMALL_LIMIT)
        patch.setattr(workbook, "_TAG_STRETCH", 16)  # stretches shorter than the limit
        distances = workbook._TagDistances(RawFile("part.xlsx", b""), "xl/part.xml")
        try:
            for cut in cuts:
                distances.add(text[:cut])
                text = text[cut:]
            distances.add(text)
            distances.end()
        except InputError as error:
            assert "bytes long" in error.message
            refused = True
        else:
            refused = False
    assert refused == _refused_by_a_plain_reading(codecs.BOM_UTF8 * bom + b"".join(pieces))


def test_a_sheet_of_many_elements_before_its_cells_is_refused(
    write_bytes: Callable[[str, bytes], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding a sheet's declared size reads, and holds, every element before its cells: Excel
    writes a handful there, and a column width per column at most. Millions are refused at the
    limit (here made small), before they fill memory."""
    cells = _sheet(
        '<c r="A2" t="inlineStr"><is><t>PROD</t></is></c>'
        '<c r="B2" t="inlineStr"><is><t>production</t></is></c>'
    ).split("<sheetData>")
    views = "<sheetViews>" + "<x/><!-- -->" * 60 + "</sheetViews>"
    flooded = cells[0] + views + "<sheetData>" + cells[1]
    monkeypatch.setattr(workbook, "MAX_ELEMENTS_BEFORE_CELLS", 50)
    with pytest.raises(InputError) as raised:
        load_inputs([write_bytes("flood.xlsx", _workbook_of(flooded))])
    assert "has more than 50 XML elements before its cells" in raised.value.message
    monkeypatch.setattr(workbook, "MAX_ELEMENTS_BEFORE_CELLS", 70)
    (name,) = load_inputs([write_bytes("views.xlsx", _workbook_of(flooded))]).environments["name"]
    assert name == "PROD"


# The measure's pattern past tags as first written: a tag's '<' one step, the text after it
# another; the pattern in use takes them as one step (half the steps on a flood of elements).
_PAST_TAGS_AS_WRITTEN = re.compile(
    rb"(?:[^<]+|" + workbook._WHOLE_SECTION + rb"|(<)(?!!--|!\[CDATA\[|\?))*", re.S
)
_MARKUP = [b"<", b"!", b"--", b"-->", b"<!--", b"<?", b"?>", b"<![CDATA[", b"]]>", b"a", b">"]
_MARKUP += [b"/", b" ", b"<x/>", b"<row r='1'>", b"<si>", b"</row>", b"row", b"<c:row "]


@settings(max_examples=examples(500), deadline=None)
@given(pieces=st.lists(st.sampled_from(_MARKUP), max_size=20), start=st.integers(0, 3))
def test_the_pattern_past_tags_matches_as_first_written(pieces: list[bytes], start: int) -> None:
    text = b"".join(pieces)
    start = min(start, len(text))
    found = workbook._PAST_TAGS.match(text, start)
    reference = _PAST_TAGS_AS_WRITTEN.match(text, start)
    assert found is not None and reference is not None
    assert (found.end(), found.start(1)) == (reference.end(), reference.start(1))


@settings(max_examples=examples(500), deadline=None)
@given(
    pieces=st.lists(st.sampled_from(_MARKUP), max_size=20),
    start=st.integers(0, 40),
    length=st.integers(0, 60),
)
def test_the_first_record_start_is_the_patterns(
    pieces: list[bytes], start: int, length: int
) -> None:
    """Searched for only where "row" or "si" is in sight: found where the pattern alone finds
    it."""
    window = b"".join(pieces)
    end = min(start + length, len(window))
    start = min(start, end)
    reference = workbook._RECORD_TAG.search(
        window, max(0, start - workbook._RECORD_TAG_LONGEST), end + workbook._RECORD_TAG_LONGEST
    )
    while reference is not None and reference.end() <= start:
        reference = workbook._RECORD_TAG.search(
            window, reference.start() + 1, end + workbook._RECORD_TAG_LONGEST
        )
    expected = None if reference is None or reference.start() >= end else reference.start()
    assert workbook._first_record_start(window, start, end) == expected


# Pieces of workbook XML around the counted tags: the names themselves, names that begin as
# they do, prefixes, every end a name may have, and text cut anywhere.
_TAG_PIECES = [
    *(b"<" + name for name in workbook._COUNTED_NAMES),
    *(b"x:" + name for name in (b"c", b"si", b"sheet")),
    b"<col",
    b"<cols",
    b"<sst",
    b"<sheetData",
    b"<rPr",
    b"<row",
    b"<s",
    b"<x",
    b"<",
    b"</",
    *(bytes([end]) for end in b" \t\n\r\f\v/>"),
    b"i",
    b"a",
    b'r="A1"',
    b"<v>1</v></c>",
]


@settings(max_examples=examples(300), deadline=None)
@given(
    st.lists(st.sampled_from(_TAG_PIECES), max_size=60),
    st.sampled_from([0, 2, 2_000]),
    st.sampled_from([1, -1]),
)
def test_tags_are_counted_as_the_patterns_find_them(
    pieces: list[bytes], most: int, sign: int
) -> None:
    """The tags the archive guard counts after every "<" by whole-array operations are those
    the pattern finds, whether the longer names are looked at one by one or by the pattern (a
    stretch with more of them than it looks at); with a prefix too, added to the counts so
    far or taken from them (those of the stretch before)."""
    from collections import Counter
    from unittest import mock

    text = b"".join(pieces)
    with mock.patch.object(workbook, "_LOOKED_AT_MOST", most):
        assert workbook._tag_counts(text) == Counter(workbook._COUNTED[0].findall(text))
    tallied: Counter[bytes] = Counter({b"c": 5})
    workbook._tally(tallied, text, sign)
    expected = Counter({b"c": 5})
    for pattern in workbook._COUNTED:
        (expected.update if sign > 0 else expected.subtract)(pattern.findall(text))
    assert {k: v for k, v in tallied.items() if v} == {k: v for k, v in expected.items() if v}


def test_the_guard_counts_a_workbook_as_a_counter_of_its_tags_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cells, shared strings, styles and sheets of a real workbook, tallied chunk by chunk (a
    chunk of a few bytes, so that tags fall across their ends), are those found in each part
    whole."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for number in range(300):
        sheet.append([f"Env{number}", "developer", number * 0.5, "x" if number % 7 else None])
    book.create_sheet("Other").append(["a", 1])
    path = tmp_path / "book.xlsx"
    book.save(path)
    raw = RawFile(str(path), path.read_bytes())
    from collections import Counter

    expected: Counter[bytes] = Counter()
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            text = archive.read(info)
            for pattern in workbook._COUNTED:
                expected.update(pattern.findall(text))
    for chunk in (workbook._CHUNK, 7):
        counts: Counter[bytes] = Counter()
        monkeypatch.setattr(workbook, "_CHUNK", chunk)
        with zipfile.ZipFile(path) as archive:
            total = 0
            for info in archive.infolist():
                total = workbook._stream_member(raw, archive, info, total, counts)
        assert {k: v for k, v in counts.items() if v and k != b"<"} == dict(expected)
        assert expected[b"c"] > 600
