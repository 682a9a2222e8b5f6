# ruff: noqa: F811 - the story fixtures are imported from test_browser_stories and requested by name
"""What a new editor met on a first walk through the queue, in Chromium: a click on a long
title's checkbox that ticked nothing, a story's "+N sources" cut out of sight, no title
column on a phone or a 1024px screen (and the filters floating over the list on a phone), a
story row that ignored p, a story act after which the queue lost the editor's place and
still counted the items as waiting, and a story's expanded members cut off before their
outlet and state. Each is used with the mouse with JavaScript on and off,
and from the keyboard where it applies."""

import re

import pytest

from curation.models import Article, ArticleState
from curation.tests.browser.test_browser_bulk_refusal import reject_without_a_note
from curation.tests.browser.test_browser_queue import REALISTIC_TITLES
from curation.tests.browser.test_browser_stories import editor, stories_db  # noqa: F401 - fixtures
from curation.tests.browser_support import arrive, axe_violations, expect
from curation.tests.factories import make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MODES = [pytest.param(True, id="javascript"), pytest.param(False, id="no-javascript")]


def by_story(page):
    page.goto("/curate/")
    page.locator("#queue-by-toggle").click()
    arrive(page, re.compile(r"/curate/#queue-by-toggle$"))
    expect()(page.locator("#queue-by-toggle")).to_have_text("Show every item")


def current_index(page):
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('tr.queue-row')).indexOf(document.querySelector('tr.queue-row.current'))"
    )


@pytest.mark.parametrize("javascript", MODES)
def test_a_click_on_a_long_titled_rows_checkbox_ticks_it(open_page, editor, javascript):
    # The row used to grow (its title shown whole) as the press focused the checkbox, which
    # moved from under the pointer before the release: the click ticked nothing.
    for title in REALISTIC_TITLES[:3]:
        make_article(title=title)
    page, watch = open_page(user=editor, java_script_enabled=javascript)
    page.goto("/curate/")
    boxes = page.locator('tr.queue-row input[name="ids"]')
    for n in range(3):
        boxes.nth(n).click()
        expect()(boxes.nth(n)).to_be_checked()
    watch.assert_clean()


def test_from_the_keyboard_a_rows_checkbox_ticks_and_its_title_shows_whole(open_page, editor):
    make_article(title=REALISTIC_TITLES[0])
    page, watch = open_page(user=editor)
    page.goto("/curate/")
    row = page.locator("tr.queue-row").first
    link = row.locator("a.row-link")
    assert link.evaluate("(a) => a.scrollWidth > a.clientWidth")  # cut with an ellipsis
    link.focus()
    page.keyboard.press("Shift+Tab")  # back to the row's checkbox
    page.keyboard.press("Space")
    expect()(row.locator('input[name="ids"]')).to_be_checked()
    assert link.evaluate("(a) => a.scrollWidth <= a.clientWidth")  # keyboard focus shows it whole
    watch.assert_clean()


@pytest.mark.parametrize("javascript", MODES)
def test_a_story_rows_sources_and_outlets_are_in_sight(open_page, editor, stories_db, javascript):
    page, watch = open_page(user=editor, java_script_enabled=javascript)
    by_story(page)
    row = page.locator(f'tr.story-row[data-story-id="{stories_db.pk}"]')
    sources = row.locator(".story-sources")
    expect()(sources).to_have_text("+3 sources")
    inside = sources.evaluate(
        "(tag) => { const cell = tag.closest('td').getBoundingClientRect(), box = tag.getBoundingClientRect();"
        " return box.width > 0 && box.left >= cell.left && box.right <= cell.right; }"
    )
    assert inside, "the +N sources tag is cut out of its cell"
    outlets = row.locator("td.outlets").get_attribute("title")
    assert outlets == ", ".join(f"Outlet {n}" for n in range(10, 14))  # all of them, on hover
    # The headline keeps its cell's width: the tag sits on the line below, with the members
    # (beside the title it cut a headline to a dozen characters).
    room = row.locator("a.row-link").evaluate(
        "(a) => a.closest('td').getBoundingClientRect().width - a.getBoundingClientRect().width"
    )
    assert sources.evaluate("(tag) => tag.closest('summary') !== null") and room < 40, room
    watch.assert_clean()


