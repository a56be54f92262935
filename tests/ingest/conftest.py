"""Helpers for the ingest tests: write small files in every shape a user may hand over."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from planner.errors import InputError
from planner.ingest import load_inputs
from planner.model.inputs import Inputs

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def write_text(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str, text: str, encoding: str = "utf-8", bom: bytes = b"") -> Path:
        path = tmp_path / name
        path.write_bytes(bom + text.encode(encoding))
        return path

    return write


@pytest.fixture
def write_bytes(tmp_path: Path) -> Callable[[str, bytes], Path]:
    def write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


@pytest.fixture
def write_json(tmp_path: Path) -> Callable[[str, Any], Path]:
    def write(name: str, document: Any) -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(document), encoding="utf-8")
        return path

    return write


@pytest.fixture
def write_xlsx(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str, sheets: dict[str, Sequence[Sequence[Any]]]) -> Path:
        workbook = openpyxl.Workbook()
        workbook.remove(workbook.active)
        for title, rows in sheets.items():
            worksheet = workbook.create_sheet(title)
            for row in rows:
                worksheet.append(list(row))
        path = tmp_path / name
        workbook.save(path)
        return path

    return write


def load(path: Path, **options: Any) -> Inputs:
    return load_inputs([path], **options)


def load_error(path: Path, **options: Any) -> InputError:
    with pytest.raises(InputError) as caught:
        load_inputs([path], **options)
    return caught.value
