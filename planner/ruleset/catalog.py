"""The SKU catalog: every license a tenant can hold, by GUID, part number and display name.

Built from Microsoft's "Product names and service plan identifiers for licensing" CSV and a list
of part numbers known from elsewhere, and bundled as data (``rules/catalog/skus.csv``). Each
entry says what capacity it carries:

- ``rule``: the rule-set license (``rule``, a part number) whose amounts apply;
- ``none``: it grants no storage capacity (free, viral, trial, Office and other products), with
  the reason;
- ``unknown``: it may carry capacity but nobody has classified it yet.

Every license input resolves through :meth:`Catalog.lookup`: a GUID first (Microsoft joins on
it), then a part number in any case and spacing, then a display name.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import msgspec

from planner.errors import InputError, printable
from planner.model.limits import MAX_CATALOG_BYTES, read_limited
from planner.resources import bundled_dir
from planner.ruleset.compiled import compiled_part

CAPACITY_CLASSES = ("rule", "none", "unknown")
MATCHED_BY = ("guid", "part_number", "display_name")
# How the human formats say it.
MATCHED_BY_WORDS = {
    "guid": "by GUID",
    "part_number": "by part number",
    "display_name": "by display name",
    "": "not recognised",
}
CATALOG_COLUMNS = (
    "part_number",
    "guid",
    "display_name",
    "other_names",
    "family",
    "capacity",
    "rule",
    "reason",
    "origin",
)
CATALOG_FILE = ("catalog", "skus.csv")
NAME_SEPARATOR = "|"

_GUID = re.compile(
    r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$"
)
_SPACES = re.compile(r"\s+")
_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2010": "-", "\u2011": "-"})


def clean_text(value: str) -> str:
    """Trim, turn non-breaking and other odd spaces into one plain space each."""
    if value.isascii() and value.isprintable() and "  " not in value:  # most text: clean
        return value.strip(" ")
    value = unicodedata.normalize("NFKC", value).replace("\ufeff", "").replace("\u200b", "")
    return _SPACES.sub(" ", value).strip()


_SPACED_UNDERSCORE = re.compile(r"\s*_\s*")


# The short ways below are for text clean_text leaves as printable ASCII without a space: it
# has no whitespace to take out and no dash to make plain (628 catalog entries are read at the
# start of every run; a test holds each short way to its long one).


def clean_part_number(value: str) -> str:
    """A part number as Microsoft's systems write it: no spaces around underscores."""
    text = clean_text(value)
    if text.isascii() and text.isprintable() and " " not in text:
        return text
    return _SPACED_UNDERSCORE.sub("_", text)


def part_number_key(value: str) -> str:
    """Part numbers are compared without case and without any whitespace."""
    text = clean_text(value)
    if text.isascii() and text.isprintable() and " " not in text:
        return text.casefold()
    return _SPACES.sub("", text).casefold()


def name_key(value: str) -> str:
    """Display names are compared without case, with dashes and spaces made plain."""
    text = clean_text(value)
    return (text if text.isascii() else text.translate(_DASHES)).casefold()


def guid_key(value: str) -> str:
    """A GUID in lower case without braces, or "" when ``value`` is not a GUID."""
    found = _GUID.match(clean_text(value))
    return found.group(1).lower() if found else ""


class CatalogEntry(msgspec.Struct, frozen=True):
    """One product: how to recognise it and what capacity it carries."""

    part_number: str  # "" when only the GUID is known
    guid: str  # lower case; "" when only the part number is known
    display_name: str
    other_names: tuple[str, ...] = ()  # older or alternative names
    family: str = ""
    capacity: str = "unknown"  # one of CAPACITY_CLASSES
    rule: str = ""  # part number of the rule-set license that applies (capacity == "rule")
    reason: str = ""  # why it grants no capacity, or how the rule was chosen
    origin: str = ""  # where the entry's identity comes from

    @property
    def names(self) -> tuple[str, ...]:
        return (self.display_name, *self.other_names) if self.display_name else self.other_names

    @property
    def label(self) -> str:
        """How a person recognises it: the part number, else the display name, else the GUID."""
        return self.part_number or self.display_name or self.guid

    def as_dict(self) -> dict[str, object]:
        return {
            "part_number": self.part_number or None,
            "guid": self.guid or None,
            "display_name": self.display_name,
            "other_names": list(self.other_names),
            "family": self.family or None,
            "capacity": self.capacity,
            "rule": self.rule or None,
            "reason": self.reason or None,
            "origin": self.origin,
        }


