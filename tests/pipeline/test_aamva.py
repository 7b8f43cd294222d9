"""AAMVA barcode payloads: each version's layout parsed into checked fields, garbage refused
with its reason, and the comparison with another reading of the card."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openidv.pipeline.aamva import AamvaError, AamvaRefusal, DocumentType, Sex, parse_aamva
from openidv.pipeline.aamva_crosscheck import aamva_mismatches

# Version 10 (2020), Virginia, written out in full: header with jurisdiction version 01 and two
# subfiles (DL at byte 41, 266 long; ZV right after), dates MMDDCCYY.
VIRGINIA_V10 = (
    "@\n\x1e\rANSI 636000100102DL00410266ZV03070008"
    "DLDAQT64235789\nDCSSAMPLE\nDDEN\nDACMICHAEL\nDDFN\nDADJOHN\nDDGN\nDCUJR\nDCAD\nDCBK\nDCDPH\n"
    "DBD06062019\nDBB06061986\nDBA12102024\nDBC1\nDAU068 in\nDAYBRO\nDAG2300 WEST BROAD STREET\n"
    "DAIRICHMOND\nDAJVA\nDAK232690000  \nDCF2424244747474786102204\nDCGUSA\nDCK123456789\nDDAF\n"
    "DDB06062018\nDDD1\rZVZVA01\r"
)


def aamva_file(iin: str, version: int, subfiles: list[tuple[str, list[str]]], *,
               jurisdiction_version: int = 0, offset_shift: int = 0) -> str:
    """A payload from hand-written elements: header, designators with computed offsets."""
    bodies = [kind + "\n".join(elements) + "\r" for kind, elements in subfiles]
    header = "@\n\x1e\rANSI " + iin + f"{version:02d}"
    header += "" if version == 1 else f"{jurisdiction_version:02d}"
    header += f"{len(bodies):02d}"
    offset, designators = len(header) + 10 * len(bodies), ""
    for (kind, _), body in zip(subfiles, bodies):
        designators += f"{kind}{offset + offset_shift:04d}{len(body):04d}"
        offset += len(body)
    return header + designators + "".join(bodies)


def test_version_10_virginia_licence_is_read_field_by_field():
    data = parse_aamva(VIRGINIA_V10)
    assert data.document_type is DocumentType.DRIVER_LICENSE
    assert (data.version, data.jurisdiction_version, data.iin) == (10, 1, "636000")
    assert (data.issuing_jurisdiction, data.country) == ("VA", "US")
    assert (data.last_name, data.first_name, data.middle_name, data.name_suffix) == ("SAMPLE", "MICHAEL", "JOHN", "JR")
    assert data.document_number == "T64235789"
    assert data.date_of_birth == dt.date(1986, 6, 6)
    assert data.date_of_issue == dt.date(2019, 6, 6)
    assert data.date_of_expiry == dt.date(2024, 12, 10)
    assert data.sex is Sex.MALE
    assert data.address.street == "2300 WEST BROAD STREET"
    assert (data.address.city, data.address.jurisdiction, data.address.postal_code) == ("RICHMOND", "VA", "23269")
    assert data.categories == ("D",)
    assert data.jurisdiction_subfiles == {"ZV": {"ZVA": "01"}}
    assert data.unparsed == () and data.notes == ()


def test_version_8_id_card_without_middle_name():
    payload = aamva_file("636001", 8, [("ID", [
        "DBA03152029", "DCSNGUYEN", "DACLINH", "DADNONE", "DBD03152021", "DBB11301990", "DBC2",
        "DAYBRO", "DAU062 in", "DAG12 MAPLE AVE", "DAIALBANY", "DAJNY", "DAK122070000",
        "DAQ123456789", "DCF0123456789ABCDEF", "DCGUSA", "DDEN", "DDFN", "DDGN"])], jurisdiction_version=3)
    data = parse_aamva(payload)
    assert data.document_type is DocumentType.ID_CARD
    assert (data.issuing_jurisdiction, data.version, data.jurisdiction_version) == ("NY", 8, 3)
    assert (data.last_name, data.first_name, data.middle_name) == ("NGUYEN", "LINH", None)
    assert data.sex is Sex.FEMALE
    assert data.date_of_birth == dt.date(1990, 11, 30)
    assert data.date_of_expiry == dt.date(2029, 3, 15)
    assert data.categories == ()  # vehicle classes belong to licences only
    assert data.notes == ()


def test_version_3_given_names_in_one_element_and_canadian_dates_year_first():
    payload = aamva_file("636012", 3, [("DL", [
        "DCAG2", "DCBNONE", "DCDNONE", "DBA20290131", "DCSTREMBLAY", "DCTCHLOE,MARIE ANNE",
        "DBD20240131", "DBB19950704", "DBC2", "DAYBLU", "DAU165 cm", "DAG100 KING ST W",
        "DAITORONTO", "DAJON", "DAKM5H1A1   ", "DAQT12345678950704", "DCF00A1B2C3", "DCGCAN",
        "DCHNONE"]), ("ZO", ["ZOA1", "ZOBN"])], jurisdiction_version=1)
    data = parse_aamva(payload)
    assert (data.country, data.issuing_jurisdiction, data.issuing_jurisdiction_name) == ("CA", "ON", "Ontario")
    assert (data.last_name, data.first_name, data.middle_name) == ("TREMBLAY", "CHLOE", "MARIE ANNE")
    assert data.date_of_birth == dt.date(1995, 7, 4)
    assert data.date_of_issue == dt.date(2024, 1, 31)
    assert data.date_of_expiry == dt.date(2029, 1, 31)
    assert data.address.postal_code == "M5H 1A1"
    assert data.categories == ("G2",)
    assert data.jurisdiction_subfiles["ZO"] == {"ZOA": "1", "ZOB": "N"}
    assert data.notes == ()  # read in the order the version declares, not by the fallback


def test_version_2_dates_are_month_first():
    payload = aamva_file("636015", 2, [("DL", [
        "DCAC", "DCBNONE", "DCDNONE", "DBA08012011", "DCSGARCIA", "DCTDAVID LEE", "DBD08012005",
        "DBB02281970", "DBC1", "DAYBRO", "DAU070 in", "DAG5 OAK DRIVE", "DAIAUSTIN", "DAJTX",
        "DAK787010000", "DAQ01234567", "DCF1", "DCGUSA", "DCHNONE"])])
    data = parse_aamva(payload)
    assert (data.first_name, data.middle_name) == ("DAVID", "LEE")
    assert data.date_of_birth == dt.date(1970, 2, 28)
    assert data.notes == ()


def test_version_1_full_name_element_and_year_first_dates():
    # 2000 standard: 19-byte header without jurisdiction version, DAA "LAST,FIRST,MIDDLE",
    # dates CCYYMMDD, classification in DAR, sex written M/F by some issuers.
    payload = aamva_file("636000", 1, [("DL", [
        "DAQA12345678", "DAAJOHNSON,SARAH,ANNE", "DAG77 MAIN ST", "DAIRICHMOND", "DAJVA",
        "DAK23219", "DARD", "DASNONE", "DATNONE", "DBA20060412", "DBB19720412", "DBCF",
        "DBD20010315", "DAU507", "DAYGRN"])])
    assert payload[15:19] == "0101"  # version 01, one entry: no jurisdiction version
    data = parse_aamva(payload)
    assert (data.version, data.jurisdiction_version) == (1, None)
    assert (data.last_name, data.first_name, data.middle_name) == ("JOHNSON", "SARAH", "ANNE")
    assert data.date_of_birth == dt.date(1972, 4, 12)
    assert data.date_of_expiry == dt.date(2006, 4, 12)
    assert data.sex is Sex.FEMALE
    assert data.categories == ("D",)
    assert data.address.postal_code == "23219"
    assert data.notes == ()


def test_version_1_separate_name_elements_and_suffix_in_full_name():
    separate = parse_aamva(aamva_file("636010", 1, [("ID", [
        "DAQS5301234567", "DABWILLIAMS", "DACNOAH", "DBB19800101", "DBA20080101"])]))
    assert (separate.last_name, separate.first_name, separate.middle_name) == ("WILLIAMS", "NOAH", None)
    suffixed = parse_aamva(aamva_file("636010", 1, [("ID", [
        "DAQS5301234567", "DAAWILLIAMS,NOAH,PAUL,JR", "DBB19800101"])]))
    assert (suffixed.middle_name, suffixed.name_suffix) == ("PAUL", "JR")


def test_offsets_off_by_one_and_padded_values_are_tolerated_and_noted():
    payload = aamva_file("636045", 9, [("DL", [
        "DCAD", "DBA01012030", "DCSLEE  ", "DACEMMA", "DADunavl", "DBD01012022", "DBB05051999",
        "DBC9", "DAG1 LAKESHORE BLVD", "DAIOLYMPIA", "DAJWA", "DAK98501", "DAQWDL123456789",
        "DCGUSA"]), ("ZW", ["ZWA1"])], offset_shift=1)
    data = parse_aamva(payload)
    assert (data.last_name, data.middle_name, data.sex) == ("LEE", None, Sex.UNSPECIFIED)
    assert data.jurisdiction_subfiles == {"ZW": {"ZWA": "1"}}
    assert any("declared offset" in note for note in data.notes)


def test_date_in_the_other_order_is_read_and_noted():
    payload = aamva_file("636014", 8, [("DL", [
        "DBA20300101", "DCSPATEL", "DACAVA", "DBB19990315", "DAQD1234567", "DCGUSA"])])
    data = parse_aamva(payload)
    assert data.date_of_birth == dt.date(1999, 3, 15)
    assert any(note.startswith("DBB written CCYYMMDD") for note in data.notes)


def test_bytes_are_accepted():
    assert parse_aamva(VIRGINIA_V10.encode("ascii")).document_number == "T64235789"


@pytest.mark.parametrize("payload, reason", [
    ("", AamvaRefusal.NOT_AAMVA),
    ("https://example.com/verify?id=12345678901234567890", AamvaRefusal.NOT_AAMVA),
    ("@\n\x1e\rPDF-1" + "0" * 40, AamvaRefusal.NOT_AAMVA),
    ("@\n\x1e\rANSI 63600A100102DL00410266", AamvaRefusal.NOT_AAMVA),
    (VIRGINIA_V10.replace("ANSI 636000", "ANSI 999999"), AamvaRefusal.UNKNOWN_ISSUER),
    (VIRGINIA_V10.replace("ANSI 63600010", "ANSI 63600011"), AamvaRefusal.UNSUPPORTED_VERSION),
    (VIRGINIA_V10.replace("ANSI 63600010", "ANSI 63600000"), AamvaRefusal.UNSUPPORTED_VERSION),
    (VIRGINIA_V10.replace("DBB06061986", "DBB02301986"), AamvaRefusal.INVALID_DATE),
    (VIRGINIA_V10.replace("DBA12102024", "DBA1210202"), AamvaRefusal.INVALID_DATE),
    (VIRGINIA_V10.replace("DBA12102024", "DBA12102018"), AamvaRefusal.INCONSISTENT),
    (VIRGINIA_V10.replace("DCGUSA", "DCGCAN"), AamvaRefusal.INCONSISTENT),
    (VIRGINIA_V10.replace("DAQT64235789\n", ""), AamvaRefusal.MISSING_ELEMENT),
    (VIRGINIA_V10.replace("DBB06061986\n", ""), AamvaRefusal.MISSING_ELEMENT),
    (VIRGINIA_V10.replace("DLDAQ", "XXDAQ").replace("DL0041", "XX0041"), AamvaRefusal.NO_DOCUMENT_SUBFILE),
    (VIRGINIA_V10[:60], AamvaRefusal.MISSING_ELEMENT),
    (VIRGINIA_V10 + "X" * 5000, AamvaRefusal.TOO_LONG),
    ("@\n\x1e\rANSI 636000100102DL0041026" + "\x00\x01garbage" * 20, AamvaRefusal.NOT_AAMVA),
])
def test_garbage_is_refused_with_its_reason(payload, reason):
    with pytest.raises(AamvaError) as refused:
        parse_aamva(payload)
    assert refused.value.reason is reason
    assert refused.value.message


def test_subfile_of_mostly_malformed_elements_is_refused():
    payload = aamva_file("636000", 10, [("DL", ["dcsSAMPLE", "12345", "?? junk", "DAQT1", "DBB06061986"])])
    with pytest.raises(AamvaError) as refused:
        parse_aamva(payload)
    assert refused.value.reason is AamvaRefusal.MALFORMED


def test_full_name_without_delimiters_is_refused_not_guessed():
    payload = aamva_file("636000", 1, [("DL", ["DAQA1", "DAAJOHN Q PUBLIC", "DBB19700101"])])
    with pytest.raises(AamvaError) as refused:
        parse_aamva(payload)
    assert refused.value.reason is AamvaRefusal.MISSING_ELEMENT


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(VIRGINIA_V10) - 1), st.text(max_size=8), st.integers(0, 8))
def test_damaged_payloads_raise_only_aamva_errors(position, inserted, removed):
    damaged = VIRGINIA_V10[:position] + inserted + VIRGINIA_V10[position + removed:]
    try:
        data = parse_aamva(damaged)
    except AamvaError:
        return
    # Whatever survives the damage still satisfies the checks.
    assert data.date_of_birth.year >= 1900 and data.document_number and data.last_name


# ---- cross-check with another reading ------------------------------------------------------

def test_matching_reading_has_no_mismatch():
    data = parse_aamva(VIRGINIA_V10)
    printed = {"surname": "Sample", "given_names": "Michael J", "date_of_birth": "1986-06-06",
               "date_of_expiry": dt.date(2024, 12, 10), "document_number": "T 642-357-89"}
    assert aamva_mismatches(data, printed) == []


@dataclass(frozen=True)
class PrintedFields:
    """Shaped like the pipeline's printed-text and MRZ readings (attributes, ISO dates)."""

    surname: Optional[str] = None
    given_names: Optional[str] = None
    document_number: Optional[str] = None
    date_of_birth: Optional[str] = None
    date_of_expiry: Optional[str] = None
    date_of_issue: Optional[str] = None


