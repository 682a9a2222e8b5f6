"""The bulk bar's decision sent twice (a double click on "Apply decision" without
JavaScript): the second run found the items decided and failed on each (or the two runs
shared them), took the first run's place in the session, and the queue's Undo then put
nothing back."""

from html.parser import HTMLParser
from urllib.parse import urlencode

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


class _BarFields(HTMLParser):
    """The name/value pairs a browser sends with #bulk-form (its inputs with a name, and
    those outside it that name it with form="bulk-form"), as the page draws them."""

    def __init__(self):
        super().__init__()
        self.inside, self.pairs = False, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == "bulk-form"
        if tag == "input" and attrs.get("name") and (self.inside or attrs.get("form") == "bulk-form"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.pairs.append((attrs["name"], attrs.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def test_the_bar_as_the_page_draws_it_sends_its_key_once(editor_client):
    """The bar's schedule options showed a text field labelled "Submission" (the key that
    makes a second click harmless, drawn as a field of the schedule form), and the bar sent
    the key twice, the field's empty value last: the view read "", and a decision sent twice
    from the page ran twice."""
    items = [make_article(title=f"Item {n}") for n in range(2)]
    page = editor_client.get("/curate/").content.decode()
    assert ">Submission<" not in page
    fields = _BarFields()
    fields.feed(page)
    assert len([name for name, _ in fields.pairs if name == "submission"]) == 1
    data = [(name, value) for name, value in fields.pairs if name not in ("action", "ids")]
    data += [("action", "publish")] + [("ids", str(item.pk)) for item in items]
    body = urlencode(data)
    kind = "application/x-www-form-urlencoded"
    first = editor_client.post("/curate/bulk/", body, content_type=kind)
    second = editor_client.post("/curate/bulk/", body, content_type=kind)  # the second click
    assert (first.status_code, second.status_code) == (302, 302)
    queue = editor_client.get("/curate/")
    assert "already sent (a second click?)" in " ".join(str(m) for m in queue.context["messages"])
    assert queue.context["bulk_run"].message == "2 items published."
