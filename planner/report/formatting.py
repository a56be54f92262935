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


def percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


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
    """A plain-text table: a header, a rule, then the rows; ``right`` aligns numbers."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        ).rstrip()

    return [fmt(headers), "  ".join("-" * w for w in widths), *(fmt(r) for r in rows)]


# Markdown is meant for CI summaries, which render it as HTML: text from inputs must not become
# markup there. Raw HTML and entities are escaped, link and image brackets and code backticks
# are backslash-escaped, and the characters that start an automatic link (a scheme's "://",
# "www.", an e-mail's "@") are written as character references, which show the same but do
# not link.
_MARKDOWN_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "@": "&#64;"}
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


# What headline() reads of a plan's data.
HEADLINE_KEYS = ("shortfalls", "as_of", "horizon_end", "months")


def headline(data: dict[str, Any]) -> list[str]:
    """One sentence per pool that is short, and what to buy: the lines a person acts on.

    ``data`` is a plan's data (:func:`planner.report.data.plan_data`); only its shortfalls,
    as-of month, horizon end and month count are read."""
    lines = []
    for shortfall in data["shortfalls"]:
        buy = (
            f"buy {shortfall['addon_units']} x {shortfall['addon_sku']} "
            f"({money(shortfall['monthly_cost_usd'])} per month)"
            if shortfall["addon_sku"]
            else "no add-on is known for this pool"
        )
        lines.append(
            f"{shortfall['pool']} runs short in {shortfall['first_month']}: deficit peaks at "
            f"{gb(shortfall['peak_deficit_gb'])} in {shortfall['peak_month']}; {buy}."
        )
    if not lines:
        lines.append(
            f"No shortfall from {data['as_of']} to {data['horizon_end']} ({data['months']} months)."
        )
    total = [s["monthly_cost_usd"] for s in data["shortfalls"] if s["monthly_cost_usd"] is not None]
    unpriced = [s["pool"] for s in data["shortfalls"] if s["monthly_cost_usd"] is None]
    if total:
        text = f"Add-ons to buy cost {money(sum(total))} per month at list price"
        if unpriced:
            text += f" plus unpriced add-ons for {', '.join(unpriced)}"
        lines.append(text + ".")
    return lines
