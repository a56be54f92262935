"""Geometry of the forecast charts: numbers only, the SVG markup lives in the templates.

A chart is computed as plain data (coordinates, tick labels, the points of each line) so the
template only places it; nothing here builds markup, so nothing here can break escaping.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

WIDTH = 760
HEIGHT = 320
MARGIN_LEFT = 78  # room for "1,250 GB"
MARGIN_RIGHT = 36  # half a month label, so the last one is not cut
MARGIN_TOP = 44  # room for the legend
MARGIN_BOTTOM = 52  # month labels and the axis title
MAX_MONTH_LABELS = 8
TARGET_Y_TICKS = 5
HEADROOM = 1.04


def nice_step(span: float, target: int = TARGET_Y_TICKS) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about ``target`` ticks."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / target
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * magnitude * (1 + 1e-12):
            return multiple * magnitude
    return 10 * magnitude


def _decimals(step: float) -> int:
    """Fewest decimals that show every tick of this step exactly (2.5 needs one, 0.25 two)."""
    for digits in range(0, 7):
        scaled = step * 10**digits
        if abs(scaled - round(scaled)) < 1e-9 * max(1.0, scaled):
            return digits
    return 6


def tick_label(value: float, digits: int) -> str:
    return f"{value:,.{digits}f} GB"


def _coordinate(value: float) -> float:
    # Two decimals keep the markup short; a hundredth of a pixel is invisible.
    return round(value, 2)


def _points(xs: Sequence[float], ys: Sequence[float]) -> str:
    return " ".join(f"{x:g},{y:g}" for x, y in zip(xs, ys, strict=True))


def _runs(flags: Sequence[bool]) -> list[tuple[int, int]]:
    """Index ranges [start, end] of consecutive true flags."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for index, flag in enumerate(flags):
        if flag and start is None:
            start = index
        if not flag and start is not None:
            runs.append((start, index - 1))
            start = None
    if start is not None:
        runs.append((start, len(flags) - 1))
    return runs


def forecast_chart(
    months: Sequence[str],
    series: Sequence[dict[str, Any]],
    over: Sequence[bool],
    first_short_month: str | None,
) -> dict[str, Any]:
    """Geometry of one pool's line chart.

    ``series``: dicts with ``key``, ``name`` and ``values`` (GB per month, same length as
    ``months``). ``over``: per month, whether the pool is short after borrowing (shaded).
    """
    count = len(months)
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    left, top = MARGIN_LEFT, MARGIN_TOP
    bottom = top + plot_height

    highest = max((v for s in series for v in s["values"]), default=0.0)
    # Some headroom, so a line at the maximum is not drawn on the frame of the plot.
    top_value = max(highest, 0.0) * HEADROOM
    step = nice_step(top_value)
    y_max = step * max(1, math.ceil(top_value / step - 1e-9))
    digits = _decimals(step)

    def x_of(index: int) -> float:
        if count == 1:
            return _coordinate(left + plot_width / 2)
        return _coordinate(left + plot_width * index / (count - 1))

    def y_of(value: float) -> float:
        return _coordinate(bottom - plot_height * max(value, 0.0) / y_max)

    xs = [x_of(i) for i in range(count)]
    half_slot = plot_width / (2 * max(count - 1, 1))
    label_every = max(1, math.ceil(count / MAX_MONTH_LABELS))
    labelled = list(range(0, count, label_every))
    # The horizon's last month gets a label too, unless it would crowd the one before it.
    if labelled[-1] != count - 1 and (count - 1 - labelled[-1]) >= 0.8 * label_every:
        labelled.append(count - 1)
    x_ticks = [{"x": xs[i], "label": months[i]} for i in labelled]
    tick_count = round(y_max / step)
    y_ticks = [
        {"y": y_of(step * k), "label": tick_label(step * k, digits)} for k in range(tick_count + 1)
    ]
    bands = []
    for start, end in _runs(over):
        # From the first short month's point to the last one's, so the band starts at the
        # marker; a single short month still gets a visible strip of one month's width.
        band_left, band_right = xs[start], xs[end]
        if start == end:
            band_left = max(left, band_left - half_slot)
            band_right = min(left + plot_width, band_right + half_slot)
        bands.append({"x": _coordinate(band_left), "width": _coordinate(band_right - band_left)})
    marker = None
    if first_short_month is not None and first_short_month in months:
        index = list(months).index(first_short_month)
        # Keep the label inside the plot: anchor it on the side with more room.
        anchor = "end" if index > (count - 1) * 0.6 else "start"
        marker = {
            "x": xs[index],
            "month": first_short_month,
            "label_x": _coordinate(xs[index] + (-6 if anchor == "end" else 6)),
            "anchor": anchor,
        }
    legend_x = left
    legend = []
    entries = [(s["key"], s["name"]) for s in series]
    if bands:
        entries.append(("short", "Short after borrowing"))
    for key, name in entries:
        legend.append({"key": key, "name": name, "x": legend_x})
        # A swatch, a gap, then the name at roughly 7 px per character of the 12 px label.
        legend_x += 30 + 7 * len(name) + 22
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "plot": {
            "left": left,
            "top": top,
            "right": left + plot_width,
            "bottom": bottom,
            "width": plot_width,
            "height": plot_height,
            "center_x": _coordinate(left + plot_width / 2),
            "center_y": _coordinate(top + plot_height / 2),
        },
        "x_ticks": x_ticks,
        "y_ticks": y_ticks,
        "lines": [
            {
                "key": item["key"],
                "name": item["name"],
                "points": _points(xs, [y_of(v) for v in item["values"]]),
                # A single month draws no line; a dot shows it.
                "dots": ([{"x": xs[0], "y": y_of(item["values"][0])}] if count == 1 else []),
            }
            for item in series
        ],
        "bands": bands,
        "marker": marker,
        "legend": legend,
        "legend_y": top - 24,
    }
