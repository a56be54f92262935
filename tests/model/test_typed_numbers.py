"""Numbers and months people type are read only when written with the digits 0 to 9.

Python's int() and float() also read "1_0" as 10, "١٠" (Arabic-Indic digits) and "１０"
(full-width digits) as 10, and take blanks around them; capplan refuses all of these with a
message that says what is wrong. The property tests hold the helpers to a grammar written out
by hand: an optional sign, digits 0 to 9 with an optional decimal point (at least one digit),
and an optional exponent; a whole number is an optional sign and digits.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.errors import InputError
from planner.model.months import parse_month, refuse_other_digits_in_name
from planner.model.units import odd_character, typed_float, typed_int

ASCII_DIGITS = "0123456789"
# What a number could be made of, and what int() and float() also take: digits of other scripts
# (Arabic-Indic, Devanagari, full-width, a superscript), an underscore, blanks, letters of
# "inf" and "nan" and of hexadecimal.
ALPHABET = ASCII_DIGITS + "+-.eE_ \t\u0660\u0665\u0966\uff10\uff15\u00b2infaINx"


def _digits(text: str, at: int) -> int:
    """The index after the run of digits 0 to 9 starting at ``at``."""
    while at < len(text) and text[at] in ASCII_DIGITS:
        at += 1
    return at


def grammar_float(text: str) -> bool:
    """The grammar of a typed number, without regular expressions."""
    at = 1 if text[:1] in ("+", "-") else 0
    end = _digits(text, at)
    whole = end - at
    fraction = 0
    if text[end : end + 1] == ".":
        after = _digits(text, end + 1)
        fraction, end = after - end - 1, after
    if whole + fraction == 0:
        return False
    if text[end : end + 1] in ("e", "E"):
        at = end + 1 + (text[end + 1 : end + 2] in ("+", "-"))
        end = _digits(text, at)
        if end == at:
            return False
    return end == len(text)


def grammar_int(text: str) -> bool:
    at = 1 if text[:1] in ("+", "-") else 0
    return len(text) > at and _digits(text, at) == len(text)


texts = st.text(st.sampled_from(ALPHABET), max_size=12)
written = st.builds(
    "{}{}{}{}".format,
    st.sampled_from(["", "+", "-"]),
    st.text(st.sampled_from(ASCII_DIGITS), min_size=1, max_size=8),
    st.sampled_from(["", ".", ".5", ".25"]),
    st.sampled_from(["", "e3", "E-2", "e+10"]),
)


@given(st.one_of(texts, written))
def test_typed_float_reads_exactly_the_grammar(text: str) -> None:
    if grammar_float(text):
        assert typed_float(text) == float(text)
    else:
        with pytest.raises(ValueError):
            typed_float(text)


@given(st.one_of(texts, written))
def test_typed_int_reads_exactly_the_grammar(text: str) -> None:
    if grammar_int(text):
        assert typed_int(text) == int(text)
    else:
        with pytest.raises(ValueError):
            typed_int(text)


@given(texts)
def test_what_python_reads_but_the_grammar_refuses_is_named(text: str) -> None:
    """Text int() or float() would read but the grammar refuses gets a reason: its odd
    character, its blanks, or that it is not finite."""
    try:
        float(text)
    except ValueError:
        return
    if grammar_float(text):
        return
    with pytest.raises(ValueError) as refused:
        typed_float(text)
    message = str(refused.value)
    assert message.startswith(repr(text))
    reasons = ("U+", "underscore", "not a finite number", "not a number written with")
    assert any(reason in message for reason in reasons), message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1_0", "'1_0' is not a number written with the digits 0 to 9 (it holds an underscore)"),
        (
            "\u0665",
            "'\u0665' is not a number written with the digits 0 to 9 "
            "(\u0665 is U+0665 ARABIC-INDIC DIGIT FIVE)",
        ),
        (
            "+\uff14\uff15",
            "'+\uff14\uff15' is not a number written with the digits 0 to 9 "
            "(\uff14 is U+FF14 FULLWIDTH DIGIT FOUR)",
        ),
        (" 5", "' 5' is not a number written with the digits 0 to 9"),
        ("inf", "'inf' is not a finite number"),
        ("lots", "'lots' is not a number written with the digits 0 to 9"),
    ],
)
def test_refusals_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        typed_float(text)
    assert str(refused.value) == message


def test_a_whole_number_of_thousands_of_digits_is_refused_not_a_crash() -> None:
    with pytest.raises(ValueError, match="a number of 5,000 digits, far too large"):
        typed_int("9" * 5000)
    assert typed_int("+0042") == 42
    with pytest.raises(ValueError, match="is not a whole number written with the digits 0 to 9"):
        typed_int("4.0")


def test_odd_character_names_the_first_one() -> None:
    assert odd_character("2026-01") is None
    assert odd_character("2_026") == "it holds an underscore"
    assert odd_character("x\u00b2") == "\u00b2 is U+00B2 SUPERSCRIPT TWO"
    assert odd_character("\u0967\u0968") == "\u0967 is U+0967 DEVANAGARI DIGIT ONE"


@pytest.mark.parametrize(
    ("text", "odd"),
    [
        ("\uff12\uff10\uff12\uff16-01", "\uff12 is U+FF12 FULLWIDTH DIGIT TWO"),
        ("2026-\u0660\u0661", "\u0660 is U+0660 ARABIC-INDIC DIGIT ZERO"),
        ("2_026-01", "it holds an underscore"),
    ],
)
def test_a_month_in_other_digits_is_refused(text: str, odd: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_month(text, what="--as-of")
    assert refused.value.message == (
        f"--as-of {text!r} is not a month written with the digits 0 to 9 ({odd})"
    )
    assert refused.value.expected == "YYYY-MM, like 2027-03"


def test_a_month_in_the_digits_0_to_9_still_reads() -> None:
    assert parse_month(" 2027-03 ") == parse_month("2027-03")
    with pytest.raises(InputError) as refused:
        parse_month("next spring")
    assert refused.value.message == "month 'next spring' is not a month"


@pytest.mark.parametrize(
    "name",
    [
        "environments-\uff12\uff10\uff12\uff16-09-30.csv",
        "environments-\u0662\u0660\u0662\u0666-10-31.csv",
        "environments-2026-09-\u0663\u0660.csv",  # the ASCII part alone would read as 2026-09
        "\u0662\u0660\u0662\u0666-12-02",
    ],
)
def test_a_date_in_a_name_in_other_digits_is_refused(name: str) -> None:
    with pytest.raises(InputError, match="in the name is not written with the digits 0 to 9"):
        refuse_other_digits_in_name(name, file=str(Path("history") / name))


@pytest.mark.parametrize(
    "name", ["environments-2026-09-30.csv", "2026-12-02", "capacity-v2.csv", "2026.csv"]
)
def test_a_name_in_the_digits_0_to_9_passes(name: str) -> None:
    refuse_other_digits_in_name(name, file=name)
