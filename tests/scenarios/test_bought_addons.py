"""A scenario pays for what it buys: its add-ons are in its cost, its delta and what to buy."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.ingest import load_inputs
from planner.model.changes import AddLicenses, BuyAddon
from planner.report.data import comparison_data
from planner.ruleset import resolve_ruleset
from planner.scenarios.compare import compare
from planner.scenarios.read import read_scenario_file

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
AS_OF = "2026-12"
MONTHS = 24


def test_the_clean_up_sample_costs_what_it_buys() -> None:
    inputs = load_inputs(
        [str(SAMPLES / "licenses-graph.json"), str(SAMPLES / "environments-inventory.csv")]
    )
    ruleset = resolve_ruleset("pooled-2025-12", AS_OF)
    scenario = read_scenario_file(str(SAMPLES / "scenarios" / "clean-up.toml"), AS_OF, MONTHS)
    data = comparison_data(compare(inputs, [scenario], ruleset, AS_OF, MONTHS))
    (clean_up,) = data["scenarios"]
    database = next(row for row in clean_up["summary"] if row["pool"] == "database")
    # 20 GB of database capacity at $40 per GB and month; nothing more to buy.
    assert database["first_shortfall"] is None
    assert database["bought_units"] == 20 and database["to_buy_units"] == 0
    assert database["addon_units"] == 20
    assert database["monthly_cost_usd"] == pytest.approx(800.0)
    baseline = next(row for row in data["baseline_summary"] if row["pool"] == "database")
    delta = next(row for row in clean_up["delta"] if row["pool"] == "database")
    assert delta["monthly_cost_usd"] == pytest.approx(800.0 - baseline["monthly_cost_usd"])
    (bought,) = clean_up["plan"]["bought"]
    assert (bought["addon_sku"], bought["units"], bought["buy_month"]) == (
        "CDS_DB_CAPACITY",
        20,
        AS_OF,
    )
    assert bought["horizon_cost_usd"] == pytest.approx(800.0 * MONTHS)
    assert "The planned changes buy 20 x" in " ".join(clean_up["plan"]["headline"]["lines"])


def test_added_addon_licenses_count_and_other_licenses_do_not() -> None:
    from planner.engine.forecast import bought_addons

    ruleset = resolve_ruleset("pooled-2025-12", AS_OF)
    months = [AS_OF, "2027-01", "2027-02"]
    changes = [
        BuyAddon(pool="log", gb=2.5, month=1, month_label="2027-01"),
        AddLicenses(sku="cds_db_capacity", quantity=3, month=2, month_label="2027-02"),
        AddLicenses(sku="DYN365_FINANCE", quantity=5),
    ]
    bought = bought_addons(changes, ruleset, months)
    assert bought["addon_sku"].tolist() == ["CDS_LOG_CAPACITY", "CDS_DB_CAPACITY"]
    assert bought["units"].tolist() == [3, 3]  # 2.5 GB of log is 3 whole 1 GB units
    assert bought["horizon_cost_usd"].tolist() == pytest.approx([3 * 10.0 * 2, 3 * 40.0 * 1])
