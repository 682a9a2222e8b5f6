# ruff: noqa: F811 - the editor fixture is imported from test_browser_stories and requested by name
"""A refused bulk decision, in Chromium, as a new editor meets it: Reject with a reason that
needs a note, sent without one. The queue comes back with the rows ticked and the editor on
the note field (not at the top of the page, hunting for what to fix); the message links to
the field; the note typed and Enter pressed applies the decision. With the mouse with
JavaScript on and off, from the keyboard, and over every match (curator.js, no page load)."""

import re

import pytest

from curation.models import Article, ArticleState, RejectionReason
from curation.tests.browser.test_browser_stories import editor  # noqa: F401 - fixture
from curation.tests.browser_support import arrive, axe_violations, expect, save_screenshot
from curation.tests.factories import make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MODES = [pytest.param(True, id="javascript"), pytest.param(False, id="no-javascript")]
QUEUE = re.compile(r"/curate/$")


@pytest.fixture
def items(transactional_db):
    RejectionReason.objects.update_or_create(code="other", defaults={"label": "Other", "needs_note": True, "active": True})
    return [make_article(title=f"Wire copy {n}") for n in range(4)]


def focused_id(page):
    return page.evaluate("() => document.activeElement && document.activeElement.id")


def rejected():
    return sorted(Article.objects.filter(state=ArticleState.REJECTED).values_list("pk", flat=True))


def shot(page, name):
    save_screenshot(page, f"refusal-{name}.png", full_page=False)


def reject_without_a_note(page, articles):
    """From the queue: tick `articles`, choose Reject with a reason that needs a note, send."""
    for article in articles:
        page.locator(f'input[name="ids"][value="{article.pk}"]').click()
    page.select_option("#bulk-action", "reject")
    page.select_option("#bulk-reason-code", "other")
    page.locator("#bulk-form button[type=submit]").click()


def assert_on_the_note(page):
    """The editor is on the note field, which says what is wrong with it."""
    note = page.locator("#bulk-reason")
    expect()(note).to_be_focused()
    expect()(note).to_have_attribute("aria-invalid", "true")
    expect()(note).to_have_attribute("aria-describedby", "bulk-refusal")
    expect()(page.locator("#bulk-refusal")).to_be_visible()
    expect()(page.locator("#bulk-refusal")).to_contain_text("needs a note")


@pytest.mark.parametrize("javascript", MODES)
def test_with_the_mouse_a_missing_note_lands_on_the_note_field(open_page, editor, items, javascript):
    page, watch = open_page(user=editor, java_script_enabled=javascript)
    page.goto("/curate/")
    reject_without_a_note(page, items[:2])
    arrive(page, QUEUE)
    assert_on_the_note(page)
    shot(page, f"mouse-{'js' if javascript else 'nojs'}")
    if javascript:  # axe-core is a script
        assert axe_violations(page) == []
    # The message is a link to the field: back to it from anywhere on the page.
    page.locator("#queue-heading").click()
    expect()(page.locator("#bulk-reason")).not_to_be_focused()
    page.locator("#flash a", has_text="needs a note").click()
    expect()(page.locator("#bulk-reason")).to_be_focused()
    page.keyboard.type("Ran yesterday")
    page.keyboard.press("Enter")
    arrive(page, QUEUE)
    expect()(page.locator("#flash")).to_contain_text("2")
    assert rejected() == sorted(article.pk for article in items[:2])
    expect()(page.locator("#bulk-reason")).not_to_have_attribute("aria-invalid", "true")
    watch.assert_clean()


def choose_by_keys(page, selector, value):
    """A menu's option chosen as a keyboard does: focus it, then arrow down to the option."""
    menu = page.locator(selector)
    menu.focus()
    for _ in range(12):
        if menu.input_value() == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{value} is not reachable in {selector}")


