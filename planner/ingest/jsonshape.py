"""Microsoft's JSON answers read into msgspec Structs, with messages that name the JSON path.

The same validation as rules and scenario files (planner.model.structs), adapted to documents
capplan does not write:

- keys come in any case (the service writes ``skuPartNumber``, PowerShell ``SkuPartNumber``) and
  under older names: :func:`read_json` first maps every key onto the Struct's field name, found
  case-insensitively among the field's canonical spelling (``rename="camel"``) and the older
  names the Struct lists in ``aliases``; the key as written is kept, for messages;
- fields Microsoft adds over time are ignored (no ``forbid_unknown_fields``);
- leaves are capplan's own types (:class:`Text`, :class:`OptionalText`, :class:`Count`,
  :class:`WholeNumber`, :class:`Flag`), checked by the same functions as before
  (planner.ingest.jsondoc), so quoted digits are numbers and nothing else is; msgspec's
  ``strict=False`` has nothing left to loosen;
- a value whose meaning depends on another one (an amount and its unit) is declared ``Any`` and
  checked by the reader once the unit is known.

Each Struct also holds where it was found (``at``) and the keys as written (``written``), so a
reader's own checks can name the same path.
"""

from __future__ import annotations

import contextlib
import json
import re
import typing
from collections.abc import Callable
from functools import cache
from itertools import chain
from operator import itemgetter
from typing import Any, ClassVar, TypeVar

import msgspec

from planner.errors import InputError
from planner.ingest.jsondoc import (
    Unfit,
    checked_list,
    checked_size,
    checked_text,
    checked_whole_number,
    cut_short_hint,
    item,
    member,
    refusal,
    type_name,
)
from planner.model.limits import MAX_ROWS
from planner.model.structs import Mismatch, convert, words

T = TypeVar("T")
R = TypeVar("R")

_AT = "@path"
_KEYS = "@keys"
_NAME = "\x00name\x00"  # stands for the field's name in a leaf's message until it is known
_UNFIT = "capplan-unfit:"


class JsonObject(msgspec.Struct, kw_only=True, rename="camel"):
    """An object of a JSON answer: where it was found, and its keys as written."""

    at: str = msgspec.field(default="", name=_AT)
    written: dict[str, str] = msgspec.field(default_factory=dict, name=_KEYS)
    aliases: ClassVar[dict[str, tuple[str, ...]]] = {}  # canonical name: older names

    def where(self, name: str) -> str:
        """The path of the field ``name`` (canonical), with its key as written when present."""
        return member(self.at, self.written.get(name, name))


class Text(str):
    """Required text, trimmed: present, not null, not empty, of real characters."""


class OptionalText(str):
    """Text, trimmed; "" when absent or null."""


class Count(int):
    """A whole number from 0 to ABSURD, digits in quotes accepted; 0 when absent or null."""


class WholeNumber(int):
    """A whole number from 0 to ABSURD, digits in quotes accepted; required."""


class Flag(int):
    """true or false (and nothing else), as 1 or 0; 0 when absent or null."""


def read_json(file: str, document: Any, type_: type[T], at: str = "") -> T:
    """``document`` (found at the path ``at`` of the file) as ``type_``; InputError naming the
    file, the JSON path and what fits."""
    shaped = _normalise(file, document, type_, at)
    try:
        return convert(shaped, type_, strict=False, dec_hook=_leaf)
    except Mismatch as mismatch:
        raise _explain(file, shaped, type_, mismatch, at) from None


def read_json_quickly(document: Any, type_: type[T], at: str = "") -> T | None:
    """``document`` as ``type_`` where :func:`read_json` would read it so without its shaping:
    every object the type reads holds its fields' keys as the fields' own names (as the service
    writes them: no other case, no older name), and every value fits. None otherwise, and the
    caller reads the document with read_json, which says what does not fit.

    read_json copies every object first, its keys mapped and its path written down: for an
    environment list of 30,000 environments (210,000 objects) that took 340 ms of the 600 the
    reading took. Here only the top level's objects get their path (``at``: an item's of a
    list, the document's own); a reader that finds a deeper object wrong reads the document
    again with read_json to name where it is."""
    if not _as_written([document], type_):
        return None
    try:
        read = convert(document, type_, strict=False, dec_hook=_leaf)
    except Mismatch:
        return None
    if isinstance(read, JsonObject):
        read.at = at
    elif isinstance(read, list):
        for index, value in enumerate(read):
            if isinstance(value, JsonObject):
                value.at = item(at, index)
    return read


