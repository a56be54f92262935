"""``report --html``: one self-contained HTML file of a Plan (inline CSS, inline SVG, no scripts).

Data first, then a template (as coverage.py does): :func:`report_view` turns
:func:`planner.report.data.plan_data` into display values (every number formatted here, once),
and the Jinja2 templates in ``templates/`` only place them. No markup is assembled in Python, and
autoescaping is on, so text from an input file (an environment name, a file name) stays text.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from planner.plan import Plan
from planner.report.charts import forecast_chart
from planner.report.data import plan_data
from planner.report.text import gb, headline, money
from planner.resources import bundled_dir

TEMPLATE = "report.html.j2"
SEVERITY_ORDER = ("error", "warning", "info")
SEVERITY_WORDS = {"error": "Error", "warning": "Warning", "info": "Info"}
SEVERITY_COUNTED = {
    "error": ("error", "errors"),
    "warning": ("warning", "warnings"),
    "info": ("note", "notes"),
}
STATUS_WORDS = {"ok": "OK", "warning": "Warning", "over": "Over"}
SAFE_LINK_SCHEMES = ("http", "https")

# The report's sections in order: (id, heading, template). A later section (for example the
# comparison of what-if scenarios) is one more entry here and one more template.
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("summary", "Capacity now", "sections/summary.html.j2"),
    ("forecast", "Forecast", "sections/forecast.html.j2"),
    ("buy", "What to buy", "sections/buy.html.j2"),
    ("entitlement", "Entitlement", "sections/entitlement.html.j2"),
    ("consumption", "Consumption", "sections/consumption.html.j2"),
    ("findings", "Findings", "sections/findings.html.j2"),
    ("assumptions", "Assumptions", "sections/assumptions.html.j2"),
    ("inputs", "Inputs and rule set", "sections/inputs.html.j2"),
)


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(bundled_dir("templates")),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt key fails loudly instead of printing nothing
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def safe_href(url: str | None) -> str | None:
    """A link target only for web addresses: a rules file could name ``javascript:`` as source."""
    if not url:
        return None
    scheme = urlsplit(str(url).strip()).scheme.lower()
    return str(url).strip() if scheme in SAFE_LINK_SCHEMES else None


def number(value: float | None) -> str:
    """A quantity: whole numbers without decimals, others with two."""
    if value is None:
        return "unknown"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


def signed_gb(value: float) -> str:
    """Borrowed (+) or lent (-) capacity; zero without a sign."""
    if value == 0:
        return gb(0.0)
    return ("+" if value > 0 else "") + gb(value)


def status_view(status: str) -> dict[str, str]:
    return {"key": status, "word": STATUS_WORDS.get(status, status)}


def _by_pool(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["pool"], []).append(row)
    return grouped


def _pool_forecast(
    index: int,
    pool: str,
    title: str,
    rows: list[dict[str, Any]],
    shortfall: dict[str, Any] | None,
) -> dict[str, Any]:
    months = [r["month"] for r in rows]
    entitled = [r["entitled_gb"] for r in rows]
    consumed = [r["consumed_gb"] for r in rows]
    series = [
        {"key": "entitled", "name": "Entitled", "values": entitled},
        {"key": "consumed", "name": "Consumed", "values": consumed},
    ]
    # Borrowing moves capacity between pools; when it happens the line a pool is measured
    # against is not its own entitlement, so the chart shows that line too.
    if any(r["borrowed_gb"] or r["lent_gb"] for r in rows):
        series.append(
            {
                "key": "after-borrowing",
                "name": "After borrowing",
                "values": [r["entitled_gb"] + r["borrowed_gb"] - r["lent_gb"] for r in rows],
            }
        )
    first_short = shortfall["first_month"] if shortfall else None
    chart = forecast_chart(months, series, [r["status"] == "over" for r in rows], first_short)
    description = (
        f"Entitled {gb(entitled[0])} in {months[0]} and {gb(entitled[-1])} in {months[-1]}; "
        f"consumed {gb(consumed[0])} in {months[0]} and {gb(consumed[-1])} in {months[-1]}. "
    )
    if shortfall:
        description += (
            f"Short from {shortfall['first_month']}; the deficit peaks at "
            f"{gb(shortfall['peak_deficit_gb'])} in {shortfall['peak_month']}."
        )
    else:
        description += "No shortfall within the horizon."
    chart.update(
        {
            "id": f"chart-{index}",
            "title": f"{title} ({pool}): entitled and consumed capacity by month",
            "description": description,
        }
    )
    return {
        "pool": pool,
        "title": title,
        "id": f"forecast-{index}",
        "chart": chart,
        "shortfall": shortfall,
        "rows": [
            {
                "month": r["month"],
                "entitled": gb(r["entitled_gb"]),
                "consumed": gb(r["consumed_gb"]),
                "borrowed_lent": signed_gb(r["borrowed_gb"] - r["lent_gb"]),
                "available": gb(r["available_gb"]),
                "status": status_view(r["status"]),
                "first_short": r["month"] == first_short,
            }
            for r in rows
        ],
    }


def _consumption_groups(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consumption lines grouped per environment, environments by name, lines by pool."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        groups.setdefault(str(line["environment"]), []).append(line)
    out = []
    for name in sorted(groups, key=str.casefold):
        rows = sorted(groups[name], key=lambda c: (c["pool"], c["capacity_type"]))
        first = rows[0]
        out.append(
            {
                "environment": name,
                "type": (first["environment_type"] or "-").replace("_", " "),
                "power_platform": first["power_platform"] or "-",
                "total": gb(sum(c["gb"] for c in rows)),
                "unknown_lines": sum(1 for c in rows if c["confidence"] == "unknown"),
                "lines": [
                    {
                        "pool": c["pool"],
                        "capacity_type": c["capacity_type"],
                        # Never "0 GB" where the truth is "unknown": it is counted as 0 and the
                        # basis says so.
                        "gb": "unknown" if c["confidence"] == "unknown" else gb(c["gb"]),
                        "unknown": c["confidence"] == "unknown",
                        "basis": c["basis"],
                        "confidence": c["confidence"],
                    }
                    for c in rows
                ],
            }
        )
    return out


def _counted(groups: list[dict[str, Any]]) -> str:
    """ "2 errors, 1 warning, 0 notes": the count line above the findings."""
    parts = []
    for group in groups:
        one, many = SEVERITY_COUNTED[group["severity"]]
        count = len(group["entries"])
        parts.append(f"{count} {one if count == 1 else many}")
    return ", ".join(parts)


def report_view(plan: Plan) -> dict[str, Any]:
    """Everything the template shows, as display-ready values computed from ``plan_data``.

    Numbers come only from ``plan_data`` (the JSON contract); the rule set adds words the JSON
    does not carry (pool titles, source titles, the warning threshold).
    """
    data = plan_data(plan)
    ruleset = plan.ruleset
    pool_titles = {p.name: p.title for p in ruleset.pools}
    source_titles = {s.url: s.title for s in ruleset.sources.values()}
    warning_share = ruleset.thresholds.warning_remaining.value
    shortfall_of = {s["pool"]: s for s in data["shortfalls"]}
    unknown_lines: dict[str, int] = {}
    for line in data["consumption"]:
        if line["confidence"] == "unknown":
            unknown_lines[line["pool"]] = unknown_lines.get(line["pool"], 0) + 1

    summary = [
        {
            "pool": p["pool"],
            "title": pool_titles.get(p["pool"], p["pool"]),
            "entitled": gb(p["entitled_gb"]),
            "consumed": gb(p["consumed_gb"]),
            "borrowed_lent": signed_gb(p["borrowed_gb"] - p["lent_gb"]),
            "available": gb(p["available_gb"]),
            "left": percent(p["remaining_share"]),
            "status": status_view(p["status"]),
            "unknown_lines": unknown_lines.get(p["pool"], 0),
            "first_short": (
                shortfall_of[p["pool"]]["first_month"] if p["pool"] in shortfall_of else None
            ),
        }
        for p in data["capacity"]
    ]

    forecast_rows = _by_pool(data["forecast"])
    forecasts = [
        _pool_forecast(
            index,
            p["pool"],
            pool_titles.get(p["pool"], p["pool"]),
            forecast_rows.get(p["pool"], []),
            shortfall_of.get(p["pool"]),
        )
        for index, p in enumerate(data["capacity"])
        if forecast_rows.get(p["pool"])
    ]

    priced = [
        s["monthly_cost_usd"] for s in data["shortfalls"] if s["monthly_cost_usd"] is not None
    ]
    shortfalls = [
        {
            "pool": s["pool"],
            "title": pool_titles.get(s["pool"], s["pool"]),
            "first_month": s["first_month"],
            "peak_deficit": gb(s["peak_deficit_gb"]),
            "peak_month": s["peak_month"],
            "addon_sku": s["addon_sku"],
            "addon_unit": None if s["addon_unit_gb"] is None else gb(s["addon_unit_gb"]),
            "units": None if s["addon_units"] is None else number(s["addon_units"]),
            "monthly_cost": money(s["monthly_cost_usd"]),
            "priced": s["monthly_cost_usd"] is not None,
            "note": s["note"] or "",
        }
        for s in data["shortfalls"]
    ]

    entitlement = [
        {
            "pool": e["pool"],
            "license": e["sku"],
            "family": e["family"],
            "kind": e["kind"].replace("_", " "),
            "quantity": number(e["quantity"]),
            "per_unit": gb(e["per_unit_gb"]),
            "gb": gb(e["gb"]),
            "source_title": source_titles.get(e["source"], e["source"] or "no source"),
            "source_href": safe_href(e["source"]),
            "confidence": e["confidence"],
            "explanation": e["explanation"],
        }
        for e in data["entitlement"]
    ]

    consumption = _consumption_groups(data["consumption"])

    findings = [
        {
            "severity": severity,
            "word": SEVERITY_WORDS[severity],
            "entries": [f for f in data["findings"] if f["severity"] == severity],
        }
        for severity in SEVERITY_ORDER
    ]

    used_sources = {e["source"] for e in data["entitlement"]}
    sources = [
        {"title": s.title, "url": s.url, "href": safe_href(s.url), "id": s.id}
        for s in ruleset.sources.values()
        if s.url in used_sources
    ]

    return {
        "lang": "en",
        "title": f"Capacity plan, rule set {data['ruleset']}, as of {data['as_of']}",
        "generator": data["generator"],
        "schema_version": data["schema_version"],
        "as_of": data["as_of"],
        "horizon_end": data["horizon_end"],
        "months": data["months"],
        "headline": headline(data),
        "short": bool(data["shortfalls"]),
        "sections": [
            {"id": section_id, "heading": heading, "template": template}
            for section_id, heading, template in SECTIONS
        ],
        "warning_share": percent(warning_share),
        "summary": summary,
        "forecasts": forecasts,
        "shortfalls": shortfalls,
        "total_cost": money(sum(priced)) if priced else None,
        "unpriced_pools": [s["pool"] for s in data["shortfalls"] if s["monthly_cost_usd"] is None],
        "entitlement": entitlement,
        "consumption": consumption,
        "findings": findings,
        "finding_count": len(data["findings"]),
        "finding_counts": _counted(findings),
        "assumptions": [
            {
                "pool": a["pool"] or "all pools",
                "license": a["sku"] or "-",
                "value": a["value"],
                "reason": a["reason"],
                "rule": a["rule"],
                "environments": ", ".join(a["environments"] or []),
            }
            for a in data["assumptions"]
        ],
        "inputs": data["inputs"],
        "licenses": [
            {
                "sku": lic["sku"],
                "sku_given": lic["sku_given"],
                "quantity": number(lic["quantity"]),
                "role": lic["role"] or "-",
                "status": lic["status"].replace("_", " "),
                "source": lic["source"],
                "location": lic["location"],
            }
            for lic in data["licenses"]
        ],
        "ruleset": {
            "id": data["ruleset"],
            "title": data["ruleset_title"],
            "effective_from": data["ruleset_effective_from"],
            "defaults_combine": data["defaults_combine"],
            "sources": sources,
        },
    }


def render_html(plan: Plan) -> str:
    """The whole report as one HTML document; write it with ``atomic_write_text``."""
    return environment().get_template(TEMPLATE).render(report=report_view(plan))
