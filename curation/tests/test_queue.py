"""The queue at /curate/: filters, sorts, keyset pagination and its query budget."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from curation.models import Article, ArticleImage
from curation.selectors import SORTS, queue_page
from curation.tests.factories import make_article, make_provider, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # the filter lists are cached between requests


QUEUE = reverse("curation:queue")
ROW_ID = re.compile(r'<tr class="queue-row[^"]*" data-article-id="(\d+)"')


def ids_on(response):
    assert response.status_code == 200
    return [int(pk) for pk in ROW_ID.findall(response.content.decode())]


def days_ago(n):
    return timezone.now() - dt.timedelta(days=n)


def test_default_queue_is_new_items_newest_first(editor_client):
    old = make_article(published_at=days_ago(3))
    newest = make_article(published_at=days_ago(1))
    middle = make_article(published_at=days_ago(2))
    make_article(state="published", published_at=days_ago(0))
    make_article(state="rejected", published_at=days_ago(0))
    assert ids_on(editor_client.get(QUEUE)) == [newest.pk, middle.pk, old.pk]


def test_row_shows_what_an_editor_triages_with(editor_client):
    science = make_topic(name="Science")
    article = make_article(
        title="Row title",
        provider=make_provider(name="The Daily Example"),
        topics=[science],
        quality=77,
        heat=12,
        related_count=3,
        images=["https://img.example/pic.jpg"],
    )
    html = editor_client.get(QUEUE).content.decode()
    row = html[html.index(f'data-article-id="{article.pk}"') :]
    row = row[: row.index("</tr>")]
    for text in (
        "Row title",
        "The Daily Example",
        "Science",
        ">77<",
        ">12<",
        ">3<",
        "New",
    ):
        assert text in row, text
    # Compact rows (the default) leave the thumbnail out; comfortable rows show it.
    assert "https://img.example/pic.jpg" not in row
    editor_client.post("/curate/density/", {"density": "comfortable"})
    assert "https://img.example/pic.jpg" in editor_client.get(QUEUE).content.decode()


@pytest.fixture
def mix(db):
    """Articles that differ in exactly the ways the filters look at: one row each."""
    science, politics = make_topic(name="Science"), make_topic(name="Politics")
    p1, p2 = make_provider(name="Alpha"), make_provider(name="Beta")
    articles = {
        "a": make_article(title="Glacier melt accelerates", body="Ice sheets.", topics=[science], provider=p1, quality=90,
                          heat=50, category="climate", published_at=days_ago(10), images=["https://img.example/a.jpg"]),
        "b": make_article(title="Parliament votes", body="A vote today.", topics=[politics], provider=p2, quality=20,
                          heat=-1, category="politics", article_type="live", published_at=days_ago(1)),
        "c": make_article(title="Body only item", body="Glacier text without metadata.", provider=p2, quality=None,
                          heat=None, category="", published_at=None, needs_metadata=True, has_front_matter=False),
        "d": make_article(title="Published piece", state="published", topics=[science], provider=p1, quality=60, heat=5,
                          published_at=days_ago(5)),
        "e": make_article(title="Rejected piece", state="rejected", provider=p1, quality=10, heat=80,
                          published_at=days_ago(20)),
    }
    return {**articles, "science": science, "p2": p2}


def test_each_filter_changes_the_result(editor_client, mix):
    a, b, c, d, e = (mix[k].pk for k in "abcde")
    day = lambda n: days_ago(n).date().isoformat()  # noqa: E731
    cases = [
        ({}, {a, b, c}),
        ({"state": "published"}, {d}),
        ({"state": "rejected"}, {e}),
        ({"state": "all"}, {a, b, c, d, e}),
        ({"q": "glacier"}, {a, c}),
        ({"q": "glacier", "state": "all"}, {a, c}),
        ({"quality_min": 50}, {a}),
        ({"quality_max": 50}, {b}),
        ({"heat_min": 10}, {a}),
        ({"heat_max": 10}, set()),
        ({"heat_known": "unknown"}, {b, c}),
        ({"heat_known": "known"}, {a}),
        ({"topic": mix["science"].pk, "state": "all"}, {a, d}),
        ({"provider": mix["p2"].pk}, {b, c}),
        ({"category": "climate"}, {a}),
        ({"type": "live"}, {b}),
        ({"published_after": day(2)}, {b}),
        ({"published_before": day(2)}, {a}),
        ({"published_after": day(12), "published_before": day(8)}, {a}),
        ({"needs_metadata": "yes"}, {c}),
        ({"needs_metadata": "no"}, {a, b}),
        ({"has_images": "yes"}, {a}),
        ({"has_images": "no"}, {b, c}),
    ]
    for params, expected in cases:
        assert set(ids_on(editor_client.get(QUEUE, params))) == expected, params


def test_invalid_filter_values_show_an_error_not_a_crash(editor_client, mix):
    response = editor_client.get(QUEUE, {"quality_min": "lots", "topic": "999999", "sort": "nonsense"})
    assert response.status_code == 400  # the page, with the reasons beside the fields
    assert "Enter a number." in response.content.decode()
    assert ROW_ID.findall(response.content.decode()) == []
    # The refused field says so to assistive technology and points at its message.
    html = response.content.decode()
    field = re.search(r'<input[^>]*name="quality_min"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="id_quality_min_error"' in field
    assert re.search(r'id="id_quality_min_error"><p class="error">Enter a number.</p>', html)
    untouched = re.search(r'<input[^>]*name="quality_max"[^>]*>', html).group(0)
    assert "aria-invalid" not in untouched


def test_filtered_view_is_a_shareable_url(editor_client, mix):
    """Links to articles and to the next page carry the filters."""
    response = editor_client.get(QUEUE, {"state": "all", "quality_min": 15, "size": 1, "sort": "-quality"})
    html = response.content.decode()
    assert f'href="/curate/articles/{mix["a"].pk}/?state=all&amp;quality_min=15&amp;size=1&amp;sort=-quality"' in html
    next_link = re.search(r'class="next" rel="next" href="\?([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "quality_min=15" in next_link and "after=" in next_link


def expected_order(articles, sort):
    with_value = [a for a in articles if getattr(a, sort.field) is not None]
    without = [a for a in articles if getattr(a, sort.field) is None]
    with_value.sort(key=lambda a: (getattr(a, sort.field), a.pk), reverse=sort.descending)
    without.sort(key=lambda a: a.pk, reverse=sort.descending)
    return [a.pk for a in with_value + without]


@pytest.fixture
def sortable(db):
    """Ties and missing values in every sort column, so the id tiebreak and the NULL
    segment are both exercised."""
    base = timezone.now().replace(microsecond=0)
    articles = []
    for n in range(13):
        articles.append(
            make_article(
                quality=None if n % 5 == 0 else n % 4 * 10,
                heat=None if n % 6 == 0 else (n % 3) - 1,
                published_at=None if n % 4 == 0 else base - dt.timedelta(hours=n % 3),
                imported_at=base - dt.timedelta(minutes=n % 2),
            )
        )
    return articles


@pytest.mark.parametrize("sort_key", list(SORTS))
def test_each_sort_orders_the_queue_with_missing_values_last(editor_client, sortable, sort_key):
    expected = expected_order(sortable, SORTS[sort_key])
    assert ids_on(editor_client.get(QUEUE, {"sort": sort_key})) == expected


def test_sorts_change_the_result(editor_client, sortable):
    orders = {key: tuple(ids_on(editor_client.get(QUEUE, {"sort": key}))) for key in SORTS}
    assert len(set(orders.values())) == len(SORTS)


@pytest.mark.parametrize("sort_key", list(SORTS))
def test_keyset_pages_walk_forward_and_back_over_every_row_once(editor_client, sortable, sort_key):
    expected = expected_order(sortable, SORTS[sort_key])
    pages, url = [], f"{QUEUE}?sort={sort_key}&size=4"
    while url:
        response = editor_client.get(url)
        pages.append(ids_on(response))
        match = re.search(r'class="next" rel="next" href="(\?[^"]+)"', response.content.decode())
        url = QUEUE + match.group(1).replace("&amp;", "&") if match else None
        assert len(pages) < 10
    assert [pk for page in pages for pk in page] == expected
    assert [len(page) for page in pages] == [4, 4, 4, 1]

    # And back from the last page with the "previous" links.
    back, html = [], response.content.decode()
    while True:
        match = re.search(r'class="previous" rel="prev" href="(\?[^"]+)"', html)
        if not match:
            break
        html = editor_client.get(QUEUE + match.group(1).replace("&amp;", "&")).content.decode()
        back.insert(0, [int(pk) for pk in ROW_ID.findall(html)])
    assert back == pages[:-1]


def test_a_malformed_cursor_shows_the_first_page(editor_client, sortable):
    first = ids_on(editor_client.get(QUEUE, {"size": 3}))
    for cursor in ("garbage", "~", "2024-13-45~1", "abc~xyz", "~99999999999999999999"):
        assert ids_on(editor_client.get(QUEUE, {"size": 3, "after": cursor})) in (first, []), cursor
    assert ids_on(editor_client.get(QUEUE, {"size": 3, "sort": "-quality", "after": "notanumber~5"})) == ids_on(
        editor_client.get(QUEUE, {"size": 3, "sort": "-quality"})
    )


def test_the_queue_never_counts_rows(editor_client, sortable):
    """No COUNT over the table: the only count is of one page's candidates (LIMIT n)."""
    for sort_key in ("-heat", "-imported"):
        with CaptureQueriesContext(connection) as queries:
            editor_client.get(QUEUE, {"size": 3, "sort": sort_key})
        for query in queries.captured_queries:
            sql = query["sql"].upper()
            for counted in sql.split("COUNT(")[1:]:
                # Over a LIMITed subquery (a page's candidates, or the matches up to the
                # count's cap), or over the page's candidates (a LIMITed CTE).
                assert "LIMIT 4" in counted or "LIMIT 10001)" in counted or counted.startswith("*) FROM PART_0"), query["sql"]
            if "WITH PART_0 AS (" in sql:
                assert "LIMIT 4) SELECT" in sql


