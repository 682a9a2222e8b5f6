"""Reading stories: the queue with one row per story, a body-only item's suggestions, the
public pages, API and feeds, and the admin."""

import json
import random
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from curation.models import Article, ArticleState, Story
from curation.selectors import SORTS, attach_candidates, queue_page
from curation.selectors_stories import attach_suggestions, first_of_their_story, story_queue_page, story_summaries
from curation.services import stories
from curation.services.editorial import publish_article
from curation.services.importing import import_seed_files
from curation.tests.factories import make_article, seed_text, valid_front_matter
from curation.tests.stories_support import write_seeds

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_response_cache")]

ROOT = Path(__file__).resolve().parents[2]
REAL_SEEDS = ROOT / "fixtures" / "real-seeds"


EVENTS = [
    ("{topic} wildfire forces evacuation of 4,000 residents", "The {topic} wildfire forced about 4,000 residents to flee their homes."),
    ("{topic} Bank to cut 2,500 jobs in cost overhaul", "{topic} Bank plans to eliminate about 2,500 jobs as its chief executive seeks savings."),
    ("{topic} Motors recalls 310,000 SUVs over brake fault", "{topic} Motors is recalling about 310,000 SUVs because a faulty brake booster can fail."),
    ("Storm {topic} leaves 60,000 homes without power", "Storm {topic} cut power to 60,000 homes overnight as gusts reached 90mph."),
    ("{topic} Airways orders 60 jets in $8 billion deal", "{topic} Airways agreed to buy 60 jets worth about $8 billion at list prices."),
    ("Tornado destroys homes in {topic} County, killing 2", "A tornado swept through {topic} County, destroying at least 15 homes."),
]


def topic_seeds(topic, count, start=0, event=0, **overrides):
    """`count` seeds of one event (`topic` names it), from different outlets."""
    texts = []
    title, excerpt = EVENTS[event % len(EVENTS)]
    for n in range(start, start + count):
        values = valid_front_matter(
            n,
            title=title.format(topic=topic) + f" ({n})",
            excerpt=excerpt.format(topic=topic),
            publishedDateTime=f"2024-04-0{1 + n % 3}T1{n % 10}:00:00Z",
            webUrl=f"https://outlet{n}.example/{topic.lower()}-{n}",
            provider={"name": f"Outlet {n}", "domain": f"outlet{n}.example"},
            quality=10 + n,
            topics=[],
            images=[],
        )
        values.update(overrides)
        texts.append(seed_text(body=f"More on {topic} as it develops.", **values))
    return texts


@pytest.fixture
def three_stories(tmp_path):
    write_seeds(tmp_path / "a", topic_seeds("Cedarvale", 3, 0))
    write_seeds(tmp_path / "b", topic_seeds("Marrowind", 4, 10, event=1))
    write_seeds(tmp_path / "c", [seed_text(**valid_front_matter(90, title="Council approves budget for new library"))])
    for part in "abc":
        import_seed_files([tmp_path / part], workers=0)
    assert Story.objects.count() == 2
    return tmp_path


# --- the queue by story ----------------------------------------------------------------------------


@pytest.mark.parametrize("sort_key", sorted(SORTS))
def test_the_queue_by_story_shows_each_story_once_at_its_first_article(three_stories, sort_key):
    queue = Article.objects.in_queue()
    plain = queue_page(queue, sort_key=sort_key, page_size=50).articles
    page = story_queue_page(queue, sort_key=sort_key, page_size=50)

    expected, seen = [], set()
    for article in plain:
        if article.story_id is None or article.story_id not in seen:
            expected.append(article.pk)
            seen.add(article.story_id)
    assert [article.pk for article in page.articles] == expected
    assert len(page.articles) == 3


def test_the_queue_by_story_walks_pages_by_cursor_without_repeating_a_story(three_stories):
    queue = Article.objects.in_queue()
    shown, after = [], ""
    while True:
        page = story_queue_page(queue, after=after, page_size=1)
        shown.extend(page.articles)
        if not page.has_next:
            break
        after = page.next_cursor
    assert len(shown) == 3 and len({article.story_id or -article.pk for article in shown}) == 3