@pytest.mark.parametrize("width", [390, 1024])
def test_narrow_screens_keep_a_title_column_and_the_filters_off_the_list(open_page, editor, stories_db, width):
    for n in range(30):  # a list longer than the screen, as a queue is
        make_article(title=f"{REALISTIC_TITLES[n % len(REALISTIC_TITLES)]} ({n})")
    page, watch = open_page(user=editor, viewport={"width": width, "height": 844})
    for story_mode in (False, True):
        if story_mode:
            by_story(page)
        else:
            page.goto("/curate/")
        row = page.locator("tr.queue-row").nth(20)
        row.evaluate("(row) => row.scrollIntoView({ block: 'center' })")
        link = row.locator("a.row-link")
        assert link.evaluate("(a) => a.getBoundingClientRect().width") >= 100, "no room for the title"
        # The filters stay out of the list's way (on a phone they used to float over it).
        assert link.evaluate(
            "(a) => { const box = a.getBoundingClientRect();"
            " const panel = document.querySelector('.queue-filters').getBoundingClientRect();"
            " const apart = panel.bottom <= box.top || panel.top >= box.bottom || panel.right <= box.left"
            "  || panel.left >= box.right;"
            " return apart && a.contains(document.elementFromPoint(box.left + 5, box.top + box.height / 2)); }"
        ), "the filters cover the list"
        scroll_width, client_width = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll_width <= client_width, f"the page scrolls sideways at {width}px"
    assert axe_violations(page) == []
    watch.assert_clean()


def test_p_on_a_story_row_publishes_its_lead_and_the_queue_keeps_the_place(open_page, editor, stories_db):
    page, watch = open_page(user=editor)
    check = expect()
    page.goto("/curate/")  # the plain queue counts, and the count is remembered a minute
    check(page.locator("#match-count")).to_have_text("7 items match")
    page.locator("#queue-by-toggle").focus()
    page.keyboard.press("Enter")
    arrive(page, re.compile(r"/curate/#queue-by-toggle$"))
    row = page.locator(f'tr.story-row[data-story-id="{stories_db.pk}"]')
    while "current" not in (row.get_attribute("class") or ""):
        page.keyboard.press("j")
    place = current_index(page)
    with page.expect_navigation():
        page.keyboard.press("p")
    page.wait_for_load_state()
    check(page.locator("ul.messages")).to_contain_text("left the story's 3 other items as they were")
    lead = Article.objects.get(pk=stories_db.lead_id)
    assert lead.state == ArticleState.PUBLISHED
    others = Article.objects.filter(story=stories_db).exclude(pk=lead.pk)
    assert set(others.values_list("state", flat=True)) == {ArticleState.NEW}
    # The row at the same place is selected, with the focus, so j/k go on from there...
    check(page.locator("tr.queue-row").nth(place)).to_have_class(re.compile(r"\bcurrent\b"))
    assert page.evaluate("() => document.activeElement.matches('tr.queue-row.current a.row-link')")
    # ... and the count no longer counts the lead as waiting.
    check(page.locator("#match-count")).to_have_text("6 items match")
    watch.assert_clean()


@pytest.mark.parametrize("javascript", MODES)
def test_after_a_story_act_with_the_mouse_the_count_is_fresh(open_page, editor, stories_db, javascript):
    page, watch = open_page(user=editor, java_script_enabled=javascript)
    check = expect()
    page.goto("/curate/")
    check(page.locator("#match-count")).to_have_text("7 items match")
    by_story(page)
    row = page.locator(f'tr.story-row[data-story-id="{stories_db.pk}"]')
    place = page.locator("tr.queue-row").evaluate_all(
        f"(rows) => rows.findIndex((r) => r.dataset.storyId === '{stories_db.pk}')"
    )
    with page.expect_navigation():
        row.get_by_role("button", name="Publish lead, reject 3 duplicates").click()
    check(page.locator("ul.messages")).to_contain_text("rejected 3 duplicates")
    counter = page.locator("#match-count")
    if javascript:
        check(counter).to_have_text("3 items match")
        check(page.locator("tr.queue-row").nth(min(place, page.locator("tr.queue-row").count() - 1))).to_have_class(
            re.compile(r"\bcurrent\b")
        )
    else:
        check(counter).not_to_contain_text("7")
        with page.expect_navigation():
            counter.get_by_role("link", name="How many match?").click()
        check(page.locator("#match-count")).to_have_text("3 items match")
    watch.assert_clean()


