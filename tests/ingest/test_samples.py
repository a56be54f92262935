"""Every sample loads, is detected as its format, and tells the same story about Contoso Bikes."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from planner.ingest import detect_format, load_inputs
from planner.model.inputs import ENVIRONMENT_COLUMNS, LICENSE_COLUMNS
from planner.ruleset import resolve_ruleset
from planner.ruleset.classify import classify_licenses

from .conftest import SAMPLES

EXPECTED = {
    "licenses-graph.json": ("graph-subscribedskus-json", "licenses", 12),
    "licenses-mgsku.csv": ("mg-subscribedsku-csv", "licenses", 12),
    "licenses-msol.csv": ("msol-accountsku-csv", "licenses", 12),
    "licenses-planning.csv": ("planning-sheet-csv", "licenses", 9),
    "licenses-admin-center.csv": ("admin-center-licenses-csv", "licenses", 12),
    "environments-inventory.csv": ("inventory-csv", "environments", 9),
    "environments-inventory.xlsx": ("inventory-xlsx", "environments", 9),
    "environments-ppac.json": ("ppac-environments-json", "environments", 8),
    "environments-lcs.json": ("lcs-environments-json", "environments", 5),
}
# Microsoft's figures for the same tenant: neither licenses nor environments (test_tenant_capacity).
OTHER_SAMPLES = {"tenant-capacity.json"}

DYNAMICS_QUANTITIES = {
    "DYN365_FINANCE": 25,
    "DYN365_SCM": 10,
    "DYN365_TEAM_MEMBERS": 50,
    "DYN365_SCM_ATTACH": 8,
    "Dyn365_Operations_Activity": 5,
    "CDS_DB_CAPACITY": 4,
    "Dynamics_365_for_Operations_Sandbox_Tier2_SKU": 1,
}


def test_every_sample_file_is_covered() -> None:
    data_files = {p.name for p in SAMPLES.iterdir() if p.suffix in {".json", ".csv", ".xlsx"}}
    assert data_files == set(EXPECTED) | OTHER_SAMPLES


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_loads_as_its_format(name: str) -> None:
    format_id, kind, rows = EXPECTED[name]
    path = SAMPLES / name
    assert detect_format(path) == format_id
    inputs = load_inputs([path])
    (source,) = inputs.sources
    assert (source.path, source.kind, source.format, source.rows) == (
        str(path),
        kind,
        format_id,
        rows,
    )
    table = inputs.licenses if kind == "licenses" else inputs.environments
    other = inputs.environments if kind == "licenses" else inputs.licenses
    assert len(table) == rows and len(other) == 0
    assert list(inputs.licenses.columns) == list(LICENSE_COLUMNS)
    assert list(inputs.environments.columns) == list(ENVIRONMENT_COLUMNS)
    assert (table["source"] == str(path)).all()
    assert (table["start_month"] == 0).all()


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if e[1] == "licenses"))
def test_license_samples_agree(name: str) -> None:
    """The same licenses, once the SKU catalog resolved GUIDs, part numbers and names."""
    raw = load_inputs([SAMPLES / name]).licenses
    licenses = classify_licenses(raw, resolve_ruleset(None, "2026-12"))
    quantities = licenses.groupby("sku")["quantity"].sum().to_dict()
    for sku, quantity in DYNAMICS_QUANTITIES.items():
        assert quantities[sku] == quantity, sku


def test_license_exports_carry_the_same_numbers() -> None:
    frames = [
        load_inputs([SAMPLES / n]).licenses
        for n in ("licenses-graph.json", "licenses-mgsku.csv", "licenses-msol.csv")
    ]
    columns = ["sku", "sku_id", "quantity", "warning_units", "consumed_units"]
    first = frames[0][columns].reset_index(drop=True)
    for frame in frames[1:]:
        assert frame[columns].reset_index(drop=True).equals(first)


def test_environment_samples_use_the_same_names() -> None:
    def names(name: str) -> set[str]:
        return set(load_inputs([SAMPLES / name]).environments["name"])

    inventory = names("environments-inventory.csv")
    assert names("environments-inventory.xlsx") == inventory
    assert names("environments-ppac.json") <= inventory
    assert names("environments-lcs.json") <= inventory
    finance_operations = {"CONTOSO-PROD", "CONTOSO-UAT", "CONTOSO-PERF", "CONTOSO-TRAIN"}
    assert finance_operations <= names("environments-ppac.json")
    assert finance_operations | {"CONTOSO-DEV01"} == names("environments-lcs.json")


def test_inventory_csv_and_xlsx_are_the_same_table() -> None:
    csv_table = load_inputs([SAMPLES / "environments-inventory.csv"]).environments
    xlsx_table = load_inputs([SAMPLES / "environments-inventory.xlsx"]).environments
    data = [c for c in ENVIRONMENT_COLUMNS if c not in ("source", "location")]
    assert csv_table[data].equals(xlsx_table[data])


def test_inventory_sample_shows_the_cases_the_checks_need() -> None:
    table = load_inputs([SAMPLES / "environments-inventory.csv"]).environments.set_index("name")
    assert table.loc["CONTOSO-PROD", "power_platform"] == "integrated"
    assert not math.isnan(table.loc["CONTOSO-PROD", "operations_database_growth_gb_per_month"])
    assert table.loc["CONTOSO-UAT", ["type", "tier", "power_platform"]].tolist() == [
        "sandbox",
        2.0,
        "initial",
    ]
    assert table.loc["CONTOSO-PERF", ["type", "tier", "power_platform"]].tolist() == [
        "addon_sandbox",
        3.0,
        "integrated",
    ]
    assert table.loc["CONTOSO-TRAIN", "linked_to"] == "Contoso CE"
    assert table.loc["Contoso CE", "type"] == "dataverse_production"
    assert set(table["type"]) >= {"cloud_hosted_dev", "default", "developer", "trial"}


def test_all_samples_load_together() -> None:
    paths: list[Path] = [SAMPLES / name for name in sorted(EXPECTED)]
    inputs = load_inputs(paths)
    assert len(inputs.sources) == len(EXPECTED)
    assert len(inputs.licenses) == sum(e[2] for e in EXPECTED.values() if e[1] == "licenses")
    # The same environments arrive from several files: each is planned once, and the reader is
    # told which files shared which environments.
    assert sorted(inputs.environments["name"]) == sorted(
        load_inputs([SAMPLES / "environments-inventory.csv"]).environments["name"]
    )
    assert any(r.code == "ENVIRONMENT_IN_SEVERAL_FILES" for r in inputs.remarks)


def test_a_large_inventory_loads(tmp_path: Path) -> None:
    """Thousands of rows of few distinct words load, every row mapped (how fast is measured by
    benchmarks/bench.py, not asserted here)."""
    header = ",".join(ENVIRONMENT_COLUMNS[:6]) + ",dataverse_database_gb,operations_database_gb"
    lines = [header] + [
        f"ENV-{i},{'Addon Sandbox' if i % 2 else 'addon_sandbox'},Tier {2 + i % 4},"
        f"{'INTEGRATED' if i % 3 else 'integrated'},,,{i % 97}.5,{i % 13}.25"
        for i in range(5000)
    ]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    environments = load_inputs([path]).environments
    assert len(environments) == 5000
    assert set(environments["type"]) == {"addon_sandbox"}
    assert set(environments["power_platform"]) == {"integrated"}
    assert environments["tier"].tolist() == [2 + i % 4 for i in range(5000)]


@pytest.mark.parametrize("shape", ["plain", "linked", "mixed"])
def test_every_benchmark_shape_is_read_whole_and_planned(tmp_path: Path, shape: str) -> None:
    """The benchmark's generated tenants are what it says they are: every row an environment
    (and the Default one), planned without a refusal."""
    import importlib.util

    from planner.planning import plan

    spec = importlib.util.spec_from_file_location(
        "bench", SAMPLES.parent / "benchmarks" / "bench.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert set(bench.SHAPES) == {"plain", "linked", "mixed"}
    licenses, inventory = bench.generate(tmp_path, 300, shape=shape)
    inputs = load_inputs([licenses, inventory])
    assert len(inputs.environments) == 301
    assert len(plan(inputs, as_of="2026-12", months=12).consumption) > 0
