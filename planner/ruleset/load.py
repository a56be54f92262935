"""Reading rule sets: a TOML rules file into the frozen dataclasses of planner.ruleset.model.

No number of Microsoft's lives in Python code: every amount is read from a rules file, with its
unit, source and confidence. A malformed file raises ``RulesError`` that names the file, the line
and the entry, and says what was expected.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import msgspec

from planner.errors import InputError, RulesError, printable
from planner.model.inputs import CAPACITY_TYPES, ENVIRONMENT_TYPES, POWER_PLATFORM_STATES
from planner.model.limits import MAX_TOML_BYTES, parse_toml, read_limited
from planner.model.months import format_month, parse_month
from planner.model.structs import Mismatch, convert
from planner.model.toml_numbers import UnusualNumber
from planner.model.units import parse_amount
from planner.resources import bundled_dir
from planner.ruleset.compiled import compiled_part
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
from planner.ruleset.schema import AmountTable, Figure, OverageTable, RulesFile


class _Reader:
    """Says what is wrong in a rules file with the entry's path and, where found, its line."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def fail(self, where: tuple[Any, ...], message: str, expected: str | None = None) -> RulesError:
        entry = _entry_name(where)
        line = _find_line(self.lines, where)
        location = f"line {line}, {entry}" if line else entry
        return RulesError(message, file=self.path, location=location, expected=expected)

    def mismatch(self, error: Mismatch) -> RulesError:
        """A key or value that does not fit the shape of a rules file (planner.ruleset.schema)."""
        if error.problem == "unknown_key":
            return self.fail(
                error.path,
                f"unknown key '{error.key}'",
                "one of " + ", ".join(sorted(error.allowed)),
            )
        if error.problem == "missing_key":
            expected = f"'{error.key}' as {error.expected}"
            return self.fail(error.path, f"'{error.key}' is missing", expected)
        found = error.found
        last = error.path[-1] if error.path else None
        what = f"'{last}'" if isinstance(last, str) else "the value"
        return self.fail(
            error.path, f"{what} is {_kind(found)} {printable(repr(found), 100)}", error.expected
        )


def _kind(value: Any) -> str:
    """A TOML value's kind in the file's own words."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"  # a date or time


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
    raw: str | AmountTable,
    where: tuple[Any, ...],
    rule: str,
    sources: Mapping[str, Source],
    inherited: Mapping[str, str],
) -> Amount:
    """An amount is "10 GB" (source and confidence from the entry around it) or a table."""
    table = AmountTable(amount=raw) if isinstance(raw, str) else raw
    text = table.amount
    try:
        gb = parse_amount(text)
    except ValueError as exc:
        raise reader.fail(where, str(exc), 'an amount like "500 MB" or "10 GB"') from None
    source_id = table.source if table.source is not None else inherited.get("source")
    confidence = table.confidence if table.confidence is not None else inherited.get("confidence")
    note = table.note if table.note is not None else inherited.get("note", "")
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
        note=note,
    )


def _amounts(
    reader: _Reader,
    raw: Mapping[str, str | AmountTable] | None,
    where: tuple[Any, ...],
    rule: str,
    sources: Mapping[str, Source],
    inherited: Mapping[str, str],
    allowed_keys: Iterable[str],
    what: str,
) -> dict[str, Amount]:
    if raw is None:
        return {}
    allowed = tuple(allowed_keys)
    out: dict[str, Amount] = {}
    for key, value in raw.items():
        if key not in allowed:
            raise reader.fail(
                (*where, key), f"'{key}' is not a {what} key", "one of " + ", ".join(allowed)
            )
        out[key] = _amount(reader, value, (*where, key), f"{rule}.{key}", sources, inherited)
    return out


def _figure(
    reader: _Reader, figure: Figure, where: tuple[Any, ...], sources: Mapping[str, Source]
) -> Ratio:
    """A share or a count of days, with its source."""
    if figure.source not in sources:
        raise reader.fail(where, f"source '{figure.source}' is not defined")
    return Ratio(figure.value, sources[figure.source], figure.confidence, ".".join(where))


def _overage_figure(
    reader: _Reader, overage: OverageTable, key: str, sources: Mapping[str, Source]
) -> Ratio:
    where = ("overage", key)
    figure: Figure = getattr(overage, key)
    value = figure.value
    fraction = key in ("extension_above", "extension_share")
    if fraction and not 0.0 < value <= 1.0:
        raise reader.fail(where, f"value {value}", "a fraction from 0 to 1, like 0.25")
    if not fraction and (value != int(value) or not 1 <= value <= 3650):
        raise reader.fail(where, f"value {value}", "a whole number from 1 to 3650")
    return _figure(reader, figure, where, sources)


def _month(reader: _Reader, text: str, where: tuple[Any, ...]) -> str:
    try:
        return format_month(parse_month(text, what="effective_from"))
    except InputError as exc:
        raise reader.fail(where, exc.message, "YYYY-MM") from None


# Characters no rules file needs and a terminal acts on: C0 controls but tab and line breaks,
# DEL, C1 controls, bidi controls and the line and paragraph separators.
_CONTROL_TEXT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]"
)
# Titles and names are shown in tables and CI summaries as they are: one line, no markup.
_NAME_KEYS = frozenset({"title", "names", "id", "name"})
_MARKUP = re.compile(r"[\n\r\t<>\[\]`]")


def _check_text(reader: _Reader, value: Any, where: tuple[Any, ...]) -> None:
    """Refuse text a terminal would act on anywhere in the file, and line breaks or markup in
    a title or name."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_text(reader, item, (*where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text(reader, item, (*where, index))
    elif isinstance(value, str):
        found = _CONTROL_TEXT.search(value)
        key = next((part for part in reversed(where) if isinstance(part, str)), "")
        if found is None and key in _NAME_KEYS:
            found = _MARKUP.search(value)
        if found is not None:
            character = printable(found.group())
            raise reader.fail(
                where,
                f"the text holds the character {character} (U+{ord(found.group()):04X})",
                "plain text; titles and names on one line without <, >, [, ] or `",
            )


