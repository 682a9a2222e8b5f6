"""Readers and the clock: scheduled items appear, expired ones go, embargoed ones are nowhere,
behind ETags and conditional GETs, without the scheduled job having run."""

import datetime as dt
import json

import feedparser
import pytest
from django.core.management import call_command
from django.utils.http import http_date
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation.db.queries import latest_change_stamps
from curation.models import Article
from curation.services import editorial, scheduling
from curation.tests.factories import make_article
from curation.tests.test_feeds import FEEDS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_response_cache")]

UTC = dt.UTC
SIX = dt.datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
SEVEN = dt.datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
EIGHT = dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

PAGES = ["/", "/topics/briefings/", "/api/articles/", *FEEDS]


@pytest.fixture
def clock_start():
    return SIX


@pytest.fixture
def briefing(clock, editor):
    """An item scheduled for 07:00 that expires at 08:00, next to one that is always live."""
    make_article(title="Always there", state="published", topics=["Briefings"], published_at=SIX - dt.timedelta(days=1))
    article = make_article(title="Morning briefing", topics=["Briefings"], published_at=SIX)
    scheduling.schedule_article(article=article, user=editor, go_live_at=SEVEN, expire_at=EIGHT)
    return article


def titles(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code)
    if "/feeds/json/" in url or "/api/" in url:
        data = json.loads(response.content)
        return response, [item["title"] for item in data.get("items", data.get("results", []))]
    if "/feeds/" in url:
        return response, [entry.title for entry in feedparser.parse(response.content).entries]
    return response, ["Morning briefing"] if b"Morning briefing" in response.content else []


