"""Reconciliation: capplan's entitlement and consumption beside Microsoft's own figures.

Microsoft's tenant capacity answer splits each capacity type's entitlement into Base (the
tenant default), Incremental (per-license accrual) and AddOn (add-ons), the same split as a
capplan entitlement line's kind. Both sides are summed per pool of the rule set (under the pooled
rule set a pool sums the types that draw on it) and per license; every difference larger than
the tolerance gets a sentence saying why, or saying that capplan cannot tell. Differences are
Microsoft minus capplan.
"""

from __future__ import annotations

import msgspec
import numpy as np
import pandas as pd

from planner.model.inputs import Inputs, MicrosoftFigures
from planner.ruleset import RuleSet
from planner.ruleset.catalog import Catalog, bundled_catalog

DEFAULT_TOLERANCE_GB = 0.01

# capplan's entitlement line kinds, in Microsoft's words.
PART_OF_KIND = {
    "tenant_default": "Base",
    "per_license": "Incremental",
    "per_base_user": "Incremental",
    "capacity_addon": "AddOn",
    "sandbox_addon": "AddOn",
}
PART_WORDS = {"Base": "tenant default", "Incremental": "per-license", "AddOn": "add-on"}

POOL_COLUMNS = (
    "pool",
    "capplan_entitled_gb",
    "microsoft_entitled_gb",
    "entitled_difference_gb",
    "capplan_consumed_gb",
    "microsoft_consumed_gb",
    "microsoft_actual_gb",
    "consumed_difference_gb",
    "entitled_explanation",  # the part of the difference no license row explains; or ""
    "consumed_explanation",
)
LICENSE_COLUMNS = (
    "sku",
    "pool",
    "part",
    "capplan_units",
    "microsoft_units",
    "capplan_gb",
    "microsoft_gb",
    "difference_gb",
    "temporary",
    "expires",
    "matched_by",  # how Microsoft's skuId became a part number
    "explanation",  # why the difference exists; "" within the tolerance
)
LISTED_COLUMNS = ("capacity_type", "unit", "entitled", "rated", "note")


class Reconciliation(msgspec.Struct, frozen=True):
    source: str
    tenant_id: str
    license_model: str
    status: str
    tolerance_gb: float
    pools: pd.DataFrame  # POOL_COLUMNS
    licenses: pd.DataFrame  # LICENSE_COLUMNS
    explanations: tuple[str, ...]
    listed: pd.DataFrame  # Microsoft's types capplan lists but does not count
    unexplained_gb: dict[str, float]  # pool -> entitlement difference no license row explains

    @property
    def mismatched_licenses(self) -> pd.DataFrame:
        return self.licenses[self.licenses["difference_gb"].abs() > self.tolerance_gb]

    @property
    def mismatched_consumption(self) -> pd.DataFrame:
        return self.pools[self.pools["consumed_difference_gb"].abs() > self.tolerance_gb]


