"""A body-only item's "Find an article" search, in Chromium at a phone's width.

The search is a GET of the item's page. Its answer opened at the page's top, the attach
half with the results far below (under the whole "Complete the metadata" form on a phone),
and it dropped the queue's filters the page was opened with: "Back to the queue", Previous
and Next then walked the plain queue. The answer now opens at the search with its results,
and keeps the filters. Worked with the mouse with JavaScript on and off and the keyboard."""

import re

import pytest

from curation.models import Article, ArticleState
from curation.tests.browser_support import PASSWORD, arrive, axe_violations, expect, operate
from curation.tests.factories import make_article, make_body_only, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HOWS = ["mouse-javascript", "mouse-no-javascript", "keyboard"]
PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("how", HOWS)
def test_the_search_answers_where_it_was_asked_and_keeps_the_queue(open_page, how):
    item = make_body_only(title="By staff reporter", body="By staff reporter\n\nThe ferry council met.", source_key="d" * 64)
    target = make_article(title="Ferry council approves the winter timetable")
    editor = make_user(role="editor", password=PASSWORD)
    page, watch = open_page(user=editor, java_script_enabled=how != "mouse-no-javascript", viewport=PHONE)
    check = expect()
    page.goto(f"/curate/articles/{item.pk}/?needs_metadata=yes")
    field = page.get_by_label("Find an article (words or #id)")
    field.fill("winter timetable")
    if how == "keyboard":
        with page.expect_navigation():
            field.press("Enter")
    else:
        operate(page, page.locator("form.attach-search").get_by_role("button", name="Search"), how, loads_page=True)
    arrive(page, re.compile(r"attach_q=winter"))
    found = page.get_by_role("radio", name=re.compile(f"#{target.pk} “Ferry council approves"))
    check(found).to_be_in_viewport()
    check(page.get_by_label("Find an article (words or #id)")).to_be_in_viewport()
    # The queue the page was opened from is still the one it walks.
    check(page.get_by_role("link", name="Back to the queue")).to_have_attribute("href", re.compile(r"needs_metadata=yes"))
    if how != "mouse-no-javascript":
        assert axe_violations(page) == []

    if how == "keyboard":
        found.focus()
        page.keyboard.press("Space")
    else:
        found.check()
    operate(page, page.get_by_role("button", name="Attach body"), how, loads_page=True)
    check(page.locator("#flash .message")).to_contain_text("Attached the body to “Ferry council approves")
    assert Article.objects.get(pk=item.pk).state == ArticleState.MERGED
    watch.assert_clean()
