"""Bulk decisions beyond the page (every item a filter matches, in chunks) and undoing the
last run: each item back as it was, audited as an undo, items changed since skipped and
named."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from curation.models import Article, ArticleState, EditorialAction, RejectionReason
from curation.services import bulk
from curation.services.editorial import EditorialError, publish_article
from curation.tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db

BULK = "/curate/bulk/"
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(bulk, "MAX_BULK_ITEMS", 2)


@pytest.fixture
def duplicate(db):
    return RejectionReason.objects.get_or_create(code="duplicate", defaults={"label": "Duplicate"})[0]


@pytest.fixture
def matching(db):
    """Five new items with quality 60+, one below, one already published."""
    good = [make_article(title=f"Good {n}", quality=60 + n) for n in range(5)]
    low = make_article(title="Low", quality=10)
    out = make_article(title="Out", quality=90, state="published")
    return {"good": good, "low": low, "out": out}


def states(items):
    return [Article.objects.get(pk=a.pk).state for a in items]


def test_all_matching_runs_in_chunks_with_continue_without_javascript(editor_client, matching, small_chunks, duplicate):
    response = editor_client.post(
        BULK,
        {"scope": "matching", "query": "quality_min=50", "action": "reject", "reason_code": "duplicate", "next": "/curate/"},
        follow=True,
    )
    run = response.context["bulk_run"]
    assert (run.position, run.total, run.finished) == (2, 5, False)
    html = response.content.decode()
    assert "Continue (2 of 5 done)" in html and "3 still to do" in html
    continue_url = re.search(r'action="(/curate/bulk/[^/]+/continue/)"', html).group(1)
    while True:
        response = editor_client.post(continue_url, {"next": "/curate/"}, follow=True)
        run = response.context["bulk_run"]
        if run.finished:
            break
    assert run.message == "5 items rejected."
    assert [str(m) for m in response.context["messages"]] == ["5 items rejected."]
    assert re.search(r'<li class="message bulk-result success">5 items rejected\. <form class="undo-form"', response.content.decode())
    assert states(matching["good"]) == [ArticleState.REJECTED] * 5
    assert {a.rejection_code for a in Article.objects.filter(state="rejected")} == {"duplicate"}
    assert states([matching["low"], matching["out"]]) == [ArticleState.NEW, ArticleState.PUBLISHED]
    # Shown once: the next queue page no longer tells about it.
    assert editor_client.get("/curate/").context["bulk_run"] is None


def test_all_matching_with_javascript_asks_chunk_after_chunk(editor_client, matching, small_chunks):
    answer = editor_client.post(BULK, {"scope": "matching", "query": "quality_min=50", "action": "publish"}, **JSON).json()
    seen = [(answer["done"], answer["total"])]
    while not answer["finished"]:
        answer = editor_client.post(answer["continue_url"], **JSON).json()
        seen.append((answer["done"], answer["total"]))
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert states(matching["good"]) == [ArticleState.PUBLISHED] * 5
    assert EditorialAction.objects.filter(action="publish", via="bulk").count() == 5


def test_undo_puts_every_item_back_and_names_those_changed_since(editor_client, editor, matching, duplicate):
    scheduled = matching["good"][0]
    Article.objects.filter(pk=scheduled.pk).update(quality=99)
    editor_client.post(BULK, {"scope": "matching", "query": "quality_min=50", "action": "reject", "reason_code": "duplicate"})
    run = bulk.load_run(editor_client.session["curation_bulk_run"], editor)
    # Another editor publishes one of them meanwhile: the undo leaves it alone, and says so.
    changed = matching["good"][1]
    other = make_user(role="editor")
    Article.objects.filter(pk=changed.pk).update(state="new", version=99)  # restored and moved on
    publish_article(article=changed, user=other)
    response = editor_client.post(reverse("curation:bulk-undo", args=[run.token]), {"next": "/curate/"}, follow=True)
    message = [str(m) for m in response.context["messages"]][-1]  # after the run's own result
    assert message.startswith("Undone: 4 items are as before. 1 left as they are:")
    assert f"“{changed.title}” (changed since)" in message
    for article in matching["good"]:
        stored = Article.objects.get(pk=article.pk)
        if article.pk == changed.pk:
            assert stored.state == ArticleState.PUBLISHED
        else:
            assert (stored.state, stored.rejection_code) == (ArticleState.NEW, "")
            undo = EditorialAction.objects.filter(article=article).order_by("-id").first()
            assert (undo.action, undo.actor, undo.before["state"], undo.after["state"]) == ("undo", editor, "rejected", "new")
    # Once only.
    again = editor_client.post(reverse("curation:bulk-undo", args=[run.token]), follow=True)
    assert "already undone" in " ".join(str(m) for m in again.context["messages"])


def test_undo_restores_a_rejection_reason_an_unpublish_took(editor_client, editor, duplicate):
    item = make_article(title="Was rejected")
    Article.objects.filter(pk=item.pk).update(state="rejected", rejection_code="duplicate", rejection_reason="Same as #1")
    editor_client.post(BULK, {"action": "restore", "ids": [item.pk]})
    assert Article.objects.get(pk=item.pk).state == ArticleState.NEW
    run = bulk.load_run(editor_client.session["curation_bulk_run"], editor)
    editor_client.post(reverse("curation:bulk-undo", args=[run.token]))
    stored = Article.objects.get(pk=item.pk)
    assert (stored.state, stored.rejection_code, stored.rejection_reason) == ("rejected", "duplicate", "Same as #1")


def test_a_run_belongs_to_its_editor(editor_client, editor, matching):
    editor_client.post(BULK, {"action": "publish", "ids": [matching["low"].pk]})
    token = editor_client.session["curation_bulk_run"]
    other = Client()
    other.force_login(make_user(role="editor"))
    response = other.post(reverse("curation:bulk-undo", args=[token]), follow=True)
    assert "no longer remembered" in " ".join(str(m) for m in response.context["messages"])
    assert Article.objects.get(pk=matching["low"].pk).state == ArticleState.PUBLISHED
    with pytest.raises(EditorialError):
        bulk.load_run("not-a-token", editor)


def test_too_many_matches_are_refused_and_viewers_cannot(editor_client, viewer_client, matching, monkeypatch):
    monkeypatch.setattr(bulk, "MAX_MATCHING", 3)
    response = editor_client.post(BULK, {"scope": "matching", "query": "", "action": "publish"}, **JSON)
    assert response.status_code == 400 and "At most 3 items" in response.json()["error"]
    assert states(matching["good"]) == [ArticleState.NEW] * 5
    assert viewer_client.post(BULK, {"scope": "matching", "query": "", "action": "publish"}).status_code == 403
    bad = editor_client.post(BULK, {"scope": "matching", "query": "quality_min=lots", "action": "publish"}, **JSON)
    assert bad.status_code == 400 and "not valid" in bad.json()["error"]


def test_the_bulk_bar_offers_all_matching_with_the_count(editor_client, matching):
    html = editor_client.get("/curate/", {"quality_min": 50, "count": "1"}).content.decode()
    assert 'value="matching"> All <span class="all-count">5 </span>matching' in html
    assert 'name="query" value="quality_min=50"' in html


def _ticked(html):
    return {int(pk) for pk in re.findall(r'name="ids" value="(\d+)" form="bulk-form" checked', html)}


def test_a_refused_bulk_decision_keeps_the_ticked_rows_and_the_choice_for_the_page_it_goes_back_to(
    editor_client, matching
):
    RejectionReason.objects.update_or_create(code="other", defaults={"label": "Other", "needs_note": True, "active": True})
    ticked = [article.pk for article in matching["good"][:3]]
    response = editor_client.post(
        BULK, {"scope": "selected", "action": "reject", "reason_code": "other", "ids": ticked, "next": "/curate/"},
        follow=True,
    )
    html = response.content.decode()
    assert "needs a note" in html
    assert _ticked(html) == set(ticked)  # the three rows, not the others
    assert '<option value="reject" selected>' in html and '<option value="other" selected>' in html
    assert not Article.objects.filter(pk__in=ticked, state=ArticleState.REJECTED).exists()
    # Once: the next visit to the queue starts with nothing ticked.
    assert _ticked(editor_client.get("/curate/").content.decode()) == set()


def test_kept_ticks_take_digits_only_and_no_more_than_one_run(editor_client, matching):
    ids = ["abc", "²", "9" * 40, str(matching["low"].pk)] + [str(n) for n in range(100_000, 100_600)]
    response = editor_client.post(BULK, {"scope": "selected", "action": "nonsense", "ids": ids}, follow=True)
    assert response.status_code == 200
    assert _ticked(response.content.decode()) == {matching["low"].pk}
    assert editor_client.session.get("curation_refused_bulk") is None  # taken by the page shown


def test_a_refused_bulk_schedule_keeps_the_ticked_rows(editor_client, matching):
    ticked = [article.pk for article in matching["good"][:2]]
    response = editor_client.post(BULK, {"scope": "selected", "action": "schedule", "ids": ticked}, follow=True)
    html = response.content.decode()
    assert "Nothing changed." in html
    assert _ticked(html) == set(ticked)
    assert '<option value="schedule" selected>' in html
