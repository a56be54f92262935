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

from typing import Annotated, Any

import msgspec
import numpy as np
import pandas as pd
from msgspec import Meta

from planner.errors import InputError
from planner.ingest.jsondoc import ODATA_FORMATTED
from planner.ingest.jsonshape import JsonObject, fail, read_json, size_field, text_field
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
_FORMATTED = ODATA_FORMATTED
_MB_PER_UNIT = {"mb": 1.0, "gb": MB_PER_GB}
_SIZE = NumberRule("a consumption in the capacity unit", whole=False, maximum=ABSURD * MB_PER_GB)


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


# The Web API's columns, as written; each may come with its formatted value (choices, lookups).
_COLUMNS = (
    "_admin_environment_value",
    "admin_environment",
    "admin_environmentname",
    "admin_capacitytype",
    "admin_capacityunit",
    "admin_ratedconsumption",
    "admin_actualconsumption",
)
_FORMATTED_COLUMNS = (
    "_admin_environment_value",
    "admin_environment",
    "admin_capacitytype",
    "admin_capacityunit",
)


class CoeRow(
    JsonObject,
    rename={
        **{name: name for name in _COLUMNS},
        **{f"{name}_formatted": name + _FORMATTED for name in _FORMATTED_COLUMNS},
    },
):
    """A row of admin_environmentcapacities. The columns stay Any: which of a column and its
    formatted value is read, and whether a code is refused, is decided across the two keys, and
    admin_environmentname is read only when admin_environment names nothing; the Struct finds
    the columns (in any case) and checks that the row is an object."""

    _admin_environment_value: Any = None
    _admin_environment_value_formatted: Any = None
    admin_environment: Any = None
    admin_environment_formatted: Any = None
    admin_environmentname: Any = None  # read only when admin_environment names nothing
    admin_capacitytype: Any = None
    admin_capacitytype_formatted: Any = None
    admin_capacityunit: Any = None
    admin_capacityunit_formatted: Any = None
    admin_ratedconsumption: Any = None
    admin_actualconsumption: Any = None


_ROWS = list[Annotated[CoeRow, Meta(description="an admin_environmentcapacity row")]]


def read_coe_json(file: str, items: list, items_path: str) -> pd.DataFrame:
    rows = []
    maximum = ABSURD * MB_PER_GB
    for entry in read_json(file, items, _ROWS, at=items_path):
        path = entry.at
        name = _text(file, entry, "_admin_environment_value", "admin_environment")
        if not name:
            name = text_field(file, entry, "admin_environmentname", entry.admin_environmentname)
        if not name:
            raise fail(
                file,
                "the row names no environment",
                path,
                "admin_environment (with its formatted value) or admin_environmentname",
            )
        capacity_type = _text(file, entry, "admin_capacitytype")
        unit = _text(file, entry, "admin_capacityunit")
        factor = _factor(unit, file, path)
        rated = size_field(
            file, entry, "admin_ratedconsumption", entry.admin_ratedconsumption, maximum
        )
        actual = size_field(
            file, entry, "admin_actualconsumption", entry.admin_actualconsumption, maximum
        )
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


def _text(file: str, entry: CoeRow, *names: str) -> str:
    """A column as a person reads it: the formatted value where the Web API gives one (choices
    and lookups), else the value itself when it is text."""
    values = msgspec.structs.asdict(entry)
    for name in names:
        formatted = values.get(f"{name}_formatted")
        if isinstance(formatted, str) and formatted.strip():
            return formatted.strip()
    for name in names:
        value = values[name]
        if value is None:
            continue
        if isinstance(value, str):
            return value.strip()
        key = entry.written[name]
        raise fail(
            file,
            f"{key} is the code {value!r}, not its name",
            f"{entry.at}.{key}",
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
