"""The editor's queue filters (search, provider, sort, page size, page) survive a refused
form and the page drawn again for it.

- Every refusal of a form posted from a filtered queue page (a bulk decision or schedule the
  service refuses, an invalid bar, a row's decision another editor was first to, a story's
  publication) sends the editor back to that queue page, filters and page kept; so does the
  next decision that goes through.
- An item opened from a filtered queue: a refused form on its page (a schedule, Complete
  metadata) draws the page again from the POST, whose own address carries no filters. Its
  "Back to the queue", Previous and Next used to lead to the plain queue (and Previous/Next
  walked the plain queue's order); they keep the filters the page was opened with.
- A row decided in place (curator.js) gets its buttons drawn again: its "Other… (with a note,
  on its page)" link led to the item's page without the queue's filters.
The browser side is in browser/test_browser_filters_kept.py."""

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from curation.models import Article, ArticleState, RejectionReason
from curation.tests.factories import make_article, make_provider

pytestmark = pytest.mark.django_db

FILTERS = {"q": ["Harbour"], "provider": ["gazette.example"], "sort": ["-quality"], "size": ["20"]}
QUEUE = "/curate/?q=Harbour&provider=gazette.example&sort=-quality&size=20"
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def harbour():
    return harbour_desk()


def harbour_desk():
    """30 matching items (quality 0-29) and two that the filters leave out (the browser
    tests use the same desk)."""
    RejectionReason.objects.update_or_create(code="other", defaults={"label": "Other", "needs_note": True, "active": True})
    gazette = make_provider(name="Harbour Gazette", domain="gazette.example")
    now = timezone.now()
    items = [
        make_article(title=f"Harbour report {n:02d}", provider=gazette, quality=n, published_at=now - timedelta(minutes=n))
        for n in range(30)
    ]
    make_article(title="Harbour elsewhere", quality=99)  # another provider
    make_article(title="Weather", provider=gazette, quality=98)  # no match for the search
    return items


def filters_of(url):
    return {key: values for key, values in parse_qs(urlsplit(unescape(url)).query).items() if key in FILTERS}


def second_page(client):
    """The second page of the filtered queue, as the editor has it open."""
    first = client.get(QUEUE).content.decode()
    following = unescape(re.search(r'class="next" rel="next" href="\?([^"]*)"', first).group(1))
    response = client.get(f"/curate/?{following}")
    assert "after=" in response.context["this_url"]
    return response


def bar(page, **fields):
    return {
        "next": page.context["this_url"],
        "query": page.context["queue_query"],
        "submission": page.context["bulk_submission"],
        "scope": "selected",
        **fields,
    }


def refusals(page, item):
    """Every kind of refused POST the queue page sends (name, URL, data)."""
    article_url = reverse("curation:article-action", args=[item.pk, "publish"])
    return [
        ("a reason without its note", "/curate/bulk/", bar(page, action="reject", reason_code="other", ids=[item.pk])),
        ("no row ticked", "/curate/bulk/", bar(page, action="publish")),
        ("an unknown decision", "/curate/bulk/", bar(page, action="launch", ids=[item.pk])),
        ("a schedule with no time", "/curate/bulk/", bar(page, action="schedule", ids=[item.pk], interval_minutes="5")),
        ("every match scheduled", "/curate/bulk/", bar(page, action="schedule", scope="matching")),
        ("a stale row", article_url, {"expected_version": item.version + 7, "next": page.context["this_url"], "compact": "1"}),
        ("an incomplete row form", article_url, {"expected_version": "x", "next": page.context["this_url"], "compact": "1"}),
    ]


def test_every_refusal_from_a_filtered_queue_page_comes_back_to_it(editor_client, harbour):
    page = second_page(editor_client)
    item = page.context["articles"][0]
    for name, url, data in refusals(page, item):
        response = editor_client.post(url, data)
        assert response.status_code == 302, name
        assert response["Location"].split("#")[0] == page.context["this_url"], name
        again = editor_client.get(response["Location"])
        assert again.context["filter"].form.data.get("q") == "Harbour", name
        assert [a.pk for a in again.context["articles"]] == [a.pk for a in page.context["articles"]], name
    assert Article.objects.get(pk=item.pk).state == ArticleState.NEW
    # The next decision that goes through comes back there too.
    fixed = bar(page, action="reject", reason_code="other", reason="Ran twice", ids=[item.pk])
    done = editor_client.post("/curate/bulk/", fixed)
    assert done["Location"] == page.context["this_url"]
    assert Article.objects.get(pk=item.pk).state == ArticleState.REJECTED


def opened_from_the_queue(client):
    """An item's page as the queue's row link opens it (the queue's filters in its address)."""
    queue = client.get(QUEUE)
    rows = queue.context["articles"]
    link = unescape(re.search(rf'href="(/curate/articles/{rows[1].pk}/\?[^"#]*)"', queue.content.decode()).group(1))
    assert filters_of(link) == FILTERS
    return link, rows


def assert_keeps_the_queue(page, rows):
    """The page's way back and its neighbours are the filtered queue's."""
    html = page.content.decode()
    back = re.search(r'<a href="([^"]*)" class="back">', html).group(1)
    assert filters_of(back) == FILTERS
    assert page.context["previous_article"].pk == rows[0].pk
    assert page.context["next_article"].pk == rows[2].pk
    for which in ("previous-item", "next-item"):
        assert filters_of(re.search(rf'id="{which}" rel="\w+" href="([^"]*)"', html).group(1)) == FILTERS


def test_an_item_page_drawn_again_for_a_refused_schedule_keeps_the_queue(editor_client, harbour):
    link, rows = opened_from_the_queue(editor_client)
    assert_keeps_the_queue(editor_client.get(link), rows)
    item = rows[1]
    refused = editor_client.post(
        reverse("curation:article-schedule", args=[item.pk]),
        {"go_live_at": "not a time", "expected_version": item.version, "next": link},
    )
    assert refused.status_code == 400
    assert_keeps_the_queue(refused, rows)
    # Its forms still come back to the page the editor opened, filters and all.
    assert refused.context["this_url"] == link


def test_an_item_page_drawn_again_for_a_refused_completion_keeps_the_queue(editor_client, harbour):
    link, rows = opened_from_the_queue(editor_client)
    item = rows[1]
    refused = editor_client.post(
        reverse("curation:article-complete", args=[item.pk]),
        {"expected_version": item.version, "title": "", "next": link},
    )
    assert refused.status_code == 400
    assert_keeps_the_queue(refused, rows)


def test_a_row_decided_in_place_links_to_its_page_with_the_queue_filters(editor_client, harbour):
    item = harbour[5]
    answer = editor_client.post(
        reverse("curation:article-action", args=[item.pk, "publish"]),
        {"expected_version": item.version, "compact": "1", "next": QUEUE},
        **JSON,
    )
    assert answer.status_code == 200
    links = re.findall(r'href="([^"]*)"', answer.json()["actions_html"])
    assert links, "a published item's row offers Reject with a reason that needs a note"
    for link in links:
        assert filters_of(link) == FILTERS
