"""Name normalisation for screening: any script to ASCII tokens, consonant skeletons, and the
blocking keys that let a database find candidate entries without scanning the list.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from itertools import combinations

from anyascii import anyascii

# Joining words that transliterations keep or drop at will ("al-Qadhafi" / "Qadhafi",
# "van der Berg" / "Berg"): left out of blocking keys, and weigh little when scoring.
PARTICLES = frozenset({
    "al", "el", "ul", "ud", "ad", "as", "ash", "bin", "ibn", "ben", "bint", "binti",
    "van", "von", "der", "den", "de", "da", "di", "du", "del", "della", "dos", "das", "la", "le",
})
# Articles joined by a hyphen to the word they precede.
ARTICLES = frozenset({"al", "el", "ul", "ud", "ad", "as", "ash"})
# Honorifics that are no part of a name.
TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "sheikh", "shaikh"})

# A name with more words than this is an address or a description: the rest is ignored.
MAX_TOKENS = 8
# Blocking keys use at most this many words of a name (all pairs of them).
MAX_KEY_TOKENS = 6

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc\u02bb\u02b9\u02be\u02bf`\u00b4]")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
# The Arabic article written onto its word (القذافي = al-Qadhafi): split off, so that the
# word meets its romanisations with or without "al-".
_ARABIC_ARTICLE = re.compile(r"(?<![\u0621-\u064a])\u0627\u0644(?=[\u0621-\u064a]{2,})")
_HYPHENATED = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,4}")

# Consonant classes that transliterations of the same sound fall into (Gaddafi / Qadhafi /
# Kadhafi / Каддафи all give "ktf"). Vowels, h, y are dropped: they are what varies most
# between romanisations (Muammar / Moammar, Hussein / Husayn). The digraphs first:
# German "tsch" and French "tch" are English "ch" (Russian ч), "ts"/"tz" the German "z"
# (Russian ц), pinyin "zh" the Wade-Giles "ch", French "dj" is "j" (Djamal, Nadjar), and a
# word-initial "x" (pinyin, Catalan, Portuguese) is an "s" (Wade-Giles "hs").
_DIGRAPHS = (("tsch", "c"), ("tch", "c"), ("sch", "s"), ("ph", "f"), ("zh", "j"), ("dj", "j"),
             ("ts", "s"), ("tz", "s"), ("x", "ks"))
_CONSONANT_CLASS = {
    **dict.fromkeys("bp", "b"),
    **dict.fromkeys("fvw", "f"),
    **dict.fromkeys("cgjkq", "k"),
    **dict.fromkeys("dt", "t"),
    **dict.fromkeys("sz", "s"),
    "l": "l", "r": "r", "m": "m", "n": "n",
}


def _split_han_names(text: str) -> str:
    """Chinese names are written without spaces; romanised, the one-character surname
    stands apart and the given name is one word (习近平 -> "Xi Jinping")."""
    return _HAN_RUN.sub(lambda m: m.group(0)[0] + " " + m.group(0)[1:], text)


def name_tokens(name: str) -> tuple[str, ...]:
    """Lower-case ASCII words of a name in any script, without titles or punctuation."""
    text = unicodedata.normalize("NFKC", name)
    text = _ARABIC_ARTICLE.sub("al ", _split_han_names(text))
    text = _APOSTROPHES.sub("", text)
    ascii_text = anyascii(text).lower()
    tokens = [t for t in _NOT_ALNUM.split(_APOSTROPHES.sub("", ascii_text)) if t]
    return tuple(t for t in tokens if t not in TITLES)[:MAX_TOKENS]


def core_tokens(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The words that carry the name: particles removed unless fewer than two words would be
    left."""
    core = tuple(t for t in tokens if t not in PARTICLES)
    # "Feng Bin" is a Chinese name, not a particle: a name is never cut to one word.
    return core if len(core) >= min(2, len(tokens)) else tokens


def skeleton(token: str, wy_vowels: bool | None = None) -> str:
    """The consonant skeleton of one ASCII word: classes of similar consonants, vowels
    dropped, repeats collapsed. Falls back to the word itself when it has no consonant.
    ``wy_vowels`` reads w and y as vowels (default: when the word is a romanised abjad)."""
    word = "s" + token[1:] if token.startswith("x") else token
    for digraph, replacement in _DIGRAPHS:
        word = word.replace(digraph, replacement)
    # A romanised abjad (Arabic script through anyascii) writes its long vowels as w and y:
    # "mnswr" is Mansour.
    vowel_letters = "wy" if (is_abjad(token) if wy_vowels is None else wy_vowels) else ""
    out: list[str] = []
    for char in word:
        cls = "" if char in vowel_letters else _CONSONANT_CLASS.get(char, "" if char.isalpha() else char)
        if cls and (not out or out[-1] != cls):
            out.append(cls)
    return "".join(out) or "_" + token


