"""Untrusted numbers from URLs and forms, read the same way everywhere.

`str.isdigit()` is true for "²" and "①", which `int()` refuses, and `int()` accepts
"٣" and " 12 " and numbers no database column can hold (SQLite raises OverflowError
beyond 64 bits). An id in a query string is therefore parsed here, once: ASCII digits
only, within a signed 64-bit integer, or None.
"""

import contextlib
import re

import django_filters
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.validators import MinValueValidator
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


# django-filter's NumberFilter bounds a value from above only (1e50). Below, "-1e100000000"
# is a valid Decimal, and the integer column's lookup turns it into int(): a number of a
# hundred million digits, minutes of CPU with the GIL held, which stops every thread of the
# server for one anonymous request. The same bound below as above: a bad parameter, refused.
NUMBER_BOUND = 1e50


class ScoreFilter(django_filters.NumberFilter):
    """A number filter on an integer column (quality, heat) for the queue and the API:
    a value beyond ±NUMBER_BOUND is refused as the filter's error, before any query."""

    @property
    def field(self):
        if not hasattr(self, "_field"):
            field = super().field
            field.validators.append(MinValueValidator(-NUMBER_BOUND))
        return self._field


@contextlib.contextmanager
def admin_lookups_checked():
    """For every admin changelist (newsroom.admin_site): a lookup the database refuses while
    counting (`?id__in=` beyond 64 bits, `?published_at__year=10**30`, a NUL or a bad
    `__regex` on PostgreSQL), or a date hierarchy's year no datetime can hold, is a bad
    parameter, answered as the admin answers every bad lookup (back to the list with
    `?e=1`), not a 500. (No savepoint: the admin reads in autocommit, where a refused
    statement leaves nothing to roll back, and a savepoint would cost two queries a page.)"""
    try:
        yield
    except (ValueError, OverflowError, DataError, OperationalError) as exc:
        if isinstance(exc, ValueError) or is_refused_input(exc):
            raise IncorrectLookupParameters(exc) from exc
        raise
