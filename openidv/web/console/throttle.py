"""What a console login costs and how often it may be tried: the login's work (reading the
account, argon2, the audit entry) in a small pool of its own, the limit on failed logins per
client address, the growing wait per (client address, e-mail), and how many failures reach
the audit log.

There is no account lock: anyone could lock a reviewer out with a few wrong passwords. The
wait grows only for the address that keeps failing on that account.

The threads of the shared pool serve the partner API: a flood of bad logins must not hold
them, so a login never runs there, and a failed login's delay is awaited, not slept.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from openidv.web.attempts import Counters, WindowLimit

# argon2id with the library's defaults: ~0.2 s of CPU and 64 MiB per verification.
PASSWORDS = PasswordHasher()
# Verified when the e-mail is unknown, so both cases take one argon2 verification.
DUMMY_PASSWORD_HASH = PASSWORDS.hash(secrets.token_urlsafe(16))
# One login at a time (argon2 is ~0.2 s of one core): the other core stays for the API.
# Measured with 45 concurrent bad logins on the 2-core test machine: /status median 39–73 ms
# with one thread, 147 ms with two (tests/reliability/test_login_flood.py).
LOGIN_THREADS = 1
# Logins waiting for the pool beyond this are refused at once (a flood from many addresses
# must not queue without bound; a reviewer sees "busy" and retries).
LOGIN_QUEUE_LIMIT = 32
_login_pool = ThreadPoolExecutor(max_workers=LOGIN_THREADS, thread_name_prefix="console-login")
T = TypeVar("T")


def password_ok(password: str, stored_hash: str) -> bool:
    try:
        return PASSWORDS.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class LoginPoolBusy(Exception):
    """More logins are waiting than LOGIN_QUEUE_LIMIT."""


_waiting = 0  # logins queued or running in the pool (only touched on the event loop)


async def in_login_pool(work: Callable[..., T], *args: object) -> T:
    """Run a login's blocking work in the login pool (the event loop and the shared pool stay
    free); LoginPoolBusy when too many are waiting already."""
    global _waiting
    if _waiting >= LOGIN_QUEUE_LIMIT:
        raise LoginPoolBusy()
    _waiting += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(_login_pool, work, *args)
    finally:
        _waiting -= 1


class LoginThrottle:
    """Failed logins: per client address (IPv4, or the IPv6 /64) past ADDRESS_FAILURES the
    address is refused before any password is verified; per (address, e-mail) each failure
    after the first makes the next attempt wait 2, 4, 8 … BACKOFF_MAX_SECONDS seconds. Counts
    end WINDOW_SECONDS after the last failure and are cleared by a successful login."""

    ADDRESS_FAILURES = 30
    WINDOW_SECONDS = 15 * 60
    BACKOFF_MAX_SECONDS = 300
    # Failures written to the audit log: the 1st, 2nd, 4th, 8th … of an (address, e-mail),
    # and for e-mails that are no reviewer's at most this many per window from everyone, so a
    # spray of made-up accounts cannot grow the log without bound.
    UNKNOWN_ACCOUNT_AUDITS = 100

    def __init__(self, counters: Counters) -> None:
        self.counters = counters
        self.per_address = WindowLimit(counters, "login-address", self.ADDRESS_FAILURES, self.WINDOW_SECONDS)
        self.unknown_audits = WindowLimit(counters, "login-audit-unknown", self.UNKNOWN_ACCOUNT_AUDITS,
                                          self.WINDOW_SECONDS)

    @staticmethod
    def _pair(address: str, email: str) -> str:
        return f"{address}|{email}"

    def wait_seconds(self, address: str, email: str) -> float:
        """How long this address must still wait before trying this e-mail again."""
        return self.counters.held_for("login-wait:" + self._pair(address, email))

    def reserve(self, address: str) -> bool:
        return self.per_address.reserve(address)

    @classmethod
    def backoff_seconds(cls, failures: int) -> float:
        """The wait after the n-th failure in a row (the first costs only the answer's delay)."""
        return 0.0 if failures < 2 else float(min(2 ** (failures - 1), cls.BACKOFF_MAX_SECONDS))

    def failed(self, address: str, email: str) -> int:
        """Count a failure of (address, e-mail); its number in the current run of failures."""
        failures = self.counters.add("login-fail:" + self._pair(address, email), self.WINDOW_SECONDS)
        wait = self.backoff_seconds(failures)
        if wait:
            self.counters.hold("login-wait:" + self._pair(address, email), wait)
        return failures

    def succeeded(self, address: str, email: str) -> None:
        self.per_address.give_back(address)
        self.counters.forget("login-fail:" + self._pair(address, email))
        self.counters.forget("login-wait:" + self._pair(address, email))

    def audit_failure(self, failures: int, known_account: bool) -> bool:
        """Whether this failure is written to the audit log."""
        if failures & (failures - 1):
            return False  # not a power of two: the entry of the 2^k-th failure tells the count
        return known_account or self.unknown_audits.reserve("all")
