"""Encryption at rest (AES-256-GCM) and secret hashing, on the `cryptography` library."""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"\x01"
_NONCE_BYTES = 12
_KEY_ID_BYTES = 4


class DecryptionFailed(Exception):
    """No configured key opens this ciphertext (wrong key, or the data was changed)."""


def _key_id(key: bytes) -> bytes:
    # A short key fingerprint in each blob tells which key opens it after a key rotation.
    return hashlib.sha256(b"openidv-key-id" + key).digest()[:_KEY_ID_BYTES]


def encrypt(plaintext: bytes, keys: list[bytes], associated_data: bytes = b"") -> bytes:
    """Encrypt with the current key (keys[0]). Layout: version | key id | nonce | ciphertext+tag."""
    key = keys[0]
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext, associated_data)
    return _VERSION + _key_id(key) + nonce + sealed


def decrypt(blob: bytes, keys: list[bytes], associated_data: bytes = b"") -> bytes:
    if len(blob) < 1 + _KEY_ID_BYTES + _NONCE_BYTES + 16 or blob[:1] != _VERSION:
        raise DecryptionFailed("not an openidv ciphertext")
    key_id = blob[1 : 1 + _KEY_ID_BYTES]
    nonce = blob[1 + _KEY_ID_BYTES : 1 + _KEY_ID_BYTES + _NONCE_BYTES]
    sealed = blob[1 + _KEY_ID_BYTES + _NONCE_BYTES :]
    for key in keys:
        if hmac.compare_digest(_key_id(key), key_id):
            try:
                return AESGCM(key).decrypt(nonce, sealed, associated_data)
            except InvalidTag as exc:
                raise DecryptionFailed("ciphertext was changed or the key is wrong") from exc
    raise DecryptionFailed("no configured key matches this ciphertext")


def encrypted_with(blob: bytes, key: bytes) -> bool:
    """Whether ``blob`` says it was sealed with ``key`` (its key id; nothing is decrypted)."""
    return len(blob) > 1 + _KEY_ID_BYTES and blob[:1] == _VERSION and \
        hmac.compare_digest(blob[1 : 1 + _KEY_ID_BYTES], _key_id(key))


def signing_keys(keys: list[bytes], purpose: str) -> list[bytes]:
    """Sub-keys for an itsdangerous signer, oldest first: it signs with the last (the current
    key's) and accepts any, so a key rotation does not end sessions or break links."""
    return [derive_key(key, purpose) for key in reversed(keys)]


def derive_key(master: bytes, purpose: str) -> bytes:
    """A separate sub-key per purpose (file URL signing, …) so one key never does two jobs."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        master
    )


def hash_secret(secret: str) -> str:
    # API secrets are 256-bit random strings, so a fast hash is enough (no dictionary to
    # guess from); a slow KDF would only cost latency on every authenticated request.
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