def _rich_articles(count, topic, provider):
    for n in range(count):
        article = make_article(provider=provider, topics=[topic, f"extra {n}"], related_count=n)
        ArticleImage.objects.create(article=article, url=f"https://img.example/{n}.jpg")
        ArticleImage.objects.create(article=article, position=1, url=f"https://img.example/{n}b.jpg")


@pytest.mark.parametrize("params", [{}, {"q": "story", "sort": "-quality"}, {"state": "all", "sort": "heat"}])
def test_query_count_does_not_grow_with_the_page_size(editor_client, params):
    topic, provider = make_topic(name="Common"), make_provider()
    _rich_articles(8, topic, provider)
    # Warm the caches any earlier page would have filled: the filter lists, and the search
    # module's per-text plan on SQLite.
    editor_client.get(QUEUE, params)
    with CaptureQueriesContext(connection) as small:
        assert len(ids_on(editor_client.get(QUEUE, {**params, "size": 5}))) == 5
    _rich_articles(60, topic, provider)
    with CaptureQueriesContext(connection) as large:
        assert len(ids_on(editor_client.get(QUEUE, {**params, "size": 50}))) == 50
    assert len(small) == len(large)
    # A deep page, reached by its cursor, costs the same.
    sort = SORTS[params.get("sort", "-published")]
    deep_row = queue_page(Article.objects.all(), sort_key=sort.key, page_size=10).articles[-1]
    value = getattr(deep_row, sort.field)
    cursor = f"{value.isoformat() if sort.kind == 'datetime' else value}~{deep_row.pk}"
    with CaptureQueriesContext(connection) as deep:
        assert ids_on(editor_client.get(QUEUE, {**params, "size": 5, "after": cursor}))
    assert len(deep) == len(large)


