"""JSON answers read into Structs: keys in any case and under older names, new fields ignored,
quoted digits read as numbers, and messages that name the path as the document wrote it."""

from __future__ import annotations

from typing import Annotated, ClassVar

import pytest
from msgspec import Meta

from planner.errors import InputError
from planner.ingest.jsonshape import Count, Flag, JsonObject, OptionalText, Text, read_json


class Item(JsonObject):
    aliases: ClassVar[dict[str, tuple[str, ...]]] = {"skuPartNumber": ("partNumber",)}

    sku_part_number: Text
    units: Count = Count(0)
    trial: Flag = Flag(0)
    note: OptionalText = OptionalText()


class Answer(JsonObject):
    value: Annotated[list[Annotated[Item, Meta(description="an item")]], Meta(description="items")]


def read(document: dict) -> Answer:
    return read_json("answer.json", document, Answer)


def refusal(document: dict) -> InputError:
    with pytest.raises(InputError) as caught:
        read(document)
    return caught.value


def test_keys_in_any_case_older_names_and_new_fields() -> None:
    answer = read(
        {
            "Value": [
                {"SkuPartNumber": " A ", "UNITS": "12", "trial": True, "addedLater": {"x": 1}},
                {"partNumber": "B", "units": 3.0, "note": None},
            ],
            "@odata.context": "ignored",
        }
    )
    first, second = answer.value
    assert (first.sku_part_number, first.units, bool(first.trial), first.note) == (
        "A",
        12,
        True,
        "",
    )
    assert (second.sku_part_number, second.units, bool(second.trial)) == ("B", 3, False)
    assert first.at == "Value[0]" and first.where("units") == "Value[0].UNITS"
    assert second.where("skuPartNumber") == "Value[1].partNumber"


@pytest.mark.parametrize(
    ("document", "location", "message", "expected"),
    [
        (
            {"Value": [{"units": 1}]},
            "Value[0].skuPartNumber",
            "skuPartNumber is missing",
            "skuPartNumber as text",
        ),
        (
            {"value": [{"PartNumber": " "}]},
            "value[0].PartNumber",
            "skuPartNumber is empty",
            "skuPartNumber as non-empty text",
        ),
        (
            {"value": [{"sku_part_number": "A"}]},
            "value[0].skuPartNumber",
            "skuPartNumber is missing",
            "skuPartNumber as text",
        ),
        (
            {"value": [{"skuPartNumber": "A", "Units": "1_000"}]},
            "value[0].Units",
            "'1_000' is not a number",
            "units as a whole number from 0 to 10,000,000",
        ),
        (
            {"value": [{"skuPartNumber": "A", "units": -1}]},
            "value[0].units",
            "-1 is negative",
            "units as a whole number from 0 to 10,000,000",
        ),
        (
            {"value": [{"skuPartNumber": "A", "trial": "true"}]},
            "value[0].trial",
            "trial is not true or false",
            "true/false",
        ),
        (
            {"value": ["Microsoft.Graph.Item"]},
            "value[0]",
            "found text, not an object (the export was cut short: ConvertTo-Json needs a larger"
            " -Depth)",
            "an item",
        ),
        ({"VALUE": {}}, "VALUE", "found an object, not a list", "items"),
        ({}, "value", "found null, not a list", "items"),
    ],
)
def test_what_does_not_fit_is_named_where_the_document_has_it(
    document: dict, location: str, message: str, expected: str
) -> None:
    error = refusal(document)
    assert (error.file, error.location, error.message, error.expected) == (
        "answer.json",
        location,
        message,
        expected,
    )