def read_items(file: str, items: Any, type_: type[T], at: str, reader: Callable[[str, T], R]) -> R:
    """``reader(file, items read as type_)``, read as written where they can be (see
    :func:`read_json_quickly`); where that reading or the reader finds something wrong, the
    items are read again in full and given to the reader again, so that the message names
    where it is, with every object's path."""
    quick = read_json_quickly(items, type_, at=at)
    if quick is not None:
        with contextlib.suppress(InputError):  # said again below, with every object's path
            return reader(file, quick)
    return reader(file, read_json(file, items, type_, at=at))


def _as_written(values: list[Any], type_: Any) -> bool:
    """Whether each of ``values`` reads as ``type_`` with its keys as they are (see
    read_json_quickly): each object's keys match its Struct's fields by their own names alone,
    lists are no longer than capplan reads, and no text stands where an object or a list
    belongs. Looked at a level at a time: all the objects of one place in the document
    together (every environment's properties, every capacity entry), each set of keys once."""
    cls, item_type, leaf = _plan(type_)
    kinds = set(map(type, values))
    if not leaf and str in kinds:
        return False
    if cls is not None and dict in kinds:
        objects = values if kinds == {dict} else [value for value in values if type(value) is dict]
        key_sets = set(map(tuple, objects))
        fields: dict[str, Any] = {}  # the fields to look into, by key: their declared types
        for keys in key_sets:
            nested = _nested_as_written(cls, keys)
            if nested is None:
                return False
            fields.update(nested)
        for key, kind in fields.items():
            within = (
                list(map(itemgetter(key), objects))  # every object holds it
                if all(key in keys for keys in key_sets)
                else [value[key] for value in objects if key in value]
            )
            if not _as_written(within, kind):
                return False
    if item_type is not None and list in kinds:
        lists = values if kinds == {list} else [value for value in values if type(value) is list]
        if max(map(len, lists), default=0) > MAX_ROWS:
            return False
        items = list(chain.from_iterable(lists))
        if items and not _as_written(items, item_type):
            return False
    return True


def _nested_as_written(
    cls: type[JsonObject], keys: tuple[Any, ...]
) -> tuple[tuple[str, Any], ...] | None:
    """The fields to look into (key, declared type) of an object of ``cls`` with ``keys``,
    where every field it holds is under the field's own name; None where one is not (or a key
    is one of the names read_json gives the path and the keys as written)."""
    found = _AS_WRITTEN.get((cls, keys), False)
    if found is not False:
        return found
    matched, _ = _matched(cls, keys)
    nested: tuple[tuple[str, Any], ...] | None = None
    if _AT not in keys and _KEYS not in keys and all(key == name for name, key, _, _ in matched):
        nested = tuple((key, kind) for _, key, kind, as_is in matched if not as_is)
    if len(_AS_WRITTEN) < _MATCHED_KEPT and len(keys) <= _KEYS_KEPT:
        _AS_WRITTEN[(cls, keys)] = nested
    return nested


# What _nested_as_written found, by Struct and keys.
_AS_WRITTEN: dict[tuple[type[JsonObject], tuple[Any, ...]], tuple[tuple[str, Any], ...] | None] = {}


fail = refusal


def text_field(file: str, obj: JsonObject, name: str, value: Any) -> str:
    """An ``Any`` field read as optional text once the reader knows it needs it."""
    try:
        return checked_text(value, name, required=False)
    except Unfit as unfit:
        raise fail(file, unfit.message, obj.where(name), unfit.expected) from None


def size_field(file: str, obj: JsonObject, name: str, value: Any, maximum: float) -> float | None:
    """An ``Any`` field read as an amount from 0 to ``maximum`` (None when absent or null)."""
    if type(value) is float and 0.0 <= value <= maximum:  # the common case (NaN fails it)
        return value
    try:
        return checked_size(value, name, maximum)
    except Unfit as unfit:
        raise fail(file, unfit.message, obj.where(name), unfit.expected) from None


# ----------------------------------------------------------------------------------------------
# Keys in any case onto the field names


def _normalise(file: str, value: Any, type_: Any, path: str) -> Any:
    cls, item_type, leaf = _plan(type_)
    if cls is not None and isinstance(value, dict):
        return _object(file, value, cls, path)
    if item_type is not None and isinstance(value, list):
        checked_list(file, value, path, "")  # no longer than capplan reads
        return [_normalise(file, v, item_type, item(path, i)) for i, v in enumerate(value)]
    if isinstance(value, str) and not leaf:
        # Text where an object or list belongs is refused, but msgspec cannot even look at text
        # holding a lone surrogate; what the message says of it (its start) stays the same.
        return _SURROGATE.sub("\ufffd", value)
    return value


