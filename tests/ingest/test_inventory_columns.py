"""Inventory work done for whole columns at once gives what row-by-row work gave: the row
locations ("row 7", "Sheet1!A7") and the casefolded names that repeats are found by."""

from __future__ import annotations

import numpy as np
import pytest

from planner.ingest.inventory import _folded, _surely_distinct, row_texts

from .conftest import load, load_error


def one_at_a_time(prefix: str, numbers: np.ndarray) -> list[str]:
    return [prefix + str(number) for number in numbers.tolist()]


@pytest.mark.parametrize("prefix", ["row ", "Sheet1!A", "Übersicht 2026!A", "日本!A", "%d!A", ""])
def test_the_same_texts_as_writing_each_number(prefix: str) -> None:
    numbers = np.array([1, 2, 9, 10, 11, 99, 100, 101, 999, 1000, 65536, 1_048_576], np.int64)
    assert row_texts(prefix, numbers) == one_at_a_time(prefix, numbers)


def test_numbers_of_every_width_in_any_order() -> None:
    generator = np.random.default_rng(7)
    numbers = generator.integers(1, 2**31 - 1, size=5000) // 10 ** generator.integers(0, 10, 5000)
    numbers = np.maximum(numbers, 1)
    texts = row_texts("row ", numbers)
    assert texts == one_at_a_time("row ", numbers)
    assert all(type(text) is str for text in texts)


@pytest.mark.parametrize(
    ("prefix", "numbers"),
    [
        ("row ", np.array([], dtype=np.int64)),
        ("row ", np.array([0, 5], dtype=np.int64)),  # no row 0 in a file; written all the same
        ("row ", np.array([3, 2**31, 2**40], dtype=np.int64)),  # beyond the digits worked out
        ("two\nlines!A", np.array([2, 3], dtype=np.int64)),  # a line break is what splits rows
        ("nul\0!A", np.array([2, 3], dtype=np.int64)),  # NUL is what pads the digits
    ],
)
def test_the_unusual_cases_are_written_one_at_a_time(prefix: str, numbers: np.ndarray) -> None:
    assert row_texts(prefix, numbers) == one_at_a_time(prefix, numbers)


def test_locations_skip_blank_rows(write_text) -> None:
    text = "name,type\nA,sandbox\n,\n\nB,production\n" + "".join(
        f"E{n},sandbox\n" for n in range(1, 12)
    )
    environments = load(write_text("inventory.csv", text)).environments
    assert environments["location"].tolist()[:3] == ["row 2", "row 5", "row 6"]
    assert environments["location"].tolist()[-1] == "row 16"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Contoso UAT", "CONTOSO uat"),
        ("Straße", "STRASSE"),  # ß folds to ss
        ("ΟΔΟΣ", "οδος"),  # a final sigma folds as any sigma
        ("\u212a2", "k2"),  # the Kelvin sign folds to k
        ("ﬁnance", "FINANCE"),  # a ligature folds to its letters
    ],
)
def test_names_that_differ_only_by_case_are_refused(write_text, first: str, second: str) -> None:
    rows = "".join(f"E{number},sandbox\n" for number in range(20))
    text = f"name,type\n{first},sandbox\n{rows}{second},production\n"
    error = load_error(write_text("inventory.csv", text))
    assert error.message == f"name '{second}' is used twice: on row 2 and row 23"
    assert error.location == "row 23, column name"


def test_names_that_fold_apart_are_read(write_text) -> None:
    names = ["Straße", "Strase", "ΟΔΟΣ", "ΟΔΟ", "\u212a", "K2", "ﬁ", "fi2", "İ", "i"]
    text = "name,type\n" + "".join(f"{name},sandbox\n" for name in names)
    assert load(write_text("inventory.csv", text)).environments["name"].tolist() == names


@pytest.mark.parametrize(
    "texts",
    [
        [],
        ["only"],
        ["A\0B", "a", "b"],  # a text holding NUL is folded alone
        ["Straße", "ΟΔΟΣ", "\u212a", "ﬁ", "İstanbul", ""],
    ],
)
def test_folding_joined_texts_folds_each(texts: list[str]) -> None:
    array = np.array(texts, dtype=object)
    assert _folded(array) == [text.casefold() for text in texts]


def names(*texts: str) -> np.ndarray:
    return np.array(texts, dtype=object)


@pytest.mark.parametrize(
    "texts",
    [
        names("PROD"),
        names("PROD", "UAT", "DEV"),
        names("abcdefgh", "abcdefgi"),  # differ in the last byte of the first eight
        names("abcdefghi", "abcdefghj"),  # differ in the first byte past eight
        names("abcdefgh", "abcdefgh1"),  # one is the other and one more byte
        names("a", "a\u0301"),  # a combining accent is a difference
        names("Straße", "Strase", "STRASSEN"),
        names(*(f"ENV-{number:06d}" for number in range(5000))),
        names(*("x" * length for length in range(1, 65))),
    ],
)
def test_distinct_names_are_told_distinct(texts: np.ndarray) -> None:
    assert _surely_distinct(texts)


@pytest.mark.parametrize(
    "texts",
    [
        names("PROD", "prod"),
        names("abcdefghijklmnopq", "ABCDEFGHIJKLMNOPQ"),  # a repeat past the first 16 bytes
        names("Straße", "STRASSE"),
        names("ΟΔΟΣ", "οδος"),
        names("\u212a", "k"),
        names("x", "y", "x"),
    ],
)
def test_names_that_fold_alike_are_never_told_distinct(texts: np.ndarray) -> None:
    assert not _surely_distinct(texts)


@pytest.mark.parametrize(
    "texts",
    [
        names("x" * 65, "y"),  # too long to fingerprint: the names themselves are compared
        names("A\0B", "C"),  # a NUL in a name: likewise
        np.array(["A", 1], dtype=object),  # not all text
    ],
)
def test_what_cannot_be_fingerprinted_is_left_to_the_names(texts: np.ndarray) -> None:
    assert not _surely_distinct(texts)


def test_fingerprints_agree_with_a_set_of_folded_names() -> None:
    generator = np.random.default_rng(11)
    letters = list("aAbBßSsΣσςKk\u212aİi0- ")
    for _ in range(300):
        count = int(generator.integers(2, 40))
        texts = [
            "".join(generator.choice(letters, size=int(generator.integers(1, 20))))
            for _ in range(count)
        ]
        distinct = len({text.casefold() for text in texts}) == len(texts)
        told = _surely_distinct(names(*texts))
        assert not told or distinct, texts
        assert told == distinct, texts  # no fingerprint of so few names should collide
