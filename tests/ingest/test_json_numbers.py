"""JSON numbers as written, not only as the float they round to: a count whose text has a
fraction is not whole even when the float is, and a number other than 0 that no float holds is
not 0. Keys are text, held to the same length as any text capplan reads."""

from __future__ import annotations

import json

import pytest

from planner.errors import InputError
from planner.ingest.jsondoc import (
    Unfit,
    WrittenNumber,
    checked_size,
    checked_whole_number,
    misread,
    parse_json,
)


@pytest.mark.parametrize(
    ("written", "whole"),
    [
        ("25", 25),
        ("25.0", 25),
        ("25.000000000000000000000", 25),
        ("2.5e1", 25),
        ("2.5E+1", 25),
        ("250e-1", 25),
        ("0.0", 0),
        ("-0.0", 0),
        ("0e-400", 0),
        ('"25"', 25),
        ('"25.0"', 25),
    ],
)
def test_whole_numbers_as_written_are_whole(written: str, whole: int) -> None:
    value = parse_json("f.json", f'{{"n": {written}}}')["n"]
    assert checked_whole_number(value, "n") == whole


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("25.0000000000000000001", "25.0000000000000000001 is not a whole number"),
        ("2500000000000000000001e-20", "is not a whole number"),
        ('"25.0000000000000000001"', "25.0000000000000000001 is not a whole number"),
        ("1e-400", "1e-400 is too small to be read: it would be read as 0"),
        ("0." + "0" * 400 + "1", "is too small to be read"),
        ("-1e-400", "is too small to be read"),
        ('"1e-400"', "is too small to be read"),
        ("25.5", "25.5 is not a whole number"),
    ],
)
def test_counts_the_float_misreads_are_refused(written: str, said: str) -> None:
    value = parse_json("f.json", f'{{"n": {written}}}')["n"]
    with pytest.raises(Unfit, match=said.replace(".", r"\.").replace("+", r"\+")):
        checked_whole_number(value, "n")


def test_a_size_too_small_for_a_float_is_refused_and_others_read_as_before() -> None:
    document = parse_json("f.json", '{"a": 1e-400, "b": 1e-320, "c": 1.5, "d": 0.000}')
    with pytest.raises(Unfit, match="too small to be read"):
        checked_size(document["a"], "a", 100)
    assert checked_size(document["b"], "b", 100) == 1e-320
    assert checked_size(document["c"], "c", 100) == 1.5
    assert checked_size(document["d"], "d", 100) == 0


def test_only_numbers_the_float_misreads_are_marked() -> None:
    document = parse_json("f.json", json.dumps([1.5, 0.0, 25.0, 1e300, 3, -2.25]))
    assert not any(isinstance(value, WrittenNumber) for value in document)
    marked = parse_json("f.json", "[1e-400, 25.00000000000000000001]")
    assert [type(value) for value in marked] == [WrittenNumber, WrittenNumber]
    assert marked == [0.0, 25.0]  # still the floats they were


@pytest.mark.parametrize(
    ("text", "number", "said"),
    [
        ("0", 0.0, None),
        ("0.000e5", 0.0, None),
        ("1e-999", 0.0, "zero"),
        ("7.0", 7.0, None),
        ("7.00000000000000000001", 7.0, "fraction"),
        ("7.5", 7.5, None),
    ],
)
def test_misread(text: str, number: float, said: str | None) -> None:
    assert misread(text, number) == said


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ('{"%s": 1}', "(top level)"),
        ('{"value": [{"a": 1}, {"b": {"%s": 2, "c": 3}}]}', "value[1].b"),
        ('[{"x": 1, "%s": 2}]', "[0]"),
    ],
)
def test_a_key_longer_than_any_text_is_refused_with_its_path(document: str, path: str) -> None:
    with pytest.raises(InputError, match="a key of this object is 40,000 characters long") as e:
        parse_json("f.json", document % ("k" * 40_000))
    assert e.value.location == path


def test_keys_of_the_longest_text_are_read() -> None:
    assert parse_json("f.json", '{"%s": 1}' % ("k" * 32_767)) == {"k" * 32_767: 1}


def test_a_long_key_in_a_document_cut_short_is_refused_by_where_it_is() -> None:
    """The document does not read past the key: where the key begins is said instead."""
    document = '{"value": [\n  {"%s": 1}, {"b": ' % ("k" * 40_000)
    with pytest.raises(InputError, match="40,000 characters long") as error:
        parse_json("f.json", document)
    assert error.value.location == "line 2, column 4"
