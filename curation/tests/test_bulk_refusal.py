"""A refused bulk decision takes the editor to the bulk bar's field it is about: the service's
refusal names the field (InvalidEdit's key, or the form's), the queue it goes back to focuses
that control (autofocus), marks it invalid, describes it by the refusal, and the message
links to it. Over every match (curator.js, JSON) the field comes back under "errors"."""

from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation.models import Article, ArticleState, RejectionReason
from curation.tests.factories import make_article

pytestmark = pytest.mark.django_db

BULK = "/curate/bulk/"
JSON = {"HTTP_ACCEPT": "application/json"}


class Elements(HTMLParser):
    """Every element's attributes, by id; and every link's href with its text."""

    def __init__(self, html):
        super().__init__()
        self.by_id, self.links, self._href = {}, [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.by_id[attrs["id"]] = {"tag": tag, **attrs}
        if tag == "a":
            self._href = [attrs.get("href"), ""]
            self.links.append(self._href)

    def handle_data(self, data):
        if self._href is not None:
            self._href[1] += data

    def handle_endtag(self, tag):
        if tag == "a":
            self._href = None


@pytest.fixture
def needs_note(db):
    return RejectionReason.objects.update_or_create(
        code="other", defaults={"label": "Other", "needs_note": True, "active": True}
    )[0]


@pytest.fixture
def items(db):
    return [make_article(title=f"Wire copy {n}") for n in range(3)]


def focused(page):
    """The ids of the controls marked to be focused on load."""
    return [name for name, attrs in page.by_id.items() if "autofocus" in attrs]


def test_a_missing_note_takes_the_editor_to_the_note_field(editor_client, items, needs_note):
    ticked = [item.pk for item in items[:2]]
    response = editor_client.post(
        BULK, {"scope": "selected", "action": "reject", "reason_code": "other", "ids": ticked, "next": "/curate/"},
        follow=True,
    )
    page = Elements(response.content.decode())
    note = page.by_id["bulk-reason"]
    assert focused(page) == ["bulk-reason"]
    assert note["aria-invalid"] == "true"
    assert note["aria-describedby"] == "bulk-refusal"
    assert note["aria-label"] == "Note"  # no longer "(optional)": this reason needs one
    assert "hidden" not in page.by_id["bulk-refusal"]
    # The message (the service's words, not its field key) links to the field.
    [(href, text)] = [link for link in page.links if "needs a note" in link[1]]
    assert href == "#bulk-reason"
    assert text.startswith("Nothing changed. Say in a few words why") and "reason:" not in text
    assert "aria-invalid" not in page.by_id["bulk-reason-code"] and "aria-invalid" not in page.by_id["bulk-action"]
    assert not Article.objects.filter(pk__in=ticked, state=ArticleState.REJECTED).exists()
    # Once: the queue shown next has no field marked.
    again = Elements(editor_client.get("/curate/").content.decode())
    assert focused(again) == [] and "hidden" in again.by_id["bulk-refusal"]


def test_an_unknown_reason_takes_the_editor_to_the_reason_menu(editor_client, items):
    response = editor_client.post(
        BULK, {"scope": "selected", "action": "reject", "reason_code": "gone", "ids": [items[0].pk]}, follow=True
    )
    page = Elements(response.content.decode())
    assert focused(page) == ["bulk-reason-code"]
    assert page.by_id["bulk-reason-code"]["aria-invalid"] == "true"
    assert any(href == "#bulk-reason-code" for href, _text in page.links)


def test_over_every_match_the_refusal_names_the_field_and_the_choice_comes_back(editor_client, items, needs_note):
    data = {"scope": "matching", "query": "", "action": "reject", "reason_code": "other"}
    answer = editor_client.post(BULK, data, **JSON)
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"reason": ["Say in a few words why (“Other” needs a note)."]}
    # Without JavaScript: no row was ticked, and still the queue keeps "all matching" and
    # takes the editor to the note.
    html = editor_client.post(BULK, data, follow=True).content.decode()
    assert focused(Elements(html)) == ["bulk-reason"]
    assert 'value="matching" checked' in html


def test_a_refusal_about_no_field_focuses_none(editor_client, items):
    # No rows ticked: nothing in the bar to fix, so nothing is focused or marked.
    response = editor_client.post(BULK, {"scope": "selected", "action": "publish"}, follow=True)
    page = Elements(response.content.decode())
    assert "Select at least one item" in response.content.decode()
    assert focused(page) == [] and "hidden" in page.by_id["bulk-refusal"]
    assert not [href for href, _text in page.links if href.startswith("#bulk")]


def test_a_bad_schedule_takes_the_editor_to_the_date_it_is_about(editor_client, items):
    ticked = [item.pk for item in items[:2]]
    response = editor_client.post(
        BULK,
        {"scope": "selected", "action": "schedule", "ids": ticked, "go_live_at": "not a time", "interval_minutes": "7",
         "time_zone": "Europe/Paris"},
        follow=True,
    )
    html = response.content.decode()
    page = Elements(html)
    assert focused(page) == ["bulk_go_live_at"]
    field = page.by_id["bulk_go_live_at"]
    assert field["aria-invalid"] == "true" and field["aria-describedby"] == "bulk-refusal"
    assert field["value"] == "not a time"  # as typed, to correct
    assert page.by_id["bulk_interval_minutes"]["value"] == "7"
    assert any(href == "#bulk_go_live_at" for href, _text in page.links)
    assert '<details class="bulk-schedule" data-zone-chosen="1" open>' in html  # the field is in sight
    # The next queue draws the usual fields again, none marked.
    again = Elements(editor_client.get("/curate/").content.decode())
    assert focused(again) == [] and "aria-invalid" not in again.by_id["bulk_go_live_at"]


def test_the_services_refusal_of_a_schedule_names_its_field_too(editor_client, items):
    # The form takes the time; the service refuses it (too far ahead) and names the field.
    response = editor_client.post(
        BULK,
        {"scope": "selected", "action": "schedule", "ids": [items[0].pk], "go_live_at": "2999-05-01T10:00",
         "time_zone": "UTC"},
        follow=True,
    )
    page = Elements(response.content.decode())
    assert focused(page) == ["bulk_go_live_at"]
    assert "Pick a time within the next" in response.content.decode()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    typed=st.dictionaries(
        st.sampled_from(["scope", "reason", "go_live_at", "expire_at", "interval_minutes", "time_zone", "action"]),
        st.one_of(st.text(max_size=80), st.just('"><script>alert(1)</script>')),
    )
)
def test_what_a_refused_post_carries_back_is_shown_escaped_and_never_breaks_the_queue(editor_client, items, typed):
    data = {"scope": "selected", "action": "schedule", "ids": [items[0].pk], **typed}
    response = editor_client.post(BULK, data, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html
    page = Elements(html)
    assert len(focused(page)) <= 1
