"""Real threads for the PostgreSQL concurrency tests."""

import threading
from collections.abc import Callable

from django.db import connection


def run_together(jobs: list[Callable[[], object]], timeout: float = 120) -> list[object]:
    """Start every job at once on its own thread (and connection); return each result or
    the exception it raised, in the jobs' order."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def worker(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = job()
        except Exception as error:  # noqa: BLE001 - returned to the test, which asserts on it
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return results
