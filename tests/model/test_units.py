"""MB and GB inputs of the same sizes give the same plan (admin API list vs inventory)."""

from __future__ import annotations

import json

import numpy as np
from budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.ingest import load_inputs
from planner.planning import run_engine
from planner.ruleset import resolve_ruleset

SKUS = {"dataverse_production": "Production", "dataverse_sandbox": "Sandbox", "trial": "Trial"}
TYPES = {"dataverse_database": "Database", "dataverse_file": "File", "dataverse_log": "Log"}
SIZES = st.integers(0, 4_000_000).map(lambda k: k / 16)  # MB in sixteenths: exact in binary


@settings(
    max_examples=examples(20),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(st.tuples(st.sampled_from(sorted(SKUS)), SIZES, SIZES, SIZES), min_size=1, max_size=6),
    st.sampled_from(["pooled-2025-12", "split-2023"]),
)
def test_mb_and_gb_inputs_give_the_same_plan(tmp_path_factory, environments, rules) -> None:
    folder = tmp_path_factory.mktemp("units")
    listing = {"value": []}
    rows = ["name,type,dataverse_database_gb,dataverse_file_gb,dataverse_log_gb"]
    for index, (kind, database, file, log) in enumerate(environments):
        name = f"ENV{index}"
        listing["value"].append(
            {
                "name": f"00000000-0000-0000-0000-{index:012d}",
                "properties": {
                    "displayName": name,
                    "environmentSku": SKUS[kind],
                    "linkedEnvironmentMetadata": {"instanceUrl": f"https://env{index}.example"},
                    "capacity": [
                        {
                            "capacityType": TYPES[t],
                            "ratedConsumption": mb,
                            "actualConsumption": mb,
                            "capacityUnit": "MB",
                        }
                        for t, mb in zip(TYPES, (database, file, log), strict=True)
                    ],
                },
            }
        )
        rows.append(f"{name},{kind},{database / 1024!r},{file / 1024!r},{log / 1024!r}")
    api = folder / "environments.json"
    api.write_text(json.dumps(listing), encoding="utf-8")
    inventory = folder / "environments.csv"
    inventory.write_text("\n".join(rows) + "\n", encoding="utf-8")
    licenses = folder / "licenses.csv"
    licenses.write_text("sku,quantity\nDYN365_FINANCE,20\n", encoding="utf-8")
    ruleset = resolve_ruleset(rules, "2026-12")
    api_plan, inventory_plan = (
        run_engine(load_inputs([licenses, path]), ruleset, "2026-12", 3)[3]
        for path in (api, inventory)
    )
    np.testing.assert_allclose(api_plan.consumed, inventory_plan.consumed, atol=1e-9)
    np.testing.assert_allclose(api_plan.available, inventory_plan.available, atol=1e-9)
    assert (api_plan.status == inventory_plan.status).all()
