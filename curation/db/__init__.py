"""The database seam: every difference between SQLite and PostgreSQL lives in this package.

The rest of the app asks `backend(using)` for what it needs (a search, a topic filter, a
bulk insert, a JSON aggregate) and never which database it runs on, the way Django's own
`connection.ops` or Wagtail's search backends keep vendor knowledge in one place. Raw SQL
is written here and nowhere else in the app (migrations excepted: they are history).

    base.py        portable versions, and the interface (DatabaseBackend, Narrowing);
                   a job lock on a file (exclusive_job) for a database on one machine
    sqlite.py      FTS5 search plans, statement journals, text datetimes, json_each
    postgresql.py  tsvector search, planner estimates, binary COPY, ANALYZE, json_agg,
                   advisory locks for jobs that every app server may start
    plans.py       per-process memory of the facts that pick a plan
    queries.py     the few portable raw-SQL reads (one-query summaries of several tables),
                   ORM conditions compiled for them (condition_sql)
    story_queries.py  the story index's key look-ups and the queue by story's "first of
                   its story" condition (first_of_story_condition)
"""

from django.db import connections

from curation.db.base import DatabaseBackend, Narrowing
from curation.db.postgresql import PostgreSQLBackend
from curation.db.sqlite import SQLiteBackend

_BACKENDS = {backend_class.vendor: backend_class for backend_class in (SQLiteBackend, PostgreSQLBackend)}

__all__ = ["Narrowing", "backend"]


def backend(using="default"):
    """The backend for a database alias (a light wrapper around its connection)."""
    connection = connections[using]
    return _BACKENDS.get(connection.vendor, DatabaseBackend)(connection)
