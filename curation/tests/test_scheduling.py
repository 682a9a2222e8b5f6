"""The schedule's service and job: go-live, expiry, embargo, bulk, the audit rows, the lock.

Time is travelled with time-machine (the app's clock only: every schedule decision is made
with the application server's `timezone.now()`), on whichever database the suite runs on.
"""

import datetime as dt
import io
import os

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection, connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation.db import backend
from curation.models import Article, ArticleState, EditorialAction, ScheduleStatus
from curation.services import editorial, scheduling
from curation.tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db

UTC = dt.UTC
SIX = dt.datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
SEVEN = dt.datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
EIGHT = dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock_start():
    return SIX


def actions(article, *kinds):
    rows = EditorialAction.objects.filter(article=article).order_by("created_at", "id")
    return [row.action for row in rows if not kinds or row.action in kinds]


# --- the rule -----------------------------------------------------------------------------


def test_a_scheduled_item_goes_live_and_expires_by_the_clock_alone(clock, editor):
    article = make_article()
    scheduling.schedule_article(article=article, user=editor, go_live_at=SEVEN, expire_at=EIGHT)
    live = Article.objects.live

    assert not live().filter(pk=article.pk).exists()
    clock.move_to(SEVEN - dt.timedelta(microseconds=1))
    assert not live().filter(pk=article.pk).exists()
    clock.move_to(SEVEN)
    assert live().filter(pk=article.pk).exists()
    clock.move_to(EIGHT - dt.timedelta(seconds=1))
    assert live().filter(pk=article.pk).exists()
    clock.move_to(EIGHT)
    assert not live().filter(pk=article.pk).exists()
    # No job ran: the rule alone decided.
    assert actions(article) == ["schedule"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    state=st.sampled_from(ArticleState.values),
    offsets=st.tuples(*[st.one_of(st.none(), st.integers(-3, 3)) for _ in range(3)]),
)
def test_the_badge_editors_see_agrees_with_what_readers_see(article, state, offsets):
    """Article.schedule_status (Python, for the badge) and live_condition (SQL, for readers)
    are the same rule: for any state and any go-live / expiry / embargo around now."""
    now = SEVEN
    live_from, live_until, embargo = (None if o is None else now + dt.timedelta(minutes=o) for o in offsets)
    Article.objects.filter(pk=article.pk).update(
        state=state, live_from=live_from, live_until=live_until, embargo_until=embargo
    )
    article.refresh_from_db()
    status = article.schedule_status(now)
    assert Article.objects.live(now).filter(pk=article.pk).exists() == (status == ScheduleStatus.LIVE)
    assert Article.objects.scheduled(now).filter(pk=article.pk).exists() == (status == ScheduleStatus.SCHEDULED)
    assert Article.objects.expired(now).filter(pk=article.pk).exists() == (status == ScheduleStatus.EXPIRED)


# --- scheduling ---------------------------------------------------------------------------


def test_scheduling_a_new_item_publishes_it_for_later_with_one_audit_row(clock, editor):
    article = make_article()
    outcome = scheduling.schedule_article(article=article, user=editor, go_live_at=SEVEN, expected_version=1)

    scheduled = outcome.article
    assert (scheduled.state, scheduled.live_from, scheduled.version) == ("published", SEVEN, 2)
    assert scheduled.status() == ("scheduled", "Scheduled")
    assert scheduled.boundary_due_at == SEVEN
    row = EditorialAction.objects.get()
    assert (row.action, row.actor, row.via) == ("schedule", editor, "curator")
    assert row.before == {"state": "new", "live_from": None, "live_until": None, "version": 1}
    assert row.after == {"state": "published", "live_from": SEVEN.isoformat(), "live_until": None, "version": 2}


def test_a_time_that_has_passed_publishes_now_and_says_so(clock, editor):
    outcome = scheduling.schedule_article(article=make_article(), user=editor, go_live_at=SIX - dt.timedelta(hours=1))
    assert outcome.past_time == SIX - dt.timedelta(hours=1) and outcome.live_now
    assert outcome.article.live_from is None and outcome.article.is_live()


