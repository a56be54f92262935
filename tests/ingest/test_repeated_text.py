"""Short text that repeats across a JSON answer's objects is checked once and remembered: what a
check accepted comes back the same, what it refused is refused again each time, and a header
or value key is the same whether worked out or remembered."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.errors import InputError
from planner.ingest import jsondoc, jsonshape
from planner.ingest.jsondoc import Unfit, checked_size, checked_text
from planner.ingest.jsonshape import JsonObject, text_field
from planner.ingest.table import normalize_header

TEXTS = st.one_of(
    st.text(alphabet=" \t\u00a0aZé\ud800-_.", max_size=8),
    st.sampled_from(["", " ", "MB", " GB ", "\ud800", "a" * 65, "x" * 40_000]),
)


class Entry(JsonObject):
    """An object of an answer with a field read as text once it is needed."""

    capacity_unit: Any = None


def _expected(value: str) -> str:
    try:
        return checked_text(value, "capacityUnit", required=False)
    except Unfit as unfit:
        return unfit.message


def _field(value: str) -> str:
    try:
        return text_field("list.json", Entry(at="$.value[0]"), "capacityUnit", value)
    except InputError as error:
        assert "$.value[0].capacityUnit" in str(error)
        return str(error).partition(": ")[2].partition("\n")[0]


@given(TEXTS)
def test_a_text_field_is_the_check_with_where_it_is(value: str) -> None:
    assert _field(value) == _expected(value)


@given(st.one_of(TEXTS, st.integers(), st.floats(allow_nan=False)))
def test_normalize_header_is_the_same_remembered(text: object) -> None:
    expected = re.sub(r"[^0-9a-z]", "", str(text).casefold())
    assert normalize_header(text) == expected  # type: ignore[arg-type]
    assert normalize_header(text) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "read"),
    [
        (0.0, 0.0),
        (-0.0, 0.0),
        (1.5, 1.5),
        (10.0, 10.0),
        (3, 3.0),
        ("2.5", 2.5),
        (float("nan"), "nan is not a finite number"),
        (float("inf"), "inf is not a finite number"),
        (-0.5, "-0.5 is negative"),
        (11.0, "11.0 is larger than 10"),
        (True, "found true/false, not a number"),
    ],
)
def test_an_amount_reads_as_it_always_did(value: object, read: object) -> None:
    """A plain float in range is taken at once; everything else is checked as before."""
    for check in (jsondoc.checked_number, lambda v, _, top: checked_size(v, "x", top)):
        if isinstance(read, float):
            found = check(value, "x", 10.0)
            assert found == read and type(found) is float
        else:
            with pytest.raises(Unfit) as refused:
                check(value, "x", 10.0)
            assert str(read) in refused.value.message


@given(st.one_of(TEXTS, st.sampled_from(["Database", "FinOps-Database", "fin ops file", "Log "])))
def test_a_capacity_type_is_the_same_remembered(api_type: str) -> None:
    from planner.ingest import ppac

    expected = ppac._CAPACITY_TYPE_BY_API.get(normalize_header(api_type))
    assert ppac._capacity_type(api_type) == expected
    assert ppac._capacity_type(api_type) == expected


ASCII_TEXTS = st.one_of(
    st.text(alphabet=" \t\r\n\x0baZ1-", max_size=8),
    st.sampled_from(["", "x" * 32_767, "x" * 32_768, " MB", "MB ", "\tMB"]),
)


@given(st.one_of(ASCII_TEXTS, TEXTS, st.none(), st.integers()), st.booleans())
def test_plain_ascii_text_is_what_the_full_check_makes_of_it(value: Any, required: bool) -> None:
    """checked_text takes plain ASCII text as it is; that is what the full check gives."""

    def outcome(check: Any) -> Any:
        try:
            return check()
        except Unfit as unfit:
            return unfit.message, unfit.expected

    assert outcome(lambda: checked_text(value, "name", required=required)) == outcome(
        lambda: jsondoc._checked_text(value, "name", required)
    )


LONG_KEY = "k" * 40_000


@pytest.mark.parametrize(
    ("document", "refused"),
    [
        ('[{"a": 1, "b": 2}, {"a": 1, "a": 2, "b": 3}]', "the key 'a' appears twice"),
        ('[{"a": 1, "b": 2}, {"a": 1, "B": 2}, {"a": 1, "b": 2, "A": 3}]', "differ only in case"),
        (f'[{{"{LONG_KEY}": 1, "{LONG_KEY}": 2}}]', "characters long"),
        (f'[{{"a": 1, "{LONG_KEY}": 2}}]', "characters long"),
        (f'{{"{LONG_KEY}": 1}}', "characters long"),
    ],
    ids=["twice after a fine set", "case after a fine set", "long twice", "long", "long alone"],
)
def test_keys_are_refused_whatever_sets_were_seen_before(document: str, refused: str) -> None:
    """Sets of keys seen fine are remembered; an object whose keys are not one of them (or that
    gave a key twice) is looked at in full, and a long key is named before a repeated one."""
    jsondoc.parse_json("first.json", '[{"a": 1, "b": 2}, {"a": 3, "b": 4}]')
    for _ in range(2):
        with pytest.raises(InputError, match=refused):
            jsondoc.parse_json("answer.json", document)


@given(st.one_of(st.none(), TEXTS, st.sampled_from(["MB", " gb", "Kb", "parsecs", "", "GB "])))
def test_a_unit_is_the_same_remembered(unit: Any) -> None:
    """An entry's unit (absent: MB) gives the same factor, or the same refusal, each time."""
    from planner.ingest import ppac

    entry = ppac.CapacityEntry(
        capacity_type=jsonshape.Text("Database"), capacity_unit=unit, at="$.value[0]"
    )

    def factor() -> Any:
        try:
            return ppac._unit_factor("list.json", entry)
        except InputError as error:
            return str(error)

    try:
        written = checked_text(unit, "capacityUnit", required=False) or "MB"
        expected: Any = ppac._MB_PER_UNIT.get(written.casefold())
    except Unfit:
        expected = None
    first, second = factor(), factor()
    assert first == second
    assert first == expected if expected is not None else "capacityUnit" in first
