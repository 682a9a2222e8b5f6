"""The bulk bar's schedule (and unschedule) sent twice: a double click on "Apply decision"
without JavaScript, two tabs. The bar's decisions carried a one-time submission key
(services.bulk, test_bulk_double_submit_bar.py) but its schedule did not: the second send
ran again over the same items and its result ("0 items scheduled", or "3 failed: ... not
scheduled") took the place of the first's. It is refused now, like a decision sent twice:
HTTP 409 in place, a message without JavaScript, nothing written. A refused schedule (no
time) does not use the key, so the same bar can be fixed and sent."""

from datetime import timedelta

import pytest
from django.utils import timezone

from curation.models import Article, EditorialAction
from curation.services import scheduling
from curation.tests.concurrency import posted_at_once, requires_postgresql, slowed
from curation.tests.factories import client_for, make_article, make_user

BULK = "/curate/bulk/"
JSON = {"HTTP_ACCEPT": "application/json"}
SENT_TWICE = "already sent (a second click?)"


@pytest.fixture
def desk(db):
    # A superuser: the groups come from a data migration, which a transactional test's flush removes.
    return client_for(make_user(role="superuser"))


def schedule_bar(client, items, **fields):
    go_live = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    return {
        "submission": client.get("/curate/").context["bulk_submission"],
        "scope": "selected",
        "action": "schedule",
        "ids": [item.pk for item in items],
        "go_live_at": go_live,
        "interval_minutes": "5",
        "time_zone": "UTC",
        "next": "/curate/?size=20",
        **fields,
    }


def schedule_rows():
    return EditorialAction.objects.filter(action=EditorialAction.Action.SCHEDULE).count()


def messages_of(response):
    return " ".join(str(message) for message in response.context["messages"])


@pytest.mark.django_db
def test_a_schedule_sent_twice_is_applied_once(desk):
    items = [make_article(title=f"Item {n}") for n in range(3)]
    bar = schedule_bar(desk, items, go_live_at="")
    refused = desk.post(BULK, bar, follow=True)  # no time: refused, the key not used
    assert "Nothing changed" in messages_of(refused) and schedule_rows() == 0
    bar = schedule_bar(desk, items, submission=bar["submission"])
    first = desk.post(BULK, bar, follow=True)
    assert "3 items scheduled." in messages_of(first)
    versions = dict(Article.objects.values_list("pk", "version"))
    second = desk.post(BULK, bar, **JSON)  # the second click, in place
    assert second.status_code == 409
    assert SENT_TWICE in second.json()["error"]
    third = desk.post(BULK, bar, follow=True)  # and without JavaScript
    assert third.redirect_chain[-1][0] == "/curate/?size=20"
    assert SENT_TWICE in messages_of(third) and "items scheduled" not in messages_of(third)
    assert schedule_rows() == 3
    assert dict(Article.objects.values_list("pk", "version")) == versions
    assert all(article.live_from is not None for article in Article.objects.all())


@pytest.mark.django_db
def test_an_unschedule_sent_twice_is_applied_once(desk):
    items = [make_article(title=f"Item {n}") for n in range(2)]
    desk.post(BULK, schedule_bar(desk, items))
    bar = schedule_bar(desk, items, action="unschedule")
    assert "2 items unscheduled" in messages_of(desk.post(BULK, bar, follow=True))
    again = desk.post(BULK, bar, follow=True)
    assert SENT_TWICE in messages_of(again) and "failed" not in messages_of(again)


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_schedule_sent_twice_at_once_is_applied_once(desk, monkeypatch):
    items = [make_article(title=f"Item {n}") for n in range(4)]
    bar = schedule_bar(desk, items)
    slowed(monkeypatch, scheduling, "schedule_article", 0.5)

    answers = posted_at_once(desk, BULK, bar, **JSON)
    assert sorted(answer.status_code for answer in answers) == [200, 409]
    done = next(answer.json() for answer in answers if answer.status_code == 200)
    assert done["message"] == "4 items scheduled."
    assert schedule_rows() == 4
    assert set(Article.objects.values_list("version", flat=True)) == {items[0].version + 1}
