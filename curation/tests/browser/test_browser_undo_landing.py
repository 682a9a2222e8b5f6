"""Undo in the queue, in Chromium: the page comes back at the rows put back, not at its top.

A bulk decision's or a story's result carries Undo. Pressed, the queue opened at its top:
the items put back were somewhere below, out of sight (down a long queue, on another screen),
and from the keyboard j started again from the first row. The page now opens at the first
row put back; with JavaScript that row is the current one. Worked with the mouse with
JavaScript on and off and from the keyboard."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from curation.models import Article, ArticleState
from curation.tests.browser_support import PASSWORD, arrive, axe_violations, expect, operate
from curation.tests.factories import make_article, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HOWS = ["mouse-javascript", "mouse-no-javascript", "keyboard"]


@pytest.fixture
def long_queue(transactional_db):
    """Forty items, newest first: the last ones are far below the first screen."""
    now = timezone.now()
    return [make_article(title=f"Item {n:02d}", published_at=now - timedelta(minutes=n)) for n in range(40)]


def in_sight(page, locator):
    box = locator.bounding_box()
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= page.viewport_size["height"]


@pytest.mark.parametrize("how", HOWS)
def test_undo_of_a_bulk_decision_opens_the_queue_at_the_rows_put_back(open_page, long_queue, how):
    editor = make_user(role="editor", password=PASSWORD)
    page, watch = open_page(user=editor, java_script_enabled=how != "mouse-no-javascript")
    check = expect()
    page.goto("/curate/")
    chosen = long_queue[30:32]
    for item in chosen:
        page.locator(f"#item-{item.pk} input[type=checkbox]").check()
    page.locator("#bulk-action").select_option("reject")
    operate(page, page.get_by_role("button", name="Apply decision"), how, loads_page=True)
    result = page.locator("#flash .message", has_text="2 items rejected.")
    check(result).to_be_visible()
    assert {a.state for a in Article.objects.filter(pk__in=[a.pk for a in chosen])} == {ArticleState.REJECTED}

    operate(page, result.get_by_role("button", name="Undo"), how, loads_page=True)
    check(page.locator("#flash .message")).to_contain_text("Undone: 2 items are as before.")
    arrive(page, re.compile(rf"/curate/#item-{chosen[0].pk}$"))
    row = page.locator(f"#item-{chosen[0].pk}")
    assert in_sight(page, row), "the rows put back are out of sight"
    assert {a.state for a in Article.objects.filter(pk__in=[a.pk for a in chosen])} == {ArticleState.NEW}
    if how != "mouse-no-javascript":
        # The row put back is the current one: the keys go on from it.
        check(row).to_have_class(re.compile(r"\bcurrent\b"))
        check(row.locator("a.row-link")).to_be_focused()
        page.keyboard.press("j")
        check(page.locator(f"#item-{chosen[1].pk}")).to_have_class(re.compile(r"\bcurrent\b"))
        assert axe_violations(page) == []
    watch.assert_clean()


@pytest.mark.parametrize("how", HOWS)
def test_undo_of_a_story_publication_opens_the_queue_at_the_story(open_page, long_queue, how):
    from curation.models import RejectionReason, Story

    RejectionReason.objects.get_or_create(code="duplicate", defaults={"label": "Duplicate"})
    lead, other = long_queue[33], long_queue[34]
    now = timezone.now()
    story = Story.objects.create(lead=lead, size=2, created_at=now, updated_at=now)
    Article.objects.filter(pk__in=[lead.pk, other.pk]).update(story=story)
    editor = make_user(role="editor", password=PASSWORD)
    page, watch = open_page(user=editor, java_script_enabled=how != "mouse-no-javascript")
    check = expect()
    page.goto("/curate/")
    with page.expect_navigation():
        page.locator("#queue-by-toggle").click()
    row = page.locator(f'tr.story-row[data-story-id="{story.pk}"]')
    operate(page, row.get_by_role("button", name="Publish lead, reject 1 duplicate"), how, loads_page=True)
    result = page.locator("#flash .message", has_text="rejected 1 duplicate")
    check(result).to_be_visible()

    operate(page, result.get_by_role("button", name="Undo"), how, loads_page=True)
    check(page.locator("#flash .message")).to_contain_text("Undone: 2 items are as before.")
    row = page.locator(f'tr.story-row[data-story-id="{story.pk}"]')
    check(row).to_have_count(1)
    assert page.url.endswith(f"#{row.get_attribute('id')}"), page.url
    assert in_sight(page, row), "the story put back is out of sight"
    if how != "mouse-no-javascript":
        check(row).to_have_class(re.compile(r"\bcurrent\b"))
    watch.assert_clean()
