"""Untrusted numbers from URLs and forms, read the same way everywhere.

`str.isdigit()` is true for "²" and "①", which `int()` refuses, and `int()` accepts
"٣" and " 12 " and numbers no database column can hold (SQLite raises OverflowError
beyond 64 bits). An id in a query string is therefore parsed here, once: ASCII digits
only, within a signed 64-bit integer, or None.
"""

import contextlib
import re

from django.contrib.admin.options import IncorrectLookupParameters
from django.db import DataError, OperationalError

from curation.services.transactions import is_refused_input

BIGINT_MAX = 2**63 - 1

_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(value):
    """A primary key from untrusted text (1 .. 2**63 - 1), or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value <= BIGINT_MAX else None
    if not isinstance(value, str) or not _ASCII_DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= BIGINT_MAX else None


@contextlib.contextmanager
def admin_lookups_checked():
    """For an admin changelist: a lookup the database refuses while counting (`?id__in=`
    beyond 64 bits, `?published_at__year=10**30`, a NUL or a bad `__regex` on PostgreSQL)
    is a bad parameter, answered as the admin answers every bad lookup (back to the list
    with `?e=1`), not a 500. (No savepoint: the admin reads in autocommit, where a refused
    statement leaves nothing to roll back, and a savepoint would cost two queries a page.)"""
    try:
        yield
    except (ValueError, OverflowError, DataError, OperationalError) as exc:
        if isinstance(exc, ValueError) or is_refused_input(exc):
            raise IncorrectLookupParameters(exc) from exc
        raise
