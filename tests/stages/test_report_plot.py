"""The report's inline SVG score plot."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import examples

from scenelang.stages.report.plot import HEIGHT, MARGIN_TOP, PlotPoint, nice_ticks, score_plot


def svg_of(markup) -> ET.Element:
    text = str(markup)
    return ET.fromstring(text[: text.index("</svg>") + len("</svg>")])


def test_plot_lines_dots_and_stage_bands():
    points = [PlotPoint("1", "geometry", "accepted", 0.4, 0.4, 0.4),
              PlotPoint("2", "geometry", "invalid", None, 0.4, 0.4),
              PlotPoint("1", "materials", "rejected", 0.7, 0.4, 0.7)]
    svg = svg_of(score_plot(0.1, points))
    lines = {p.get("class"): p.get("points").split() for p in svg.iter("polyline")}
    assert len(lines["line-selected"]) == 4 and len(lines["line-best"]) == 4
    # the best-by-metric line ends above the selected one (the rejected 0.7 was better)
    assert float(lines["line-best"][-1].split(",")[1]) < float(lines["line-selected"][-1].split(",")[1])
    dots = [c for c in svg.iter("circle") if "dot" in (c.get("class") or "")]
    assert [d.get("class") for d in dots] == ["dot accepted", "dot rejected"]
    assert [p.get("class") for p in svg.iter("path")] == ["dot invalid"]
    labels = [t.text for t in svg.iter("text") if t.get("class") == "stage-label"]
    assert labels == ["geometry", "materials"]
    titles = [t.text for t in svg.iter("title")]
    assert "materials round 1: rejected, proposed 0.7000, selected 0.4000" in titles


def test_plot_escapes_names_and_handles_nothing():
    svg = str(score_plot(None, [PlotPoint("1", "<b>", "accepted", 0.5, 0.5, 0.5)]))
    assert "&lt;b&gt;" in svg and "<b>" not in svg
    assert "No scores recorded" in str(score_plot(None, []))
    assert "No scores recorded" in str(score_plot(None, [PlotPoint("1", "g", "invalid", None, None, None)]))


@settings(max_examples=examples(50), deadline=None)
@given(st.lists(st.floats(-2, 3, allow_nan=False), min_size=1, max_size=30))
def test_every_point_lies_inside_the_plot(values):
    points = [PlotPoint(str(i), "s", "accepted", v, v, max(values[: i + 1]))
              for i, v in enumerate(values)]
    svg = svg_of(score_plot(values[0], points))
    for c in svg.iter("circle"):
        assert MARGIN_TOP - 0.1 <= float(c.get("cy")) <= HEIGHT - 34 + 0.1
    for line in svg.iter("polyline"):
        for pair in line.get("points").split():
            x, y = map(float, pair.split(","))
            assert MARGIN_TOP - 0.1 <= y <= HEIGHT + 0.1 and 0 <= x <= 760


@settings(max_examples=examples(80), deadline=None)
@given(st.floats(-10, 10, allow_nan=False), st.floats(1e-3, 10, allow_nan=False))
def test_nice_ticks_cover_the_range_in_round_steps(lo, span):
    hi = lo + span
    ticks = nice_ticks(lo, hi)
    assert 2 <= len(ticks) <= 11
    assert all(lo - 1e-9 <= t <= hi + 1e-9 for t in ticks)
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:])}
    assert len(steps) == 1
    step = steps.pop()
    mantissa = step / 10 ** int(f"{step:e}".split("e")[1])
    assert any(abs(mantissa - m) < 1e-6 for m in (1, 2, 2.5, 5))


def test_no_script_or_external_reference():
    svg = str(score_plot(0.2, [PlotPoint("1", "g", "accepted", 0.3, 0.3, 0.3)]))
    assert not re.search(r"<script|href|https?:", svg)
