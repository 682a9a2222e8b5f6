"""Filters that name a topic or provider an admin merged away (its old id, slug, name or
domain, as a bookmark or a link from before the merge has it) give the kept one's items and
say so: the curator's queue, the admin's article list and the public API
(services/taxonomy.find_topic, find_providers and their subqueries for the API)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curation.models import ArticleState
from curation.services.taxonomy_merge import merge_providers, merge_topics
from curation.tests.factories import make_article, make_provider, make_topic

pytestmark = pytest.mark.django_db

ROW_ID = re.compile(r'data-article-id="(\d+)"')


@pytest.fixture
def merged(superuser):
    """“AI” merged into “Artificial intelligence”, “Reuters UK (reuters.co.uk)” into
    “Reuters (reuters.com)”; one published item of each kept one (moved there by the merge),
    and one item of neither."""
    kept, ai = make_topic(name="Artificial intelligence"), make_topic(name="AI")
    reuters, uk = (
        make_provider(name="Reuters", domain="reuters.com"),
        make_provider(name="Reuters UK", domain="reuters.co.uk"),
    )
    on_topic = make_article(state=ArticleState.PUBLISHED, topics=[ai])
    by_provider = make_article(state=ArticleState.PUBLISHED, provider=uk)
    make_article(state=ArticleState.PUBLISHED, topics=[make_topic(name="Weather")], provider=make_provider())
    old = {"topic": ai.pk, "provider": uk.pk}
    merge_topics(keep=kept.pk, ids=[kept.pk, ai.pk], user=superuser)
    merge_providers(keep=reuters.pk, ids=[reuters.pk, uk.pk], user=superuser)
    return {"kept": kept, "reuters": reuters, "on_topic": on_topic, "by_provider": by_provider, "old": old}


def queue(client, **params):
    response = client.get("/curate/", {"state": "all", **params})
    assert response.status_code == 200, response.status_code
    return {int(pk) for pk in ROW_ID.findall(response.text)}, response.text


@pytest.mark.parametrize("value", ["ai", "AI", "Ai", "{old}", "#{old}"])
def test_the_queue_filtered_by_a_merged_topic_shows_the_kept_topics_items_and_says_so(merged, editor_client, value):
    rows, page = queue(editor_client, topic=value.format(old=merged["old"]["topic"]))
    assert rows == {merged["on_topic"].pk}
    assert "The topic “AI” was merged into “Artificial intelligence”: showing the items of" in page


@pytest.mark.parametrize("value", ["reuters.co.uk", "Reuters UK", "reuters uk", "Reuters UK (reuters.co.uk)", "#{old}"])
def test_the_queue_filtered_by_a_merged_provider_shows_the_kept_providers_items(merged, editor_client, value):
    rows, page = queue(editor_client, provider=value.format(old=merged["old"]["provider"]))
    assert rows == {merged["by_provider"].pk}
    assert "The provider “Reuters UK (reuters.co.uk)” was merged into “Reuters (reuters.com)”" in page


def test_a_live_name_is_not_told_anything_and_a_name_of_nothing_says_so(merged, editor_client):
    rows, page = queue(editor_client, topic="artificial-intelligence")
    assert rows == {merged["on_topic"].pk} and "was merged into" not in page and "nothing matches" not in page
    rows, page = queue(editor_client, topic="Robotics")
    assert rows == set() and "No topic is named “Robotics” (or has that id): nothing matches." in page


def test_a_deleted_alias_is_no_longer_followed(merged, superuser, editor_client):
    from curation.models import Topic, TopicAlias
    from curation.services.taxonomy_merge import delete_aliases

    delete_aliases(model=Topic, ids=list(TopicAlias.objects.values_list("pk", flat=True)), user=superuser)
    rows, page = queue(editor_client, topic="ai")
    assert rows == set() and "No topic is named “ai”" in page


def test_the_admins_article_list_follows_an_old_topic_or_provider_id(merged, superuser_admin):
    url = reverse("admin:curation_article_changelist")
    for parameter, article, kept in (
        ("topic", merged["on_topic"], "Artificial intelligence"),
        ("provider", merged["by_provider"], "Reuters (reuters.com)"),
    ):
        response = superuser_admin.get(url, {parameter: merged["old"][parameter]})
        assert response.status_code == 200
        assert [row.pk for row in response.context["cl"].result_list] == [article.pk]
        assert f"was merged into “{kept}”" in response.text
    # An id no row ever had is taken as it is (no query to look it up): an empty list.
    response = superuser_admin.get(url, {"topic": 999_999})
    assert response.status_code == 200 and list(response.context["cl"].result_list) == []


@pytest.mark.usefixtures("empty_response_cache")
def test_the_api_follows_a_merged_topics_slug_and_a_merged_providers_domain_or_id(merged, client):
    def ids(**params):
        response = client.get("/api/articles/", params)
        assert response.status_code == 200
        return [item["id"] for item in response.json()["results"]]

    assert ids(topic="ai") == ids(topic="artificial-intelligence") == [merged["on_topic"].pk]
    assert ids(provider="reuters.co.uk") == ids(provider=str(merged["old"]["provider"])) == [merged["by_provider"].pk]
    assert ids(topic="no-such-topic") == [] and ids(provider="nowhere.example") == []


def test_a_filter_by_a_live_rows_id_costs_the_queue_no_query_once_merges_are_known(
    merged, editor_client, superuser, django_capture_on_commit_callbacks
):
    """A filter by id ("#12"; a bare 12 for providers): following aliases must not cost
    those pages a query (the queue's budget, bench/README.md), only an old id does. (A
    bare number for a topic asks first whether a topic is called that: one query.)"""
    topic, provider = merged["kept"], merged["reuters"]
    by_id = {"none": {}, "topic": {"topic": f"#{topic.pk}"}, "provider": {"provider": provider.pk}}
    by_id["bare topic"] = {"topic": topic.pk}
    for params in by_id.values():
        queue(editor_client, **params)  # warm: the per-process plans, the merged ids
    counts = {}
    for name, params in by_id.items():
        with CaptureQueriesContext(connection) as queries:
            queue(editor_client, **params)
        counts[name] = len(queries)
    assert counts["topic"] <= counts["none"] and counts["provider"] <= counts["none"], counts
    assert counts["bare topic"] <= counts["none"] + 1, counts
    # A merge forgets the merged ids once it commits: the next old id is followed at once.
    weather = make_topic(name="Weather 2")
    on_weather = make_article(state=ArticleState.PUBLISHED, topics=[weather])
    with django_capture_on_commit_callbacks(execute=True):
        merge_topics(keep=topic.pk, ids=[topic.pk, weather.pk], user=superuser)
    rows, page = queue(editor_client, topic=weather.pk)
    assert on_weather.pk in rows and "was merged into “Artificial intelligence”" in page
