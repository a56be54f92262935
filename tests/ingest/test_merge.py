"""An environment several files describe is planned once (docs/input-formats.md, "The same
environment in several files")."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from planner.ingest import load_inputs
from planner.planning import plan
from planner.results import Plan

from .conftest import SAMPLES

LICENSES = SAMPLES / "licenses-graph.json"
ENVIRONMENT_FILES = (
    "environments-inventory.csv",
    "environments-inventory.xlsx",
    "environments-ppac.json",
    "environments-lcs.json",
)
COMBINATIONS = [
    combination
    for size in range(2, len(ENVIRONMENT_FILES) + 1)
    for combination in itertools.combinations(ENVIRONMENT_FILES, size)
]


def _plan(files: tuple[str, ...]) -> Plan:
    return plan([LICENSES, *(SAMPLES / f for f in files)], as_of="2026-12", months=24)


def _purchase(result: Plan) -> list[tuple[str, int, float | None]]:
    return [
        (str(row.pool), int(row.addon_units), row.monthly_cost_usd)
        for row in result.shortfalls.itertuples(index=False)
    ]


@pytest.fixture(scope="module")
def alone() -> dict[str, Plan]:
    return {
        name: _plan((name,)) for name in ("environments-inventory.csv", "environments-ppac.json")
    }


@pytest.mark.parametrize("files", COMBINATIONS, ids=["+".join(c) for c in COMBINATIONS])
def test_every_combination_of_sample_environment_files_buys_what_one_file_buys(
    files: tuple[str, ...], alone: dict[str, Plan]
) -> None:
    """The inventory is the complete picture; without it, the admin list is the one with usage.
    Either way, adding the other files describes the same environments again and changes
    nothing: same environments, same purchase, and a note that names repeat."""
    reference = alone[
        "environments-inventory.csv"
        if any("inventory" in f for f in files)
        else "environments-ppac.json"
    ]
    combined = _plan(files)
    assert sorted(combined.environments["name"]) == sorted(reference.environments["name"]) or (
        # The LCS list adds the cloud-hosted environment the admin list cannot see; it has no
        # Power Platform environment and consumes nothing.
        set(combined.environments["name"]) - set(reference.environments["name"])
        == {"CONTOSO-DEV01"}
    )
    assert _purchase(combined) == _purchase(reference)
    np.testing.assert_allclose(combined.forecast.consumed, reference.forecast.consumed)
    assert any(f.code == "ENVIRONMENT_IN_SEVERAL_FILES" for f in combined.findings)


def test_the_inventory_alone_buys_what_the_issue_expects(alone: dict[str, Plan]) -> None:
    """$1,400 of database and $100 of log add-ons a month: the figure a double count inflated."""
    assert sum(cost for _, _, cost in _purchase(alone["environments-inventory.csv"])) == 1500


def _inventory(write_text: Callable[..., Path], name: str, text: str) -> Path:
    return write_text(name, text.strip() + "\n")


def test_ids_match_where_names_differ(
    write_text: Callable[..., Path], write_json: Callable[[str, Any], Path]
) -> None:
    inventory = _inventory(
        write_text,
        "inventory.csv",
        """
name,type,environment_id,dataverse_database_gb
Sales EU,dataverse_production,00000000-0000-0000-0000-00000000A001,5
""",
    )
    admin = write_json("admin.json", _admin([("00000000-0000-0000-0000-00000000a001", "Sales")]))
    inputs = load_inputs([inventory, admin])
    assert inputs.environments["name"].tolist() == ["Sales EU"]


def test_different_ids_are_different_environments(
    write_text: Callable[..., Path], write_json: Callable[[str, Any], Path]
) -> None:
    inventory = _inventory(
        write_text,
        "inventory.csv",
        """
name,type,environment_id
Sales,dataverse_production,00000000-0000-0000-0000-00000000a009
""",
    )
    admin = write_json("admin.json", _admin([("00000000-0000-0000-0000-00000000a001", "Sales")]))
    assert len(load_inputs([inventory, admin]).environments) == 2


def test_a_dated_inventory_value_newer_than_the_admin_list_wins(
    write_text: Callable[..., Path], write_json: Callable[[str, Any], Path]
) -> None:
    inventory = _inventory(
        write_text,
        "inventory.csv",
        """
