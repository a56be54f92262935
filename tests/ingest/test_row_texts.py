"""Where each inventory row is ("row 7", "Sheet1!A7"), written for all rows at once."""

from __future__ import annotations

import numpy as np
import pytest

from planner.ingest.inventory import row_texts

from .conftest import load


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
