"""The column vote over several readings of one engine (mrz_vote): it recovers characters
that no single reading had right, and it never confirms what the two engines disagree on."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import cv2
import numpy as np

from openidv.pipeline import mrz, mrz_repair
from openidv.pipeline.document import mrz_read, mrz_vote
from openidv.pipeline.document.geometry import warp_line
from openidv.pipeline.document.mrz_vote import EngineReadings, glyph_band, vote_line, vote_reading

TODAY = dt.date(2026, 11, 25)
TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")


def _replace(line: str, col: int, ch: str) -> str:
    return line[:col] + ch + line[col + 1:]


def test_column_vote_recovers_characters_each_reading_missed():
    line = TD3[1]
    readings = [_replace(line, 3, "B"), _replace(line, 15, "3"), _replace(line, 22, "7")]
    assert all(r != line for r in readings)
    assert vote_line(readings, mrz.position_classes("TD3")[1], 44) == line


def test_vote_aligns_a_reading_that_dropped_a_filler():
    line = TD3[0]
    short = line[:30] + line[31:]  # one filler of the long run not read
    readings = [_replace(line, 7, "5"), short, _replace(line, 20, "K")]
    assert vote_line(readings, mrz.position_classes("TD3")[0], 44) == line


def test_character_legal_in_its_column_outweighs_one_that_needs_mapping():
    # Birth date 740812 at columns 13-18: the first two readings saw 'B' (a letter in a
    # date), the other two '8'. Counted alike, the tie would go to the earlier 'B'; mapped
    # characters count half, so '8' wins.
    line = TD3[1]
    readings = [_replace(line, 16, "B"), _replace(line, 16, "B"), line, line]
    assert vote_line(readings, mrz.position_classes("TD3")[1], 44)[16] == "8"


def test_vote_keeps_a_letter_every_reading_saw_in_a_date():
    # The raw character wins, not its class mapping: a G printed in a date (G and 6 have the
    # same check-digit value) stays a G, so the combination leaves the date failing.
    birth = "74061G"
    line2 = "L898902C36UTO" + birth + str(mrz.check_digit(birth)) + TD3[1][20:]
    voted = vote_line([line2, line2, line2], mrz.position_classes("TD3")[1], 44)
    assert voted[13:19] == birth
    data = mrz_repair.combine_readings((TD3[0], voted), (TD3[0], voted), "TD3", today=TODAY)
    assert data.check_digits["date_of_birth"] is False


def test_votes_of_both_engines_settle_what_no_single_pair_could():
    # Both first readings misread the same digit of the document number differently, so
    # neither check digit verifies and the field stays unconfirmed; every other reading of
    # each engine has it right (and one other character wrong): the pair of votes is exact.
    line = TD3[1]
    rapid = EngineReadings("rapidocr", ((TD3[0], _replace(line, 2, "6")), (TD3[0], _replace(line, 25, "5")),
                                        (TD3[0], line)))
    tess = EngineReadings("tesseract-mrz", ((TD3[0], _replace(line, 2, "3")), (TD3[0], _replace(line, 5, "3")),
                                            (TD3[0], line)))
    first = mrz_repair.combine_readings(rapid.readings[0], tess.readings[0], "TD3", today=TODAY)
    assert "document_number" in first.unconfirmed_fields
    data = mrz_repair.combine_readings(vote_reading(rapid, "TD3"), vote_reading(tess, "TD3"), "TD3", today=TODAY)
    assert data.lines == TD3 and data.all_check_digits_valid and data.unconfirmed_fields == ()


def test_names_the_engines_vote_differently_stay_unconfirmed():
    other_name = TD3[0].replace("ANNA", "ANNE")
    rapid = EngineReadings("rapidocr", (TD3, TD3, (other_name, TD3[1])))
    tess = EngineReadings("tesseract-mrz", ((other_name, TD3[1]), (other_name, TD3[1]), TD3))
    data = mrz_repair.combine_readings(vote_reading(rapid, "TD3"), vote_reading(tess, "TD3"), "TD3", today=TODAY)
    assert "given_names" in data.unconfirmed_fields


def _location():
    work = SimpleNamespace(rotation=0)
    return SimpleNamespace(zone_work=work, lines=(), work=work)


def _settle_with_extra_readings(monkeypatch, more, first, rapid, secondary):  # noqa: ANN001, ANN202
    """The vote hook of read_mrz, with the engines' extra readings replaced by ``more``."""
    monkeypatch.setattr(mrz_vote, "extra_readings", lambda *_: more)
    return mrz_read._settle_by_vote(None, first, _location(), rapid, secondary, "TD3", TODAY)


