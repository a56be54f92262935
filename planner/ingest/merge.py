"""One environment, however many files describe it.

The inventory, the admin environment list and the LCS list often describe the same
environments. Planned row by row they would count twice, so rows of different files that are one
environment become one row:

- **Match.** Two rows from different files are one environment when both carry a Power Platform
  environment id and the ids are equal, or, where either lacks an id, when their names are equal
  after normalising (Unicode compatibility form, case and runs of spaces ignored). Rows with
  different ids are different environments, whatever their names.
- **Kinds must agree.** A name that matches environments of different kinds (say a `production`
  in one file and a `dataverse_production` in another) is not merged: both are planned and a
  finding says so. `sandbox` and `addon_sandbox` are one kind, because the lists can only guess
  which sandbox came with the license.
- **Descriptions** (type, tier, Power Platform state, link, URL, id): the first value given, in
  the order inventory template, LCS list, admin list, and within one format the order the files
  were given. The inventory states what the lists only infer (say `linked_existing`).
- **Measured usage** beats a blank (the rule set's estimate). Two measured values that differ by
  more than 0.01 GB disagree: the newer one is used (a dated measurement is newer than an undated
  one; of two undated ones, the file given later), and a finding names both files and values.
- **Growth**: a growth sheet's value first, then the first value in the description order.
- **Growth sheets** add growth to environments the other files describe and add no environment;
  a row naming no such environment is reported, not planned.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import msgspec
import numpy as np
import pandas as pd

from planner.ingest import formats
from planner.model.inputs import (
    ACTUAL_COLUMNS,
    GROWTH_COLUMNS,
    USAGE_COLUMNS,
    Remark,
    environment_frame,
    name_key,
    name_keys,
)
from planner.model.units import format_gb

SEVERAL_FILES = "ENVIRONMENT_IN_SEVERAL_FILES"
NAME_CLASH = "ENVIRONMENT_NAME_CLASH"
UNKNOWN_GROWTH_TARGET = "GROWTH_FOR_UNKNOWN_ENVIRONMENT"

# Two measurements closer than this are one value written twice (MB rounded to GB and back).
SAME_MEASUREMENT_GB = 0.01

# The order in which files describe an environment: the user's own inventory states, the lists
# infer. Formats not named here come last.
_DESCRIPTION_ORDER = (
    formats.INVENTORY,
    formats.LCS_ENVIRONMENTS_JSON,
    formats.PPAC_ENVIRONMENTS_JSON,
)
DESCRIPTION_COLUMNS = ("type", "tier", "power_platform", "linked_to", "org_url", "environment_id")
_KIND = {"addon_sandbox": "sandbox"}


class FilePart(msgspec.Struct, frozen=True):
    """What one file gave: environment rows, or (a growth sheet) growth for other files' rows."""

    file: str
    format_base: str
    order: int  # position among the files given
    environments: pd.DataFrame
    growth: pd.DataFrame | None = None  # growth sheet: name, location, growth columns


def merge_environments(parts: Sequence[FilePart]) -> tuple[pd.DataFrame, tuple[Remark, ...]]:
    """One row per environment, in the order of each environment's first row among the files'
    rows, and the remarks the merge owes the reader.

    Worked out a column at a time for every environment at once: which rows are one
    environment (:func:`_environments`), what a growth sheet adds to each (:func:`_growth`),
    and each environment's values and remarks (:func:`_resolved`). An inventory of 50,000
    environments with a growth sheet for all of them took 1.8 s merged row by row."""
    listed = [p for p in parts if len(p.environments)]
    sheets = [p for p in parts if p.growth is not None]
    if len(listed) <= 1 and not sheets:
        frame = listed[0].environments if listed else environment_frame([])
        return frame.reset_index(drop=True), ()
    rows = (
        pd.concat([p.environments for p in listed], ignore_index=True)
        if listed
        else environment_frame([])
    )
    part_of = np.repeat(np.arange(len(listed)), [len(p.environments) for p in listed])
    files = np.array([p.file for p in listed], dtype=object)[part_of]
    keys, named = pd.factorize(np.array(name_keys(rows["name"].tolist()), dtype=object))
    key_index = pd.Index(named)
    clashes: list[Remark] = []
    environment = _environments(rows, keys, files, clashes)
    growth, unknown = _growth(sheets, key_index, keys, environment)
    rank = {base: position for position, base in enumerate(_DESCRIPTION_ORDER)}
    bases = np.array([rank.get(p.format_base, len(rank)) for p in listed], dtype=np.int64)
    orders = np.array([p.order for p in listed], dtype=np.int64)
    frame, resolved = _resolved(rows, environment, bases[part_of], orders[part_of], growth)
    shared = _shared_summaries(rows, environment, files)
    return environment_frame(frame), (*shared, *clashes, *unknown, *resolved)