def test_a_story_row_carries_the_lead_the_sources_and_the_best_scores(three_stories):
    page = story_queue_page(Article.objects.in_queue(), page_size=50)
    rows = {article.story_summary.size: article.story_summary for article in page.articles if article.story_summary}
    four = rows[4]
    lead = Article.objects.get(pk=four.lead_id)
    assert four.lead_title == lead.title and lead.quality == four.best_quality == max(
        Article.objects.filter(story_id=four.id).values_list("quality", flat=True)
    )
    assert four.sources == 3 and len(four.outlets) == 4 and lead.provider.name in four.outlets
    assert four.new_count == 4 and four.published_count == 0 and four.newest_imported is not None


def test_the_queue_by_story_follows_the_queues_filters(three_stories, editor):
    story = Story.objects.get(size=4)
    lead = Article.objects.get(pk=story.lead_id)
    publish_article(article=lead, user=editor)
    page = story_queue_page(Article.objects.in_queue(), page_size=50)
    row = next(article for article in page.articles if article.story_id == story.pk)
    assert row.pk != lead.pk  # the first member still in the queue stands for the story
    assert row.story_summary.published_count == 1 and row.story_summary.new_count == 3


def test_the_queue_by_story_costs_the_same_queries_for_few_and_many_stories(tmp_path):
    write_seeds(tmp_path / "a", topic_seeds("Alderbrook", 2, 0))
    import_seed_files([tmp_path / "a"], workers=0)
    with CaptureQueriesContext(connection) as small:
        story_queue_page(Article.objects.in_queue(), page_size=50)
    for number, name in enumerate(["Briarton", "Coldwater", "Dunmore", "Elmsford", "Fallowby"]):
        write_seeds(tmp_path / name, topic_seeds(name, 3, 20 + 5 * number, event=number + 1))
        import_seed_files([tmp_path / name], workers=0)
    with CaptureQueriesContext(connection) as large:
        page = story_queue_page(Article.objects.in_queue(), page_size=50)
    assert len(page.articles) == 6
    assert len(small) == len(large) <= 4, [query["sql"][:80] for query in large.captured_queries]


def test_first_of_their_story_keeps_articles_outside_stories():
    lone = make_article(title="A lone item")
    assert list(first_of_their_story(Article.objects.all())) == [lone]


def _first_of_each_story(articles, sort):
    """The reference: the articles kept by `first_of_their_story`, computed in Python."""

    def place(article):  # missing values last whatever the direction, ids as the tie-breaker
        value = getattr(article, sort.field)
        if value is None:
            return (1, -article.pk if sort.descending else article.pk)
        key = value.timestamp() if hasattr(value, "timestamp") else value
        return (0, -key if sort.descending else key, -article.pk if sort.descending else article.pk)

    firsts = {}
    for article in articles:
        if article.story_id is not None:
            best = firsts.get(article.story_id)
            if best is None or place(article) < place(best):
                firsts[article.story_id] = article
    return {article.pk for article in articles if article.story_id is None or firsts[article.story_id] is article}


def test_first_of_their_story_agrees_with_the_queues_order_for_every_sort_and_filter():
    """Ties and missing values in every sort column, stories whose members the filters
    split: the first of each story is the one the queue's own order puts first."""
    rng = random.Random(14)
    base = timezone.now().replace(microsecond=0)
    dates = [None, base, base, base - timezone.timedelta(hours=1), base - timezone.timedelta(days=2)]
    stories_ = [Story.objects.create(size=0, created_at=base, updated_at=base) for _ in range(6)]
    for _ in range(60):
        make_article(
            story=rng.choice([None, None, *stories_]),
            published_at=rng.choice(dates),
            imported_at=rng.choice(dates[1:]),
            quality=rng.choice([None, 10, 50, 50, 90]),
            heat=rng.choice([None, -1, 5, 5, 40]),
            state=rng.choice(["new", "new", "published", "rejected"]),
        )
    filters = {
        "every item": Article.objects.all(),
        "new": Article.objects.filter(state="new"),
        "quality 50 or more": Article.objects.filter(quality__gte=50),
        "published or dated": Article.objects.filter(Q(state="published") | Q(published_at__isnull=False)),
    }
    for name, queryset in filters.items():
        for sort in SORTS.values():
            expected = _first_of_each_story(list(queryset), sort)
            kept = set(first_of_their_story(queryset, sort.key).values_list("pk", flat=True))
            assert kept == expected, (name, sort.key)
            page = story_queue_page(queryset, sort_key=sort.key, page_size=200)
            assert {article.pk for article in page.articles} == expected, (name, sort.key)