class Match(msgspec.Struct, frozen=True):
    """The answer of a lookup: the entry (or None), how it was found, and any rival entries."""

    entry: CatalogEntry | None
    matched_by: str = ""  # one of MATCHED_BY, or "" when nothing matched
    candidates: tuple[CatalogEntry, ...] = ()

    @property
    def ambiguous(self) -> bool:
        """A display name shared by entries that carry different capacity."""
        return len({(c.capacity, c.rule) for c in self.candidates}) > 1


class Catalog(msgspec.Struct, frozen=True):
    entries: tuple[CatalogEntry, ...]
    path: str = ""
    _guid: Mapping[str, CatalogEntry] = msgspec.field(default_factory=dict)
    _part: Mapping[str, CatalogEntry] = msgspec.field(default_factory=dict)
    _name: Mapping[str, tuple[CatalogEntry, ...]] = msgspec.field(default_factory=dict)

    @classmethod
    def of(cls, entries: Iterable[CatalogEntry], path: str = "") -> Catalog:
        ordered = tuple(sorted(entries, key=_sort_key))
        by_guid: dict[str, CatalogEntry] = {}
        by_part: dict[str, CatalogEntry] = {}
        by_name: dict[str, list[CatalogEntry]] = {}
        for entry in ordered:
            if entry.guid:
                by_guid.setdefault(entry.guid, entry)
            if entry.part_number:
                by_part.setdefault(part_number_key(entry.part_number), entry)
            for name in entry.names:
                bucket = by_name.setdefault(name_key(name), [])
                if entry not in bucket:
                    bucket.append(entry)
        return cls(
            entries=ordered,
            path=path,
            _guid=by_guid,
            _part=by_part,
            _name={k: tuple(v) for k, v in by_name.items()},
        )

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self.entries)

    def by_guid(self, guid: str) -> CatalogEntry | None:
        key = guid_key(guid)
        return self._guid.get(key) if key else None

    def by_part_number(self, part_number: str) -> CatalogEntry | None:
        key = part_number_key(part_number)
        return self._part.get(key) if key else None

    def by_display_name(self, name: str) -> tuple[CatalogEntry, ...]:
        key = name_key(name)
        return self._name.get(key, ()) if key else ()

    def lookup(self, *, guid: str = "", part_number: str = "", display_name: str = "") -> Match:
        """Find a product: by GUID, else by part number, else by display name.

        A part number field that holds a GUID (planning sheets do that) is looked up as a GUID.
        A display name several entries share is a match only when they all carry the same
        capacity; otherwise the Match has no entry and lists the candidates.
        """
        for text in (guid, part_number):
            found = self.by_guid(text) if text else None
            if found is not None:
                return Match(found, "guid")
        if part_number:
            found = self.by_part_number(part_number)
            if found is not None:
                return Match(found, "part_number")
        if display_name:
            candidates = self.by_display_name(display_name)
            if not candidates:
                # The admin center adds edition words the CSV leaves out, and the reverse; a
                # name that is also a part number is matched as one.
                found = self.by_part_number(display_name)
                if found is not None:
                    return Match(found, "part_number")
                return Match(None)
            match = Match(candidates[0], "display_name", candidates)
            return msgspec.structs.replace(match, entry=None) if match.ambiguous else match
        return Match(None)

    def resolve(self, text: str) -> Match:
        """One string that may be a GUID, a part number or a display name."""
        return self.lookup(guid=text, part_number=text, display_name=text)

    def rules(self) -> set[str]:
        """Every rule-set license the catalog points at."""
        return {e.rule for e in self.entries if e.capacity == "rule"}


def _sort_key(entry: CatalogEntry) -> tuple[str, str, str]:
    return (part_number_key(entry.part_number) or "~", entry.guid, name_key(entry.display_name))


# ----------------------------------------------------------------------------------------------
# The bundled catalog file


def catalog_path() -> Path:
    return bundled_dir("rules").joinpath(*CATALOG_FILE)


@lru_cache(maxsize=1)
def bundled_catalog() -> Catalog:
    """The catalog that ships with capplan: as compiled where the compiled file matches (see
    planner/ruleset/compiled.py), else read from its file."""
    path = catalog_path()
    part = compiled_part(path)
    if part is not None:
        with contextlib.suppress(msgspec.DecodeError):
            entries = msgspec.msgpack.decode(part, type=tuple[CatalogEntry, ...])
            return Catalog.of(entries, str(path))
    return load_catalog(path)


def load_catalog(path: str | Path) -> Catalog:
    """Read a catalog file written by :func:`dump_catalog`; InputError names row and column."""
    name = str(path)
    expected = "a SKU catalog written by capplan rules import-skus"
    data = read_limited(path, MAX_CATALOG_BYTES, "SKU catalog", expected)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read the SKU catalog: {exc}", file=name) from None
    return parse_catalog(text, name)


