"""``report --html``: one self-contained HTML file of a Plan (inline CSS, inline SVG, no scripts).

Data first, then a template (as coverage.py does): :func:`report_view` turns
a :class:`planner.report.data.ReportData` into display values (every number formatted here, once),
and the Jinja2 templates in ``templates/`` only place them. No markup is assembled in Python, and
autoescaping is on, so text from an input file (an environment name, a file name) stays text.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlsplit

import numpy as np
import pandas as pd
from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
)
from jinja2.bccache import Bucket
from markupsafe import Markup

from planner.errors import page_text
from planner.model.inputs import CAPACITY_TYPES
from planner.planning import COMBINE_WORDS
from planner.report.charts import comparison_chart, forecast_chart, marker_path, plan_style
from planner.report.data import TABLES, ReportData, records
from planner.report.formatting import (
    ENVIRONMENTS_SHOWN,
    FINDINGS_SHOWN_PER_CODE,
    cost_summary,
    gb,
    money,
    number,
    percent,
    purchase_rows,
    signed_gb,
)
from planner.report.tallies import OTHER_SEVERITY, SEVERITY_ORDER, Findings, Lines
from planner.report.words import (
    CAPACITY_TYPE_WORDS,
    CONFIDENCE_WORDS,
    ENTITLEMENT_KIND_WORDS,
    ENVIRONMENT_TYPE_WORDS,
    LICENSE_STATUS_WORDS,
    POWER_PLATFORM_WORDS,
    ROLE_WORDS,
    Names,
    file_name,
    format_words,
    plural,
    sentence,
    subject_words,
    words,
)
from planner.resources import bundled_dir
from planner.ruleset.catalog import MATCHED_BY_WORDS

TEMPLATE = "report.html.j2"
SEVERITY_WORDS = {"error": "Error", "warning": "Warning", "info": "Info"}
SEVERITY_COUNTED = {
    "error": ("error", "errors"),
    "warning": ("warning", "warnings"),
    "info": ("note", "notes"),
}
SAFE_LINK_SCHEMES = ("http", "https")
# The After borrowing line is drawn where it is more than this share of the chart's top value
# away from both Entitled and Consumed in some month; closer, it would hide behind them.
AFTER_BORROWING_VISIBLE = 0.005

# The report's sections in order: (id, heading, template). A later section (for example the
# comparison of what-if scenarios) is one more entry here and one more template.
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("summary", "Capacity now", "sections/summary.html.j2"),
    ("forecast", "Forecast", "sections/forecast.html.j2"),
    ("timeline", "Banners and overage lifecycle", "sections/timeline.html.j2"),
    ("buy", "What to buy", "sections/buy.html.j2"),
    ("entitlement", "Entitlement", "sections/entitlement.html.j2"),
    ("consumption", "Consumption", "sections/consumption.html.j2"),
    ("findings", "Findings", "sections/findings.html.j2"),
    ("assumptions", "Assumptions", "sections/assumptions.html.j2"),
    ("inputs", "Inputs and rule set", "sections/inputs.html.j2"),
)
# With what-if scenarios, their comparison with the baseline follows "What to buy".
SCENARIO_SECTION = ("scenarios", "Scenarios", "sections/scenarios.html.j2")
SCENARIO_SECTION_AFTER = "buy"
# With Microsoft's figures among the inputs, the reconciliation follows the findings.
RECONCILIATION_SECTION = (
    "reconciliation",
    "Microsoft's figures",
    "sections/reconciliation.html.j2",
)
RECONCILIATION_SECTION_AFTER = "findings"
BASELINE_NAME = "Baseline"

# The columns of a consumption line the page lists.
CONSUMPTION_COLUMNS = (
    "environment",
    "pool",
    "capacity_type",
    "environment_type",
    "power_platform",
    "gb",
    "confidence",
    "basis",
)
# The page shows what a reader acts on and stays small at any tenant size; the workbook and the
# JSON hold every line. How many environments (and findings per code) the page lists:
LARGEST_SHOWN = 20
WITH_FINDINGS_SHOWN = 20
# License lines the page lists (an export can hold hundreds of thousands); the rest are counted.
LICENSES_SHOWN = 100
# What the complete lists are called where the page points to them.
FILE_WORDS = {"xlsx": "the workbook's Consumption sheet", "json": "the plan JSON"}


class _TemplateCache(FileSystemBytecodeCache):
    """The page's templates as compiled by an earlier run: Jinja's cache folder for the user
    (made by Jinja in the temporary folder, private to the user, refused if anyone else owns
    it). Compiling the templates takes about a tenth of a second; loading them, a millisecond.
    A cache that cannot be written is no cache; one that is damaged or from another version of
    Jinja or Python is compiled again (Jinja checks each entry's version and the template's
    checksum)."""

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):  # a full or read-only temporary folder
            super().dump_bytecode(bucket)

    def get_source_checksum(self, source: str) -> str:
        """The template's checksum, and the settings compiled into it: a template compiled
        before the page's text went through ``finalize`` is compiled again, not used."""
        return super().get_source_checksum(source + "\0" + _COMPILED_WITH)


