"""Findings about what was bought: the minimum purchase of finance and operations licenses and the
sandboxes the licenses pay for. Checked in month 0 and in every month a planned change (licenses
added or removed, environments added or deleted) takes effect.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner.checks.registry import check
from planner.checks.timeline import among, evaluation_months, month_label
from planner.results import Finding, findings_of

if TYPE_CHECKING:
    from planner.results import Plan

SANDBOX_TYPES = ("sandbox", "addon_sandbox")


def _held(plan: Plan, role: str, family: str | None = None) -> dict[str, np.ndarray]:
    """Quantity per month of each known SKU with this role (and family)."""
    quantities = plan.entitlement_detail.quantities
    held: dict[str, np.ndarray] = {}
    for sku in quantities.index:
        rule = plan.ruleset.find_license(str(sku))
        if rule is None or rule.role != role or (family is not None and rule.family != family):
            continue
        held[rule.sku] = quantities.loc[sku].to_numpy(dtype=float)
    return held


@check("BELOW_MINIMUM_LICENSES", "warning")
def below_minimum_licenses(plan: Plan) -> Iterator[Finding]:
    """Fewer base licenses of a finance and operations family than its minimum purchase.

    Finance, Supply Chain Management, Commerce and Project Operations are sold with a minimum
    number of base licenses (``minimum_base_licenses`` of the family in the rule set; a smaller
    minimum of an edition, ``minimum_base_licenses`` of its license, applies while the tenant
    holds that edition, as for the Premium editions). Raised only for a family the tenant holds
    base licenses of, in the first month the count is below the minimum; the subject is the
    family's base SKUs.
    """
    months = evaluation_months(plan)
    for name, family in sorted(plan.ruleset.families.items()):
        held = _held(plan, "base", name)
        if not held:
            continue
        total = np.sum(list(held.values()), axis=0)
        for month in months:
            # An edition may have its own, smaller minimum (the Premium editions): the smallest
            # minimum of the editions held that month applies to the family.
            minimums = [
                rule.minimum_base_licenses or family.minimum_base_licenses
                for sku, quantity in held.items()
                if quantity[month] > 0
                and (rule := plan.ruleset.find_license(sku)) is not None
                and (rule.minimum_base_licenses or family.minimum_base_licenses)
            ]
            if not minimums:
                continue
            minimum = min(m for m in minimums if m is not None)
            count = int(np.rint(total[month]))
            if not 0 < count < minimum:
                continue
            skus = ", ".join(sorted(sku for sku, q in held.items() if q[month] > 0))
            when = month_label(plan, month)
            yield Finding(
                "BELOW_MINIMUM_LICENSES",
                "warning",
                skus,
                f"{count} base licenses of {family.title} in {when}, below the minimum purchase "
                f"of {minimum}: buy {minimum - count} more base licenses of the family, or check "
                "the license export for missing units.",
                month=when,
            )
            break


def sandbox_entitlement(
    plan: Plan,
) -> tuple[dict[str, np.ndarray], np.ndarray, dict[int, str]]:
    """What pays for sandboxes: per family with included sandboxes, the base licenses held in
    each month; the sandbox add-on licenses held in each month; and each tier's add-on SKU."""
    ruleset = plan.ruleset
    base = {
        name: np.sum(list(held.values()), axis=0)
        for name, family in ruleset.families.items()
        if family.included_sandboxes is not None and (held := _held(plan, "base", name))
    }
    addons = _held(plan, "sandbox_addon")
    addon_total = np.sum(list(addons.values()), axis=0) if addons else np.zeros(plan.months)
    tier_skus = {
        rule.tier: rule.sku
        for rule in ruleset.licenses
        if rule.role == "sandbox_addon" and rule.tier
    }
    return base, addon_total, tier_skus


