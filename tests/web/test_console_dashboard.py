"""The dashboard's figures: approval rate, decline reasons, per partner and reviewer, time
to decision, where end users drop off; drawn as SVG charts with tables."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from openidv.services.dashboard import build_dashboard
from openidv.store.db import session_scope
from openidv.store.models import Reviewer, utcnow


def test_dashboard_figures(app_client, make_partner, make_reviewer, make_verification, console_for):
    p = make_partner()
    email, password = make_reviewer(p.partner_id)
    with session_scope() as session:
        reviewer_id = session.scalar(select(Reviewer.id).where(Reviewer.email == email))
    now = utcnow()
    ago = lambda minutes: now - dt.timedelta(minutes=minutes)  # noqa: E731
    make_verification(p.partner_id, status="APPROVED", start_time=ago(30), finish_time=ago(25), review_time=ago(10),
                      reviewer_id=reviewer_id, review_decision="approve", manual_document="DOC_VALIDATED",
                      manual_face="FACE_MATCH", flow_started_at=ago(32))
    make_verification(p.partner_id, status="DENIED", auto_face="FACE_MISMATCH", start_time=ago(5), finish_time=ago(4))
    make_verification(p.partner_id, status="DENIED", start_time=ago(120), finish_time=ago(119), review_time=ago(60),
                      reviewer_id=reviewer_id, review_decision="resubmit", manual_document="DOC_TOO_BLURRY",
                      manual_face="FACE_MATCH")
    make_verification(p.partner_id, status="REVIEWING", start_time=ago(3), finish_time=ago(2))
    make_verification(p.partner_id, status="EXPIRED", start_time=None, finish_time=None)
    make_verification(p.partner_id, status="ACTIVE", start_time=None, finish_time=None, flow_started_at=ago(1))
    with session_scope() as session:
        reviewer = session.scalar(select(Reviewer).where(Reviewer.email == email))
        board = build_dashboard(session, reviewer, days=7)
    assert board.decided_in_window == 3 and abs(board.approval_rate - 1 / 3) < 1e-9
    assert dict(board.decline_reasons) == {"FACE_MISMATCH": 1, "DOC_TOO_BLURRY": 1}
    assert [(s.label, s.count) for s in board.funnel] == [
        ("Tokens created", 6), ("Started", 5), ("Images handed in", 4), ("Decided", 3), ("Approved", 1)]
    assert board.funnel[2].lost == 1 and board.started_in_flow == 2
    # Summed over the window: just after midnight UTC some of these times fall on yesterday.
    totals = tuple(sum(getattr(d, f) for d in board.per_day) for f in ("created", "decided", "approved"))
    assert totals == (6, 3, 1)
    (mine,) = board.per_reviewer
    assert (mine.email, mine.reviews, mine.by_decision["approve"], mine.by_decision["resubmit"]) == (email, 2, 1, 1)
    assert mine.median_wait_seconds == (15 * 60 + 59 * 60) / 2
    (partner,) = board.per_partner
    assert (partner.decided, partner.approved, partner.denied, partner.reviewing_now) == (3, 1, 2, 1)
    assert board.median_decision_seconds == 20 * 60  # 1 min, 20 min, 60 min
    assert dict(board.time_buckets)["10–60 min"] == 1

    page = console_for(email, password).get("/console/dashboard", params={"days": "30"}).text
    assert 'id="approval-rate">33 %<' in page and "Last 30 days" in page
    for chart in ("approval-chart", "funnel-chart", "decline-chart", "partner-chart", "reviewer-chart", "time-chart"):
        svg = page[page.index(f'id="{chart}"'):page.index("</svg>", page.index(f'id="{chart}"'))]
        assert "<rect" in svg or "<polyline" in svg, chart
    assert "FACE_MISMATCH" in page and email in page
    assert re.search(r"<td>Images handed in</td><td>4</td><td>1 left the hosted flow", page)


def test_dashboard_window_is_checked(app_client, make_partner, make_reviewer, console_for):
    client = console_for(*make_reviewer(make_partner().partner_id))
    assert "Last 14 days" in client.get("/console/dashboard", params={"days": "100000"}).text
    assert "Last 14 days" in client.get("/console/dashboard", params={"days": "x"}).text
