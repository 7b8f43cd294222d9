"""Typed records of sanctions/PEP screening: listed entities, screened persons and hits.

Everything here is plain data (frozen dataclasses and enums) that serialises to JSON-able
dicts, so the store, the service and a later webhook body can share it.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Optional

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class EntitySchema(str, enum.Enum):
    """What kind of thing a list entry is. Screening of people looks at persons only."""

    PERSON = "person"
    ORGANISATION = "organisation"


class DobAgreement(str, enum.Enum):
    """How the screened person's date of birth compares with the entry's."""

    EXACT = "exact"  # same day (both sides give a full date)
    SAME_YEAR = "same_year"  # years agree, finer parts missing on one side
    NEAR_YEAR = "near_year"  # one year apart, one side year only: lists estimate years
    CONFLICT = "conflict"  # two full dates that differ (by at most a year)
    MISMATCH = "mismatch"  # years more than one apart
    UNKNOWN = "unknown"  # one side has no date


class CountryAgreement(str, enum.Enum):
    MATCH = "match"
    MISMATCH = "mismatch"
    UNKNOWN = "unknown"


class Verdict(str, enum.Enum):
    """A reviewer's mark on a (person, entry) pair."""

    FALSE_POSITIVE = "false_positive"
    CONFIRMED = "confirmed"


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date that may be known only to the year or the month (``1942``, ``1942-06``)."""

    year: int
    month: Optional[int] = None
    day: Optional[int] = None

    @classmethod
    def parse(cls, text: str) -> Optional["PartialDate"]:
        """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (a longer ISO timestamp is cut to its
        date); None for anything else or for impossible values."""
        match = _PARTIAL_DATE.match(text.strip()[:10])
        if not match:
            return None
        year, month, day = (int(g) if g else None for g in match.groups())
        if not 1800 <= year <= 2200 or (month is not None and not 1 <= month <= 12):
            return None
        if day is not None and not 1 <= day <= 31:
            return None
        return cls(year, month, day)

    def iso(self) -> str:
        parts = [f"{self.year:04d}"]
        if self.month:
            parts.append(f"{self.month:02d}")
            if self.day:
                parts.append(f"{self.day:02d}")
        return "-".join(parts)


@dataclass(frozen=True)
class ListedEntity:
    """One entry of a sanctions or PEP list, as its parser read it.

    ``entity_id`` is the list's own identifier (stable across the list's versions), so a
    reviewer's mark on an entry survives reloads. Countries are lower-case ISO 3166 alpha-2
    codes; names that could not be placed in a country are left out rather than guessed.
    """

    source: str
    entity_id: str
    schema: EntitySchema
    name: str
    aliases: tuple[str, ...] = ()
    birth_dates: tuple[PartialDate, ...] = ()
    countries: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()  # e.g. "sanction", "role.pep" (OpenSanctions vocabulary)
    list_date: Optional[str] = None  # ISO date the entry was listed, when the list says
    url: Optional[str] = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "entityId": self.entity_id,
            "schema": self.schema.value,
            "name": self.name,
            "aliases": list(self.aliases),
            "birthDates": [d.iso() for d in self.birth_dates],
            "countries": list(self.countries),
            "programs": list(self.programs),
            "topics": list(self.topics),
            "listDate": self.list_date,
            "url": self.url,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ListedEntity":
        return cls(
            source=data["source"],
            entity_id=data["entityId"],
            schema=EntitySchema(data["schema"]),
            name=data["name"],
            aliases=tuple(data.get("aliases") or ()),
            birth_dates=tuple(d for d in map(PartialDate.parse, data.get("birthDates") or ()) if d),
            countries=tuple(data.get("countries") or ()),
            programs=tuple(data.get("programs") or ()),
            topics=tuple(data.get("topics") or ()),
            list_date=data.get("listDate"),
            url=data.get("url"),
        )

    def content_hash(self) -> str:
        """A digest of everything the list says about the entry: a reviewer's mark applies to
        the entry as it was when marked, and a changed entry is screened again."""
        canonical = json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ScreenedPerson:
    """The person being checked. ``key`` identifies them for reviewers' marks; when not
    given it is derived from the names, date of birth and nationality, so a mark applies
    again to the same data and not to someone else with the same name."""

    names: tuple[str, ...]
    birth_date: Optional[PartialDate] = None
    nationality: Optional[str] = None  # ISO 3166 alpha-2, any case
    key: Optional[str] = None

    @property
    def person_key(self) -> str:
        if self.key:
            return self.key
        canonical = json.dumps(
            [sorted(" ".join(n.casefold().split()) for n in self.names),
             self.birth_date.iso() if self.birth_date else None,
             (self.nationality or "").lower() or None],
            ensure_ascii=False,
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class MatchReason:
    """Why an entry was hit: the names that matched and what the other facts said."""

    query_name: str
    matched_name: str
    name_score: float
    dob: DobAgreement
    nationality: CountryAgreement

    def as_dict(self) -> dict[str, Any]:
        return {
            "queryName": self.query_name,
            "matchedName": self.matched_name,
            "nameScore": round(self.name_score, 3),
            "dateOfBirth": self.dob.value,
            "nationality": self.nationality.value,
        }


@dataclass(frozen=True)
class Hit:
    """A list entry that the screened person may be. ``review`` carries a reviewer's earlier
    confirmation; false-positive marks remove the hit instead."""

    entity: ListedEntity
    score: float
    reason: MatchReason
    source_list_date: Optional[str] = None  # date of the list version that was screened
    review: Optional[Verdict] = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 3),
            "source": self.entity.source,
            "sourceListDate": self.source_list_date,
            "entity": self.entity.as_dict(),
            "reason": self.reason.as_dict(),
            "review": self.review.value if self.review else None,
        }
