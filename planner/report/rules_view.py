"""``capplan rules show``: a rule set for people (table) and scripts (json)."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from planner.errors import printable
from planner.ruleset import Amount, RuleSet


def _amount(amount: Amount) -> dict[str, Any]:
    return {
        "amount": amount.text,
        "gb": amount.gb,
        "source": amount.source.url or amount.source.title,
        "confidence": amount.confidence,
        "note": amount.note,
    }


def rules_data(ruleset: RuleSet) -> dict[str, Any]:
    consumption = ruleset.consumption
    return {
        "id": ruleset.id,
        "title": ruleset.title,
        "effective_from": ruleset.effective_from,
        "defaults_combine": ruleset.defaults_combine,
        "description": ruleset.description,
        "path": ruleset.path,
        "pools": [
            {"name": p.name, "title": p.title, "draws_on": list(p.draws_on)} for p in ruleset.pools
        ],
        "borrowing": [
            {"lender": b.lender, "borrower": b.borrower, "confidence": b.confidence}
            for b in ruleset.borrowing
        ],
        "thresholds": {
            "warning_remaining": ruleset.thresholds.warning_remaining.value,
            "critical_remaining": ruleset.thresholds.critical_remaining.value,
            "provisioning_minimum": _amount(ruleset.thresholds.provisioning_minimum),
        },
        "overage": None
        if ruleset.overage is None
        else {
            name: {
                "value": figure.value,
                "source": figure.source.url,
                "confidence": figure.confidence,
            }
            for name, figure in msgspec.structs.asdict(ruleset.overage).items()
        },
        "consumption": {
            "counted_power_platform_skus": sorted(consumption.counted_power_platform_skus),
            "minimum": {
                "capacity_type": consumption.minimum_capacity_type,
                **_amount(consumption.minimum),
            },
            "default_included": {k: _amount(v) for k, v in consumption.default_included.items()},
            "estimates": {
                profile: {k: _amount(v) for k, v in values.items()}
                for profile, values in consumption.estimates.items()
            },
        },
        "families": {
            name: {
                "title": family.title,
                "tenant_default": {k: _amount(v) for k, v in family.tenant_default.items()},
                "minimum_base_licenses": family.minimum_base_licenses,
                "included_sandboxes": family.included_sandboxes,
            }
            for name, family in ruleset.families.items()
        },
        "licenses": [
            {
                "sku": lic.sku,
                "guid": lic.guid or None,
                "names": list(lic.names),
                "role": lic.role,
                "family": lic.family,
                "tier": lic.tier,
                "per_license": {k: _amount(v) for k, v in lic.per_license.items()},
                "per_base_user": {k: _amount(v) for k, v in lic.per_base_user.items()},
                "tenant_default": {k: _amount(v) for k, v in lic.tenant_default.items()},
                "per_user_of": list(lic.per_user_of),
                "minimum_base_licenses": lic.minimum_base_licenses,
                "effective_from": lic.effective_from or ruleset.effective_from,
                "in_effect": lic in ruleset.licenses,
            }
            for lic in ruleset.license_versions
        ],
        "as_of": ruleset.as_of or None,
        "addons": {
            pool: {
                "sku": addon.sku,
                "unit": addon.unit.text,
                "price_usd_per_month": addon.price_usd_per_month,
                "note": addon.note,
            }
            for pool, addon in ruleset.addons.items()
        },
    }


def rules_json(ruleset: RuleSet) -> str:
    return json.dumps(rules_data(ruleset), indent=2) + "\n"


def _mark(amount: Amount) -> str:
    return amount.text + ("" if amount.confidence == "documented" else f" ({amount.confidence})")


def rules_table(ruleset: RuleSet) -> str:
    out = [
        f"{ruleset.id}: {ruleset.title}",
        f"  effective from {ruleset.effective_from}; "
        f"tenant defaults combine by {ruleset.defaults_combine}",
        f"  file: {ruleset.path}",
        "",
        "Pools",
    ]
    for pool in ruleset.pools:
        out.append(f"  {pool.name:22} draws on {', '.join(pool.draws_on)}")
    out.append("Borrowing (in order)")
    for rule in ruleset.borrowing:
        out.append(f"  spare {rule.lender} covers {rule.borrower}")
    thresholds = ruleset.thresholds
    out += [
        "Thresholds",
        f"  warning below {thresholds.warning_remaining.value:.0%} remaining, "
        f"critical below {thresholds.critical_remaining.value:.0%}; "
        f"{thresholds.provisioning_minimum.text} available needed to provision",
    ]
    overage = ruleset.overage
    if overage is not None:
        out += [
            "Overage (Dataverse-only tenants)",
            "  stage 1 from the first day over: environment create, copy, restore, recover blocked",
            f"  stage 2 after {overage.stage_2_after_days.value:g} days: sandboxes in "
            "administration mode",
            f"  stage 3 after {overage.stage_3_after_days.value:g} days: sandboxes disabled",
            f"  extension above {overage.extension_above.value:.0%} used: "
            f"{overage.extension_share.value:.0%} of the type's consumption for "
            f"{overage.extension_days.value:g} days, at most {overage.extension_max.value:g} in "
            f"{overage.extension_window_days.value:g} days",
        ]
    out += [
        "Tenant defaults",
    ]
    for name, family in ruleset.families.items():
        if family.tenant_default:
            amounts = ", ".join(f"{k} {_mark(v)}" for k, v in family.tenant_default.items())
            out.append(f"  {name:28} {amounts}")
    out.append("Licenses")
    for lic in ruleset.license_versions:
        amounts = ", ".join(f"{k} {_mark(v)}" for k, v in lic.per_license.items()) or "no capacity"
        extra = "".join(f"; per full user {k} {_mark(v)}" for k, v in lic.per_base_user.items())
        extra += "".join(f"; edition default {k} {_mark(v)}" for k, v in lic.tenant_default.items())
        dated = f" (from {lic.effective_from})" if lic.effective_from else ""
        if lic not in ruleset.licenses:
            dated += " (not in effect" + (f" in {ruleset.as_of})" if ruleset.as_of else ")")
        out.append(f"  {lic.sku:46} {lic.role:15} {amounts}{extra}{dated}")
    out.append("Add-ons")
    for pool, addon in ruleset.addons.items():
        price = (
            f"${addon.price_usd_per_month:g} per unit and month"
            if addon.price_usd_per_month is not None
            else "unpriced"
        )
        out.append(f"  {pool:22} {addon.sku} ({addon.unit.text} units), {price}")
    out.append("Sources")
    for source in ruleset.sources.values():
        out.append(f"  {source.id:18} {source.url or '(none)'}")
    # A user's rules file may hold anything: no text of it drives the terminal.
    return "\n".join(printable(line) for line in out) + "\n"
