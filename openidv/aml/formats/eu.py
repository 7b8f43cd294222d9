"""The EU financial sanctions files (FSF) XML export: ``sanctionEntity`` elements whose
facts are in attributes of ``nameAlias``, ``citizenship``, ``birthdate`` and ``regulation``."""

from __future__ import annotations

from typing import Iterator
from xml.etree.ElementTree import Element

from openidv.aml.formats import ListFormatError, ListInfo, MeteredFile, ParseLimits, bounded_dates, bounded_names
from openidv.aml.formats.xml import child, children, iter_entries, text_of
from openidv.aml.records import EntitySchema, ListedEntity, PartialDate

SUBJECT_TYPES = {"person": EntitySchema.PERSON, "enterprise": EntitySchema.ORGANISATION}


def _alias_name(alias: Element) -> str:
    whole = alias.get("wholeName", "")
    if whole.strip():
        return whole
    return " ".join(alias.get(part, "") for part in ("firstName", "middleName", "lastName"))


def _birth_date(elem: Element) -> PartialDate | None:
    full = PartialDate.parse(elem.get("birthdate", ""))
    if full:
        return full
    year, month, day = (elem.get(a, "") for a in ("year", "monthOfYear", "dayOfMonth"))
    if not year.isdigit():
        return None
    text = year
    if month.isdigit():
        text += f"-{int(month):02d}" + (f"-{int(day):02d}" if day.isdigit() else "")
    return PartialDate.parse(text)


def _country(code: str) -> str | None:
    # "00" is the export's "unknown country".
    return code.lower() if len(code) == 2 and code.isalpha() else None


def _entry(ordinal: int, elem: Element, source: str, limits: ParseLimits, info: ListInfo) -> ListedEntity | None:
    reference = elem.get("euReferenceNumber") or elem.get("logicalId")
    if not reference:
        raise ListFormatError(f"sanctionEntity #{ordinal}: no euReferenceNumber nor logicalId")
    subject = child(elem, "subjectType")
    kind = subject.get("code", "") if subject is not None else ""
    if kind not in SUBJECT_TYPES:
        raise ListFormatError(f"sanctionEntity #{ordinal} ({reference}): subjectType "
                              f"{kind!r} is not person nor enterprise")
    names = bounded_names([_alias_name(a) for a in children(elem, "nameAlias")], limits, info)
    if not names:
        info.skipped["no_name"] += 1
        return None
    regulations = children(elem, "regulation")
    published = sorted(r.get("publicationDate", "")[:10] for r in regulations if r.get("publicationDate"))
    designated = (elem.get("designationDate") or "")[:10] or (published[0] if published else None)
    urls = [text_of(child(r, "publicationUrl")) for r in regulations]
    countries = [_country(c.get("countryIso2Code", "")) for c in children(elem, "citizenship")]
    countries += [_country(a.get("countryIso2Code", "")) for a in children(elem, "address")]
    return ListedEntity(
        source=source,
        entity_id=reference,
        schema=SUBJECT_TYPES[kind],
        name=names[0],
        aliases=tuple(names[1:]),
        birth_dates=bounded_dates([_birth_date(b) for b in children(elem, "birthdate")], limits, info),
        countries=tuple(dict.fromkeys(c for c in countries if c)),
        programs=tuple(dict.fromkeys(r.get("programme", "") for r in regulations if r.get("programme"))),
        topics=("sanction",),
        list_date=designated,
        url=next((u for u in urls if u), None),
    )


def read_eu_xml(file: MeteredFile, source: str, limits: ParseLimits, info: ListInfo) -> Iterator[ListedEntity]:
    def on_root(root: Element) -> None:
        generated = PartialDate.parse(root.get("generationDate", ""))
        info.list_date = generated.iso() if generated else None

    for ordinal, elem in iter_entries(file.binary, "export", frozenset({"sanctionEntity"}), limits, on_root):
        entity = _entry(ordinal, elem, source, limits, info)
        if entity is not None:
            yield entity
