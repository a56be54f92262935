"""The LCS environment list read as written, where it can be, is what the full reading reads;
where it cannot be, the full reading says what is wrong, with every object's path."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from planner.errors import InputError
from planner.ingest.jsonshape import read_json
from planner.ingest.lcs import _ENVIRONMENTS, _read, read_lcs_json

from .conftest import SAMPLES

ITEMS = json.loads((SAMPLES / "environments-lcs.json").read_text(encoding="utf-8"))["Data"]


def _renamed(old: str, new: str) -> Callable[[list[dict[str, Any]]], None]:
    def change(items: list[dict[str, Any]]) -> None:
        items[-1][new] = items[-1].pop(old)

    return change


def _set(key: str, value: Any) -> Callable[[list[dict[str, Any]]], None]:
    def change(items: list[dict[str, Any]]) -> None:
        items[-1][key] = value

    return change


CHANGES = {
    "as given": lambda items: None,
    "a key in other case": _renamed("EnvironmentType", "environmentType"),
    "an older key": _renamed("DeploymentStatusDisplay", "DeploymentStatus"),
    "a name that is a number": _set("EnvironmentName", 12),
    "a name given twice": _set("EnvironmentName", ITEMS[0]["EnvironmentName"]),
    "a new field": _set("Region", "West Europe"),
    "a blank type": _set("EnvironmentType", ""),
}


def _outcome(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except InputError as error:
        return str(error)


@pytest.mark.parametrize("change", CHANGES.values(), ids=list(CHANGES))
def test_read_as_written_or_again_in_full_is_the_full_reading(
    change: Callable[[list[dict[str, Any]]], None],
) -> None:
    items = copy.deepcopy(ITEMS)
    change(items)
    quick = _outcome(lambda: read_lcs_json("lcs.json", items, "Data"))
    full = _outcome(lambda: _read("lcs.json", read_json("lcs.json", items, _ENVIRONMENTS, "Data")))
    assert quick == full
