"""The schedule's controls in a real browser (Debian's Chromium through Playwright): Schedule,
Unschedule and the queue's bulk scheduling, each clicked with the mouse with JavaScript on and
off and worked from the keyboard; the article page with its schedule form checked with
axe-core. Screenshots go to test-artifacts/.

The live server runs on the real clock, so the times used are tomorrow's.
"""

import datetime as dt
import re
import zoneinfo

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from curation.models import Article, EditorialAction
from curation.services import scheduling
from curation.tests.browser_support import arrive, axe_violations, expect, operate, save_screenshot
from curation.tests.factories import make_article, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def tomorrow_at(hour, minute=0, second=0):
    """(datetime-local text, the UTC instant it names in Berlin) for tomorrow, Berlin time."""
    day = (timezone.now().astimezone(BERLIN) + dt.timedelta(days=1)).date()
    local = dt.datetime(day.year, day.month, day.day, hour, minute, second)
    return local.strftime("%Y-%m-%dT%H:%M:%S"), local.replace(tzinfo=BERLIN).astimezone(dt.UTC)


@pytest.fixture
def editor(transactional_db):
    return make_user(role="editor", username="edna")


@pytest.fixture
def embargo_editor(transactional_db):
    user = make_user(role="editor", username="emma")
    user.user_permissions.add(Permission.objects.get(codename="embargo_article"))
    return user


def test_schedule_with_the_mouse_in_the_browsers_zone_then_unschedule(open_page, editor, embargo_editor):
    article = make_article(title="Morning briefing")
    page, watch = open_page(user=embargo_editor, timezone_id="Europe/Berlin")
    check = expect()
    page.goto(f"/curate/articles/{article.pk}/")
    page.wait_for_load_state()

    # The editor never chose a zone: the form starts at the browser's.
    check(page.locator("#schedule_time_zone")).to_have_value("Europe/Berlin")
    assert axe_violations(page, impacts=None) == []

    typed, instant = tomorrow_at(7, 0, 30)
    page.locator("#schedule_go_live_at").fill(typed)
    # What was typed, in UTC, as it is typed.
    check(page.locator('[data-preview-for="schedule"]')).to_contain_text(instant.strftime("%Y-%m-%d %H:%M:%S UTC"))
    save_screenshot(page, "schedule-form.png")
    page.get_by_role("button", name="Schedule", exact=True).click()
    arrive(page, re.compile(rf"/curate/articles/{article.pk}/$"))
    check(page.locator(".messages")).to_contain_text("Scheduled “Morning briefing” to go live at")
    check(page.locator(".article-header .state-badge")).to_have_text("Scheduled")
    check(page.locator("#schedule")).to_contain_text(instant.strftime("%H:%M:%S UTC"))
    article.refresh_from_db()
    assert article.live_from == instant
    assert axe_violations(page, impacts=None) == []
    save_screenshot(page, "schedule-scheduled.png")

    # A daylight-saving gap is refused with the reason, in the form.
    page.locator("#schedule_go_live_at").fill("2027-03-28T02:30:00")
    check(page.locator('[data-preview-for="schedule"]')).to_contain_text("does not exist")
    page.get_by_role("button", name="Schedule", exact=True).click()
    check(page.locator(".schedule-form .error")).to_contain_text("the clocks jump from 02:00 to 03:00")
    assert axe_violations(page, impacts=None) == []
    save_screenshot(page, "schedule-dst-gap.png")

    page.goto(f"/curate/articles/{article.pk}/")
    page.get_by_role("button", name="Unschedule").click()
    check(page.locator(".messages")).to_contain_text("Unscheduled “Morning briefing”")
    check(page.locator(".article-header .state-badge")).to_have_text("New")
    watch.assert_clean(allow=["favicon", "400 (Bad Request)"])  # the refused DST time answered 400