def csv_rows(text: str, name: str, what: str, expected: str) -> Iterator[list[str]]:
    """The rows of CSV text; the reader's own errors (a cell longer than it reads, a NUL) said
    as an InputError with the line where it stopped (``what``: the file, in words)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise InputError(
                f"{what} cannot be read as CSV: {printable(str(error))}",
                file=name,
                location=f"line {reader.line_num}",
                expected=expected,
            ) from None
        yield row


def parse_catalog(text: str, name: str = "catalog") -> Catalog:
    expected = "a SKU catalog written by capplan rules import-skus"
    return _parse_rows(csv_rows(text, name, "the SKU catalog", expected), name)


def _parse_rows(reader: Iterator[list[str]], name: str) -> Catalog:
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != CATALOG_COLUMNS:
        raise InputError(
            "the SKU catalog's header is not the expected one",
            file=name,
            location="row 1",
            expected=",".join(CATALOG_COLUMNS),
        )
    entries: list[CatalogEntry] = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(CATALOG_COLUMNS):
            raise InputError(
                f"the row has {len(row)} values",
                file=name,
                location=f"row {number}",
                expected=f"{len(CATALOG_COLUMNS)} values: " + ",".join(CATALOG_COLUMNS),
            )
        values = dict(zip(CATALOG_COLUMNS, row, strict=True))
        entries.append(_entry(values, name, number))
    return Catalog.of(entries, name)


def _entry(values: Mapping[str, str], name: str, number: int) -> CatalogEntry:
    def fail(column: str, message: str, expected: str) -> InputError:
        return InputError(
            message, file=name, location=f"row {number}, column {column}", expected=expected
        )

    guid_text = values["guid"].strip()
    guid = guid_key(guid_text)
    if guid_text and not guid:
        raise fail("guid", f"'{guid_text}' is not a GUID", "a GUID, or blank")
    part_number = clean_part_number(values["part_number"])
    if not guid and not part_number:
        raise fail("part_number", "the entry has neither a part number nor a GUID", "either")
    capacity = values["capacity"].strip()
    if capacity not in CAPACITY_CLASSES:
        raise fail("capacity", f"'{capacity}'", "one of " + ", ".join(CAPACITY_CLASSES))
    rule = clean_part_number(values["rule"])
    if capacity == "rule" and not rule:
        raise fail("rule", "capacity is 'rule' but no rule is named", "the rule's part number")
    if capacity != "rule" and rule:
        raise fail("rule", f"a rule is named but capacity is '{capacity}'", "capacity = rule")
    if capacity == "none" and not values["reason"].strip():
        raise fail("reason", "a product that grants no capacity needs a reason", "a reason")
    return CatalogEntry(
        part_number=part_number,
        guid=guid,
        display_name=clean_text(values["display_name"]),
        other_names=tuple(
            clean_text(n) for n in values["other_names"].split(NAME_SEPARATOR) if clean_text(n)
        ),
        family=values["family"].strip(),
        capacity=capacity,
        rule=rule,
        reason=clean_text(values["reason"]),
        origin=clean_text(values["origin"]),
    )


def dump_catalog(catalog: Catalog | Iterable[CatalogEntry]) -> str:
    """The catalog file's text: one row per entry, sorted, so that a diff shows what changed."""
    entries = catalog.entries if isinstance(catalog, Catalog) else Catalog.of(catalog).entries
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CATALOG_COLUMNS)
    for e in entries:
        writer.writerow(
            [
                e.part_number,
                e.guid,
                e.display_name,
                NAME_SEPARATOR.join(e.other_names),
                e.family,
                e.capacity,
                e.rule,
                e.reason,
                e.origin,
            ]
        )
    return out.getvalue()


# ----------------------------------------------------------------------------------------------
# Rebuilding from Microsoft's CSV

# How a product new to the catalog is classified until someone reviews it (the diff lists it).
_NO_CAPACITY_WORDS = (
    (re.compile(r"\bfree\b|_free\b|^free_", re.IGNORECASE), "free plan: grants no capacity"),
    (
        re.compile(r"viral|vtrial|\btrial\b|_trial\b|_iw\b", re.IGNORECASE),
        "trial: grants no capacity",
    ),
    (re.compile(r"\bdeveloper\b|_dev\b", re.IGNORECASE), "developer plan: grants no capacity"),
)
_MAY_CARRY_CAPACITY = re.compile(
    r"dynamics|dyn365|d365|power ?apps|power ?automate|dataverse|common data service|"
    r"copilot studio|virtual agent|power pages|\bcrm|\bcds_",
    re.IGNORECASE,
)
NOT_POWER_PLATFORM = (
    "not a Dynamics 365 or Power Platform product: grants no Dataverse or Operations capacity"
)


