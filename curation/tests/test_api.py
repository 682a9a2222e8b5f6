"""The read-only JSON API: published items only, filters, cursor pages, nothing private."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from curation.models import Article, ArticleState, RelatedCoverage
from curation.services.editorial import edit_article, publish_article, reject_article, unpublish_article
from curation.tests.factories import clear_caches, make_article, make_provider, make_topic

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_response_cache")]


PRIVATE_KEYS = {
    "secured",
    "front_matter_raw",
    "version",
    "edited_fields",
    "state",
    "state_changed_by",
    "state_changed_at",
    "rejection_reason",
    "merged_into",
    "source_path",
    "source_sha256",
    "content_sha256",
}


def published(**fields):
    return make_article(state=ArticleState.PUBLISHED, **fields)


def get_json(client, url, status=200, **headers):
    response = client.get(url, **headers)
    assert response.status_code == status, (url, response.status_code, response.content[:300])
    return json.loads(response.content)


def all_keys(value):
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in all_keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in all_keys(item)}
    return set()


def test_list_gives_published_items_with_provider_topics_images_and_related(client):
    provider = make_provider(name="Daily Planet", domain="planet.example")
    article = published(
        title="The story",
        provider=provider,
        topics=["Science"],
        images=["https://img.example/1.jpg"],
        related=[{"title": "Elsewhere", "web_url": "https://else.example/a", "quality": 80}],
        published_at="2024-03-01T10:00:00Z",
        quality=77,
        secured="opaque-secret-blob",
        front_matter_raw="secret: raw front matter",
        rejection_reason="internal note",
        edited_fields=["title"],
    )
    data = get_json(client, "/api/articles/")
    assert data["next"] is None
    [item] = data["results"]
    assert item["id"] == article.pk
    assert item["title"] == "The story"
    assert item["url"] == f"http://testserver/api/articles/{article.pk}/"
    assert item["html_url"] == f"http://testserver/articles/{article.pk}/the-story/"
    assert item["published_at"].startswith("2024-03-01T10:00:00")
    assert item["quality"] == 77
    assert item["provider"] == {"id": provider.pk, "name": "Daily Planet", "domain": "planet.example"}
    assert item["topics"] == [{"name": "Science", "slug": "science", "url": "http://testserver/topics/science/"}]
    assert item["images"][0]["url"] == "https://img.example/1.jpg" and item["images"][0]["width"] == 640
    assert item["related"][0]["title"] == "Elsewhere" and item["related"][0]["quality"] == 80
    assert not all_keys(data) & PRIVATE_KEYS
    raw = json.dumps(data)
    assert "opaque-secret-blob" not in raw and "raw front matter" not in raw and "internal note" not in raw

    detail = get_json(client, f"/api/articles/{article.pk}/")
    assert detail["body"] == article.body
    assert not all_keys(detail) & PRIVATE_KEYS
    assert "opaque-secret-blob" not in json.dumps(detail)


@pytest.mark.parametrize("state", [ArticleState.NEW, ArticleState.REJECTED, ArticleState.MERGED])
def test_items_not_published_are_not_in_the_api(client, state):
    hidden = make_article(title="Hidden from readers", state=state, topics=["Science"])
    published(title="Visible", topics=["Science"])
    for url in ("/api/articles/", "/api/articles/?topic=science", f"/api/articles/?provider={hidden.provider_id}"):
        assert "Hidden from readers" not in json.dumps(get_json(client, url))
    assert get_json(client, f"/api/articles/{hidden.pk}/", status=404) == {"error": "Not found."}


def test_related_coverage_links_our_copy_only_when_it_is_published(client):
    ours = make_article(title="Our copy")
    article = published(title="Main", related=[{"title": "Theirs", "web_url": "https://x.example/1"}])
    RelatedCoverage.objects.filter(article=article).update(linked_article=ours)
    assert get_json(client, f"/api/articles/{article.pk}/")["related"][0]["article"] is None
    Article.objects.filter(pk=ours.pk).update(state=ArticleState.PUBLISHED)
    clear_caches()  # a write that bypasses the services leaves the ETag (and stored response) as it was
    linked = get_json(client, f"/api/articles/{article.pk}/")["related"][0]["article"]
    assert linked == f"http://testserver/api/articles/{ours.pk}/"


def test_filters_by_topic_provider_quality_and_date(client):
    planet = make_provider(name="Planet", domain="planet.example")
    a = published(title="A", topics=["Space"], provider=planet, quality=10, published_at="2024-01-10T00:00:00Z")
    b = published(title="B", topics=["Space", "Food"], quality=50, published_at="2024-02-10T00:00:00Z")
    c = published(title="C", topics=["Food"], provider=planet, quality=90, published_at="2024-03-10T00:00:00Z")

    def ids(query):
        return {item["id"] for item in get_json(client, f"/api/articles/?{query}")["results"]}

    assert ids("topic=space") == {a.pk, b.pk}
    assert ids("topic=food&topic=space") in ({b.pk, c.pk}, {a.pk, b.pk})  # last value wins
    assert ids("topic=nothing") == set()
    assert ids(f"provider={planet.pk}") == {a.pk, c.pk}
    assert ids("provider=PLANET.example") == {a.pk, c.pk}
    assert ids("quality_min=50") == {b.pk, c.pk}
    assert ids("quality_max=50") == {a.pk, b.pk}
    assert ids("quality_min=20&quality_max=60") == {b.pk}
    assert ids("published_after=2024-02-01") == {b.pk, c.pk}
    assert ids("published_before=2024-02-10T00:00:00Z") == {a.pk}
    assert ids("published_after=2024-02-10T01:00:00%2B02:00&published_before=2024-03-01") == {b.pk}
    assert ids("topic=space&provider=planet.example&quality_max=10") == {a.pk}


@pytest.mark.parametrize(
    "query",
    [
        "quality_min=lots", "published_after=yesterday", "cursor=garbage", "page_size=0", "page_size=1000",
        # Not written in ASCII digits, as no id or cursor is: int() read them as 5 and 50.
        "page_size=%EF%BC%95", "page_size=%2B5", "page_size=%205", "page_size=5_0",
    ],
)
def test_bad_parameters_are_a_400_with_a_reason(client, query):
    published()
    data = get_json(client, f"/api/articles/?{query}", status=400)
    assert data["error"]


def test_cursor_pages_cover_everything_once_and_keep_the_filters(client):
    science = make_topic(name="Science")
    expected = []
    for n in range(1, 12):
        expected.append(published(topics=[science], published_at=f"2024-01-{n:02d}T00:00:00Z").pk)
    # Same timestamp: the id breaks the tie. Undated items come last.
    same = [published(topics=[science], published_at="2024-01-05T00:00:00Z").pk for _ in range(3)]
    undated = [published(topics=[science], published_at=None).pk for _ in range(2)]
    published(topics=["Other"])
    seen, url, pages = [], "http://testserver/api/articles/?topic=science&page_size=4", 0
    while url:
        assert url.startswith("http://testserver/api/articles/?")
        assert "topic=science" in url and "page_size=4" in url
        data = get_json(client, url)
        seen += [item["id"] for item in data["results"]]
        url, pages = data["next"], pages + 1
    expected = list(reversed(expected[5:])) + sorted(same + [expected[4]], reverse=True) + list(reversed(expected[:4]))
    assert seen == expected + sorted(undated, reverse=True)
    assert pages == 4  # 16 items: the last full page says there is no next one


def test_next_link_is_also_a_link_header(client):
    for _ in range(3):
        published()
    response = client.get("/api/articles/?page_size=2")
    data = json.loads(response.content)
    assert response["Link"] == f'<{data["next"]}>; rel="next"'


def test_hostile_text_is_inert_and_javascript_urls_are_dropped(client):
    hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    article = published(
        title=hostile,
        excerpt=hostile,
        images=["https://img.example/1.jpg"],
        related=[{"title": hostile, "web_url": "https://x.example/"}],
    )
    Article.objects.filter(pk=article.pk).update(web_url="javascript:alert(1)", amp_url="javascript:alert(2)")
    article.images.update(url="javascript:alert(3)")
    RelatedCoverage.objects.filter(article=article).update(
        web_url="javascript:alert(4)", images=[{"url": "javascript:alert(5)"}]
    )
    for url in ("/api/articles/", f"/api/articles/{article.pk}/"):
        response = client.get(url)
        raw = response.content.decode()
        assert "<script" not in raw and "<img" not in raw and "javascript:" not in raw
        data = json.loads(raw)
        item = data["results"][0] if "results" in data else data
        assert item["title"] == hostile  # the data itself is intact for JSON readers
        assert item["web_url"] == "" and item["amp_url"] == "" and item["images"] == []
        assert item["related"][0]["web_url"] == "" and item["related"][0]["images"] == []


def test_item_published_in_the_curator_appears_and_disappears_when_unpublished(client, editor):
    article = make_article(title="Freshly decided", topics=["Science"])
    urls = ["/api/articles/", "/api/articles/?topic=science", f"/api/articles/{article.pk}/"]
    assert "Freshly decided" not in json.dumps(get_json(client, urls[0]))
    publish_article(article=article, user=editor)
    for url in urls:
        assert "Freshly decided" in json.dumps(get_json(client, url))
    edit_article(article=article, user=editor, title="Freshly edited")
    assert get_json(client, urls[2])["title"] == "Freshly edited"
    unpublish_article(article=article, user=editor)
    assert "Freshly" not in json.dumps(get_json(client, urls[0]))
    get_json(client, urls[2], status=404)
    publish_article(article=article, user=editor)
    reject_article(article=article, user=editor)
    get_json(client, urls[2], status=404)


def test_conditional_get_and_cache_headers(client, editor):
    published()
    publish_article(article=make_article(), user=editor)
    for url in ("/api/articles/", "/api/articles/?quality_min=1"):
        first = client.get(url)
        assert "public" in first["Cache-Control"] and "s-maxage=" in first["Cache-Control"]
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
        assert len(queries) <= 1
    other = client.get("/api/articles/?quality_min=2")
    assert other["ETag"] != client.get("/api/articles/")["ETag"]  # the ETag is per URL


def test_query_count_is_bounded_whatever_the_page_holds(client):
    science = make_topic(name="Science")
    published(topics=[science], related=[{"title": "r"}], images=["https://img.example/a.jpg"])
    url = "/api/articles/?topic=science&quality_min=0&provider=provider.example&page_size=50"
    client.get("/api/articles/?topic=science")  # the topic's size is read once per process (the plan)
    queries = {}
    for size in ("few", "many"):
        with CaptureQueriesContext(connection) as captured:
            for target in ("/api/articles/", "/api/articles/?topic=science&page_size=50", url):
                assert client.get(target).status_code == 200
        queries[size] = len(captured)
        for _ in range(10):
            published(
                topics=[science, make_topic()],
                images=["https://img.example/a.jpg", "https://img.example/b.jpg"],
                related=[{"title": "r1"}, {"title": "r2"}],
            )
    assert queries["few"] == queries["many"] <= 6  # at most 2 per request
    article = Article.objects.published().first()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/api/articles/{article.pk}/").status_code == 200
    assert len(captured) <= 2


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_a_method_the_api_does_not_take_is_a_405_in_its_own_json(method):
    """Django's require_safe answered an empty HTML 405 (a browser's CORS preflight), and a
    script's POST met the CSRF check first: an HTML page saying the form expired. Neither
    said what the API takes."""
    client = Client(enforce_csrf_checks=True)
    for path in ("/api/articles/", "/api/articles/1/"):
        response = getattr(client, method)(path)
        assert response.status_code == 405
        assert response["Allow"] == "GET, HEAD"
        assert response["Content-Type"].startswith("application/json")
        assert "read-only" in response.json()["error"]
