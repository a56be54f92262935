"""The tenant capacity API answer: detected from content, MB to GB, types, sub-types, licenses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.ingest import detect_format, load_inputs
from planner.ingest.tenant_capacity import part_of
from planner.model.units import MB_PER_GB

from .conftest import SAMPLES

SAMPLE = SAMPLES / "tenant-capacity.json"
TENANT = "00000000-0000-0000-0000-0000000000c0"


def test_sample_is_detected_and_read_as_microsofts_figures() -> None:
    assert detect_format(SAMPLE) == "tenant-capacity-json"
    inputs = load_inputs([SAMPLE])
    (source,) = inputs.sources
    assert (source.kind, source.format, source.tenant_id) == (
        "tenant_capacity",
        "tenant-capacity-json",
        TENANT,
    )
    assert len(inputs.licenses) == 0 and len(inputs.environments) == 0
    figures = inputs.microsoft
    assert figures is not None
    assert (figures.tenant_id, figures.license_model) == (TENANT, "StorageDriven")
    capacities = figures.capacities.set_index("api_type")
    raw = {c["capacityType"]: c for c in json.loads(SAMPLE.read_text())["tenantCapacities"]}
    for api_type in ("Database", "File", "Log", "FinOpsDatabase", "FinOpsFile"):
        row = capacities.loc[api_type]
        assert row["entitled_gb"] == raw[api_type]["totalCapacity"] / MB_PER_GB
        assert row["rated_gb"] == raw[api_type]["consumption"]["rated"] / MB_PER_GB
        assert row["actual_gb"] == raw[api_type]["consumption"]["actual"] / MB_PER_GB
    assert capacities.loc["FinOpsDatabase", "capacity_type"] == "operations_database"
    # Trial and other types are listed with their figures, and never mapped to a capacity type.
    assert capacities.loc["TrialDatabase", "capacity_type"] == ""
    assert capacities.loc["TrialDatabase", "entitled_gb"] == 1.0
    assert capacities.loc["ApiCallCount", "capacity_type"] == ""
    assert capacities["entitled_gb"].isna()["ApiCallCount"]


def test_sub_types_are_kept_with_their_part() -> None:
    figures = load_inputs([SAMPLE]).microsoft
    assert figures is not None
    sub_types = figures.sub_types
    database = sub_types[sub_types["api_type"] == "Database"]
    assert list(database["sub_type"]) == ["DatabaseBase", "DatabaseIncremental", "DatabaseAddOn"]
    assert list(database["part"]) == ["Base", "Incremental", "AddOn"]
    assert list(database["gb"]) == [90.0, 180.0, 4.0]
    addon = figures.licenses[figures.licenses["entitlement_code"] == "CDS_DB_CAPACITY"].iloc[0]
    assert (addon["sku_id"], addon["units"], addon["gb"]) == (
        "00000000-0000-0000-0000-0000000000a6",
        4,
        4.0,
    )


@pytest.mark.parametrize(
    ("sub_type", "part"),
    [
        ("DatabaseBase", "Base"),
        ("FinOpsDatabaseIncremental", "Incremental"),
        ("FileAddOn", "AddOn"),
        ("fileaddon", "AddOn"),
        ("CapacityPassBase", "Base"),
        ("Overflow", "Other"),
    ],
)
def test_part_of_a_sub_type(sub_type: str, part: str) -> None:
    assert part_of(sub_type) == part


def test_temporary_license_keeps_its_expiry(tmp_path: Path) -> None:
    document = json.loads(SAMPLE.read_text())
    group = document["tenantCapacities"][0]["capacityEntitlements"][2]
    group["licenses"].append(
        {
            "entitlementCode": "LOCAL_PAYGO_SEEDED_DATAVERSE",
            "isTemporaryLicense": True,
            "temporaryLicenseExpiryDate": "2027-02-01T18:33:49+00:00",
            "skuId": "{00000000-0000-0000-0000-0000000000FF}",
            "paid": {"enabled": 1},
            "totalCapacity": 5120.0,
        }
    )
    path = tmp_path / "capacity.json"
    path.write_text(json.dumps(document))
    figures = load_inputs([path]).microsoft
    assert figures is not None
    temporary = figures.licenses[figures.licenses["temporary"]]
    assert len(temporary) == 1
    row = temporary.iloc[0]
    assert (row["expires"], row["gb"], row["sku_id"]) == (
        "2027-02-01",
        5.0,
        "00000000-0000-0000-0000-0000000000ff",
    )
    assert not figures.licenses[~figures.licenses["temporary"]]["expires"].any()


def test_units_in_gb_are_read_as_gb(tmp_path: Path) -> None:
    path = tmp_path / "capacity.json"
    path.write_text(
        json.dumps(
            {
                "tenantCapacities": [
                    {
                        "capacityType": "Log",
                        "capacityUnits": "GB",
                        "totalCapacity": 2,
                        "consumption": {"rated": 1.5, "actual": 1.25},
                    }
                ]
            }
        )
    )
    figures = load_inputs([path]).microsoft
    assert figures is not None
    row = figures.capacities.iloc[0]
    assert (row["entitled_gb"], row["rated_gb"], row["actual_gb"]) == (2.0, 1.5, 1.25)
    assert figures.tenant_id == ""


def test_graph_and_admin_api_files_name_their_tenant(samples: Path) -> None:
    inputs = load_inputs([samples / "licenses-graph.json", samples / "environments-ppac.json"])
    assert [s.tenant_id for s in inputs.sources] == [TENANT, TENANT]
    tables = load_inputs([samples / "licenses-mgsku.csv"])
    assert tables.sources[0].tenant_id == ""
