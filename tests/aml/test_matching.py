"""Name matching across scripts, spellings and word order, narrowed by birth date and
nationality; and the blocking keys that make the same variants findable in the database."""

from __future__ import annotations

import pytest

from openidv.aml.matching import PreparedPerson, name_similarity, score_entity
from openidv.aml.names import PreparedName, blocking_keys, name_tokens, query_keys
from openidv.aml.records import DobAgreement, EntitySchema, ListedEntity, PartialDate, ScreenedPerson

GADDAFI = ListedEntity(
    source="test", entity_id="LYi.009", schema=EntitySchema.PERSON,
    name="Muammar Mohammed Abu Minyar al-Qadhafi",
    aliases=("Moammar Kadhafi",),
    birth_dates=(PartialDate(1942, 6, 7),), countries=("ly",),
)


def person(name: str, dob: str | None = None, nationality: str | None = None) -> ScreenedPerson:
    return ScreenedPerson(names=(name,), birth_date=PartialDate.parse(dob) if dob else None,
                          nationality=nationality)


def screen_one(entity: ListedEntity, who: ScreenedPerson):  # noqa: ANN201
    return score_entity(PreparedPerson.of(who), entity)


def entity_named(name: str, **kwargs) -> ListedEntity:  # noqa: ANN003
    return ListedEntity(source="test", entity_id="x", schema=EntitySchema.PERSON, name=name, **kwargs)


@pytest.mark.parametrize("listed", [
    "Muammar Gaddafi",
    "Moammar Kadhafi",
    "Муаммар Каддафи",  # Cyrillic
    "معمر القذافي",  # Arabic, vowels not written, article joined to the word
    "Muammar al-Qaddafi",
    "GADDAFI, Muammar",  # surname first
    "Muammar Mohammed Abu Minyar Qadhafi",  # middle names the person did not give
    "Muamar Gadafi",  # spelling
    "Muammar Gaddafu",  # typo
])
def test_spellings_of_one_name_are_hit(listed: str) -> None:
    hit = screen_one(entity_named(listed), person("Muammar Gaddafi"))
    assert hit is not None, listed
    assert hit.reason.matched_name == listed


@pytest.mark.parametrize("query, listed", [
    ("José María Aznar", "Jose Maria AZNAR"),  # diacritics
    ("Jose Maria Aznar", "José María Aznar"),
    ("Müller Jürgen", "Juergen Mueller"),  # German transcription of umlauts, order
    ("Xi Jinping", "习近平"),  # Han characters
    ("Sergei Shoigu", "Сергей Кужугетович Шойгу"),  # Cyrillic with patronymic
    ("Sergey Shoygu", "Sergei Kuzhugetovich SHOIGU"),
    ("Abdulrahman Hassan", "Abdul Rahman Hassan"),  # written together / apart
])
def test_variants_are_hit(query: str, listed: str) -> None:
    assert screen_one(entity_named(listed), person(query)) is not None


@pytest.mark.parametrize("query", ["John Smith", "Maria Gonzalez", "Mohammed Hassan", "Ahmad Vahidi"])
def test_clearly_different_people_are_not_hit(query: str) -> None:
    assert screen_one(GADDAFI, person(query)) is None


def test_a_matching_date_of_birth_raises_the_score() -> None:
    without = screen_one(GADDAFI, person("Muammar Gaddafi"))
    with_dob = screen_one(GADDAFI, person("Muammar Gaddafi", "1942-06-07"))
    assert with_dob.reason.dob is DobAgreement.EXACT and with_dob.score > without.score


def test_a_year_only_date_on_the_list_agrees_with_a_full_date() -> None:
    listed = entity_named("Muammar Gaddafi", birth_dates=(PartialDate(1942),))
    hit = screen_one(listed, person("Muammar Gaddafi", "1942-06-07"))
    assert hit.reason.dob is DobAgreement.SAME_YEAR


def test_a_strongly_different_date_of_birth_removes_the_hit() -> None:
    assert screen_one(GADDAFI, person("Muammar Gaddafi")) is not None
    assert screen_one(GADDAFI, person("Muammar Gaddafi", "1990-01-01")) is None


def test_a_different_nationality_lowers_the_score_and_can_remove_a_weak_hit() -> None:
    listed = entity_named("Muammar Mohammed Abu Minyar Qadhafi", countries=("ly",))
    plain = screen_one(listed, person("Muammar Gaddafi"))
    same = screen_one(listed, person("Muammar Gaddafi", nationality="LY"))
    assert plain is not None and same.score > plain.score
    assert screen_one(listed, person("Muammar Gaddafi", nationality="fr")) is None


def test_organisations_are_not_hit_when_screening_a_person() -> None:
    company = ListedEntity(source="t", entity_id="c", schema=EntitySchema.ORGANISATION, name="Muammar Gaddafi")
    assert screen_one(company, person("Muammar Gaddafi")) is None


def test_hit_explains_itself_and_serialises_to_json_types() -> None:
    import json

    hit = screen_one(GADDAFI, person("Muammar Gaddafi", "1942-06-07", "ly"))
    body = hit.as_dict()
    json.dumps(body)
    assert body["reason"] == {"queryName": "Muammar Gaddafi", "matchedName": "Moammar Kadhafi",
                              "nameScore": body["reason"]["nameScore"], "dateOfBirth": "exact",
                              "nationality": "match"}
    assert body["entity"]["entityId"] == "LYi.009"


def test_word_order_does_not_change_the_name_score() -> None:
    a = name_similarity(PreparedName.of("Muammar Gaddafi"), PreparedName.of("Kadhafi Moammar"))
    b = name_similarity(PreparedName.of("Muammar Gaddafi"), PreparedName.of("Moammar Kadhafi"))
    assert a == b


def test_tokens_are_ascii_without_titles_or_punctuation() -> None:
    assert name_tokens("Dr. Muammar  al-Qadhafi") == ("muammar", "al", "qadhafi")
    assert name_tokens("O’Brien, Seán") == ("obrien", "sean")


@pytest.mark.parametrize("listed", [
    "Moammar Kadhafi", "Муаммар Каддафи", "معمر القذافي", "GADDAFI, Muammar",
    "Muammar Mohammed Abu Minyar Qadhafi", "Muamar Gadafi", "Muammar Gaddafu",
])
def test_variants_share_a_blocking_key_with_the_query(listed: str) -> None:
    keys = query_keys("Muammar Gaddafi")
    assert (keys.strict | keys.loose) & blocking_keys(listed)


def test_unrelated_names_share_no_blocking_key() -> None:
    keys = query_keys("Muammar Gaddafi")
    assert not (keys.strict | keys.loose) & blocking_keys("John Smith")
    assert not (keys.strict | keys.loose) & blocking_keys("Mohammed Hassan")


def test_a_one_word_entry_is_found_from_a_full_name() -> None:
    assert query_keys("Muammar Gaddafi").loose & blocking_keys("Gaddafi")


def test_two_full_dates_that_differ_remove_an_exact_namesake() -> None:
    listed = entity_named("Muammar Gaddafi", birth_dates=(PartialDate(1942, 6, 7),))
    assert screen_one(listed, person("Muammar Gaddafi", "1942-06-07")) is not None
    assert screen_one(listed, person("Muammar Gaddafi", "1942-09-15")) is None
    assert screen_one(listed, person("Muammar Gaddafi", "1943-06-07")) is None
    year_only = entity_named("Muammar Gaddafi", birth_dates=(PartialDate(1942),))
    assert screen_one(year_only, person("Muammar Gaddafi", "1943-06-07")) is not None  # an estimate
