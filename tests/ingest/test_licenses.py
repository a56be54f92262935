"""License readers: Graph JSON, Get-MgSubscribedSku / Get-MsolAccountSku tables, planning sheet."""

from __future__ import annotations

import codecs

import pytest

from planner.ingest import detect_format

from .conftest import load, load_error

FINANCE_ID = "00000000-0000-0000-0000-0000000000A1"


def graph_sku(part: str = "DYN365_FINANCE", enabled: int = 25, **extra: object) -> dict:
    sku = {
        "skuId": FINANCE_ID,
        "skuPartNumber": part,
        "appliesTo": "User",
        "capabilityStatus": "Enabled",
        "consumedUnits": 20,
        "prepaidUnits": {"enabled": enabled, "warning": 3, "suspended": 0, "lockedOut": 0},
        "servicePlans": [],
    }
    sku.update(extra)
    return sku


# ---------------------------------------------------------------------------------- Graph JSON


def test_graph_value_list(write_json) -> None:
    path = write_json("skus.json", {"value": [graph_sku(), graph_sku("ENTERPRISEPACK", 100)]})
    licenses = load(path).licenses
    assert licenses["sku"].tolist() == ["DYN365_FINANCE", "ENTERPRISEPACK"]
    assert licenses["quantity"].tolist() == [25, 100]
    assert licenses["warning_units"].tolist() == [3, 3]
    assert licenses["consumed_units"].tolist() == [20, 20]
    assert licenses["sku_id"].iloc[0] == FINANCE_ID.lower()
    assert licenses["location"].tolist() == ["value[0]", "value[1]"]


def test_graph_warning_units_added_on_request(write_json) -> None:
    path = write_json("skus.json", {"value": [graph_sku()]})
    assert load(path, include_warning_units=True).licenses["quantity"].iloc[0] == 28


def test_graph_bare_list_and_powershell_casing(write_json) -> None:
    sku = {
        "SkuPartNumber": "DYN365_SCM",
        "SkuId": FINANCE_ID,
        "PrepaidUnits": {"Enabled": 10.0, "Warning": 0},
    }
    path = write_json("skus.json", [sku])
    licenses = load(path).licenses
    assert licenses[["sku", "quantity", "consumed_units"]].values.tolist() == [
        ["DYN365_SCM", 10, -1]
    ]
    assert licenses["location"].iloc[0] == "[0]"


def test_graph_next_page_is_noted(write_json) -> None:
    path = write_json("skus.json", {"value": [graph_sku()], "@odata.nextLink": "https://next"})
    assert any("more pages" in note for note in load(path).notes)


@pytest.mark.parametrize(
    ("sku", "location", "fragment"),
    [
        (graph_sku(enabled=-1), "value[0].prepaidUnits.enabled", "negative"),
        (graph_sku(enabled=2.5), "value[0].prepaidUnits.enabled", "not a whole number"),
        (graph_sku(enabled=True), "value[0].prepaidUnits.enabled", "not a number"),
        (graph_sku(enabled=20_000_000), "value[0].prepaidUnits.enabled", "10,000,000"),
        (graph_sku(enabled="many"), "value[0].prepaidUnits.enabled", "not a number"),
        (graph_sku(prepaidUnits=None), "value[0].prepaidUnits", "missing"),
        (graph_sku(prepaidUnits=[1]), "value[0].prepaidUnits", "not an object"),
        (graph_sku(skuPartNumber="", skuId=None), "value[0].skuPartNumber", "empty"),
        (graph_sku(skuPartNumber=7), "value[0].skuPartNumber", "a number"),
        (graph_sku(skuId="not-a-guid"), "value[0].skuId", "not a GUID"),
        (graph_sku(consumedUnits=-4), "value[0].consumedUnits", "negative"),
    ],
)
def test_graph_bad_values(write_json, sku: dict, location: str, fragment: str) -> None:
    path = write_json("skus.json", {"value": [graph_sku("ENTERPRISEPACK"), sku]})
    error = load_error(path)
    assert error.file == str(path)
    assert error.location == location.replace("value[0]", "value[1]")
    assert fragment in error.message
    assert error.expected


def test_graph_truncated_by_convertto_json_depth(write_json) -> None:
    sku = graph_sku(
        prepaidUnits="Microsoft.Graph.PowerShell.Models.MicrosoftGraphLicenseUnitsDetail"
    )
    error = load_error(write_json("skus.json", {"value": [sku]}))
    assert "Depth" in error.message


def test_graph_item_not_an_object(write_json) -> None:
    error = load_error(write_json("skus.json", {"value": [graph_sku(), "DYN365_SCM"]}))
    assert error.location == "value[1]"


