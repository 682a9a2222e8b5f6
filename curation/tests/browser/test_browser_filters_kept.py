# ruff: noqa: F811 - the editor fixture is imported from test_browser_stories and requested by name
"""The editor's queue filters survive a refused form, in Chromium.

An item opened from a filtered queue (search, provider, sort, page size): a schedule refused
on its page draws the page again from the form's POST. Its "Back to the queue" led to the
plain queue, and Next (j) walked the plain queue's order; both keep the filters now, with the
mouse with JavaScript on and off and from the keyboard. A row decided in place (JavaScript)
gets its buttons drawn again: its "Other… (with a note, on its page)" link kept the filters
only until then. The queue's own refusals come back to the filtered page (client tests:
test_queue_filters_kept.py)."""

import re

import pytest

from curation.models import Article, ArticleState
from curation.tests.browser.test_browser_stories import editor  # noqa: F401 - fixture
from curation.tests.browser_support import arrive, axe_violations, expect, save_screenshot
from curation.tests.test_queue_filters_kept import harbour_desk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MODES = [pytest.param(True, id="javascript"), pytest.param(False, id="no-javascript")]
QUEUE = "/curate/?q=Harbour&provider=gazette.example&sort=-quality&size=20"
FILTERED = re.compile(r"[?&]q=Harbour&provider=gazette\.example&sort=-quality&size=20")


@pytest.fixture
def harbour(transactional_db):
    """Matching items (quality 0-29), listed highest first, and two the filters leave out."""
    return sorted(harbour_desk(), key=lambda item: -item.quality)


def assert_filtered_queue(page, first):
    """The filtered queue, starting at `first` (the item the page was about, or after it)."""
    check = expect()
    check(page).to_have_url(re.compile(r"/curate/\?.*" + FILTERED.pattern[len("[?&]"):]))
    check(page.locator("#id_q")).to_have_value("Harbour")
    check(page.locator("tr.queue-row a.row-link").first).to_have_text(first.title)
    check(page.get_by_text("Weather at sea")).to_have_count(0)
    check(page.get_by_text("Harbour elsewhere")).to_have_count(0)


def refuse_a_schedule(page, item, *, keyboard):
    """On the item's page: a go-live time beyond what the service accepts, sent."""
    field = page.locator("#schedule_go_live_at")
    field.fill("2999-05-01T10:00")
    with page.expect_navigation():
        if keyboard:
            field.focus()
            page.keyboard.press("Enter")
        else:
            page.locator(".schedule-form button[type=submit]").click()
    page.wait_for_load_state()
    expect()(page.locator(".schedule-form .error")).to_contain_text("Pick a time within")
    assert Article.objects.get(pk=item.pk).live_from is None


@pytest.mark.parametrize("javascript", MODES)
def test_with_the_mouse_back_to_the_queue_after_a_refused_schedule_keeps_the_filters(open_page, editor, harbour, javascript):
    page, watch = open_page(user=editor, java_script_enabled=javascript)
    page.goto(QUEUE)
    item = harbour[1]
    page.locator(f"#item-{item.pk} a.row-link").click()
    arrive(page, re.compile(rf"/curate/articles/{item.pk}/\?"))
    refuse_a_schedule(page, item, keyboard=False)
    save_screenshot(page, f"filters-kept-refused-schedule-{'js' if javascript else 'nojs'}.png", full_page=False)
    if javascript:
        assert axe_violations(page) == []
    # Next is the filtered queue's next item (its page keeps the filters too).
    expect()(page.locator("#next-item")).to_have_attribute("title", harbour[2].title)
    page.locator("a.back").click()
    page.wait_for_load_state()
    assert_filtered_queue(page, item)  # the queue's page that starts at the item
    watch.assert_clean(allow=["status of 400"])


def test_from_the_keyboard_next_after_a_refused_schedule_walks_the_filtered_queue(open_page, editor, harbour):
    page, watch = open_page(user=editor)
    page.goto(QUEUE)
    item = harbour[1]
    page.locator(f"#item-{item.pk} a.row-link").focus()
    page.keyboard.press("Enter")
    arrive(page, re.compile(rf"/curate/articles/{item.pk}/\?"))
    refuse_a_schedule(page, item, keyboard=True)
    page.locator("#queue-heading, h1").first.click()  # out of the field: j is a shortcut again
    page.keyboard.press("j")
    arrive(page, re.compile(rf"/curate/articles/{harbour[2].pk}/\?.*q=Harbour"))
    page.locator("a.back").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert_filtered_queue(page, harbour[2])
    watch.assert_clean(allow=["status of 400"])


@pytest.mark.parametrize("how", ["mouse", "keyboard"])
def test_a_row_decided_in_place_still_opens_its_page_with_the_filters(open_page, editor, harbour, how):
    page, watch = open_page(user=editor)
    page.goto(QUEUE)
    item = harbour[0]
    row = page.locator(f"#item-{item.pk}")
    if how == "mouse":
        row.get_by_role("button", name="Publish", exact=True).click()
    else:
        page.keyboard.press("j")  # the first row is the current one
        expect()(row).to_have_class(re.compile(r"\bcurrent\b"))
        page.keyboard.press("p")
    expect()(row.locator(".state-badge")).to_have_text("Published")
    assert Article.objects.get(pk=item.pk).state == ArticleState.PUBLISHED
    other = row.locator("details.reject-menu a.menu-item", has_text="Other")
    if how == "mouse":
        row.locator("details.reject-menu summary").click()
        other.click()
    else:
        expect()(row).not_to_have_class(re.compile(r"\bcurrent\b"))  # triage moved on to the next row
        page.keyboard.press("k")  # back to the row decided
        expect()(row).to_have_class(re.compile(r"\bcurrent\b"))
        page.keyboard.press("r")
        page.keyboard.press(other.get_attribute("data-digit"))
    arrive(page, re.compile(rf"/curate/articles/{item.pk}/\?.*q=Harbour.*reject_with=other$"))
    assert axe_violations(page) == []
    page.locator("a.back").click()
    page.wait_for_load_state()
    assert_filtered_queue(page, harbour[1])  # the published item left the new queue
    watch.assert_clean()


@pytest.mark.parametrize("how", ["mouse", "keyboard"])
def test_a_decision_made_before_the_filtered_queues_count_arrives_moves_triage_on(open_page, editor, harbour, how):
    """A filtered queue's count arrives after the page ("Counting…"). A row decided in place
    before it came threw "Cannot set properties of null" (the count lowered by one had no
    number to lower yet), so from the keyboard triage stayed on the decided row. Found by
    the full suite on a loaded machine, where the count came late."""
    page, watch = open_page(user=editor)
    held = []
    page.route(re.compile(r"/curate/count/\?"), lambda route: held.append(route))  # the count, held back until the end
    page.goto(QUEUE)
    check = expect()
    check(page.locator("#match-count")).to_have_text("Counting…")
    item, following = harbour[0], harbour[1]
    row = page.locator(f"#item-{item.pk}")
    if how == "mouse":
        row.get_by_role("button", name="Publish", exact=True).click()
    else:
        page.keyboard.press("j")
        check(row).to_have_class(re.compile(r"\bcurrent\b"))
        page.keyboard.press("p")
    check(row.locator(".state-badge")).to_have_text("Published")
    if how == "keyboard":
        check(page.locator(f"#item-{following.pk}")).to_have_class(re.compile(r"\bcurrent\b"))
    assert held, "the count was asked for"
    for route in held:
        route.continue_()
    check(page.locator("#match-count")).to_have_text("29 items match")  # counted after the decision
    watch.assert_clean()
