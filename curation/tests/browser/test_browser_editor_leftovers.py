# ruff: noqa: F811 - the three_stories fixture is imported from test_stories_reads and requested by name
"""What a new editor ran into on the queue, in Chromium.

- Without JavaScript a row's decision is a plain form post: its page load used to open the
  queue at the top, so an editor working down a long queue lost their place after every
  decision. It now lands on the next row (views/landing.py), by mouse and by keyboard; with
  JavaScript the decision still happens in place and the next row is selected.
- On a phone the filter form filled the first screen, before any row: it folds away behind a
  one-line summary of the filters set, which opens it (mouse or keyboard, JavaScript or not).
  A desktop window shows the form as before.
- Hover hints said "recomputation", "RE2" or a raw "(score 0.43)"; they say what the button
  or figure does for the editor (test_editor_words.py checks every page's words).
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from curation.models import Article, ArticleState, Story
from curation.tests.browser_support import arrive, axe_violations, expect, save_screenshot
from curation.tests.factories import make_article, make_provider
from curation.tests.test_stories_reads import three_stories  # noqa: F401 - fixture, requested by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Enough rows that the queue scrolls (compact rows: 30-odd fill a 1280x900 window).
QUEUE_LENGTH = 60
# The row decided: well below the first screen.
DECIDED = 40


@pytest.fixture
def long_queue():
    """QUEUE_LENGTH new items, newest first as the queue lists them."""
    now = timezone.now()
    provider = make_provider(name="Harbour Gazette", domain="gazette.example")
    return [
        make_article(title=f"Harbour report {n:02d}", provider=provider, published_at=now - timedelta(minutes=n))
        for n in range(QUEUE_LENGTH)
    ]


def row(page, article):
    return page.locator(f"#item-{article.pk}")


def publish_button(page, article):
    return row(page, article).get_by_role("button", name="Publish", exact=True)


def assert_landed_on(page, article, decided):
    """After the page load: at the queue (its filters kept), with `article`'s row on screen."""
    check = expect()
    check(page).to_have_url(re.compile(rf"/curate/\?size=100#item-{article.pk}$"))
    check(row(page, article)).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 300  # not the top of the page
    assert Article.objects.get(pk=decided.pk).state == ArticleState.PUBLISHED
    check(page.locator(f"#item-{decided.pk}")).to_have_count(0)  # it left the new queue


def test_without_javascript_a_click_on_publish_comes_back_to_the_next_row(open_as_editor, long_queue):
    page, watch = open_as_editor("/curate/?size=100", java_script_enabled=False)
    decided, following = long_queue[DECIDED], long_queue[DECIDED + 1]
    publish_button(page, decided).scroll_into_view_if_needed()
    with page.expect_navigation():
        publish_button(page, decided).click()
    assert_landed_on(page, following, decided)
    expect()(page.locator("#flash .message")).to_be_in_viewport()  # the decision's message, in sight
    save_screenshot(page, "editor-leftovers-no-js-landing.png", full_page=False)
    # The next decision goes on from there: the row after it, and so on down the queue.
    with page.expect_navigation():
        publish_button(page, following).click()
    assert_landed_on(page, long_queue[DECIDED + 2], following)
    watch.assert_clean()


@pytest.mark.parametrize("key", ["Enter", " "])
def test_without_javascript_the_keyboard_comes_back_to_the_next_row(open_as_editor, long_queue, key):
    page, watch = open_as_editor("/curate/?size=100", java_script_enabled=False)
    decided, following = long_queue[DECIDED], long_queue[DECIDED + 1]
    row(page, decided).locator("a.row-link").focus()
    button = publish_button(page, decided)
    for _ in range(6):  # Tab along the row to its Publish button
        page.keyboard.press("Tab")
        if button.evaluate("element => element === document.activeElement"):
            break
    expect()(button).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press(key)
    assert_landed_on(page, following, decided)
    # The keyboard goes on from the row landed on, not from the top of the page.
    page.keyboard.press("Tab")
    expect()(row(page, following).locator('input[name="ids"]')).to_be_focused()
    watch.assert_clean()


def test_without_javascript_a_queue_of_every_state_comes_back_to_the_decided_row(open_as_editor, long_queue):
    page, watch = open_as_editor("/curate/?state=all&size=100", java_script_enabled=False)
    decided = long_queue[DECIDED]
    with page.expect_navigation():
        publish_button(page, decided).click()
    expect()(page).to_have_url(re.compile(rf"/curate/\?state=all&size=100#item-{decided.pk}$"))
    expect()(row(page, decided)).to_be_in_viewport()
    expect()(row(page, decided).locator(".state-badge")).to_have_text("Published")
    watch.assert_clean()


def test_with_javascript_a_decision_stays_in_place_and_selects_the_next_row(open_as_editor, long_queue):
    page, watch = open_as_editor("/curate/?size=100")
    arrive(page, re.compile(r"/curate/\?size=100$"))
    decided, following = long_queue[DECIDED], long_queue[DECIDED + 1]
    row(page, decided).locator(".provider-col").click()  # a click on the row selects it
    expect()(row(page, decided)).to_have_class(re.compile(r"\bcurrent\b"))
    publish_button(page, decided).click()
    check = expect()
    check(row(page, decided).locator(".state-badge")).to_have_text("Published")
    check(row(page, following)).to_have_class(re.compile(r"\bcurrent\b"))
    check(row(page, following).locator("a.row-link")).to_be_focused()
    check(page).to_have_url(re.compile(r"/curate/\?size=100$"))  # no page load, no fragment
    assert Article.objects.get(pk=decided.pk).state == ArticleState.PUBLISHED
    watch.assert_clean()


