"""Whether a text may need trimming is answered by substring searches; they find what the
pattern it stands for finds."""

from __future__ import annotations

import random
import re

import pytest

from planner.ingest.table import TRIMMED, _may_need_trimming


def _by_pattern(text: str, delimiter: str) -> bool:
    if '"' in text:
        return True
    blanks = re.escape("".join(c for c in TRIMMED if c not in (delimiter, "\r", "\n")))
    edges = re.escape(delimiter) + "\r\n"
    pattern = f"[{blanks}](?=[{edges}]|\\Z)|(?:\\A|[{edges}])[{blanks}]"
    return re.search(pattern, text) is not None


ALPHABET = ["a", "1", ".", ",", ";", "\t", "\r", "\n", " ", "\u00a0", "\u200b", "\ufeff", "x y"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_searches_agree_with_the_pattern(delimiter: str) -> None:
    rng = random.Random(delimiter)
    for _ in range(3000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 10)))
        assert _may_need_trimming(text, delimiter) == _by_pattern(text, delimiter), repr(text)


def test_clean_text_needs_no_trimming() -> None:
    assert not _may_need_trimming("name,type\nA,sandbox\nB,production\n", ",")
    assert _may_need_trimming("name,type\nA ,sandbox\n", ",")
    assert _may_need_trimming("name;type\nA;\tsandbox\n", ";")
