"""Ingestion: turn the user's files into planner.model.Inputs, the format detected from content.

Public API::

    load_inputs(paths, *, licenses=(), environments=(), include_warning_units=False,
                sheet=None, max_bytes=50 MiB) -> Inputs
    detect_format(path) -> format id, e.g. "graph-subscribedskus-json" or "inventory-csv"

The only exception that leaves this package for bad input is planner.errors.InputError, with
the file, the place in it and what was expected.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from itertools import repeat
from pathlib import Path

import msgspec
import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.ingest import formats
from planner.ingest.detect import Content, open_content
from planner.ingest.folders import expand_inputs
from planner.ingest.formats import ENVIRONMENTS, LICENSES, TENANT_CAPACITY
from planner.ingest.inventory import (
    STANDALONE_DATAVERSE_TYPES,
    folded,
    read_growth_sheet,
    read_inventory,
)
from planner.ingest.jsondoc import lookup
from planner.ingest.licenses import (
    LicenseOptions,
    read_admin_center_table,
    read_graph_json,
    read_mg_table,
    read_msol_table,
    read_planning_table,
)
from planner.ingest.merge import FilePart, merge_environments
from planner.ingest.source import DEFAULT_MAX_BYTES, read_raw
from planner.model.inputs import (
    Inputs,
    InputSource,
    Remark,
    combine,
    empty_environments,
    empty_licenses,
    environment_frame,
)
from planner.model.limits import MAX_LICENSE_LINES, MAX_ROWS
from planner.model.memory import release_memory

PathLike = str | os.PathLike[str]

FORMAT_IDS: tuple[str, ...] = (
    formats.GRAPH_SUBSCRIBED_SKUS_JSON,
    *(
        formats.tabular_id(base, container)
        for base in formats.TABULAR_BASES
        for container in ("csv", "xlsx")
    ),
    formats.PPAC_ENVIRONMENTS_JSON,
    formats.LCS_ENVIRONMENTS_JSON,
    formats.TENANT_CAPACITY_JSON,
    formats.COE_ENVIRONMENT_CAPACITY_JSON,
)


def detect_format(
    path: PathLike, *, sheet: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> str:
    """The format id of a file, from its content; InputError when it is none capplan knows."""
    return open_content(read_raw(path, max_bytes), sheet).format_id


def load_inputs(
    paths: Sequence[PathLike],
    *,
    licenses: Sequence[PathLike] = (),
    environments: Sequence[PathLike] = (),
    include_warning_units: bool = False,
    sheet: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    history: bool = False,
) -> Inputs:
    """Read every file and combine them; ``licenses``/``environments`` force a file's kind.

    ``history`` reads the files as dated snapshots, which may also be history-only formats
    (the CoE Starter Kit's capacity table)."""
    options = LicenseOptions(include_warning_units=include_warning_units)
    parts: list[Inputs] = []
    environment_parts: list[FilePart] = []
    sheet_found = False
    # A lone path is a common slip; iterating it would read one file per character.
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else paths
    # A snapshot folder (capplan collect) stands for the files in it.
    paths = [file for path in paths for file in expand_inputs([path])]
    for order, (path, kind) in enumerate(_requests(paths, licenses, environments)):
        part, named, environment_part = _guarded_load(
            path, kind, options, sheet, max_bytes, history
        )
        parts.append(part)
        if environment_part is not None:
            environment_parts.append(msgspec.structs.replace(environment_part, order=order))
        sheet_found = sheet_found or named
    if sheet is not None and not sheet_found:
        raise InputError(
            f"no workbook among the inputs has a sheet named '{sheet}'",
            expected="the exact title of a worksheet (case matters), or no sheet option",
        )
    answers = [p.sources[0].path for p in parts if p.microsoft is not None]
    if len(answers) > 1:
        raise InputError(
            f"{len(answers)} tenant capacity answers were given ({', '.join(answers)})",
            file=answers[1],
            expected="one tenant capacity answer per run; older ones belong in --history",
        )
    combined = combine(parts)
    if history:
        # A dated snapshot's rows are matched to the plan's environments by name later on.
        return msgspec.structs.replace(combined, environments=_resolve_links(combined.environments))
    environments_merged, remarks = merge_environments(environment_parts)
    if len(environments_merged) > MAX_ROWS:
        # Each file is within the row limit; the limit bounds the tenant that is planned too.
        raise InputError(
            f"the inputs list {len(environments_merged):,} environments together, more than "
            f"the {MAX_ROWS:,} capplan plans",
            file=", ".join(part.file for part in environment_parts),
            expected=f"at most {MAX_ROWS:,} environments in one tenant's inputs",
        )
    # replace() keeps whatever else combine() carries over, now and as Inputs grows.
    inputs = msgspec.structs.replace(
        combined,
        environments=_resolve_links(environments_merged),
        remarks=combined.remarks + remarks,
    )
    # What reading took besides the tables (the text, the parser's pieces) goes back now.
    release_memory()
    return inputs


def read_one(
    path: PathLike,
    kind: str | None = None,
    *,
    include_warning_units: bool = False,
    sheet: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Inputs:
    """Read a single file without the safety net of load_inputs (tests use it to find bugs)."""
    options = LicenseOptions(include_warning_units=include_warning_units)
    return _load(path, kind, options, sheet, max_bytes)[0]


def _requests(
    paths: Sequence[PathLike],
    licenses: Sequence[PathLike],
    environments: Sequence[PathLike],
) -> list[tuple[PathLike, str | None]]:
    """Files in the order given; a file named twice is read once, with its forced kind."""
    forced: dict[str, tuple[PathLike, str]] = {}
    for kind, group in ((LICENSES, licenses), (ENVIRONMENTS, environments)):
        for path in group:
            key = _identity(path)
            if key in forced and forced[key][1] != kind:
                raise InputError(
                    "the same file is given both as licenses and as environments",
                    file=str(path),
                    expected="each file forced to one kind only",
                )
            forced[key] = (path, kind)
    requests: list[tuple[PathLike, str | None]] = []
    seen: set[str] = set()
    for path in paths:
        key = _identity(path)
        if key in seen:
            continue
        seen.add(key)
        requests.append((path, forced[key][1] if key in forced else None))
    for key, (path, kind) in forced.items():
        if key not in seen:
            seen.add(key)
            requests.append((path, kind))
    return requests


def _identity(path: PathLike) -> str:
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError, ValueError):
        return str(path)


def _guarded_load(
    path: PathLike,
    kind: str | None,
    options: LicenseOptions,
    sheet: str | None,
    max_bytes: int,
    history: bool = False,
) -> tuple[Inputs, bool, FilePart | None]:
    try:
        return _load(path, kind, options, sheet, max_bytes, history)
    except InputError:
        raise
    except (MemoryError, RecursionError):
        raise InputError(
            "the file is too large or too deeply nested to read", file=str(path)
        ) from None
    except Exception as error:  # a reader bug must still reach the user as one clear line
        raise InputError(
            f"capplan could not read this file ({type(error).__name__}: {error})",
            file=str(path),
            expected=formats.EXPECTED_ANY,
        ) from error


def _load(
    path: PathLike,
    kind: str | None,
    options: LicenseOptions,
    sheet: str | None,
    max_bytes: int,
    history: bool = False,
) -> tuple[Inputs, bool, FilePart | None]:
    """One file read: its Inputs, whether it had the named sheet, and (for environment files)
    what the merge across files needs."""
    raw = read_raw(path, max_bytes)
    content = open_content(raw, sheet, kind)
    detected = formats.kind_of(content.format_id)
    _check_kind(raw.name, content.format_id, detected, kind)
    if formats.base_of(content.format_id) in formats.HISTORY_ONLY and not history:
        raise InputError(
            "this is the CoE Starter Kit's environment capacity table, which says how much each "
            "environment uses but not what kind of environment it is",
            file=raw.name,
            expected="dated exports of it given with --history, beside an environment list "
            "(the admin API list or the inventory template)",
        )
    licenses = empty_licenses()
    environments = empty_environments()
    notes: tuple[str, ...] = ()
    figures = None
    base = formats.base_of(content.format_id)
    environment_part: FilePart | None = None
    if detected == LICENSES:
        licenses = _read_licenses(content, base, options)
        rows = len(licenses)
    elif detected == TENANT_CAPACITY:
        from planner.ingest.tenant_capacity import read_tenant_capacity_json

        assert content.json is not None
        figures = read_tenant_capacity_json(content.json.file, content.json.root)
        rows = len(figures.capacities)
    elif base == formats.GROWTH_SHEET:
        assert content.table is not None
        if not len(content.table):
            raise _no_rows(content.table.file, "environments")
        growth = read_growth_sheet(content.table)
        rows = len(growth)
        environment_part = FilePart(raw.name, base, 0, environments, growth)
    else:
        environments, notes = _read_environments(content, base)
        rows = len(environments)
        environment_part = FilePart(raw.name, base, 0, environments)
    notes = content.notes + _paging_notes(content) + notes
    tenant_id = figures.tenant_id if figures is not None else tenant_of(content)
    source = InputSource(
        path=raw.name,
        kind=str(detected),
        format=content.format_id,
        rows=rows,
        tenant_id=tenant_id,
    )
    part = Inputs(
        licenses=licenses,
        environments=environments,
        sources=(source,),
        notes=notes,
        microsoft=figures,
        remarks=_warning_units_left_out(licenses, options, content.json is not None),
    )
    return part, content.sheet_named, environment_part


def _warning_units_left_out(
    licenses: pd.DataFrame, options: LicenseOptions, from_json: bool
) -> tuple[Remark, ...]:
    """Units in the warning state are values the file gives that the plan does not count unless
    asked: say so, with the file, row and column."""
    if options.include_warning_units or not len(licenses):
        return ()
    column = "prepaidUnits.warning" if from_json else "WarningUnits"
    return tuple(
        Remark(
            "WARNING_UNITS_NOT_COUNTED",
            "info",
            str(row.sku),
            f"{Path(str(row.source)).name} {row.location}, {column}: "
            f"{int(row.warning_units)} units of {row.sku} "
            "are in the warning state (a lapsed subscription in its grace period) and are not "
            "counted; give --include-warning-units to count them until they lapse.",
        )
        for row in licenses[licenses["warning_units"] > 0].itertuples(index=False)
    )


def tenant_of(content: Content) -> str:
    """The tenant an API answer names: Graph's ``accountId``, the admin API's
    ``properties.tenantId``; "" for files that do not say (tables, LCS)."""
    if content.json is None:
        return ""
    # The items of a list share their keys: what each set of keys holds is looked up once (a
    # list of 50,000 LCS environments, which name no tenant: 0.93 s an item at a time, 20 ms).
    keys_of: dict[tuple[object, ...], tuple[str | None, str | None]] = {}

    def keys(obj: dict[object, object]) -> tuple[str | None, str | None]:
        """The keys of ``obj`` as written for "properties" and the tenant (see lookup)."""
        shape = tuple(obj)
        found = keys_of.get(shape)
        if found is None:
            holder, tenant = lookup(obj, "properties"), lookup(obj, "accountId", "tenantId")
            found = (holder[0] if holder else None, tenant[0] if tenant else None)
            if len(keys_of) < 4096:
                keys_of[shape] = found
        return found

    for value in content.json.items:
        if not isinstance(value, dict):
            continue
        holder, tenant = keys(value)
        candidates = [value[tenant]] if tenant is not None else []
        inner = value[holder] if holder is not None else None
        if isinstance(inner, dict):
            inner_tenant = keys(inner)[1]
            if inner_tenant is not None:
                candidates.append(inner[inner_tenant])
        for found in candidates:
            if isinstance(found, str) and found.strip():
                return found.strip().strip("{}").lower()
    return ""


def _paging_notes(content: Content) -> tuple[str, ...]:
    """APIs page long lists; a saved first page silently misses the rest."""
    if content.json is None or not isinstance(content.json.root, dict):
        return ()
    root = content.json.root
    next_link = lookup(root, "@odata.nextLink", "nextLink")
    more_pages = lookup(root, "ResultHasMorePages")
    if next_link is not None or (more_pages is not None and more_pages[1] is True):
        return (
            f"{content.json.file}: the response says more pages follow; only the items in this "
            "file were read",
        )
    return ()


def _check_kind(file: str, format_id: str, detected: str | None, forced: str | None) -> None:
    if detected is None:
        what = {
            formats.PRODUCT_NAMES_REFERENCE: "Microsoft's product names and service plan "
            "identifiers list, a reference table rather than the tenant's licenses",
        }.get(formats.base_of(format_id), f"a {format_id} file")
        raise InputError(
            f"this is {what}",
            file=file,
            expected=formats.DESCRIPTION_OF_KIND.get(forced or "", formats.EXPECTED_ANY),
        )
    if forced is not None and forced != detected:
        raise InputError(
            f"the file was given as {forced} but its content is {detected} ({format_id})",
            file=file,
            expected=formats.DESCRIPTION_OF_KIND[forced],
        )


def _read_licenses(content: Content, base: str, options: LicenseOptions) -> pd.DataFrame:
    if content.json is not None:
        document = content.json
        _refuse_too_many_licenses(document.file, len(document.items))
        return read_graph_json(document.file, document.items, document.items_path, options)
    table = content.table
    assert table is not None
    if not len(table):
        raise _no_rows(table.file, "licenses")
    _refuse_too_many_licenses(table.file, len(table))
    reader = {
        formats.MG_SUBSCRIBED_SKU: read_mg_table,
        formats.MSOL_ACCOUNT_SKU: read_msol_table,
        formats.PLANNING_SHEET: read_planning_table,
        formats.ADMIN_CENTER_LICENSES: read_admin_center_table,
    }[base]
    return reader(table, options)


def _refuse_too_many_licenses(file: str, lines: int) -> None:
    """A license export lists a line per product or subscription: far fewer than
    MAX_LICENSE_LINES (see planner/model/limits.py)."""
    if lines > MAX_LICENSE_LINES:
        raise InputError(
            f"the file has {lines:,} license lines, more than the {MAX_LICENSE_LINES:,} capplan "
            "reads from one license export",
            file=file,
            expected="a license export, with a line per product or subscription (Microsoft's "
            "list of products names fewer than 600)",
        )


def _read_environments(content: Content, base: str) -> tuple[pd.DataFrame, tuple[str, ...]]:
    # The readers of the other formats are imported where their format is met: a run of the
    # inventory template goes without them.
    if base == formats.COE_ENVIRONMENT_CAPACITY_JSON:
        from planner.ingest.coe import read_coe_json

        assert content.json is not None
        return read_coe_json(content.json.file, content.json.items, content.json.items_path), ()
    if base == formats.COE_ENVIRONMENT_CAPACITY:
        from planner.ingest.coe import read_coe_table

        assert content.table is not None
        return read_coe_table(content.table), ()
    if content.json is not None:
        from planner.ingest.lcs import read_lcs_json
        from planner.ingest.ppac import read_ppac_json

        document = content.json
        reader = read_ppac_json if base == formats.PPAC_ENVIRONMENTS_JSON else read_lcs_json
        result = reader(document.file, document.items, document.items_path)
        return environment_frame(result.rows, all_text=result.all_text), result.notes
    table = content.table
    assert table is not None
    if not len(table):
        raise _no_rows(table.file, "environments")
    return read_inventory(table), ()


def _no_rows(file: str, what: str) -> InputError:
    return InputError(
        f"the file has a header row but no {what} below it",
        file=file,
        expected=f"one row per {'SKU' if what == 'licenses' else 'environment'} under the headers",
    )


def _resolve_links(environments: pd.DataFrame) -> pd.DataFrame:
    """linked_to must name a standalone Dataverse environment somewhere in the inputs."""
    linked = environments["linked_to"].to_numpy(dtype=object) != ""  # cheaper than the series
    if not linked.any():
        return environments
    names = environments["name"].to_numpy()
    # A name given twice resolves to its last row (ingest refuses repeats within one file).
    by_key = dict(zip(folded(names.tolist()), range(len(names)), strict=True))
    types = environments["type"].to_numpy()
    given = environments["linked_to"].to_numpy()
    positions = np.flatnonzero(linked)
    # Every linked row's target looked up at once (-1: none); the first bad row is reported.
    keys = folded(given[positions].tolist())
    targets = np.fromiter(map(by_key.get, keys, repeat(-1)), dtype=np.intp, count=len(keys))
    target_types = types[np.maximum(targets, 0)]
    standalone = np.zeros(len(targets), dtype=bool)
    for kind in STANDALONE_DATAVERSE_TYPES:
        standalone |= target_types == kind
    bad = (targets < 0) | ~standalone
    if bad.any():
        position = int(positions[np.argmax(bad)])
        target = int(targets[np.argmax(bad)])
        where = {
            "file": environments["source"].to_numpy()[position],
            "location": f"{environments['location'].to_numpy()[position]}, column linked_to",
        }
        if target < 0:
            raise InputError(
                f"linked_to '{given[position]}' names no environment in the inputs",
                **where,
                expected="the name of a dataverse_production or dataverse_sandbox environment "
                "given in the same run",
            )
        raise InputError(
            f"linked_to '{given[position]}' is a {types[target]} environment",
            **where,
            expected="a standalone Dataverse environment: "
            + " or ".join(STANDALONE_DATAVERSE_TYPES),
        )
    resolved = given.copy()
    resolved[positions] = names[targets]
    return environments.assign(linked_to=resolved)


__all__ = ["FORMAT_IDS", "InputError", "detect_format", "load_inputs", "read_one"]
