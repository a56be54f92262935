"""Power Platform admin environment list and LCS environment list."""

from __future__ import annotations

import math

import pytest

from planner.ingest import detect_format

from .conftest import load, load_error


def capacity(kind: str, rated: float, actual: float | None = None, unit: str = "MB") -> dict:
    return {
        "capacityType": kind,
        "actualConsumption": rated if actual is None else actual,
        "ratedConsumption": rated,
        "capacityUnit": unit,
        "updatedOn": "2026-11-01T00:00:00Z",
    }


def admin_environment(
    name: str, sku: str, caps: list[dict], dataverse: bool = True, **properties: object
) -> dict:
    props: dict = {"displayName": name, "environmentSku": sku, "capacity": caps}
    if dataverse:
        props["linkedEnvironmentMetadata"] = {
            "instanceUrl": f"https://{name.lower()}.crm.dynamics.com/"
        }
    props.update(properties)
    return {"name": f"id-{name}", "properties": props}


# --------------------------------------------------------------------- Power Platform admin list


def test_admin_list_standalone_types(write_json) -> None:
    document = {
        "value": [
            admin_environment("Default", "Default", [capacity("Database", 3072)], isDefault=True),
            admin_environment("CE", "Production", [capacity("Database", 2048, 1500.5)]),
            admin_environment("Test", "Sandbox", []),
            admin_environment("Dev", "Developer", []),
            admin_environment("Try", "Trial", []),
            admin_environment("Chat", "Teams", []),
        ]
    }
    path = write_json("environments.json", document)
    assert detect_format(path) == "ppac-environments-json"
    table = load(path).environments.set_index("name")
    assert table["type"].to_dict() == {
        "Default": "default",
        "CE": "dataverse_production",
        "Test": "dataverse_sandbox",
        "Dev": "developer",
        "Try": "trial",
        "Chat": "teams",
    }
    assert table.loc["CE", "dataverse_database_gb"] == 2.0  # rated, MB -> GB
    assert table.loc["CE", "dataverse_database_actual_gb"] == pytest.approx(1500.5 / 1024)
    assert table.loc["CE", "org_url"] == "https://ce.crm.dynamics.com"
    assert math.isnan(table.loc["CE", "dataverse_file_gb"])  # not reported: blank
    assert (table["power_platform"] == "").all()


def test_admin_list_finance_operations_environments(write_json) -> None:
    operations = [capacity("FinOpsDatabase", 102400), capacity("FinOpsFile", 2048)]
    document = {
        "value": [
            admin_environment("PROD", "Production", [capacity("Database", 4096), *operations]),
            admin_environment("UAT", "Sandbox", [capacity("Database", 1024), *operations], False),
            admin_environment("PERF", "Sandbox", operations),
            admin_environment("CE", "Production", [capacity("FinOpsDatabase", 0)]),
        ]
    }
    table = load(write_json("environments.json", document)).environments.set_index("name")
    assert table.loc["PROD", ["type", "power_platform"]].tolist() == ["production", "integrated"]
    assert table.loc["UAT", ["type", "power_platform"]].tolist() == ["sandbox", "initial"]
    assert table.loc["PERF", ["type", "power_platform"]].tolist() == ["addon_sandbox", "integrated"]
    assert table.loc["PROD", "operations_database_gb"] == 100.0
    assert table.loc["CE", "type"] == "dataverse_production"  # zero FinOps usage: not hosting
    assert table["tier"].isna().all()


def test_admin_list_skips_unplanned_skus_with_a_note(write_json) -> None:
    document = {
        "value": [admin_environment("P", "Preview", []), admin_environment("T", "Trial", [])]
    }
    inputs = load(write_json("environments.json", document))
    assert inputs.environments["name"].tolist() == ["T"]
    assert any("Preview" in note for note in inputs.notes)


def test_admin_list_repeated_display_names_get_the_id(write_json) -> None:
    document = {
        "value": [admin_environment("Same", "Trial", []), admin_environment("Same", "Trial", [])]
    }
    inputs = load(write_json("environments.json", document))
    assert inputs.environments["name"].tolist() == ["Same", "Same [id-Same]"]
    assert any("renamed" in note for note in inputs.notes)


@pytest.mark.parametrize(
    ("environment", "location", "fragment"),
    [
        ({"name": "x"}, "value[1].properties", "missing"),
        ({"name": "x", "properties": []}, "value[1].properties", "not an object"),
        ({"properties": {"displayName": "A"}}, "value[1].properties.environmentSku", "missing"),
        (
            admin_environment("A", "Trial", [capacity("Database", -5)]),
            "value[1].properties.capacity[0].ratedConsumption",
            "negative",
        ),
        (
            admin_environment("A", "Trial", [capacity("Database", "lots")]),
            "value[1].properties.capacity[0].ratedConsumption",
            "not a number",
        ),
        (
            admin_environment("A", "Trial", [capacity("Database", 1, unit="bytes")]),
            "value[1].properties.capacity[0].capacityUnit",
            "not a unit",
        ),
        (
            admin_environment("A", "Trial", [capacity("Database", 1), capacity("Database", 2)]),
            "value[1].properties.capacity[1].capacityType",
            "appears twice",
        ),
        (
            admin_environment("A", "Trial", "Database"),
            "value[1].properties.capacity",
            "not a list",
        ),
    ],
)
def test_admin_list_bad_shapes(write_json, environment: dict, location: str, fragment: str) -> None:
    valid = admin_environment("Valid", "Trial", [])
    path = write_json("environments.json", {"value": [valid, environment]})
    error = load_error(path)
    assert error.file == str(path)
    assert error.location == location
    assert fragment in error.message


