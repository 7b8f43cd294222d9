"""What an MRZ reading may be accepted as: check digits that are digits, dates that exist,
choices between readings that stay choices, names that end where the filler starts."""

from __future__ import annotations

import datetime as dt

from openidv.pipeline import mrz, mrz_repair

TODAY = dt.date(2026, 11, 25)


def td2_line2(number: str, birth: str, expiry: str, optional: str, *, composite: str | None = None,
              birth_check: str | None = None, expiry_check: str | None = None) -> str:
    """Line 2 of a TD2 zone with every check digit computed over what is printed."""
    cd = lambda text: str(mrz.check_digit(text))  # noqa: E731
    line = (number + cd(number) + "UTO" + birth + (birth_check or cd(birth)) + "F"
            + expiry + (expiry_check or cd(expiry)) + optional)
    return line + (composite if composite is not None else cd(line[0:10] + line[13:20] + line[21:35]))


TD2_LINE1 = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<"


def _optional_with_composite_zero() -> str:
    """Optional data that makes the composite check digit 0 (so '<' would 'verify' it)."""
    for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789":
        optional = ch + "<<<<<<"
        line = td2_line2("D23145890", "740812", "120415", optional, composite="0")
        if mrz.check_digit(line[0:10] + line[13:20] + line[21:35]) == 0:
            return optional
    raise AssertionError("no optional data gives a composite of 0")


# --- 1. a check digit is a digit; padding is no date -----------------------------------


def test_filler_in_a_check_digit_position_does_not_verify():
    optional = _optional_with_composite_zero()
    lines = (TD2_LINE1, td2_line2("D23145890", "740812", "120415", optional, composite="<"))
    data = mrz.parse_mrz(lines, today=TODAY)
    assert data.check_digits["composite"] is False
    assert not data.all_check_digits_valid
    # The same zone with the digit printed verifies: only the filler is refused.
    printed = (TD2_LINE1, td2_line2("D23145890", "740812", "120415", optional, composite="0"))
    assert mrz.parse_mrz(printed, today=TODAY).all_check_digits_valid


def test_filler_after_an_empty_personal_number_still_verifies():
    lines = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159<<<<<<<<<<<<<<<2")
    lines = (lines[0], lines[1][:43] + str(mrz.check_digit(lines[1][0:10] + lines[1][13:20] + lines[1][21:43])))
    assert mrz.parse_mrz(lines, today=TODAY).check_digits["personal_number"] is True


def test_padded_date_does_not_pass_on_its_check_digit():
    # A line cut short and padded: six fillers sum to 0, so a printed 0 would "verify" them.
    lines = (TD2_LINE1, td2_line2("D23145890", "740812", "<<<<<<", "<<<<<<<", expiry_check="0"))
    data = mrz.parse_mrz(lines, today=TODAY)
    assert data.check_digits["date_of_expiry"] is False
    assert data.check_digits["composite"] is True  # the composite is computed over the same fillers



# --- 2. no class repair of a letter both readings saw ----------------------------------


def test_letter_both_readings_saw_in_a_date_is_not_turned_into_a_digit():
    # A zone printed with G in the birth date, its check digits computed over the G: G and 6
    # have the same check-digit value, so repairing G → 6 would yield a "valid" 1974-06-16.
    line2 = td2_line2("D23145890", "74061G", "120415", "<<<<<<<")
    lines = (TD2_LINE1, line2)
    data = mrz_repair.combine_readings(lines, lines, "TD2", today=TODAY)
    assert data.lines[1][13:19] == "74061G"
    assert data.date_of_birth is None
    assert data.check_digits["date_of_birth"] is False


def test_letter_one_reading_saw_in_a_date_is_still_repaired():
    good = (TD2_LINE1, td2_line2("D23145890", "740612", "120415", "<<<<<<<"))
    misread = (TD2_LINE1, good[1].replace("740612", "74O612"))
    data = mrz_repair.combine_readings(misread, good, "TD2", today=TODAY)
    assert data.lines == good and data.all_check_digits_valid
    # A single reading keeps the class repair: nothing contradicts it.
    assert mrz_repair.normalise_reading(misread, "TD2") == good


# --- 3. a check digit chooses only between nearly equal readings ------------------------


def test_check_digit_does_not_settle_readings_far_apart():
    good = (TD2_LINE1, td2_line2("D23145890", "740812", "120415", "<<<<<<<"))
    # The other reading differs in four characters of the number, and its check digit fails.
    far = (TD2_LINE1, "D2B1A8S05" + good[1][9:])
    data = mrz_repair.combine_readings(good, far, "TD2", today=TODAY)
    assert "document_number" in data.unconfirmed_fields
    assert data.lines == good  # the primary reading is kept, for review