@pytest.mark.parametrize(
    ("go_live", "expire", "field", "words"),
    [
        (dt.datetime(2026, 3, 2, 7), None, "go_live_at", "time zone"),  # naive
        (None, dt.datetime(2026, 3, 2, 8), "expire_at", "time zone"),  # naive
        (SEVEN, SEVEN, "expire_at", "after the go-live"),
        (EIGHT, SEVEN, "expire_at", "after the go-live"),
        (None, SIX - dt.timedelta(seconds=1), "expire_at", "passed"),
        (dt.datetime(9999, 12, 31, tzinfo=UTC), None, "go_live_at", "within the next"),
        (SEVEN, dt.datetime(2040, 1, 1, tzinfo=UTC), "expire_at", "within the next"),
    ],
)
def test_bad_times_are_refused_and_change_nothing(clock, editor, go_live, expire, field, words):
    article = make_article()
    with pytest.raises(editorial.InvalidEdit) as refused:
        scheduling.schedule_article(article=article, user=editor, go_live_at=go_live, expire_at=expire)
    assert words in refused.value.errors[field]
    article.refresh_from_db()
    assert (article.state, article.version, article.live_from) == ("new", 1, None)
    assert not EditorialAction.objects.exists()


def test_scheduling_follows_the_publish_rules_and_permissions(clock, editor, viewer):
    body_only = make_article(needs_metadata=True, has_front_matter=False)
    with pytest.raises(editorial.InvalidTransition, match="metadata"):
        scheduling.schedule_article(article=body_only, user=editor, go_live_at=SEVEN)
    with pytest.raises(editorial.InvalidTransition):
        scheduling.schedule_article(article=make_article(state="merged"), user=editor, go_live_at=SEVEN)
    with pytest.raises(PermissionDenied):
        scheduling.schedule_article(article=make_article(), user=viewer, go_live_at=SEVEN)


def test_two_editors_rescheduling_at_once_the_second_gets_a_conflict(clock, editor):
    colleague = make_user(role="editor")
    article = make_article()
    scheduling.schedule_article(article=article, user=editor, go_live_at=SEVEN, expected_version=1)
    with pytest.raises(editorial.ConflictError):
        scheduling.schedule_article(article=article, user=colleague, go_live_at=EIGHT, expected_version=1)
    article.refresh_from_db()
    assert article.live_from == SEVEN and actions(article) == ["schedule"]


def test_rescheduling_the_same_times_writes_nothing(clock, editor):
    article = scheduling.schedule_article(article=make_article(), user=editor, go_live_at=SEVEN).article
    outcome = scheduling.schedule_article(article=article, user=editor, go_live_at=SEVEN)
    assert not outcome.changed and outcome.article.version == article.version


def test_expiry_only_on_a_live_item_and_republishing_an_expired_one(clock, editor):
    article = make_article(state="published")
    expiring = scheduling.schedule_article(article=article, user=editor, expire_at=SEVEN).article
    assert expiring.is_live() and expiring.live_until == SEVEN and expiring.boundary_due_at == SEVEN
    clock.move_to(EIGHT)
    assert expiring.status() == ("expired", "Expired")
    again = scheduling.schedule_article(article=article, user=editor).article  # no times: live now, no expiry
    assert again.is_live() and again.live_until is None


def test_unpublish_and_reject_end_a_schedule_so_a_later_publish_is_live_at_once(clock, editor):
    article = scheduling.schedule_article(article=make_article(), user=editor, go_live_at=SEVEN, expire_at=EIGHT).article
    unpublished = editorial.unpublish_article(article=article, user=editor)
    assert (unpublished.live_from, unpublished.live_until, unpublished.boundary_due_at) == (None, None, None)
    unpublish_row = EditorialAction.objects.filter(action="unpublish").get()
    assert unpublish_row.before["live_from"] == SEVEN.isoformat() and unpublish_row.after["live_from"] is None
    assert editorial.publish_article(article=article, user=editor).is_live()

    scheduling.schedule_article(article=article, user=editor, go_live_at=SEVEN)
    rejected = editorial.reject_article(article=article, user=editor)
    assert rejected.live_from is None and not Article.objects.live().filter(pk=article.pk).exists()


