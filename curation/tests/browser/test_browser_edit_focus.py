"""The edit page and the rule form open in their form, in Chromium.

`e` on an article (or its Edit button) opened the edit page with the focus nowhere: a
keyboard editor Tabbed past "Skip to content", the site's five links and "Back to the
article" to reach the title, and after a refused save (an empty title) again, to find the
field the error was about. The page now opens in the title, or in the field refused.
Worked with the mouse with JavaScript on and off and from the keyboard."""

# ruff: noqa: F811 - the rules' fixture is imported from their browser tests and requested by name
import re

import pytest

from curation.models import Article
from curation.tests.browser.test_browser_rules import rule_editor  # noqa: F401 - a fixture
from curation.tests.browser_support import PASSWORD, arrive, axe_violations, expect, operate
from curation.tests.factories import make_article, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HOWS = ["mouse-javascript", "mouse-no-javascript", "keyboard"]


@pytest.mark.parametrize("how", HOWS)
def test_the_edit_page_opens_in_the_title_and_after_a_refusal_in_the_field_refused(open_page, how):
    item = make_article(title="Tram line opens")
    editor = make_user(role="editor", password=PASSWORD)
    page, watch = open_page(user=editor, java_script_enabled=how != "mouse-no-javascript")
    check = expect()
    page.goto(f"/curate/articles/{item.pk}/")
    page.wait_for_load_state()
    if how == "keyboard":
        with page.expect_navigation():
            page.keyboard.press("e")
    else:
        operate(page, page.get_by_role("link", name="Edit", exact=True), how, loads_page=True)
    arrive(page, re.compile(rf"/curate/articles/{item.pk}/edit/"))
    title = page.get_by_label("Title")
    check(title).to_be_focused()

    # Emptied and sent (Enter in the field, or the button): refused, back in the title.
    title.fill("")
    # The browser's own check would stop an empty required field before it is sent.
    page.locator("#edit-form").evaluate("(form) => form.setAttribute('novalidate', '')")
    if how == "keyboard":
        with page.expect_navigation():
            page.keyboard.press("Enter")
    else:
        operate(page, page.get_by_role("button", name="Save changes"), how, loads_page=True)
    check(page.locator(".field-title .error")).to_be_visible()
    check(page.get_by_label("Title")).to_be_focused()
    if how != "mouse-no-javascript":
        assert axe_violations(page) == []

    page.keyboard.type("Tram line opens on time")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    check(page.locator("#flash .message")).to_contain_text("Saved your changes.")
    assert Article.objects.get(pk=item.pk).title == "Tram line opens on time"
    watch.assert_clean(allow=["status of 400"])  # the refused save's answer


@pytest.mark.parametrize("how", HOWS)
def test_a_refused_rule_comes_back_in_the_field_refused(open_page, rule_editor, how):
    """A rule refused on Save (a pattern RE2 cannot read) came back at the page's top: the
    error was by its field far below, nothing in sight said anything, and the focus was
    nowhere, as if Save had done nothing."""
    page, watch = open_page(user=rule_editor, java_script_enabled=how != "mouse-no-javascript")
    check = expect()
    page.goto("/curate/rules/new/")
    page.wait_for_load_state()
    check(page.get_by_label("Name", exact=True)).to_be_focused()
    page.keyboard.type("Ferries")
    pattern = page.get_by_label("Title matches this pattern (regular expression)")
    pattern.fill("(ferry")
    operate(page, page.get_by_role("button", name="Save", exact=True), how, loads_page=True)
    check(pattern).to_be_focused()
    check(pattern).to_be_in_viewport()
    check(page.locator("#id_title_matches-error")).to_contain_text("never closed")
    if how != "mouse-no-javascript":
        assert axe_violations(page) == []
    pattern.fill("ferry")
    operate(page, page.get_by_role("button", name="Save", exact=True), how, loads_page=True)
    check(page.locator("#flash .message")).to_contain_text("Rule “Ferries” saved")
    watch.assert_clean(allow=["status of 400"])
