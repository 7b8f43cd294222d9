"""Name normalisation for screening: any script to ASCII tokens, consonant skeletons, and the
blocking keys that let a database find candidate entries without scanning the list.
"""

from __future__ import annotations

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
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,4}")

# Consonant classes that transliterations of the same sound fall into (Gaddafi / Qadhafi /
# Kadhafi / Каддафи all give "ktf"). Vowels, h, y are dropped: they are what varies most
# between romanisations (Muammar / Moammar, Hussein / Husayn).
_DIGRAPHS = (("sch", "s"), ("ph", "f"), ("x", "ks"))
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
    """The words that carry the name: particles removed unless nothing else is left."""
    core = tuple(t for t in tokens if t not in PARTICLES)
    return core or tokens


def skeleton(token: str) -> str:
    """The consonant skeleton of one ASCII word: classes of similar consonants, vowels
    dropped, repeats collapsed. Falls back to the word itself when it has no consonant."""
    word = token
    for digraph, replacement in _DIGRAPHS:
        word = word.replace(digraph, replacement)
    out: list[str] = []
    for char in word:
        cls = _CONSONANT_CLASS.get(char, "" if char.isalpha() else char)
        if cls and (not out or out[-1] != cls):
            out.append(cls)
    return "".join(out) or "_" + token


def _key_hash(key: str) -> int:
    # 64-bit keys keep the index small; a collision only adds a candidate that scoring drops.
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def blocking_keys(name: str) -> set[int]:
    """Keys under which a name is indexed and looked up.

    Two words of a name must agree for an entry to be a candidate, in one of two ways: by
    consonant skeleton (survives transliteration, vowel typos, diacritics) or by their first
    three letters (survives a typo later in the word). Pairs are unordered, so word order
    does not matter, and a dropped middle name leaves the other pairs. A one-word name is
    keyed by itself, under its own prefix, so it only meets other one-word keys.
    """
    tokens = list(dict.fromkeys(core_tokens(name_tokens(name))))[:MAX_KEY_TOKENS]
    keys: set[str] = set()
    if len(tokens) == 1:
        keys.add("1s:" + skeleton(tokens[0]))
    for a, b in combinations(tokens, 2):
        keys.add("2s:" + "|".join(sorted((skeleton(a), skeleton(b)))))
        keys.add("2p:" + "|".join(sorted((a[:3], b[:3]))))
    return {_key_hash(k) for k in keys}


def query_keys(name: str) -> set[int]:
    """Keys to look up for a screened name: its own keys, plus each word alone so that a
    one-word list entry (a mononym) can be found from a full name."""
    tokens = list(dict.fromkeys(core_tokens(name_tokens(name))))[:MAX_KEY_TOKENS]
    return blocking_keys(name) | {_key_hash("1s:" + skeleton(t)) for t in tokens}


@dataclass(frozen=True)
class PreparedName:
    """A name made ready for scoring: its words and their skeletons."""

    original: str
    tokens: tuple[str, ...]
    skeletons: tuple[str, ...]

    @classmethod
    def of(cls, name: str) -> "PreparedName":
        tokens = core_tokens(name_tokens(name))
        return cls(name, tokens, tuple(skeleton(t) for t in tokens))