def test_unschedule_takes_a_scheduled_item_back_to_the_queue(clock, editor):
    article = scheduling.schedule_article(article=make_article(), user=editor, go_live_at=SEVEN).article
    back = scheduling.unschedule_article(article=article, user=editor, expected_version=article.version)
    assert (back.state, back.live_from, back.boundary_due_at) == ("new", None, None)
    assert actions(article) == ["schedule", "unschedule"]
    with pytest.raises(editorial.InvalidTransition, match="not scheduled"):
        scheduling.unschedule_article(article=article, user=editor)
    live = make_article(state="published")
    with pytest.raises(editorial.InvalidTransition, match="not scheduled"):
        scheduling.unschedule_article(article=live, user=editor)


# --- bulk ---------------------------------------------------------------------------------


def test_twenty_items_from_seven_five_minutes_apart(clock, editor):
    items = [make_article() for _ in range(20)]
    order = [item.pk for item in reversed(items)]  # the order the editor saw, not the ids'
    result = scheduling.bulk_schedule(
        article_ids=order, user=editor, start=SEVEN, interval=dt.timedelta(minutes=5), expire_at=EIGHT + dt.timedelta(hours=4)
    )
    assert not result.failed and len(result.succeeded) == 20
    times = dict(Article.objects.filter(pk__in=order).values_list("pk", "live_from"))
    assert [times[pk] for pk in order] == [SEVEN + dt.timedelta(minutes=5 * n) for n in range(20)]
    assert set(EditorialAction.objects.values_list("action", "via")) == {("schedule", "bulk")}
    assert result.message == "20 items scheduled."


def test_bulk_reports_each_failure_and_goes_on(clock, editor):
    good, metadata, merged = make_article(), make_article(needs_metadata=True), make_article(state="merged")
    result = scheduling.bulk_schedule(article_ids=[good.pk, metadata.pk, merged.pk, 999999], user=editor, start=SEVEN)
    assert [s.article.pk for s in result.succeeded] == [good.pk]
    assert [failed[0] for failed in result.failed] == [metadata.pk, merged.pk, 999999]
    assert "3 failed" in result.message and "no such article" in result.message


def test_bulk_from_a_time_that_is_partly_past_publishes_those_now(clock, editor):
    items = [make_article() for _ in range(4)]
    result = scheduling.bulk_schedule(
        article_ids=[a.pk for a in items], user=editor, start=SIX - dt.timedelta(minutes=10), interval=dt.timedelta(minutes=5)
    )
    assert sum(1 for s in result.succeeded if s.past_time) == 3  # 05:50, 05:55 and 06:00 (now); 06:05 is ahead
    assert "went live now" in result.message


@pytest.mark.parametrize("interval", [dt.timedelta(minutes=-5), dt.timedelta(days=8)])
def test_bulk_refuses_a_negative_or_huge_interval(clock, editor, interval):
    with pytest.raises(editorial.InvalidEdit):
        scheduling.bulk_schedule(article_ids=[make_article().pk], user=editor, start=SEVEN, interval=interval)


def test_bulk_needs_the_permission_before_anything_happens(clock, viewer):
    article = make_article()
    with pytest.raises(PermissionDenied):
        scheduling.bulk_schedule(article_ids=[article.pk], user=viewer, start=SEVEN)
    with pytest.raises(PermissionDenied):
        scheduling.bulk_unschedule(article_ids=[article.pk], user=viewer)


# --- embargo ------------------------------------------------------------------------------


def test_only_the_embargo_permission_sets_or_lifts_an_embargo(clock, editor, embargo_editor):
    article = make_article(state="published")
    with pytest.raises(PermissionDenied):
        scheduling.set_embargo(article=article, user=editor, until=EIGHT)
    held = scheduling.set_embargo(article=article, user=embargo_editor, until=EIGHT)
    assert held.status() == ("scheduled", "Scheduled") and held.is_under_embargo()
    with pytest.raises(PermissionDenied):
        scheduling.lift_embargo(article=article, user=editor)
    lifted = scheduling.lift_embargo(article=article, user=embargo_editor)
    assert lifted.is_live() and actions(article) == ["embargo", "lift_embargo"]


