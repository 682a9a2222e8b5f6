"""Full-text search over articles (title, excerpt, body), for the curator queue and the admin.

PostgreSQL: the stored generated `search_vector` column and its GIN index
(migration 0003_article_fulltext_search), matched with `websearch_to_tsquery`, which
accepts anything a user types without a syntax error.
SQLite: the FTS5 table `article_fts`, kept in sync by triggers, matched with MATCH. FTS5 has
its own query language in which stray quotes, `*`, `NEAR(` or a bare `AND` are syntax
errors, so user text is never passed through: it is rebuilt as quoted terms (see
`fts5_query`).

Both understand the same small "web search" syntax: words (all must match, stemmed),
"quoted phrases", `OR` between alternatives and `-word` to exclude a word.

Usage: `search_articles(Article.objects.in_queue(), "climate policy")` returns a filtered
queryset that keeps the caller's ordering (the queue's sort applies to the matches);
`order_by_relevance(queryset, text)` sorts the matches best first instead.
"""

import re
import time
from contextlib import contextmanager

from django.db import connections, transaction
from django.db.models import BooleanField, Exists, F, FloatField, OuterRef, Q
from django.db.models.expressions import Expression

# Longer input is cut: nobody types more, and it bounds the work a crafted query can cause.
MAX_QUERY_LENGTH = 300
MAX_TERMS = 32

# PostgreSQL text search configuration; must match the generated column in the migration.
TS_CONFIG = "english"

_TOKEN_RE = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
_WORD_RE = re.compile(r"\w+", re.UNICODE)


def _clean(text):
    # PostgreSQL refuses NUL in text; control characters are noise in a search box.
    text = "".join(ch if ch.isprintable() else " " for ch in (text or ""))
    return text[:MAX_QUERY_LENGTH].strip()


def parse_query(text):
    """The user's text as OR-groups of terms: [[(negated, [word, ...]), ...], ...].

    A term is one word or a quoted phrase (a list of words); punctuation is dropped,
    exactly as the FTS5 and PostgreSQL tokenizers drop it.
    """
    groups, current = [], []
    count = 0
    for match in _TOKEN_RE.finditer(_clean(text)):
        if match.group(2) is not None:
            negated, raw, phrase = bool(match.group(1)), match.group(2), True
        else:
            negated, raw, phrase = bool(match.group(3)), match.group(4), False
        count += 1
        if not phrase and raw.upper() == "OR":
            if current:
                groups.append(current)
                current = []
            continue
        words = _WORD_RE.findall(raw)
        if not words:
            continue
        # A phrase, or a word like "e-mail" that the tokenizers split: its words stay together.
        current.append((negated, words))
        if count >= MAX_TERMS:
            break
    if current:
        groups.append(current)
    return groups


def _fts5_phrase(words):
    # Inside an FTS5 string only `"` is special, and it is doubled; \w words contain none,
    # but quoting makes every word a literal (AND, NEAR, * and ^ lose their meaning).
    return " + ".join('"' + word.replace('"', '""') + '"' for word in words)


def fts5_query(text):
    """A safe FTS5 MATCH expression for the user's text, or "" when it has no words."""
    alternatives = []
    for group in parse_query(text):
        positive = [_fts5_phrase(words) for negated, words in group if not negated]
        negative = [_fts5_phrase(words) for negated, words in group if negated]
        if not positive:
            continue  # FTS5 cannot express "everything except"; such a group matches nothing
        expression = " AND ".join(positive)
        for phrase in negative:
            expression = f"({expression}) NOT {phrase}"
        alternatives.append(f"({expression})")
    return " OR ".join(alternatives)


def websearch_text(text):
    """The user's text normalised for PostgreSQL's websearch_to_tsquery, or "" when empty.

    websearch_to_tsquery never raises on odd input; rebuilding the text from the parsed
    terms keeps both databases' interpretation of the same query alike.
    """
    alternatives = []
    for group in parse_query(text):
        if not any(not negated for negated, _ in group):
            continue
        terms = []
        for negated, words in group:
            term = '"' + " ".join(words) + '"' if len(words) > 1 else words[0]
            terms.append(("-" if negated else "") + term)
        alternatives.append(" ".join(terms))
    return " or ".join(alternatives)


def _vendor(queryset):
    return connections[queryset.db].vendor