@pytest.mark.parametrize("url", PAGES)
def test_conditional_get_shows_a_scheduled_item_at_its_time_and_drops_it_at_expiry(client, clock, briefing, url):
    before, shown = titles(client, url)
    assert "Morning briefing" not in shown
    etag, last_modified = before["ETag"], before["Last-Modified"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304

    clock.move_to(SEVEN + dt.timedelta(seconds=1))  # the job has not run
    assert not Article.objects.filter(actions__action="went_live").exists()
    live, shown = titles(client, url, HTTP_IF_NONE_MATCH=etag)  # not 304: a stale list
    assert "Morning briefing" in shown
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 200
    assert client.get(url, HTTP_IF_NONE_MATCH=live["ETag"]).status_code == 304

    clock.move_to(EIGHT)
    gone, shown = titles(client, url, HTTP_IF_NONE_MATCH=live["ETag"])
    assert "Morning briefing" not in shown
    assert gone["ETag"] != live["ETag"]


def test_caches_may_keep_a_response_only_until_the_next_schedule_time(client, clock, briefing):
    clock.move_to(SEVEN - dt.timedelta(seconds=20))
    assert "max-age=20" in client.get("/feeds/rss/")["Cache-Control"]
    clock.move_to(SEVEN - dt.timedelta(minutes=30))
    assert "max-age=60" in client.get("/feeds/rss/")["Cache-Control"]  # PUBLIC_CACHE_SECONDS
    clock.move_to(EIGHT - dt.timedelta(seconds=1))
    assert "max-age=1" in client.get("/api/articles/")["Cache-Control"]


def test_last_modified_moves_to_the_go_live_time(client, clock, briefing):
    clock.move_to(SEVEN + dt.timedelta(seconds=5))
    assert client.get("/feeds/atom/")["Last-Modified"] == http_date(SEVEN.timestamp())


def test_the_article_page_and_api_detail_exist_only_while_live(client, clock, briefing):
    page, api = f"/articles/{briefing.pk}/", f"/api/articles/{briefing.pk}/"
    assert client.get(page).status_code == 404 and client.get(api).status_code == 404
    clock.move_to(SEVEN)
    assert client.get(page).status_code == 200 and client.get(api).status_code == 200
    clock.move_to(EIGHT)
    assert client.get(page).status_code == 404 and client.get(api).status_code == 404


def test_the_job_running_later_changes_the_etag_again_but_not_what_readers_see(client, clock, briefing):
    clock.move_to(SEVEN + dt.timedelta(seconds=10))
    first, shown = titles(client, "/feeds/json/")
    call_command("publish_scheduled", verbosity=0)
    again, shown_again = titles(client, "/feeds/json/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and shown_again == shown


EMBARGOED = "Under embargo until eight"


@pytest.fixture
def embargoed(clock, editor, embargo_editor):
    make_article(title="Always there too", state="published", topics=["Briefings"])
    article = make_article(title=EMBARGOED, topics=["Briefings"])
    scheduling.set_embargo(article=article, user=embargo_editor, until=EIGHT)
    editorial.publish_article(article=article, user=editor)
    # Coverage elsewhere that links to it must not name it either.
    make_article(
        title="Links to it",
        state="published",
        related=[{"title": "Their copy", "web_url": article.web_url, "linked_article": article}],
    )
    return article


def test_an_embargoed_item_is_nowhere_until_the_embargo_ends(client, clock, embargoed):
    urls = [*PAGES, f"/articles/{embargoed.pk}/", f"/api/articles/{embargoed.pk}/", "/api/articles/?topic=briefings"]
    for url in urls:
        response = client.get(url)
        assert EMBARGOED.encode() not in response.content, url
    assert client.get(f"/articles/{embargoed.pk}/").status_code == 404
    linking = json.loads(client.get("/api/articles/").content)["results"]
    related = [r for item in linking for r in item["related"]]
    assert related and all(r["article"] is None for r in related)

    clock.move_to(EIGHT)
    assert EMBARGOED.encode() in client.get("/feeds/rss/").content
    assert client.get(f"/articles/{embargoed.pk}/").status_code == 200
    linking = json.loads(client.get("/api/articles/").content)["results"]
    assert any(r["article"] for item in linking for r in item["related"])


def test_api_filters_cannot_reach_an_embargoed_or_scheduled_item(client, clock, embargoed, briefing):
    for query in ("published_after=2000-01-01", "published_before=2100-01-01", "page_size=100", "topic=briefings"):
        content = client.get(f"/api/articles/?{query}").content
        assert EMBARGOED.encode() not in content and b"Morning briefing" not in content, query


def test_export_for_a_static_site_leaves_out_what_readers_cannot_see(tmp_path, clock, briefing, embargoed):
    always = Article.objects.get(title="Always there")
    call_command("export_seeds", str(tmp_path / "out"), "--published-only", verbosity=0)
    exported = "".join(path.read_text() for path in (tmp_path / "out").iterdir())
    assert always.web_url + "\n" in exported
    assert briefing.web_url + "\n" not in exported and embargoed.web_url + "\n" not in exported
    call_command("export_seeds", str(tmp_path / "all"), verbosity=0)
    by_url = {line: path.read_text() for path in (tmp_path / "all").iterdir() for line in path.read_text().splitlines()}
    assert "published: false" in by_url[f"webUrl: {briefing.web_url}"]
    assert "published: false" in by_url[f"webUrl: {embargoed.web_url}"]
    assert "published: true" in by_url[f"webUrl: {always.web_url}"]


# --- only what readers could see moves the validators ----------------------------------------


def test_an_embargo_on_an_item_readers_cannot_see_leaks_nothing_through_the_cache_headers(client, clock, editor, embargo_editor):
    """A rejected or queued item's embargo ending at 07:00 changes nothing readers see: the
    max-age used to count down to it (telling anyone when an embargo ends) and Last-Modified
    and the ETag to move at 07:00."""
    make_article(title="Always there", state="published", published_at=SIX - dt.timedelta(days=1))
    queued = make_article(title="In the queue")
    scheduling.set_embargo(article=queued, user=embargo_editor, until=SEVEN)
    rejected = make_article(title="Rejected after the embargo was set")
    scheduling.set_embargo(article=rejected, user=embargo_editor, until=SEVEN + dt.timedelta(minutes=1))
    editorial.reject_article(article=Article.objects.get(pk=rejected.pk), user=editor)

    clock.move_to(SEVEN - dt.timedelta(seconds=20))
    before = client.get("/api/articles/")
    assert "max-age=60" in before["Cache-Control"]
    clock.move_to(SEVEN + dt.timedelta(minutes=2))
    after = client.get("/api/articles/", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after["Last-Modified"] == before["Last-Modified"]


def test_a_go_live_time_inside_an_embargo_is_not_a_change_the_embargos_end_is(client, clock, editor, embargo_editor):
    article = make_article(title="Scheduled for seven, embargoed until eight")
    scheduling.set_embargo(article=article, user=embargo_editor, until=EIGHT)
    scheduling.schedule_article(article=Article.objects.get(pk=article.pk), user=editor, go_live_at=SEVEN)

    clock.move_to(SEVEN - dt.timedelta(seconds=20))
    assert "max-age=60" in client.get("/feeds/rss/")["Cache-Control"]
    clock.move_to(EIGHT - dt.timedelta(seconds=20))
    assert "max-age=20" in client.get("/feeds/rss/")["Cache-Control"]
    clock.move_to(EIGHT + dt.timedelta(seconds=5))
    assert client.get("/feeds/rss/")["Last-Modified"] == http_date(EIGHT.timestamp())


GRID = [SIX + dt.timedelta(minutes=30 * step) for step in range(-3, 6)]
schedules = st.lists(
    st.tuples(
        st.sampled_from(["published", "new", "rejected"]),
        *[st.none() | st.sampled_from(GRID)] * 3,  # go-live, expiry, embargo end
    ),
    max_size=6,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=schedules, now=st.sampled_from(GRID))
def test_the_validators_boundaries_are_exactly_the_times_readers_view_changes(rows, now):
    """Any stored schedule (the services refuse some of these; the validators must hold for
    every row all the same): the next boundary is the first time after `now` at which the
    set of items readers see changes, the last one the latest such time that has passed."""
    Article.objects.all().delete()
    for state, live_from, live_until, embargo_until in rows:
        article = make_article(state=state)
        Article.objects.filter(pk=article.pk).update(live_from=live_from, live_until=live_until, embargo_until=embargo_until)

    def seen(at):
        return set(Article.objects.live(at).values_list("pk", flat=True))

    changes = sorted(at for at in GRID if seen(at) != seen(at - dt.timedelta(microseconds=1)))
    stamps = latest_change_stamps(now=now)
    assert stamps.next_boundary == min((at for at in changes if at > now), default=None)
    assert stamps.last_boundary == max((at for at in changes if at <= now), default=None)
