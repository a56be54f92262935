"""The sample tenant's tenant capacity answer, and the ways a real one differs from an export."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
LICENSES = SAMPLES / "licenses-graph.json"
ENVIRONMENTS = SAMPLES / "environments-ppac.json"
TENANT_CAPACITY = SAMPLES / "tenant-capacity.json"
OTHER_TENANT = "00000000-0000-0000-0000-0000000000c9"
MB = 1024.0


def sample() -> dict[str, Any]:
    return json.loads(TENANT_CAPACITY.read_text(encoding="utf-8"))


def capacity_type(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in document["tenantCapacities"] if c["capacityType"] == name)


def sub_type(document: dict[str, Any], type_name: str, sub_name: str) -> dict[str, Any]:
    entry = capacity_type(document, type_name)
    return next(s for s in entry["capacityEntitlements"] if s["capacitySubType"] == sub_name)


def one_more_addon_unit(document: dict[str, Any]) -> dict[str, Any]:
    """Microsoft counts a fifth CDS_DB_CAPACITY unit the license export does not have yet."""
    out = copy.deepcopy(document)
    group = sub_type(out, "Database", "DatabaseAddOn")
    addon = group["licenses"][0]
    addon["paid"]["enabled"] += 1
    addon["totalCapacity"] += MB
    group["totalCapacity"] += MB
    capacity_type(out, "Database")["totalCapacity"] += MB
    return out


def temporary_license(document: dict[str, Any], expires: str = "2027-02-01") -> dict[str, Any]:
    """A temporary file add-on: Microsoft counts it, no export lists it."""
    out = copy.deepcopy(document)
    group = sub_type(out, "File", "FileAddOn")
    group["licenses"].append(
        {
            "entitlementCode": "LOCAL_PAYGO_SEEDED_DATAVERSE",
            "displayName": "Local PayGo Seeded Dataverse",
            "isTemporaryLicense": True,
            "temporaryLicenseExpiryDate": f"{expires}T00:00:00+00:00",
            "servicePlanId": "00000000-0000-0000-0000-000000000e99",
            "skuId": "00000000-0000-0000-0000-0000000000ff",
            "paid": {"enabled": 1, "warning": 0, "suspended": 0},
            "totalCapacity": 2 * MB,
        }
    )
    group["totalCapacity"] += 2 * MB
    capacity_type(out, "File")["totalCapacity"] += 2 * MB
    return out


def consumption_gap(document: dict[str, Any], gb: float = 4.4) -> dict[str, Any]:
    out = copy.deepcopy(document)
    capacity_type(out, "Database")["consumption"]["rated"] += gb * MB
    return out


def other_tenant(document: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(document)
    out["tenantId"] = OTHER_TENANT
    return out


def export_part_numbers() -> dict[str, str]:
    """The sample export's skuId -> part number."""
    export = json.loads(LICENSES.read_text(encoding="utf-8"))
    return {sku["skuId"]: sku["skuPartNumber"] for sku in export["value"]}


def named_by(document: dict[str, Any], guids: dict[str, str]) -> dict[str, Any]:
    """Microsoft names a license by ``guids[part number]`` instead of the sample's skuId (the
    others keep theirs)."""
    out = copy.deepcopy(document)
    parts = export_part_numbers()
    for entry in out["tenantCapacities"]:
        for group in entry.get("capacityEntitlements", []):
            for license_ in group.get("licenses", []):
                part = parts[license_["skuId"]]
                license_["skuId"] = guids.get(part, license_["skuId"])
    return out


def write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path
