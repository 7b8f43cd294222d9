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
    today = dt.date(2008, 5, 16)
    assert mismatch_tags({}, DOC, minimum_age=18, today=dt.date(2008, 5, 16)) == ("UNDER_AGE",)
    assert mismatch_tags({}, DOC, minimum_age=18, today=dt.date(2008, 5, 17)) == ()
    assert mismatch_tags({}, {}, minimum_age=18, today=today) == ()


def test_missing_document_fields_are_not_mismatches():
    assert mismatch_tags({"firstName": "X", "dateOfBirth": "2000-01-01"}, {}) == ()
