"""The schedule from the editors' side: the article page's form, the queue's badge, filter and
bulk bar, the admin's actions, and everything an editor (or a script) can type at them."""

import datetime as dt
import json
import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation.models import Article, EditorialAction
from curation.services import scheduling
from curation.tests.factories import client_for, make_article, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 20, 9, 0, tzinfo=UTC)  # a week before Europe's clocks go forward
CHANGELIST = reverse("admin:curation_article_changelist")


@pytest.fixture
def clock_start():
    return NOW


@pytest.fixture
def embargo_client(embargo_editor):
    return client_for(embargo_editor)


def schedule_url(article):
    return reverse("curation:article-schedule", args=[article.pk])


def post_schedule(client, article, json_api=False, **fields):
    data = {"expected_version": article.version, "time_zone": "Europe/Berlin", **fields}
    headers = {"HTTP_ACCEPT": "application/json"} if json_api else {}
    return client.post(schedule_url(article), data, **headers)


def page(client, article):
    return client.get(reverse("curation:article-detail", args=[article.pk])).content.decode()


# --- the article page ------------------------------------------------------------------------


def test_the_form_reads_the_time_in_the_editors_zone_and_shows_utc_beside_it(editor_client, article):
    response = post_schedule(editor_client, article, go_live_at="2026-03-21T07:00:30", expire_at="2026-03-21T19:00")
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.live_from == dt.datetime(2026, 3, 21, 6, 0, 30, tzinfo=UTC)  # CET is UTC+1
    assert article.live_until == dt.datetime(2026, 3, 21, 18, 0, tzinfo=UTC)
    html = page(editor_client, article)
    assert "Scheduled “A story worth reading” to go live at 2026-03-21 07:00:30 CET (Europe/Berlin) · 06:00:30 UTC." in html
    assert 'class="state-badge state-scheduled"' in html and ">Scheduled<" in html
    assert "2026-03-21 19:00:00 CET (Europe/Berlin) · 18:00:00 UTC" in html  # the expiry, in the panel
    # The zone is remembered for the next form, and the form shows the schedule to edit.
    assert '<option value="Europe/Berlin" selected>' in html
    assert 'value="2026-03-21T07:00:30"' in html


def test_a_time_that_has_passed_publishes_now_and_the_message_says_so(editor_client, article):
    response = post_schedule(editor_client, article, go_live_at="2026-03-20T08:00")
    article.refresh_from_db()
    assert article.is_live()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["2026-03-20 08:00:00 CET (Europe/Berlin) · 07:00:00 UTC has already passed, so “A story worth reading” went live now."]


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"go_live_at": "2026-03-29T02:30"}, "does not exist in Europe/Berlin: that night the clocks jump from 02:00 to 03:00"),
        ({"go_live_at": "2026-10-25T02:30"}, "happens twice in Europe/Berlin"),
        ({"go_live_at": "2026-03-22T07:00", "expire_at": "2026-03-22T06:00"}, "must come after the go-live"),
        ({"go_live_at": "275760-09-13T00:00"}, "Enter a date and time such as"),
        ({"go_live_at": "9998-12-31T23:59:59"}, "within the next 10 years"),
        ({"go_live_at": "9999-12-31T23:59:59", "time_zone": "America/St_Johns"}, "Enter a year between 1900 and 9998"),
        ({"go_live_at": "9998-12-31T23:59:59-12:00"}, "within the next 10 years"),
        ({"go_live_at": "0001-01-01T00:00"}, "Enter a year between 1900 and 9998"),
        ({"go_live_at": "2026-02-30T07:00"}, "is not a real date and time"),
        ({"go_live_at": "2026-03-22T07:00", "time_zone": "Mars/Olympus_Mons"}, "Select a valid choice"),
        ({}, "Enter a go-live time, an expiry time, or both"),
    ],
)
def test_bad_input_shows_the_page_again_with_the_reason_and_changes_nothing(editor_client, article, fields, words):
    response = post_schedule(editor_client, article, **fields)
    assert response.status_code == 400
    html = response.content.decode()
    assert words in html.replace("&#x27;", "'"), html[html.find("schedule-form"):][:3000]
    assert "<h1>A story worth reading</h1>" in html  # the article page, with the form as typed
    article.refresh_from_db()
    assert (article.state, article.version) == ("new", 1) and not EditorialAction.objects.exists()