def load_ruleset_text(text: str, path: str) -> RuleSet:
    """Parse and validate one rules file's text; ``path`` is only used in messages."""
    try:
        data = parse_toml(text)
    except UnusualNumber as error:  # valid TOML, but not how a person writes a number
        raise RulesError(
            error.problem, file=path, location=error.where, expected=error.expected
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"not valid TOML: {exc}", file=path) from None
    except RecursionError:
        raise RulesError(
            "not valid TOML: arrays or tables are nested too deeply", file=path
        ) from None
    reader = _Reader(path, text)
    _check_text(reader, data, ())
    try:
        doc = convert(data, RulesFile)
    except Mismatch as error:
        raise reader.mismatch(error) from None

    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", doc.id):
        raise reader.fail(("id",), f"id {doc.id!r}", "lower-case letters, digits, '-', '.'")
    effective_from = _month(reader, doc.effective_from, ("effective_from",))
    if doc.defaults_combine not in COMBINE_MODES:
        raise reader.fail(("defaults_combine",), f"'{doc.defaults_combine}'", "max or sum")

    sources = {
        key: Source(
            id=key, title=value.title, url=value.url, edition=value.edition, page=str(value.page)
        )
        for key, value in doc.sources.items()
    }

    pools: list[Pool] = []
    drawn: dict[str, str] = {}
    for index, pool in enumerate(doc.pools):
        where: tuple[Any, ...] = ("pools", index)
        for capacity_type in pool.draws_on:
            if capacity_type not in CAPACITY_TYPES:
                raise reader.fail(
                    (*where, "draws_on"),
                    f"'{capacity_type}' is not a capacity type",
                    "one of " + ", ".join(CAPACITY_TYPES),
                )
            if capacity_type in drawn:
                raise reader.fail(
                    (*where, "draws_on"),
                    f"'{capacity_type}' is drawn on by pools '{drawn[capacity_type]}' and "
                    f"'{pool.name}'",
                    "each capacity type in exactly one pool",
                )
            drawn[capacity_type] = pool.name
        pools.append(Pool(name=pool.name, title=pool.title, draws_on=tuple(pool.draws_on)))
    missing = [t for t in CAPACITY_TYPES if t not in drawn]
    if missing:
        raise reader.fail(
            ("pools",),
            "capacity types " + ", ".join(missing) + " are in no pool",
            "every capacity type drawn on by one pool",
        )
    pool_names = tuple(p.name for p in pools)

    borrowing: list[Borrowing] = []
    for index, lending in enumerate(doc.borrowing):
        where = ("borrowing", index)
        for role_name, pool_name in (("lender", lending.lender), ("borrower", lending.borrower)):
            if pool_name not in pool_names:
                raise reader.fail(
                    (*where, role_name), f"'{pool_name}' is not a pool", ", ".join(pool_names)
                )
        if lending.source not in sources:
            raise reader.fail((*where, "source"), f"source '{lending.source}' is not defined")
        borrowing.append(
            Borrowing(lending.lender, lending.borrower, sources[lending.source], lending.confidence)
        )

    def ratio(key: str) -> Ratio:
        where = ("thresholds", key)
        figure: Figure = getattr(doc.thresholds, key)
        if not 0.0 <= figure.value < 1.0:
            raise reader.fail(where, f"value {figure.value}", "a fraction from 0 to 1, like 0.15")
        return _figure(reader, figure, where, sources)

    thresholds = Thresholds(
        warning_remaining=ratio("warning_remaining"),
        critical_remaining=ratio("critical_remaining"),
        provisioning_minimum=_amount(
            reader,
            doc.thresholds.provisioning_minimum,
            ("thresholds", "provisioning_minimum"),
            "thresholds.provisioning_minimum",
            sources,
            {},
        ),
    )

    overage: Overage | None = None
    if doc.overage is not None:
        overage = Overage(
            **{
                key: _overage_figure(reader, doc.overage, key, sources)
                for key in OverageTable.__struct_fields__
            }
        )
        if overage.stage_3_after_days.value <= overage.stage_2_after_days.value:
            raise reader.fail(
                ("overage", "stage_3_after_days"),
                f"value {overage.stage_3_after_days.value:g}",
                "more days than stage_2_after_days",
            )

    spent = doc.consumption
    where = ("consumption",)
    for sku in spent.counted_power_platform_skus:
        if sku not in POWER_PLATFORM_SKUS:
            raise reader.fail(
                (*where, "counted_power_platform_skus"),
                f"'{sku}'",
                "one of " + ", ".join(POWER_PLATFORM_SKUS),
            )
    if spent.minimum.capacity_type not in CAPACITY_TYPES:
        raise reader.fail(
            (*where, "minimum"),
            f"capacity_type {spent.minimum.capacity_type!r}",
            "one of " + ", ".join(CAPACITY_TYPES),
        )
    for profile in ESTIMATE_PROFILES:
        if profile not in spent.estimates:
            raise reader.fail(
                (*where, "estimates"),
                f"estimate profile '{profile}' is missing",
                "profiles " + ", ".join(ESTIMATE_PROFILES) + " (a profile may be empty)",
            )
    estimates: dict[str, dict[str, Amount]] = {}
    for profile, raw in spent.estimates.items():
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
    for profile in spent.no_dataverse_profiles:
        if profile not in ESTIMATE_PROFILES:
            raise reader.fail(
                (*where, "no_dataverse_profiles"),
                f"unknown estimate profile '{profile}'",
                "one of " + ", ".join(ESTIMATE_PROFILES),
            )
    consumption = Consumption(
        counted_power_platform_skus=frozenset(spent.counted_power_platform_skus),
        no_dataverse_profiles=frozenset(spent.no_dataverse_profiles),
        minimum_capacity_type=spent.minimum.capacity_type,
        minimum=_amount(
            reader, spent.minimum, (*where, "minimum"), "consumption.minimum", sources, {}
        ),
        default_included=_amounts(
            reader,
            spent.default_included,
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
    for name in ENVIRONMENT_TYPES:
        if name not in doc.environment_types:
            raise reader.fail(
                ("environment_types",),
                f"environment type '{name}' is missing",
                "every inventory type: " + ", ".join(ENVIRONMENT_TYPES),
            )
    for name, kind in doc.environment_types.items():
        where = ("environment_types", name)
        if name not in ENVIRONMENT_TYPES:
            raise reader.fail(
                where, f"unknown environment type '{name}'", ", ".join(ENVIRONMENT_TYPES)
            )
        if kind.power_platform_sku not in POWER_PLATFORM_SKUS:
            raise reader.fail(
                (*where, "power_platform_sku"),
                f"'{kind.power_platform_sku}'",
                ", ".join(POWER_PLATFORM_SKUS),
            )
        if kind.default_power_platform not in POWER_PLATFORM_STATES:
            raise reader.fail(
                (*where, "default_power_platform"),
                f"'{kind.default_power_platform}'",
                ", ".join(POWER_PLATFORM_STATES),
            )
        environment_types[name] = EnvironmentType(
            name=name,
            power_platform_sku=kind.power_platform_sku,
            default_power_platform=kind.default_power_platform,
            lcs_managed=kind.lcs_managed,
            operations_capacity=kind.operations_capacity,
        )

    families: dict[str, Family] = {}
    for name, family in doc.families.items():
        where = ("families", name)
        families[name] = Family(
            name=name,
            title=family.title,
            tenant_default=_amounts(
                reader,
                family.tenant_default,
                (*where, "tenant_default"),
                f"families.{name}.tenant_default",
                sources,
                family.inherited(),
                pool_names,
                "pool",
            ),
            minimum_base_licenses=family.minimum_base_licenses,
            included_sandboxes=family.included_sandboxes,
            note=family.note or "",
        )

    licenses: list[License] = []
    versions_of: dict[str, set[str]] = {}
    for index, entry in enumerate(doc.licenses):
        where = ("licenses", index)
        sku = entry.sku.strip()
        role = entry.role
        if role not in ROLES:
            raise reader.fail(
                (*where, "role"), f"role '{role}' of {sku}", "one of " + ", ".join(ROLES)
            )
        if entry.family not in families:
            raise reader.fail(
                (*where, "family"),
                f"family '{entry.family}' of {sku} is not defined",
                "one of " + ", ".join(sorted(families)),
            )
        inherited = entry.inherited()
        dated = (
            _month(reader, entry.effective_from, (*where, "effective_from"))
            if entry.effective_from
            else ""
        )
        rule = f"licenses[{sku}]" + (f"@{dated}" if dated else "")
        tier = entry.tier
        if not all(v.strip() for v in entry.per_user_of):
            raise reader.fail(
                (*where, "per_user_of"), f"{entry.per_user_of!r}", "a list of part numbers"
            )
        if tier is not None and not 1 <= tier <= 5:
            raise reader.fail((*where, "tier"), f"tier {tier}", "1 to 5")

        amounts = {
            key: _amounts(
                reader,
                getattr(entry, key),
                (*where, key),
                f"{rule}.{key}",
                sources,
                inherited,
                pool_names,
                "pool",
            )
            for key in ("per_license", "per_base_user", "tenant_default")
        }
        license_rule = License(
            sku=sku,
            guid=entry.guid.strip().lower(),
            names=tuple(entry.names),
            role=role,
            family=entry.family,
            tier=tier,
            per_license=amounts["per_license"],
            per_base_user=amounts["per_base_user"],
            note=entry.note or "",
            tenant_default=amounts["tenant_default"],
            per_user_of=tuple(v.strip() for v in entry.per_user_of),
            minimum_base_licenses=entry.minimum_base_licenses,
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
    for pool_name, addon in doc.addons.items():
        where = ("addons", pool_name)
        if pool_name not in pool_names:
            raise reader.fail(where, f"'{pool_name}' is not a pool", ", ".join(pool_names))
        unit = _amount(
            reader,
            addon.unit,
            (*where, "unit"),
            f"addons.{pool_name}.unit",
            sources,
            addon.inherited(),
        )
        if unit.gb <= 0:
            raise reader.fail((*where, "unit"), f"unit {unit.text}", "a positive amount")
        price = addon.price_usd_per_month
        if price is not None and price < 0:
            raise reader.fail((*where, "price_usd_per_month"), f"price {price}", "zero or more")
        addons[pool_name] = Addon(
            pool=pool_name,
            sku=addon.sku,
            unit=unit,
            price_usd_per_month=price,
            note=addon.note or "",
        )

    current = effective_versions(licenses, None)
    by_sku, by_guid = license_indexes(current)
    return RuleSet(
        id=doc.id,
        title=doc.title,
        effective_from=effective_from,
        defaults_combine=doc.defaults_combine,
        description=doc.description.strip(),
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
    if not choice or choice in {head.id for head in _bundled_heads()}:
        return None
    return Path(choice)


@dataclass(frozen=True)
class _Head:
    """A bundled rule set's file and the top-level keys a run chooses it by."""

    month: int  # effective_from, as a month number
    id: str
    path: Path


@lru_cache(maxsize=1)
def _bundled_heads() -> tuple[_Head, ...]:
    """The bundled rule sets' effective months, ids and files, oldest first: read from each
    file's top-level keys alone (the text before its first table), so that a run parses only
    the rule set it uses. (TOML is parsed in Python: both files took 8 ms.) A file whose head
    does not read so is loaded whole."""
    heads = []
    for path in sorted(bundled_dir("rules").glob("*.toml")):
        text = path.read_text(encoding="utf-8-sig")
        try:
            top = tomllib.loads(text.split("\n[", 1)[0])
            head = _Head(parse_month(top["effective_from"]), str(top["id"]), path)
        except (tomllib.TOMLDecodeError, KeyError, TypeError, InputError):
            ruleset = _bundled_ruleset(path)
            head = _Head(parse_month(ruleset.effective_from), ruleset.id, path)
        heads.append(head)
    return tuple(sorted(heads, key=lambda head: (head.month, head.id)))


@cache
def _bundled_ruleset(path: Path) -> RuleSet:
    """A bundled rule set: as compiled where the compiled file matches (see
    planner/ruleset/compiled.py), else read from its file."""
    part = compiled_part(path)
    if part is not None:
        with contextlib.suppress(msgspec.DecodeError):
            ruleset = msgspec.msgpack.decode(part, type=RuleSet)
            return msgspec.structs.replace(ruleset, path=str(path))
    return load_ruleset_file(path)


def _bundled(head: _Head) -> RuleSet:
    """The rule set of a bundled file, which must be what its head says."""
    ruleset = _bundled_ruleset(head.path)
    if (ruleset.id, parse_month(ruleset.effective_from)) != (head.id, head.month):
        raise RuntimeError(f"the bundled rule set {head.path.name} is not what its head says")
    return ruleset


def bundled_rulesets() -> tuple[RuleSet, ...]:
    """The rule sets that ship with capplan, oldest first."""
    return tuple(_bundled(head) for head in _bundled_heads())


def resolve_ruleset(choice: str | None, as_of: str) -> RuleSet:
    """``--rules ID|PATH``, or the newest bundled rule set effective at ``as_of``; either way
    with the license versions in effect at ``as_of``."""
    month = parse_month(as_of, what="--as-of")
    return _choose_ruleset(choice, as_of, month).at(format_month(month))


def _choose_ruleset(choice: str | None, as_of: str, month: int) -> RuleSet:
    available = _bundled_heads()
    if choice:
        by_id = {head.id: head for head in available}
        if choice in by_id:
            return _bundled(by_id[choice])
        candidate = Path(choice)
        if candidate.suffix.lower() == ".toml" or candidate.exists():
            return load_ruleset_file(candidate)
        raise InputError(
            f"--rules {choice!r} is neither a bundled rule set nor a file",
            expected="one of " + ", ".join(by_id) + ", or the path of a .toml rules file",
        )
    effective = [head for head in available if head.month <= month]
    if not effective:
        oldest = available[0]
        starts = format_month(oldest.month)
        raise InputError(
            f"no bundled rule set is effective at {as_of} (the oldest starts {starts})",
            expected=f"--as-of {starts} or later, or --rules {oldest.id}",
        )
    return _bundled(effective[-1])