class _RowCondition(Expression):
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
        table = pk_sql.rsplit(".", 1)[0] if "." in pk_sql else connection.ops.quote_name("curation_article")
        return self.template.format(pk=pk_sql, table=table), (*pk_params, *self.params)


# Plan choices (see _sqlite_condition, filter_by_topic): a key -> (what was counted, when).
# Only the plan depends on it, never the result, so a stale entry costs speed, not correctness.
SQLITE_FEW_MATCHES = 2000
_PLAN_CACHE_SIZE = 1024
_PLAN_CACHE_SECONDS = 600
_plan_cache = {}


def _cached_plan_facts(key, connection, sql, params):
    """The first row of `sql`, remembered for a while under `key` (per process)."""
    now = time.monotonic()
    key = (connection.alias, *key)
    cached = _plan_cache.get(key)
    if cached is not None and now - cached[1] < _PLAN_CACHE_SECONDS:
        return cached[0]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        facts = tuple(cursor.fetchone())
    if len(_plan_cache) >= _PLAN_CACHE_SIZE:
        try:  # drop the oldest; another thread may be doing the same
            _plan_cache.pop(next(iter(_plan_cache)), None)
        except (StopIteration, RuntimeError):
            pass
    _plan_cache[key] = (facts, now)
    return facts


def _capped_count(key, connection, sql, params, cap):
    """len(rows of `sql`) up to `cap`, remembered for a while under `key`."""
    (count,) = _cached_plan_facts(key, connection, f"SELECT count(*) FROM ({sql} LIMIT %s) capped", (*params, cap))
    return count


# The many-matches plan tests membership in the matches of one rowid range at a time (see
# _sqlite_condition): ranges holding about this many matches each, and at most this many
# ranges (each is one more FTS5 subquery for SQLite to prepare with every statement; below
# some 20,000 matches one list is cheaper than several).
SQLITE_MATCHES_PER_RANGE = 20_000
SQLITE_MAX_RANGES = 32

_FTS_MATCHES = "SELECT rowid FROM article_fts WHERE article_fts MATCH %s"


def _sqlite_match_facts(connection, query):
    """(matches capped at SQLITE_FEW_MATCHES, lowest matching rowid, highest, and the rowid
    of the SQLITE_FEW_MATCHES-th match from the top): one query, 2-5 ms on a fresh
    connection to a million articles (FTS5 reads a doclist from either end and stops),
    cached per text."""
    cap = SQLITE_FEW_MATCHES
    return _cached_plan_facts(
        ("fts", query),
        connection,
        f"SELECT (SELECT count(*) FROM ({_FTS_MATCHES} LIMIT %s)), ({_FTS_MATCHES} ORDER BY rowid LIMIT 1), "
        f"({_FTS_MATCHES} ORDER BY rowid DESC LIMIT 1), ({_FTS_MATCHES} ORDER BY rowid DESC LIMIT 1 OFFSET %s)",
        (query, cap, query, query, query, cap - 1),
    )


