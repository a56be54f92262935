"""Reading parsed TOML into msgspec Structs, and saying exactly what does not fit, and where.

Rules files and scenario files are parsed with :mod:`tomllib` and then converted with
:func:`convert` into Structs that declare every key a table may hold (``forbid_unknown_fields``),
which ones it must hold, and the type of each. msgspec finds the first thing that does not fit;
:class:`Mismatch` says it in the reader's terms: the path of the entry (keys and list positions,
from the root of the converted value), what is wrong (an unknown key, a missing key, a value of
the wrong type or out of range), the value found, and what was expected, in words. A field's
expected text can be given with ``Annotated[T, msgspec.Meta(description=...)]``.

msgspec writes the key of a dictionary entry as ``[...]`` in its paths; the entry is found again
here, so a message always names the key the user wrote.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, TypeVar

import msgspec

T = TypeVar("T")
Problem = Literal["unknown_key", "missing_key", "wrong_type", "bad_value"]
Path = tuple[str | int, ...]

_AT = " - at `$"
_SEGMENT = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[([0-9]+|\.\.\.)\]")
_ANY_KEY = "[...]"


@dataclass
class Mismatch(Exception):
    """A value that does not fit its Struct: where, what is wrong, what was found and expected."""

    path: Path
    problem: Problem
    key: str  # the unknown or missing key, else the last key of the path ("" for none)
    found: Any  # the value at path (wrong_type, bad_value); None otherwise
    expected: str  # what fits there, in words
    allowed: tuple[str, ...] = ()  # the keys the table may hold (unknown_key)
    reason: str = ""  # msgspec's own words (wrong_type, bad_value), such as a dec_hook's error

    def __str__(self) -> str:
        return f"{self.problem} at {self.path!r}: expected {self.expected}"


def convert(
    data: Any,
    type_: type[T],
    *,
    strict: bool = True,
    dec_hook: Callable[[type, Any], Any] | None = None,
) -> T:
    """``data`` (parsed TOML or JSON) as ``type_``; :class:`Mismatch` says what does not fit.

    ``strict`` and ``dec_hook`` are msgspec's: JSON answers are read with ``strict=False`` and a
    hook that checks capplan's own leaf types (see planner.ingest.jsonshape)."""
    try:
        return msgspec.convert(data, type_, strict=strict, dec_hook=dec_hook)
    except msgspec.ValidationError as error:
        raise _mismatch(data, type_, str(error), (), (strict, dec_hook)) from None


def struct_keys(cls: type) -> tuple[str, ...]:
    """The keys a Struct's table may hold, in declaration order (its tag field first)."""
    config = cls.__struct_config__  # type: ignore[attr-defined]
    tag = (config.tag_field,) if isinstance(config.tag_field, str) else ()
    return (*tag, *cls.__struct_fields__)  # type: ignore[attr-defined]


def required_keys(cls: type) -> tuple[str, ...]:
    """The keys a Struct's table must hold."""
    fields = msgspec.structs.fields(cls)  # type: ignore[arg-type]
    return tuple(f.name for f in fields if f.required)


# ----------------------------------------------------------------------------------------------
# Explaining msgspec's error


_Options = tuple[bool, Callable[[type, Any], Any] | None]


def _mismatch(
    data: Any, type_: Any, message: str, base: Path, options: _Options = (True, None)
) -> Mismatch:
    text, at, where = message.rpartition(_AT)
    if at and re.fullmatch(rf"(?:{_SEGMENT.pattern})*`", where):
        try:
            return _walk(data, type_, text, where, base, options)
        except LookupError:
            pass  # an unknown key that itself looks like a path: the path was not one
    return _walk(data, type_, message, "", base, options)


def _walk(data: Any, type_: Any, text: str, where: str, base: Path, options: _Options) -> Mismatch:
    segments = [m.group(1) or m.group(2) for m in _SEGMENT.finditer(where)]
    value, current, parent, path = data, type_, None, list(base)
    for segment in segments:
        if segment == "...":
            # A dictionary entry: convert each value again to learn which key it was.
            value_type = _dict_value_type(current, value)
            for key, item in value.items():
                try:
                    msgspec.convert(item, value_type, strict=options[0], dec_hook=options[1])
                except msgspec.ValidationError as inner:
                    return _mismatch(item, value_type, str(inner), (*path, key), options)
            raise LookupError(where)
        key: str | int = int(segment) if segment.isascii() and segment.isdigit() else segment
        if not (isinstance(value, Mapping) or (isinstance(value, list) and isinstance(key, int))):
            raise LookupError(where)
        parent = (current, value)
        current = _child_type(current, value, key)
        value = value[key]
        path.append(key)
    return _classify(text, value, current, parent, tuple(path))


