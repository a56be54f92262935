"""Fixtures of the report tests: the plans of report_plans, built once per session."""

from __future__ import annotations

import pytest
from report_plans import CLEAR_ENVIRONMENTS, SHORT_ENVIRONMENTS, make_plan

from planner.results import Plan


@pytest.fixture(scope="session")
def short_plan() -> Plan:
    return make_plan(SHORT_ENVIRONMENTS)


@pytest.fixture(scope="session")
def clear_plan() -> Plan:
    return make_plan(CLEAR_ENVIRONMENTS, environment_file="inventory.csv")


@pytest.fixture(scope="session")
def split_plan() -> Plan:
    """The older rule set: five pools and defaults that add up."""
    return make_plan(SHORT_ENVIRONMENTS, rules="split-2023")
