"""Rule sets as data: the model of a rule set (model.py) and its loader (load.py).

A rule set states pools, borrowing, licenses with their amounts and sources, planning estimates,
thresholds and add-on prices. The bundled ones live in ``rules/``; users add their own file.
"""

from planner.ruleset.catalog import Catalog, CatalogEntry, Match, bundled_catalog
from planner.ruleset.load import (
    bundled_rulesets,
    load_ruleset_file,
    load_ruleset_text,
    resolve_ruleset,
    ruleset_file,
)
from planner.ruleset.model import (
    Addon,
    Amount,
    Borrowing,
    Consumption,
    EnvironmentType,
    Family,
    License,
    Overage,
    Pool,
    Ratio,
    RuleSet,
    Source,
    Thresholds,
)

__all__ = [
    "Addon",
    "Amount",
    "Borrowing",
    "Catalog",
    "CatalogEntry",
    "Consumption",
    "EnvironmentType",
    "Family",
    "License",
    "Match",
    "Overage",
    "Pool",
    "Ratio",
    "RuleSet",
    "Source",
    "Thresholds",
    "bundled_catalog",
    "bundled_rulesets",
    "load_ruleset_file",
    "load_ruleset_text",
    "resolve_ruleset",
    "ruleset_file",
]
