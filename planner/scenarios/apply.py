"""Planned changes applied to Inputs: a pure function from Inputs to Inputs, one rule per class.

The engine never knows whether it plans the tenant as it is or as it might be. Changes take
effect from a month (an offset from month 0) and are applied in month order, then in the order
written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import singledispatch
from typing import Any

import numpy as np
import pandas as pd

from planner.engine.consumption import DATAVERSE_TYPES
from planner.engine.forecast import SHARE_TOLERANCE, TOLERANCE_GB
from planner.errors import InputError
from planner.model.changes import (
    AddEnvironment,
    AddLicenses,
    BuyAddon,
    Change,
    DeleteEnvironment,
    LinkExistingDataverse,
    LinkNewDataverse,
    RemoveLicenses,
    RequestExtension,
    SetGrowth,
)
from planner.model.inputs import (
    CAPACITY_TYPES,
    FINANCE_OPERATIONS_TYPES,
    NEVER,
    Inputs,
    environment_frame,
    license_frame,
    name_key,
    name_keys,
)
from planner.model.limits import MAX_EDITED_ROWS
from planner.model.months import format_month, months_of_days, parse_month
from planner.planning import run_engine
from planner.ruleset import RuleSet
from planner.ruleset.classify import classify_licenses

DEFAULT_SANDBOX_TIER = 2  # the tier an add-on sandbox gets when none is named


def origin_error(origin: str, message: str, expected: str | None = None) -> InputError:
    """A refusal naming where a change was written: a file and its entry, or a flag."""
    file, _, location = origin.partition(", ")
    if not location:
        return InputError(f"{origin}: {message}", expected=expected)
    return InputError(message, file=file, location=location, expected=expected)


def _fail(change: Change, message: str, expected: str | None = None) -> InputError:
    return origin_error(change.origin, message, expected)


def _active(environments: pd.DataFrame, name: str, month: int) -> pd.Series:
    return (
        (environments["name"] == name)
        & (environments["start_month"] <= month)
        & (environments["end_month"] > month)
    )


def _existing(inputs: Inputs, change: Change, name: str) -> pd.Series:
    """The row of environment ``name`` in the change's month; refused when there is none."""
    mask = _active(inputs.environments, name, change.month)
    if not mask.any():
        raise _fail(
            change,
            f"no environment named {name!r} exists in {change.month_label}",
            expected=_names(inputs.environments, change.month),
        )
    return mask


def _split_row(
    environments: pd.DataFrame, mask: pd.Series, month: int, update: Mapping[str, Any]
) -> pd.DataFrame:
    """End the active row at ``month`` and continue it from there with ``update`` applied.

    Measured usage carries on from where its growth has brought it, so nothing jumps.
    """
    index = environments.index[mask][0]
    row = environments.loc[index].to_dict()
    elapsed = month - int(row["start_month"])
    for capacity_type in CAPACITY_TYPES:
        usage = row[f"{capacity_type}_gb"]
        growth = row[f"{capacity_type}_growth_gb_per_month"]
        if not pd.isna(usage) and not pd.isna(growth):
            row[f"{capacity_type}_gb"] = usage + growth * elapsed
    row.update(update)
    row["start_month"] = month
    out = environments.copy()
    if elapsed == 0:
        out = out.drop(index)
    else:
        out.loc[index, "end_month"] = month
    return pd.concat([out, environment_frame([row])], ignore_index=True)


@singledispatch
def apply_change(change: Change, inputs: Inputs, ruleset: RuleSet) -> Inputs:
    """The inputs with one planned change made; each change class registers its rule."""
    raise _fail(change, f"a {change.kind} change cannot be applied to inputs")


def license_of(sku: str, ruleset: RuleSet) -> str:
    """The license a what-if names, as the plan counts it: a part number, GUID or display name
    resolved through the SKU catalog to its rule."""
    row = license_frame([{"sku": sku, "quantity": 0}])
    return str(classify_licenses(row, ruleset)["sku"].iloc[0])