# ------------------------------------------------------------------------- Get-MgSubscribedSku


@pytest.mark.parametrize(
    "quantity_header",
    [
        "ActiveUnits",
        "PrepaidUnits.Enabled",
        "PrepaidUnitsEnabled",
        "Prepaid Units Enabled",
        "enabled",
    ],
)
def test_mg_quantity_header_aliases(write_text, quantity_header: str) -> None:
    text = f"SkuPartNumber,SkuId,{quantity_header},ConsumedUnits\nDYN365_SCM,{FINANCE_ID},10,9\n"
    path = write_text("mg.csv", text)
    assert detect_format(path) == "mg-subscribedsku-csv"
    licenses = load(path).licenses
    assert licenses[["sku", "quantity", "consumed_units"]].values.tolist() == [
        ["DYN365_SCM", 10, 9]
    ]


def test_mg_semicolon_with_bom_and_warning_units(write_text) -> None:
    text = (
        "SkuPartNumber;SkuId;PrepaidUnits.Enabled;PrepaidUnits.Warning;ConsumedUnits\r\n"
        f"DYN365_FINANCE;{FINANCE_ID};25;2;20\r\n"
    )
    path = write_text("mg.csv", text, bom=codecs.BOM_UTF8)
    licenses = load(path, include_warning_units=True).licenses
    assert licenses[["quantity", "warning_units"]].values.tolist() == [[27, 2]]


def test_mg_utf16_tab_separated_unicode_text(write_text) -> None:
    # Excel's "Unicode text": UTF-16 little endian with BOM, tabs, CRLF.
    text = "SkuPartNumber\tActiveUnits\tWarningUnits\r\nDYN365_SCM\t10\t0\r\nSPE_E5\t40\t1\r\n"
    path = write_text("export.txt", text, encoding="utf-16-le", bom=codecs.BOM_UTF16_LE)
    assert detect_format(path) == "mg-subscribedsku-csv"
    licenses = load(path).licenses
    assert licenses[["sku", "quantity", "warning_units"]].values.tolist() == [
        ["DYN365_SCM", 10, 0],
        ["SPE_E5", 40, 1],
    ]


def test_mg_utf16_big_endian(write_text) -> None:
    text = "SkuPartNumber\tActiveUnits\r\nDYN365_SCM\t10\r\n"
    path = write_text("export.txt", text, encoding="utf-16-be", bom=codecs.BOM_UTF16_BE)
    assert load(path).licenses["quantity"].tolist() == [10]


def test_mg_trims_invisible_spaces_and_skips_blank_rows(write_text) -> None:
    text = (
        "\u00a0Sku Part Number ,  Active_Units\u00a0\n"
        "\n"
        " DYN365_SCM\u00a0, 12.0 \n"
        ",\n"
        "SPE_E5,\u00a040\n"
    )
    licenses = load(write_text("mg.csv", text)).licenses
    assert licenses[["sku", "quantity", "location"]].values.tolist() == [
        ["DYN365_SCM", 12, "row 3"],
        ["SPE_E5", 40, "row 5"],
    ]


def test_mg_missing_quantity_column(write_text) -> None:
    error = load_error(write_text("mg.csv", "SkuPartNumber,SkuId\nDYN365_SCM,\n"))
    assert "no column for quantity" in error.message
    assert "ActiveUnits" in error.expected
    assert error.location == "row 1 (header)"


def test_mg_two_quantity_columns_are_ambiguous(write_text) -> None:
    error = load_error(
        write_text("mg.csv", "SkuPartNumber,ActiveUnits,PrepaidUnitsEnabled\nA,1,2\n")
    )
    assert "two columns give quantity" in error.message


def test_mg_powershell_type_line_is_skipped(write_text) -> None:
    text = (
        "#TYPE Microsoft.Graph.PowerShell.Models.MicrosoftGraphSubscribedSku\n"
        '"SkuPartNumber","ActiveUnits"\n"DYN365_SCM","10"\n'
    )
    licenses = load(write_text("mg.csv", text)).licenses
    assert licenses[["sku", "quantity", "location"]].values.tolist() == [
        ["DYN365_SCM", 10, "row 3"]
    ]


def test_mg_excel_separator_line(write_text) -> None:
    text = "sep=;\nSkuPartNumber;ActiveUnits\nDYN365_SCM;10\n"
    assert load(write_text("mg.csv", text)).licenses["quantity"].tolist() == [10]


