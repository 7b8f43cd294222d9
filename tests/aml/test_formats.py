"""Each list reader on a small file in its published format, and malformed files refused."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from openidv.aml.formats import ListFormat, ListFormatError, ParseLimits, read_list, sniff_format
from openidv.aml.records import EntitySchema, PartialDate
from tests.aml import samples


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def read_all(path: Path, source: str = "test", fmt=None, **kwargs):  # noqa: ANN001, ANN003, ANN201
    info, entities = read_list(path, source, fmt, **kwargs)
    return info, {e.entity_id: e for e in entities}


def test_ftm_json_reads_persons_and_companies_and_skips_the_rest(tmp_path: Path) -> None:
    info, got = read_all(write(tmp_path, "targets.nested.json", samples.FTM_JSON_LINES))
    assert info.format is ListFormat.FTM_JSON
    assert set(got) == {"NK-ddEHNvaY7JrVJoB6M2gdBb", "NK-kmdtc", "Q7747"}
    gaddafi = got["NK-ddEHNvaY7JrVJoB6M2gdBb"]
    assert gaddafi.schema is EntitySchema.PERSON
    assert gaddafi.name == "Muammar Gaddafi"  # the caption comes first
    assert "Муаммар Каддафи" in gaddafi.aliases and "Abu Minyar" not in gaddafi.aliases
    assert gaddafi.birth_dates == (PartialDate(1942, 6, 7), PartialDate(1942))
    assert gaddafi.countries == ("ly",)
    assert gaddafi.programs == ("UN-SCLYR", "Libya")
    assert gaddafi.topics == ("sanction", "role.pep")
    assert gaddafi.list_date == "2011-02-26"
    assert got["NK-kmdtc"].schema is EntitySchema.ORGANISATION
    assert got["NK-kmdtc"].list_date == "2018-01-01"
    assert got["Q7747"].name == "Vladimir Vladimirovich Putin"
    assert info.skipped["schema Address"] == 1 and info.skipped["not_target"] == 1
    assert info.entities == 3 and len(info.sha256) == 64


def test_opensanctions_csv_reads_multi_valued_cells(tmp_path: Path) -> None:
    info, got = read_all(write(tmp_path, "targets.simple.csv", samples.OPENSANCTIONS_CSV))
    assert info.format is ListFormat.OPENSANCTIONS_CSV
    assert set(got) == {"NK-ddEHNvaY7JrVJoB6M2gdBb", "NK-kmdtc"}
    gaddafi = got["NK-ddEHNvaY7JrVJoB6M2gdBb"]
    assert gaddafi.aliases == ("Muammar al-Qaddafi", "Муаммар Каддафи", "معمر القذافي")
    assert gaddafi.birth_dates == (PartialDate(1942, 6, 7), PartialDate(1942))
    assert gaddafi.programs == ("UN-SCLYR", "EU-LBY")
    assert gaddafi.list_date == "2021-09-26"
    assert info.skipped["schema Vessel"] == 1


def test_un_xml_reads_individuals_and_entities(tmp_path: Path) -> None:
    info, got = read_all(write(tmp_path, "consolidated.xml", samples.UN_XML))
    assert info.format is ListFormat.UN_XML and info.list_date == "2024-03-05"
    qadhafi = got["LYi.009"]
    assert qadhafi.name == "MUAMMAR MOHAMMED ABU MINYAR QADHAFI"
    assert qadhafi.aliases == ("معمر محمد أبو منيار القذافي", "Muammar Gaddafi")  # "Low" alias dropped
    assert qadhafi.birth_dates == (PartialDate(1942),)
    assert qadhafi.countries == ("ly",)  # "Libyan Arab Jamahiriya"
    assert qadhafi.programs == ("Libya",) and qadhafi.list_date == "2011-02-26"
    vahidi = got["IRi.039"]
    assert vahidi.countries == ("ir",)  # "Iran (Islamic Republic of)"
    assert vahidi.birth_dates == (PartialDate(1958), PartialDate(1959), PartialDate(1958, 7, 27))
    company = got["KPe.001"]
    assert company.schema is EntitySchema.ORGANISATION and company.countries == ("kp",)
    assert info.skipped["low_quality_alias"] == 1


def test_eu_xml_reads_attributes(tmp_path: Path) -> None:
    info, got = read_all(write(tmp_path, "export.xml", samples.EU_XML))
    assert info.format is ListFormat.EU_XML and info.list_date == "2024-03-04"
    qadhafi = got["EU.27.28"]
    assert qadhafi.names == ("Muammar Mohammed Abu Minyar QADHAFI", "Муаммар Каддафи")
    assert qadhafi.birth_dates == (PartialDate(1942, 6, 7),)
    assert qadhafi.countries == ("ly",) and qadhafi.programs == ("LBY",)
    assert qadhafi.list_date == "2011-03-02"
    assert qadhafi.url.startswith("http://eur-lex.europa.eu/")
    shoigu = got["EU.7201.41"]
    assert shoigu.birth_dates == (PartialDate(1955),) and shoigu.countries == ("ru",)
    assert shoigu.list_date == "2022-02-23"  # designationDate wins over the regulation
    assert got["EU.2717.40"].schema is EntitySchema.ORGANISATION


def test_ofac_csv_reads_remarks_and_joins_aliases(tmp_path: Path) -> None:
    sdn = write(tmp_path, "sdn.csv", samples.OFAC_SDN_CSV)
    alt = write(tmp_path, "alt.csv", samples.OFAC_ALT_CSV)
    info, got = read_all(sdn, aliases_path=alt)
    assert info.format is ListFormat.OFAC_CSV
    assert set(got) == {"306", "2675", "7592"} and info.skipped["vessel"] == 1
    qadhafi = got["2675"]
    assert qadhafi.schema is EntitySchema.PERSON
    assert qadhafi.names == ("QADHAFI, Muammar", "GADDAFI, Muammar", "AL-QADHAFI, Muammar Muhammad Abu Minyar")
    assert qadhafi.birth_dates == (PartialDate(1942, 6, 7), PartialDate(1943))
    assert qadhafi.countries == ("ly",) and qadhafi.programs == ("LIBYA2",)
    assert qadhafi.url.endswith("id=2675")
    vahidi = got["7592"]
    assert vahidi.birth_dates == (PartialDate(1958), PartialDate(1959))
    assert vahidi.countries == ("ir",) and vahidi.programs == ("NPWMD", "IFSR")
    assert got["306"].schema is EntitySchema.ORGANISATION
    assert got["306"].aliases == ("NATIONAL BANK OF CUBA",)


def test_gzip_files_are_read_and_hashed_decompressed(tmp_path: Path) -> None:
    plain = write(tmp_path, "consolidated.xml", samples.UN_XML)
    packed = tmp_path / "consolidated.xml.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    info_plain, got_plain = read_all(plain)
    info_packed, got_packed = read_all(packed)
    assert got_plain == got_packed and info_plain.sha256 == info_packed.sha256


@pytest.mark.parametrize("name, text, expected", [
    ("a.json", samples.FTM_JSON_LINES, ListFormat.FTM_JSON),
    ("a.csv", samples.OPENSANCTIONS_CSV, ListFormat.OPENSANCTIONS_CSV),
    ("a.xml", samples.UN_XML, ListFormat.UN_XML),
    ("b.xml", samples.EU_XML, ListFormat.EU_XML),
    ("sdn.csv", samples.OFAC_SDN_CSV, ListFormat.OFAC_CSV),
])
def test_format_is_sniffed_from_content(tmp_path: Path, name: str, text: str, expected: ListFormat) -> None:
    assert sniff_format(write(tmp_path, name, text)) is expected


# --- malformed input ------------------------------------------------------------------

def refused(tmp_path: Path, text: str, fmt: ListFormat | None = None, **kwargs) -> str:  # noqa: ANN003
    path = write(tmp_path, "bad", text)
    with pytest.raises(ListFormatError) as caught:
        read_all(path, fmt=fmt, **kwargs)
    return str(caught.value)


def test_ftm_line_that_is_not_json_is_refused_with_its_line(tmp_path: Path) -> None:
    lines = samples.FTM_JSON_LINES.splitlines()
    lines.insert(2, '{"id": "x", "schema": "Person", "properties": {')
    assert refused(tmp_path, "\n".join(lines)).startswith("line 3: not JSON")


def test_ftm_object_without_properties_is_refused(tmp_path: Path) -> None:
    assert "line 1: not a FollowTheMoney entity" in refused(tmp_path, '{"id": "x", "schema": "Person"}\n')


def test_ftm_property_that_is_not_a_list_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, '{"id": "x", "schema": "Person", "properties": {"name": "Bob"}}\n')
    assert message == "line 1 (entity x): property 'name' is not a list"


def test_overlong_line_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, samples.FTM_JSON_LINES, limits=ParseLimits(max_line_chars=200))
    assert message.startswith("line 1: longer than 200 characters")


def test_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    assert "larger than the limit" in refused(tmp_path, samples.EU_XML, limits=ParseLimits(max_bytes=1000))


def test_too_many_entries_are_refused(tmp_path: Path) -> None:
    assert "more than 2 entries" in refused(tmp_path, samples.FTM_JSON_LINES, limits=ParseLimits(max_entities=2))


def test_csv_without_the_opensanctions_header_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, "id,name\n1,Bob\n", ListFormat.OPENSANCTIONS_CSV)
    assert message.startswith("line 1: header lacks column(s) schema")


def test_csv_row_with_missing_columns_is_refused(tmp_path: Path) -> None:
    text = samples.OPENSANCTIONS_CSV + "NK-short,Person\n"
    assert refused(tmp_path, text).startswith("line 5: 16 columns expected")


def test_csv_with_an_unclosed_quote_is_refused(tmp_path: Path) -> None:
    text = samples.OPENSANCTIONS_CSV + 'NK-x,Person,"Bob' + "x" * 200_000 + "\n"
    assert refused(tmp_path, text).startswith("line ")


def test_xml_that_is_cut_short_is_refused_with_its_position(tmp_path: Path) -> None:
    message = refused(tmp_path, samples.UN_XML[:1500])
    assert message.startswith("XML is not well-formed at line")


def test_xml_with_entities_is_refused(tmp_path: Path) -> None:
    bomb = ('<?xml version="1.0"?><!DOCTYPE CONSOLIDATED_LIST [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>'
            "<DATAID>1</DATAID><FIRST_NAME>&b;</FIRST_NAME></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>")
    assert "DTDs and entities are not accepted" in refused(tmp_path, bomb, ListFormat.UN_XML)


def test_un_individual_without_a_name_is_refused_naming_it(tmp_path: Path) -> None:
    text = samples.UN_XML.replace("<FIRST_NAME>AHMAD</FIRST_NAME>", "").replace(
        "<SECOND_NAME>VAHIDI</SECOND_NAME>", "")
    assert refused(tmp_path, text) == "INDIVIDUAL #2 (IRi.039): no FIRST_NAME"


def test_eu_entity_of_unknown_subject_type_is_refused(tmp_path: Path) -> None:
    text = samples.EU_XML.replace('code="enterprise"', 'code="vessel"')
    assert "sanctionEntity #3 (EU.2717.40): subjectType 'vessel'" in refused(tmp_path, text)


def test_wrong_root_element_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, samples.EU_XML, ListFormat.UN_XML)
    assert message == "root element is <export>, expected <CONSOLIDATED_LIST>"


def test_ofac_row_with_wrong_column_count_is_refused(tmp_path: Path) -> None:
    text = samples.OFAC_SDN_CSV.replace('"-0- ","a.k.a.', '"a.k.a.', 1)
    assert refused(tmp_path, text).startswith("line 1: 12 columns expected, found 11")


def test_ofac_non_numeric_entry_number_is_refused(tmp_path: Path) -> None:
    text = samples.OFAC_SDN_CSV.replace("2675,", "X2675,", 1)
    assert refused(tmp_path, text, ListFormat.OFAC_CSV) == "line 2: ent_num 'X2675' is not a number"


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    assert refused(tmp_path, "hello world\n").startswith("unknown list format")


def test_text_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(samples.OPENSANCTIONS_CSV.replace("Муаммар Каддафи", "Kaddafi é").encode("latin-1", "replace"))
    with pytest.raises(ListFormatError, match="not UTF-8"):
        read_all(path)


def test_names_past_the_soft_limits_are_dropped_and_counted(tmp_path: Path) -> None:
    info, got = read_all(write(tmp_path, "t.json", samples.FTM_JSON_LINES),
                         limits=ParseLimits(max_names_per_entity=2, max_name_chars=20))
    assert got["NK-ddEHNvaY7JrVJoB6M2gdBb"].names == ("Muammar Gaddafi", "Муаммар Каддафи")
    assert info.skipped["name_too_long"] >= 1 and info.skipped["names_over_limit"] >= 1
