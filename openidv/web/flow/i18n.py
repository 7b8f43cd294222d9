"""The flow's languages: strings per language (English fallback), picking the language, and
country names in the person's language (ISO 3166 translations shipped with pycountry)."""

from __future__ import annotations

import functools
import gettext
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pycountry

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locales"
DEFAULT_LANGUAGE = "en"


def _load_locales() -> dict[str, dict[str, str]]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(LOCALE_DIR.glob("*.json"))}


LOCALES = _load_locales()


@dataclass(frozen=True)
class Translator:
    """Strings of one language, falling back to English for a key it lacks."""

    language: str

    def __call__(self, key: str, **values: Any) -> str:
        text = LOCALES.get(self.language, {}).get(key) or LOCALES[DEFAULT_LANGUAGE].get(key, key)
        return text.format(**values) if values else text

    def strings(self, prefix: str) -> dict[str, str]:
        keys = [k for k in LOCALES[DEFAULT_LANGUAGE] if k.startswith(prefix)]
        return {k[len(prefix):]: self(k) for k in keys}


def pick_language(requested: Optional[str], token_locale: Optional[str]) -> str:
    """The ?lang= the person chose, else the token's locale, else English (when unknown)."""
    for code in (requested, token_locale):
        if code and code.lower() in LOCALES:
            return code.lower()
    return DEFAULT_LANGUAGE


def language_names() -> dict[str, str]:
    return {code: LOCALES[code].get("language_name", code) for code in LOCALES}


@functools.lru_cache(maxsize=16)
def country_options(language: str) -> tuple[tuple[str, str], ...]:
    """(code, name) of every country, named and sorted in the person's language."""
    try:
        names = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        translate = names.gettext
    except OSError:  # no catalogue for this language (English has none: it is the source)
        translate = str
    options = ((c.alpha_2, translate(c.name)) for c in pycountry.countries)
    return tuple(sorted(options, key=lambda c: locale_sort_key(c[1])))


def locale_sort_key(name: str) -> str:
    # Good enough without ICU: accents sort with their base letter (Ä with A, Č with C).
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
