"""Checks across one partner's verifications (SPEC 5 step 3): duplicate faces, duplicate
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


class FaceIndex:
    """All of a partner's face descriptors as one matrix in memory, searched brute-force.

    Brute force in NumPy is exact and, at 100,000 descriptors of 128 floats, a single
    matrix-vector product (see benchmarks/fraud.py); the index is loaded incrementally
    (rows newer than the last one seen), so each search costs one small query.
    Erased rows are noticed by a row count (index-only) and the partner's index is rebuilt.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._partners: dict[int, tuple[int, np.ndarray, list[tuple[int, str, str]]]] = {}
        self._norms: dict[int, np.ndarray] = {}

    def _refresh(self, session: Session, partner_id: int) -> tuple[np.ndarray, list[tuple[int, str, str]]]:
        """Append the partner's rows added since the last search (one indexed query)."""
        with self._lock:
            last_id, matrix, meta = self._partners.get(partner_id, (0, np.zeros((0, 128), np.float32), []))
            stored = session.scalar(
                select(func.count()).select_from(FaceEmbedding).where(FaceEmbedding.partner_id == partner_id))
            if stored < len(meta):
                # Rows were erased (deletion, retention): rebuild, so erased faces leave memory too.
                last_id, matrix, meta = 0, np.zeros((0, 128), np.float32), []
            rows = session.execute(
                select(FaceEmbedding.id, FaceEmbedding.verification_id, FaceEmbedding.client_id,
                       FaceEmbedding.kind, FaceEmbedding.vector)
                .where(FaceEmbedding.partner_id == partner_id, FaceEmbedding.id > last_id)
                .order_by(FaceEmbedding.id)
            ).all()
            if rows:
                new = np.stack([np.frombuffer(r.vector, dtype="<f4") for r in rows])
                matrix = np.concatenate([matrix, new]) if len(matrix) else new
                meta = meta + [(r.verification_id, r.client_id, r.kind) for r in rows]
                last_id = rows[-1].id
            self._partners[partner_id] = (last_id, matrix, meta)
            if rows or partner_id not in self._norms:
                self._norms[partner_id] = np.einsum("ij,ij->i", matrix, matrix)
            return matrix, meta

    def search(
        self, session: Session, partner_id: int, vector: Sequence[float], *,
        max_distance: float, exclude_client: str,
    ) -> list[FaceHit]:
        matrix, meta = self._refresh(session, partner_id)
        if not len(matrix):
            return []
        query = np.asarray(vector, dtype=np.float32)
        # |m - q|^2 = |m|^2 - 2 m.q + |q|^2: one matrix-vector product, no 100k x 128 temporary.
        squared = self._norms[partner_id] - 2.0 * (matrix @ query) + float(query @ query)
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


def same_document_elsewhere(session: Session, verification: Verification, key: Optional[str]) -> bool:
    """The same document number under another clientId of the same partner."""
    if not key:
        return False
    other = session.scalar(
        select(Verification.id).where(
            Verification.partner_id == verification.partner_id,
            Verification.document_number_key == key,
            Verification.client_id != verification.client_id,
            Verification.id != verification.id,
        ).limit(1)
    )
    return other is not None


def is_blocked(session: Session, partner_id: int, key: Optional[str]) -> bool:
    if not key:
        return False
    return session.get(BlockedDocument, (partner_id, key)) is not None
