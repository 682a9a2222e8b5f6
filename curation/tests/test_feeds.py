"""RSS, Atom and JSON feeds: published items only, parseable, safe, conditional."""

import datetime
import json

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from curation.models import Article, ArticleState
from curation.services.editorial import edit_article, publish_article, unpublish_article
from curation.tests.factories import clear_caches, make_article, make_topic

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_response_cache")]


FEEDS = ["/feeds/rss/", "/feeds/atom/", "/feeds/json/"]
HOSTILE_TITLE = '<script>alert("x")</script> & <img src=x onerror=alert(1)> \x01\x0b'


def published(**fields):
    return make_article(state=ArticleState.PUBLISHED, **fields)


def check_json_feed(data):
    """The JSON Feed 1.1 rules a reader relies on (feedparser 6.0 reads only XML feeds)."""
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert data["title"] and data["feed_url"].startswith("http") and data["home_page_url"].startswith("http")
    assert isinstance(data["items"], list)
    for item in data["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert "content_html" in item or "content_text" in item
        assert item["url"].startswith("http")
        assert datetime.datetime.fromisoformat(item["date_published"]).tzinfo is not None


def parse(client, url, **headers):
    """The response and a feedparser-like result (entries with title/link/id/published)."""
    response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code)
    if "/feeds/json/" not in url:
        return response, feedparser.parse(response.content)
    data = json.loads(response.content)
    check_json_feed(data)
    entries = [
        feedparser.FeedParserDict(
            title=item["title"],
            link=item["url"],
            id=item["id"],
            published_parsed=datetime.datetime.fromisoformat(item["date_published"]).timetuple(),
        )
        for item in data["items"]
    ]
    return response, feedparser.FeedParserDict(
        bozo=0, entries=entries, feed=feedparser.FeedParserDict(title=data["title"], link=data["home_page_url"])
    )


@pytest.mark.parametrize("url", FEEDS)
def test_feed_parses_cleanly_with_absolute_links_dates_ids_and_enclosures(client, url):
    published(
        title="With an image",
        images=["https://img.example/pic.png"],
        topics=["Science"],
        published_at="2024-03-02T10:00:00Z",
    )
    published(title="Without an image", published_at="2024-03-01T10:00:00Z")
    published(title="Undated (completed body-only item)", published_at=None)
    response, feed = parse(client, url)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert [entry.title for entry in feed.entries] == [
        "With an image",
        "Without an image",
        "Undated (completed body-only item)",
    ]
    assert feed.feed.link.startswith("http://testserver/")
    ids = [entry.id for entry in feed.entries]
    assert len(set(ids)) == 3 and all(i.startswith("http://testserver/articles/") for i in ids)
    for entry in feed.entries:
        assert entry.link.startswith("http://testserver/articles/")
        assert entry.published_parsed is not None
    first = feed.entries[0]
    image_links = [link for link in first.get("links", []) if link.get("rel") == "enclosure"]
    if url == "/feeds/json/":
        assert json.loads(response.content)["items"][0]["image"] == "https://img.example/pic.png"
        assert response["Content-Type"].startswith("application/feed+json")
    else:
        assert image_links and image_links[0]["href"] == "https://img.example/pic.png"
        assert image_links[0]["type"] == "image/png"
        assert b'length="0"' in response.content
        assert [tag.term for tag in first.tags] == ["Science"]


@pytest.mark.parametrize("url", FEEDS)
def test_feed_holds_the_newest_fifty(client, url):
    for day in range(1, 56):
        published(title=f"Story {day}", published_at=f"2024-01-{(day - 1) % 28 + 1:02d}T{day % 24:02d}:00:00Z")
    _, feed = parse(client, url)
    assert len(feed.entries) == 50


@pytest.mark.parametrize("state", [ArticleState.NEW, ArticleState.REJECTED, ArticleState.MERGED])
@pytest.mark.parametrize("url", FEEDS)
def test_items_not_published_are_in_no_feed(client, url, state):
    make_article(title="Hidden from readers", state=state, topics=["Science"])
    published(title="Visible", topics=["Science"])
    for feed_url in (url, f"{url}topics/science/"):
        response, feed = parse(client, feed_url)
        assert [entry.title for entry in feed.entries] == ["Visible"]
        assert b"Hidden from readers" not in response.content


@pytest.mark.parametrize("url", FEEDS)
def test_topic_feed_has_only_that_topics_items_and_unknown_topics_are_404(client, url):
    published(title="About space", topics=["Space"])
    published(title="About food", topics=["Food"])
    make_article(title="Queued", topics=["Queued topic"])
    _, feed = parse(client, f"{url}topics/space/")
    assert feed.bozo == 0
    assert [entry.title for entry in feed.entries] == ["About space"]
    assert "Space" in feed.feed.title
    assert client.get(f"{url}topics/no-such-topic/").status_code == 404
    assert client.get(f"{url}topics/queued-topic/").status_code == 404


