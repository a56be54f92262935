"""An environment list whose keys are written as the service writes them is read without the
shaping copy (read_json_quickly), and gives what the full reading gives: the same rows and
notes, or, where something is wrong, the same message, which names where. Anything else (keys
in another case, older names, the names the reading keeps the path under, text where an object
belongs, a list longer than capplan reads) is left to the full reading."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import InputError
from planner.ingest import jsonshape, ppac
from planner.ingest.jsonshape import read_json, read_json_quickly
from planner.model.inputs import environment_frame

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "environments-ppac.json"
ITEMS = json.loads(SAMPLE.read_text(encoding="utf-8"))["value"]


def _full(items: list[Any]) -> Any:
    """What the full reading makes of the items: its rows and notes, or its message."""
    try:
        environments = read_json("list.json", items, ppac._ENVIRONMENTS, at="$.value")
        result = ppac._read("list.json", environments)
    except InputError as error:
        return str(error)
    return _table(result), result.notes


def _read(items: list[Any]) -> Any:
    try:
        result = ppac.read_ppac_json("list.json", items, "$.value")
    except InputError as error:
        return str(error)
    return _table(result), result.notes


def _table(result: ppac.ReadResult) -> dict[str, list[Any]]:
    """The environments as the inputs hold them: every column, row by row."""
    frame = environment_frame(result.rows, all_text=result.all_text)
    return {column: frame[column].tolist() for column in frame.columns}


def _same(left: Any, right: Any) -> bool:
    """Rows compare with NaN equal to NaN (a float NaN is not equal to itself)."""
    return json.dumps(left, default=str, sort_keys=True) == json.dumps(
        right, default=str, sort_keys=True
    )


# What a hand or another tool may do to an environment of the list.
def _capacity(environment: dict) -> list[dict]:
    """The environment's capacity entries (two at least: made so where there are fewer)."""
    capacity = environment["properties"].setdefault("capacity", [])
    while len(capacity) < 2:
        capacity.append({"capacityType": "Log", "ratedConsumption": 1.0, "capacityUnit": "MB"})
    return capacity


def _recase(environment: dict) -> None:
    properties = environment["properties"]
    properties["DisplayName"] = properties.pop("displayName", "Renamed")


def _older_kind_of_value(environment: dict) -> None:
    _capacity(environment)[0]["ratedConsumption"] = "12.5"


def _at_key(environment: dict) -> None:
    environment["properties"]["@path"] = "$.elsewhere"


def _text_for_object(environment: dict) -> None:
    environment["properties"]["linkedEnvironmentMetadata"] = "https://x.crm.dynamics.com"


def _bad_unit(environment: dict) -> None:
    _capacity(environment)[1]["capacityUnit"] = "parsecs"


def _twice(environment: dict) -> None:
    capacity = _capacity(environment)
    capacity.append(dict(capacity[0]))


def _no_properties(environment: dict) -> None:
    del environment["properties"]


def _negative(environment: dict) -> None:
    _capacity(environment)[0]["actualConsumption"] = -1


def _unknown_fields(environment: dict) -> None:
    environment["properties"]["addedLater"] = {"Capacity": "not read"}
    environment["states"] = {"management": {"id": "Ready"}}


def _unplanned_sku(environment: dict) -> None:
    environment["properties"]["environmentSku"] = "Preview"


def _same_name(environment: dict) -> None:
    environment["properties"]["displayName"] = ITEMS[0]["properties"]["displayName"]


CHANGES = [
    _recase,
    _older_kind_of_value,
    _at_key,
    _text_for_object,
    _bad_unit,
    _twice,
    _no_properties,
    _negative,
    _unknown_fields,
    _unplanned_sku,
    _same_name,
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, len(ITEMS) - 1), st.sampled_from(CHANGES)), max_size=3),
    st.integers(1, 3),
)
def test_a_list_reads_as_the_full_reading_reads_it(changes: list[Any], copies: int) -> None:
    items = copy.deepcopy(ITEMS * copies)
    for at, change in changes:
        if "properties" in items[at]:
            change(items[at])
    assert _same(_read(items), _full(items))


def test_the_sample_is_read_as_written() -> None:
    read = read_json_quickly(copy.deepcopy(ITEMS), ppac._ENVIRONMENTS, at="$.value")
    assert read is not None
    assert [environment.at for environment in read] == [
        f"$.value[{index}]" for index in range(len(ITEMS))
    ]
    assert _same(_read(copy.deepcopy(ITEMS)), _full(copy.deepcopy(ITEMS)))


@pytest.mark.parametrize(
    "change", [_recase, _at_key, _text_for_object], ids=["case", "path key", "text"]
)
def test_what_is_not_as_written_is_left_to_the_full_reading(change: Any) -> None:
    items = copy.deepcopy(ITEMS)
    change(items[1])
    assert read_json_quickly(items, ppac._ENVIRONMENTS, at="$.value") is None


def test_a_list_longer_than_capplan_reads_is_left_to_the_full_reading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = copy.deepcopy(ITEMS)
    longest = max(len(item["properties"].get("capacity") or []) for item in items)
    monkeypatch.setattr(jsonshape, "MAX_ROWS", longest - 1)
    assert read_json_quickly(items, ppac._ENVIRONMENTS, at="$.value") is None


def test_a_message_about_a_deeper_object_names_where_it_is() -> None:
    items = copy.deepcopy(ITEMS)
    _bad_unit(items[2])
    message = _read(items)
    assert "$.value[2].properties.capacity[1].capacityUnit" in message
    assert message == _full(items)
