"""The SKU catalog: every product found by GUID, part number and display name; refreshed from
Microsoft's CSV with a diff; bad catalog and product files refused with row and column."""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.errors import InputError
from planner.ingest.products import read_product_csv
from planner.ruleset import bundled_rulesets
from planner.ruleset.catalog import (
    Catalog,
    CatalogEntry,
    bundled_catalog,
    clean_part_number,
    clean_text,
    dump_catalog,
    import_products,
    name_key,
    parse_catalog,
    part_number_key,
)

DATA = Path(__file__).parent / "data"
# 199 Dynamics 365 and Power Platform SKUs (part number, GUID, display name, where from): the
# products of Microsoft's CSV that matter for capacity and part numbers known from elsewhere.
REFERENCE = list(csv.DictReader((DATA / "skus-reference.csv").open(encoding="utf-8")))


def test_the_reference_list_is_the_whole_list() -> None:
    assert len(REFERENCE) == 199


@pytest.mark.parametrize("row", REFERENCE, ids=lambda r: r["string_id"] or r["guid"])
def test_every_reference_sku_is_classified(row: dict[str, str]) -> None:
    catalog = bundled_catalog()
    found = []
    if row["guid"]:
        found.append(catalog.by_guid(row["guid"]))
    if row["string_id"]:
        found.append(catalog.by_part_number(row["string_id"]))
    for entry in found:
        assert entry is not None, row
        assert entry.capacity in ("rule", "none"), entry
    if len(found) == 2:
        assert found[0] is found[1], "GUID and part number name different products"


def test_lookup_by_guid_part_number_and_name() -> None:
    catalog = bundled_catalog()
    by_guid = catalog.lookup(guid="{55C9EB4E-C746-45B4-B255-9AB6B19D5C62}")
    assert (by_guid.entry.part_number, by_guid.matched_by) == ("DYN365_FINANCE", "guid")
    by_part = catalog.lookup(part_number=" dyn365_finance\u00a0")
    assert (by_part.entry, by_part.matched_by) == (by_guid.entry, "part_number")
    by_name = catalog.lookup(display_name="dynamics 365  FINANCE")
    assert (by_name.entry, by_name.matched_by) == (by_guid.entry, "display_name")
    # The GUID wins over a part number that disagrees (Microsoft joins on the GUID).
    assert catalog.lookup(guid=by_guid.entry.guid, part_number="FLOW_FREE").entry is by_guid.entry
    # A planning sheet may put the GUID where the part number goes.
    assert catalog.resolve("55c9eb4e-c746-45b4-b255-9ab6b19d5c62").matched_by == "guid"
    # Stray spaces inside a part number of Microsoft's CSV do not hide it.
    assert catalog.by_part_number("DYN365_ENTERPRISE_RELATIONSHIP_SALES") is not None
    # Dashes of any kind, and older names.
    assert catalog.lookup(display_name="Dynamics 365 Operations - Activity").entry is not None
    assert catalog.lookup(display_name="Power Apps per user plan").entry.rule == (
        "POWERAPPS_PER_USER"
    )
    assert catalog.lookup(display_name="No Such Product").entry is None


def test_a_name_shared_by_products_of_different_capacity_is_ambiguous() -> None:
    a = CatalogEntry("A_SKU", "", "Shared Name", capacity="rule", rule="A_SKU")
    b = CatalogEntry("B_SKU", "", "Shared Name", capacity="none", reason="free")
    c = CatalogEntry("C_SKU", "", "Same Capacity", capacity="rule", rule="A_SKU")
    d = CatalogEntry("D_SKU", "", "Same Capacity", capacity="rule", rule="A_SKU")
    catalog = Catalog.of([a, b, c, d])
    shared = catalog.lookup(display_name="shared name")
    assert shared.entry is None and shared.ambiguous and len(shared.candidates) == 2
    same = catalog.lookup(display_name="Same Capacity")
    assert same.entry is not None and not same.ambiguous


def test_free_and_viral_skus_grant_no_capacity() -> None:
    catalog = bundled_catalog()
    for part_number in ("FLOW_FREE", "POWERAPPS_VIRAL", "CCIBOTS_PRIVPREV_VIRAL", "SPE_E3"):
        entry = catalog.by_part_number(part_number)
        assert entry is not None and entry.capacity == "none" and entry.reason, part_number


