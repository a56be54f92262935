"""Reading rule sets: a TOML rules file into the frozen dataclasses of planner.ruleset.model.

No number of Microsoft's lives in Python code: every amount is read from a rules file, with its
unit, source and confidence. A malformed file raises ``RulesError`` that names the file, the line
and the entry, and says what was expected.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from planner.errors import InputError, RulesError
from planner.model.inputs import CAPACITY_TYPES, ENVIRONMENT_TYPES, POWER_PLATFORM_STATES
from planner.model.limits import MAX_TOML_BYTES, read_limited
from planner.model.months import format_month, parse_month
from planner.model.units import parse_amount
from planner.resources import bundled_dir
from planner.ruleset.model import (
    COMBINE_MODES,
    CONFIDENCES,
    ESTIMATE_PROFILES,
    POWER_PLATFORM_SKUS,
    ROLES,
    TIER_PROFILES,
    Addon,
    Amount,
    Borrowing,
    Consumption,
    EnvironmentType,
    Family,
    License,
    Overage,
    Pool,
    Ratio,
    RuleSet,
    Source,
    Thresholds,
    effective_versions,
    license_indexes,
)


class _Reader:
    """Walks the parsed TOML with a path, so every error can name its entry and line."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def fail(self, where: tuple[Any, ...], message: str, expected: str | None = None) -> RulesError:
        entry = _entry_name(where)
        line = _find_line(self.lines, where)
        location = f"line {line}, {entry}" if line else entry
        return RulesError(message, file=self.path, location=location, expected=expected)

    def get(
        self,
        table: Mapping[str, Any],
        key: str,
        where: tuple[Any, ...],
        kind: type | tuple[type, ...],
        *,
        required: bool = True,
        default: Any = None,
        expected: str | None = None,
    ) -> Any:
        if key not in table:
            if required:
                raise self.fail(where, f"'{key}' is missing", expected or f"a '{key}' entry")
            return default
        value = table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.fail(
                (*where, key),
                f"'{key}' is {type(value).__name__} {value!r}",
                expected or f"a {getattr(kind, '__name__', kind)}",
            )
        return value

    def unknown_keys(
        self, table: Mapping[str, Any], allowed: Iterable[str], where: tuple[Any, ...]
    ) -> None:
        allowed = set(allowed)
        for key in table:
            if key not in allowed:
                raise self.fail(
                    (*where, key),
                    f"unknown key '{key}'",
                    "one of " + ", ".join(sorted(allowed)),
                )


def _entry_name(where: tuple[Any, ...]) -> str:
    text = ""
    for part in where:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(top level)"


def _find_line(lines: list[str], where: tuple[Any, ...]) -> int | None:
    """Best-effort line number of an entry (tomllib does not keep positions)."""
    position = 0
    table_path: list[str] = []
    for index, part in enumerate(where):
        if isinstance(part, int):
            header = "[[" + ".".join(table_path) + "]]"
            seen = -1
            for number, line in enumerate(lines):
                if line.strip() == header:
                    seen += 1
                    if seen == part:
                        position = number
                        break
            continue
        table_path.append(str(part))
        key = re.escape(str(part))
        pattern = re.compile(rf'(^\s*|[{{,.\[]\s*)"?{key}"?\s*(=|\]|\.)')
        for number in range(position, len(lines)):
            if pattern.search(lines[number]):
                position = number
                break
        else:
            return position + 1 if index else None
    return position + 1