def _classify(
    text: str, value: Any, type_: Any, parent: tuple[Any, Any] | None, path: Path
) -> Mismatch:
    if text.startswith("Object contains unknown field"):
        cls = _struct_of(type_, value)
        allowed = struct_keys(cls) if cls else ()
        unknown = next((k for k in value if k not in allowed), None) if allowed else None
        if unknown is None:
            raise LookupError(text)
        return Mismatch((*path, unknown), "unknown_key", unknown, None, "", allowed)
    if text.startswith("Object missing required field"):
        missing = text.partition("`")[2].rpartition("`")[0]
        tags = _tags(type_)
        if tags and missing == _tag_field(type_):
            return Mismatch(path, "missing_key", missing, None, "one of " + ", ".join(tags))
        cls = _struct_of(type_, value)
        field_type = _field_types(cls).get(missing, Any) if cls else Any
        return Mismatch(path, "missing_key", missing, None, words(field_type))
    problem: Problem = "wrong_type" if text.startswith("Expected `") else "bad_value"
    if parent is not None and path and path[-1] == _tag_field(parent[0]):
        # The kind of a tagged table: say which kinds there are.
        tags = _tags(parent[0])
        return Mismatch(
            path, problem, str(path[-1]), value, "one of " + ", ".join(tags), reason=text
        )
    return Mismatch(path, problem, _last_key(path), value, words(type_), reason=text)


def _last_key(path: Path) -> str:
    return next((str(p) for p in reversed(path) if isinstance(p, str)), "")


# ----------------------------------------------------------------------------------------------
# Walking the declared types beside the data


def _unwrap(type_: Any) -> tuple[Any, str]:
    """The type inside ``Annotated``, and its description when it has one."""
    description = ""
    while typing.get_origin(type_) is typing.Annotated:
        type_, *extras = typing.get_args(type_)
        for extra in extras:
            if isinstance(extra, msgspec.Meta) and extra.description:
                description = extra.description
    return type_, description


def _members(type_: Any) -> tuple[Any, ...]:
    type_, _ = _unwrap(type_)
    if typing.get_origin(type_) in (typing.Union, types.UnionType):
        return tuple(_unwrap(t)[0] for t in typing.get_args(type_))
    return (type_,)


def _is_struct(type_: Any) -> bool:
    return isinstance(type_, type) and issubclass(type_, msgspec.Struct)


def _struct_of(type_: Any, value: Any) -> type | None:
    """The Struct among ``type_``'s members that ``value`` (a table) is read as."""
    structs = [t for t in _members(type_) if _is_struct(t)]
    if len(structs) > 1 and isinstance(value, Mapping):
        field = structs[0].__struct_config__.tag_field
        for cls in structs:
            if value.get(field) == cls.__struct_config__.tag:
                return cls
    return structs[0] if structs else None


def _tag_field(type_: Any) -> str | None:
    structs = [t for t in _members(type_) if _is_struct(t)]
    field = structs[0].__struct_config__.tag_field if structs else None
    return field if isinstance(field, str) else None


def _tags(type_: Any) -> list[str]:
    return [
        t.__struct_config__.tag
        for t in _members(type_)
        if _is_struct(t) and isinstance(t.__struct_config__.tag, str)
    ]


@cache
def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, include_extras=True)


def _child_type(type_: Any, value: Any, key: str | int) -> Any:
    """The declared type of ``value[key]``."""
    if isinstance(key, int):
        for member in _members(type_):
            if typing.get_origin(member) is list:
                return typing.get_args(member)[0]
        return Any
    cls = _struct_of(type_, value)
    if cls is not None:
        return _field_types(cls).get(key, Any)
    return _dict_value_type(type_, value)


def _dict_value_type(type_: Any, value: Any) -> Any:
    for member in _members(type_):
        if typing.get_origin(member) is dict:
            return typing.get_args(member)[1]
    return Any


_WORDS: dict[Any, str] = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "a table",
}


def words(type_: Any) -> str:
    """What a value of ``type_`` is, in words ("text", "a number", "a table or text" ...); a
    description given with ``msgspec.Meta`` says it instead."""
    bare, description = _unwrap(type_)
    if description:
        return description
    if typing.get_origin(bare) in (typing.Union, types.UnionType):
        parts = [words(t) for t in typing.get_args(bare) if t is not type(None)]
        if "a whole number" in parts and "a number" in parts:
            parts.remove("a whole number")  # int | float: "a number" says it
        return " or ".join(dict.fromkeys(parts)) or "a value"
    if bare is Any:
        return "a value"
    if _is_struct(bare):
        return "a table"
    return _WORDS.get(typing.get_origin(bare) or bare, "a value")


__all__ = ["Mismatch", "convert", "required_keys", "struct_keys", "words"]
