"""Real concurrency for the race tests: each callable in its own thread, with its own
database connection, released together by a barrier."""

import threading
import time

import pytest
from django.db import connection, connections
from django.test import Client

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


def slowed(monkeypatch, module, name, seconds):
    """`module.name` made to wait `seconds` before it runs: both racing requests get past
    their own checks before either writes."""
    real = getattr(module, name)

    def slow(**kwargs):
        time.sleep(seconds)
        return real(**kwargs)

    monkeypatch.setattr(module, name, slow)


def posted_at_once(signed_in, url, data=None, **extra):
    """The same POST sent twice at the same moment by `signed_in`'s browser (its cookies):
    a double click, two tabs, a retrying proxy. Returns both responses."""

    def click():
        client = Client()
        client.cookies = signed_in.cookies
        return client.post(url, data, **extra)

    return run_at_once(click, click)
