"""What the tenant is entitled to: license rows classified against the rule set, and entitlement
lines (tenant defaults, per-license accruals, capacity add-ons, sandbox add-ons) per month.

Each line is one rule applied to one quantity; its gigabytes per month form a row of a matrix, so
the whole horizon is computed with array operations and the month-0 lines sum to the totals.
"""

from __future__ import annotations

import msgspec
import numpy as np
import pandas as pd

from planner.ruleset import Amount, License, RuleSet
from planner.ruleset.catalog import Catalog
from planner.ruleset.classify import classify_licenses

__all__ = [
    "EXTENSION_MONTHS_RULE",
    "LINE_COLUMNS",
    "Entitlement",
    "classify_licenses",
    "compute_entitlement",
]

LINE_COLUMNS = (
    "pool",
    # tenant_default | per_license | per_base_user | capacity_addon | sandbox_addon, or
    # capacity_extension: a temporary extension a what-if scenario asked for (no license)
    "kind",
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


class Entitlement(msgspec.Struct, frozen=True):
    licenses: pd.DataFrame  # classified license rows (see classify_licenses)
    lines: pd.DataFrame  # month-0 lines, LINE_COLUMNS
    by_pool: np.ndarray  # pools x months, GB
    line_gb: np.ndarray  # lines x months, GB (all lines, including those zero at month 0)
    line_units: np.ndarray  # lines x months: licenses held, users, or 1 where a default is granted
    line_meta: pd.DataFrame  # LINE_COLUMNS without gb/quantity, one row per line_gb row
    base_users: np.ndarray  # months: full user licenses that count for per-user sandbox amounts
    quantities: pd.DataFrame  # known SKU x months quantity


def _family_defaults(
    pool: str,
    rule_of: dict[str, License],
    quantities: pd.DataFrame,
    ruleset: RuleSet,
    months: int,
) -> list[tuple[str, Amount, str, np.ndarray]]:
    """Per family holding base licenses: the default it grants in ``pool`` each month, once.

    Each candidate is (family, amount, edition SKU or "", months it is the one granted). Within a
    family only the largest default held counts (editions never add to their own family).
    """
    del months  # the masks carry the horizon
    offers: dict[str, list[tuple[Amount, str, np.ndarray]]] = {}
    for sku, rule in rule_of.items():
        if rule.role != "base":
            continue
        family = ruleset.families[rule.family]
        if pool in rule.tenant_default:
            amount, edition = rule.tenant_default[pool], rule.sku
        elif pool in family.tenant_default:
            amount, edition = family.tenant_default[pool], ""
        else:
            continue
        held = quantities.loc[sku].to_numpy() > 0
        bucket = offers.setdefault(rule.family, [])
        for index, (other, other_edition, mask) in enumerate(bucket):
            if other is amount:  # the family's own default, held through several SKUs
                bucket[index] = (other, other_edition, mask | held)
                break
        else:
            bucket.append((amount, edition, held))
    out: list[tuple[str, Amount, str, np.ndarray]] = []
    for family, bucket in offers.items():
        values = np.array([np.where(mask, amount.gb, -1.0) for amount, _, mask in bucket])
        winner = np.argmax(values, axis=0)
        for index, (amount, edition, mask) in enumerate(bucket):
            out.append((family, amount, edition, mask & (winner == index)))
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


# The assumption row that says how an extension's days become whole months of the plan: a rule
# of capplan's, not of the rule set (nothing to put in a rules file).
EXTENSION_MONTHS_RULE = "extension_months"


def _extension_lines(
    extensions: pd.DataFrame, ruleset: RuleSet, months: int
) -> tuple[list[dict], list[np.ndarray], list[np.ndarray]]:
    """A line per capacity extension that reaches into the horizon: its GB in the months it
    covers. Whether it was allowed, and how much, was settled when it was applied."""
    meta: list[dict] = []
    rows: list[np.ndarray] = []
    units: list[np.ndarray] = []
    month = np.arange(months)
    for row in extensions.itertuples(index=False):
        covered = (month >= row.start_month) & (month < row.end_month)
        if not covered.any() or row.pool not in ruleset.pool_names:
            continue
        count = int(row.end_month - row.start_month)
        meta.append(
            {
                "pool": row.pool,
                "kind": "capacity_extension",
                "sku": "",
                "family": "",
                "per_unit_gb": float(row.gb),
                "source": row.source,
                "source_title": row.source_title,
                "confidence": row.confidence,
                "rule": row.rule,
                "explanation": (
                    f"temporary capacity extension asked for in {row.month_label}: "
                    f"{row.gb:.2f} GB, {row.gb / row.consumed_gb:.0%} of the "
                    f"{row.consumed_gb:.2f} GB consumed then, "
                    f"counted in {count} month{'s' if count != 1 else ''}"
                ),
                "note": "",
            }
        )
        units.append(covered.astype(float))
        rows.append(np.where(covered, float(row.gb), 0.0))
    return meta, rows, units


def compute_entitlement(
    licenses: pd.DataFrame,
    ruleset: RuleSet,
    months: int,
    catalog: Catalog | None = None,
    extensions: pd.DataFrame | None = None,
) -> Entitlement:
    """The entitlement of every line and pool per month: license rules, and the capacity
    extensions a what-if scenario was allowed (``extensions``, EXTENSION_COLUMNS)."""
    classified = classify_licenses(licenses, ruleset, catalog)
    known = classified[classified["status"] == "known"]
    quantities = _quantities(known, months)
    rule_of: dict[str, License] = {sku: ruleset.find_license(sku) for sku in quantities.index}  # type: ignore[misc]

    meta: list[dict] = []
    rows: list[np.ndarray] = []
    units: list[np.ndarray] = []

    # Full user licenses count for the per-user amounts of Tier 4 and 5 sandboxes: those the
    # sandbox rule names (per_user_of), else the base licenses of the families that come with
    # finance and operations environments.
    lcs_families = {n for n, f in ruleset.families.items() if f.included_sandboxes is not None}
    held_key = {str(sku).casefold(): sku for sku in quantities.index}

    def users_for(rule: License) -> np.ndarray:
        if rule.per_user_of:
            names = sorted({name.casefold() for name in rule.per_user_of})
            counted = [held_key[name] for name in names if name in held_key]
        else:
            counted = [
                sku
                for sku, other in rule_of.items()
                if other.role == "base" and other.family in lcs_families
            ]
        return quantities.loc[counted].to_numpy().sum(axis=0) if counted else np.zeros(months)

    base_users = np.zeros(months)
    for rule in rule_of.values():
        if rule.per_base_user:
            base_users = np.maximum(base_users, users_for(rule))

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
            users = users_for(rule)
            units.append(quantity * users)
            rows.append(quantity * users * amount.gb)

    # Tenant defaults: granted once per family while it holds a base license. An edition may
    # state its own default (Finance Premium, Sales Premium); the family then grants the larger
    # one in each pool. Families combine as the rule set says (max or sum).
    for pool in ruleset.pool_names:
        candidates = _family_defaults(pool, rule_of, quantities, ruleset, months)
        if not candidates:
            continue
        values = np.array([np.where(granted, a.gb, 0.0) for _, a, _, granted in candidates])
        if ruleset.defaults_combine == "max":
            # Not cumulative: only the largest default counts, the first family on a tie.
            winner = np.argmax(values, axis=0)
            chosen = np.zeros_like(values, dtype=bool)
            chosen[winner, np.arange(months)] = True
            values = np.where(chosen, values, 0.0)
        combine_note = (
            "largest family default applies (defaults_combine = max)"
            if ruleset.defaults_combine == "max"
            else "family defaults add up (defaults_combine = sum)"
        )
        for (name, amount, edition, granted), gb in zip(candidates, values, strict=True):
            whose = f" ({edition} edition)" if edition else ""
            meta.append(
                _line(
                    pool,
                    "tenant_default",
                    edition,
                    name,
                    amount,
                    f"tenant default of {ruleset.families[name].title}{whose}: {amount.text}, "
                    f"granted once per tenant; {combine_note}",
                )
            )
            units.append(granted.astype(float))
            rows.append(gb)

    if extensions is not None and len(extensions):
        extra_meta, extra_rows, extra_units = _extension_lines(extensions, ruleset, months)
        meta += extra_meta
        rows += extra_rows
        units += extra_units

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
