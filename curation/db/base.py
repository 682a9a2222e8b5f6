"""What every database backend offers, written once in portable SQL where that is possible.

A vendor module (`sqlite.py`, `postgresql.py`) overrides what that database does better or
differently; a database with neither (the tests of a third-party setup, say) gets these
portable versions, which are correct but not tuned for a million rows.
"""

import datetime as dt
import fcntl
import gc
import hashlib
import os
import re
import tempfile
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from django.db import OperationalError, models
from django.db.models import BooleanField, Exists, F, OuterRef, Q
from django.db.models.expressions import Expression
from django.utils.dateparse import parse_datetime

from curation.db.plans import remembered

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Narrowing:
    """A filter (a topic, a search) in the shape that suits how many rows it matches.

    `count`: how many articles the filter alone matches when that is known without another
    query, exact up to the cap the caller gave and cap + 1 for "more"; None when unknown.
    `few`: the matches are collected first, so the caller should sort them rather than walk
    the index of its sort order looking for them (see `selectors.queue_page`, `by_index`).
    """

    queryset: models.QuerySet
    count: int | None = None
    few: bool = False


class RowCondition(Expression):
    """A boolean SQL condition about the article row itself.

    The row is referred to through a compiled `pk` column, so the condition names the
    table by whatever alias the query gives it (the admin, for instance, wraps its
    queryset in EXISTS with relabelled aliases). `{pk}` and `{table}` in `template` become
    the qualified id column and the table alias; `%s` placeholders take `params`.
    """

    def __init__(self, template, params, output_field=None):
        super().__init__(output_field=output_field or BooleanField())
        self.template, self.params, self.pk = template, tuple(params), F("pk")

    def get_source_expressions(self):
        return [self.pk]

    def set_source_expressions(self, exprs):
        (self.pk,) = exprs

    def as_sql(self, compiler, connection):
        pk_sql, pk_params = compiler.compile(self.pk)
        table = pk_sql.rsplit(".", 1)[0] if "." in pk_sql else connection.ops.quote_name(self._table_name())
        return self.template.format(pk=pk_sql, table=table), (*pk_params, *self.params)

    @staticmethod
    def _table_name():
        from curation.models import Article

        return Article._meta.db_table


def insert_fields(model):
    """The columns an INSERT writes: all but an automatic id (a primary key that is also a
    foreign key, as on a one-to-one table, is written)."""
    return [f for f in model._meta.concrete_fields if not (f.primary_key and isinstance(f, models.AutoField))]


