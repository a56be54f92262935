"""Power Platform admin API environment list with capacity (``$expand=properties.capacity``).

Mapping choices (documented in docs/input-formats.md):

- Rated consumption goes to ``<type>_gb`` because it is what counts against entitlement; actual
  consumption goes to ``<type>_actual_gb``. Both arrive in MB and are converted with
  planner.model.units.mb_to_gb.
- An environment reporting non-zero FinOpsDatabase or FinOpsFile consumption hosts finance and
  operations. Its Production SKU becomes ``production``, its Sandbox SKU ``sandbox`` for the
  first one and ``addon_sandbox`` for later ones (the license includes one sandbox; the list
  does not tell which, so file order decides). With a Dataverse database
  (``linkedEnvironmentMetadata``) it is ``integrated``, without one ``initial``.
- ``properties.billingPolicy.id`` marks an environment billed pay-as-you-go (``payg``).
- The list cannot show that a finance and operations environment was linked to an existing
  Dataverse environment; say ``linked_existing`` in the inventory template instead.
- SKUs capplan does not plan for (Preview, Support, ...) are skipped with a note.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import pandas as pd
from msgspec import Meta

from planner.ingest.jsonshape import (
    JsonObject,
    OptionalText,
    Text,
    fail,
    read_items,
    size_field,
    text_field,
)
from planner.ingest.table import ABSURD, compact
from planner.model.inputs import ENVIRONMENT_TEXT_COLUMNS
from planner.model.units import MB_PER_GB, mb_to_gb

_STANDALONE_TYPE_BY_SKU = {
    "production": "dataverse_production",
    "sandbox": "dataverse_sandbox",
    "default": "default",
    "developer": "developer",
    "trial": "trial",
    "subscriptionbasedtrial": "trial",
    "teams": "teams",
}
_CAPACITY_TYPE_BY_API = {
    "database": "dataverse_database",
    "file": "dataverse_file",
    "log": "dataverse_log",
    "finopsdatabase": "operations_database",
    "finopsfile": "operations_file",
}
_FINANCE_OPERATIONS_CAPACITY = ("operations_database", "operations_file")
_MB_PER_UNIT = {"mb": 1.0, "gb": MB_PER_GB, "kb": 1.0 / 1024.0}
_MAX_MB = ABSURD * MB_PER_GB
# updatedOn is an ISO 8601 timestamp; its date is what tells two measurements' age apart.
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class ReadResult:
    # The environments: a dict each, or a frame of their columns.
    rows: list[dict] | pd.DataFrame
    notes: tuple[str, ...]
    # Text columns of the frame made of str alone (see planner.model.inputs.environment_frame).
    all_text: tuple[str, ...] = ()


class CapacityEntry(JsonObject):
    capacity_type: Text
    # Read only for the types capplan plans for (the others are listed and ignored).
    capacity_unit: Any = None
    rated_consumption: Any = None
    actual_consumption: Any = None
    updated_on: Any = None  # only orders measurements: a missing or odd one is no error


class LinkedEnvironment(JsonObject):
    instance_url: OptionalText = OptionalText()


class BillingPolicy(JsonObject):
    id: OptionalText = OptionalText()


class Properties(JsonObject, kw_only=True):
    display_name: OptionalText = OptionalText()
    environment_sku: Text
    is_default: Any = None  # true, and nothing else, marks the default environment
    capacity: Annotated[
        list[Annotated[CapacityEntry, Meta(description="a capacity entry with capacityType")]]
        | None,
        Meta(description="capacity as a list of consumption entries"),
    ] = None
    linked_environment_metadata: Annotated[
        LinkedEnvironment | None, Meta(description="linkedEnvironmentMetadata as an object")
    ] = None
    billing_policy: Annotated[
        BillingPolicy | None, Meta(description="billingPolicy as an object with an id")
    ] = None


class Environment(JsonObject):
    properties: Annotated[Properties | None, Meta(description="properties as an object")] = None
    name: OptionalText = OptionalText()


_ENVIRONMENTS = list[
    Annotated[Environment, Meta(description="an environment object with properties")]
]


def read_ppac_json(file: str, items: list, items_path: str) -> ReadResult:
    return read_items(file, items, _ENVIRONMENTS, items_path, _read)


def _read(file: str, environments: list[Environment]) -> ReadResult:
    notes: list[str] = []
    # The rows a column at a time, made a frame at once (a dict per row took 62 ms of 30,000
    # environments to become a frame, and as long to make).
    columns: dict[str, list] = {
        column: [] for column in (*_TEXT, "payg", *_GB_COLUMN.values(), *_ACTUAL_GB_COLUMN.values())
    }
    names, types, states = columns["name"], columns["type"], columns["power_platform"]
    addresses, ids, measured = columns["org_url"], columns["environment_id"], columns["measured_on"]
    paygs, locations = columns["payg"], columns["location"]
    gb = [(kind, columns[column]) for kind, column in _GB_COLUMN.items()]
    actual_gb = [(kind, columns[column]) for kind, column in _ACTUAL_GB_COLUMN.items()]
    taken: set[str] = set()
    included_sandbox_taken = False
    skipped_capacity_types: set[str] = set()
    for index, environment in enumerate(environments):
        path = environment.at
        properties = environment.properties
        if properties is None:
            raise fail(
                file,
                "properties is missing",
                environment.where("properties"),
                "properties with displayName and environmentSku",
            )
        environment_id = str(environment.name)
        display_name = str(properties.display_name)
        name = display_name or environment_id
        if not name:
            raise fail(
                file,
                "the environment has neither properties.displayName nor name",
                path,
                "a displayName or a name (environment id)",
            )
        sku = str(properties.environment_sku)
        usage, actual, measured_on = _capacity(file, properties, skipped_capacity_types)
        linked = properties.linked_environment_metadata
        dataverse = None if linked is None else str(linked.instance_url).rstrip("/")
        # Pay-as-you-go: properties.billingPolicy names a billing policy (an object with an id).
        payg = properties.billing_policy is not None and bool(properties.billing_policy.id)
        hosts_operations = any(
            (usage.get(t) or 0) > 0 or (actual.get(t) or 0) > 0
            for t in _FINANCE_OPERATIONS_CAPACITY
        )
        environment_type, power_platform = _environment_type(
            compact(sku),
            is_default=properties.is_default is True,
            hosts_operations=hosts_operations,
            has_dataverse=dataverse is not None,
            included_sandbox_taken=included_sandbox_taken,
        )
        if environment_type is None:
            notes.append(
                f"{file}: {path} '{name}' has environmentSku '{sku}', which capplan does not plan "
                "for; skipped"
            )
            continue
        included_sandbox_taken = included_sandbox_taken or environment_type == "sandbox"
        unique = _unique_name(name, environment_id, index, taken)
        if unique != name:
            notes.append(
                f"{file}: two environments are called '{name}'; {path} was renamed '{unique}'"
            )
        name = unique
        taken.add(name.casefold())
        names.append(name)
        types.append(environment_type)
        states.append(power_platform)
        addresses.append(dataverse or "")
        ids.append(environment_id.casefold())
        measured.append(measured_on)
        paygs.append(payg)
        locations.append(path)
        # A type the list gives no figure for (or null) is a gap.
        for capacity_type, values in gb:
            megabytes = usage.get(capacity_type)
            values.append(mb_to_gb(megabytes) if megabytes is not None else np.nan)
        for capacity_type, values in actual_gb:
            megabytes = actual.get(capacity_type)
            values.append(mb_to_gb(megabytes) if megabytes is not None else np.nan)
    count = len(names)
    columns.update(linked_to=[""] * count, source=[file] * count)
    index = pd.RangeIndex(count)
    # Each column of its type as it is made, as Series: text as Python strings (a frame would
    # make pandas strings of them), no block of one dtype copied together.
    frame = pd.DataFrame(
        {
            **{key: pd.Series(columns[key], index=index, dtype=object) for key in _TEXT},
            "tier": pd.Series(np.full(count, np.nan), index=index, copy=False),
            "payg": pd.Series(np.array(paygs, dtype=bool), index=index, copy=False),
            "start_month": pd.Series(np.zeros(count, dtype=np.int64), index=index, copy=False),
            **{
                column: pd.Series(np.array(values, dtype=np.float64), index=index, copy=False)
                for column, values in columns.items()
                if column.endswith("_gb")
            },
        },
        index=index,
        copy=False,
    )
    for api_type in sorted(skipped_capacity_types):
        notes.append(f"{file}: capacityType '{api_type}' is not one capplan plans for; ignored")
    return ReadResult(rows=frame, notes=tuple(notes), all_text=_TEXT)


def _environment_type(
    sku_key: str,
    *,
    is_default: bool,
    hosts_operations: bool,
    has_dataverse: bool,
    included_sandbox_taken: bool,
) -> tuple[str | None, str]:
    """(type, power_platform) for one environment; type None for SKUs capplan does not plan."""
    if is_default:
        return "default", ""
    if hosts_operations and sku_key in ("production", "sandbox"):
        state = "integrated" if has_dataverse else "initial"
        if sku_key == "production":
            return "production", state
        # The list does not say which sandbox came with the license: file order decides.
        return ("addon_sandbox" if included_sandbox_taken else "sandbox"), state
    return _STANDALONE_TYPE_BY_SKU.get(sku_key), ""


def _unique_name(name: str, environment_id: str, index: int, taken: set[str]) -> str:
    """Display names need not be unique in the admin center; the id tells them apart."""
    candidate = name
    suffix = environment_id[:8] or str(index)
    while candidate.casefold() in taken:
        candidate = f"{name} [{suffix}]"
        suffix = f"{suffix}-{index}"
    return candidate


@functools.lru_cache(maxsize=1024)
def _capacity_type(api_type: str) -> str | None:
    """capplan's capacity type of the API's name for it (None: one capplan does not plan
    for), worked out once per name as written."""
    return _CAPACITY_TYPE_BY_API.get(compact(api_type))


# The columns of text the reader makes of str alone.
_TEXT = ("name", "type", *ENVIRONMENT_TEXT_COLUMNS)
# A row's columns of each capacity type's usage, rated and actual.
_GB_COLUMN = {kind: f"{kind}_gb" for kind in _CAPACITY_TYPE_BY_API.values()}
_ACTUAL_GB_COLUMN = {kind: f"{kind}_actual_gb" for kind in _CAPACITY_TYPE_BY_API.values()}


def _capacity(
    file: str, properties: Properties, skipped: set[str]
) -> tuple[dict[str, float | None], dict[str, float | None], str]:
    """Rated and actual consumption in MB per capacity type present in the list, and the date of
    the newest measurement ("" when no entry carries a readable updatedOn)."""
    usage: dict[str, float | None] = {}
    actual: dict[str, float | None] = {}
    dates: list[str] = []
    for entry in properties.capacity or ():
        api_type = str(entry.capacity_type)
        capacity_type = _capacity_type(api_type)
        if capacity_type is None:
            skipped.add(api_type)
            continue
        if capacity_type in usage:
            raise fail(
                file,
                f"capacityType '{api_type}' appears twice for this environment",
                f"{entry.at}.capacityType",
                "one entry per capacity type",
            )
        factor = _unit_factor(file, entry)
        maximum = _MAX_MB / factor
        rated = size_field(file, entry, "ratedConsumption", entry.rated_consumption, maximum)
        real = size_field(file, entry, "actualConsumption", entry.actual_consumption, maximum)
        usage[capacity_type] = None if rated is None else rated * factor
        actual[capacity_type] = None if real is None else real * factor
        # The date only orders measurements; a missing or odd one leaves the age unknown.
        updated = entry.updated_on
        if isinstance(updated, str):
            # By its first ten characters, which the date is (times of day differ from entry
            # to entry; a text of the document remembered would keep its memory too).
            day = _day(updated[:10])
            if day:
                dates.append(day)
    return usage, actual, max(dates, default="")


def _unit_factor(file: str, entry: CapacityEntry) -> float:
    """MB per unit of the entry's capacityUnit (absent: MB), worked out once per unit as
    written; a unit capplan does not know is refused."""
    written = entry.capacity_unit
    known = _FACTORS.get(written) if written is None or type(written) is str else None
    if known is not None:
        return known
    unit = text_field(file, entry, "capacityUnit", written) or "MB"
    factor = _MB_PER_UNIT.get(unit.casefold())
    if factor is None:
        raise fail(
            file,
            f"capacityUnit '{unit}' is not a unit capplan knows",
            f"{entry.at}.capacityUnit",
            "MB (or GB)",
        )
    if (written is None or type(written) is str) and len(_FACTORS) < _KEPT:
        _FACTORS[written] = factor
    return factor


@functools.lru_cache(maxsize=1024)
def _day(head: str) -> str:
    """The day of a measurement whose updatedOn begins with ``head`` ("" where none)."""
    return head if _DATE.match(head) else ""


# Units as written, worked out once each (a list of 30,000 environments has 127,500 capacity
# entries, mostly of one unit); a unit refused is checked, and refused, each time.
_FACTORS: dict[str | None, float] = {}
_KEPT = 10_000
