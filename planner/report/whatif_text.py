"""``whatif --format table|markdown``: baseline and scenarios side by side (``--format json``
is the JSON renderer's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from planner.errors import printable_data
from planner.report.data import ReportData
from planner.report.formatting import (
    delta_gb,
    extension_sentence,
    findings_shown,
    gb,
    grid,
    markdown_data,
    md_table,
    money,
    with_counts,
)


def _comparison(report: ReportData) -> dict[str, Any]:
    if report.comparison is None:
        raise ValueError("a what-if view needs report data built with a comparison")
    return report.comparison


# A plan's tables that the what-if text does not print: left out before its strings are made
# safe (a license export can hold hundreds of thousands of lines).
UNPRINTED = ("licenses", "ignored_licenses", "consumption", "entitlement", "forecast", "findings")
PLAN_KEYS = ("baseline", "plan", "plan_before_switch")


def _printed(report: ReportData, convert: Callable[[Any], Any]) -> dict[str, Any]:
    """The comparison as the what-if text prints it, made safe by ``convert`` (printable, or
    inert as markdown): every plan without the tables the text does not print, and the lines
    of the findings that differ from the baseline, the first of each code."""
    comparison = _comparison(report)

    def trimmed(value: dict[str, Any]) -> dict[str, Any]:
        return {
            key: {k: v for k, v in item.items() if k not in UNPRINTED}
            if key in PLAN_KEYS and isinstance(item, dict)
            else item
            for key, item in value.items()
        }

    data = trimmed({k: v for k, v in comparison.items() if k != "scenarios"})
    data["scenarios"] = [trimmed(scenario) for scenario in comparison["scenarios"]]
    data = convert(data)
    data["findings_lines"] = _finding_lines(comparison, convert)
    return data


def _columns(data: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]], list[dict] | None]]:
    columns: list[tuple[str, list[dict[str, Any]], list[dict] | None]] = [
        ("baseline", data["baseline_summary"], None)
    ]
    columns += [(_label(s), s["summary"], s["delta"]) for s in data["scenarios"]]
    return columns


def _label(scenario: dict[str, Any]) -> str:
    """A scenario's name; one that renews into another rule set says from when it counts."""
    switch = scenario.get("ruleset_switch")
    return f"{scenario['name']} (from {switch['month']})" if switch else scenario["name"]