class DatabaseBackend:
    vendor = "portable"
    # Below this many matches a topic's articles are collected first and sorted; above, the
    # sort order's index is walked and each row tested (a popular topic fills a page soon).
    few_topic_articles = 5000

    def __init__(self, connection):
        self.connection = connection

    @property
    def alias(self):
        return self.connection.alias

    def quote(self, name):
        return self.connection.ops.quote_name(name)

    # --- narrowing the article list -----------------------------------------------------

    def with_topic(self, queryset, topic, *, size=None, count_cap=None):
        """Articles tagged with the topic: its id, or a one-column queryset of topic ids run
        inside this query (the public API's slug, which may be a merged topic's). `size`:
        the topic's capped article count if the caller read it already (else it is read
        once and remembered for the plan)."""
        through = queryset.model.topics.through
        by = {"topic_id": topic} if isinstance(topic, int) else {"topic_id__in": topic}
        links = through.objects.using(queryset.db).filter(**by).values("article_id")
        cap = max(self.few_topic_articles, (count_cap or 0) + 1)
        if size is None:
            # A queryset is remembered by its SQL and parameters (compiled, never run here).
            key = topic if isinstance(topic, int) else str(topic.query)
            size = remembered((self.alias, "topic-size", key, cap), lambda: links[:cap].count())
        count = min(size, count_cap + 1) if count_cap else None
        if size >= self.few_topic_articles:
            # One probe of the (article, topic) unique index per row walked: a page of a
            # popular topic is found after a few hundred rows of the sort order.
            return Narrowing(queryset.filter(Exists(links.filter(article_id=OuterRef("pk")))), count)
        return Narrowing(self.collected(queryset, links), count, few=True)

    def collected(self, queryset, ids):
        """`queryset` narrowed to the ids of the one-column queryset `ids`, read first."""
        return queryset.filter(pk__in=ids)

    def search(self, queryset, groups, *, count_cap=None):
        """Articles whose title, excerpt or body match the parsed query `groups` (see
        `curation.search.parse_query`): substring tests, for a database without a
        full-text index of ours."""
        condition = Q(pk__in=[])
        for group in groups:
            group_q = Q()
            for negated, words in group:
                phrase = " ".join(words)
                term_q = Q(title__icontains=phrase) | Q(excerpt__icontains=phrase) | Q(body__icontains=phrase)
                group_q &= ~term_q if negated else term_q
            condition |= group_q
        return Narrowing(queryset.filter(condition))

    # --- the search index ---------------------------------------------------------------

    def deferred_search_indexing(self):
        """Inside the block, bulk inserts may leave indexing for search to its end."""
        return nullcontext()

    def repair_search_index(self):
        """Put back whatever keeps the search index in sync, if a migration removed it.
        Returns True when it had to."""
        return False

    def repair_indexes(self):
        """Put back the indexes migrations made with their own SQL, if a migration removed
        them; returns their names."""
        return []

    # --- sizes --------------------------------------------------------------------------

    def estimated_rows(self, model):
        """The database's own estimate of a table's rows, free to read, or None."""
        return None

    # --- bulk writing -------------------------------------------------------------------

    def insert_rows(self, model, rows, *, json_encoded=frozenset(), adapted=frozenset()):
        """INSERT plain dicts (attname -> value), validated already, as one statement.

        Django's bulk_create builds a model instance and prepares every value of every row
        through its field; for the import's thousands of rows a batch that is most of the
        cost. Only timestamps and JSON need adapting here; columns a row leaves out take the
        field's default. Values of the JSON columns in `json_encoded` are JSON text already;
        values of the timestamp columns in `adapted` went through adapt_datetime already (a
        value many rows share is adapted once).
        """
        if not rows:
            return
        fields = insert_fields(model)
        self._insert(model, fields, self._row_values(fields, rows, json_encoded, adapted))

    def insert_tuples(self, model, columns, rows):
        """INSERT rows given as tuples in the order of `columns` (attnames), every value
        adapted for this database already (`adapt_datetime`): for tables written by the
        million (a rebuild's index), where even a dict a row costs."""
        self._insert(model, [model._meta.get_field(name) for name in columns], rows)

    def _insert(self, model, fields, params):
        columns = ", ".join(self.quote(f.column) for f in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        with self.connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {self.quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})", params
            )

    def empty_tables(self, *models_):
        """Delete every row of these tables (which nothing references)."""
        with self.connection.cursor() as cursor:
            for model in models_:
                cursor.execute(f"DELETE FROM {self.quote(model._meta.db_table)}")

    @contextmanager
    def indexes_dropped(self, model):
        """The model's secondary indexes (Meta.indexes) dropped for the block and built again
        after it, in the current transaction: one sorted build instead of millions of
        inserts into a growing index. Other sessions that use the table wait until the
        transaction ends (PostgreSQL locks it; SQLite has one writer anyway)."""
        editor = self.connection.schema_editor(atomic=False)
        editor.deferred_sql = []  # what entering the editor would set; it is only asked for SQL here
        indexes = list(model._meta.indexes)
        with self.connection.cursor() as cursor:
            for index in indexes:
                cursor.execute(str(index.remove_sql(model, editor)))
            yield
            for index in indexes:
                cursor.execute(str(index.create_sql(model, editor)))

    def _row_values(self, fields, rows, json_encoded, adapted=frozenset()):
        columns = []  # per column: its name, how to adapt a value, and its default, adapted
        for f in fields:
            adapt = None
            if isinstance(f, models.DateTimeField):
                adapt = self.adapt_datetime
            elif isinstance(f, models.JSONField):
                adapt = partial(self.connection.ops.adapt_json_value, encoder=f.encoder)
            default = f.get_default()
            if adapt is not None and default is not None:
                default = adapt(default)
            if f.attname in json_encoded:
                adapt = self.adapt_json_text
            elif f.attname in adapted:
                adapt = None
            columns.append((f.attname, adapt, default))
        missing = object()
        params = []
        for row in rows:
            values = []
            for name, adapt, default in columns:
                value = row.get(name, missing)
                if value is missing:
                    values.append(default)
                elif adapt is None or value is None:
                    values.append(value)
                else:
                    values.append(adapt(value))
            params.append(values)
        return params

    def adapt_datetime(self, value):
        return self.connection.ops.adapt_datetimefield_value(value)

    def adapt_json_text(self, text):
        return text

    def update_by_id(self, model, column, pairs, *, chunk=5000):
        """Set one column of many rows to per-row values: pairs of (id, value). Portable:
        one CASE statement per chunk."""
        pairs = list(pairs)
        table, quoted = self.quote(model._meta.db_table), self.quote(column)
        with self.connection.cursor() as cursor:
            for start in range(0, len(pairs), chunk):
                part = pairs[start : start + chunk]
                cases = " ".join(["WHEN %s THEN %s"] * len(part))
                params = [value for pair in part for value in pair] + [pk for pk, _ in part]
                cursor.execute(
                    f"UPDATE {table} SET {quoted} = CASE id {cases} END WHERE id IN ({', '.join(['%s'] * len(part))})", params
                )

    def lock_for_transaction(self, name):
        """Hold a lock named `name` until the current transaction ends, so that one process
        at a time does the work it guards (stories: two imports ending together would each
        rewrite the same stories). Here, where writers are serialised anyway: nothing."""

    @contextmanager
    def bulk_write_session(self):
        """Settings for a process and connection about to write many rows (the import).

        Python's cycle collector would otherwise rescan the same objects all through an
        import: a batch keeps thousands of parsed seeds and rows alive at once, and the
        collector's full collections walk every object Django has loaded, on the import's
        critical path. Here what exists before is frozen (left out of collections; also
        what the docs advise before forking the parse workers) and a collection waits for
        50,000 net new objects; cyclic garbage is still collected, later. Both settings are
        restored afterwards; a process that froze objects itself (a server after forking)
        keeps everything frozen, since unfreezing cannot tell its objects from the import's.
        """
        thresholds = gc.get_threshold()
        frozen_by_caller = gc.get_freeze_count() > 0
        gc.freeze()
        gc.set_threshold(50_000, *thresholds[1:])
        try:
            yield
        finally:
            gc.set_threshold(*thresholds)
            if not frozen_by_caller:
                gc.unfreeze()

    def planner_statistics(self, *, enabled=True):
        """Keeps the planner's picture of the tables current while an import grows them;
        its `wrote(created)` is called after each batch."""
        return _NoStatistics()

    # --- jobs that must not overlap -----------------------------------------------------

    @contextmanager
    def exclusive_job(self, name):
        """Yields True when this process holds the lock `name` for the block, False when
        another process holds it (the caller then does nothing). Released when the block
        ends, and by the operating system if the process dies.

        Portable version: an exclusive lock on a file beside the database (its folder, or
        the temporary folder for an in-memory one), which serialises the runs on one machine,
        as SQLite serves one machine.
        """
        path = self._lock_path(name)
        # Read-only: flock needs no write access, and a lock file another user left (a run by
        # hand as root, 0644) then serves the scheduler's user too; opened for writing, it
        # failed every later run with PermissionError, a traceback a minute.
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_CREAT, 0o666)
        except OSError as exc:
            # Its folder takes no new file: SQLite's journal would not be written there either.
            raise OperationalError(
                f"attempt to write a readonly database: the lock file {path} cannot be made ({exc.strerror})"
            ) from exc
        handle = os.fdopen(descriptor, "rb")
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            handle.close()

    def _lock_path(self, name):
        database = str(self.connection.settings_dict.get("NAME") or "")
        digest = hashlib.sha256(f"{database}|{name}".encode()).hexdigest()[:16]
        folder = Path(database).parent if database and Path(database).parent.is_dir() and "memory" not in database else None
        return (folder or Path(tempfile.gettempdir())) / f".newsroom-{_SAFE_NAME.sub('-', name)}-{digest}.lock"

    # --- reading raw values -------------------------------------------------------------

    def json_array_sql(self, pairs, from_where):
        """SQL for a JSON array (as text) of one object per row of `from_where`;
        `pairs`: (key, SQL expression) for each member of the objects."""
        raise NotImplementedError(f"JSON aggregation is not written for {self.connection.vendor}")

    def json_object_sql(self, pairs):
        """SQL for one JSON object (as text) of (key, SQL expression) pairs; a member that is
        JSON text itself goes through json_column_sql first."""
        raise NotImplementedError(f"JSON objects are not written for {self.connection.vendor}")

    def json_column_sql(self, expression):
        """A JSON column's value as a JSON value inside `json_array_sql`."""
        return expression

    def datetime_from_db(self, value):
        """An aware datetime from a value a raw query returned, or None."""
        if not value:
            return None
        if isinstance(value, dt.datetime):
            parsed = value
        else:
            text = str(value)
            # Text without an offset is UTC (SQLite's); naming the zone in the text costs
            # less than replacing it after (a story summary holds a dozen of these).
            if len(text) > 6 and not (text[-6] in "+-" and text[-3] == ":") and not text.endswith("Z"):
                text += "+00:00"
            try:
                parsed = dt.datetime.fromisoformat(text)
            except ValueError:
                parsed = parse_datetime(str(value).replace(" ", "T", 1))
                if parsed is None:
                    return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed

    def error_kind(self, exc):
        """How this database says an OperationalError was a conflict or a busy lock."""
        return UNAVAILABLE

    def refused_input(self, exc):
        """Whether this database raised `exc` (beyond DataError) for a value it was given."""
        return False

    def storage_problem(self, exc):
        """LOCKED, READ_ONLY, FULL, STORAGE_FAILED or GONE when `exc` says this database cannot
        take writes at all (whatever they hold), else None."""
        return None

    def in_array_sql(self, lhs_sql, lhs_params, values):
        """`lhs IN values` for a long list of strings bound as one parameter (see
        curation.lookups), or None where the ordinary IN is the way."""
        return None

    def epoch_seconds_sql(self, column):
        """SQL for a datetime column as whole seconds since 1970 (NULL stays NULL)."""
        raise NotImplementedError(f"epoch seconds are not written for {self.connection.vendor}")

    def in_integers_sql(self, lhs_sql, values):
        """(sql, params) for `lhs IN values`, a list of 64-bit integers of any length, bound
        as one parameter where the database can unpack one (the stories' key look-ups)."""
        values = [int(value) for value in values]
        if not values:
            return "1 = 0", []
        return f"{lhs_sql} IN ({', '.join(['%s'] * len(values))})", values

    def with_ids(self, queryset, ids):
        """`queryset` narrowed to the rows of these ids (a queue page's rows, a few hundred at
        most): one parameter each, as SQLite binds them."""
        return queryset.filter(pk__in=ids)


