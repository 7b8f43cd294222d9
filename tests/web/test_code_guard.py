"""Guessing 8-digit codes: attempts are counted before the lookup (concurrent guesses cannot
all be checked), per address, per code and globally (in Redis when there is one), and a
client cannot choose the address it is counted by unless it is a configured proxy."""

from __future__ import annotations

import asyncio
import random
import threading
import time
import uuid

import httpx
import pytest

from openidv.web.attempts import MemoryCounters, RedisCounters
from openidv.web.flow.guards import CodeGuard
from tests.conftest import require_mode
from tests.support.service import REDIS_URL, start_service


def random_code() -> str:
    return f"{random.randrange(10**8):08d}"


def test_concurrent_wrong_codes_are_not_all_looked_up(app_client, monkeypatch):
    from openidv.services import flow as flow_sessions

    lookups: list[str] = []
    lock = threading.Lock()

    def slow_lookup(digits: str):  # noqa: ANN202 - a wrong code that takes a moment to look up
        with lock:
            lookups.append(digits)
        time.sleep(0.3)
        return None

    monkeypatch.setattr(flow_sessions, "flow_by_digits", slow_lookup)
    address = f"198.51.100.{random.randrange(1, 250)}"

    async def guess_all() -> list[int]:
        transport = httpx.ASGITransport(app=app_client.app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            answers = await asyncio.gather(*(client.post("/flow", data={"digitString": random_code()})
                                             for _ in range(30)))
        return [r.status_code for r in answers]

    statuses = asyncio.run(guess_all())
    assert len(lookups) <= CodeGuard.ADDRESS_ATTEMPTS, len(lookups)
    assert statuses.count(429) >= 30 - CodeGuard.ADDRESS_ATTEMPTS and statuses.count(400) == len(lookups)


class SmallGuard(CodeGuard):
    ADDRESS_ATTEMPTS, CODE_ATTEMPTS, GLOBAL_ATTEMPTS = 3, 2, 5


def test_limits_per_code_and_globally_hold_across_addresses():
    guard = SmallGuard(MemoryCounters())
    # One code tried from many addresses: refused after CODE_ATTEMPTS.
    assert [guard.reserve(f"10.0.0.{i}", "11111111") for i in range(4)] == [True, True, False, False]
    # Many addresses, one guess each: refused once the global budget is spent.
    assert [guard.reserve(f"10.0.1.{i}", random_code()) for i in range(5)] == [True, True, True, False, False]
    # A right code gives its attempt back: the person who knows their code is not held up by it.
    fresh = SmallGuard(MemoryCounters())
    for _ in range(10):
        assert fresh.reserve("10.0.2.1", "22222222")
        fresh.was_right("10.0.2.1", "22222222")


def test_counts_are_shared_through_redis_by_every_process():
    require_mode("scaleout")
    namespace = f"openidv-test-{uuid.uuid4().hex[:8]}"
    first, second = SmallGuard(RedisCounters(REDIS_URL, namespace)), SmallGuard(RedisCounters(REDIS_URL, namespace))
    assert first.reserve("10.9.9.9", random_code()) and second.reserve("10.9.9.9", random_code())
    assert first.reserve("10.9.9.9", random_code())
    assert not second.reserve("10.9.9.9", random_code())  # the third attempt was made elsewhere


def _post_code(base_url: str, code: str, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return httpx.post(base_url + "/flow", data={"digitString": code}, headers=headers, timeout=30).status_code


@pytest.mark.slow
def test_a_client_cannot_rotate_its_counted_address_with_x_forwarded_for(tmp_path):
    service = start_service("embedded", tmp_path / "no-proxy", worker=False)
    try:
        statuses = [_post_code(service.base_url, random_code(), f"203.0.113.{i}") for i in range(15)]
    finally:
        service.stop()
    assert statuses[:CodeGuard.ADDRESS_ATTEMPTS] == [400] * CodeGuard.ADDRESS_ATTEMPTS
    assert set(statuses[CodeGuard.ADDRESS_ATTEMPTS:]) == {429}, statuses


@pytest.mark.slow
def test_behind_a_trusted_proxy_each_client_is_counted_apart(tmp_path):
    service = start_service("embedded", tmp_path / "proxy", {"OPENIDV_TRUSTED_PROXIES": "127.0.0.1"}, worker=False)
    try:
        partner = service.create_partner("codes")
        with service.client(partner) as c:
            token = c.post("/api/v2/token", json={"clientId": "code-1", "generateDigitString": True}).json()
        guesser = "203.0.113.50"
        statuses = [_post_code(service.base_url, random_code(), guesser) for _ in range(CodeGuard.ADDRESS_ATTEMPTS + 1)]
        other_wrong = _post_code(service.base_url, random_code(), "198.51.100.60")
        owner = _post_code(service.base_url, token["digitString"], "198.51.100.61")
    finally:
        service.stop()
    assert statuses == [400] * CodeGuard.ADDRESS_ATTEMPTS + [429]
    assert other_wrong == 400  # not locked out by the guesser
    assert owner == 303  # the person with the right code goes on to the flow
