"""Bar charts drawn as inline SVG on the server: no script, readable when printed,
described for screen readers (role="img", a title and a description); every chart is
shown next to the table of its numbers."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence

from markupsafe import Markup, escape

# Colour-blind-safe (Okabe–Ito), each dark enough for 3:1 against white.
COLOURS = ("#0b5394", "#b45f06", "#38761d", "#741b47")
_LABEL_W, _ROW_H, _BAR_H, _PAD = 230, 17, 14, 10
_COLUMN_W, _GAP = 16, 14  # a column holds one upright line of 12 px text
_TEXT = re.compile(r'<text x="(?P<x>[-\d.]+)" y="(?P<y>[-\d.]+)" text-anchor="(?P<anchor>\w+)" '
                   r'font-size="(?P<size>\d+)" fill="[^"]+"(?: transform="(?P<rotate>[^"]+)")?>'
                   r'(?P<text>[^<]*)</text>')


def grouped_bars(chart_id: str, title: str, categories: Sequence[str],
                 series: Sequence[tuple[str, Sequence[int]]], width: int = 760) -> Markup:
    """Horizontal bars, one group per category, one bar per series, with a legend."""
    peak = max([1, *[v for _, values in series for v in values]])
    group_h = _ROW_H * len(series) + _PAD
    height = 30 + group_h * len(categories) + 10
    scale = (width - _LABEL_W - 60) / peak
    parts = [_legend(series)]
    for row, category in enumerate(categories):
        top = 30 + row * group_h
        parts.append(_text(8, top + group_h / 2, _short(category), "start"))
        for index, (_name, values) in enumerate(series):
            y, value = top + index * _ROW_H, values[row]
            length = max(value * scale, 1 if value else 0)
            parts.append(f'<rect x="{_LABEL_W}" y="{y}" width="{length:.1f}" height="{_BAR_H}" '
                         f'fill="{COLOURS[index % len(COLOURS)]}"/>')
            parts.append(_text(_LABEL_W + length + 6, y + _BAR_H - 2, str(value), "start", 12))
    return _svg(chart_id, title, categories, series, width, height, parts)


def grouped_columns(chart_id: str, title: str, categories: Sequence[str],
                    series: Sequence[tuple[str, Sequence[int]]], width: int = 760,
                    height: int = 260) -> Markup:
    """Vertical columns, one group per category (e.g. a month), one column per series.

    Labels never collide: each value is written upright along its own column (a column
    is as wide as a line of text is high), each category upright under its group; the
    chart grows wider with the number of categories and its box scrolls (`wide`)."""
    peak = max([1, *[v for _, values in series for v in values]])
    value_room = _text_width(str(peak), 12) + 8
    label_room = max([0, *[_text_width(_short(c, 16), 13) for c in categories]]) + 12
    group_w = _COLUMN_W * len(series) + _GAP
    width = max(width, 20 + group_w * len(categories))
    height = max(height, math.ceil(40 + value_room + 80 + label_room))
    top, left = 40, 10
    plot_h = height - top - label_room
    parts = [_legend(series), f'<line x1="{left}" y1="{top + plot_h}" x2="{width - left}" '
             f'y2="{top + plot_h}" stroke="#1a1a1a"/>']
    for column, category in enumerate(categories):
        x0 = left + column * group_w + _GAP / 2
        for index, (_name, values) in enumerate(series):
            value = values[column]
            bar_h = value / peak * (plot_h - value_room)
            x, y = x0 + index * _COLUMN_W, top + plot_h - bar_h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{_COLUMN_W - 2}" '
                         f'height="{bar_h:.1f}" fill="{COLOURS[index % len(COLOURS)]}"/>')
            parts.append(_upright(x + _COLUMN_W / 2 + 4, y - 4, str(value), 12))
        centre = left + column * group_w + group_w / 2
        parts.append(_upright(centre + 4, top + plot_h + 8, _short(category, 16), 13,
                              anchor="end"))
    chart = _svg(chart_id, title, categories, series, width, height, parts)
    if width <= 900:
        return chart
    # Too many months to fit the page at a readable size: the chart keeps its size
    # and its box scrolls sideways (a keyboard user scrolls it once focused).
    wide = str(chart).replace('<svg class="chart"', f'<svg class="chart wide" width="{width}"', 1)
    return Markup(f'<div class="chart-scroll" role="region" tabindex="0" '
                  f'aria-label="{escape(title)} (défilement horizontal)">{wide}</div>')


def text_boxes(svg: str) -> list[tuple[float, float, float, float]]:
    """The boxes (x0, y0, x1, y1) the labels of a chart drawn here take, from their
    own size (the advance of the widest glyphs), upright ones turned."""
    boxes = []
    for match in _TEXT.finditer(svg):
        x, y, size = float(match["x"]), float(match["y"]), int(match["size"])
        length = _text_width(html.unescape(match["text"]), size)
        turned, anchor = bool(match["rotate"]), match["anchor"]
        start = {"start": 0.0, "middle": length / 2, "end": length}[anchor]
        if turned:  # read bottom to top: the text runs up from (x, y)
            boxes.append((x - size, y - length + start, x, y + start))
        else:
            boxes.append((x - start, y - size, x - start + length, y))
    return boxes


def _svg(chart_id: str, title: str, categories: Sequence[str],
         series: Sequence[tuple[str, Sequence[int]]], width: int, height: int,
         parts: list[str]) -> Markup:
    description = "; ".join(
        f"{category} : " + ", ".join(f"{name} {values[i]}" for name, values in series)
        for i, category in enumerate(categories))
    return Markup(
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(description)}</desc>{"".join(parts)}</svg>')


def _legend(series: Sequence[tuple[str, Sequence[int]]]) -> str:
    parts, x = [], 8
    for index, (name, _values) in enumerate(series):
        parts.append(f'<rect x="{x}" y="6" width="14" height="14" '
                     f'fill="{COLOURS[index % len(COLOURS)]}"/>')
        parts.append(_text(x + 20, 18, name, "start"))
        x += 28 + 8 * len(name)
    return "".join(parts)


def _text(x: float, y: float, text: str, anchor: str, size: int = 13) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" '
            f'font-size="{size}" fill="#1a1a1a">{escape(text)}</text>')


def _upright(x: float, y: float, text: str, size: int, anchor: str = "start") -> str:
    """Text read bottom to top, its baseline along x (so its width is one line)."""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="#1a1a1a" transform="rotate(-90 {x:.1f} {y:.1f})">{escape(text)}</text>')


def _text_width(text: str, size: int) -> float:
    """A generous width: every glyph as wide as a digit or a capital (0.62 em)."""
    return len(text) * size * 0.62


def _short(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[:limit - 1] + "…"
