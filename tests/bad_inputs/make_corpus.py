"""Write the bad-input corpus (``bad/``) and the files that must be accepted (``good/``).

Every file of the corpus comes from this script, so the corpus can be rebuilt and reviewed in
one place, but the files are committed too: the corpus stays plain files a person can open, and
the test suite checks that this script still produces them byte for byte. Run it from anywhere::

    python tests/bad_inputs/make_corpus.py

Workbooks are written part by part (no time stamps, fixed zip dates) so the output is the same
on every run and machine. No file is larger than 200 KB: the zip bombs hold hundreds of
megabytes only in what they declare or in what they would inflate to.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import re
import struct
import sys
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
FOLDERS = ("bad", "good")
ZIP_DATE = (2024, 1, 1, 0, 0, 0)
OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
MAX_FILE_BYTES = 200 * 1024

Cell = str | int | float | None
Rows = Sequence[Sequence[Cell]]

# ---------------------------------------------------------------------------------------------
# Small, valid building blocks


PLANNING_CSV = "sku,quantity,display_name\nDYN365_FINANCE,25,Dynamics 365 Finance\n"
ADMIN_CENTER_HEADER = (
    "Product Title,Total Licenses,Expired Licenses,Assigned licenses,Renewal Date\n"
)
INVENTORY_HEADER = "name,type,tier,power_platform,linked_to,dataverse_database_gb\n"
INVENTORY_CSV = (
    INVENTORY_HEADER + "CONTOSO-PROD,production,,integrated,,4\n"
    "CONTOSO-UAT,sandbox,2,initial,,\n"
    "Contoso CE,dataverse_production,,,,3.5\n"
)
PLANNING_ROWS: Rows = [
    ["sku", "quantity", "display_name"],
    ["DYN365_FINANCE", 25, "Dynamics 365 Finance"],
    ["DYN365_SCM", 10, "Dynamics 365 Supply Chain Management"],
]
INVENTORY_ROWS: Rows = [
    ["name", "type", "tier", "power_platform", "dataverse_database_gb"],
    ["CONTOSO-PROD", "production", None, "integrated", 4],
    ["CONTOSO-UAT", "sandbox", 2, "initial", None],
]


def graph(*skus: dict) -> dict:
    return {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscribedSkus",
        "value": list(skus),
    }


def graph_sku(
    part_number: object = "DYN365_FINANCE", enabled: object = 25, **extra: object
) -> dict:
    sku: dict[str, object] = {
        "skuId": "00000000-0000-0000-0000-0000000000a1",
        "skuPartNumber": part_number,
        "consumedUnits": 20,
        "prepaidUnits": {"enabled": enabled, "suspended": 0, "warning": 0, "lockedOut": 0},
    }
    sku.update(extra)
    return sku


def ppac_environment(
    display_name: str = "Contoso CE", sku: str = "Production", **properties: object
) -> dict:
    body: dict[str, object] = {
        "displayName": display_name,
        "environmentSku": sku,
        "capacity": [
            {"capacityType": "Database", "ratedConsumption": 2150.4, "capacityUnit": "MB"},
            {"capacityType": "File", "ratedConsumption": 1228.8, "capacityUnit": "MB"},
        ],
    }
    body.update(properties)
    return {"name": "00000000-0000-0000-0000-0000000000e1", "properties": body}


def lcs_environment(name: str = "CONTOSO-PROD", kind: object = "Production") -> dict:
    return {
        "EnvironmentId": "0000000000000000000000000000e201",
        "EnvironmentName": name,
        "EnvironmentType": kind,
        "EnvironmentGroup": "Primary",
        "TopologyDisplayName": "Finance and Operations - Tier 2",
    }


def lcs(*environments: dict) -> dict:
    return {"ResultPageCurrent": 1, "ResultHasMorePages": False, "Data": list(environments)}


def dumps(document: object) -> bytes:
    return json.dumps(document, indent=2).encode("utf-8")


def utf8(text: str) -> bytes:
    return text.encode("utf-8")


def scenario(*changes: str, head: str = 'name = "Corpus"\n') -> bytes:
    return utf8(head + "".join(f"\n[[changes]]\n{change}" for change in changes))


def pseudo_random(size: int, seed: bytes) -> bytes:
    """Bytes that look random but are the same on every run (a SHA-256 chain)."""
    out = bytearray()
    block = seed
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:size])


# ---------------------------------------------------------------------------------------------
# Workbooks, written part by part


def _column(position: int) -> str:
    letters = ""
    number = position + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def sheet_xml(
    rows: Rows, *, prologue: str = "", dimension: str = "", far: str = "", first_row: int = 1
) -> bytes:
    """A worksheet part; text as inline strings so no shared-strings part is needed.

    ``dimension`` is a used range to declare, ``far`` raw XML rows after the given ones, and
    ``first_row`` the sheet row of ``rows[0]``."""
    lines = []
    for row_index, row in enumerate(rows, start=first_row):
        cells = []
        for position, value in enumerate(row):
            ref = f"{_column(position)}{row_index}"
            if value is None:
                continue
            if isinstance(value, (int, float)):
                cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        lines.append(f'<row r="{row_index}">{"".join(cells)}</row>')
    return utf8(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        + prologue
        + '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + (f'<dimension ref="{dimension}"/>' if dimension else "")
        + f"<sheetData>{''.join(lines)}{far}</sheetData></worksheet>"
    )


def workbook_parts(sheets: dict[str, bytes]) -> dict[str, bytes]:
    """The parts of a minimal XLSX package around the given worksheet parts."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{overrides}</Types>"
    )
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
        f'Type="{relationships}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    sheet_entries = "".join(
        f'<sheet name="{escape(title)}" sheetId="{n}" r:id="rId{n}"/>'
        for n, title in enumerate(sheets, start=1)
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{main}" xmlns:r="{relationships}"><sheets>{sheet_entries}'
        "</sheets></workbook>"
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{package}">'
        + "".join(
            f'<Relationship Id="rId{n}" Type="{relationships}/worksheet" '
            f'Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(sheets) + 1)
        )
        + "</Relationships>"
    )
    parts = {
        "[Content_Types].xml": utf8(content_types),
        "_rels/.rels": utf8(root_rels),
        "xl/workbook.xml": utf8(workbook),
        "xl/_rels/workbook.xml.rels": utf8(workbook_rels),
    }
    for n, data in enumerate(sheets.values(), start=1):
        parts[f"xl/worksheets/sheet{n}.xml"] = data
    return parts


Writer = Callable[[zipfile.ZipFile, str], None]


