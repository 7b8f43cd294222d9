"""Mismatch tags: personal data given at token creation vs what the document says.

Comparison is tolerant of what legitimately differs between a partner's records and a
document: letter case, diacritics (ä may be written A or AE, as ICAO 9303 transliterates),
punctuation, and the order of names.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from itertools import permutations
from typing import Any, Mapping, Optional

# ICAO 9303 part 3 transliterations that differ from plain accent stripping. Both spellings
# are accepted (German passports print MÜLLER as MUELLER in the MRZ, other issuers as MULLER).
_ICAO_MULTI_LETTER = {
    "Ä": "AE", "Æ": "AE", "Å": "AA", "Ö": "OE", "Ø": "OE", "Ü": "UE", "ß": "SS", "Œ": "OE",
    "Þ": "TH", "Ĳ": "IJ", "Ñ": "NXX",
}
_SINGLE_LETTER = {"Ø": "O", "Æ": "AE", "Œ": "OE", "Đ": "D", "Ð": "D", "Ł": "L", "Ħ": "H", "ı": "I", "ß": "SS"}


def _strip_accents(text: str) -> str:
    text = "".join(_SINGLE_LETTER.get(c, c) for c in text)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_variants(word: str) -> set[str]:
    """Spellings of one name part that a document could carry."""
    upper = word.upper()
    icao = "".join(_ICAO_MULTI_LETTER.get(c, c) for c in upper)
    variants = {_strip_accents(upper), _strip_accents(icao)}
    return {re.sub(r"[^A-Z]", "", v) for v in variants} - {""}


def name_parts(name: Optional[str]) -> list[str]:
    if not name:
        return []
    return [p for p in re.split(r"[\s<,\-']+", name.strip()) if p]


def parts_match(given: list[str], printed: list[str]) -> bool:
    """True when both lists hold the same names in any order (each part in any spelling)."""
    if len(given) != len(printed) or not given:
        return False
    if len(given) > 6:  # permutations explode; real names have few parts
        return all(name_variants(a) & name_variants(b) for a, b in zip(given, printed))
    printed_variants = [name_variants(p) for p in printed]
    given_variants = [name_variants(g) for g in given]
    return any(
        all(given_variants[i] & printed_variants[j] for i, j in enumerate(order))
        for order in permutations(range(len(printed)))
    )


def _same_code(a: Optional[str], b: Optional[str]) -> bool:
    norm = lambda s: re.sub(r"[^A-Z0-9]", "", s.upper().replace("O", "0"))  # noqa: E731
    return norm(a or "") == norm(b or "")


def age_on(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _date(value: Optional[str]) -> Optional[dt.date]:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def mismatch_tags(
    given: Mapping[str, Any],
    document: Mapping[str, Optional[str]],
    *,
    minimum_age: Optional[int] = None,
    maximum_age: Optional[int] = None,
    today: Optional[dt.date] = None,
) -> tuple[str, ...]:
    """Tags for each field given at token creation that the document contradicts.

    ``given`` is the token request (camelCase keys); ``document`` the doc_*/mrz_* fields.
    A field is compared only when both sides have it: what the document does not show is
    not a mismatch.
    """
    today = today or dt.date.today()
    doc = lambda key: document.get(f"doc_{key}") or document.get(f"mrz_{key}")  # noqa: E731
    tags: list[str] = []

    first, last = name_parts(given.get("firstName")), name_parts(given.get("lastName"))
    doc_first, doc_last = name_parts(doc("name")), name_parts(doc("surname"))
    swapped_ok = bool(first and last and doc_first and doc_last) and parts_match(first + last, doc_first + doc_last)
    if first and doc_first and not parts_match(first, doc_first) and not swapped_ok:
        tags.append("NAME")
    if last and doc_last and not parts_match(last, doc_last) and not swapped_ok:
        tags.append("SURNAME")

    for field, key, tag in (
        ("dateOfBirth", "date_of_birth", "DATE_OF_BIRTH"),
        ("dateOfExpiry", "expiry_date", "EXPIRY_DATE"),
        ("dateOfIssue", "date_of_issue", "DATE_OF_ISSUE"),
    ):
        if given.get(field) and doc(key) and given[field] != doc(key):
            tags.append(tag)
    if given.get("documentNumber") and doc("document_number") and not _same_code(given["documentNumber"], doc("document_number")):
        tags.append("DOCUMENT_NUMBER")
    if given.get("personalNumber") and doc("personal_code") and not _same_code(given["personalNumber"], doc("personal_code")):
        tags.append("PERSONAL_CODE")
    doc_sex = {"MALE": "M", "FEMALE": "F", "M": "M", "F": "F"}.get((doc("sex") or "").upper())
    if given.get("sex") and doc_sex and given["sex"] != doc_sex:
        tags.append("SEX")
    if given.get("nationality") and doc("nationality") and given["nationality"].upper() != doc("nationality").upper():
        tags.append("NATIONALITY")

    tags.extend(age_tags(_date(doc("date_of_birth")) or _date(given.get("dateOfBirth")),
                         minimum_age=minimum_age, maximum_age=maximum_age, today=today))
    return tuple(tags)


def age_tags(birth: Optional[dt.date], *, minimum_age: Optional[int], maximum_age: Optional[int],
             today: dt.date) -> list[str]:
    """UNDER_AGE / OVER_AGE outside the age bounds; UNKNOWN_AGE when a bound is set and no
    date of birth is known (an age check that could not run is not a pass)."""
    if minimum_age is None and maximum_age is None:
        return []
    if birth is None:
        return ["UNKNOWN_AGE"]
    age = age_on(birth, today)
    if minimum_age is not None and age < minimum_age:
        return ["UNDER_AGE"]
    if maximum_age is not None and age > maximum_age:
        return ["OVER_AGE"]
    return []