@dataclass
class _NewRows:
    """Rows changes add, gathered and appended to the tables at once: a typed one-row frame and
    a concatenation cost milliseconds each, so 200 added environments one by one took seconds.
    ``licenses_of`` remembers how each SKU a change names resolves."""

    environments: list[dict[str, Any]] = field(default_factory=list)
    licenses: list[dict[str, Any]] = field(default_factory=list)
    licenses_of: dict[str, str] = field(default_factory=dict)
    _names: tuple[pd.DataFrame, dict[str, str]] | None = None

    def names_of(self, environments: pd.DataFrame) -> dict[str, str]:
        """Each environment name by the form it is compared in (see ``name_key``; the first
        of a form): the table's, read once per table, then those added."""
        if self._names is None or self._names[0] is not environments:
            # Plain Python strings: iterating pandas' string array costs a call per element.
            given = list(map(str, environments["name"].to_numpy(dtype=object).tolist()))
            # Built from the last name to the first: the first of each form is kept.
            names = dict(zip(reversed(name_keys(given)), reversed(given), strict=True))
            for row in self.environments:
                names.setdefault(name_key(row["name"]), row["name"])
            self._names = (environments, names)
        return self._names[1]

    def license(self, sku: str, quantity: int, change: Change) -> None:
        """A license row the change adds (negative quantities remove) from its month on."""
        self.licenses.append(
            {
                "sku": sku,
                "quantity": quantity,
                "source": change.origin,
                "location": "what-if",
                "start_month": change.month,
            }
        )

    def added_to(self, inputs: Inputs) -> Inputs:
        """The inputs with the gathered rows appended (in the order added); none are left."""
        if self.environments:
            added = environment_frame(self.environments)
            environments = pd.concat([inputs.environments, added], ignore_index=True)
            inputs = inputs.with_tables(environments=environments)
        if self.licenses:
            licenses = pd.concat([inputs.licenses, license_frame(self.licenses)], ignore_index=True)
            inputs = inputs.with_tables(licenses=licenses)
        self.environments, self.licenses = [], []
        return inputs


def _add_licenses(change: AddLicenses, inputs: Inputs, ruleset: RuleSet, rows: _NewRows) -> None:
    if change.sku not in rows.licenses_of:
        rows.licenses_of[change.sku] = license_of(change.sku, ruleset)
    rows.license(rows.licenses_of[change.sku], change.quantity, change)


@apply_change.register
def _(change: AddLicenses, inputs: Inputs, ruleset: RuleSet) -> Inputs:
    rows = _NewRows()
    _add_licenses(change, inputs, ruleset, rows)
    return rows.added_to(inputs)


@apply_change.register
def _(change: RemoveLicenses, inputs: Inputs, ruleset: RuleSet) -> Inputs:
    sku = license_of(change.sku, ruleset)
    held = inputs.licenses
    # Rows held under another name of the same license (a GUID, a government part number)
    # count too.
    counted = classify_licenses(held, ruleset)["sku"] if len(held) else held["sku"]
    rows = held[
        (counted.str.casefold() == sku.casefold()).to_numpy()
        & (held["start_month"] <= change.month).to_numpy()
    ]
    holding = int(rows["quantity"].sum())
    if holding < change.quantity:
        raise _fail(
            change,
            f"cannot remove {change.quantity} x {sku}: the tenant holds "
            f"{holding} in {change.month_label}",
            expected=f"at most {holding} to remove",
        )
    return _with_licenses(inputs, sku, -change.quantity, change)


def _buy_addon(change: BuyAddon, inputs: Inputs, ruleset: RuleSet, rows: _NewRows) -> None:
    addon = ruleset.addons.get(change.pool)
    if addon is None:
        raise _fail(
            change,
            f"rule set {ruleset.id} has no add-on for pool '{change.pool}'",
            expected="one of " + ", ".join(ruleset.addons),
        )
    rows.license(addon.sku, addon.units_for(change.gb), change)


@apply_change.register
def _(change: BuyAddon, inputs: Inputs, ruleset: RuleSet) -> Inputs:
    rows = _NewRows()
    _buy_addon(change, inputs, ruleset, rows)
    return rows.added_to(inputs)


@apply_change.register
def _(change: AddEnvironment, inputs: Inputs, ruleset: RuleSet) -> Inputs:
    rows = _NewRows()
    _add_environment(change, inputs, ruleset, rows)
    return rows.added_to(inputs)


