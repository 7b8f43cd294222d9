"""The dashboard page: figures from services/dashboard.py drawn as server-side SVG charts,
with the same numbers as tables."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from openidv.services import dashboard as figures
from openidv.store.db import session_scope
from openidv.web.console.auth import PREFIX, ConsoleUser, current_user
from openidv.web.console.charts import (
    STATUS_COLOURS, Segment, approval_chart, bar_rows, day_chart, median_chart, percent, status_chart,
)
from openidv.web.console.pages import page
from openidv.web.templating import format_duration

router = APIRouter(prefix=PREFIX, include_in_schema=False)

GREEN, RED, AMBER, GREY, BLUE, PURPLE = "#2e7d32", "#c62828", "#ef6c00", "#9e9e9e", "#1565c0", "#6a1b9a"


def _charts(board: figures.Dashboard) -> dict[str, dict]:
    return {
        "status_chart": status_chart(board.per_status),
        "day_chart": day_chart(board.per_day),
        "approval_chart": approval_chart(board.per_day),
        "median_chart": median_chart(board.per_day),
        "time_chart": bar_rows([(label, [Segment(n, PURPLE, f"{label}: {n}")], str(n))
                                for label, n in board.time_buckets], label_width=110),
        "funnel_chart": bar_rows([(s.label, [Segment(s.count, BLUE, f"{s.label}: {s.count}")], str(s.count))
                                  for s in board.funnel], label_width=130),
        "decline_chart": bar_rows([(code, [Segment(n, RED, f"{code}: {n}")], str(n))
                                   for code, n in board.decline_reasons], label_width=180),
        "partner_chart": bar_rows([(p.name[:20], [Segment(p.approved, GREEN, f"{p.name}: {p.approved} approved"),
                                                  Segment(p.suspected, AMBER, f"{p.name}: {p.suspected} suspected"),
                                                  Segment(p.denied, RED, f"{p.name}: {p.denied} denied")],
                                    percent(p.approval_rate)) for p in board.per_partner]),
        "reviewer_chart": bar_rows([(r.email[:26], [Segment(r.by_decision["approve"], GREEN, "approved"),
                                                    Segment(r.by_decision["decline"], RED, "declined"),
                                                    Segment(r.by_decision["resubmit"], AMBER, "new photos asked"),
                                                    Segment(r.by_decision["other"], GREY, "other")],
                                     str(r.reviews)) for r in board.per_reviewer], label_width=190),
    }


@router.get("/dashboard")
def dashboard_page(request: Request, user: ConsoleUser = Depends(current_user)) -> Response:
    try:
        days = int(request.query_params.get("days", "14"))
    except ValueError:
        days = 14
    days = days if days in figures.WINDOWS else 14
    with session_scope() as session:
        board = figures.build_dashboard(session, user, days=days)
    return page("console/dashboard.html", {
        "user": user, "board": board, "windows": figures.WINDOWS, "percent": percent,
        "duration": format_duration, "colours": STATUS_COLOURS, "active": "dashboard", **_charts(board),
    })
