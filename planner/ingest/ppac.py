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

import re
from dataclasses import dataclass

import numpy as np

from planner.ingest.jsondoc import JsonReader, item, lookup, member
from planner.ingest.table import ABSURD, compact
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
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ReadResult:
    rows: list[dict]
    notes: tuple[str, ...]


def read_ppac_json(file: str, items: list, items_path: str) -> ReadResult:
    reader = JsonReader(file)
    notes: list[str] = []
    rows: list[dict] = []
    taken: set[str] = set()
    included_sandbox_taken = False
    skipped_capacity_types: set[str] = set()
    for index, value in enumerate(items):
        path = item(items_path, index)
        environment = reader.as_object(value, path, "an environment object with properties")
        properties_path, properties = reader.field(environment, path, "properties")
        if properties is None:
            raise reader.fail(
                "properties is missing",
                properties_path,
                "properties with displayName and environmentSku",
            )
        properties = reader.as_object(properties, properties_path, "properties as an object")
        environment_id = reader.text(environment, path, "name", required=False)
        display_name = reader.text(properties, properties_path, "displayName", required=False)
        name = display_name or environment_id
        if not name:
            raise reader.fail(
                "the environment has neither properties.displayName nor name",
                path,
                "a displayName or a name (environment id)",
            )
        sku = reader.text(properties, properties_path, "environmentSku")
        is_default = lookup(properties, "isDefault")
        usage, actual, measured_on = _capacity(
            reader, properties, properties_path, skipped_capacity_types
        )
        dataverse = _dataverse_url(reader, properties, properties_path)
        payg = _billing_policy(reader, properties, properties_path)
        hosts_operations = any(
            (usage.get(t) or 0) > 0 or (actual.get(t) or 0) > 0
            for t in _FINANCE_OPERATIONS_CAPACITY
        )
        environment_type, power_platform = _environment_type(
            compact(sku),
            is_default=is_default is not None and is_default[1] is True,
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
        row: dict = {
            "name": name,
            "type": environment_type,
            "tier": np.nan,
            "power_platform": power_platform,
            "linked_to": "",
            "org_url": dataverse or "",
            "environment_id": environment_id.casefold(),
            "measured_on": measured_on,
            "payg": payg,
            "source": file,
            "location": path,
            "start_month": 0,
        }
        for capacity_type, megabytes in usage.items():
            row[f"{capacity_type}_gb"] = mb_to_gb(megabytes) if megabytes is not None else np.nan
        for capacity_type, megabytes in actual.items():
            row[f"{capacity_type}_actual_gb"] = (
                mb_to_gb(megabytes) if megabytes is not None else np.nan
            )
        rows.append(row)
    for api_type in sorted(skipped_capacity_types):
        notes.append(f"{file}: capacityType '{api_type}' is not one capplan plans for; ignored")
    return ReadResult(rows=rows, notes=tuple(notes))


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


def _capacity(
    reader: JsonReader, properties: dict, path: str, skipped: set[str]
) -> tuple[dict[str, float | None], dict[str, float | None], str]:
    """Rated and actual consumption in MB per capacity type present in the list, and the date of
    the newest measurement ("" when no entry carries a readable updatedOn)."""
    where, entries = reader.field(properties, path, "capacity")
    usage: dict[str, float | None] = {}
    actual: dict[str, float | None] = {}
    dates: list[str] = []
    if entries is None:
        return usage, actual, ""
    entries = reader.as_list(entries, where, "capacity as a list of consumption entries")
    for index, value in enumerate(entries):
        entry_path = item(where, index)
        entry = reader.as_object(value, entry_path, "a capacity entry with capacityType")
        api_type = reader.text(entry, entry_path, "capacityType")
        capacity_type = _CAPACITY_TYPE_BY_API.get(compact(api_type))
        if capacity_type is None:
            skipped.add(api_type)
            continue
        if capacity_type in usage:
            raise reader.fail(
                f"capacityType '{api_type}' appears twice for this environment",
                member(entry_path, "capacityType"),
                "one entry per capacity type",
            )
        unit = reader.text(entry, entry_path, "capacityUnit", required=False) or "MB"
        factor = _MB_PER_UNIT.get(unit.casefold())
        if factor is None:
            raise reader.fail(
                f"capacityUnit '{unit}' is not a unit capplan knows",
                member(entry_path, "capacityUnit"),
                "MB (or GB)",
            )
        rated = reader.size(entry, entry_path, "ratedConsumption", maximum=_MAX_MB / factor)
        real = reader.size(entry, entry_path, "actualConsumption", maximum=_MAX_MB / factor)
        usage[capacity_type] = None if rated is None else rated * factor
        actual[capacity_type] = None if real is None else real * factor
        # The date only orders measurements; a missing or odd one leaves the age unknown.
        updated = lookup(entry, "updatedOn")
        if updated is not None and isinstance(updated[1], str) and _DATE.match(updated[1]):
            dates.append(updated[1][:10])
    return usage, actual, max(dates, default="")


def _billing_policy(reader: JsonReader, properties: dict, path: str) -> bool:
    """Whether the environment is billed pay-as-you-go: ``properties.billingPolicy`` names a
    billing policy (an object with an ``id``)."""
    where, policy = reader.field(properties, path, "billingPolicy")
    if policy is None:
        return False
    policy = reader.as_object(policy, where, "billingPolicy as an object with an id")
    return bool(reader.text(policy, where, "id", required=False))


def _dataverse_url(reader: JsonReader, properties: dict, path: str) -> str | None:
    """The Dataverse organization URL, or None when the environment has no Dataverse."""
    where, linked = reader.field(properties, path, "linkedEnvironmentMetadata")
    if linked is None:
        return None
    linked = reader.as_object(linked, where, "linkedEnvironmentMetadata as an object")
    url = reader.text(linked, where, "instanceUrl", required=False)
    return url.rstrip("/")
