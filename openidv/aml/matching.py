"""Scoring a screened person against a list entry: name similarity, then narrowing by date
of birth and nationality when both sides have them."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from rapidfuzz import fuzz

from openidv.aml.names import PreparedName, is_abjad, skeletons
from openidv.aml.records import (
    CountryAgreement,
    DobAgreement,
    EntitySchema,
    Hit,
    ListedEntity,
    MatchReason,
    PartialDate,
    ScreenedPerson,
)


@dataclass(frozen=True)
class MatchPolicy:
    """Thresholds and weights of screening; a test or an operator can pass other values."""

    # An entry is reported when its final score reaches this.
    hit_threshold: float = 0.80
    # Entries whose best name scores below this are not considered at all.
    name_floor: float = 0.70
    # Word pairs scoring below this count as not matched.
    token_floor: float = 0.55
    # Same consonant skeleton (transliteration variants) is worth at least this.
    skeleton_similarity: float = 0.88
    # Each word of the longer name left unmatched (a dropped middle name) multiplies by this.
    unmatched_word_factor: float = 0.96
    # A one-word name against a longer one says little.
    single_word_factor: float = 0.80
    dob_adjustment: tuple[tuple[DobAgreement, float], ...] = (
        (DobAgreement.EXACT, 0.10),
        (DobAgreement.SAME_YEAR, 0.05),
        (DobAgreement.NEAR_YEAR, -0.05),
        (DobAgreement.CONFLICT, -0.25),
        (DobAgreement.MISMATCH, -0.30),
        (DobAgreement.UNKNOWN, 0.0),
    )
    nationality_adjustment: tuple[tuple[CountryAgreement, float], ...] = (
        (CountryAgreement.MATCH, 0.05),
        (CountryAgreement.MISMATCH, -0.10),
        (CountryAgreement.UNKNOWN, 0.0),
    )
    schemas: tuple[EntitySchema, ...] = (EntitySchema.PERSON,)


DEFAULT_POLICY = MatchPolicy()


@functools.lru_cache(maxsize=200_000)
def _pair_similarity(a: str, b: str, skeleton_floor: float) -> float:
    return token_similarity(a, b, skeleton_floor)


def token_similarity(a: str, b: str, skeleton_floor: float) -> float:
    """0..1 similarity of two words: edit-distance ratio, an initial against its word, and
    a floor for words that share a consonant skeleton."""
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:
        return 0.9 if a[0] == b[0] else 0.0
    ratio = fuzz.ratio(a, b) / 100.0
    # Two consonants alone ("mr") are too common to vouch for a match, unless one side is a
    # romanised abjad (Arabic, Hebrew), which writes no vowels at all: "mmr" = Muammar.
    if is_abjad(a) != is_abjad(b):
        # Against a romanised abjad word, the other word's w and y may be written vowels.
        shared = skeletons(a, wy_vowels=True) & skeletons(b, wy_vowels=True)
    else:
        shared = skeletons(a) & skeletons(b)
    # One or two consonants in common (Aisha / Ayesha, but also Ali / Ola) prove little: on
    # a synthetic million-entry list a floor for them doubled the alerts for a few more finds.
    if any(len(s) >= 3 for s in shared) or (shared and (is_abjad(a) or is_abjad(b))):
        ratio = max(ratio, skeleton_floor)
    return ratio


def _aligned_score(q: PreparedName, c: PreparedName, policy: MatchPolicy) -> float:
    """Words matched one to one (best pairs first), weighted by length, over the shorter name."""
    shorter, longer = (q, c) if len(q.tokens) <= len(c.tokens) else (c, q)
    pairs = sorted(
        ((_pair_similarity(s, l, policy.skeleton_similarity), i, j)
         for i, s in enumerate(shorter.tokens) for j, l in enumerate(longer.tokens)),
        reverse=True,
    )
    used_short: set[int] = set()
    used_long: set[int] = set()
    matched = 0.0
    for sim, i, j in pairs:
        if sim < policy.token_floor or i in used_short or j in used_long:
            continue
        used_short.add(i)
        used_long.add(j)
        matched += sim * len(shorter.tokens[i])
    score = matched / sum(len(t) for t in shorter.tokens)
    score *= policy.unmatched_word_factor ** (len(longer.tokens) - len(used_long))
    if len(shorter.tokens) == 1 and len(longer.tokens) > 1:
        score *= policy.single_word_factor
    return score


@functools.lru_cache(maxsize=200_000)  # namesakes: the same pair of names comes back often
def name_similarity(q: PreparedName, c: PreparedName, policy: MatchPolicy = DEFAULT_POLICY) -> float:
    """0..1 similarity of two names, insensitive to word order, dropped middle names and
    words written together or apart ("Abdulrahman" / "Abdul Rahman")."""
    if not q.tokens or not c.tokens:
        return 0.0
    aligned = _aligned_score(q, c, policy)
    joined = fuzz.ratio("".join(q.tokens), "".join(c.tokens)) / 100.0
    if len(q.tokens) != len(c.tokens):
        joined *= policy.unmatched_word_factor
    return max(aligned, joined)


def compare_birth_dates(person: Optional[PartialDate], listed: Sequence[PartialDate]) -> DobAgreement:
    """The best agreement between the person's date and any of the entry's dates."""
    if person is None or not listed:
        return DobAgreement.UNKNOWN
    order = [DobAgreement.EXACT, DobAgreement.SAME_YEAR, DobAgreement.NEAR_YEAR,
             DobAgreement.CONFLICT, DobAgreement.MISMATCH]
    return min((_compare_one(person, d) for d in listed), key=order.index)


def _compare_one(a: PartialDate, b: PartialDate) -> DobAgreement:
    if a.year != b.year:
        if abs(a.year - b.year) > 1:
            return DobAgreement.MISMATCH
        # A year-only date is often an estimate; two full dates a year apart simply differ.
        return DobAgreement.CONFLICT if a.day and b.day else DobAgreement.NEAR_YEAR
    if a.month and b.month and a.month != b.month:
        return DobAgreement.CONFLICT
    if a.day and b.day and a.month and b.month:
        return DobAgreement.EXACT if a.day == b.day else DobAgreement.CONFLICT
    return DobAgreement.SAME_YEAR


def compare_nationality(person: Optional[str], countries: Iterable[str]) -> CountryAgreement:
    listed = set(countries)
    if not person or not listed:
        return CountryAgreement.UNKNOWN
    return CountryAgreement.MATCH if person.lower() in listed else CountryAgreement.MISMATCH


@dataclass(frozen=True)
class PreparedPerson:
    """A screened person with names prepared once for many entries."""

    person: ScreenedPerson
    names: tuple[PreparedName, ...]

    @classmethod
    def of(cls, person: ScreenedPerson) -> "PreparedPerson":
        return cls(person, tuple(PreparedName.of(n) for n in person.names if n.strip()))


@dataclass(frozen=True)
class NameMatch:
    """The best pair of (screened name, listed name) and its score."""

    score: float
    query: str
    listed: str


def best_name_match(prepared: PreparedPerson, listed_names: Iterable[str],
                    policy: MatchPolicy = DEFAULT_POLICY) -> Optional[NameMatch]:
    """The best-scoring pair, or None when no name of the person and the entry is given.
    Cheap enough to run on every candidate before its other facts are read."""
    best: Optional[NameMatch] = None
    for listed_name in listed_names:
        candidate = PreparedName.of(listed_name)
        for query in prepared.names:
            score = name_similarity(query, candidate, policy)
            if best is None or score > best.score:
                best = NameMatch(score, query.original, listed_name)
    return best


def score_entity(
    prepared: PreparedPerson,
    entity: ListedEntity,
    policy: MatchPolicy = DEFAULT_POLICY,
    list_date: Optional[str] = None,
    name_match: Optional[NameMatch] = None,
) -> Optional[Hit]:
    """A hit when the entry scores at or above the policy's threshold, else None.
    ``name_match`` is ``best_name_match`` of the entry's names when already computed."""
    if entity.schema not in policy.schemas:
        return None
    best = name_match or best_name_match(prepared, entity.names, policy)
    if best is None or best.score < policy.name_floor:
        return None
    dob = compare_birth_dates(prepared.person.birth_date, entity.birth_dates)
    nationality = compare_nationality(prepared.person.nationality, entity.countries)
    score = best.score + dict(policy.dob_adjustment)[dob] + dict(policy.nationality_adjustment)[nationality]
    score = min(1.0, max(0.0, score))
    if score < policy.hit_threshold:
        return None
    reason = MatchReason(best.query, best.listed, best.score, dob, nationality)
    return Hit(entity, score, reason, source_list_date=list_date)