def test_check_digit_still_settles_readings_one_character_apart():
    good = (TD2_LINE1, td2_line2("D23145890", "740812", "120415", "<<<<<<<"))
    near = (TD2_LINE1, "D23145B90" + good[1][9:])
    data = mrz_repair.combine_readings(near, good, "TD2", today=TODAY)
    assert data.lines == good and data.unconfirmed_fields == ()
    assert "secondary reading taken for document_number" in data.method


# --- 4. dates that exist ----------------------------------------------------------------


def test_impossible_dates_fail_even_when_their_check_digit_passes():
    # Expiry 970863 (day 63) and birth 741312 (month 13), check digits computed over them.
    lines = (TD2_LINE1, td2_line2("D23145890", "741312", "970863", "<<<<<<<"))
    data = mrz.parse_mrz(lines, today=TODAY)
    assert data.check_digits["date_of_expiry"] is False
    assert data.check_digits["date_of_birth"] is False
    assert data.check_digits["composite"] is True  # the composite only covers the characters


def test_real_dates_verify_leap_days_included():
    lines = (TD2_LINE1, td2_line2("D23145890", "000229", "280229", "<<<<<<<"))
    assert mrz.parse_mrz(lines, today=TODAY).all_check_digits_valid
    assert mrz.is_calendar_date("000229") and not mrz.is_calendar_date("010229")
    assert not mrz.is_calendar_date("7408<<") and not mrz.is_calendar_date("740800")


def test_impossible_date_is_not_chosen_between_readings():
    # The readings differ in one character of the expiry: the secondary's 970863 passes its
    # check digit (computed over it), the primary's 970803 does not. Day 63 must not win.
    wrong_day = td2_line2("D23145890", "740812", "970863", "<<<<<<<")
    primary = (TD2_LINE1, wrong_day[:25] + "0" + wrong_day[26:])
    data = mrz_repair.combine_readings(primary, (TD2_LINE1, wrong_day), "TD2", today=TODAY)
    assert "970863" not in data.lines[1]
    assert "date_of_expiry" in data.unconfirmed_fields
    assert not data.all_check_digits_valid


# --- 5. a name ends at the first filler run ----------------------------------------------


def test_letters_after_a_filler_run_are_not_name_words():
    # A dark photo: the filler after the given names read as letters by both engines.
    line2 = td2_line2("D23145890", "740812", "120415", "<<<<<<<")
    misread = ("I<UTOERIKSSON<<ANNA<<<EEVLLW<<<<<<<<", line2)
    data = mrz_repair.combine_readings(misread, misread, "TD2", today=TODAY)
    assert (data.surname, data.given_names) == ("ERIKSSON", "ANNA")
    assert data.lines[0] == "I<UTOERIKSSON<<ANNA" + "<" * 17
    assert mrz.split_names("ERIKSSON<<ANNA<<<EEVLLW<<<<") == ("ERIKSSON", "ANNA")
    # The secondary reading's own misread filler, in a longer line, is no name word either.
    clean = ("I<UTOERIKSSON<<ANNA" + "<" * 17, line2)
    noisy = ("I<UTOERIKSSON<<ANNA<<<<<<S<S<S<<S<<<<", line2)
    assert mrz_repair.combine_readings(clean, noisy, "TD2", today=TODAY).unconfirmed_fields == ()


def test_filler_run_inside_a_misread_name_is_not_taken_for_its_end():
    # A line read short ("HORVAT<<<AGNE" for "HORVATH<<AGNES"): the secondary reading read
    # more, which aligning it column by column to the primary would drop.
    line2 = td2_line2("D23145890", "740812", "120415", "<<<<<<<")
    primary = ("P<MEXHORVAT<<<AGNE", line2)
    secondary = ("P<MEXHORVATHS<ABNES<<<<<<E2E<<<<<<0<S5<S8", line2)
    data = mrz_repair.combine_readings(primary, secondary, "TD2", today=TODAY)
    assert {"surname", "given_names"} <= set(data.unconfirmed_fields)


def test_name_word_only_the_secondary_read_is_a_disagreement():
    # The secondary line is longer than the format (two fillers too many): aligned column by
    # column to the primary, its "MARIA" would be an insertion and vanish.
    line2 = td2_line2("D23145890", "740812", "120415", "<<<<<<<")
    primary = ("I<UTOERIKSSON<<ANNA<<<<<<<<<<<<<<<<<", line2)
    secondary = ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<", line2)
    data = mrz_repair.combine_readings(primary, secondary, "TD2", today=TODAY)
    assert {"surname", "given_names"} <= set(data.unconfirmed_fields)


