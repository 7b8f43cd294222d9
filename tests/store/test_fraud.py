"""Checks across verifications: duplicate faces (index), duplicate document numbers, blocklist."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from openidv.store import fraud
from openidv.store.models import BlockedDocument, Verification
from tests.store.test_verifications import make_token


def test_face_index_finds_near_faces_of_other_clients_and_forgets_erased_ones(sessions, settings):
    rng = np.random.default_rng(3)
    face = rng.normal(0, 0.09, 128)
    ids = []
    for client, vector in (("alice", face), ("bob", face + 0.01), ("carol", rng.normal(0, 0.09, 128))):
        _, vid, _ = make_token(sessions, settings, clientId=client)
        with sessions.begin() as s:
            fraud.store_face(s, s.get(Verification, vid), "selfie", vector)
        ids.append(vid)
    index = fraud.FaceIndex()
    with sessions() as s:
        partner_of = {vid: s.get(Verification, vid).partner_id for vid in ids}
    # make_token makes a partner per call: put all three under the first partner.
    with sessions.begin() as s:
        for vid in ids:
            s.get(Verification, vid).partner_id = partner_of[ids[0]]
        for row in s.scalars(select(fraud.FaceEmbedding)):
            row.partner_id = partner_of[ids[0]]
    with sessions() as s:
        hits = index.search(s, partner_of[ids[0]], face, max_distance=0.5, exclude_client="alice")
        assert [h.client_id for h in hits] == ["bob"] and hits[0].distance < 0.2
        assert index.search(s, partner_of[ids[0]], face, max_distance=0.5, exclude_client="bob")[0].client_id == "alice"
    with sessions.begin() as s:
        fraud.forget_faces(s, ids[1])
    with sessions() as s:
        assert index.search(s, partner_of[ids[0]], face, max_distance=0.5, exclude_client="alice") == []


def test_same_document_number_under_another_client_and_blocklist(sessions, settings):
    pid, first, _ = make_token(sessions, settings, clientId="a")
    with sessions.begin() as s:
        v = s.get(Verification, first)
        v.document_number_key = fraud.document_number_key("ab 123-456")
        second = Verification(**{c.name: getattr(v, c.name) for c in Verification.__table__.columns
                                 if c.name not in ("id", "scan_ref", "auth_token_hash", "client_id")},
                              scan_ref="s2", auth_token_hash="h2", client_id="b")
        s.add(second)
        s.flush()
        assert fraud.same_document_elsewhere(s, second, "AB123456")
        assert not fraud.same_document_elsewhere(s, v, "ZZ999")
        assert not fraud.is_blocked(s, pid, "AB123456")
        s.add(BlockedDocument(partner_id=pid, document_number_key="AB123456"))
        s.flush()
        assert fraud.is_blocked(s, pid, fraud.document_number_key("ab123456"))