def _add_environment(
    change: AddEnvironment, inputs: Inputs, ruleset: RuleSet, rows: _NewRows
) -> None:
    # As in inventories, names that differ only by case are one name (the admin center too),
    # and so are names that only look different to a program (width, invisible characters):
    # the table's names, and those of environments added by earlier changes not yet in it.
    existing = rows.names_of(inputs.environments).get(name_key(change.name))
    if existing is not None:
        also = (
            ""
            if existing == change.name
            else f" (as {existing!r}, which looks the same: only case, width, spacing or "
            "invisible characters differ)"
        )
        raise _fail(
            change,
            f"an environment named {change.name!r} already exists{also}",
            expected="a new, unique name",
        )
    if change.linked_to is not None and name_key(change.linked_to) == name_key(change.name):
        raise _fail(
            change,
            f"{change.name} cannot be linked to itself",
            expected="the name of a standalone Dataverse environment",
        )
    row: dict[str, Any] = {
        "name": change.name,
        "type": change.type,
        "source": change.origin,
        "location": "what-if",
        "start_month": change.month,
        **change.sizes,
    }
    for key in ("tier", "power_platform", "linked_to"):
        if getattr(change, key) is not None:
            row[key] = getattr(change, key)
    rows.environments.append(row)
    rows.names_of(inputs.environments).setdefault(name_key(change.name), change.name)
    if change.type == "addon_sandbox" and change.license:
        # An add-on sandbox is bought as a license of its tier, which brings capacity.
        tier = change.tier if change.tier is not None else DEFAULT_SANDBOX_TIER
        rows.license(_sandbox_sku(ruleset, tier, change), 1, change)


@apply_change.register
def _(change: DeleteEnvironment, inputs: Inputs, ruleset: RuleSet) -> Inputs:
    mask = _existing(inputs, change, change.name)
    out = inputs.environments.copy()
    out.loc[mask, "end_month"] = change.month
    return inputs.with_tables(environments=out)


@apply_change.register(LinkNewDataverse)
@apply_change.register(LinkExistingDataverse)
def _(change: LinkNewDataverse | LinkExistingDataverse, inputs: Inputs, ruleset: RuleSet) -> Inputs:
    environments = inputs.environments
    mask = _existing(inputs, change, change.name)
    row = environments[mask].iloc[0]
    if row["type"] not in FINANCE_OPERATIONS_TYPES:
        raise _fail(
            change,
            f"{change.name} is a {row['type']} environment; only "
            "finance and operations environments are linked",
            expected="one of the types " + ", ".join(FINANCE_OPERATIONS_TYPES),
        )
    state = row["power_platform"] or ruleset.environment_types[row["type"]].default_power_platform
    if state in ("integrated", "linked_existing"):
        raise _fail(
            change,
            f"{change.name} is already linked ({state}); a link cannot be undone or made again",
            expected="an environment whose power_platform is none or initial",
        )
    update: dict[str, Any] = {
        f"{t}_gb": np.nan for t in CAPACITY_TYPES if t.startswith("dataverse_")
    }
    if isinstance(change, LinkExistingDataverse):
        if name_key(change.target) == name_key(change.name):
            raise _fail(
                change,
                f"{change.name} cannot be linked to itself",
                expected="the name of a standalone Dataverse environment",
            )
        update.update({"power_platform": "linked_existing", "linked_to": change.target})
    else:
        update.update({"power_platform": "integrated", "linked_to": ""})
    return inputs.with_tables(environments=_split_row(environments, mask, change.month, update))


@apply_change.register
def _(change: SetGrowth, inputs: Inputs, ruleset: RuleSet) -> Inputs:
    if change.pool is not None:
        if change.pool not in ruleset.pool_names:
            raise _fail(
                change,
                f"'{change.pool}' is not a pool of rule set {ruleset.id}",
                expected="one of " + ", ".join(ruleset.pool_names),
            )
        row = pd.DataFrame(
            [
                {
                    "pool": change.pool,
                    "gb_per_month": change.gb_per_month,
                    "start_month": change.month,
                    "origin": change.origin,
                    "gb_at_start": 0.0,
                }
            ]
        )
        pool_growth = (
            row
            if inputs.pool_growth.empty
            else pd.concat([inputs.pool_growth, row], ignore_index=True)
        )
        return inputs.with_tables(pool_growth=pool_growth)
    assert change.environment is not None
    mask = _existing(inputs, change, change.environment)
    key = f"{change.capacity_type}_growth_gb_per_month"
    return inputs.with_tables(
        environments=_split_row(inputs.environments, mask, change.month, {key: change.gb_per_month})
    )


def extendable_pools(ruleset: RuleSet) -> tuple[str, ...]:
    """The pools a capacity extension may be asked for: those holding a Dataverse capacity type
    (the extension is a request for Dataverse storage; an Operations-only pool has none)."""
    return tuple(p.name for p in ruleset.pools if set(p.draws_on) & set(DATAVERSE_TYPES))


def _percent(share: float, line: float) -> str:
    """A share used, as a percentage precise enough not to look equal to ``line`` when not."""
    text = f"{share:.0%}"
    if text == f"{line:.0%}" and abs(share - line) > SHARE_TOLERANCE:
        text = f"{share:.1%}"
    return text


def _ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


@apply_change.register
def _(change: RequestExtension, inputs: Inputs, ruleset: RuleSet) -> Inputs:
    """A capacity extension, if the rule set's ``[overage]`` rules allow it in its month.

    Checked on the plan of the inputs as they stand: the scenario's changes up to this month and
    the extensions asked for before it, but not this one. Allowed, it adds the rule set's share
    of the pool's consumption that month to its entitlement for the months its days reach."""
    overage = ruleset.overage
    if overage is None:
        raise _fail(
            change,
            f"rule set {ruleset.id} states no capacity extension, so none can be asked for",
            expected="a rule set with an [overage] table (the bundled ones have one)",
        )
    allowed = extendable_pools(ruleset)
    if change.pool not in ruleset.pool_names:
        raise _fail(
            change,
            f"'{change.pool}' is not a pool of rule set {ruleset.id}",
            expected="one of " + ", ".join(allowed),
        )
    pool = next(p for p in ruleset.pools if p.name == change.pool)
    if change.pool not in allowed:
        raise _fail(
            change,
            f"{pool.title} holds finance and operations capacity only; a capacity extension is "
            f"asked for Dataverse storage ({overage.extension_above.source.title})",
            expected="one of " + ", ".join(allowed),
        )
    window = overage.extension_window_days.value
    most = int(overage.extension_max.value)
    asked = inputs.extensions
    within = asked[change.month - asked["start_month"] < months_of_days(window)]
    if len(within) >= most:
        months = ", ".join(sorted(within["month_label"].astype(str)))
        raise _fail(
            change,
            f"a {_ordinal(len(within) + 1)} capacity extension within {window:g} days "
            f"({months} already); the rule set allows at most {most} in any {window:g} days "
            f"({overage.extension_max.source.title})",
            expected=f"at most {most} extension requests in any {window:g} days",
        )
    as_of = format_month(parse_month(change.month_label) - change.month)
    _, _, _, forecast = run_engine(inputs, ruleset, as_of, change.month + 1)
    index = ruleset.pool_names.index(change.pool)
    consumed = float(forecast.consumed[index, change.month])
    effective = float(forecast.effective[index, change.month])
    if effective > TOLERANCE_GB:
        share = consumed / effective
    else:
        share = float("inf") if consumed > TOLERANCE_GB else 0.0
    above = overage.extension_above.value
    if share <= above + SHARE_TOLERANCE:
        raise _fail(
            change,
            f"{pool.title} is {_percent(share, above)} used in {change.month_label} "
            f"({consumed:.2f} GB of {effective:.2f} GB); an extension needs more than "
            f"{above:.0%} ({overage.extension_above.source.title})",
            expected=f"a month in which {pool.title} is more than {above:.0%} used",
        )
    covered = months_of_days(overage.extension_days.value)
    share_of = overage.extension_share
    row = {
        "pool": change.pool,
        "gb": share_of.value * consumed,
        "start_month": change.month,
        "end_month": change.month + covered,
        "month_label": change.month_label,
        "consumed_gb": consumed,
        "effective_gb": effective,
        "used_share": share,
        "origin": change.origin,
        "source": share_of.source.url,
        "source_title": share_of.source.title,
        "confidence": share_of.confidence,
        "rule": share_of.rule,
    }
    frame = pd.DataFrame([row], columns=asked.columns).astype(asked.dtypes.to_dict())
    extensions = frame if asked.empty else pd.concat([asked, frame], ignore_index=True)
    return inputs.with_tables(extensions=extensions)


def _with_licenses(inputs: Inputs, sku: str, quantity: int, change: Change) -> Inputs:
    """A license row the change adds (negative quantities remove) from its month on."""
    row = {
        "sku": sku,
        "quantity": quantity,
        "source": change.origin,
        "location": "what-if",
        "start_month": change.month,
    }
    return inputs.with_tables(
        licenses=pd.concat([inputs.licenses, license_frame([row])], ignore_index=True)
    )


def _sandbox_sku(ruleset: RuleSet, tier: int, change: Change) -> str:
    for rule in ruleset.licenses:
        if rule.role == "sandbox_addon" and rule.tier == tier:
            return rule.sku
    raise _fail(
        change,
        f"rule set {ruleset.id} has no sandbox add-on license of tier {tier}",
        expected="a tier the rule set lists, or license = false",
    )


def _names(environments: pd.DataFrame, month: int) -> str:
    active = environments[
        (environments["start_month"] <= month) & (environments["end_month"] > month)
    ]
    names = sorted(set(active["name"].astype(str)))
    shown = ", ".join(names[:12]) + (" ..." if len(names) > 12 else "")
    return f"one of the environments: {shown}" if names else "an environment of the inventory"


def apply_changes(inputs: Inputs, changes: Sequence[Change], ruleset: RuleSet) -> Inputs:
    """Apply changes in month order (stable: same month keeps the written order); capacity
    extensions last in their month, so that they are judged with the month's other changes."""
    rows = _NewRows()
    for change in sorted(changes, key=lambda c: (c.month, isinstance(c, RequestExtension))):
        add = _ADDS_ROWS.get(type(change))
        if add is not None:  # only appends rows: gathered, appended before the next other change
            add(change, inputs, ruleset, rows)
        else:
            inputs = apply_change(change, rows.added_to(inputs), ruleset)
    return rows.added_to(inputs)


def refuse_too_much_work(scenarios: Sequence[Sequence[Change]], inputs: Inputs) -> None:
    """Each change other than one that only adds rows is applied to the whole tables in turn,
    so its cost grows with the inventory: the changes of all the scenarios of a run are refused
    above MAX_EDITED_ROWS, before any is applied."""
    edits = [
        sum(1 for change in changes if type(change) not in _ADDS_ROWS) for changes in scenarios
    ]
    rows = len(inputs.environments) + len(inputs.licenses)
    if sum(edits) * rows > MAX_EDITED_ROWS:
        largest = max(range(len(edits)), key=edits.__getitem__)
        raise InputError(
            f"the scenarios' {sum(edits):,} changes that edit environments or licenses, each "
            f"applied to {rows:,} rows, are more than capplan applies in one run",
            file=_origin_file(scenarios[largest]),
            expected=f"at most {MAX_EDITED_ROWS:,} rows in all (such changes times the rows of "
            "the inputs): fewer such changes, or a comparison in runs of its own",
        )


def _origin_file(changes: Sequence[Change]) -> str | None:
    """The file the changes were written in (None: the what-if flags)."""
    file, _, location = changes[0].origin.partition(", ") if changes else ("", "", "")
    return file if location else None


# Changes that only add rows, and how each adds them.
_ADDS_ROWS: dict[type, Callable[[Any, Inputs, RuleSet, _NewRows], None]] = {
    AddLicenses: _add_licenses,
    BuyAddon: _buy_addon,
    AddEnvironment: _add_environment,
}


def shift_inputs(inputs: Inputs, months: int) -> Inputs:
    """The inputs as seen from ``months`` later: that month becomes month 0.

    Rows that ended before are dropped; rows running at the new month 0 carry the usage their
    growth has brought them to, so the timeline continues without a jump.
    """
    if months <= 0:
        return inputs
    licenses = inputs.licenses.copy()
    licenses["start_month"] = (licenses["start_month"] - months).clip(lower=0)
    environments = inputs.environments[inputs.environments["end_month"] > months].copy()
    elapsed = (months - environments["start_month"]).clip(lower=0)
    for capacity_type in CAPACITY_TYPES:
        usage = f"{capacity_type}_gb"
        growth = environments[f"{capacity_type}_growth_gb_per_month"].fillna(0.0)
        environments[usage] = environments[usage] + growth * elapsed
    environments["start_month"] = (environments["start_month"] - months).clip(lower=0)
    never = environments["end_month"] >= NEVER
    environments["end_month"] = environments["end_month"].where(
        never, environments["end_month"] - months
    )
    pool_growth = inputs.pool_growth.copy()
    if len(pool_growth):
        gone = (months - pool_growth["start_month"]).clip(lower=0)
        pool_growth["gb_at_start"] = (
            pool_growth["gb_at_start"].fillna(0.0) + gone * pool_growth["gb_per_month"]
        )
        pool_growth["start_month"] = (pool_growth["start_month"] - months).clip(lower=0)
    # Extensions keep their months, negative once passed: they still count against the limit
    # of requests in a window, and one that reaches past the new month 0 still adds capacity.
    extensions = inputs.extensions.copy()
    extensions["start_month"] = extensions["start_month"] - months
    extensions["end_month"] = extensions["end_month"] - months
    return inputs.with_tables(
        licenses=licenses,
        environments=environments.reset_index(drop=True),
        pool_growth=pool_growth,
        extensions=extensions,
    )
