"""Small inline SVG charts for the insights page, drawn on the server.

Why our own code: three chart kinds do not justify a library, and the page
must work under a CSP without inline scripts or styles and with nothing
from other hosts. Charts use only presentation attributes and CSS classes
(``static/kb.css`` colours them, dark mode included). Every chart is
``role="img"`` with a ``<title>`` and an ``aria-label`` that say what the
data shows, because a screen reader cannot read a polyline; the page's
tables hold the same numbers for anyone who needs them exactly.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 180
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP, MARGIN_RIGHT = 40, 24, 10, 10
SPARK_WIDTH, SPARK_HEIGHT = 100, 24


@dataclass(frozen=True)
class Point:
    day: dt.date
    value: float | None  # None: nothing to show that day (no votes), drawn as a gap


def _svg(width: int, height: int, label: str, body: str, css_class: str) -> Markup:
    label = escape(label)
    return Markup(
        f'<svg class="chart {css_class}" role="img" aria-label="{label}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f'<title>{label}</title>{body}</svg>')


def _x(index: int, count: int, left: float, width: float) -> float:
    """Where the index-th of count evenly spaced points sits; a single point sits in the middle."""
    return left + (width / 2 if count == 1 else width * index / (count - 1))


def _y(value: float, top: float, height: float, highest: float) -> float:
    return top + height - (height * value / highest if highest else 0)


def _runs(points: Sequence[Point]) -> list[list[tuple[int, float]]]:
    """Consecutive points with a value, so a day without data breaks the line instead of faking a zero."""
    runs: list[list[tuple[int, float]]] = [[]]
    for index, point in enumerate(points):
        if point.value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((index, point.value))
    return [run for run in runs if run]


def _axes(first: dt.date, last: dt.date, top_label: str) -> str:
    bottom = HEIGHT - MARGIN_BOTTOM
    return (f'<line class="chart-axis" x1="{MARGIN_LEFT}" y1="{bottom}" x2="{WIDTH - MARGIN_RIGHT}" y2="{bottom}"/>'
            f'<line class="chart-rule" x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{WIDTH - MARGIN_RIGHT}" '
            f'y2="{MARGIN_TOP}"/>'
            f'<text class="chart-text" x="{MARGIN_LEFT - 4}" y="{MARGIN_TOP + 4}" text-anchor="end">{top_label}</text>'
            f'<text class="chart-text" x="{MARGIN_LEFT - 4}" y="{bottom}" text-anchor="end">0</text>'
            f'<text class="chart-text" x="{MARGIN_LEFT}" y="{HEIGHT - 6}">{first:%d %b}</text>'
            f'<text class="chart-text" x="{WIDTH - MARGIN_RIGHT}" y="{HEIGHT - 6}" text-anchor="end">'
            f'{last:%d %b}</text>')


def _lines(points: Sequence[Point], left: float, top: float, width: float, height: float, highest: float) -> str:
    parts = []
    for run in _runs(points):
        coords = [(_x(i, len(points), left, width), _y(v, top, height, highest)) for i, v in run]
        if len(coords) == 1:
            (cx, cy), = coords
            parts.append(f'<circle class="chart-dot" cx="{cx:.1f}" cy="{cy:.1f}" r="3"/>')
        else:
            path = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords)
            parts.append(f'<polyline class="chart-line" fill="none" points="{path}"/>')
    return "".join(parts)


def ratio_chart(points: Sequence[Point], label: str) -> Markup:
    """A line of shares between 0 and 1 (helpful votes per day), with 0 % and 100 % marked."""
    if not points:
        return Markup("")
    body = _axes(points[0].day, points[-1].day, "100%") + _lines(
        points, MARGIN_LEFT, MARGIN_TOP, WIDTH - MARGIN_LEFT - MARGIN_RIGHT, HEIGHT - MARGIN_TOP - MARGIN_BOTTOM, 1)
    return _svg(WIDTH, HEIGHT, label, body, "chart-ratio")


def bar_chart(points: Sequence[Point], label: str) -> Markup:
    """One bar per day (searches per day); the top of the scale is the busiest day."""
    if not points:
        return Markup("")
    highest = max((p.value or 0 for p in points), default=0)
    inner_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    inner_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = inner_width / len(points)
    bars = []
    for index, point in enumerate(points):
        if not point.value:
            continue
        top = _y(point.value or 0, MARGIN_TOP, inner_height, highest)
        bars.append(f'<rect class="chart-bar" x="{MARGIN_LEFT + index * slot + slot * 0.15:.1f}" y="{top:.1f}" '
                    f'width="{slot * 0.7:.1f}" height="{HEIGHT - MARGIN_BOTTOM - top:.1f}"/>')
    body = _axes(points[0].day, points[-1].day, f"{highest:g}") + "".join(bars)
    return _svg(WIDTH, HEIGHT, label, body, "chart-bars")


def sparkline(points: Sequence[Point], label: str) -> Markup:
    """A word-sized line (views per day of one article), scaled to its own busiest day."""
    if not points:
        return Markup("")
    highest = max((p.value or 0 for p in points), default=0)
    body = _lines(points, 2, 2, SPARK_WIDTH - 4, SPARK_HEIGHT - 4, highest)
    return _svg(SPARK_WIDTH, SPARK_HEIGHT, label, body, "chart-spark")