def reconcile(
    inputs: Inputs,
    ruleset: RuleSet,
    entitlement_lines: pd.DataFrame,
    classified_licenses: pd.DataFrame,
    consumption_lines: pd.DataFrame,
    capacity: pd.DataFrame,
    tolerance_gb: float = DEFAULT_TOLERANCE_GB,
    catalog: Catalog | None = None,
) -> Reconciliation | None:
    """Compare month 0 of a plan with Microsoft's figures; None when the inputs have none.
    ``catalog`` turns Microsoft's GUIDs into part numbers (default: the bundled SKU catalog)."""
    figures = inputs.microsoft
    if figures is None:
        return None
    counted = figures.capacities[figures.capacities["capacity_type"] != ""]
    pool_of_type = {t: ruleset.pool_of(t) for t in set(counted["capacity_type"])}
    licenses = _license_rows(
        figures,
        ruleset,
        entitlement_lines,
        classified_licenses,
        pool_of_type,
        catalog if catalog is not None else bundled_catalog(),
    )
    # A pool none of whose types Microsoft reports cannot be compared, license by license either.
    reported = set(pool_of_type.values())
    licenses = licenses[licenses["pool"].isin(reported)].reset_index(drop=True)
    pools = _pool_rows(figures, ruleset, capacity, pool_of_type)
    licenses["explanation"] = [
        _license_explanation(row, ruleset) if abs(row.difference_gb) > tolerance_gb else ""
        for row in licenses.itertuples(index=False)
    ]
    unexplained: dict[str, float] = {}
    entitled_words: list[str] = []
    consumed_words: list[str] = []
    for row in pools.itertuples(index=False):
        in_pool = licenses[licenses["pool"] == row.pool]["difference_gb"].sum()
        rest = row.entitled_difference_gb - in_pool
        entitled_words.append("")
        if np.isnan(row.microsoft_entitled_gb):
            entitled_words[-1] = (
                f"Microsoft's answer has no figures for {row.pool}: it cannot be compared"
            )
        elif abs(rest) > tolerance_gb:
            unexplained[row.pool] = float(rest)
            entitled_words[-1] = (
                f"{_gb(abs(rest))} of the {row.pool} entitlement difference belongs to no license "
                "Microsoft or the export names: capplan cannot explain it"
            )
        consumed_words.append(
            _consumption_explanation(row, consumption_lines, figures, tolerance_gb)
            if abs(row.consumed_difference_gb) > tolerance_gb
            and not np.isnan(row.microsoft_entitled_gb)
            else ""
        )
    pools["entitled_explanation"] = entitled_words
    pools["consumed_explanation"] = consumed_words
    explanations = [
        *(e for e in licenses["explanation"] if e),
        *(e for e in pools["entitled_explanation"] if e),
        *(e for e in pools["consumed_explanation"] if e),
    ]
    if figures.tenant_id:
        others = {s.tenant_id for s in inputs.sources if s.tenant_id} - {figures.tenant_id}
        if others:
            explanations.append(
                f"Microsoft's figures are for tenant {figures.tenant_id}, other files for "
                f"{', '.join(sorted(others))}: the differences may only mean different tenants"
            )
    return Reconciliation(
        source=figures.source,
        tenant_id=figures.tenant_id,
        license_model=figures.license_model,
        status=figures.status,
        tolerance_gb=tolerance_gb,
        pools=pools,
        licenses=licenses,
        explanations=tuple(explanations),
        listed=_listed(figures),
        unexplained_gb=unexplained,
    )


def _pool_rows(
    figures: MicrosoftFigures, ruleset: RuleSet, capacity: pd.DataFrame, pool_of_type: dict
) -> pd.DataFrame:
    counted = figures.capacities[figures.capacities["capacity_type"] != ""]
    pool = counted["capacity_type"].map(pool_of_type)
    microsoft = counted.groupby(pool)[["entitled_gb", "rated_gb", "actual_gb"]].sum(min_count=1)
    ours = capacity.set_index("pool")
    rows = []
    for name in ruleset.pool_names:
        theirs = microsoft.loc[name] if name in microsoft.index else None
        entitled = float(theirs["entitled_gb"]) if theirs is not None else np.nan
        rated = float(theirs["rated_gb"]) if theirs is not None else np.nan
        actual = float(theirs["actual_gb"]) if theirs is not None else np.nan
        capplan_entitled = float(ours.at[name, "entitled_gb"])
        capplan_consumed = float(ours.at[name, "consumed_gb"])
        rows.append(
            {
                "pool": name,
                "capplan_entitled_gb": capplan_entitled,
                "microsoft_entitled_gb": entitled,
                "entitled_difference_gb": entitled - capplan_entitled,
                "capplan_consumed_gb": capplan_consumed,
                "microsoft_consumed_gb": rated,
                "microsoft_actual_gb": actual,
                "consumed_difference_gb": rated - capplan_consumed,
            }
        )
    return pd.DataFrame(rows, columns=list(POOL_COLUMNS[:-2]))


