"""Whether delimited text may hold a cell longer than an Excel cell is told without making a
string of each line; it says what measuring every line says. A cell counts UTF-16 units, two
for a character beyond U+FFFF, so a line of more than half the limit in characters may."""

from __future__ import annotations

import random

from planner.ingest.table import LONGEST_TEXT, _may_hold_long_text

LIMIT = LONGEST_TEXT // 2
LENGTHS = [0, 1, 5, 8191, 8192, 8193, LIMIT - 1, LIMIT, LIMIT + 1, LONGEST_TEXT + 1, 40000]


def _by_every_line(text: str) -> bool:
    if len(text) <= LIMIT:
        return False
    return '"' in text or max(map(len, text.split("\n"))) > LIMIT


def test_long_lines_are_found_wherever_they_are() -> None:
    rng = random.Random(7)
    long_ones = 0
    for _ in range(600):
        lines = [rng.choice("aé") * rng.choice(LENGTHS) for _ in range(rng.randint(1, 4))]
        text = "\n".join(lines) + rng.choice(["", "\n", "\n\n"])
        if rng.random() < 0.05:
            text = text.replace("a", '"', 1)
        expected = _by_every_line(text)
        long_ones += expected
        assert _may_hold_long_text(text) == expected, [len(line) for line in lines]
    assert 100 < long_ones < 500


def test_a_line_just_over_the_limit_at_the_end_is_found() -> None:
    text = "name,type\n" * 5000 + "x" * (LIMIT + 1)
    assert _may_hold_long_text(text)
    assert not _may_hold_long_text(text[:-1])