def test_without_javascript_schedule_unschedule_and_embargo_still_work(open_page, embargo_editor):
    article = make_article(title="No script needed")
    page, watch = open_page(user=embargo_editor, java_script_enabled=False)
    check = expect()
    page.goto(f"/curate/articles/{article.pk}/")
    # No script picked a zone: the site's (UTC here); the editor picks theirs.
    check(page.locator("#schedule_time_zone")).to_have_value("UTC")
    page.locator("#schedule_time_zone").select_option("Europe/Berlin")
    typed, instant = tomorrow_at(9, 15)
    page.locator("#schedule_go_live_at").fill(typed)
    page.get_by_role("button", name="Schedule", exact=True).click()
    check(page.locator(".messages")).to_contain_text("to go live at")
    article.refresh_from_db()
    assert article.live_from == instant

    embargo_text, embargo_instant = tomorrow_at(10)
    page.locator("#embargo_embargo_until").fill(embargo_text)
    page.get_by_role("button", name="Set embargo").click()
    check(page.locator(".messages")).to_contain_text("under embargo until")
    page.get_by_role("button", name="Lift embargo").click()
    check(page.locator(".messages")).to_contain_text("Lifted the embargo")

    page.get_by_role("button", name="Unschedule").click()
    check(page.locator(".messages")).to_contain_text("back in the queue")
    article.refresh_from_db()
    assert (article.state, article.live_from, article.embargo_until) == ("new", None, None)
    assert [a for a in EditorialAction.objects.order_by("id").values_list("action", flat=True)] == [
        "schedule",
        "embargo",
        "lift_embargo",
        "unschedule",
    ]
    watch.assert_clean(allow=["favicon"])


