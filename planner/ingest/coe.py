"""The CoE Starter Kit's ``admin_EnvironmentCapacity`` table, as history of consumption.

The Center of Excellence Starter Kit keeps one row per environment and capacity type, and
overwrites it every week; dated exports of it (CSV from the table view, or the Dataverse Web API
JSON of ``admin_environmentcapacities``) are therefore a consumption history. The table says
nothing about an environment's kind, so it is read only as ``--history``.

Mapping: ``admin_capacitytype`` Database, File, Log, FinOpsDatabase, FinOpsFile (as text, or the
formatted value the Web API adds with ``Prefer: odata.include-annotations="*"``); rated
consumption to ``<type>_gb``, actual to ``<type>_actual_gb``; ``admin_capacityunit`` MB (the
default) or GB; the environment is ``admin_environment`` (its name in a CSV export, its
formatted value in JSON) or ``admin_environmentname``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.ingest.jsondoc import JsonReader, item, lookup
from planner.ingest.table import ABSURD, Field, NumberRule, Table, compact, match_columns
from planner.ingest.table import parse_numbers as table_numbers
from planner.ingest.tenant_capacity import CAPACITY_TYPE_BY_API
from planner.model.inputs import environment_frame
from planner.model.units import MB_PER_GB

ENVIRONMENT_ALIASES = (
    "admin_environment",
    "admin_environmentname",
    "Environment",
    "admin_environmentdisplayname",
)
FIELDS = (
    Field("environment", ENVIRONMENT_ALIASES, required=True),
    Field("capacity_type", ("admin_capacitytype", "Capacity Type"), required=True),
    Field("rated", ("admin_ratedconsumption", "Rated Consumption")),
    Field("actual", ("admin_actualconsumption", "Actual Consumption")),
    Field("unit", ("admin_capacityunit", "Capacity Unit")),
)
SIGNATURE = {"admincapacitytype", "adminactualconsumption", "adminratedconsumption"}
_FORMATTED = "@OData.Community.Display.V1.FormattedValue"
_MB_PER_UNIT = {"mb": 1.0, "gb": MB_PER_GB}
_SIZE = NumberRule("a consumption in the capacity unit", whole=False, maximum=ABSURD * MB_PER_GB)


def looks_like_coe_item(first: dict) -> bool:
    return lookup(first, "admin_capacitytype", f"admin_capacitytype{_FORMATTED}") is not None


def read_coe_table(table: Table) -> pd.DataFrame:
    columns = match_columns(table, FIELDS)
    names = table.column(columns["environment"])
    types = table.column(columns["capacity_type"])
    units = table.column(columns["unit"]) if "unit" in columns else None
    rated = _numbers(table, columns, "rated")
    actual = _numbers(table, columns, "actual")
    rows = []
    for index in range(len(table)):
        where = f"row {table.row_numbers[index]}"
        if not names.iloc[index]:
            raise table.error(
                "the environment is blank",
                row_index=index,
                position=columns["environment"],
                expected="the environment's name",
            )
        unit = units.iloc[index] if units is not None else ""
        factor = _factor(unit, table.file, where)
        rows.append(
            (names.iloc[index], types.iloc[index], rated[index], actual[index], factor, where)
        )
    return _environments(table.file, rows)


def read_coe_json(file: str, items: list, items_path: str) -> pd.DataFrame:
    reader = JsonReader(file)
    rows = []
    for index, value in enumerate(items):
        path = item(items_path, index)
        entry = reader.as_object(value, path, "an admin_environmentcapacity row")
        name = _text(reader, entry, path, "_admin_environment_value", "admin_environment")
        if not name:
            name = reader.text(entry, path, "admin_environmentname", required=False)
        if not name:
            raise reader.fail(
                "the row names no environment",
                path,
                "admin_environment (with its formatted value) or admin_environmentname",
            )
        capacity_type = _text(reader, entry, path, "admin_capacitytype")
        unit = _text(reader, entry, path, "admin_capacityunit")
        factor = _factor(unit, file, path)
        maximum = ABSURD * MB_PER_GB
        rated = reader.size(entry, path, "admin_ratedconsumption", maximum=maximum)
        actual = reader.size(entry, path, "admin_actualconsumption", maximum=maximum)
        rows.append(
            (
                name,
                capacity_type,
                np.nan if rated is None else rated,
                np.nan if actual is None else actual,
                factor,
                path,
            )
        )
    return _environments(file, rows)


def _text(reader: JsonReader, entry: dict, path: str, *names: str) -> str:
    """A column as a person reads it: the formatted value where the Web API gives one (choices
    and lookups), else the value itself when it is text."""
    for name in names:
        formatted = lookup(entry, name + _FORMATTED)
        if formatted is not None and isinstance(formatted[1], str) and formatted[1].strip():
            return formatted[1].strip()
    for name in names:
        found = lookup(entry, name)
        if found is None or found[1] is None:
            continue
        if isinstance(found[1], str):
            return found[1].strip()
        raise reader.fail(
            f"{found[0]} is the code {found[1]!r}, not its name",
            f"{path}.{found[0]}",
            "the formatted values: request the rows with the header "
            'Prefer: odata.include-annotations="*"',
        )
    return ""


def _numbers(table: Table, columns: dict[str, int], name: str) -> np.ndarray:
    if name not in columns:
        return np.full(len(table), np.nan)
    return table_numbers(table, columns[name], name, _SIZE)


def _factor(unit: str, file: str, where: str) -> float:
    factor = _MB_PER_UNIT.get((unit or "MB").strip().casefold())
    if factor is None:
        raise InputError(
            f"capacity unit '{unit}' is not MB or GB",
            file=file,
            location=where,
            expected="MB (the CoE Starter Kit's unit) or GB",
        )
    return factor


def _environments(file: str, rows: list[tuple]) -> pd.DataFrame:
    """One environment row per environment, a usage column per capacity type it reports."""
    by_name: dict[str, dict] = {}
    for name, api_type, rated, actual, factor, where in rows:
        capacity_type = CAPACITY_TYPE_BY_API.get(compact(api_type))
        if capacity_type is None:
            continue  # trial and other types: not planned
        row = by_name.setdefault(
            name.casefold(),
            {"name": name, "type": "", "source": file, "location": where, "start_month": 0},
        )
        if f"{capacity_type}_gb" in row:
            raise InputError(
                f"environment '{name}' has two {api_type} rows",
                file=file,
                location=where,
                expected="one row per environment and capacity type",
            )
        row[f"{capacity_type}_gb"] = rated * factor / MB_PER_GB
        row[f"{capacity_type}_actual_gb"] = actual * factor / MB_PER_GB
    if not by_name:
        raise InputError(
            "no row has a capacity type capplan plans (Database, File, Log, FinOpsDatabase, "
            "FinOpsFile)",
            file=file,
            expected="rows of the admin_EnvironmentCapacity table",
        )
    return environment_frame(list(by_name.values()))
