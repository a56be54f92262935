"""The portfolio of a batch of tenants: one row per tenant, ranked by when it runs short and
what covering that costs, as a page and a workbook that link each tenant's own report.

Numbers come from each tenant's Plan (its shortfalls and findings); nothing is computed here
that the tenant's report does not show.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any
from urllib.parse import quote

from planner import __version__
from planner.report.formatting import money
from planner.report.html import environment
from planner.report.xlsx import _month
from planner.report.xlsx_writer import (
    MONTH_FORMAT,
    USD_FORMAT,
    WHOLE_FORMAT,
    Column,
    SheetWriter,
    Styles,
    file_link,
    new_workbook,
)
from planner.results import Plan

TEMPLATE = "portfolio.html.j2"

PORTFOLIO_COLUMNS = (
    Column("Rank", WHOLE_FORMAT),
    Column("Tenant"),
    Column("Environments", WHOLE_FORMAT),
    Column("First month short", MONTH_FORMAT),
    Column("Pools short"),
    Column("Add-on cost per month (USD)", USD_FORMAT),
    Column("Unpriced pools"),
    Column("Errors", WHOLE_FORMAT),
    Column("Warnings", WHOLE_FORMAT),
    Column("Report"),
    Column("Workbook"),
    Column("Problem"),
)


def tenant_summary(name: str, plan: Plan, files: dict[str, str]) -> dict[str, Any]:
    """What the portfolio shows of one planned tenant; ``files`` its report's files, relative
    to the portfolio's folder."""
    shortfalls = plan.shortfalls
    costs = [
        float(cost)
        for cost in shortfalls["monthly_cost_usd"].tolist()
        if cost is not None and not math.isnan(cost)
    ]
    unpriced = [
        str(row.pool)
        for row in shortfalls.itertuples(index=False)
        if row.monthly_cost_usd is None or math.isnan(row.monthly_cost_usd)
    ]
    severities = [finding.severity for finding in plan.findings]
    return {
        "tenant": name,
        "environments": int(plan.inputs.environments["name"].nunique()),
        "first_shortfall": min(shortfalls["first_month"].tolist(), default=None),
        "pools_short": sorted(str(pool) for pool in shortfalls["pool"].tolist()),
        "monthly_cost_usd": sum(costs),
        "unpriced_pools": unpriced,
        "errors": severities.count("error"),
        "warnings": severities.count("warning"),
        "files": files,
        "problem": None,
    }


def failed_summary(name: str, problem: str) -> dict[str, Any]:
    """A tenant whose inputs could not be planned: the message says why."""
    return {
        "tenant": name,
        "environments": None,
        "first_shortfall": None,
        "pools_short": [],
        "monthly_cost_usd": None,
        "unpriced_pools": [],
        "errors": None,
        "warnings": None,
        "files": {},
        "problem": problem,
    }


def ranked(tenants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The soonest short first, the costlier first within a month; tenants never short after
    them, by cost then name; tenants that could not be planned last. Each gets its rank."""

    def key(tenant: dict[str, Any]) -> tuple[Any, ...]:
        failed = tenant["problem"] is not None
        month = tenant["first_shortfall"]
        return (
            failed,
            month is None,
            month or "",
            -(tenant["monthly_cost_usd"] or 0.0),
            tenant["tenant"].casefold(),
        )

    out = sorted(tenants, key=key)
    return [{**tenant, "rank": index} for index, tenant in enumerate(out, start=1)]


def portfolio_data(tenants: list[dict[str, Any]], as_of: str, months: int) -> dict[str, Any]:
    rows = ranked(tenants)
    planned = [t for t in rows if t["problem"] is None]
    return {
        "generator": f"capplan {__version__}",
        "as_of": as_of,
        "months": months,
        "tenants": rows,
        "tenant_count": len(rows),
        "short_count": sum(1 for t in planned if t["first_shortfall"]),
        "failed_count": len(rows) - len(planned),
        "monthly_cost_usd": sum(t["monthly_cost_usd"] or 0.0 for t in planned),
    }


def _href(path: str | None) -> str | None:
    return quote(path.replace("\\", "/")) if path else None


def render_portfolio_html(data: dict[str, Any]) -> str:
    """One self-contained page: the tenants ranked, each linking its own report."""
    view = {
        **data,
        "total_cost": money(data["monthly_cost_usd"]),
        "rows": [
            {
                "rank": t["rank"],
                "tenant": t["tenant"],
                "environments": "-" if t["environments"] is None else f"{t['environments']:,}",
                "first_shortfall": t["first_shortfall"] or "none",
                "short": bool(t["first_shortfall"]),
                "pools_short": ", ".join(t["pools_short"]) or "-",
                "cost": "-" if t["monthly_cost_usd"] is None else money(t["monthly_cost_usd"]),
                "unpriced": ", ".join(t["unpriced_pools"]),
                "errors": "-" if t["errors"] is None else str(t["errors"]),
                "warnings": "-" if t["warnings"] is None else str(t["warnings"]),
                "html": _href(t["files"].get("html")),
                "xlsx": _href(t["files"].get("xlsx")),
                "problem": t["problem"],
            }
            for t in data["tenants"]
        ],
    }
    return environment().get_template(TEMPLATE).render(portfolio=view)


def write_portfolio_xlsx(data: dict[str, Any], path: Path | str) -> None:
    """The same ranking as a workbook, linking each tenant's workbook and page."""
    workbook = new_workbook(path)
    writer = SheetWriter(workbook.add_worksheet("Portfolio"), Styles(workbook))
    rows = []
    for t in data["tenants"]:
        files = t["files"]
        rows.append(
            [
                t["rank"],
                t["tenant"],
                t["environments"],
                _month(t["first_shortfall"])
                if t["first_shortfall"]
                else (None if t["problem"] else "none"),
                ", ".join(t["pools_short"]) or None,
                t["monthly_cost_usd"],
                ", ".join(t["unpriced_pools"]) or None,
                t["errors"],
                t["warnings"],
                file_link(files["html"]) if "html" in files else None,
                file_link(files["xlsx"]) if "xlsx" in files else None,
                t["problem"],
            ]
        )
    writer.table(PORTFOLIO_COLUMNS, rows)
    writer.finish()
    workbook.set_properties(
        {"author": data["generator"], "title": f"Capacity portfolio as of {data['as_of']}"}
    )
    workbook.close()
