"""Findings about the license export and the rule set's numbers."""

from __future__ import annotations

import re
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
    different capacity; the message names the rows (the first ten, then how many more). Its
    capacity is not counted. A SKU the catalog says grants no capacity (free, trial, Office)
    raises nothing: the plan lists it under ignored licenses with the reason.
    """
    unknown = plan.licenses[plan.licenses["status"] == "unknown"]
    if unknown.empty:
        return
    # One pass over the rows, grouped by SKU: an export can list tens of thousands.
    file_names: dict[str, str] = {}  # a file's name by its path, worked out once per file
    quantities: dict[str, int] = {}
    places: dict[str, set[str]] = {}
    first: dict[str, tuple[str, str]] = {}  # the SKU's first row: its product name and reason
    for sku, quantity, source, location, name, reason in zip(
        unknown["sku"].astype(str).tolist(),
        unknown["quantity"].tolist(),
        unknown["source"].astype(str).tolist(),
        unknown["location"].tolist(),
        unknown["product_name"].tolist(),
        unknown["reason"].tolist(),
        strict=True,
    ):
        if source not in file_names:
            file_names[source] = PurePath(source).name
        quantities[sku] = quantities.get(sku, 0) + quantity
        places.setdefault(sku, set()).add(f"{file_names[source]} {location}".strip())
        first.setdefault(sku, (str(name), str(reason)))
    for sku in sorted(quantities):
        listed = sorted(places[sku], key=_in_row_order)
        where = ", ".join(listed[:PLACES_SHOWN])
        if len(listed) > PLACES_SHOWN:
            where += f" and {len(listed) - PLACES_SHOWN:,} more rows"
        name, reason = first[sku]
        named = f" ({name})" if name and name != sku else ""
        yield Finding(
            "UNKNOWN_SKU",
            "warning",
            sku,
            f"{sku}{named}, {int(quantities[sku])} units, {where}: {reason}; its capacity is not "
            "counted. Add it to your own rules file with its role and amounts if it accrues any.",
        )


# Rows named in an UNKNOWN_SKU message; the rest are counted.
PLACES_SHOWN = 10


def _in_row_order(place: str) -> list[tuple[int, str]]:
    """Sort key: "licenses.csv row 9" before "licenses.csv row 10"."""
    # split() puts the runs of digits at the odd places; "²" is a digit to isdigit(), not to int().
    return [
        (int(part), "") if index % 2 else (-1, part)
        for index, part in enumerate(_DIGITS.split(place))
    ]


_DIGITS = re.compile(r"([0-9]+)")


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
    if given["source"].nunique() < 2:
        return
    # The files of each SKU given in more than one: from the distinct (SKU, file) pairs, so
    # that a long export costs one pass.
    pairs = given[["sku", "source"]].drop_duplicates()
    pairs = pairs[pairs["sku"].duplicated(keep=False)]
    shared = pairs.groupby("sku")["source"].agg(lambda sources: tuple(sorted(set(sources))))
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
