"""The report's score plot: an inline SVG line chart of the combined score over a run's rounds.

x is the round number across the whole run (0 = the starting scene), one band per stage; y is the
combined score (higher is better). Two lines: the scene the engine *selected* after each round,
and the *best by metric* seen so far (rejected candidates included), so a reader sees whether the
selection ever left a better scene behind. Dots mark each round's proposal (green accepted, red
rejected; invalid rounds get a grey cross on the axis). Tooltips are SVG `<title>` elements; the
chart needs no script and no fonts beyond the page's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 760, 260
"""Size of the SVG viewBox in px (it scales to the page width)."""

MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 16, 28, 34
X_PADDING = 12

COLORS = {
    "selected": "#2563eb",
    "best": "#d97706",
    "accepted": "#16a34a",
    "rejected": "#dc2626",
    "invalid": "#6b7280",
    "unknown": "#6b7280",
    "grid": "#e5e7eb",
    "axis": "#6b7280",
    "band": "#f8fafc",
}


@dataclass(frozen=True)
class PlotPoint:
    """One round: its label, stage, status and scores (None where unknown)."""

    label: str
    stage: str
    status: str
    proposed: float | None
    selected: float | None
    best: float | None


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About `count` round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(1, count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks, value = [], first
    while value <= hi + 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _y_range(values: list[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    pad = max(0.02, (hi - lo) * 0.12)
    lo, hi = lo - pad, hi + pad
    if 0.0 <= min(values) and max(values) <= 1.0:
        lo, hi = max(0.0, lo), min(1.0, hi)
    return lo, hi


def _polyline(points: list[tuple[float, float]], color: str, dashed: bool, css: str) -> str:
    if not points:
        return ""
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    return (f'<polyline class="{css}" points="{coords}" fill="none" stroke="{color}" '
            f'stroke-width="2.5" stroke-linejoin="round"{dash}/>')


def score_plot(start: float | None, points: list[PlotPoint]) -> Markup:
    """The SVG chart (as safe markup); a short note instead when there is nothing to plot."""
    values = [v for p in points for v in (p.proposed, p.selected, p.best) if v is not None]
    if start is not None:
        values.append(start)
    if not values:
        return Markup('<p class="muted">No scores recorded yet.</p>')
    lo, hi = _y_range(values)
    n = len(points)
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

    inner = plot_w - 2 * X_PADDING  # dots at the ends stay inside the frame

    def x_of(i: int) -> float:
        return MARGIN_LEFT + X_PADDING + (inner * i / n if n else inner / 2)

    def y_of(v: float) -> float:
        return MARGIN_TOP + plot_h * (1 - (v - lo) / (hi - lo))

    out = [f'<svg class="plot" viewBox="0 0 {WIDTH} {HEIGHT}" '
           f'role="img" aria-label="combined score over rounds">']
    # stage bands with their names
    i = 0
    band = 0
    while i < n:
        j = i
        while j < n and points[j].stage == points[i].stage:
            j += 1
        half = (x_of(1) - x_of(0)) / 2
        x0 = MARGIN_LEFT if i == 0 else x_of(i) + half  # points[i] sits at x index i + 1
        x1 = WIDTH - MARGIN_RIGHT if j == n else x_of(j) + half
        fill = COLORS["band"] if band % 2 == 0 else "#ffffff"
        out.append(f'<rect x="{x0:.1f}" y="{MARGIN_TOP}" width="{max(0.0, x1 - x0):.1f}" '
                   f'height="{plot_h}" fill="{fill}"/>')
        out.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{MARGIN_TOP - 9}" text-anchor="middle" '
                   f'class="stage-label">{escape(points[i].stage)}</text>')
        band += 1
        i = j
    # grid and y ticks
    for tick in nice_ticks(lo, hi):
        y = y_of(tick)
        out.append(f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" '
                   f'y2="{y:.1f}" stroke="{COLORS["grid"]}"/>')
        out.append(f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
                   f'class="tick">{tick:.2f}</text>')
    # x ticks: round numbers
    for k in range(n + 1):
        label = "start" if k == 0 else escape(points[k - 1].label)
        if n > 24 and k % max(1, n // 12) and k != n:
            continue
        out.append(f'<text x="{x_of(k):.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" '
                   f'text-anchor="middle" class="tick">{label}</text>')
    out.append(f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{MARGIN_TOP + plot_h}" '
               f'y2="{MARGIN_TOP + plot_h}" stroke="{COLORS["axis"]}"/>')
    # lines: best by metric (dashed, below) and selected
    for key, css, dashed in (("best", "line-best", True), ("selected", "line-selected", False)):
        coords = [(x_of(0), y_of(start))] if start is not None else []
        for k, p in enumerate(points, 1):
            v = p.best if key == "best" else p.selected
            if v is not None:
                coords.append((x_of(k), y_of(v)))
        out.append(_polyline(coords, COLORS[key], dashed, css))
    if start is not None:
        out.append(f'<circle cx="{x_of(0):.1f}" cy="{y_of(start):.1f}" r="4" '
                   f'fill="{COLORS["selected"]}"><title>start: {start:.4f}</title></circle>')
    # proposals
    for k, p in enumerate(points, 1):
        color = COLORS.get(p.status, COLORS["unknown"])
        title = escape(f"{p.stage} round {p.label}: {p.status}"
                       + (f", proposed {p.proposed:.4f}" if p.proposed is not None else "")
                       + (f", selected {p.selected:.4f}" if p.selected is not None else ""))
        if p.proposed is not None:
            out.append(f'<circle class="dot {escape(p.status)}" cx="{x_of(k):.1f}" '
                       f'cy="{y_of(p.proposed):.1f}" r="5" fill="{color}" stroke="#fff" '
                       f'stroke-width="1.5"><title>{title}</title></circle>')
        else:
            x, y = x_of(k), MARGIN_TOP + plot_h
            out.append(f'<path class="dot {escape(p.status)}" d="M{x - 4:.1f},{y - 4:.1f} '
                       f'L{x + 4:.1f},{y + 4:.1f} M{x - 4:.1f},{y + 4:.1f} L{x + 4:.1f},{y - 4:.1f}" '
                       f'stroke="{color}" stroke-width="2"><title>{title}</title></path>')
    out.append("</svg>")
    legend = (
        '<div class="legend">'
        f'<span><i style="background:{COLORS["selected"]}"></i>selected scene</span>'
        f'<span><i class="dash" style="border-color:{COLORS["best"]}"></i>best by metric</span>'
        f'<span><b style="color:{COLORS["accepted"]}">●</b> accepted proposal</span>'
        f'<span><b style="color:{COLORS["rejected"]}">●</b> rejected (reverted)</span>'
        f'<span><b style="color:{COLORS["invalid"]}">×</b> invalid patch</span>'
        "</div>"
    )
    return Markup("".join(out) + legend)
