"""The capacity page's seven scenarios and the overage lifecycle, through the command line as an
admin would try them: capacity add-on licenses and one Dataverse production environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from clitools import run_capplan, run_capplan_together

# Entitled and consumed GB per type (Database, Log, File), then what the page says: status
# codes, and where the page gives them the remaining share, lenders and deficits.
SCENARIOS = {
    1: ((100, 97), (10, 5), (400, 200), {"database": "critical", "log": "ok", "file": "ok"}),
    2: ((200, 160), (100, 130), (500, 300), {"database": "ok", "log": "warning", "file": "ok"}),
    3: ((100, 80), (100, 70), (100, 140), {"database": "ok", "log": "ok", "file": "warning"}),
    4: ((100, 110), (10, 5), (400, 200), {"database": "over", "log": "ok", "file": "ok"}),
    5: ((100, 95), (10, 20), (400, 200), {"database": "warning", "log": "over", "file": "ok"}),
    6: ((100, 20), (10, 5), (200, 290), {"database": "ok", "log": "ok", "file": "over"}),
    7: ((100, 80), (10, 20), (400, 200), {"database": "ok", "log": "ok", "file": "ok"}),
}


def _tenant(folder: Path, database, log, file, *, months: int = 1, extra: str = "") -> Any:
    licenses = folder / "licenses.csv"
    licenses.write_text(
        "sku,quantity\n"
        f"CDS_DB_CAPACITY,{database[0]}\nCDS_LOG_CAPACITY,{log[0]}\nCDS_FILE_CAPACITY,{file[0]}\n",
        encoding="utf-8",
    )
    environments = folder / "environments.csv"
    environments.write_text(
        "name,type,payg,dataverse_database_gb,dataverse_file_gb,dataverse_log_gb,"
        "dataverse_database_growth_gb_per_month\n"
        f"PROD,dataverse_production,,{database[1]},{file[1]},{log[1]},{extra}\n",
        encoding="utf-8",
    )
    return licenses, environments


def _capacity(result) -> dict[str, dict[str, Any]]:
    return {row["pool"]: row for row in json.loads(result.stdout)["capacity"]}


@pytest.fixture(scope="module")
def page_answers(tmp_path_factory: pytest.TempPathFactory) -> dict[Any, Any]:
    """Every scenario of the page forecast as JSON, and the first as a table, in processes run
    side by side."""
    commands, keys = [], []
    for number, (database, log, file, _) in SCENARIOS.items():
        files = _tenant(tmp_path_factory.mktemp(f"page{number}"), database, log, file)
        flags = ("--as-of", "2026-12", "--months", "1")
        commands.append(("forecast", *map(str, files), *flags, "--format", "json"))
        keys.append(number)
        if number == 1:
            commands.append(("forecast", *map(str, files), *flags))
            keys.append("table")
    return dict(zip(keys, run_capplan_together(commands, check_exit=0), strict=True))


@pytest.mark.parametrize("number", sorted(SCENARIOS))
def test_the_page_scenarios_through_the_cli(number: int, page_answers: dict[Any, Any]) -> None:
    statuses = SCENARIOS[number][3]
    capacity = _capacity(page_answers[number])
    assert {pool: row["status"] for pool, row in capacity.items()} == statuses
    if number == 2:
        assert capacity["log"]["remaining_share"] == pytest.approx(0.0714, abs=1e-4)
        assert capacity["log"]["effective_entitled_gb"] == pytest.approx(140)
    if number == 3:
        assert capacity["file"]["remaining_share"] == pytest.approx(0.0667, abs=1e-4)
        assert capacity["file"]["borrowed_from"] == {"log": 30.0, "database": 20.0}
    deficits = {4: ("database", 10.0), 5: ("log", 5.0), 6: ("file", 5.0)}
    if number in deficits:
        pool, gb = deficits[number]
        assert capacity[pool]["effective_deficit_gb"] == pytest.approx(gb)
        assert capacity[pool]["status_text"] == f"Deficit {gb:.2f} GB"


def test_the_admin_center_words_in_the_table(page_answers: dict[Any, Any]) -> None:
    table = page_answers["table"].stdout
    assert "Running low (less than 5% left)" in table
    assert "Within capacity" in table


def _lifecycle_tenant(folder: Path, fno: bool) -> list[str]:
    licenses, environments = _tenant(folder, (10, 6), (5, 1), (20, 5), extra="1")
    with environments.open("a", encoding="utf-8") as handle:
        handle.write("UAT,dataverse_sandbox,no,1,1,0.5,\n")
        handle.write("PAID,dataverse_sandbox,yes,1,1,0.5,\n")
    files = [str(licenses), str(environments)]
    if fno:
        operations = folder / "operations.csv"
        operations.write_text(
            "name,type,tier,operations_database_gb,operations_file_gb\nFO-UAT,sandbox,2,5,1\n",
            encoding="utf-8",
        )
        files.append(str(operations))
    return files


def test_a_dataverse_only_tenant_gets_its_stage_dates(tmp_path: Path) -> None:
    files = _lifecycle_tenant(tmp_path, fno=False)
    result = run_capplan(
        "forecast", *files, "--as-of", "2026-12", "--months", "12", "--format", "json",
        check_exit=0,
    )  # fmt: skip
    plan = json.loads(result.stdout)
    stages = [(s["stage"], s["starts"], s["environments"]) for s in plan["overage_lifecycle"]]
    assert stages == [
        (1, "2027-03-01", ["PAID", "PROD", "UAT"]),
        (2, "2027-03-31", ["UAT"]),
        (3, "2027-05-30", ["UAT"]),
    ]
    assert plan["overage_lifecycle_note"] is None
    codes = {f["code"] for f in plan["findings"]}
    assert {"OVERAGE_STAGE_1", "OVERAGE_STAGE_2", "OVERAGE_STAGE_3"} <= codes
    assert [n["month"] for n in plan["notifications"] if n["pool"] == "database"] == [
        "2027-01",
        "2027-02",
        "2027-03",
    ]
    text = run_capplan(
        "forecast", *files, "--as-of", "2026-12", "--months", "12", check_exit=0
    ).stdout  # fmt: skip
    assert "The admin center's first banner would show in 2027-01." in text
    assert "2027-05-30  Overage stage 3: Sandboxes disabled (data kept): UAT" in text


def test_a_finance_and_operations_tenant_gets_the_note(tmp_path: Path) -> None:
    files = _lifecycle_tenant(tmp_path, fno=True)
    result = run_capplan(
        "forecast", *files, "--as-of", "2026-12", "--months", "12", "--format", "json",
        check_exit=0,
    )  # fmt: skip
    plan = json.loads(result.stdout)
    assert plan["shortfalls"]
    assert plan["overage_lifecycle"] == []
    assert "only to Dataverse-only tenants" in plan["overage_lifecycle_note"]
    assert "FO-UAT" in plan["overage_lifecycle_note"]


def test_the_overage_dates_never_print_control_characters(tmp_path: Path) -> None:
    files = _lifecycle_tenant(tmp_path, fno=False)
    environments = Path(files[1])
    environments.write_text(
        environments.read_text(encoding="utf-8").replace("UAT,", "\x1b[2JUAT\u202e,"),
        encoding="utf-8",
    )
    for form in ("table", "markdown"):
        out = run_capplan(
            "forecast", *files, "--as-of", "2026-12", "--months", "12", "--format", form,
            check_exit=0,
        ).stdout  # fmt: skip
        assert "Overage stage 2" in out
        assert "\x1b" not in out and "\u202e" not in out
