"""Comparing an AAMVA barcode's fields with another reading of the same card (the printed
front, or an MRZ where a card has one): which fields disagree."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Optional

from openidv.pipeline.aamva import AamvaData

def _letters(text: str) -> list[str]:
    """Name tokens in plain capitals: accents removed, punctuation a separator."""
    plain = unicodedata.normalize("NFKD", text.upper())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return [t for t in re.split(r"[^A-Z]+", plain.replace("'", "")) if t]


def _same_name(barcode: str, other: str, truncated: bool) -> bool:
    mine, theirs = "".join(_letters(barcode)), "".join(_letters(other))
    if truncated:  # the issuer shortened it: the other reading may hold the whole name
        return theirs.startswith(mine) or mine.startswith(theirs)
    return mine == theirs


def _same_given_names(data: AamvaData, other: str) -> bool:
    """The other reading's given names, in order, each equal to the barcode's or its initial;
    trailing middle names may be left out (fronts often print only the first)."""
    mine = _letters(" ".join(filter(None, (data.first_name, data.middle_name))))
    theirs = _letters(other)
    if not mine or not theirs or len(theirs) > len(mine):
        return False
    if not _same_name(mine[0], theirs[0], "first_name" in data.truncated):
        return False
    return all(t == m or (len(t) == 1 and m.startswith(t)) for m, t in zip(mine[1:], theirs[1:]))


def _as_date(value: Any) -> Optional[dt.date]:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _code(value: str) -> str:
    # O and 0 are one glyph on many cards and OCR confuses them; compare them as equal.
    return re.sub(r"[^A-Z0-9]", "", value.upper()).replace("O", "0")


def aamva_mismatches(data: AamvaData, other: Mapping[str, Any] | Any) -> list[str]:
    """Fields on which another reading of the document (MRZ or printed text: a mapping or an
    object with ``surname``, ``given_names``, ``date_of_birth``, ``date_of_expiry``,
    ``date_of_issue``, ``document_number``) disagrees with the barcode. Fields missing on
    either side, or dates that are not ISO dates, are not compared."""
    def get(name: str) -> Any:
        value = other.get(name) if isinstance(other, Mapping) else getattr(other, name, None)
        return value if value not in (None, "") else None

    mismatches = []
    if (surname := get("surname")) is not None and not _same_name(data.last_name, str(surname), "last_name" in data.truncated):
        mismatches.append("surname")
    if (given := get("given_names")) is not None and data.first_name and not _same_given_names(data, str(given)):
        mismatches.append("given_names")
    for name, mine in (("date_of_birth", data.date_of_birth), ("date_of_expiry", data.date_of_expiry),
                       ("date_of_issue", data.date_of_issue)):
        theirs = _as_date(get(name)) if get(name) is not None else None
        if mine is not None and theirs is not None and mine != theirs:
            mismatches.append(name)
    if (number := get("document_number")) is not None and _code(str(number)) != _code(data.document_number):
        mismatches.append("document_number")
    return mismatches
