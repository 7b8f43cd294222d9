"""Sanctions/PEP lists in the database: versions loaded in batches and switched in at once,
candidate lookup by name keys, and reviewers' marks."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from sqlalchemy import Text, cast, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from openidv.aml.names import blocking_keys
from openidv.aml.records import EntitySchema, ListedEntity, Verdict
from openidv.store.models import AmlEntity, AmlListVersion, AmlMark, AmlNameKey, AmlSource, utcnow

# Rows per DELETE when a replaced version is dropped: bounds each transaction (and SQLite's
# write-ahead log) while the old list is removed.
DELETE_CHUNK = 20_000
# About how many name keys an entry has (names x word pairs x two key kinds), to size the
# chunks in which a version's keys are deleted.
KEYS_PER_ENTITY_ESTIMATE = 12
# Loading with a bigger SQLite page cache (KiB): the name-key index is written in key order,
# i.e. all over the file; 256 MiB keeps most of a million-entry list's index in memory.
SQLITE_LOAD_CACHE_KIB = 256 * 1024
SQLITE_DEFAULT_CACHE_KIB = 2000
# A loose name key (one word by skeleton, the other by its first sound) held by more entries
# than this is not followed when screening: "Muhammad A…" would bring tens of thousands.
LOOSE_KEY_MAX_ENTRIES = 1000


@dataclass(frozen=True)
class SourceInfo:
    """A loaded source as it is being screened against."""

    name: str
    format: str
    file_name: str
    file_sha256: Optional[str]
    list_date: Optional[str]
    entities: int
    changed: int
    loaded_at: Optional[dt.datetime]
    skipped: dict

    def as_dict(self) -> dict:
        return {"source": self.name, "format": self.format, "file": self.file_name,
                "sha256": self.file_sha256, "listDate": self.list_date, "entities": self.entities,
                "changedSincePrevious": self.changed, "skipped": self.skipped,
                "loadedAt": self.loaded_at.isoformat() + "Z" if self.loaded_at else None}


@dataclass(frozen=True)
class Candidate:
    """An entry found by its name keys; ``entity`` decodes the stored record on demand."""

    names: tuple[str, ...]
    data_json: str
    content_hash: str
    list_date: Optional[str]

    @property
    def entity(self) -> ListedEntity:
        return ListedEntity.from_dict(json.loads(self.data_json))


# --- loading ---------------------------------------------------------------------------

def begin_version(session: Session, source: str, list_format: str, file_name: str) -> int:
    """A new, invisible version of ``source``; an unfinished earlier load of it is dropped."""
    stale = session.scalars(select(AmlListVersion.id).where(
        AmlListVersion.source == source, AmlListVersion.state == "loading")).all()
    for version_id in stale:
        drop_version(session, version_id)
    version = AmlListVersion(source=source, format=list_format, file_name=file_name[:255])
    session.add(version)
    session.commit()
    return version.id


def current_version_id(session: Session, source: str) -> Optional[int]:
    return session.scalar(select(AmlSource.current_version_id).where(AmlSource.name == source))


def insert_batch(session: Session, version_id: int, previous_version_id: Optional[int],
                 entities: Sequence[ListedEntity]) -> int:
    """Write entries and their name keys (not committed). Returns how many are new or
    changed compared with the previous version."""
    hashes = [e.content_hash() for e in entities]
    previous: dict[str, set[str]] = {}
    if previous_version_id is not None:
        rows = session.execute(select(AmlEntity.entity_id, AmlEntity.content_hash).where(
            AmlEntity.version_id == previous_version_id,
            AmlEntity.entity_id.in_({e.entity_id for e in entities})))
        for entity_id, content_hash in rows:
            previous.setdefault(entity_id, set()).add(content_hash)
    changed = [h not in previous.get(e.entity_id, ()) for e, h in zip(entities, hashes)]
    ids = session.scalars(
        insert(AmlEntity).returning(AmlEntity.id, sort_by_parameter_order=True),
        [{"version_id": version_id, "entity_id": e.entity_id, "schema": e.schema.value,
          "names": "\n".join(e.names), "data": e.as_dict(), "content_hash": h, "changed": c}
         for e, h, c in zip(entities, hashes, changed)],
    ).all()
    keys = sorted({(key, pk) for e, pk in zip(entities, ids) for name in e.names for key in blocking_keys(name)})
    if keys:
        session.execute(insert(AmlNameKey), [{"version_id": version_id, "key": k, "entity_pk": pk} for k, pk in keys])
    return sum(changed)


def activate_version(session: Session, source: str, version_id: int, *, list_date: Optional[str],
                     sha256: str, entity_count: int, changed_count: int, skipped: dict) -> Optional[int]:
    """Make ``version_id`` the one screened against, in one transaction. Returns the
    version it replaced (to be dropped by the caller), if any."""
    row = session.get(AmlSource, source, with_for_update=True)
    previous = row.current_version_id if row else None
    now = utcnow()
    session.execute(update(AmlListVersion).where(AmlListVersion.id == version_id).values(
        state="current", loaded_at=now, list_date=list_date, file_sha256=sha256,
        entity_count=entity_count, changed_count=changed_count, skipped=skipped))
    if previous is not None:
        session.execute(update(AmlListVersion).where(AmlListVersion.id == previous).values(state="replaced"))
    if row is None:
        session.add(AmlSource(name=source, current_version_id=version_id, updated_at=now))
    else:
        row.current_version_id = version_id
        row.updated_at = now
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        # Fresh statistics after a bulk load, so the planner knows the keys are selective.
        session.execute(text("ANALYZE aml_name_keys, aml_entities"))
        session.commit()
    return previous


def drop_version(session: Session, version_id: int) -> None:
    """Remove a version that is not current, in chunks each committed (a replaced million-
    entry list must not become one huge transaction)."""
    in_use = session.scalar(select(AmlSource.name).where(AmlSource.current_version_id == version_id))
    if in_use:
        raise ValueError(f"version {version_id} is the current list of {in_use}")
    count = session.scalar(select(func.count()).select_from(AmlEntity).where(AmlEntity.version_id == version_id))
    # Keys are uniform 64-bit hashes: equal slices of their range hold about equal shares,
    # and each slice is one range of the (key, …) primary key.
    slices = max(1, count * KEYS_PER_ENTITY_ESTIMATE // DELETE_CHUNK)
    step = 2**64 // slices
    for i in range(slices):
        where = [AmlNameKey.version_id == version_id, AmlNameKey.key >= -(2**63) + i * step]
        if i < slices - 1:  # the last slice is open-ended: 2**63 itself is no 64-bit integer
            where.append(AmlNameKey.key < -(2**63) + (i + 1) * step)
        session.execute(delete(AmlNameKey).where(*where))
        session.commit()
    first, last = session.execute(select(func.min(AmlEntity.id), func.max(AmlEntity.id))
                                  .where(AmlEntity.version_id == version_id)).one()
    if first is not None:
        for low in range(first, last + 1, DELETE_CHUNK):
            session.execute(delete(AmlEntity).where(
                AmlEntity.version_id == version_id, AmlEntity.id >= low, AmlEntity.id < low + DELETE_CHUNK))
            session.commit()
    session.execute(delete(AmlListVersion).where(AmlListVersion.id == version_id))
    session.commit()


def set_sqlite_load_cache(session: Session, loading: bool) -> None:
    if session.get_bind().dialect.name == "sqlite":
        size = SQLITE_LOAD_CACHE_KIB if loading else SQLITE_DEFAULT_CACHE_KIB
        session.connection().exec_driver_sql(f"PRAGMA cache_size=-{size}")


# --- reading ---------------------------------------------------------------------------

def list_sources(session: Session) -> list[SourceInfo]:
    rows = session.execute(
        select(AmlSource.name, AmlListVersion)
        .join(AmlListVersion, AmlListVersion.id == AmlSource.current_version_id)
        .order_by(AmlSource.name))
    return [SourceInfo(name, v.format, v.file_name, v.file_sha256, v.list_date, v.entity_count,
                       v.changed_count, v.loaded_at, v.skipped or {}) for name, v in rows]


def candidates(session: Session, strict_keys: Iterable[int], loose_keys: Iterable[int],
               schemas: Sequence[EntitySchema], limit: int, only_changed: bool = False,
               loose_key_max_entries: Optional[int] = None) -> list[Candidate]:
    """Entries of the current versions sharing a name key. Loose keys held by more than
    ``loose_key_max_entries`` entries are not followed (they would bring thousands of
    namesakes of one word). The entries are read in one statement, i.e. one snapshot: a
    list being switched is seen entirely old or entirely new."""
    cap = LOOSE_KEY_MAX_ENTRIES if loose_key_max_entries is None else loose_key_max_entries
    current = select(AmlSource.current_version_id).where(AmlSource.current_version_id.is_not(None))
    keys = set(strict_keys)
    loose = list(set(loose_keys) - keys)
    if loose:
        counts = session.execute(
            select(AmlNameKey.key, func.count()).where(AmlNameKey.version_id.in_(current), AmlNameKey.key.in_(loose))
            .group_by(AmlNameKey.key))
        keys |= {key for key, count in counts if count <= cap}
    if not keys:
        return []
    matching = (select(AmlNameKey.entity_pk)
                .where(AmlNameKey.version_id.in_(current), AmlNameKey.key.in_(keys)))
    # The record is read as text and decoded only for the candidates worth it.
    query = (select(AmlEntity.names, cast(AmlEntity.data, Text), AmlEntity.content_hash, AmlListVersion.list_date)
             .join(AmlListVersion, AmlListVersion.id == AmlEntity.version_id)
             .where(AmlEntity.id.in_(matching), AmlEntity.schema.in_([s.value for s in schemas]))
             .limit(limit))
    if only_changed:
        query = query.where(AmlEntity.changed.is_(True))
    return [Candidate(tuple(names.split("\n")), data, content_hash, list_date)
            for names, data, content_hash, list_date in session.execute(query)]


def current_entity_hash(session: Session, source: str, entity_id: str) -> Optional[str]:
    return session.scalar(
        select(AmlEntity.content_hash)
        .join(AmlSource, AmlSource.current_version_id == AmlEntity.version_id)
        .where(AmlSource.name == source, AmlEntity.entity_id == entity_id).limit(1))


# --- reviewers' marks ------------------------------------------------------------------

def set_mark(session: Session, person_key: str, source: str, entity_id: str, verdict: Verdict,
             entity_hash: str, reviewer: str, note: Optional[str]) -> None:
    mark = session.get(AmlMark, (person_key, source, entity_id))
    if mark is None:
        mark = AmlMark(person_key=person_key, source=source, entity_id=entity_id)
        session.add(mark)
    mark.verdict, mark.entity_hash, mark.reviewer, mark.note = verdict.value, entity_hash, reviewer, note
    mark.created_at = utcnow()
    session.flush()


def marks_for(session: Session, person_key: str) -> dict[tuple[str, str], tuple[Verdict, str]]:
    """{(source, entity_id): (verdict, entity hash when marked)} for one person."""
    rows = session.execute(select(AmlMark.source, AmlMark.entity_id, AmlMark.verdict, AmlMark.entity_hash)
                           .where(AmlMark.person_key == person_key))
    return {(s, e): (Verdict(v), h) for s, e, v, h in rows}