# What the environment compiles into every template besides its source (see _TemplateCache).
_COMPILED_WITH = "finalize=_on_the_page"


def _template_cache() -> BytecodeCache | None:
    try:
        return _TemplateCache()
    except (OSError, RuntimeError):  # no private folder to be had
        return None


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(bundled_dir("templates")),
        bytecode_cache=_template_cache(),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt key fails loudly instead of printing nothing
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_on_the_page,
    )


def _on_the_page(value: Any) -> Any:
    """Every value a page prints, its text as :func:`page_text` shows it (markup made here
    stays markup: escapes of such characters are no markup)."""
    if isinstance(value, Markup):
        return Markup(page_text(str(value)))
    if isinstance(value, str):
        return page_text(value)
    return value


def safe_href(url: str | None) -> str | None:
    """A link target only for web addresses: a rules file could name ``javascript:`` as source."""
    if not url:
        return None
    scheme = urlsplit(str(url).strip()).scheme.lower()
    return str(url).strip() if scheme in SAFE_LINK_SCHEMES else None


def status_view(report: ReportData, row: dict[str, Any]) -> dict[str, str]:
    """A status badge: the stable code for its colour and shape, the admin center's words."""
    return {"key": row["status"], "word": report.status_words(row)}


def _by_pool(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["pool"], []).append(row)
    return grouped


