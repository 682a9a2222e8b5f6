"""The page for an unknown address: in the site's layout with a way on, and the same words
whatever hides the item, so a 404 tells a stranger nothing."""

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation.models import ArticleState
from curation.services import editorial
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


# --- topics only hidden items carry -------------------------------------------------------------

TOPIC_URLS = ["/topics/{}/", "/feeds/rss/topics/{}/", "/feeds/atom/topics/{}/", "/feeds/json/topics/{}/"]


@pytest.fixture
def hidden_topic(db, editor):
    """'Acme merger' is carried by a rejected item, one under embargo and one scheduled for
    later: no reader sees any of them. Another item is live, so the site has a Last-Modified."""
    future = timezone.now() + dt.timedelta(days=1)
    editorial.publish_article(article=make_article(topics=["Weather"]), user=editor)
    make_article(state=ArticleState.REJECTED, topics=["Acme merger"])
    make_article(state=ArticleState.PUBLISHED, embargo_until=future, topics=["Acme merger"])
    make_article(state=ArticleState.PUBLISHED, live_from=future, topics=["Acme merger"])
    return "acme-merger"


def answer(client, url, **headers):
    response = client.get(url, **headers)
    shown = {name: value for name, value in response.headers.items() if name not in ("Content-Length", "Date")}
    return response.status_code, shown, response.content


def conditional_headers(client, url):
    """What a stranger can send: a wildcard, the site's own Last-Modified, a date ahead, and
    whatever validator the 404 for this address carried."""
    site = client.get("/")
    first = client.get(url)
    sets = [
        {"HTTP_IF_NONE_MATCH": "*"},
        {"HTTP_IF_MODIFIED_SINCE": site["Last-Modified"]},
        {"HTTP_IF_MODIFIED_SINCE": "Fri, 01 Jan 2100 00:00:00 GMT"},
    ]
    if first.has_header("ETag"):
        sets.append({"HTTP_IF_NONE_MATCH": first["ETag"]})
    return sets


@pytest.mark.parametrize("pattern", TOPIC_URLS)
def test_a_topic_only_hidden_items_carry_answers_as_a_topic_nobody_has(client, hidden_topic, pattern):
    hidden, missing = pattern.format(hidden_topic), pattern.format("no-such-topic")
    status, headers, content = answer(client, missing)
    assert status == 404
    assert answer(client, hidden) == (status, headers, content)
    for conditional in conditional_headers(client, hidden) + conditional_headers(client, missing):
        assert answer(client, hidden, **conditional) == answer(client, missing, **conditional), conditional


def test_the_topic_is_there_once_a_live_item_carries_it(client, hidden_topic):
    make_article(state=ArticleState.PUBLISHED, topics=["Acme merger"], title="Acme and Widgets merge")
    page = client.get("/topics/acme-merger/")
    assert page.status_code == 200 and b"Acme and Widgets merge" in page.content
    assert client.get("/topics/acme-merger/", HTTP_IF_NONE_MATCH=page["ETag"]).status_code == 304


def test_a_merged_slug_leads_nowhere_while_only_hidden_items_carry_the_kept_topic(client, hidden_topic):
    from curation.models import Topic, TopicAlias

    TopicAlias.objects.create(name="Acme deal", slug="acme-deal", topic=Topic.objects.get(slug=hidden_topic))
    assert answer(client, "/topics/acme-deal/") == answer(client, "/topics/no-such-topic/")
    make_article(state=ArticleState.PUBLISHED, topics=["Acme merger"])
    moved = client.get("/topics/acme-deal/")
    assert moved.status_code == 301 and moved["Location"] == "/topics/acme-merger/"


header_text = st.one_of(
    st.sampled_from(["*", 'W/"x"', '"', "", "Fri, 01 Jan 2100 00:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 GMT"]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2200, 1, 1)).map(
        lambda moment: moment.strftime("%a, %d %b %Y %H:%M:%S GMT")
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pattern=st.sampled_from(TOPIC_URLS),
    headers=st.dictionaries(
        st.sampled_from(["HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE"]),
        header_text,
    ),
)
def test_any_conditional_request_answers_a_hidden_topic_as_a_missing_one(client, hidden_topic, pattern, headers):
    hidden = answer(client, pattern.format(hidden_topic), **headers)
    assert hidden[0] < 500
    assert hidden == answer(client, pattern.format("no-such-topic"), **headers)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pattern=st.sampled_from(["/articles/{}/", "/articles/{}/some-title/", "/api/articles/{}/"]),
    hidden_kind=st.sampled_from(["rejected", "embargoed", "later"]),
    headers=st.dictionaries(st.sampled_from(["HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE"]), header_text),
)
def test_any_conditional_request_answers_a_hidden_article_as_a_missing_one(client, editor, pattern, hidden_kind, headers):
    future = timezone.now() + dt.timedelta(days=1)
    fields = {
        "rejected": {"state": ArticleState.REJECTED},
        "embargoed": {"state": ArticleState.PUBLISHED, "embargo_until": future},
        "later": {"state": ArticleState.PUBLISHED, "live_from": future},
    }[hidden_kind]
    hidden = make_article(**fields)

    def without_etag(found):  # the ETag is made from the address, which the client chose
        status, shown, content = found
        return status, {name: value for name, value in shown.items() if name != "ETag"}, content

    answered = without_etag(answer(client, pattern.format(hidden.pk), **headers))
    assert answered[0] < 500
    assert answered == without_etag(answer(client, pattern.format(hidden.pk + 100000), **headers))
