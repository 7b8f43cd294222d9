"""The US OFAC SDN list in its CSV files: ``sdn.csv`` (no header; dates of birth and
nationalities inside the free-text remarks) and, optionally, ``alt.csv`` (aliases)."""

from __future__ import annotations

import collections
import csv
import re
from pathlib import Path
from typing import Iterator, Optional

from openidv.aml.countries import country_code
from openidv.aml.formats import (
    ListFormatError,
    ListInfo,
    MeteredFile,
    ParseLimits,
    bounded_dates,
    bounded_names,
)
from openidv.aml.records import EntitySchema, ListedEntity, PartialDate

SDN_COLUMNS = 12  # ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type,
#                   Tonnage, GRT, Vess_flag, Vess_owner, Remarks
ALT_COLUMNS = 5  # ent_num, alt_num, alt_type, alt_name, alt_remarks
NULL = "-0-"  # the files' empty value
MAX_ALIAS_ROWS = 5_000_000
DETAILS_URL = "https://sanctionssearch.ofac.treas.gov/Details.aspx?id={}"
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_DOB = re.compile(r"(?:^|;)\s*(?:alt\.\s*)?DOB\s+([^;]+)", re.I)
_NATIONALITY = re.compile(r"(?:^|;)\s*(?:alt\.\s*)?(?:nationality|citizen)\s+([^;]+)", re.I)
_DATE = re.compile(r"^(?:circa\s+|c\.\s*)?(?:(\d{1,2})\s+)?(?:([A-Za-z]{3})[a-z]*\.?\s+)?(\d{4})$", re.I)
_RANGE = re.compile(r"^(.*\d{4})\s+to\s+(.*\d{4})$", re.I)
MAX_YEAR_RANGE = 10


def _value(cell: str) -> str:
    cell = cell.strip()
    return "" if cell == NULL else cell


def _date(text: str) -> Optional[PartialDate]:
    match = _DATE.match(text.strip())
    if not match:
        return None
    day, month, year = match.groups()
    month_number = _MONTHS.get((month or "").lower())
    if month and not month_number:
        return None
    iso = year + (f"-{month_number:02d}" + (f"-{int(day):02d}" if day else "") if month_number else "")
    return PartialDate.parse(iso)


def birth_dates_in_remarks(remarks: str) -> list[Optional[PartialDate]]:
    """``DOB 07 Jun 1942``, ``DOB Jun 1942``, ``DOB circa 1960``, ``DOB 1933 to 1935``."""
    dates: list[Optional[PartialDate]] = []
    for text in _DOB.findall(remarks):
        span = _RANGE.match(text.strip())
        if span:
            first, last = _date(span.group(1)), _date(span.group(2))
            if first and last and 0 <= last.year - first.year <= MAX_YEAR_RANGE:
                dates.extend(PartialDate(y) for y in range(first.year, last.year + 1))
            continue
        dates.append(_date(text))
    return dates


def countries_in_remarks(remarks: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for c in (country_code(t) for t in _NATIONALITY.findall(remarks)) if c))


def read_aliases(path: Path, limits: ParseLimits) -> dict[str, list[str]]:
    """alt.csv as {ent_num: [alias, ...]} (small: tens of thousands of rows)."""
    aliases: dict[str, list[str]] = collections.defaultdict(list)
    info = ListInfo(format=None)  # only the size limit is used
    file = MeteredFile(path, limits, info)
    try:
        reader = csv.reader(file.text(), strict=True)
        for row in reader:
            if not row or row[0].strip() in ("", "\x1a"):  # the files end with a DOS EOF mark
                continue
            if len(row) != ALT_COLUMNS:
                raise ListFormatError(f"{path.name} line {reader.line_num}: {ALT_COLUMNS} columns "
                                      f"expected, found {len(row)}")
            if reader.line_num > MAX_ALIAS_ROWS:
                raise ListFormatError(f"{path.name}: more than {MAX_ALIAS_ROWS} rows")
            name = _value(row[3])
            if name:
                aliases[row[0].strip()].append(name)
    except csv.Error as exc:
        raise ListFormatError(f"{path.name} line {reader.line_num}: {exc}") from None
    finally:
        file.close()
    return aliases


def read_ofac_csv(
    file: MeteredFile, source: str, limits: ParseLimits, info: ListInfo, aliases_path: Optional[Path] = None
) -> Iterator[ListedEntity]:
    aliases = read_aliases(aliases_path, limits) if aliases_path else {}
    reader = csv.reader(file.text(), strict=True)
    try:
        for row in reader:
            if not row or row[0].strip() in ("", "\x1a"):
                continue
            if len(row) != SDN_COLUMNS:
                raise ListFormatError(f"line {reader.line_num}: {SDN_COLUMNS} columns expected, "
                                      f"found {len(row)} (expected OFAC sdn.csv)")
            ent_num, name, kind = row[0].strip(), _value(row[1]), _value(row[2]).lower()
            if not ent_num.isdigit():
                raise ListFormatError(f"line {reader.line_num}: ent_num {ent_num!r} is not a number")
            if kind in ("vessel", "aircraft"):
                info.skipped[kind] += 1
                continue
            names = bounded_names([name, *aliases.get(ent_num, ())], limits, info)
            if not names:
                info.skipped["no_name"] += 1
                continue
            remarks = _value(row[11])
            programs = [p.strip(" []") for p in _value(row[3]).split("] [") if p.strip(" []")]
            yield ListedEntity(
                source=source,
                entity_id=ent_num,
                schema=EntitySchema.PERSON if kind == "individual" else EntitySchema.ORGANISATION,
                name=names[0],
                aliases=tuple(names[1:]),
                birth_dates=bounded_dates(birth_dates_in_remarks(remarks), limits, info),
                countries=countries_in_remarks(remarks),
                programs=tuple(programs),
                topics=("sanction",),
                url=DETAILS_URL.format(ent_num),
            )
    except csv.Error as exc:
        raise ListFormatError(f"line {reader.line_num}: {exc}") from None