# --- the filters on a phone -------------------------------------------------------------------

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
JAVASCRIPT = pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])


def first_row_on_first_screen(page):
    box = page.locator("tr.queue-row").first.bounding_box()
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"]


@JAVASCRIPT
def test_on_a_phone_the_first_row_shows_and_the_filters_open_with_a_click(open_as_editor, long_queue, javascript):
    page, watch = open_as_editor("/curate/", viewport=PHONE, java_script_enabled=javascript)
    arrive(page, re.compile(r"/curate/$"))
    check = expect()
    fold = page.locator("details.filters-fold")
    check(fold.locator("summary")).to_be_visible()
    check(fold.locator("summary")).to_contain_text("State: New")  # what is set, on one line
    check(page.locator("#filter-form")).to_be_hidden()
    assert first_row_on_first_screen(page)
    save_screenshot(page, f"editor-leftovers-phone-{'js' if javascript else 'no-js'}.png", full_page=False)
    fold.locator("summary").click()
    check(page.locator("#filter-form")).to_be_visible()
    save_screenshot(page, f"editor-leftovers-phone-open-{'js' if javascript else 'no-js'}.png", full_page=False)
    # The filters work from there: the queue of every state, its summary saying so.
    page.locator("#filter-form").get_by_label("State").select_option("all")
    if not javascript:  # with JavaScript a choice applies at once
        page.locator("#filter-form").get_by_role("button", name="Apply filters").click()
    arrive(page, re.compile(r"state=all"))
    check(fold.locator("summary")).to_contain_text("State: All")
    check(page.locator("#filter-form")).to_be_hidden()
    assert first_row_on_first_screen(page)
    watch.assert_clean()


@JAVASCRIPT
@pytest.mark.parametrize("key", ["Enter", " "])
def test_on_a_phone_the_filters_open_and_close_from_the_keyboard(open_as_editor, long_queue, javascript, key):
    page, watch = open_as_editor("/curate/", viewport=PHONE, java_script_enabled=javascript)
    arrive(page, re.compile(r"/curate/$"))
    summary = page.locator("details.filters-fold summary")
    for _ in range(20):  # Tab from the top of the page to the summary
        page.keyboard.press("Tab")
        if summary.evaluate("element => element === document.activeElement"):
            break
    check = expect()
    check(summary).to_be_focused()
    page.keyboard.press(key)
    check(page.locator("#filter-form")).to_be_visible()
    page.keyboard.press("Tab")  # into the form, at its first field
    check(page.locator("#filter-form").get_by_label("Search")).to_be_focused()
    summary.focus()
    page.keyboard.press(key)
    check(page.locator("#filter-form")).to_be_hidden()
    watch.assert_clean()


def test_on_a_phone_a_refused_filter_keeps_the_filters_open_at_its_message(open_as_editor, long_queue):
    page, watch = open_as_editor("/curate/?quality_min=lots", viewport=PHONE, java_script_enabled=False)
    expect()(page.locator("#filter-form .field-quality_min .error")).to_be_visible()
    watch.assert_clean(allow=("400 (Bad Request)",))  # a refused filter is a 400


@JAVASCRIPT
def test_on_a_desktop_the_filters_show_as_before(open_as_editor, long_queue, javascript):
    page, watch = open_as_editor("/curate/", viewport=DESKTOP, java_script_enabled=javascript)
    arrive(page, re.compile(r"/curate/$"))
    check = expect()
    check(page.locator("details.filters-fold")).to_be_hidden()
    check(page.locator("#filter-form")).to_be_visible()
    check(page.locator("#filter-form").get_by_role("heading", name="Filters")).to_be_visible()
    check(page.locator("#filter-form").get_by_label("Search")).to_be_visible()
    save_screenshot(page, f"editor-leftovers-desktop-{'js' if javascript else 'no-js'}.png", full_page=False)
    watch.assert_clean()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@JAVASCRIPT
def test_the_queue_passes_axe_at_both_widths(open_as_editor, long_queue, viewport, javascript):
    """axe runs as a script: "without JavaScript" is the page with the curator's scripts
    refused, which is what a browser without JavaScript shows."""
    page, watch = open_as_editor("about:blank", viewport=viewport)
    if not javascript:
        page.route(re.compile(r"/static/js/"), lambda route: route.abort())
    page.goto("/curate/")
    arrive(page, re.compile(r"/curate/$"))
    assert axe_violations(page) == []
    if viewport is PHONE:  # and with the filters open
        page.locator("details.filters-fold summary").click()
        expect()(page.locator("#filter-form")).to_be_visible()
        assert axe_violations(page) == []
    watch.assert_clean(allow=("/static/js/",))


# --- hover hints in the editor's words ------------------------------------------------------------


def test_the_story_buttons_hints_say_what_they_do(open_as_editor, three_stories):
    member = Article.objects.filter(story=Story.objects.get(size=4)).order_by("pk").first()
    page, watch = open_as_editor(f"/curate/articles/{member.pk}/")
    panel = page.locator("section.same-story")
    split = panel.locator('[data-story-act="split"]').first
    expect()(split).to_have_attribute("title", re.compile(r"kept apart even when stories are recalculated"))
    apart = panel.locator('[data-story-act="apart"]').first
    expect()(apart).to_have_attribute("title", re.compile(r"never put in one story again"))
    panel.scroll_into_view_if_needed()
    split.hover()
    save_screenshot(page, "editor-leftovers-story-hints.png", full_page=False)
    watch.assert_clean()
