"""SQLite: the FTS5 full-text table, plan choices SQLite cannot make itself, bulk-write settings.

Full-text search uses the FTS5 table `article_fts` (migration 0003), kept in sync with the
article table by triggers. FTS5 has its own query language in which stray quotes, `*`,
`NEAR(` or a bare `AND` are syntax errors, so the user's text never reaches it: the parsed
query is rebuilt from quoted terms (`fts5_query`).
"""

import datetime as dt
import json
from contextlib import contextmanager

from django.db import OperationalError, transaction

from curation.db import base
from curation.db.base import DatabaseBackend, Narrowing, RowCondition
from curation.db.plans import remembered

FTS_TABLE = "article_fts"
_FTS_MATCHES = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"

# The insert trigger stands aside while this table has a row (see deferred_search_indexing).
DEFERRAL_TABLE = "CREATE TABLE IF NOT EXISTS article_fts_deferred (since_id INTEGER NOT NULL)"
TRIGGERS = {
    "article_fts_insert": """
        CREATE TRIGGER IF NOT EXISTS article_fts_insert AFTER INSERT ON curation_article
        WHEN NOT EXISTS (SELECT 1 FROM article_fts_deferred) BEGIN
            INSERT INTO article_fts(rowid, title, excerpt, body) VALUES (new.id, new.title, new.excerpt, new.body);
        END""",
    "article_fts_delete": """
        CREATE TRIGGER IF NOT EXISTS article_fts_delete AFTER DELETE ON curation_article BEGIN
            INSERT INTO article_fts(article_fts, rowid, title, excerpt, body)
            VALUES ('delete', old.id, old.title, old.excerpt, old.body);
        END""",
    "article_fts_update": """
        CREATE TRIGGER IF NOT EXISTS article_fts_update AFTER UPDATE OF id, title, excerpt, body
        ON curation_article BEGIN
            INSERT INTO article_fts(article_fts, rowid, title, excerpt, body)
            VALUES ('delete', old.id, old.title, old.excerpt, old.body);
            INSERT INTO article_fts(rowid, title, excerpt, body) VALUES (new.id, new.title, new.excerpt, new.body);
        END""",
}

# Indexes that migrations make with SQL of their own, since the model cannot state them for
# both databases (PostgreSQL's needs NULLS LAST, which SQLite's CREATE INDEX refuses), and
# that a rebuild of their table drops: {name: (table, a column it needs, CREATE INDEX)}.
RAW_INDEXES = {
    # The public order: pages, feeds, the API (migration 0016; public/selectors.py).
    "article_listed": (
        "curation_article",
        "listed_at",
        "CREATE INDEX IF NOT EXISTS article_listed ON curation_article (listed_at DESC, id DESC) "
        "WHERE state = 'published'",
    ),
}


_BUSY_MESSAGES = ("database is locked", "database table is locked", "database schema is locked")
# What SQLite says when it takes no write at all, whatever the write (sqlite3.c's messages).
_STORAGE_MESSAGES = (
    *((text, base.LOCKED) for text in _BUSY_MESSAGES),
    ("attempt to write a readonly database", base.READ_ONLY),
    ("database or disk is full", base.FULL),
    ("disk i/o error", base.STORAGE_FAILED),
    ("unable to open database file", base.GONE),
)
# What SQLite says (as an OperationalError) when a query is refused for what it was given,
# where PostgreSQL raises a DataError: a bad regular expression, too many values, too long.
_REFUSED_INPUT_MESSAGES = (
    "user-defined function raised exception",
    "too many sql variables",
    "like or glob pattern too complex",
    "parser stack overflow",
    "string or blob too big",
    "expression tree is too large",
)


def _fts5_phrase(words):
    # Inside an FTS5 string only `"` is special, and it is doubled; quoting makes every
    # word a literal (AND, NEAR, * and ^ lose their meaning).
    return " + ".join('"' + word.replace('"', '""') + '"' for word in words)


