"""The headline: the few sentences a person acts on, the same in every format.

It is computed once, from the plan's data (:func:`planner.report.data.plan_data`), and every
renderer shows it as it is: the text and markdown of ``forecast``, the HTML page, the workbook's
Summary and the JSON (``headline``). In order:

1. ERROR findings that put the plan's figures in doubt lead, so a plan with errors never reads
   as good news. A shortfall's own ERROR (CAPACITY_OVER) is no doubt about the figures: the
   shortfall sentences below state it.
2. One sentence per pool that runs short, by the month it first does, with what to buy. A deficit
   still growing in the horizon's last month is said to be, instead of a peak there.
3. Pools that need add-ons only to keep the ``--buffer`` free.
4. The cost of what to buy (and of what a scenario buys): per month, per year and over the
   horizon, at list price.
"""

from __future__ import annotations

from typing import Any

from planner.report.words import Names, plural

# Error findings that restate a shortfall the headline states itself.
# A shortfall's own findings, and the overage lifecycle stages that follow from one.
SHORTFALL_CODES = frozenset(
    {"CAPACITY_OVER", "OVERAGE_STAGE_1", "OVERAGE_STAGE_2", "OVERAGE_STAGE_3"}
)
MONTHS_PER_YEAR = 12
ERRORS_NAMED = 3  # the first few error findings are named; the Findings list has them all

# Tones, most serious first: a renderer colours the headline by its tone.
TONES = ("error", "short", "buy", "clear")


def gb(value: float | None) -> str:
    return "unknown" if value is None else f"{value:,.2f} GB"


def money(value: float | None) -> str:
    return "unpriced" if value is None else f"${value:,.2f}"


def _errors(findings: Any) -> tuple[list[dict[str, Any]], int]:
    """The first ``ERRORS_NAMED`` error findings the headline names, and how many there are, of
    the records or a FindingList (see planner.report.data): a plan of tens of thousands of
    findings has a record made only for those named."""
    if hasattr(findings, "of_severity"):
        return findings.of_severity("error", excluding=SHORTFALL_CODES, first=ERRORS_NAMED)
    errors = [f for f in findings if f["severity"] == "error" and f["code"] not in SHORTFALL_CODES]
    return errors[:ERRORS_NAMED], len(errors)


def _error_line(named: list[dict[str, Any]], count: int) -> str:
    """The headline's line for ``count`` error findings, of which ``named`` are the first."""
    named_text = "; ".join(f"{f['code']} ({f['subject']})" for f in named[:ERRORS_NAMED])
    more = count - ERRORS_NAMED
    if more > 0:
        named_text += f" and {more:,} more"
    return (
        f"Plan has errors; figures may be wrong: {plural(count, 'error finding')} "
        f"({named_text}). Fix them before acting on the figures below; see Findings."
    )


def _purchase_text(purchase: dict[str, Any], names: Names) -> str:
    if not purchase["addon_sku"]:
        return f"no add-on is known for this pool ({gb(purchase['gb'])} needed)"
    return (
        f"buy {purchase['units']} x {names.product_with_part(purchase['addon_sku'])} "
        f"from {purchase['buy_month']} ({money(purchase['monthly_cost_usd'])} per month)"
    )


def _shortfall_line(
    shortfall: dict[str, Any], purchase: dict[str, Any] | None, names: Names, end: str
) -> str:
    pool = names.pool(shortfall["pool"])
    text = f"{pool} runs short in {shortfall['first_month']}; "
    if shortfall.get("growing_at_end"):
        text += (
            f"the deficit is still growing at the end of the horizon "
            f"({gb(shortfall['peak_deficit_gb'])} in {end})"
        )
    else:
        text += (
            f"the deficit peaks at {gb(shortfall['peak_deficit_gb'])} in {shortfall['peak_month']}"
        )
    if purchase is not None:
        text += ": " + _purchase_text(purchase, names)
    return text + "."


def _buffer_line(purchase: dict[str, Any], names: Names) -> str:
    return (
        f"{names.pool(purchase['pool'])} keeps less than {purchase['buffer_pct']:g}% free "
        f"from {purchase['buy_month']} without running short: "
        + _purchase_text(purchase, names)
        + "."
    )