def test_a_script_must_say_the_zone_of_a_naive_time_or_give_an_offset(editor_client, article):
    response = post_schedule(editor_client, article, json_api=True, go_live_at="2026-03-22T07:00", time_zone="")
    assert response.status_code == 400
    assert "Say which time zone" in response.json()["errors"]["go_live_at"][0]
    response = post_schedule(editor_client, article, json_api=True, go_live_at="2026-03-22T07:00:00+05:30", time_zone="")
    assert response.status_code == 200 and response.json()["state"] == "scheduled"
    article.refresh_from_db()
    assert article.live_from == dt.datetime(2026, 3, 22, 1, 30, tzinfo=UTC)


def test_two_editors_rescheduling_at_once_the_second_gets_409(editor_client, article):
    colleague = Client()
    colleague.force_login(make_user(role="editor"))
    first = post_schedule(editor_client, article, json_api=True, go_live_at="2026-03-22T07:00")
    second = post_schedule(colleague, article, json_api=True, go_live_at="2026-03-22T09:00")  # same version seen
    assert first.status_code == 200 and second.status_code == 409
    assert "changed by someone else" in second.json()["error"]
    without_js = post_schedule(colleague, article, go_live_at="2026-03-22T09:00")
    assert without_js.status_code == 302
    article.refresh_from_db()
    assert article.live_from == dt.datetime(2026, 3, 22, 6, 0, tzinfo=UTC)


def test_unschedule_and_reject_a_scheduled_item_with_the_usual_checks(editor_client, editor, article):
    scheduled = scheduling.schedule_article(article=article, user=editor, go_live_at=NOW + dt.timedelta(days=1)).article
    assert "Unschedule" in page(editor_client, scheduled)
    stale = editor_client.post(
        reverse("curation:article-unschedule", args=[article.pk]), {"expected_version": 1}, HTTP_ACCEPT="application/json"
    )
    assert stale.status_code == 409
    done = editor_client.post(
        reverse("curation:article-unschedule", args=[article.pk]), {"expected_version": scheduled.version}
    )
    assert done.status_code == 302
    article.refresh_from_db()
    assert article.state == "new" and article.live_from is None

    again = scheduling.schedule_article(article=article, user=editor, go_live_at=NOW + dt.timedelta(days=1)).article
    reject = reverse("curation:article-action", args=[article.pk, "reject"])
    assert editor_client.post(reject, {"expected_version": again.version}).status_code == 302
    article.refresh_from_db()
    assert article.state == "rejected" and article.live_from is None


def test_the_header_says_a_scheduled_item_was_scheduled_not_published(editor_client, editor, article):
    scheduled = scheduling.schedule_article(article=article, user=editor, go_live_at=NOW + dt.timedelta(days=1)).article
    header = re.search(r'<span class="state-change"[^>]*>(.*?)</span>', page(editor_client, scheduled), re.S).group(1)
    assert "scheduled" in header and "published" not in header and editor.get_username() in header


def test_viewers_see_the_schedule_but_cannot_change_it(viewer_client, editor, article):
    scheduling.schedule_article(article=article, user=editor, go_live_at=NOW + dt.timedelta(hours=2))
    html = page(viewer_client, article)
    assert "Goes live" in html and "schedule-form" not in html and "embargo-form" not in html
    assert post_schedule(viewer_client, article, go_live_at="2026-03-22T07:00").status_code == 403
    assert viewer_client.post(reverse("curation:article-unschedule", args=[article.pk])).status_code == 403