def test_name_words_separated_by_one_or_two_fillers_stay():
    lines = ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", td2_line2("D23145890", "740812", "120415", "<<<<<<<"))
    data = mrz_repair.combine_readings(lines, lines, "TD2", today=TODAY)
    assert (data.surname, data.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert data.unconfirmed_fields == ()
    # A reading that lost trailing fillers confirms the same name.
    short = (lines[0][:28], lines[1])
    assert mrz_repair.combine_readings(lines, short, "TD2", today=TODAY).unconfirmed_fields == ()
    assert mrz.split_names("DE<LA<CRUZ<<JOSE<<<<") == ("DE LA CRUZ", "JOSE")


# --- 6. lower-case c/e are fillers only beside a filler ----------------------------------


def test_lowercase_c_and_e_beside_fillers_are_fillers():
    assert mrz_repair.clean_line("ANNA<cec<<") == "ANNA<<<<<<"
    assert mrz_repair.clean_line("ANNA<<e") == "ANNA<<<"
    assert mrz_repair.clean_line("ANNA<c«") == "ANNA<<<<"


def test_lowercase_c_and_e_between_letters_stay_letters():
    assert mrz_repair.clean_line("MUeLLER<<eRIKA") == "MUELLER<<ERIKA"
    assert mrz_repair.clean_line("ANNAc<<<") == "ANNAC<<<"
    assert mrz_repair.clean_line("ce") == "CE"
    assert mrz_repair.clean_line("JACQUES") == "JACQUES"
    assert mrz_repair.clean_line("GARCcIA") == "GARCCIA"


# --- 7. a visa's optional data has no check digit ----------------------------------------

MRVA_LINE1 = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"


def test_visa_optional_data_with_lookalikes_is_unprotected_even_when_readings_agree():
    # Both engines read "U50M" for "U5OM": nothing can tell, so a person must look.
    lines = (MRVA_LINE1, "L8988901C4XXX4009078F9612109" + "X85GKR617S43U50M")
    data = mrz_repair.combine_readings(lines, lines, "MRVA", today=TODAY)
    assert data.unconfirmed_fields == () and data.all_check_digits_valid
    assert data.unprotected_fields == ("optional_data",)


def test_visa_optional_data_without_lookalikes_or_empty_is_protected_by_agreement():
    for optional in ("<" * 16, "XKRMNPVW<<<<<<<<"):
        lines = (MRVA_LINE1, "L8988901C4XXX4009078F9612109" + optional)
        data = mrz_repair.combine_readings(lines, lines, "MRVA", today=TODAY)
        assert data.unprotected_fields == (), optional
    # Composite-covered optional data (TD2) is protected by its check digit.
    td2 = (TD2_LINE1, td2_line2("D23145890", "740812", "120415", "U50M<<<"))
    assert mrz_repair.combine_readings(td2, td2, "TD2", today=TODAY).unprotected_fields == ()


def test_visa_optional_data_the_readings_disagree_on_is_unconfirmed():
    lines = (MRVA_LINE1, "L8988901C4XXX4009078F9612109" + "X85GKR617S43U50M")
    other = (MRVA_LINE1, lines[1][:-4] + "UBOM")
    data = mrz_repair.combine_readings(lines, other, "MRVA", today=TODAY)
    assert "optional_data" in data.unconfirmed_fields


def test_unprotected_visa_data_sends_the_document_to_review():
    from openidv.pipeline.document.analyse import _mrz_review_reasons

    lines = (MRVA_LINE1, "L8988901C4XXX4009078F9612109" + "X85GKR617S43U50M")
    data = mrz_repair.combine_readings(lines, lines, "MRVA", today=TODAY)
    assert any("optional_data" in reason for reason in _mrz_review_reasons(data))


def test_a_filler_only_one_reading_has_inside_the_name_leaves_the_names_unconfirmed():
    # "MAEKINEN<THORA" is one surname of two words, "MAEKINEN<<THORA" a surname and a given
    # name: every letter aligns, but the names differ. (The primary lost a filler; the
    # secondary read the line with a stray glyph in front.)
    line2 = "4980495836BLR8812016M2711254<<<<<<<<<<<<<<<<"
    primary = ("V<CHEMAEKINEN<THORA<", line2)
    secondary = ("IV<CHEMAEKINEN<<THORA<<<<<<<<<<<<<<<<<<<<<<<<", line2)
    data = mrz_repair.combine_readings(primary, secondary, "MRVA", today=TODAY)
    assert "surname" in data.unconfirmed_fields and "given_names" in data.unconfirmed_fields
