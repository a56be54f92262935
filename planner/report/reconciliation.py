"""The reconciliation section (capplan beside Microsoft's figures) as table and markdown lines.

Not a renderer itself: forecast's table and markdown (planner.report.text) and the reconcile
command's renderer (planner.report.reconcile_text) both lay the section out with these.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from planner.report.formatting import md_table

# The findings ``capplan reconcile`` shows beside the reconciliation.
RECONCILE_CODES = ("ENTITLEMENT_MISMATCH", "CONSUMPTION_MISMATCH", "TENANT_MISMATCH")


def _gb(value: float | None) -> str:
    return "unknown" if value is None else f"{value:,.2f} GB"


def _difference(value: float | None, tolerance: float) -> str:
    if value is None:
        return "unknown"
    if abs(value) <= tolerance:
        return "="
    return f"{value:+,.2f} GB"


def _units(value: int | None) -> str:
    return "-" if value is None else str(value)


def _pool_rows(section: dict[str, Any]) -> list[list[str]]:
    tolerance = section["tolerance_gb"]
    return [
        [
            p["pool"],
            _gb(p["capplan_entitled_gb"]),
            _gb(p["microsoft_entitled_gb"]),
            _difference(p["entitled_difference_gb"], tolerance),
            _gb(p["capplan_consumed_gb"]),
            _gb(p["microsoft_consumed_gb"]),
            _gb(p["microsoft_actual_gb"]),
            _difference(p["consumed_difference_gb"], tolerance),
        ]
        for p in section["pools"]
    ]


POOL_HEADERS = (
    "pool",
    "capplan entitled",
    "Microsoft entitled",
    "difference",
    "capplan consumed",
    "Microsoft rated",
    "Microsoft actual",
    "difference",
)
LICENSE_HEADERS = ("license", "pool", "part", "units (capplan / Microsoft)", "capplan", "Microsoft")


def _license_rows(section: dict[str, Any]) -> list[list[str]]:
    rows = []
    for lic in section["licenses"]:
        name = lic["sku"] + (f" (temporary, expires {lic['expires']})" if lic["temporary"] else "")
        rows.append(
            [
                name,
                lic["pool"],
                lic["part"],
                f"{_units(lic['capplan_units'])} / {_units(lic['microsoft_units'])}",
                _gb(lic["capplan_gb"]),
                _gb(lic["microsoft_gb"]) + _mark(lic, section["tolerance_gb"]),
            ]
        )
    return rows


def _mark(lic: dict[str, Any], tolerance: float) -> str:
    return "" if abs(lic["difference_gb"]) <= tolerance else f" ({lic['difference_gb']:+,.2f})"


def _summary(section: dict[str, Any]) -> str:
    model = f", {section['license_model']} license model" if section["license_model"] else ""
    tenant = f"tenant {section['tenant_id']}" if section["tenant_id"] else "the tenant"
    verdict = (
        f"capplan and Microsoft agree to {section['tolerance_gb']:g} GB"
        if section["matches"]
        else "capplan and Microsoft differ"
    )
    return f"Microsoft's figures for {tenant}{model} ({section['source']}): {verdict}."


def _explanation_lines(section: dict[str, Any]) -> list[str]:
    return list(section["explanations"]) or ["no differences beyond the tolerance"]


def _not_counted(section: dict[str, Any]) -> str:
    names = [row["capacity_type"] for row in section["not_counted"]]
    return "Listed by Microsoft, not counted by capplan: " + ", ".join(names) + "." if names else ""


def reconciliation_table_lines(
    section: dict[str, Any],
    grid: Callable[[Sequence[str], Sequence[Sequence[str]], Sequence[bool]], list[str]],
    style: Callable[..., str],
) -> list[str]:
    out = [style("Reconciliation with Microsoft's figures", bold=True), _summary(section), ""]
    out += grid(POOL_HEADERS, _pool_rows(section), [False] + [True] * 7)
    out.append("")
    out += grid(LICENSE_HEADERS, _license_rows(section), [False, False, False, True, True, True])
    out.append("")
    out.append("Why they differ:")
    out += [f"  - {line}" for line in _explanation_lines(section)]
    listed = _not_counted(section)
    if listed:
        out += ["", listed]
    return out


def reconciliation_markdown_lines(section: dict[str, Any], level: str = "###") -> list[str]:
    out = [f"{level} Reconciliation with Microsoft's figures", "", _summary(section), ""]
    out += md_table(POOL_HEADERS, _pool_rows(section), [False] + [True] * 7)
    out += ["", *md_table(LICENSE_HEADERS, _license_rows(section), [False] * 3 + [True] * 3)]
    out += ["", "Why they differ:", ""]
    out += [f"- {line}" for line in _explanation_lines(section)]
    listed = _not_counted(section)
    if listed:
        out += ["", listed]
    return out
