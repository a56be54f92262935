"""Words and numbers every human format shares: GB, money, counts, shares, text and markdown
tables, and the headline sentences. No renderer imports another; each imports this.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from planner.errors import printable


def gb(value: float | None) -> str:
    return "unknown" if value is None else f"{value:,.2f} GB"


def money(value: float | None) -> str:
    return "unpriced" if value is None else f"${value:,.2f}"


def number(value: float | None) -> str:
    """A quantity: whole numbers without decimals, others with two."""
    if value is None:
        return "unknown"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def percent(share: float | None, digits: int = 0) -> str:
    return "-" if share is None else f"{share:.{digits}%}"


def extension_sentence(extension: dict[str, Any], title: str) -> str:
    """A capacity extension of the whatif JSON in a sentence: what it adds and when, why the
    rules allow it, and whether it bridges the gap to a planned purchase or clean-up."""
    months = extension["months"]
    span = months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}"
    return (
        f"{title} asked for in {extension['month']}: {gb(extension['gb'])} more in {span} "
        f"({extension['allowed']}); {extension['note']}"
    )


def signed_gb(value: float) -> str:
    """Borrowed (+) or lent (-) capacity; zero without a sign."""
    if value == 0:
        return gb(0.0)
    return ("+" if value > 0 else "") + gb(value)


def delta_gb(value: float | None) -> str:
    """A scenario's difference from the baseline: '+' only above the rounding of three
    decimals, '-' when nothing is compared."""
    if value is None:
        return "-"
    return ("+" if value > 0.0005 else "") + gb(value)


def grid(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> list[str]:
    """A plain-text table: a header, a rule, then the rows; ``right`` aligns numbers. A cell of
    several lines (capplan's own, as a month's events one under another: text from inputs is
    on one line) takes that many lines of the table, the row's other cells blank below it."""
    lines = [[cell.split("\n") if "\n" in cell else [cell] for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in lines:
        widths = [
            max(w, *map(len, cell)) if len(cell) > 1 else max(w, len(cell[0]))
            for w, cell in zip(widths, row, strict=True)
        ]

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        ).rstrip()

    out = [fmt(headers), "  ".join("-" * w for w in widths)]
    for row in lines:
        out.append(fmt([cell[0] for cell in row]))
        for below in range(1, max(map(len, row))):
            out.append(fmt([cell[below] if below < len(cell) else "" for cell in row]))
    return out


# Markdown is meant for CI summaries, which render it as HTML: text from inputs must not become
# markup there. Raw HTML and entities are escaped; link and image brackets, and the characters
# that start an automatic link (a scheme's "://", "www.", an e-mail's "@"), are written as
# character references, which show the same but do not link (so not even the text "](" of a
# link is left for a reader or a filter to mistake); code backticks are backslash-escaped.
_MARKDOWN_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "@": "&#64;",
    "[": "&#91;",
    "]": "&#93;",
}
_MARKDOWN_SPECIAL = re.compile(r"[&<>@\\`\[\]!]|:(?=//)|(?<![^\W_])www\.", re.IGNORECASE)


def _markdown_escape(found: re.Match[str]) -> str:
    text = found.group()
    if text == ":":
        return "&#58;"
    if len(text) == 4:  # www.
        return text[:3] + "&#46;"
    return _MARKDOWN_ESCAPES.get(text, "\\" + text)


def markdown_text(text: str) -> str:
    """Text from inputs as inert markdown (already printable: one line, no controls)."""
    return _MARKDOWN_SPECIAL.sub(_markdown_escape, text)


def markdown_data(value: Any) -> Any:
    """Every string of a nested structure printable and inert as markdown."""
    if isinstance(value, str):
        return markdown_text(printable(value))
    if isinstance(value, dict):
        return {key: markdown_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [markdown_data(item) for item in value]
    return value


def md_row(cells: Sequence[Any]) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def md_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[bool]
) -> list[str]:
    """A markdown table; ``right`` aligns numbers."""
    align = ["---:" if r else "---" for r in right]
    return [md_row(headers), "|" + "|".join(align) + "|", *(md_row(r) for r in rows)]


# What headline() reads of a plan's data: the sentences plan_fields made once for every format
# (planner/report/headline.py).
HEADLINE_KEYS = ("headline",)


def headline(data: dict[str, Any]) -> list[str]:
    """The lines a person acts on, as every format shows them: ``data`` is a plan's data
    (:func:`planner.report.data.plan_data`); only its ``headline`` is read."""
    return list(data["headline"]["lines"])