def test_from_the_keyboard_a_missing_note_lands_on_the_note_field(open_page, editor, items):
    page, watch = open_page(user=editor)
    page.goto("/curate/")
    for article in items[:2]:
        page.locator(f'input[name="ids"][value="{article.pk}"]').focus()
        page.keyboard.press("Space")
    choose_by_keys(page, "#bulk-action", "reject")
    choose_by_keys(page, "#bulk-reason-code", "other")
    page.keyboard.press("Tab")  # the note, left empty
    expect()(page.locator("#bulk-reason")).to_be_focused()
    page.keyboard.press("Enter")
    arrive(page, QUEUE)
    assert_on_the_note(page)
    shot(page, "keyboard")
    # From the message's link too: Enter on it puts the editor back in the field.
    page.locator("#flash a", has_text="needs a note").focus()
    page.keyboard.press("Enter")
    expect()(page.locator("#bulk-reason")).to_be_focused()
    page.keyboard.type("Ran yesterday")
    page.keyboard.press("Enter")
    arrive(page, QUEUE)
    assert rejected() == sorted(article.pk for article in items[:2])
    watch.assert_clean()


def test_a_row_carried_from_the_last_page_does_not_take_the_focus_from_the_field(open_page, editor, items):
    # curator.js selects (and focuses) a row carried over from paging with j/k: after a
    # refusal the field keeps the focus.
    page, watch = open_page(user=editor)
    page.goto("/curate/")
    page.locator(f'input[name="ids"][value="{items[0].pk}"]').click()
    page.select_option("#bulk-action", "reject")
    page.select_option("#bulk-reason-code", "other")
    page.evaluate("() => window.sessionStorage.setItem('curation:queue:select', 'first')")
    page.locator("#bulk-form button[type=submit]").click()
    arrive(page, QUEUE)
    assert_on_the_note(page)
    watch.assert_clean()


def test_over_every_match_the_note_field_is_focused_in_place(open_page, editor, items):
    # With JavaScript a run over every match is sent with fetch: the refusal comes back as
    # JSON, and the page (not reloaded) takes the editor to the field all the same.
    page, watch = open_page(user=editor)
    page.goto("/curate/")
    page.evaluate("() => { window.notReloaded = true; }")
    page.locator('input[name="scope"][value="matching"]').click()
    page.select_option("#bulk-action", "reject")
    page.select_option("#bulk-reason-code", "other")
    page.locator("#bulk-form button[type=submit]").click()
    assert_on_the_note(page)
    assert page.evaluate("() => window.notReloaded") is True
    expect()(page.locator('#flash a[href="#bulk-reason"]')).to_contain_text("needs a note")
    shot(page, "matching-js")
    assert axe_violations(page) == []
    page.keyboard.type("Ran yesterday")
    page.keyboard.press("Enter")
    expect()(page.locator("#flash")).to_contain_text("4")  # the page reloads with the result
    assert rejected() == sorted(article.pk for article in items)
    expect()(page.locator("#bulk-refusal")).to_be_hidden()
    watch.assert_clean(allow=["status of 400"])  # the refusal's own answer


@pytest.mark.parametrize("javascript", MODES)
def test_a_bad_schedule_lands_on_its_date_field(open_page, editor, items, javascript):
    page, watch = open_page(user=editor, java_script_enabled=javascript)
    page.goto("/curate/")
    page.locator(f'input[name="ids"][value="{items[0].pk}"]').click()
    page.select_option("#bulk-action", "schedule")
    if not javascript:
        page.locator(".bulk-schedule summary").click()
    page.locator("#bulk_go_live_at").fill("2999-05-01T10:00")
    page.locator("#bulk-form button[type=submit]").click()
    arrive(page, QUEUE)
    field = page.locator("#bulk_go_live_at")
    expect()(field).to_be_focused()
    expect()(field).to_have_attribute("aria-invalid", "true")
    expect()(page.locator("#bulk-refusal")).to_contain_text("Pick a time within")
    shot(page, f"schedule-{'js' if javascript else 'nojs'}")
    if javascript:
        assert axe_violations(page) == []
    watch.assert_clean()
