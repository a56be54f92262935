"""The environment inventory template (docs/input-formats.md)."""

from __future__ import annotations

import math

import pytest

from planner.ingest import detect_format

from .conftest import load, load_error

HEADER = (
    "name,type,tier,power_platform,linked_to,dataverse_database_gb,operations_database_gb,"
    "operations_database_growth_gb_per_month"
)


def inventory(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


def test_reads_the_template(write_text) -> None:
    text = inventory(
        "PROD,production,,integrated,,12.5,180,4.5",
        "UAT,sandbox,2,initial,,,150,",
        "CE,dataverse_production,,,,8,,",
        "TRAIN,addon_sandbox,2,linked_existing,CE,,90,0.5",
    )
    path = write_text("inventory.csv", text)
    assert detect_format(path) == "inventory-csv"
    table = load(path).environments.set_index("name")
    assert table.loc["PROD", "type"] == "production"
    assert math.isnan(table.loc["PROD", "tier"])
    assert table.loc["PROD", "dataverse_database_gb"] == 12.5
    assert table.loc["PROD", "operations_database_growth_gb_per_month"] == 4.5
    assert math.isnan(table.loc["UAT", "dataverse_database_gb"])  # blank: planning estimate
    assert table.loc["UAT", "tier"] == 2.0
    assert table.loc["CE", "power_platform"] == ""  # the engine applies the type's default
    assert table.loc["TRAIN", "linked_to"] == "CE"
    assert (table["end_month"] == 10_000).all()
    assert math.isnan(table.loc["PROD", "dataverse_file_gb"])  # absent column: blank


def test_optional_columns_org_url_and_actual(write_text) -> None:
    text = inventory(
        "PROD,production,https://contoso.crm.dynamics.com,14.2",
        header="name,type,org_url,dataverse_database_actual_gb",
    )
    row = load(write_text("inventory.csv", text)).environments.iloc[0]
    assert row["org_url"] == "https://contoso.crm.dynamics.com"
    assert row["dataverse_database_actual_gb"] == 14.2


def test_values_spelled_loosely(write_text) -> None:
    text = inventory(
        "A,Add-on sandbox,Tier 3,Integrated,,,,",
        "B,Cloud hosted dev,T1,NONE,,,,",
        "C,Dataverse Production,,,,,,",
        header="Name,Type,Tier,Power Platform,Linked To,x,y,z",
    )
    table = load(write_text("inventory.csv", text)).environments
    assert table["type"].tolist() == ["addon_sandbox", "cloud_hosted_dev", "dataverse_production"]
    assert table["tier"].tolist()[:2] == [3.0, 1.0]
    assert table["power_platform"].tolist() == ["integrated", "none", ""]


def test_semicolon_inventory_with_decimal_commas(write_text) -> None:
    text = "name;type;dataverse_database_gb\nPROD;production;12,5\n"
    assert load(write_text("inventory.csv", text)).environments[
        "dataverse_database_gb"
    ].tolist() == [12.5]


def test_xlsx_inventory_with_a_notes_sheet(write_xlsx) -> None:
    path = write_xlsx(
        "inventory.xlsx",
        {
            "Read me": [["Fill in one row per environment"]],
            "Environments": [
                ["Contoso environments"],
                [],
                ["name", "type", "tier", "dataverse_database_gb"],
                ["PROD", "production", None, 12],
                ["UAT", "sandbox", 2, None],
            ],
        },
    )
    assert detect_format(path) == "inventory-xlsx"
    table = load(path).environments
    assert table["name"].tolist() == ["PROD", "UAT"]
    assert table["location"].tolist() == ["Environments!A4", "Environments!A5"]


def test_xlsx_bad_cell_named_by_reference(write_xlsx) -> None:
    path = write_xlsx(
        "inventory.xlsx",
        {"Sheet1": [["name", "type", "dataverse_database_gb"], ["PROD", "production", -2]]},
    )
    error = load_error(path)
    assert error.location == "Sheet1!C2 (row 2, column dataverse_database_gb)"
    assert "negative" in error.message


@pytest.mark.parametrize(
    ("row", "location", "fragment"),
    [
        (",production,,,,,,", "row 3, column name", "name is missing"),
        ("X,prod,,,,,,", "row 3, column type", "'prod' is not known"),
        ("X,,,,,,,", "row 3, column type", "type is missing"),
        ("X,sandbox,6,,,,,", "row 3, column tier", "larger than 5"),
        ("X,sandbox,0,,,,,", "row 3, column tier", "too small"),
        ("X,sandbox,2.5,,,,,", "row 3, column tier", "not a whole number"),
        ("X,production,2,,,,,", "row 3, column tier", "tier is given for a production"),
        ("X,sandbox,,partly,,,,", "row 3, column power_platform", "'partly' is not known"),
        ("X,trial,,integrated,,,,", "row 3, column power_platform", "not a trial one"),
        ("X,sandbox,,linked_existing,,,,", "row 3, column linked_to", "linked_to is blank"),
        ("X,sandbox,,initial,PROD,,,", "row 3, column linked_to", "not linked_existing"),
        ("X,sandbox,,linked_existing,X,,,", "row 3, column linked_to", "itself"),
        ("X,sandbox,,,,-1,,", "row 3, column dataverse_database_gb", "negative"),
        ("X,sandbox,,,,lots,,", "row 3, column dataverse_database_gb", "not a number"),
        ("X,sandbox,,,,inf,,", "row 3, column dataverse_database_gb", "not a finite number"),
        (
            "X,sandbox,,,,,,-0.5",
            "row 3, column operations_database_growth_gb_per_month",
            "negative",
        ),
        ("prod,sandbox,,,,,,", "row 3, column name", "used twice: on row 2 and row 3"),
    ],
)
def test_bad_rows(write_text, row: str, location: str, fragment: str) -> None:
    path = write_text("inventory.csv", inventory("PROD,production,,integrated,,1,1,0", row))
    error = load_error(path)
    assert error.file == str(path)
    assert error.location == location
    assert fragment in error.message
    assert error.expected


def test_allowed_types_are_listed(write_text) -> None:
    error = load_error(write_text("inventory.csv", inventory("X,uat,,,,,,")))
    assert "addon_sandbox" in error.expected and "dataverse_production" in error.expected


def test_misspelt_capacity_column_is_refused(write_text) -> None:
    text = "name,type,dataverse_databse_gb\nPROD,production,1\n"
    error = load_error(write_text("inventory.csv", text))
    assert "dataverse_databse_gb" in error.message
    assert "dataverse_database_gb" in error.expected


def test_other_columns_are_ignored(write_text) -> None:
    text = "name,type,owner,comment\nPROD,production,Finance team,go-live 2024\n"
    assert len(load(write_text("inventory.csv", text)).environments) == 1


def test_linked_to_must_name_a_standalone_dataverse(write_text) -> None:
    text = inventory("PROD,production,,,,,,", "UAT,sandbox,,linked_existing,prod,,,")
    error = load_error(write_text("inventory.csv", text))
    assert "is a production environment" in error.message
    assert error.location == "row 3, column linked_to"


@pytest.mark.parametrize(
    ("rows", "row", "said"),
    [
        (
            ("B,sandbox,,linked_existing,Nowhere,,,", "C,sandbox,,linked_existing,p,,,"),
            4,
            "names no",
        ),
        (
            ("B,sandbox,,linked_existing,p,,,", "C,sandbox,,linked_existing,Nowhere,,,"),
            4,
            "is a prod",
        ),
        (
            ("B,sandbox,,linked_existing,ce,,,", "C,sandbox,,linked_existing,Nowhere,,,"),
            5,
            "names no",
        ),
    ],
)
def test_the_first_bad_link_is_reported(write_text, rows, row, said) -> None:
    text = inventory("P,production,,,,,,", "CE,dataverse_sandbox,,,,,,", *rows)
    error = load_error(write_text("inventory.csv", text))
    assert said in error.message
    assert error.location == f"row {row}, column linked_to"


def test_linked_to_may_name_an_environment_in_another_file(write_text) -> None:
    first = write_text("fo.csv", inventory("UAT,sandbox,2,linked_existing,contoso ce,,,"))
    second = write_text("dv.csv", inventory("Contoso CE,dataverse_production,,,,5,,"))
    from planner.ingest import load_inputs

    table = load_inputs([first, second]).environments
    # Resolved to the target's own spelling.
    assert table["linked_to"].tolist() == ["Contoso CE", ""]


def test_missing_linked_to_column(write_text) -> None:
    text = "name,type,power_platform\nUAT,sandbox,linked_existing\n"
    error = load_error(write_text("inventory.csv", text))
    assert "no linked_to column" in error.message


def test_payg_column_reads_yes_and_no(write_text) -> None:
    text = (
        "name,type,payg\n"
        "A,dataverse_sandbox,yes\nB,dataverse_sandbox,No\nC,dataverse_sandbox,\n"
        "D,dataverse_sandbox,TRUE\nE,dataverse_sandbox,0\n"
    )
    table = load(write_text("inventory.csv", text)).environments.set_index("name")
    assert table["payg"].to_dict() == {"A": True, "B": False, "C": False, "D": True, "E": False}


def test_payg_column_refuses_other_words(write_text) -> None:
    error = load_error(write_text("inventory.csv", "name,type,payg\nA,dataverse_sandbox,maybe\n"))
    text = str(error)
    assert "row 2" in text and "payg" in text and "'maybe' is not yes or no" in text
    assert "yes or no (blank is no)" in text