def test_mg_xlsx(write_xlsx) -> None:
    path = write_xlsx(
        "mg.xlsx",
        {"Sheet1": [["SkuPartNumber", "SkuId", "ActiveUnits"], ["DYN365_SCM", FINANCE_ID, 10.0]]},
    )
    assert detect_format(path) == "mg-subscribedsku-xlsx"
    licenses = load(path).licenses
    assert licenses[["sku", "sku_id", "quantity", "location"]].values.tolist() == [
        ["DYN365_SCM", FINANCE_ID.lower(), 10, "Sheet1!A2"]
    ]


def test_mg_xlsx_bad_cell_named_by_reference(write_xlsx) -> None:
    path = write_xlsx(
        "mg.xlsx",
        {"Licenses": [["SkuPartNumber", "Note", "ActiveUnits"], ["A", "", 1], ["B", "x", "ten"]]},
    )
    error = load_error(path)
    assert error.location == "Licenses!C3 (row 3, column ActiveUnits)"
    assert "'ten' is not a number" in error.message


# ----------------------------------------------------------------------------- Get-MsolAccountSku


def test_msol_account_sku_id(write_text) -> None:
    text = (
        "AccountSkuId,ActiveUnits,WarningUnits,ConsumedUnits\n"
        "contosobikes:DYN365_FINANCE,25,1,24\n"
        "contosobikes:ENTERPRISEPACK,120,0,110\n"
    )
    path = write_text("msol.csv", text)
    assert detect_format(path) == "msol-accountsku-csv"
    licenses = load(path).licenses
    assert licenses[["sku", "quantity", "warning_units", "consumed_units"]].values.tolist() == [
        ["DYN365_FINANCE", 25, 1, 24],
        ["ENTERPRISEPACK", 120, 0, 110],
    ]


def test_msol_without_tenant_prefix(write_text) -> None:
    error = load_error(write_text("msol.csv", "AccountSkuId,ActiveUnits\nDYN365_FINANCE,25\n"))
    assert error.location == "row 2, column AccountSkuId"
    assert "tenant prefix" in error.message


# ------------------------------------------------------------------------------- planning sheet


def test_planning_sheet(write_text) -> None:
    text = "sku,quantity,name\nDYN365_FINANCE,30,Finance\nDYN365_SCM,10,\n"
    path = write_text("plan.csv", text)
    assert detect_format(path) == "planning-sheet-csv"
    licenses = load(path).licenses
    assert licenses[["sku", "quantity", "display_name", "consumed_units"]].values.tolist() == [
        ["DYN365_FINANCE", 30, "Finance", -1],
        ["DYN365_SCM", 10, "", -1],
    ]


def test_planning_sheet_sku_by_guid(write_text) -> None:
    licenses = load(write_text("plan.csv", f"SKU;Quantity\n{{{FINANCE_ID}}};5\n")).licenses
    assert licenses["sku_id"].tolist() == [FINANCE_ID.lower()]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("twelve", "'twelve' is not a number"),
        ("-3", "negative"),
        ("12.5", "not a whole number"),
        ("NaN", "not a finite number"),
        ("inf", "not a finite number"),
        ("1e300", "10,000,000"),
        ("10000001", "10,000,000"),
        ("", "missing"),
        ("1,000", "not a plain number"),
    ],
)
def test_planning_bad_quantity(write_text, value: str, fragment: str) -> None:
    path = write_text("plan.csv", f'sku,quantity\nDYN365_SCM,3\nDYN365_FINANCE,"{value}"\n')
    error = load_error(path)
    assert error.file == str(path)
    assert error.location == "row 3, column quantity"
    assert fragment in error.message


def test_planning_counts_further_bad_rows(write_text) -> None:
    error = load_error(write_text("plan.csv", "sku,quantity\nA,x\nB,y\nC,z\n"))
    assert "2 more rows" in error.message


def test_planning_missing_sku(write_text) -> None:
    error = load_error(write_text("plan.csv", "sku,quantity\nA,1\n,2\n"))
    assert error.location == "row 3, column sku"


def test_planning_header_only(write_text) -> None:
    error = load_error(write_text("plan.csv", "sku,quantity\n\n"))
    assert "no licenses" in error.message


def test_semicolon_file_accepts_decimal_comma_but_not_grouping_dots(write_text) -> None:
    assert load(write_text("a.csv", "sku;quantity\nA;12,0\n")).licenses["quantity"].tolist() == [12]
    error = load_error(write_text("b.csv", "sku;quantity\nA;1.000\n"))
    assert "ambiguous" in error.message


def test_blank_lines_above_the_header(write_text) -> None:
    licenses = load(write_text("plan.csv", "\n \r\nsku,quantity\nA,1\n")).licenses
    assert licenses[["sku", "location"]].values.tolist() == [["A", "row 4"]]
