"""The dashboard's charts as plain SVG geometry computed here; the template only draws
rectangles and text (no script, no chart library)."""

from __future__ import annotations

from typing import Any

from openidv.core.vocab import Status
from openidv.store.console import DayCount
from openidv.web.templating import format_duration

CHART_WIDTH = 640
STATUS_COLOURS = {Status.APPROVED: "#2e7d32", Status.DENIED: "#c62828", Status.SUSPECTED: "#ef6c00",
                  Status.REVIEWING: "#1565c0", Status.ACTIVE: "#6d6d6d", Status.EXPIRED: "#8d6e63",
                  Status.DELETED: "#424242"}


def status_chart(per_status: dict[str, int]) -> dict[str, Any]:
    row_h, label_w, value_w = 26, 110, 60
    top = max(per_status.values(), default=0) or 1
    bars = []
    for i, (status, count) in enumerate(per_status.items()):
        width = (CHART_WIDTH - label_w - value_w) * count / top
        bars.append({"label": status, "count": count, "x": label_w, "y": i * row_h + 4,
                     "w": round(width, 1), "h": row_h - 8, "colour": STATUS_COLOURS.get(status, "#555"),
                     "text_y": i * row_h + row_h / 2 + 5, "value_x": label_w + width + 6})
    return {"width": CHART_WIDTH, "height": len(bars) * row_h, "bars": bars}


def day_chart(per_day: list[DayCount]) -> dict[str, Any]:
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
            "bars": bars, "labels": labels}


def median_chart(per_day: list[DayCount]) -> dict[str, Any]:
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
    return {"width": CHART_WIDTH, "height": height, "base": height - bottom, "bars": bars, "labels": labels,
            "top_label": format_duration(top)}
