"""The embedded mode's SQLite queue: a waiting worker is woken by an enqueue."""

from __future__ import annotations

import threading

from openidv.jobs.queue import WakeableSqliteStorage


def _dequeue_in_thread(storage: WakeableSqliteStorage) -> tuple[threading.Thread, list]:
    got: list = []
    thread = threading.Thread(target=lambda: got.append(storage.dequeue()), daemon=True)
    thread.start()
    return thread, got


def test_enqueue_wakes_a_waiting_worker(tmp_path) -> None:
    # A worker that was not woken would wait the full 60 s; joining for 10 s tells them apart.
    storage = WakeableSqliteStorage("q", filename=str(tmp_path / "queue.db"), wait_seconds=60)
    thread, got = _dequeue_in_thread(storage)
    thread.join(0.2)
    assert thread.is_alive(), "an empty queue returned at once instead of waiting"
    storage.enqueue(b"job-1")
    thread.join(10)
    assert not thread.is_alive(), "the waiting worker was not woken by the enqueue"
    assert got == [b"job-1"]


def test_an_enqueue_just_before_waiting_is_not_missed(tmp_path) -> None:
    storage = WakeableSqliteStorage("q", filename=str(tmp_path / "queue.db"), wait_seconds=60)
    storage.enqueue(b"job-1")
    storage.enqueue(b"job-2")
    assert storage.dequeue() == b"job-1"
    assert storage.dequeue() == b"job-2"
    thread, got = _dequeue_in_thread(storage)
    thread.join(0.2)
    storage.enqueue(b"job-3")
    thread.join(10)
    assert got == [b"job-3"]


def test_an_empty_queue_gives_none_after_the_wait(tmp_path) -> None:
    storage = WakeableSqliteStorage("q", filename=str(tmp_path / "queue.db"), wait_seconds=0.05)
    assert storage.dequeue() is None


# ----------------------------------------------------------------------------- signed JSON jobs

import datetime as dt  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import pickle  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from openidv.config import Settings  # noqa: E402
from openidv.jobs.queue import SignedJsonSerializer, make_huey  # noqa: E402


class _WritesAFile:
    """A pickle that runs code when it is loaded: what an attacker with access to the queue
    would write."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):  # noqa: ANN204
        return (os.system, (f"touch {self.path}",))


def _settings(tmp_path: Path, **overrides) -> Settings:  # noqa: ANN003
    key = "A" * 43 + "="
    return Settings(home=tmp_path, encryption_key=key, **overrides)


def _huey_with_task(settings: Settings):  # noqa: ANN202
    huey = make_huey(settings)
    ran: list[int] = []
    task = huey.task(name="process_verification")(lambda verification_id: ran.append(verification_id))
    return huey, task, ran


def test_a_queued_job_is_plain_signed_json(tmp_path) -> None:
    huey, task, ran = _huey_with_task(_settings(tmp_path))
    task(42)
    data = huey.storage.dequeue()
    payload, _, signature = data.rpartition(b".")
    assert payload.startswith(b"{") and b'"args":[42]' in payload and len(signature) == 64
    huey.storage.enqueue(data)
    job = huey.dequeue()
    huey.execute(job)
    assert ran == [42]


def _dequeue_raw(huey, raw: bytes, caplog):  # noqa: ANN001, ANN202
    huey.storage.enqueue(raw)
    with caplog.at_level(logging.WARNING, logger="openidv.jobs"):
        return huey.dequeue()


def test_a_pickled_message_in_the_queue_is_dropped_not_loaded(tmp_path, caplog) -> None:
    huey, _, ran = _huey_with_task(_settings(tmp_path))
    marker = tmp_path / "pwned"
    assert _dequeue_raw(huey, pickle.dumps(_WritesAFile(marker)), caplog) is None
    assert not marker.exists(), "the queue unpickled a message: code ran on the worker"
    assert "not a valid job" in caplog.text and not ran


def test_a_job_with_a_wrong_signature_or_unknown_task_is_dropped(tmp_path, caplog) -> None:
    settings = _settings(tmp_path)
    huey, task, ran = _huey_with_task(settings)
    task(7)
    good = huey.storage.dequeue()
    payload, _, signature = good.rpartition(b".")
    tampered = payload.replace(b'"args":[7]', b'"args":[8]') + b"." + signature
    assert _dequeue_raw(huey, tampered, caplog) is None
    # Signed with another deployment's key: also refused.
    other = SignedJsonSerializer([b"\x01" * 32], lambda: {"openidv.jobs.tasks.process_verification"})
    foreign = payload + b"." + other._signature(payload, other._keys[0]).encode()
    assert _dequeue_raw(huey, foreign, caplog) is None
    assert ran == []


def test_only_integer_arguments_can_be_queued(tmp_path) -> None:
    _, task, _ = _huey_with_task(_settings(tmp_path))
    with pytest.raises(ValueError, match="integers"):
        task("../../etc/passwd")


def test_a_job_signed_with_a_rotated_key_is_still_accepted(tmp_path) -> None:
    old_key, new_key = "B" * 43 + "=", "A" * 43 + "="
    old_huey, old_task, _ = _huey_with_task(Settings(home=tmp_path / "a", encryption_key=old_key))
    old_task(5)
    data = old_huey.storage.dequeue()
    new_huey, _, ran = _huey_with_task(Settings(home=tmp_path / "b", encryption_key=new_key,
                                                old_encryption_keys=old_key))
    new_huey.storage.enqueue(data)
    new_huey.execute(new_huey.dequeue())
    assert ran == [5]


def test_a_scheduled_job_keeps_its_time(tmp_path) -> None:
    huey, task, _ = _huey_with_task(_settings(tmp_path))
    task.schedule((9,), delay=60)
    job = huey.dequeue()
    assert job.args == (9,)
    assert job.eta > dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(seconds=50)


@pytest.mark.scaleout
def test_a_pickled_message_written_into_redis_is_dropped(tmp_path, caplog) -> None:
    from tests.conftest import require_mode
    from tests.support.service import REDIS_URL

    require_mode("scaleout")
    settings = _settings(tmp_path, queue_url=REDIS_URL, queue_name=f"test-{uuid.uuid4().hex[:8]}")
    huey, _, ran = _huey_with_task(settings)
    marker = tmp_path / "pwned-redis"
    try:
        import redis

        redis.Redis.from_url(REDIS_URL).lpush(huey.storage.queue_key, pickle.dumps(_WritesAFile(marker)))
        with caplog.at_level(logging.WARNING, logger="openidv.jobs"):
            assert huey.dequeue() is None
        assert not marker.exists() and not ran
    finally:
        huey.storage.flush_all()
