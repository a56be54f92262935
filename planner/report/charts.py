"""Geometry of the forecast charts: numbers only, the SVG markup lives in the templates.

A chart is computed as plain data (coordinates, tick labels, the points of each line) so the
template only places it; nothing here builds markup, so nothing here can break escaping.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

# The viewBox of a chart: it scales to the width of its column (report.css), keeping its shape.
WIDTH = 760
FORECAST_WIDTH = 900  # wider and flatter: one pool's lines over the whole column
HEIGHT = 320
MARGIN_LEFT = 78  # room for "1,250 GB"; more where a tick's label is longer (see left_margin)
# Where the tick labels may begin: right of the rotated axis title ("GB"), centred at x = 14.
LABELS_FROM = 24
TICK_GAP = 8  # between a tick's label and the plot (the templates' ``plot.left - 8``)
MARGIN_RIGHT = 36  # half a month label, so the last one is not cut
MARGIN_TOP = 44  # room for the legend
MARGIN_BOTTOM = 52  # month labels and the axis title
MAX_MONTH_LABELS = 8
TARGET_Y_TICKS = 5
HEADROOM = 1.04
# When every value is at least this share of the highest, the axis starts near the lowest value
# instead of at 0 GB, so two lines a few GB apart do not merge into one.
ZOOM_SHARE = 0.4
ZOOM_PAD = 0.1  # of the span of the values, below and above them


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


# Widths of the characters of a tick label in the charts' 12-unit sans-serif (report.css), a
# little over what common faces draw: digits are of one width in them.
_NARROW = frozenset(",. ")
_CHARACTER_WIDTH = {"G": 9.0, "B": 8.5, "-": 4.5}


def label_width(label: str) -> float:
    """About how wide ``label`` is drawn, in the chart's units."""
    return sum(
        3.6 if character in _NARROW else _CHARACTER_WIDTH.get(character, 7.0) for character in label
    )


def left_margin(labels: Sequence[str]) -> float:
    """Room left of the plot for the widest tick label and the axis title: ``MARGIN_LEFT``,
    or more for labels such as "2,000,000 GB" (a tenant short by petabytes), which would
    otherwise run under the title and off the chart's edge."""
    widest = max(map(label_width, labels), default=0.0)
    return max(MARGIN_LEFT, math.ceil(LABELS_FROM + widest + TICK_GAP))


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
    y_min, y_max, step, digits = _forecast_axis([v for s in series for v in s["values"]])
    tick_count = round((y_max - y_min) / step)
    tick_values = [y_min + step * k for k in range(tick_count + 1)]
    labels = [tick_label(value, digits) for value in tick_values]
    left, top = left_margin(labels), MARGIN_TOP
    plot_width = FORECAST_WIDTH - left - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    bottom = top + plot_height

    def x_of(index: int) -> float:
        if count == 1:
            return _coordinate(left + plot_width / 2)
        return _coordinate(left + plot_width * index / (count - 1))

    def y_of(value: float) -> float:
        return _coordinate(bottom - plot_height * (max(value, y_min) - y_min) / (y_max - y_min))

    xs = [x_of(i) for i in range(count)]
    half_slot = plot_width / (2 * max(count - 1, 1))
    label_every = max(1, math.ceil(count / MAX_MONTH_LABELS))
    labelled = list(range(0, count, label_every))
    # The horizon's last month gets a label too, unless it would crowd the one before it.
    if labelled[-1] != count - 1 and (count - 1 - labelled[-1]) >= 0.8 * label_every:
        labelled.append(count - 1)
    x_ticks = [{"x": xs[i], "label": months[i]} for i in labelled]
    y_ticks = [
        {"y": y_of(value), "label": label} for value, label in zip(tick_values, labels, strict=True)
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
        "width": FORECAST_WIDTH,
        "height": HEIGHT,
        "plot": _plot_area(left, top, plot_width, plot_height, bottom),
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
        "y_min": y_min,
    }


def _forecast_axis(values: Sequence[float]) -> tuple[float, float, float, int]:
    """``(y_min, y_max, step, decimals)`` of a forecast chart's GB axis: from 0 GB, or from just
    below the lowest value when all values lie close together high above zero."""
    highest = max(values, default=0.0)
    lowest = min(values, default=0.0)
    if lowest > 0 and lowest >= ZOOM_SHARE * highest and highest > lowest:
        pad = (highest - lowest) * ZOOM_PAD
        step = nice_step(highest - lowest + 2 * pad)
        y_min = step * math.floor((lowest - pad) / step + 1e-9)
        y_max = step * math.ceil((highest + pad) / step - 1e-9)
        return max(y_min, 0.0), y_max, step, _decimals(step)
    # Some headroom, so a line at the maximum is not drawn on the frame of the plot.
    top_value = max(highest, 0.0) * HEADROOM
    step = nice_step(top_value)
    y_max = step * max(1, math.ceil(top_value / step - 1e-9))
    return 0.0, y_max, step, _decimals(step)


