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
