"""Whatever bytes are on disk, the only exception that leaves ingest is InputError.

The fuzz cases call ``read_one``, which has no catch-all: a reader bug shows up here as the
library exception it really is, instead of being wrapped by load_inputs' safety net.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import InputError
from planner.ingest import load_inputs, read_one

from .conftest import SAMPLES

FUZZ = settings(
    max_examples=examples(250),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

TEXT_SAMPLES = [
    (SAMPLES / name).read_bytes()
    for name in (
        "licenses-mgsku.csv",
        "licenses-msol.csv",
        "licenses-planning.csv",
        "environments-inventory.csv",
        "licenses-graph.json",
        "environments-ppac.json",
        "environments-lcs.json",
    )
]
JSON_SAMPLES = [
    json.loads((SAMPLES / name).read_text(encoding="utf-8"))
    for name in ("licenses-graph.json", "environments-ppac.json", "environments-lcs.json")
]
WORKBOOK = (SAMPLES / "environments-inventory.xlsx").read_bytes()


@contextmanager
def on_disk(data: bytes, suffix: str = ".csv") -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        yield path


def only_input_errors(data: bytes, suffix: str = ".csv") -> None:
    with on_disk(data, suffix) as path:
        try:
            read_one(path)
        except InputError as error:
            assert error.message and error.file == str(path)


@st.composite
def mutated(draw: st.DrawFn, originals: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(originals)))
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        position = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "delete", "insert", "truncate", "cell"]))
        if action == "flip":
            data[position] = draw(st.integers(0, 255))
        elif action == "delete":
            del data[position : position + draw(st.integers(1, 40))]
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=20))
        elif action == "truncate":
            del data[position:]
        else:
            words = [b"-1", b"1e309", b"NaN", b"", b"\xc2\xa0", b'"', b";", b",", b"\t", b"x" * 50]
            data[position:position] = draw(st.sampled_from(words))
    return bytes(data)


# Letters, digits, punctuation and the spaces exports carry; no lone surrogates (not encodable).
CELL_CHARACTERS = st.characters(exclude_categories=["Cs"])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def replace_somewhere(document: object, replacement: object, choice: int) -> object:
    """Swap one node of a JSON tree (chosen by a counter) for another value."""
    nodes: list[tuple[object, object]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key in node:
                nodes.append((node, key))
                walk(node[key])
        elif isinstance(node, list):
            for index in range(len(node)):
                nodes.append((node, index))
                walk(node[index])

    walk(document)
    if not nodes:
        return replacement
    parent, key = nodes[choice % len(nodes)]
    parent[key] = replacement  # type: ignore[index]
    return document


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes(data: bytes) -> None:
    only_input_errors(data)


@FUZZ
@given(
    st.sampled_from(
        [
            b"PK\x03\x04",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            b"\xff\xfe",
            b"\xef\xbb\xbf",
            b"{",
            b"[",
        ]
    ),
    st.binary(max_size=500),
)
def test_random_bytes_behind_magic_numbers(prefix: bytes, data: bytes) -> None:
    only_input_errors(prefix + data)


@FUZZ
@given(mutated(TEXT_SAMPLES))
def test_mutated_samples(data: bytes) -> None:
    only_input_errors(data)


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 5), json_values, st.integers(0, 10_000))
def test_mutated_json_trees(sample: int, replacement: object, choice: int) -> None:
    document = json.loads(json.dumps(JSON_SAMPLES[sample % len(JSON_SAMPLES)]))
    document = replace_somewhere(document, replacement, choice)
    only_input_errors(json.dumps(document).encode(), ".json")


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated([WORKBOOK]))
def test_mutated_workbooks(data: bytes) -> None:
    only_input_errors(data, ".xlsx")


def with_part(part: str, data: bytes) -> bytes:
    """The sample workbook with one part replaced: a sound zip around damaged XML."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(WORKBOOK)) as original,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for info in original.infolist():
            copy.writestr(info.filename, data if info.filename == part else original.read(info))
    return buffer.getvalue()


WORKBOOK_PARTS = {
    name: zipfile.ZipFile(io.BytesIO(WORKBOOK)).read(name)
    for name in ("xl/worksheets/sheet1.xml", "xl/workbook.xml", "[Content_Types].xml")
}


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(WORKBOOK_PARTS)), st.data())
def test_workbooks_with_damaged_xml(part: str, data: st.DataObject) -> None:
    damaged = data.draw(mutated([WORKBOOK_PARTS[part]]))
    only_input_errors(with_part(part, damaged), ".xlsx")


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(
        [
            "sku,quantity,name",
            "SkuPartNumber,ActiveUnits,WarningUnits,ConsumedUnits,SkuId",
            "AccountSkuId,ActiveUnits",
            "name,type,tier,power_platform,linked_to,dataverse_database_gb",
        ]
    ),
    st.lists(st.lists(st.text(alphabet=CELL_CHARACTERS, max_size=8), max_size=6), max_size=6),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["utf-8", "utf-16"]),
)
def test_random_tables_under_known_headers(
    heading: str, rows: list[list[str]], delimiter: str, encoding: str
) -> None:
    lines = [heading.replace(",", delimiter)] + [delimiter.join(row) for row in rows]
    only_input_errors("\n".join(lines).encode(encoding))


def test_the_safety_net_reports_unexpected_failures(monkeypatch, tmp_path: Path) -> None:
    """load_inputs turns a reader bug into one InputError line rather than a traceback."""
    import planner.ingest as ingest

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(ingest, "open_content", broken)
    path = tmp_path / "plan.csv"
    path.write_text("sku,quantity\nA,1\n", encoding="utf-8")
    try:
        load_inputs([path])
    except InputError as error:
        assert "KeyError" in error.message and error.file == str(path)
    else:
        raise AssertionError("expected InputError")
