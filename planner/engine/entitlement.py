"""What the tenant is entitled to: license rows classified against the rule set, and entitlement
lines (tenant defaults, per-license accruals, capacity add-ons, sandbox add-ons) per month.

Each line is one rule applied to one quantity; its gigabytes per month form a row of a matrix, so
the whole horizon is computed with array operations and the month-0 lines sum to the totals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.ruleset import Amount, License, RuleSet

LINE_COLUMNS = (
    "pool",
    "kind",  # tenant_default | per_license | per_base_user | capacity_addon | sandbox_addon
    "sku",
    "family",
    "quantity",
    "per_unit_gb",
    "gb",
    "source",  # URL of the rule's source
    "source_title",
    "confidence",
    "rule",
    "explanation",
)


@dataclass(frozen=True)
class Entitlement:
    licenses: pd.DataFrame  # classified license rows (see classify_licenses)
    lines: pd.DataFrame  # month-0 lines, LINE_COLUMNS
    by_pool: np.ndarray  # pools x months, GB
    line_gb: np.ndarray  # lines x months, GB (all lines, including those zero at month 0)
    line_units: np.ndarray  # lines x months: licenses held, users, or 1 where a default is granted
    line_meta: pd.DataFrame  # LINE_COLUMNS without gb/quantity, one row per line_gb row
    base_users: np.ndarray  # months: full user licenses that count for per-user sandbox amounts
    quantities: pd.DataFrame  # known SKU x months quantity


def classify_licenses(licenses: pd.DataFrame, ruleset: RuleSet) -> pd.DataFrame:
    """Attach each license row's rule: role, family, and whether it is known, unknown or irrelevant.

    ``status`` is ``known`` (in the rule set), ``unknown`` (looks like Dynamics 365, Power Platform
    or Dataverse, but the rule set does not list it) or ``not_relevant`` (Office, Windows, ...).
    """
    rules = [
        ruleset.find_license(sku, guid)
        for sku, guid in zip(licenses["sku"], licenses["sku_id"], strict=True)
    ]
    out = licenses.copy()
    out["sku_given"] = licenses["sku"]
    out["sku"] = [r.sku if r else sku for r, sku in zip(rules, licenses["sku"], strict=True)]
    out["matched_by"] = [
        ("guid" if r.guid and r.guid == guid else "sku") if r else ""
        for r, guid in zip(rules, licenses["sku_id"], strict=True)
    ]
    out["role"] = [r.role if r else "" for r in rules]
    out["family"] = [r.family if r else "" for r in rules]
    out["status"] = [
        "known" if r else ("unknown" if ruleset.looks_relevant(sku) else "not_relevant")
        for r, sku in zip(rules, licenses["sku"], strict=True)
    ]
    return out


def _quantities(known: pd.DataFrame, months: int) -> pd.DataFrame:
    """Quantity of every known SKU in every month (rows that start later add from then on)."""
    skus = sorted(set(known["sku"]), key=str.casefold)
    index = {sku: i for i, sku in enumerate(skus)}
    delta = np.zeros((len(skus), months + 1))
    starts = known["start_month"].clip(lower=0, upper=months).to_numpy()
    np.add.at(
        delta,
        (known["sku"].map(index).to_numpy(dtype=int), starts),
        known["quantity"].to_numpy(dtype=float),
    )
    quantity = np.clip(np.cumsum(delta, axis=1)[:, :months], 0, None)
    return pd.DataFrame(quantity, index=pd.Index(skus, name="sku"))


def _line(pool: str, kind: str, sku: str, family: str, amount: Amount, explanation: str) -> dict:
    return {
        "pool": pool,
        "kind": kind,
        "sku": sku,
        "family": family,
        "per_unit_gb": amount.gb,
        "source": amount.source.url,
        "source_title": amount.source.title,
        "confidence": amount.confidence,
        "rule": amount.rule,
        "explanation": explanation,
        "note": amount.note,
    }


def compute_entitlement(licenses: pd.DataFrame, ruleset: RuleSet, months: int) -> Entitlement:
    classified = classify_licenses(licenses, ruleset)
    known = classified[classified["status"] == "known"]
    quantities = _quantities(known, months)
    rule_of: dict[str, License] = {sku: ruleset.find_license(sku) for sku in quantities.index}  # type: ignore[misc]

    meta: list[dict] = []
    rows: list[np.ndarray] = []
    units: list[np.ndarray] = []

    # Full user licenses of the families that come with LCS environments count for the
    # per-user amounts of Tier 4 and 5 sandboxes.
    lcs_families = {n for n, f in ruleset.families.items() if f.included_sandboxes is not None}
    base_users = np.zeros(months)
    for sku, rule in rule_of.items():
        if rule.role == "base" and rule.family in lcs_families:
            base_users = base_users + quantities.loc[sku].to_numpy()

    for sku, rule in rule_of.items():
        quantity = quantities.loc[sku].to_numpy()
        kind = {"capacity_addon": "capacity_addon", "sandbox_addon": "sandbox_addon"}.get(
            rule.role, "per_license"
        )
        for pool, amount in rule.per_license.items():
            meta.append(
                _line(
                    pool,
                    kind,
                    rule.sku,
                    rule.family,
                    amount,
                    f"{rule.sku}: {amount.text} per license",
                )
            )
            units.append(quantity)
            rows.append(quantity * amount.gb)
        for pool, amount in rule.per_base_user.items():
            meta.append(
                _line(
                    pool,
                    "per_base_user",
                    rule.sku,
                    rule.family,
                    amount,
                    f"{rule.sku}: {amount.text} per sandbox and full user license",
                )
            )
            units.append(quantity * base_users)
            rows.append(quantity * base_users * amount.gb)

    # Tenant defaults: a family's default is granted while it has at least one base license.
    granted: dict[str, np.ndarray] = {}
    for sku, rule in rule_of.items():
        if rule.role == "base":
            has = quantities.loc[sku].to_numpy() > 0
            granted[rule.family] = granted.get(rule.family, np.zeros(months, dtype=bool)) | has
    for pool in ruleset.pool_names:
        candidates = [
            (name, ruleset.families[name].tenant_default[pool], mask)
            for name, mask in granted.items()
            if pool in ruleset.families[name].tenant_default
        ]
        if not candidates:
            continue
        values = np.array([np.where(mask, amount.gb, 0.0) for _, amount, mask in candidates])
        if ruleset.defaults_combine == "max":
            # Not cumulative: only the largest default counts, the first family on a tie.
            winner = np.argmax(values, axis=0)
            chosen = np.zeros_like(values, dtype=bool)
            chosen[winner, np.arange(months)] = True
            values = np.where(chosen, values, 0.0)
        for (name, amount, mask), gb in zip(candidates, values, strict=True):
            combine_note = (
                "largest family default applies (defaults_combine = max)"
                if ruleset.defaults_combine == "max"
                else "family defaults add up (defaults_combine = sum)"
            )
            meta.append(
                _line(
                    pool,
                    "tenant_default",
                    "",
                    name,
                    amount,
                    f"tenant default of {ruleset.families[name].title}: "
                    f"{amount.text}; {combine_note}",
                )
            )
            units.append(mask.astype(float))
            rows.append(gb)

    line_meta = pd.DataFrame(meta, columns=[*LINE_COLUMNS, "note"]).drop(columns=["quantity", "gb"])
    line_gb = np.array(rows) if rows else np.zeros((0, months))
    line_units = np.array(units) if units else np.zeros((0, months))
    pool_index = {p: i for i, p in enumerate(ruleset.pool_names)}
    by_pool = np.zeros((len(pool_index), months))
    if len(line_meta):
        np.add.at(by_pool, line_meta["pool"].map(pool_index).to_numpy(dtype=int), line_gb)

    lines = line_meta.copy()
    lines.insert(4, "quantity", line_units[:, 0] if months else [])
    lines.insert(6, "gb", line_gb[:, 0] if months else [])
    # A month-0 line is shown when it has a quantity (a license held, a default granted).
    lines = lines[lines["quantity"] > 0].reset_index(drop=True)
    return Entitlement(
        licenses=classified,
        lines=lines,
        by_pool=by_pool,
        line_gb=line_gb,
        line_units=line_units,
        line_meta=line_meta,
        base_users=base_users,
        quantities=quantities,
    )
