"""Numbers in rules and scenario files are read only when written as people write them.

TOML also reads ``1_0`` as 10, ``0x10`` as 16, ``0o17`` as 15, ``0b101`` as 5 and ``inf`` and
``nan`` as floats; parse_toml refuses those with the line, the column and what was expected,
and reads everything else as tomllib does: keys, strings and comments that look like such
numbers, decimals and exponents, dates and times. The property test holds the scanner to
tomllib's own reading of the same text: the number values tomllib parses, and their raw text.
"""

from __future__ import annotations

import re
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import InputError, RulesError
from planner.model import toml_numbers
from planner.model.limits import MAX_TOML_BYTES, parse_toml
from planner.model.toml_numbers import UnusualNumber, refuse_unusual_numbers
from planner.resources import bundled_dir
from planner.ruleset.load import load_ruleset_text
from planner.scenarios.read import read_scenario_file

REPO = Path(__file__).resolve().parents[2]
UNDERSCORE = "a number in the digits 0 to 9, such as "


def refused(text: str) -> UnusualNumber:
    with pytest.raises(UnusualNumber) as caught:
        parse_toml(text)
    return caught.value


@pytest.mark.parametrize(
    ("value", "problem", "expected"),
    [
        ("1_0", "the number 1_0 is written with an underscore", UNDERSCORE + "10"),
        ("-1_000", "the number -1_000 is written with an underscore", UNDERSCORE + "-1000"),
        ("1_0.5", "the number 1_0.5 is written with an underscore", UNDERSCORE + "10.5"),
        ("2.5e1_0", "the number 2.5e1_0 is written with an underscore", UNDERSCORE + "2.5e10"),
        ("0x10", "the number 0x10 is written in hexadecimal", UNDERSCORE + "16"),
        (
            "0xdead_BEEF",
            "the number 0xdead_BEEF is written in hexadecimal",
            UNDERSCORE + "3735928559",
        ),
        ("0o17", "the number 0o17 is written in octal", UNDERSCORE + "15"),
        ("0b101", "the number 0b101 is written in binary", UNDERSCORE + "5"),
        ("inf", "the value inf is not a finite number", "a finite number in the digits 0 to 9"),
        ("-inf", "the value -inf is not a finite number", "a finite number in the digits 0 to 9"),
        ("+nan", "the value +nan is not a finite number", "a finite number in the digits 0 to 9"),
        ("nan", "the value nan is not a finite number", "a finite number in the digits 0 to 9"),
    ],
)
def test_each_form_nobody_writes_is_refused_with_its_place(
    value: str, problem: str, expected: str
) -> None:
    error = refused(f'name = "x"\n\n[[changes]]\ngb = {value}\n')
    assert (error.problem, error.line, error.column, error.expected) == (problem, 4, 6, expected)
    assert str(error) == f"{problem} (line 4, column 6)"
    assert isinstance(error, tomllib.TOMLDecodeError)  # for a caller that takes any TOML error


def test_the_forms_people_write_are_read() -> None:
    text = (
        "a = 10\nb = -35\nc = +7\nd = 0\ne = 0.15\nf = 40.0\ng = 1e3\nh = 6.5E-2\ni = -1.5e+3\n"
        "j = 2026-12-01\nk = 07:32:00\nl = 1979-05-27 07:32:00.5-07:00\nm = true\nn = [0, 1.5]\n"
    )
    assert parse_toml(text)["g"] == 1000.0


