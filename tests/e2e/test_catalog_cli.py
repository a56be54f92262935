"""``capplan rules skus`` and ``capplan rules import-skus`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from planner.ruleset.catalog import bundled_catalog, load_catalog
from tests.e2e.clitools import run_capplan

HEADER = "\ufeffProduct_Display_Name,String_ Id,GUID,Service_Plan_Name\n"


def test_rules_skus_lists_the_catalog_in_both_formats() -> None:
    listed = json.loads(run_capplan("rules", "skus", "--format", "json", check_exit=0).stdout)
    assert listed["count"] == len(bundled_catalog()) == len(listed["skus"])
    by_part = {s["part_number"]: s for s in listed["skus"] if s["part_number"]}
    assert by_part["FLOW_FREE"]["capacity"] == "none" and by_part["FLOW_FREE"]["reason"]
    assert by_part["DYN365_FINANCE"]["capacity"] == "rule"
    assert by_part["DYN365_FINANCE"]["guid"] == "55c9eb4e-c746-45b4-b255-9ab6b19d5c62"
    table = run_capplan("rules", "skus", check_exit=0).stdout
    assert "DYN365_FINANCE" in table and "grants no capacity" in table


def test_import_skus_writes_a_new_catalog_and_shows_the_diff(tmp_path: Path) -> None:
    source = tmp_path / "products.csv"
    source.write_text(
        HEADER + "Contoso Dynamics 365 Widget,CONTOSO_D365_WIDGET,"
        "12345678-1234-1234-1234-123456789abc,PLAN\n",
        encoding="utf-8",
    )
    out = tmp_path / "skus.csv"
    result = run_capplan("rules", "import-skus", str(source), "--out", str(out), check_exit=0)
    assert "+ CONTOSO_D365_WIDGET" in result.stdout and "1 added" in result.stdout
    written = load_catalog(out)
    assert written.by_part_number("contoso_d365_widget").capacity == "unknown"
    assert len(written) == len(bundled_catalog()) + 1
    # A dry run writes nothing.
    out.unlink()
    run_capplan("rules", "import-skus", str(source), "--out", str(out), "--dry-run", check_exit=0)
    assert not out.exists()


def test_import_skus_refuses_a_bad_file_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "products.csv"
    source.write_text("Name,Id\nA,B\n", encoding="utf-8")
    out = tmp_path / "skus.csv"
    result = run_capplan("rules", "import-skus", str(source), "--out", str(out))
    assert result.returncode == 2
    assert "not Microsoft's product names CSV" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()
