"""What the queue says when it lists nothing: the plain queue is done; a filtered one names
the state it looked in and links to the same filters over every state."""

import pytest
from django.urls import reverse

from curation.models import ArticleState
from curation.tests.factories import make_article

pytestmark = pytest.mark.django_db

QUEUE = reverse("curation:queue")


def empty_text(response):
    html = response.content.decode()
    start = html.index('id="queue-empty"')
    return html[start : html.index("</p>", start)]


def test_an_empty_plain_queue_says_every_new_item_is_decided(editor_client):
    make_article(title="Already out", state=ArticleState.PUBLISHED)
    text = empty_text(editor_client.get(QUEUE))
    assert "The queue is empty: every new item has been decided." in text
    assert "look-wider" not in text


def test_a_search_that_finds_nothing_new_names_the_state_and_links_to_every_state(editor_client):
    make_article(title="Drought forces farmers to rethink crops", state=ArticleState.PUBLISHED)
    text = empty_text(editor_client.get(QUEUE, {"q": "drought", "size": "20"}))
    assert "Nothing in the state “New (the queue)” matches these filters." in text
    assert 'href="?q=drought&amp;size=20&amp;state=all"' in text
    assert "Drought forces farmers" in editor_client.get(QUEUE, {"q": "drought", "state": "all"}).content.decode()


def test_nothing_in_every_state_has_no_wider_link(editor_client):
    text = empty_text(editor_client.get(QUEUE, {"q": "zzzxqq", "state": "all"}))
    assert "Nothing matches these filters." in text
    assert "look-wider" not in text