def test_keys_strings_and_comments_that_look_like_such_numbers_are_read() -> None:
    text = (
        "# quantity = 1_0, 0x10, inf\n"
        'DYN365_FINANCE = "1_0"\n'
        "a_1 = '0x10'\n"
        "1_0 = 5  # a bare key of digits and an underscore\n"
        "0x10.inf.nan = 1\n"
        '"2_0" = """\n1_0 "" \\""" inf\n"""\n'
        "b = '''\n0b1 '' nan'''''\n"
        "c = [\n  1, # 1_0\n  'nan',\n]\n"
        "d = { 3_0 = 1, e_1 = { inf = 2 } }\n"
        "[table_1.2_0]\n"
        "[[list.0x1]]\n"
        "f = 1 # -inf\n"
    )
    data = parse_toml(text)
    assert data["1_0"] == 5 and data["0x10"]["inf"]["nan"] == 1
    assert data["b"] == "0b1 '' nan''"
    assert data["d"] == {"3_0": 1, "e_1": {"inf": 2}}


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("a = [1, 2,\n  # 1_0\n  3_0]\n", 3, 3),
        ("a = { b_1 = 1, c = [{}, { d = 0o7 }] }\n", 1, 31),
        ("a = '''\n1_0'''\nb = [[1], [2, -inf]]\n", 3, 15),
        ('a = """\\"""1_0"""\nb = 0b1\n', 2, 5),
        ("a = 1\r\nb = 1_0\r\n", 2, 5),
        # Quotes that end a multi-line string's text, then its end: no string that opens.
        ("a = ['''x'''', 1_0, 'y']\n", 1, 16),
        ('a = ["""x""""", 1_0, "y"]\n', 1, 17),
        ("[t]\nx = 2026-12-01 07:00:00\ny = [1e3, 2_0e1]\n", 3, 11),
    ],
)
def test_a_number_in_a_nested_value_is_found_where_it_is(text: str, line: int, column: int) -> None:
    error = refused(text)
    assert (error.line, error.column) == (line, column)


def test_the_bundled_rule_sets_and_the_scenario_examples_are_read() -> None:
    files = [*bundled_dir("rules").glob("*.toml"), *(REPO / "samples" / "scenarios").glob("*.toml")]
    files.append(REPO / "templates" / "starter" / "scenario.toml")
    assert len(files) >= 5
    for file in files:
        parse_toml(file.read_text(encoding="utf-8-sig"))


