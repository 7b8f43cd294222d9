"""Checks across one partner's verifications: duplicate faces, duplicate
document numbers under another clientId, and the partner's document blocklist."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from openidv.store.models import BlockedDocument, FaceEmbedding, Verification


def document_number_key(number: Optional[str]) -> Optional[str]:
    if not number:
        return None
    key = re.sub(r"[^A-Z0-9]", "", number.upper())
    return key or None


@dataclass(frozen=True)
class FaceHit:
    verification_id: int
    client_id: str
    kind: str
    distance: float


class _PartnerFaces:
    """One partner's descriptors in a buffer that grows by doubling, with their squared norms.

    Appending a job's two descriptors writes into spare capacity instead of copying the whole
    matrix and recomputing every norm (measured at 100,000 descriptors: ~25–30 ms per job
    saved, benchmarks/stored_data.py).
    """

    def __init__(self) -> None:
        self.last_id = 0
        self.count = 0
        self.vectors = np.zeros((0, 128), np.float32)
        self.norms = np.zeros(0, np.float32)
        self.meta: list[tuple[int, str, str]] = []

    def append(self, new: np.ndarray, meta: list[tuple[int, str, str]], last_id: int) -> None:
        needed = self.count + len(new)
        if needed > len(self.vectors):
            capacity = max(needed, 2 * len(self.vectors), 1024)
            vectors = np.zeros((capacity, 128), np.float32)
            vectors[: self.count] = self.vectors[: self.count]
            norms = np.zeros(capacity, np.float32)
            norms[: self.count] = self.norms[: self.count]
            self.vectors, self.norms = vectors, norms  # earlier views keep the old buffers
        self.vectors[self.count : needed] = new
        self.norms[self.count : needed] = np.einsum("ij,ij->i", new, new)
        self.meta.extend(meta)
        self.count, self.last_id = needed, last_id


class FaceIndex:
    """All of a partner's face descriptors as one matrix in memory, searched brute-force.

    Brute force in NumPy is exact and, at 100,000 descriptors of 128 floats, a single
    matrix-vector product (see benchmarks/fraud.py); the index is loaded incrementally
    (rows newer than the last one seen), so each search costs one small query.
    Erased rows are noticed by counting the partner's rows up to the newest one loaded
    (index-only): fewer than loaded means some were erased (even if new ones were added
    since), and the partner's index is rebuilt without them. The worker's sweep runs the same
    check for every loaded partner (``drop_erased``), so an erased face leaves the memory of
    every process within a sweep interval, searched or not.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._partners: dict[int, _PartnerFaces] = {}

    def _refresh(self, session: Session, partner_id: int) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str, str]]]:
        """Append the partner's rows added since the last search (one indexed query).

        Returns views of the first ``count`` rows (descriptors, squared norms) and the
        metadata list: later appends write past them, so the views stay valid outside the lock.
        """
        with self._lock:
            faces = self._partners.get(partner_id) or _PartnerFaces()
            if self._lost_rows(session, partner_id, faces):
                # Rows were erased (deletion, retention): rebuild, so erased faces leave memory too.
                faces = _PartnerFaces()
            rows = session.execute(
                select(FaceEmbedding.id, FaceEmbedding.verification_id, FaceEmbedding.client_id,
                       FaceEmbedding.kind, FaceEmbedding.vector)
                .where(FaceEmbedding.partner_id == partner_id, FaceEmbedding.id > faces.last_id)
                .order_by(FaceEmbedding.id)
            ).all()
            if rows:
                faces.append(np.stack([np.frombuffer(r.vector, dtype="<f4") for r in rows]),
                             [(r.verification_id, r.client_id, r.kind) for r in rows], rows[-1].id)
            self._partners[partner_id] = faces
            n = faces.count
            return faces.vectors[:n], faces.norms[:n], faces.meta[:n]

    @staticmethod
    def _lost_rows(session: Session, partner_id: int, faces: _PartnerFaces) -> bool:
        if not faces.count:
            return False
        stored = session.scalar(select(func.count()).select_from(FaceEmbedding).where(
            FaceEmbedding.partner_id == partner_id, FaceEmbedding.id <= faces.last_id))
        return stored < faces.count

    def drop_erased(self, session: Session) -> int:
        """Forget every loaded partner whose rows were erased since (rebuilt at its next
        search); how many were dropped."""
        with self._lock:
            erased = [pid for pid, faces in self._partners.items() if self._lost_rows(session, pid, faces)]
            for partner_id in erased:
                del self._partners[partner_id]
        return len(erased)

    def search(
        self, session: Session, partner_id: int, vector: Sequence[float], *,
        max_distance: float, exclude_client: str,
    ) -> list[FaceHit]:
        matrix, norms, meta = self._refresh(session, partner_id)
        if not len(matrix):
            return []
        query = np.asarray(vector, dtype=np.float32)
        # |m - q|^2 = |m|^2 - 2 m.q + |q|^2: one matrix-vector product, no 100k x 128 temporary.
        squared = norms - 2.0 * (matrix @ query) + float(query @ query)
        distances = np.sqrt(np.maximum(squared, 0.0))
        hits = [
            FaceHit(meta[i][0], meta[i][1], meta[i][2], float(distances[i]))
            for i in np.flatnonzero(distances <= max_distance)
            if meta[i][1] != exclude_client
        ]
        return hits


face_index = FaceIndex()


def store_face(session: Session, verification: Verification, kind: str, vector: Sequence[float]) -> None:
    session.add(FaceEmbedding(
        partner_id=verification.partner_id, verification_id=verification.id,
        client_id=verification.client_id, kind=kind,
        vector=np.asarray(vector, dtype="<f4").tobytes(),
    ))


def forget_faces(session: Session, verification_id: int) -> None:
    session.execute(delete(FaceEmbedding).where(FaceEmbedding.verification_id == verification_id))


def same_document_elsewhere(
    session: Session, verification: Verification, key: Optional[str], limit: int = 5
) -> list[tuple[str, str]]:
    """(scanRef, clientId) of verifications with the same document number under another
    clientId of the same partner, newest first."""
    if not key:
        return []
    rows = session.execute(
        select(Verification.scan_ref, Verification.client_id).where(
            Verification.partner_id == verification.partner_id,
            Verification.document_number_key == key,
            Verification.client_id != verification.client_id,
            Verification.id != verification.id,
        ).order_by(Verification.id.desc()).limit(limit)
    ).all()
    return [(scan_ref, client_id) for scan_ref, client_id in rows]


def scan_refs(session: Session, verification_ids: Sequence[int]) -> dict[int, str]:
    if not verification_ids:
        return {}
    rows = session.execute(select(Verification.id, Verification.scan_ref).where(Verification.id.in_(verification_ids)))
    return {vid: ref for vid, ref in rows}


def scan_refs_of(session: Session, verification_ids: Sequence[int]) -> list[str]:
    """The scanRefs of these verifications, in the order given (ids no longer there drop out)."""
    if not verification_ids:
        return []
    found = dict(session.execute(
        select(Verification.id, Verification.scan_ref).where(Verification.id.in_(list(verification_ids)))
    ).all())
    return [found[i] for i in verification_ids if i in found]


def is_blocked(session: Session, partner_id: int, key: Optional[str]) -> bool:
    if not key:
        return False
    return session.get(BlockedDocument, (partner_id, key)) is not None
