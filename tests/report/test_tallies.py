"""The page's counts of the long tables (planner.report.tallies) against plain reckonings of the
same numbers: one record at a time, as the page once counted them."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pandas as pd
import pytest

from planner.report.data import FindingList
from planner.report.formatting import findings_shown
from planner.report.html import LARGEST_SHOWN, WITH_FINDINGS_SHOWN, consumption_view
from planner.report.tallies import SEVERITY_ORDER, Findings, Lines, Runs
from planner.results import Finding

TYPES = ("dataverse_database", "dataverse_file", "dataverse_log", "operations_database")
# Names that differ only in case, and two that fold to the same text ("ß" folds to "ss").
STEMS = ("env", "Env", "ENV", "b", "B", "ß", "ss", "z")


@pytest.mark.parametrize(
    "column",
    [
        ["a", "a", "b", "b", "a", "c"],
        ["x"] * 5,
        [],
        ["a", None, None, "b", np.nan, np.nan, "a"],
        ["a", pd.NA, "a", "b"],
    ],
    ids=["runs", "one-run", "empty", "missing", "pd-na"],
)
def test_runs_code_as_factorize_does(column: list[Any]) -> None:
    values = np.array(column, dtype=object)
    runs = Runs.of(values)
    codes, uniques = pd.factorize(values)
    assert runs.per_line().tolist() == codes.tolist()
    assert runs.values.tolist() == list(uniques)
    found = codes >= 0
    assert runs.count().tolist() == np.bincount(codes[found], minlength=len(uniques)).tolist()
    mask = np.arange(len(values)) % 2 == 0
    expected = np.bincount(codes[found & mask], minlength=len(uniques))
    assert runs.count(mask).tolist() == expected.tolist()
    assert runs.count_at(np.flatnonzero(mask)).tolist() == expected.tolist()
    first = [int(np.flatnonzero(codes == code)[0]) for code in range(len(uniques))]
    assert runs.first().tolist() == first


def _lines(rng: random.Random, environments: int, ordered: bool) -> pd.DataFrame:
    rows = []
    for number in range(environments):
        name = f"{rng.choice(STEMS)}{rng.randint(0, environments)}"
        for capacity_type in rng.sample(TYPES, rng.randint(1, 3)):
            rows.append(
                {
                    "pool": "file" if capacity_type == "dataverse_file" else "database",
                    "environment": None if rng.random() < 0.02 else name,
                    "gb": rng.choice([0.0, 1.0, 0.1, 0.2, 0.3, 1e16, rng.random() * 10]),
                    "basis": f"basis {number}",
                    "capacity_type": capacity_type,
                    "confidence": rng.choice(["measured", "unknown", "assumed", None]),
                    "environment_type": rng.choice(["production", "sandbox"]),
                    "power_platform": rng.choice(["", "initial"]),
                }
            )
    if not ordered:
        rng.shuffle(rows)
    frame = pd.DataFrame(rows)
    if ordered:  # the lines of a type together, as the engine writes them
        frame = frame.sort_values("capacity_type", kind="stable").reset_index(drop=True)
    return frame.astype({c: "str" for c in frame.columns if c != "gb"})


def _findings(rng: random.Random, subjects: list[str], count: int) -> list[dict[str, Any]]:
    codes = ["A", "B", "C", *(f"K{n}" for n in range(rng.randint(0, 30)))]
    return [
        {
            "code": rng.choice(codes),
            "severity": rng.choice([*SEVERITY_ORDER, "other"]),
            "subject": rng.choice([*subjects, "database", "NO_SUCH_SKU"]),
            "message": "m",
            "month": None,
        }
        for _ in range(count)
    ]


@pytest.mark.parametrize("seed", range(40))
def test_totals_and_counts_as_pandas_gives_them(seed: int) -> None:
    rng = random.Random(seed)
    frame = _lines(rng, rng.choice([1, 30, 300]), ordered=seed % 2 == 0)
    lines = Lines.of(frame, Findings.of([]))
    names = frame["environment"].astype(str)
    totals = frame["gb"].groupby(names.to_numpy(), sort=False).sum()
    assert lines.environments.tolist() == totals.index.tolist()
    # To the last digit: equal totals stay equal, and rank as equal.
    assert lines.environment_totals().tolist() == totals.tolist()
    kinds, distinct = pd.factorize(frame["capacity_type"].to_numpy(dtype=object))
    assert lines.kind.values.tolist() == list(distinct)
    by_kind = pd.Series(frame["gb"].to_numpy()).groupby(kinds).sum()
    assert lines.kind_totals().tolist() == by_kind.tolist()
    measured = (frame["confidence"] == "measured").to_numpy()
    assert (
        lines.kind.count(lines.measured).tolist()
        == np.bincount(kinds[measured], minlength=len(distinct)).tolist()
    )
    unknown = frame.loc[frame["confidence"] == "unknown", "pool"].value_counts()
    assert lines.unknown_by_pool() == {str(p): int(c) for p, c in unknown.items()}


@pytest.mark.parametrize("seed", range(40))
def test_findings_listed_as_one_at_a_time(seed: int) -> None:
    rng = random.Random(seed)
    records = _findings(rng, ["ENV-1", "ENV-2"], rng.choice([0, 5, 400]))
    findings = Findings.of(records)
    assert findings.code_count == len({f["code"] for f in records})
    per_code = rng.choice([1, 3, 20])
    for rank, severity in enumerate(SEVERITY_ORDER):
        entries = [f for f in records if f["severity"] == severity]
        shown, more = findings.shown(rank, per_code)
        expected, expected_more = findings_shown(entries, per_code)
        assert [records[i] for i in shown.tolist()] == expected
        assert more == expected_more


@pytest.mark.parametrize("seed", range(20))
def test_a_finding_list_lists_what_its_records_list(seed: int) -> None:
    """The text formats' findings, picked from the plan's findings: the records the whole
    list of records gives, and the same counts of the rest."""
    rng = random.Random(seed)
    records = _findings(rng, ["ENV-1", "ENV-2"], rng.choice([0, 1, 5, 400]))
    for position, record in enumerate(records):
        record["message"] = f"message {position}"
    findings = FindingList(tuple(Finding(**record) for record in records))
    assert findings.shown() == findings_shown(findings.records())


def _reference_view(frame: pd.DataFrame, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The largest environments and those with findings, one record at a time."""
    names = frame["environment"].astype(str)
    totals = frame["gb"].groupby(names.to_numpy(), sort=False).sum()
    candidates = totals.nlargest(LARGEST_SHOWN, keep="all")
    largest = sorted(candidates.index, key=lambda n: (-candidates[n], n.casefold()))
    largest = largest[:LARGEST_SHOWN]
    rank = {severity: position for position, severity in enumerate(SEVERITY_ORDER)}
    worst: dict[str, dict[str, int]] = {}
    for finding in records:
        if finding["subject"] in totals.index:
            codes = worst.setdefault(finding["subject"], {})
            codes[finding["code"]] = min(
                codes.get(finding["code"], len(rank)), rank.get(finding["severity"], len(rank))
            )
    flagged = sorted(worst, key=lambda n: (min(worst[n].values()), n.casefold()))
    shown = [] if len(largest) == len(totals) else flagged[:WITH_FINDINGS_SHOWN]
    return {
        "largest": largest,
        "with_findings": shown,
        "with_findings_count": f"{len(flagged):,}",
        "findings": {
            name: sorted(worst[name], key=lambda c: (worst[name][c], c))
            for name in [*largest, *shown]
            if name in worst
        },
    }


@pytest.mark.parametrize("seed", range(60))
def test_the_environments_listed_as_one_at_a_time(seed: int) -> None:
    """Equal totals by name ignoring case, names equal but for case in their first order; the
    environments with findings by their worst severity, then name, then first finding."""
    rng = random.Random(seed)
    frame = _lines(rng, rng.choice([5, 20, 21, 200]), ordered=seed % 2 == 0)
    subjects = frame["environment"].dropna().unique().tolist()
    records = _findings(rng, subjects, rng.choice([0, 50, 500]))
    findings = Findings.of(records)
    view = consumption_view(Lines.of(frame, findings), findings)
    expected = _reference_view(frame, records)
    assert [g["environment"] for g in view["largest"]] == expected["largest"]
    assert [g["environment"] for g in view["with_findings"]] == expected["with_findings"]
    assert view["with_findings_count"] == expected["with_findings_count"]
    listed = [*view["largest"], *view["with_findings"]]
    assert {g["environment"]: g["findings"] for g in listed if g["findings"]} == expected[
        "findings"
    ]
