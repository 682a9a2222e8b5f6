"""PostgreSQL: the tsvector column and its GIN index, planner hints, binary COPY, statistics.

Full-text search matches the stored generated column `search_vector` (migration 0003)
with `websearch_to_tsquery`, which accepts anything without a syntax error; the query
is still rebuilt from the parsed terms so that both databases read it alike.
"""

import hashlib
import json
from contextlib import contextmanager

from django.db import DatabaseError, OperationalError

from curation.db import base
from curation.db.base import DatabaseBackend, Narrowing, RowCondition
from curation.db.plans import remembered

# Text search configuration; must match the generated column in migration 0003.
TS_CONFIG = "english"
_MATCHES = "{table}.search_vector @@ websearch_to_tsquery(%s::regconfig, %s)"


def websearch_text(groups):
    """The parsed query as text for websearch_to_tsquery, or "" when nothing can match."""
    alternatives = []
    for group in groups:
        if not any(not negated for negated, _ in group):
            continue
        terms = []
        for negated, words in group:
            term = '"' + " ".join(words) + '"' if len(words) > 1 else words[0]
            terms.append(("-" if negated else "") + term)
        alternatives.append(" ".join(terms))
    return " or ".join(alternatives)


# SQLSTATEs: deadlock detected, serialization failure; lock_timeout, statement timeout.
_CONFLICT_STATES = {"40P01", "40001"}
_BUSY_STATES = {"55P03", "57014"}
# SQLSTATEs of a server that takes no write at all, whatever the write (class 08: the
# connection; 53: resources; 57P: shut down or starting; 25006: a read-only transaction,
# as on a standby).
_STORAGE_STATES = {
    "55P03": base.LOCKED,
    "25006": base.READ_ONLY,
    "53100": base.FULL,
    "53200": base.FULL,
    "58030": base.STORAGE_FAILED,
    "53300": base.GONE,
    "57P01": base.GONE,
    "57P02": base.GONE,
    "57P03": base.GONE,
}


