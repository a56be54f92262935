"""Findings about the license export and the rule set's numbers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePath
from typing import TYPE_CHECKING

from planner.checks.registry import check
from planner.engine.consumption import FLAT_GROWTH_RULE
from planner.engine.entitlement import EXTENSION_MONTHS_RULE
from planner.results import Finding
from planner.ruleset.catalog import bundled_catalog

if TYPE_CHECKING:
    from planner.results import Plan


@check("UNKNOWN_SKU", "warning")
def unknown_sku(plan: Plan) -> Iterator[Finding]:
    """A license that may carry capacity, but no rule of the rule set applies to it.

    Raised for a SKU the SKU catalog says carries capacity but the rule set has no rule for, one
    the catalog has not classified yet, one the catalog does not know at all (a newer product:
    ``capplan rules import-skus``), and a display name that matches no product or several of
    different capacity; the message names the rows. Its capacity is not counted. A SKU the
    catalog says grants no capacity (free, trial, Office) raises nothing: the plan lists it under
    ignored licenses with the reason.
    """
    unknown = plan.licenses[plan.licenses["status"] == "unknown"]
    for sku, rows in unknown.groupby("sku", sort=True):
        quantity = int(rows["quantity"].sum())
        where = ", ".join(
            sorted(
                {
                    f"{PurePath(str(s)).name} {loc}".strip()
                    for s, loc in zip(rows["source"], rows["location"], strict=True)
                }
            )
        )
        name = str(rows["product_name"].iloc[0])
        named = f" ({name})" if name and name != sku else ""
        reason = str(rows["reason"].iloc[0])
        yield Finding(
            "UNKNOWN_SKU",
            "warning",
            str(sku),
            f"{sku}{named}, {quantity} units, {where}: {reason}; its capacity is not counted. "
            "Add it to your own rules file with its role and amounts if it accrues any.",
        )


@check("ASSUMED_VALUE", "info")
def assumed_value(plan: Plan) -> Iterator[Finding]:
    """The plan uses a number no public source gives (confidence ``assumed`` in the rule set).

    Each one is listed under assumptions with its reason; replace it with your contract's figure in
    your own rules file if you know it.
    """
    titles = {p.name: p.title for p in plan.ruleset.pools}
    for row in plan.assumptions.itertuples(index=False):
        if row.rule == FLAT_GROWTH_RULE:
            continue  # GROWTH_UNKNOWN says it
        if row.rule == EXTENSION_MONTHS_RULE:
            continue  # how the plan counts months, not a number a rules file could give
        subject = next((v for v in (row.sku, row.pool) if isinstance(v, str)), "tenant")
        # The Assumptions list states the value and the reason; the finding points there
        # instead of saying it all again.
        where = [titles.get(row.pool, row.pool)] if isinstance(row.pool, str) else []
        if isinstance(row.sku, str):
            rule = plan.ruleset.find_license(row.sku)
            entry = bundled_catalog().lookup(part_number=row.sku).entry
            name = rule.names[0] if rule and rule.names else entry.display_name if entry else ""
            where.insert(0, name or row.sku)
        what = ", ".join(where) or "the whole tenant"
        yield Finding(
            "ASSUMED_VALUE",
            "info",
            str(subject),
            f"The plan uses an assumed number for {what} ({row.value}), listed under "
            "Assumptions with the reason; put your contract's figure in your own rules file "
            "if you know it.",
        )


@check("LICENSES_IN_SEVERAL_FILES", "warning")
def licenses_in_several_files(plan: Plan) -> Iterator[Finding]:
    """The same SKU comes from more than one license file, and their quantities add up.

    That is right when a planning sheet adds to an export, and wrong when two exports of the same
    tenant were given (the licenses count twice): give one export per tenant.
    """
    given = plan.licenses[plan.licenses["location"] != "what-if"]
    files_of = given.groupby("sku")["source"].agg(lambda sources: tuple(sorted(set(sources))))
    shared = files_of[files_of.map(len) > 1]
    for files, skus in shared.groupby(shared, sort=True):
        names = sorted(skus.index)
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        # Files by name: the folders they sit in mean nothing to the reader of a report.
        shown_files = [PurePath(str(f)).name for f in files]
        count = f"{len(names)} SKU{'' if len(names) == 1 else 's'}"
        yield Finding(
            "LICENSES_IN_SEVERAL_FILES",
            "warning",
            " + ".join(shown_files),
            f"{count} ({shown}) {'is' if len(names) == 1 else 'are'} in each of "
            f"{', '.join(shown_files)}; their quantities add up. Give one export per tenant "
            "unless the files add to each other.",
        )
