"""Database trouble that is nobody's mistake: two writers in each other's way, a busy or
unreachable server. The one place that knows how each database says so.

- "conflict": PostgreSQL broke a deadlock (40P01) or a serialization failure (40001); the
  transaction was rolled back whole, so running it again is safe.
- "busy": a lock was not granted in time (PostgreSQL 55P03 lock_timeout, 57014 statement
  timeout; SQLite "database is locked" after its busy timeout).
- "unavailable": any other OperationalError (the server went away, too many connections).

Editorial writes run through `retry_transient` (a conflict is retried at once, twice at most);
whatever still fails reaches `curation.middleware.DatabaseTroubleMiddleware`, which answers
409 or 503 with a message instead of a 500.
"""

import functools
import logging
import time

from django.db import DataError, OperationalError, connection

log = logging.getLogger(__name__)

CONFLICT, BUSY, UNAVAILABLE = "conflict", "busy", "unavailable"

_CONFLICT_STATES = {"40P01", "40001"}
_BUSY_STATES = {"55P03", "57014"}
_SQLITE_BUSY = ("database is locked", "database table is locked", "database schema is locked")

# What SQLite says (as an OperationalError) when a query is refused for what it was given,
# where PostgreSQL raises a DataError: a bad regular expression, too many values, too long.
_SQLITE_REFUSED_INPUT = (
    "user-defined function raised exception",
    "too many sql variables",
    "like or glob pattern too complex",
    "parser stack overflow",
    "string or blob too big",
    "expression tree is too large",
)

RETRY_ATTEMPTS = 3  # the first try and two more


def classify(exc):
    """CONFLICT, BUSY or UNAVAILABLE for an OperationalError, else None."""
    if not isinstance(exc, OperationalError):
        return None
    state = getattr(exc.__cause__, "sqlstate", None)
    if state in _CONFLICT_STATES:
        return CONFLICT
    if state in _BUSY_STATES or any(text in str(exc).lower() for text in _SQLITE_BUSY):
        return BUSY
    return UNAVAILABLE


def is_refused_input(exc):
    """Whether the database (or the driver) refused a query for a value it was given: a
    NUL or a bad regular expression (PostgreSQL), a number beyond 64 bits (SQLite's driver
    raises OverflowError), a pattern too long. The request was bad, not the server."""
    if isinstance(exc, DataError | OverflowError):
        return True
    return isinstance(exc, OperationalError) and any(text in str(exc).lower() for text in _SQLITE_REFUSED_INPUT)


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
