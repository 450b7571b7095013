"""Small SVG bar charts drawn on the server: no script, no external library, nothing fetched at run time.

Every label is escaped here, and the markup is marked safe only after that, so a practice or reason name can
never inject markup into the page.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

WIDTH = 640
BAR_HEIGHT = 22
COLUMN_HEIGHT = 140


def columns(title: str, labels: list[str], values: list[float], unit: str = "") -> Markup:
    """Vertical bars, one per label (days), with the largest value written at the top."""
    top = max(values, default=0.0) or 1.0
    step = WIDTH / max(len(values), 1)
    bars = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = COLUMN_HEIGHT * value / top
        x = i * step
        bars.append(
            f'<rect x="{x + step * 0.15:.1f}" y="{COLUMN_HEIGHT - height + 20:.1f}" width="{step * 0.7:.1f}" '
            f'height="{height:.1f}"><title>{escape(label)}: {value:g}{escape(unit)}</title></rect>'
        )
    ticks = _day_ticks(labels, step)
    return Markup(
        f'<svg class="plot" viewBox="0 0 {WIDTH} {COLUMN_HEIGHT + 40}" role="img" aria-label="{escape(title)}">'
        f'<text x="0" y="12" class="plot-title">{escape(title)} (max {top:g}{escape(unit)})</text>'
        f"{''.join(bars)}{ticks}</svg>"
    )


def rows(title: str, items: dict[str, float], unit: str = "") -> Markup:
    """Horizontal bars, one per named figure (outcomes, reasons), each with its value."""
    top = max(items.values(), default=0.0) or 1.0
    height = 20 + BAR_HEIGHT * max(len(items), 1)
    bars = []
    for i, (label, value) in enumerate(items.items()):
        y = 20 + i * BAR_HEIGHT
        width = (WIDTH - 260) * value / top
        bars.append(
            f'<text x="0" y="{y + 15}">{escape(label)}</text>'
            f'<rect x="200" y="{y + 3}" width="{width:.1f}" height="{BAR_HEIGHT - 6}"></rect>'
            f'<text x="{205 + width:.1f}" y="{y + 15}">{value:g}{escape(unit)}</text>'
        )
    if not items:
        bars.append('<text x="0" y="36" class="muted">Nothing in this period.</text>')
    return Markup(
        f'<svg class="plot" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}">'
        f'<text x="0" y="12" class="plot-title">{escape(title)}</text>{"".join(bars)}</svg>'
    )


def _day_ticks(labels: list[str], step: float) -> str:
    every = max(1, len(labels) // 8)
    return "".join(
        f'<text x="{i * step:.1f}" y="{COLUMN_HEIGHT + 36}" class="tick">{escape(label[5:])}</text>'
        for i, label in enumerate(labels)
        if i % every == 0
    )