class CatalogChange(msgspec.Struct, frozen=True):
    """One difference between the catalog before and after an import."""

    kind: str  # added | renamed | part_number | gained_guid | not_in_source
    entry: CatalogEntry
    before: CatalogEntry | None = None

    def describe(self) -> str:
        e, b = self.entry, self.before
        what = f"{e.part_number or '(no part number)'} {e.guid or '(no GUID)'}"
        if self.kind == "added":
            shown = f"rule {e.rule}" if e.capacity == "rule" else e.capacity
            return f"+ {what} {e.display_name!r}: {shown}" + (
                f" ({e.reason})" if e.reason and e.capacity != "rule" else ""
            )
        if self.kind == "renamed" and b is not None:
            return f"~ {what}: display name {b.display_name!r} -> {e.display_name!r}"
        if self.kind == "part_number" and b is not None:
            return f"~ {e.guid}: part number {b.part_number!r} -> {e.part_number!r}"
        if self.kind == "gained_guid":
            return f"~ {e.part_number}: GUID {e.guid} now known ({e.display_name!r})"
        return f"= {what} {e.display_name!r}: not in the new file, kept"


def classify_new(entry: CatalogEntry) -> CatalogEntry:
    """A first classification of a product the catalog has not seen (the diff shows it)."""
    text = f"{entry.part_number} {entry.display_name}"
    for pattern, reason in _NO_CAPACITY_WORDS:
        if pattern.search(text):
            return msgspec.structs.replace(entry, capacity="none", rule="", reason=reason)
    if _MAY_CARRY_CAPACITY.search(text):
        return msgspec.structs.replace(
            entry,
            capacity="unknown",
            rule="",
            reason="new in Microsoft's list: may carry capacity, not yet classified",
        )
    return msgspec.structs.replace(entry, capacity="none", rule="", reason=NOT_POWER_PLATFORM)


def import_products(
    catalog: Catalog, products: Sequence[CatalogEntry], origin: str
) -> tuple[Catalog, list[CatalogChange]]:
    """Merge a newer download into the catalog: identities from the file, classifications kept.

    A product is the same entry when its GUID matches, or (for an entry known only by part
    number) when its part number does. Entries the file no longer lists are kept: tenants may
    still hold retired products.
    """
    changes: list[CatalogChange] = []
    merged: list[CatalogEntry] = []
    used: set[int] = set()
    index_of = {id(e): i for i, e in enumerate(catalog.entries)}
    for product in products:
        before = catalog.by_guid(product.guid)
        kind = ""
        if before is None:
            by_part = catalog.by_part_number(product.part_number) if product.part_number else None
            if by_part is not None and not by_part.guid:
                before, kind = by_part, "gained_guid"
        if before is None:
            entry = classify_new(msgspec.structs.replace(product, origin=origin))
            changes.append(CatalogChange("added", entry))
            merged.append(entry)
            continue
        used.add(index_of[id(before)])
        names = tuple(
            n
            for n in (*before.other_names, before.display_name)
            if n and name_key(n) != name_key(product.display_name)
        )
        entry = msgspec.structs.replace(
            before,
            guid=product.guid,
            part_number=product.part_number or before.part_number,
            display_name=product.display_name or before.display_name,
            other_names=tuple(dict.fromkeys(names)),
            origin=origin,
        )
        if kind:
            changes.append(CatalogChange(kind, entry, before))
        if before.guid and part_number_key(before.part_number) != part_number_key(
            entry.part_number
        ):
            changes.append(CatalogChange("part_number", entry, before))
        if before.display_name and name_key(before.display_name) != name_key(entry.display_name):
            changes.append(CatalogChange("renamed", entry, before))
        merged.append(entry)
    for position, entry in enumerate(catalog.entries):
        if position in used:
            continue
        merged.append(entry)
        if entry.guid and entry.origin.startswith("Microsoft"):
            changes.append(CatalogChange("not_in_source", entry))
    return Catalog.of(merged, catalog.path), changes


__all__ = [
    "CAPACITY_CLASSES",
    "CATALOG_COLUMNS",
    "MATCHED_BY",
    "MATCHED_BY_WORDS",
    "Catalog",
    "CatalogChange",
    "CatalogEntry",
    "Match",
    "bundled_catalog",
    "catalog_path",
    "classify_new",
    "clean_part_number",
    "clean_text",
    "csv_rows",
    "dump_catalog",
    "guid_key",
    "import_products",
    "load_catalog",
    "name_key",
    "parse_catalog",
    "part_number_key",
]
