"""The command line as its contract states it (run as a user would, in a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.api.test_process import SEED_DOCUMENT_KEYS, SEED_FULL_STATUS_KEYS

OPENIDV = [sys.executable, "-m", "openidv.cli"]


def run(*args: str, env_home) -> subprocess.CompletedProcess:  # noqa: ANN001
    import os

    env = {**os.environ, "OPENIDV_HOME": str(env_home)}
    return subprocess.run([*OPENIDV, *args], capture_output=True, text=True, timeout=300, env=env)


def test_partner_create_prints_secrets_once_and_stores_hashes(tmp_path):
    out = run("partner", "create", "Acme", "--callback-url", "https://acme.example/hook", env_home=tmp_path)
    assert out.returncode == 0, out.stderr
    created = json.loads(out.stdout)
    assert set(created) == {"name", "apiKey", "apiSecret", "webhookSecret"} and created["name"] == "Acme"
    db = (tmp_path / "openidv.db").read_bytes()
    assert created["apiSecret"].encode() not in db and created["webhookSecret"].encode() not in db
    bad = run("partner", "create", "X", "--callback-url", "ftp://x", env_home=tmp_path)
    assert bad.returncode != 0


def test_reviewer_create_prints_a_password_once(tmp_path):
    out = run("reviewer", "create", "anna@example.com", env_home=tmp_path)
    assert out.returncode == 0, out.stderr
    created = json.loads(out.stdout)
    assert created["email"] == "anna@example.com" and len(created["password"]) >= 16
    assert created["password"].encode() not in (tmp_path / "openidv.db").read_bytes()
    assert run("reviewer", "create", "anna@example.com", env_home=tmp_path).returncode != 0


@pytest.mark.slow
def test_verify_prints_full_status_for_a_real_passport(tmp_path, test_data_dir, documents_manifest):
    item = next(i for i in documents_manifest["items"] if i["file"] == "passporteye/100_pass-cze.jpg")
    out = run("verify", "--front", str(test_data_dir / "documents" / item["file"]), "--country", "CZ",
              "--document-type", "PASSPORT", env_home=tmp_path)
    # The specimen expired in 2012: DENIED, so exit status 1 and the verdict on stderr.
    assert out.returncode == 1, out.stderr[-2000:]
    assert out.stderr.strip().splitlines()[-1].startswith("DENIED: document DOC_EXPIRED")
    full = json.loads(out.stdout)
    assert set(full) == SEED_FULL_STATUS_KEYS
    doc = full["client_identity_document"]
    assert set(doc) == SEED_DOCUMENT_KEYS
    assert doc["mrz_string"] == "".join(item["mrz_lines"])
    assert doc["mrz_surname"] == "SPECIMEN" and doc["mrz_document_number"] == "99003853"
    assert doc["doc_country"] == "CZ" and doc["mrz_document_type"] == "PASSPORT"
    assert full["face_match_result"] == "FACE_NOT_ANALYSED"


@pytest.mark.slow
def test_compare_faces_and_check_liveness(tmp_path, test_data_dir, faces_manifest):
    same = next(p for p in faces_manifest["pairs"] if p["same"])
    different = next(p for p in faces_manifest["pairs"] if not p["same"])
    faces = test_data_dir / "faces"
    a = json.loads(run("compare-faces", str(faces / same["a"]), str(faces / same["b"]), env_home=tmp_path).stdout)
    b = json.loads(run("compare-faces", str(faces / different["a"]), str(faces / different["b"]), env_home=tmp_path).stdout)
    assert a["result"] == "FACE_MATCH" and b["result"] == "FACE_MISMATCH"
    assert 0 <= b["similarity"] < a["similarity"] <= 1
    live = json.loads(run("check-liveness", str(faces / same["a"]), env_home=tmp_path).stdout)
    assert live["result"] in ("LIVE", "FACE_UNCERTAIN") and 0 <= live["score"] <= 1
    # A live film still the passive model scores ≈0.01: uncertain, never FAKE_FACE.
    low = json.loads(run("check-liveness", str(faces / "face_recognition/kit_harington/johnsnow_test1.jpg"),
                         env_home=tmp_path).stdout)
    assert low == {"result": "FACE_UNCERTAIN", "score": pytest.approx(low["score"])} and low["score"] < 0.1


def test_missing_file_is_a_clear_error(tmp_path):
    out = run("verify", "--front", str(tmp_path / "nope.jpg"), env_home=tmp_path)
    assert out.returncode == 2 and "does not exist" in out.stderr


def test_verify_refuses_bad_input_with_exit_status_2(tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a JPEG")
    out = run("verify", "--front", str(broken), env_home=tmp_path)
    assert out.returncode == 2 and "JPEG or PNG" in out.stderr, out.stderr
    out = run("verify", "--front", str(broken), "--country", "XX", env_home=tmp_path)
    assert out.returncode == 2 and "--country" in out.stderr


def test_version_and_lists(tmp_path):
    from openidv import __version__

    out = run("--version", env_home=tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == f"openidv {__version__}"
    created = json.loads(run("partner", "create", "Acme", env_home=tmp_path).stdout)
    run("reviewer", "create", "anna@example.com", env_home=tmp_path)
    run("reviewer", "create", "bo@example.com", "--partner-key", created["apiKey"], env_home=tmp_path)
    partners = json.loads(run("partner", "list", env_home=tmp_path).stdout)
    assert [p["name"] for p in partners] == ["Acme"] and partners[0]["apiKey"] == created["apiKey"]
    assert created["apiSecret"] not in json.dumps(partners)
    reviewers = json.loads(run("reviewer", "list", env_home=tmp_path).stdout)
    assert reviewers == [{"email": "anna@example.com", "role": "operator", "partner": None, "disabled": False},
                         {"email": "bo@example.com", "role": "reviewer", "partner": "Acme", "disabled": False}]
    run("reviewer", "disable", "bo@example.com", env_home=tmp_path)
    assert json.loads(run("reviewer", "list", env_home=tmp_path).stdout)[1]["disabled"] is True


def test_retention_can_be_set_and_set_back_to_forever(tmp_path):
    key = json.loads(run("partner", "create", "Acme", env_home=tmp_path).stdout)["apiKey"]
    policy = json.loads(run("partner", "policy", key, "--retention-images-days", "30",
                            "--retention-data-days", "365", env_home=tmp_path).stdout)
    assert (policy["retentionImagesDays"], policy["retentionDataDays"]) == (30, 365)
    policy = json.loads(run("partner", "policy", key, "--retention-images-days", "forever",
                            env_home=tmp_path).stdout)
    assert (policy["retentionImagesDays"], policy["retentionDataDays"]) == (None, 365)
    refused = run("partner", "policy", key, "--retention-data-days", "never", env_home=tmp_path)
    assert refused.returncode == 2 and "'forever'" in refused.stderr
    purged = json.loads(run("purge", "--dry-run", env_home=tmp_path).stdout)
    assert purged == {"dryRun": True, "images": [], "personalData": []}


@pytest.mark.parametrize("setting, value, says", [
    ("OPENIDV_DATABASE_URL", "postgresql://nobody@127.0.0.1:5432/none", "database: connection failed"),
    ("OPENIDV_ENCRYPTION_KEY", "not base64!", "not valid base64"),
    ("OPENIDV_MAX_IMAGE_BYTES", "many", "max_image_bytes"),
])
def test_configuration_mistakes_are_one_line_messages_not_tracebacks(tmp_path, monkeypatch, setting, value, says):
    monkeypatch.setenv(setting, value)
    out = run("partner", "create", "Acme", env_home=tmp_path)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr and out.stderr.startswith(("Error: configuration: ", "Error: database: "))
    assert says in out.stderr and len(out.stderr.strip().splitlines()) == 1
