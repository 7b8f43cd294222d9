"""Signed, expiring URLs for stored images /files/<signed-token>, valid 1 hour."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from openidv.config import Settings
from openidv.store.crypto import signing_keys

FILE_URL_TTL_SECONDS = 3600  # pre-signed URLs are valid for 1 hour


class FileUrlInvalid(Exception):
    """The signed token was changed or has expired."""


class FileUrlSigner:
    def __init__(self, settings: Settings) -> None:
        keys = signing_keys(settings.data_keys(), "openidv file urls v1")
        self._serializer = URLSafeTimedSerializer(keys, salt="openidv-files")
        self._base = settings.base_url()

    def url(self, file_id: int, base: str | None = None) -> str:
        return f"{(base or self._base).rstrip('/')}/files/{self._serializer.dumps(file_id)}"

    def file_id(self, token: str) -> int:
        try:
            value = self._serializer.loads(token, max_age=FILE_URL_TTL_SECONDS)
        except (SignatureExpired, BadSignature) as exc:
            raise FileUrlInvalid(str(exc)) from exc
        if not isinstance(value, int):
            raise FileUrlInvalid("malformed file token")
        return value
