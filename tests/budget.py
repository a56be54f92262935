"""How many examples a property test tries.

Each test states the examples of a full run. The README's test command (and so CI) asks for the
``full`` profile of Hypothesis and gets them all; a bare ``pytest``, the loop a developer runs
between edits, loads ``quick`` and tries a quarter of each budget (at least ``FEWEST``)::

    python -m pytest                                   # quick: a quarter of every budget
    python -m pytest --hypothesis-profile=full         # every budget in full

Tests without a budget of their own take the profile's (25 quick, Hypothesis' 100 full)."""

from __future__ import annotations

from hypothesis import settings

FULL = 100  # Hypothesis' own default: the full profile's examples for a test without a budget
QUICK = 25
FEWEST = 10

settings.register_profile("full", max_examples=FULL)
settings.register_profile("quick", max_examples=QUICK)


def examples(full: int) -> int:
    """The examples a test whose full run tries ``full`` tries under the profile loaded."""
    share = settings.default.max_examples / FULL
    return min(full, max(FEWEST, round(full * share)))
