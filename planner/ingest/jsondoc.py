"""JSON documents: parsing with clear errors, key look-up in any case, and the checks of one
value that name what was expected.

Keys are looked up case-insensitively because the same API response reaches users both as the
service wrote it (``skuPartNumber``) and re-serialized by PowerShell (``SkuPartNumber``).

The readers of Microsoft's answers declare their shape as msgspec Structs and read them with
planner.ingest.jsonshape, like rules and scenario files; the checks of one value here
(:func:`checked_text`, :func:`checked_whole_number`, :func:`checked_size`) are what its leaf
types run, so that quoted digits are numbers, and nothing else is, in every reader. Format
detection (planner.ingest.detect) uses :func:`checked_object` and :func:`checked_list` to find
the list it classifies before any shape is known.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from planner.errors import InputError, printable
from planner.ingest.table import ABSURD, TRIMMED, trim
from planner.model.limits import (
    JSON_CONTAINERS_ALLOWED,
    JSON_VALUES_ALLOWED,
    LONGEST_TEXT,
    MAX_ROWS,
    MIN_JSON_BYTES_PER_CONTAINER,
    MIN_JSON_BYTES_PER_VALUE,
    cell_units,
    too_long_for_a_cell,
)
from planner.model.units import plain_float

_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_json(file: str, text: str) -> Any:
    # Marks within strings are counted out only where the count of all of them is that high,
    # from the text without its strings, made once.
    bare: str | None = None
    for count, marks, allowed, per in _densities():
        most = allowed + len(text) // per
        if sum(map(text.count, marks)) <= most:
            continue
        if bare is None:
            bare = without_strings(text)
        found = sum(map(bare.count, marks))
        if found > most:
            raise InputError(
                f"the JSON holds {count(found)} in {len(text):,} characters, more than one per "
                f"{per} characters: not an API answer",
                file=file,
                expected="a JSON document as the API returned it",
            )
    try:
        return json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_read_float,
            object_pairs_hook=_no_duplicates,
        )
    except _LongKey as error:
        key = error.args[0]
        raise InputError(
            f"a key of this object is {cell_units(key):,} characters long (it begins "
            f"{printable(key[:20], 20)!r})",
            file=file,
            location=_long_key_path(text, key),
            expected=f"keys of at most {LONGEST_TEXT:,} characters, as the API writes them",
        ) from None
    except _DuplicateKey as error:
        keys = [repr(printable(str(key), 100)) for key in error.args]
        what = (
            f"the key {keys[0]} appears twice in one object"
            if len(keys) == 1
            else f"the keys {keys[0]} and {keys[1]} of one object differ only in case (capplan "
            "reads keys in any case)"
        )
        raise InputError(
            f"not valid JSON for capplan: {what}, and which value is meant cannot be told",
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


def _densities() -> tuple[tuple[Callable[[int], str], str, int, int], ...]:
    """What a document may hold at most beyond a first allowance, one per so many characters,
    counted before it is parsed: the objects and lists it opens, and its values (each but the
    first of its object or list follows a comma, and each of an object's values a colon); how
    a count is told."""
    return (
        (
            lambda found: f"{found:,} objects and lists",
            "{[",
            JSON_CONTAINERS_ALLOWED,
            MIN_JSON_BYTES_PER_CONTAINER,
        ),
        (
            lambda found: f"over {found:,} values",
            ",:",
            JSON_VALUES_ALLOWED,
            MIN_JSON_BYTES_PER_VALUE,
        ),
    )


# A string, or the rest of the text where one is not closed: every quote the search meets starts a
# match, so the text is gone through once, whatever its quotes and backslashes.
_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"?', re.DOTALL)


def without_strings(text: str) -> str:
    """``text`` without its strings, made in one pass (at most the text's size again): a
    string at a time, the 9 million of a 45 MB document took 4 s to count within."""
    return _STRING.sub("", text)


class _NonStandardNumber(ValueError):
    pass


class _DuplicateKey(ValueError):
    pass


class _LongKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object of the document; a key given twice is refused, and so are two keys that
    differ only in case, since capplan reads keys in any case (which was meant?), and a key
    longer than any text capplan reads. The objects of one answer share their keys: each set
    of keys is looked at once (a list of 30,000 environments has 210,000 objects)."""
    result = dict(pairs)
    if len(result) != len(pairs) or tuple(result) not in _KEYS_FINE:
        _check_keys(result, pairs)
    return result


def _check_keys(result: dict[str, Any], pairs: list[tuple[str, Any]]) -> None:
    """Refuse an object's keys (see :func:`_no_duplicates`), or remember them as fine."""
    if len(result) == 1:
        (key,) = result
        if too_long_for_a_cell(key):
            raise _LongKey(key)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    folded: dict[str, str] = {}
    for key in result if len(result) > 1 else ():
        if too_long_for_a_cell(key):
            raise _LongKey(key)
        other = folded.setdefault(key.casefold(), key)
        if other is not key:
            raise _DuplicateKey(other, key)
    if len(_KEYS_FINE) < 4096:
        _KEYS_FINE.add(tuple(result))


# Sets of keys seen fine (see _no_duplicates), the empty one among them.
_KEYS_FINE: set[tuple[str, ...]] = {()}

# The characters trim() removes from the ends of a text that are ASCII.
_ASCII_TRIMMED = "".join(character for character in TRIMMED if character.isascii())


def _reject_constant(name: str) -> float:
    raise _NonStandardNumber(name)


_LONG_KEY = "\x00long key\x00"


def _long_key_path(text: str, key: str) -> str:
    """The JSON path of the first key that is too long (the document read again, each such key
    put aside); where the text of ``key`` begins when the rest of the document does not read."""

    def marked(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        return {_LONG_KEY if too_long_for_a_cell(key) else key: value for key, value in pairs}

    try:
        document = json.loads(text, object_pairs_hook=marked)
    except (ValueError, RecursionError):
        at = max(text.find(json.dumps(key[:100], ensure_ascii=False)[:-1]), 0)
        line = text.count("\n", 0, at) + 1
        return f"line {line}, column {at - text.rfind(chr(10), 0, at)}"
    return _path_to(document, "") or "(top level)"


def _path_to(value: Any, path: str) -> str | None:
    """The path of the first object within ``value`` that holds a key put aside."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            if _LONG_KEY in value:
                return path
            stack.extend((v, member(path, k)) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((v, item(path, i)) for i, v in reversed(list(enumerate(value))))
    return None


class WrittenNumber(float):
    """A JSON number whose value as a float says other than its text where that matters: a
    number written with a fraction read as a whole one (25.0000000000000000001 is 25.0), or a
    number other than 0 read as 0 (1e-400). The float, and the text as written."""

    written: str

    def __new__(cls, value: float, written: str) -> WrittenNumber:
        number = super().__new__(cls, value)
        number.written = written
        return number


def _read_float(text: str) -> float:
    """A JSON number with a fraction or an exponent (whole numbers are read as int): a float,
    or a WrittenNumber where the float is not what the text says (see :func:`misread`)."""
    number = float(text)
    if (number == 0 or number.is_integer()) and misread(text, number):
        return WrittenNumber(number, text)
    return number


def misread(text: str, number: float) -> str | None:
    """What a float read from ``text`` loses that a count cannot lose: "zero" when the text is
    of a number other than 0, "fraction" when it has a fraction the float rounded away;
    None otherwise. Only floats of 0 or whole ones need asking."""
    text = text.strip()
    mantissa = text.split("e")[0].split("E")[0]
    if number == 0:
        return "zero" if mantissa.strip("+-0.") else None
    if not number.is_integer() or (mantissa == text and text.rstrip("0").endswith(".")):
        return None  # (digits, a point and zeros: whole as written)
    try:
        written = Decimal(text)
    except ArithmeticError:
        return None
    return "fraction" if written != written.to_integral_value() else None


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


# The suffix of the Dataverse Web API's formatted twin of a field (a choice's label).
ODATA_FORMATTED = "@OData.Community.Display.V1.FormattedValue"


def looks_like_coe_item(first: dict) -> bool:
    """Whether a JSON list's first item is a CoE kit capacity record (admin_capacitytype): read
    by planner.ingest.coe, which the detection does not import for other files."""
    return lookup(first, "admin_capacitytype", f"admin_capacitytype{ODATA_FORMATTED}") is not None


def refusal(file: str, message: str, path: str, expected: str) -> InputError:
    """The InputError for what is wrong at ``path`` of a JSON document ("" for its top)."""
    return InputError(message, file=file, location=path or "(top level)", expected=expected)


def cut_short_hint(value: Any) -> str:
    """What to say of text found where an object belongs: PowerShell's ConvertTo-Json writes an
    object nested deeper than its -Depth as its type name."""
    if isinstance(value, str) and value.startswith(("Microsoft.", "System.", "@{")):
        return " (the export was cut short: ConvertTo-Json needs a larger -Depth)"
    return ""


def checked_object(file: str, value: Any, path: str, what: str = "an object") -> dict:
    if not isinstance(value, dict):
        raise refusal(
            file, f"found {type_name(value)}, not an object{cut_short_hint(value)}", path, what
        )
    return value


def checked_list(file: str, value: Any, path: str, what: str) -> list:
    if not isinstance(value, list):
        raise refusal(file, f"found {type_name(value)}, not a list", path, what)
    if len(value) > MAX_ROWS:
        raise refusal(
            file,
            f"the list has {len(value):,} items, more than the {MAX_ROWS:,} capplan reads",
            path,
            f"at most {MAX_ROWS:,} licenses or environments in one file",
        )
    return value


class Unfit(ValueError):
    """A value that does not fit: what is wrong and what was expected (the caller adds where)."""

    def __init__(self, message: str, expected: str) -> None:
        super().__init__(message)
        self.message = message
        self.expected = expected


def checked_text(value: Any, name: str, *, required: bool = True) -> str:
    """``value`` (None when absent) as trimmed text; ``""`` when absent and not required."""
    # ASCII text (a flag of every str: no invisible space, no surrogate), not empty, not too
    # long, without blanks at its ends is what the checks below leave as it is: most names and
    # addresses (90,000 of an environment list of 30,000 environments) are told so at once.
    if (
        type(value) is str
        and value.isascii()
        and 0 < len(value) <= LONGEST_TEXT
        and value[0] not in _ASCII_TRIMMED
        and value[-1] not in _ASCII_TRIMMED
    ):
        return value
    return _checked_text(value, name, required)


def _checked_text(value: Any, name: str, required: bool) -> str:
    """:func:`checked_text` in full."""
    if value is None:
        if required:
            raise Unfit(f"{name} is missing", f"{name} as text")
        return ""
    if not isinstance(value, str):
        raise Unfit(f"{name} is {type_name(value)}", f"{name} as text")
    value = trim(value)
    if _SURROGATE.search(value):
        # JSON may spell half of a UTF-16 pair ("\\ud800") alone; it is no character, and no
        # report could be written with it.
        raise Unfit(
            f"{name} holds an unpaired surrogate escape (\\ud800 to \\udfff)",
            f"{name} as text of real characters",
        )
    if required and not value:
        raise Unfit(f"{name} is empty", f"{name} as non-empty text")
    if too_long_for_a_cell(value):
        raise Unfit(
            f"{name} is {cell_units(value):,} characters long (as a cell counts them)",
            f"{name} of at most {LONGEST_TEXT:,} characters (what an Excel cell holds)",
        )
    return value


def checked_whole_number(value: Any, name: str, *, required: bool = True, default: int = 0) -> int:
    """``value`` (None when absent) as a whole number from 0 to ABSURD."""
    expected = f"{name} as a whole number from 0 to {ABSURD:,}"
    if value is None:
        if required:
            raise Unfit(f"{name} is missing", expected)
        return default
    number = checked_number(value, expected, maximum=ABSURD)
    if number != int(number):
        raise Unfit(f"{value!r} is not a whole number", expected)
    # A whole float from a text with a fraction the float lost (25.0000000000000000001).
    written = value.written if isinstance(value, WrittenNumber) else value
    if isinstance(written, str) and misread(written, number) == "fraction":
        raise Unfit(f"{printable(trim(written), 40)} is not a whole number", expected)
    return int(number)


def checked_size(value: Any, name: str, maximum: float) -> float | None:
    """A non-negative finite amount up to ``maximum``, or None when ``value`` is None."""
    if value is None:
        return None
    return checked_number(value, f"{name} as a number from 0 upwards", maximum)


def checked_number(value: Any, expected: str, maximum: float) -> float:
    """A finite number from 0 to ``maximum``: a JSON number, or digits in quotes."""
    if type(value) is float and 0.0 <= value <= maximum:  # the common case (NaN fails it)
        return value
    if isinstance(value, bool):
        raise Unfit(f"found {type_name(value)}, not a number", expected)
    if isinstance(value, str):
        # Hand-edited files quote numbers; accept digits, nothing else.
        try:
            text = trim(value)
            value = plain_float(text)
            if value == 0 and misread(text, 0.0):
                value = WrittenNumber(0.0, text)
        except ValueError:
            try:
                loose = float(trim(value))  # "NaN", "Infinity": say what they are
            except ValueError:
                raise Unfit(f"'{value}' is not a number", expected) from None
            if math.isfinite(loose):
                raise Unfit(f"'{value}' is not a number", expected) from None
            value = loose
    if not isinstance(value, (int, float)):
        raise Unfit(f"found {type_name(value)}, not a number", expected)
    if isinstance(value, WrittenNumber) and value == 0 and misread(value.written, 0.0):
        raise Unfit(
            f"{printable(value.written, 40)} is too small to be read: it would be read as 0",
            expected,
        )
    try:
        number = float(value)
    except OverflowError:
        raise Unfit("the number is far too large", expected) from None
    if not math.isfinite(number):
        raise Unfit(f"{value!r} is not a finite number", expected)
    if number < 0:
        raise Unfit(f"{value!r} is negative", expected)
    if number > maximum:
        raise Unfit(f"{value!r} is larger than {maximum:,.0f}, which cannot be right", expected)
    return number
