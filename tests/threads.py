"""Start several calls at the same moment, for the PostgreSQL concurrency tests."""

import threading

from django.db import connection


def run_together(*calls):
    """Run each call in its own thread, released at the same moment; return results or exceptions.

    Each thread uses its own database connection and closes it when done.
    """
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # handed back to the test to inspect
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results