# --------------------------------------------------------------------------------------------
# What-if comparison: one line per plan (the baseline and each scenario) of a pool's available
# capacity, which goes below zero where the pool is short. Plans are told apart without colour:
# each has its own dash pattern (in report.css, by style number) and its own marker shape.

PLAN_STYLES = 6  # style numbers 0 to 5; report.css has a colour and a dash pattern for each
MARKER_SHAPES = ("circle", "square", "triangle", "diamond", "triangle-down", "cross")
MARKER_RADIUS = 4.5
MARKERS_PER_LINE = 12  # about this many markers on a line, so it stays readable
LEGEND_ROW_HEIGHT = 20
LEGEND_SWATCH = 36  # a piece of line with a marker in its middle
LEGEND_GAP = 22
LEGEND_CHARS = 40  # longer plan names are cut in the legend (the tables show them whole)
CHAR_WIDTH = 7  # roughly, for the 12 px legend labels


def plan_style(index: int) -> tuple[int, str]:
    """The style number (dash pattern and colour) and marker shape of the plan at ``index``.

    The baseline is 0. After ``PLAN_STYLES`` plans the dash patterns repeat, but with another
    marker shape, so no two of the first 36 plans look alike.
    """
    style = index % PLAN_STYLES
    shape = MARKER_SHAPES[(index + index // PLAN_STYLES) % len(MARKER_SHAPES)]
    return style, shape


def marker_path(shape: str, x: float, y: float, r: float = MARKER_RADIUS) -> str:
    """Path data of one marker centred on (x, y): numbers and path commands only."""

    def c(value: float) -> str:
        return f"{_coordinate(value):g}"

    match shape:
        case "square":
            side = r * 1.7
            return f"M{c(x - side / 2)},{c(y - side / 2)}h{c(side)}v{c(side)}h{c(-side)}Z"
        case "triangle":
            return f"M{c(x)},{c(y - r * 1.2)}L{c(x + r * 1.1)},{c(y + r * 0.8)}H{c(x - r * 1.1)}Z"
        case "triangle-down":
            return f"M{c(x)},{c(y + r * 1.2)}L{c(x + r * 1.1)},{c(y - r * 0.8)}H{c(x - r * 1.1)}Z"
        case "diamond":
            d = r * 1.3
            return f"M{c(x)},{c(y - d)}L{c(x + d)},{c(y)}L{c(x)},{c(y + d)}L{c(x - d)},{c(y)}Z"
        case "cross":
            a = r * 0.95
            return (
                f"M{c(x - a)},{c(y - a)}L{c(x + a)},{c(y + a)}"
                f"M{c(x + a)},{c(y - a)}L{c(x - a)},{c(y + a)}"
            )
    return f"M{c(x - r)},{c(y)}a{c(r)},{c(r)} 0 1,0 {c(2 * r)},0a{c(r)},{c(r)} 0 1,0 {c(-2 * r)},0Z"


def value_axis(low: float, high: float) -> tuple[float, float, float, int]:
    """``(y_min, y_max, step, decimals)`` of an axis that shows zero and every value.

    Some headroom on the side(s) with values, so a line at the extreme is not drawn on the frame,
    and above zero when every value is zero or less.
    """
    low, high = min(low, 0.0), max(high, 0.0)
    span = high - low
    if span <= 0 or not math.isfinite(span):
        return 0.0, 1.0, 1.0, 0
    pad = span * (HEADROOM - 1)
    # Above zero there is always some room: a line at 0 GB must not run along the frame.
    top = high + pad if high > 0 else pad
    bottom = low - pad if low < 0 else 0.0
    step = nice_step(top - bottom)
    y_max = step * math.ceil(top / step - 1e-9)
    y_min = step * math.floor(bottom / step + 1e-9)
    if y_max <= y_min:
        y_max = y_min + step
    return y_min, y_max, step, _decimals(step)


def _legend_rows(names: Sequence[str], left: float, right: float) -> list[list[dict[str, Any]]]:
    rows: list[list[dict[str, Any]]] = [[]]
    x = left
    for index, name in enumerate(names):
        shown = name if len(name) <= LEGEND_CHARS else name[: LEGEND_CHARS - 1].rstrip() + "…"
        width = LEGEND_SWATCH + 6 + CHAR_WIDTH * len(shown)
        if rows[-1] and x + width > right:
            rows.append([])
            x = left
        rows[-1].append({"index": index, "name": shown, "full_name": name, "x": _coordinate(x)})
        x += width + LEGEND_GAP
    return rows


def _line_path(xs: Sequence[float], ys: Sequence[float | None]) -> str:
    """Path data through the points; a month without a figure breaks the line."""
    parts = []
    drawing = False
    for x, y in zip(xs, ys, strict=True):
        if y is None:
            drawing = False
            continue
        parts.append(f"{'L' if drawing else 'M'}{x:g},{y:g}")
        drawing = True
    return " ".join(parts)


def comparison_chart(
    months: Sequence[str],
    series: Sequence[dict[str, Any]],
    *,
    short_label: str = "Below 0 GB: short",
) -> dict[str, Any]:
    """Geometry of one pool's chart of available capacity, one line per plan.

    ``series``: dicts with ``name`` and ``values`` (available GB per month, same length as
    ``months``; None where the plan has no figure, which leaves a gap), the baseline first, and
    optionally ``index``, the plan's number for its look (its position otherwise). Returns
    coordinates, tick labels, legend rows and, per line, its path, style number, marker shape
    and the path of its markers.
    """
    count = len(months)
    names = [str(s["name"]) for s in series]
    values = [v for s in series for v in s["values"] if v is not None]
    looks = [plan_style(int(s.get("index", position))) for position, s in enumerate(series)]
    y_min, y_max, step, digits = value_axis(min(values, default=0.0), max(values, default=0.0))
    # Ticks as whole multiples of the step, so none is drawn as "-0 GB" by a rounding error.
    first_tick = round(y_min / step)
    tick_values = [(first_tick + k) * step + 0.0 for k in range(round((y_max - y_min) / step) + 1)]
    labels = [tick_label(value, digits) for value in tick_values]
    left = left_margin(labels)
    plot_width = WIDTH - left - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    entries = [*names, short_label] if y_min < 0 else names
    rows = _legend_rows(entries, left, WIDTH - MARGIN_RIGHT)
    top = MARGIN_TOP + LEGEND_ROW_HEIGHT * (len(rows) - 1)
    bottom = top + plot_height
    height = bottom + MARGIN_BOTTOM

    def x_of(index: int) -> float:
        if count == 1:
            return _coordinate(left + plot_width / 2)
        return _coordinate(left + plot_width * index / (count - 1))

    def y_of(value: float) -> float:
        return _coordinate(bottom - plot_height * (value - y_min) / (y_max - y_min))

    xs = [x_of(i) for i in range(count)]
    label_every = max(1, math.ceil(count / MAX_MONTH_LABELS))
    labelled = list(range(0, count, label_every)) if count else []
    if labelled and labelled[-1] != count - 1 and (count - 1 - labelled[-1]) >= 0.8 * label_every:
        labelled.append(count - 1)
    zero_y = y_of(0.0)

    # Markers sit on every few months, each line on other months than the next, so lines that
    # run on top of each other still show all their markers.
    plans = max(len(series), 1)
    marker_every = max(plans, math.ceil(count / MARKERS_PER_LINE)) if count > 1 else 1
    lines = []
    for index, item in enumerate(series):
        style, shape = looks[index]
        ys = [None if v is None else y_of(v) for v in item["values"]]
        known = [i for i in range(count) if ys[i] is not None]
        offset = min(round(index * marker_every / plans), max(count - 1, 0))
        marked = [i for i in range(offset, count, marker_every) if ys[i] is not None]
        if known and not marked:
            marked = known[:1]  # a plan with few months still shows its marker
        lines.append(
            {
                "index": index,
                "name": names[index],
                "style": style,
                "shape": shape,
                "path": _line_path(xs, ys),
                "markers": " ".join(marker_path(shape, xs[i], ys[i] or 0.0) for i in marked),
            }
        )
    legend_y = top - 24
    legend = []
    for row_number, row in enumerate(rows):
        y = _coordinate(legend_y - LEGEND_ROW_HEIGHT * (len(rows) - 1 - row_number))
        for entry in row:
            short = entry["index"] >= len(series)
            style, shape = looks[entry["index"]] if not short else (0, "")
            middle = entry["x"] + LEGEND_SWATCH / 2
            legend.append(
                {
                    "key": "short" if short else "plan",
                    "style": style,
                    "name": entry["name"],
                    "full_name": entry["full_name"],
                    "x": entry["x"],
                    "x_end": _coordinate(entry["x"] + LEGEND_SWATCH),
                    "text_x": _coordinate(entry["x"] + LEGEND_SWATCH + 6),
                    "y": y,
                    "marker": "" if short else marker_path(shape, middle, y),
                }
            )
    return {
        "width": WIDTH,
        "height": height,
        "plot": _plot_area(left, top, plot_width, plot_height, bottom),
        "x_ticks": [{"x": xs[i], "label": months[i]} for i in labelled],
        "y_ticks": [
            {"y": y_of(value), "label": label}
            for value, label in zip(tick_values, labels, strict=True)
        ],
        "zero_y": zero_y,
        "short_band": (
            {"y": zero_y, "height": _coordinate(bottom - zero_y)} if y_min < 0 else None
        ),
        "lines": lines,
        "legend": legend,
    }


def _plot_area(
    left: float, top: float, plot_width: float, plot_height: float, bottom: float
) -> dict[str, Any]:
    """The plotting rectangle of a chart, as the SVG macros place axes and titles on it."""
    return {
        "left": left,
        "top": top,
        "right": left + plot_width,
        "bottom": bottom,
        "width": plot_width,
        "height": plot_height,
        "center_x": _coordinate(left + plot_width / 2),
        "center_y": _coordinate(top + plot_height / 2),
    }