def _environments(
    rows: pd.DataFrame, keys: np.ndarray, files: np.ndarray, remarks: list[Remark]
) -> np.ndarray:
    """Each row's environment, the environments numbered in the order of their first rows.

    The rows of one name form one environment where nothing in them can say otherwise: no file
    gives the name twice, their kinds agree, they carry one id at most, and no row of another
    name carries it. Those are found a column at a time. The rows of every other name are
    matched one by one, in order, as the rules say (:func:`_matched`): an id seen before, else
    a name seen before in another file, of the same kind and no other id; a name that matches
    environments of different kinds gets a remark (appended to ``remarks``)."""
    count = len(rows)
    if not count:
        return np.zeros(0, dtype=np.int64)
    names = int(keys.max()) + 1
    ids = rows["environment_id"].to_numpy(dtype=object)
    has_id = ids != ""
    id_codes = np.full(count, -1, dtype=np.int64)
    id_codes[has_id] = pd.factorize(ids[has_id])[0]
    # A name given once whose id (if any) is given once is an environment of its own: only the
    # rows of names or ids given more than once are looked at.
    close = np.bincount(keys, minlength=names)[keys] > 1
    close[has_id] |= np.bincount(id_codes[has_id])[id_codes[has_id]] > 1
    near = np.flatnonzero(close)
    tangled = np.zeros(names, dtype=bool)
    if len(near):
        near_keys = keys[near]
        file_codes = pd.factorize(files[near])[0]
        width = int(file_codes.max()) + 1
        pairs, counts = np.unique(near_keys * width + file_codes, return_counts=True)
        tangled[pairs[counts > 1] // width] = True  # a file names it twice
        kinds = rows["type"].to_numpy(dtype=object)[near]
        kind_codes = pd.factorize(
            np.array([_KIND.get(kind, kind) for kind in kinds], dtype=object)
        )[0]
        tangled |= _several(near_keys, kind_codes, names)  # kinds that differ
        with_id = has_id[near]
        if with_id.any():
            named, carried = near_keys[with_id], id_codes[near][with_id]
            tangled |= _several(named, carried, names)  # ids that differ
            shared_ids = _several(carried, named, int(carried.max()) + 1)
            tangled[named[shared_ids[carried]]] = True  # an id that other names carry
    tangled_rows = np.flatnonzero(tangled[keys])
    # The environments of untangled names are their names; those of the others, as matched.
    firsts = np.unique(keys, return_index=True)[1]  # each name's first row
    matched = _matched(rows.iloc[tangled_rows], keys[tangled_rows], files[tangled_rows], remarks)
    matched_firsts = tangled_rows[np.unique(matched, return_index=True)[1]]
    untangled = np.flatnonzero(~tangled)
    starts = np.concatenate([firsts[untangled], matched_firsts])
    number = np.empty(len(starts), dtype=np.int64)
    number[np.argsort(starts, kind="stable")] = np.arange(len(starts))
    environment = np.empty(count, dtype=np.int64)
    by_name = np.full(names, -1, dtype=np.int64)
    by_name[untangled] = number[: len(untangled)]
    environment[:] = by_name[keys]
    environment[tangled_rows] = number[len(untangled) :][matched]
    return environment


def _several(of: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """For each of ``size`` codes, whether the rows ``of`` that code hold more than one of
    ``values`` (codes from 0)."""
    owners, _ = _pairs(of, values)
    return np.bincount(owners, minlength=size) > 1


def _pairs(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pairs of codes (from 0) that ``first`` and ``second`` hold row by row,
    by the first, then the second: each pair's first code, and its second."""
    width = int(second.max()) + 1 if len(second) else 1
    distinct = np.unique(first.astype(np.int64) * width + second)
    return distinct // width, distinct % width


def _run_starts(codes: np.ndarray) -> np.ndarray:
    """Where each run of equal ``codes`` (sorted, or grouped) starts."""
    return np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else codes


def _matched(
    rows: pd.DataFrame, keys: np.ndarray, files: np.ndarray, remarks: list[Remark]
) -> np.ndarray:
    """Rows matched into environments one by one, in order (see :func:`_environments`): each
    row's environment, numbered as they are found."""
    found: list[list[dict[str, Any]]] = []
    files_of: list[set[str]] = []
    by_id: dict[str, int] = {}
    by_name: dict[int, list[int]] = {}
    records = rows[["name", "type", "environment_id", "source", "location"]].to_dict("records")
    numbers = np.empty(len(records), dtype=np.int64)
    for index, (row, key, file) in enumerate(zip(records, keys.tolist(), files, strict=True)):
        identity = row["environment_id"]
        target = by_id.get(identity) if identity else None
        if target is not None and file in files_of[target]:
            target = None
        if target is None:
            target = _by_name(row, file, by_name.get(key, []), found, files_of, remarks)
        if target is None:
            found.append([])
            files_of.append(set())
            target = len(found) - 1
            by_name.setdefault(key, []).append(target)
        found[target].append(row)
        files_of[target].add(file)
        numbers[index] = target
        if identity:
            by_id.setdefault(identity, target)
    return numbers


def _by_name(
    row: dict[str, Any],
    file: str,
    candidates: list[int],
    found: list[list[dict[str, Any]]],
    files_of: list[set[str]],
    remarks: list[Remark],
) -> int | None:
    for index in candidates:
        if file in files_of[index]:
            continue  # one file never describes one environment twice
        ids = {r["environment_id"] for r in found[index] if r["environment_id"]}
        if row["environment_id"] and ids and row["environment_id"] not in ids:
            continue  # same name, different environments
        first = found[index][0]
        if _KIND.get(first["type"], first["type"]) != _KIND.get(row["type"], row["type"]):
            remarks.append(_clash(first, row))
            continue
        return index
    return None


def _clash(first: dict[str, Any], row: dict[str, Any]) -> Remark:
    return Remark(
        NAME_CLASH,
        "warning",
        str(row["name"]),
        f"'{first['name']}' is a {first['type']} environment in {_place(first)} and "
        f"'{row['name']}' a {row['type']} environment in {_place(row)}. Environments of "
        "different kinds are not merged, so both are planned. If they are one environment, "
        "correct the type where it is wrong; if they are two, rename one.",
    )


def _place(row: dict[str, Any], column: str | None = None) -> str:
    where = f"{row['source']} {row['location']}".strip()
    return f"{where}, column {column}" if column else where


class _Growth(msgspec.Struct, frozen=True):
    """The growth sheets' rows that add growth to an environment, in the sheets' order."""

    environment: np.ndarray  # the environment each adds to
    values: np.ndarray  # rows x GROWTH_COLUMNS, NaN where not given
    sources: np.ndarray  # the sheet each is in
    locations: np.ndarray  # and where


def _growth(
    sheets: Sequence[FilePart], key_index: pd.Index, keys: np.ndarray, environment: np.ndarray
) -> tuple[_Growth | None, list[Remark]]:
    """What the growth sheets add, and a remark for each row naming no environment, or
    environments of different kinds (rows that give no growth are passed over)."""
    if not sheets:
        return None, []
    # The one environment each name is, where it is one; -1 where none or several.
    named, environments = _pairs(keys, environment)
    several = np.bincount(named, minlength=len(key_index))
    single = several[named] == 1
    one = np.full(len(key_index) + 1, -1, dtype=np.int64)  # the last for a name not found
    one[named[single]] = environments[single]
    targets: list[np.ndarray] = []
    values: list[np.ndarray] = []
    sources: list[np.ndarray] = []
    locations_of: list[np.ndarray] = []
    remarks: list[Remark] = []
    for sheet in sheets:
        assert sheet.growth is not None
        given = sheet.growth[list(GROWTH_COLUMNS)].to_numpy(dtype=np.float64)
        rows = np.flatnonzero(~np.isnan(given).all(axis=1))
        names = sheet.growth["name"].to_numpy(dtype=object)[rows]
        locations = sheet.growth["location"].to_numpy(dtype=object)[rows]
        codes = key_index.get_indexer(name_keys(names.tolist())) if len(rows) else rows
        target = one[codes]
        for at in np.flatnonzero(target < 0).tolist():
            row = {"source": sheet.file, "location": locations[at]}
            why = (
                "no environment of that name is in the other inputs"
                if codes[at] < 0 or several[codes[at]] == 0
                else "it names environments of different kinds, so capplan cannot tell which"
            )
            shown = ", ".join(
                f"{column} {value:g}"
                for column, value in zip(GROWTH_COLUMNS, given[rows[at]].tolist(), strict=True)
                if not math.isnan(value)
            )
            remarks.append(_growth_not_used(_place(row), names[at], shown, why))
        used = target >= 0
        targets.append(target[used])
        values.append(given[rows[used]])
        sources.append(np.full(int(used.sum()), sheet.file, dtype=object))
        locations_of.append(locations[used])
    return (
        _Growth(
            np.concatenate(targets),
            np.concatenate(values),
            np.concatenate(sources),
            np.concatenate(locations_of),
        ),
        remarks,
    )


def _growth_not_used(place: str, name: object, shown: str, why: str) -> Remark:
    """The remark that a growth sheet's row (at ``place``, its values ``shown``) is not used."""
    return Remark(
        UNKNOWN_GROWTH_TARGET,
        "warning",
        str(name),
        f"{place}: the growth for '{name}' ({shown}) is not used: {why}. A growth sheet adds "
        "growth to environments other files list; add the environment to an inventory or "
        "correct the name.",
    )


def _resolved(
    rows: pd.DataFrame,
    environment: np.ndarray,
    bases: np.ndarray,
    orders: np.ndarray,
    growth: _Growth | None,
) -> tuple[pd.DataFrame, list[Remark]]:
    """Each environment's row, from its rows (and growth sheets) by the rules of the module's
    docstring, a column at a time; and its remarks, in the environments' order: the measured
    values that disagree, then one remark naming whatever else its files describe differently.

    An environment's rows are taken in the order files describe one (``bases``: the rank of
    each row's format; ``orders``: of its file among those given), else as they come. An
    environment of one row is that row, but for the growth a sheet adds to it: only the rows of
    the others are looked at, and for growth those of environments that a sheet adds to."""
    count = len(rows)
    environments = int(environment.max()) + 1 if count else 0
    several = np.bincount(environment, minlength=environments) > 1
    grown = np.zeros(environments, dtype=bool)
    if growth is not None:
        grown[growth.environment] = True

    def ranked_rows(chosen: np.ndarray) -> np.ndarray:
        """The rows of the ``chosen`` environments, by environment, each's in its order."""
        picked = np.flatnonzero(chosen[environment])
        keys = (picked, orders[picked], bases[picked], environment[picked])
        return picked[np.lexsort(keys)]

    order = ranked_rows(several)
    by = environment[order]
    starts = _run_starts(by)
    primary = np.empty(environments, dtype=np.int64)  # the row each environment's is made from
    alone = ~several[environment]
    primary[environment[alone]] = np.flatnonzero(alone)
    primary[by[starts]] = order[starts]
    same = len(primary) == count and bool((primary == np.arange(count)).all())
    frame = rows if same else rows.iloc[primary].reset_index(drop=True)
    if not len(order) and not grown.any():
        return frame, []
    names = frame["name"].to_numpy(dtype=object)
    sources = rows["source"].to_numpy(dtype=object)[order]
    locations = rows["location"].to_numpy(dtype=object)[order]
    ranked = _Ranked(by, sources, locations)
    remarks: list[tuple[int, int, Remark]] = []
    differences: dict[int, list[str]] = {}

    def take(column: str, values: np.ndarray, ranked: _Ranked, shown: Shown) -> None:
        """Each environment's first value given into ``column`` (``values`` as ``ranked``);
        where they differ, named."""
        given = _given(values)
        firsts, at = _firsts(ranked.by, given)
        if not len(firsts):  # none given: the rows' own blanks stand, and nothing differs
            return
        taken = frame[column].to_numpy(copy=True)
        taken[firsts] = values[at]
        frame[column] = taken
        for which, text in _differences(column, values, given, ranked, taken, shown):
            differences.setdefault(which, []).append(text)

    for column in DESCRIPTION_COLUMNS:
        take(column, rows[column].to_numpy()[order], ranked, _shown_plain)
    measured_on = rows["measured_on"].to_numpy(dtype=object)[order]
    file_orders = orders[order]
    latest = np.full(environments, "", dtype=object)
    for index, (usage, actual) in enumerate(zip(USAGE_COLUMNS, ACTUAL_COLUMNS, strict=True)):
        values = rows[usage].to_numpy(dtype=np.float64)[order]
        given = ~np.isnan(values)
        firsts, at = _firsts(by, given)
        if not len(firsts):
            continue
        measured = np.flatnonzero(given)
        segments = np.r_[_run_starts(by[measured]), len(measured)]
        spread = np.maximum.reduceat(values[measured], segments[:-1]) - np.minimum.reduceat(
            values[measured], segments[:-1]
        )
        for segment in np.flatnonzero(spread > SAME_MEASUREMENT_GB).tolist():
            # Measurements that disagree: the newest, else the file given later.
            these = measured[segments[segment] : segments[segment + 1]].tolist()
            chosen = max(
                these, key=lambda p: (measured_on[p] != "", measured_on[p], file_orders[p])
            )
            at[segment] = chosen
            described = [
                {
                    "source": sources[p],
                    "location": locations[p],
                    usage: values[p],
                    "measured_on": measured_on[p],
                }
                for p in these
            ]
            which = int(firsts[segment])
            remarks.append(
                (
                    which,
                    index,
                    _disagreement(names[which], usage, described, described[these.index(chosen)]),
                )
            )
        for column, source in ((usage, values), (actual, rows[actual].to_numpy()[order])):
            taken = frame[column].to_numpy(copy=True)
            taken[firsts] = source[at]
            frame[column] = taken
        dates = measured_on[at]
        latest[firsts] = np.where(dates > latest[firsts], dates, latest[firsts])
    if len(order):
        frame["measured_on"] = np.where(latest != "", latest, frame["measured_on"].to_numpy())
    # A billing policy one file shows (the admin API list) is not undone by a file that does
    # not say (an inventory without the column).
    if len(starts):
        payg = frame["payg"].to_numpy(copy=True)
        payg[by[starts]] = np.logical_or.reduceat(rows["payg"].to_numpy(dtype=bool)[order], starts)
        frame["payg"] = payg
    # Growth: a growth sheet's value first, then the rows' in their order.
    if growth is not None and len(growth.environment):
        grown_rows = ranked_rows(several | grown)
        both = np.concatenate([growth.environment, environment[grown_rows]])
        # Each environment's sheets' rows first (they come first in ``both``), then its rows.
        sheets_first = np.lexsort((np.arange(len(both)), both))
        with_sheets = _Ranked(
            both[sheets_first],
            np.concatenate([growth.sources, rows["source"].to_numpy()[grown_rows]])[sheets_first],
            np.concatenate([growth.locations, rows["location"].to_numpy()[grown_rows]])[
                sheets_first
            ],
        )
        for index, column in enumerate(GROWTH_COLUMNS):
            values = np.concatenate(
                [growth.values[:, index], rows[column].to_numpy(dtype=np.float64)[grown_rows]]
            )
            take(column, values[sheets_first], with_sheets, _shown_growth)
    else:
        for column in GROWTH_COLUMNS:
            take(column, rows[column].to_numpy(dtype=np.float64)[order], ranked, _shown_growth)
    for which, texts in differences.items():
        remarks.append((which, len(USAGE_COLUMNS), _described(names[which], texts)))
    remarks.sort(key=lambda item: (item[0], item[1]))
    return frame, [remark for _, _, remark in remarks]


Shown = Callable[[Any], str]


def _shown_plain(value: Any) -> str:
    return str(_plain(value))


def _shown_growth(value: Any) -> str:
    return f"{float(value):g}"


def _given(values: np.ndarray) -> np.ndarray:
    """Where ``values`` are given: not a gap (NaN, None) nor empty text."""
    if values.dtype.kind == "f":
        return ~np.isnan(values)
    return pd.notna(values) & (values != "")


def _firsts(by: np.ndarray, given: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Of the environments ``by`` (in order) that are ``given`` a value: which, and where the
    first of it is."""
    at = np.flatnonzero(given)
    firsts, first = np.unique(by[at], return_index=True)
    return firsts, at[first]


class _Ranked(msgspec.Struct, frozen=True):
    """Values given for the environments, each environment's in the order they are taken:
    whose each is (``by``, in order), and where it was given."""

    by: np.ndarray
    sources: np.ndarray
    locations: np.ndarray


def _differences(
    column: str,
    values: np.ndarray,
    given: np.ndarray,
    ranked: _Ranked,
    taken: np.ndarray,
    shown: Shown,
) -> Iterator[tuple[int, str]]:
    """The environments whose values of ``column`` differ as shown, and how: each value given
    and where (``taken``: each environment's first)."""
    at = np.flatnonzero(given)
    owners = ranked.by[at]
    other = values[at] != taken[owners]
    if not other.any():
        return
    at = at[np.isin(owners, owners[other])]  # the values of environments given several
    owners = ranked.by[at]
    texts = [shown(value) for value in values[at].tolist()]
    codes = pd.factorize(np.array(texts, dtype=object))[0]
    differ = np.bincount(_pairs(owners, codes)[0]) > 1  # as shown, too
    pieces = [
        f"{text} in {_place({'source': source, 'location': location})}"
        for text, source, location in zip(
            texts, ranked.sources[at].tolist(), ranked.locations[at].tolist(), strict=True
        )
    ]
    starts = _run_starts(owners).tolist()
    for start, stop in zip(starts, [*starts[1:], len(at)], strict=True):
        environment = int(owners[start])
        if differ[environment]:
            yield environment, f"{column} " + " but ".join(pieces[start:stop])


def _described(name: object, differences: list[str]) -> Remark:
    """The remark that an environment's files describe it ``differences`` ways."""
    return Remark(
        SEVERAL_FILES,
        "info",
        str(name),
        f"'{name}' is described differently by its files: "
        + "; ".join(differences)
        + ". The first of each is used: the inventory states what the lists infer.",
    )


def _disagreement(
    name: object, column: str, measured: list[dict[str, Any]], chosen: dict[str, Any]
) -> Remark:
    def one(row: dict[str, Any]) -> str:
        when = f", measured {row['measured_on']}" if row["measured_on"] else ", undated"
        return f"{format_gb(float(row[column]))} in {_place(row, column)}{when}"

    reason = (
        "the newer measurement"
        if chosen["measured_on"]
        else "no measurement is dated, so the file given later"
    )
    return Remark(
        SEVERAL_FILES,
        "warning",
        str(name),
        f"'{name}' has two measured {column} values: "
        + " and ".join(one(r) for r in measured)
        + f". The plan uses {format_gb(float(chosen[column]))} from {chosen['source']} "
        f"({reason}). Check which is right and give each environment's usage once.",
    )


def _shared_summaries(
    rows: pd.DataFrame, environment: np.ndarray, files: np.ndarray
) -> list[Remark]:
    """One remark per set of files that share environments: they are planned once."""
    sizes = np.bincount(environment)
    if not (sizes > 1).any():
        return []
    # The rows of environments of several rows, by environment (then row).
    shared_rows = np.flatnonzero(sizes[environment] > 1)
    shared_rows = shared_rows[np.argsort(environment[shared_rows], kind="stable")]
    file_codes, file_names = pd.factorize(files[shared_rows], sort=True)
    owners, codes = _pairs(environment[shared_rows], file_codes)
    starts = _run_starts(owners)
    bits = codes.tolist()
    sets = [
        tuple(file_names[bits[lo:hi]])
        for lo, hi in zip(starts.tolist(), [*starts[1:].tolist(), len(bits)], strict=True)
    ]
    firsts = shared_rows[_run_starts(environment[shared_rows])]
    names = rows["name"].to_numpy(dtype=object)[firsts].tolist()
    shared: dict[tuple[str, ...], list[str]] = {}
    for files_of, name in zip(sets, names, strict=True):
        if len(files_of) > 1:
            shared.setdefault(files_of, []).append(str(name))
    return [_shared_remark(files_of, named) for files_of, named in shared.items()]


def _shared_remark(files: tuple[str, ...], names: list[str]) -> Remark:
    """The remark that ``files`` share environments (``names``: the first rows' names)."""
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    count = f"{len(names)} environment" + ("s are" if len(names) != 1 else " is")
    return Remark(
        SEVERAL_FILES,
        "info",
        " + ".join(files),
        f"{count} in each of {', '.join(files)} ({shown}); each is planned once, with measured "
        "usage preferred to estimates and the inventory's description to the lists'.",
    )


def _plain(value: object) -> object:
    """A tier reads 3, not 3.0."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


__all__ = [
    "DESCRIPTION_COLUMNS",
    "NAME_CLASH",
    "SAME_MEASUREMENT_GB",
    "SEVERAL_FILES",
    "UNKNOWN_GROWTH_TARGET",
    "FilePart",
    "merge_environments",
    "name_key",
]