def test_unsettled_zone_is_settled_by_the_votes_of_more_readings(monkeypatch):
    line = TD3[1]
    primary, secondary = (TD3[0], _replace(line, 2, "6")), (TD3[0], _replace(line, 2, "3"))
    tertiary = (TD3[0], _replace(line, 2, "5"))
    first = mrz_repair.combine_readings(primary, secondary, "TD3", today=TODAY)
    more = (EngineReadings("rapidocr", (TD3, TD3)), EngineReadings("tesseract-mrz", (TD3, TD3)))
    data = _settle_with_extra_readings(monkeypatch, more, first, (primary, tertiary), secondary)
    assert data.lines == TD3 and data.all_check_digits_valid and data.unconfirmed_fields == ()
    assert "vote" in data.method


def test_votes_that_settle_nothing_more_leave_the_reading_as_it_was(monkeypatch):
    line = TD3[1]
    primary, secondary = (TD3[0], _replace(line, 2, "6")), (TD3[0], _replace(line, 2, "3"))
    first = mrz_repair.combine_readings(primary, secondary, "TD3", today=TODAY)
    # The extra readings of each engine repeat its first misreading: the votes settle nothing.
    more = (EngineReadings("rapidocr", (primary, primary)), EngineReadings("tesseract-mrz", (secondary, secondary)))
    data = _settle_with_extra_readings(monkeypatch, more, first, (primary,), secondary)
    assert data is first


def test_vote_that_changes_a_field_the_first_readings_settled_is_discarded(monkeypatch):
    # Both first readings agree on the names but fail the document number; the extra
    # readings (same preprocessed pixels for both engines) turn ANNA into ANNE in both votes.
    line = TD3[1]
    primary, secondary = (TD3[0], _replace(line, 2, "6")), (TD3[0], _replace(line, 2, "3"))
    first = mrz_repair.combine_readings(primary, secondary, "TD3", today=TODAY)
    assert "given_names" not in first.unconfirmed_fields
    wrong = (TD3[0].replace("ANNA", "ANNE"), line)
    more = (EngineReadings("rapidocr", (wrong, wrong)), EngineReadings("tesseract-mrz", (wrong, wrong)))
    data = _settle_with_extra_readings(monkeypatch, more, first, (primary,), secondary)
    assert data is first


def test_name_only_the_extra_readings_agree_on_stays_unconfirmed_as_first_read(monkeypatch):
    # The first readings disagree on the names (ANNA / ANNB) and on the document number;
    # the votes agree on ANNE, which no first reading saw: the number is settled, the
    # names stay unconfirmed with the primary's characters.
    line = TD3[1]
    primary = (TD3[0], _replace(line, 2, "6"))
    secondary = (TD3[0].replace("ANNA", "ANNB"), _replace(line, 2, "3"))
    first = mrz_repair.combine_readings(primary, secondary, "TD3", today=TODAY)
    assert "given_names" in first.unconfirmed_fields and "document_number" in first.unconfirmed_fields
    voted = (TD3[0].replace("ANNA", "ANNE"), line)
    more = (EngineReadings("rapidocr", (voted, voted)), EngineReadings("tesseract-mrz", (voted, voted)))
    data = _settle_with_extra_readings(monkeypatch, more, first, (primary,), secondary)
    assert data.lines == (TD3[0], line)
    assert "given_names" in data.unconfirmed_fields and "document_number" not in data.unconfirmed_fields


def _ink_runs(grey: np.ndarray) -> int:
    rows = (grey < 128).sum(axis=1) > 0
    return int(rows[0]) + int(np.count_nonzero(rows[1:] & ~rows[:-1]))


def test_glyph_band_keeps_only_the_lines_own_glyph_rows():
    # Two MRZ-like lines 28 px apart with glyphs ~17 px tall; the detector's box of the
    # first is twice the glyph height, so its crop also holds the top of the second.
    image = np.full((120, 640, 3), 255, np.uint8)
    cv2.putText(image, "P<UTOERIKSSON<<ANNA<MARIA<<<<<", (10, 50), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    cv2.putText(image, "L898902C36UTO7408122F12041592", (10, 78), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    quad = np.array([[5, 22], [620, 22], [620, 62], [5, 62]], np.float32)
    assert _ink_runs(cv2.cvtColor(warp_line(image, quad, pad=0.15), cv2.COLOR_BGR2GRAY)) == 2
    band, glyph_height = glyph_band(image, quad)
    assert _ink_runs(band) == 1
    assert 14 <= glyph_height <= 22