def test_rows_with_every_badge_cost_no_query_of_their_own(editor_client):
    """A row reads only the columns the page loaded: flagged, scheduled, embargoed, merged,
    source-changed and incomplete items show their notes in the same queries as plain ones."""
    make_article()
    editor_client.get(QUEUE, {"state": "all"})
    with CaptureQueriesContext(connection) as plain:
        editor_client.get(QUEUE, {"state": "all"})
    later = timezone.now() + dt.timedelta(days=2)
    target = make_article()
    make_article(flagged_at=timezone.now(), flag_note="Check the quote")
    make_article(state="published", live_from=later, live_until=later + dt.timedelta(days=1))
    make_article(embargo_until=later)
    make_article(source_changed_at=timezone.now())
    make_article(state="merged", merged_into=target)
    make_article(needs_metadata=True, provider=None, title="")
    with CaptureQueriesContext(connection) as badges:
        html = editor_client.get(QUEUE, {"state": "all"}).content.decode()
    for shown in ("Check the quote", "goes live", "embargo", "source changed", "Merged into", "needs metadata"):
        assert shown in html, shown
    assert len(badges) == len(plain)


def test_query_count_is_the_same_where_rows_without_a_sort_value_begin(editor_client):
    """A page that runs out of rows with a quality continues with those without one, in
    the same number of queries as a page that does not."""
    topic, provider = make_topic(name="Common"), make_provider()
    _rich_articles(3, topic, provider)
    editor_client.get(QUEUE, {"sort": "-quality"})
    with CaptureQueriesContext(connection) as full:
        editor_client.get(QUEUE, {"sort": "-quality", "size": 2})
    for _ in range(30):
        make_article(quality=None, topics=["Other"], images=["https://img.example/n.jpg"])
    with CaptureQueriesContext(connection) as crossing:
        ids = ids_on(editor_client.get(QUEUE, {"sort": "-quality", "size": 20}))
    assert len(ids) == 20
    assert len(crossing) == len(full)


