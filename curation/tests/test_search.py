"""Full-text search (curation.search): PostgreSQL tsvector + GIN, SQLite FTS5 + triggers.

The suite runs on both databases in CI; the tests that look at one database's machinery
skip on the other.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from curation.db import backend, plans
from curation.db.base import DatabaseBackend
from curation.db.postgresql import PostgreSQLBackend
from curation.db.sqlite import SQLiteBackend, fts5_query
from curation.models import Article
from curation.search import parse_query, search, search_articles
from curation.selectors import queue_page, with_topic
from curation.services.editorial import edit_article
from curation.tests.factories import make_article

pytestmark = pytest.mark.django_db

HOSTILE = ['"', "*", "AND", "NEAR(", "'; DROP TABLE curation_article; --", "title:x", "a OR", "^start",
           '"unclosed', "(((", "-", "NOT", "x*", "\x00", "%", "\\", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "a" * 5000]


def titles(queryset):
    return [article.title for article in queryset]


@pytest.fixture
def corpus(db):
    now = timezone.now()
    return {
        "title": make_article(title="Glaciers retreat faster than expected", excerpt="A study.", body="Ice.",
                              published_at=now - timedelta(days=3)),
        "excerpt": make_article(title="Morning briefing", excerpt="Parliament debates the glacier budget",
                                body="Nothing else.", published_at=now - timedelta(days=2)),
        "body": make_article(title="Weather roundup", excerpt="Rain and sun.",
                             body="First paragraph.\n\nLater, a note on glaciers in the Alps.",
                             published_at=now - timedelta(days=1)),
        "other": make_article(title="Football results", excerpt="Scores.", body="Goals galore.", published_at=now),
    }


def test_matches_words_in_title_excerpt_and_body_with_stemming(corpus):
    found = set(search_articles(Article.objects.all(), "glacier"))
    assert found == {corpus["title"], corpus["excerpt"], corpus["body"]}
    assert titles(search_articles(Article.objects.all(), "Parliament")) == ["Morning briefing"]
    assert titles(search_articles(Article.objects.all(), "alps")) == ["Weather roundup"]


def test_all_words_must_match_and_phrases_or_and_exclusion_work(corpus):
    qs = Article.objects.all()
    assert titles(search_articles(qs, "glacier budget")) == ["Morning briefing"]
    assert titles(search_articles(qs, '"glaciers retreat"')) == ["Glaciers retreat faster than expected"]
    assert titles(search_articles(qs, '"retreat glaciers"')) == []
    assert set(titles(search_articles(qs, "football OR parliament"))) == {"Football results", "Morning briefing"}
    assert set(titles(search_articles(qs, "glacier -alps"))) == {
        "Glaciers retreat faster than expected", "Morning briefing"}


def test_keeps_the_callers_queryset_filters_and_ordering(corpus):
    Article.objects.filter(pk=corpus["excerpt"].pk).update(state=Article.State.PUBLISHED)
    newest_first = search_articles(Article.objects.in_queue().order_by("-published_at"), "glacier")
    assert titles(newest_first) == ["Weather roundup", "Glaciers retreat faster than expected"]
    oldest_first = search_articles(Article.objects.all().order_by("published_at"), "glacier")
    assert titles(oldest_first) == [
        "Glaciers retreat faster than expected", "Morning briefing", "Weather roundup"]


def test_empty_query_returns_everything_and_punctuation_only_returns_nothing(corpus):
    assert search_articles(Article.objects.all(), "   ").count() == 4
    for text in ['"', "*", "()", "-", "'; --", "!!!"]:
        assert list(search_articles(Article.objects.all(), text)) == [], text


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_never_errors(corpus, text):
    results = list(search_articles(Article.objects.all(), text))
    assert corpus["other"] not in results
    assert search(Article.objects.all(), text, count_cap=10).count in (None, 0, 1, 2, 3)
    assert Article.objects.count() == 4  # and certainly dropped nothing


def test_operator_words_are_searched_as_plain_words(db):
    make_article(title="Near the border, and beyond")
    make_article(title="Unrelated")
    assert titles(search_articles(Article.objects.all(), "NEAR border")) == ["Near the border, and beyond"]
    assert titles(search_articles(Article.objects.all(), "beyond AND")) == ["Near the border, and beyond"]


def test_fts5_query_quotes_every_term():
    assert fts5_query(parse_query('NEAR( "a b" * x')) == '("NEAR" AND "a" + "b" AND "x")'
    assert fts5_query(parse_query('"')) == ""


def test_edits_are_found_and_old_text_is_not(corpus, editor):
    article = corpus["other"]
    edit_article(article=article, user=editor, title="Cup final postponed by snowstorm")
    assert titles(search_articles(Article.objects.all(), "snowstorm")) == ["Cup final postponed by snowstorm"]
    assert titles(search_articles(Article.objects.all(), "football")) == []

    Article.objects.filter(pk=article.pk).update(body="Now about volcanoes.")
    assert titles(search_articles(Article.objects.all(), "volcano")) == ["Cup final postponed by snowstorm"]
    assert titles(search_articles(Article.objects.all(), "goals")) == []

    # A state change does not disturb the index.
    Article.objects.filter(pk=article.pk).update(state=Article.State.PUBLISHED)
    assert titles(search_articles(Article.objects.published(), "snowstorm")) == ["Cup final postponed by snowstorm"]


def test_deleted_articles_disappear_from_search(corpus):
    corpus["title"].delete()
    assert set(search_articles(Article.objects.all(), "glacier")) == {corpus["excerpt"], corpus["body"]}
    Article.objects.filter(pk=corpus["body"].pk).delete()
    assert list(search_articles(Article.objects.all(), "alps")) == []


def test_search_is_one_query_and_works_as_a_subquery(corpus):
    search_articles(Article.objects.all(), "glacier")  # SQLite counts matches once per text
    with CaptureQueriesContext(connection) as ctx:
        found = titles(search_articles(Article.objects.all(), "glacier"))
    assert len(found) == 3 and len(ctx.captured_queries) == 1
    # Used inside another query, it still filters the right rows.
    outer = Article.objects.filter(pk__in=search_articles(Article.objects.all(), "alps").values("pk"))
    assert titles(outer) == ["Weather roundup"]
    # The admin wraps a searched queryset in EXISTS with relabelled table aliases.
    inner = search_articles(Article.objects.filter(pk=OuterRef("pk")), "glacier")
    assert set(Article.objects.filter(Exists(inner))) == {corpus["title"], corpus["excerpt"], corpus["body"]}


def test_both_sqlite_plans_find_the_same_rows(corpus, monkeypatch):
    # On SQLite a search walks the sort index when a word is common and fetches the
    # matches by rowid when it is rare; the choice must never change the result.
    expected = titles(search_articles(Article.objects.order_by("-published_at"), "glacier"))
    monkeypatch.setattr(SQLiteBackend, "few_search_matches", 1)
    plans.forget()
    assert titles(search_articles(Article.objects.order_by("-published_at"), "glacier")) == expected
    assert len(expected) == 3


def _many_matches_in_small_ranges(monkeypatch):
    # The many-matches plan, with a rowid range per id or so: every range boundary is used.
    monkeypatch.setattr(SQLiteBackend, "few_search_matches", 1)
    monkeypatch.setattr(SQLiteBackend, "matches_per_range", 1)
    plans.forget()


@pytest.fixture
def scattered(db):
    # Every other article mentions glaciers; dates out of id order, some missing.
    now = timezone.now()
    for n in range(14):
        make_article(
            title=f"{'Glacier' if n % 2 else 'Harbour'} story {n}",
            published_at=None if n % 5 == 4 else now - timedelta(hours=(n * 7) % 11),
            quality=(n * 3) % 8,
        )


@pytest.mark.parametrize("sort_key", ["-published", "published", "-quality", "imported"])
def test_sqlite_ranged_match_lists_find_the_same_rows_in_the_same_order(scattered, monkeypatch, sort_key):
    def pages():
        found, after = [], ""
        while True:
            page = queue_page(search_articles(Article.objects.all(), "glacier"), sort_key=sort_key, after=after,
                              page_size=2)
            found += titles(page.articles)
            if not page.has_next:
                return found
            after = page.next_cursor

    expected = pages()  # seven matches: the plan that fetches them by rowid and sorts them
    _many_matches_in_small_ranges(monkeypatch)
    condition = str(search_articles(Article.objects.all(), "glacier").query)
    if connection.vendor == "sqlite":
        assert condition.count("MATCH") > 3  # several ranges, each its own match list
    assert pages() == expected
    assert len(expected) == 7 and all(title.startswith("Glacier") for title in expected)


def test_sqlite_ranges_of_an_older_count_still_find_every_match(scattered, monkeypatch):
    _many_matches_in_small_ranges(monkeypatch)
    assert len(search_articles(Article.objects.all(), "glacier")) == 7  # ranges cached for this text
    Article.objects.filter(title="Glacier story 1").delete()
    make_article(title="Glacier story, imported later")  # above the highest cached rowid
    found = titles(search_articles(Article.objects.order_by("pk"), "glacier"))
    assert len(found) == 7 and found[-1] == "Glacier story, imported later" and "Glacier story 1" not in found


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text machinery")
def test_postgres_uses_a_generated_tsvector_with_a_gin_index(corpus):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'article_search_vector'")
        (indexdef,) = cursor.fetchone()
        assert "gin (search_vector)" in indexdef
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = search_articles(Article.objects.all(), "glacier").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "article_search_vector" in plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite FTS5 machinery")
def test_sqlite_triggers_are_restored_after_a_table_rebuild(corpus):
    # Django rebuilds the table for most SQLite schema changes, which drops its triggers.
    with connection.cursor() as cursor:
        for name in ("article_fts_insert", "article_fts_update", "article_fts_delete"):
            cursor.execute(f"DROP TRIGGER {name}")
    Article.objects.filter(pk=corpus["other"].pk).update(title="Avalanche warning")
    assert backend().repair_search_index() is True
    assert titles(search_articles(Article.objects.all(), "avalanche")) == ["Avalanche warning"]
    make_article(title="Avalanche season opens")
    assert len(search_articles(Article.objects.all(), "avalanche")) == 2
    assert backend().repair_search_index() is False


@pytest.mark.parametrize("cap", [1, 10_000], ids=["walk-and-probe plan", "fetch-and-sort plan"])
def test_topic_filter_finds_the_same_rows_whichever_plan(db, monkeypatch, cap):
    for backend_class in (DatabaseBackend, SQLiteBackend, PostgreSQLBackend):
        monkeypatch.setattr(backend_class, "few_topic_articles", cap)
    plans.forget()
    now = timezone.now()
    science = make_article(title="Old science", topics=["Science", "Space"], published_at=now - timedelta(days=2))
    make_article(title="Sport only", topics=["Sport"])
    newer = make_article(title="New science", topics=["Science"], published_at=now)
    Article.objects.filter(pk=newer.pk).update(state=Article.State.PUBLISHED)
    topic = science.topics.get(name="Science")

    narrowing = with_topic(Article.objects.order_by("-published_at"), topic.pk, count_cap=10)
    assert titles(narrowing.queryset) == ["New science", "Old science"]  # once each: no join duplicates
    assert narrowing.count == 2 and narrowing.few == (cap > 1)
    assert titles(with_topic(Article.objects.in_queue(), topic.pk).queryset) == ["Old science"]
    assert list(with_topic(Article.objects.all(), 999_999).queryset) == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite FTS5 machinery")
@pytest.mark.django_db(transaction=True)
def test_sqlite_search_survives_a_migration_that_rebuilds_the_article_table():
    from django.core.management.sql import emit_post_migrate_signal

    make_article(title="Before the rebuild")
    # What Django does on SQLite for most schema changes to the table: copy, drop, rename.
    with connection.schema_editor() as editor:
        editor._remake_table(Article)
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)  # as `migrate` does
    make_article(title="After the rebuild")
    assert set(titles(search_articles(Article.objects.all(), "rebuild"))) == {"Before the rebuild", "After the rebuild"}
    # And the public listing's index, made with SQL of its own (migration 0016), is back.
    assert "article_listed" in _article_indexes()


def _article_indexes():
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, Article._meta.db_table))


def test_a_migrated_database_has_the_public_listings_index(db):
    """The feeds, the API and the home page read published items by listed_at through it:
    on SQLite a later migration's rebuild of the table had dropped it, unnoticed, and at
    1,000,000 articles every uncached render sorted the published rows (bench/README.md)."""
    assert "article_listed" in _article_indexes()


def test_articles_inserted_under_deferred_indexing_are_found_and_the_trigger_resumes(db):
    with backend().deferred_search_indexing():
        make_article(title="Heatwave grips the north")
        make_article(title="Heatwave ends")
    assert len(search_articles(Article.objects.all(), "heatwave")) == 2
    make_article(title="Heatwave returns")  # the row-by-row trigger is back in charge
    assert len(search_articles(Article.objects.all(), "heatwave")) == 3
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM article_fts_deferred")
            assert cursor.fetchone() == (0,)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite FTS5 machinery")
def test_deferred_indexing_leaves_nothing_behind_when_the_block_fails(db):
    make_article(title="Flood defences hold")
    with pytest.raises(RuntimeError), backend().deferred_search_indexing():
        make_article(title="Flood warning lifted")
        raise RuntimeError("the insert failed")
    assert titles(search_articles(Article.objects.all(), "flood")) == ["Flood defences hold"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM article_fts_deferred")
        assert cursor.fetchone() == (0,)
        # The index holds exactly the stored rows: FTS5's own consistency check.
        cursor.execute("INSERT INTO article_fts(article_fts) VALUES ('integrity-check')")
