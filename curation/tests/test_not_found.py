"""The page for an unknown address: in the site's layout with a way on, and the same words
whatever hides the item, so a 404 tells a stranger nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from curation.models import ArticleState
from curation.tests.factories import make_article

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_response_cache")]


def test_a_reader_at_an_unknown_address_gets_the_sites_page_with_a_way_to_the_latest_stories(client):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "<title>Page not found · Newsroom</title>" in html
    assert '<h1 id="not-found-title">Page not found</h1>' in html
    assert 'href="/"' in html and "The latest stories" in html
    assert "Back to the queue" not in html  # a reader has no queue
    assert "no-such-page" not in html  # the address is not echoed back


def test_hidden_items_and_missing_ones_answer_the_same_page(client):
    """A rejected item, one scheduled for later and an id nobody has: a stranger cannot tell
    which exists from the answer."""
    rejected = make_article(state=ArticleState.REJECTED)
    later = make_article(state=ArticleState.PUBLISHED, live_from=timezone.now() + dt.timedelta(days=1))
    missing = max(rejected.pk, later.pk) + 1000
    answers = [client.get(f"/articles/{pk}/") for pk in (rejected.pk, later.pk, missing)]
    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert answers[0].content == answers[1].content == answers[2].content
    assert b"Page not found" in answers[0].content


def test_an_editor_at_an_unknown_item_is_offered_the_queue(editor_client):
    response = editor_client.get("/curate/articles/987654321/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html and 'href="/curate/"' in html and "Back to the queue" in html