def _amount(
    reader: _Reader,
    raw: Any,
    where: tuple[Any, ...],
    rule: str,
    sources: Mapping[str, Source],
    inherited: Mapping[str, Any],
) -> Amount:
    """An amount is "10 GB" (source and confidence from the entry around it) or a table."""
    if isinstance(raw, str):
        table: Mapping[str, Any] = {"amount": raw}
    elif isinstance(raw, dict):
        table = raw
        reader.unknown_keys(table, ("amount", "source", "confidence", "note"), where)
    else:
        raise reader.fail(where, f"amount is {raw!r}", 'a string like "10 GB" or a table')
    text = reader.get(table, "amount", where, str, expected='an amount like "10 GB"')
    try:
        gb = parse_amount(text)
    except ValueError as exc:
        raise reader.fail(where, str(exc), 'an amount like "500 MB" or "10 GB"') from None
    source_id = table.get("source", inherited.get("source"))
    confidence = table.get("confidence", inherited.get("confidence"))
    note = table.get("note", inherited.get("note", ""))
    if source_id is None:
        raise reader.fail(where, "the amount has no source", "source = an id from [sources]")
    if source_id not in sources:
        raise reader.fail(
            where, f"source '{source_id}' is not defined", "one of " + ", ".join(sorted(sources))
        )
    if confidence not in CONFIDENCES:
        raise reader.fail(
            where, f"confidence is {confidence!r}", "one of " + ", ".join(CONFIDENCES)
        )
    if confidence == "documented" and not sources[source_id].url:
        raise reader.fail(
            where,
            f"a documented amount cites source '{source_id}', which has no URL",
            "a source with the URL of the document that states the number, "
            "or confidence secondary or assumed",
        )
    return Amount(
        gb=gb,
        text=text,
        source=sources[source_id],
        confidence=confidence,
        rule=rule,
        note=str(note),
    )


def _amounts(
    reader: _Reader,
    raw: Any,
    where: tuple[Any, ...],
    rule: str,
    sources: Mapping[str, Source],
    inherited: Mapping[str, Any],
    allowed_keys: Iterable[str],
    what: str,
) -> dict[str, Amount]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise reader.fail(where, f"{what} is {raw!r}", "a table of amounts")
    allowed = tuple(allowed_keys)
    out: dict[str, Amount] = {}
    for key, value in raw.items():
        if key not in allowed:
            raise reader.fail(
                (*where, key), f"'{key}' is not a {what} key", "one of " + ", ".join(allowed)
            )
        out[key] = _amount(reader, value, (*where, key), f"{rule}.{key}", sources, inherited)
    return out


def _overage_figure(
    reader: _Reader, raw: dict[str, Any], key: str, sources: Mapping[str, Source]
) -> Ratio:
    where = ("overage", key)
    entry = reader.get(raw, key, ("overage",), dict)
    value = reader.get(entry, "value", where, float)
    fraction = key in ("extension_above", "extension_share")
    if fraction and not 0.0 < value <= 1.0:
        raise reader.fail(where, f"value {value}", "a fraction from 0 to 1, like 0.25")
    if not fraction and (value != int(value) or not 1 <= value <= 3650):
        raise reader.fail(where, f"value {value}", "a whole number from 1 to 3650")
    source_id = reader.get(entry, "source", where, str)
    if source_id not in sources:
        raise reader.fail(where, f"source '{source_id}' is not defined")
    return Ratio(
        value, sources[source_id], reader.get(entry, "confidence", where, str), f"overage.{key}"
    )


