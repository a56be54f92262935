"""The shape of a scenario file: its top-level keys and one table per kind of change.

planner.scenarios.read converts the parsed TOML into these Structs with planner.model.structs
(an unknown key, a missing key or a value of the wrong type is refused there, naming the change),
then checks what a type cannot say (months within the horizon, quantities, sizes, names) and
builds the typed changes of planner.model.changes. docs/scenarios.md describes the same keys.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from planner.model.inputs import CAPACITY_TYPES, ENVIRONMENT_TYPES, POWER_PLATFORM_STATES
from planner.model.structs import required_keys, struct_keys

USAGE_KEYS = tuple(f"{t}_gb" for t in CAPACITY_TYPES)
GROWTH_KEYS = tuple(f"{t}_growth_gb_per_month" for t in CAPACITY_TYPES)

Text = Annotated[str, msgspec.Meta(description="a non-empty string")]
Number = Annotated[int | float, msgspec.Meta(description="a number")]
Whole = Annotated[int | float, msgspec.Meta(description="a whole number")]


EnvironmentType = Annotated[str, msgspec.Meta(description="one of " + ", ".join(ENVIRONMENT_TYPES))]
PowerPlatform = Annotated[
    str, msgspec.Meta(description="one of " + ", ".join(POWER_PLATFORM_STATES))
]
CapacityType = Annotated[str, msgspec.Meta(description="one of " + ", ".join(CAPACITY_TYPES))]


class ScenarioFile(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Text | None = None  # the file's name without .toml when absent
    description: str = ""
    # Each change is converted on its own, so that its message can name it (changes[3]).
    changes: list[dict[str, Any]] = []


class Change(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, tag_field="kind"):
    """Keys every change may have: when it happens (YYYY-MM, month 0 when absent) and a note."""

    month: Any = None  # read as text by parse_month, which says what is wrong with it
    note: str = ""


class AddLicenses(Change, kw_only=True, tag="add_licenses"):
    sku: Text
    quantity: Whole


class RemoveLicenses(Change, kw_only=True, tag="remove_licenses"):
    sku: Text
    quantity: Whole


AddEnvironment = msgspec.defstruct(
    "AddEnvironment",
    [
        ("name", Text),
        ("type", EnvironmentType),
        ("tier", Whole | None, None),
        ("license", bool, True),
        ("power_platform", PowerPlatform | None, None),
        ("linked_to", Text | None, None),
        *((key, Number | None, None) for key in (*USAGE_KEYS, *GROWTH_KEYS)),
    ],
    bases=(Change,),
    module=__name__,
    kw_only=True,
    tag="add_environment",
)


class DeleteEnvironment(Change, kw_only=True, tag="delete_environment"):
    name: Text


class LinkNewDataverse(Change, kw_only=True, tag="link_new_dataverse"):
    name: Text


class LinkExistingDataverse(Change, kw_only=True, tag="link_existing_dataverse"):
    name: Text
    target: Text


class SetGrowth(Change, kw_only=True, tag="set_growth"):
    """Either one environment's capacity type, or a whole pool."""

    environment: Text | None = None
    pool: Text | None = None
    capacity_type: CapacityType | None = None
    gb_per_month: Number


class BuyAddon(Change, kw_only=True, tag="buy_addon"):
    pool: Text
    gb: Number


class RequestExtension(Change, kw_only=True, tag="request_extension"):
    pool: Text


class SwitchRules(Change, kw_only=True, tag="switch_rules"):
    rules: Text


KINDS: tuple[type[Change], ...] = (
    AddLicenses,
    RemoveLicenses,
    AddEnvironment,
    DeleteEnvironment,
    LinkNewDataverse,
    LinkExistingDataverse,
    SetGrowth,
    BuyAddon,
    RequestExtension,
    SwitchRules,
)
AnyChange = (
    AddLicenses
    | RemoveLicenses
    | AddEnvironment  # type: ignore[valid-type]
    | DeleteEnvironment
    | LinkNewDataverse
    | LinkExistingDataverse
    | SetGrowth
    | BuyAddon
    | RequestExtension
    | SwitchRules
)

_COMMON = ("kind", "month", "note")
# The keys a scenario file may write per kind (besides kind, month and note), and those it must.
FILE_KEYS: dict[str, tuple[str, ...]] = {
    cls.__struct_config__.tag: tuple(k for k in struct_keys(cls) if k not in _COMMON)
    for cls in KINDS
}
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    cls.__struct_config__.tag: required_keys(cls) for cls in KINDS
}
