"""Sanctions/PEP screening use cases: load an operator's list file, list what is loaded,
screen a person (honouring reviewers' marks), mark a hit, re-screen after a reload."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from sqlalchemy.orm import Session

from openidv.aml.formats import DEFAULT_SOURCE, ListFormat, ListFormatError, ParseLimits, read_list, sniff_format
from openidv.aml.matching import DEFAULT_POLICY, MatchPolicy, PreparedPerson, best_name_match, score_entity
from openidv.aml.names import query_keys
from openidv.aml.records import Hit, PartialDate, ScreenedPerson, Verdict
from openidv.store import aml as store
from openidv.store.aml import SourceInfo

log = logging.getLogger("openidv.aml")

BATCH_SIZE = 2000  # entries written per transaction while loading
# Candidates scored per screening at most. Pairs of name words rarely reach this; when they
# do the screening is logged as truncated rather than silently cut.
MAX_CANDIDATES = 20_000
_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")


class AmlError(ValueError):
    """A request the AML service refuses (bad source name, unknown entry, bad file)."""


@dataclass(frozen=True)
class LoadReport:
    source: str
    format: str
    entities: int
    changed: int  # new or different since the previous version
    list_date: Optional[str]
    sha256: str
    skipped: dict
    seconds: float

    def as_dict(self) -> dict:
        return {"source": self.source, "format": self.format, "entities": self.entities,
                "changedSincePrevious": self.changed, "listDate": self.list_date,
                "sha256": self.sha256, "skipped": self.skipped, "seconds": round(self.seconds, 1)}


def load_list(
    session: Session,
    path: Path | str,
    source: Optional[str] = None,
    format: Optional[str] = None,  # noqa: A002  (the CLI option's name)
    *,
    aliases_path: Path | str | None = None,
    limits: ParseLimits = ParseLimits(),
    batch_size: int = BATCH_SIZE,
) -> LoadReport:
    """Load a list file as the new version of ``source`` and switch to it atomically.

    Commits as it goes (one transaction per batch, bounded memory); screening keeps using
    the previous version until the switch, and the previous version is then deleted. On
    any error the partial new version is removed and the previous one stays in use.
    """
    started = time.monotonic()
    path = Path(path)
    try:
        fmt = ListFormat(format) if format else sniff_format(path)
    except ValueError as exc:
        raise AmlError(f"{path.name}: {exc}" if isinstance(exc, ListFormatError) else
                       f"unknown format {format!r}: one of {', '.join(f.value for f in ListFormat)}") from None
    source = source or DEFAULT_SOURCE[fmt]
    if not _SOURCE_NAME.match(source):
        raise AmlError("a source name is lower-case letters, digits, '.', '_' or '-' (at most 100)")
    info, entities = read_list(path, source, fmt, limits, Path(aliases_path) if aliases_path else None)
    previous = store.current_version_id(session, source)
    version_id = store.begin_version(session, source, fmt.value, path.name)
    changed = 0
    try:
        store.set_sqlite_load_cache(session, True)
        batch = []
        for entity in entities:
            batch.append(entity)
            if len(batch) >= batch_size:
                changed += store.insert_batch(session, version_id, previous, batch)
                session.commit()
                batch.clear()
        if batch:
            changed += store.insert_batch(session, version_id, previous, batch)
            session.commit()
        replaced = store.activate_version(
            session, source, version_id, list_date=info.list_date, sha256=info.sha256,
            entity_count=info.entities, changed_count=changed, skipped=dict(info.skipped))
    except BaseException:
        session.rollback()
        store.drop_version(session, version_id)
        raise
    finally:
        store.set_sqlite_load_cache(session, False)
    if replaced is not None:
        store.drop_version(session, replaced)
    report = LoadReport(source, fmt.value, info.entities, changed, info.list_date, info.sha256,
                        dict(info.skipped), time.monotonic() - started)
    log.info("aml list loaded", extra=report.as_dict())
    return report


def list_sources(session: Session) -> list[SourceInfo]:
    return store.list_sources(session)


def screen(session: Session, person: ScreenedPerson, policy: MatchPolicy = DEFAULT_POLICY,
           *, only_changed: bool = False) -> list[Hit]:
    """Hits of the person on the loaded lists, best first. An entry a reviewer marked as a
    false positive for this person is left out while the entry is unchanged; a confirmed
    one carries ``review=confirmed``."""
    prepared = PreparedPerson.of(person)
    keys = [query_keys(n) for n in person.names]
    strict = set().union(*(k.strict for k in keys))
    loose = set().union(*(k.loose for k in keys))
    found = store.candidates(session, strict, loose, policy.schemas, MAX_CANDIDATES + 1, only_changed)
    if len(found) > MAX_CANDIDATES:
        log.warning("aml screening truncated", extra={"candidates": len(found)})
    marks = store.marks_for(session, person.person_key)
    hits = []
    for candidate in found[:MAX_CANDIDATES]:
        name_match = best_name_match(prepared, candidate.names, policy)
        if name_match is None or name_match.score < policy.name_floor:
            continue
        hit = score_entity(prepared, candidate.entity, policy, candidate.list_date, name_match)
        if hit is None:
            continue
        verdict, marked_hash = marks.get((hit.entity.source, hit.entity.entity_id), (None, None))
        if verdict is Verdict.FALSE_POSITIVE and marked_hash == candidate.content_hash:
            continue
        if verdict is Verdict.CONFIRMED:
            hit = Hit(hit.entity, hit.score, hit.reason, hit.source_list_date, Verdict.CONFIRMED)
        hits.append(hit)
    return sorted(hits, key=lambda h: (-h.score, h.entity.source, h.entity.entity_id))


def mark_hit(session: Session, person_key: str, source: str, entity_id: str, verdict: Verdict,
             reviewer: str, note: Optional[str] = None) -> None:
    """Remember a reviewer's verdict on one entry for one person (``ScreenedPerson.person_key``)."""
    entity_hash = store.current_entity_hash(session, source, entity_id)
    if entity_hash is None:
        raise AmlError(f"no entry {entity_id!r} in the current list of {source!r}")
    store.set_mark(session, person_key, source, entity_id, verdict, entity_hash, reviewer, note)


