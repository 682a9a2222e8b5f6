"""Database trouble that is nobody's mistake: two writers in each other's way, a busy or
unreachable server: which of them an error was (asked of the database seam), and running a
write again when that is safe.

- "conflict": the database broke a deadlock or a serialization failure; the transaction was
  rolled back whole, so running it again is safe.
- "busy": a lock was not granted in time.
- "unavailable": any other OperationalError (the server went away, too many connections).

Editorial writes run through `retry_transient` (a conflict is retried at once, twice at most);
whatever still fails reaches `curation.middleware.DatabaseTroubleMiddleware`, which answers
409 or 503 with a message instead of a 500.
"""

import functools
import logging
import time

from django.db import OperationalError, connection

from curation.db import base as db_base

log = logging.getLogger(__name__)

# How each database says so lives in the database seam; re-exported for the callers here.
CONFLICT, BUSY, UNAVAILABLE = db_base.CONFLICT, db_base.BUSY, db_base.UNAVAILABLE
classify = db_base.error_kind
is_refused_input = db_base.is_refused_input

# What an operator is told when the database takes no writes at all (db_base.storage_problem).
CANNOT_WRITE = {
    db_base.LOCKED: "the database is locked: another process held its write lock past the wait",
    db_base.READ_ONLY: "the database cannot be written (read-only: its file, its folder or the server)",
    db_base.FULL: "the database's disk (or memory) is full",
    db_base.STORAGE_FAILED: "the database's disk failed to read or write",
    db_base.GONE: "the database cannot be reached, or closed the connection",
}


def cannot_write(exc):
    """Why the database takes no writes at all, in an operator's words, with its own message
    ("the database's disk is full (database or disk is full)"), or None when `exc` is not
    such trouble (one write's value refused, a conflict worth a retry, not a database error)."""
    problem = db_base.storage_problem(exc)
    if problem is None:
        return None
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    return f"{CANNOT_WRITE[problem]} ({detail})"

RETRY_ATTEMPTS = 3  # the first try and two more


def retry_transient(function):
    """Run `function` (which opens its own transaction) again when the database rolled it
    back for a deadlock or a serialization failure.

    Only from the outermost transaction: inside a caller's atomic block the rollback undid
    the caller's work too, which only the caller can redo, so the error goes up unretried.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            try:
                return function(*args, **kwargs)
            except OperationalError as exc:
                if classify(exc) != CONFLICT or connection.in_atomic_block or attempt == RETRY_ATTEMPTS:
                    raise
                log.info("%s: %s; retrying (attempt %d)", function.__name__, exc, attempt + 1)
                time.sleep(0.01 * attempt)  # let the other transaction finish first
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper
