"""Findings about Power Platform integration: which links are possible, what they cost, and what
they leave behind. Each looks at the tenant in month 0 and in every month a planned change takes
effect (see ``planner.checks.timeline``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner.checks.registry import check
from planner.checks.timeline import (
    FINANCE_OPERATIONS_TYPES,
    LINKABLE_TYPES,
    LINKED_STATES,
    active,
    among,
    dataverse_pool,
    environment_names,
    evaluation_months,
    first_active,
    gb_texts,
    holds,
    link_changes,
    link_targets,
    month_label,
    per_distinct,
    pool_title,
    type_of,
)
from planner.engine.forecast import TOLERANCE_GB
from planner.model.units import format_gb
from planner.results import Finding, findings_of
from planner.ruleset import Addon, RuleSet

if TYPE_CHECKING:
    from planner.model.changes import Change
    from planner.results import Plan


def purchase_text(ruleset: RuleSet, pool: str, gb: float) -> str:
    """``"3 x CDS_DB_CAPACITY (3.00 GB, $120.00 per month)"``: whole add-on units covering gb."""
    addon = ruleset.addons.get(pool)
    if addon is None:
        title = next((p.title for p in ruleset.pools if p.name == pool), pool)
        return f"{format_gb(gb)} of {title} capacity (the rule set names no add-on for this pool)"
    return _units_text(addon, max(1, addon.units_for(gb)))


def purchase_texts(ruleset: RuleSet, pool: str, gbs: np.ndarray) -> list[str]:
    """:func:`purchase_text` of each amount, written once per number of add-on units."""
    addon = ruleset.addons.get(pool)
    if addon is None:
        return per_distinct(gbs, lambda gb: purchase_text(ruleset, pool, gb))
    units = per_distinct(gbs, lambda gb: max(1, addon.units_for(gb)))
    texts = {count: _units_text(addon, count) for count in set(units)}
    return [texts[count] for count in units]


def _units_text(addon: Addon, units: int) -> str:
    price = (
        f", ${units * addon.price_usd_per_month:,.2f} per month"
        if addon.price_usd_per_month is not None
        else ", unpriced"
    )
    return f"{units} x {addon.sku} ({format_gb(units * addon.unit.gb)}{price})"


@check("ADDON_SANDBOX_NO_DATAVERSE", "warning")
def addon_sandbox_no_dataverse(plan: Plan) -> list[Finding]:
    """An add-on sandbox is linked, or planned to be linked, to Dataverse, but it brings no
    Dataverse capacity.

    A sandbox bought as an add-on for Lifecycle Services adds Operations capacity only. Once it is
    linked (``power_platform`` ``integrated`` or ``linked_existing``, or a planned link), its
    Dataverse database has to be paid for out of the pool that Dataverse databases draw on. The
    message gives the gigabytes it needs from that pool (the measured size, or the rule set's
    estimate; for a link to an existing environment, that environment's size) and the Dataverse
    database add-on that covers it.

    Usually a warning; an error when the pool is over after borrowing in a month the link is in
    effect, because then nothing covers it.
    """
    environments = plan.environments
    position, pool = dataverse_pool(plan)
    linked = holds(
        environments["type"],
        "addon_sandbox",
        within=holds(environments["power_platform"], *LINKED_STATES),
    )
    if not linked.any():
        return []
    available = plan.forecast.available[position]

    # One finding per sandbox: the first month it is linked, or the first month it is linked
    # while the pool is over, which matters more. The linked rows of every month one after
    # another, those of months the pool is over first: each name's first is its finding.
    candidates: list[np.ndarray] = []
    candidate_months: list[int] = []
    for month in evaluation_months(plan):
        candidates.append(np.flatnonzero(linked & active(plan, month)))
        candidate_months.append(month)
    if not any(len(rows) for rows in candidates):
        return []
    counts = [len(rows) for rows in candidates]
    rows = np.concatenate(candidates)
    months = np.repeat(np.array(candidate_months, dtype=int), counts)
    over = available[months] < -TOLERANCE_GB
    first_over = np.argsort(~over, kind="stable")
    rows, months, over = rows[first_over], months[first_over], over[first_over]
    names = pd.Series(environment_names(plan)[rows], dtype=object)
    first = ~names.duplicated().to_numpy()
    # By name, as the findings are listed.
    by_name = np.argsort(names[first].to_numpy(), kind="stable")
    rows, months, over = rows[first][by_name], months[first][by_name], over[first][by_name]
    subjects = names[first].to_numpy()[by_name].tolist()

    # Linked to an existing environment, the Dataverse database is that environment's: the
    # rows of the environments named as link targets, by name. ``sources``: the row whose
    # database it is.
    sources = rows.copy()
    holders = [""] * len(rows)
    existing = np.flatnonzero(environments["power_platform"].to_numpy()[rows] == "linked_existing")
    if len(existing):
        targets = link_targets(plan)[rows[existing]]
        starts = environments["start_month"].to_numpy()
        ends = environments["end_month"].to_numpy()
        # Each linked row paired with every row named as its target (rows in order), all at
        # once: the first pair whose row exists in the month holds the database.
        all_names = environment_names(plan)
        named = np.flatnonzero(among(all_names, set(targets.tolist()) - {""}))
        codes = pd.factorize(np.concatenate([all_names[named], targets]))[0]
        order = np.argsort(codes[: len(named)], kind="stable")  # by name, then row
        by_name = codes[: len(named)][order]
        wanted = codes[len(named) :]
        first = np.searchsorted(by_name, wanted, side="left")
        counts = np.searchsorted(by_name, wanted, side="right") - first
        pair_of = np.repeat(np.arange(len(existing)), counts)
        within = np.arange(len(pair_of)) - np.repeat(np.cumsum(counts) - counts, counts)
        pair_rows = named[order][np.repeat(first, counts) + within]
        month = months[existing][pair_of]
        exists = (starts[pair_rows] <= month) & (month < ends[pair_rows])
        held_by, first_pair = np.unique(pair_of[exists], return_index=True)
        for at, row in zip(held_by.tolist(), pair_rows[exists][first_pair].tolist(), strict=True):
            holders[existing[at]] = f" (existing environment {targets[at]})"
            sources[existing[at]] = row
    # What each database counts in its month, computed for those rows only.
    need = np.zeros(len(rows))
    for month in np.unique(months).tolist():
        at = months == month
        need[at] = plan.consumption_detail.counted_gb("dataverse_database", sources[at], month)
    measured = ~np.isnan(environments["dataverse_database_gb"].to_numpy()[sources])
    bases = np.where(measured, "measured", "rule-set estimate").tolist()

    title = pool_title(plan, pool)
    labels = plan.forecast.months
    planned: dict[str, Change] = {}
    for change in link_changes(plan):  # a sandbox linked twice is linked from the first
        planned.setdefault(change.subject, change)
    linked_texts = (
        [
            f"is planned to be linked to Dataverse from {change.month_label}"
            if (change := planned.get(name)) is not None
            else "is linked to Dataverse"
            for name in subjects
        ]
        if planned
        else ["is linked to Dataverse"] * len(subjects)
    )
    # Each amount's text once; what covers the pool's deficit once per month.
    amounts = gb_texts(need)
    covering = {
        month: f"The {title} pool is over by {format_gb(-float(available[month]))} in "
        f"{labels[month]}: buy {purchase_text(plan.ruleset, pool, -float(available[month]))} to "
        "cover it."
        for month in np.unique(months[over]).tolist()
    }
    covered = np.flatnonzero(~over)
    closing = [covering.get(month, "") for month in months.tolist()]
    for at, buy in zip(
        covered.tolist(),
        purchase_texts(plan.ruleset, pool, need[covered]),
        strict=True,
    ):
        closing[at] = (
            f"The pool covers it in {labels[months[at]]}; if it runs short, {buy} covers this "
            "sandbox."
        )
    messages = [
        f"{name} is an add-on sandbox and {linked_text}: add-on sandboxes bring no Dataverse "
        f"capacity, so its Dataverse database{holder} needs {amount} ({basis}) from the "
        f"{title} pool. {close}"
        for name, linked_text, holder, amount, basis, close in zip(
            subjects, linked_texts, holders, amounts, bases, closing, strict=True
        )
    ]
    severities = np.where(over, "error", "warning").tolist()
    when = [labels[month] for month in months.tolist()]
    return findings_of("ADDON_SANDBOX_NO_DATAVERSE", severities, subjects, messages, when)


@check("CHE_INTEGRATION_AFTER_DEPLOYMENT", "error")
def che_integration_after_deployment(plan: Plan) -> Iterator[Finding]:
    """Power Platform integration is planned for a cloud-hosted development environment that is
    already deployed.

    A cloud-hosted development environment runs in the customer's own Azure subscription and can
    only be integrated while it is being deployed. A ``link_new_dataverse`` change for one that
    is in the inventory already (not added by an ``add_environment`` change taking effect in the
    same month) cannot be carried out: deploy a new cloud-hosted environment with integration
    instead.
    """
    if not plan.changes:  # most plans: without loading the change classes
        return
    from planner.model.changes import AddEnvironment, LinkNewDataverse  # see LINK_KINDS

    deployed_with_link = {
        (c.subject, c.month) for c in plan.changes if isinstance(c, AddEnvironment)
    }
    environments = plan.environments
    labels = plan.forecast.months
    for change in link_changes(plan):
        if not isinstance(change, LinkNewDataverse):
            continue
        if type_of(plan, change.subject) != "cloud_hosted_dev":
            continue
        if (change.subject, change.month) in deployed_with_link:
            continue
        starts = environments.loc[environments["name"] == change.subject, "start_month"]
        first = int(starts.min())
        deployed = (
            f"is deployed from {labels[first]}"
            if 0 < first < len(labels)
            else "is already deployed"
        )
        yield Finding(
            "CHE_INTEGRATION_AFTER_DEPLOYMENT",
            "error",
            change.subject,
            f"{change.subject} is a cloud-hosted development environment that {deployed}; "
            f"integration planned from {change.month_label} is not possible, because it can only "
            "be set up while such an environment is deployed. Plan a new cloud-hosted environment "
            "deployed with integration (add_environment with power_platform integrated) and "
            "retire this one.",
            month=change.month_label,
        )


@check("CHE_EXISTING_ENVIRONMENT", "error")
def che_existing_environment(plan: Plan) -> Iterator[Finding]:
    """A cloud-hosted development environment is linked, or planned to be linked, to an existing
    Power Platform environment.

    Cloud-hosted development environments can only get a new Power Platform environment, created
    while they are deployed; an existing environment of any kind can never be linked to one. Flags
    ``power_platform = linked_existing`` on a ``cloud_hosted_dev`` row and
    ``link_existing_dataverse`` changes for one.
    """
    reported: set[str] = set()
    for change in link_changes(plan):
        from planner.model.changes import LinkExistingDataverse  # see LINK_KINDS

        if not isinstance(change, LinkExistingDataverse):
            continue
        if type_of(plan, change.subject) != "cloud_hosted_dev":
            continue
        if change.subject in reported:
            continue
        reported.add(change.subject)
        target = change.target or "an existing environment"
        yield Finding(
            "CHE_EXISTING_ENVIRONMENT",
            "error",
            change.subject,
            f"{change.subject} is a cloud-hosted development environment and is planned to be "
            f"linked to {target} from {change.month_label}; only a new Power Platform environment, "
            "created during deployment, can be linked to one. Drop the change, or deploy a new "
            "cloud-hosted environment with integration.",
            month=change.month_label,
        )

    environments = plan.environments
    rows = holds(
        environments["type"],
        "cloud_hosted_dev",
        within=holds(environments["power_platform"], "linked_existing"),
    )
    if not rows.any():  # the names are read only for the rows found
        return
    names = environment_names(plan)
    targets = link_targets(plan)
    at, months = first_active(plan, rows, skip=reported)
    for row, month in zip(at.tolist(), months.tolist(), strict=True):
        name = names[row]
        target = targets[row] or "an existing environment"
        yield Finding(
            "CHE_EXISTING_ENVIRONMENT",
            "error",
            name,
            f"{name} is a cloud-hosted development environment recorded as linked to "
            f"{target}; that is not possible, only a new Power Platform environment created "
            "during deployment can be linked to one. Correct the inventory row "
            "(power_platform none or integrated).",
            month=month_label(plan, month),
        )


@check("LINK_IRREVERSIBLE", "warning")
def link_irreversible(plan: Plan) -> Iterator[Finding]:
    """Every planned link of a finance and operations environment to Dataverse is permanent.

    Once linked, the two cannot be separated again: disconnecting them would lose data. The only
    way back is to delete the environments. Raised for every ``link_new_dataverse`` and
    ``link_existing_dataverse`` change so that the plan is signed off knowing this.
    """
    if not plan.changes:  # most plans: without loading the change classes
        return
    from planner.model.changes import LinkExistingDataverse  # see LINK_KINDS

    for change in link_changes(plan):
        target = (
            f"existing Dataverse environment {change.target}"
            if isinstance(change, LinkExistingDataverse)
            else "a new Dataverse database"
        )
        yield Finding(
            "LINK_IRREVERSIBLE",
            "warning",
            change.subject,
            f"Linking {change.subject} to {target} from {change.month_label} cannot be undone: "
            "disconnecting would lose data, and deleting the environments is the only way back. "
            "Confirm the link is wanted before it is set up.",
            month=change.month_label,
        )


@check("LINK_NOT_ONE_TO_ONE", "error")
def link_not_one_to_one(plan: Plan) -> Iterator[Finding]:
    """A link to an existing Power Platform environment is not one to one, or names nothing it can
    link to.

    A finance and operations environment and its Power Platform environment are linked one to one.
    Raised when two or more finance and operations rows name the same ``linked_to`` environment
    (subject: that environment), and when a ``linked_existing`` row's ``linked_to`` is blank,
    names no environment of the inventory in that month, or names one without a Dataverse
    database of its own (a finance and operations row, a Teams environment) (subject: the
    finance and operations environment).
    """
    environments = plan.environments
    linking = holds(
        environments["type"],
        *FINANCE_OPERATIONS_TYPES,
        within=holds(environments["power_platform"], "linked_existing"),
    )
    if not linking.any():
        return
    names = environment_names(plan)
    types = environments["type"].astype(str).to_numpy()
    targets = link_targets(plan)
    # Only the environments some row links to are looked up by name.
    named = among(names, set(targets[linking].astype(str).tolist()))
    reported: set[tuple[str, str]] = set()
    for month in evaluation_months(plan):
        now = active(plan, month)
        when = month_label(plan, month)
        type_now = dict(zip(names[now & named], types[now & named], strict=True))
        # The linking rows of the month a column at a time: each target's type (None: not in
        # the inventory then). Only the rows with a problem, and the targets two rows share,
        # are looked at one by one.
        rows = np.flatnonzero(linking & now)
        row_names, row_targets = names[rows], targets[rows]
        target_types = list(map(type_now.get, row_targets.tolist()))
        blank = row_targets == ""
        absent = ~blank & np.fromiter(
            (kind is None for kind in target_types), dtype=bool, count=len(rows)
        )
        linkable = ~blank & ~absent & among(np.array(target_types, dtype=object), LINKABLE_TYPES)
        for at in np.flatnonzero(~linkable).tolist():
            name, target = row_names[at], row_targets[at]
            if (name, "target") in reported:
                continue
            reported.add((name, "target"))
            if blank[at]:
                problem = (
                    f"{name} is linked to an existing Power Platform environment but linked_to is "
                    "blank: fill in the name of the Dataverse environment it is linked to."
                )
            elif absent[at]:
                problem = (
                    f"{name} is linked to {target}, which is not in the inventory in {when}: add "
                    f"{target} to the inventory, correct linked_to, or keep {target} while "
                    f"{name} is linked to it."
                )
            else:
                problem = (
                    f"{name} is linked to {target}, a {target_types[at]} environment without a "
                    "Dataverse database of its own to link to: link it to a Dataverse production "
                    "or sandbox environment."
                )
            yield Finding("LINK_NOT_ONE_TO_ONE", "error", name, problem, month=when)
        linked_rows = np.flatnonzero(linkable)
        shared = linked_rows[
            pd.Series(row_targets[linked_rows], dtype=object).duplicated(keep=False).to_numpy()
        ]
        sharing: dict[str, list[str]] = {}
        for at in shared.tolist():
            sharing.setdefault(row_targets[at], []).append(row_names[at])
        for target, linked in sorted(sharing.items()):
            if (target, "shared") in reported:
                continue
            reported.add((target, "shared"))
            listed = ", ".join(sorted(linked))
            yield Finding(
                "LINK_NOT_ONE_TO_ONE",
                "error",
                target,
                f"{listed} are all linked to {target} in {when}; a Power Platform environment is "
                "linked to one finance and operations environment only. Keep one link and give "
                "each of the others its own Dataverse environment (a new one, or another "
                "existing one).",
                month=when,
            )


@check("INITIAL_ENVIRONMENT_REPLACED", "info")
def initial_environment_replaced(plan: Plan) -> list[Finding]:
    """A finance and operations environment is linked to an existing Dataverse environment, so its
    initial Power Platform environment is left disconnected.

    Every sandbox and production environment managed by Lifecycle Services comes with an initial
    Power Platform environment of the same name, without Dataverse. Linking an existing Dataverse
    environment instead disconnects it; it keeps using capacity until it is deleted. The message
    says how much deleting it frees (the rule set's estimate for an initial environment).
    """
    environments = plan.environments
    rows = holds(
        environments["type"],
        *(name for name, kind in plan.ruleset.environment_types.items() if kind.lcs_managed),
        within=holds(environments["power_platform"], "linked_existing"),
    )
    if not rows.any():
        return []
    # Without an estimate for the initial environment, it counts at the per-environment minimum.
    initial = plan.ruleset.consumption.estimates.get("initial", {}).get(
        "dataverse_database", plan.ruleset.consumption.minimum
    )
    _, pool = dataverse_pool(plan)
    at, months = first_active(plan, rows)
    names = environment_names(plan)[at].tolist()
    targets = link_targets(plan)[at].tolist()
    frees = f"deleting it frees the {initial.text} of {pool_title(plan, pool)} capacity it uses."
    messages = [
        f"{name} is linked to {target or 'an existing environment'}, so its initial Power "
        f"Platform environment (also named {name}) is disconnected from it. Delete it, or reuse "
        f"it for something else; {frees}"
        for name, target in zip(names, targets, strict=True)
    ]
    labels = plan.forecast.months
    when = [labels[month] for month in months.tolist()]
    return findings_of("INITIAL_ENVIRONMENT_REPLACED", "info", names, messages, when)


@check("CHE_NO_INITIAL_ENVIRONMENT", "warning")
def che_no_initial_environment(plan: Plan) -> Iterator[Finding]:
    """A cloud-hosted development environment is written with ``power_platform = initial``.

    Only sandbox and production environments that Lifecycle Services manages get an initial
    Power Platform environment; a cloud-hosted one gets a Power Platform environment only when
    integrated during deployment. The plan charges nothing for the stated initial environment.
    Write ``integrated`` if it was integrated at deployment, or ``none``.
    """
    environments = plan.environments
    # Finance and operations types the rule set knows as not managed by Lifecycle Services.
    kinds = plan.ruleset.environment_types
    unmanaged = [t for t in FINANCE_OPERATIONS_TYPES if t in kinds and not kinds[t].lcs_managed]
    rows = holds(
        environments["type"],
        *unmanaged,
        within=holds(environments["stated_power_platform"], "initial"),
    )
    initial = plan.ruleset.consumption.estimates.get("initial", {}).get("dataverse_database")
    charge = f"the {initial.text} of an initial environment" if initial else "nothing"
    if not rows.any():
        return
    names = environment_names(plan)
    sources, locations = environments["source"].to_numpy(), environments["location"].to_numpy()
    at, months = first_active(plan, rows)
    for row, month in zip(at.tolist(), months.tolist(), strict=True):
        name = names[row]
        where = f"{sources[row]} {locations[row]}".strip()
        yield Finding(
            "CHE_NO_INITIAL_ENVIRONMENT",
            "warning",
            name,
            f"{name} is a cloud-hosted development environment written as power_platform "
            f"initial ({where}), but only environments Lifecycle Services manages get an initial "
            f"Power Platform environment, so {charge} is not charged. Write integrated if it was "
            "integrated at deployment, otherwise none.",
            month=month_label(plan, month),
        )


@check("SANDBOX_LINKED_TO_PRODUCTION", "warning")
def sandbox_linked_to_production(plan: Plan) -> list[Finding]:
    """A finance and operations sandbox is linked to a production Dataverse environment.

    The link puts the sandbox's test data, test runs and refreshes into the production Dataverse
    environment (dual-write and virtual tables act on production records), and it cannot be
    undone: the way out is deleting environments. A sandbox belongs with a Dataverse sandbox.
    """
    environments = plan.environments
    linking = holds(
        environments["type"],
        "sandbox",
        "addon_sandbox",
        "cloud_hosted_dev",
        within=holds(environments["power_platform"], "linked_existing"),
    )
    if not linking.any():
        return []
    # The type of each environment a sandbox names (of a name given twice, its last row's).
    linked_to = environments["linked_to"].astype(str).to_numpy()
    names = environment_names(plan)
    named = among(names, set(linked_to[linking].tolist()))
    types = dict(
        zip(names[named].tolist(), environments["type"].to_numpy()[named].tolist(), strict=True)
    )
    target_type = np.array(list(map(types.get, linked_to[linking].tolist())), dtype=object)
    rows = linking.copy()
    rows[linking] = target_type == "dataverse_production"
    at, months = first_active(plan, rows)
    subjects = names[at].tolist()
    messages = [
        f"{name} is a sandbox linked to {target}, a production Dataverse environment: its test "
        "data, test runs and refreshes reach production records, and the link cannot be undone "
        f"(only deleting environments ends it). Link {name} to a Dataverse sandbox instead, such "
        "as a copy of production."
        for name, target in zip(subjects, linked_to[at].tolist(), strict=True)
    ]
    labels = plan.forecast.months
    when = [labels[month] for month in months.tolist()]
    return findings_of("SANDBOX_LINKED_TO_PRODUCTION", "warning", subjects, messages, when)