def load_ruleset_text(text: str, path: str) -> RuleSet:
    """Parse and validate one rules file's text; ``path`` is only used in messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"not valid TOML: {exc}", file=path) from None
    except RecursionError:
        raise RulesError(
            "not valid TOML: arrays or tables are nested too deeply", file=path
        ) from None
    reader = _Reader(path, text)
    top = ()
    reader.unknown_keys(
        data,
        (
            "id",
            "title",
            "effective_from",
            "defaults_combine",
            "description",
            "sources",
            "pools",
            "borrowing",
            "thresholds",
            "overage",
            "consumption",
            "environment_types",
            "families",
            "licenses",
            "catalogue",
            "addons",
        ),
        top,
    )
    ruleset_id = reader.get(data, "id", top, str)
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", ruleset_id):
        raise reader.fail(("id",), f"id {ruleset_id!r}", "lower-case letters, digits, '-', '.'")
    effective_from = reader.get(data, "effective_from", top, str, expected="YYYY-MM")
    try:
        effective_from = format_month(parse_month(effective_from, what="effective_from"))
    except InputError as exc:
        raise reader.fail(("effective_from",), exc.message, "YYYY-MM") from None
    combine = reader.get(data, "defaults_combine", top, str)
    if combine not in COMBINE_MODES:
        raise reader.fail(("defaults_combine",), f"'{combine}'", "max or sum")

    sources: dict[str, Source] = {}
    for key, value in reader.get(data, "sources", top, dict).items():
        where = ("sources", key)
        if not isinstance(value, dict):
            raise reader.fail(where, f"source {key!r} is not a table", "title and url")
        reader.unknown_keys(value, ("title", "url", "edition", "page"), where)
        sources[key] = Source(
            id=key,
            title=reader.get(value, "title", where, str),
            url=reader.get(value, "url", where, str),
            edition=reader.get(value, "edition", where, str, required=False, default=""),
            page=str(reader.get(value, "page", where, (str, int), required=False, default="")),
        )

    pools: list[Pool] = []
    drawn: dict[str, str] = {}
    for index, value in enumerate(reader.get(data, "pools", top, list)):
        where = ("pools", index)
        reader.unknown_keys(value, ("name", "title", "draws_on"), where)
        name = reader.get(value, "name", where, str)
        draws_on = tuple(reader.get(value, "draws_on", where, list))
        for capacity_type in draws_on:
            if capacity_type not in CAPACITY_TYPES:
                raise reader.fail(
                    (*where, "draws_on"),
                    f"'{capacity_type}' is not a capacity type",
                    "one of " + ", ".join(CAPACITY_TYPES),
                )
            if capacity_type in drawn:
                raise reader.fail(
                    (*where, "draws_on"),
                    f"'{capacity_type}' is drawn on by pools '{drawn[capacity_type]}' and '{name}'",
                    "each capacity type in exactly one pool",
                )
            drawn[capacity_type] = name
        pools.append(
            Pool(name=name, title=reader.get(value, "title", where, str), draws_on=draws_on)
        )
    missing = [t for t in CAPACITY_TYPES if t not in drawn]
    if missing:
        raise reader.fail(
            ("pools",),
            "capacity types " + ", ".join(missing) + " are in no pool",
            "every capacity type drawn on by one pool",
        )
    pool_names = tuple(p.name for p in pools)

    borrowing: list[Borrowing] = []
    for index, value in enumerate(
        reader.get(data, "borrowing", top, list, required=False, default=[])
    ):
        where = ("borrowing", index)
        reader.unknown_keys(value, ("lender", "borrower", "source", "confidence"), where)
        lender = reader.get(value, "lender", where, str)
        borrower = reader.get(value, "borrower", where, str)
        for role_name, pool in (("lender", lender), ("borrower", borrower)):
            if pool not in pool_names:
                raise reader.fail(
                    (*where, role_name), f"'{pool}' is not a pool", ", ".join(pool_names)
                )
        source_id = reader.get(value, "source", where, str)
        if source_id not in sources:
            raise reader.fail((*where, "source"), f"source '{source_id}' is not defined")
        borrowing.append(
            Borrowing(
                lender, borrower, sources[source_id], reader.get(value, "confidence", where, str)
            )
        )

    thresholds_raw = reader.get(data, "thresholds", top, dict)
    where = ("thresholds",)
    reader.unknown_keys(
        thresholds_raw, ("warning_remaining", "critical_remaining", "provisioning_minimum"), where
    )

    def ratio(key: str) -> Ratio:
        raw = reader.get(thresholds_raw, key, where, dict)
        value = reader.get(raw, "value", (*where, key), float)
        if not 0.0 <= value < 1.0:
            raise reader.fail((*where, key), f"value {value}", "a fraction from 0 to 1, like 0.15")
        source_id = reader.get(raw, "source", (*where, key), str)
        if source_id not in sources:
            raise reader.fail((*where, key), f"source '{source_id}' is not defined")
        return Ratio(
            value,
            sources[source_id],
            reader.get(raw, "confidence", (*where, key), str),
            f"thresholds.{key}",
        )

    thresholds = Thresholds(
        warning_remaining=ratio("warning_remaining"),
        critical_remaining=ratio("critical_remaining"),
        provisioning_minimum=_amount(
            reader,
            reader.get(thresholds_raw, "provisioning_minimum", where, dict),
            (*where, "provisioning_minimum"),
            "thresholds.provisioning_minimum",
            sources,
            {},
        ),
    )

    overage_raw = reader.get(data, "overage", top, dict, required=False, default=None)
    where = ("overage",)
    overage_keys = (
        "stage_2_after_days",
        "stage_3_after_days",
        "extension_above",
        "extension_share",
        "extension_days",
        "extension_max",
        "extension_window_days",
    )
    overage: Overage | None = None
    if overage_raw is not None:
        reader.unknown_keys(overage_raw, overage_keys, where)
        overage = Overage(
            **{key: _overage_figure(reader, overage_raw, key, sources) for key in overage_keys}
        )
        if overage.stage_3_after_days.value <= overage.stage_2_after_days.value:
            raise reader.fail(
                (*where, "stage_3_after_days"),
                f"value {overage.stage_3_after_days.value:g}",
                "more days than stage_2_after_days",
            )

    consumption_raw = reader.get(data, "consumption", top, dict)
    where = ("consumption",)
    reader.unknown_keys(
        consumption_raw,
        (
            "counted_power_platform_skus",
            "no_dataverse_profiles",
            "minimum",
            "default_included",
            "estimates",
        ),
        where,
    )
    counted = reader.get(consumption_raw, "counted_power_platform_skus", where, list)
    for sku in counted:
        if sku not in POWER_PLATFORM_SKUS:
            raise reader.fail(
                (*where, "counted_power_platform_skus"),
                f"'{sku}'",
                "one of " + ", ".join(POWER_PLATFORM_SKUS),
            )
    minimum_raw = dict(reader.get(consumption_raw, "minimum", where, dict))
    minimum_type = minimum_raw.pop("capacity_type", None)
    if minimum_type not in CAPACITY_TYPES:
        raise reader.fail(
            (*where, "minimum"),
            f"capacity_type {minimum_type!r}",
            "one of " + ", ".join(CAPACITY_TYPES),
        )
    estimates_raw = reader.get(consumption_raw, "estimates", where, dict)
    estimates: dict[str, dict[str, Amount]] = {}
    for profile in ESTIMATE_PROFILES:
        if profile not in estimates_raw:
            raise reader.fail(
                (*where, "estimates"),
                f"estimate profile '{profile}' is missing",
                "profiles " + ", ".join(ESTIMATE_PROFILES) + " (a profile may be empty)",
            )
    for profile, raw in estimates_raw.items():
        if profile not in ESTIMATE_PROFILES and profile not in TIER_PROFILES:
            raise reader.fail(
                (*where, "estimates", profile),
                f"unknown estimate profile '{profile}'",
                "one of " + ", ".join((*ESTIMATE_PROFILES, *TIER_PROFILES)),
            )
        estimates[profile] = _amounts(
            reader,
            raw,
            (*where, "estimates", profile),
            f"consumption.estimates.{profile}",
            sources,
            {},
            CAPACITY_TYPES,
            "capacity type",
        )
    no_dataverse = reader.get(
        consumption_raw, "no_dataverse_profiles", where, list, required=False, default=[]
    )
    for profile in no_dataverse:
        if profile not in ESTIMATE_PROFILES:
            raise reader.fail(
                (*where, "no_dataverse_profiles"),
                f"unknown estimate profile '{profile}'",
                "one of " + ", ".join(ESTIMATE_PROFILES),
            )
    consumption = Consumption(
        counted_power_platform_skus=frozenset(counted),
        no_dataverse_profiles=frozenset(no_dataverse),
        minimum_capacity_type=minimum_type,
        minimum=_amount(
            reader, minimum_raw, (*where, "minimum"), "consumption.minimum", sources, {}
        ),
        default_included=_amounts(
            reader,
            reader.get(consumption_raw, "default_included", where, dict),
            (*where, "default_included"),
            "consumption.default_included",
            sources,
            {},
            CAPACITY_TYPES,
            "capacity type",
        ),
        estimates=estimates,
    )

    environment_types: dict[str, EnvironmentType] = {}
    types_raw = reader.get(data, "environment_types", top, dict)
    for name in ENVIRONMENT_TYPES:
        if name not in types_raw:
            raise reader.fail(
                ("environment_types",),
                f"environment type '{name}' is missing",
                "every inventory type: " + ", ".join(ENVIRONMENT_TYPES),
            )
    for name, raw in types_raw.items():
        where = ("environment_types", name)
        if name not in ENVIRONMENT_TYPES:
            raise reader.fail(
                where, f"unknown environment type '{name}'", ", ".join(ENVIRONMENT_TYPES)
            )
        reader.unknown_keys(
            raw,
            ("power_platform_sku", "default_power_platform", "lcs_managed", "operations_capacity"),
            where,
        )
        sku = reader.get(raw, "power_platform_sku", where, str)
        if sku not in POWER_PLATFORM_SKUS:
            raise reader.fail(
                (*where, "power_platform_sku"), f"'{sku}'", ", ".join(POWER_PLATFORM_SKUS)
            )
        default_state = reader.get(
            raw, "default_power_platform", where, str, required=False, default="none"
        )
        if default_state not in POWER_PLATFORM_STATES:
            raise reader.fail(
                (*where, "default_power_platform"),
                f"'{default_state}'",
                ", ".join(POWER_PLATFORM_STATES),
            )
        environment_types[name] = EnvironmentType(
            name=name,
            power_platform_sku=sku,
            default_power_platform=default_state,
            lcs_managed=reader.get(raw, "lcs_managed", where, bool, required=False, default=False),
            operations_capacity=reader.get(
                raw, "operations_capacity", where, bool, required=False, default=False
            ),
        )

    families: dict[str, Family] = {}
    for name, raw in reader.get(data, "families", top, dict).items():
        where = ("families", name)
        reader.unknown_keys(
            raw,
            (
                "title",
                "tenant_default",
                "source",
                "confidence",
                "note",
                "minimum_base_licenses",
                "included_sandboxes",
            ),
            where,
        )
        inherited = {k: raw[k] for k in ("source", "confidence", "note") if k in raw}
        families[name] = Family(
            name=name,
            title=reader.get(raw, "title", where, str),
            tenant_default=_amounts(
                reader,
                raw.get("tenant_default"),
                (*where, "tenant_default"),
                f"families.{name}.tenant_default",
                sources,
                inherited,
                pool_names,
                "pool",
            ),
            minimum_base_licenses=reader.get(
                raw, "minimum_base_licenses", where, int, required=False
            ),
            included_sandboxes=reader.get(raw, "included_sandboxes", where, int, required=False),
            note=str(raw.get("note", "")),
        )

    licenses: list[License] = []
    versions_of: dict[str, set[str]] = {}
    for index, raw in enumerate(reader.get(data, "licenses", top, list)):
        where = ("licenses", index)
        reader.unknown_keys(
            raw,
            (
                "sku",
                "guid",
                "names",
                "role",
                "family",
                "tier",
                "per_license",
                "per_base_user",
                "tenant_default",
                "per_user_of",
                "minimum_base_licenses",
                "effective_from",
                "source",
                "confidence",
                "note",
            ),
            where,
        )
        sku = reader.get(raw, "sku", where, str).strip()
        role = reader.get(raw, "role", where, str)
        if role not in ROLES:
            raise reader.fail(
                (*where, "role"), f"role '{role}' of {sku}", "one of " + ", ".join(ROLES)
            )
        family = reader.get(raw, "family", where, str)
        if family not in families:
            raise reader.fail(
                (*where, "family"),
                f"family '{family}' of {sku} is not defined",
                "one of " + ", ".join(sorted(families)),
            )
        inherited = {k: raw[k] for k in ("source", "confidence", "note") if k in raw}
        dated = reader.get(raw, "effective_from", where, str, required=False, default="")
        if dated:
            try:
                dated = format_month(parse_month(dated, what="effective_from"))
            except InputError as exc:
                raise reader.fail((*where, "effective_from"), exc.message, "YYYY-MM") from None
        rule = f"licenses[{sku}]" + (f"@{dated}" if dated else "")
        tier = reader.get(raw, "tier", where, int, required=False)
        per_user_of = reader.get(raw, "per_user_of", where, list, required=False, default=[])
        if not all(isinstance(v, str) and v.strip() for v in per_user_of):
            raise reader.fail((*where, "per_user_of"), f"{per_user_of!r}", "a list of part numbers")
        if tier is not None and not 1 <= tier <= 5:
            raise reader.fail((*where, "tier"), f"tier {tier}", "1 to 5")
        license_rule = License(
            sku=sku,
            guid=reader.get(raw, "guid", where, str, required=False, default="").strip().lower(),
            names=tuple(reader.get(raw, "names", where, list, required=False, default=[])),
            role=role,
            family=family,
            tier=tier,
            per_license=_amounts(
                reader,
                raw.get("per_license"),
                (*where, "per_license"),
                f"{rule}.per_license",
                sources,
                inherited,
                pool_names,
                "pool",
            ),
            per_base_user=_amounts(
                reader,
                raw.get("per_base_user"),
                (*where, "per_base_user"),
                f"{rule}.per_base_user",
                sources,
                inherited,
                pool_names,
                "pool",
            ),
            note=str(raw.get("note", "")),
            tenant_default=_amounts(
                reader,
                raw.get("tenant_default"),
                (*where, "tenant_default"),
                f"{rule}.tenant_default",
                sources,
                inherited,
                pool_names,
                "pool",
            ),
            per_user_of=tuple(v.strip() for v in per_user_of),
            minimum_base_licenses=reader.get(
                raw, "minimum_base_licenses", where, int, required=False
            ),
            effective_from=dated,
        )
        if license_rule.tenant_default and role != "base":
            raise reader.fail(
                (*where, "tenant_default"),
                f"{role} license {sku} has a tenant default",
                "tenant_default only on base licenses (editions of a family)",
            )
        if dated and parse_month(dated) <= parse_month(effective_from):
            raise reader.fail(
                (*where, "effective_from"),
                f"{sku} version from {dated} does not start after the rule set ({effective_from})",
                f"a month after {effective_from}, or no effective_from",
            )
        if role in ("attach", "team_member") and license_rule.per_license:
            raise reader.fail(
                (*where, "per_license"),
                f"{role} license {sku} accrues capacity",
                f"no per_license amounts for role {role}",
            )
        seen = versions_of.setdefault(sku.casefold(), set())
        if dated in seen:
            raise reader.fail(
                (*where, "sku"),
                f"SKU {sku} is listed twice" + (f" from {dated}" if dated else ""),
                "each SKU once, or once per effective_from month",
            )
        seen.add(dated)
        licenses.append(license_rule)
    for index, license_rule in enumerate(licenses):
        for other in license_rule.per_user_of:
            if other.casefold() not in versions_of:
                raise reader.fail(
                    ("licenses", index, "per_user_of"),
                    f"per_user_of names {other}, which the rule set does not list",
                    "part numbers of licenses in this rule set",
                )

    if "catalogue" in data:
        raise reader.fail(
            ("catalogue",),
            "[catalogue] relevant_patterns are no longer used: which SKUs carry capacity comes "
            "from the SKU catalog (capplan rules skus)",
            "no [catalogue] table; list a SKU the catalog does not know under [[licenses]]",
        )

    addons: dict[str, Addon] = {}
    for pool, raw in reader.get(data, "addons", top, dict).items():
        where = ("addons", pool)
        if pool not in pool_names:
            raise reader.fail(where, f"'{pool}' is not a pool", ", ".join(pool_names))
        reader.unknown_keys(
            raw, ("sku", "unit", "price_usd_per_month", "source", "confidence", "note"), where
        )
        inherited = {k: raw[k] for k in ("source", "confidence", "note") if k in raw}
        unit = _amount(
            reader, raw.get("unit"), (*where, "unit"), f"addons.{pool}.unit", sources, inherited
        )
        if unit.gb <= 0:
            raise reader.fail((*where, "unit"), f"unit {unit.text}", "a positive amount")
        price = reader.get(raw, "price_usd_per_month", where, float, required=False)
        if price is not None and price < 0:
            raise reader.fail((*where, "price_usd_per_month"), f"price {price}", "zero or more")
        addons[pool] = Addon(
            pool=pool,
            sku=reader.get(raw, "sku", where, str),
            unit=unit,
            price_usd_per_month=price,
            note=str(raw.get("note", "")),
        )

    current = effective_versions(licenses, None)
    by_sku, by_guid = license_indexes(current)
    return RuleSet(
        id=ruleset_id,
        title=reader.get(data, "title", top, str),
        effective_from=effective_from,
        defaults_combine=combine,
        description=str(data.get("description", "")).strip(),
        path=path,
        sources=sources,
        pools=tuple(pools),
        borrowing=tuple(borrowing),
        thresholds=thresholds,
        overage=overage,
        consumption=consumption,
        environment_types=environment_types,
        families=families,
        licenses=current,
        license_versions=tuple(licenses),
        addons=addons,
        _by_sku=by_sku,
        _by_guid=by_guid,
    )


def load_ruleset_file(path: str | Path) -> RuleSet:
    data = read_limited(path, MAX_TOML_BYTES, "rules file", _RULES_EXPECTED)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            "the rules file is not UTF-8 text",
            file=str(path),
            location=f"line {line}",
            expected=_RULES_EXPECTED,
        ) from None
    return load_ruleset_text(text, str(path))


_RULES_EXPECTED = "a TOML rules file (see docs/rules.md)"


def ruleset_file(choice: str | None) -> Path | None:
    """The file ``--rules`` (or a scenario's switch_rules) names, or None for a bundled id."""
    if not choice or choice in {r.id for r in bundled_rulesets()}:
        return None
    return Path(choice)


@lru_cache(maxsize=1)
def bundled_rulesets() -> tuple[RuleSet, ...]:
    """The rule sets that ship with capplan, oldest first."""
    folder = bundled_dir("rules")
    found = [load_ruleset_file(p) for p in sorted(folder.glob("*.toml"))]
    return tuple(sorted(found, key=lambda r: (parse_month(r.effective_from), r.id)))


def resolve_ruleset(choice: str | None, as_of: str) -> RuleSet:
    """``--rules ID|PATH``, or the newest bundled rule set effective at ``as_of``; either way
    with the license versions in effect at ``as_of``."""
    month = parse_month(as_of, what="--as-of")
    return _choose_ruleset(choice, as_of, month).at(format_month(month))


def _choose_ruleset(choice: str | None, as_of: str, month: int) -> RuleSet:
    available = bundled_rulesets()
    if choice:
        by_id = {r.id: r for r in available}
        if choice in by_id:
            return by_id[choice]
        candidate = Path(choice)
        if candidate.suffix.lower() == ".toml" or candidate.exists():
            return load_ruleset_file(candidate)
        raise InputError(
            f"--rules {choice!r} is neither a bundled rule set nor a file",
            expected="one of " + ", ".join(by_id) + ", or the path of a .toml rules file",
        )
    effective = [r for r in available if parse_month(r.effective_from) <= month]
    if not effective:
        oldest = available[0]
        raise InputError(
            f"no bundled rule set is effective at {as_of}"
            f" (the oldest starts {oldest.effective_from})",
            expected=f"--as-of {oldest.effective_from} or later, or --rules {oldest.id}",
        )
    return effective[-1]
