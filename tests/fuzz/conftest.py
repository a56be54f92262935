"""How hard the fuzz tests try: a budget that fits CI by default, and a long run on demand.

    python -m pytest tests/fuzz                               # default: each test's own budget,
                                                              # a share of it in the quick profile
    python -m pytest tests/fuzz --fuzz-long                   # every budget times LONG_FACTOR
    CAPPLAN_FUZZ_EXAMPLES=5000 python -m pytest tests/fuzz    # exactly this many per test

``--fuzz-long`` is known to pytest only when tests/fuzz is among the paths it is given; the
environment variable works from anywhere.
"""

from __future__ import annotations

import os

import pytest
from budget import examples as share_of

LONG_FACTOR = 25
ENVIRONMENT_VARIABLE = "CAPPLAN_FUZZ_EXAMPLES"
_long_run = False


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fuzz-long",
        action="store_true",
        default=False,
        help=f"run the tests of tests/fuzz with {LONG_FACTOR} times their usual examples",
    )


def pytest_configure(config: pytest.Config) -> None:
    global _long_run
    _long_run = bool(config.getoption("--fuzz-long", default=False))


def examples(default: int) -> int:
    """The number of examples a fuzz test runs, ``default`` unless asked otherwise."""
    fixed = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if fixed:
        return max(1, int(fixed))
    return default * LONG_FACTOR if _long_run else share_of(default)
