"""What every fuzz test checks, and the values it feeds the readers.

A fuzzed file either fails with an InputError of our own making (one that names the file and
reads as one or two lines), or is accepted, and then what was read must be usable: text that can
be written out, numbers in range, names unique per file. An InputError produced by load_inputs'
safety net (which wraps unexpected exceptions) counts as a failure: it means a reader crashed.
"""

from __future__ import annotations

import math
import re
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from planner.errors import InputError
from planner.ingest import load_inputs
from planner.ingest.table import ABSURD, trim
from planner.model.inputs import (
    ACTUAL_COLUMNS,
    ENVIRONMENT_TYPES,
    GROWTH_COLUMNS,
    POWER_PLATFORM_STATES,
    USAGE_COLUMNS,
    Inputs,
)

from .conftest import examples

# Messages of the safety net in planner.ingest: a reader raised something it should not have.
SAFETY_NET = ("capplan could not read this file (", "the file is too large or too deeply nested")
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def fuzz_settings(default_examples: int) -> settings:
    return settings(
        max_examples=examples(default_examples),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def check_refusal(error: InputError, path: Path) -> None:
    if error.message.startswith(SAFETY_NET):
        raise AssertionError(f"a reader failed unexpectedly: {error.message}") from error.__cause__
    assert error.message
    assert error.file == str(path), error.render()
    rendered = error.render()
    assert len(rendered.splitlines()) <= 2, rendered
    assert not CONTROL.search(rendered.replace("\n  expected: ", "", 1)), repr(rendered)


def check_accepted(inputs: Inputs) -> None:
    """What load_inputs returns can be planned and written out."""
    licenses, environments = inputs.licenses, inputs.environments
    for frame in (licenses, environments):
        for column in frame.columns:
            if frame[column].dtype == object:
                for value in frame[column]:
                    assert isinstance(value, str), (column, value)
                    value.encode("utf-8")  # no lone surrogates: every renderer can write it
    # A row names its license by part number, GUID or product name (the SKU catalog resolves
    # any of them), never by nothing.
    assert all(sku == trim(sku) for sku in licenses["sku"])
    assert all(
        sku or guid or name
        for sku, guid, name in zip(
            licenses["sku"], licenses["sku_id"], licenses["display_name"], strict=True
        )
    )
    for column in ("quantity", "warning_units"):
        assert ((licenses[column] >= 0) & (licenses[column] <= ABSURD)).all(), column
    assert (licenses["consumed_units"] >= -1).all()
    assert all(name and name == trim(name) for name in environments["name"])
    assert environments["type"].isin(ENVIRONMENT_TYPES).all()
    assert environments["power_platform"].isin(("", *POWER_PLATFORM_STATES)).all()
    tiers = environments["tier"]
    assert (tiers.isna() | tiers.isin([1.0, 2.0, 3.0, 4.0, 5.0])).all()
    for column in (*USAGE_COLUMNS, *ACTUAL_COLUMNS, *GROWTH_COLUMNS):
        values = environments[column]
        finite = values.dropna()
        assert finite.map(math.isfinite).all(), column
        assert ((finite >= 0) & (finite <= ABSURD)).all(), column
    for _, names in environments.groupby("source")["name"]:
        assert not names.str.casefold().duplicated().any(), list(names)


def read(data: bytes, suffix: str, **options: Any) -> Inputs | None:
    """Write ``data`` to a file and load it: the Inputs, or None when refused properly."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        try:
            inputs = load_inputs([path], **options)
        except InputError as error:
            check_refusal(error, path)
            return None
    check_accepted(inputs)
    return inputs


# ---------------------------------------------------------------------------------------------
# Values

# Spellings of numbers (and near-numbers) people and tools write.
NUMBERISH = (
    "0",
    "-0",
    "-1",
    "007",
    "+5",
    ".5",
    "5.",
    "2.5",
    "1e7",
    "1e-400",
    "1e309",
    "-1e309",
    "9" * 40,
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "1_000",
    "0x1F",
    "1,5",
    "1.000",
    "1.000,5",
    "1,000.5",
    "1 000",
    "1\u00a0000",
    "1'000",
    "\u0661\u0662",  # Arabic-Indic digits
    "\uff11\uff12",  # full-width digits
    "\u00bd",
    "\u00b2",
    "5 GB",
    "$5",
    "'5",
    "TRUE",
    "2026-01-01",
    "=1+1",
    "Tier 2",
    "tier",
    "T",
    "T0",
    "t-6",
)
# Text cells: printable characters, the spaces exports carry, quotes and delimiters.
CELL_CHARACTERS = st.characters(exclude_categories=["Cs"])
SPECIAL_CELLS = ("", " ", '"', "\n", "\r\n", ";", ",", "\t", "\u00a0", "\u200b", "\ufeff")
cells = st.one_of(
    st.sampled_from(NUMBERISH),
    st.sampled_from(SPECIAL_CELLS),
    st.text(CELL_CHARACTERS, max_size=10),
    st.integers(-(10**12), 10**12).map(str),
    st.floats().map(repr),
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(NUMBERISH),
    st.text(CELL_CHARACTERS, max_size=10),
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def recase(key: str, style: int) -> str:
    """A key as another tool would spell it: as is, capitalized, lower or upper case."""
    return [key, key[:1].upper() + key[1:], key.lower(), key.upper()][style % 4]
