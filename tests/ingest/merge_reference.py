"""The merge of environments as the rules of planner/ingest/merge.py state them, row by row and
environment by environment: what the merge a column at a time is held to."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from planner.ingest.merge import (
    _DESCRIPTION_ORDER,
    _KIND,
    DESCRIPTION_COLUMNS,
    SAME_MEASUREMENT_GB,
    FilePart,
    _clash,
    _described,
    _disagreement,
    _growth_not_used,
    _place,
    _shared_remark,
)
from planner.model.inputs import (
    ACTUAL_COLUMNS,
    GROWTH_COLUMNS,
    USAGE_COLUMNS,
    Remark,
    environment_frame,
    name_key,
)

Row = dict[str, Any]


def merged(parts: Sequence[FilePart]) -> tuple[pd.DataFrame, tuple[Remark, ...]]:
    """Every row matched in turn, then each environment made one from its rows."""
    listed = [p for p in parts if len(p.environments)]
    sheets = [p for p in parts if p.growth is not None]
    if len(listed) <= 1 and not sheets:
        frame = listed[0].environments if listed else environment_frame([])
        return frame.reset_index(drop=True), ()
    remarks: list[Remark] = []
    groups = _group(listed, remarks)
    growth = _growth_rows(sheets, groups, remarks)
    rows = [_resolve(group, growth.get(index, []), remarks) for index, group in enumerate(groups)]
    return environment_frame(rows), (*_shared(groups), *remarks)


def _group(parts: Sequence[FilePart], remarks: list[Remark]) -> list[list[Row]]:
    groups: list[list[Row]] = []
    by_id: dict[str, int] = {}
    by_name: dict[str, list[int]] = {}
    rank = {base: position for position, base in enumerate(_DESCRIPTION_ORDER)}
    for part in parts:
        for row in part.environments.to_dict("records"):
            row["_file"] = part.file
            row["_order"] = part.order
            row["_rank"] = (rank.get(part.format_base, len(rank)), part.order)
            identity = row["environment_id"]
            target = by_id.get(identity) if identity else None
            if target is not None and part.file in {r["_file"] for r in groups[target]}:
                target = None
            if target is None:
                target = _by_name(row, by_name.get(name_key(row["name"]), []), groups, remarks)
            if target is None:
                groups.append([])
                target = len(groups) - 1
                by_name.setdefault(name_key(row["name"]), []).append(target)
            groups[target].append(row)
            if identity:
                by_id.setdefault(identity, target)
    return groups


def _by_name(
    row: Row, candidates: list[int], groups: list[list[Row]], remarks: list[Remark]
) -> int | None:
    for index in candidates:
        group = groups[index]
        if row["_file"] in {r["_file"] for r in group}:
            continue
        ids = {r["environment_id"] for r in group if r["environment_id"]}
        if row["environment_id"] and ids and row["environment_id"] not in ids:
            continue
        first = group[0]
        if _KIND.get(first["type"], first["type"]) != _KIND.get(row["type"], row["type"]):
            remarks.append(_clash(first, row))
            continue
        return index
    return None


def _growth_rows(
    sheets: Sequence[FilePart], groups: list[list[Row]], remarks: list[Remark]
) -> dict[int, list[Row]]:
    by_name: dict[str, list[int]] = {}
    for index, group in enumerate(groups):
        for row in group:
            within = by_name.setdefault(name_key(row["name"]), [])
            if index not in within:
                within.append(index)
    found: dict[int, list[Row]] = {}
    for sheet in sheets:
        assert sheet.growth is not None
        for row in sheet.growth.to_dict("records"):
            given = [c for c in GROWTH_COLUMNS if not _blank(row[c])]
            if not given:
                continue
            row["source"] = sheet.file
            targets = by_name.get(name_key(row["name"]), [])
            if len(targets) == 1:
                found.setdefault(targets[0], []).append(row)
                continue
            why = (
                "no environment of that name is in the other inputs"
                if not targets
                else "it names environments of different kinds, so capplan cannot tell which"
            )
            shown = ", ".join(f"{c} {row[c]:g}" for c in given)
            remarks.append(_growth_not_used(_place(row), row["name"], shown, why))
    return found


def _resolve(group: list[Row], growth: list[Row], remarks: list[Remark]) -> Row:
    rows = sorted(group, key=lambda r: r["_rank"])
    primary = rows[0]
    result = {key: value for key, value in primary.items() if not key.startswith("_")}
    differences: list[str] = []
    for column in DESCRIPTION_COLUMNS:
        given = [r for r in rows if not _blank(r[column])]
        if given:
            result[column] = given[0][column]
            differences += _differences(column, given, lambda v: str(_plain(v)))
    dates: list[str] = []
    for usage, actual in zip(USAGE_COLUMNS, ACTUAL_COLUMNS, strict=True):
        measured = [r for r in rows if not _blank(r[usage])]
        if not measured:
            continue
        chosen = measured[0]
        values = [float(r[usage]) for r in measured]
        if max(values) - min(values) > SAME_MEASUREMENT_GB:
            chosen = max(
                measured, key=lambda r: (r["measured_on"] != "", r["measured_on"], r["_order"])
            )
            remarks.append(_disagreement(primary["name"], usage, measured, chosen))
        result[usage] = chosen[usage]
        result[actual] = chosen[actual]
        if chosen["measured_on"]:
            dates.append(chosen["measured_on"])
    result["measured_on"] = max(dates, default=primary["measured_on"])
    result["payg"] = any(bool(r["payg"]) for r in rows)
    for column in GROWTH_COLUMNS:
        given = [r for r in [*growth, *rows] if not _blank(r[column])]
        if given:
            result[column] = given[0][column]
            differences += _differences(column, given, lambda v: f"{float(v):g}")
    if differences:
        remarks.append(_described(primary["name"], differences))
    return result


def _differences(column: str, given: list[Row], show: Callable[[Any], str]) -> list[str]:
    shown = [show(r[column]) for r in given]
    if len(set(shown)) <= 1:
        return []
    return [
        f"{column} "
        + " but ".join(f"{value} in {_place(row)}" for value, row in zip(shown, given, strict=True))
    ]


def _shared(groups: list[list[Row]]) -> list[Remark]:
    shared: dict[tuple[str, ...], list[str]] = {}
    for group in groups:
        files = tuple(sorted({row["_file"] for row in group}))
        if len(files) > 1:
            shared.setdefault(files, []).append(str(group[0]["name"]))
    return [_shared_remark(files, names) for files, names in shared.items()]


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return value == ""


def _plain(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
