"""Snapshot folders as inputs and as history; the CoE Starter Kit capacity table as history."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli.main import cli
from planner.engine.growth import fit_growth
from planner.errors import InputError
from planner.ingest import load_inputs
from planner.ingest.snapshots import read_snapshots
from planner.model.limits import MAX_SNAPSHOTS

from .conftest import SAMPLES

DATES = (dt.date(2026, 10, 2), dt.date(2026, 11, 2), dt.date(2026, 12, 2))
# CONTOSO-PROD's Dataverse database grows by 512 MB a month.
PROD_MB = (14848.0, 15360.0, 15872.0)


def admin_list(database_mb: float) -> dict:
    document = json.loads((SAMPLES / "environments-ppac.json").read_text(encoding="utf-8"))
    for environment in document["value"]:
        if environment["properties"]["displayName"] == "CONTOSO-PROD":
            for entry in environment["properties"]["capacity"]:
                if entry["capacityType"] == "Database":
                    entry["ratedConsumption"] = database_mb
    return document


def snapshot_folder(root: Path, date: dt.date, database_mb: float, manifest: bool) -> Path:
    folder = root / date.isoformat()
    folder.mkdir(parents=True)
    (folder / "environments.json").write_text(json.dumps(admin_list(database_mb)))
    (folder / "subscribedSkus.json").write_bytes((SAMPLES / "licenses-graph.json").read_bytes())
    if manifest:
        files = [{"file": "subscribedSkus.json"}, {"file": "environments.json"}]
        (folder / "manifest.json").write_text(json.dumps({"files": files}))
    return folder


def test_history_folder_of_dated_snapshots_fits_growth(tmp_path: Path) -> None:
    for date, megabytes in zip(DATES, PROD_MB, strict=True):
        snapshot_folder(tmp_path, date, megabytes, manifest=date.month != 11)
    (tmp_path / "notes").mkdir()  # folders without a date are not snapshots
    snapshots = read_snapshots([tmp_path])
    assert [s.date for s in snapshots] == list(DATES)
    fits = fit_growth(snapshots).set_index(["environment", "capacity_type"])
    assert fits.loc[("CONTOSO-PROD", "dataverse_database"), "gb_per_month"] == pytest.approx(0.5)
    assert fits.loc[("CONTOSO-PROD", "dataverse_file"), "gb_per_month"] == pytest.approx(0.0)


@pytest.mark.parametrize("given", ["the folder", "its parent"])
def test_a_snapshot_folder_dated_in_other_digits_is_refused(tmp_path: Path, given: str) -> None:
    """int() reads "٢٠٢٦-12-02" as a date; it is refused rather than read, or passed over as
    a folder without a date."""
    for date, megabytes in zip(DATES[:2], PROD_MB[:2], strict=True):
        snapshot_folder(tmp_path, date, megabytes, manifest=True)
    odd = snapshot_folder(tmp_path, DATES[2], PROD_MB[2], manifest=True)
    odd = odd.rename(tmp_path / "\u0662\u0660\u0662\u0666-12-02")
    with pytest.raises(InputError) as refused:
        read_snapshots([odd if given == "the folder" else tmp_path])
    assert refused.value.file == str(odd)
    assert refused.value.message == (
        "the date '\u0662\u0660\u0662\u0666-12-02' in the name is not written with the digits "
        "0 to 9 (\u0662 is U+0662 ARABIC-INDIC DIGIT TWO)"
    )


def test_forecast_on_a_snapshot_folder_equals_the_files(tmp_path: Path) -> None:
    folder = snapshot_folder(tmp_path, DATES[-1], PROD_MB[-1], manifest=True)
    runner = CliRunner()
    args = ["--as-of", "2026-12", "--format", "json"]
    from_folder = runner.invoke(cli, ["forecast", str(folder), *args])
    files = [str(folder / "subscribedSkus.json"), str(folder / "environments.json")]
    from_files = runner.invoke(cli, ["forecast", *files, *args])
    assert from_folder.exit_code == 0, from_folder.stderr
    assert json.loads(from_folder.stdout) == json.loads(from_files.stdout)


def test_a_manifest_naming_a_path_outside_is_refused(tmp_path: Path) -> None:
    folder = snapshot_folder(tmp_path, DATES[0], PROD_MB[0], manifest=False)
    (folder / "manifest.json").write_text(json.dumps({"files": [{"file": "../x.json"}]}))
    with pytest.raises(InputError, match="not a file of this folder"):
        load_inputs([folder])


def coe_csv(path: Path, date: dt.date, database_mb: float) -> Path:
    rows = [
        "admin_environment,admin_capacitytype,admin_actualconsumption,admin_ratedconsumption,"
        "admin_capacityunit,admin_capacityupdatedon",
        f"CONTOSO-PROD,Database,{database_mb - 100},{database_mb},MB,{date.isoformat()}T06:00:00Z",
        f"CONTOSO-PROD,File,20000,22528,MB,{date.isoformat()}T06:00:00Z",
        f"Contoso Trial,TrialDatabase,10,10,MB,{date.isoformat()}T06:00:00Z",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def coe_json(path: Path, date: dt.date, database_mb: float) -> Path:
    formatted = "@OData.Community.Display.V1.FormattedValue"
    rows = [
        {
            "admin_environmentcapacityid": f"00000000-0000-0000-0000-00000000010{index}",
            f"admin_capacitytype{formatted}": kind,
            "admin_capacitytype": code,
            f"_admin_environment_value{formatted}": "CONTOSO-PROD",
            "_admin_environment_value": "00000000-0000-0000-0000-000000000f00",
            "admin_ratedconsumption": rated,
            "admin_actualconsumption": rated - 100,
            "admin_capacityunit": "MB",
            "admin_capacityupdatedon": f"{date.isoformat()}T06:00:00Z",
        }
        for index, (kind, code, rated) in enumerate(
            [("Database", 597350000, database_mb), ("Log", 597350002, 1843.2)]
        )
    ]
    body = {"@odata.context": "https://contoso.crm4.dynamics.com/api/data/v9.2/$metadata#x"}
    path.write_text(json.dumps({**body, "value": rows}), encoding="utf-8")
    return path


@pytest.mark.parametrize("write", [coe_csv, coe_json])
def test_coe_capacity_exports_are_history(tmp_path: Path, write) -> None:  # type: ignore[no-untyped-def]
    suffix = ".csv" if write is coe_csv else ".json"
    # Dated by content: the newest admin_capacityupdatedon of each export.
    paths = [
        write(tmp_path / f"capacity-export-{index}{suffix}", date, megabytes)
        for index, (date, megabytes) in enumerate(zip(DATES, PROD_MB, strict=True))
    ]
    snapshots = read_snapshots(paths)
    assert [s.date for s in snapshots] == list(DATES)
    fits = fit_growth(snapshots).set_index(["environment", "capacity_type"])
    assert fits.loc[("CONTOSO-PROD", "dataverse_database"), "gb_per_month"] == pytest.approx(0.5)
    assert "Contoso Trial" not in set(fits.index.get_level_values(0))


def test_coe_export_alone_is_not_a_plan_input(tmp_path: Path) -> None:
    path = coe_csv(tmp_path / "capacity.csv", DATES[0], PROD_MB[0])
    with pytest.raises(InputError, match="CoE Starter Kit's environment capacity table"):
        load_inputs([path])


def test_coe_choice_codes_without_names_are_refused(tmp_path: Path) -> None:
    rows = [
        {
            "admin_capacitytype": 597350000,
            "admin_environmentname": "CONTOSO-PROD",
            "admin_ratedconsumption": 1.0,
        }
    ]
    path = tmp_path / "capacity-2026-12-02.json"
    path.write_text(json.dumps({"value": rows}))
    with pytest.raises(InputError, match=r"odata\.include-annotations"):
        read_snapshots([path])


def test_forecast_history_folder_on_the_command_line(tmp_path: Path) -> None:
    for date, megabytes in zip(DATES, PROD_MB, strict=True):
        snapshot_folder(tmp_path / "snapshots", date, megabytes, manifest=True)
    latest = tmp_path / "snapshots" / DATES[-1].isoformat()
    result = CliRunner().invoke(
        cli,
        [
            "forecast",
            str(latest),
            "--history",
            str(tmp_path / "snapshots"),
            "--as-of",
            "2026-12",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    lines = json.loads(result.stdout)["consumption"]
    prod = next(
        line
        for line in lines
        if line["environment"] == "CONTOSO-PROD" and line["capacity_type"] == "dataverse_database"
    )
    assert prod["growth_gb_per_month"] == pytest.approx(0.5)


def test_a_history_of_more_snapshots_than_a_run_reads_is_refused_before_reading(
    tmp_path: Path,
) -> None:
    """Counted from the folders' listings: the files here are empty, and none is read."""
    history = tmp_path / "history"
    history.mkdir()
    start = dt.date(2023, 1, 1)
    for day in range(MAX_SNAPSHOTS + 1):
        (history / f"environments-{start + dt.timedelta(days=day)}.csv").touch()
    with pytest.raises(InputError, match=f"holds {MAX_SNAPSHOTS + 1:,} snapshots, more than"):
        read_snapshots([history])
    # With one less, the first snapshot is read (and found empty).
    (history / f"environments-{start}.csv").unlink()
    with pytest.raises(InputError, match="empty"):
        read_snapshots([history])


@pytest.mark.parametrize("kind", ["pipe", "link to a device"])
def test_an_entry_neither_file_nor_folder_in_a_history_folder_is_refused(
    tmp_path: Path, kind: str
) -> None:
    """A named pipe, or a link to /dev/zero, was passed over without a word."""
    history = tmp_path / "history"
    history.mkdir()
    odd = history / "environments-2026-02-28.csv"
    if kind == "pipe":
        os.mkfifo(odd)
    else:
        odd.symlink_to("/dev/zero")
    with pytest.raises(InputError, match="neither a file nor a folder") as refused:
        read_snapshots([history])
    assert refused.value.file == str(odd)
