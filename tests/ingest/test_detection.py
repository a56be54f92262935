"""Formats are recognized from content; the file name is only a hint for error wording."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from planner.errors import InputError
from planner.ingest import FORMAT_IDS, detect_format, load_inputs

from .conftest import SAMPLES, load_error


@pytest.mark.parametrize(
    ("sample", "disguise"),
    [
        ("licenses-graph.json", "licenses.csv"),
        ("licenses-mgsku.csv", "licenses.json"),
        ("licenses-msol.csv", "licenses.xlsx"),
        ("environments-inventory.xlsx", "environments.csv"),
        ("environments-inventory.xlsx", "environments"),
        ("environments-ppac.json", "environments.txt"),
        ("environments-lcs.json", "lcs.xlsx"),
    ],
)
def test_content_beats_the_extension(tmp_path: Path, sample: str, disguise: str) -> None:
    disguised = tmp_path / disguise
    shutil.copyfile(SAMPLES / sample, disguised)
    assert detect_format(disguised) == detect_format(SAMPLES / sample)
    assert len(load_inputs([disguised]).sources) == 1


def test_format_ids_are_listed() -> None:
    for sample in SAMPLES.glob("*.*"):
        if sample.suffix != ".md":
            assert detect_format(sample) in FORMAT_IDS


def test_unknown_headers(write_text) -> None:
    path = write_text("data.csv", "foo,bar\n1,2\n")
    with pytest.raises(InputError) as caught:
        detect_format(path)
    assert "found: foo, bar" in caught.value.message
    assert caught.value.location == "row 1 (header)"


def test_a_json_file_that_is_not_json_gets_the_json_complaint(write_text) -> None:
    error = load_error(write_text("export.json", "this is not json\n"))
    assert "not valid JSON" in error.message


def test_product_names_reference_is_refused_with_its_name(write_text) -> None:
    text = "\ufeffProduct_Display_Name,String_ Id,GUID\nDynamics 365 Finance,DYN365_FINANCE,x\n"
    error = load_error(write_text("product-names.csv", text))
    assert "product names and service plan identifiers" in error.message


def test_empty_tenant_capacity_answer_is_refused(write_json) -> None:
    error = load_error(write_json("capacity.json", {"tenantCapacities": []}))
    assert "the list of capacity types is empty" in error.message


@pytest.mark.parametrize(
    ("document", "location", "fragment"),
    [
        (42, "(top level)", "a number"),
        ({"items": []}, "(top level)", "no 'value' or 'Data' list"),
        ({"value": {"a": 1}}, "value", "not a list"),
        ({"value": []}, "value", "empty"),
        ([], "", "empty"),
        ({"value": [1, 2]}, "value[0]", "not an object"),
        ({"value": [{"colour": "blue"}]}, "value[0]", "neither subscribed SKUs nor environments"),
        ({"error": {"code": "Forbidden", "message": "no"}}, "error", "error response"),
    ],
)
def test_json_of_the_wrong_shape(
    write_json, document: object, location: str, fragment: str
) -> None:
    error = load_error(write_json("data.json", document))
    assert fragment in error.message
    if location:
        assert error.location == location
    assert error.expected


def test_forced_kind_must_match_the_content(write_json) -> None:
    path = SAMPLES / "environments-ppac.json"
    with pytest.raises(InputError) as caught:
        load_inputs([], licenses=[path])
    assert "given as licenses" in caught.value.message
    assert caught.value.file == str(path)


def test_forced_kind_reads_the_file_once() -> None:
    path = SAMPLES / "environments-lcs.json"
    inputs = load_inputs([path], environments=[path])
    assert len(inputs.sources) == 1 and inputs.sources[0].kind == "environments"


def test_forced_file_need_not_be_in_paths() -> None:
    inputs = load_inputs(
        [SAMPLES / "licenses-graph.json"], environments=[SAMPLES / "environments-lcs.json"]
    )
    assert [s.kind for s in inputs.sources] == ["licenses", "environments"]


def test_same_file_forced_both_ways() -> None:
    path = SAMPLES / "licenses-graph.json"
    with pytest.raises(InputError, match="both as licenses and as environments"):
        load_inputs([], licenses=[path], environments=[path])


def test_same_file_twice_is_read_once() -> None:
    path = SAMPLES / "licenses-graph.json"
    assert len(load_inputs([path, path]).sources) == 1


def test_no_files_give_empty_tables() -> None:
    inputs = load_inputs([])
    assert len(inputs.licenses) == 0 and len(inputs.environments) == 0
