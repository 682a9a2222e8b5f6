"""The edit form's topics: picked from existing topics (a JSON type-ahead), and a new topic
only through an explicit "create" step, permission-checked and logged. A typo no longer
creates a public topic page."""

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation.models import Article, Topic
from curation.selectors_queue import SUGGESTIONS
from curation.services import taxonomy
from curation.services.editorial import UnknownTopics, edit_article
from curation.tests.factories import make_article, make_topic, make_user

pytestmark = pytest.mark.django_db


def edit_url(article):
    return reverse("curation:article-edit", args=[article.pk])


def test_a_typo_is_refused_and_nothing_is_created(editor_client, article):
    response = editor_client.post(edit_url(article), {"title": article.title, "topics": "Science, Scince"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "No topic is named “Scince”" in html
    assert "Create the topic “Scince”" in html  # the explicit step, as a checkbox
    assert not Topic.objects.filter(name="Scince").exists()
    assert [t.name for t in Article.objects.get(pk=article.pk).topics.all()] == ["Science"]


def test_ticking_create_makes_the_topic_and_logs_who(editor_client, editor, article):
    response = editor_client.post(
        edit_url(article), {"title": article.title, "topics": "Science, Ocean", "create_topics": ["Ocean"]}
    )
    assert response.status_code == 302
    assert sorted(t.name for t in Article.objects.get(pk=article.pk).topics.all()) == ["Ocean", "Science"]
    entry = LogEntry.objects.get(object_repr="Ocean")
    assert entry.user == editor and entry.action_flag == ADDITION


def test_the_form_shows_labels_help_and_the_lookup(editor_client, article):
    html = editor_client.get(edit_url(article)).content.decode()
    assert 'data-topic-lookup' in html and reverse("curation:lookup-topics") in html
    assert "type a few letters to pick one" in html
    assert 'aria-describedby="id_topics_helptext"' in html
    assert "Create new topics" not in html  # offered only when needed


def test_creating_needs_the_permission():
    nobody = make_user(role="viewer")
    with pytest.raises(PermissionDenied):
        taxonomy.create_topics(["Ocean"], user=nobody)
    assert not Topic.objects.filter(name="Ocean").exists()


def test_the_service_refuses_unknown_topics_unless_listed(editor, article):
    with pytest.raises(UnknownTopics) as caught:
        edit_article(article=article, user=editor, topics=["Science", "Nu"])
    assert caught.value.names == ["Nu"]
    edit_article(article=article, user=editor, topics=["Science", "Nu"], create_topics=["Nu"])
    assert Topic.objects.filter(name="Nu").exists()


def test_lookup_returns_json_matches_prefix_first_at_most_a_dozen(editor_client):
    for n in range(30):
        make_topic(name=f"Space {n:02}")
    make_topic(name="Aerospace")
    data = editor_client.get(reverse("curation:lookup-topics"), {"q": "spa"}).json()["results"]
    assert len(data) == SUGGESTIONS and data[0]["name"] == "Space 00"
    data = editor_client.get(reverse("curation:lookup-topics"), {"q": "rospa"}).json()["results"]
    assert [item["name"] for item in data] == ["Aerospace"]
    assert editor_client.get(reverse("curation:lookup-topics"), {"q": ""}).json() == {"results": []}


def test_provider_lookup_by_name_or_domain(editor_client):
    make_article(title="x")  # a provider "Provider N"
    from curation.tests.factories import make_provider

    make_provider(name="Daily Planet", domain="dailyplanet.example")
    by_name = editor_client.get(reverse("curation:lookup-providers"), {"q": "daily"}).json()["results"]
    by_domain = editor_client.get(reverse("curation:lookup-providers"), {"q": "planet.ex"}).json()["results"]
    assert [p["label"] for p in by_name] == [p["label"] for p in by_domain] == ["Daily Planet (dailyplanet.example)"]


def test_lookups_need_a_login(client):
    response = client.get(reverse("curation:lookup-topics"), {"q": "a"})
    assert response.status_code == 302 and "/login/" in response["Location"]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(query=st.text(max_size=300))
def test_any_query_text_is_answered_with_json(editor_client, query):
    response = editor_client.get(reverse("curation:lookup-topics"), {"q": query.replace("\x00", "")})
    assert response.status_code == 200
    assert len(response.json()["results"]) <= SUGGESTIONS
