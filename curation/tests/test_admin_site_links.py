"""The admin's "View on site": it leads where the article (or topic) can be seen by the admin
looking, the public page only while readers can see it, else the editors' page in the
curator; it is left out when neither applies. Each target answers 200 for a staff user."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from curation.models import Article
from curation.tests.factories import client_for, make_article, make_topic, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_response_cache")]

LINK = re.compile(r'<a href="([^"]*)" class="viewsitelink">([^<]*)</a>')


def view_on_site(client, url):
    """(href, label) of the change page's "View on site" link, or None when it has none."""
    page = client.get(url)
    assert page.status_code == 200
    found = LINK.search(page.content.decode())
    return (found.group(1).replace("&amp;", "&"), found.group(2)) if found else None


def article_page(article):
    return reverse("admin:curation_article_change", args=[article.pk])


def later(**delta):
    return timezone.now() + dt.timedelta(**delta)


NOT_PUBLIC = {
    "new": {"state": "new"},
    "rejected": {"state": "rejected"},
    "scheduled": {"state": "published", "live_from": later(days=1)},
    "embargoed": {"state": "published", "embargo_until": later(days=1)},
    "expired": {"state": "published", "live_until": later(days=-1)},
}


@pytest.mark.parametrize("who", ["staff_editor", "staff_viewer"])
@pytest.mark.parametrize("case", sorted(NOT_PUBLIC))
def test_an_article_readers_cannot_see_links_to_its_page_in_the_curator(request, who, case):
    article = make_article(**NOT_PUBLIC[case])
    client = client_for(request.getfixturevalue(who))

    href, label = view_on_site(client, article_page(article))

    assert href == reverse("curation:article-detail", args=[article.pk])
    assert label == "View in the curator (not public)"
    page = client.get(href)
    assert page.status_code == 200 and article.title in page.content.decode()
    # Where Django's link led before, through get_absolute_url: readers' 404 for these items.
    assert client.get(reverse("public:article", args=[article.pk])).status_code == 404


@pytest.mark.parametrize("who", ["staff_editor", "staff_viewer"])
def test_a_live_article_links_to_its_public_page(request, who):
    article = make_article(state="published", live_until=later(days=1))
    client = client_for(request.getfixturevalue(who))

    href, label = view_on_site(client, article_page(article))

    assert (href, label) == (reverse("public:article", args=[article.pk]), "View on site")
    page = client.get(href)
    assert page.status_code == 200 and article.title in page.content.decode()


def test_the_link_is_left_out_where_the_admin_can_open_neither_page():
    # May change articles in the admin, but not open the curator (no view_article).
    user = make_user(role=None, is_staff=True, permissions=["change_article"])
    client = client_for(user)
    assert view_on_site(client, article_page(make_article(state="new"))) is None
    # The public page needs no permission.
    live = make_article(state="published")
    assert view_on_site(client, article_page(live)) == (reverse("public:article", args=[live.pk]), "View on site")


@pytest.mark.parametrize("case", [*NOT_PUBLIC, "live"])
def test_where_an_article_is_seen_follows_the_readers_rule(case, staff_viewer):
    article = make_article(**NOT_PUBLIC.get(case, {"state": "published"}))
    seen = article.seen_at(staff_viewer)
    assert seen.public == Article.objects.live().filter(pk=article.pk).exists()


def test_a_topic_no_live_article_carries_links_to_its_items_in_the_curator(staff_editor):
    topic = make_topic(name="Quiet topic")
    article = make_article(state="rejected", topics=[topic])
    client = client_for(staff_editor)

    href, label = view_on_site(client, reverse("admin:curation_topic_change", args=[topic.pk]))

    assert label == "View in the curator (not public)"
    page = client.get(href)
    assert page.status_code == 200 and article.title in page.content.decode()
    # Django's link: the topic's public page, which lists live items only.
    assert client.get(topic.get_absolute_url()).status_code == 404


def test_a_topic_with_a_live_article_links_to_its_public_page(staff_editor):
    topic = make_topic(name="Busy topic")
    article = make_article(state="published", topics=[topic])
    client = client_for(staff_editor)

    href, label = view_on_site(client, reverse("admin:curation_topic_change", args=[topic.pk]))

    assert (href, label) == (topic.get_absolute_url(), "View on site")
    page = client.get(href)
    assert page.status_code == 200 and article.title in page.content.decode()


def test_a_topic_page_opens_for_an_admin_who_may_only_view_topics(staff_editor):
    # Editors may view and add topics, not change them: Django's view-only page has no form
    # fields, and the topic form's __init__ looked its slug field up regardless (a 500).
    assert not staff_editor.has_perm("curation.change_topic")
    topic = make_topic(name="Viewed only")
    page = client_for(staff_editor).get(reverse("admin:curation_topic_change", args=[topic.pk]))
    assert page.status_code == 200 and "Viewed only" in page.content.decode()