def sandboxes_paid(
    plan: Plan, base: dict[str, np.ndarray], addon_total: np.ndarray, month: int
) -> tuple[int, int]:
    """The sandboxes the licenses pay for in ``month`` (``base`` and ``addon_total`` as
    :func:`sandbox_entitlement` gives them): those included with the finance and operations
    licenses (the most any family held then includes, once per tenant) and the add-ons bought."""
    families = plan.ruleset.families
    included = max(
        (
            families[name].included_sandboxes or 0
            for name, total in base.items()
            if total[month] > 0
        ),
        default=0,
    )
    return included, int(np.rint(addon_total[month]))


@check("SANDBOXES_EXCEED_ENTITLEMENT", "warning")
def sandboxes_exceed_entitlement(plan: Plan) -> list[Finding]:
    """More sandbox environments than the licenses pay for.

    The finance and operations license purchase includes a number of sandbox environments
    (``included_sandboxes`` of the family in the rule set, counted once per tenant); every other
    sandbox needs a sandbox add-on license of its tier. Counts the ``sandbox`` and
    ``addon_sandbox`` rows that exist in a month against the included sandboxes plus the sandbox
    add-on licenses held then. The included sandboxes are matched first, then add-on sandboxes in
    the order they appear; one finding names each sandbox left uncovered. Skipped when no
    licenses were given, since then nothing can be compared.
    """
    if plan.licenses.empty:
        return []
    base, addon_total, tier_skus = sandbox_entitlement(plan)

    environments = plan.environments
    types = environments["type"].to_numpy()
    sandbox_rows = np.flatnonzero(among(types, SANDBOX_TYPES))
    # The sandboxes, included ones first (type sandbox), then add-ons by the month they appear.
    order = sandbox_rows[
        np.lexsort(
            (
                sandbox_rows,
                environments["start_month"].to_numpy()[sandbox_rows],
                types[sandbox_rows] != "sandbox",
            )
        )
    ]
    starts, ends = (environments[c].to_numpy()[order] for c in ("start_month", "end_month"))
    # The sandboxes left uncovered in each month, one after another, and what each month's
    # messages open with.
    uncovered: list[np.ndarray] = []
    opening: list[str] = []
    labels: list[str] = []
    for month in evaluation_months(plan):
        included, bought = sandboxes_paid(plan, base, addon_total, month)
        covered = included + bought
        sandboxes = order[(starts <= month) & (ends > month)]  # as active() has them
        if len(sandboxes) <= covered:
            continue
        when = month_label(plan, month)
        uncovered.append(sandboxes[covered:])
        opening.append(
            f"{len(sandboxes)} sandbox environments in {when}, but the licenses cover "
            f"{covered} ({included} included with the finance and operations licenses, "
            f"{bought} sandbox add-on licenses); "
        )
        labels.append(when)
    if not uncovered:
        return []
    rows = np.concatenate(uncovered)
    month_of = np.repeat(np.arange(len(uncovered)), [len(r) for r in uncovered])
    # Each sandbox once, in the first month it is uncovered.
    names = pd.Series(environments["name"].to_numpy()[rows], dtype=object)
    if not set(map(type, names.tolist())) <= {str}:  # names are text, as astype leaves them
        names = names.astype(str)
    first = ~names.duplicated().to_numpy()
    rows, month_of, subjects = rows[first], month_of[first].tolist(), names[first].tolist()
    # What to buy, worked out once per tier (code -1: no tier given).
    tiers, distinct = pd.factorize(environments["tier"].to_numpy()[rows])
    any_tier = (
        "buy a sandbox add-on license of its tier ("
        + ", ".join(tier_skus[t] for t in sorted(tier_skus))
        + ") for it"
    )
    buys = [
        f"buy {sku} for it" if (sku := tier_skus.get(int(tier))) else any_tier
        for tier in distinct.tolist()
    ] + [any_tier]
    messages = [
        f"{opening[k]}{name} is not covered: {buys[tier]}, or delete it."
        for k, name, tier in zip(month_of, subjects, tiers.tolist(), strict=True)
    ]
    months = [labels[k] for k in month_of]
    return findings_of("SANDBOXES_EXCEED_ENTITLEMENT", "warning", subjects, messages, months)
