"""The public home, topic pages, feeds and API list items by the time editors published
them (or they went live), newest first: a 2020 story published this morning is on top."""

import datetime as dt
import importlib
import json

import pytest
import time_machine
from django.db import connection
from django.db.migrations.state import ProjectState
from django.utils import timezone

from curation.models import Article, ArticleState
from curation.services import scheduling
from curation.services.editorial import publish_article
from curation.tests.factories import make_article

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_response_cache")]

MIGRATION = importlib.import_module("curation.migrations.0016_curator_pages")


class StatementRunner:
    """The part of a schema editor the migration's function uses (SQLite's real one cannot
    open inside the test's transaction)."""

    connection = connection

    def execute(self, sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)


@pytest.fixture
def old_story_published_now(editor):
    yesterday = timezone.now() - dt.timedelta(days=1)
    recent = make_article(
        title="Recent story published yesterday",
        state=ArticleState.PUBLISHED,
        published_at=yesterday,
        state_changed_at=yesterday,
    )
    old = make_article(title="A story from 2020", published_at=dt.datetime(2020, 5, 1, tzinfo=dt.UTC))
    publish_article(article=old, user=editor)
    return Article.objects.get(pk=old.pk), recent


def test_publishing_sets_listed_at_to_now(old_story_published_now):
    old, _ = old_story_published_now
    assert timezone.now() - old.listed_at < dt.timedelta(seconds=30)


@pytest.mark.parametrize("url", ["/", "/feeds/rss/", "/feeds/atom/", "/feeds/json/", "/api/articles/"])
def test_the_old_story_published_now_comes_first(client, old_story_published_now, url):
    content = client.get(url).content.decode()
    assert content.index("A story from 2020") < content.index("Recent story published yesterday")


def test_the_topic_page_too(client, editor):
    yesterday = timezone.now() - dt.timedelta(days=1)
    make_article(title="Yesterday's", topics=["Rain"], state=ArticleState.PUBLISHED, state_changed_at=yesterday)
    old = make_article(title="Archive piece", topics=["Rain"], published_at=dt.datetime(2019, 1, 1, tzinfo=dt.UTC))
    publish_article(article=old, user=editor)
    content = client.get("/topics/rain/").content.decode()
    assert content.index("Archive piece") < content.index("Yesterday&#x27;s")


def test_a_scheduled_item_is_listed_from_its_go_live_time(editor):
    article = make_article(title="Tomorrow's", published_at=dt.datetime(2021, 1, 1, tzinfo=dt.UTC))
    go_live = timezone.now() + dt.timedelta(hours=2)
    scheduling.schedule_article(article=article, user=editor, go_live_at=go_live)
    assert Article.objects.get(pk=article.pk).listed_at == go_live
    with time_machine.travel(go_live + dt.timedelta(minutes=5), tick=False):
        scheduling.record_due_boundaries()
    assert Article.objects.get(pk=article.pk).listed_at == go_live


def test_the_api_cursor_walks_the_listing_order(client, editor):
    for n in range(5):
        make_article(title=f"Item {n}", state=ArticleState.PUBLISHED, state_changed_at=timezone.now() - dt.timedelta(hours=n))
    old = make_article(title="Old one", published_at=dt.datetime(2018, 1, 1, tzinfo=dt.UTC))
    publish_article(article=old, user=editor)
    seen, url = [], "/api/articles/?page_size=2"
    while url:
        data = json.loads(client.get(url).content)
        seen += [item["title"] for item in data["results"]]
        url = data["next"]
    assert seen == ["Old one", "Item 0", "Item 1", "Item 2", "Item 3", "Item 4"]


def test_the_migration_backfills_from_the_audit_log_then_the_state_change(editor):
    by_action = make_article(title="By action", published_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    publish_article(article=by_action, user=editor)
    acted_at = by_action.actions.get().created_at
    changed = timezone.now() - dt.timedelta(days=3)
    by_state = make_article(title="By state", state=ArticleState.PUBLISHED, state_changed_at=changed)
    ahead = timezone.now() + dt.timedelta(days=1)
    embargoed = make_article(title="Embargoed", state=ArticleState.PUBLISHED, state_changed_at=changed, embargo_until=ahead)
    new = make_article(title="Still new")
    Article.objects.update(listed_at=None)
    MIGRATION.backfill_listed_at(ProjectState().apps, StatementRunner())
    listed = dict(Article.objects.values_list("pk", "listed_at"))
    assert listed[by_action.pk] == acted_at
    assert listed[by_state.pk] == changed
    assert listed[embargoed.pk] == ahead
    assert listed[new.pk] is None
