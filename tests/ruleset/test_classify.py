"""License rows resolved through the SKU catalog against a rule set: matched by GUID, part number
or name; known, ignored with a reason, or unknown with a reason; dated license versions."""

from __future__ import annotations

import pytest

from planner.errors import RulesError
from planner.model.inputs import license_frame
from planner.resources import bundled_dir
from planner.ruleset import bundled_rulesets, load_ruleset_text, resolve_ruleset
from planner.ruleset.catalog import Catalog, CatalogEntry
from planner.ruleset.classify import classify_licenses

POOLED_TEXT = (bundled_dir("rules") / "pooled-2025-12.toml").read_text(encoding="utf-8")


def classified(rows: list[dict], ruleset=None, catalog=None):
    ruleset = ruleset or resolve_ruleset("pooled-2025-12", "2026-12")
    frame = license_frame([{"quantity": 1, **row} for row in rows])
    return classify_licenses(frame, ruleset, catalog).to_dict("records")


def test_rows_resolve_by_guid_part_number_and_name() -> None:
    rows = classified(
        [
            {"sku": "", "sku_id": "b30411f5-fea1-4a59-9ad9-3db7c7ead579"},
            {"sku": "powerapps_per_user_gcc"},
            {"sku": "", "display_name": "Power Apps Premium"},
            {"sku": "FLOW_FREE"},
            {"sku": "NOT_A_REAL_SKU"},
        ]
    )
    assert [(r["sku"], r["matched_by"], r["status"]) for r in rows] == [
        ("POWERAPPS_PER_USER", "guid", "known"),
        ("POWERAPPS_PER_USER", "part_number", "known"),
        ("POWERAPPS_PER_USER", "display_name", "known"),
        ("FLOW_FREE", "part_number", "not_relevant"),
        ("NOT_A_REAL_SKU", "", "unknown"),
    ]
    assert rows[1]["part_number"] == "POWERAPPS_PER_USER_GCC"
    assert rows[1]["reason"] == "government edition of the same license"
    assert rows[3]["reason"].startswith("free plan")
    assert "not in the SKU catalog" in rows[4]["reason"]


def test_a_name_shared_by_products_of_different_capacity_is_unknown() -> None:
    catalog = Catalog.of(
        [
            CatalogEntry("DYN365_FINANCE", "", "Shared", capacity="rule", rule="DYN365_FINANCE"),
            CatalogEntry("FREE_THING", "", "Shared", capacity="none", reason="free"),
        ]
    )
    (row,) = classified([{"sku": "", "display_name": "shared"}], catalog=catalog)
    assert row["status"] == "unknown"
    assert "several products" in row["reason"] and "DYN365_FINANCE" in row["reason"]


def test_a_catalog_rule_the_rule_set_lacks_is_unknown_and_a_users_rule_wins() -> None:
    text = POOLED_TEXT.replace(
        '[[licenses]]\nsku = "FLOW_BUSINESS_PROCESS"', '[[licenses]]\nsku = "FLOW_FREE"'
    )
    ruleset = load_ruleset_text(text, "mine.toml").at("2026-12")
    rows = classified([{"sku": "FLOW_BUSINESS_PROCESS_GCC"}, {"sku": "FLOW_FREE"}], ruleset)
    assert rows[0]["status"] == "unknown"
    assert rows[0]["reason"] == "rule set pooled-2025-12 has no rule for FLOW_BUSINESS_PROCESS"
    assert rows[0]["product_name"] == "Power Automate per flow plan for Government"
    assert (rows[1]["status"], rows[1]["sku"]) == ("known", "FLOW_FREE")


def test_dated_versions_apply_by_contract_month() -> None:
    pooled = next(r for r in bundled_rulesets() if r.id == "pooled-2025-12")
    before = pooled.at("2026-03").find_license("DYN365_SALES_PREMIUM")
    after = pooled.at("2026-04").find_license("dyn365_sales_premium")
    assert before is not None and after is not None
    assert not before.tenant_default and before.per_license["database"].text == "250 MB"
    assert after.tenant_default["database"].text == "45 GB"
    assert after.per_license["database"].text == "500 MB"
    assert resolve_ruleset(None, "2026-06").find_license("DYN365_SALES_PREMIUM") == after
    # Without a month, the newest version.
    assert pooled.find_license("DYN365_SALES_PREMIUM") == after


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ('effective_from = "2026-04"', 'effective_from = "2025-06"', "does not start after"),
        ('effective_from = "2026-04"', 'effective_from = "April"', "effective_from"),
        (
            '[[licenses]]\nsku = "DYN365_SALES_PREMIUM"\neffective_from = "2026-04"',
            '[[licenses]]\nsku = "DYN365_SALES_PREMIUM"',
            "listed twice",
        ),
        ('per_user_of = ["DYN365_FINANCE",', 'per_user_of = ["DYN365_FINANCE_X",', "per_user_of"),
        (
            'role = "attach"\nfamily = "finance_operations"',
            'role = "attach"\nfamily = "finance_operations"\ntenant_default = { log = "1 GB" }\n'
            'source = "pp-faq"\nconfidence = "documented"',
            "has a tenant default",
        ),
    ],
)
def test_bad_license_versions_name_the_entry(old: str, new: str, fragment: str) -> None:
    assert old in POOLED_TEXT, old
    with pytest.raises(RulesError, match=fragment):
        load_ruleset_text(POOLED_TEXT.replace(old, new, 1), "broken.toml")