def test_embargo_needs_its_permission_on_the_page_and_behind_it(editor_client, embargo_client, article):
    assert "embargo-form" not in page(editor_client, article)
    url = reverse("curation:article-embargo", args=[article.pk])
    data = {"embargo_until": "2026-03-21T10:00", "time_zone": "Europe/Berlin", "expected_version": 1}
    assert editor_client.post(url, data).status_code == 403
    assert embargo_client.post(url, data).status_code == 302
    article.refresh_from_db()
    assert article.embargo_until == dt.datetime(2026, 3, 21, 9, 0, tzinfo=UTC)
    html = page(editor_client, article)
    assert "Until <time" in html and "2026-03-21 10:00:00 CET (Europe/Berlin)" in page(embargo_client, article)
    lift = reverse("curation:article-lift-embargo", args=[article.pk])
    assert editor_client.post(lift, {"expected_version": article.version}).status_code == 403
    assert embargo_client.post(lift, {"expected_version": article.version}).status_code == 302
    article.refresh_from_db()
    assert not article.is_under_embargo()
    assert list(EditorialAction.objects.values_list("action", flat=True).order_by("id")) == ["embargo", "lift_embargo"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    go_live=st.one_of(st.text(max_size=50), st.datetimes().map(lambda d: d.isoformat())),
    expire=st.one_of(st.just(""), st.text(max_size=50), st.datetimes().map(lambda d: d.isoformat())),
    zone=st.one_of(st.sampled_from(["Europe/Berlin", "UTC", "America/St_Johns", "Asia/Kathmandu", ""]), st.text(max_size=30)),
    json_api=st.booleans(),
)
def test_whatever_is_typed_the_answer_is_a_page_or_a_reason_never_an_error(editor_client, go_live, expire, zone, json_api):
    article = make_article()
    response = post_schedule(editor_client, article, json_api=json_api, go_live_at=go_live, expire_at=expire, time_zone=zone)
    assert response.status_code in (200, 302, 400), response.status_code
    article.refresh_from_db()
    if response.status_code == 400:
        assert article.version == 1
    elif article.live_from is not None:
        assert article.live_from > NOW and article.live_from.tzinfo is not None


# --- the queue -------------------------------------------------------------------------------


def test_the_queue_offers_a_scheduled_filter_and_badge(editor_client, editor):
    scheduled = scheduling.schedule_article(article=make_article(title="Tomorrow's"), user=editor, go_live_at=NOW + dt.timedelta(days=1)).article
    make_article(title="Already live", state="published")
    make_article(title="Still new")
    html = unescape(editor_client.get(reverse("curation:queue") + "?state=scheduled").content.decode())
    assert "Tomorrow's" in html and "Already live" not in html and "Still new" not in html
    assert f'class="state-badge state-scheduled" data-state-for="{scheduled.pk}">Scheduled<' in html
    published = unescape(editor_client.get(reverse("curation:queue") + "?state=published").content.decode())
    assert "Tomorrow's" in published and "Already live" in published


def test_the_bulk_bar_schedules_the_selected_rows_in_the_order_shown(editor_client):
    items = [make_article(title=f"Item {n}") for n in range(20)]
    shown = [item.pk for item in sorted(items, key=lambda a: a.title)]
    response = editor_client.post(
        reverse("curation:bulk-action"),
        {"action": "schedule", "ids": shown, "go_live_at": "2026-03-21T07:00", "interval_minutes": "5",
         "time_zone": "Europe/Berlin", "next": "/curate/?state=scheduled"},
    )
    assert response.status_code == 302 and response["Location"] == "/curate/?state=scheduled"
    times = dict(Article.objects.values_list("pk", "live_from"))
    first = dt.datetime(2026, 3, 21, 6, 0, tzinfo=UTC)
    assert [times[pk] for pk in shown] == [first + dt.timedelta(minutes=5 * n) for n in range(20)]
    assert set(EditorialAction.objects.values_list("via", flat=True)) == {"bulk"}

    response = editor_client.post(reverse("curation:bulk-action"), {"action": "unschedule", "ids": shown[:3]}, follow=True)
    assert "3 items unscheduled" in response.content.decode()
    assert Article.objects.filter(state="new").count() == 3


def test_the_bulk_bar_without_a_time_schedules_nothing_and_says_why(editor_client):
    article = make_article()
    response = editor_client.post(
        reverse("curation:bulk-action"), {"action": "schedule", "ids": [article.pk], "time_zone": "UTC"}, follow=True
    )
    assert "Nothing changed. First goes live at: This field is required." in response.content.decode()
    assert Article.objects.get(pk=article.pk).state == "new"


def test_the_queue_shows_the_schedule_controls_only_to_those_who_may_publish(editor_client, viewer_client):
    assert 'value="schedule"' in editor_client.get(reverse("curation:queue")).content.decode()
    assert 'value="schedule"' not in viewer_client.get(reverse("curation:queue")).content.decode()
    assert viewer_client.post(reverse("curation:bulk-action"), {"action": "schedule", "ids": [1]}).status_code == 403


# --- the admin -------------------------------------------------------------------------------


