"""``capplan rules skus``: the SKU catalog for people (table) and scripts (json), each entry's
capacity classification checked against a rule set."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from planner.errors import printable
from planner.ruleset import RuleSet
from planner.ruleset.catalog import Catalog, CatalogChange, CatalogEntry


def classify(entry: CatalogEntry, ruleset: RuleSet) -> dict[str, Any]:
    """An entry as data, with the rule set's view of it: a rule the set lacks is unknown."""
    data = entry.as_dict()
    rule = ruleset.find_license(entry.rule) if entry.capacity == "rule" else None
    data["role"] = rule.role if rule else None
    if entry.capacity == "rule" and rule is None:
        data["capacity"] = "unknown"
        data["reason"] = f"rule set {ruleset.id} has no rule for {entry.rule}"
    if rule is not None:
        data["family"] = rule.family
    return data


def catalog_data(catalog: Catalog, ruleset: RuleSet) -> dict[str, Any]:
    skus = [classify(entry, ruleset) for entry in catalog]
    counts = Counter(s["capacity"] for s in skus)
    return {
        "catalog": catalog.path,
        "ruleset": ruleset.id,
        "count": len(skus),
        "counts": {c: counts.get(c, 0) for c in ("rule", "none", "unknown")},
        "skus": skus,
    }


def catalog_json(catalog: Catalog, ruleset: RuleSet) -> str:
    return json.dumps(catalog_data(catalog, ruleset), indent=2, ensure_ascii=False) + "\n"


def catalog_table(catalog: Catalog, ruleset: RuleSet) -> str:
    data = catalog_data(catalog, ruleset)
    counts = data["counts"]
    out = [
        f"SKU catalog: {data['count']} products ({counts['rule']} with a rule, "
        f"{counts['none']} granting no capacity, {counts['unknown']} unknown), "
        f"checked against rule set {ruleset.id}",
        f"  file: {catalog.path}",
        "",
        f"{'part number':46} {'GUID':36} {'capacity':40} display name",
    ]
    for sku in data["skus"]:
        if sku["capacity"] == "rule":
            capacity = f"rule {sku['rule']}"
        elif sku["capacity"] == "none":
            capacity = "grants no capacity"
        else:
            capacity = "unknown"
        out.append(
            f"{sku['part_number'] or '-':46} {sku['guid'] or '-':36} {capacity:40} "
            f"{sku['display_name']}"
        )
    return "\n".join(out) + "\n"


def import_report(changes: list[CatalogChange], before: int, after: Catalog, target: str) -> str:
    counts = Counter(change.kind for change in changes)
    # Printed on a terminal: whatever the file held, no character of it acts on the terminal.
    out = [printable(change.describe()) for change in changes]
    unknown = sum(1 for e in after if e.capacity == "unknown")
    out.append(
        f"{target}: {before} -> {len(after)} products; {counts.get('added', 0)} added, "
        f"{counts.get('renamed', 0)} renamed, {counts.get('part_number', 0)} with a new part "
        f"number, {counts.get('gained_guid', 0)} with a GUID now known, "
        f"{counts.get('not_in_source', 0)} no longer listed (kept); {unknown} unknown"
    )
    if not changes:
        out.insert(0, "no changes")
    return "\n".join(out) + "\n"