def fts5_query(groups):
    """A safe FTS5 MATCH expression for a parsed query, or "" when nothing can match."""
    alternatives = []
    for group in groups:
        positive = [_fts5_phrase(words) for negated, words in group if not negated]
        negative = [_fts5_phrase(words) for negated, words in group if negated]
        if not positive:
            continue  # FTS5 cannot express "everything except"; such a group matches nothing
        expression = " AND ".join(positive)
        for phrase in negative:
            expression = f"({expression}) NOT {phrase}"
        alternatives.append(f"({expression})")
    return " OR ".join(alternatives)


def range_bounds(lowest, highest, nth_highest, *, few, per_range, max_ranges):
    """Inner boundaries splitting [lowest, highest] into equal rowid ranges of about
    `per_range` matches, at the density of the newest matches (the ids between
    nth_highest and highest hold `few` of them)."""
    if lowest is None or highest is None or nth_highest is None:
        return []
    span = highest - lowest
    ids_per_range = max(1, (highest - nth_highest) * per_range // few)
    ranges = max(1, min(max_ranges, -(-span // ids_per_range)))
    return sorted({lowest + span * i // ranges for i in range(1, ranges)})


def ranged_membership(query, bounds, low=None, high=None):
    """SQL true when {pk} is a match, testing only the matches in {pk}'s rowid range.

    A balanced tree of CASEs routes the row to the range (low, high] holding it, and the
    leaves together cover every rowid, whatever the bounds: the result is `{pk} IN
    (matches)`. SQLite builds a leaf's match list the first time a row reaches it, so a
    walk that stays among recent (or old) ids reads a slice of a common word's doclist.
    Returns (sql, params).
    """
    if not bounds:
        limits = ([f" AND rowid > {int(low)}"] if low is not None else []) + (
            [f" AND rowid <= {int(high)}"] if high is not None else []
        )
        return "+{pk} IN (" + _FTS_MATCHES + "".join(limits) + ")", [query]
    middle = len(bounds) // 2
    bound = int(bounds[middle])
    below, below_params = ranged_membership(query, bounds[:middle], low, bound)
    above, above_params = ranged_membership(query, bounds[middle + 1 :], bound, high)
    return f"CASE WHEN {{pk}} <= {bound} THEN {below} ELSE {above} END", [*below_params, *above_params]


class SQLiteBackend(DatabaseBackend):
    vendor = "sqlite"
    # Below this many matches a search fetches its rows by rowid and sorts them.
    few_search_matches = 2000
    # The many-matches plan tests membership in the matches of one rowid range at a time:
    # ranges of about this many matches each, and at most this many ranges (each is one more
    # FTS5 subquery for SQLite to prepare with every statement).
    matches_per_range = 20_000
    max_ranges = 32

    # --- search -------------------------------------------------------------------------

    def search(self, queryset, groups, *, count_cap=None):
        """The FTS5 filter, shaped so SQLite picks the right plan.

        SQLite cannot estimate how many rows a MATCH returns, and the two good plans differ:
        - few matches: fetch the matching rows by rowid and sort them (`id IN (...)`);
        - many matches: walk the index of the page's sort order and keep the rows found in
          the match list (`+id IN (...)`: the unary plus stops SQLite from driving the query
          by rowid), which stops after one page.
        A capped count of the matches, remembered per text, decides. The match list of the
        second plan is built per rowid range, on demand (see ranged_membership): a page
        walks a few hundred rows of mostly nearby ids, so it reads one or a few ranges of a
        common word's doclist instead of all of it. Not a correlated EXISTS into the FTS
        table per row: each probe re-reads the term from every index segment.
        """
        query = fts5_query(groups)
        if not query:
            return Narrowing(queryset.none(), 0 if count_cap else None, few=True)
        count, lowest, highest, nth = remembered((self.alias, "fts", query), lambda: self._match_facts(query))
        exact = self._match_count(query, count_cap) if count_cap else None
        if count < self.few_search_matches:
            return Narrowing(queryset.filter(RowCondition("{pk} IN (" + _FTS_MATCHES + ")", (query,))), exact, few=True)
        bounds = range_bounds(
            lowest, highest, nth, few=self.few_search_matches, per_range=self.matches_per_range, max_ranges=self.max_ranges
        )
        sql, params = ranged_membership(query, bounds)
        return Narrowing(queryset.filter(RowCondition(sql, params)), exact)

    def _match_facts(self, query):
        """(matches capped at few_search_matches, lowest matching rowid, highest, and the
        rowid of the few_search_matches-th match from the top): one query; FTS5 reads a
        doclist from either end and stops."""
        cap = self.few_search_matches
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT (SELECT count(*) FROM ({_FTS_MATCHES} LIMIT %s)), ({_FTS_MATCHES} ORDER BY rowid LIMIT 1), "
                f"({_FTS_MATCHES} ORDER BY rowid DESC LIMIT 1), ({_FTS_MATCHES} ORDER BY rowid DESC LIMIT 1 OFFSET %s)",
                (query, cap, query, query, query, cap - 1),
            )
            return tuple(cursor.fetchone())

    def _match_count(self, query, cap):
        """How many articles match, up to cap + 1, from the FTS5 index alone (fresh: it is shown)."""
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM ({_FTS_MATCHES} LIMIT %s) m", [query, int(cap) + 1])
            return cursor.fetchone()[0]

    @contextmanager
    def deferred_search_indexing(self):
        """Inside the block, inserted articles are indexed for search all at once when it
        ends, instead of by the insert trigger row by row (FTS5 writes its pending terms
        out after every trigger call).

        The block is one savepoint: the flag row that makes the trigger stand aside is added
        and removed inside it, so it is never committed and no other connection sees it
        (SQLite has one writer at a time, so every row inserted meanwhile is ours).
        """
        with transaction.atomic(using=self.alias), self.connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM curation_article")
            (since_id,) = cursor.fetchone()
            cursor.execute("INSERT INTO article_fts_deferred (since_id) VALUES (%s)", [since_id])
            yield
            # AUTOINCREMENT ids only grow, so the rows inserted in the block are those above.
            cursor.execute(
                "INSERT INTO article_fts(rowid, title, excerpt, body) "
                "SELECT id, title, excerpt, body FROM curation_article WHERE id > %s",
                [since_id],
            )
            cursor.execute("DELETE FROM article_fts_deferred")

    def repair_search_index(self):
        """Django applies most changes to the article table by rebuilding it (copy, drop,
        rename), and dropping a table drops its triggers: search would silently stop seeing
        new and edited articles. Run after every migrate (see CurationConfig.ready)."""
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT type, name FROM sqlite_master WHERE name = 'article_fts' "
                "OR (type = 'trigger' AND tbl_name = 'curation_article')"
            )
            present = {name for _, name in cursor.fetchall()}
            if "article_fts" not in present or set(TRIGGERS) <= present:
                return False
            cursor.execute(DEFERRAL_TABLE)
            for statement in TRIGGERS.values():
                cursor.execute(statement)
            cursor.execute("INSERT INTO article_fts(article_fts) VALUES ('rebuild')")
        return True

    def repair_indexes(self):
        """The same for RAW_INDEXES: a rebuild of the article table (most migrations that
        touch it) dropped the public listing's index, and every feed, the API and the home
        page then sorted all the published rows on each render. An index whose column a
        migration has not added yet (a migrate back to an older state) is left for later."""
        put_back = []
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
            present = {name for (name,) in cursor.fetchall()}
            for name, (table, column, statement) in RAW_INDEXES.items():
                if name in present:
                    continue
                cursor.execute(f"SELECT name FROM pragma_table_info('{table}')")
                if column in {found for (found,) in cursor.fetchall()}:
                    cursor.execute(statement)
                    put_back.append(name)
        return put_back

    # --- bulk writing -------------------------------------------------------------------

    def adapt_datetime(self, value):
        # What Django's SQLite backend stores for an aware datetime (naive UTC text),
        # without the settings lookups its own adapter makes for every value.
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")

    @contextmanager
    def bulk_write_session(self):
        """Also keeps this connection's statement journals in memory while it imports.

        Inside a transaction SQLite journals every page a statement changes, so that the
        statement alone can be undone; the article table's insert trigger makes every insert
        such a statement, and an imported article touches more pages than SQLite journals in
        memory, so each insert spilled its journal into a temporary file. temp_store = MEMORY
        keeps them in memory, for the import only: elsewhere a large sort may still spill to
        disk rather than grow in memory. SQLite refuses the change inside a transaction; an
        import started in one (tests) keeps the setting it has.
        """
        with super().bulk_write_session():
            if self.connection.in_atomic_block:
                yield
                return
            with self.connection.cursor() as cursor:
                cursor.execute("PRAGMA temp_store")
                (previous,) = cursor.fetchone()
                cursor.execute("PRAGMA temp_store = MEMORY")
            try:
                yield
            finally:
                with self.connection.cursor() as cursor:
                    cursor.execute(f"PRAGMA temp_store = {int(previous)}")

    def lock_for_transaction(self, name):
        """SQLite has one writer at a time (transactions here begin IMMEDIATE); a transaction
        that has not written yet takes the write lock now, so the work it guards starts
        from what the previous writer committed."""
        with self.connection.cursor() as cursor:
            cursor.execute("UPDATE curation_story SET id = id WHERE 0")

    def update_by_id(self, model, column, pairs, *, chunk=20000):
        """One UPDATE ... FROM a JSON array of [id, value] pairs per chunk (SQLite 3.33+)."""
        pairs = list(pairs)
        table, quoted = self.quote(model._meta.db_table), self.quote(column)
        with self.connection.cursor() as cursor:
            for start in range(0, len(pairs), chunk):
                cursor.execute(
                    f"UPDATE {table} SET {quoted} = v.value FROM (SELECT json_extract(j.value, '$[0]') AS id, "
                    "json_extract(j.value, '$[1]') AS value FROM json_each(%s) AS j) AS v "
                    f"WHERE {table}.id = v.id",
                    [json.dumps([[pk, value] for pk, value in pairs[start : start + chunk]])],
                )

    # --- reading raw values -------------------------------------------------------------

    def json_array_sql(self, pairs, from_where):
        members = ", ".join(f"'{key}', {expression}" for key, expression in pairs)
        return f"(SELECT json_group_array(json_object({members})) {from_where})"

    def json_object_sql(self, pairs):
        return "json_object(" + ", ".join(f"'{key}', {expression}" for key, expression in pairs) + ")"

    def json_column_sql(self, expression):
        # Stored as JSON text: json() makes it a value inside the array, not a string.
        return f"json({expression})"

    def error_kind(self, exc):
        # SQLite has no deadlocks (one writer at a time): only a lock not granted in time.
        return base.BUSY if any(text in str(exc).lower() for text in _BUSY_MESSAGES) else base.UNAVAILABLE

    def refused_input(self, exc):
        return isinstance(exc, OperationalError) and any(text in str(exc).lower() for text in _REFUSED_INPUT_MESSAGES)

    def storage_problem(self, exc):
        message = str(exc).lower()
        return next((kind for text, kind in _STORAGE_MESSAGES if text in message), None)

    def in_array_sql(self, lhs_sql, lhs_params, values):
        return f"{lhs_sql} IN (SELECT value FROM json_each(%s))", [*lhs_params, json.dumps(values)]

    def epoch_seconds_sql(self, column):
        return f"CAST(strftime('%%s', {column}) AS INTEGER)"

    def in_integers_sql(self, lhs_sql, values):
        return f"{lhs_sql} IN (SELECT value FROM json_each(%s))", [json.dumps([int(value) for value in values])]