def test_first_of_their_story_of_a_queryset_that_matches_nothing():
    make_article(story=Story.objects.create(size=1, created_at=timezone.now(), updated_at=timezone.now()))
    assert list(first_of_their_story(Article.objects.none())) == []
    assert story_queue_page(Article.objects.filter(pk__in=[]), page_size=10).articles == []


def test_summaries_of_no_stories_cost_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert story_summaries([]) == {}
    assert not queries.captured_queries


# --- body-only items ---------------------------------------------------------------------------------


def test_a_body_only_item_is_told_which_related_entry_it_is_the_text_of():
    import_seed_files([REAL_SEEDS / "000_5791a4ba6fe0fc15.txt"], workers=0)
    import_seed_files([REAL_SEEDS / "004_52d18086a856f3c8.txt"], workers=0)
    body_only = Article.objects.get(has_front_matter=False)

    suggestions = attach_suggestions(body_only)
    assert suggestions, "the Chicago Tribune's entry should be proposed"
    first = suggestions[0]
    assert first.entry is not None and "chicagotribune" in first.entry.web_url
    assert "Clearview" in first.overlap and "Venmo" in first.overlap
    assert first.completion["title"] == first.entry.title and first.completion["web_url"] == first.entry.web_url


def test_attach_candidates_put_the_story_match_first_with_the_shared_words(tmp_path):
    write_seeds(tmp_path, topic_seeds("Wexmoor", 1))
    import_seed_files([tmp_path], workers=0)
    write_seeds(tmp_path / "other", [seed_text(**valid_front_matter(50, title="Wexmoor fire brigade thanks volunteers"))])
    import_seed_files([tmp_path / "other"], workers=0)
    body = make_article(
        title="Crews fought the Wexmoor fire", has_front_matter=False, needs_metadata=True, web_url="",
        body="Crews fought the Wexmoor wildfire overnight near Pinecrest, where about 4,000 residents had fled their homes.",
        published_at=None, provider=None,
    )
    match = Article.objects.get(title__contains="evacuation")
    candidates = attach_candidates(body)
    assert candidates[0] == match
    assert {"Wexmoor", "wildfire"} <= set(candidates[0].story_overlap)


# --- the public side ------------------------------------------------------------------------------------


@pytest.fixture
def published_story(three_stories, editor):
    story = Story.objects.get(size=4)
    members = list(Article.objects.filter(story=story).order_by("pk"))
    for article in members[:3]:
        publish_article(article=article, user=editor)
    return story, members


def test_a_published_articles_page_shows_its_storys_other_published_coverage(client, published_story):
    story, members = published_story
    response = client.get(f"/articles/{members[0].pk}/", follow=True)
    text = response.content.decode()
    assert "Also on this story" in text
    assert members[1].title in text and members[2].title in text
    assert members[3].title not in text  # not published


def test_the_api_lists_a_storys_other_published_coverage(client, published_story):
    _, members = published_story
    data = json.loads(client.get(f"/api/articles/{members[0].pk}/").content)
    assert sorted(member["id"] for member in data["story"]) == [members[1].pk, members[2].pk]
    assert data["story"][0]["url"].startswith("http") and data["story"][0]["provider"]["name"]
    listing = json.loads(client.get("/api/articles/").content)
    assert all("story" in item for item in listing["results"])


@pytest.mark.parametrize("url", ["/feeds/rss/", "/feeds/atom/", "/feeds/json/"])
def test_feeds_carry_one_entry_per_story_unless_asked_for_every_item(client, published_story, url):
    story, members = published_story
    lead = Story.objects.get(pk=story.pk).lead_id
    body = client.get(url).content.decode()
    shown = [member.pk for member in members[:3] if f"/articles/{member.pk}/" in body]
    expected = [lead] if lead in [m.pk for m in members[:3]] else [members[0].pk]
    assert shown == expected
    every = client.get(url + "?all=1").content.decode()
    assert all(f"/articles/{member.pk}/" in every for member in members[:3])


