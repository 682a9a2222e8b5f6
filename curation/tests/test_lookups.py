"""The in_array lookup: same rows as __in, one bound parameter, and the column's index used."""

import pytest
from django.db import connection

from curation.models import Article
from curation.tests.factories import make_article

pytestmark = pytest.mark.django_db


def test_in_array_finds_what_in_finds():
    articles = [make_article(title=f"Story {n}") for n in range(5)]
    keys = [articles[1].source_key, articles[3].source_key, "0" * 64, "it's \"quoted\" [1]"]
    expected = set(Article.objects.filter(source_key__in=keys))
    assert expected == {articles[1], articles[3]}
    assert set(Article.objects.filter(source_key__in_array=keys)) == expected
    assert list(Article.objects.filter(source_key__in_array=[])) == []


def test_in_array_matches_values_with_the_characters_array_and_json_syntax_use():
    awkward = ['a,b', '{braces}', 'back\\slash', 'say "hi"', "it's", "caf\u00e9 \U0001f4f0", "NULL", " padded "]
    articles = {value: make_article(category=value) for value in awkward}
    make_article(category="plain")

    found = Article.objects.filter(category__in_array=awkward).values_list("category", flat=True)

    assert sorted(found) == sorted(articles)


def test_in_array_binds_the_list_once_however_long():
    keys = [f"{n:064d}" for n in range(3000)]
    _, params = Article.objects.filter(source_key__in_array=keys).query.sql_with_params()
    assert len(params) == 1
    _, params = Article.objects.filter(source_key__in=keys).query.sql_with_params()
    assert len(params) == 3000  # what it saves


def test_in_array_looks_values_up_in_the_index():
    for n in range(50):
        make_article(title=f"Story {n}")
    sql, params = Article.objects.filter(source_key__in_array=["a" * 64]).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a 50-row table would be scanned anyway
        cursor.execute(("EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ") + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "article_unique_source_key" in plan or "sqlite_autoindex" in plan, plan