def _part_numbers(
    figures: MicrosoftFigures, ruleset: RuleSet, classified: pd.DataFrame, catalog: Catalog
) -> tuple[list[str], list[str]]:
    """Microsoft's skuId as a part number, the rule set's spelling where it knows the SKU.

    Asked in turn: the license export of the same tenant, which names both the GUID and the
    part number; the rule set's GUIDs; the SKU catalog, which knows the GUIDs of every product
    Microsoft lists (an export without GUIDs, such as a sku,quantity sheet, still joins) and
    which rule counts a variant such as a government edition; else the entitlement code stands
    in, and the row says so.
    """
    from_export = {
        guid: sku for guid, sku in zip(classified["sku_id"], classified["sku"], strict=True) if guid
    }
    names: list[str] = []
    matched: list[str] = []
    for guid, code in zip(
        figures.licenses["sku_id"], figures.licenses["entitlement_code"], strict=True
    ):
        entry = None
        if guid in from_export:
            part, how = from_export[guid], "license export"
        elif (rule := ruleset.find_license("", guid)) is not None:
            part, how = rule.sku, "rule set"
        elif (entry := catalog.by_guid(guid)) is not None and (
            entry.part_number or entry.capacity == "rule"
        ):
            part, how = entry.part_number or entry.rule, "SKU catalog"
        else:
            part, how = code or guid, "entitlement code"
        rule = ruleset.find_license(part, guid)
        if rule is None and entry is not None and entry.capacity == "rule":
            rule = ruleset.find_license(entry.rule)
        names.append(rule.sku if rule is not None else part)
        matched.append(how)
    return names, matched


