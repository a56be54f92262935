"""What-if scenarios: planned changes read from TOML files and CLI flags, applied to Inputs.

Applying changes is a pure function from Inputs to Inputs: the engine never knows whether it
plans the tenant as it is or as it might be. Changes take effect from a month (an offset from
month 0) and are applied in month order, then in the order written.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import InputError, printable
from planner.limits import MAX_SCENARIO_CHANGES, MAX_TOML_BYTES, read_limited
from planner.model.changes import Change, Scenario
from planner.model.inputs import (
    CAPACITY_TYPES,
    ENVIRONMENT_TYPES,
    FINANCE_OPERATIONS_TYPES,
    NEVER,
    POWER_PLATFORM_STATES,
    Inputs,
    environment_frame,
    license_frame,
)
from planner.model.months import format_month, parse_month
from planner.ruleset import RuleSet

USAGE_KEYS = tuple(f"{t}_gb" for t in CAPACITY_TYPES)
GROWTH_KEYS = tuple(f"{t}_growth_gb_per_month" for t in CAPACITY_TYPES)
MAX_QUANTITY = 10_000_000
MAX_SCENARIO_BYTES = 50 * 2**20
DEFAULT_SANDBOX_TIER = 2  # the tier an add-on sandbox gets when none is named

# File keys per change kind (besides kind, month and note). A scenario file writes
# kind = "add_licenses" and so on; see docs/scenarios.md.
FILE_KEYS: dict[str, tuple[str, ...]] = {
    "add_licenses": ("sku", "quantity"),
    "remove_licenses": ("sku", "quantity"),
    "add_environment": (
        "name",
        "type",
        "tier",
        "license",
        "power_platform",
        "linked_to",
        *USAGE_KEYS,
        *GROWTH_KEYS,
    ),
    "delete_environment": ("name",),
    "link_new_dataverse": ("name",),
    "link_existing_dataverse": ("name", "target"),
    "set_growth": ("environment", "pool", "capacity_type", "gb_per_month"),
    "buy_addon": ("pool", "gb"),
    "switch_rules": ("rules",),
}
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "add_licenses": ("sku", "quantity"),
    "remove_licenses": ("sku", "quantity"),
    "add_environment": ("name", "type"),
    "delete_environment": ("name",),
    "link_new_dataverse": ("name",),
    "link_existing_dataverse": ("name", "target"),
    "set_growth": ("gb_per_month",),
    "buy_addon": ("pool", "gb"),
    "switch_rules": ("rules",),
}


# --------------------------------------------------------------------------------------------
# Reading


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


def change_from_table(
    table: Mapping[str, Any], as_of: str, months: int, file: str, where: str
) -> Change:
    """One ``[[changes]]`` entry of a scenario file as a Change (validated, not yet applied)."""
    kind = table.get("kind")
    if not isinstance(kind, str) or kind not in FILE_KEYS:
        raise InputError(
            f"kind is {kind!r}",
            file=file,
            location=where,
            expected="one of " + ", ".join(FILE_KEYS),
        )
    allowed = {"kind", "month", "note", *FILE_KEYS[kind]}
    for key in table:
        if key not in allowed:
            raise InputError(
                f"unknown key '{key}' for kind {kind}",
                file=file,
                location=where,
                expected="keys " + ", ".join(sorted(allowed)),
            )
    for key in REQUIRED_KEYS[kind]:
        if key not in table:
            raise InputError(
                f"'{key}' is missing for kind {kind}",
                file=file,
                location=where,
                expected=f"{key} = ...",
            )
    month, label = _month_offset(table.get("month"), as_of, months, where, file)
    origin = f"{file}, {where}"

    def text(key: str) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise InputError(
                f"{key} is {value!r}", file=file, location=where, expected="a non-empty string"
            )
        return value.strip()

    def choice(key: str, allowed: Sequence[str]) -> str:
        value = table.get(key)
        value = value.strip() if isinstance(value, str) else value
        if value not in allowed:
            raise InputError(
                f"{key} is {value!r}",
                file=file,
                location=where,
                expected="one of " + ", ".join(allowed),
            )
        return str(value)

    match kind:
        case "add_licenses" | "remove_licenses":
            quantity = int(
                _number(table["quantity"], "quantity", where, file, whole=True, minimum=1)
            )
            sign = 1 if kind == "add_licenses" else -1
            return Change(
                "add_licenses", month, label, text("sku"), {"quantity": sign * quantity}, origin
            )
        case "add_environment":
            details: dict[str, Any] = {"type": choice("type", ENVIRONMENT_TYPES)}
            if "tier" in table:
                details["tier"] = int(
                    _number(table["tier"], "tier", where, file, whole=True, minimum=1)
                )
                if details["tier"] > 5:
                    raise InputError(
                        f"tier is {details['tier']}", file=file, location=where, expected="1 to 5"
                    )
            if "power_platform" in table:
                details["power_platform"] = choice("power_platform", POWER_PLATFORM_STATES)
            if "linked_to" in table:
                details["linked_to"] = text("linked_to")
            if "license" in table:
                if not isinstance(table["license"], bool):
                    raise InputError(
                        f"license is {table['license']!r}",
                        file=file,
                        location=where,
                        expected="true or false",
                    )
                details["license"] = table["license"]
            for key in (*USAGE_KEYS, *GROWTH_KEYS):
                if key in table:
                    details[key] = _number(table[key], key, where, file)
            return Change("add_environment", month, label, text("name"), details, origin)
        case "delete_environment":
            return Change("delete_environment", month, label, text("name"), {}, origin)
        case "link_new_dataverse":
            return Change("link_new", month, label, text("name"), {}, origin)
        case "link_existing_dataverse":
            return Change(
                "link_existing", month, label, text("name"), {"target": text("target")}, origin
            )
        case "set_growth":
            rate = _number(table["gb_per_month"], "gb_per_month", where, file, minimum=None)
            if ("environment" in table) == ("pool" in table):
                raise InputError(
                    "set_growth needs exactly one of environment or pool",
                    file=file,
                    location=where,
                    expected='environment = "NAME" (with capacity_type) or pool = "POOL"',
                )
            if "environment" in table:
                capacity_type = choice("capacity_type", CAPACITY_TYPES)
                if rate < 0:
                    raise InputError(
                        f"gb_per_month is {rate:g}",
                        file=file,
                        location=where,
                        expected="zero or more",
                    )
                return Change(
                    "set_growth",
                    month,
                    label,
                    text("environment"),
                    {"scope": "environment", "capacity_type": capacity_type, "gb_per_month": rate},
                    origin,
                )
            return Change(
                "set_growth",
                month,
                label,
                text("pool"),
                {"scope": "pool", "gb_per_month": rate},
                origin,
            )
        case "switch_rules":
            if month == 0:
                raise InputError(
                    "a rule set switch needs a month after month 0",
                    file=file,
                    location=where,
                    expected='month = "YYYY-MM" after --as-of (for month 0 use --rules)',
                )
            return Change("switch_rules", month, label, text("rules"), {}, origin)
        case _:  # buy_addon
            gb = _number(table["gb"], "gb", where, file)
            if gb <= 0:
                raise InputError(
                    f"gb is {gb:g}", file=file, location=where, expected="a positive amount in GB"
                )
            return Change("buy_addon", month, label, text("pool"), {"gb": gb}, origin)
    raise InputError(f"kind {kind} is not handled", file=file, location=where)


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
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(
            "the scenario file is not UTF-8 text",
            file=file,
            expected="a TOML scenario file (see capplan init)",
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
    for key in data:
        if key not in ("name", "description", "changes"):
            raise InputError(
                f"unknown key '{key}'",
                file=file,
                location="top level",
                expected="name, description and [[changes]]",
            )
    name = data.get("name", Path(path).stem)
    if not isinstance(name, str) or not name.strip():
        raise InputError(
            f"name is {name!r}", file=file, location="name", expected="a non-empty string"
        )
    tables = data.get("changes", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise InputError(
            "changes is not a list of tables",
            file=file,
            location="changes",
            expected="[[changes]] entries",
        )
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
    switches = [c for c in changes if c.kind == "switch_rules"]
    if len(switches) > 1:
        raise InputError(
            "a scenario can switch rule sets only once",
            file=file,
            location=switches[1].origin.partition(", ")[2],
            expected="one switch_rules change",
        )
    return Scenario(
        name.strip(),
        tuple(c for c in changes if c.kind != "switch_rules"),
        str(data.get("description", "")),
        file,
        switches[0] if switches else None,
    )


_PAIR = re.compile(r"^\s*([^=\s][^=]*?)\s*=\s*(\S+)\s*$")


def require_utf8(value: str, what: str) -> None:
    """Command-line text that is not valid UTF-8 (undecodable bytes) cannot be written out."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(
            f"{what} {printable(value)} is not valid UTF-8 text",
            expected="text in UTF-8 (retype or rename it)",
        ) from None


