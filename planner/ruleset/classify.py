"""Which rule applies to a license row: resolved through the SKU catalog against a rule set.

Ingest keeps what the file says; this is where a GUID, a part number in any case or a product
name becomes the license the plan counts, or a reason why it counts nothing.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from planner.ruleset.catalog import Catalog, bundled_catalog
from planner.ruleset.model import RuleSet


def classify_licenses(
    licenses: pd.DataFrame, ruleset: RuleSet, catalog: Catalog | None = None
) -> pd.DataFrame:
    """Resolve each license row through the SKU catalog and attach its rule.

    A row is found by GUID, else part number, else display name (``matched_by`` says which).
    ``status`` is ``known`` (a rule of the rule set applies), ``not_relevant`` (the catalog says
    it grants no capacity; ``reason`` says why) or ``unknown`` (it may carry capacity but no rule
    applies, or nothing identifies it; ``reason`` says which). A SKU the rule set itself lists
    (a user's own rules file) is known even where the catalog says otherwise.
    """
    catalog = catalog if catalog is not None else bundled_catalog()
    resolved: dict[tuple[str, str, str], _Resolved] = {}
    rows: list[_Resolved] = []
    for key in zip(licenses["sku"], licenses["sku_id"], licenses["display_name"], strict=True):
        if key not in resolved:
            resolved[key] = _resolve(*key, ruleset, catalog)
        rows.append(resolved[key])
    out = licenses.copy()
    out["sku_given"] = licenses["sku"]
    for column in _Resolved._fields:
        out[column] = [getattr(row, column) for row in rows]
    return out


class _Resolved(NamedTuple):
    sku: str  # the rule's part number when known, else the catalog's, else as given
    part_number: str  # the catalog's part number, "" when the catalog does not know the row
    product_name: str  # the catalog's display name, else the file's
    matched_by: str  # guid | part_number | display_name | ""
    role: str
    family: str
    status: str  # known | unknown | not_relevant
    reason: str


def _resolve(
    sku: str, sku_id: str, display_name: str, ruleset: RuleSet, catalog: Catalog
) -> _Resolved:
    match = catalog.lookup(guid=sku_id, part_number=sku, display_name=display_name)
    entry = match.entry
    given = sku or display_name or sku_id
    name = entry.display_name if entry else display_name
    part_number = entry.part_number if entry else ""
    # The rule set's own entries first: a user's rules file may list any SKU.
    rule = ruleset.find_license(part_number or sku, sku_id)
    how = match.matched_by
    if rule is None and entry is not None and entry.capacity == "rule":
        rule = ruleset.find_license(entry.rule)
    if rule is None and entry is None:
        rule = ruleset.find_license(sku)
        how = "part_number" if rule else ""
    if rule is not None:
        reason = entry.reason if entry and entry.capacity == "rule" else ""
        return _Resolved(rule.sku, part_number, name, how, rule.role, rule.family, "known", reason)
    label = part_number or given
    if entry is not None and entry.capacity == "none":
        return _Resolved(label, part_number, name, how, "", "", "not_relevant", entry.reason)
    if entry is not None and entry.capacity == "rule":
        reason = f"rule set {ruleset.id} has no rule for {entry.rule}"
        if any(v.sku.casefold() == entry.rule.casefold() for v in ruleset.license_versions):
            reason = f"rule set {ruleset.id} has no rule for {entry.rule} in {ruleset.as_of}"
    elif entry is not None:
        reason = entry.reason or "the SKU catalog has not classified it"
    elif match.ambiguous:
        shown = ", ".join(c.label for c in match.candidates)
        reason = f"the name matches several products of different capacity ({shown})"
    elif not sku and not sku_id:
        reason = "no product of the SKU catalog has this display name"
    else:
        reason = "not in the SKU catalog (a newer download: capplan rules import-skus)"
    return _Resolved(label, part_number, name, how, "", "", "unknown", reason)
