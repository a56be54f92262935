"""JSON documents: parsing with clear errors, and typed look-ups that name the JSON path.

Keys are looked up case-insensitively because the same API response reaches users both as the
service wrote it (``skuPartNumber``) and re-serialized by PowerShell (``SkuPartNumber``).

Rules and scenario files are checked against msgspec Structs (planner.model.structs); these
documents are not, on purpose: they are Microsoft's answers, whose keys come in any case and
under older names, with fields added over time that must be ignored, and numbers that hand-edited
copies quote. A Struct refuses all of that; :class:`JsonReader` reads what capplan needs and names
the JSON path of what it cannot use.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from planner.errors import InputError, printable
from planner.ingest.table import ABSURD, trim
from planner.model.limits import LONGEST_TEXT, MAX_ROWS
from planner.model.units import plain_float

_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_json(file: str, text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as error:
        raise InputError(
            f"not valid JSON for capplan: the key {printable(str(error), 100)!r} appears twice in "
            "one object, and which value is meant cannot be told",
            file=file,
            expected="each key once per object, as the API returns it",
        ) from None
    except json.JSONDecodeError as error:
        raise InputError(
            f"not valid JSON: {error.msg}",
            file=file,
            location=f"line {error.lineno}, column {error.colno}",
            expected="a complete JSON document as the API returned it",
        ) from None
    except _NonStandardNumber as error:
        raise InputError(
            f"not valid JSON: {error} is not a JSON number",
            file=file,
            expected="numbers written as digits",
        ) from None
    except RecursionError:
        raise InputError(
            "the JSON is nested too deeply to be an API response",
            file=file,
            expected="a JSON document as the API returned it",
        ) from None
    except ValueError as error:  # e.g. integers with thousands of digits
        reason = "a number has thousands of digits" if "digits" in str(error) else str(error)
        raise InputError(
            f"not valid JSON: {reason}", file=file, expected="numbers of ordinary size"
        ) from None


class _NonStandardNumber(ValueError):
    pass


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


def _reject_constant(name: str) -> float:
    raise _NonStandardNumber(name)


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def member(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def item(path: str, index: int) -> str:
    return f"{path}[{index}]"


def lookup(obj: dict, *names: str) -> tuple[str, Any] | None:
    """The first of ``names`` present in ``obj`` (any case), as (key as written, value)."""
    folded = {key.casefold(): key for key in obj if isinstance(key, str)}
    for name in names:
        key = folded.get(name.casefold())
        if key is not None:
            return key, obj[key]
    return None


class JsonReader:
    """Typed access to one document, raising InputError that names the file and JSON path."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, message: str, path: str, expected: str) -> InputError:
        return InputError(
            message, file=self.file, location=path or "(top level)", expected=expected
        )

    def as_object(self, value: Any, path: str, what: str = "an object") -> dict:
        if not isinstance(value, dict):
            hint = ""
            if isinstance(value, str) and value.startswith(("Microsoft.", "System.", "@{")):
                hint = " (the export was cut short: ConvertTo-Json needs a larger -Depth)"
            raise self.fail(f"found {type_name(value)}, not an object{hint}", path, what)
        return value

    def as_list(self, value: Any, path: str, what: str) -> list:
        if not isinstance(value, list):
            raise self.fail(f"found {type_name(value)}, not a list", path, what)
        if len(value) > MAX_ROWS:
            raise self.fail(
                f"the list has {len(value):,} items, more than the {MAX_ROWS:,} capplan reads",
                path,
                f"at most {MAX_ROWS:,} licenses or environments in one file",
            )
        return value

    def field(self, obj: dict, path: str, *names: str) -> tuple[str, Any]:
        """(path of the key, value); value None when absent."""
        found = lookup(obj, *names)
        if found is None:
            return member(path, names[0]), None
        key, value = found
        return member(path, key), value

    def text(self, obj: dict, path: str, *names: str, required: bool = True) -> str:
        where, value = self.field(obj, path, *names)
        if value is None:
            if required:
                raise self.fail(f"{names[0]} is missing", where, f"{names[0]} as text")
            return ""
        if not isinstance(value, str):
            raise self.fail(f"{names[0]} is {type_name(value)}", where, f"{names[0]} as text")
        value = trim(value)
        if _SURROGATE.search(value):
            # JSON may spell half of a UTF-16 pair ("\\ud800") alone; it is no character, and no
            # report could be written with it.
            raise self.fail(
                f"{names[0]} holds an unpaired surrogate escape (\\ud800 to \\udfff)",
                where,
                f"{names[0]} as text of real characters",
            )
        if required and not value:
            raise self.fail(f"{names[0]} is empty", where, f"{names[0]} as non-empty text")
        if len(value) > LONGEST_TEXT:
            raise self.fail(
                f"{names[0]} is {len(value):,} characters long",
                where,
                f"{names[0]} of at most {LONGEST_TEXT:,} characters (what an Excel cell holds)",
            )
        return value

    def whole_number(
        self, obj: dict, path: str, *names: str, required: bool = True, default: int = 0
    ) -> int:
        where, value = self.field(obj, path, *names)
        expected = f"{names[0]} as a whole number from 0 to {ABSURD:,}"
        if value is None:
            if required:
                raise self.fail(f"{names[0]} is missing", where, expected)
            return default
        number = self._number(value, where, expected, maximum=ABSURD)
        if number != int(number):
            raise self.fail(f"{value!r} is not a whole number", where, expected)
        return int(number)

    def size(self, obj: dict, path: str, *names: str, maximum: float) -> float | None:
        """A non-negative finite amount up to ``maximum``, or None when absent or null."""
        where, value = self.field(obj, path, *names)
        if value is None:
            return None
        return self._number(value, where, f"{names[0]} as a number from 0 upwards", maximum)

    def _number(self, value: Any, where: str, expected: str, maximum: float) -> float:
        if isinstance(value, bool):
            raise self.fail(f"found {type_name(value)}, not a number", where, expected)
        if isinstance(value, str):
            # Hand-edited files quote numbers; accept digits, nothing else.
            try:
                value = plain_float(trim(value))
            except ValueError:
                try:
                    loose = float(trim(value))  # "NaN", "Infinity": say what they are
                except ValueError:
                    raise self.fail(f"'{value}' is not a number", where, expected) from None
                if math.isfinite(loose):
                    raise self.fail(f"'{value}' is not a number", where, expected) from None
                value = loose
        if not isinstance(value, (int, float)):
            raise self.fail(f"found {type_name(value)}, not a number", where, expected)
        try:
            number = float(value)
        except OverflowError:
            raise self.fail("the number is far too large", where, expected) from None
        if not math.isfinite(number):
            raise self.fail(f"{value!r} is not a finite number", where, expected)
        if number < 0:
            raise self.fail(f"{value!r} is negative", where, expected)
        if number > maximum:
            raise self.fail(
                f"{value!r} is larger than {maximum:,.0f}, which cannot be right", where, expected
            )
        return number