# --------------------------------------------------------------------------------- LCS list


def lcs_environment(name: str, kind: str, topology: str = "", **extra: object) -> dict:
    item = {
        "EnvironmentId": name.lower(),
        "EnvironmentName": name,
        "EnvironmentType": kind,
        "TopologyDisplayName": topology,
        "DeploymentStatusDisplay": "Deployed",
    }
    item.update(extra)
    return item


def test_lcs_types_and_tiers(write_json) -> None:
    document = {
        "Data": [
            lcs_environment("PROD", "Production", "Finance and Operations - High Availability"),
            lcs_environment("PERF", "Sandbox", "Tier-4 Premier Acceptance Test"),
            lcs_environment("UAT", "Sandbox", "Tier 2 - Standard Acceptance Test"),
            lcs_environment("UAT2", "Sandbox", "T2 Standard Acceptance Test"),
            lcs_environment("DEV", "DevTest", "Develop (10.0.41 with Platform update 65)"),
            lcs_environment("BLD", "Build"),
        ],
        "IsSuccess": True,
    }
    path = write_json("lcs.json", document)
    assert detect_format(path) == "lcs-environments-json"
    table = load(path).environments.set_index("name")
    assert table["type"].to_dict() == {
        "PROD": "production",
        "PERF": "addon_sandbox",
        "UAT": "sandbox",  # the first Tier-2 sandbox is the included one
        "UAT2": "addon_sandbox",
        "DEV": "cloud_hosted_dev",
        "BLD": "cloud_hosted_dev",
    }
    assert table.loc["PERF", "tier"] == 4.0
    assert table.loc["UAT2", "tier"] == 2.0
    assert math.isnan(table.loc["DEV", "tier"])  # "10.0.41" and "update 65" are not tiers
    assert table["dataverse_database_gb"].isna().all()
    assert (table["power_platform"] == "").all()
    assert table.loc["PROD", "location"] == "Data[0]"


def test_lcs_without_tiers_the_first_sandbox_is_included(write_json) -> None:
    document = [
        lcs_environment("A", "Sandbox", "Finance and Operations - Sandbox"),
        lcs_environment("B", "Sandbox", "Finance and Operations - Sandbox"),
    ]
    table = load(write_json("lcs.json", document)).environments
    assert table["type"].tolist() == ["sandbox", "addon_sandbox"]


def test_lcs_skips_deleted_and_disaster_recovery(write_json) -> None:
    document = {
        "value": [
            lcs_environment("PROD", "Production"),
            lcs_environment("PROD-DR", "Production", EnvironmentGroup="DisasterRecovery"),
            lcs_environment("OLD", "Sandbox", DeploymentStatusDisplay="Deleted"),
        ]
    }
    inputs = load(write_json("lcs.json", document))
    assert inputs.environments["name"].tolist() == ["PROD"]
    assert len(inputs.notes) == 2


def test_lcs_more_pages_noted(write_json) -> None:
    document = {"Data": [lcs_environment("PROD", "Production")], "ResultHasMorePages": True}
    assert any("more pages" in note for note in load(write_json("lcs.json", document)).notes)


@pytest.mark.parametrize(
    ("environment", "location", "fragment"),
    [
        (
            {"EnvironmentType": "Sandbox", "EnvironmentId": "x"},
            "Data[1].EnvironmentName",
            "missing",
        ),
        (lcs_environment("X", None), "Data[1].EnvironmentType", "missing"),
        (lcs_environment("X", 3), "Data[1].EnvironmentType", "a number"),
        (lcs_environment("prod", "Sandbox"), "Data[1]", "used twice"),
    ],
)
def test_lcs_bad_entries(write_json, environment: dict, location: str, fragment: str) -> None:
    document = {"Data": [lcs_environment("PROD", "Production"), environment]}
    error = load_error(write_json("lcs.json", document))
    assert error.location == location
    assert fragment in error.message


def test_lcs_failed_request(write_json) -> None:
    document = {"Data": None, "IsSuccess": False, "ErrorMessage": "Project not found"}
    error = load_error(write_json("lcs.json", document))
    assert "Project not found" in error.message


def test_admin_list_billing_policy_marks_pay_as_you_go(write_json) -> None:
    document = {
        "value": [
            admin_environment("Paid", "Sandbox", [], billingPolicy={"id": "policy-1"}),
            admin_environment("Free", "Sandbox", []),
            admin_environment("Blank", "Sandbox", [], billingPolicy={"id": ""}),
        ]
    }
    table = load(write_json("environments.json", document)).environments.set_index("name")
    assert table["payg"].to_dict() == {"Paid": True, "Free": False, "Blank": False}


def test_admin_list_billing_policy_must_be_an_object(write_json) -> None:
    document = {"value": [admin_environment("Paid", "Sandbox", [], billingPolicy="policy-1")]}
    message = str(load_error(write_json("environments.json", document)))
    assert "value[0].properties.billingPolicy" in message
    assert "billingPolicy as an object with an id" in message
