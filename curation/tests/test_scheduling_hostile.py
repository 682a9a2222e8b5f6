# ruff: noqa: F811 - fixtures are imported from test_scheduling_views and requested by name
"""Schedule and embargo together, typed carelessly (a second hostile pass): a combination in
which no reader would ever see the item is refused with the reason, whichever is set last."""

import datetime as dt
import importlib
import re
from html import unescape

import pytest
from django.urls import reverse

from curation.models import Article, EditorialAction
from curation.services import editorial, scheduling
from curation.tests.factories import make_article
from curation.tests.test_scheduling_views import NOW, clock_start, embargo_client  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def test_an_embargo_ending_after_the_items_expiry_is_refused(embargo_client, embargo_editor, article):
    """Scheduled to go live in an hour and expire on the 22nd; an embargo until the 23rd was
    accepted, so the item was never seen by any reader. (Setting the expiry before an
    embargo's end was already refused; this is the same, set the other way round.)"""
    scheduling.schedule_article(
        article=article, user=embargo_editor, go_live_at=NOW + dt.timedelta(hours=1), expire_at=NOW + dt.timedelta(days=2)
    )
    article.refresh_from_db()
    url = reverse("curation:article-embargo", args=[article.pk])
    data = {"embargo_until": "2026-03-23T10:00", "time_zone": "Europe/Berlin", "expected_version": article.version}
    response = embargo_client.post(url, data)
    assert response.status_code == 400
    said = unescape(response.content.decode())
    assert "It is scheduled to expire at 2026-03-22 09:00:00 UTC; an embargo until then or later means no reader ever sees it" in said
    assert Article.objects.get(pk=article.pk).embargo_until is None
    assert list(EditorialAction.objects.values_list("action", flat=True)) == ["schedule"]
    # In place: the reason under its field's name.
    response = embargo_client.post(url, data, headers={"accept": "application/json"})
    assert response.status_code == 400 and "no reader ever sees it" in str(response.json())
    # An embargo that ends before the expiry holds it back and leaves it a day to be read.
    data["embargo_until"] = "2026-03-21T10:00"
    assert embargo_client.post(url, data).status_code == 302
    assert Article.objects.get(pk=article.pk).embargo_until == dt.datetime(2026, 3, 21, 9, 0, tzinfo=dt.UTC)


def test_an_expired_or_unscheduled_item_may_still_be_embargoed(embargo_editor, article):
    """Only an expiry still ahead is compared: an item taken down already, or with no expiry,
    can be held back before it is published again."""
    scheduling.schedule_article(article=article, user=embargo_editor, expire_at=NOW + dt.timedelta(minutes=5))
    later = NOW + dt.timedelta(hours=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scheduling.timezone, "now", lambda: later)
        scheduling.set_embargo(article=article.pk, user=embargo_editor, until=later + dt.timedelta(days=3))
    assert Article.objects.get(pk=article.pk).embargo_until == later + dt.timedelta(days=3)


# --- the admin's "Schedule selected articles…" ------------------------------------------------


def hidden_fields(html):
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)


def test_the_admins_schedule_acts_on_the_articles_its_page_listed(editor_admin):
    """"Select all 3" on a filtered list, then the page asking for the times lists the three;
    an article that came into the filter meanwhile (an import) was scheduled too, unseen,
    because the page posted select_across back and the action took the whole filter again."""
    changelist = reverse("admin:curation_article_changelist") + "?state__exact=new"
    listed = [make_article(title=f"Listed item {n}", published_at=NOW - dt.timedelta(hours=n)) for n in range(3)]
    asked = editor_admin.post(
        changelist,
        {"action": "schedule_selected", "_selected_action": [a.pk for a in listed], "select_across": "1", "index": 0},
    )
    html = asked.content.decode()
    assert asked.status_code == 200 and html.count("Listed item") == 3
    arrived = make_article(title="Arrived after the page was drawn", published_at=NOW)
    fields = [(name, value) for name, value in hidden_fields(html) if name != "csrfmiddlewaretoken"]
    data = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    done = editor_admin.post(
        changelist, {**data, "go_live_at": "2026-03-21T07:00", "interval_minutes": "10", "time_zone": "UTC"}, follow=True
    )
    assert "3 items scheduled" in done.content.decode()
    assert Article.objects.get(pk=arrived.pk).state == "new" and Article.objects.get(pk=arrived.pk).live_from is None
    assert set(EditorialAction.objects.values_list("article_id", flat=True)) == {a.pk for a in listed}


def test_scheduling_a_rejected_item_forgets_its_rejection_reason_as_publishing_does(editor_client, editor, article):
    """Scheduling a rejected item cleared the note of its rejection but kept the reason's
    code: a published (then scheduled, then unscheduled) item still came up under the
    queue's "Rejection reason: Duplicate" filter, and in a rule's preview as rejected so."""
    editorial.reject_article(article=article, user=editor, reason_code="duplicate", reason="seen it")
    article.refresh_from_db()
    url = reverse("curation:article-schedule", args=[article.pk])
    data = {"go_live_at": "2026-03-21T10:00", "time_zone": "UTC", "expected_version": article.version}
    assert editor_client.post(url, data).status_code == 302
    scheduled = Article.objects.get(pk=article.pk)
    assert (scheduled.state, scheduled.rejection_code, scheduled.rejection_reason) == ("published", "", "")
    listed = editor_client.get(reverse("curation:queue"), {"state": "all", "reason": "duplicate"})
    assert listed.status_code == 200 and f'id="item-{article.pk}"'.encode() not in listed.content


def test_items_scheduled_before_the_fix_forget_their_stale_reason_code(editor):
    """Migration 0031: what the fix above prevents, done before it, is undone; a rejected
    item keeps its reason."""
    from django.apps import apps

    migration = importlib.import_module("curation.migrations.0031_forget_stale_rejection_codes")
    stale, rejected = make_article(), make_article()
    Article.objects.filter(pk=stale.pk).update(state="published", rejection_code="duplicate")
    editorial.reject_article(article=rejected, user=editor, reason_code="duplicate", reason="seen it")
    migration.forget_stale_rejection_codes(apps, None)
    assert Article.objects.get(pk=stale.pk).rejection_code == ""
    assert Article.objects.get(pk=rejected.pk).rejection_code == "duplicate"