def _license_rows(
    figures: MicrosoftFigures,
    ruleset: RuleSet,
    entitlement_lines: pd.DataFrame,
    classified: pd.DataFrame,
    pool_of_type: dict,
    catalog: Catalog,
) -> pd.DataFrame:
    theirs = figures.licenses[figures.licenses["capacity_type"] != ""].copy()
    names, matched = _part_numbers(figures, ruleset, classified, catalog)
    keep = (figures.licenses["capacity_type"] != "").to_numpy()
    theirs["sku"] = pd.Series(
        [n for n, k in zip(names, keep, strict=True) if k], index=theirs.index, dtype=object
    )
    theirs["matched_by"] = pd.Series(
        [m for m, k in zip(matched, keep, strict=True) if k], index=theirs.index, dtype=object
    )
    theirs["pool"] = theirs["capacity_type"].map(pool_of_type)

    # Base: one row per pool; Microsoft lists every license that grants the default, each with
    # the whole default, so the sub-type's total is the figure (licenses do not add up).
    sub_types = figures.sub_types[figures.sub_types["capacity_type"] != ""]
    base_gb = (
        sub_types[sub_types["part"] == "Base"]
        .groupby(sub_types["capacity_type"].map(pool_of_type))["gb"]
        .sum()
    )
    lines = entitlement_lines.assign(part=entitlement_lines["kind"].map(PART_OF_KIND))
    capplan_base = lines[lines["part"] == "Base"].groupby("pool")["gb"].sum()
    base_rows = []
    for pool in ruleset.pool_names:
        granted_by = theirs[(theirs["part"] == "Base") & (theirs["pool"] == pool)]["sku"]
        families = lines[(lines["part"] == "Base") & (lines["pool"] == pool)]["family"]
        label = " + ".join(sorted(set(granted_by), key=str.casefold)) or ", ".join(
            f"{f} family" for f in sorted(set(families))
        )
        microsoft_gb = float(base_gb.get(pool, 0.0))
        capplan_gb = float(capplan_base.get(pool, 0.0))
        if not microsoft_gb and not capplan_gb:
            continue
        base_rows.append(
            {
                "sku": label or "tenant default",
                "pool": pool,
                "part": "Base",
                "capplan_units": np.nan,
                "microsoft_units": np.nan,
                "capplan_gb": capplan_gb,
                "microsoft_gb": microsoft_gb,
                "difference_gb": microsoft_gb - capplan_gb,
                "temporary": False,
                "expires": "",
                "matched_by": "",
            }
        )

    # Incremental and AddOn: per SKU, pool and part; a temporary license stays on its own row.
    accrued = theirs[theirs["part"].isin(["Incremental", "AddOn"])].copy()
    accrued["key"] = accrued["sku"].astype(str).str.casefold()
    microsoft = accrued.groupby(["key", "pool", "part", "temporary"], as_index=False).agg(
        sku=("sku", "first"),
        microsoft_units=("units", "max"),
        microsoft_gb=("gb", "sum"),
        expires=("expires", "min"),
        matched_by=("matched_by", "first"),
    )
    ours = lines[lines["part"].isin(["Incremental", "AddOn"])].copy()
    ours["key"] = ours["sku"].astype(str).str.casefold()
    ours = ours.groupby(["key", "pool", "part"], as_index=False).agg(
        sku=("sku", "first"), capplan_gb=("gb", "sum")
    )
    ours["temporary"] = False
    merged = microsoft.merge(
        ours, on=["key", "pool", "part", "temporary"], how="outer", suffixes=("", "_capplan")
    )
    merged["sku"] = merged["sku"].where(merged["sku"].notna(), merged["sku_capplan"])
    merged["temporary"] = merged["temporary"].astype(bool)
    units = _units_held(classified)
    merged["capplan_units"] = merged["key"].map(units).where(~merged["temporary"], 0)
    merged["capplan_units"] = merged["capplan_units"].fillna(0.0)
    merged["microsoft_units"] = merged["microsoft_units"].fillna(0.0)
    for column in ("capplan_gb", "microsoft_gb"):
        merged[column] = merged[column].fillna(0.0)
    merged["expires"] = merged["expires"].fillna("")
    merged["matched_by"] = merged["matched_by"].fillna("")
    merged["difference_gb"] = merged["microsoft_gb"] - merged["capplan_gb"]
    order = {p: i for i, p in enumerate(ruleset.pool_names)}
    parts = {"Base": 0, "Incremental": 1, "AddOn": 2}
    merged = merged.assign(
        _pool=merged["pool"].map(order), _part=merged["part"].map(parts)
    ).sort_values(["_pool", "_part", "key", "temporary"])
    columns = list(LICENSE_COLUMNS[:-1])
    rows = pd.concat(
        [pd.DataFrame(base_rows, columns=columns), merged[columns]],
        ignore_index=True,
    )
    rows["temporary"] = rows["temporary"].astype(bool)
    return rows.reset_index(drop=True)


def _units_held(classified: pd.DataFrame) -> dict[str, float]:
    """Units of each SKU the license export holds at month 0, keyed by part number (any case)."""
    now = classified[classified["start_month"] <= 0]
    return now.groupby(now["sku"].astype(str).str.casefold())["quantity"].sum().to_dict()


