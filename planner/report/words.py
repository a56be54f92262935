"""Words for people: what the human formats (text, markdown, HTML, Excel) show in place of ids.

The JSON keeps the ids (``dataverse_database``, ``linked_existing``, ``CDS_DB_CAPACITY``); a
person reads "Dataverse database", "linked to an existing Dataverse environment" and the product
name, with the part number beside it in small print. Pool titles and product names come from the
rule set; the vocabulary of capacity types, environment types and Power Platform states is the
inventory template's (docs/input-formats.md), so it lives here.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath, PureWindowsPath

import msgspec

from planner.model.units import format_gb
from planner.model.vocabulary import CAPACITY_TYPE_WORDS as CAPACITY_TYPE_WORDS
from planner.model.vocabulary import ENVIRONMENT_TYPE_WORDS as ENVIRONMENT_TYPE_WORDS
from planner.ruleset import RuleSet

POWER_PLATFORM_WORDS = {
    "none": "No Power Platform environment",
    "initial": "Initial environment, no Dataverse",
    "integrated": "Linked to a new Dataverse database",
    "linked_existing": "Linked to an existing Dataverse environment",
}
CONFIDENCE_WORDS = {
    "documented": "Documented",
    "secondary": "Secondary source",
    "assumed": "Assumed",
    "unknown": "Unknown",
    "measured": "Measured",
}
ENTITLEMENT_KIND_WORDS = {
    "tenant_default": "Tenant default",
    "per_license": "Per license",
    "capacity_addon": "Capacity add-on",
    "sandbox_addon": "Add-on sandbox",
    "per_base_user": "Per sandbox and user",
    "capacity_extension": "Capacity extension",
}


def status_words(
    status: str, deficit_gb: float | None, warning_share: float, critical_share: float
) -> str:
    """A pool's status as the admin center words it: "Within capacity", "Running low (less than
    15% left)", "Running low (less than 5% left)" or "Deficit 5.00 GB"."""
    if status == "over":
        return f"Deficit {format_gb(deficit_gb or 0.0)}"
    if status == "critical":
        return f"Running low (less than {critical_share:.0%} left)"
    if status == "warning":
        return f"Running low (less than {warning_share:.0%} left)"
    return "Within capacity"


def plural(count: float, one: str, many: str | None = None) -> str:
    """ "1 SKU", "2 SKUs", "1 row": the count and the noun that agrees with it."""
    word = one if count == 1 else (many or one + "s")
    shown = f"{count:,.0f}" if float(count).is_integer() else f"{count:,}"
    return f"{shown} {word}"


def file_name(path: str | None) -> str:
    """The name of a file without its folders (a Windows path too): what a reader recognises."""
    if not path:
        return ""
    text = str(path)
    name = PureWindowsPath(text).name if "\\" in text else PurePath(text).name
    return name or text


def sentence(text: str) -> str:
    """A sentence starts with a capital (and a part number such as ``log`` gets one too)."""
    return text[:1].upper() + text[1:] if text else text


def words(value: str | None, vocabulary: dict[str, str]) -> str:
    """A value's words from one vocabulary; an unlisted value with its underscores as spaces."""
    if value is None or value == "":
        return "-"
    return vocabulary.get(value, value.replace("_", " "))


class Names(msgspec.Struct, frozen=True):
    """Pool titles and product names of one rule set."""

    pool_titles: dict[str, str]
    products: dict[str, str]  # part number (case-folded) -> display name
    family_titles: dict[str, str]
    # The paths of the files the plan read, as given: a finding about one of them names it
    # without its folders.
    files: frozenset[str] = frozenset()

    @classmethod
    def of(cls, ruleset: RuleSet, files: Iterable[str] = ()) -> Names:
        from planner.ruleset.catalog import bundled_catalog

        catalog = bundled_catalog()
        products: dict[str, str] = {}
        for rule in ruleset.licenses:
            entry = catalog.lookup(part_number=rule.sku).entry
            name = rule.names[0] if rule.names else (entry.display_name if entry else "")
            if name:
                products[rule.sku.casefold()] = name
        return cls(
            pool_titles={p.name: p.title for p in ruleset.pools},
            products=products,
            family_titles={f.name: f.title for f in ruleset.families.values()},
            files=frozenset(files),
        )

    def pool(self, pool: str | None) -> str:
        if not pool:
            return "All pools"
        return self.pool_titles.get(pool, sentence(pool.replace("_", " ")))

    def product(self, sku: str | None) -> str:
        """A product's display name; a part number the rule set does not know stays as given."""
        if not sku:
            return ""
        return self.products.get(sku.casefold(), sku)

    def product_with_part(self, sku: str | None) -> str:
        """ "Dataverse Database Capacity add-on (CDS_DB_CAPACITY)", for plain-text formats."""
        name = self.product(sku)
        return name if not sku or name == sku else f"{name} ({sku})"

    def family(self, family: str | None) -> str:
        if not family:
            return ""
        return self.family_titles.get(family, family.replace("_", " "))


FORMAT_WORDS = {
    "graph-subscribedskus-json": "Microsoft Graph subscribedSkus (JSON)",
    "mg-subscribedsku": "Get-MgSubscribedSku export",
    "msol-accountsku": "Get-MsolAccountSku export",
    "planning-sheet": "Planning sheet (SKU and quantity)",
    "inventory": "capplan environment inventory",
    "ppac-environments-json": "Power Platform admin environment list (JSON)",
    "lcs-environments-json": "Lifecycle Services environment list (JSON)",
}
CONTAINER_WORDS = {"csv": "CSV", "xlsx": "Excel", "json": "JSON"}


def format_words(format_id: str) -> str:
    """ "inventory-csv" as "capplan environment inventory (CSV)"."""
    base, _, container = format_id.rpartition("-")
    if base in FORMAT_WORDS and container in CONTAINER_WORDS:
        return f"{FORMAT_WORDS[base]} ({CONTAINER_WORDS[container]})"
    if format_id in FORMAT_WORDS:
        return FORMAT_WORDS[format_id]
    return format_id.replace("-", " ")


def subject_words(subject: str, names: Names) -> str:
    """A finding's subject for people: a pool's title, an input file's name without its
    folders. Anything else (an environment's name, which may hold a '/') stays whole: a name
    cut at its last '/' could pass for another environment's."""
    if subject in names.pool_titles:
        return names.pool_titles[subject]
    if subject in names.files:
        return file_name(subject)
    return subject


ROLE_WORDS = {
    "base": "Base license",
    "attach": "Attach license",
    "activity": "Activity license",
    "device": "Device license",
    "team_member": "Team member license",
    "capacity_addon": "Capacity add-on",
    "sandbox_addon": "Add-on sandbox",
    "other": "Other",
}
LICENSE_STATUS_WORDS = {
    "known": "Counted",
    "unknown": "Not in the rule set; not counted",
    "not_relevant": "No storage capacity; not counted",
}
