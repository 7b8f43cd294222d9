"""OpenSanctions' simple CSV (``targets.simple.csv``): one row per target, several values
in a cell separated by semicolons."""

from __future__ import annotations

import csv
from typing import Iterator

from openidv.aml.formats import ListFormatError, ListInfo, MeteredFile, ParseLimits, bounded_dates, bounded_names
from openidv.aml.formats.ftm import SCHEMAS
from openidv.aml.records import ListedEntity, PartialDate

REQUIRED_COLUMNS = ("id", "schema", "name")


def _values(cell: str | None) -> list[str]:
    return [v.strip() for v in (cell or "").split(";") if v.strip()]


def read_opensanctions_csv(file: MeteredFile, source: str, limits: ParseLimits, info: ListInfo) -> Iterator[ListedEntity]:
    # The csv module's own field limit (128 KiB) bounds a cell; its error is reported below.
    reader = csv.DictReader(file.text(), strict=True)
    try:
        header = reader.fieldnames or []
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise ListFormatError(f"line 1: header lacks column(s) {', '.join(missing)} "
                                  "(expected OpenSanctions targets.simple.csv)")
        for row in reader:
            if None in row or any(v is None for v in row.values()):
                raise ListFormatError(f"line {reader.line_num}: {len(header)} columns expected")
            if not row["id"]:
                raise ListFormatError(f"line {reader.line_num}: empty id")
            schema = SCHEMAS.get(row["schema"])
            if schema is None:
                info.skipped[f"schema {row['schema']}"] += 1
                continue
            names = bounded_names([row["name"], *_values(row.get("aliases"))], limits, info)
            if not names:
                info.skipped["no_name"] += 1
                continue
            programs = _values(row.get("program_ids")) or _values(row.get("dataset"))
            yield ListedEntity(
                source=source,
                entity_id=row["id"],
                schema=schema,
                name=names[0],
                aliases=tuple(names[1:]),
                birth_dates=bounded_dates([PartialDate.parse(d) for d in _values(row.get("birth_date"))], limits, info),
                countries=tuple(dict.fromkeys(c.lower() for c in _values(row.get("countries")) if len(c) == 2)),
                programs=tuple(dict.fromkeys(programs)),
                list_date=(row.get("first_seen") or "")[:10] or None,
            )
    except csv.Error as exc:
        raise ListFormatError(f"line {reader.line_num}: {exc}") from None