def _range_bounds(lowest, highest, nth_highest):
    """Inner boundaries splitting [lowest, highest] into equal rowid ranges of about
    SQLITE_MATCHES_PER_RANGE matches, at the density of the newest matches (the ids
    between nth_highest and highest hold SQLITE_FEW_MATCHES of them)."""
    if lowest is None or highest is None or nth_highest is None:
        return []
    span = highest - lowest
    ids_per_range = max(1, (highest - nth_highest) * SQLITE_MATCHES_PER_RANGE // SQLITE_FEW_MATCHES)
    ranges = max(1, min(SQLITE_MAX_RANGES, -(-span // ids_per_range)))
    return sorted({lowest + span * i // ranges for i in range(1, ranges)})


def _ranged_membership(query, bounds, low=None, high=None):
    """SQL true when {pk} is a match, testing only the matches in {pk}'s rowid range.

    A balanced tree of CASEs routes the row to the range (low, high] holding it, and the
    leaves together cover every rowid, whatever the bounds: the result is `{pk} IN
    (matches)`. SQLite builds a leaf's match list the first time a row reaches it, so a
    walk that stays among recent (or old) ids reads a slice of a common word's doclist.
    Returns (sql, params).
    """
    if not bounds:
        limits = [f" AND rowid > {low}"] * (low is not None) + [f" AND rowid <= {high}"] * (high is not None)
        return "+{pk} IN (" + _FTS_MATCHES + "".join(limits) + ")", [query]
    middle = len(bounds) // 2
    bound = bounds[middle]
    below, below_params = _ranged_membership(query, bounds[:middle], low, bound)
    above, above_params = _ranged_membership(query, bounds[middle + 1 :], bound, high)
    return f"CASE WHEN {{pk}} <= {bound} THEN {below} ELSE {above} END", [*below_params, *above_params]


def _sqlite_condition(queryset, query):
    """The FTS5 filter, shaped so SQLite picks the right plan.

    SQLite cannot estimate how many rows a MATCH returns, and the two good plans differ:
    - few matches: fetch the matching rows by rowid and sort them (`id IN (...)`);
    - many matches: walk the index of the page's sort order and keep the rows found in
      the match list (`+id IN (...)`: the unary plus stops SQLite from driving the query
      by rowid), which stops after one page. Fetching 300,000 matching rows to sort them
      takes over a second on a million articles; walking takes a few milliseconds.
    A capped count of the matches (a few milliseconds, cached per text) decides.

    The match list of the second plan is built per rowid range, on demand (see
    _ranged_membership): as one list, a word in 30 % of a million articles cost 45 ms on
    every page to collect 300,000 rowids, while a page walks a few hundred rows, mostly of
    nearby ids (published dates follow import order, and every sort breaks ties by id), so
    it builds one or a few of some 16 ranges' lists. A walk that reaches every range pays
    what the single list cost, plus a small setup per range.
    Not a correlated EXISTS into the full-text table per row: each probe re-reads the term
    from every index segment (0.1-0.3 ms), so a walk that rejects many rows (a second keyset
    segment, other filters) took 0.6 s.
    """
    count, *rowids = _sqlite_match_facts(connections[queryset.db], query)
    if count < SQLITE_FEW_MATCHES:
        return _RowCondition("{pk} IN (" + _FTS_MATCHES + ")", (query,))
    sql, params = _ranged_membership(query, _range_bounds(*rowids))
    return _RowCondition(sql, params)


def search_articles(queryset, text):
    """`queryset` narrowed to articles whose title, excerpt or body match `text`.

    Empty text returns the queryset unchanged; text with no words (only punctuation)
    matches nothing. The queryset's ordering is kept. On SQLite a search may run one
    tiny counting query the first time a given text is searched (see _sqlite_condition).
    """
    if not (text or "").strip():
        return queryset
    vendor = _vendor(queryset)
    if vendor == "postgresql":
        query = websearch_text(text)
        if not query:
            return queryset.none()
        # Directly on the row, not as a subquery, so the planner can choose between the
        # GIN index (rare words) and walking the sort order's index (common words); the
        # raised statistics target on the column (migration) makes its estimates good.
        return queryset.filter(
            _RowCondition("{table}.search_vector @@ websearch_to_tsquery(%s::regconfig, %s)", (TS_CONFIG, query))
        )
    if vendor == "sqlite":
        query = fts5_query(text)
        if not query:
            return queryset.none()
        return queryset.filter(_sqlite_condition(queryset, query))
    return _fallback_search(queryset, text)


def order_by_relevance(queryset, text):
    """The matches for `text`, best first (title above excerpt above body), newest next.

    Ranking scores every match, so on a large table keep it for narrow queries; the
    queue's default is `search_articles` under the editor's chosen sort.
    """
    queryset = search_articles(queryset, text)
    if not (text or "").strip() or queryset.query.is_empty():
        return queryset
    vendor = _vendor(queryset)
    if vendor == "postgresql":
        relevance = _RowCondition(
            "ts_rank({table}.search_vector, websearch_to_tsquery(%s::regconfig, %s))",
            (TS_CONFIG, websearch_text(text)),
            output_field=FloatField(),
        )
    elif vendor == "sqlite":
        # bm25 is lower-is-better; the column weights favour title, then excerpt.
        relevance = _RowCondition(
            "(SELECT -bm25(article_fts, 10.0, 4.0, 1.0) FROM article_fts "
            "WHERE article_fts MATCH %s AND article_fts.rowid = {pk})",
            (fts5_query(text),),
            output_field=FloatField(),
        )
    else:
        return queryset
    return queryset.annotate(search_relevance=relevance).order_by("-search_relevance", "-published_at", "-id")


# Below these many articles a topic's rows are fetched and sorted; above, the sort index is
# walked and each row checked against the topic (see filter_by_topic).
FEW_TOPIC_ARTICLES = {"sqlite": 5000, "postgresql": 20000}


def filter_by_topic(queryset, topic):
    """`queryset` narrowed to articles tagged with `topic` (a Topic or its pk), fast at 1M rows.

    Filtering a many-to-many relation is either "fetch the topic's articles, then sort them"
    (right for a rare topic) or "walk the index of the page's order and keep the rows that
    have the topic" (right for a popular one: on 1M articles the first takes 1.4 s on SQLite
    for a topic on 28 % of them, the second 0.2 ms). Neither database estimates this well
    (SQLite always fetches and sorts; PostgreSQL walks and fetches every walked row from the
    heap, 0.5 s for a topic on 0.5 % of the rows), so a capped count of the topic's links
    (one index range, under a millisecond, cached per topic) picks the shape:
    - few: SQLite `id IN (links)`; PostgreSQL `id = ANY(ARRAY(links))`, evaluated once first;
    - many: a correlated EXISTS probing the (article, topic) unique index per walked row.
    No JOIN, so no duplicate rows and no DISTINCT. Costs one tiny query the first time a
    topic is seen (per process, for 10 minutes).
    """
    topic_id = getattr(topic, "pk", topic)
    through = queryset.model.topics.through
    links = through.objects.using(queryset.db).filter(topic_id=topic_id).values("article_id")
    connection = connections[queryset.db]
    cap = FEW_TOPIC_ARTICLES.get(connection.vendor, 0)
    if not cap:
        return queryset.filter(pk__in=links)
    sql, params = links.query.sql_with_params()
    if _capped_count(("topic", topic_id), connection, sql, params, cap) >= cap:
        return queryset.filter(Exists(links.filter(article_id=OuterRef("pk"))))
    if connection.vendor == "postgresql":
        return queryset.filter(_RowCondition("{pk} = ANY(ARRAY(" + sql + "))", params))
    return queryset.filter(pk__in=links)


def _fallback_search(queryset, text):
    groups = parse_query(text)
    if not groups:
        return queryset.none()
    condition = Q(pk__in=[])
    for group in groups:
        group_q = Q()
        for negated, words in group:
            phrase = " ".join(words)
            term_q = Q(title__icontains=phrase) | Q(excerpt__icontains=phrase) | Q(body__icontains=phrase)
            group_q &= ~term_q if negated else term_q
        condition |= group_q
    return queryset.filter(condition)


# The insert trigger stands aside while this table has a row (see deferred_search_indexing).
SQLITE_DEFERRAL_TABLE = "CREATE TABLE IF NOT EXISTS article_fts_deferred (since_id INTEGER NOT NULL)"
SQLITE_TRIGGERS = {
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


@contextmanager
def deferred_search_indexing(using="default"):
    """Inside the block, articles inserted on SQLite are indexed for search all at once
    when it ends, instead of by the insert trigger row by row (5x the cost: FTS5 writes
    its pending terms out after every trigger call). For bulk inserts such as the import.

    The block is one savepoint: the flag row that makes the trigger stand aside is added
    and removed inside it, so it is never committed and no other connection sees it
    (SQLite has one writer at a time, so every row inserted meanwhile is ours). On
    PostgreSQL the generated column is computed per row anyway; nothing changes.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    with transaction.atomic(using=using), connection.cursor() as cursor:
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


def ensure_sqlite_search_index(using="default"):
    """Put back the FTS5 sync triggers if a migration dropped them, and reindex.

    On SQLite, Django applies most later changes to the article table by rebuilding it
    (create a copy, drop the original, rename), and dropping a table drops its triggers:
    search would silently stop seeing new and edited articles. Run after every migrate
    (see CurationConfig.ready). Returns True when it had to repair.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT type, name FROM sqlite_master WHERE name = 'article_fts' "
            "OR (type = 'trigger' AND tbl_name = 'curation_article')"
        )
        present = {name for _, name in cursor.fetchall()}
        if "article_fts" not in present or set(SQLITE_TRIGGERS) <= present:
            return False
        cursor.execute(SQLITE_DEFERRAL_TABLE)
        for statement in SQLITE_TRIGGERS.values():
            cursor.execute(statement)
        cursor.execute("INSERT INTO article_fts(article_fts) VALUES ('rebuild')")
    return True


def repair_search_index_after_migrate(sender, using="default", **kwargs):
    ensure_sqlite_search_index(using)
