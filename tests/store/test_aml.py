"""Sanctions lists in the database (SQLite and PostgreSQL): loading, atomic replacement seen
by a concurrent reader, failed loads, reviewers' false-positive memory, re-screening."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from openidv.aml.formats import ListFormatError
from openidv.aml.records import PartialDate, ScreenedPerson, Verdict
from openidv.services import aml
from openidv.store.models import AmlEntity, AmlListVersion, AmlNameKey
from tests.aml import samples


def ftm_file(tmp_path: Path, name: str, people: list[tuple[str, str, str]]) -> Path:
    """An FtM JSON-lines file of persons given as (id, name, birth date)."""
    path = tmp_path / name
    path.write_text("".join(json.dumps({"id": i, "schema": "Person", "properties": {
        "name": [n], "birthDate": [d] if d else [], "nationality": ["ly"]}}) + "\n" for i, n, d in people))
    return path


def person(name: str, dob: str | None = None) -> ScreenedPerson:
    return ScreenedPerson((name,), PartialDate.parse(dob) if dob else None)


def test_loaded_lists_are_screened_and_described(sessions, tmp_path: Path) -> None:
    (tmp_path / "un.xml").write_text(samples.UN_XML)
    (tmp_path / "sdn.csv").write_text(samples.OFAC_SDN_CSV, newline="")
    (tmp_path / "alt.csv").write_text(samples.OFAC_ALT_CSV, newline="")
    with sessions() as s:
        report = aml.load_list(s, tmp_path / "un.xml")
        aml.load_list(s, tmp_path / "sdn.csv", aliases_path=tmp_path / "alt.csv")
    assert report.source == "un-sc" and report.entities == 3 and report.list_date == "2024-03-05"
    with sessions() as s:
        sources = {src.name: src for src in aml.list_sources(s)}
        hits = aml.screen(s, person("Moammar Kadhafi", "1942-06-07"))
    assert set(sources) == {"un-sc", "us-ofac-sdn"}
    assert sources["un-sc"].entities == 3 and len(sources["un-sc"].file_sha256) == 64
    assert {(h.entity.source, h.entity.entity_id) for h in hits} == {("un-sc", "LYi.009"), ("us-ofac-sdn", "2675")}
    assert hits[0].source_list_date in ("2024-03-05", None)
    assert all(h.score >= 0.8 for h in hits)


def test_reload_replaces_the_previous_version_and_removes_it(sessions, tmp_path: Path) -> None:
    old = ftm_file(tmp_path, "old.json", [("a1", "Muammar Gaddafi", "1942"), ("a2", "Ahmad Vahidi", "1958")])
    new = ftm_file(tmp_path, "new.json", [("b1", "Moammar Kadhafi", "1942")])
    with sessions() as s:
        aml.load_list(s, old, "lists")
        aml.load_list(s, new, "lists")
        assert [h.entity.entity_id for h in aml.screen(s, person("Muammar Gaddafi"))] == ["b1"]
        assert aml.screen(s, person("Ahmad Vahidi")) == []
        assert s.scalar(select(func.count()).select_from(AmlEntity)) == 1
        assert s.scalar(select(func.count()).select_from(AmlListVersion)) == 1
        versions = s.scalars(select(AmlNameKey.version_id).distinct()).all()
        assert versions == [s.scalar(select(AmlListVersion.id))]


def test_a_failed_load_keeps_the_previous_list_and_leaves_nothing_behind(sessions, tmp_path: Path) -> None:
    good = ftm_file(tmp_path, "good.json", [("a1", "Muammar Gaddafi", "1942")])
    bad = ftm_file(tmp_path, "bad.json", [(f"b{i}", f"Person Number{i}", None) for i in range(50)])
    bad.write_text(bad.read_text() + "{not json\n")
    with sessions() as s:
        aml.load_list(s, good, "lists")
        with pytest.raises(ListFormatError, match="line 51"):
            aml.load_list(s, bad, "lists", batch_size=10)
        assert [h.entity.entity_id for h in aml.screen(s, person("Muammar Gaddafi"))] == ["a1"]
        assert s.scalar(select(func.count()).select_from(AmlEntity)) == 1
        assert [src.file_name for src in aml.list_sources(s)] == ["good.json"]


def test_a_concurrent_reader_sees_the_old_or_the_new_list_never_a_mix(sessions, tmp_path: Path) -> None:
    count = 200
    old = ftm_file(tmp_path, "old.json", [(f"old-{i}", "John Smith", None) for i in range(count)])
    new = ftm_file(tmp_path, "new.json", [(f"new-{i}", "John Smith", None) for i in range(count)])
    with sessions() as s:
        aml.load_list(s, old, "lists")
    seen: list[tuple[int, int]] = []
    loading = threading.Event()
    done = threading.Event()
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            while not done.is_set():
                with sessions() as s:
                    ids = [h.entity.entity_id for h in aml.screen(s, person("John Smith"))]
                seen.append((sum(i.startswith("old-") for i in ids), sum(i.startswith("new-") for i in ids)))
                loading.wait()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        while not seen:
            done.wait(0.01)
        loading.set()
        with sessions() as s:
            aml.load_list(s, new, "lists", batch_size=10)  # 20 committed batches
        reads_during_load = len(seen)
        done.wait(0.3)
    finally:
        done.set()
        thread.join()
    assert not errors, errors
    assert reads_during_load >= 3, "the reader should have read while the list was loading"
    assert set(seen) <= {(count, 0), (0, count)}, sorted(set(seen))
    assert seen[0] == (count, 0) and seen[-1] == (0, count)


def test_a_false_positive_is_remembered_for_that_person_and_entry(sessions, tmp_path: Path) -> None:
    listed = ftm_file(tmp_path, "v1.json", [("a1", "Muammar Gaddafi", "1942"), ("a2", "Muammar Qaddafi", "1942")])
    alice = person("Muammar Gaddafi", "1942-03-01")
    other = person("Muammar Gaddafi", "1942-04-02")
    with sessions() as s:
        aml.load_list(s, listed, "lists")
        assert {h.entity.entity_id for h in aml.screen(s, alice)} == {"a1", "a2"}
        aml.mark_hit(s, alice.person_key, "lists", "a1", Verdict.FALSE_POSITIVE, "reviewer@example.org")
        aml.mark_hit(s, alice.person_key, "lists", "a2", Verdict.CONFIRMED, "reviewer@example.org")
        s.commit()
        hits = aml.screen(s, alice)
        assert [(h.entity.entity_id, h.review) for h in hits] == [("a2", Verdict.CONFIRMED)]
        assert {h.entity.entity_id for h in aml.screen(s, other)} == {"a1", "a2"}  # another person
        # The same list loaded again: the mark still applies.
        aml.load_list(s, ftm_file(tmp_path, "v2.json", [("a1", "Muammar Gaddafi", "1942"),
                                                        ("a2", "Muammar Qaddafi", "1942")]), "lists")
        assert [h.entity.entity_id for h in aml.screen(s, alice)] == ["a2"]
        # The entry changes (a new date of birth): the reviewer's earlier verdict no longer covers it.
        aml.load_list(s, ftm_file(tmp_path, "v3.json", [("a1", "Muammar Gaddafi", "1942-03-01"),
                                                        ("a2", "Muammar Qaddafi", "1942")]), "lists")
        assert {h.entity.entity_id for h in aml.screen(s, alice)} == {"a1", "a2"}


def test_marking_an_entry_that_is_not_listed_is_refused(sessions, tmp_path: Path) -> None:
    with sessions() as s:
        aml.load_list(s, ftm_file(tmp_path, "v1.json", [("a1", "Muammar Gaddafi", "1942")]), "lists")
        with pytest.raises(aml.AmlError, match="no entry 'zz'"):
            aml.mark_hit(s, "person", "lists", "zz", Verdict.FALSE_POSITIVE, "r@example.org")


def test_rescreening_after_a_reload_reports_only_new_or_changed_entries(sessions, tmp_path: Path) -> None:
    v1 = ftm_file(tmp_path, "v1.json", [("a1", "Muammar Gaddafi", "1942"), ("a2", "Ahmad Vahidi", "1958")])
    v2 = ftm_file(tmp_path, "v2.json", [("a1", "Muammar Gaddafi", "1942"), ("a2", "Ahmad Vahidi", "1957"),
                                        ("a3", "Moammar Kadhafi", None)])
    persons = {"scan-1": person("Muammar Gaddafi", "1942-06-07"), "scan-2": person("Ahmad Vahidi"),
               "scan-3": person("John Smith")}
    with sessions() as s:
        aml.load_list(s, v1, "lists")
        assert set(aml.rescreen_changed(s, persons)) == {"scan-1", "scan-2"}  # all entries are new
        report = aml.load_list(s, v2, "lists")
        assert report.changed == 2
        found = aml.rescreen_changed(s, persons)
    assert {k: [h.entity.entity_id for h in v] for k, v in found.items()} == {"scan-1": ["a3"], "scan-2": ["a2"]}


def test_a_typo_is_found_through_a_loose_key_unless_that_key_is_very_common(sessions, tmp_path: Path,
                                                                            monkeypatch) -> None:
    from openidv.store import aml as store

    listed = ftm_file(tmp_path, "v1.json", [("a1", "John Smith", None), ("a2", "Johnny Smith", None),
                                            ("a3", "John Smyth", None)])
    with sessions() as s:
        aml.load_list(s, listed, "lists")
        assert {h.entity.entity_id for h in aml.screen(s, person("John Smitz"))} == {"a1", "a2"}
        monkeypatch.setattr(store, "LOOSE_KEY_MAX_ENTRIES", 2)  # "John S…" is held by 3 entries
        assert {h.entity.entity_id for h in aml.screen(s, person("John Smitz"))} == set()
        assert {h.entity.entity_id for h in aml.screen(s, person("John Smith"))} == {"a1", "a2", "a3"}
