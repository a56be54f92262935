"""What the environments consume: measured values where the inventory has them, the rule set's
planning estimates otherwise, grown month by month, and counted the way the rule set counts.

Counting rules (all from the rule set): environment kinds that are not counted use nothing; the
default environment counts only what exceeds its included allowance; every other counted
environment uses at least the minimum of its minimum capacity type.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.model.inputs import CAPACITY_TYPES, FINANCE_OPERATIONS_TYPES, empty_pool_growth
from planner.ruleset import Amount, RuleSet

DATAVERSE_TYPES = tuple(t for t in CAPACITY_TYPES if t.startswith("dataverse_"))

LINE_COLUMNS = (
    "pool",
    "environment",
    "capacity_type",
    "gb",
    "basis",
    "confidence",  # measured | documented | secondary | assumed | unknown
    "measured_gb",
    "actual_gb",
    "growth_gb_per_month",
    "environment_type",
    "power_platform",
    "rule",
)


@dataclass(frozen=True)
class Consumption:
    environments: pd.DataFrame  # inventory rows with resolved power_platform, profile, counted
    lines: pd.DataFrame  # month-0 lines, LINE_COLUMNS
    by_pool: np.ndarray  # pools x months, GB
    by_type: dict[str, np.ndarray]  # capacity type -> environments x months, counted GB
    estimates_used: (
        pd.DataFrame
    )  # environment, capacity_type, rule, confidence, gb (estimates only)


def resolve_environments(environments: pd.DataFrame, ruleset: RuleSet) -> pd.DataFrame:
    """Fill in each row's Power Platform state (its type's default) and its estimate profile."""
    out = environments.copy()
    types = ruleset.environment_types
    default_state = out["type"].map({n: t.default_power_platform for n, t in types.items()})
    is_fno = out["type"].isin(FINANCE_OPERATIONS_TYPES)
    state = out["power_platform"].where(out["power_platform"] != "", default_state)
    out["power_platform"] = state.where(is_fno, "")
    out["power_platform_sku"] = out["type"].map({n: t.power_platform_sku for n, t in types.items()})
    out["counted"] = out["power_platform_sku"].isin(ruleset.consumption.counted_power_platform_skus)
    # Which estimate profile the Dataverse side uses, and whether there is a Dataverse side at all.
    profile = np.select(
        [is_fno, out["type"] == "default"],
        [state, "default"],
        default="dataverse",
    )
    out["profile"] = profile
    out["has_power_platform"] = ~(is_fno & (state == "none"))
    out["operations_capacity"] = (
        out["type"].map({n: t.operations_capacity for n, t in types.items()}).astype(bool)
    )
    return out


def _estimate(ruleset: RuleSet, profile: str, capacity_type: str) -> Amount | None:
    return ruleset.consumption.estimates.get(profile, {}).get(capacity_type)


def compute_consumption(
    environments: pd.DataFrame,
    ruleset: RuleSet,
    months: int,
    pool_growth: pd.DataFrame | None = None,
) -> Consumption:
    env = resolve_environments(environments, ruleset)
    if pool_growth is None:
        pool_growth = empty_pool_growth()
    count = len(env)
    month = np.arange(months)[None, :]
    start = env["start_month"].to_numpy()[:, None]
    end = env["end_month"].to_numpy()[:, None]
    active = (month >= start) & (month < end)
    elapsed = np.clip(month - start, 0, None)
    is_default = (env["type"] == "default").to_numpy()
    counted = env["counted"].to_numpy()
    minimum = ruleset.consumption.minimum
    pool_index = {p: i for i, p in enumerate(ruleset.pool_names)}
    by_pool = np.zeros((len(pool_index), months))
    by_type: dict[str, np.ndarray] = {}
    line_frames: list[pd.DataFrame] = []
    estimate_frames: list[pd.DataFrame] = []

    for capacity_type in CAPACITY_TYPES:
        dataverse_side = capacity_type in DATAVERSE_TYPES
        measured = env[f"{capacity_type}_gb"].to_numpy()
        growth = np.nan_to_num(env[f"{capacity_type}_growth_gb_per_month"].to_numpy())
        profiles = (
            np.asarray(env["profile"].to_numpy(), dtype=object)
            if dataverse_side
            else np.full(count, "operations", dtype=object)
        )
        # A handful of profiles: look each up once, then spread over the environments.
        by_profile = {p: _estimate(ruleset, p, capacity_type) for p in set(profiles.tolist())}
        estimates = [by_profile[p] for p in profiles.tolist()]
        if dataverse_side:
            # A Power Platform environment without Dataverse uses only what its profile lists.
            without_dataverse = np.isin(profiles, list(ruleset.consumption.no_dataverse_profiles))
            listed = np.array([e is not None for e in estimates], dtype=bool)
            applies = env["has_power_platform"].to_numpy() & (
                ~without_dataverse | listed | ~np.isnan(measured)
            )
        else:
            applies = env["operations_capacity"].to_numpy()
        estimate_gb = np.array([np.nan if e is None else e.gb for e in estimates], dtype=float)
        has_measure = ~np.isnan(measured)
        base = np.where(has_measure, measured, estimate_gb)
        unknown = np.isnan(base)
        raw = (np.nan_to_num(base)[:, None] + growth[:, None] * elapsed) * active
        raw = np.clip(raw, 0, None)

        # How each environment counts for this capacity type.
        not_counted = dataverse_side & ~counted
        included = ruleset.consumption.default_included.get(capacity_type)
        use_included = is_default & (included is not None)
        use_minimum = (
            counted & ~is_default & (capacity_type == ruleset.consumption.minimum_capacity_type)
        )
        value = raw
        if included is not None:
            value = np.where(use_included[:, None], np.clip(raw - included.gb, 0, None), value)
        value = np.where(use_minimum[:, None] & active, np.maximum(value, minimum.gb), value)
        value = np.where(not_counted[:, None] | ~applies[:, None], 0.0, value)
        by_type[capacity_type] = value
        by_pool[pool_index[ruleset.pool_of(capacity_type)]] += value.sum(axis=0)

        shown = applies & active[:, 0]
        if shown.any():
            line_frames.append(
                _lines(
                    env,
                    shown,
                    capacity_type,
                    ruleset,
                    value[:, 0],
                    raw[:, 0],
                    has_measure,
                    unknown,
                    not_counted,
                    use_included,
                    use_minimum,
                    profiles,
                    growth,
                )
            )
        used = applies & ~has_measure & ~not_counted
        if used.any():
            idx = np.flatnonzero(used)
            picked = [estimates[i] for i in idx]
            estimate_frames.append(
                pd.DataFrame(
                    {
                        "environment": env["name"].to_numpy()[idx],
                        "capacity_type": capacity_type,
                        "pool": ruleset.pool_of(capacity_type),
                        "rule": [
                            e.rule if e else f"consumption.estimates.{profiles[i]}"
                            for e, i in zip(picked, idx, strict=True)
                        ],
                        "confidence": [e.confidence if e else "unknown" for e in picked],
                        "gb": [e.gb if e else np.nan for e in picked],
                        "note": [e.note if e else "" for e in picked],
                        "start_month": env["start_month"].to_numpy()[idx],
                    }
                )
            )

    # Extra growth of whole pools (what-if): no line at month 0, where it adds nothing yet.
    for row in pool_growth.itertuples(index=False):
        if row.pool not in pool_index:
            continue
        elapsed = np.arange(months) - int(row.start_month)
        base = 0.0 if pd.isna(row.gb_at_start) else float(row.gb_at_start)
        ramp = np.where(elapsed >= 0, base + np.clip(elapsed, 0, None) * float(row.gb_per_month), 0)
        by_pool[pool_index[row.pool]] += ramp

    lines = (
        pd.concat(line_frames, ignore_index=True)
        if line_frames
        else pd.DataFrame(columns=list(LINE_COLUMNS))
    )
    estimates_used = (
        pd.concat(estimate_frames, ignore_index=True)
        if estimate_frames
        else pd.DataFrame(
            columns=[
                "environment",
                "capacity_type",
                "pool",
                "rule",
                "confidence",
                "gb",
                "note",
                "start_month",
            ]
        )
    )
    return Consumption(env, lines, by_pool, by_type, estimates_used)


def _lines(
    env: pd.DataFrame,
    shown: np.ndarray,
    capacity_type: str,
    ruleset: RuleSet,
    value: np.ndarray,
    raw: np.ndarray,
    has_measure: np.ndarray,
    unknown: np.ndarray,
    not_counted: np.ndarray,
    use_included: np.ndarray,
    use_minimum: np.ndarray,
    profiles: np.ndarray,
    growth: np.ndarray,
) -> pd.DataFrame:
    """Month-0 consumption lines, each explained in words: where the number came from and how it
    counts. Built column-wise so that thousands of environments cost no per-row Python work."""
    idx = np.flatnonzero(shown)
    minimum = ruleset.consumption.minimum
    included = ruleset.consumption.default_included.get(capacity_type)
    profile = pd.Series(profiles[idx], dtype=object)
    # The estimate depends on the profile alone: describe each profile once, then map.
    by_profile = {p: _estimate(ruleset, p, capacity_type) for p in set(profile.tolist())}
    estimate_text = profile.map(
        {
            p: f"estimate ({p}): {e.text}" + (f", {e.note}" if e.note else "") if e else ""
            for p, e in by_profile.items()
        }
    )
    has_actual = ~np.isnan(env[f"{capacity_type}_actual_gb"].to_numpy()[idx])
    text = pd.Series(
        np.where(
            has_measure[idx],
            np.where(has_actual, "measured (rated)", "measured"),
            np.where(
                unknown[idx],
                "unknown: not measured and the rule set has no estimate; counted as 0 GB",
                estimate_text,
            ),
        )
    )
    confidence = np.where(
        has_measure[idx],
        "measured",
        np.where(
            unknown[idx],
            "unknown",
            profile.map({p: e.confidence if e else "" for p, e in by_profile.items()}),
        ),
    )
    rule = np.where(
        has_measure[idx],
        "",
        np.where(
            unknown[idx],
            "consumption.estimates." + profile.astype(str),
            profile.map({p: e.rule if e else "" for p, e in by_profile.items()}),
        ),
    )
    if included is not None:
        text = text.where(
            ~use_included[idx],
            text + f"; only usage above the default environment's included {included.text} counts",
        )
    raised = use_minimum[idx] & (raw[idx] < minimum.gb)
    text = text.where(~raised, text + f"; raised to the minimum of {minimum.text} per environment")
    grows = growth[idx] != 0
    rate_text = "; grows " + pd.Series(growth[idx]).map("{:.3g}".format) + " GB per month"
    basis_column = f"{capacity_type}_growth_basis"
    if basis_column in env.columns:
        fitted = pd.Series(env[basis_column].fillna("").to_numpy()[idx], dtype=object)
        rate_text = rate_text.where(fitted == "", rate_text + " (" + fitted + ")")
    text = text.where(~grows, text + rate_text)
    sku = env["power_platform_sku"].to_numpy()[idx]
    text = text.where(
        ~not_counted[idx], "not counted (" + pd.Series(sku) + " environment); " + text
    )
    return pd.DataFrame(
        {
            "pool": ruleset.pool_of(capacity_type),
            "environment": env["name"].to_numpy()[idx],
            "capacity_type": capacity_type,
            "gb": value[idx],
            "basis": text.to_numpy(),
            "confidence": confidence,
            "measured_gb": env[f"{capacity_type}_gb"].to_numpy()[idx],
            "actual_gb": env[f"{capacity_type}_actual_gb"].to_numpy()[idx],
            "growth_gb_per_month": growth[idx],
            "environment_type": env["type"].to_numpy()[idx],
            "power_platform": env["power_platform"].to_numpy()[idx],
            "rule": rule,
        }
    )
