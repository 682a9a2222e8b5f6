"""The provider and topic filters with 3,000 providers: a text input (an id, a name, a
domain, or the type-ahead's "Name (domain)" label) and a small JSON endpoint behind the
type-ahead, instead of 3,000 <option>s on every queue page."""

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation.models import Provider
from curation.tests.factories import make_article, make_provider, make_topic

pytestmark = pytest.mark.django_db

QUEUE = "/curate/"
ROW_ID = re.compile(r'data-article-id="(\d+)"')


def ids_on(response):
    assert response.status_code == 200, response.status_code
    return [int(pk) for pk in ROW_ID.findall(response.content.decode())]


@pytest.fixture
def outlets(db):
    planet = make_provider(name="Daily Planet", domain="dailyplanet.example")
    planet_uk = make_provider(name="Daily Planet", domain="dailyplanet.co.example")
    gazette = make_provider(name="Gotham Gazette", domain="gazette.example")
    science = make_topic(name="Science")
    items = {
        "planet": make_article(provider=planet, topics=[science]),
        "planet_uk": make_article(provider=planet_uk),
        "gazette": make_article(provider=gazette, topics=["Local government"]),
    }
    return {"planet": planet, "planet_uk": planet_uk, "gazette": gazette, "science": science, **items}


def test_provider_filter_takes_an_id_a_name_a_domain_or_the_label(editor_client, outlets):
    planet, both = outlets["planet"], {outlets["planet"].pk, outlets["planet_uk"].pk}
    cases = [
        (str(outlets["planet"].provider_id), {planet.pk}),
        (f"#{outlets['planet'].provider_id}", {planet.pk}),
        ("daily planet", both),  # two outlets share the name: both
        ("GAZETTE.example", {outlets["gazette"].pk}),
        ("Daily Planet (dailyplanet.example)", {planet.pk}),
        ("  Gotham Gazette ", {outlets["gazette"].pk}),
        ("Nobody we know", set()),
    ]
    for value, expected in cases:
        assert set(ids_on(editor_client.get(QUEUE, {"provider": value}))) == expected, value


def test_topic_filter_takes_an_id_a_slug_or_a_name(editor_client, outlets):
    science = outlets["science"]
    for value in (str(science.pk), science.slug, "SCIENCE"):
        assert ids_on(editor_client.get(QUEUE, {"topic": value})) == [outlets["planet"].pk], value
    assert ids_on(editor_client.get(QUEUE, {"topic": "local government"})) == [outlets["gazette"].pk]
    assert ids_on(editor_client.get(QUEUE, {"topic": "No such topic"})) == []


def test_a_topic_called_by_a_number_is_found_by_it_and_hash_number_is_the_id(editor_client, outlets, superuser):
    """A topic named "2020" has the slug "2020": typed, or followed from its admin page's
    "view" link (?topic=<slug>), the number names it, not the topic with that id."""
    science = outlets["science"]
    called_by_number = make_topic(name=str(science.pk))
    on_it = make_article(topics=[called_by_number])
    assert called_by_number.slug == str(science.pk)
    assert ids_on(editor_client.get(QUEUE, {"topic": str(science.pk)})) == [on_it.pk]
    assert ids_on(editor_client.get(QUEUE, {"topic": f"#{science.pk}"})) == [outlets["planet"].pk]
    assert ids_on(editor_client.get(QUEUE, {"topic": f" {called_by_number.pk} "})) == [on_it.pk]  # its own id too
    link = called_by_number.seen_at(superuser)
    assert ids_on(editor_client.get(link.url)) == [on_it.pk]


def test_the_queue_page_lists_no_providers(editor_client):
    for n in range(30):
        make_provider(name=f"Outlet {n}", domain=f"outlet{n}.example")
    make_article()
    with CaptureQueriesContext(connection) as queries:
        html = editor_client.get(QUEUE).content.decode()
    assert "Outlet 7" not in html
    assert not [q for q in queries.captured_queries if '"curation_provider"' in q["sql"] and "JOIN" not in q["sql"]]
    assert 'list="providers-suggestions"' in html and 'data-lookup="/curate/lookup/providers/"' in html


def test_lookup_suggests_a_few_names_prefix_first_escaped(editor_client):
    make_provider(name="The Planet Weekly", domain="weekly.example")
    make_provider(name="Planet Radio", domain="radio.example")
    make_provider(name="<b>Planet</b> & Co", domain="bold.example")
    for n in range(40):
        make_provider(name=f"Planetary {n:02}", domain=f"p{n}.example")
    response = editor_client.get("/curate/lookup/providers/", {"q": "planet"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    labels = [result["label"] for result in response.json()["results"]]
    assert len(labels) == 12
    assert labels[0].startswith("Planet")
    assert all(label.lower().startswith("planet") for label in labels)  # prefix matches first
    hostile = editor_client.get("/curate/lookup/providers/", {"q": "<b>"}).content.decode()
    assert "<b>" not in hostile and "&" not in hostile and "\\u003cb\\u003ePlanet\\u003c/b\\u003e \\u0026 Co" in hostile
    assert json.loads(hostile)["results"][0]["label"] == "<b>Planet</b> & Co (bold.example)"
    topics = editor_client.get("/curate/lookup/topics/", {"q": "sci"})
    assert topics.json() == {"results": []}
    science = make_topic(name="Science")
    assert editor_client.get("/curate/lookup/topics/", {"q": "sci"}).json() == {
        "results": [{"id": science.pk, "label": "Science", "name": "Science"}]
    }


def test_lookup_needs_a_signed_in_curator(viewer_client, db):
    make_provider(name="Daily Planet")
    anonymous = Client().get("/curate/lookup/providers/", {"q": "daily"})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert viewer_client.get("/curate/lookup/providers/", {"q": "daily"}).status_code == 200  # viewers read
    from django.contrib.auth.models import User

    nobody = User.objects.create_user("nobody", password="x")
    client = Client()
    client.force_login(nobody)
    assert client.get("/curate/lookup/providers/", {"q": "daily"}).status_code == 403
    assert client.get("/curate/lookup/topics/", {"q": "daily"}).status_code == 403


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(max_size=400))
def test_any_provider_or_topic_text_is_a_page_or_a_refusal_never_a_crash(editor_client, value):
    for name in ("provider", "topic"):
        response = editor_client.get(QUEUE, {name: value})
        assert response.status_code in (200, 400), (name, value)
    lookup = editor_client.get("/curate/lookup/providers/", {"q": value})
    assert lookup.status_code in (200, 400)
    count = editor_client.get("/curate/count/", {"provider": value, "topic": value})
    assert count.status_code in (200, 400)  # a NUL byte is refused before any view (middleware)
    if count.status_code == 200:
        assert count.json()["ok"] is True
    assert Provider.objects.count() >= 0
