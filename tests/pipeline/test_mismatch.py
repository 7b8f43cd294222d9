"""Mismatch tags: token data vs document data, tolerant of spelling differences only."""

from __future__ import annotations

import datetime as dt

import pytest

from openidv.pipeline.mismatch import mismatch_tags, parts_match

DOC = {
    "doc_name": "ANNA MARIA", "doc_surname": "MUELLER", "doc_date_of_birth": "1990-05-17",
    "doc_expiry_date": "2031-01-01", "doc_document_number": "C01X00T47", "doc_personal_code": "12345",
    "doc_sex": "FEMALE", "doc_nationality": "DE",
}


@pytest.mark.parametrize("given", [
    {"firstName": "Anna Maria", "lastName": "Müller"},
    {"firstName": "anna maria", "lastName": "MUELLER"},
    {"firstName": "Maria Anna", "lastName": "Mueller"},
    {"firstName": "Müller", "lastName": "Anna Maria"},
    {"dateOfBirth": "1990-05-17", "documentNumber": "c01x00t47", "sex": "F", "nationality": "DE"},
    {},
])
def test_equal_data_in_other_spellings_is_no_mismatch(given):
    assert mismatch_tags(given, DOC) == ()


@pytest.mark.parametrize("given, tag", [
    ({"firstName": "Anne Maria"}, "NAME"),
    ({"lastName": "Miller"}, "SURNAME"),
    ({"dateOfBirth": "1990-05-18"}, "DATE_OF_BIRTH"),
    ({"dateOfExpiry": "2030-01-01"}, "EXPIRY_DATE"),
    ({"documentNumber": "C01X00T48"}, "DOCUMENT_NUMBER"),
    ({"personalNumber": "54321"}, "PERSONAL_CODE"),
    ({"sex": "M"}, "SEX"),
    ({"nationality": "AT"}, "NATIONALITY"),
])
def test_each_contradiction_is_tagged(given, tag):
    assert mismatch_tags(given, DOC) == (tag,)


def test_plain_accent_stripping_is_accepted_too():
    assert parts_match(["Müller"], ["MULLER"]) and parts_match(["Ångström"], ["AANGSTROEM"])


def test_under_age_uses_document_birth_date():
    assert mismatch_tags({}, DOC, minimum_age=18, today=dt.date(2008, 5, 16)) == ("UNDER_AGE",)
    assert mismatch_tags({}, DOC, minimum_age=18, today=dt.date(2008, 5, 17)) == ()


def test_over_age_above_the_maximum():
    # DOC's holder was born 1990-05-17: 40 on 2030-05-17.
    assert mismatch_tags({}, DOC, maximum_age=39, today=dt.date(2030, 5, 17)) == ("OVER_AGE",)
    assert mismatch_tags({}, DOC, maximum_age=39, today=dt.date(2030, 5, 16)) == ()
    assert mismatch_tags({}, DOC, minimum_age=18, maximum_age=40, today=dt.date(2030, 5, 17)) == ()


def test_an_age_bound_without_any_birth_date_is_unknown_age():
    # An age check that could not run is not a pass: the verification is SUSPECTED.
    today = dt.date(2008, 5, 16)
    assert mismatch_tags({}, {}, minimum_age=18, today=today) == ("UNKNOWN_AGE",)
    assert mismatch_tags({}, {}, maximum_age=65, today=today) == ("UNKNOWN_AGE",)
    assert mismatch_tags({}, {}, today=today) == ()


def test_missing_document_fields_are_not_mismatches():
    assert mismatch_tags({"firstName": "X", "dateOfBirth": "2000-01-01"}, {}) == ()