def test_a_scenario_file_names_the_file_line_and_column(tmp_path: Path) -> None:
    scenario = tmp_path / "wave.toml"
    scenario.write_text(
        'name = "Wave"\n\n[[changes]]\nkind = "add_licenses"\nsku = "DYN365_FINANCE"\n'
        "quantity = 2_0\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_scenario_file(scenario, "2026-12", 12)
    assert caught.value.render() == (
        f"{scenario}, line 6, column 12: the number 2_0 is written with an underscore\n"
        "  expected: a number in the digits 0 to 9, such as 20"
    )


def test_a_rules_file_names_the_file_line_and_column() -> None:
    text = (bundled_dir("rules") / "pooled-2025-12.toml").read_text(encoding="utf-8")
    bad = text.replace("extension_days = { value = 45,", "extension_days = { value = 0x2D,")
    assert bad != text
    line = bad[: bad.index("0x2D")].count("\n") + 1
    with pytest.raises(RulesError) as caught:
        load_ruleset_text(bad, "mine.toml")
    assert caught.value.render() == (
        f"mine.toml, line {line}, column 28: the number 0x2D is written in hexadecimal\n"
        "  expected: a number in the digits 0 to 9, such as 45"
    )


def test_a_long_number_is_shown_shortened() -> None:
    error = refused("a = " + "1_" * 1_000 + "1\n")
    assert len(error.problem) < 100 and "shortened" in error.problem
    assert error.expected == "a number in the digits 0 to 9"


def test_the_scan_stays_linear_in_the_size_of_the_text() -> None:
    """Files at the size limit made of what the searches look for, where a search that went
    back over what it had read would take minutes."""
    half = MAX_TOML_BYTES // 2
    for body in (
        "1" + "_1" * (half // 2 - 4) + " = 0\n",  # one bare key of underscores between digits
        "a" + "_a" * (half // 2 - 4) + " = 0\n",
        "a = [" + "1, " * (half // 3) + "2]\n",
        "a = '" + "1_1 " * (half // 4) + "'\n",
        "a = [" + "'_1', " * (half // 6) + "]\n",
        'a = """' + '""x' * (half // 3) + '"""\n',
        "# " + "-inf 0x1 " * (half // 9) + "\n",
    ):
        text = "# 1_0\n" + body  # a look-alike in a comment: the whole text is scanned
        assert len(text) <= MAX_TOML_BYTES
        tomllib.loads(text)
        started = time.perf_counter()
        refuse_unusual_numbers(text)
        assert time.perf_counter() - started < 1.0


# --- The property test: the scanner against tomllib's own reading ------------------------------

PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


@contextmanager
def numbers_tomllib_reads() -> Iterator[list[tuple[int, str]]]:
    """The offset and raw text of every number value tomllib parses meanwhile: its parser reads
    each value with one function, which is wrapped here to note those that come out as numbers."""
    parser: Any = getattr(tomllib, "_parser", None)
    if parser is None or not callable(getattr(parser, "parse_value", None)):
        pytest.skip("this Python's tomllib reads values otherwise")
    read = parser.parse_value
    found: list[tuple[int, str]] = []

    def noting(src: str, pos: int, *rest: Any) -> tuple[int, Any]:
        end, value = read(src, pos, *rest)
        if type(value) in (int, float):
            found.append((pos, src[pos:end]))
        return end, value

    parser.parse_value = noting
    try:
        yield found
    finally:
        parser.parse_value = read


def words(*pieces: str) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces), max_size=6).map("".join)


# What a document is made of: numbers people write and numbers they do not, and keys, strings
# and comments full of the same characters.
PLAIN_FORMS = ["0", "7", "-35", "+12", "0.15", "40.0", "1e3", "6.5E-2", "-1.5e+3", "365"]
UNUSUAL_FORMS = ["1_0", "-1_000", "+2_5", "1_0.5", "1.0_5", "1e1_0", "0x10", "0xdead_beef"]
UNUSUAL_FORMS += ["0o17", "0b101", "inf", "-inf", "+inf", "nan", "-nan", "+nan"]
NUMBERS = st.sampled_from([*PLAIN_FORMS, *UNUSUAL_FORMS])
OTHER_VALUES = st.sampled_from(
    ["true", "false", "2026-12-01", "07:32:00", "1979-05-27T07:32:00Z", "2026-12-01 10:00:00-07:00"]
)
LOOKALIKES = ("1_0", "0x10", "inf", "-nan", "a_1", "2_", "_3", " ", "=", ",", "[", "]", "{", "}")
BASIC = words(*LOOKALIKES, "'", "#", "\\\\", '\\"', "\\u0031", "\\t").map('"{}"'.format)
LITERAL = words(*LOOKALIKES, '"', "#", "\\").map("'{}'".format)
MULTI_BASIC = (
    words(*LOOKALIKES, '"', '""', "'", "\n", "\\\n", "\\\\", '\\"', "#")
    .filter(lambda text: '"""' not in text)
    .map('"""{}"""'.format)
)
MULTI_LITERAL = (
    words(*LOOKALIKES, "'", "''", '"', "\n", "\\", "#")
    .filter(lambda text: "'''" not in text)
    .map("'''{}'''".format)
)
STRINGS = st.one_of(BASIC, LITERAL, MULTI_BASIC, MULTI_LITERAL)
COMMENTS = words(*LOOKALIKES, "'", '"', "#").map("# {}".format)
BARE_KEYS = st.sampled_from(
    ["a_1", "1_0", "DYN365_FINANCE", "0x10", "0b1", "inf", "-nan", "1e3", "2026-12-01", "_1", "k"]
)
QUOTED_KEYS = st.sampled_from(['"1_0"', "'0x10 = 1'", '"inf # x"', '"a.b"', "''"])
KEY_PARTS = st.one_of(BARE_KEYS, QUOTED_KEYS)
SEPARATORS = st.sampled_from([", ", ",", " , ", ",\n  ", ", # 1_0, nan\n  ", ",\n# 0x10\n"])


def key_name(part: str) -> str:
    """What a key part names (its text without quotes), to keep keys of one table apart."""
    return part[1:-1] if part[:1] in "\"'" else part


def keyed(values: st.SearchStrategy[str], ends: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Lines of a key (perhaps dotted), each of a name of its own in the table, ``=`` and a
    value, each followed by one of ``ends``."""

    @st.composite
    def pairs(draw: st.DrawFn) -> str:
        heads = draw(st.lists(KEY_PARTS, max_size=4, unique_by=key_name))
        text = ""
        for head in heads:
            key = head + draw(st.sampled_from(["", ".1_0", " . 'x'", ".inf.a_1"]))
            text += f"{key} = {draw(values)}{draw(ends)}"
        return text

    return pairs()


def arrays(items: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    @st.composite
    def array(draw: st.DrawFn) -> str:
        elements = draw(st.lists(items, max_size=4))
        text = ""
        for index, element in enumerate(elements):
            text += (draw(SEPARATORS) if index else "") + element
        end = draw(st.sampled_from(["", ",", ",\n", "\n", " # ]\n"])) if elements else ""
        return draw(st.sampled_from(["[", "[\n  ", "[ # [\n"])) + text + end + "]"

    return array()


def inline_tables(items: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return keyed(items, st.just(", ")).map(lambda pairs: "{ " + pairs.rstrip(", ") + " }")


VALUES = st.recursive(
    st.one_of(NUMBERS, NUMBERS, OTHER_VALUES, STRINGS),
    lambda items: st.one_of(arrays(items), inline_tables(items)),
    max_leaves=8,
)
LINE_ENDS = st.sampled_from(["\n", "  # 1_0 = 0x10\n", " #inf\n", "\n\n# [a] = nan\n"])


@st.composite
def documents(draw: st.DrawFn) -> str:
    """Top-level pairs, then tables and arrays of tables whose names are their own."""

    text = draw(COMMENTS) + "\n" + draw(keyed(VALUES, LINE_ENDS))
    for index in range(draw(st.integers(0, 3))):
        header = f"tab_{index}." + draw(KEY_PARTS)
        text += f"[[{header}]]\n" if draw(st.booleans()) else f"[{header}]\n"
        text += draw(keyed(VALUES, LINE_ENDS))
    return text


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_exactly_the_numbers_tomllib_reads_from_unusual_text_are_refused(text: str) -> None:
    with numbers_tomllib_reads() as numbers:
        tomllib.loads(text)
    unusual = [(at, raw) for at, raw in numbers if not PLAIN_NUMBER.fullmatch(raw)]
    if not unusual:
        refuse_unusual_numbers(text)
        return
    with pytest.raises(UnusualNumber) as caught:
        refuse_unusual_numbers(text)
    at, raw = min(unusual)
    line = text.count("\n", 0, at) + 1
    assert (caught.value.line, caught.value.column) == (line, at - text.rfind("\n", 0, at))
    assert raw in caught.value.problem


# What the scan first looks for, so that text holding no look-alike at all costs one search: it
# must not miss one. The words of a text are its runs of the characters of bare keys and values.
BARE_RUN = re.compile(r"[A-Za-z0-9_+.:-]+")
LOOKALIKE_WORD = re.compile(r"[+-]?[0-9][A-Za-z0-9_+.:-]*_.*|0[xob].*|[+-]?(?:inf|nan)")


@settings(max_examples=examples(300), deadline=None)
@given(st.text(st.sampled_from("019_+-.:aexobinf \n'\"#=[]{},"), max_size=30))
def test_the_first_look_finds_every_word_that_may_be_such_a_number(text: str) -> None:
    expected = any(LOOKALIKE_WORD.fullmatch(word) for word in BARE_RUN.findall(text))
    assert toml_numbers._may_hold_one(text) == expected