def rescreen_changed(session: Session, persons: Mapping[str, ScreenedPerson],
                     policy: MatchPolicy = DEFAULT_POLICY) -> dict[str, list[Hit]]:
    """After reloads: for each of the caller's persons (keyed as the caller likes, e.g. by
    verification), the hits on entries that are new or changed in their list's latest
    version. Hits on unchanged entries were already found at the earlier screening."""
    found = {}
    for key, person in persons.items():
        hits = screen(session, person, policy, only_changed=True)
        if hits:
            found[key] = hits
    return found


def run_cli_command(command: str, **options: Optional[str]) -> object:
    """``openidv aml …``: migrate, run one command in one session, return JSON-able data.
    Errors the operator can fix come out as AmlError."""
    from openidv.store.db import migrate, session_scope

    migrate()
    with session_scope() as session:
        try:
            if command == "load":
                return load_list(session, options["path"], options.get("source"), options.get("format"),
                                 aliases_path=options.get("aliases_path")).as_dict()
            if command == "sources":
                return {"sources": [s.as_dict() for s in list_sources(session)]}
            if command == "screen":
                dob = options.get("dob")
                birth_date = PartialDate.parse(dob) if dob else None
                if dob and birth_date is None:
                    raise AmlError("--dob is YYYY, YYYY-MM or YYYY-MM-DD")
                person = ScreenedPerson((options["name"] or "",), birth_date, options.get("nationality"))
                return {"personKey": person.person_key, "hits": [h.as_dict() for h in screen(session, person)]}
        except ListFormatError as exc:
            raise AmlError(f"{Path(options.get('path') or '').name}: {exc}") from None
    raise AmlError(f"unknown command {command}")
