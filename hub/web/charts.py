"""Bar charts drawn as inline SVG on the server: no script, readable when printed,
described for screen readers (role="img", a title and a description); every chart is
shown next to the table of its numbers."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

# Colour-blind-safe (Okabe–Ito), each dark enough for 3:1 against white.
COLOURS = ("#0b5394", "#b45f06", "#38761d", "#741b47")
_LABEL_W, _ROW_H, _BAR_H, _PAD = 230, 17, 14, 10


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
    """Vertical columns, one group per category (e.g. a month), one column per series."""
    peak = max([1, *[v for _, values in series for v in values]])
    top, bottom, left = 40, 40, 10
    plot_h = height - top - bottom
    group_w = (width - left * 2) / max(1, len(categories))
    bar_w = min(28.0, group_w / (len(series) + 1))
    parts = [_legend(series), f'<line x1="{left}" y1="{top + plot_h}" x2="{width - left}" '
             f'y2="{top + plot_h}" stroke="#1a1a1a"/>']
    for column, category in enumerate(categories):
        x0 = left + column * group_w + (group_w - bar_w * len(series)) / 2
        for index, (_name, values) in enumerate(series):
            value = values[column]
            bar_h = value / peak * (plot_h - 16)
            x, y = x0 + index * bar_w, top + plot_h - bar_h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 3:.1f}" '
                         f'height="{bar_h:.1f}" fill="{COLOURS[index % len(COLOURS)]}"/>')
            parts.append(_text(x + (bar_w - 3) / 2, y - 4, str(value), "middle", 12))
        parts.append(_text(left + column * group_w + group_w / 2, top + plot_h + 20,
                           _short(category, 16), "middle"))
    return _svg(chart_id, title, categories, series, width, height, parts)


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


def _short(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[:limit - 1] + "…"
