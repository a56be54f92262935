"""The workbook's parts are deflated at capplan's zip level, not zlib's default (by ISA-L where
it is installed), and the file stays an ordinary workbook: every part deflated, every part
intact, read back cell for cell."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter.workbook
from openpyxl import load_workbook

from planner.report.xlsx_writer import (
    ISAL_LEVEL,
    WORKBOOK_OPTIONS,
    ZIP_LEVEL,
    QuickWorkbook,
    new_workbook,
)


def _levels(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The compression level of every part zipfile compresses from now on."""
    seen: list[Any] = []
    original = zipfile._get_compressor  # type: ignore[attr-defined]

    def spy(compress_type: int, compresslevel: int | None = None) -> Any:
        seen.append(compresslevel)
        return original(compress_type, compresslevel)

    monkeypatch.setattr(zipfile, "_get_compressor", spy)
    return seen


def _small_workbook(workbook: xlsxwriter.Workbook) -> None:
    sheet = workbook.add_worksheet("Numbers")
    for row in range(200):
        sheet.write_string(row, 0, f"environment {row}")
        sheet.write_number(row, 1, row * 1.5)
    sheet.write_formula(200, 1, "=SUM(B1:B200)", None, 29850.0)
    workbook.close()


@pytest.mark.parametrize("in_memory", [True, False])
def test_every_part_is_deflated_at_capplans_level(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_memory: bool
) -> None:
    levels = _levels(monkeypatch)
    path = tmp_path / "book.xlsx"
    _small_workbook(QuickWorkbook(str(path), {**WORKBOOK_OPTIONS, "in_memory": in_memory}))
    with zipfile.ZipFile(path) as archive:
        parts = archive.infolist()
        assert archive.testzip() is None
    assert parts and {part.compress_type for part in parts} == {zipfile.ZIP_DEFLATED}
    assert levels == [ZIP_LEVEL] * len(parts)
    sheet = load_workbook(path)["Numbers"]
    assert sheet["A200"].value == "environment 199"
    assert sheet["B200"].value == 298.5
    assert sheet["B201"].value == "=SUM(B1:B200)"


def test_xlsxwriters_zip_file_is_left_as_it_was(tmp_path: Path) -> None:
    before = xlsxwriter.workbook.ZipFile
    _small_workbook(new_workbook(tmp_path / "book.xlsx"))
    assert xlsxwriter.workbook.ZipFile is before
    assert before is zipfile.ZipFile


def test_a_failed_store_leaves_xlsxwriters_zip_file_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Any) -> Any:
        raise RuntimeError("packing failed")

    monkeypatch.setattr(xlsxwriter.workbook.Workbook, "_get_packager", broken)
    with pytest.raises(RuntimeError, match="packing failed"):
        _small_workbook(new_workbook(tmp_path / "book.xlsx"))
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile


def test_streamed_sheets_are_deflated_at_capplans_level(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sheet whose rows are made while it is packed is deflated at the same level."""
    from planner.report.xlsx_writer import Column, SheetWriter, StreamedSheet, Styles

    levels = _levels(monkeypatch)
    path = tmp_path / "book.xlsx"
    workbook = new_workbook(path)
    writer = SheetWriter(
        workbook.add_worksheet("Rows", worksheet_class=StreamedSheet), Styles(workbook)
    )
    writer.stream_table((Column("Name"), Column("GB")), [[f"env {n}", n * 0.5] for n in range(50)])
    writer.finish()
    workbook.close()
    with zipfile.ZipFile(path) as archive:
        parts = archive.infolist()
        assert archive.testzip() is None
    assert levels == [ZIP_LEVEL] * len(parts)
    assert load_workbook(path)["Rows"]["A51"].value == "env 49"


def _deflaters(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ISA-L level of every part deflated by ISA-L from now on."""
    isal_zlib = pytest.importorskip("isal.isal_zlib")
    seen: list[int] = []
    original = isal_zlib.compressobj

    def spy(level: int, *args: Any) -> Any:
        seen.append(level)
        return original(level, *args)

    monkeypatch.setattr(isal_zlib, "compressobj", spy)
    return seen


@pytest.mark.parametrize("in_memory", [True, False])
def test_every_part_is_deflated_by_isa_l_where_it_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_memory: bool
) -> None:
    from planner.report.xlsx_writer import Column, SheetWriter, StreamedSheet, Styles

    deflated = _deflaters(monkeypatch)
    path = tmp_path / "book.xlsx"
    workbook = QuickWorkbook(str(path), {**WORKBOOK_OPTIONS, "in_memory": in_memory})
    writer = SheetWriter(
        workbook.add_worksheet("Rows", worksheet_class=StreamedSheet), Styles(workbook)
    )
    writer.stream_table((Column("Name"), Column("GB")), [[f"env {n}", n * 0.5] for n in range(50)])
    writer.finish()
    _small_workbook(workbook)
    with zipfile.ZipFile(path) as archive:
        parts = archive.infolist()
        assert archive.testzip() is None
    assert deflated == [ISAL_LEVEL] * len(parts)
    book = load_workbook(path)
    assert book["Rows"]["A51"].value == "env 49"
    assert book["Numbers"]["B201"].value == "=SUM(B1:B200)"


def test_without_isa_l_zlib_deflates_every_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import planner.report.xlsx_writer as xlsx_writer

    monkeypatch.setattr(xlsx_writer, "isal_zlib", None)
    levels = _levels(monkeypatch)
    path = tmp_path / "book.xlsx"
    _small_workbook(new_workbook(path))
    with zipfile.ZipFile(path) as archive:
        parts = archive.infolist()
        assert archive.testzip() is None
    assert levels == [ZIP_LEVEL] * len(parts)
    assert load_workbook(path)["Numbers"]["A200"].value == "environment 199"
