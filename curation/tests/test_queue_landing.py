"""A decision from a queue row without JavaScript (a plain form post) brings the editor back
to where they were on the queue: the same filters, sort and page, at the decided row, or at
the next one when the decided row left the queue (views/landing.py). The browser side is in
browser/test_browser_editor_leftovers.py."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from curation.models import ArticleState
from curation.story_forms import QUEUE_BY_SESSION
from curation.tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def three():
    """Three new items, newest first as the default queue lists them."""
    now = timezone.now()
    return [make_article(title=f"Item {n}", published_at=now - timedelta(hours=n)) for n in range(3)]


def decide(client, article, action="publish", next_url="/curate/?size=20", **extra):
    return client.post(
        reverse("curation:article-action", args=[article.pk, action]),
        {"expected_version": article.version, "next": next_url, "compact": "1", **extra},
    )


def test_every_queue_row_has_an_id_to_come_back_to(editor_client, three):
    html = editor_client.get("/curate/").content.decode()
    for article in three:
        assert f'id="item-{article.pk}"' in html


def test_a_row_that_leaves_the_queue_lands_on_the_row_that_followed_it(editor_client, three):
    first, middle, last = three
    response = decide(editor_client, middle, next_url="/curate/?size=20&sort=-published&provider=")
    assert response.status_code == 302
    # The filters, sort and page size are kept; the fragment is the next row's.
    assert response["Location"] == f"/curate/?size=20&sort=-published&provider=#item-{last.pk}"
    middle.refresh_from_db()
    assert middle.state == ArticleState.PUBLISHED


def test_the_last_row_lands_on_the_row_before_it(editor_client, three):
    first, middle, last = three
    response = decide(editor_client, last, "reject")
    assert response["Location"] == f"/curate/?size=20#item-{middle.pk}"


def test_a_row_the_queue_still_lists_lands_on_itself(editor_client, three):
    first, middle, last = three
    response = decide(editor_client, middle, next_url="/curate/?state=all")
    assert response["Location"] == f"/curate/?state=all#item-{middle.pk}"


def test_filters_the_queue_refuses_land_at_the_top_as_before(editor_client, three):
    response = decide(editor_client, three[1], next_url="/curate/?quality_min=lots")
    assert response["Location"] == "/curate/?quality_min=lots"


def test_the_only_row_lands_at_the_list(editor_client):
    only = make_article()
    assert decide(editor_client, only)["Location"] == "/curate/?size=20#queue-results"


def test_the_queue_by_story_lands_on_the_next_story_row(editor_client, three):
    session = editor_client.session
    session[QUEUE_BY_SESSION] = "story"
    session.save()
    first, middle, last = three
    html = editor_client.get("/curate/").content.decode()
    assert f'id="item-{last.pk}"' in html
    assert decide(editor_client, middle)["Location"] == f"/curate/?size=20#item-{last.pk}"


def test_a_fragment_in_next_is_replaced_and_the_page_kept(editor_client, three):
    first, middle, last = three
    response = decide(editor_client, middle, next_url="/curate/?after=abc&size=20#density-toggle")
    assert response["Location"] == f"/curate/?after=abc&size=20#item-{last.pk}"
    # The published middle row is no longer listed: the first row's next one is the last.
    response = decide(editor_client, first, next_url=f"/curate/?size=20#item-{first.pk}")
    assert response["Location"] == f"/curate/?size=20#item-{last.pk}"


def test_a_decision_from_the_article_page_goes_back_to_the_article_page(editor_client, three):
    first, middle, last = three
    page = reverse("curation:article-detail", args=[middle.pk]) + "?state=new"
    assert decide(editor_client, middle, next_url=page)["Location"] == page


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/curate/", "//evil.example/curate/", "/\\evil.example/curate/", "/\t/evil.example/curate/"],
)
def test_next_off_site_goes_to_the_article_page_without_a_fragment(editor_client, three, target):
    first, middle, last = three
    response = decide(editor_client, middle, next_url=target)
    assert response["Location"] == reverse("curation:article-detail", args=[middle.pk])


def test_a_refused_decision_also_comes_back_to_its_row(editor_client, three):
    first, middle, last = three
    response = editor_client.post(
        reverse("curation:article-action", args=[middle.pk, "publish"]),
        {"expected_version": middle.version + 5, "next": "/curate/?size=20"},
    )
    assert response["Location"] == f"/curate/?size=20#item-{middle.pk}"
    page = editor_client.get(response["Location"])
    assert "changed" in page.content.decode().lower() or page.context["messages"]
    middle.refresh_from_db()
    assert middle.state == ArticleState.NEW
