"""A score's trend as an inline SVG (drawn on the server: no script, no chart library to ship)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 360, 140, 28


def trend_chart(title: str, points: Sequence[Any]) -> Markup:
    """``points``: administrations with ``date`` and ``total`` (oldest first after sorting)."""
    scored = sorted((p for p in points if p.total is not None), key=lambda p: p.date)
    if not scored:
        return Markup("")
    top = max(max(p.total for p in scored), 1)
    step = (WIDTH - 2 * PAD) / max(len(scored) - 1, 1)

    def xy(i: int, total: int) -> tuple[float, float]:
        return PAD + i * step, HEIGHT - PAD - (HEIGHT - 2 * PAD) * total / top

    coords = [xy(i, p.total) for i, p in enumerate(scored)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    described = "; ".join(f"{p.date}: {p.total}" for p in scored)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'aria-label="{escape(title)} totals over time: {escape(described)}">',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#9aa5b1"/>',
        f'<polyline fill="none" stroke="#1d4e66" stroke-width="2" points="{line}"/>',
    ]
    for (x, y), p in zip(coords, scored, strict=True):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#1d4e66"/>')
        parts.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle">{p.total}</text>')
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle">{escape(str(p.date)[5:])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
