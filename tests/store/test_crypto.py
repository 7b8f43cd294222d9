"""AES-GCM at rest, key rotation, and signed file URLs."""

from __future__ import annotations

import os

import pytest

from openidv.config import Settings
from openidv.store import crypto
from openidv.store.file_urls import FileUrlInvalid, FileUrlSigner


def test_round_trip_and_tamper_detection():
    key = os.urandom(32)
    blob = crypto.encrypt(b"image bytes", [key], b"aad")
    assert b"image bytes" not in blob
    assert crypto.decrypt(blob, [key], b"aad") == b"image bytes"
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(blob[:-1] + bytes([blob[-1] ^ 1]), [key], b"aad")
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(blob, [key], b"other aad")
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(blob, [os.urandom(32)], b"aad")


def test_old_key_still_opens_old_data_after_rotation():
    old, new = os.urandom(32), os.urandom(32)
    blob = crypto.encrypt(b"kept", [old])
    assert crypto.decrypt(blob, [new, old]) == b"kept"
    assert crypto.encrypt(b"x", [new, old])[1:5] == crypto._key_id(new)


def test_secret_hash_is_not_the_secret():
    h = crypto.hash_secret("s3cret")
    assert "s3cret" not in h and crypto.secret_matches("s3cret", h) and not crypto.secret_matches("s3cre", h)


def test_signed_file_url_rejects_tampering_and_expiry(tmp_path, monkeypatch):
    signer = FileUrlSigner(Settings(home=tmp_path, public_url="http://x"))
    url = signer.url(42)
    token = url.rsplit("/", 1)[1]
    assert signer.file_id(token) == 42
    middle = len(token) - 6  # inside the signature; the last character has padding bits
    with pytest.raises(FileUrlInvalid):
        signer.file_id(token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:])
    other = FileUrlSigner(Settings(home=tmp_path / "other", public_url="http://x"))
    with pytest.raises(FileUrlInvalid):
        other.file_id(token)
    import itsdangerous.timed

    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 3601)
    with pytest.raises(FileUrlInvalid):
        signer.file_id(token)


def test_signed_links_made_before_a_key_rotation_still_work(tmp_path):
    import base64

    from openidv.services.flow import FlowHandles

    old_key, new_key = base64.b64encode(os.urandom(32)).decode(), base64.b64encode(os.urandom(32)).decode()
    before = Settings(home=tmp_path, encryption_key=old_key)
    after = Settings(home=tmp_path, encryption_key=new_key, old_encryption_keys=old_key)
    url = FileUrlSigner(before).url(7)
    assert FileUrlSigner(after).file_id(url.rsplit("/", 1)[1]) == 7
    handle = FlowHandles(before).make(42)
    assert FlowHandles(after).verification_id(handle) == 42
    # Once the old key is dropped from the configuration, its links stop working.
    only_new = Settings(home=tmp_path, encryption_key=new_key)
    assert FlowHandles(only_new).verification_id(handle) is None