def _rows(data: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name, summary, deltas in _columns(data):
        delta_by_pool = {d["pool"]: d for d in deltas or []}
        for row in summary:
            d = delta_by_pool.get(row["pool"])
            rows.append(
                [
                    name,
                    row["pool"],
                    gb(row["entitled_gb"]),
                    gb(row["consumed_gb"]),
                    gb(row["available_gb"]),
                    gb(row["available_end_gb"]),
                    row["first_shortfall"] or "none",
                    "-" if row["addon_units"] is None else str(row["addon_units"]),
                    money(row["monthly_cost_usd"]),
                    delta_gb(d["available_gb"]) if d else "",
                    delta_gb(d["available_end_gb"]) if d else "",
                ]
            )
    return rows


HEADERS = [
    "plan",
    "pool",
    "entitled",
    "consumed",
    "available",
    "available at end",
    "first short",
    "add-on units",
    "per month",
    "delta available",
    "delta at end",
]
RIGHT = [False, False, True, True, True, True, False, True, True, True, True]


def render_whatif_table(report: ReportData) -> str:
    data = _printed(report, printable_data)
    base = data["baseline"]
    out = [
        f"capplan whatif, rule set {base['ruleset']}, as of {base['as_of']}, "
        f"{base['months']} months (to {base['horizon_end']})",
        "",
    ]
    for scenario in data["scenarios"]:
        source = scenario["source"]
        out.append(
            f"{scenario['name']}:"
            if source in ("", scenario["name"])
            else f"{scenario['name']} ({source}):"
        )
        out += [f"  - {change}" for change in scenario["changes"]]
    out.append("")
    out += grid(HEADERS, _rows(data), RIGHT)
    out.append("")
    out += _purchases(data)
    out += _extensions(data, report.pool_titles)
    out += _findings(data)
    return "\n".join(out) + "\n"


def _extensions(data: dict[str, Any], titles: dict[str, str]) -> list[str]:
    """Capacity extensions of each scenario; nothing when no scenario asks for one."""
    lines = [
        f"  {_label(scenario)}: "
        f"{extension_sentence(extension, titles.get(extension['pool'], extension['pool']))}"
        for scenario in data["scenarios"]
        for extension in scenario.get("extensions", [])
    ]
    return ["Capacity extensions", *lines, ""] if lines else []


def _purchases(data: dict[str, Any]) -> list[str]:
    out = ["What to buy"]
    plans: list[tuple[str, dict[str, Any]]] = [("baseline", data["baseline"])]
    for scenario in data["scenarios"]:
        if "plan_before_switch" in scenario:
            switch = scenario["ruleset_switch"]
            plans.append(
                (f"{scenario['name']} (before {switch['month']})", scenario["plan_before_switch"])
            )
        plans.append((_label(scenario), scenario["plan"]))
    for name, plan in plans:
        # What the scenario's own changes buy costs money too: listed first, then what is
        # still to buy.
        for b in plan.get("bought", []):
            out.append(
                f"  {name}: {b['pool']}: {b['units']} x {b['addon_sku']} from {b['buy_month']} "
                f"(planned in the scenario), {money(b['monthly_cost_usd'])} per month"
            )
        if not plan["purchases"]:
            if not plan.get("bought"):
                out.append(f"  {name}: nothing; no pool runs short by {plan['horizon_end']}")
            else:
                out.append(f"  {name}: nothing more; no pool runs short by {plan['horizon_end']}")
            continue
        for p in plan["purchases"]:
            what = (
                f"{p['units']} x {p['addon_sku']} from {p['buy_month']}"
                if p["addon_sku"]
                else f"{gb(p['gb'])} ({p['note']})"
            )
            out.append(f"  {name}: {p['pool']}: {what}, {money(p['monthly_cost_usd'])} per month")
    out.append("")
    return out


def _findings(data: dict[str, Any]) -> list[str]:
    return ["Findings that differ from the baseline", *(data["findings_lines"] or ["  none"])]


def _finding_lines(comparison: dict[str, Any], convert: Callable[[Any], Any]) -> list[str]:
    """Each scenario's findings that the baseline does not have, the first of each code, and
    how many more each code has; the text of each made safe by ``convert``."""
    base = {(f["code"], f["subject"]) for f in comparison["baseline"]["findings"]}
    out = []
    for scenario in comparison["scenarios"]:
        new = [
            finding
            for finding in scenario["plan"]["findings"]
            if (finding["code"], finding["subject"]) not in base
        ]
        shown, more = findings_shown(new)
        name = convert(scenario["name"])
        for finding, count in with_counts(convert(shown), more):
            out.append(
                f"  {name}: {finding['severity'].upper()} {finding['code']} "
                f"[{finding['subject']}] {finding['message']}"
            )
            if count:
                out.append(
                    f"  {name}: and {count:,} more {finding['code']} (--format json lists them all)"
                )
    return out


def render_whatif_markdown(report: ReportData) -> str:
    data = _printed(report, markdown_data)
    base = data["baseline"]
    out = [
        f"## What-if: rule set {base['ruleset']}, as of {base['as_of']} ({base['months']} months)",
        "",
    ]
    for scenario in data["scenarios"]:
        out.append(f"- **{scenario['name']}**: " + "; ".join(scenario["changes"]))
    out.append("")
    out += md_table(HEADERS, _rows(data), RIGHT)
    out.append("")
    for section in (_purchases(data), _extensions(data, report.pool_titles), _findings(data)):
        if not section:
            continue
        # The text layout's indented lines become a markdown list under a heading.
        out += [f"### {section[0]}", ""]
        out += [f"- {line.strip()}" for line in section[1:] if line.strip()]
        out.append("")
    return "\n".join(out) + "\n"