def _object(file: str, obj: dict, cls: type[JsonObject], path: str) -> dict:
    shaped: dict[str, Any] = {_AT: path}
    matched, written = _matched(cls, tuple(obj))
    for name, key, field_type, as_is in matched:
        value = obj[key]
        # A leaf is taken as it is (msgspec checks it); objects and lists are shaped in turn.
        shaped[name] = value if as_is else _normalise(file, value, field_type, member(path, key))
    shaped[_KEYS] = written  # msgspec makes each Struct its own copy
    return shaped


# Objects of one answer have the same keys (thousands of environments, each with its
# properties): the fields their keys match are worked out once for each set of keys.
_Matched = tuple[tuple[tuple[str, Any, Any, bool], ...], dict[str, str]]
_MATCHED: dict[tuple[type[JsonObject], tuple[Any, ...]], _Matched] = {}
_MATCHED_KEPT = 4096
_KEYS_KEPT = 100


def _matched(cls: type[JsonObject], keys: tuple[Any, ...]) -> _Matched:
    """(field name, key as written, declared type, whether a value is taken as it is) of each
    field ``keys`` hold, in the fields' order, and the keys as written by field name. As
    lookup(): the first of a field's names present in any case; of two keys that differ only
    in case, the later one."""
    found = _MATCHED.get((cls, keys))
    if found is not None:
        return found
    folded = {key.casefold(): key for key in keys if isinstance(key, str)}
    matched = []
    for name, names, field_type in _lookups(cls):
        for candidate in names:
            key = folded.get(candidate)
            if key is not None:
                shape, item_type, leaf = _plan(field_type)
                matched.append(
                    (name, key, field_type, shape is None and item_type is None and leaf)
                )
                break
    result = tuple(matched), {name: key for name, key, _, _ in matched}
    # A hostile file of ever new keys, or of objects with thousands, is not remembered.
    if len(_MATCHED) < _MATCHED_KEPT and len(keys) <= _KEYS_KEPT:
        _MATCHED[(cls, keys)] = result
    return result


@cache
def _lookups(cls: type[JsonObject]) -> tuple[tuple[str, tuple[str, ...], Any], ...]:
    """(canonical name, its names folded, declared type) of each field, in order."""
    return tuple(
        (name, tuple(n.casefold() for n in (name, *cls.aliases.get(name, ()))), field_type)
        for name, field_type in _fields(cls)
    )


@cache
def _plan(type_: Any) -> tuple[type[JsonObject] | None, Any, bool]:
    """What a value of ``type_`` may be: (its Struct, its list's item type, whether it may be a
    leaf or anything)."""
    kinds = _kinds(type_)
    objects = [k for k in kinds if isinstance(k, type) and issubclass(k, JsonObject)]
    lists = [typing.get_args(k)[0] for k in kinds if typing.get_origin(k) is list]
    leaf = any(k in _LEAVES or k is Any for k in kinds)
    return (objects[0] if objects else None), (lists[0] if lists else None), leaf


@cache
def _fields(cls: type[JsonObject]) -> tuple[tuple[str, Any], ...]:
    """(canonical name, declared type) of each field a document may hold, in order."""
    hints = typing.get_type_hints(cls, include_extras=True)
    return tuple(
        (field.encode_name, hints[field.name])
        for field in msgspec.structs.fields(cls)
        if field.encode_name not in (_AT, _KEYS)
    )


def _kinds(type_: Any) -> tuple[Any, ...]:
    """The types a value of ``type_`` may be: the members of a union, without Annotated."""
    while typing.get_origin(type_) is typing.Annotated:
        type_ = typing.get_args(type_)[0]
    members = typing.get_args(type_) if typing.get_origin(type_) in _UNIONS else (type_,)
    return tuple(_kinds(m)[0] if typing.get_origin(m) is typing.Annotated else m for m in members)


_UNIONS = (typing.Union, type(int | None))
_LEAVES = (Text, OptionalText, Count, WholeNumber, Flag)
_SURROGATE = re.compile("[\ud800-\udfff]")


# ----------------------------------------------------------------------------------------------
# Leaves, checked as before