@pytest.mark.parametrize("feed", ["rss", "atom", "json"])
def test_a_topics_feed_carries_a_story_member_about_it_whose_lead_is_about_another_topic(client, editor, feed):
    """Two outlets' reports of one storm, one about Weather (the lead), one about Shipping:
    /topics/shipping/ listed the port's report, and /feeds/<feed>/topics/shipping/ was a
    404, the story's entry (the lead) not being about Shipping."""
    lead = make_article(title="Storm hits the coast", topics=["Weather"], quality=90)
    port = make_article(title="Storm closes the port", topics=["Shipping"], quality=10)
    also_port = make_article(title="Ferries stay in port", topics=["Shipping", "Weather"], quality=5)
    now = timezone.now()
    story = Story.objects.create(lead=lead, size=3, created_at=now, updated_at=now)
    Article.objects.filter(pk__in=[lead.pk, port.pk, also_port.pk]).update(story=story)
    for article in (lead, port, also_port):
        publish_article(article=article, user=editor)
    assert b"Storm closes the port" in client.get("/topics/shipping/").content
    shipping = client.get(f"/feeds/{feed}/topics/shipping/")
    assert shipping.status_code == 200
    # One entry for the story in each feed: the first of its items about the topic.
    body = shipping.content.decode()
    assert f"/articles/{port.pk}/" in body and f"/articles/{also_port.pk}/" not in body
    weather = client.get(f"/feeds/{feed}/topics/weather/").content.decode()
    assert f"/articles/{lead.pk}/" in weather and f"/articles/{also_port.pk}/" not in weather
    everything = client.get(f"/feeds/{feed}/").content.decode()
    assert [pk for pk in (lead.pk, port.pk, also_port.pk) if f"/articles/{pk}/" in everything] == [lead.pk]


def test_a_feeds_story_entry_is_the_first_published_member_when_the_lead_is_not_published(client, three_stories, editor):
    story = Story.objects.get(size=4)
    others = list(Article.objects.filter(story=story).exclude(pk=story.lead_id).order_by("pk"))
    publish_article(article=others[1], user=editor)
    Article.objects.filter(pk=others[1].pk).update(state_changed_at=timezone.now() - timezone.timedelta(hours=1))
    publish_article(article=others[0], user=editor)
    body = client.get("/feeds/rss/").content.decode()
    assert f"/articles/{others[1].pk}/" in body and f"/articles/{others[0].pk}/" not in body


def test_feeds_and_the_api_stay_within_their_query_budget(client, published_story):
    for url in ("/feeds/rss/", "/feeds/json/", "/api/articles/"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert len(queries) <= 2, (url, [query["sql"][:80] for query in queries.captured_queries])


# --- the admin -----------------------------------------------------------------------------------------


def test_the_admin_shows_stories_and_an_articles_story(admin_client, three_stories):
    story = Story.objects.get(size=4)
    response = admin_client.get(f"/admin/curation/story/{story.pk}/change/")
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count("/admin/curation/article/") >= 4 and "articles of this story" in text.lower()
    assert admin_client.get("/admin/curation/story/").status_code == 200
    member = Article.objects.filter(story=story).first()
    page = admin_client.get(f"/admin/curation/article/{member.pk}/change/").content.decode()
    assert f"/admin/curation/story/{story.pk}/change/" in page


def test_stories_are_read_only_in_the_admin(admin_client, three_stories):
    story = Story.objects.first()
    assert admin_client.post(f"/admin/curation/story/{story.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/curation/story/add/").status_code == 403


def test_rebuild_keeps_what_the_import_made(three_stories):
    before = {frozenset(Article.objects.filter(story=story).values_list("pk", flat=True)) for story in Story.objects.all()}
    stories.rebuild()
    after = {frozenset(Article.objects.filter(story=story).values_list("pk", flat=True)) for story in Story.objects.all()}
    assert before == after
    assert Article.objects.filter(state=ArticleState.NEW).count() == 8


def test_a_similar_title_is_one_that_shares_a_word_not_a_body_that_says_reported():
    """A body-only item titled "By staff reporter 2" was offered, as "(same body, or a similar
    title)", every newest item whose body says "… reported" (the search reads bodies and stems)."""
    for n in range(3):
        make_article(title=f"Harbour ferry returns {n}", body="The ferry returns, the Courier reported.")
    staffed = make_article(title="Staff reporter wins award", body="An award.")
    body = make_article(
        title="By staff reporter 2", has_front_matter=False, needs_metadata=True, web_url="",
        body="By staff reporter 2\n\nThe announcement comes amid growing public pressure.",
        published_at=None, provider=None,
    )
    assert attach_candidates(body) == [staffed]
    # A search the editor types still reads bodies.
    assert {"Harbour ferry returns 0", "Harbour ferry returns 2"} <= {a.title for a in attach_candidates(body, search="reported")}