# How a database error is answered (see curation.services.transactions and the middleware).
CONFLICT, BUSY, UNAVAILABLE = "conflict", "busy", "unavailable"


def error_kind(exc, *, using="default"):
    """CONFLICT (rolled back whole for a deadlock or serialization failure: running it again
    is safe), BUSY (a lock not granted in time) or UNAVAILABLE for an OperationalError; None
    for anything else."""
    from django.db import OperationalError

    if not isinstance(exc, OperationalError):
        return None
    from curation.db import backend

    return backend(using).error_kind(exc)


# Why a database takes no writes at all (is_unwritable): what was written stays, nothing more can be.
LOCKED, READ_ONLY, FULL, STORAGE_FAILED, GONE = "locked", "read-only", "full", "storage failed", "gone"


def storage_problem(exc, *, using="default"):
    """LOCKED, READ_ONLY, FULL, STORAGE_FAILED or GONE for a database error that no value
    written caused and no other write would escape (a write lock held by another process
    past the wait, a read-only file or server, a full disk, an I/O error, a lost server);
    None for anything else (a value refused, a conflict worth a retry). Any DatabaseError:
    Django raises PostgreSQL's read-only transaction as an InternalError."""
    from django.db import DatabaseError, IntegrityError

    if not isinstance(exc, DatabaseError) or isinstance(exc, IntegrityError):
        return None
    from curation.db import backend

    return backend(using).storage_problem(exc)


def is_refused_input(exc, *, using="default"):
    """Whether the database (or its driver) refused a query for a value it was given (a
    NUL, a bad regular expression, a number beyond 64 bits, a pattern too long): the
    request was bad, not the server."""
    from django.db import DataError

    if isinstance(exc, DataError | OverflowError):
        return True
    from curation.db import backend

    return backend(using).refused_input(exc)


class _NoStatistics:
    def wrote(self, created):
        pass
