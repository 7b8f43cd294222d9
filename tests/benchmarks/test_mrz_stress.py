"""The MRZ stress-set generator: its ICAO encoder agrees with printed specimens, generation
is the same for the same seed, malformed zones are recorded as such; and the benchmark's
scoring counts the dangerous errors."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from benchmarks.mrzeval.scoring import Item, Reading, score
from benchmarks.mrzstress import icao
from benchmarks.mrzstress.truth import MALFORMATIONS, draw_truth

# ICAO Doc 9303 part 4, appendix: the specimen passport of Utopia (fictional).
UTOPIA_TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
              "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
# ICAO Doc 9303 part 5: the TD1 specimen (document number with check digit 6 in column 15).
UTOPIA_TD1 = ("I<UTOD231458907<<<<<<<<<<<<<<<",
              "7408122F1204159UTO<<<<<<<<<<<6",
              "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
@pytest.fixture
def fonts() -> None:
    """Rendering needs Debian font packages (scripts/install.sh --test installs them)."""
    from benchmarks.mrzstress.layout import FontMissing, check_fonts

    try:
        check_fonts()
    except FontMissing as exc:
        pytest.skip(str(exc))


MANIFEST_KEYS = {"number": "document_number", "dob": "birth", "expiry": "expiry",
                 "personal": "personal_number", "composite": "composite"}


def test_encoder_reproduces_the_icao_specimens() -> None:
    td3 = icao.Zone(fmt="TD3", document_code="P<", issuing_state="UTO", primary_identifier="ERIKSSON",
                    secondary_identifier="ANNA<MARIA", document_number="L898902C3", nationality="UTO",
                    birth="740812", sex="F", expiry="120415", optional_data="ZE184226B")
    assert icao.encode(td3) == UTOPIA_TD3
    td1 = icao.Zone(fmt="TD1", document_code="I<", issuing_state="UTO", primary_identifier="ERIKSSON",
                    secondary_identifier="ANNA<MARIA", document_number="D23145890", nationality="UTO",
                    birth="740812", sex="F", expiry="120415")
    assert icao.encode(td1) == UTOPIA_TD1
    assert icao.problems(UTOPIA_TD3) == [] and icao.problems(UTOPIA_TD1) == []


def _specimens(data_dir: Path) -> list[dict]:
    items = []
    for folder in (data_dir / "documents", data_dir / "extra" / "documents"):
        if (folder / "manifest.json").exists():
            items += [it for it in json.loads((folder / "manifest.json").read_text())["items"] if it.get("mrz_lines")]
    return items


def test_check_digits_agree_with_every_printed_specimen(test_data_dir: Path) -> None:
    """The manifests say, per field, whether the issuer's printed check digit verifies
    (transcribed and checked independently of this code): ours must say the same, and
    every valid zone must come out of our encoder character for character."""
    specimens = _specimens(test_data_dir)
    assert len(specimens) >= 60
    reencoded = 0
    for it in specimens:
        lines = tuple(it["mrz_lines"])
        fmt = icao.format_of(lines)
        if fmt is None:  # a name line printed short (colombian-cedula): no ICAO shape
            assert not it["check_digits_all_valid"]
            continue
        ours = icao.check_results(lines, fmt)
        expected = {MANIFEST_KEYS[k]: v for k, v in it["check_digits"].items()}
        assert {k: ours[k] for k in expected} == expected, it["file"]
        if it["check_digits_all_valid"]:
            assert icao.encode(icao.decode(lines)) == lines, it["file"]
            reencoded += 1
    assert reencoded >= 55


def test_long_td1_document_number_follows_the_icao_rule() -> None:
    zone = icao.Zone(fmt="TD1", document_code="ID", issuing_state="NLD", primary_identifier="DE<BRUIJN",
                     secondary_identifier="WILLEKE", document_number="XYZ1234567890", nationality="NLD",
                     birth="650310", sex="F", expiry="240309", optional_data="123")
    line1 = icao.encode(zone)[0]
    assert line1[5:15] == "XYZ123456<"  # first 9 characters, filler where the check digit was
    assert line1[15:20] == "7890" + icao.check_digit("XYZ1234567890")
    assert line1[20:24] == "<123"
    assert icao.decode(icao.encode(zone)) == zone
    assert icao.problems(icao.encode(zone)) == []


def test_impossible_dates_and_letters_are_problems_even_when_check_digits_pass() -> None:
    visa = icao.Zone(fmt="MRVA", document_code="V<", issuing_state="UTO", primary_identifier="ERIKSSON",
                     secondary_identifier="ANNA", document_number="L8988901C", nationality="XXX",
                     birth="400907", sex="F", expiry="970863")  # the hidden-set visa misread
    lines = icao.encode(visa)
    assert all(icao.check_results(lines, "MRVA").values())
    assert icao.problems(lines) == ["impossible date: date_of_expiry"]
    lettered = icao.encode(replace(visa, expiry="9708A1"))
    assert "impossible date: date_of_expiry" in icao.problems(lettered)
    assert icao.calendar_date("000229") and not icao.calendar_date("010230")
    # '<' is no check digit (0 would verify here), except after an empty TD3 personal number.
    unchecked = (UTOPIA_TD3[0], UTOPIA_TD3[1][:43] + "<")
    assert icao.check_digit(UTOPIA_TD3[1][0:10] + UTOPIA_TD3[1][13:20] + UTOPIA_TD3[1][21:43]) == "0"
    assert icao.problems(unchecked) == ["check digit fails: composite"]


def test_malformed_truths_are_recorded_and_invalid() -> None:
    rng = np.random.default_rng(5)
    seen = set()
    for _ in range(300):
        truth = draw_truth(rng, malformed_share=1.0)
        assert truth.malformation in MALFORMATIONS
        assert icao.problems(truth.lines), (truth.malformation, truth.lines)
        seen.add(truth.malformation)
    assert seen == set(MALFORMATIONS)
    for _ in range(300):
        truth = draw_truth(rng, malformed_share=0.0)
        assert truth.malformation is None and icao.problems(truth.lines) == [], truth.lines


def test_truths_cover_formats_states_and_scripts() -> None:
    rng = np.random.default_rng(7)
    truths = [draw_truth(rng, 0.0) for _ in range(1000)]
    assert {t.zone.fmt for t in truths} == {"TD1", "TD2", "TD3", "MRVA", "MRVB"}
    assert len({t.zone.issuing_state for t in truths}) >= 40
    assert {t.script for t in truths} >= {"latin-diacritics", "cyrillic", "greek", "arabic", "cjk"}
    assert any(t.long_number for t in truths) and any(t.long_optional for t in truths)


def test_generation_is_deterministic_per_seed(fonts: None) -> None:
    from benchmarks.mrzstress.generate import generate

    first, again, other = generate(11, 3), generate(11, 3), generate(12, 3)
    assert first.jpeg == again.jpeg and first.record() == again.record()
    assert first.jpeg != other.jpeg
    c = first.conditions
    assert 400 <= max(c.width, c.height) <= 800 and 25 <= c.jpeg_quality <= 60 and c.mrz_char_px > 0


@pytest.mark.slow
def test_malformed_samples_are_flagged_in_the_generated_set(fonts: None) -> None:
    from benchmarks.mrzstress.generate import MALFORMED_SHARE, generate

    # The truth is drawn first from the sample's own generator: find malformed ones cheaply.
    indexes = [i for i in range(100)
               if draw_truth(np.random.default_rng([9303, i]), MALFORMED_SHARE).malformation][:4]
    assert indexes, "no malformed sample among the first 100"
    malformed = [generate(9303, i) for i in indexes]
    for s in malformed:
        assert s.truth.malformation
        record = s.record()
        assert not record["valid"] and not record["expect_readable"] and record["problems"]


def _reading(lines: tuple[str, ...] | None, accepted: bool) -> Reading:
    return Reading(lines, icao.fields(lines) if lines else {}, accepted, accepted, 0.1, 0.1,
                   {"located": lines is not None, "format": icao.format_of(lines) if lines else None,
                    "primary": list(lines or ()), "secondary": []})


def test_scoring_counts_the_dangerous_errors_apart() -> None:
    wrong = (UTOPIA_TD3[0].replace("ERIKSSON", "ERIKSSDN"), UTOPIA_TD3[1])
    item = Item("utopia", Path("x"), UTOPIA_TD3, "icao")
    exact = score(item, _reading(UTOPIA_TD3, True))
    assert exact.exact and not exact.wrong_accepted
    accepted_wrong = score(item, _reading(wrong, True))
    assert accepted_wrong.wrong_accepted and accepted_wrong.cause == "recognition"
    assert "names" in accepted_wrong.diff
    reviewed = score(item, _reading(wrong, False))
    assert not reviewed.wrong_accepted
    invalid = tuple(icao.encode(replace(icao.decode(UTOPIA_TD3), expiry="970863")))
    bad = score(Item("bad", Path("x"), invalid, "icao"), _reading(UTOPIA_TD3, True))
    assert bad.invalid_accepted and not bad.wrong_accepted
    none = score(Item("blank", Path("x"), None, "icao"), _reading(UTOPIA_TD3, False))
    assert none.invented and not none.exact


def test_leave_one_source_out_patches_the_reader_and_restores_it() -> None:
    from benchmarks.mrzeval import loso

    before = loso.current_values(list(loso.GRID))
    combo = (("ZONE_LINE_HEIGHT_PX", 32), ("GEOMETRIC_MRZ_MIN_ASPECT", 14.0))
    with loso.patched(combo):
        assert loso.current_values(["ZONE_LINE_HEIGHT_PX", "GEOMETRIC_MRZ_MIN_ASPECT"]) == {
            "ZONE_LINE_HEIGHT_PX": 32, "GEOMETRIC_MRZ_MIN_ASPECT": 14.0}
    assert loso.current_values(list(loso.GRID)) == before
    with pytest.raises(LookupError):
        with loso.patched((("NO_SUCH_CONSTANT", 1),)):
            pass
