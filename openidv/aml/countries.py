"""Country names as lists print them ("Iran (Islamic Republic of)", "Libyan Arab
Jamahiriya") to lower-case ISO 3166 alpha-2 codes."""

from __future__ import annotations

import functools
import re
from typing import Optional

import pycountry

# Names the lists use that ISO 3166 (as pycountry knows it) does not: former names and
# common short forms. Kosovo has no ISO code; "xk" is the user-assigned code in common use.
_EXTRA_NAMES = {
    "libyan arab jamahiriya": "ly",
    "russia": "ru",
    "turkey": "tr",
    "burma": "mm",
    "palestine": "ps",
    "state of palestine": "ps",
    "kosovo": "xk",
    "korea, north": "kp",
    "korea, south": "kr",
    "south korea": "kr",
    "democratic republic of the congo": "cd",
    "congo, democratic republic of the": "cd",
    "republic of the congo": "cg",
    "ivory coast": "ci",
    "laos": "la",
    "macedonia": "mk",
    "the former yugoslav republic of macedonia": "mk",
    "swaziland": "sz",
    "great britain": "gb",
    "united states of america": "us",
    "usa": "us",
    "uk": "gb",
}
_PARENTHESIS = re.compile(r"^(.*?)\s*\((.*)\)\s*$")


@functools.lru_cache(maxsize=4096)
def country_code(name: str) -> Optional[str]:
    """The alpha-2 code (lower case) of a country name or code, or None when unsure."""
    text = " ".join(name.replace("\u2019", "'").split()).strip(" .").lower()
    if not text:
        return None
    if text in _EXTRA_NAMES:
        return _EXTRA_NAMES[text]
    candidates = [text]
    match = _PARENTHESIS.match(text)
    if match:  # "Iran (Islamic Republic of)" -> "Iran, Islamic Republic of", "Iran"
        candidates += [f"{match.group(1)}, {match.group(2)}", match.group(1)]
    for candidate in candidates:
        if candidate in _EXTRA_NAMES:
            return _EXTRA_NAMES[candidate]
        try:
            return pycountry.countries.lookup(candidate).alpha_2.lower()
        except LookupError:
            continue
    return None


def country_codes(names: list[str]) -> tuple[str, ...]:
    """Codes of the names that resolve, without repeats, in order."""
    return tuple(dict.fromkeys(c for c in map(country_code, names) if c))
