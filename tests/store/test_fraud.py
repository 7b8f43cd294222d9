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


def test_an_erased_face_leaves_the_index_even_when_another_was_added_meanwhile(sessions, settings):
    rng = np.random.default_rng(5)
    face = rng.normal(0, 0.09, 128)
    pid, erased, _ = make_token(sessions, settings, clientId="erased")
    with sessions.begin() as s:
        fraud.store_face(s, s.get(Verification, erased), "selfie", face)
    index = fraud.FaceIndex()
    with sessions() as s:
        assert [h.client_id for h in index.search(s, pid, face, max_distance=0.5, exclude_client="x")] == ["erased"]
    with sessions.begin() as s:
        fraud.forget_faces(s, erased)  # a deletion ...
        newcomer = Verification(**{c.name: getattr(s.get(Verification, erased), c.name)
                                   for c in Verification.__table__.columns
                                   if c.name not in ("id", "scan_ref", "auth_token_hash", "client_id")},
                                scan_ref="s-new", auth_token_hash="h-new", client_id="newcomer")
        s.add(newcomer)
        s.flush()
        fraud.store_face(s, newcomer, "selfie", rng.normal(0, 0.09, 128))  # ... and a new face: same row count
    with sessions() as s:
        assert index.search(s, pid, face, max_distance=0.5, exclude_client="x") == []
    # The sweep's check drops a partner whose faces were erased, searched or not.
    with sessions.begin() as s:
        fraud.forget_faces(s, newcomer.id)
    with sessions() as s:
        assert index.drop_erased(s) == 1 and index.drop_erased(s) == 0


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
        assert fraud.same_document_elsewhere(s, second, "AB123456") == [(v.scan_ref, "a")]
        assert fraud.same_document_elsewhere(s, v, "ZZ999") == []
        assert not fraud.is_blocked(s, pid, "AB123456")
        s.add(BlockedDocument(partner_id=pid, document_number_key="AB123456"))
        s.flush()
        assert fraud.is_blocked(s, pid, fraud.document_number_key("ab123456"))


def test_face_index_grows_in_steps_and_matches_brute_force(sessions, settings):
    """Rows arrive in batches between searches, past the buffer's first capacity (1024):
    every search returns exactly what a brute-force distance over all stored rows says."""
    rng = np.random.default_rng(7)
    _, vid, _ = make_token(sessions, settings, clientId="owner")
    with sessions() as s:
        verification = s.get(Verification, vid)
        partner_id = verification.partner_id
    index = fraud.FaceIndex()
    stored: list[np.ndarray] = []
    query = rng.normal(0, 0.09, 128)
    for batch in (700, 2, 600, 1):
        vectors = [query + rng.normal(0, 0.04, 128) for _ in range(batch)]
        with sessions.begin() as s:
            v = s.get(Verification, vid)
            for vector in vectors:
                fraud.store_face(s, v, "selfie", vector)
        stored += [np.asarray(x, dtype=np.float32) for x in vectors]
        with sessions() as s:
            hits = index.search(s, partner_id, query, max_distance=0.5, exclude_client="nobody")
        expected = np.linalg.norm(np.stack(stored) - query.astype(np.float32), axis=1)
        assert len(hits) == int((expected <= 0.5).sum())
        assert np.allclose(sorted(h.distance for h in hits), sorted(expected[expected <= 0.5]), atol=1e-4)
    # Views handed to a search in progress stay as they were while another job appends.
    with sessions() as s:
        matrix, norms, meta = index._refresh(s, partner_id)
    before = (matrix.copy(), norms.copy(), list(meta))
    with sessions.begin() as s:
        fraud.store_face(s, s.get(Verification, vid), "selfie", query)
    with sessions() as s:
        assert len(index._refresh(s, partner_id)[0]) == len(stored) + 1
    assert np.array_equal(matrix, before[0]) and np.array_equal(norms, before[1]) and meta == before[2]
