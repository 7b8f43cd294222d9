"""What a console login costs and how often it may be tried: the login's work (reading the
account, argon2, the audit entry) in a small pool of its own, and the limit on failed
logins per client address.

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
    """Failed logins per client address (IPv4, or the IPv6 /64): past the limit the address
    is refused before any password is verified. Counted before the verification, given back
    when the login succeeds."""

    ADDRESS_FAILURES = 30
    WINDOW_SECONDS = 15 * 60

    def __init__(self, counters: Counters) -> None:
        self.per_address = WindowLimit(counters, "login-address", self.ADDRESS_FAILURES, self.WINDOW_SECONDS)

    def reserve(self, address: str) -> bool:
        return self.per_address.reserve(address)

    def succeeded(self, address: str) -> None:
        self.per_address.give_back(address)
