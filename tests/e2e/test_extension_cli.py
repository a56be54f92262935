"""``capplan whatif --extension POOL@YYYY-MM`` on the samples, as a user runs it.

On the samples (pooled rule set, from 2026-12) Database is first short in 2028-02 and 99% used
in 2028-01; File is about a third used.
"""

from __future__ import annotations

import json
from pathlib import Path

from clitools import SAMPLES, run_capplan

INPUTS = (
    str(SAMPLES / "licenses-graph.json"),
    str(SAMPLES / "environments-inventory.csv"),
    "--as-of",
    "2026-12",
    "--months",
    "24",
)


def _whatif_json(*args: str) -> dict:
    return json.loads(
        run_capplan("whatif", *INPUTS, *args, "--format", "json", check_exit=0).stdout
    )


def test_an_extension_above_the_line_is_accepted_and_shifts_the_first_deficit(
    tmp_path: Path,
) -> None:
    data = _whatif_json("--extension", "database@2028-01")
    [scenario] = data["scenarios"]
    delta = {d["pool"]: d for d in scenario["delta"]}["database"]
    assert (delta["baseline_first_shortfall"], delta["first_shortfall"]) == ("2028-02", "2028-03")
    [extension] = scenario["extensions"]
    assert extension["months"] == ["2028-01", "2028-02"]
    # 25% of Database's consumption in 2028-01 (both rounded to 3 decimals in the JSON).
    assert abs(extension["gb"] - 0.25 * extension["consumed_gb"]) < 0.002
    assert extension["origin"] == "--extension database@2028-01"
    # The flag equals its one-change scenario file.
    path = tmp_path / "extension.toml"
    path.write_text(
        'name = "command line"\n[[changes]]\nkind = "request_extension"\n'
        'pool = "database"\nmonth = "2028-01"\n',
        encoding="utf-8",
    )
    [from_file] = _whatif_json("--scenario", str(path))["scenarios"]
    assert from_file["plan"]["forecast"] == scenario["plan"]["forecast"]
    assert from_file["delta"] == scenario["delta"]
    assert {**from_file["extensions"][0], "origin": ""} == {**extension, "origin": ""}


def test_an_extension_below_the_line_exits_2_naming_the_rule() -> None:
    result = run_capplan("whatif", *INPUTS, "--extension", "file@2027-05", check_exit=2)
    assert result.stdout == ""
    assert result.stderr.startswith("capplan: error: --extension file@2027-05: File is ")
    assert "used in 2027-05" in result.stderr
    assert "an extension needs more than 80%" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_fourth_extension_within_a_year_exits_2_naming_the_others() -> None:
    months = ("2027-02", "2027-05", "2027-08", "2027-11")
    flags = [arg for month in months for arg in ("--extension", f"database@{month}")]
    result = run_capplan("whatif", *INPUTS, *flags, check_exit=2)
    assert result.stdout == ""
    assert (
        "--extension database@2027-11: a 4th capacity extension within 365 days "
        "(2027-02, 2027-05, 2027-08 already); the rule set allows at most 3 in any 365 days"
    ) in result.stderr
    assert "Traceback" not in result.stderr
