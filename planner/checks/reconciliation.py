"""Findings about the inputs beside Microsoft's own figures (the tenant capacity answer)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from planner.checks.registry import check
from planner.results import Finding

if TYPE_CHECKING:
    from planner.results import Plan

_FILE_KIND_WORDS = {
    "licenses": "license export",
    "environments": "environment list",
    "tenant_capacity": "tenant capacity answer",
}


@check("ENTITLEMENT_MISMATCH", "warning")
def entitlement_mismatch(plan: Plan) -> Iterator[Finding]:
    """Microsoft's tenant capacity answer grants a license more or less capacity than capplan.

    The finding names the SKU and says why where capplan can tell: Microsoft counts more or
    fewer units than the license export (an add-on bought after the export, a temporary
    license), or a different amount per unit than the rule set. Check the license export is
    current; where Microsoft's per-unit figure differs, put your contract's figure in your own
    rules file.
    """
    reconciliation = plan.reconciliation
    if reconciliation is None:
        return
    for row in reconciliation.mismatched_licenses.itertuples(index=False):
        yield Finding(
            "ENTITLEMENT_MISMATCH",
            "warning",
            str(row.sku),
            f"{row.pool}, {row.part}: Microsoft {row.microsoft_gb:,.2f} GB, capplan "
            f"{row.capplan_gb:,.2f} GB. {_sentence(row.explanation)}",
        )
    for pool, gb in reconciliation.unexplained_gb.items():
        yield Finding(
            "ENTITLEMENT_MISMATCH",
            "warning",
            pool,
            f"{abs(gb):,.2f} GB of the {pool} entitlement difference belongs to no license "
            "either side names; capplan cannot explain it.",
        )


@check("CONSUMPTION_MISMATCH", "warning")
def consumption_mismatch(plan: Plan) -> Iterator[Finding]:
    """Microsoft's rated consumption of a pool differs from what capplan counts from the inventory.

    The finding names the pool and gives the reason where capplan can tell (the default
    environment's included allowance, environments capplan does not count, planning estimates
    used where the inventory has no measurement). Otherwise the inventory is probably older or
    newer than Microsoft's figures, or misses environments: export both on the same day.
    """
    reconciliation = plan.reconciliation
    if reconciliation is None:
        return
    for row in reconciliation.mismatched_consumption.itertuples(index=False):
        yield Finding(
            "CONSUMPTION_MISMATCH",
            "warning",
            str(row.pool),
            f"Microsoft rates {row.microsoft_consumed_gb:,.2f} GB of {row.pool} used, capplan "
            f"counts {row.capplan_consumed_gb:,.2f} GB. {_sentence(row.consumed_explanation)}",
        )


@check("TENANT_MISMATCH", "error")
def tenant_mismatch(plan: Plan) -> Iterator[Finding]:
    """The input files come from different tenants.

    Graph's ``accountId``, the admin API's ``properties.tenantId`` and the tenant capacity
    answer's ``tenantId`` name the tenant a file describes; when two of them differ, the plan
    mixes one tenant's licenses with another's environments or figures. Export every file from
    the same tenant.
    """
    by_tenant: dict[str, list[str]] = {}
    for source in plan.inputs.sources:
        if source.tenant_id:
            by_tenant.setdefault(source.tenant_id, []).append(source.path)
    if len(by_tenant) < 2:
        return
    described = "; ".join(
        f"{tenant}: {', '.join(paths)}" for tenant, paths in sorted(by_tenant.items())
    )
    kinds = {s.path: _FILE_KIND_WORDS.get(s.kind, s.kind) for s in plan.inputs.sources}
    first, *others = sorted(by_tenant.items(), key=lambda item: -len(item[1]))
    odd = ", ".join(f"{kinds[p]} {p}" for _, paths in others for p in paths)
    yield Finding(
        "TENANT_MISMATCH",
        "error",
        " + ".join(sorted(by_tenant)),
        f"the files come from {len(by_tenant)} tenants ({described}); the {odd} does not "
        f"belong to tenant {first[0]}. Export every file from the same tenant.",
    )


def _sentence(text: str) -> str:
    if not text:
        return "capplan cannot explain the difference."
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
