"""Real concurrency for the race tests: each callable in its own thread, with its own
database connection, released together by a barrier."""

import threading

import pytest
from django.db import connection, connections

requires_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks and concurrent inserts: PostgreSQL (SQLite runs one writer at a time)",
)


def run_at_once(*functions, timeout=30):
    """Run the functions at the same moment, one thread each; return their results in
    order (an exception a function raised takes the place of its result)."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait(timeout)
            results[index] = function()
        except BaseException as exc:  # reported to the test, which decides
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a thread did not finish: a lock wait that never ended?"
    return results
