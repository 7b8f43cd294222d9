"""The UN Security Council consolidated list (``consolidated.xml``): INDIVIDUAL and ENTITY
elements with names in parts, aliases, nationalities and dates of birth."""

from __future__ import annotations

from typing import Iterator
from xml.etree.ElementTree import Element

from openidv.aml.countries import country_codes
from openidv.aml.formats import ListFormatError, ListInfo, MeteredFile, ParseLimits, bounded_dates, bounded_names
from openidv.aml.formats.xml import child, children, iter_entries, text_of
from openidv.aml.records import EntitySchema, ListedEntity, PartialDate

NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
# A "BETWEEN 1950 AND 1990" date is not used beyond this many years: it says nothing.
MAX_YEAR_RANGE = 10


def _birth_dates(elem: Element) -> list[PartialDate | None]:
    dates: list[PartialDate | None] = []
    for dob in children(elem, "INDIVIDUAL_DATE_OF_BIRTH"):
        exact = text_of(child(dob, "DATE"))
        year = text_of(child(dob, "YEAR"))
        first, last = text_of(child(dob, "FROM_YEAR")), text_of(child(dob, "TO_YEAR"))
        if exact:
            dates.append(PartialDate.parse(exact))
        elif year:
            dates.append(PartialDate.parse(year))
        elif first.isdigit() and last.isdigit() and 0 <= int(last) - int(first) <= MAX_YEAR_RANGE:
            dates.extend(PartialDate.parse(str(y)) for y in range(int(first), int(last) + 1))
    return dates


def _aliases(elem: Element, tag: str, info: ListInfo) -> list[str]:
    names = []
    for alias in children(elem, tag):
        # The UN grades aliases; "Low" quality ones are fragments that match too much.
        if text_of(child(alias, "QUALITY")).lower() == "low":
            info.skipped["low_quality_alias"] += 1
            continue
        names.append(text_of(child(alias, "ALIAS_NAME")))
    return names


def _entry(ordinal: int, elem: Element, source: str, limits: ParseLimits, info: ListInfo) -> ListedEntity | None:
    kind = elem.tag
    reference = text_of(child(elem, "REFERENCE_NUMBER")) or text_of(child(elem, "DATAID"))
    if not reference:
        raise ListFormatError(f"{kind} #{ordinal}: no REFERENCE_NUMBER nor DATAID")
    whole = " ".join(p for p in (text_of(child(elem, part)) for part in NAME_PARTS) if p)
    if not whole:
        raise ListFormatError(f"{kind} #{ordinal} ({reference}): no FIRST_NAME")
    alias_tag = "INDIVIDUAL_ALIAS" if kind == "INDIVIDUAL" else "ENTITY_ALIAS"
    names = bounded_names([whole, text_of(child(elem, "NAME_ORIGINAL_SCRIPT")), *_aliases(elem, alias_tag, info)],
                          limits, info)
    if not names:
        info.skipped["no_name"] += 1
        return None
    nationality = [text_of(v) for n in children(elem, "NATIONALITY") for v in children(n, "VALUE")]
    address_tag = "INDIVIDUAL_ADDRESS" if kind == "INDIVIDUAL" else "ENTITY_ADDRESS"
    residence = [text_of(child(a, "COUNTRY")) for a in children(elem, address_tag)]
    listed_on = PartialDate.parse(text_of(child(elem, "LISTED_ON")))
    program = text_of(child(elem, "UN_LIST_TYPE"))
    return ListedEntity(
        source=source,
        entity_id=reference,
        schema=EntitySchema.PERSON if kind == "INDIVIDUAL" else EntitySchema.ORGANISATION,
        name=names[0],
        aliases=tuple(names[1:]),
        birth_dates=bounded_dates(_birth_dates(elem), limits, info) if kind == "INDIVIDUAL" else (),
        countries=country_codes(nationality + residence),
        programs=(program,) if program else (),
        topics=("sanction",),
        list_date=listed_on.iso() if listed_on else None,
    )


def read_un_xml(file: MeteredFile, source: str, limits: ParseLimits, info: ListInfo) -> Iterator[ListedEntity]:
    def on_root(root: Element) -> None:
        generated = PartialDate.parse(root.get("dateGenerated", ""))
        info.list_date = generated.iso() if generated else None

    for ordinal, elem in iter_entries(file.binary, "CONSOLIDATED_LIST", frozenset({"INDIVIDUAL", "ENTITY"}),
                                      limits, on_root):
        entity = _entry(ordinal, elem, source, limits, info)
        if entity is not None:
            yield entity
