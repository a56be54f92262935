"""``capplan rules skus`` and ``capplan rules import-skus`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from planner.ruleset.catalog import bundled_catalog, load_catalog
from tests.e2e.clitools import SAMPLES, run_capplan

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


# Real SKUs of several families: (GUID, part number, quantity).
TENANT = (
    ("55c9eb4e-c746-45b4-b255-9ab6b19d5c62", "DYN365_FINANCE", 25),
    ("f2e48cb3-9da0-42cd-8464-4a54ce198ad0", "DYN365_SCM", 10),
    ("1e1a282c-9c54-43a2-9310-98ef728faace", "DYN365_ENTERPRISE_SALES", 15),
    ("b30411f5-fea1-4a59-9ad9-3db7c7ead579", "POWERAPPS_PER_USER", 30),
    ("4a51bf65-409c-4a91-b845-1121b571cc9d", "FLOW_PER_USER", 5),
    ("e612d426-6bc3-4181-9658-91aa906b0ac0", "CDS_DB_CAPACITY", 4),
    ("f7ad4bca-7221-452c-bdb6-3e6089f25e06", "Dynamics_365_for_Operations_Sandbox_Tier4_SKU", 1),
    ("f30db892-07e9-47e9-837c-80727f46fd3d", "FLOW_FREE", 10000),
)


def _graph(tmp_path: Path, name: str, with_guid: bool, with_part_number: bool) -> Path:
    skus = []
    for guid, part_number, quantity in TENANT:
        sku: dict[str, object] = {
            "consumedUnits": 0,
            "prepaidUnits": {"enabled": quantity, "warning": 0, "suspended": 0, "lockedOut": 0},
        }
        if with_guid:
            sku["skuId"] = guid
        if with_part_number:
            sku["skuPartNumber"] = part_number
        skus.append(sku)
    path = tmp_path / name
    path.write_text(json.dumps({"value": skus}), encoding="utf-8")
    return path


def _plan(path: Path, as_of: str = "2026-12") -> dict:
    result = run_capplan("forecast", str(path), "--as-of", as_of, "--format", "json", check_exit=0)
    return json.loads(result.stdout)


def test_a_graph_export_with_guids_only_plans_like_one_with_part_numbers(tmp_path: Path) -> None:
    by_guid = _plan(_graph(tmp_path, "guids.json", with_guid=True, with_part_number=False))
    by_part = _plan(_graph(tmp_path, "parts.json", with_guid=False, with_part_number=True))
    for key in ("capacity", "entitlement", "forecast", "shortfalls", "assumptions"):
        assert by_guid[key] == by_part[key], key
    assert [f["code"] for f in by_guid["findings"]] == [f["code"] for f in by_part["findings"]]
    assert {lic["matched_by"] for lic in by_guid["licenses"]} == {"guid"}
    assert {lic["matched_by"] for lic in by_part["licenses"]} == {"part_number"}
    assert "UNKNOWN_SKU" not in {f["code"] for f in by_guid["findings"]}
    (free,) = by_guid["ignored_licenses"]
    assert free["sku"] == "FLOW_FREE" and free["reason"].startswith("free plan")


def test_the_admin_center_export_plans_the_sample_tenant_and_says_it_matched_by_name() -> None:
    names = SAMPLES / "licenses-admin-center.csv"
    by_name = _plan(names)
    by_graph = _plan(SAMPLES / "licenses-graph.json")
    assert by_name["capacity"] == by_graph["capacity"]
    assert by_name["entitlement"] == by_graph["entitlement"]
    assert by_name["inputs"][0]["format"] == "admin-center-licenses-csv"
    assert {lic["matched_by"] for lic in by_name["licenses"]} == {"display_name"}
    table = run_capplan("forecast", str(names), "--as-of", "2026-12", check_exit=0).stdout
    assert "recognised by display name 12" in table
    assert "matched by display name" in table


def test_an_existing_out_that_is_a_device_is_read_under_a_limit(tmp_path: Path) -> None:
    """The catalog --out names is read as the current one: a device that never ends is refused
    at the catalog's size limit, not read until memory runs out."""
    source = tmp_path / "products.csv"
    source.write_text(HEADER + "X,XY,12345678-1234-1234-1234-123456789abc,PLAN\n", "utf-8")
    result = run_capplan("rules", "import-skus", str(source), "--out", "/dev/zero", "--dry-run")
    assert result.returncode == 2, result.stderr
    assert "the SKU catalog is larger than the limit of 16,777,216 bytes" in result.stderr


def test_a_cell_longer_than_the_csv_reader_reads_is_one_message(tmp_path: Path) -> None:
    """Python's CSV reader stops at a cell of more than 131,072 characters: in the product list
    and in a catalog, said with the line, exit 2."""
    source = tmp_path / "products.csv"
    source.write_text(HEADER + "A" * 200_000 + ",X,12345678-1234-1234-1234-123456789abc,P\n")
    result = run_capplan("rules", "import-skus", str(source), "--dry-run")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "products.csv, line 2: the text cannot be read as CSV" in result.stderr
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "X,XY,12345678-1234-1234-1234-123456789abc,PLAN\n", "utf-8")
    catalog = tmp_path / "skus.csv"
    catalog.write_text(
        "part_number,guid,display_name,other_names,family,capacity,rule,reason,origin\n"
        + "A" * 200_000
        + ",,x,,,none,,r,o\n"
    )
    result = run_capplan("rules", "import-skus", str(good), "--out", str(catalog), "--dry-run")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "skus.csv, line 2: the SKU catalog cannot be read as CSV" in result.stderr
