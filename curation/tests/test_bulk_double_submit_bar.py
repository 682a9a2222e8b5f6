"""The bulk bar's decision sent twice (a double click on "Apply decision" without
JavaScript): the second run found the items decided and failed on each (or the two runs
shared them), took the first run's place in the session, and the queue's Undo then put
nothing back."""

import pytest

from curation.models import Article, ArticleState, RejectionReason
from curation.tests.factories import make_article

pytestmark = pytest.mark.django_db


def test_a_decision_sent_twice_is_applied_once_and_undone_whole(editor_client):
    RejectionReason.objects.get_or_create(code="other-note", defaults={"label": "Other", "needs_note": True})
    items = [make_article(title=f"Item {n}") for n in range(3)]
    bar = {
        "submission": editor_client.get("/curate/").context["bulk_submission"],
        "action": "reject",
        "reason_code": "other-note",
        "ids": [item.pk for item in items],
        "next": "/curate/",
    }
    # Refused (the reason needs a note): the same bar, fixed, may still be sent.
    editor_client.post("/curate/bulk/", bar)
    assert set(Article.objects.values_list("state", flat=True)) == {ArticleState.NEW}
    bar["reason"] = "Off topic"
    first = editor_client.post("/curate/bulk/", bar)
    second = editor_client.post("/curate/bulk/", bar)  # the second click, before the page changed
    assert (first.status_code, second.status_code) == (302, 302)

    queue = editor_client.get("/curate/")
    assert "already sent (a second click?)" in " ".join(str(m) for m in queue.context["messages"])
    run = queue.context["bulk_run"]
    assert run.message == "3 items rejected."
    undone = editor_client.post(f"/curate/bulk/{run.token}/undo/", follow=True)
    assert "Undone: 3 items are as before." in [str(m) for m in undone.context["messages"]]
    assert [Article.objects.get(pk=item.pk).state for item in items] == [ArticleState.NEW] * 3