def test_the_catalog_file_round_trips() -> None:
    catalog = bundled_catalog()
    assert dump_catalog(parse_catalog(dump_catalog(catalog))) == dump_catalog(catalog)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a,b\n", "header is not the expected one"),
        (
            "part_number,guid,display_name,other_names,family,capacity,rule,reason,origin\n"
            "X,not-a-guid,X,,,none,,free,test\n",
            "row 2, column guid",
        ),
        (
            "part_number,guid,display_name,other_names,family,capacity,rule,reason,origin\n"
            "X,,X,,,maybe,,,test\n",
            "column capacity",
        ),
        (
            "part_number,guid,display_name,other_names,family,capacity,rule,reason,origin\n"
            "X,,X,,,none,,,test\n",
            "needs a reason",
        ),
        (
            "part_number,guid,display_name,other_names,family,capacity,rule,reason,origin\n"
            "X,,X,,,rule,,,test\n",
            "no rule is named",
        ),
    ],
)
def test_a_bad_catalog_names_row_and_column(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        parse_catalog(text, "skus.csv")


# ----------------------------------------------------------------------------------------------
# Refreshing from Microsoft's CSV

OLD_SPELLING = (
    "\ufeffProduct_Display_Name,String_ Id,GUID,Service_Plan_Name,Service_Plan_Id,"
    "Service_Plans_Included_Friendly_Names\r\n"
    "Dynamics 365 Finance\u00a0,DYN365_FINANCE ,55c9eb4e-c746-45b4-b255-9ab6b19d5c62,A,"
    "00000000-0000-0000-0000-000000000001,Plan A\r\n"
    "Dynamics 365 Finance,DYN365_FINANCE,55c9eb4e-c746-45b4-b255-9ab6b19d5c62,B,"
    "00000000-0000-0000-0000-000000000002,Plan B\r\n"
    "Dynamics 365 Human Resources (renamed),DYN365_HUMAN_RESOURCES,"
    "11111111-2222-3333-4444-555555555555,C,00000000-0000-0000-0000-000000000003,Plan C\r\n"
    "Contoso Power Apps Booster,CONTOSO_POWERAPPS_BOOSTER,"
    "22222222-2222-3333-4444-555555555555,D,00000000-0000-0000-0000-000000000004,Plan D\r\n"
    "Contoso Office Thing,CONTOSO_OFFICE,33333333-2222-3333-4444-555555555555,E,"
    "00000000-0000-0000-0000-000000000005,Plan E\r\n"
    "Power Apps Contoso Trial,CONTOSO_POWERAPPS_TRIAL,44444444-2222-3333-4444-555555555555,F,"
    "00000000-0000-0000-0000-000000000006,Plan F\r\n"
)


def test_import_reads_old_spellings_and_keeps_classifications(tmp_path: Path) -> None:
    source = tmp_path / "product-names.csv"
    source.write_text(OLD_SPELLING, encoding="utf-8")
    products = read_product_csv(source)
    assert [p.part_number for p in products] == [
        "DYN365_FINANCE",
        "DYN365_HUMAN_RESOURCES",
        "CONTOSO_POWERAPPS_BOOSTER",
        "CONTOSO_OFFICE",
        "CONTOSO_POWERAPPS_TRIAL",
    ]
    assert products[0].display_name == "Dynamics 365 Finance"
    old = bundled_catalog()
    new, changes = import_products(old, products, "test download")
    kinds = {(c.kind, c.entry.part_number) for c in changes}
    assert ("gained_guid", "DYN365_HUMAN_RESOURCES") in kinds
    assert ("renamed", "DYN365_HUMAN_RESOURCES") in kinds
    assert ("added", "CONTOSO_POWERAPPS_BOOSTER") in kinds
    # Products of the old file that the new one leaves out are kept and reported.
    assert any(c.kind == "not_in_source" for c in changes)
    assert len(new) >= len(old)
    hr = new.by_guid("11111111-2222-3333-4444-555555555555")
    assert hr.rule == "DYN365_HUMAN_RESOURCES" and hr.capacity == "rule"
    assert new.lookup(display_name="Dynamics 365 Human Resources").entry is hr  # old name kept
    assert new.by_part_number("CONTOSO_POWERAPPS_BOOSTER").capacity == "unknown"
    assert new.by_part_number("CONTOSO_OFFICE").capacity == "none"
    assert new.by_part_number("CONTOSO_POWERAPPS_TRIAL").capacity == "none"
    assert new.by_part_number("DYN365_FINANCE").rule == "DYN365_FINANCE"
    text = "\n".join(c.describe() for c in changes)
    assert "+ CONTOSO_POWERAPPS_BOOSTER" in text and "display name" in text


def test_every_rule_the_catalog_names_is_in_every_bundled_rule_set() -> None:
    for ruleset in bundled_rulesets():
        missing = sorted(r for r in bundled_catalog().rules() if ruleset.find_license(r) is None)
        assert not missing, f"{ruleset.id} lacks rules for {missing}"


def _cleaned_the_long_way(value: str) -> str:
    value = unicodedata.normalize("NFKC", value).replace("\ufeff", "").replace("\u200b", "")
    return re.sub(r"\s+", " ", value).strip()


@settings(max_examples=examples(300))
@given(
    st.text(alphabet=st.sampled_from(list(" \t\n\r\x0b\x0c\x1c\x1fAb_-.\u00a0\u2003\ufeff\u200b")))
    | st.text()
)
def test_clean_text_takes_its_short_way_only_where_the_long_way_changes_nothing(
    value: str,
) -> None:
    assert clean_text(value) == _cleaned_the_long_way(value)


_CATALOG_TEXT = st.text(
    alphabet=st.sampled_from(list(" \t\n_-\u2013\u2014\u00a0Ab1.")), max_size=12
) | st.text(max_size=12)


@settings(max_examples=examples(300))
@given(_CATALOG_TEXT)
def test_the_catalog_keys_take_their_short_way_only_where_the_long_way_changes_nothing(
    value: str,
) -> None:
    cleaned = _cleaned_the_long_way(value)
    assert clean_part_number(value) == re.sub(r"\s*_\s*", "_", cleaned)
    assert part_number_key(value) == re.sub(r"\s+", "", cleaned).casefold()
    dashes = str.maketrans({d: "-" for d in "\u2013\u2014\u2012\u2010\u2011"})
    assert name_key(value) == cleaned.translate(dashes).casefold()