@pytest.mark.parametrize("url", FEEDS)
def test_hostile_text_and_javascript_urls_are_escaped_or_dropped(client, url):
    article = published(
        title=HOSTILE_TITLE, excerpt=HOSTILE_TITLE, images=["https://img.example/x.jpg"], topics=["<b>x</b>"]
    )
    Article.objects.filter(pk=article.pk).update(web_url="javascript:alert(1)")
    article.images.update(url="javascript:alert(2)")
    response, feed = parse(client, url)
    assert feed.bozo == 0, feed.get("bozo_exception")
    raw = response.content.decode()
    assert "<script" not in raw and "<img src=x" not in raw and "<b>x</b>" not in raw
    assert "javascript:" not in raw
    assert "\x01" not in raw and "\x0b" not in raw
    # The title is plain text (feedparser: text/plain), control characters removed: a
    # reader shows it as written and never runs it.
    assert feed.entries[0].title.strip() == HOSTILE_TITLE.replace("\x01", "").replace("\x0b", "").strip()
    if url != "/feeds/json/":
        assert feed.entries[0].title_detail.type == "text/plain"


def test_item_published_in_the_curator_enters_every_feed_and_leaves_on_unpublish(client, editor):
    article = make_article(title="Freshly decided", topics=["Science"])
    published(title="Already out", topics=["Science"])
    urls = FEEDS + [f"{url}topics/science/" for url in FEEDS]

    def titles(url):
        return [entry.title for entry in parse(client, url)[1].entries]

    assert all("Freshly decided" not in titles(url) for url in urls)
    publish_article(article=article, user=editor)
    assert all("Freshly decided" in titles(url) for url in urls)
    edit_article(article=article, user=editor, title="Freshly edited")
    assert all("Freshly edited" in titles(url) for url in urls)
    unpublish_article(article=article, user=editor)
    assert all("Freshly edited" not in titles(url) for url in urls)


@pytest.mark.parametrize("url", FEEDS)
def test_conditional_get_answers_304_until_something_changes(client, editor, url):
    article = make_article(title="Pending")
    published(title="Out")
    publish_article(article=make_article(title="Via service"), user=editor)
    first = client.get(url)
    assert first.status_code == 200
    assert first.has_header("ETag") and first.has_header("Last-Modified")
    cache_control = first["Cache-Control"]
    assert "public" in cache_control and "max-age=" in cache_control and "s-maxage=" in cache_control

    with CaptureQueriesContext(connection) as queries:
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert len(queries) <= 1
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304

    publish_article(article=article, user=editor)
    changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and b"Pending" in changed.content


@pytest.mark.parametrize("url", FEEDS + [f"{u}topics/science/" for u in FEEDS])
def test_feed_queries_are_bounded(client, url):
    science = make_topic(name="Science")
    for _ in range(3):
        published(topics=[science], images=["https://img.example/a.jpg"])
    # A topic's size, which picks the plan of the query, is read once per process (see
    # curation.db.plans); every later request for it takes the queries counted here.
    client.get(url)
    clear_caches()
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(20):
        published(topics=[science, make_topic()], images=["https://img.example/a.jpg", "https://img.example/b.jpg"])
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few) <= 2


@pytest.mark.parametrize("url", FEEDS + ["/api/articles/"])
def test_a_repeated_request_is_served_from_the_stored_render_until_something_changes(client, editor, url, settings):
    settings.ALLOWED_HOSTS = ["testserver", "other.example"]
    published(title="First")
    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    assert len(queries) == 1  # the validator query only
    assert again.content == first.content and again["ETag"] == first["ETag"]
    publish_article(article=make_article(title="Second"), user=editor)
    changed = client.get(url)
    assert b"Second" in changed.content and changed["ETag"] != first["ETag"]
    elsewhere = client.get(url, HTTP_HOST="other.example")  # absolute URLs differ per host
    assert (
        elsewhere.status_code == 200
        and b"other.example" in elsewhere.content
        and b"testserver" not in elsewhere.content
    )


def test_changes_the_validators_cannot_see_still_show_after_the_etag_refresh(client, monkeypatch):
    article = published(title="Story")
    provider = article.provider
    first = client.get("/feeds/rss/")
    provider.name = "Renamed provider"  # an admin rename leaves no editorial action behind
    provider.save()
    assert client.get("/feeds/rss/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    monkeypatch.setattr("curation.public.http.etag_epoch", lambda: 1)
    later = client.get("/feeds/rss/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert later.status_code == 200 and b"Renamed provider" in later.content