def test_selector_query_budget(sortable):
    """The page itself: candidates (both segments in one statement), rows, topics+images;
    a sort column that is never NULL needs no candidates query."""
    for sort_key, size, expected in [("-quality", 5, 3), ("-quality", 12, 3), ("-imported", 5, 2), ("heat", 13, 3)]:
        with CaptureQueriesContext(connection) as queries:
            page = queue_page(Article.objects.in_queue(), sort_key=sort_key, page_size=size)
            shown = [(a.topic_names, a.provider.name, a.image_urls) for a in page.articles]
        assert len(shown) == min(size, 13)
        assert len(queries) == expected, sort_key


def test_hostile_row_content_is_escaped_and_unsafe_images_are_not_shown(editor_client):
    article = make_article(title="<script>alert(1)</script>")
    ArticleImage.objects.create(article=article, url="javascript:alert(2)")
    html = editor_client.get(QUEUE).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in html


def test_row_buttons_post_the_shared_form_to_their_action_with_the_row_version(editor_client):
    article = make_article()
    Article.objects.filter(pk=article.pk).update(version=7)
    html = editor_client.get(QUEUE, {"sort": "-quality"}).content.decode()
    form = re.search(r'<form id="row-action-form"[^>]*method="post"[^>]*>(.*?)</form>', html, re.S).group(1)
    assert 'name="csrfmiddlewaretoken"' in form and 'name="next" value="/curate/?sort=-quality"' in form
    button = re.search(
        r'<button type="submit" form="row-action-form" formaction="([^"]+)" name="expected_version" '
        r'value="(\d+)"[^>]*>Publish</button>',
        html,
    )
    assert button.groups() == (reverse("curation:article-action", args=[article.pk, "publish"]), "7")
    # What the browser sends when that button is pressed without JavaScript:
    response = editor_client.post(
        button.group(1), {"expected_version": "7", "next": "/curate/?sort=-quality", "compact": "1"}
    )
    # Back at the same queue, at its list: the only row left it (views/landing.py).
    assert response["Location"] == "/curate/?sort=-quality#queue-results"
    assert Article.objects.get(pk=article.pk).state == "published"