def test_admin_schedules_the_selection_after_asking_for_the_times(editor_admin):
    client = editor_admin
    articles = [make_article(title=f"Admin item {n}", published_at=NOW - dt.timedelta(hours=n)) for n in range(3)]
    selection = {"action": "schedule_selected", "_selected_action": [a.pk for a in articles], "index": 0}
    asked = client.post(CHANGELIST, selection)
    assert asked.status_code == 200 and "First goes live at" in asked.content.decode()
    assert not EditorialAction.objects.exists()
    done = client.post(
        CHANGELIST,
        {**selection, "apply_schedule": "1", "go_live_at": "2026-03-21T07:00", "interval_minutes": "10", "time_zone": "UTC"},
        follow=True,
    )
    assert "3 items scheduled" in done.content.decode()
    changelist_order = [a.pk for a in articles]  # newest published first, as the changelist sorts
    times = dict(Article.objects.values_list("pk", "live_from"))
    start = dt.datetime(2026, 3, 21, 7, 0, tzinfo=UTC)
    assert [times[pk] for pk in changelist_order] == [start, start + dt.timedelta(minutes=10), start + dt.timedelta(minutes=20)]
    assert set(EditorialAction.objects.values_list("via", flat=True)) == {"admin"}

    bad = client.post(CHANGELIST, {**selection, "apply_schedule": "1", "go_live_at": "2026-03-29T02:30", "time_zone": "Europe/Berlin"})
    assert bad.status_code == 200 and "does not exist in Europe/Berlin" in bad.content.decode()

    unscheduled = client.post(CHANGELIST, {**selection, "action": "unschedule_selected"}, follow=True)
    assert "3 items unscheduled" in unscheduled.content.decode()


def test_admin_shows_the_schedule_and_offers_no_way_round_an_embargo(editor_admin, embargo_editor):
    client = editor_admin
    article = make_article()
    scheduling.set_embargo(article=article, user=embargo_editor, until=NOW + dt.timedelta(hours=3))
    change = client.get(reverse("admin:curation_article_change", args=[article.pk])).content.decode()
    assert "Schedule (UTC)" in change and "until 2026-03-20 12:00:00 UTC" in change
    assert 'name="embargo_until"' not in change
    client.post(CHANGELIST, {"action": "publish_selected", "_selected_action": [article.pk], "index": 0})
    article.refresh_from_db()
    assert article.state == "published" and not Article.objects.live().filter(pk=article.pk).exists()
    # A change form posted with an embargo field is ignored: the form has no such field.
    url = reverse("admin:curation_article_change", args=[article.pk])
    page_html = client.get(url).content.decode()
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page_html))
    data.update(title="Retitled", excerpt="", topic_names="", embargo_until="", live_from="")
    client.post(url, data)
    article.refresh_from_db()
    assert article.title == "Retitled" and article.is_under_embargo()


def test_json_answers_for_schedule_carry_the_new_version(editor_client, article):
    response = post_schedule(editor_client, article, json_api=True, go_live_at="2026-03-21T07:00")
    data = json.loads(response.content)
    assert data["ok"] and data["version"] == 2 and data["state_label"] == "Scheduled"


def test_no_form_or_bulk_action_reaches_the_embargo_without_its_permission(editor_client, editor, embargo_editor):
    article = make_article()
    until = NOW + dt.timedelta(hours=5)
    scheduling.set_embargo(article=article, user=embargo_editor, until=until)
    article.refresh_from_db()
    # Extra fields on the schedule form are ignored; the bulk bar has no embargo action.
    post_schedule(editor_client, article, go_live_at="2026-03-20T11:00", embargo_until="", live_from="")
    response = editor_client.post(reverse("curation:bulk-action"), {"action": "lift_embargo", "ids": [article.pk]}, follow=True)
    assert "Select a valid choice" in response.content.decode()
    editor_client.post(reverse("curation:bulk-action"), {"action": "publish", "ids": [article.pk]})
    article.refresh_from_db()
    assert article.embargo_until == until and not Article.objects.live().filter(pk=article.pk).exists()


def test_a_malformed_version_is_refused_not_ignored(editor_client, editor, article):
    scheduled = scheduling.schedule_article(article=article, user=editor, go_live_at=NOW + dt.timedelta(days=1)).article
    url = reverse("curation:article-unschedule", args=[article.pk])
    assert editor_client.post(url, {"expected_version": "abc"}, HTTP_ACCEPT="application/json").status_code == 400
    article.refresh_from_db()
    assert article.version == scheduled.version and article.state == "published"
