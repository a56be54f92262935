"""The environment inventory template (docs/input-formats.md), as CSV or XLSX.

The template is the planner's own format, so it is checked strictly: unknown environment types,
tiers outside 1..5 or a typo in a capacity column name stop the run with the row and column,
rather than silently becoming "no usage".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.ingest.table import (
    Field,
    NumberRule,
    Table,
    compact,
    describe_column,
    distinct_numbers,
    match_columns,
    normalize_header,
    parse_numbers,
)
from planner.model.inputs import (
    ACTUAL_COLUMNS,
    CAPACITY_TYPES,
    ENVIRONMENT_TYPES,
    GROWTH_COLUMNS,
    POWER_PLATFORM_STATES,
    USAGE_COLUMNS,
    environment_frame,
)

# Finance and operations types: the only ones Power Platform integration and tiers describe.
FINANCE_OPERATIONS_TYPES = ("production", "sandbox", "addon_sandbox", "cloud_hosted_dev")
TIERED_TYPES = ("sandbox", "addon_sandbox", "cloud_hosted_dev")
STANDALONE_DATAVERSE_TYPES = ("dataverse_production", "dataverse_sandbox")

NAME_FIELD = Field("name", ("name", "environment", "environment_name"), required=True)
TYPE_FIELD = Field("type", ("type", "environment_type"), required=True)
INVENTORY_FIELDS: tuple[Field, ...] = (
    NAME_FIELD,
    TYPE_FIELD,
    Field("tier", ("tier", "sandbox_tier")),
    Field("power_platform", ("power_platform", "power_platform_integration", "integration")),
    Field("linked_to", ("linked_to", "linked_environment", "linked_dataverse")),
    Field("org_url", ("org_url", "organization_url", "dataverse_url", "instance_url", "url")),
    Field("environment_id", ("environment_id", "power_platform_environment_id")),
    Field("measured_on", ("measured_on", "usage_measured_on", "usage_date")),
    Field("payg", ("payg", "pay_as_you_go", "billing_policy")),
    *(Field(column, (column, column.replace("_gb", "_usage_gb"))) for column in USAGE_COLUMNS),
    *(Field(column, (column,)) for column in ACTUAL_COLUMNS),
    *(
        Field(column, (column, column.replace("_per_month", "_month"), f"{t}_monthly_growth_gb"))
        for t, column in zip(CAPACITY_TYPES, GROWTH_COLUMNS, strict=True)
    ),
)
GROWTH_FIELDS: tuple[Field, ...] = tuple(f for f in INVENTORY_FIELDS if f.name in GROWTH_COLUMNS)
# Normalized header spellings of the growth columns: with a name and no type they make a growth
# sheet, a file that adds growth to environments other files describe.
GROWTH_KEYS = frozenset(normalize_header(a) for f in GROWTH_FIELDS for a in f.aliases)

# Header spellings of the columns read as numbers (usage, actual usage and growth in GB).
_NUMBER_KEYS = frozenset(
    normalize_header(alias)
    for field in INVENTORY_FIELDS
    if field.name in (*USAGE_COLUMNS, *ACTUAL_COLUMNS, *GROWTH_COLUMNS)
    for alias in field.aliases
)


def number_columns(headers: Sequence[str]) -> list[int]:
    """Positions of the columns an inventory or growth sheet reads as sizes in GB."""
    return [p for p, header in enumerate(headers) if normalize_header(header) in _NUMBER_KEYS]


_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:$|[ T])")
_TYPE_BY_KEY = {compact(value): value for value in ENVIRONMENT_TYPES}
_STATE_BY_KEY = {compact(value): value for value in POWER_PLATFORM_STATES}

_TIER = NumberRule("a sandbox tier", whole=True, minimum=1, maximum=5)
_SIZE = NumberRule("a size in GB", whole=False)
_GROWTH = NumberRule(
    "a monthly growth in GB (0 or more; model clean-ups as scenarios)", whole=False
)


def read_inventory(table: Table) -> pd.DataFrame:
    _refuse_unknown_capacity_columns(table)
    columns = match_columns(table, INVENTORY_FIELDS)
    names = _names(table, columns["name"])
    types = _enumerated(table, columns["type"], "type", _TYPE_BY_KEY, ENVIRONMENT_TYPES, True)
    data: dict[str, object] = {"name": names.to_numpy(dtype=object), "type": types.values()}
    data["tier"] = _tiers(table, columns.get("tier"), types)
    states = _power_platform(table, columns.get("power_platform"), types)
    data["power_platform"] = states.values()
    data["linked_to"] = _linked_to(table, columns.get("linked_to"), states, names, columns)
    data["org_url"] = _text(table, columns.get("org_url"))
    environment_ids = _text(table, columns.get("environment_id"))
    data["environment_id"] = (
        environment_ids if isinstance(environment_ids, str) else _casefold(environment_ids)
    )
    data["measured_on"] = _dates(table, columns.get("measured_on"))
    data["payg"] = _flags(table, columns.get("payg"), "payg")
    for column in (*USAGE_COLUMNS, *ACTUAL_COLUMNS):
        data[column] = _numbers(table, columns.get(column), column, _SIZE)
    for column in GROWTH_COLUMNS:
        data[column] = _numbers(table, columns.get(column), column, _GROWTH)
    data["source"] = table.file
    data["location"] = _locations(table)
    data["start_month"] = 0
    index = pd.RangeIndex(len(table))
    # Text stays plain Python strings (a frame would make pandas strings of it, which
    # environment_frame turns back), so the frame is built with no conversion at all. Columns
    # of numbers go in as series too: a frame built from arrays copies those of one dtype
    # into one block, which environment_frame then takes apart again.
    columns = {
        key: pd.Series(value, index=index, dtype=object)
        if isinstance(value, (str, list)) or getattr(value, "dtype", None) is np.dtype(object)
        else pd.Series(value, index=index, copy=False)
        if isinstance(value, np.ndarray)
        else value
        for key, value in data.items()
    }
    # Text this reader made of str alone, whatever the cells: one word repeated (the file, or
    # a column the file lacks), the row locations and the power_platform words it chose.
    made = [key for key, value in data.items() if isinstance(value, str)]
    made += ["location", "power_platform"]
    frame = pd.DataFrame(columns, index=index, copy=False)
    return environment_frame(frame, all_text=made)


def read_growth_sheet(table: Table) -> pd.DataFrame:
    """A sheet of environment names and monthly growth: it adds growth to environments that other
    files describe, and describes none itself. Columns: name, location, the growth columns."""
    _refuse_unknown_capacity_columns(table)
    known = {normalize_header(alias) for field in INVENTORY_FIELDS for alias in field.aliases}
    allowed = {normalize_header(alias) for alias in NAME_FIELD.aliases} | GROWTH_KEYS
    for position, header in enumerate(table.headers):
        key = normalize_header(header)
        if key in known and key not in allowed:
            raise InputError(
                f"column {describe_column(table, position)} describes environments, which a "
                "growth sheet (name and growth columns, no type) cannot do",
                file=table.file,
                location=table.header_location(),
                expected="either a growth sheet with only name and <type>_growth_gb_per_month "
                "columns, or the full inventory template with a type column",
            )
    columns = match_columns(table, (NAME_FIELD, *GROWTH_FIELDS))
    data: dict[str, object] = {"name": _names(table, columns["name"]).to_numpy(dtype=object)}
    for column in GROWTH_COLUMNS:
        data[column] = _numbers(table, columns.get(column), column, _GROWTH)
    data["location"] = _locations(table)
    data["row_index"] = range(len(table))
    return pd.DataFrame(data, index=range(len(table)))


def _locations(table: Table) -> list[str]:
    """Where each row is, as a person finds it: "row 7", or "Sheet1!A7" in a workbook."""
    prefix = "row " if table.sheet is None else f"{table.sheet}!A"
    return row_texts(prefix, table.row_numbers)


def row_texts(prefix: str, numbers: np.ndarray) -> list[str]:
    """``prefix`` followed by each number written in decimal, the same strings as
    ``[prefix + str(n) for n in numbers]``.

    The digits of every number are worked out for all rows at once into one text, a line per
    row, which is then split: that costs half of writing each number and joining it to the
    prefix one row at a time. Numbers outside 1 .. 2**31 - 1, or a prefix holding a line break
    or NUL, are written one at a time."""
    head = prefix.encode("utf-8")
    if (
        not len(numbers)
        or b"\n" in head
        or b"\0" in head
        or int(numbers.min()) < 1
        or int(numbers.max()) > 2**31 - 1
    ):
        return [prefix + number for number in map(str, numbers.tolist())]
    width = len(str(int(numbers.max())))
    # A line per row: the prefix, the digits right-aligned after NUL padding, a line break.
    # UTF-8 puts no NUL and no line break inside the bytes of any other character, so dropping
    # the NULs and splitting at the line breaks gives each row's text back.
    lines = np.zeros((len(numbers), len(head) + width + 1), dtype=np.uint8)
    lines[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    lines[:, -1] = ord("\n")
    rest = numbers.astype(np.uint32)
    for place in range(len(head) + width - 1, len(head) - 1, -1):
        higher = rest // 10
        digit = (rest - higher * 10).astype(np.uint8) + ord("0")
        digit[rest == 0] = 0  # no leading zeros: the number has no digit here
        lines[:, place] = digit
        rest = higher
    flat = lines.ravel()
    return flat[flat != 0].tobytes().decode("utf-8")[:-1].split("\n")


def folded(texts: list[Any]) -> list[str]:
    """Each text casefolded (a value that is not text, as its text): as one text where they
    join, since folding is done character by character and the joined text folds to the
    folded texts joined. At 50,000 names a third of the time of a call each."""
    try:
        joined = "\0".join(texts)
    except TypeError:  # not all text
        return [str(text).casefold() for text in texts]
    if joined.count("\0") != max(len(texts) - 1, 0):  # a text holds the separator itself
        return [text.casefold() for text in texts]
    return joined.casefold().split("\0") if texts else []


def _casefold(values: np.ndarray) -> np.ndarray:
    texts = folded(values.tolist())
    result = np.empty(len(texts), dtype=object)
    result[:] = texts
    return result


def _dates(table: Table, position: int | None) -> np.ndarray | str:
    """measured_on: blank, or a date written YYYY-MM-DD (a workbook's date cell reads so too)."""
    if position is None:
        return ""
    texts = table.column(position).to_numpy(dtype=object)
    # An inventory is measured on a few dates: each distinct text is read once.
    codes, distinct = pd.factorize(texts)
    if len(codes) and codes.min() < 0:  # not text (a table's cells are): read one by one
        codes, distinct = np.arange(len(texts)), texts
    dates, wrong = [], []
    for code, written in enumerate(distinct.tolist()):
        date = str(written)[:10]
        dates.append(date)
        if written == "":
            continue
        try:
            valid = _ISO_DATE.match(written) is not None and bool(dt.date.fromisoformat(date))
        except (TypeError, ValueError):
            valid = False
        if not valid:
            wrong.append(code)
    if wrong:
        row = int(np.flatnonzero(np.isin(codes, wrong))[0])  # the first row of any of them
        raise table.error(
            f"measured_on '{texts[row]}' is not a date",
            row_index=row,
            position=position,
            expected="the date the usage was measured, written YYYY-MM-DD, or blank",
        )
    return np.array(dates, dtype=object)[codes]


def _refuse_unknown_capacity_columns(table: Table) -> None:
    """A misspelt usage column would otherwise read as "no usage given" without a word."""
    known = {normalize_header(alias) for field in INVENTORY_FIELDS for alias in field.aliases}
    for position, header in enumerate(table.headers):
        key = normalize_header(header)
        if key and key not in known and (key.endswith("gb") or "growth" in key):
            raise InputError(
                f"column {describe_column(table, position)} looks like a capacity column but is "
                "not one capplan knows",
                file=table.file,
                location=table.header_location(),
                expected="one of " + ", ".join((*USAGE_COLUMNS, *ACTUAL_COLUMNS, *GROWTH_COLUMNS)),
            )


def _names(table: Table, position: int) -> pd.Series:
    values = table.column(position)
    texts = values.to_numpy(dtype=object)  # a table's cells are str, never a gap
    blank = texts == ""
    if blank.any():
        row = int(np.flatnonzero(blank)[0])
        raise table.error(
            "name is missing",
            row_index=row,
            position=position,
            expected="a unique name on every row",
        )
    # Distinct names, the common case, are told by their fingerprints or else by one set; a
    # repeat is then looked for.
    if _surely_distinct(texts) or len(set(_folded(texts))) == len(texts):
        return values
    keys = values.str.casefold()
    repeated = keys.duplicated(keep="first").to_numpy()
    if repeated.any():
        second = int(np.flatnonzero(repeated)[0])
        first = int(np.flatnonzero((keys == keys.iloc[second]).to_numpy())[0])
        raise table.error(
            f"name '{values.iloc[second]}' is used twice: on {table.row_location(first)} and "
            f"{table.row_location(second)}",
            row_index=second,
            position=position,
            expected="a unique name per environment (names are compared ignoring case)",
        )
    return values


class Coded(NamedTuple):
    """A column of a few distinct words: each row's code into ``words``. Questions about the
    column are asked of its few words and spread to the rows, which costs far less than asking
    every row."""

    codes: np.ndarray
    words: np.ndarray  # object

    @classmethod
    def constant(cls, word: str, rows: int) -> Coded:
        return cls(np.zeros(rows, dtype=np.intp), np.array([word], dtype=object))

    def values(self) -> np.ndarray:
        return self.words[self.codes]

    def isin(self, choices: Sequence[str]) -> np.ndarray:
        return np.isin(self.words, choices)[self.codes]

    def equals(self, word: str) -> np.ndarray:
        return np.asarray(self.words == word, dtype=bool)[self.codes]


def _factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """pd.factorize of a column of text. A table's cells are never a gap, so the search for gaps
    that keeping them as values costs is made only when the cheaper reading finds one."""
    codes, distinct = pd.factorize(values)
    if len(codes) and int(codes.min()) < 0:
        codes, distinct = pd.factorize(values, use_na_sentinel=False)
    return codes, distinct


# Fingerprints of names: how many bytes of a name, at most, and the odd multiplier that mixes
# them (the golden ratio's, a common choice).
_LONGEST_FINGERPRINTED = 64
_MIX = np.uint64(0x9E3779B97F4A7C15)
_LOW_BYTES = np.array([(1 << (8 * count)) - 1 for count in range(9)], dtype=np.uint64)


def _surely_distinct(texts: np.ndarray) -> bool:
    """True when no two texts are the same once casefolded; False when that is not sure.

    A set of 200,000 casefolded names costs a string hash and an insertion each. Here every name
    gets a 64-bit fingerprint of its casefolded UTF-8 bytes, worked out for all names at once
    eight bytes at a time; same names have the same fingerprint, so distinct fingerprints
    (sorted, no neighbours equal) prove distinct names. Equal fingerprints, long names or
    texts that cannot be joined say nothing, and the caller compares the names themselves."""
    if len(texts) < 2:
        return len(texts) == 1
    try:
        joined = "\0".join(texts)
    except TypeError:
        return False
    # Names longer on average than a fingerprint reads cannot all be fingerprinted: given up
    # before the folded and encoded copies of them all are made (one copy, the joined text, is
    # cheaper than a pass that measures each name first). A long name among short ones is found
    # below, within copies of a size bounded by the number of names.
    if len(joined) > (_LONGEST_FINGERPRINTED + 1) * len(texts):
        return False
    if joined.count("\0") != len(texts) - 1:
        return False
    # Folding the joined names folds each (see _folded); the fingerprints read up to eight
    # bytes past a name, so the bytes end with eight NULs.
    encoded = joined.casefold().encode("utf-8", "surrogatepass")
    data = np.frombuffer(encoded + bytes(8), dtype=np.uint8)
    breaks = np.flatnonzero(data[: len(encoded)] == 0)
    starts = np.empty(len(texts), dtype=np.int64)
    starts[0], starts[1:] = 0, breaks + 1
    lengths = np.empty(len(texts), dtype=np.int64)
    lengths[:-1], lengths[-1] = breaks, len(encoded)
    lengths -= starts
    longest = int(lengths.max())
    if longest > _LONGEST_FINGERPRINTED:
        return False
    # The eight bytes from every byte on, as one little-endian number: a view, not a copy.
    words = np.ndarray((len(encoded) + 1,), dtype="<u8", buffer=data, strides=(1,))
    fingerprints = lengths.astype(np.uint64)
    for offset in range(0, longest, 8):
        word = words[np.minimum(starts + offset, len(encoded))]
        word &= _LOW_BYTES[np.clip(lengths - offset, 0, 8)]  # the name's bytes, no more
        fingerprints ^= word
        fingerprints *= _MIX
        fingerprints ^= fingerprints >> np.uint64(31)
    fingerprints.sort()
    return not bool((fingerprints[1:] == fingerprints[:-1]).any())


# Characters of a text, on average, up to which texts are folded joined (see _folded).
_JOINED_UP_TO = 64


def _folded(texts: np.ndarray) -> list[str]:
    """Each text casefolded, the same as ``[text.casefold() for text in texts]``.

    The texts are folded joined by NUL, in one call rather than one per text, and split again:
    casefolding maps one character at a time (unlike lower(), no neighbour changes it) and
    nothing folds to or from NUL, so the pieces are the folded texts, unless a text holds NUL
    itself; then each is folded alone. Long texts are folded one by one too: a call each costs
    little beside their length, and the joined copies would hold them three times over."""
    try:
        if sum(map(len, texts)) > _JOINED_UP_TO * len(texts):
            return [text.casefold() for text in texts]
        joined = "\0".join(texts)
    except TypeError:  # not all text: folding each says so as it always did
        return [text.casefold() for text in texts]
    if joined.count("\0") != max(len(texts) - 1, 0):
        return [text.casefold() for text in texts]
    return joined.casefold().split("\0") if len(texts) else []


def _enumerated(
    table: Table,
    position: int,
    name: str,
    by_key: dict[str, str],
    allowed: tuple[str, ...],
    required: bool,
) -> Coded:
    """Map written values onto allowed ones, ignoring case, spaces, hyphens and underscores."""
    values = table.column(position)
    # A column holds a handful of distinct words: normalise and judge each once, then spread.
    codes, distinct = _factorize(values)
    keys = (
        pd.Series(distinct, dtype=object).str.casefold().str.replace(r"[^0-9a-z]", "", regex=True)
    )
    mapped = keys.map(by_key).to_numpy(dtype=object)
    known = pd.notna(mapped)
    blank = np.asarray(pd.Series(distinct, dtype=object) == "", dtype=bool)
    bad = ~known & (~blank | required)
    if bad.any():
        row = int(np.flatnonzero(bad[codes])[0])
        written = values.iloc[row]
        reason = f"{name} is missing" if written == "" else f"{name} '{written}' is not known"
        raise table.error(
            reason, row_index=row, position=position, expected="one of " + ", ".join(allowed)
        )
    return Coded(codes, np.where(known, mapped, "").astype(object))


_YES = frozenset({"yes", "y", "true", "1", "payg", "payasyougo"})
_NO = frozenset({"no", "n", "false", "0", ""})


def _flags(table: Table, position: int | None, name: str) -> np.ndarray | bool:
    """A yes/no column (blank is no): "yes", "true", "1" or "no", "false", "0", any case."""
    if position is None:
        return False
    values = table.column(position)
    codes, distinct = pd.factorize(values)
    keys = (
        pd.Series(distinct, dtype=object).str.casefold().str.replace(r"[^0-9a-z]", "", regex=True)
    )
    yes = keys.isin(_YES).to_numpy()
    known = yes | keys.isin(_NO).to_numpy()
    if len(codes) and not known[codes].all():
        row = int(np.flatnonzero(~known[codes])[0])
        raise table.error(
            f"{name} '{values.iloc[row]}' is not yes or no",
            row_index=row,
            position=position,
            expected="yes or no (blank is no)",
        )
    return yes[codes] if len(codes) else np.zeros(0, dtype=bool)


def _tiers(table: Table, position: int | None, types: Coded) -> np.ndarray:
    if position is None:
        return np.full(len(table), np.nan)
    written = table.column(position)
    # "Tier 2", "tier-3" and "T4" are how people write tiers; the number is what counts. The
    # prefix goes only when a number follows: "Tier" alone is not a blank tier.
    codes, distinct = pd.factorize(written)
    prefixless = pd.Series(distinct, dtype=object).str.replace(
        r"^(?:tier|t)[\s_-]*(?=\d)", "", regex=True, case=False
    )
    tiers = distinct_numbers(prefixless, codes, _TIER, table.decimal_comma)
    if tiers is None:  # a tier breaks the rule: the column is parsed row by row to name it
        stripped = pd.Series(prefixless.to_numpy(dtype=object)[codes], index=written.index)
        tiers = parse_numbers(table, position, "tier", _TIER, values=stripped)
    misplaced = ~np.isnan(tiers) & ~types.isin(TIERED_TYPES)
    if misplaced.any():
        row = int(np.flatnonzero(misplaced)[0])
        raise table.error(
            f"a tier is given for a {types.words[types.codes[row]]} environment",
            row_index=row,
            position=position,
            expected="a tier only on " + ", ".join(TIERED_TYPES) + " rows; blank elsewhere",
        )
    return tiers


def _power_platform(table: Table, position: int | None, types: Coded) -> Coded:
    if position is None:
        return Coded.constant("", len(table))
    states = _enumerated(
        table, position, "power_platform", _STATE_BY_KEY, POWER_PLATFORM_STATES, False
    )
    standalone = ~types.isin(FINANCE_OPERATIONS_TYPES)
    misplaced = standalone & states.isin(("initial", "integrated", "linked_existing"))
    if misplaced.any():
        row = int(np.flatnonzero(misplaced)[0])
        raise table.error(
            f"power_platform '{states.words[states.codes[row]]}' describes a finance and "
            f"operations environment, not a {types.words[types.codes[row]]} one",
            row_index=row,
            position=position,
            expected="power_platform blank on standalone Power Platform rows; "
            "initial, integrated or linked_existing only on " + ", ".join(FINANCE_OPERATIONS_TYPES),
        )
    return states


def _linked_to(
    table: Table,
    position: int | None,
    states: Coded,
    names: pd.Series,
    columns: dict[str, int],
) -> np.ndarray:
    linked = states.equals("linked_existing")
    if position is None:
        if linked.any():
            row = int(np.flatnonzero(linked)[0])
            raise table.error(
                "power_platform is linked_existing but the file has no linked_to column",
                row_index=row,
                position=columns["power_platform"],
                expected="a linked_to column naming the standalone Dataverse environment",
            )
        return np.full(len(table), "", dtype=object)
    values = table.column(position)
    given = values.to_numpy(dtype=object) != ""  # cheaper than comparing the series
    without_target = linked & ~given
    if without_target.any():
        row = int(np.flatnonzero(without_target)[0])
        raise table.error(
            "power_platform is linked_existing but linked_to is blank",
            row_index=row,
            position=position,
            expected="the name of the standalone Dataverse environment this one is linked to",
        )
    stray = given & ~linked
    if stray.any():
        row = int(np.flatnonzero(stray)[0])
        raise table.error(
            f"linked_to '{values.iloc[row]}' is given but power_platform is not linked_existing",
            row_index=row,
            position=position,
            expected="linked_to only on rows whose power_platform is linked_existing",
        )
    # Only the rows that name a target are compared (few, in a large tenant).
    rows = np.flatnonzero(given).tolist()
    texts, own = values.to_numpy(dtype=object), names.to_numpy(dtype=object)
    itself = [row for row in rows if str(texts[row]).casefold() == str(own[row]).casefold()]
    if itself:
        row = itself[0]
        raise table.error(
            "an environment cannot be linked to itself",
            row_index=row,
            position=position,
            expected="the name of a different, standalone Dataverse environment",
        )
    return values.to_numpy(dtype=object)


def _text(table: Table, position: int | None) -> np.ndarray | str:
    if position is None:
        return ""
    return table.column(position).to_numpy(dtype=object)


def _numbers(table: Table, position: int | None, name: str, rule: NumberRule) -> np.ndarray:
    if position is None:
        return np.full(len(table), np.nan)
    return parse_numbers(table, position, name, rule)