def test_a_cursor_whose_plus_became_a_space_still_works(editor_client, sortable):
    pages = queue_page(Article.objects.in_queue(), sort_key="-published", page_size=3)
    second = ids_on(editor_client.get(QUEUE, {"size": 3, "after": pages.next_cursor}))
    mangled = f"{QUEUE}?size=3&after={pages.next_cursor}"  # "+00:00" unencoded: decoded as " 00:00"
    assert "+" in mangled and ids_on(editor_client.get(mangled)) == second != ids_on(
        editor_client.get(QUEUE, {"size": 3})
    )


@pytest.mark.parametrize("common", [False, True])
def test_topic_filter_gives_the_same_rows_whichever_plan_it_uses(editor_client, monkeypatch, common):
    from curation.db.base import DatabaseBackend
    from curation.db.postgresql import PostgreSQLBackend
    from curation.db.sqlite import SQLiteBackend

    for backend_class in (DatabaseBackend, SQLiteBackend, PostgreSQLBackend):
        monkeypatch.setattr(backend_class, "few_topic_articles", 1 if common else 10**6)
    science = make_topic(name="Science")
    tagged = [make_article(topics=[science, "Other"], quality=q) for q in (10, 30, 20)]
    make_article(topics=["Other"], quality=99)
    expected = [a.pk for a in sorted(tagged, key=lambda a: -a.quality)]
    assert ids_on(editor_client.get(QUEUE, {"topic": science.pk, "sort": "-quality"})) == expected
    page2 = ids_on(
        editor_client.get(
            QUEUE, {"topic": science.pk, "sort": "-quality", "size": 2, "after": f"{tagged[1].quality}~{tagged[1].pk}"}
        )
    )
    assert page2 == [tagged[2].pk, tagged[0].pk]
    # The article page's previous/next follow the same plan.
    html = editor_client.get(f"/curate/articles/{tagged[2].pk}/", {"topic": science.pk, "sort": "-quality"}).content
    html = html.decode()
    assert f'id="previous-item" rel="prev" href="/curate/articles/{tagged[1].pk}/' in html
    assert f'id="next-item" rel="next" href="/curate/articles/{tagged[0].pk}/' in html


def test_rows_offer_only_what_the_item_allows(editor_client):
    target = make_article(title="Kept article")
    merged = make_article(title="Merged body", state="merged", merged_into=target, has_front_matter=False)
    incomplete = make_article(title="Bare body", needs_metadata=True, has_front_matter=False, source_key="d" * 64)
    html = editor_client.get(QUEUE, {"state": "all"}).content.decode()

    def row(article):
        start = html.index(f'data-article-id="{article.pk}"')
        return html[start : html.index("</tr>", start)]

    assert f'Merged into <a href="/curate/articles/{target.pk}/">#{target.pk}</a>' in row(merged)
    assert "<button" not in row(merged)
    assert ">Publish</button>" not in row(incomplete) and 'data-action="reject"' in row(incomplete)
    assert "needs metadata" in row(incomplete)


def test_in_place_row_action_conflict_is_409_and_returns_no_buttons(editor_client):
    article = make_article()
    url = reverse("curation:article-action", args=[article.pk, "publish"])
    ok = editor_client.post(url, {"expected_version": 1, "compact": "1"}, HTTP_ACCEPT="application/json")
    assert ok.status_code == 200 and 'formaction="' in ok.json()["actions_html"]
    stale = editor_client.post(
        url.replace("publish", "reject"), {"expected_version": 1, "compact": "1"}, HTTP_ACCEPT="application/json"
    )
    assert stale.status_code == 409 and "actions_html" not in stale.json()
    assert Article.objects.get(pk=article.pk).state == "published"


def test_every_row_value_is_escaped(editor_client):
    hostile = '"><script>alert(1)</script><x a="'
    article = make_article(
        title=hostile,
        provider=make_provider(name=hostile),
        topics=[hostile + " topic"],
        state="merged",
    )
    ArticleImage.objects.create(article=article, url='https://img.example/a.jpg"onerror="alert(2)')
    ArticleImage.objects.create(article=make_article(title="second"), url="javascript:alert(3)")
    html = editor_client.get(QUEUE, {"state": "all"}).content.decode()
    assert "<script>alert(1)" not in html and '<x a="' not in html
    # Django templates write &quot;, the row templates (Jinja2) &#34;: both escape the quote.
    escaped = re.findall(r'(?:&quot;|&#34;)&gt;&lt;script&gt;alert\(1\)&lt;/script&gt;&lt;x a=(?:&quot;|&#34;)', html)
    assert len(escaped) >= 4  # title, label, provider, topic
    assert 'onerror="alert(2)' not in html and "javascript:" not in html