name,type,dataverse_database_gb,measured_on
Sales,dataverse_production,30,2026-12-01
""",
    )
    admin = write_json(
        "admin.json", _admin([("00000000-0000-0000-0000-00000000a001", "Sales")], mb=20480)
    )
    inputs = load_inputs([admin, inventory])
    assert inputs.environments["dataverse_database_gb"].tolist() == [30.0]
    [warning] = [r for r in inputs.remarks if r.severity == "warning"]
    assert "30.00 GB in " in warning.message and "20.00 GB in " in warning.message


def test_of_two_undated_values_the_later_file_wins(write_text: Callable[..., Path]) -> None:
    first = _inventory(
        write_text, "a.csv", "name,type,dataverse_file_gb\nSales,dataverse_production,4"
    )
    second = _inventory(
        write_text, "b.csv", "name,type,dataverse_file_gb\nSALES,dataverse_production,6"
    )
    assert load_inputs([first, second]).environments["dataverse_file_gb"].tolist() == [6.0]
    assert load_inputs([second, first]).environments["dataverse_file_gb"].tolist() == [4.0]


def test_a_measured_value_beats_a_blank_whichever_file_has_it(
    write_text: Callable[..., Path],
) -> None:
    described = _inventory(write_text, "a.csv", "name,type,tier\nUAT,sandbox,2")
    measured = _inventory(write_text, "b.csv", "name,type,operations_database_gb\nUAT,sandbox,40")
    merged = load_inputs([described, measured]).environments
    assert merged["tier"].tolist() == [2.0]
    assert merged["operations_database_gb"].tolist() == [40.0]


def test_a_growth_sheet_adds_growth_and_no_environment(write_text: Callable[..., Path]) -> None:
    inventory = _inventory(
        write_text, "inventory.csv", "name,type,dataverse_database_gb\nSales,dataverse_production,5"
    )
    growth = _inventory(
        write_text,
        "growth.csv",
        "name,dataverse_database_growth_gb_per_month\nsales,0.5\nNobody,1",
    )
    inputs = load_inputs([inventory, growth])
    assert inputs.environments["name"].tolist() == ["Sales"]
    assert inputs.environments["dataverse_database_growth_gb_per_month"].tolist() == [0.5]
    assert [r.code for r in inputs.remarks] == ["GROWTH_FOR_UNKNOWN_ENVIRONMENT"]
    grown = plan(inputs, as_of="2026-12", months=3)
    assert grown.forecast.consumed[0].tolist() == pytest.approx([5.0, 5.5, 6.0])


def test_a_growth_sheet_refuses_usage_columns(write_text: Callable[..., Path]) -> None:
    from planner.errors import InputError

    growth = _inventory(
        write_text,
        "growth.csv",
        "name,dataverse_database_gb,dataverse_database_growth_gb_per_month\nSales,5,0.5",
    )
    with pytest.raises(InputError, match="describes environments"):
        load_inputs([growth])


def test_measured_on_must_be_a_date(write_text: Callable[..., Path]) -> None:
    from planner.errors import InputError

    inventory = _inventory(
        write_text,
        "inventory.csv",
        "name,type,measured_on\nSales,dataverse_production,last week",
    )
    with pytest.raises(InputError, match="row 2, column measured_on"):
        load_inputs([inventory])


def _admin(environments: list[tuple[str, str]], mb: float | None = None) -> dict[str, Any]:
    def entry(environment_id: str, name: str) -> dict[str, Any]:
        properties: dict[str, Any] = {"displayName": name, "environmentSku": "Production"}
        if mb is not None:
            properties["capacity"] = [
                {
                    "capacityType": "Database",
                    "ratedConsumption": mb,
                    "actualConsumption": mb,
                    "capacityUnit": "MB",
                    "updatedOn": "2026-11-26T06:15:00Z",
                }
            ]
        return {"name": environment_id, "properties": properties}

    return {"value": [entry(i, n) for i, n in environments]}


def _parts(seed: int) -> list[Any]:
    """The sample environment files' rows, dealt at random into two or three parts of their
    formats (names may then repeat across parts, or not), renamed apart or not."""
    from planner.ingest.merge import FilePart

    rng = np.random.default_rng(seed)
    parts = []
    for order, name in enumerate(ENVIRONMENT_FILES[: rng.integers(2, 4)]):
        frame = load_inputs([SAMPLES / name]).environments
        frame = frame.iloc[np.flatnonzero(rng.random(len(frame)) < 0.7)].reset_index(drop=True)
        if rng.random() < 0.7:  # kept apart: its own names, and no ids another file has
            frame = frame.assign(
                name=[f"{value} ({order})" for value in frame["name"]], environment_id=""
            )
        parts.append(FilePart(name, name.rsplit(".", 1)[-1], order, frame))
    return parts


@pytest.mark.parametrize("seed", range(16))
def test_environments_alone_in_their_files_are_taken_as_they_are(seed: int) -> None:
    """A row that no other row (nor growth sheet) may be one environment with is taken as it
    is, the others merged row by row: the environments, their order and the remarks are what
    the merge of every row by row gives."""
    import pandas as pd

    from planner.ingest.merge import merge_environments

    from .merge_reference import merged as reference

    parts = _parts(seed)
    merged, remarks = merge_environments(parts)
    expected, expected_remarks = reference(parts)
    assert remarks == expected_remarks
    pd.testing.assert_frame_equal(merged, expected, check_exact=True)


def _random_parts(rng: np.random.Generator) -> list[Any]:
    """Files that describe a few environments many ways: names that repeat (in one file too)
    and differ in case and spacing, ids shared or not, kinds that clash, measurements that
    disagree (or by less than 0.01 GB), dated or not, growth given twice or in sheets that
    name environments no file has."""
    import pandas as pd

    from planner.ingest import formats
    from planner.ingest.merge import FilePart
    from planner.model.inputs import (
        ACTUAL_COLUMNS,
        GROWTH_COLUMNS,
        USAGE_COLUMNS,
        environment_frame,
    )

    def pick(values: list[Any]) -> Any:
        return values[int(rng.integers(len(values)))]

    names = ["Sales", "sales", "SALES ", "Sales  Prod", "sales prod", "HR", "Ｈｒ", "Ops", "UAT"]
    kinds = ["production", "dataverse_production", "sandbox", "addon_sandbox", "developer"]
    ids = ["", "", "", "id-1", "id-2", "id-3"]
    numbers = [np.nan, np.nan, 1.0, 1.005, 2.5, 3.0, 0.1234561, 0.1234562]
    bases = [
        formats.INVENTORY,
        formats.LCS_ENVIRONMENTS_JSON,
        formats.PPAC_ENVIRONMENTS_JSON,
        "other",
    ]
    kind_of = {name: pick(kinds) for name in names}  # mostly: a name is one kind of environment
    parts = []
    for order in range(int(rng.integers(1, 5))):
        file = f"file{order}.{pick(['csv', 'json'])}"
        rows = []
        for index in range(int(rng.integers(0, 7))):
            name = pick(names)
            row: dict[str, Any] = {
                "name": name,
                "type": pick(kinds) if rng.random() < 0.15 else kind_of[name],
                "tier": pick([np.nan, 2.0, 3.0, 3.5]),
                "power_platform": pick(["", "", "integrated", "none"]),
                "linked_to": pick(["", "", "Sales"]),
                "org_url": pick(["", "https://a.crm.dynamics.com", "https://b.crm.dynamics.com"]),
                "environment_id": pick(ids),
                "measured_on": pick(["", "", "2026-10-01", "2026-11-01"]),
                "payg": bool(rng.random() < 0.2),
                "source": file,
                "location": f"row {index + 2}",
            }
            for column in (*USAGE_COLUMNS, *ACTUAL_COLUMNS, *GROWTH_COLUMNS):
                row[column] = pick(numbers)
            rows.append(row)
        if rng.random() < 0.25:
            growth = pd.DataFrame(
                {
                    "name": [pick([*names, "Nowhere"]) for _ in range(3)],
                    "location": [f"row {i + 2}" for i in range(3)],
                    **{c: [pick(numbers) for _ in range(3)] for c in GROWTH_COLUMNS},
                }
            )
            parts.append(FilePart(file, formats.GROWTH_SHEET, order, environment_frame([]), growth))
        else:
            parts.append(FilePart(file, pick(bases), order, environment_frame(rows)))
    return parts


@pytest.mark.parametrize("seed", range(12))
def test_the_merge_a_column_at_a_time_is_the_merge_row_by_row(seed: int) -> None:
    """Whatever the files say, the environments (values, order) and remarks (words, order)
    are those of matching every row in turn and making each environment one from its rows,
    as the rules state."""
    import pandas as pd

    from planner.ingest.merge import merge_environments

    from .merge_reference import merged as reference

    rng = np.random.default_rng(seed)
    for _ in range(25):
        parts = _random_parts(rng)
        merged, remarks = merge_environments(parts)
        expected, expected_remarks = reference(parts)
        assert remarks == expected_remarks
        pd.testing.assert_frame_equal(merged, expected, check_exact=True)
