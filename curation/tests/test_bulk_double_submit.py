"""A bulk run's Continue (or Undo) sent twice at once: a double click on the button without
JavaScript, two tabs, a retrying proxy. Each request read the run from the cache, did its
chunk and stored the run back, and the last to store won: the request that found the
chunk's items already decided (all "failed") wrote its copy over the one that had decided
them, so Undo no longer knew those items and left them published."""

import re
import time

import pytest

from curation.models import Article, ArticleState
from curation.services import bulk, editorial
from curation.tests.concurrency import posted_at_once, requires_postgresql, slowed
from curation.tests.factories import client_for, make_article, make_user

BULK = "/curate/bulk/"
JSON = {"Accept": "application/json"}


@pytest.fixture
def desk(db):
    """A signed-in client who may decide in bulk. A superuser: the groups come from a data
    migration, which the flush after another test run in a transaction takes away."""
    return client_for(make_user(role="superuser"))


@pytest.fixture
def overlapping_chunks(monkeypatch):
    """Chunks of two, each taking a moment, so that two requests sent together both read
    the run before either stores it; a chunk that found its items already decided stores
    last (the order that lost the other's record; the reverse order hid it)."""
    monkeypatch.setattr(bulk, "MAX_BULK_ITEMS", 2)
    real = editorial.bulk_transition

    def slow_transition(**kwargs):
        time.sleep(1)
        result = real(**kwargs)
        if result.failed:
            time.sleep(0.5)
        return result

    monkeypatch.setattr(editorial, "bulk_transition", slow_transition)


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_continue_sent_twice_at_once_leaves_every_item_undoable(desk, overlapping_chunks):
    items = [make_article(title=f"Item {n}", quality=70) for n in range(4)]
    answer = desk.post(BULK, {"scope": "matching", "query": "quality_min=50", "action": "publish"}, headers=JSON)
    assert (answer.json()["done"], answer.json()["total"]) == (2, 4)
    continue_url = answer.json()["continue_url"]
    token = re.search(r"/bulk/([^/]+)/continue/", continue_url).group(1)

    # One decides the chunk; the other is refused, or (if it came once the first was done)
    # finds the run finished. Neither says an item failed.
    answers = [response.json() for response in posted_at_once(desk, continue_url, headers=JSON)]
    assert any(answer.get("finished") for answer in answers)
    for answer in answers:
        assert answer.get("message") == "4 items published." or "already being applied" in answer.get("error", "")
    assert set(Article.objects.values_list("state", flat=True)) == {ArticleState.PUBLISHED}

    response = desk.post(f"/curate/bulk/{token}/undo/", follow=True)
    assert [str(m) for m in response.context["messages"]][-1] == "Undone: 4 items are as before."
    assert [Article.objects.get(pk=item.pk).state for item in items] == [ArticleState.NEW] * 4


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_bars_decision_sent_twice_at_once_is_applied_once_and_undone_whole(desk, monkeypatch):
    items = [make_article(title=f"Item {n}") for n in range(4)]
    submission = desk.get("/curate/").context["bulk_submission"]
    slowed(monkeypatch, editorial, "bulk_transition", 1)

    bar = {"action": "publish", "ids": [item.pk for item in items], "submission": submission}
    assert [response.status_code for response in posted_at_once(desk, BULK, bar)] == [302, 302]
    run = desk.get("/curate/").context["bulk_run"]
    assert run.message == "4 items published."
    response = desk.post(f"/curate/bulk/{run.token}/undo/", follow=True)
    assert "Undone: 4 items are as before." in [str(m) for m in response.context["messages"]]
    assert [Article.objects.get(pk=item.pk).state for item in items] == [ArticleState.NEW] * 4
