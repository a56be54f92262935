"""The normalized tables every stage passes on: Inputs (what the tenant has) and their columns.

Every ingest module returns the same two tables, whatever the file format, so the engine never
needs to know where a number came from beyond the ``source`` and ``location`` columns it shows.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence

import msgspec
import numpy as np
import pandas as pd

# The five capacity types of the domain (docs/rules.md). Pools of a rule set draw on them.
CAPACITY_TYPES: tuple[str, ...] = (
    "dataverse_database",
    "dataverse_file",
    "dataverse_log",
    "operations_database",
    "operations_file",
)

# Environment types of the inventory template (docs/input-formats.md).
ENVIRONMENT_TYPES: tuple[str, ...] = (
    "production",
    "sandbox",
    "addon_sandbox",
    "cloud_hosted_dev",
    "dataverse_production",
    "dataverse_sandbox",
    "default",
    "developer",
    "trial",
    "teams",
)

# Finance and operations environments (the rest are standalone Power Platform environments), and
# the standalone kinds that hold a Dataverse database another environment may link to.
FINANCE_OPERATIONS_TYPES: tuple[str, ...] = (
    "production",
    "sandbox",
    "addon_sandbox",
    "cloud_hosted_dev",
)
STANDALONE_DATAVERSE_TYPES: tuple[str, ...] = ("dataverse_production", "dataverse_sandbox")

POWER_PLATFORM_STATES: tuple[str, ...] = ("none", "initial", "integrated", "linked_existing")

USAGE_COLUMNS = tuple(f"{t}_gb" for t in CAPACITY_TYPES)
ACTUAL_COLUMNS = tuple(f"{t}_actual_gb" for t in CAPACITY_TYPES)
GROWTH_COLUMNS = tuple(f"{t}_growth_gb_per_month" for t in CAPACITY_TYPES)

# License table: one row per SKU line of an export. ``quantity`` is the purchased (enabled)
# units, plus warning units when the user asked for them. ``start_month`` is an offset from
# month 0 (what-if changes add rows that start later); rows of the same SKU add up.
LICENSE_COLUMNS: tuple[str, ...] = (
    "sku",  # part number as written in the file, trimmed
    "sku_id",  # GUID in lower case, or "" when the file has none
    "display_name",  # "" when the file has none
    "quantity",  # int
    "warning_units",  # int (0 when absent)
    "consumed_units",  # int, or -1 when the file does not say
    "source",  # file the row came from
    "location",  # "row 4", "value[2]", "Sheet1!A5"
    "start_month",  # int offset from month 0
)

# Environment table: one row per environment. Usage and growth are floats in GB; NaN means blank
# ("use the rule set's planning estimate" for usage, "no growth given" for growth).
ENVIRONMENT_COLUMNS: tuple[str, ...] = (
    "name",
    "type",  # one of ENVIRONMENT_TYPES
    "tier",  # float 1..5 or NaN
    "power_platform",  # one of POWER_PLATFORM_STATES, or "" (the type's default)
    "linked_to",  # name of a standalone Dataverse row, or ""
    "org_url",  # Dataverse organization URL, or ""
    "environment_id",  # Power Platform environment id, or "" (lower case)
    "measured_on",  # date (YYYY-MM-DD) the usage was measured, or "" when the file does not say
    "payg",  # bool: billed pay-as-you-go through an Azure billing policy (False when not said)
    *USAGE_COLUMNS,
    *ACTUAL_COLUMNS,
    *GROWTH_COLUMNS,
    "source",
    "location",
    "start_month",  # int offset: the month the environment appears
    "end_month",  # int offset: the first month it is gone (a large number when it stays)
)

NEVER = 10_000  # end_month of an environment that is never deleted


class InputSource(msgspec.Struct, frozen=True):
    """One file the user gave, and what capplan took it to be."""

    path: str
    kind: str  # "licenses" | "environments" | "tenant_capacity"
    format: str  # e.g. "graph-subscribedSkus-json", "inventory-csv"
    rows: int
    tenant_id: str = ""  # the tenant the file says it comes from, lower case; "" when silent


class Remark(msgspec.Struct, frozen=True):
    """Something ingest did with a value the user gave that the plan must say: a value merged
    from several files, one not used, a name that matched environments of different kinds.
    A registered check of the same code turns each remark into a finding."""

    code: str
    severity: str  # info | warning | error
    subject: str  # environment name, or the files concerned
    message: str  # names the file, the row and the column


# Extra consumption growth of a whole pool (what-if ``--growth POOL=GB``), on top of the
# environments' own growth: from start_month on, month m adds
# gb_at_start + gb_per_month x (m - start_month).
POOL_GROWTH_COLUMNS: tuple[str, ...] = (
    "pool",
    "gb_per_month",
    "start_month",
    "origin",
    "gb_at_start",
)


def empty_pool_growth() -> pd.DataFrame:
    return _empty_pool_growth().copy()


# Every Inputs holds one of each of these empty tables: built once, when first asked for, and
# copied.
@functools.cache
def _empty_pool_growth() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pool": pd.Series(dtype=object),
            "gb_per_month": pd.Series(dtype="float64"),
            "start_month": pd.Series(dtype="int64"),
            "origin": pd.Series(dtype=object),
            "gb_at_start": pd.Series(dtype="float64"),
        }
    )


# Capacity extensions a scenario asked for and was allowed (planner.scenarios.apply): each adds
# ``gb`` to its pool's entitlement from ``start_month`` to before ``end_month`` (offsets from
# month 0; negative once a switch of rule sets has moved month 0 past it). The rest says why it
# was allowed and where its numbers come from, for the entitlement line and the comparison.
EXTENSION_COLUMNS: tuple[str, ...] = (
    "pool",
    "gb",
    "start_month",
    "end_month",
    "month_label",  # YYYY-MM asked for
    "consumed_gb",  # the pool's consumption that month, of which gb is the rule set's share
    "effective_gb",  # its effective capacity then, before this extension
    "used_share",  # consumed / effective: above the rule set's extension_above
    "origin",
    "source",
    "source_title",
    "confidence",
    "rule",
)


def empty_extensions() -> pd.DataFrame:
    return _empty_extensions().copy()


@functools.cache
def _empty_extensions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            column: pd.Series(
                dtype="int64"
                if column in ("start_month", "end_month")
                else "float64"
                if column in ("gb", "consumed_gb", "effective_gb", "used_share")
                else object
            )
            for column in EXTENSION_COLUMNS
        }
    )


# Microsoft's own computed figures (the tenant capacity API), one row per capacity type, per
# entitlement sub-type and per license behind a sub-type. GB = MB / 1024; NaN where the answer
# gives no number. ``capacity_type`` is capplan's name, or "" for types capplan does not plan
# (trial, Microsoft 365, API calls, ...), which are listed and never counted.
MICROSOFT_CAPACITY_COLUMNS: tuple[str, ...] = (
    "api_type",  # capacityType as Microsoft writes it: Database, FinOpsFile, TrialDatabase, ...
    "capacity_type",  # dataverse_database ... operations_file, or ""
    "unit",  # capacityUnits: MB, GB, Unit, None
    "entitled_gb",
    "max_gb",
    "rated_gb",
    "actual_gb",
    "rated_updated_on",
    "status",
    "location",
)
MICROSOFT_SUBTYPE_COLUMNS: tuple[str, ...] = (
    "api_type",
    "capacity_type",
    "sub_type",  # capacitySubType: DatabaseBase, FinOpsDatabaseIncremental, ...
    "part",  # Base | Incremental | AddOn | Other
    "gb",
    "location",
)
MICROSOFT_LICENSE_COLUMNS: tuple[str, ...] = (
    "api_type",
    "capacity_type",
    "sub_type",
    "part",
    "entitlement_code",
    "display_name",
    "sku_id",  # lower case GUID or ""
    "service_plan_id",
    "units",  # paid.enabled
    "warning_units",
    "suspended_units",
    "gb",
    "temporary",  # bool
    "expires",  # YYYY-MM-DD of a temporary license, or ""
    "location",
)


class MicrosoftFigures(msgspec.Struct, frozen=True):
    """One tenant capacity answer: what Microsoft computes the tenant is entitled to and uses."""

    source: str
    tenant_id: str
    license_model: str  # Legacy | StorageDriven | ""
    status: str  # capacitySummary's status code, or ""
    capacities: pd.DataFrame  # MICROSOFT_CAPACITY_COLUMNS
    sub_types: pd.DataFrame  # MICROSOFT_SUBTYPE_COLUMNS
    licenses: pd.DataFrame  # MICROSOFT_LICENSE_COLUMNS


class Inputs(msgspec.Struct, frozen=True):
    licenses: pd.DataFrame
    environments: pd.DataFrame
    sources: tuple[InputSource, ...] = ()
    notes: tuple[str, ...] = ()  # things ingest wants the reader to know
    remarks: tuple[Remark, ...] = ()  # findings ingest prepared (see Remark)
    pool_growth: pd.DataFrame = msgspec.field(default_factory=empty_pool_growth)
    # Growth fitted from dated snapshots (planner.engine.growth), per environment and type.
    growth_fits: pd.DataFrame = msgspec.field(default_factory=pd.DataFrame)
    # Microsoft's figures for the tenant, when a tenant capacity answer is among the inputs.
    microsoft: MicrosoftFigures | None = None
    # Capacity extensions a what-if scenario asked for (EXTENSION_COLUMNS).
    extensions: pd.DataFrame = msgspec.field(default_factory=empty_extensions)

    def with_growth_fits(self, fits: pd.DataFrame) -> Inputs:
        return msgspec.structs.replace(self, growth_fits=fits)

    def with_tables(
        self,
        licenses: pd.DataFrame | None = None,
        environments: pd.DataFrame | None = None,
        pool_growth: pd.DataFrame | None = None,
        extensions: pd.DataFrame | None = None,
    ) -> Inputs:
        return msgspec.structs.replace(
            self,
            licenses=self.licenses if licenses is None else licenses,
            environments=self.environments if environments is None else environments,
            pool_growth=self.pool_growth if pool_growth is None else pool_growth,
            extensions=self.extensions if extensions is None else extensions,
        )


# Characters a text shows nothing of: the Unicode Character Database's
# Default_Ignorable_Code_Point property (DerivedCoreProperties.txt; defined in Unicode Standard
# Annex #44), such as the combining grapheme joiner U+034F, the Hangul fillers and the variation
# selectors, which are not all format characters (category Cf).
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)


def name_key(name: object) -> str:
    """The form in which two environment names are one name (two files describing one
    environment, a planned one taking an existing name): the same letters whatever their case
    or width (NFKC), their spacing, and invisible characters (format characters, and every
    default-ignorable one, such as a zero-width space or a combining grapheme joiner), which
    would make two names that look alike differ."""
    text = str(name)
    if not text.isascii():  # ASCII is its own NFKC form, and holds no invisible character
        text = _IGNORABLE.sub("", unicodedata.normalize("NFKC", text))
        text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return " ".join(text.casefold().split())


def name_keys(names: Sequence[object]) -> list[str]:
    """:func:`name_key` of each of ``names``, worked out for all of them at once: the names
    joined by NUL, which no name holds, normalised, cleared of invisible characters and folded
    as one text, and split again. Each step works a character at a time or, as NFKC does, in
    runs that NUL (a character nothing composes with) ends, so the pieces are the names' keys.
    What the text holds is looked at among its distinct characters, a few hundred: the passes
    over it are made only for what it holds. An inventory of 50,000 names with accents took
    75 ms a name at a time, 25 ms so. Names that hold NUL themselves are keyed one by one."""
    texts = [name if type(name) is str else str(name) for name in names]
    joined = "\0".join(texts)
    if joined.count("\0") != max(len(texts) - 1, 0):
        return [name_key(text) for text in texts]
    if joined.isascii():
        spaces = [space for space in _ASCII_SPACES if space in joined]
    else:
        joined = unicodedata.normalize("NFKC", joined)
        characters = "".join(set(joined))
        invisible = [
            character
            for character in characters
            if unicodedata.category(character) == "Cf" or _IGNORABLE.match(character)
        ]
        if invisible:
            joined = joined.translate(dict.fromkeys(map(ord, invisible)))
        spaces = [c for c in characters if c.isspace() and c != " " and c not in invisible]
    joined = joined.casefold()
    # Each name's runs of white space as one space, and none at either end of it: what
    # str.split() splits at (str.isspace()) made a space first.
    if spaces:
        joined = joined.translate(dict.fromkeys(map(ord, spaces), " "))
    if "  " in joined:
        joined = _SPACES.sub(" ", joined)
    joined = joined.replace(" \0", "\0").replace("\0 ", "\0").strip(" ")
    return joined.split("\0") if texts else []


# The white space of ASCII besides the space itself (str.isspace()), and runs of spaces.
_ASCII_SPACES = "".join(chr(code) for code in range(128) if chr(code).isspace() and code != 32)
_SPACES = re.compile(" {2,}")


def empty_licenses() -> pd.DataFrame:
    return _empty_licenses().copy()


def empty_environments() -> pd.DataFrame:
    return _empty_environments().copy()


# The empty tables are built once, when first asked for (not on import: most commands never
# need them), straight from their columns' dtypes: the same frames as license_frame([]) and
# environment_frame([]) give (a test holds them alike), which convert column after column and
# took 7 and 9 ms of every run that reads a license file.
_LICENSE_NUMBERS = ("quantity", "warning_units", "consumed_units", "start_month")


@functools.cache
def _empty_licenses() -> pd.DataFrame:
    dtypes = {c: np.int64 if c in _LICENSE_NUMBERS else object for c in LICENSE_COLUMNS}
    return _empty_frame(dtypes)


@functools.cache
def _empty_environments() -> pd.DataFrame:
    dtypes: dict[str, type] = {}
    for column in ENVIRONMENT_COLUMNS:
        if column in _ENVIRONMENT_FLOAT_COLUMNS:
            dtypes[column] = np.float64
        elif column in ("start_month", "end_month"):
            dtypes[column] = np.int64
        else:
            dtypes[column] = bool if column == "payg" else object
    return _empty_frame(dtypes)


def _empty_frame(dtypes: Mapping[str, type]) -> pd.DataFrame:
    columns = {column: np.empty(0, dtype=dtype) for column, dtype in dtypes.items()}
    return pd.DataFrame(columns, copy=False)


def license_frame(rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """Build a license table from dicts (or a frame), filling absent columns and fixing dtypes."""
    frame = pd.DataFrame(rows, columns=list(LICENSE_COLUMNS))
    defaults = {
        "sku_id": "",
        "display_name": "",
        "warning_units": 0,
        "consumed_units": -1,
        "location": "",
        "source": "",
        "start_month": 0,
    }
    for column, value in defaults.items():
        frame[column] = frame[column].astype(object).where(frame[column].notna(), value)
    for column in ("quantity", "warning_units", "consumed_units", "start_month"):
        frame[column] = frame[column].astype("int64")
    for column in ("sku", "sku_id", "display_name", "source", "location"):
        frame[column] = frame[column].astype(object)
    return frame


# The environment table's text columns besides name and type (which are never blank).
ENVIRONMENT_TEXT_COLUMNS: tuple[str, ...] = (
    "power_platform",
    "linked_to",
    "org_url",
    "environment_id",
    "measured_on",
    "source",
    "location",
)
_ENVIRONMENT_FLOAT_COLUMNS: tuple[str, ...] = (
    "tier",
    *USAGE_COLUMNS,
    *ACTUAL_COLUMNS,
    *GROWTH_COLUMNS,
)


def environment_frame(
    rows: list[dict] | pd.DataFrame, *, all_text: Collection[str] = ()
) -> pd.DataFrame:
    """Build an environment table from dicts (or a frame), filling absent columns and fixing
    dtypes.

    A column already of its dtype and without a gap is taken as it is, and the table is built
    once from its columns: a reader that hands over typed columns (the inventory of a large
    tenant) pays for no conversion and no copy a column at a time. ``all_text`` names text
    columns of object dtype that the caller made of str alone (a file name repeated, words it
    chose): they are taken without looking through every row for a gap."""
    if isinstance(rows, pd.DataFrame):  # its columns as they are: selecting all would copy
        given, index = rows, rows.index
    else:
        given = pd.DataFrame(rows, columns=list(ENVIRONMENT_COLUMNS))
        index = given.index
    columns: dict[str, pd.Series] = {}
    for column in ENVIRONMENT_COLUMNS:
        if column in given.columns:
            values = given[column]
        else:  # what selecting an absent column gives: a gap on every row
            values = pd.Series(np.nan, index=index, dtype=np.float64)
        if column in ENVIRONMENT_TEXT_COLUMNS:
            # Text all of str (told faster than looking for gaps) needs nothing done.
            if values.dtype != object or (
                column not in all_text
                and pd.api.types.infer_dtype(values, skipna=False) != "string"
                and values.isna().any()
            ):
                values = values.astype(object).where(values.notna(), "")
        elif column in _ENVIRONMENT_FLOAT_COLUMNS:
            if values.dtype != np.float64:
                values = pd.to_numeric(values, errors="raise").astype("float64")
        elif column == "payg":
            if values.dtype != bool:
                values = values.astype(object).where(values.notna(), False).astype(bool)
        elif column in ("start_month", "end_month"):
            if values.dtype != np.int64:
                values = values.fillna(0 if column == "start_month" else NEVER).astype("int64")
        elif values.dtype != object:  # name and type
            values = values.astype(object)
        columns[column] = values
    return pd.DataFrame(columns, index=index, copy=False)


def combine(parts: list[Inputs]) -> Inputs:
    """Merge what several files gave into one Inputs (at most one carries Microsoft's figures)."""
    figures = [p.microsoft for p in parts if p.microsoft is not None]
    licenses = [p.licenses for p in parts if len(p.licenses)]
    environments = [p.environments for p in parts if len(p.environments)]
    return Inputs(
        licenses=pd.concat(licenses, ignore_index=True) if licenses else empty_licenses(),
        environments=(
            pd.concat(environments, ignore_index=True) if environments else empty_environments()
        ),
        sources=tuple(s for p in parts for s in p.sources),
        notes=tuple(n for p in parts for n in p.notes),
        remarks=tuple(r for p in parts for r in p.remarks),
        microsoft=figures[0] if figures else None,
    )


__all__ = [
    "ACTUAL_COLUMNS",
    "CAPACITY_TYPES",
    "ENVIRONMENT_COLUMNS",
    "ENVIRONMENT_TYPES",
    "EXTENSION_COLUMNS",
    "FINANCE_OPERATIONS_TYPES",
    "GROWTH_COLUMNS",
    "LICENSE_COLUMNS",
    "MICROSOFT_CAPACITY_COLUMNS",
    "MICROSOFT_LICENSE_COLUMNS",
    "MICROSOFT_SUBTYPE_COLUMNS",
    "NEVER",
    "POOL_GROWTH_COLUMNS",
    "POWER_PLATFORM_STATES",
    "STANDALONE_DATAVERSE_TYPES",
    "USAGE_COLUMNS",
    "InputSource",
    "Inputs",
    "MicrosoftFigures",
    "Remark",
    "combine",
    "empty_environments",
    "empty_extensions",
    "empty_licenses",
    "empty_pool_growth",
    "environment_frame",
    "license_frame",
]