def test_no_publish_or_schedule_action_gets_round_an_embargo(clock, editor, embargo_editor, superuser):
    article = make_article()
    scheduling.set_embargo(article=article, user=embargo_editor, until=EIGHT)
    editorial.publish_article(article=article, user=editor)
    assert not Article.objects.live().filter(pk=article.pk).exists()
    editorial.bulk_transition(action="unpublish", article_ids=[article.pk], user=editor)
    editorial.bulk_transition(action="publish", article_ids=[article.pk], user=superuser, via="admin")
    scheduling.schedule_article(article=article, user=editor, go_live_at=SEVEN)  # before the embargo ends
    scheduling.bulk_schedule(article_ids=[article.pk], user=editor, start=SIX - dt.timedelta(hours=1))
    article.refresh_from_db()
    assert article.embargo_until == EIGHT and not Article.objects.live().filter(pk=article.pk).exists()
    clock.move_to(EIGHT)
    assert Article.objects.live().filter(pk=article.pk).exists()


def test_an_expiry_before_the_embargo_ends_is_refused(clock, editor, embargo_editor):
    article = make_article()
    scheduling.set_embargo(article=article, user=embargo_editor, until=EIGHT)
    with pytest.raises(editorial.InvalidEdit, match="embargo"):
        scheduling.schedule_article(article=article, user=editor, go_live_at=SEVEN, expire_at=EIGHT)


@pytest.mark.parametrize("until", [SIX, SIX - dt.timedelta(days=1), dt.datetime(2026, 3, 2, 8)])
def test_an_embargo_needs_an_aware_end_that_is_ahead(clock, embargo_editor, until):
    with pytest.raises(editorial.InvalidEdit):
        scheduling.set_embargo(article=make_article(), user=embargo_editor, until=until)


def test_lifting_needs_an_embargo(clock, embargo_editor):
    with pytest.raises(editorial.InvalidTransition, match="not under embargo"):
        scheduling.lift_embargo(article=make_article(), user=embargo_editor)


# --- the job ------------------------------------------------------------------------------


def run_job(**options):
    out = io.StringIO()
    call_command("publish_scheduled", stdout=out, **options)
    return out.getvalue()


def test_the_job_records_each_boundary_once_without_bumping_the_version(clock, editor):
    article = scheduling.schedule_article(article=make_article(), user=editor, go_live_at=SEVEN, expire_at=EIGHT).article
    assert run_job() == ""  # nothing due yet, and silence for cron
    clock.move_to(SEVEN + dt.timedelta(seconds=30))
    assert "1 went live, 0 expired" in run_job()
    assert run_job() == ""  # idempotent
    clock.move_to(EIGHT + dt.timedelta(seconds=5))
    assert "0 went live, 1 expired" in run_job(verbosity=2)
    assert actions(article) == ["schedule", "went_live", "expired"]
    went_live = EditorialAction.objects.get(action="went_live")
    assert went_live.actor is None and went_live.via == "command" and went_live.after["at"] == SEVEN.isoformat()
    article.refresh_from_db()
    assert article.version == 2 and article.boundary_due_at is None


def test_a_late_run_records_both_boundaries_in_order(clock, editor):
    article = scheduling.schedule_article(article=make_article(), user=editor, go_live_at=SEVEN, expire_at=EIGHT).article
    clock.move_to(EIGHT + dt.timedelta(hours=3))
    assert "1 went live, 1 expired" in run_job()
    assert actions(article, "went_live", "expired") == ["went_live", "expired"]


def test_the_end_of_an_embargo_on_a_published_item_is_its_go_live(clock, editor, embargo_editor):
    article = make_article()
    scheduling.set_embargo(article=article, user=embargo_editor, until=SEVEN)
    editorial.publish_article(article=article, user=editor)
    clock.move_to(SEVEN)
    run_job()
    row = EditorialAction.objects.get(action="went_live")
    assert row.after["at"] == SEVEN.isoformat()


def test_rescheduling_moves_the_boundary_and_unscheduling_removes_it(clock, editor):
    article = scheduling.schedule_article(article=make_article(), user=editor, go_live_at=SEVEN).article
    scheduling.schedule_article(article=article, user=editor, go_live_at=EIGHT)
    clock.move_to(SEVEN + dt.timedelta(minutes=1))
    assert run_job() == ""
    article.refresh_from_db()
    scheduling.unschedule_article(article=article, user=editor)
    clock.move_to(EIGHT + dt.timedelta(minutes=1))
    assert run_job() == "" and not EditorialAction.objects.filter(action="went_live").exists()


