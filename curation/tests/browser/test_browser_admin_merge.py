"""The topic list's "Merge into…" in Chromium at 1280x800: reached and confirmed with the mouse
and with the keyboard alone, with JavaScript on and off; the confirmation page has no serious
or critical axe violation (checked with JavaScript on: axe is a script). Screenshots in
test-artifacts/admin-merge-*.png."""

import pytest

from curation.models import Article, Topic
from curation.services import rules as rules_service
from curation.services.rule_conditions import validate_definition
from curation.tests.browser_support import axe_violations, expect, save_screenshot
from curation.tests.factories import make_article, make_topic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture
def duplicates():
    keep, ai = make_topic(name="Artificial intelligence"), make_topic(name="AI")
    make_topic(name="Science")
    articles = [make_article(topics=[ai]), make_article(topics=[ai, keep]), make_article(topics=[keep])]
    definition = validate_definition({"when": {"topic": ["AI"]}, "action": "flag", "note": "AI story"})
    rules_service.save_rule(name="Flag AI", definition=definition, enabled=True)
    return keep, ai, articles


def press_tab_until(page, locator, key="Tab", limit=15):
    """Tab (or Shift+Tab back), as a keyboard user does, until `locator` has the focus."""
    for _ in range(limit):
        page.keyboard.press(key)
        if locator.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{locator} never got the focus in {limit} presses of {key}")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("how", ["keyboard", "mouse"])
def test_two_topics_are_merged_from_the_list(open_page, admin_user, duplicates, how, javascript):
    keep, ai, articles = duplicates
    page, watch = open_page(user=admin_user, viewport=VIEWPORT, java_script_enabled=javascript)
    page.goto("/admin/curation/topic/")
    boxes = [page.get_by_role("checkbox", name=f"Select this object for an action - {t.name}") for t in (keep, ai)]
    action = page.locator("select[name=action]")
    go = page.locator(".actions button")

    # The list: tick the two, choose "Merge into…", Go.
    if how == "keyboard":
        for box in boxes:
            box.focus()
            page.keyboard.press("Space")
        press_tab_until(page, action, "Shift+Tab")  # the actions bar is above the rows
        page.keyboard.type("Merge")  # a closed <select> takes the option its typed text starts
        expect()(action).to_have_value("merge_selected")
        press_tab_until(page, go)
        page.keyboard.press("Enter")
    else:
        for box in boxes:
            box.click()
        action.select_option(label="Merge into…")
        go.click()

    # The question: what each one carries, which to keep.
    expect()(page.get_by_role("group", name="Which topic to keep?")).to_be_visible()
    page.wait_for_load_state()
    expect()(page.locator("#content")).to_contain_text("Flag AI")
    shot = save_screenshot(page, f"admin-merge-confirm-{how}-{'js' if javascript else 'no-js'}.png")
    assert shot.exists()
    if javascript:  # axe runs as a script in the page: not where scripts are off (same HTML)
        assert axe_violations(page) == []
    kept = page.get_by_role("radio", name="Artificial intelligence")
    offered = page.get_by_role("radio", name="AI", exact=True)
    expect()(offered).to_be_checked()  # the most used is offered

    if how == "keyboard":
        offered.focus()
        page.keyboard.press("ArrowDown")  # the group's next choice, in the table's order by name
        expect()(kept).to_be_checked()
        press_tab_until(page, page.get_by_role("button", name="Merge"))
        page.keyboard.press("Enter")
    else:
        kept.click()
        page.get_by_role("button", name="Merge").click()

    message = page.locator("ul.messagelist")
    expect()(message).to_contain_text("Merged “AI” into “Artificial intelligence”: 2 articles moved (1 already had")
    expect()(message).to_contain_text("rules updated: “Flag AI”")
    save_screenshot(page, f"admin-merge-done-{how}-{'js' if javascript else 'no-js'}.png")
    assert sorted(Topic.objects.values_list("name", flat=True)) == ["Artificial intelligence", "Science"]
    for article in articles:
        assert list(Article.objects.get(pk=article.pk).topics.values_list("name", flat=True)) == [keep.name]
    watch.assert_clean()