def is_abjad(token: str) -> bool:
    """A word without any of a, e, i, o, u: Arabic or Hebrew script romanised letter by
    letter (or an abbreviation)."""
    return len(token) > 1 and not any(c in "aeiou" for c in token)


def _initial(token: str) -> str:
    """The class of a word's first sound; all vowel-like starts (Yuri / Iouri / Juri aside)
    are one class."""
    cls = _CONSONANT_CLASS.get(skeleton(token[:2])[:1], "") if token[:1] not in "aeiouyhw" else ""
    return cls or "_"


def _key_hash(key: str) -> int:
    # 64-bit keys keep the index small; a collision only adds a candidate that scoring drops.
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def key_tokens(name: str) -> list[str]:
    """The words a name is keyed by: its words without particles, plus each hyphenated
    compound also written as one word ("Lei-fang" is "Leifang" in another romanisation)."""
    tokens = list(core_tokens(name_tokens(name)))
    text = anyascii(unicodedata.normalize("NFKC", name)).lower()
    for compound in _HYPHENATED.findall(text):
        parts = compound.split("-")
        if parts[0] in ARTICLES:  # al-Qadhafi: the article is not part of the word
            parts = parts[1:]
        if len(parts) > 1:
            tokens.append("".join(parts))
    return list(dict.fromkeys(tokens))[:MAX_KEY_TOKENS]


# Letter pairs read two ways across romanisations: French writes the "sh" of Arabic and
# Russian as "ch" (Rachid / Rashid, Darwiche / Darwish), Russian and German romanisations
# write as "kh"/"ch" the Arabic "h" (Akhmed / Ahmed).
_SECOND_READINGS = (("ch", "sh"), ("kh", "h"))


@functools.lru_cache(maxsize=100_000)
def skeletons(token: str, wy_vowels: bool | None = None) -> frozenset[str]:
    """The word's skeleton, and its skeleton under the second reading of "ch" or "kh"."""
    readings = {skeleton(token, wy_vowels)}
    for written, other in _SECOND_READINGS:
        if written in token:
            readings.add(skeleton(token.replace(written, other), wy_vowels))
    return frozenset(readings)


def _keys(name: str) -> tuple[set[str], set[str]]:
    tokens = key_tokens(name)
    strict: set[str] = set()
    loose: set[str] = set()
    if len(tokens) == 1:
        strict |= {"1s:" + s for s in skeletons(tokens[0])}
    for a, b in combinations(tokens, 2):
        for sa in skeletons(a):
            loose.add(f"2i:{sa}|{_initial(b)}")
            for sb in skeletons(b):
                strict.add("2s:" + "|".join(sorted((sa, sb))))
        loose |= {f"2i:{sb}|{_initial(a)}" for sb in skeletons(b)}
    return strict, loose


def blocking_keys(name: str) -> set[int]:
    """Keys under which a name is indexed and looked up.

    Two words of a name must agree for an entry to be a candidate, in one of two ways: both
    by consonant skeleton (survives transliteration, vowel typos, diacritics), or one by
    skeleton and the other by its first sound (survives a typo in that other word). Pairs
    are unordered, so word order does not matter, and a dropped middle name leaves the other
    pairs. A one-word name is keyed by itself under its own prefix, so it only meets the
    one-word keys that every query also looks up.
    """
    strict, loose = _keys(name)
    return {_key_hash(k) for k in strict | loose}


@dataclass(frozen=True)
class QueryKeys:
    """Keys to look up for a screened name. ``strict`` keys (both words agree by skeleton)
    are always followed; ``loose`` ones (one word by its first sound, or one word alone
    against one-word entries) may be skipped when they are very common."""

    strict: frozenset[int]
    loose: frozenset[int]


def query_keys(name: str) -> QueryKeys:
    strict, loose = _keys(name)
    loose |= {"1s:" + s for t in key_tokens(name) for s in skeletons(t)}  # one-word entries
    strict_hashes = frozenset(_key_hash(k) for k in strict)
    return QueryKeys(strict_hashes, frozenset(_key_hash(k) for k in loose) - strict_hashes)


@dataclass(frozen=True)
class PreparedName:
    """A name made ready for scoring: its words and their skeletons."""

    original: str
    tokens: tuple[str, ...]
    skeletons: tuple[str, ...]

    @classmethod
    @functools.lru_cache(maxsize=100_000)  # lists repeat names (namesakes, shared aliases)
    def of(cls, name: str) -> "PreparedName":
        tokens = core_tokens(name_tokens(name))
        return cls(name, tokens, tuple(skeleton(t) for t in tokens))