def zip_parts(parts: dict[str, bytes | Writer], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip archive with fixed dates; a part given as a function streams its own content."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            if callable(data):
                data(archive, name)
                continue
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = compression
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def xlsx(sheets: dict[str, Rows]) -> bytes:
    return zip_parts(workbook_parts({title: sheet_xml(rows) for title, rows in sheets.items()}))


def xlsx_sheet(sheet: bytes, title: str = "Licenses") -> bytes:
    return zip_parts(workbook_parts({title: sheet}))


def zeros_part(size: int, chunk: int = 1 << 20) -> Writer:
    """A part of ``size`` zero bytes, bzip2-compressed to a few hundred bytes."""

    def write(archive: zipfile.ZipFile, name: str) -> None:
        info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
        info.compress_type = zipfile.ZIP_BZIP2
        info.external_attr = 0o644 << 16
        block = bytes(chunk)
        with archive.open(info, "w") as part:
            for _ in range(size // chunk):
                part.write(block)
            part.write(bytes(size % chunk))

    return write


def declare_size(data: bytes, member: str, declared: int) -> bytes:
    """Rewrite the uncompressed size a zip declares for ``member`` (local and central headers),
    leaving the compressed data alone: a part that lies about what it inflates to."""
    patched = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(member)
        start_dir = archive.start_dir  # type: ignore[attr-defined]
    struct.pack_into("<I", patched, info.header_offset + 22, declared)
    position = start_dir
    while patched[position : position + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from(
            "<HHH", patched, position + 28
        )
        name = bytes(patched[position + 46 : position + 46 + name_length]).decode("utf-8")
        if name == member:
            struct.pack_into("<I", patched, position + 24, declared)
        position += 46 + name_length + extra_length + comment_length
    return bytes(patched)


def ole2(stream_name: str) -> bytes:
    """Enough of an OLE2 compound file for capplan to recognize it: the magic number, the
    header's fixed fields and a directory entry with the stream's UTF-16 name."""
    header = OLE2_MAGIC + bytes(16) + struct.pack("<HHH", 0x3E, 3, 0xFFFE) + struct.pack("<H", 9)
    header = header.ljust(512, b"\x00")
    name = stream_name.encode("utf-16-le") + b"\x00\x00"
    entry = name.ljust(64, b"\x00") + struct.pack("<HBB", len(name), 2, 1)
    return header + entry.ljust(128, b"\x00") + bytes(384)


BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    )
    + "]>\n"
)


# ---------------------------------------------------------------------------------------------
# The corpus


def bad_files() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    # Empty, garbage, wrong encodings and other kinds of file.
    out["empty.csv"] = b""
    out["empty.json"] = b""
    out["empty.xlsx"] = b""
    out["blank-lines-only.csv"] = b"  \r\n\t\n\n"
    out["bom-only.csv"] = codecs.BOM_UTF8
    out["binary-garbage.csv"] = b"\x81" + pseudo_random(2047, b"garbage")
    out["binary-garbage.json"] = b"\xc3\x28" + pseudo_random(1022, b"more garbage")
    out["latin1.csv"] = "sku,quantity,display_name\nDYN365_FINANCE,25,Finance é\n".encode("latin-1")
    out["utf16-without-bom.csv"] = "sku,quantity\nDYN365_FINANCE,25\n".encode("utf-16-le")
    out["pdf-named.csv"] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n"
    out["gzip-named.json"] = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + pseudo_random(64, b"gz")
    out["png-named.xlsx"] = b"\x89PNG\r\n\x1a\n" + pseudo_random(64, b"png")

    # One format under another's extension, with something wrong inside.
    out["json-named.csv"] = utf8('{"value": [{"skuPartNumber": "DYN365_FINANCE", "prepaidUnits": ')
    out["csv-named.xlsx"] = utf8("sku,quantity\nDYN365_FINANCE,lots\n")
    out["xlsx-named.json"] = xlsx({"Licenses": [["sku", "quantity"], ["DYN365_FINANCE", -5]]})
    out["text-named.json"] = utf8("this is not JSON at all\n")

    # JSON: broken, of the wrong shape, or with bad values.
    full = dumps(graph(graph_sku(), graph_sku("DYN365_SCM", 10)))
    out["truncated.json"] = full[: len(full) // 2]
    out["json-scalar.json"] = b"42\n"
    out["json-empty-list.json"] = b"[]\n"
    out["json-no-value-list.json"] = dumps({"items": [graph_sku()]})
    out["json-nan-literal.json"] = utf8(
        '{"value": [{"skuPartNumber": "A", "prepaidUnits": {"enabled": NaN}}]}'
    )
    out["json-deeply-nested.json"] = b"[" * 20_000 + b"]" * 20_000
    out["graph-value-object.json"] = dumps({"value": graph_sku()})
    out["graph-error-response.json"] = dumps(
        {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges"}}
    )
    out["graph-quantity-words.json"] = dumps(graph(graph_sku(enabled="lots")))
    out["graph-quantity-negative.json"] = dumps(graph(graph_sku(enabled=-5)))
    out["graph-quantity-fraction.json"] = dumps(graph(graph_sku(enabled=2.5)))
    out["graph-quantity-nan-text.json"] = dumps(graph(graph_sku(enabled="NaN")))
    out["graph-quantity-infinite.json"] = utf8(
        '{"value": [{"skuPartNumber": "A", "prepaidUnits": {"enabled": 1e400}}]}'
    )
    out["graph-quantity-absurd.json"] = dumps(graph(graph_sku(enabled=50_000_000)))
    out["graph-quantity-400-digits.json"] = utf8(
        '{"value": [{"skuPartNumber": "A", "prepaidUnits": {"enabled": ' + "9" * 400 + "}}]}"
    )
    out["graph-quantity-5000-digits.json"] = utf8(
        '{"value": [{"skuPartNumber": "A", "prepaidUnits": {"enabled": ' + "9" * 5000 + "}}]}"
    )
    out["graph-quantity-true.json"] = dumps(graph(graph_sku(enabled=True)))
    out["graph-prepaid-missing.json"] = dumps(
        {"value": [{"skuPartNumber": "DYN365_FINANCE", "consumedUnits": 3}]}
    )
    out["graph-sku-list.json"] = dumps(graph(graph_sku(part_number=["DYN365_FINANCE"])))
    out["graph-skuid-not-guid.json"] = dumps(graph(graph_sku(skuId="not-a-guid")))
    no_ids = graph_sku()
    del no_ids["skuId"], no_ids["skuPartNumber"]
    out["graph-no-sku.json"] = dumps(graph(no_ids))
    out["ppac-capacity-string.json"] = dumps({"value": [ppac_environment(capacity="2 GB")]})
    out["ppac-size-negative.json"] = dumps(
        {
            "value": [
                ppac_environment(capacity=[{"capacityType": "Database", "ratedConsumption": -20}])
            ]
        }
    )
    out["ppac-size-words.json"] = dumps(
        {
            "value": [
                ppac_environment(capacity=[{"capacityType": "Database", "ratedConsumption": "big"}])
            ]
        }
    )
    out["ppac-unknown-unit.json"] = dumps(
        {
            "value": [
                ppac_environment(
                    capacity=[
                        {"capacityType": "Database", "ratedConsumption": 2, "capacityUnit": "TB"}
                    ]
                )
            ]
        }
    )
    out["ppac-capacity-twice.json"] = dumps(
        {
            "value": [
                ppac_environment(
                    capacity=[
                        {"capacityType": "Database", "ratedConsumption": 2},
                        {"capacityType": "database", "ratedConsumption": 3},
                    ]
                )
            ]
        }
    )
    out["ppac-properties-missing.json"] = dumps(
        {"value": [ppac_environment(), {"name": "00000000-0000-0000-0000-0000000000e2"}]}
    )
    out["ppac-lone-surrogate.json"] = dumps({"value": [ppac_environment("Contoso \ud800 CE")]})
    out["lcs-wrong-keys.json"] = dumps({"Data": [{"Name": "CONTOSO-PROD", "Kind": "Production"}]})
    out["lcs-data-text.json"] = dumps({"Data": "CONTOSO-PROD"})
    out["lcs-name-number.json"] = dumps(
        lcs(lcs_environment(), {"EnvironmentName": 7, "EnvironmentType": "Sandbox"})
    )
    out["lcs-duplicate-names.json"] = dumps(
        lcs(lcs_environment("CONTOSO-UAT", "Sandbox"), lcs_environment("contoso-uat", "Sandbox"))
    )
    out["lcs-request-failed.json"] = dumps(
        {"IsSuccess": False, "ErrorMessage": "The project could not be found", "Data": []}
    )
    out["tenant-capacity.json"] = dumps(
        {"tenantCapacities": [{"capacityType": "Database", "totalCapacity": 20480}]}
    )
    storage = {"capacityType": "Database", "capacityUnits": "MB", "totalCapacity": 20480}
    out["tenant-capacity-type-twice.json"] = dumps(
        {"tenantCapacities": [storage, {**storage, "capacityType": "database"}]}
    )
    out["tenant-capacity-calls-for-storage.json"] = dumps(
        {"tenantCapacities": [{**storage, "capacityUnits": "Unit"}]}
    )
    out["tenant-capacity-tenant-not-guid.json"] = dumps(
        {"tenantId": "contoso", "tenantCapacities": [storage]}
    )
    temporary = {
        "entitlementCode": "LOCAL_PAYGO_SEEDED_DATAVERSE",
        "isTemporaryLicense": True,
        "temporaryLicenseExpiryDate": "soon",
        "totalCapacity": 1024,
    }
    out["tenant-capacity-expiry-not-date.json"] = dumps(
        {
            "tenantCapacities": [
                {
                    **storage,
                    "capacityEntitlements": [
                        {"capacitySubType": "DatabaseAddOn", "licenses": [temporary]}
                    ],
                }
            ]
        }
    )
    out["tenant-capacity-negative-mb.json"] = dumps(
        {"tenantCapacities": [{**storage, "consumption": {"rated": -5, "actual": 0}}]}
    )
    out["tenant-capacity-as-licenses.json"] = dumps({"tenantCapacities": [storage]})
    out["json-newlines-in-key.json"] = dumps({"value": [{"a\nb\nc\nd\ne": 1}]})

    # Delimited text: license tables.
    out["licenses-quantity-words.csv"] = utf8("sku,quantity\nDYN365_FINANCE,lots\n")
    out["licenses-quantity-negative.csv"] = utf8("sku,quantity\nDYN365_FINANCE,-3\n")
    out["licenses-quantity-fraction.csv"] = utf8("sku,quantity\nDYN365_FINANCE,2.5\n")
    out["licenses-quantity-nan.csv"] = utf8("sku,quantity\nDYN365_FINANCE,NaN\n")
    out["licenses-quantity-infinite.csv"] = utf8("sku,quantity\nDYN365_FINANCE,inf\n")
    out["licenses-quantity-absurd.csv"] = utf8("sku,quantity\nDYN365_FINANCE,1e30\n")
    out["licenses-quantity-5000-digits.csv"] = utf8(
        "sku,quantity\nDYN365_FINANCE," + "9" * 5000 + "\n"
    )
    out["licenses-quantity-thousands.csv"] = utf8('sku,quantity\nDYN365_FINANCE,"1,000"\n')
    out["licenses-quantity-grouped.csv"] = utf8("sku;quantity\nDYN365_FINANCE;1.000\n")
    out["licenses-quantity-blank.csv"] = utf8("sku,quantity\nDYN365_FINANCE,\n")
    out["licenses-no-quantity-column.csv"] = utf8("sku,display_name\nDYN365_FINANCE,Finance\n")
    out["licenses-two-quantity-columns.csv"] = utf8("sku,quantity,qty\nDYN365_FINANCE,1,2\n")
    out["licenses-header-only.csv"] = utf8("sku,quantity\n")
    out["licenses-multiline-cell.csv"] = utf8('sku,quantity\nDYN365_FINANCE,"1\n2\n3\n4"\n')
    out["mgsku-no-sku-on-row.csv"] = utf8(
        "SkuPartNumber,SkuId,ActiveUnits\nDYN365_FINANCE,,25\n,,10\n"
    )
    # Microsoft 365 admin center, Billing > Licenses export.
    out["admin-center-expired-above-total.csv"] = utf8(
        ADMIN_CENTER_HEADER + "Dynamics 365 Finance,20,25,18,2027-06-30\n"
    )
    out["admin-center-total-words.csv"] = utf8(
        ADMIN_CENTER_HEADER + "Dynamics 365 Finance,twenty,0,18,2027-06-30\n"
    )
    out["admin-center-title-missing.csv"] = utf8(
        ADMIN_CENTER_HEADER + "Dynamics 365 Finance,20,0,18,2027-06-30\n,5,0,5,2027-06-30\n"
    )
    out["admin-center-no-total-column.csv"] = utf8(
        "Product Title,Assigned licenses\nDynamics 365 Finance,18\n"
    )
    out["mgsku-warning-negative.csv"] = utf8(
        "SkuPartNumber,ActiveUnits,WarningUnits\nDYN365_FINANCE,25,-1\n"
    )
    out["mgsku-skuid-not-guid.csv"] = utf8(
        "SkuPartNumber,SkuId,ActiveUnits\nDYN365_FINANCE,12345,25\n"
    )
    out["msol-no-tenant-prefix.csv"] = utf8("AccountSkuId,ActiveUnits\nDYN365_FINANCE,25\n")
    out["product-names-reference.csv"] = utf8(
        "Product_Display_Name,String_Id,GUID\nDynamics 365 Finance,DYN365_FINANCE,"
        "00000000-0000-0000-0000-0000000000a1\n"
    )
    out["unknown-headers.csv"] = utf8("colour,size\nred,10\n")
    out["unclosed-quote.csv"] = utf8('sku,quantity\n"DYN365_FINANCE,25\nDYN365_SCM,3\n')
    out["too-many-values.csv"] = utf8("sku,quantity\nDYN365_FINANCE,25,extra,more\n")
    out["newline-in-header.csv"] = utf8('"co\nlo\nur\ns",size\nred,10\n')

    # Delimited text: the environment inventory.
    out["inventory-size-negative.csv"] = utf8(
        INVENTORY_HEADER + "Contoso CE,dataverse_production,,,,-4\n"
    )
    out["inventory-size-words.csv"] = utf8(
        INVENTORY_HEADER + "Contoso CE,dataverse_production,,,,four\n"
    )
    out["inventory-size-infinite.csv"] = utf8(
        INVENTORY_HEADER + "Contoso CE,dataverse_production,,,,Infinity\n"
    )
    out["inventory-unknown-type.csv"] = utf8(INVENTORY_HEADER + "Contoso CE,spaceship,,,,4\n")
    out["inventory-escape-in-type.csv"] = utf8(
        INVENTORY_HEADER + "Contoso CE,\x1b[31mred\x1b[0m,,,,4\n"
    )
    out["inventory-duplicate-names.csv"] = utf8(
        INVENTORY_CSV + "contoso-uat,addon_sandbox,2,initial,,\n"
    )
    out["inventory-name-missing.csv"] = utf8(INVENTORY_HEADER + ",production,,integrated,,4\n")
    out["inventory-tier-out-of-range.csv"] = utf8(
        INVENTORY_HEADER + "CONTOSO-UAT,sandbox,Tier 9,,,\n"
    )
    out["inventory-tier-word.csv"] = utf8(INVENTORY_HEADER + "CONTOSO-UAT,sandbox,Tier,,,\n")
    out["inventory-tier-on-production.csv"] = utf8(
        INVENTORY_HEADER + "CONTOSO-PROD,production,2,,,\n"
    )
    out["inventory-unknown-state.csv"] = utf8(
        INVENTORY_HEADER + "CONTOSO-PROD,production,,maybe,,\n"
    )
    out["inventory-linked-to-nothing.csv"] = utf8(
        INVENTORY_HEADER + "CONTOSO-PROD,production,,linked_existing,Nowhere,\n"
    )
    out["inventory-misspelt-capacity-column.csv"] = utf8(
        "name,type,dataverse_databse_gb\nContoso CE,dataverse_production,4\n"
    )
    out["inventory-growth-negative.csv"] = utf8(
        "name,type,dataverse_database_growth_gb_per_month\nContoso CE,dataverse_production,-0.5\n"
    )
    out["inventory-utf16-size-words.txt"] = codecs.BOM_UTF16_LE + (
        "name\ttype\tdataverse_database_gb\r\nContoso CE\tdataverse_production\tfour\r\n"
    ).encode("utf-16-le")
    # Semicolon files (a locale with decimal commas), split by the CSV parser and their sizes
    # read from their text: a grouped number is ambiguous, a comma with nothing before it is no
    # number, and the row and column are named as in a comma file.
    semicolons = "name;type;dataverse_database_gb\nContoso CE;dataverse_production;2,5\n"
    out["inventory-semicolon-size-grouped.csv"] = utf8(semicolons + "Fabrikam;sandbox;1.000\n")
    out["inventory-semicolon-size-comma-first.csv"] = utf8(
        semicolons + "Fabrikam;dataverse_sandbox;,5\n"
    )

    # Workbooks.
    good_workbook = xlsx({"Licenses": PLANNING_ROWS})
    out["truncated.xlsx"] = good_workbook[: len(good_workbook) // 2]
    out["zip-not-workbook.xlsx"] = zip_parts({"word/document.xml": b"<document/>"})
    out["legacy.xls"] = ole2("Workbook")
    out["legacy-named.xlsx"] = ole2("Workbook")
    out["password-protected.xlsx"] = ole2("EncryptedPackage")
    out["several-sheets-unknown-headers.xlsx"] = xlsx(
        {"Notes": [["colour", "size"], ["red", 1]], "Other": [["owner"], ["Alex"]]}
    )
    out["several-sheets-known-headers.xlsx"] = xlsx(
        {"Licenses": PLANNING_ROWS, "More licenses": PLANNING_ROWS}
    )
    out["workbook-empty-sheet.xlsx"] = xlsx({"Sheet1": []})
    out["workbook-quantity-negative.xlsx"] = xlsx(
        {"Licenses": [["sku", "quantity"], ["DYN365_FINANCE", -5]]}
    )
    out["workbook-size-words.xlsx"] = xlsx(
        {
            "Inventory": [
                ["name", "type", "dataverse_database_gb"],
                ["Contoso CE", "dataverse_production", "four"],
            ]
        }
    )
    laughs = sheet_xml([["sku", "quantity"], ["&lol9;", 1]], prologue=BILLION_LAUGHS).replace(
        b"&amp;lol9;", b"&lol9;"
    )
    out["billion-laughs.xlsx"] = zip_parts(workbook_parts({"Licenses": laughs}))
    utf16_doctype = (
        '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE x [<!ENTITY a "a">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<sheetData/></worksheet>"
    ).encode("utf-16")
    out["entities-utf16.xlsx"] = zip_parts(workbook_parts({"Licenses": utf16_doctype}))
    # Sparse and hostile shapes: what a sheet declares must not decide what is read.
    out["workbook-declared-huge.xlsx"] = zip_parts(
        workbook_parts({"Licenses": sheet_xml(PLANNING_ROWS, dimension="A1:XFD1048576")})
    )
    out["workbook-row-beyond-excel.xlsx"] = zip_parts(
        workbook_parts(
            {"Licenses": sheet_xml(PLANNING_ROWS, far='<row r="2000000"><c><v>1</v></c></row>')}
        )
    )
    renamed_parts = workbook_parts({"Licenses": shared_strings_sheet()})
    renamed_parts["xl/strings.dat"] = utf8(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + BILLION_LAUGHS.replace("lolz", "sst")
        + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<si><t>sku</t></si><si><t>quantity</t></si><si><t>&lol9;</t></si></sst>"
    )
    renamed_parts["xl/_rels/workbook.xml.rels"] = renamed_parts[
        "xl/_rels/workbook.xml.rels"
    ].replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/sharedStrings" Target="strings.dat"/></Relationships>',
    )
    out["shared-strings-renamed.xlsx"] = zip_parts(renamed_parts)
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    # Parts the reader loads whole, a small file of far more than any sheet could use.
    styles_parts = workbook_parts({"Licenses": sheet_xml(PLANNING_ROWS)})
    styles_parts["xl/styles.xml"] = utf8(
        f'<styleSheet xmlns="{main}"><cellXfs count="300000">'
        + '<xf numFmtId="0"/>' * 300_000
        + "</cellXfs></styleSheet>"
    )
    styles_parts["xl/_rels/workbook.xml.rels"] = styles_parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rId98" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/styles" Target="styles.xml"/></Relationships>',
    )
    out["styles-bomb.xlsx"] = zip_parts(styles_parts)
    strings_parts = workbook_parts({"Licenses": shared_strings_sheet()})
    strings_parts["xl/sharedStrings.xml"] = utf8(
        f'<x:sst xmlns:x="{main}"><x:si><x:t>sku</x:t></x:si><x:si><x:t>quantity</x:t></x:si>'
        + "<x:si/>" * 200_000
        + "</x:sst>"
    )
    strings_parts["xl/_rels/workbook.xml.rels"] = strings_parts[
        "xl/_rels/workbook.xml.rels"
    ].replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    out["shared-strings-unused.xlsx"] = zip_parts(strings_parts)
    # One shared string of 250,000 runs of text, used by a cell: the reader would hold them all.
    one_string = dict(strings_parts)
    one_string["xl/sharedStrings.xml"] = utf8(
        f'<sst xmlns="{main}"><si><t>sku</t></si><si><t>quantity</t></si><si>'
        + "<r><t>a</t></r>" * 250_000
        + "</si></sst>"
    )
    out["shared-string-of-many-runs.xlsx"] = zip_parts(one_string)
    # A shared strings table of the usual shape but for one tag left open: no XML.
    broken_strings = dict(strings_parts)
    broken_strings["xl/sharedStrings.xml"] = utf8(
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{main}">'
        "<si><t>sku</t></si><si><t>quantity</t></si><si><t>DYN365_FINANCE</si></sst>"
    )
    broken_strings["[Content_Types].xml"] = broken_strings["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    out["shared-strings-not-xml.xlsx"] = zip_parts(broken_strings)
    runs = "<r><t>a</t></r>" * 10_001
    rows = "".join(
        f'<row r="{row}"><c r="A{row}" t="inlineStr"><is>{runs}</is></c></row>'
        for row in range(1, 101)
    )
    out["rich-text-runs.xlsx"] = xlsx_sheet(
        utf8(f'<worksheet xmlns="{main}"><sheetData>{rows}</sheetData></worksheet>')
    )
    # 1,001 sheets listed by the workbook, all of one part (a part each would be too large a
    # file for the corpus): refused from the list, before any is opened.
    sheets_parts = workbook_parts({"Sheet1": sheet_xml(PLANNING_ROWS)})
    entries = "".join(
        f'<sheet name="Sheet{n}" sheetId="{n}" r:id="rId1"/>' for n in range(1, 1_002)
    )
    sheets_parts["xl/workbook.xml"] = re.sub(
        rb"<sheets>.*</sheets>",
        f"<sheets>{entries}</sheets>".encode(),
        sheets_parts["xl/workbook.xml"],
    )
    out["many-sheets.xlsx"] = zip_parts(sheets_parts)
    # One row whose elements the reader would hold all at once: nested, empty, or cells
    # beyond Excel's widest row, with or without a namespace prefix.
    nested = "<x>" * 150_000 + "</x>" * 150_000
    out["row-nested-deeply.xlsx"] = xlsx_sheet(
        utf8(
            f'<worksheet xmlns="{main}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is>'
            f"{nested}</is></c></row></sheetData></worksheet>"
        )
    )
    out["row-of-empty-cells.xlsx"] = xlsx_sheet(
        utf8(
            f'<x:worksheet xmlns:x="{main}"><x:sheetData><x:row r="1">'
            f"{'<x:c/>' * 250_000}</x:row></x:sheetData></x:worksheet>"
        )
    )
    # One tag, comment or text longer than any cell needs, which a parser would hold whole:
    # 300,000 bytes here (the limit is 266,232), 180 MB in benchmarks/hostile.py.
    long = "A" * 300_000
    head = (
        f'<worksheet xmlns="{main}"><sheetData><row r="1">'
        '<c r="A1" t="inlineStr"><is><t>sku</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>quantity</t></is></c></row><row r="2">'
    )
    finance = '<c r="A2" t="str"><v>DYN365_FINANCE</v></c>'
    five = '<c r="B2"><v>5</v></c>'
    for name, cells in (
        ("cell-attribute-too-long", finance.replace(' t="str"', f' t="str" x="{long}"') + five),
        ("comment-too-long", f"<!--{long}-->{finance}{five}"),
        ("cell-too-long-beyond-header", f'{finance}{five}<c r="Z2" t="str"><v>{long}</v></c>'),
        ("cell-value-too-long", f'<c r="A2" t="str"><v>{long}</v></c>{five}'),
        ("inline-string-too-long", f'<c r="A2" t="inlineStr"><is><t>{long}</t></is></c>{five}'),
    ):
        out[f"{name}.xlsx"] = xlsx_sheet(utf8(f"{head}{cells}</row></sheetData></worksheet>"))
    # Elements before the cells, which the look for the sheet's declared size holds: more than
    # the 100,000 allowed (millions in benchmarks/hostile.py).
    out["elements-before-cells.xlsx"] = xlsx_sheet(
        utf8(
            head.replace("<sheetData>", f"<sheetViews>{'<x/>' * 100_001}</sheetViews><sheetData>")
            + f"{finance}{five}</row></sheetData></worksheet>"
        )
    )
    long_string = dict(strings_parts)
    long_string["xl/sharedStrings.xml"] = utf8(
        f'<sst xmlns="{main}"><si><t>sku</t></si><si><t>quantity</t></si><si><t>{long}</t></si>'
        "</sst>"
    )
    out["shared-string-too-long.xlsx"] = zip_parts(long_string)
    # Far more text than a workbook this small holds (4 MiB and 4 bytes per byte of the file):
    # 300 environments named with 32,000 letters each, 9.6 MB in 4 to 17 KB (3,000 of them,
    # 96 MB, in benchmarks/hostile.py). As shared strings, refused while the table is read; as
    # inline strings, or as one string every name reads, at the cell that is one too many.
    names = [f"E{n:03d}" + "x" * 31_996 for n in range(300)]
    in_table = dict(workbook_parts({"Environments": b""}))
    in_table["xl/sharedStrings.xml"] = utf8(
        f'<sst xmlns="{main}"><si><t>name</t></si><si><t>type</t></si>'
        "<si><t>developer</t></si>"
        + "".join(f"<si><t>{name}</t></si>" for name in names)
        + "</sst>"
    )
    in_table["xl/_rels/workbook.xml.rels"] = in_table["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    in_table["[Content_Types].xml"] = in_table["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )

    def names_sheet(cell: Callable[[int], str]) -> bytes:
        """name and type, then a row for each of ``names`` whose name cell ``cell`` writes."""
        rows = "".join(
            f'<row r="{n + 2}">{cell(n)}<c r="B{n + 2}" t="s"><v>2</v></c></row>'
            for n in range(len(names))
        )
        return utf8(
            f'<worksheet xmlns="{main}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>'
            f'<c r="B1" t="s"><v>1</v></c></row>{rows}</sheetData></worksheet>'
        )

    for name, cell in (
        ("workbook-text-shared-strings", lambda n: f'<c r="A{n + 2}" t="s"><v>{n + 3}</v></c>'),
        ("workbook-text-one-shared-name", lambda n: f'<c r="A{n + 2}" t="s"><v>3</v></c>'),
        (
            "workbook-text-inline-names",
            lambda n: f'<c r="A{n + 2}" t="inlineStr"><is><t>{names[n]}</t></is></c>',
        ),
    ):
        parts = dict(in_table)
        parts["xl/worksheets/sheet1.xml"] = names_sheet(cell)
        if not name.endswith("shared-strings"):  # no more than the one name in the table
            parts["xl/sharedStrings.xml"] = utf8(
                f'<sst xmlns="{main}"><si><t>name</t></si><si><t>type</t></si>'
                f"<si><t>developer</t></si><si><t>{names[0]}</t></si></sst>"
            )
        out[f"{name}.xlsx"] = zip_parts(parts)
    bomb_parts: dict[str, bytes | Writer] = dict(
        workbook_parts({"Licenses": sheet_xml(PLANNING_ROWS)})
    )
    bomb_parts["xl/media/padding.bin"] = zeros_part(256 * 1024 * 1024)
    out["zip-bomb-declared-size.xlsx"] = zip_parts(bomb_parts)
    ratio_parts: dict[str, bytes | Writer] = dict(
        workbook_parts({"Licenses": sheet_xml(PLANNING_ROWS)})
    )
    ratio_parts["xl/media/padding.bin"] = zeros_part(8 * 1024 * 1024)
    out["zip-bomb-ratio.xlsx"] = zip_parts(ratio_parts)
    lying_parts: dict[str, bytes | Writer] = dict(
        workbook_parts({"Licenses": sheet_xml(PLANNING_ROWS)})
    )
    lying_parts["xl/media/padding.bin"] = zeros_part(64 * 1024 * 1024)
    out["zip-bomb-lying-size.xlsx"] = declare_size(
        zip_parts(lying_parts), "xl/media/padding.bin", 1024
    )

    # Scenario files (capplan whatif --scenario).
    out["scenario-bad-toml.toml"] = utf8('name = "Wave 2"\n[[changes]\nkind = "add_licenses"\n')
    # Longer than a cell (20,000 emoji are 40,000 UTF-16 units): cut in the workbook.
    # Names that look like an existing one: TOML escapes for a zero-width space and a
    # fullwidth name, written so in the file.
    out["scenario-name-differs-by-invisible-character.toml"] = scenario(
        'kind = "add_environment"\nname = "CONTOSO-UAT\\u200b"\ntype = "addon_sandbox"\n'
    )
    out["scenario-name-differs-by-width.toml"] = scenario(
        'kind = "add_environment"\nname = "\\uff23\\uff2f\\uff2e\\uff34\\uff2f\\uff33\\uff2f-UAT"\n'
        'type = "addon_sandbox"\n'
    )
    out["scenario-name-too-long.toml"] = scenario(
        'kind = "add_licenses"\nsku = "DYN365_FINANCE"\nquantity = 1\n',
        head='name = "' + "\U0001f600" * 20_000 + '"\n',
    )
    out["scenario-not-utf8.toml"] = 'name = "Vague \xe9"\n'.encode("latin-1")
    out["scenario-unknown-kind.toml"] = scenario('kind = "teleport"\nname = "CONTOSO-UAT"\n')
    out["scenario-kind-list.toml"] = scenario('kind = ["add_licenses"]\nsku = "X"\nquantity = 1\n')
    out["scenario-unknown-key.toml"] = scenario(
        'kind = "add_licenses"\nsku = "DYN365_FINANCE"\nquantity = 5\ncolour = "blue"\n'
    )
    out["scenario-unknown-top-key.toml"] = scenario(
        'kind = "buy_addon"\npool = "database"\ngb = 10\n', head='name = "x"\nowner = "Alex"\n'
    )
    out["scenario-missing-key.toml"] = scenario('kind = "add_licenses"\nsku = "DYN365_FINANCE"\n')
    out["scenario-no-changes.toml"] = utf8('name = "Nothing"\n')
    out["scenario-changes-not-tables.toml"] = utf8('name = "x"\nchanges = [1, 2]\n')
    out["scenario-quantity-words.toml"] = scenario(
        'kind = "add_licenses"\nsku = "DYN365_FINANCE"\nquantity = "lots"\n'
    )
    out["scenario-quantity-nan.toml"] = scenario(
        'kind = "add_licenses"\nsku = "DYN365_FINANCE"\nquantity = nan\n'
    )
    # TOML reads 2_0 as 20; nobody writes a number so, and it may be a typing slip.
    out["scenario-quantity-underscore.toml"] = scenario(
        'kind = "add_licenses"\nsku = "DYN365_FINANCE"\nquantity = 2_0\n'
    )
    out["scenario-quantity-absurd.toml"] = scenario(
        'kind = "add_licenses"\nsku = "DYN365_FINANCE"\nquantity = 99999999999\n'
    )
    out["scenario-quantity-5000-digits.toml"] = scenario(
        'kind = "add_licenses"\nsku = "DYN365_FINANCE"\nquantity = ' + "9" * 5000 + "\n"
    )
    out["scenario-size-negative.toml"] = scenario(
        'kind = "add_environment"\nname = "UAT2"\ntype = "addon_sandbox"\ntier = 2\n'
        "operations_database_gb = -35\n"
    )
    out["scenario-unknown-type.toml"] = scenario(
        'kind = "add_environment"\nname = "UAT2"\ntype = "spaceship"\n'
    )
    out["scenario-month-invalid.toml"] = scenario(
        'kind = "buy_addon"\npool = "database"\ngb = 10\nmonth = "2027-13"\n'
    )
    out["scenario-month-after-horizon.toml"] = scenario(
        'kind = "buy_addon"\npool = "database"\ngb = 10\nmonth = "2099-01"\n'
    )
    out["scenario-month-full-width-digits.toml"] = scenario(
        'kind = "buy_addon"\npool = "database"\ngb = 10\nmonth = "\uff12\uff10\uff12\uff17-03"\n'
    )
    out["scenario-month-arabic-indic-digits.toml"] = scenario(
        'kind = "buy_addon"\npool = "database"\ngb = 10\nmonth = "2027-\u0660\u0663"\n'
    )
    out["scenario-unknown-environment.toml"] = scenario(
        'kind = "link_new_dataverse"\nname = "NO-SUCH-ENVIRONMENT"\n'
    )
    out["scenario-newline-in-key.toml"] = utf8(
        '"a\\nb\\nc\\nd" = 1\n\n[[changes]]\nkind = "buy_addon"\npool = "database"\ngb = 10\n'
    )

    # Scenarios that are hostile or say something impossible.
    out["scenario-too-many-changes.toml"] = scenario(
        *['kind = "buy_addon"\npool = "database"\ngb = 1\n'] * 201
    )
    # As many changes as one scenario may hold: three of them are more than a run applies.
    out["scenario-200-changes.toml"] = scenario(
        *['kind = "buy_addon"\npool = "database"\ngb = 1\n'] * 200
    )
    out["scenario-nested-too-deeply.toml"] = utf8(
        "x = " + "[" * 5000 + "]" * 5000 + '\n[[changes]]\nkind = "buy_addon"\n'
    )
    # tomllib takes minutes and gigabytes over one dotted key of 50,000 parts (100 KB).
    out["scenario-dotted-key-too-deep.toml"] = utf8(
        'name = "x"\n' + ".".join(["a"] * 50_000) + " = 1\n"
    )
    out["scenario-link-to-itself.toml"] = scenario(
        'kind = "link_existing_dataverse"\nname = "CONTOSO-UAT"\ntarget = "contoso-uat"\n'
    )
    out["scenario-environment-linked-to-itself.toml"] = scenario(
        'kind = "add_environment"\nname = "NEW-UAT"\ntype = "addon_sandbox"\n'
        'power_platform = "linked_existing"\nlinked_to = "NEW-UAT"\n'
    )
    out["scenario-name-differs-by-case.toml"] = scenario(
        'kind = "add_environment"\nname = "contoso-uat"\ntype = "addon_sandbox"\n'
    )
    out["scenario-new-names-differ-by-case.toml"] = scenario(
        'kind = "add_environment"\nname = "NEW-UAT"\ntype = "addon_sandbox"\n',
        'kind = "add_environment"\nname = "new-uat"\ntype = "addon_sandbox"\n',
    )
    out["scenario-name-too-long.toml"] = scenario(
        f'kind = "add_environment"\nname = "{"A" * 40_000}"\ntype = "addon_sandbox"\n'
    )
    out["scenario-switch-rules-device.toml"] = scenario(
        'kind = "switch_rules"\nrules = "/dev/zero"\nmonth = "2027-06"\n'
    )

    # Rules files (--rules FILE).
    out["rules-nested-too-deeply.toml"] = utf8("x = " + "[" * 5000 + "]" * 5000 + "\n")
    # Text of a rules file reaches tables and CI summaries: no escapes, no markup in a title.
    out["rules-title-with-escape.toml"] = utf8(
        'id = "mine"\ntitle = "\\u001b]8;;https://x\\u0007Mine"\n'
    )
    out["rules-title-with-bidi.toml"] = utf8('id = "mine"\ntitle = "Mine \\u202egnp.exe"\n')
    out["rules-pool-title-with-markup.toml"] = utf8(
        'id = "mine"\ntitle = "Mine"\n[[pools]]\nname = "database"\n'
        'title = "[Approve](https://evil.example)"\n'
    )
    # A number with an underscore in an inline table, after a key with a digit between
    # underscores, which is read as the key it is.
    out["rules-number-with-underscore.toml"] = utf8(
        'id = "mine"\ntitle = "Mine"\n\n[overage]\nstage_2_after_days = { value = 3_0, '
        'source = "capacity-storage", confidence = "documented" }\n'
    )
    out["rules-table-name-too-deep.toml"] = utf8("[" + ".".join(["a"] * 50_000) + "]\n")
    out["rules-over-size-limit.toml"] = utf8("# a rules file of comments\n# padding\n")

    # Shapes that cost time or memory out of proportion to the file.
    out["header-1500-columns.csv"] = utf8(
        "sku,quantity," + ",".join(f"c{n}" for n in range(1500)) + "\nDYN365_FINANCE,1\n"
    )
    # Files over the row, cell and item limits would be megabytes: the test repeats the rows of
    # these (grow_to in cases.toml) until the copy it runs on is over the limit.
    out["over-row-limit.csv"] = utf8("sku,quantity\n" + "X,1\n" * 1000)
    out["over-cell-limit.csv"] = utf8(
        "name,type," + ",".join(f"c{n}" for n in range(600)) + "\n" + "," * 601 + "\n"
    )
    out["inventory-name-too-long.csv"] = utf8("name,type\n" + "A" * 40_000 + ",developer\n")
    out["inventory-payg-maybe.csv"] = utf8("name,type,payg\nUAT,dataverse_sandbox,maybe\n")
    out["ppac-billing-policy-text.json"] = dumps(
        {
            "value": [
                {
                    "name": "env-1",
                    "properties": {
                        "displayName": "Sales UAT",
                        "environmentSku": "Sandbox",
                        "billingPolicy": "pay-as-you-go",
                        "capacity": [],
                    },
                }
            ]
        }
    )
    out["licenses-digits-underscore.csv"] = utf8("sku,quantity\nDYN365_FINANCE,1_0\n")
    out["licenses-arabic-indic-digits.csv"] = utf8("sku,quantity\nDYN365_FINANCE,\u0661\u0660\n")
    out["graph-quantity-underscore.json"] = dumps(graph(graph_sku(enabled="1_0")))
    # Counts whose text is not what a float of it says: a fraction the float rounds away, a
    # number too small for a float (read as 0); as JSON numbers and as quoted digits.
    marker = 987654321  # a count written as a placeholder, replaced by the number's text
    for name, written in (
        ("fraction-lost", "25.0000000000000000001"),
        ("too-small", "1e-400"),
        ("too-small-zeros", "0." + "0" * 400 + "1"),
    ):
        out[f"graph-quantity-{name}.json"] = dumps(graph(graph_sku(enabled=marker))).replace(
            str(marker).encode(), written.encode()
        )
    out["graph-quantity-quoted-fraction-lost.json"] = dumps(
        graph(graph_sku(enabled="25.0000000000000000001"))
    )
    # A key far longer than any text capplan reads (it held two megabytes, unchecked).
    out["json-key-too-long.json"] = dumps(graph(graph_sku(**{"k" * 40_000: 1})))
    # A number cell's value as no spreadsheet program writes it, which int() reads as 10.
    for name, written in (("underscore", "1_0"), ("arabic-indic-digits", "\u0661\u0660")):
        out[f"licenses-number-cell-{name}.xlsx"] = xlsx_sheet(
            sheet_xml(PLANNING_ROWS).replace(b"<v>25</v>", utf8(f"<v>{written}</v>"))
        )
    # A number cell holding no number, a date cell holding no date, a boolean that is neither:
    # the cell's text, which the column's rule refuses, naming the cell. And a cell that refers
    # to a shared string the workbook does not have.
    for name, kind, value in (
        ("nan", "", "NaN"),
        ("infinity", "", "INF"),
        ("words", "", "twenty"),
        ("date-not-a-date", ' t="d"', "soon"),
        ("boolean-neither", ' t="b"', "yes"),
        ("boolean-two", ' t="b"', "2"),
        ("shared-string-missing", ' t="s"', "99"),
        # The same of a style other than the first (as Excel saves a formatted table).
        ("styled-words", ' s="1"', "twenty"),
        ("styled-shared-string-missing", ' s="1" t="s"', "99"),
    ):
        out[f"licenses-cell-{name}.xlsx"] = xlsx_sheet(
            sheet_xml(PLANNING_ROWS).replace(
                b'<c r="B2"><v>25</v></c>', utf8(f'<c r="B2"{kind}><v>{value}</v></c>')
            )
        )
    # Cells and tags by the million in a few kilobytes: empty cells without references (a
    # cell is then the one right of the one before), more than a workbook of that size holds;
    # and as many elements in a sheet of another shape (a comment in it) than the reader of
    # such sheets goes through.
    header = (
        f'<worksheet xmlns="{main}"><sheetData><row r="1">'
        '<c r="A1" t="inlineStr"><is><t>sku</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>quantity</t></is></c></row>'
    )
    empty_row = "<row>" + "<c/>" * 1000 + "</row>"
    out["workbook-cells-far-beyond-its-size.xlsx"] = xlsx_sheet(
        utf8(f"{header}{empty_row * 1100}</sheetData></worksheet>")
    )
    out["workbook-tags-far-beyond-its-size.xlsx"] = xlsx_sheet(
        utf8(f"{header}{('<row/>' * 1000) * 4100}</sheetData></worksheet>")
    )
    out["workbook-odd-shape-many-elements.xlsx"] = xlsx_sheet(
        utf8(f"{header}<!-- a note -->{('<row/>' * 1000) * 3100}</sheetData></worksheet>")
    )
    # Thousands of empty objects, and brackets opened behind one string that escapes its every
    # quote: more objects and lists than Microsoft's answers have for their length.
    # (cases.toml grows them past the allowance of 100,000.)
    out["json-empty-objects.json"] = b"[\n" + b"{}," * 1000 + b"\n{}]\n"
    out["json-brackets-unclosed-string.json"] = b"[\n" + b"[" * 1000 + b'\n"' + b'\\"' * 1000
    # Values of a character or two: parsed, each is an object and a place in its list, ten
    # times the file and more (cases.toml grows it past the allowance of a million values).
    out["json-dense-numbers.json"] = b"[\n" + b"0," * 1000 + b"\n0]\n"
    out["json-duplicate-keys.json"] = utf8(
        '{"value": [{"skuPartNumber": "DYN365_FINANCE", "skuPartNumber": "DYN365_SCM", '
        '"prepaidUnits": {"enabled": 5}}]}'
    )
    # Keys are read in any case: two that differ only in case leave the value in doubt.
    out["json-keys-differ-in-case.json"] = utf8(
        '{"value": [{"skuPartNumber": "DYN365_FINANCE", "prepaidUnits": '
        '{"enabled": 5, "Enabled": 500}}]}'
    )
    out["json-too-many-items.json"] = utf8('{"value": [\n' + "-0,\n" * 1000 + "-0]}\n")

    # History snapshots (forecast --history).
    out["history-no-date.csv"] = utf8(INVENTORY_CSV)
    # Dated in their names with digits int() reads, but no person reads as a date in 0 to 9.
    out["history-\uff12\uff10\uff12\uff16-09-30.csv"] = utf8(INVENTORY_CSV)
    out["history-\u0662\u0660\u0662\u0666-10-31.csv"] = utf8(INVENTORY_CSV)
    out["history-0001-01-01.csv"] = utf8(INVENTORY_CSV)
    out["history-2026-01-31-to-2026-02-28.csv"] = utf8(INVENTORY_CSV)
    out["history-two-dates.csv"] = utf8(
        "name,type,dataverse_database_gb,date\nContoso CE,dataverse_production,3,2026-01-31\n"
        "CONTOSO-PROD,production,,2026-02-28\n"
    )
    out["history-impossible-date.json"] = dumps(
        {
            "value": [
                ppac_environment(
                    capacity=[
                        {
                            "capacityType": "Database",
                            "ratedConsumption": 2150.4,
                            "updatedOn": "2026-13-45T06:15:00Z",
                        }
                    ]
                )
            ]
        }
    )

    # A file over the size limit (the test lowers the limit; see cases.toml).
    out["over-size-limit.csv"] = utf8("sku,quantity\n" + "DYN365_FINANCE,1\n" * 4000)
    return out


def shared_strings_sheet() -> bytes:
    """A sheet whose text is in the shared-strings part (indexes 0, 1 and 2)."""
    return utf8(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>1</v></c></row>'
        "</sheetData></worksheet>"
    )


def good_files() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    out["licenses.csv"] = utf8(PLANNING_CSV)
    out["environments.csv"] = utf8(INVENTORY_CSV)
    out["licenses-graph.csv"] = dumps(graph(graph_sku()))  # JSON under a .csv name
    out["licenses-planning.xlsx"] = utf8(PLANNING_CSV)  # CSV under an .xlsx name
    out["licenses-workbook.json"] = xlsx({"Licenses": PLANNING_ROWS})  # XLSX under a .json name
    out["environments.xlsx"] = xlsx({"Inventory": INVENTORY_ROWS, "Notes": [["written by", "IT"]]})
    # Excel's "Unicode text": UTF-16 little-endian with a byte order mark, tab-separated, CRLF.
    unicode_text = "\r\n".join("\t".join(line.split(",")) for line in PLANNING_CSV.splitlines())
    out["licenses-unicode-text.txt"] = codecs.BOM_UTF16_LE + (unicode_text + "\r\n").encode(
        "utf-16-le"
    )
    out["environments-unicode-text.txt"] = codecs.BOM_UTF16_LE + "\r\n".join(
        "\t".join(line.split(",")) for line in INVENTORY_CSV.splitlines()
    ).encode("utf-16-le")
    out["licenses-utf16-be.csv"] = codecs.BOM_UTF16_BE + PLANNING_CSV.encode("utf-16-be")
    out["environments-ppac.json"] = dumps({"value": [ppac_environment()]})
    out["environments-lcs.json"] = dumps(
        lcs(lcs_environment(), lcs_environment("CONTOSO-UAT", "Sandbox"))
    )
    # Sparse sheets are read without padding: one far cell, a header thousands of columns wide.
    out["licenses-far-cell.xlsx"] = xlsx_sheet(
        sheet_xml(PLANNING_ROWS, far='<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    )
    wide = [list(row) + [None] * 2997 for row in PLANNING_ROWS]
    wide[0][-1] = "notes"
    wide[1][-1] = "far right"
    out["licenses-3000-columns.xlsx"] = xlsx_sheet(sheet_xml(wide))
    out["licenses-below-blank-rows.xlsx"] = xlsx_sheet(sheet_xml(PLANNING_ROWS, first_row=15))
    # Classic Mac line ends (a carriage return alone), blank lines above the header, and more
    # than a thousand rows: the header line ends at the first carriage return.
    many = "".join(f"CONTOSO-DEV-{n},developer,,,,0.5\n" for n in range(1_100))
    out["environments-classic-mac-line-ends.csv"] = utf8(
        ("\n\n" + INVENTORY_CSV + many).replace("\n", "\r")
    )
    # Cells and rows without the optional references, as some writers leave them out.
    positional = sheet_xml(PLANNING_ROWS)
    positional = re.sub(rb' r="[A-Z]+[0-9]+"', b"", positional).replace(b' r="2"', b"")
    out["licenses-cells-without-references.xlsx"] = xlsx_sheet(positional)
    hidden = workbook_parts({"Licenses": sheet_xml(PLANNING_ROWS)})
    hidden["xl/workbook.xml"] = hidden["xl/workbook.xml"].replace(
        b'sheetId="1"', b'sheetId="1" state="hidden"'
    )
    out["licenses-hidden-sheet.xlsx"] = zip_parts(hidden)
    out["scenario.toml"] = scenario('kind = "buy_addon"\npool = "database"\ngb = 10\n')
    # The planning sheet's tenant as other exports give it: by GUID only, and by name only.
    out["licenses-mgsku-guid-only.csv"] = utf8(
        "SkuId,ActiveUnits,ConsumedUnits\n55c9eb4e-c746-45b4-b255-9ab6b19d5c62,25,20\n"
    )
    out["licenses-admin-center.csv"] = utf8(
        ADMIN_CENTER_HEADER + "Dynamics 365 Finance,30,5,20,2027-06-30\n"
        "Microsoft Power Automate Free,10000,0,27,\n"
    )
    out["licenses-admin-center.xlsx"] = xlsx(
        {
            "Licenses": [
                ["Product Title", "Total Licenses", "Expired Licenses", "Assigned licenses"],
                ["Dynamics 365 Finance", 25, 0, 20],
            ]
        }
    )
    return out


def build() -> dict[str, bytes]:
    """Every corpus file by its path relative to this folder, e.g. ``bad/empty.csv``."""
    files: dict[str, bytes] = {}
    for folder, generate in (("bad", bad_files), ("good", good_files)):
        for name, data in generate().items():
            key = f"{folder}/{name}"
            if key in files:
                raise ValueError(f"{key} is generated twice")
            if len(data) > MAX_FILE_BYTES:
                raise ValueError(f"{key} is {len(data):,} bytes, over {MAX_FILE_BYTES:,}")
            files[key] = data
    return files


def main(argv: Sequence[str] = ()) -> int:
    files = build()
    for folder in FOLDERS:
        for stale in (HERE / folder).glob("*"):
            if f"{folder}/{stale.name}" not in files:
                stale.unlink()
    for key, data in files.items():
        path = HERE / key
        path.parent.mkdir(exist_ok=True)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    print(f"{len(files)} files in {', '.join(FOLDERS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