def test_schedule_and_unschedule_from_the_keyboard(open_page, editor):
    article = make_article(title="Keyboard only")
    page, watch = open_page(user=editor, timezone_id="Europe/Berlin")
    check = expect()
    page.goto(f"/curate/articles/{article.pk}/")
    page.wait_for_load_state()
    typed, instant = tomorrow_at(6, 45)
    page.locator("#schedule_go_live_at").fill(typed)  # a datetime-local field takes Tab between its parts
    page.locator("#schedule_time_zone").focus()
    page.keyboard.press("Tab")  # from the time zone to Schedule
    check(page.get_by_role("button", name="Schedule", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    check(page.locator(".messages")).to_contain_text("to go live at")
    article.refresh_from_db()
    assert article.live_from == instant

    page.get_by_role("button", name="Unschedule").focus()
    page.keyboard.press("Space")
    check(page.locator(".messages")).to_contain_text("back in the queue")
    watch.assert_clean(allow=["favicon"])


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_bulk_schedule_from_the_queue_with_the_mouse(open_page, editor, javascript):
    now = timezone.now()
    items = [make_article(title=f"Briefing item {n}", published_at=now - dt.timedelta(minutes=n)) for n in range(4)]
    page, watch = open_page(user=editor, java_script_enabled=javascript, timezone_id="Europe/Berlin")
    check = expect()
    page.goto("/curate/")
    page.wait_for_load_state()
    for item in items[:3]:
        page.locator(f'tr[data-article-id="{item.pk}"] input[name="ids"]').click()
    page.locator("#bulk-action").select_option("schedule")
    options = page.locator("details.bulk-schedule")
    if javascript:
        check(options).to_have_attribute("open", "")  # choosing Schedule opened the options
    else:
        page.get_by_text("Schedule options").click()
        page.locator("#bulk_time_zone").select_option("Europe/Berlin")
    typed, instant = tomorrow_at(7)
    page.locator("#bulk_go_live_at").fill(typed)
    page.locator("#bulk_interval_minutes").fill("5")
    if javascript:
        check(page.locator('[data-preview-for="bulk"]')).to_contain_text(instant.strftime("%H:%M:%S UTC"))
        save_screenshot(page, "queue-bulk-schedule.png")
    page.get_by_role("button", name="Apply decision").click()
    check(page.locator(".messages")).to_contain_text("3 items scheduled.")
    times = dict(Article.objects.values_list("pk", "live_from"))
    assert [times[item.pk] for item in items] == [
        instant,
        instant + dt.timedelta(minutes=5),
        instant + dt.timedelta(minutes=10),
        None,
    ]

    page.goto("/curate/?state=scheduled")
    check(page.locator("tr.queue-row")).to_have_count(3)
    check(page.locator("tr.queue-row .state-badge").first).to_have_text("Scheduled")
    if javascript:
        assert axe_violations(page, impacts=None) == []
        save_screenshot(page, "queue-scheduled.png")
    watch.assert_clean(allow=["favicon"])


def test_bulk_schedule_from_the_keyboard(open_page, editor):
    now = timezone.now()
    items = [make_article(title=f"Keyed item {n}", published_at=now - dt.timedelta(minutes=n)) for n in range(2)]
    page, watch = open_page(user=editor, timezone_id="Europe/Berlin")
    check = expect()
    page.goto("/curate/")
    page.wait_for_load_state()
    for _ in items:  # j moves to the next row, x selects it (the queue's shortcuts)
        page.keyboard.press("j")
        page.keyboard.press("x")
    page.locator("#bulk-action").focus()
    page.keyboard.press("End")  # the last choice: Unschedule; one up: Schedule
    page.keyboard.press("ArrowUp")
    check(page.locator("#bulk-action")).to_have_value("schedule")
    typed, instant = tomorrow_at(8)
    page.locator("#bulk_go_live_at").fill(typed)
    page.locator("#bulk_go_live_at").press("Enter")  # submits the bulk form with its action
    check(page.locator(".messages")).to_contain_text("2 items scheduled.")
    assert sorted(Article.objects.values_list("live_from", flat=True)) == [instant, instant + dt.timedelta(minutes=5)]
    watch.assert_clean(allow=["favicon"])


def test_the_public_site_shows_a_scheduled_item_only_from_its_time(open_page, editor):
    article = make_article(title="Not before its time", state="published")
    scheduling.schedule_article(article=article, user=editor, go_live_at=timezone.now() + dt.timedelta(hours=1))
    page, watch = open_page()
    page.goto("/")
    assert "Not before its time" not in page.content()
    assert page.goto(f"/articles/{article.pk}/").status == 404


def next_years_spring_forward():
    """Europe/Berlin's clock change next year: the last Sunday of March, when 02:00 to 03:00
    does not exist (always ahead of the live server's real clock)."""
    year = timezone.now().year + 1
    day = dt.date(year, 3, 31)
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


@pytest.mark.parametrize("how", ["mouse-javascript", "mouse-no-javascript", "keyboard"])
def test_a_refused_time_on_a_phone_comes_back_in_sight_in_the_zone_the_editor_chose(open_page, editor, how):
    """A time refused (here one the clocks jump over) came back at the top of the article page,
    the panel 1,700 px further down on a phone, with no sign of the refusal; and with
    JavaScript the zone select went back to the browser's own (New York), under an error that
    spoke of Berlin: the corrected time was then read six hours off."""
    article = make_article(title="Clock change morning")
    page, watch = open_page(
        user=editor,
        viewport={"width": 390, "height": 844},
        timezone_id="America/New_York",
        java_script_enabled=how != "mouse-no-javascript",
    )
    check = expect()
    page.goto(f"/curate/articles/{article.pk}/")
    page.wait_for_load_state()
    day = next_years_spring_forward().isoformat()
    page.locator("#schedule_time_zone").select_option("Europe/Berlin")
    page.locator("#schedule_go_live_at").fill(f"{day}T02:30:00")
    operate(page, page.get_by_role("button", name="Schedule", exact=True), how, loads_page=True)
    field = page.locator("#schedule_go_live_at")
    check(field).to_be_focused()
    check(field).to_be_in_viewport()
    check(page.locator(".schedule-form .error")).to_contain_text("does not exist in Europe/Berlin")
    check(page.locator("#schedule_time_zone")).to_have_value("Europe/Berlin")
    if how != "mouse-no-javascript":
        assert axe_violations(page, impacts=None) == []
    save_screenshot(page, f"schedule-refused-phone-{how}.png", full_page=False)

    # Corrected to 03:30, it is read in Berlin, the zone the editor chose: 01:30 UTC.
    field.fill(f"{day}T03:30:00")
    with page.expect_navigation():
        if how == "keyboard":
            field.press("Enter")
        else:
            page.get_by_role("button", name="Schedule", exact=True).click()
    check(page.locator(".messages")).to_contain_text("to go live at")
    article.refresh_from_db()
    assert article.live_from == dt.datetime.fromisoformat(f"{day}T01:30:00+00:00")
    watch.assert_clean(allow=["favicon", "400 (Bad Request)"])