class PostgreSQLBackend(DatabaseBackend):
    vendor = "postgresql"
    few_topic_articles = 10_000
    # A search the planner expects to match at most this many rows collects them first.
    few_search_matches = 10_000

    def collected(self, queryset, ids):
        # An InitPlan, evaluated once before the outer query: otherwise the planner may
        # walk the sort order's index hoping to meet a page of the few rows early.
        sql, params = ids.query.sql_with_params()
        return queryset.filter(RowCondition("{pk} = ANY(ARRAY(" + sql + "))", params))

    def search(self, queryset, groups, *, count_cap=None):
        """Directly on the row, so the planner chooses between the GIN index and walking
        the sort order's index, except for a search it expects to match few rows: those
        are collected from the GIN index first. The planner's estimate (no rows read) also
        tells a common word apart, whose capped count would cost more than its first page."""
        query = websearch_text(groups)
        if not query:
            return Narrowing(queryset.none(), 0 if count_cap else None, few=True)
        estimate = remembered((self.alias, "tsquery-rows", query), lambda: self._estimated_matches(query))
        count = count_cap + 1 if count_cap and estimate > 5 * count_cap else None
        if estimate <= self.few_search_matches:
            matches = queryset.model.objects.using(queryset.db).filter(RowCondition(_MATCHES, (TS_CONFIG, query)))
            return Narrowing(self.collected(queryset, matches.order_by().values("pk")), count, few=True)
        return Narrowing(queryset.filter(RowCondition(_MATCHES, (TS_CONFIG, query))), count)

    def _estimated_matches(self, query):
        from curation.models import Article

        with self.connection.cursor() as cursor:
            cursor.execute(
                f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {self.quote(Article._meta.db_table)} "
                "WHERE search_vector @@ websearch_to_tsquery(%s::regconfig, %s)",
                [TS_CONFIG, query],
            )
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return plan[0]["Plan"]["Plan Rows"]

    def estimated_rows(self, model):
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
            row = cursor.fetchone()
        return row[0] if row and row[0] and row[0] > 0 else None

    # --- bulk writing -------------------------------------------------------------------

    def _insert(self, model, fields, params):
        """One binary COPY: executemany pays a round of adaptation and pipeline bookkeeping
        per row that costs more than the insert, and in binary format neither side escapes
        or parses the text."""
        columns = ", ".join(self.quote(f.column) for f in fields)
        copy_sql = f"COPY {self.quote(model._meta.db_table)} ({columns}) FROM STDIN (FORMAT BINARY)"
        with self.connection.cursor() as cursor, self.connection.wrap_database_errors:
            with cursor.cursor.copy(copy_sql) as copy:
                # Binary COPY needs each column's type: varchar(64) -> varchar.
                copy.set_types([f.db_type(self.connection).split("(")[0] for f in fields])
                for values in params:
                    copy.write_row(values)

    def empty_tables(self, *models_):
        # TRUNCATE: no dead rows left behind for VACUUM, whatever the table held. It refuses
        # a table with foreign-key checks still deferred in this transaction (rows written
        # earlier in it): those are run first, as Django's check_constraints does.
        with self.connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE " + ", ".join(self.quote(model._meta.db_table) for model in models_))
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def lock_for_transaction(self, name):
        # A transaction-level advisory lock, keyed by a stable number for the name.
        key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])

    def update_by_id(self, model, column, pairs, *, chunk=20000):
        """One UPDATE ... FROM unnest(ids, values) per chunk: two array parameters."""
        pairs = list(pairs)
        table, quoted = self.quote(model._meta.db_table), self.quote(column)
        value_type = model._meta.get_field(column).db_type(self.connection).split("(")[0]
        value_type = {"bigserial": "bigint", "serial": "integer"}.get(value_type, value_type)
        with self.connection.cursor() as cursor:
            for start in range(0, len(pairs), chunk):
                part = pairs[start : start + chunk]
                cursor.execute(
                    f"UPDATE {table} AS t SET {quoted} = v.value FROM unnest(%s::bigint[], %s::{value_type}[]) AS v(id, value) "
                    "WHERE t.id = v.id",
                    [[pk for pk, _ in part], [value for _, value in part]],
                )

    def adapt_json_text(self, text):
        from psycopg.types.json import Jsonb

        return Jsonb(text, dumps=str)

    def planner_statistics(self, *, enabled=True):
        return PlannerStatistics(self) if enabled else super().planner_statistics(enabled=False)

    # --- jobs that must not overlap -----------------------------------------------------

    @contextmanager
    def exclusive_job(self, name):
        """A session-level advisory lock: every app server's cron may start the job, and one
        run at a time does the work, whichever machine it is on. The server releases it when
        the connection ends, so a killed run never leaves it held. (Through a pooler in
        transaction mode a session lock can land on another backend: point jobs at the
        server directly.)"""
        key = int.from_bytes(hashlib.sha256(f"newsroom:{name}".encode()).digest()[:8], "big", signed=True)
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            (acquired,) = cursor.fetchone()
        if not acquired:
            yield False
            return
        try:
            yield True
        finally:
            try:
                with self.connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            except DatabaseError:
                # A signal can leave the connection mid-statement (stopping.interrupt_behind),
                # where it takes no other: ending the session releases the lock all the same.
                self.connection.close()
                raise

    # --- reading raw values -------------------------------------------------------------

    def json_array_sql(self, pairs, from_where):
        members = ", ".join(f"'{key}', {expression}" for key, expression in pairs)
        return f"(SELECT COALESCE(json_agg(json_build_object({members})), '[]'::json)::text {from_where})"

    def error_kind(self, exc):
        state = getattr(exc.__cause__, "sqlstate", None)
        if state in _CONFLICT_STATES:
            return base.CONFLICT
        return base.BUSY if state in _BUSY_STATES else base.UNAVAILABLE

    def storage_problem(self, exc):
        state = getattr(exc.__cause__, "sqlstate", None)
        if not state:
            # psycopg's own OperationalError, no server's answer: the connection failed or was lost.
            return base.GONE if isinstance(exc, OperationalError) else None
        return _STORAGE_STATES.get(state) or (base.GONE if state.startswith("08") else None)

    def json_object_sql(self, pairs):
        return "json_build_object(" + ", ".join(f"'{key}', {expression}" for key, expression in pairs) + ")::text"

    def json_column_sql(self, expression):
        return f"({expression})::json"

    def epoch_seconds_sql(self, column):
        return f"EXTRACT(EPOCH FROM {column})::bigint"

    def in_integers_sql(self, lhs_sql, values):
        # psycopg sends a list of ints as one bigint[] parameter.
        return f"{lhs_sql} = ANY(%s::bigint[])", [[int(value) for value in values]]

    def with_ids(self, queryset, ids):
        # One array parameter: psycopg keeps a statement's parsed form only up to 50
        # parameters, and parsed a page's fifty-one ids anew on every page.
        sql, params = self.in_integers_sql("{pk}", ids)
        return queryset.filter(RowCondition(sql, params))

    def in_array_sql(self, lhs_sql, lhs_params, values):
        # One JSON text the server unpacks into the array, rather than a Python list, which
        # psycopg would quote element by element.
        return f"{lhs_sql} = ANY(ARRAY(SELECT json_array_elements_text(%s::json)))", [*lhs_params, json.dumps(values)]


class PlannerStatistics:
    """ANALYZE the tables an import grows each time they have doubled.

    Autovacuum analyzes a table at most once a minute, so during a first import the planner
    believes the tables are empty and scans them whole for the batch's lookups (growing with
    every batch). Analyzing at 400, 800, 1,600, ... rows keeps its picture current for a
    handful of ANALYZEs; a table that is already large is left to autovacuum.
    """

    # Only the columns the import looks rows up by: the full-text column's statistics
    # (target 1000) would make each ANALYZE many times dearer.
    TABLES = "curation_article (id, source_key, source_sha256, canonical_url), curation_relatedcoverage (article_id, canonical_url)"

    def __init__(self, backend):
        from curation.models import Article

        self.backend = backend
        self.table = Article
        self.since_analyze = 0
        self.known_rows = backend.estimated_rows(Article) or 0

    def wrote(self, created):
        self.since_analyze += created
        if self.since_analyze and self.since_analyze >= self.known_rows:
            from django.db import transaction

            with transaction.atomic(using=self.backend.alias), self.backend.connection.cursor() as cursor:
                # A small sample: the lookups need the tables' sizes and that the hashes are
                # distinct, not fine histograms of random hashes; autovacuum later analyzes
                # with the server's own target.
                cursor.execute("SELECT set_config('default_statistics_target', '10', true)")
                cursor.execute("ANALYZE " + self.TABLES)
            self.since_analyze = 0
            self.known_rows = self.backend.estimated_rows(self.table) or 0