@pytest.mark.parametrize("how", ["mouse-javascript", "mouse-no-javascript", "keyboard"])
def test_a_story_rows_members_show_their_outlet_and_state_when_expanded(open_page, editor, stories_db, how):
    # The row's cells are one cut line: the members' outlets and states used to be cut off.
    page, watch = open_page(user=editor, java_script_enabled=how != "mouse-no-javascript")
    by_story(page)
    row = page.locator(f'tr.story-row[data-story-id="{stories_db.pk}"]')
    summary = row.locator("details.story-members summary")
    if how == "keyboard":
        summary.focus()
        page.keyboard.press("Enter")
    else:
        summary.click()
    members = row.locator("details.story-members li")
    expect()(members).to_have_count(4)
    for n in range(4):
        badge = members.nth(n).locator(".state-badge")
        expect()(badge).to_have_text("new")
        inside = badge.evaluate(
            "(el) => { const cell = el.closest('td').getBoundingClientRect(), box = el.getBoundingClientRect();"
            " return box.width > 0 && box.right <= cell.right; }"
        )
        assert inside, f"member {n}'s state is cut out of sight"
    expect()(members.nth(0)).to_contain_text("Outlet 1")
    watch.assert_clean()


@pytest.mark.parametrize("javascript", MODES)
def test_a_refused_bulk_decision_leaves_the_rows_ticked_to_fix_and_apply_again(open_page, editor, javascript):
    # A reason that asks for a note, chosen without one: the queue came back with nothing
    # ticked, and the editor had to find and tick every row again.
    from curation.models import RejectionReason

    RejectionReason.objects.update_or_create(code="other", defaults={"label": "Other", "needs_note": True, "active": True})
    items = [make_article(title=f"Wire copy {n}") for n in range(4)]
    page, watch = open_page(user=editor, java_script_enabled=javascript)
    page.goto("/curate/")
    reject_without_a_note(page, items[:2])
    arrive(page, re.compile(r"/curate/"))
    expect()(page.locator(".messages, [role=alert]").first).to_contain_text("needs a note")
    for article in items[:2]:
        expect()(page.locator(f'input[name="ids"][value="{article.pk}"]')).to_be_checked()
    expect()(page.locator(f'input[name="ids"][value="{items[2].pk}"]')).not_to_be_checked()
    # Fixed from the keyboard: the note typed, Enter in its field applies the same choice.
    page.locator("#bulk-reason").fill("Wire copy, ran yesterday")
    page.locator("#bulk-reason").press("Enter")
    arrive(page, re.compile(r"/curate/"))
    expect()(page.locator(".messages, [role=alert]").first).to_contain_text("2")
    assert sorted(Article.objects.filter(state=ArticleState.REJECTED).values_list("pk", flat=True)) == sorted(
        article.pk for article in items[:2]
    )
    if javascript:  # axe-core is a script
        assert axe_violations(page) == []
    watch.assert_clean()


FOLLOWS = "(toggle) => !!(toggle.compareDocumentPosition(document.activeElement) & Node.DOCUMENT_POSITION_FOLLOWING)"


@pytest.mark.parametrize("how", ["mouse-javascript", "mouse-no-javascript", "keyboard"])
@pytest.mark.parametrize("toggle", ["#queue-by-toggle", "#density-toggle"])
def test_after_a_toolbar_toggle_the_keyboard_goes_on_from_the_toggle(open_page, editor, stories_db, how, toggle):
    """The toggle reloads the queue, which started the keyboard over at the top: back to the
    toggle took a Tab for the skip link, every link of the navigation and every filter."""
    page, watch = open_page(user=editor, java_script_enabled=how != "mouse-no-javascript")
    page.goto("/curate/")
    before = page.locator(toggle).inner_text()
    if how == "keyboard":
        page.locator(toggle).focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
    else:
        with page.expect_navigation():
            page.locator(toggle).click()
    page.wait_for_load_state()
    expect()(page.locator(toggle)).not_to_have_text(before)  # it did toggle
    if how == "mouse-no-javascript":
        # No script to focus it: the next Tab goes on from the toggle, not from the top.
        page.keyboard.press("Tab")
        assert page.locator(toggle).evaluate(FOLLOWS), page.evaluate("() => document.activeElement.outerHTML")
    else:
        expect()(page.locator(toggle)).to_be_focused()
        with page.expect_navigation():
            page.keyboard.press("Enter")  # and straight back
        expect()(page.locator(toggle)).to_have_text(before)
    watch.assert_clean()
