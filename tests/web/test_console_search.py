"""Search results a reviewer can use (name, country, document number, reason), pages past
200, and the audited CSV export with formula-like cells neutralised."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid

from sqlalchemy import select

from openidv.config import get_settings
from openidv.store.audit import search_term_digest
from openidv.store.db import session_scope
from openidv.store.models import AuditEntry
from openidv.web.console.search import safe_cell

REF = re.compile(r'href="/console/v/([0-9a-f-]{36})"')


def test_results_show_name_country_number_and_reason(app_client, make_partner, make_reviewer, make_verification,
                                                     console_for):
    p = make_partner()
    tag = uuid.uuid4().hex[:6]
    make_verification(p.partner_id, client_id=f"c-{tag}", country="LV",
                      document_data={"doc_name": "ONA", "doc_surname": "PETRAITE", "doc_document_number": "LV998877",
                                     "doc_country": "LV", "doc_document_type": "PASSPORT"})
    page = console_for(*make_reviewer(p.partner_id)).get("/console/search", params={"clientId": f"c-{tag}"}).text
    results = page[page.index('id="results"'):]
    for text in ("ONA PETRAITE", "LV · PASSPORT", "LV998877", "Face uncertain (similarity 61 %)"):
        assert text in results, text


def test_paging_beyond_200(app_client, make_partner, make_reviewer, make_verification, console_for):
    p = make_partner()
    tag = uuid.uuid4().hex[:6]
    made = [make_verification(p.partner_id, client_id=f"many-{tag}", request={"lastName": f"Pager{tag}"},
                              status="APPROVED") for _ in range(230)]
    client = console_for(*make_reviewer(p.partner_id))
    for criteria in ({"clientId": f"many-{tag}"}, {"name": f"pager{tag}"}):  # SQL-only and confirmed in Python
        seen: list[str] = []
        for number in (1, 2, 3):
            page = client.get("/console/search", params={**criteria, "page": str(number)}).text
            assert re.search(r'id="result-count">230 results', page), criteria
            seen += REF.findall(page)
        assert sorted(seen) == sorted(made) and len(set(seen)) == 230, criteria
        assert 'id="next-page"' not in page and "Page 3 of 3" in page


def test_csv_export_is_audited_and_neutralises_formulas(app_client, make_partner, make_reviewer, make_verification,
                                                        console_for):
    p = make_partner()
    tag = uuid.uuid4().hex[:6]
    evil = make_verification(p.partner_id, client_id=f"=HYPERLINK(\"http://x\")-{tag}",
                             request={"firstName": "@SUM(A1)", "lastName": f"+Evil{tag}"},
                             document_data={"doc_document_number": "-2+3"})
    plain = make_verification(p.partner_id, client_id=f"plain-{tag}", request={"lastName": f"Evil{tag}"})
    email, password = make_reviewer(p.partner_id)
    client = console_for(email, password)
    page = client.get("/console/search", params={"name": f"evil{tag}"}).text
    assert f'href="/console/search.csv?name=evil{tag}"' in page
    r = client.get("/console/search.csv", params={"name": f"evil{tag}"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith('attachment; filename="openidv-search-')
    assert r.headers["cache-control"] == "no-store, private"
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["scanRef", "clientId", "partner", "status"]
    by_ref = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert set(by_ref) == {evil, plain}
    assert by_ref[evil]["clientId"] == f"'=HYPERLINK(\"http://x\")-{tag}"
    assert by_ref[evil]["name"] == f"'@SUM(A1) +Evil{tag}" and by_ref[evil]["documentNumber"] == "'-2+3"
    assert by_ref[plain]["clientId"] == f"plain-{tag}"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    with session_scope() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.actor == email, AuditEntry.action == "export"))
    # The searched name is personal data: the log keeps a keyed digest of it, not the name.
    assert entry is not None and entry.detail["rows"] == 2
    assert entry.detail["filters"]["name"] == search_term_digest(get_settings().data_keys()[0], f"evil{tag}")
    assert tag not in json.dumps(entry.detail)
    # Another partner's reviewer exports none of it; an empty search exports nothing.
    outsider = console_for(*make_reviewer(make_partner().partner_id))
    assert len(list(csv.reader(io.StringIO(outsider.get("/console/search.csv", params={"name": f"evil{tag}"})
                                           .content.decode("utf-8-sig"))))) == 1
    assert client.get("/console/search.csv").status_code == 400


def test_safe_cell():
    assert [safe_cell(x) for x in ("=1+1", "+1", "-1", "@a", "\tx", "a=b", None, 5)] == \
        ["'=1+1", "'+1", "'-1", "'@a", "'\tx", "a=b", "", "5"]
