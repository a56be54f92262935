"""The case-file format refuses what it does not know, so a typo cannot pass as a green test."""

from __future__ import annotations

import tomllib
from pathlib import Path

import casefile
import pytest

TESTS = Path(__file__).resolve().parent
GOOD = """
description = "one finance tenant"
rules = "pooled-2025-12"
as_of = "2026-12"
months = 2
licenses = [{ sku = "DYN365_FINANCE", quantity = 20 }]
environments = [{ name = "PROD", type = "production", operations_database_gb = 10 }]

[expected]
absent = ["CAPACITY_OVER"]

[expected.capacity.database]
consumed_gb = 11.0
"""


def _case(text: str) -> casefile.Case:
    return casefile.Case("written-here", TESTS / "written-here.toml", tomllib.loads(text))


def test_a_good_case_passes(tmp_path: Path) -> None:
    case = _case(GOOD)
    casefile.validate(case)
    casefile.check(case, casefile.run(case, tmp_path))


@pytest.mark.parametrize(
    ("written", "misspelled", "said"),
    [
        ("[expected.capacity.database]", "[expected.capcity.database]", "capcity"),
        ("[expected.capacity.database]", "[expected.capacity.databse]", "databse"),
        ('absent = ["CAPACITY_OVER"]', 'absent = ["CAPACITY_OVR"]', "CAPACITY_OVR"),
        ("months = 2", "monhts = 2", "monhts"),
        ("quantity = 20 }]", 'quantity = 20, colour = "red" }]', "colour"),
    ],
)
def test_a_misspelled_case_is_refused(written: str, misspelled: str, said: str) -> None:
    assert written in GOOD
    with pytest.raises(casefile.CaseError, match=said):
        casefile.validate(_case(GOOD.replace(written, misspelled)))


def test_a_misspelled_figure_fails_the_run(tmp_path: Path) -> None:
    case = _case(GOOD.replace("consumed_gb = 11.0", "consumd_gb = 11.0"))
    casefile.validate(case)
    with pytest.raises(casefile.CaseError, match="consumd_gb"):
        casefile.check(case, casefile.run(case, tmp_path))


def test_a_wrong_figure_fails(tmp_path: Path) -> None:
    case = _case(GOOD.replace("consumed_gb = 11.0", "consumed_gb = 12.0"))
    with pytest.raises(AssertionError):
        casefile.check(case, casefile.run(case, tmp_path))


def test_every_case_file_of_the_suite_is_valid() -> None:
    folders = ("engine", "scenarios", "checks")
    cases = [case for f in folders for case in casefile.load_cases(TESTS / f / "cases")]
    assert len(cases) > 60
    for case in cases:
        casefile.validate(case)


SCENARIO = GOOD.replace(
    "[expected]",
    '''scenario = """
name = "s"
[[changes]]
kind = "request_extension"
pool = "database"
"""

[expected]''',
)


def _expecting(expected: dict) -> casefile.Case:
    case = _case(SCENARIO)
    return casefile.Case(case.name, case.path, {**case.data, "expected": expected})


def test_a_refused_scenario_passes_only_where_the_refusal_is_expected(tmp_path: Path) -> None:
    # 11 GB used of Database's entitlement in month 0: far below the line, so refused.
    refused = _expecting({"refused": "an extension needs more than 80%"})
    casefile.validate(refused)
    casefile.check(refused, casefile.run(refused, tmp_path))
    plain = _case(SCENARIO)
    with pytest.raises(AssertionError, match="was refused"):
        casefile.check(plain, casefile.run(plain, tmp_path))
    wrong = _expecting({"refused": "a 4th capacity extension"})
    with pytest.raises(AssertionError):
        casefile.check(wrong, casefile.run(wrong, tmp_path))


def test_a_refusal_cannot_be_expected_beside_figures() -> None:
    with pytest.raises(casefile.CaseError, match="no plan"):
        casefile.validate(_expecting({"refused": "used", "absent": ["CAPACITY_OVER"]}))


def test_a_misspelled_extension_key_is_refused() -> None:
    row = {"pool": "database", "month": "2026-12", "bridge": True}
    with pytest.raises(casefile.CaseError, match="bridge"):
        casefile.validate(_expecting({"extensions": [row]}))