def test_sorting_unknown_heat_by_heat_lists_them_newest_first(editor_client):
    now = timezone.now()
    older = make_article(title="Older unknown heat", heat=-1, published_at=now - dt.timedelta(days=2))
    newer = make_article(title="Newer unknown heat", heat=None, published_at=now - dt.timedelta(days=1))
    make_article(title="Known heat", heat=90, published_at=now)

    response = editor_client.get(reverse("curation:queue"), {"heat_known": "unknown", "sort": "-heat"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "Known heat" not in body
    assert body.index(newer.title) < body.index(older.title)


# --- counts -----------------------------------------------------------------------------------


def count_text(response):
    match = re.search(r'<p class="match-count"[^>]*>(.*?)</p>', response.content.decode(), re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else None


def test_the_plain_queue_counts_in_its_row_query_and_the_navigation_shows_new(editor_client, monkeypatch):
    for _ in range(3):
        make_article()
    make_article(state="published")
    editor_client.get(QUEUE)
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(QUEUE)
    assert count_text(response) == "3 items match"
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(*) FROM (" in q["sql"]]
    assert counts and all("LIMIT 10001) AS capped" in sql for sql in counts)
    html = response.content.decode()
    assert re.search(r'class="nav-count"[^>]*>3<span class="visually-hidden"> new</span>', html)
    monkeypatch.setattr("curation.selectors_queue.COUNT_CAP", 2)
    cache.clear()
    assert count_text(editor_client.get(QUEUE)) == "2+ items match"


def test_a_filtered_count_is_asked_for_separately_and_remembered(editor_client):
    for quality in (10, 60, 70):
        make_article(quality=quality)
    # A first page that holds every match knows the count without asking (and remembers it).
    assert count_text(editor_client.get(QUEUE, {"quality_min": 55})) == "2 items match"
    assert count_text(editor_client.get(QUEUE, {"quality_min": 55, "size": 1})) == "2 items match"
    response = editor_client.get(QUEUE, {"quality_min": 50, "sort": "-quality", "size": 1})
    assert count_text(response) == "How many match?"  # JS asks /curate/count/; the link for no JS
    html = response.content.decode()
    assert 'data-count-url="/curate/count/?quality_min=50"' in html
    assert 'href="?quality_min=50&amp;sort=-quality&amp;size=1&amp;count=1"' in html
    answer = editor_client.get("/curate/count/", {"quality_min": 50})
    assert answer.json() == {"ok": True, "count": 2, "more": False, "text": "2"}
    # Remembered: the queue shows it now, whatever the sort or page size...
    assert count_text(editor_client.get(QUEUE, {"quality_min": 50, "size": 1, "sort": "quality"})) == "2 items match"
    assert count_text(editor_client.get(QUEUE, {"quality_min": 65, "size": 1, "count": "1"})) == "1 item matches"
    assert editor_client.get("/curate/count/", {"quality_min": "lots"}).status_code == 400
    # ... until a decision changes what matches: then it is counted again.
    decided = Article.objects.get(quality=70)
    editor_client.post(f"/curate/articles/{decided.pk}/publish/", {"expected_version": decided.version})
    assert editor_client.get("/curate/count/", {"quality_min": 50}).json()["count"] == 1
    assert count_text(editor_client.get(QUEUE, {"quality_min": 50, "size": 1})) == "1 item matches"


def test_the_count_endpoint_needs_the_read_permission(client, db):
    from django.contrib.auth.models import User

    assert client.get("/curate/count/").status_code == 302
    client.force_login(User.objects.create_user("nobody", password="x"))
    assert client.get("/curate/count/").status_code == 403