def _license_explanation(row: object, ruleset: RuleSet) -> str:
    sku, pool, part = row.sku, row.pool, row.part  # type: ignore[attr-defined]
    difference = float(row.difference_gb)  # type: ignore[attr-defined]
    more = f"{_gb(abs(difference))} {'more' if difference > 0 else 'less'}"
    if part == "Base":
        return (
            f"Microsoft's tenant default for {pool} is {_gb(row.microsoft_gb)}, the rule set's "  # type: ignore[attr-defined]
            f"{_gb(row.capplan_gb)} (defaults_combine = {ruleset.defaults_combine}; "  # type: ignore[attr-defined]
            f"granted through {sku})"
        )
    theirs, ours = int(row.microsoft_units), int(row.capplan_units)  # type: ignore[attr-defined]
    if row.temporary:  # type: ignore[attr-defined]
        expiry = f"expiring {row.expires}" if row.expires else "with no expiry date"  # type: ignore[attr-defined]
        return (
            f"{sku}: a temporary license {expiry} gives {_gb(row.microsoft_gb)} of {pool} "  # type: ignore[attr-defined]
            "that the license export does not list"
        )
    if theirs != ours:
        export = str(ours) if ours else "none"
        text = (
            f"Microsoft counts {theirs} {sku} units, the license export {export}"
            if theirs
            else f"Microsoft counts no {sku} toward {pool} {PART_WORDS[part]} capacity; the "
            f"license export has {ours} units"
        )
        if ruleset.find_license(sku) is None:
            text += f"; the rule set does not know {sku}, so capplan counts no capacity for it"
        return f"{text} ({more} {pool} for Microsoft)"
    if theirs and ours:
        per_unit_theirs = float(row.microsoft_gb) / theirs  # type: ignore[attr-defined]
        per_unit_ours = float(row.capplan_gb) / ours  # type: ignore[attr-defined]
        return (
            f"{sku}: Microsoft grants {_gb(per_unit_theirs)} of {pool} per unit as "
            f"{PART_WORDS[part]} capacity, the rule set {_gb(per_unit_ours)} "
            f"({more} for Microsoft over {theirs} units)"
        )
    return (
        f"{sku}: Microsoft gives {_gb(row.microsoft_gb)} of {pool} as {PART_WORDS[part]} "  # type: ignore[attr-defined]
        f"capacity, capplan {_gb(row.capplan_gb)}; capplan cannot explain the difference"  # type: ignore[attr-defined]
    )


def _consumption_explanation(
    row: object, lines: pd.DataFrame, figures: MicrosoftFigures, tolerance_gb: float
) -> str:
    pool = row.pool  # type: ignore[attr-defined]
    difference = float(row.consumed_difference_gb)  # type: ignore[attr-defined]
    if np.isnan(row.microsoft_consumed_gb):  # type: ignore[attr-defined]
        return f"Microsoft's answer has no consumption for {pool}"
    text = (
        f"Microsoft measures {_gb(abs(difference), 1)} {'more' if difference > 0 else 'less'} "
        f"{pool} than the inventory"
    )
    in_pool = lines[lines["pool"] == pool]
    measured = in_pool["measured_gb"].astype(float).fillna(0.0)
    uncounted = in_pool["basis"].astype(str).str.startswith("not counted")
    allowance = in_pool["basis"].astype(str).str.contains("included")
    estimated = ~in_pool["confidence"].astype(str).isin(["measured"])
    candidates = [
        (
            float((measured - in_pool["gb"])[allowance].sum()),
            "the default environment's included allowance, which capplan takes off",
        ),
        (
            float(measured[uncounted].sum()),
            "what trial and developer environments use, which capplan does not count",
        ),
        (
            float(-in_pool["gb"][estimated].sum()),
            "capplan's planning estimates for environments without a measurement",
        ),
    ]
    reasons = [
        f"it matches {what} ({_gb(abs(gb))})"
        for gb, what in candidates
        if gb and abs(abs(gb) - abs(difference)) <= max(tolerance_gb, 0.005)
    ]
    if reasons:
        return f"{text}: {'; '.join(reasons)}"
    stamps = figures.capacities["rated_updated_on"]
    when = max((s for s in stamps if s), default="")
    dated = f" (Microsoft's figures are from {when})" if when else ""
    return f"{text}{dated}; capplan cannot explain this difference"


def _listed(figures: MicrosoftFigures) -> pd.DataFrame:
    rest = figures.capacities[figures.capacities["capacity_type"] == ""]
    rows = []
    for row in rest.itertuples(index=False):
        storage = row.unit.casefold() in ("mb", "gb")
        rows.append(
            {
                "capacity_type": row.api_type,
                "unit": "GB" if storage else row.unit,
                "entitled": row.entitled_gb,
                "rated": row.rated_gb,
                "note": "listed, not counted: capplan plans Database, File, Log, "
                "FinOpsDatabase and FinOpsFile only",
            }
        )
    return pd.DataFrame(rows, columns=list(LISTED_COLUMNS))


def _gb(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f} GB".replace(".00 GB", " GB")
