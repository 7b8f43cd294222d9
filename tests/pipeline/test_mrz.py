"""ICAO 9303 code: check digits, parsing of every format, dates, countries, OCR repair."""

from __future__ import annotations

import datetime as dt

import pytest

from openidv.pipeline import mrz, mrz_repair
from tests.support.synthetic import encode_mrz

TODAY = dt.date(2026, 11, 25)

# ICAO Doc 9303 published examples (fictional Utopia holder).
ICAO_TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
ICAO_TD2 = ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
            "D231458907UTO7408122F1204159<<<<<<<6")
ICAO_TD1 = ("I<UTOD231458907<<<<<<<<<<<<<<<",
            "7408122F1204159UTO<<<<<<<<<<<6",
            "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
ICAO_MRVA = ("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
             "L8988901C4XXX4009078F96121096ZE184226B<<<<<<")
ICAO_MRVB = ("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
             "L8988901C4XXX4009078F9612109<<<<<<<<")


@pytest.mark.parametrize(
    "data, expected",
    [("L898902C3", 6), ("740812", 2), ("120415", 9), ("ZE184226B<<<<<", 1),
     ("D23145890", 7), ("L8988901C", 4), ("400907", 8), ("961210", 9), ("<<<<<<<<<", 0),
     ("520727", 3)],
)
def test_check_digit_matches_icao_examples(data, expected):
    assert mrz.check_digit(data) == expected


def test_check_digit_values_letters_and_filler():
    assert mrz.char_value("A") == 10 and mrz.char_value("Z") == 35 and mrz.char_value("<") == 0
    with pytest.raises(ValueError):
        mrz.char_value("a")


def test_filler_and_k_are_indistinguishable_to_check_digits():
    # Why '<' read as K must be repaired by the filler rule, not by check digits: K = 20,
    # so it changes the weighted sum by a multiple of 10 at every weight.
    assert mrz.check_digit("AB12<<<") == mrz.check_digit("AB12KKK")


def test_td3_every_field_and_check_digit():
    data = mrz.parse_mrz(ICAO_TD3, today=TODAY)
    assert data.format == "TD3"
    assert data.document_type == "PASSPORT"
    assert (data.surname, data.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert data.document_number == "L898902C3"
    assert data.issuing_code == "UTO" and data.issuing_country is None
    assert data.nationality_code == "UTO"
    assert data.date_of_birth == "1974-08-12"
    assert data.date_of_expiry == "2012-04-15"
    assert data.sex == "F"
    assert data.personal_number == "ZE184226B"
    assert data.check_digits == {"document_number": True, "date_of_birth": True,
                                 "date_of_expiry": True, "personal_number": True,
                                 "composite": True}


def test_td2_and_td1_composites():
    td2 = mrz.parse_mrz(ICAO_TD2, today=TODAY)
    assert td2.format == "TD2" and td2.document_number == "D23145890"
    assert td2.all_check_digits_valid
    td1 = mrz.parse_mrz(ICAO_TD1, today=TODAY)
    assert td1.format == "TD1" and td1.document_number == "D23145890"
    assert td1.surname == "ERIKSSON" and td1.given_names == "ANNA MARIA"
    assert td1.document_type == "ID_CARD"
    assert td1.all_check_digits_valid and "composite" in td1.check_digits


def test_visas_have_no_composite():
    a = mrz.parse_mrz(ICAO_MRVA, today=TODAY)
    b = mrz.parse_mrz(ICAO_MRVB, today=TODAY)
    assert (a.format, b.format) == ("MRVA", "MRVB")
    assert "composite" not in a.check_digits and a.all_check_digits_valid
    assert b.all_check_digits_valid
    assert a.document_type == "OTHER"
    assert a.nationality_code == "XXX" and a.nationality is None
    assert a.date_of_expiry == "1996-12-10"  # far-future 2096 read as last century


def test_wrong_digit_is_reported_not_hidden():
    lines = (ICAO_TD3[0], ICAO_TD3[1].replace("7408122", "7408132"))
    data = mrz.parse_mrz(lines, today=TODAY)
    assert data.check_digits["date_of_birth"] is False
    assert data.check_digits["composite"] is False
    assert data.check_digits["document_number"] is True


def test_td1_long_document_number():
    lines = encode_mrz("TD1", document_code="I", issuing_code="NLD", surname="DE VRIES",
                           given_names="JAN", document_number="AB12345678901",
                           nationality_code="NLD", date_of_birth=dt.date(1980, 1, 2), sex="M",
                           date_of_expiry=dt.date(2030, 1, 2))
    assert lines[0][14] == "<"
    data = mrz.parse_mrz(lines, today=TODAY)
    assert data.document_number == "AB12345678901"
    assert data.all_check_digits_valid


def test_format_detection_rejects_wrong_shapes():
    with pytest.raises(mrz.MrzFormatError):
        mrz.parse_mrz(("P<UTO", "L898902C36"))
    with pytest.raises(mrz.MrzFormatError):
        mrz.parse_mrz((ICAO_TD3[0], ICAO_TD3[1][:-1] + "ñ"))


@pytest.mark.parametrize(
    "text, expected",
    [("740812", "1974-08-12"), ("000229", "2000-02-29"), ("261124", "2026-11-24"),
     ("261126", "1926-11-26"), ("991231", "1999-12-31"), ("741312", None), ("<<<<<<", None)],
)
def test_birth_date_century(text, expected):
    got = mrz.birth_date(text, TODAY)
    assert (got.isoformat() if got else None) == expected


@pytest.mark.parametrize(
    "text, expected",
    [("120415", "2012-04-15"), ("350101", "2035-01-01"), ("761231", "2076-12-31"),
     ("770101", "1977-01-01"), ("961210", "1996-12-10")],
)
def test_expiry_date_century(text, expected):
    assert mrz.expiry_date(text, TODAY).isoformat() == expected


@pytest.mark.parametrize(
    "code, alpha2",
    [("D<<", "DE"), ("D", "DE"), ("UTO", None), ("GBD", "GB"), ("GBN", "GB"), ("GBR", "GB"),
     ("CZE", "CZ"), ("RKS", "XK"), ("XXA", None), ("SI<", "SI"), ("QQQ", None)],
)
def test_country_codes(code, alpha2):
    assert mrz.country_alpha2(code) == alpha2


@pytest.mark.parametrize(
    "code, issuer, expected",
    [("P<", "UTO", "PASSPORT"), ("PD", "D", "PASSPORT"), ("ID", "D", "ID_CARD"),
     ("I<", "UTO", "ID_CARD"), ("AC", "FRA", "ID_CARD"), ("C<", "CHE", "ID_CARD"),
     ("V<", "UTO", "OTHER"), ("IR", "DEU", "RESIDENCE_PERMIT"), ("AR", "D", "RESIDENCE_PERMIT"),
     ("C1", "USA", "RESIDENCE_PERMIT"), ("X<", "UTO", "OTHER")],
)
def test_document_type_from_code(code, issuer, expected):
    assert mrz.document_type_from_code(code, issuer) == expected


def test_encoder_round_trips_through_parser():
    for fmt in ("TD1", "TD2", "TD3", "MRVA", "MRVB"):
        code = "V" if fmt.startswith("MRV") else ("P" if fmt == "TD3" else "I")
        lines = encode_mrz(fmt, document_code=code, issuing_code="D", surname="MUSTERMANN",
                               given_names="ERIKA", document_number="C01X00T47",
                               nationality_code="D", date_of_birth=dt.date(1964, 8, 12),
                               sex="F", date_of_expiry=dt.date(2031, 10, 31),
                               personal_number="1234")
        data = mrz.parse_mrz(lines, today=TODAY)
        assert data.format == fmt
        assert data.all_check_digits_valid, (fmt, lines, data.check_digits)
        assert data.surname == "MUSTERMANN" and data.given_names == "ERIKA"
        assert data.date_of_birth == "1964-08-12" and data.date_of_expiry == "2031-10-31"
        assert data.issuing_country == "DE" and data.nationality == "DE"


# --- repair ----------------------------------------------------------------------------


def test_repair_by_class_maps_letters_in_digit_columns_and_back():
    classes = mrz.position_classes("TD3")
    line2 = "L898902C36UT07408I22F12O4159ZE184226B<<<<<10"
    repaired = mrz_repair.repair_by_class(line2, classes[1])
    assert repaired == "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
    # Document number columns accept letters and digits: nothing is changed there.
    assert mrz_repair.repair_by_class("O0O0O0O0O", classes[1][:9]) == "O0O0O0O0O"


def test_filler_lookalikes_after_names_become_fillers():
    classes = mrz.position_classes("TD3")
    line1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<K<<<<<<KK<<<<<<"
    assert mrz_repair.repair_filler_runs(line1, classes[0]) == ICAO_TD3[0]


def test_wrong_digit_in_digit_column_is_not_repaired_into_passing():
    # A 3 read instead of 2 in the birth date: a legal digit, so no class repair applies;
    # with the second reading agreeing on the wrong digit the check digit keeps failing.
    bad = (ICAO_TD3[0], ICAO_TD3[1].replace("7408122", "7408132"))
    data = mrz_repair.combine_readings(bad, bad, "TD3", today=TODAY)
    assert data.check_digits["date_of_birth"] is False
    assert data.date_of_birth == "1974-08-13"


def test_single_reading_leaves_unchecked_fields_unconfirmed():
    data = mrz_repair.combine_readings(ICAO_TD3, None, "TD3", today=TODAY)
    assert data.all_check_digits_valid
    assert {"surname", "given_names", "nationality_code", "issuing_code", "sex"} <= set(data.unconfirmed_fields)


def test_agreeing_readings_confirm_everything():
    data = mrz_repair.combine_readings(ICAO_TD3, ICAO_TD3, "TD3", today=TODAY)
    assert data.unconfirmed_fields == ()
    assert data.lines == ICAO_TD3


def test_disagreeing_names_are_unconfirmed():
    other = ("P<UTOERIKSSDN<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", ICAO_TD3[1])
    data = mrz_repair.combine_readings(ICAO_TD3, other, "TD3", today=TODAY)
    assert "surname" in data.unconfirmed_fields
    assert data.surname == "ERIKSSON"  # the primary reading is kept, for review


def test_class_mapped_character_loses_to_a_native_one():
    # RapidOCR read "10" for "ID", Tesseract "ID": the digit needed mapping, the letter not.
    primary = ("10CHES0002068<8<<<<<<<<<<<<<<<", "8102287F1301014CHE<<<<<<<<<<<4",
               "VAD15<<QU0<<<<<<<<<<<<<<<<<<<<")
    secondary = ("IDCHES0002068<8<<<<<<<<<<<<<<<", "8102287F1301014CHE<<<<<<<<<<<4",
                 "VADIS<<QUO<<<<<<<<<<<<<<<<<<<<")
    data = mrz_repair.combine_readings(primary, secondary, "TD1", today=TODAY)
    assert data.lines == secondary
    assert data.unconfirmed_fields == ()


def test_unanimous_issuer_specific_characters_stay_as_printed():
    # The US permanent-resident card prints "C1"; a Romanian ID card digits for nationality.
    us = ("C1USA0223456791EAC9730053465<<", "4910040M9411014CAN<<<<<<<<<<<9",
          "CRITTENDEN<<LEE<W<<<<<<<<<<<<<")
    assert mrz_repair.combine_readings(us, us, "TD1", today=TODAY).lines == us
    ro = ("IDROUSAVA<<SUPERMAN<<<<<<<<<<<<<<<<<", "HD198025<51328505095M130509012049941")
    assert mrz_repair.combine_readings(ro, ro, "TD2", today=TODAY).lines == ro


def test_check_digit_picks_between_two_readings_only():
    # The secondary reading has the right document number; the primary a wrong one.
    primary = (ICAO_TD3[0], "L898902C46UTO7408122F1204159ZE184226B<<<<<10")
    data = mrz_repair.combine_readings(primary, ICAO_TD3, "TD3", today=TODAY)
    assert data.document_number == "L898902C3" and data.all_check_digits_valid
    assert "secondary reading taken for document_number" in data.method
    # Both readings wrong the same way: nothing is invented.
    data = mrz_repair.combine_readings(primary, primary, "TD3", today=TODAY)
    assert data.check_digits["document_number"] is False


def test_lengths_are_fitted_in_filler_runs():
    long = ICAO_TD3[0][:30] + "<<" + ICAO_TD3[0][30:]
    assert mrz_repair.fit_line_length(long, 44) == ICAO_TD3[0]
    short = ICAO_TD3[1].replace("<<<<<", "<<<")
    assert mrz_repair.fit_line_length(short, 44) == ICAO_TD3[1]


def test_digits_of_other_scripts_are_not_mrz_digits():
    # str.isdigit() is true for "¹" and "٣"; int() of them raises or reads another script.
    assert mrz.birth_date("7408¹2") is None
    assert mrz.check_digit_matches("L898902C3", "٦") is False
    with pytest.raises(ValueError):
        mrz.char_value("¹")