def test_each_disagreeing_field_is_named():
    data = parse_aamva(VIRGINIA_V10)
    printed = PrintedFields(surname="SIMPLE", given_names="MIKE JOHN", document_number="T64235780",
                             date_of_birth="1986-06-07", date_of_expiry="2024-12-10", date_of_issue="2019-06-06")
    assert aamva_mismatches(data, printed) == ["surname", "given_names", "date_of_birth", "document_number"]


def test_missing_fields_are_not_compared_and_extra_given_names_are_a_mismatch():
    data = parse_aamva(VIRGINIA_V10)
    assert aamva_mismatches(data, {"surname": None, "date_of_birth": "unreadable"}) == []
    assert aamva_mismatches(data, {"given_names": "MICHAEL JOHN PETER"}) == ["given_names"]


def test_accents_are_ignored_and_a_truncated_name_may_be_a_prefix():
    payload = aamva_file("604428", 9, [("DL", [
        "DBA20300101", "DCSGAGNON-BOUCHARDIERE", "DDET", "DACELODIE", "DDFN", "DBB19850101",
        "DAQG1234", "DCGCAN"])])
    data = parse_aamva(payload)
    assert data.truncated == ("last_name",)
    assert aamva_mismatches(data, {"surname": "Gagnon-Bouchardière", "given_names": "Élodie"}) == []
    assert aamva_mismatches(data, {"surname": "GAGNON-BOUCHARDIERES-LAVOIE"}) == []
    assert aamva_mismatches(data, {"surname": "GAGNIER"}) == ["surname"]
