"""Writing SVG by hand: the elements ``rg.explain``'s pictures are made of, and line charts.

No font is measured: text widths are estimated from the number of characters, generously, so
that boxes are a little wide rather than too narrow.
"""
from __future__ import annotations

import math
from html import escape
from typing import Mapping, Sequence

FONT = "Helvetica, Arial, sans-serif"
FONT_SIZE = 11.0
CHARACTER_WIDTH = 0.62  # of the font size: a little more than Helvetica's average


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """The estimated width of ``text`` in pixels."""
    return len(text) * size * CHARACTER_WIDTH


class SVG:
    """An SVG picture: ``str()`` is its text, and notebooks show it inline."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def _repr_svg_(self) -> str:
        return self.text


class Canvas:
    """Collects SVG elements; ``svg()`` wraps them in the document."""

    def __init__(self) -> None:
        self.elements: list[str] = []

    def add(self, element: str) -> None:
        """Adds raw SVG markup (a ``<g>`` built with the helpers below)."""
        self.elements.append(element)

    def svg(self, width: float, height: float) -> str:
        """The document, ``width`` x ``height`` pixels."""
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
                f'height="{height:.0f}" viewBox="0 0 {width:.1f} {height:.1f}" '
                f'font-family="{FONT}" font-size="{FONT_SIZE:g}">\n'
                f'<rect width="100%" height="100%" fill="white"/>\n'
                + "\n".join(self.elements) + "\n</svg>\n")


def rect(x: float, y: float, width: float, height: float, fill: str = "none",
         stroke: str = "#333333", stroke_width: float = 1.0) -> str:
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{stroke_width:g}"/>')


def circle(cx: float, cy: float, r: float, fill: str = "white", stroke: str = "#333333") -> str:
    """A circle of centre ``(cx, cy)``."""
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" fill="{fill}" stroke="{stroke}"/>'


def text(x: float, y: float, content: str, color: str = "#000000", bold: bool = False,
         anchor: str = "middle", size: float | None = None) -> str:
    """Text (escaped) whose vertical middle is at ``y``; ``anchor`` 'start', 'middle' or 'end'
    says where ``x`` is."""
    weight = ' font-weight="bold"' if bold else ""
    font_size = f' font-size="{size:g}"' if size else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" fill="{color}" text-anchor="{anchor}" '
            f'dominant-baseline="central"{weight}{font_size}>{escape(content)}</text>')


def polyline(points: Sequence[tuple[float, float]], color: str = "#555555",
             dashed: bool = False, width: float = 1.0, css_class: str = "") -> str:
    """One ``<path>`` through ``points``."""
    d = " ".join(f"{'M' if index == 0 else 'L'}{x:.1f},{y:.1f}"
                 for index, (x, y) in enumerate(points))
    dash = ' stroke-dasharray="5,3"' if dashed else ""
    kind = f' class="{css_class}"' if css_class else ""
    return f'<path{kind} d="{d}" fill="none" stroke="{color}" stroke-width="{width:g}"{dash}/>'


def arrowhead(start: tuple[float, float], end: tuple[float, float], color: str = "#555555",
              length: float = 8.0) -> str:
    """A filled triangle with its tip at ``end``, pointing away from ``start``."""
    angle = math.atan2(end[1] - start[1], end[0] - start[0])
    corners = [end] + [(end[0] - length * math.cos(angle + turn),
                        end[1] - length * math.sin(angle + turn)) for turn in (0.4, -0.4)]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in corners)
    return f'<polygon points="{points}" fill="{color}"/>'


# -- line charts ----------------------------------------------------------------------------

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728")


def line_charts(panels: Mapping[str, Mapping[str, Sequence[float | None]]],
                x_values: Sequence[float], width: float = 320.0,
                height: float = 220.0) -> str:
    """Charts side by side, one per ``panels`` entry (title -> {series name: values}), the
    values plotted against ``x_values``; None (not measured) leaves a gap. A series with no
    value at all is left out, and so is a chart left without series."""
    shown = {}
    for title, series in panels.items():
        measured = {name: values for name, values in series.items()
                    if any(v is not None and math.isfinite(v) for v in values)}
        if measured:
            shown[title] = measured
    canvas = Canvas()
    for number, (title, series) in enumerate(shown.items()):
        canvas.add(_chart(number * width, title, series, x_values, width, height))
    return canvas.svg(max(len(shown), 1) * width, height)


def _chart(left: float, title: str, series: Mapping[str, Sequence[float | None]],
           x_values: Sequence[float], width: float, height: float) -> str:
    """One chart: a frame with the y range written at its ends, one line per series, and the
    legend under the title."""
    x0, x1, y0, y1 = left + 48, left + width - 12, 40.0, height - 28  # the plot area
    finite = [v for values in series.values() for v in values
              if v is not None and math.isfinite(v)]
    low, high = min(finite), max(finite)
    if high == low:
        low, high = low - 0.5, high + 0.5
    first, last = min(x_values), max(x_values)
    span = (last - first) or 1.0

    def at(x: float, y: float) -> tuple[float, float]:
        return (x0 + (x - first) / span * (x1 - x0), y1 - (y - low) / (high - low) * (y1 - y0))

    parts = [text(left + width / 2, 12, title, bold=True), rect(x0, y0, x1 - x0, y1 - y0),
             text(x0 - 4, y0, f"{high:.3g}", anchor="end"),
             text(x0 - 4, y1, f"{low:.3g}", anchor="end"),
             text(x0, y1 + 12, f"{first:g}"), text(x1, y1 + 12, f"{last:g}"),
             text((x0 + x1) / 2, y1 + 12, "epoch", color="#555555")]
    for number, (name, values) in enumerate(series.items()):
        color = PALETTE[number % len(PALETTE)]
        parts.append(text(x0 + 4 + 90 * number, 28, f"— {name}", color=color, anchor="start"))
        segment: list[tuple[float, float]] = []
        for x, y in [*zip(x_values, values), (None, None)]:  # the sentinel ends the last run
            if y is not None and math.isfinite(y):
                segment.append(at(x, y))  # type: ignore[arg-type]  # x is None only with y
                continue
            if len(segment) == 1:  # a lone point: a dot
                parts.append(circle(*segment[0], 2.5, fill=color, stroke=color))
            elif segment:
                parts.append(polyline(segment, color=color, width=1.5))
            segment = []
    return "<g>" + "".join(parts) + "</g>"
