"""Reconciliation of the sample tenant with Microsoft's figures, and the CLI that prints it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from planner import plan
from planner.cli.main import cli

from .variants import (
    ENVIRONMENTS,
    LICENSES,
    OTHER_TENANT,
    TENANT_CAPACITY,
    consumption_gap,
    named_by,
    one_more_addon_unit,
    other_tenant,
    sample,
    temporary_license,
    write,
)

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-12"
CODES = ("ENTITLEMENT_MISMATCH", "CONSUMPTION_MISMATCH", "TENANT_MISMATCH")


def reconciled(tenant_capacity: Path, *extra: Path):  # type: ignore[no-untyped-def]
    result = plan([LICENSES, ENVIRONMENTS, tenant_capacity, *extra], as_of=AS_OF)
    assert result.reconciliation is not None
    return result


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_equal_figures_match_everywhere() -> None:
    result = reconciled(TENANT_CAPACITY)
    reconciliation = result.reconciliation
    assert reconciliation is not None
    pools = reconciliation.pools.set_index("pool")
    assert list(pools.index) == ["database", "file", "log"]
    assert pools["entitled_difference_gb"].abs().max() <= 0.01
    assert pools["consumed_difference_gb"].abs().max() <= 0.01
    # Pools sum their types: database = Dataverse database + finance and operations database.
    assert pools.at["database", "microsoft_entitled_gb"] == pytest.approx(294.0)
    assert pools.at["database", "microsoft_consumed_gb"] == pytest.approx(244.0)
    assert reconciliation.explanations == ()
    assert not [f for f in result.findings if f.code in CODES]
    listed = set(reconciliation.listed["capacity_type"])
    assert listed == {"TrialDatabase", "ApiCallCount"}


def test_an_addon_unit_microsoft_counts_is_found_and_named(tmp_path: Path) -> None:
    path = write(tmp_path / "capacity.json", one_more_addon_unit(sample()))
    reconciliation = reconciled(path).reconciliation
    assert reconciliation is not None
    mismatched = reconciliation.mismatched_licenses
    assert list(mismatched["sku"]) == ["CDS_DB_CAPACITY"]
    row = mismatched.iloc[0]
    assert (row["part"], row["capplan_units"], row["microsoft_units"]) == ("AddOn", 4, 5)
    assert row["difference_gb"] == pytest.approx(1.0)
    pools = reconciliation.pools.set_index("pool")
    assert pools.at["database", "entitled_difference_gb"] == pytest.approx(1.0)
    assert pools.loc[["file", "log"], "entitled_difference_gb"].abs().max() <= 0.01
    assert (
        "Microsoft counts 5 CDS_DB_CAPACITY units, the license export 4"
        in (reconciliation.explanations[0])
    )
    assert reconciliation.unexplained_gb == {}


# Product GUIDs of Microsoft's "Product names and service plan identifiers" list, as the bundled
# SKU catalog holds them. The Tier 3 sandbox has none published: it keeps the sample's GUID,
# which nothing knows.
CATALOG_GUIDS = {
    "DYN365_FINANCE": "55c9eb4e-c746-45b4-b255-9ab6b19d5c62",
    "DYN365_SCM": "f2e48cb3-9da0-42cd-8464-4a54ce198ad0",
    "Dyn365_Operations_Activity": "b75074f1-4c54-41bf-970f-c9ac871567f5",
    "CDS_DB_CAPACITY": "e612d426-6bc3-4181-9658-91aa906b0ac0",
    "Dynamics_365_for_Operations_Sandbox_Tier2_SKU": "e485d696-4c87-4aac-bf4a-91b2fb6f0fa7",
}
TIER3 = "Dynamics_365_for_Operations_Sandbox_Tier3_SKU"


def test_a_guid_only_the_sku_catalog_knows_joins_by_its_part_number(tmp_path: Path) -> None:
    from planner.ruleset import bundled_catalog

    catalog = bundled_catalog()
    for part, guid in CATALOG_GUIDS.items():
        entry = catalog.by_guid(guid)
        assert entry is not None and entry.part_number.casefold() == part.casefold(), part
    # The export is a sku,quantity sheet: part numbers, no GUIDs; the rule set lists none either.
    # Microsoft names the licenses by GUID and by entitlement codes such as DYN365_FINANCE_BASE,
    # which are no part numbers.
    held = plan([LICENSES], as_of=AS_OF).licenses
    sheet = tmp_path / "licenses.csv"
    sheet.write_text(
        "sku,quantity\n"
        + "".join(f"{row.sku_given},{row.quantity}\n" for row in held.itertuples()),
        encoding="utf-8",
    )
    capacity = write(tmp_path / "capacity.json", named_by(sample(), CATALOG_GUIDS))
    result = plan([sheet, ENVIRONMENTS, capacity], as_of=AS_OF)
    reconciliation = result.reconciliation
    assert reconciliation is not None
    assert set(result.licenses["sku_id"]) == {""}
    assert not any(result.ruleset.find_license("", guid) for guid in CATALOG_GUIDS.values())
    rows = reconciliation.licenses[reconciliation.licenses["part"] != "Base"]
    how = dict(zip(rows["sku"], rows["matched_by"], strict=True))
    assert {sku: how[sku] for sku in CATALOG_GUIDS} == dict.fromkeys(CATALOG_GUIDS, "SKU catalog")
    # Where the catalog knows no GUID, the entitlement code stands in, and differs.
    assert how["D365_SANDBOX_TIER3"] == "entitlement code"
    assert set(reconciliation.mismatched_licenses["sku"]) == {"D365_SANDBOX_TIER3", TIER3}


def test_a_temporary_license_is_marked_with_its_expiry(tmp_path: Path) -> None:
    path = write(tmp_path / "capacity.json", temporary_license(sample()))
    result = reconciled(path)
    reconciliation = result.reconciliation
    assert reconciliation is not None
    row = reconciliation.mismatched_licenses.iloc[0]
    assert bool(row["temporary"]) and row["expires"] == "2027-02-01"
    assert row["pool"] == "file" and row["microsoft_gb"] == pytest.approx(2.0)
    assert any("a temporary license expiring 2027-02-01" in e for e in reconciliation.explanations)
    finding = next(f for f in result.findings if f.code == "ENTITLEMENT_MISMATCH")
    assert finding.subject == "LOCAL_PAYGO_SEEDED_DATAVERSE"


def test_a_consumption_gap_is_put_in_words(tmp_path: Path) -> None:
    path = write(tmp_path / "capacity.json", consumption_gap(sample(), 4.4))
    result = reconciled(path)
    reconciliation = result.reconciliation
    assert reconciliation is not None
    assert any(
        e.startswith("Microsoft measures 4.4 GB more database than the inventory")
        and "cannot explain" in e
        for e in reconciliation.explanations
    )
    finding = next(f for f in result.findings if f.code == "CONSUMPTION_MISMATCH")
    assert finding.subject == "database"


def test_files_from_two_tenants(tmp_path: Path) -> None:
    path = write(tmp_path / "capacity.json", other_tenant(sample()))
    result = reconciled(path)
    finding = next(f for f in result.findings if f.code == "TENANT_MISMATCH")
    assert OTHER_TENANT in finding.message and str(path) in finding.message
    assert finding.severity == "error"


def test_tenant_check_runs_without_a_tenant_capacity_answer(tmp_path: Path) -> None:
    environments = json.loads(ENVIRONMENTS.read_text(encoding="utf-8"))
    for environment in environments["value"]:
        environment["properties"]["tenantId"] = OTHER_TENANT
    other = write(tmp_path / "environments.json", environments)
    result = plan([LICENSES, other], as_of=AS_OF)
    assert result.reconciliation is None
    assert [f.code for f in result.findings if f.code == "TENANT_MISMATCH"] == ["TENANT_MISMATCH"]


def test_reconcile_command_finds_the_unit_and_fails_on_mismatch(tmp_path: Path) -> None:
    path = write(tmp_path / "capacity.json", one_more_addon_unit(sample()))
    files = (str(LICENSES), str(ENVIRONMENTS), str(path))
    code, out, err = run("reconcile", *files, "--as-of", AS_OF, "--fail-on", "mismatch")
    assert code == 1, err
    assert "Microsoft counts 5 CDS_DB_CAPACITY units, the license export 4" in out
    assert "ENTITLEMENT_MISMATCH" in err
    code, out, _ = run("reconcile", *files, "--as-of", AS_OF, "--format", "json")
    assert code == 0
    data = json.loads(out)
    section = data["reconciliation"]
    assert section["matches"] is False
    assert [f["subject"] for f in data["findings"]] == ["CDS_DB_CAPACITY"]
    addon = next(lic for lic in section["licenses"] if lic["sku"] == "CDS_DB_CAPACITY")
    assert (addon["capplan_units"], addon["microsoft_units"]) == (4, 5)
    code, out, _ = run("reconcile", *files, "--as-of", AS_OF, "--tolerance", "2")
    assert code == 0 and "agree to 2 GB" in out


def test_reconcile_equal_figures_pass_the_gate() -> None:
    files = (str(LICENSES), str(ENVIRONMENTS), str(TENANT_CAPACITY))
    code, out, err = run(
        "reconcile", *files, "--as-of", AS_OF, "--fail-on", "mismatch", "--format", "markdown"
    )
    assert code == 0, err
    assert out.startswith("## Reconciliation with Microsoft's figures")
    assert "capplan and Microsoft agree to 0.01 GB" in out


def test_reconcile_without_microsoft_figures_is_bad_input() -> None:
    code, _, err = run("reconcile", str(LICENSES), str(ENVIRONMENTS))
    assert code == 2
    assert "no tenant capacity answer among the inputs" in err


def test_two_tenant_capacity_answers_are_refused(tmp_path: Path) -> None:
    second = write(tmp_path / "second.json", sample())
    code, _, err = run("forecast", str(LICENSES), str(TENANT_CAPACITY), str(second))
    assert code == 2
    assert "2 tenant capacity answers were given" in err


def test_forecast_shows_the_section_in_every_text_format(tmp_path: Path) -> None:
    path = write(tmp_path / "capacity.json", one_more_addon_unit(sample()))
    files = (str(LICENSES), str(ENVIRONMENTS), str(path), "--as-of", AS_OF)
    _, table, _ = run("forecast", *files)
    assert "Reconciliation with Microsoft's figures" in table
    _, markdown, _ = run("forecast", *files, "--format", "markdown")
    assert "### Reconciliation with Microsoft's figures" in markdown
    _, text, _ = run("forecast", *files, "--format", "json")
    data = json.loads(text)
    schema = json.loads((ROOT / "docs" / "plan.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["reconciliation"]["pools"][0]["entitled_difference_gb"] == 1.0
    _, plain, _ = run("forecast", str(LICENSES), str(ENVIRONMENTS), "--as-of", AS_OF)
    assert "Reconciliation" not in plain


def test_report_shows_the_section_in_html_and_excel(tmp_path: Path) -> None:
    import openpyxl

    path = write(tmp_path / "capacity.json", temporary_license(sample()))
    html, xlsx = tmp_path / "plan.html", tmp_path / "plan.xlsx"
    code, _, err = run(
        "report",
        str(LICENSES),
        str(ENVIRONMENTS),
        str(path),
        "--as-of",
        AS_OF,
        "--html",
        str(html),
        "--xlsx",
        str(xlsx),
    )
    assert code == 0, err
    page = html.read_text(encoding="utf-8")
    assert 'id="reconciliation"' in page
    assert "a temporary license expiring 2027-02-01" in page
    workbook = openpyxl.load_workbook(xlsx, read_only=True)
    names = workbook.sheetnames
    assert names.index("Reconciliation") == names.index("Findings") + 1
    cells = [
        value
        for row in workbook["Reconciliation"].iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    assert "LOCAL_PAYGO_SEEDED_DATAVERSE" in cells and "2027-02-01" in cells


def test_pools_microsoft_does_not_report_are_not_compared(tmp_path: Path) -> None:
    document = {
        "tenantId": "00000000-0000-0000-0000-0000000000c0",
        "tenantCapacities": [
            {
                "capacityType": "Log",
                "capacityUnits": "MB",
                "totalCapacity": 2048,
                "consumption": {"rated": 4915.2, "actual": 4571.1},
                "capacityEntitlements": [{"capacitySubType": "LogBase", "totalCapacity": 2048}],
            }
        ],
    }
    result = reconciled(write(tmp_path / "capacity.json", document))
    reconciliation = result.reconciliation
    assert reconciliation is not None
    pools = reconciliation.pools.set_index("pool")
    assert pools["microsoft_entitled_gb"].isna()[["database", "file"]].all()
    assert pools.at["log", "entitled_difference_gb"] == pytest.approx(0.0)
    assert set(reconciliation.licenses["pool"]) == {"log"}
    assert "Microsoft's answer has no figures for database: it cannot be compared" in (
        reconciliation.explanations
    )
    assert not [f for f in result.findings if f.code in CODES]
    code, out, _ = run(
        "reconcile",
        str(LICENSES),
        str(ENVIRONMENTS),
        str(tmp_path / "capacity.json"),
        "--as-of",
        AS_OF,
        "--format",
        "json",
    )
    assert code == 0
    database = json.loads(out)["reconciliation"]["pools"][0]
    assert database["microsoft_entitled_gb"] is None and database["entitled_difference_gb"] is None
