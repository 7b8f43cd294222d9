"""Running the queue's consumer: inside `openidv serve` (embedded mode) or as `openidv worker`."""

from __future__ import annotations

from collections.abc import Callable

from huey.consumer import Consumer

from openidv.jobs.queue import EmbeddedConsumer
from openidv.jobs.sweep import Sweeper
from openidv.jobs.tasks import WorkQueue


def start_embedded_worker(queue: WorkQueue, concurrency: int) -> Callable[[], None]:
    """Run the consumer and the sweep inside this process; returns a function that stops
    them gracefully (uvicorn owns the process's signals)."""
    queue.engines.load_in_background()
    consumer = EmbeddedConsumer(queue.huey, workers=concurrency, worker_type="thread", periodic=False)
    consumer.start()
    sweeper = Sweeper(queue.settings, queue)
    sweeper.start()

    def stop() -> None:
        sweeper.stop()
        consumer.stop(graceful=True)

    return stop


def run_worker(queue: WorkQueue, concurrency: int) -> None:
    """A standalone worker: load the models, sweep, and consume until a signal stops it."""
    queue.engines.load_in_background()
    Sweeper(queue.settings, queue).start()
    Consumer(queue.huey, workers=concurrency, worker_type="thread", periodic=False).run()