def _bought_line(bought: list[dict[str, Any]], names: Names) -> str:
    parts = [
        f"{b['units']} x {names.product_with_part(b['addon_sku'])} from {b['buy_month']} "
        f"({money(b['monthly_cost_usd'])} per month)"
        for b in bought
    ]
    return "The planned changes buy " + ", ".join(parts) + "."


def _cost_line(data: dict[str, Any], names: Names) -> str | None:
    bought = list(data.get("bought", []))
    rows = [*data["purchases"], *bought]
    priced = [r for r in rows if r["monthly_cost_usd"] is not None]
    unpriced = [r for r in rows if r["monthly_cost_usd"] is None]
    if not rows:
        return None
    if not priced:
        return "No list price is known for the add-ons needed, so their cost is not counted."
    monthly = sum(r["monthly_cost_usd"] for r in priced)
    horizon = sum(r["horizon_cost_usd"] for r in priced)
    text = (
        f"Add-ons cost {money(monthly)} per month at list price once bought: "
        f"{money(monthly * MONTHS_PER_YEAR)} a year, {money(horizon)} from "
        f"{min(r['buy_month'] for r in priced)} to the end of the horizon ({data['horizon_end']})"
    )
    if unpriced:
        pools = sorted({names.pool(r["pool"]) for r in unpriced})
        text += f", plus unpriced add-ons for {', '.join(pools)}"
    return text + "."


def _lifecycle_line(stages: list[dict[str, Any]]) -> str:
    """When the first overage leads to blocked environments and lost sandboxes, by date."""
    if not stages:
        return ""
    t0 = stages[0]["t0"]
    first = [s for s in stages if s["t0"] == t0]
    parts = [f"environment create, copy, restore and recover are blocked from {t0}"]
    for stage in first[1:]:
        sandboxes = ", ".join(stage["environments"][:3]) + (
            f" and {len(stage['environments']) - 3} more" if len(stage["environments"]) > 3 else ""
        )
        what = "go into administration mode" if stage["stage"] == 2 else "are disabled"
        parts.append(
            f"sandboxes ({sandboxes}) {what} on {stage['starts']}"
            if sandboxes
            else f"sandboxes would {what.replace('are ', 'be ')} on {stage['starts']} (none here)"
        )
    return "Unless capacity is bought or freed in time, " + "; ".join(parts) + "."


def plan_headline(data: dict[str, Any], names: Names) -> dict[str, Any]:
    """``{"tone", "lines", "monthly_cost_usd", "annual_cost_usd", "horizon_cost_usd"}``."""
    lines: list[str] = []
    errors, error_count = _errors(data["findings"])
    if error_count:
        lines.append(_error_line(errors, error_count))
    purchase_of = {p["pool"]: p for p in data["purchases"]}
    shortfalls = sorted(data["shortfalls"], key=lambda s: (s["first_month"], s["pool"]))
    for shortfall in shortfalls:
        lines.append(
            _shortfall_line(
                shortfall, purchase_of.get(shortfall["pool"]), names, data["horizon_end"]
            )
        )
    lifecycle = _lifecycle_line(data.get("overage_lifecycle") or [])
    if lifecycle:
        lines.append(lifecycle)
    short_pools = {s["pool"] for s in shortfalls}
    buffered = sorted(
        (p for p in data["purchases"] if p["pool"] not in short_pools),
        key=lambda p: (p["buy_month"], p["pool"]),
    )
    lines += [_buffer_line(p, names) for p in buffered]
    if not shortfalls:
        lines.insert(
            len(lines) - len(buffered),
            f"No shortfall from {data['as_of']} to {data['horizon_end']} "
            f"({plural(data['months'], 'month')}).",
        )
    bought = list(data.get("bought", []))
    if bought:
        lines.append(_bought_line(bought, names))
    cost = _cost_line(data, names)
    if cost:
        lines.append(cost)
    priced = [r for r in [*data["purchases"], *bought] if r["monthly_cost_usd"] is not None]
    monthly = sum(r["monthly_cost_usd"] for r in priced) if priced else None
    tone = "error" if errors else "short" if shortfalls else "buy" if buffered else "clear"
    return {
        "tone": tone,
        "lines": lines,
        "monthly_cost_usd": monthly,
        "annual_cost_usd": None if monthly is None else monthly * MONTHS_PER_YEAR,
        "horizon_cost_usd": (sum(r["horizon_cost_usd"] for r in priced) if priced else None),
    }