def _leaf(type_: type, value: Any) -> Any:
    # Short text repeats across an answer's objects (types, units, states): each is checked
    # once. What fits is kept, within bounds; what does not is raised again each time.
    if type(value) is str and len(value) <= _SHORT:
        known = _CHECKED.get((type_, value))
        if known is not None:
            return known
    try:
        checked = _check(type_, value)
    except Unfit as unfit:
        raise ValueError(_UNFIT + json.dumps([unfit.message, unfit.expected])) from None
    if type(value) is str and len(value) <= _SHORT and len(_CHECKED) < _CHECKED_KEPT:
        _CHECKED[(type_, value)] = checked
    return checked


_SHORT = 64
# Repeated text comes early (the first environments name every type and unit); beyond a few
# thousand, what comes is mostly text met once (names, ids, addresses: 82,500 of an environment
# list of 30,000), which kept would only cost time and memory (25 MB, and 4% of its reading).
_CHECKED_KEPT = 4_096
_CHECKED: dict[tuple[type, str], Any] = {}


def _check(type_: type, value: Any) -> Any:
    # msgspec keeps what the hook returns only when it is of the declared type.
    if type_ is Text:
        return Text(checked_text(value, _NAME))
    if type_ is OptionalText:
        return OptionalText(checked_text(value, _NAME, required=False))
    if type_ is Count:
        return Count(checked_whole_number(value, _NAME, required=False))
    if type_ is WholeNumber:
        return WholeNumber(checked_whole_number(value, _NAME))
    if type_ is Flag:
        if value is not None and not isinstance(value, bool):
            raise Unfit(f"{_NAME} is not true or false", "true/false")
        return Flag(bool(value))
    # msgspec's protocol for a decoding hook: a type the hook does not handle is announced by
    # NotImplementedError, and msgspec reports it as a type it cannot convert.
    raise NotImplementedError(type_)


# ----------------------------------------------------------------------------------------------
# What does not fit, in the words the readers have always used


def _explain(file: str, shaped: Any, root: Any, mismatch: Mismatch, at: str) -> InputError:
    if mismatch.problem == "missing_key":
        where = member(_written(shaped, mismatch.path, at), mismatch.key)
        declared = _declared(root, (*mismatch.path, mismatch.key))
        return _unfit_value(file, None, declared, mismatch.key, where)
    where = _written(shaped, mismatch.path, at)
    if mismatch.reason.startswith(_UNFIT):
        message, expected = json.loads(mismatch.reason.removeprefix(_UNFIT))
        return fail(
            file,
            message.replace(_NAME, mismatch.key),
            where,
            expected.replace(_NAME, mismatch.key),
        )
    declared = _declared(root, mismatch.path)
    return _unfit_value(file, mismatch.found, declared, mismatch.key, where)


def _unfit_value(file: str, found: Any, declared: Any, name: str, where: str) -> InputError:
    """The message for ``found`` where ``declared`` was expected (a list, an object, a leaf)."""
    expected = words(declared)
    for kind in _kinds(declared):
        if typing.get_origin(kind) is list:
            return fail(file, f"found {type_name(found)}, not a list", where, expected)
        if isinstance(kind, type) and issubclass(kind, JsonObject):
            hint = cut_short_hint(found)
            return fail(file, f"found {type_name(found)}, not an object{hint}", where, expected)
        if kind in _LEAVES:
            try:
                _check(kind, found)
            except Unfit as unfit:
                return fail(
                    file,
                    unfit.message.replace(_NAME, name),
                    where,
                    unfit.expected.replace(_NAME, name),
                )
    return fail(file, f"found {type_name(found)}", where, expected)


def _written(shaped: Any, path: tuple[str | int, ...], at: str) -> str:
    """``path`` (canonical names, from the root at ``at``) with each key as the document wrote
    it."""
    where, value = at, shaped
    for segment in path:
        if isinstance(segment, int):
            where = item(where, segment)
        elif isinstance(value, dict) and _AT in value:
            where = member(value[_AT], value[_KEYS].get(segment, segment))
        else:
            where = member(where, segment)
        try:
            value = value[segment]
        except (LookupError, TypeError):
            value = None
    return where


def _declared(type_: Any, path: tuple[str | int, ...]) -> Any:
    """The declared type of the value at ``path`` of a document read as ``type_``."""
    for segment in path:
        kinds = _kinds(type_)
        if isinstance(segment, int):
            lists = [typing.get_args(k)[0] for k in kinds if typing.get_origin(k) is list]
            type_ = lists[0] if lists else Any
        else:
            objects = [k for k in kinds if isinstance(k, type) and issubclass(k, JsonObject)]
            type_ = dict(_fields(objects[0])).get(segment, Any) if objects else Any
    return type_
