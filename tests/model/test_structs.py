"""planner.model.structs: what does not fit a Struct is said with its path, the key and the
value found, and what was expected, in words."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
import pytest

from planner.model.structs import Mismatch, convert, required_keys, struct_keys, words


class Amount(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    amount: Annotated[str, msgspec.Meta(description='an amount like "10 GB"')]
    source: str | None = None


class Pool(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: str
    size: int | float = 0
    amounts: dict[str, str | Amount] = {}


class Change(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, tag_field="kind"):
    note: str = ""


class Add(Change, kw_only=True, tag="add"):
    quantity: int


class Drop(Change, kw_only=True, tag="drop"):
    name: str


class File(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pools: list[Pool] = []
    sources: dict[str, Amount] = {}
    changes: list[Add | Drop] = []


def mismatch(data: dict[str, Any]) -> Mismatch:
    with pytest.raises(Mismatch) as caught:
        convert(data, File)
    return caught.value


def test_what_fits_is_converted() -> None:
    read = convert({"pools": [{"name": "a", "amounts": {"db": "1 GB"}}]}, File)
    assert read.pools[0].name == "a" and read.pools[0].amounts == {"db": "1 GB"}


def test_an_unknown_key_is_named_with_the_keys_allowed() -> None:
    found = mismatch({"pools": [{"name": "a"}, {"name": "b", "colour": "red"}]})
    assert (found.path, found.problem, found.key) == (
        ("pools", 1, "colour"),
        "unknown_key",
        "colour",
    )
    assert found.allowed == ("name", "size", "amounts")


def test_a_missing_key_is_named_with_what_it_should_hold() -> None:
    found = mismatch({"pools": [{"size": 3}]})
    assert (found.path, found.problem, found.key) == (("pools", 0), "missing_key", "name")
    assert found.expected == "text"


def test_a_wrong_type_gives_the_value_and_the_expected_words() -> None:
    found = mismatch({"pools": [{"name": "a", "size": "big"}]})
    assert (found.path, found.problem, found.found) == (("pools", 0, "size"), "wrong_type", "big")
    assert found.expected == "a number"


def test_the_key_of_a_dictionary_entry_is_found_again() -> None:
    found = mismatch({"sources": {"good": {"amount": "1 GB"}, "bad one": {"amount": 5}}})
    assert found.path == ("sources", "bad one", "amount")
    assert found.expected == 'an amount like "10 GB"'
    found = mismatch({"pools": [{"name": "a", "amounts": {"db": {"amount": "1", "x": 1}}}]})
    assert found.path == ("pools", 0, "amounts", "db", "x") and found.problem == "unknown_key"


def test_a_tagged_union_names_the_kinds() -> None:
    found = mismatch({"changes": [{"kind": "fly"}]})
    assert (found.path, found.problem, found.found) == (("changes", 0, "kind"), "bad_value", "fly")
    assert found.expected == "one of add, drop"
    found = mismatch({"changes": [{"kind": "add", "quantity": 1, "name": "x"}]})
    assert found.problem == "unknown_key" and found.allowed == ("kind", "note", "quantity")


def test_a_key_that_looks_like_a_path_is_still_the_key() -> None:
    found = mismatch({"pools": [], "odd` - at `$.pools": 1})
    assert (found.path, found.key) == (("odd` - at `$.pools",), "odd` - at `$.pools")


def test_keys_and_words() -> None:
    assert struct_keys(Add) == ("kind", "note", "quantity")
    assert required_keys(Add) == ("quantity",)
    assert words(int | float) == "a number"
    assert words(str | Amount | None) == "text or a table"
    assert words(list[str]) == "a list"