def _pool_forecast(
    report: ReportData,
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
    # Borrowing moves capacity between pools: the line a pool is measured against is then its
    # entitlement plus what it borrows, minus what it lends. Drawn only where it differs from
    # both other lines in some month; the caption says what it is.
    after = [r["entitled_gb"] + r["borrowed_gb"] - r["lent_gb"] for r in rows]
    span = max([*entitled, *consumed, *after], default=0.0) or 1.0
    shown_after = any(
        abs(a - e) > AFTER_BORROWING_VISIBLE * span for a, e in zip(after, entitled, strict=True)
    ) and any(
        abs(a - c) > AFTER_BORROWING_VISIBLE * span for a, c in zip(after, consumed, strict=True)
    )
    if shown_after:
        series.append({"key": "after-borrowing", "name": "After borrowing", "values": after})
    first_short = shortfall["first_month"] if shortfall else None
    empty = not any(abs(v) > 1e-9 for v in [*entitled, *consumed])
    chart = forecast_chart(months, series, [r["status"] == "over" for r in rows], first_short)
    description = (
        f"Entitled {gb(entitled[0])} in {months[0]} and {gb(entitled[-1])} in {months[-1]}; "
        f"consumed {gb(consumed[0])} in {months[0]} and {gb(consumed[-1])} in {months[-1]}. "
    )
    if shortfall and shortfall.get("growing_at_end"):
        description += (
            f"Short from {shortfall['first_month']}; the deficit is still growing at the end of "
            f"the horizon ({gb(shortfall['peak_deficit_gb'])} in {months[-1]})."
        )
    elif shortfall:
        description += (
            f"Short from {shortfall['first_month']}; the deficit peaks at "
            f"{gb(shortfall['peak_deficit_gb'])} in {shortfall['peak_month']}."
        )
    else:
        description += "No shortfall within the horizon."
    if chart["y_min"] > 0:
        description += f" The axis starts at {gb(chart['y_min'])}, not at zero."
    notes = []
    if shown_after:
        notes.append(
            "After borrowing: the capacity the pool is measured against once it borrows "
            "unused capacity from another pool (above Entitled) or lends its own (below)."
        )
    chart.update(
        {
            "id": f"chart-{index}",
            "title": f"{title}: entitled and consumed capacity by month",
            "description": description,
        }
    )
    return {
        "pool": pool,
        "title": title,
        "id": f"forecast-{index}",
        "chart": chart,
        "empty": empty,
        "notes": notes,
        "shortfall": shortfall,
        "rows": [
            {
                "month": r["month"],
                "entitled": gb(r["entitled_gb"]),
                "consumed": gb(r["consumed_gb"]),
                "borrowed_lent": signed_gb(r["borrowed_gb"] - r["lent_gb"]),
                "available": gb(r["available_gb"]),
                "status": status_view(report, r),
                "effective": gb(r["effective_entitled_gb"]),
                "left": percent(r["remaining_share"], 1),
                "first_short": r["month"] == first_short,
            }
            for r in rows
        ],
    }


def _consumption_groups(
    lines: list[dict[str, Any]], names: Names | None = None
) -> list[dict[str, Any]]:
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
                "type": words(first["environment_type"], ENVIRONMENT_TYPE_WORDS),
                "power_platform": words(first["power_platform"], POWER_PLATFORM_WORDS),
                "total": gb(sum(c["gb"] for c in rows)),
                "unknown_lines": sum(1 for c in rows if c["confidence"] == "unknown"),
                "findings": [],
                "lines": [
                    {
                        "pool": names.pool(c["pool"]) if names else c["pool"],
                        "capacity_type": words(c["capacity_type"], CAPACITY_TYPE_WORDS),
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


def _type_totals(lines: Lines, titles: Names | None = None) -> list[dict[str, Any]]:
    """Per capacity type: its pool, the GB counted, and how many lines are measured, estimated
    or unknown (counted as 0 GB)."""
    kinds = lines.kind
    if not len(kinds.values):
        return []
    gb_sums = lines.kind_totals()
    sizes = kinds.count()
    measured_lines = kinds.count(lines.measured)
    unknown_lines = kinds.count_at(lines.unknown)
    pools = lines.frame["pool"].to_numpy(dtype=object)[kinds.first()]
    position = {kind: index for index, kind in enumerate(kinds.values.tolist())}
    order = [t for t in CAPACITY_TYPES if t in position]
    order += sorted(t for t in position if t not in order)
    rows = []
    for capacity_type in order:
        index = position[capacity_type]
        environments, measured, unknown = (
            int(sizes[index]),
            int(measured_lines[index]),
            int(unknown_lines[index]),
        )
        rows.append(
            {
                "capacity_type": words(capacity_type, CAPACITY_TYPE_WORDS),
                "pool": titles.pool(pools[index]) if titles else pools[index],
                "gb": gb(float(gb_sums[index])),
                "environments": number(environments),
                "measured": number(measured),
                "estimated": number(environments - measured - unknown),
                "unknown": number(unknown),
                "has_unknown": unknown > 0,
            }
        )
    return rows


def _file_links(files: dict[str, str] | None) -> list[dict[str, str | None]]:
    """Where the complete list is: the workbook and the JSON, linked where they were written."""
    files = files or {}
    return [
        {
            "words": words,
            "name": files[kind].replace("\\", "/").rsplit("/", 1)[-1] if kind in files else None,
            "href": quote(files[kind].replace("\\", "/")) if kind in files else None,
        }
        for kind, words in FILE_WORDS.items()
    ]


def _first_by_name(
    codes: np.ndarray, names: np.ndarray, count: int, before: np.ndarray
) -> list[int]:
    """The first ``count`` of ``codes`` ordered by name ignoring case, equal names in the order
    of ``before`` (by code): as a sort of them all would give them."""
    codes = codes[np.argsort(before[codes], kind="stable")]
    # (name, place) pairs: equal names keep their order, and no name is folded twice.
    keys = zip(map(str.casefold, names[codes].tolist()), itertools.count(), strict=False)
    return [int(codes[place]) for _, place in heapq.nsmallest(count, keys)]


def _largest(totals: np.ndarray, names: np.ndarray, count: int) -> list[int]:
    """The codes of the ``count`` largest ``totals``, the largest first; equal totals by name
    ignoring case, as elsewhere (then in code order)."""
    if len(totals) > count and not np.isnan(totals).any():
        # Every total at least the count-th largest, in code order: what nlargest keeps.
        cut = len(totals) - count
        candidates = np.flatnonzero(totals >= np.partition(totals, cut)[cut])
    else:
        candidates = pd.Series(totals).nlargest(count, keep="all").index.to_numpy()
    ranked = sorted(
        zip(candidates.tolist(), totals[candidates].tolist(), strict=True),
        key=lambda item: (-item[1], names[item[0]].casefold()),
    )
    return [code for code, _ in ranked[:count]]


def consumption_view(
    lines: Lines,
    findings: Findings,
    files: dict[str, str] | None = None,
    titles: Names | None = None,
) -> dict[str, Any]:
    """The Consumption section: totals per capacity type, the largest environments and those
    with findings, each with its lines. Every line of every environment stays in the workbook
    and the JSON (``files``: their paths relative to the page, where they were written)."""
    names = lines.environments
    count = len(names)
    largest = _largest(lines.environment_totals(), names, LARGEST_SHOWN)

    # Environments with findings: the worst severity of each, and its first finding (equal
    # severities and names keep the order of the findings).
    about = np.flatnonzero(lines.subject >= 0)
    subject = lines.subject[about]
    worst = np.full(count, OTHER_SEVERITY + 1)
    np.minimum.at(worst, subject, findings.rank[about])
    first = np.full(count, len(findings))
    np.minimum.at(first, subject, about)
    flagged = int(np.count_nonzero(worst <= OTHER_SEVERITY))
    # When every environment is among the largest, one list says it all.
    every = len(largest) == count
    flagged_shown: list[int] = []
    for rank in range(OTHER_SEVERITY + 1):
        if every or len(flagged_shown) == WITH_FINDINGS_SHOWN:
            break
        flagged_shown += _first_by_name(
            np.flatnonzero(worst == rank), names, WITH_FINDINGS_SHOWN - len(flagged_shown), first
        )

    wanted = np.zeros(count + 1, dtype=bool)  # the last place answers for code -1
    wanted[[*largest, *flagged_shown]] = True
    groups = {
        group["environment"]: group
        for group in _consumption_groups(
            lines.records(np.flatnonzero(wanted[lines.environment]), CONSUMPTION_COLUMNS), titles
        )
    }
    codes: dict[str, dict[str, int]] = {}
    for position in about[wanted[subject]].tolist():
        finding = findings.record(position)
        worst_of = codes.setdefault(names[lines.subject[position]], {})
        worst_of[finding["code"]] = min(
            worst_of.get(finding["code"], OTHER_SEVERITY), int(findings.rank[position])
        )
    for name, group in groups.items():
        if name in codes:
            group["findings"] = sorted(codes[name], key=lambda c: (codes[name][c], c))
    shown = int(np.count_nonzero(wanted))
    return {
        "environment_count": number(count),
        "line_count": number(len(lines.frame)),
        "complete": shown == count,
        "every": every,
        "shown_count": number(shown),
        "totals": _type_totals(lines, titles),
        "largest": [groups[names[code]] for code in largest],
        "largest_count": len(largest),
        "with_findings": [groups[names[code]] for code in flagged_shown],
        "with_findings_count": number(flagged),
        "with_findings_more": number(flagged - len(flagged_shown)),
        "files": _file_links(files),
    }


# Findings the page lists at most, shared among the codes that have any: each code its first 20
# (FINDINGS_SHOWN_PER_CODE), fewer when more than five codes share the hundred, but never fewer
# than three. However many codes a large tenant raises, the page stays quick to open.
FINDINGS_ON_PAGE = 100
FINDINGS_ON_PAGE_PER_CODE_AT_LEAST = 3


def _findings_view(findings: list[dict[str, Any]] | Findings, names: Names) -> list[dict[str, Any]]:
    """Findings by severity; a code with many findings shows its first few and counts the rest
    (the workbook and the JSON list them all)."""
    if not isinstance(findings, Findings):
        findings = Findings.of(findings)
    per_code = min(
        FINDINGS_SHOWN_PER_CODE,
        max(FINDINGS_ON_PAGE_PER_CODE_AT_LEAST, FINDINGS_ON_PAGE // max(findings.code_count, 1)),
    )
    out = []
    for rank, severity in enumerate(SEVERITY_ORDER):
        shown, more = findings.shown(rank, per_code)
        out.append(
            {
                "severity": severity,
                "word": SEVERITY_WORDS[severity],
                "count": int(np.count_nonzero(findings.rank == rank)),
                "entries": [_finding_view(findings.record(i), names) for i in shown.tolist()],
                "more": [{"code": code, "count": number(count)} for code, count in more.items()],
            }
        )
    return out


def _environment_list(names: list[str] | None) -> str:
    names = names or []
    shown = ", ".join(names[:ENVIRONMENTS_SHOWN])
    rest = len(names) - ENVIRONMENTS_SHOWN
    return shown + (f" and {number(rest)} more" if rest > 0 else "")


def _counted(groups: list[dict[str, Any]]) -> str:
    """ "2 errors, 1 warning, 0 notes": the count line above the findings."""
    parts = []
    for group in groups:
        one, many = SEVERITY_COUNTED[group["severity"]]
        count = group["count"]
        parts.append(f"{count} {one if count == 1 else many}")
    return ", ".join(parts)


def _sections(with_scenarios: bool, with_reconciliation: bool = False) -> list[dict[str, str]]:
    extra = {}
    if with_scenarios:
        extra[SCENARIO_SECTION_AFTER] = SCENARIO_SECTION
    if with_reconciliation:
        extra[RECONCILIATION_SECTION_AFTER] = RECONCILIATION_SECTION
    sections = []
    for section_id, heading, template in SECTIONS:
        sections.append({"id": section_id, "heading": heading, "template": template})
        if section_id in extra:
            more_id, more_heading, more_template = extra[section_id]
            sections.append({"id": more_id, "heading": more_heading, "template": more_template})
    return sections


def reconciliation_view(section: dict[str, Any]) -> dict[str, Any]:
    """The reconciliation as the page shows it: GB with two decimals, differences signed."""
    tolerance = section["tolerance_gb"]

    def difference(value: float | None) -> dict[str, Any]:
        if value is None:
            return {"text": "unknown", "differs": False}
        if abs(value) <= tolerance:
            return {"text": "equal", "differs": False}
        return {"text": signed_gb(value), "differs": True}

    def units(value: int | None) -> str:
        return "-" if value is None else f"{value:,}"

    return {
        "tenant_id": section["tenant_id"] or "not stated",
        "license_model": section["license_model"] or "not stated",
        "source": section["source"],
        "matches": section["matches"],
        "tolerance": number(tolerance),
        "pools": [
            {
                "pool": p["pool"],
                "capplan_entitled": number(p["capplan_entitled_gb"]),
                "microsoft_entitled": number(p["microsoft_entitled_gb"]),
                "entitled_difference": difference(p["entitled_difference_gb"]),
                "capplan_consumed": number(p["capplan_consumed_gb"]),
                "microsoft_consumed": number(p["microsoft_consumed_gb"]),
                "microsoft_actual": number(p["microsoft_actual_gb"]),
                "consumed_difference": difference(p["consumed_difference_gb"]),
            }
            for p in section["pools"]
        ],
        "licenses": [
            {
                "sku": lic["sku"],
                "pool": lic["pool"],
                "part": lic["part"],
                "units": f"{units(lic['capplan_units'])} / {units(lic['microsoft_units'])}",
                "capplan": number(lic["capplan_gb"]),
                "microsoft": number(lic["microsoft_gb"]),
                "difference": difference(lic["difference_gb"]),
                "temporary": (
                    f"temporary, expires {lic['expires'] or 'on no stated date'}"
                    if lic["temporary"]
                    else ""
                ),
            }
            for lic in section["licenses"]
        ],
        "explanations": section["explanations"],
        "not_counted": [row["capacity_type"] for row in section["not_counted"]],
    }


def _change(
    value: float | None, formatter: Callable[[float], str], higher_is_better: bool
) -> dict[str, str]:
    """A scenario's difference from the baseline: signed text and whether it helps."""
    if value is None:
        return {"text": "-", "direction": "unknown"}
    if abs(value) < 1e-9:
        return {"text": "no change", "direction": "same"}
    better = (value > 0) == higher_is_better
    return {
        "text": ("+" if value > 0 else "-") + formatter(abs(value)),
        "direction": "better" if better else "worse",
    }


def _units(value: float | None) -> str:
    return "-" if value is None else number(value)


def _shortfall_change(month: str | None, baseline_month: str | None) -> dict[str, str] | None:
    """How the first short month moved; None when it did not."""
    if month == baseline_month:
        return None
    # A later month, or none at all, leaves more time (YYYY-MM strings sort as months do).
    better = month is None or (baseline_month is not None and month > baseline_month)
    return {
        "text": f"baseline: {baseline_month or 'none'}",
        "direction": "better" if better else "worse",
    }


def _comparison_row(
    name: str, index: int, summary: dict[str, Any], delta: dict[str, Any] | None
) -> dict[str, Any]:
    """A plan's row of a pool table; ``delta`` None for the baseline, empty for a scenario pool
    that no baseline pool matches (its differences are then unknown)."""

    def cell(key: str, formatter: Callable[[Any], str], higher_is_better: bool) -> dict[str, Any]:
        value = summary[key]
        return {
            "text": formatter(value),
            "change": (
                None if delta is None else _change(delta.get(key), formatter, higher_is_better)
            ),
        }

    # Without a baseline pool to compare with there is no earlier or later first short month.
    comparable = delta is not None and bool(delta) and delta.get("baseline_pools", [None]) != []

    style, shape = plan_style(index)
    return {
        "name": name,
        "baseline": delta is None,
        "style": style,
        "swatch": marker_path(shape, 18, 8),
        "entitled": cell("entitled_gb", gb, True),
        "consumed": cell("consumed_gb", gb, False),
        "available": cell("available_gb", gb, True),
        "available_end": cell("available_end_gb", gb, True),
        "first_short": {
            "text": summary["first_shortfall"] or "none",
            "short": summary["first_shortfall"] is not None,
            "change": (
                _shortfall_change(delta["first_shortfall"], delta["baseline_first_shortfall"])
                if comparable and delta is not None
                else None
            ),
        },
        "units": cell("addon_units", _units, False),
        "cost": cell("monthly_cost_usd", money, False),
    }


def _switch_notes(pool: str, members: list[dict[str, Any]]) -> list[str]:
    """What a reader needs to know about scenarios that renew into another rule set."""
    notes = []
    if any(plan["switch"] and pool in plan["summary"] for plan in members):
        notes.append(
            'A scenario marked "from" a month renews into another rule set then: its figures '
            "start in that month and are compared with the baseline's in the same month (with "
            "the baseline pools that make up its pool, where the rule sets split capacity "
            "differently; - where none does)."
        )
    for plan in members:
        if plan["switch"] and pool not in plan["summary"]:
            notes.append(
                f"The line of {plan['name']} ends before {plan['switch']}: from then on it plans "
                "with the pools of its new rule set, shown separately."
            )
    return notes


def _comparison_pool(
    index: int, pool: str, title: str, months: list[str], plans: list[dict[str, Any]]
) -> dict[str, Any]:
    """One pool: the table of plans, and the chart and data table of available GB by month.

    ``plans``: per plan (baseline first) its style ``index``, ``name``, pool summary rows and
    delta rows by pool (``delta`` None for the baseline) and ``available`` GB by (pool, month).
    A plan without the pool (a scenario under a rule set that splits pools differently) is left
    out; one that plans only some months (a renewal from a month on) has gaps.
    """
    members = [
        plan
        for plan in plans
        if pool in plan["summary"] or any((pool, m) in plan["available"] for m in months)
    ]
    values = {
        plan["index"]: [plan["available"].get((pool, month)) for month in months]
        for plan in members
    }
    chart = comparison_chart(
        months,
        [{"name": p["name"], "values": values[p["index"]], "index": p["index"]} for p in members],
    )
    sentences = []
    for plan in members:
        known = [
            (m, v) for m, v in zip(months, values[plan["index"]], strict=True) if v is not None
        ]
        if not known:
            continue
        sentence = (
            f"{plan['name']}: {gb(known[0][1])} available in {known[0][0]}, "
            f"{gb(known[-1][1])} in {known[-1][0]}, "
        )
        first_short = plan["summary"].get(pool, {}).get("first_shortfall")
        sentence += f"short from {first_short}." if first_short else "never short."
        sentences.append(sentence)
    chart.update(
        {
            "id": f"comparison-chart-{index}",
            "title": f"{title}: available capacity by month, one line per plan",
            "description": " ".join(sentences),
        }
    )
    horizon_end = months[-1]
    return {
        "pool": pool,
        "title": title,
        "id": f"comparison-{index}",
        "horizon_end": horizon_end,
        "rows": [
            _comparison_row(
                plan["name"],
                plan["index"],
                plan["summary"][pool],
                None if plan["delta"] is None else plan["delta"].get(pool, {}),
            )
            for plan in members
            if pool in plan["summary"]
        ],
        "notes": _switch_notes(pool, members),
        "chart": chart,
        "plans": [plan["name"] for plan in members],
        "months": [
            {
                "month": month,
                "cells": [
                    {
                        "text": "-" if value is None else gb(value),
                        "short": value is not None and value < -1e-9,
                    }
                    for value in (values[plan["index"]][position] for plan in members)
                ],
            }
            for position, month in enumerate(months)
        ],
    }


def _finding_view(finding: dict[str, Any], names: Names) -> dict[str, Any]:
    return {
        "severity": finding["severity"],
        "word": SEVERITY_WORDS.get(finding["severity"], finding["severity"]),
        "code": finding["code"],
        "subject": subject_words(finding["subject"], names),
        "month": finding["month"],
        "message": finding["message"],
    }


def _finding_changes(
    baseline: list[dict[str, Any]], scenario: list[dict[str, Any]], names: Names
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Findings the scenario adds and those of the baseline it no longer has, by code and
    subject (as ``capplan whatif`` compares them), most severe first."""
    before = {(f["code"], f["subject"]) for f in baseline}
    after = {(f["code"], f["subject"]) for f in scenario}
    rank = {severity: position for position, severity in enumerate(SEVERITY_ORDER)}

    def ordered(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            _finding_view(f, names)
            for f in sorted(findings, key=lambda f: rank.get(f["severity"], len(rank)))
        ]

    new = [f for f in scenario if (f["code"], f["subject"]) not in before]
    gone = [f for f in baseline if (f["code"], f["subject"]) not in after]
    return ordered(new), ordered(gone)


def _available(*plans: dict[str, Any]) -> dict[tuple[str, str], float]:
    """Available GB by (pool, month) over the given plan data; a later plan wins a month."""
    return {(r["pool"], r["month"]): r["available_gb"] for plan in plans for r in plan["forecast"]}


def comparison_view(
    data: dict[str, Any], pool_titles: dict[str, str], names: Names
) -> dict[str, Any]:
    """The Scenarios section: every number from the comparison's data (the ``whatif`` JSON)."""
    baseline = data["baseline"]
    months = list(dict.fromkeys(r["month"] for r in baseline["forecast"]))
    plans: list[dict[str, Any]] = [
        {
            "index": 0,
            "name": BASELINE_NAME,
            "summary": {r["pool"]: r for r in data["baseline_summary"]},
            "delta": None,
            "available": _available(baseline),
            "switch": None,
        }
    ]
    scenarios = []
    extensions: list[dict[str, str]] = []
    for number_, scenario in enumerate(data["scenarios"], start=1):
        switch = scenario.get("ruleset_switch")
        before = scenario.get("plan_before_switch")
        # A renewal into another rule set counts from its switch month, as in ``whatif``.
        name = f"{scenario['name']} (from {switch['month']})" if switch else scenario["name"]
        plans.append(
            {
                "index": number_,
                "name": name,
                "summary": {r["pool"]: r for r in scenario["summary"]},
                "delta": {r["pool"]: r for r in scenario["delta"]},
                "available": _available(*([before] if before else []), scenario["plan"]),
                "switch": switch["month"] if switch else None,
            }
        )
        style, shape = plan_style(number_)
        findings = [*(before["findings"] if before else []), *scenario["plan"]["findings"]]
        new, gone = _finding_changes(baseline["findings"], findings, names)
        extensions += [
            {
                "plan": scenario["name"],
                "pool": pool_titles.get(e["pool"], e["pool"]),
                "month": e["month"],
                "gb": gb(e["gb"]),
                "months": (
                    e["months"][0]
                    if len(e["months"]) == 1
                    else f"{e['months'][0]} to {e['months'][-1]}"
                ),
                "allowed": e["allowed"],
                "bridges": "Yes" if e["bridges"] else "No",
                "note": e["note"],
            }
            for e in scenario.get("extensions", [])
        ]
        scenarios.append(
            {
                "id": f"scenario-{number_}",
                "name": scenario["name"],
                "source": file_name(scenario["source"]),
                "description": scenario["description"],
                "changes": scenario["changes"],
                "rules": switch["rules"] if switch else None,
                "switch_month": switch["month"] if switch else None,
                "style": style,
                "swatch": marker_path(shape, 18, 8),
                "new_findings": new,
                "gone_findings": gone,
            }
        )
    # The baseline's pools, then any a scenario's other rule set adds.
    pool_names = list(dict.fromkeys(p for plan in plans for p in plan["summary"]))
    pools = [
        _comparison_pool(index, pool, pool_titles.get(pool, pool), months, plans)
        for index, pool in enumerate(pool_names)
    ]
    baseline_style, baseline_shape = plan_style(0)
    return {
        "count": len(scenarios),
        "baseline": {
            "name": BASELINE_NAME,
            "style": baseline_style,
            "swatch": marker_path(baseline_shape, 18, 8),
        },
        "scenarios": scenarios,
        "pools": pools,
        "extensions": extensions,
    }


def report_view(report: ReportData, files: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything the template shows, as display-ready values.

    Numbers come only from the plan's data (the JSON contract; the consumption lines as the
    frame of the same numbers) and, with scenarios, the comparison's data (the ``whatif`` JSON);
    the rule set's words come with them (pool titles, source titles, the warning threshold).
    ``files`` are the workbook and JSON written with the page (``{"xlsx": path, "json": path}``,
    relative to the page), which hold the complete lists.
    """
    # The findings as the plan has them: the page makes records of those it lists alone.
    data = report.outline
    lines = report.tables["consumption"]
    licenses = report.tables["licenses"]
    names = report.names
    pool_titles = report.pool_titles
    source_titles = report.source_titles
    shortfall_of = {s["pool"]: s for s in data["shortfalls"]}
    finding_columns = Findings.of(data["findings"])
    line_columns = Lines.of(lines, finding_columns)
    unknown_lines = line_columns.unknown_by_pool()

    summary = [
        {
            "pool": p["pool"],
            "title": pool_titles.get(p["pool"], p["pool"]),
            "entitled": gb(p["entitled_gb"]),
            "consumed": gb(p["consumed_gb"]),
            "borrowed_lent": signed_gb(p["borrowed_gb"] - p["lent_gb"]),
            "available": gb(p["available_gb"]),
            "left": percent(p["remaining_share"], 1),
            "effective": gb(p["effective_entitled_gb"]),
            "lenders": ", ".join(
                f"{gb(amount)} from {pool_titles.get(lender, lender)}"
                for lender, amount in p["borrowed_from"].items()
            ),
            "status": status_view(report, p),
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
            report,
            index,
            p["pool"],
            pool_titles.get(p["pool"], p["pool"]),
            forecast_rows.get(p["pool"], []),
            shortfall_of.get(p["pool"]),
        )
        for index, p in enumerate(data["capacity"])
        if forecast_rows.get(p["pool"])
    ]

    purchases = purchase_rows(data, names)

    entitlement = [
        {
            "pool": names.pool(e["pool"]),
            "license": names.product(e["sku"]) if e["sku"] else None,
            "sku": e["sku"],
            "extension": e["kind"] == "capacity_extension",
            "family": names.family(e["family"]),
            "kind": words(e["kind"], ENTITLEMENT_KIND_WORDS),
            "quantity": number(e["quantity"]),
            "per_unit": gb(e["per_unit_gb"]),
            "gb": gb(e["gb"]),
            "source_title": source_titles.get(e["source"], e["source"] or "no source"),
            "source_href": safe_href(e["source"]),
            "confidence": e["confidence"],
            "confidence_word": words(e["confidence"], CONFIDENCE_WORDS),
        }
        for e in data["entitlement"]
    ]

    consumption = consumption_view(line_columns, finding_columns, files, names)
    findings = _findings_view(finding_columns, names)

    used_sources = {e["source"] for e in data["entitlement"]}
    sources = [
        {"title": s.title, "url": s.url, "href": safe_href(s.url), "id": s.id}
        for s in report.sources
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
        "headline": data["headline"]["lines"],
        "tone": data["headline"]["tone"],
        "sections": _sections(report.comparison is not None, "reconciliation" in data),
        "reconciliation": (
            reconciliation_view(data["reconciliation"]) if "reconciliation" in data else None
        ),
        "comparison": (
            None
            if report.comparison is None
            else comparison_view(report.comparison, pool_titles, names)
        ),
        "warning_share": percent(report.warning_share),
        "critical_share": percent(report.critical_share),
        "notification_line": percent(1 - report.warning_share),
        "summary": summary,
        "forecasts": forecasts,
        "timeline": report.timeline,
        "first_banner": next((e["month"] for e in report.timeline if e["date"] is None), None),
        "lifecycle_note": (data.get("overage_lifecycle_note") if data["shortfalls"] else None),
        "purchases": purchases,
        "cost_summary": cost_summary(data),
        "buffer_pct": (
            f"{data['purchases'][0]['buffer_pct']:g}%"
            if data["purchases"] and data["purchases"][0]["buffer_pct"]
            else None
        ),
        "entitlement": entitlement,
        "consumption": consumption,
        "findings": findings,
        "finding_count": len(data["findings"]),
        "finding_counts": _counted(findings),
        "assumptions": [
            {
                "pool": names.pool(a["pool"]),
                "license": names.product(a["sku"]) or "-",
                "sku": a["sku"],
                "value": a["value"],
                "reason": a["reason"],
                "environments": _environment_list(a["environments"]),
            }
            for a in data["assumptions"]
        ],
        "inputs": [
            {
                "name": file_name(source["path"]),
                "kind": sentence(source["kind"]),
                "format": format_words(source["format"]),
                "rows": plural(source["rows"], "row"),
            }
            for source in data["inputs"]
        ],
        "licenses": [
            {
                "name": names.product(lic["sku"]),
                "sku": lic["sku"],
                "sku_given": lic["sku_given"],
                "quantity": number(lic["quantity"]),
                "role": words(lic["role"], ROLE_WORDS),
                "status": words(lic["status"], LICENSE_STATUS_WORDS),
                "source": file_name(lic["source"]),
                "location": lic["location"],
                "product_name": lic["product_name"],
                "matched_by": MATCHED_BY_WORDS[lic["matched_by"]],
                "reason": lic["reason"],
            }
            for lic in records(licenses.head(LICENSES_SHOWN), TABLES["licenses"])
        ],
        "licenses_count": number(len(licenses)),
        "licenses_more": number(max(len(licenses) - LICENSES_SHOWN, 0)),
        "ruleset": {
            "id": data["ruleset"],
            "title": data["ruleset_title"],
            "effective_from": data["ruleset_effective_from"],
            "defaults_combine": COMBINE_WORDS.get(
                data["defaults_combine"], data["defaults_combine"]
            ),
            "sources": sources,
        },
    }


def render_html(report: ReportData, files: dict[str, str] | None = None) -> str:
    """The whole report as one HTML document; write it with ``atomic_write_text``.

    With a comparison in ``report`` the page gets a Scenarios section after What to buy: the
    baseline and each scenario side by side, per pool. ``files`` are the workbook and JSON
    written beside the page, which it links to for the complete lists.
    """
    view = report_view(report, files)
    return environment().get_template(TEMPLATE).render(report=view)