def test_dry_run_lists_and_writes_nothing(clock, editor):
    scheduling.schedule_article(article=make_article(title="Morning briefing"), user=editor, go_live_at=SEVEN)
    clock.move_to(SEVEN)
    out = run_job(dry_run=True)
    assert "would record" in out and "Morning briefing" in out and "1 boundaries due" in out
    assert not EditorialAction.objects.filter(action="went_live").exists()


def test_two_runs_never_overlap(clock, editor):
    """While one run holds the lock (here: this test, through a second connection), the
    command does nothing, silently for cron (the same entry runs on every app server, so two
    servers' runs meet; a line made cron mail the operator) and saying so with -v 2;
    afterwards it works."""
    scheduling.schedule_article(article=make_article(), user=editor, go_live_at=SEVEN)
    clock.move_to(SEVEN)
    other = connections.create_connection("default")
    try:
        with type(backend())(other).exclusive_job("publish_scheduled") as held:
            assert held
            assert run_job() == ""
            assert "Another publish_scheduled run is in progress" in run_job(verbosity=2)
            assert not EditorialAction.objects.filter(action="went_live").exists()
        assert "1 went live" in run_job()
    finally:
        other.close()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the lock file of a database on one machine (SQLite)")
def test_a_lock_file_another_user_left_does_not_stop_the_scheduler(clock, editor):
    """Someone ran publish_scheduled once by hand as root: its lock file (0644, root's) made
    every run of the scheduler's user fail with PermissionError, a traceback a minute, and
    no boundary was recorded any more."""
    scheduling.schedule_article(article=make_article(), user=editor, go_live_at=SEVEN)
    clock.move_to(SEVEN)
    path = backend()._lock_path("publish_scheduled")
    path.unlink(missing_ok=True)
    path.touch()
    os.chmod(path, 0o444 if os.geteuid() else 0o644)
    try:
        if os.geteuid() == 0:  # root writes any file: be another user for the run
            os.chown(path, 0, 0)
            os.seteuid(65534)
        try:
            output = run_job()
        finally:
            if os.getuid() == 0:
                os.seteuid(0)
        assert "1 went live" in output
    finally:
        path.unlink(missing_ok=True)


# --- the importer -------------------------------------------------------------------------


def test_a_reimport_of_a_scheduled_item_leaves_its_schedule_and_embargo_alone(tmp_path, clock, editor, embargo_editor):
    """Even when the source now says `published: true` and the file changed."""
    from curation.tests.factories import seed_text, valid_front_matter

    seed = tmp_path / "briefing.txt"
    seed.write_text(seed_text(body="Body.\n", **valid_front_matter(1)))
    call_command("import_seeds", str(tmp_path), stdout=io.StringIO(), verbosity=0)
    article = Article.objects.get()
    scheduling.schedule_article(article=article, user=editor, go_live_at=SEVEN, expire_at=EIGHT)
    scheduling.set_embargo(article=article, user=embargo_editor, until=SEVEN + dt.timedelta(minutes=30))
    before = Article.objects.values("state", "live_from", "live_until", "embargo_until", "boundary_due_at", "version").get()

    seed.write_text(seed_text(body="Body v2.\n", **valid_front_matter(1, title="Retitled", published=True)))
    call_command("import_seeds", str(tmp_path), stdout=io.StringIO(), verbosity=0)

    article.refresh_from_db()
    assert article.title == "Retitled" and article.source_changed_at is not None
    assert Article.objects.values(*before).get() == before
    assert not Article.objects.live().exists()


def test_editing_a_scheduled_item_keeps_its_schedule_and_moves_the_version_on(clock, editor):
    scheduled = scheduling.schedule_article(article=make_article(), user=editor, go_live_at=SEVEN).article
    edited = editorial.edit_article(article=scheduled, user=editor, title="Sharper headline", expected_version=2)
    assert (edited.live_from, edited.state, edited.version) == (SEVEN, "published", 3)
    with pytest.raises(editorial.ConflictError):  # a schedule form opened before the edit
        scheduling.schedule_article(article=scheduled, user=editor, go_live_at=EIGHT, expected_version=2)
