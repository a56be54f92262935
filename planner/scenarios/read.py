"""What-if scenarios read from TOML files and command-line flags, as typed changes.

A scenario file lists ``[[changes]]`` entries whose ``kind`` names a change class of
``planner.model.changes`` and whose other keys are that class's fields; each what-if flag equals
a one-change scenario file. Reading validates everything and applies nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from planner.errors import InputError
from planner.model.changes import (
    AddEnvironment,
    AddLicenses,
    BuyAddon,
    Change,
    DeleteEnvironment,
    LinkExistingDataverse,
    LinkNewDataverse,
    RemoveLicenses,
    RequestExtension,
    Scenario,
    SetGrowth,
    SwitchRules,
)
from planner.model.inputs import CAPACITY_TYPES, ENVIRONMENT_TYPES, POWER_PLATFORM_STATES
from planner.model.limits import (
    LONGEST_TEXT,
    MAX_SCENARIO_CHANGES,
    MAX_TOML_BYTES,
    cell_units,
    parse_toml,
    read_limited,
    require_utf8,
    too_long_for_a_cell,
)
from planner.model.months import format_month, parse_month
from planner.model.structs import Mismatch, convert
from planner.model.toml_numbers import UnusualNumber
from planner.model.units import loosely_infinite, typed_float
from planner.scenarios import schema
from planner.scenarios.schema import GROWTH_KEYS, USAGE_KEYS

MAX_QUANTITY = 10_000_000
MAX_SCENARIO_BYTES = 50 * 2**20


# Reading a file


def _month_offset(value: Any, as_of: str, months: int, where: str, file: str) -> tuple[int, str]:
    if value is None:
        return 0, as_of
    try:
        serial = parse_month(str(value), what="month")
    except InputError as error:
        raise InputError(
            error.message, file=file, location=where, expected=error.expected
        ) from None
    offset = serial - parse_month(as_of)
    if offset < 0:
        raise InputError(
            f"month {value} is before month 0 of the plan ({as_of})",
            file=file,
            location=where,
            expected=f"a month from {as_of} on",
        )
    if offset >= months:
        last = format_month(parse_month(as_of) + months - 1)
        raise InputError(
            f"month {value} is after the horizon ends ({last})",
            file=file,
            location=where,
            expected="a month within the horizon, or a longer --months",
        )
    return offset, format_month(serial)


def _number(
    value: Any, key: str, where: str, file: str, *, whole: bool = False, minimum: float | None = 0.0
) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(
            f"{key} is {value!r}",
            file=file,
            location=where,
            expected="a whole number" if whole else "a number",
        )
    if isinstance(value, int) and abs(value) > 10**30:
        # A TOML integer may have thousands of digits: too large for a float, or even to print.
        digits = len(str(abs(value))) if value.bit_length() < 14_000 else "thousands of"
        raise InputError(
            f"{key} is a number of {digits} digits",
            file=file,
            location=where,
            expected=f"a finite number up to {MAX_QUANTITY:,}",
        )
    number = float(value)
    if not math.isfinite(number) or abs(number) > MAX_QUANTITY:
        raise InputError(
            f"{key} is {value!r}",
            file=file,
            location=where,
            expected=f"a finite number up to {MAX_QUANTITY:,}",
        )
    if whole and number != int(number):
        raise InputError(
            f"{key} is {value!r}", file=file, location=where, expected="a whole number"
        )
    if minimum is not None and number < minimum:
        raise InputError(
            f"{key} is {value!r}",
            file=file,
            location=where,
            expected=f"a number of at least {minimum:g}",
        )
    return number


class _Entry:
    """One ``[[changes]]`` entry, its keys typed, read with messages that name the file and the
    entry."""

    def __init__(self, change: schema.Change, file: str, where: str) -> None:
        self.change, self.file, self.where = change, file, where

    def get(self, key: str) -> Any:
        """The value of ``key``, or None when the entry does not give it."""
        return getattr(self.change, key, None)

    def fail(self, message: str, expected: str) -> InputError:
        return InputError(message, file=self.file, location=self.where, expected=expected)

    def text(self, key: str) -> str:
        value = self.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{key} is {value!r}", "a non-empty string")
        if too_long_for_a_cell(value):
            raise self.fail(
                f"{key} is {cell_units(value):,} characters long (as a cell counts them)",
                f"at most {LONGEST_TEXT:,} characters (what an Excel cell holds)",
            )
        return value.strip()

    def choice(self, key: str, allowed: Sequence[str]) -> str:
        value = self.get(key)
        value = value.strip() if isinstance(value, str) else value
        if value not in allowed:
            raise self.fail(f"{key} is {value!r}", "one of " + ", ".join(allowed))
        return str(value)

    def number(self, key: str, *, whole: bool = False, minimum: float | None = 0.0) -> float:
        return _number(self.get(key), key, self.where, self.file, whole=whole, minimum=minimum)


def _licenses(cls: type[AddLicenses] | type[RemoveLicenses]) -> Callable[..., Change]:
    def read(entry: _Entry, **when: Any) -> Change:
        quantity = int(entry.number("quantity", whole=True, minimum=1))
        return cls(sku=entry.text("sku"), quantity=quantity, **when)

    return read


def _add_environment(entry: _Entry, **when: Any) -> Change:
    tier = None
    if entry.get("tier") is not None:
        tier = int(entry.number("tier", whole=True, minimum=1))
        if tier > 5:
            raise entry.fail(f"tier is {tier}", "1 to 5")
    return AddEnvironment(
        name=entry.text("name"),
        type=entry.choice("type", ENVIRONMENT_TYPES),
        tier=tier,
        license=entry.get("license"),
        power_platform=(
            entry.choice("power_platform", POWER_PLATFORM_STATES)
            if entry.get("power_platform") is not None
            else None
        ),
        linked_to=entry.text("linked_to") if entry.get("linked_to") is not None else None,
        sizes={k: entry.number(k) for k in (*USAGE_KEYS, *GROWTH_KEYS) if entry.get(k) is not None},
        **when,
    )


def _set_growth(entry: _Entry, **when: Any) -> Change:
    rate = entry.number("gb_per_month", minimum=None)
    if (entry.get("environment") is None) == (entry.get("pool") is None):
        raise entry.fail(
            "set_growth needs exactly one of environment or pool",
            'environment = "NAME" (with capacity_type) or pool = "POOL"',
        )
    if entry.get("pool") is not None:
        return SetGrowth(pool=entry.text("pool"), gb_per_month=rate, **when)
    capacity_type = entry.choice("capacity_type", CAPACITY_TYPES)
    if rate < 0:
        raise entry.fail(f"gb_per_month is {rate:g}", "zero or more")
    return SetGrowth(
        environment=entry.text("environment"),
        capacity_type=capacity_type,
        gb_per_month=rate,
        **when,
    )


def _buy_addon(entry: _Entry, **when: Any) -> Change:
    gb = entry.number("gb")
    if gb <= 0:
        raise entry.fail(f"gb is {gb:g}", "a positive amount in GB")
    return BuyAddon(pool=entry.text("pool"), gb=gb, **when)


def _switch_rules(entry: _Entry, **when: Any) -> Change:
    if when["month"] == 0:
        raise entry.fail(
            "a rule set switch needs a month after month 0",
            'month = "YYYY-MM" after --as-of (for month 0 use --rules)',
        )
    return SwitchRules(rules=entry.text("rules"), **when)


READERS: dict[str, Callable[..., Change]] = {
    "add_licenses": _licenses(AddLicenses),
    "remove_licenses": _licenses(RemoveLicenses),
    "add_environment": _add_environment,
    "delete_environment": lambda e, **when: DeleteEnvironment(name=e.text("name"), **when),
    "link_new_dataverse": lambda e, **when: LinkNewDataverse(name=e.text("name"), **when),
    "link_existing_dataverse": lambda e, **when: LinkExistingDataverse(
        name=e.text("name"), target=e.text("target"), **when
    ),
    "set_growth": _set_growth,
    "buy_addon": _buy_addon,
    "request_extension": lambda e, **when: RequestExtension(pool=e.text("pool"), **when),
    "switch_rules": _switch_rules,
}


def change_from_table(
    table: Mapping[str, Any], as_of: str, months: int, file: str, where: str
) -> Change:
    """One ``[[changes]]`` entry of a scenario file as a Change (validated, not yet applied)."""
    try:
        change = convert(table, schema.AnyChange)
    except Mismatch as error:
        raise _change_mismatch(error, table, file, where) from None
    kind = change.__struct_config__.tag
    month, label = _month_offset(change.month, as_of, months, where, file)
    entry = _Entry(change, file, where)
    return READERS[kind](entry, month=month, month_label=label, origin=f"{file}, {where}")


def _change_mismatch(
    error: Mismatch, table: Mapping[str, Any], file: str, where: str
) -> InputError:
    """What does not fit the kind of change, in the words of a scenario file."""
    kind = table.get("kind")
    if error.path == ("kind",) or (error.problem == "missing_key" and error.key == "kind"):
        found = "is missing" if error.problem == "missing_key" else f"is {error.found!r}"
        return InputError(f"kind {found}", file=file, location=where, expected=error.expected)
    if error.problem == "unknown_key":
        return InputError(
            f"unknown key '{error.key}' for kind {kind}",
            file=file,
            location=where,
            expected="keys " + ", ".join(sorted(error.allowed)),
        )
    if error.problem == "missing_key":
        return InputError(
            f"'{error.key}' is missing for kind {kind}",
            file=file,
            location=where,
            expected=f"{error.key} = ...",
        )
    return InputError(
        f"{error.key} is {error.found!r}", file=file, location=where, expected=error.expected
    )


def _file_mismatch(error: Mismatch, file: str) -> InputError:
    """What does not fit the top of a scenario file."""
    if error.problem == "unknown_key" and len(error.path) == 1:
        return InputError(
            f"unknown key '{error.key}'",
            file=file,
            location="top level",
            expected="name, description and [[changes]]",
        )
    if error.path[:1] == ("changes",):
        return InputError(
            "changes is not a list of tables",
            file=file,
            location="changes",
            expected="[[changes]] entries",
        )
    return InputError(
        f"{error.key} is {error.found!r}",
        file=file,
        location=error.key or "top level",
        expected=error.expected,
    )


def read_scenario_file(
    path: str | Path, as_of: str, months: int, max_bytes: int = MAX_SCENARIO_BYTES
) -> Scenario:
    file = str(path)
    raw = read_limited(
        path,
        min(max_bytes, MAX_TOML_BYTES),
        "scenario file",
        "a TOML scenario file of a few kilobytes (see capplan init)",
    )
    try:
        data = parse_toml(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(
            "the scenario file is not UTF-8 text",
            file=file,
            expected="a TOML scenario file (see capplan init)",
        ) from None
    except UnusualNumber as error:  # valid TOML, but not how a person writes a number
        raise InputError(
            error.problem, file=file, location=error.where, expected=error.expected
        ) from None
    except ValueError as error:  # TOMLDecodeError, or a number too long to convert
        raise InputError(
            f"not valid TOML: {error}",
            file=file,
            expected="a TOML scenario file (see capplan init)",
        ) from None
    except RecursionError:
        raise InputError(
            "not valid TOML: arrays or tables are nested too deeply",
            file=file,
            expected="a TOML scenario file (see capplan init)",
        ) from None
    try:
        doc = convert(data, schema.ScenarioFile)
    except Mismatch as error:
        raise _file_mismatch(error, file) from None
    name = doc.name if doc.name is not None else Path(path).stem
    if not name.strip():
        raise InputError(
            f"name is {name!r}", file=file, location="name", expected="a non-empty string"
        )
    for key, text in (("name", name), ("description", doc.description or "")):
        if too_long_for_a_cell(text):
            raise InputError(
                f"{key} is {cell_units(text):,} characters long (as a cell counts them)",
                file=file,
                location=key,
                expected=f"at most {LONGEST_TEXT:,} characters (what an Excel cell holds)",
            )
    tables = doc.changes
    if not tables:
        raise InputError(
            "the scenario has no changes",
            file=file,
            location="changes",
            expected="at least one [[changes]] entry",
        )
    if len(tables) > MAX_SCENARIO_CHANGES:
        raise InputError(
            f"the scenario has {len(tables):,} changes, more than the {MAX_SCENARIO_CHANGES:,} "
            "capplan applies in one scenario",
            file=file,
            location="changes",
            expected="a scenario of a few decisions (split a long list into several scenarios)",
        )
    changes = tuple(
        change_from_table(table, as_of, months, file, f"changes[{index + 1}]")
        for index, table in enumerate(tables)
    )
    switches = [c for c in changes if isinstance(c, SwitchRules)]
    if len(switches) > 1:
        raise InputError(
            "a scenario can switch rule sets only once",
            file=file,
            location=switches[1].origin.partition(", ")[2],
            expected="one switch_rules change",
        )
    return Scenario(
        name.strip(),
        tuple(c for c in changes if not isinstance(c, SwitchRules)),
        doc.description,
        file,
        switches[0] if switches else None,
    )


_PAIR = re.compile(r"^\s*([^=\s][^=]*?)\s*=\s*(\S+)\s*$")


def _split_pair(flag: str, value: str, expected: str) -> tuple[str, str]:
    match = _PAIR.match(value)
    if not match:
        raise InputError(f"{flag} {value!r} is not of the form {expected}", expected=expected)
    return match.group(1), match.group(2)


def _float(flag: str, value: str, text: str, expected: str) -> float:
    try:
        number = math.inf if loosely_infinite(text) else typed_float(text)
    except ValueError as error:
        raise InputError(f"{flag} {value!r}: {error}", expected=expected) from None
    if not math.isfinite(number) or abs(number) > MAX_QUANTITY:
        raise InputError(f"{flag} {value!r}: {text!r} is not usable", expected=expected)
    return number


ADD_SANDBOX_FORM = "NAME[:TIER][=GB]"
EXTENSION_FORM = "POOL@YYYY-MM"
# What follows the last "=" is a size when it is written as one, in digits of any script and
# with underscores too: those are then refused by the number's grammar, not taken into a name.
_SANDBOX_SIZE = re.compile(r"^(.*)=\s*([-+]?[\d_.]*\d[\d_.]*)\s*$")


def changes_from_flags(
    as_of: str,
    *,
    add_licenses: Sequence[str] = (),
    add_sandbox: Sequence[str] = (),
    link: Sequence[str] = (),
    buy_addon: Sequence[str] = (),
    growth: Sequence[str] = (),
    extension: Sequence[str] = (),
    months: int | None = None,
) -> tuple[Change, ...]:
    """What-if flags as changes from month 0 (``--extension`` names its month, within the
    horizon of ``months`` when given); each flag equals a one-change scenario file."""
    for flag, values in (
        ("--add-licenses", add_licenses),
        ("--add-sandbox", add_sandbox),
        ("--link", link),
        ("--buy-addon", buy_addon),
        ("--growth", growth),
        ("--extension", extension),
    ):
        for value in values:
            require_utf8(value, flag)
    changes: list[Change] = []
    for value in add_licenses:
        sku, text = _split_pair("--add-licenses", value, "SKU=N")
        number = _float("--add-licenses", value, text, "SKU=N with N a whole number")
        if number != int(number) or number == 0:
            raise InputError(
                f"--add-licenses {value!r}: {text} is not a whole, non-zero number",
                expected="SKU=N (negative N removes licenses)",
            )
        cls = AddLicenses if number > 0 else RemoveLicenses
        changes.append(
            cls(
                sku=sku,
                quantity=abs(int(number)),
                month_label=as_of,
                origin=f"--add-licenses {value}",
            )
        )
    for value in add_sandbox:
        # "=GB" only where a number follows: a name may hold "=" itself.
        sized = _SANDBOX_SIZE.match(value)
        head, size_text = (sized.group(1), sized.group(2)) if sized else (value, "")
        name, _, tier_text = head.partition(":")
        if not name.strip():
            raise InputError(f"--add-sandbox {value!r} has no name", expected=ADD_SANDBOX_FORM)
        tier = None
        if tier_text:
            if tier_text.strip() not in ("1", "2", "3", "4", "5"):
                raise InputError(
                    f"--add-sandbox {value!r}: tier {tier_text!r}",
                    expected=f"{ADD_SANDBOX_FORM} with TIER 1 to 5",
                )
            tier = int(tier_text)
        sizes: dict[str, float] = {}
        if sized:
            size = _float("--add-sandbox", value, size_text, f"{ADD_SANDBOX_FORM}, GB a number")
            if size < 0:
                raise InputError(
                    f"--add-sandbox {value!r}: {size_text} GB", expected="a size of 0 GB or more"
                )
            # Where a new sandbox starts: its Operations database (usually a copy of
            # production's). Without it, the rule set's estimate for the tier applies.
            sizes["operations_database_gb"] = size
        changes.append(
            AddEnvironment(
                name=name.strip(),
                type="addon_sandbox",
                tier=tier,
                power_platform="initial",
                sizes=sizes,
                month_label=as_of,
                origin=f"--add-sandbox {value}",
            )
        )
    for value in link:
        if not value.strip():
            raise InputError("--link needs an environment name", expected="--link NAME")
        changes.append(
            LinkNewDataverse(name=value.strip(), month_label=as_of, origin=f"--link {value}")
        )
    for value in buy_addon:
        pool, text = _split_pair("--buy-addon", value, "POOL=GB")
        gb = _float("--buy-addon", value, text, "POOL=GB with GB a positive number")
        if gb <= 0:
            raise InputError(f"--buy-addon {value!r}: {text} GB", expected="a positive amount")
        changes.append(BuyAddon(pool=pool, gb=gb, month_label=as_of, origin=f"--buy-addon {value}"))
    for value in growth:
        pool, text = _split_pair("--growth", value, "POOL=GB_PER_MONTH")
        rate = _float("--growth", value, text, "POOL=GB_PER_MONTH")
        changes.append(
            SetGrowth(pool=pool, gb_per_month=rate, month_label=as_of, origin=f"--growth {value}")
        )
    for value in extension:
        changes.append(_extension_flag(value, as_of, months))
    return tuple(changes)


def _extension_flag(value: str, as_of: str, months: int | None) -> RequestExtension:
    """``--extension POOL@YYYY-MM``: a capacity extension asked for in that month."""
    pool, at, month_text = value.partition("@")
    pool, month_text = pool.strip(), month_text.strip()
    if not at or not pool or not month_text:
        raise InputError(
            f"--extension {value!r} is not of the form {EXTENSION_FORM}",
            expected=f"{EXTENSION_FORM}, like database@2027-03",
        )
    start = parse_month(as_of)
    last = start + months - 1 if months is not None else None
    within = (
        f"a month from {as_of} to {format_month(last)}"
        if last is not None
        else f"a month from {as_of} on"
    )
    try:
        serial = parse_month(month_text, what="month")
    except InputError as error:
        raise InputError(
            f"--extension {value!r}: {error.message}", expected=f"{EXTENSION_FORM} with {within}"
        ) from None
    if serial < start:
        raise InputError(
            f"--extension {value!r}: month {month_text} is before month 0 of the plan ({as_of})",
            expected=f"{EXTENSION_FORM} with {within}",
        )
    if last is not None and serial > last:
        raise InputError(
            f"--extension {value!r}: month {month_text} is after the horizon ends "
            f"({format_month(last)})",
            expected=f"{EXTENSION_FORM} with {within}, or a longer --months",
        )
    return RequestExtension(
        pool=pool,
        month=serial - start,
        month_label=format_month(serial),
        origin=f"--extension {value}",
    )