def _split_pair(flag: str, value: str, expected: str) -> tuple[str, str]:
    match = _PAIR.match(value)
    if not match:
        raise InputError(f"{flag} {value!r} is not of the form {expected}", expected=expected)
    return match.group(1), match.group(2)


def _float(flag: str, value: str, text: str, expected: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise InputError(f"{flag} {value!r}: {text!r} is not a number", expected=expected) from None
    if not math.isfinite(number) or abs(number) > MAX_QUANTITY:
        raise InputError(f"{flag} {value!r}: {text!r} is not usable", expected=expected)
    return number


def changes_from_flags(
    as_of: str,
    *,
    add_licenses: Sequence[str] = (),
    add_sandbox: Sequence[str] = (),
    link: Sequence[str] = (),
    buy_addon: Sequence[str] = (),
    growth: Sequence[str] = (),
) -> tuple[Change, ...]:
    """What-if flags as changes from month 0; each flag equals a one-change scenario file."""
    for flag, values in (
        ("--add-licenses", add_licenses),
        ("--add-sandbox", add_sandbox),
        ("--link", link),
        ("--buy-addon", buy_addon),
        ("--growth", growth),
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
        changes.append(
            Change(
                "add_licenses", 0, as_of, sku, {"quantity": int(number)}, f"--add-licenses {value}"
            )
        )
    for value in add_sandbox:
        name, _, tier_text = value.partition(":")
        if not name.strip():
            raise InputError(f"--add-sandbox {value!r} has no name", expected="NAME[:TIER]")
        details: dict[str, Any] = {"type": "addon_sandbox", "power_platform": "initial"}
        if tier_text:
            if tier_text.strip() not in ("1", "2", "3", "4", "5"):
                raise InputError(
                    f"--add-sandbox {value!r}: tier {tier_text!r}",
                    expected="NAME[:TIER] with TIER 1 to 5",
                )
            details["tier"] = int(tier_text)
        changes.append(
            Change("add_environment", 0, as_of, name.strip(), details, f"--add-sandbox {value}")
        )
    for value in link:
        if not value.strip():
            raise InputError("--link needs an environment name", expected="--link NAME")
        changes.append(Change("link_new", 0, as_of, value.strip(), {}, f"--link {value}"))
    for value in buy_addon:
        pool, text = _split_pair("--buy-addon", value, "POOL=GB")
        gb = _float("--buy-addon", value, text, "POOL=GB with GB a positive number")
        if gb <= 0:
            raise InputError(f"--buy-addon {value!r}: {text} GB", expected="a positive amount")
        changes.append(Change("buy_addon", 0, as_of, pool, {"gb": gb}, f"--buy-addon {value}"))
    for value in growth:
        pool, text = _split_pair("--growth", value, "POOL=GB_PER_MONTH")
        rate = _float("--growth", value, text, "POOL=GB_PER_MONTH")
        changes.append(
            Change(
                "set_growth",
                0,
                as_of,
                pool,
                {"scope": "pool", "gb_per_month": rate},
                f"--growth {value}",
            )
        )
    return tuple(changes)


# --------------------------------------------------------------------------------------------
# Applying


def _fail(change: Change, message: str, expected: str | None = None) -> InputError:
    file, _, location = change.origin.partition(", ")
    if not location:
        return InputError(f"{change.origin}: {message}", expected=expected)
    return InputError(message, file=file, location=location, expected=expected)


def _active(environments: pd.DataFrame, name: str, month: int) -> pd.Series:
    return (
        (environments["name"] == name)
        & (environments["start_month"] <= month)
        & (environments["end_month"] > month)
    )


def _split_row(
    environments: pd.DataFrame, mask: pd.Series, month: int, update: Mapping[str, Any]
) -> pd.DataFrame:
    """End the active row at ``month`` and continue it from there with ``update`` applied.

    Measured usage carries on from where its growth has brought it, so nothing jumps.
    """
    index = environments.index[mask][0]
    row = environments.loc[index].to_dict()
    elapsed = month - int(row["start_month"])
    for capacity_type in CAPACITY_TYPES:
        usage = row[f"{capacity_type}_gb"]
        growth = row[f"{capacity_type}_growth_gb_per_month"]
        if not pd.isna(usage) and not pd.isna(growth):
            row[f"{capacity_type}_gb"] = usage + growth * elapsed
    row.update(update)
    row["start_month"] = month
    out = environments.copy()
    if elapsed == 0:
        out = out.drop(index)
    else:
        out.loc[index, "end_month"] = month
    return pd.concat([out, environment_frame([row])], ignore_index=True)


def apply_change(inputs: Inputs, change: Change, ruleset: RuleSet) -> Inputs:
    environments = inputs.environments
    month = change.month
    match change.kind:
        case "add_licenses":
            rule = ruleset.find_license(change.subject)
            sku = rule.sku if rule else change.subject
            quantity = int(change.details["quantity"])
            if quantity < 0:
                held = inputs.licenses
                rows = held[
                    (held["sku"].str.casefold() == sku.casefold()) & (held["start_month"] <= month)
                ]
                holding = int(rows["quantity"].sum())
                if holding + quantity < 0:
                    raise _fail(
                        change,
                        f"cannot remove {-quantity} x {sku}: the tenant holds "
                        f"{holding} in {change.month_label}",
                        expected=f"at most {holding} to remove",
                    )
            return _with_licenses(inputs, sku, quantity, change)
        case "buy_addon":
            addon = ruleset.addons.get(change.subject)
            if addon is None:
                raise _fail(
                    change,
                    f"rule set {ruleset.id} has no add-on for pool '{change.subject}'",
                    expected="one of " + ", ".join(ruleset.addons),
                )
            units = math.ceil(float(change.details["gb"]) / addon.unit.gb - 1e-9)
            return _with_licenses(inputs, addon.sku, units, change)
        case "add_environment":
            if (environments["name"] == change.subject).any():
                raise _fail(
                    change,
                    f"an environment named {change.subject!r} already exists",
                    expected="a new, unique name",
                )
            details = {k: v for k, v in change.details.items() if k != "license"}
            row = {
                "name": change.subject,
                "source": change.origin,
                "location": "what-if",
                "start_month": month,
                **details,
            }
            inputs = inputs.with_tables(
                environments=pd.concat([environments, environment_frame([row])], ignore_index=True)
            )
            if details["type"] == "addon_sandbox" and change.details.get("license", True):
                # An add-on sandbox is bought as a license of its tier, which brings capacity.
                tier = int(details.get("tier", DEFAULT_SANDBOX_TIER))
                inputs = _with_licenses(inputs, _sandbox_sku(ruleset, tier, change), 1, change)
            return inputs
        case "delete_environment":
            mask = _active(environments, change.subject, month)
            if not mask.any():
                raise _fail(
                    change,
                    f"no environment named {change.subject!r} exists in {change.month_label}",
                    expected=_names(environments, month),
                )
            out = environments.copy()
            out.loc[mask, "end_month"] = month
            return inputs.with_tables(environments=out)
        case "link_new" | "link_existing":
            mask = _active(environments, change.subject, month)
            if not mask.any():
                raise _fail(
                    change,
                    f"no environment named {change.subject!r} exists in {change.month_label}",
                    expected=_names(environments, month),
                )
            row = environments[mask].iloc[0]
            if row["type"] not in FINANCE_OPERATIONS_TYPES:
                raise _fail(
                    change,
                    f"{change.subject} is a {row['type']} environment; only "
                    "finance and operations environments are linked",
                    expected="one of the types " + ", ".join(FINANCE_OPERATIONS_TYPES),
                )
            state = (
                row["power_platform"]
                or ruleset.environment_types[row["type"]].default_power_platform
            )
            if state in ("integrated", "linked_existing"):
                raise _fail(
                    change,
                    f"{change.subject} is already linked ({state}); a link "
                    "cannot be undone or made again",
                    expected="an environment whose power_platform is none or initial",
                )
            update: dict[str, Any] = {
                f"{t}_gb": np.nan for t in CAPACITY_TYPES if t.startswith("dataverse_")
            }
            if change.kind == "link_new":
                update.update({"power_platform": "integrated", "linked_to": ""})
            else:
                update.update(
                    {"power_platform": "linked_existing", "linked_to": change.details["target"]}
                )
            return inputs.with_tables(environments=_split_row(environments, mask, month, update))
        case "set_growth":
            if change.details.get("scope") == "pool":
                if change.subject not in ruleset.pool_names:
                    raise _fail(
                        change,
                        f"'{change.subject}' is not a pool of rule set {ruleset.id}",
                        expected="one of " + ", ".join(ruleset.pool_names),
                    )
                row = pd.DataFrame(
                    [
                        {
                            "pool": change.subject,
                            "gb_per_month": float(change.details["gb_per_month"]),
                            "start_month": month,
                            "origin": change.origin,
                            "gb_at_start": 0.0,
                        }
                    ]
                )
                pool_growth = (
                    row
                    if inputs.pool_growth.empty
                    else pd.concat([inputs.pool_growth, row], ignore_index=True)
                )
                return inputs.with_tables(pool_growth=pool_growth)
            mask = _active(environments, change.subject, month)
            if not mask.any():
                raise _fail(
                    change,
                    f"no environment named {change.subject!r} exists in {change.month_label}",
                    expected=_names(environments, month),
                )
            key = f"{change.details['capacity_type']}_growth_gb_per_month"
            return inputs.with_tables(
                environments=_split_row(
                    environments, mask, month, {key: float(change.details["gb_per_month"])}
                )
            )
    raise _fail(change, f"change kind {change.kind} cannot be applied to inputs")


def _with_licenses(inputs: Inputs, sku: str, quantity: int, change: Change) -> Inputs:
    """A license row the change adds (negative quantities remove) from its month on."""
    row = {
        "sku": sku,
        "quantity": quantity,
        "source": change.origin,
        "location": "what-if",
        "start_month": change.month,
    }
    return inputs.with_tables(
        licenses=pd.concat([inputs.licenses, license_frame([row])], ignore_index=True)
    )


def _sandbox_sku(ruleset: RuleSet, tier: int, change: Change) -> str:
    for rule in ruleset.licenses:
        if rule.role == "sandbox_addon" and rule.tier == tier:
            return rule.sku
    raise _fail(
        change,
        f"rule set {ruleset.id} has no sandbox add-on license of tier {tier}",
        expected="a tier the rule set lists, or license = false",
    )


def _names(environments: pd.DataFrame, month: int) -> str:
    active = environments[
        (environments["start_month"] <= month) & (environments["end_month"] > month)
    ]
    names = sorted(set(active["name"].astype(str)))
    shown = ", ".join(names[:12]) + (" ..." if len(names) > 12 else "")
    return f"one of the environments: {shown}" if names else "an environment of the inventory"


def apply_changes(inputs: Inputs, changes: Sequence[Change], ruleset: RuleSet) -> Inputs:
    """Apply changes in month order (stable: same month keeps the written order)."""
    for change in sorted(changes, key=lambda c: c.month):
        inputs = apply_change(inputs, change, ruleset)
    return inputs


def shift_inputs(inputs: Inputs, months: int) -> Inputs:
    """The inputs as seen from ``months`` later: that month becomes month 0.

    Rows that ended before are dropped; rows running at the new month 0 carry the usage their
    growth has brought them to, so the timeline continues without a jump.
    """
    if months <= 0:
        return inputs
    licenses = inputs.licenses.copy()
    licenses["start_month"] = (licenses["start_month"] - months).clip(lower=0)
    environments = inputs.environments[inputs.environments["end_month"] > months].copy()
    elapsed = (months - environments["start_month"]).clip(lower=0)
    for capacity_type in CAPACITY_TYPES:
        usage = f"{capacity_type}_gb"
        growth = environments[f"{capacity_type}_growth_gb_per_month"].fillna(0.0)
        environments[usage] = environments[usage] + growth * elapsed
    environments["start_month"] = (environments["start_month"] - months).clip(lower=0)
    never = environments["end_month"] >= NEVER
    environments["end_month"] = environments["end_month"].where(
        never, environments["end_month"] - months
    )
    pool_growth = inputs.pool_growth.copy()
    if len(pool_growth):
        gone = (months - pool_growth["start_month"]).clip(lower=0)
        pool_growth["gb_at_start"] = (
            pool_growth["gb_at_start"].fillna(0.0) + gone * pool_growth["gb_per_month"]
        )
        pool_growth["start_month"] = (pool_growth["start_month"] - months).clip(lower=0)
    return inputs.with_tables(
        licenses=licenses, environments=environments.reset_index(drop=True), pool_growth=pool_growth
    )
