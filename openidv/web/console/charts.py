"""The dashboard's charts as plain SVG geometry computed here; the template only draws
rectangles, lines and text (no script, no chart library)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from openidv.core.vocab import Status
from openidv.services.dashboard import DayStats
from openidv.web.templating import format_duration

CHART_WIDTH = 480  # the time charts; a half-width card on a desktop shows them about 1:1
STATUS_COLOURS = {Status.APPROVED: "#2e7d32", Status.DENIED: "#c62828", Status.SUSPECTED: "#ef6c00",
                  Status.REVIEWING: "#1565c0", Status.ACTIVE: "#6d6d6d", Status.EXPIRED: "#8d6e63",
                  Status.DELETED: "#424242"}


@dataclass(frozen=True)
class Segment:
    value: float
    colour: str
    title: str


BARS_WIDTH = 420  # narrower than the time charts: a phone shrinks it less, labels stay readable


def bar_rows(rows: list[tuple[str, list[Segment], str]], label_width: int = 150) -> dict[str, Any]:
    """Horizontal bars, one per (label, segments, value text); segments stack left to right,
    scaled to the largest row total."""
    row_h, value_w = 24, 60
    top = max((sum(s.value for s in segments) for _, segments, _ in rows), default=0) or 1
    scale = (BARS_WIDTH - label_width - value_w) / top
    bars = []
    for i, (label, segments, value_text) in enumerate(rows):
        x, rects = float(label_width), []
        for s in segments:
            w = s.value * scale
            if w > 0:
                rects.append({"x": round(x, 1), "w": round(w, 1), "colour": s.colour, "title": s.title})
            x += w
        bars.append({"label": label, "y": i * row_h + 4, "h": row_h - 8, "rects": rects,
                     "text_y": i * row_h + row_h / 2 + 5, "value": value_text, "value_x": round(x + 6, 1)})
    return {"width": BARS_WIDTH, "height": max(len(bars), 1) * row_h, "label_x": label_width - 8, "bars": bars}


def status_chart(per_status: dict[str, int]) -> dict[str, Any]:
    return bar_rows([(s, [Segment(n, STATUS_COLOURS.get(s, "#555"), f"{s}: {n}")], str(n))
                     for s, n in per_status.items()], label_width=110)


def day_chart(per_day: list[DayStats]) -> dict[str, Any]:
    height, bottom, left = 200, 24, 30
    top = max([max(d.created, d.decided) for d in per_day] + [1])
    slot = (CHART_WIDTH - left) / max(len(per_day), 1)
    bar_w = slot * 0.38
    bars, labels = [], []
    for i, d in enumerate(per_day):
        x = left + i * slot + slot * 0.1
        for j, (kind, value) in enumerate((("created", d.created), ("decided", d.decided))):
            h = (height - bottom - 10) * value / top
            bars.append({"x": round(x + j * bar_w, 1), "y": round(height - bottom - h, 1), "w": round(bar_w, 1),
                         "h": round(h, 1), "kind": kind, "title": f"{d.day.isoformat()}: {value} {kind}"})
        labels.append({"x": round(x + bar_w, 1), "text": d.day.strftime("%d.%m")})
    return {"width": CHART_WIDTH, "height": height, "base": height - bottom, "left": left, "top": top,
            "bars": bars, "labels": _thin(labels)}


def _thin(labels: list[dict[str, Any]], most: int = 8) -> list[dict[str, Any]]:
    """Every n-th day label (the latest always), so labels stay apart on a phone and over 90 days."""
    step = max(1, -(-len(labels) // most))
    return labels[::-1][::step][::-1]


def approval_chart(per_day: list[DayStats]) -> dict[str, Any]:
    """Approval rate per day (approved / decided) as a line; days without decisions are gaps."""
    height, bottom, left, top_pad = 170, 24, 64, 10
    slot = (CHART_WIDTH - left) / max(len(per_day), 1)
    plot_h = height - bottom - top_pad
    lines: list[list[str]] = [[]]
    points, labels = [], []
    for i, d in enumerate(per_day):
        x = left + i * slot + slot / 2
        labels.append({"x": round(x, 1), "text": d.day.strftime("%d.%m")})
        rate = d.approval_rate
        if rate is None:
            if lines[-1]:
                lines.append([])
            continue
        y = top_pad + plot_h * (1 - rate)
        lines[-1].append(f"{x:.1f},{y:.1f}")
        points.append({"x": round(x, 1), "y": round(y, 1),
                       "title": f"{d.day.isoformat()}: {rate * 100:.0f} % approved ({d.approved} of {d.decided})"})
    grid = [{"y": round(top_pad + plot_h * (1 - f), 1), "text": f"{f * 100:.0f} %"} for f in (0, 0.5, 1)]
    return {"width": CHART_WIDTH, "height": height, "left": left, "lines": [" ".join(p) for p in lines if p],
            "points": points, "labels": _thin(labels), "grid": grid}


def median_chart(per_day: list[DayStats]) -> dict[str, Any]:
    height, bottom, left = 160, 24, 30
    values = [d.median_seconds for d in per_day]
    top = max([v for v in values if v is not None] + [1.0])
    slot = (CHART_WIDTH - left) / max(len(per_day), 1)
    bars, labels = [], []
    for i, d in enumerate(per_day):
        x = left + i * slot + slot * 0.15
        labels.append({"x": round(x + slot * 0.35, 1), "text": d.day.strftime("%d.%m")})
        if d.median_seconds is None:
            continue
        h = (height - bottom - 10) * d.median_seconds / top
        bars.append({"x": round(x, 1), "y": round(height - bottom - h, 1), "w": round(slot * 0.7, 1),
                     "h": round(h, 1), "title": f"{d.day.isoformat()}: median {format_duration(d.median_seconds)}"})
    return {"width": CHART_WIDTH, "height": height, "base": height - bottom, "bars": bars, "labels": _thin(labels),
            "top_label": format_duration(top)}


def percent(value: Optional[float]) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"
