"""OpenSanctions FollowTheMoney entities, one JSON object per line (``entities.ftm.json``,
``targets.nested.json``): persons and organisations, their sanctions when nested."""

from __future__ import annotations

import json
from typing import Any, Iterator, Optional

from openidv.aml.formats import (
    ListFormatError,
    ListInfo,
    MeteredFile,
    ParseLimits,
    bounded_dates,
    bounded_names,
)
from openidv.aml.records import EntitySchema, ListedEntity, PartialDate

SCHEMAS = {
    "Person": EntitySchema.PERSON,
    "Organization": EntitySchema.ORGANISATION,
    "Company": EntitySchema.ORGANISATION,
    "LegalEntity": EntitySchema.ORGANISATION,
    "PublicBody": EntitySchema.ORGANISATION,
}
# weakAlias is left out: OpenSanctions marks with it fragments ("Abu Ali") that are not
# usable as names on their own.
NAME_PROPERTIES = ("name", "alias", "previousName")
COUNTRY_PROPERTIES = ("nationality", "citizenship", "country")


def _strings(properties: dict[str, Any], name: str) -> list[str]:
    """A property's string values (nested entities, in the nested export, are skipped)."""
    values = properties.get(name) or []
    if not isinstance(values, list):
        raise ValueError(f"property {name!r} is not a list")
    return [v for v in values if isinstance(v, str)]


def _nested(properties: dict[str, Any], name: str) -> list[dict[str, Any]]:
    values = properties.get(name) or []
    return [v.get("properties") or {} for v in values if isinstance(v, dict)] if isinstance(values, list) else []


def _names(properties: dict[str, Any]) -> list[str]:
    names = [n for prop in NAME_PROPERTIES for n in _strings(properties, prop)]
    if not names:  # some sources give only the parts
        parts = [" ".join(_strings(properties, p)) for p in ("firstName", "middleName", "lastName")]
        whole = " ".join(p for p in parts if p)
        names = [whole] if whole else []
    return names


def _entity(obj: dict[str, Any], source: str, limits: ParseLimits, info: ListInfo) -> Optional[ListedEntity]:
    schema = SCHEMAS.get(obj["schema"])
    if schema is None:
        info.skipped[f"schema {obj['schema']}"] += 1
        return None
    if obj.get("target") is False:  # a relative or an owner, not a listed subject
        info.skipped["not_target"] += 1
        return None
    properties = obj["properties"]
    names = bounded_names(_names(properties), limits, info)
    if not names:
        info.skipped["no_name"] += 1
        return None
    caption = obj.get("caption")
    if isinstance(caption, str) and caption in names:  # the caption is the display name
        names.remove(caption)
        names.insert(0, caption)
    sanctions = _nested(properties, "sanctions")
    programs = [p for s in sanctions for p in _strings(s, "programId") + _strings(s, "program")]
    listing = sorted(d[:10] for s in sanctions for d in _strings(s, "listingDate") + _strings(s, "startDate"))
    first_seen = obj.get("first_seen")
    urls = _strings(properties, "sourceUrl")
    return ListedEntity(
        source=source,
        entity_id=obj["id"],
        schema=schema,
        name=names[0],
        aliases=tuple(names[1:]),
        birth_dates=bounded_dates([PartialDate.parse(d) for d in _strings(properties, "birthDate")], limits, info),
        countries=tuple(dict.fromkeys(
            c.lower() for p in COUNTRY_PROPERTIES for c in _strings(properties, p) if len(c) == 2)),
        programs=tuple(dict.fromkeys(programs)),
        topics=tuple(dict.fromkeys(_strings(properties, "topics"))),
        list_date=listing[0] if listing else (first_seen[:10] if isinstance(first_seen, str) else None),
        url=urls[0] if urls else None,
    )


def read_ftm_json(file: MeteredFile, source: str, limits: ParseLimits, info: ListInfo) -> Iterator[ListedEntity]:
    text = file.text()
    line_number = 0
    while True:
        line = text.readline(limits.max_line_chars + 1)
        if not line:
            break
        line_number += 1
        if len(line) > limits.max_line_chars:
            raise ListFormatError(f"line {line_number}: longer than {limits.max_line_chars} characters")
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ListFormatError(f"line {line_number}: not JSON ({exc.msg} at column {exc.colno})") from None
        if not (isinstance(obj, dict) and isinstance(obj.get("id"), str) and obj["id"]
                and isinstance(obj.get("schema"), str) and isinstance(obj.get("properties"), dict)):
            raise ListFormatError(f"line {line_number}: not a FollowTheMoney entity "
                                  "(an object with id, schema and properties)")
        try:
            entity = _entity(obj, source, limits, info)
        except ValueError as exc:
            raise ListFormatError(f"line {line_number} (entity {obj['id']}): {exc}") from None
        if entity is not None:
            yield entity