def purchase_rows(data: dict[str, Any], names: Any) -> list[dict[str, Any]]:
    """What to buy, one row per pool by month: the add-ons the plan recommends (with --buffer
    and --buy-at applied) beside the shortfall they cover, then what planned changes buy."""
    shortfall_of = {s["pool"]: s for s in data["shortfalls"]}
    rows = []
    for p in sorted(data["purchases"], key=lambda p: (p["buy_month"], p["pool"])):
        shortfall = shortfall_of.get(p["pool"])
        rows.append(
            {
                "pool": names.pool(p["pool"]),
                "first_short": shortfall["first_month"] if shortfall else "not short",
                "peak_deficit": gb(shortfall["peak_deficit_gb"]) if shortfall else "-",
                "growing": bool(shortfall and shortfall.get("growing_at_end")),
                "product": names.product(p["addon_sku"]) or "No add-on known",
                "sku": p["addon_sku"] or "",
                "units": "-" if p["units"] is None else f"{p['units']:,}",
                "gb": gb(p["gb"]),
                "buy_month": p["buy_month"],
                "monthly": money(p["monthly_cost_usd"]),
                "horizon": money(p["horizon_cost_usd"]),
                "units_value": p["units"],
                "monthly_value": p["monthly_cost_usd"],
                "horizon_value": p["horizon_cost_usd"],
                "planned": False,
            }
        )
    for b in data.get("bought", []):
        rows.append(
            {
                "pool": names.pool(b["pool"]),
                "first_short": "-",
                "peak_deficit": "-",
                "growing": False,
                "product": names.product(b["addon_sku"]),
                "sku": b["addon_sku"],
                "units": f"{b['units']:,}",
                "gb": gb(b["gb"]),
                "buy_month": b["buy_month"],
                "monthly": money(b["monthly_cost_usd"]),
                "horizon": money(b["horizon_cost_usd"]),
                "units_value": b["units"],
                "monthly_value": b["monthly_cost_usd"],
                "horizon_value": b["horizon_cost_usd"],
                "planned": True,
            }
        )
    return rows


def cost_summary(data: dict[str, Any]) -> str | None:
    """ "$1,500.00 per month, $18,000.00 a year, $15,100.00 over the horizon"."""
    head = data["headline"]
    if head["monthly_cost_usd"] is None:
        return None
    return (
        f"{money(head['monthly_cost_usd'])} per month, {money(head['annual_cost_usd'])} a year, "
        f"{money(head['horizon_cost_usd'])} to {data['horizon_end']}"
    )


# Environments an assumption names on the page and in the text; the rest are counted.
ENVIRONMENTS_SHOWN = 20

# Findings of one code that a page or the text lists; the rest are counted (a large tenant can
# raise thousands of one code), and the JSON and the workbook list them all.
FINDINGS_SHOWN_PER_CODE = 20


def findings_shown(
    findings: Sequence[dict[str, Any]], per_code: int = FINDINGS_SHOWN_PER_CODE
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The findings to list, in their order (the first ``per_code`` of each code), and how
    many more each code has."""
    positions, more = first_of_each_code([finding["code"] for finding in findings], per_code)
    return [findings[position] for position in positions], more


def first_of_each_code(
    codes: Sequence[str], per_code: int = FINDINGS_SHOWN_PER_CODE
) -> tuple[list[int], dict[str, int]]:
    """Of findings with these codes, the positions of those listed (the first ``per_code`` of
    each code, in order) and how many more each code has."""
    seen: dict[str, int] = {}
    shown = []
    for position, code in enumerate(codes):
        count = seen.get(code, 0)
        seen[code] = count + 1
        if count < per_code:
            shown.append(position)
    return shown, {
        code: total - per_code for code, total in sorted(seen.items()) if total > per_code
    }


def with_counts(
    shown: Sequence[dict[str, Any]], more: dict[str, int]
) -> list[tuple[dict[str, Any], int]]:
    """Each finding listed, with how many more of its code there are after the last one of
    that code (0 elsewhere): the count follows its code's findings, which come together."""
    last = {finding["code"]: index for index, finding in enumerate(shown)}
    return [
        (finding, more.get(finding["code"], 0) if last[finding["code"]] == index else 0)
        for index, finding in enumerate(shown)
    ]
