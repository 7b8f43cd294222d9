"""All OPENIDV_* settings in one pydantic-settings class, read once per process."""

from __future__ import annotations

import base64
import functools
import os
import secrets
from pathlib import Path
from typing import Literal, Optional

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MB = 1024 * 1024


class ConfigurationError(ValueError):
    """A setting is missing, contradictory or malformed: the operator must fix the environment."""


class Settings(BaseSettings):
    """Configuration of an openidv process. Defaults give the embedded mode."""

    model_config = SettingsConfigDict(env_prefix="OPENIDV_", extra="ignore")

    home: Path = Field(Path("./openidv-data"), description="Data directory of the embedded mode")
    database_url: Optional[str] = Field(
        None, description="SQLAlchemy URL; default sqlite:///$OPENIDV_HOME/openidv.db"
    )
    queue_url: Optional[str] = Field(
        None, description="redis://… for Redis; default a SQLite queue in $OPENIDV_HOME/queue.db"
    )
    queue_name: str = Field("openidv", description="Queue name (lets several instances share Redis)")
    files_url: Optional[str] = Field(
        None,
        description="Where encrypted images go: 'local' ($OPENIDV_HOME/files) or 'database'. "
        "Default: local with SQLite, database with PostgreSQL.",
    )
    encryption_key: Optional[str] = Field(
        None,
        description="Base64 of 32 random bytes (AES-256-GCM). Default: generated on first "
        "start into $OPENIDV_HOME/secret.key",
    )
    encryption_key_file: Optional[Path] = Field(
        None,
        description="A file holding the key (base64 of 32 bytes), read at start: keeps the key out of "
        "the environment (e.g. a systemd credential); used instead of OPENIDV_ENCRYPTION_KEY",
    )
    old_encryption_keys: str = Field(
        "", description="Comma-separated earlier keys, still accepted for decryption"
    )
    public_url: Optional[str] = Field(
        None, description="Base URL partners and users reach this server at (for file URLs)"
    )
    max_image_bytes: int = Field(6 * MB, description="Default cap per decoded image, bytes")
    max_request_bytes: int = Field(20 * MB, description="Cap per request body, bytes")
    max_megapixels: float = Field(50, description="Images larger than this are refused")
    max_decoded_megapixels: float = Field(
        16, description="At most this many pixels are decoded per image: JPEGs are decoded at "
        "reduced scale, larger PNGs (which cannot be) are refused before decoding"
    )
    body_timeout_seconds: float = Field(
        60, description="A request body must arrive within this many seconds (slow-drip uploads are cut)"
    )
    allow_private_callbacks: bool = Field(
        False, description="Allow webhooks to private/loopback/link-local addresses (dev/tests)"
    )
    webhook_timeout: float = Field(10.0, description="Seconds to wait for a webhook answer")
    rate_limit_per_hour: int = Field(10_000, description="Partner API requests per hour")
    job_lease_seconds: int = Field(
        300, description="A job not finished this long after it started is run again"
    )
    unclaimed_job_grace_seconds: float = Field(
        10, description="A started job no worker has claimed this long is queued again when the queue "
        "holds fewer jobs than are waiting (lost with a Redis restart or a failed enqueue)"
    )
    sweep_interval_seconds: float = Field(
        10, description="How often the worker looks for expired tokens and lost jobs"
    )
    worker_concurrency: int = Field(2, description="Worker threads of the embedded worker")
    trusted_proxies: str = Field(
        "", description="Comma-separated addresses or networks (CIDR) of reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed. Default: none (the peer address "
        "counts; a client cannot choose its address)"
    )
    metrics_token: Optional[str] = Field(None, description="Bearer token for GET /metrics (refused when unset)")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_format: Literal["json", "text"] = Field("json", description="json (one object per line) or text")

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @property
    def resolved_database_url(self) -> str:
        url = self.database_url or f"sqlite:///{self.home.resolve() / 'openidv.db'}"
        # Plain postgresql:// would pick psycopg2; the project ships psycopg 3.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix):]
        return url

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [item.strip() for item in self.trusted_proxies.split(",") if item.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def file_store_kind(self) -> str:
        if self.files_url:
            return self.files_url
        return "local" if self.is_sqlite else "database"

    def base_url(self, fallback: str = "http://127.0.0.1:8000") -> str:
        return (self.public_url or fallback).rstrip("/")

    def data_keys(self) -> list[bytes]:
        """The current AES key first, then older ones still accepted for decryption."""
        keys = [self._current_key()]
        keys += [_decode_key(k) for k in self.old_encryption_keys.split(",") if k.strip()]
        return keys

    def _current_key(self) -> bytes:
        if self.encryption_key and self.encryption_key_file:
            raise ConfigurationError("set OPENIDV_ENCRYPTION_KEY or OPENIDV_ENCRYPTION_KEY_FILE, not both")
        if self.encryption_key:
            return _decode_key(self.encryption_key)
        if self.encryption_key_file:
            return _decode_key(self.encryption_key_file.read_text().strip())
        if not self.is_sqlite:
            # A key generated per machine would make one machine's images unreadable on another.
            raise ConfigurationError("OPENIDV_ENCRYPTION_KEY (or OPENIDV_ENCRYPTION_KEY_FILE) is required with a "
                             "shared database: every process must use the same key")
        return self._key_file()

    @property
    def generated_key_path(self) -> Path:
        """Where the embedded mode keeps the key it generated on first start."""
        return self.home / "secret.key"

    def key_is_configured(self) -> bool:
        """Whether a key exists now (configured, or generated by an earlier start)."""
        return bool(self.encryption_key or self.encryption_key_file) or self.generated_key_path.exists()

    def _key_file(self) -> bytes:
        path = self.generated_key_path
        if not path.exists():
            from openidv.datadir import private_directory

            private_directory(path.parent)
            # O_EXCL: two processes starting at once must not write two different keys.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
        return _decode_key(path.read_text().strip())


def _decode_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except ValueError as exc:
        raise ConfigurationError("encryption key is not valid base64") from exc
    if len(key) != 32:
        raise ConfigurationError("encryption key must be 32 bytes (base64 of 32 random bytes)")
    return key


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
