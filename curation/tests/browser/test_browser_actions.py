# ruff: noqa: F811 - the browser fixtures are imported from test_browser and requested by name
"""The article page's decision buttons in Chromium: Publish, Unpublish, Reject and Restore,
clicked with the mouse with JavaScript on (sent in place), with JavaScript off (plain form
posts), and pressed from the keyboard (Tab to the button and Enter or Space, and the
shortcut keys). Each step checks what is stored and what the editor sees.

With JavaScript on, a click used to POST to the page's own URL (HTTP 405): curator.js took
`submitter.formAction`, which for a button without a formaction attribute is the document's
URL. Browser-level setup (Chromium, live server, groups) is shared with test_browser.py.
"""

import re

import pytest

from curation.models import Article, ArticleState, EditorialAction
from curation.tests.browser_support import PASSWORD, expect, operate
from curation.tests.factories import make_article, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The cycle every button takes part in, from a new item: (button, state after it).
CYCLE = [
    ("Publish", ArticleState.PUBLISHED, "Published"),
    ("Unpublish", ArticleState.NEW, "New"),
    ("Reject", ArticleState.REJECTED, "Rejected"),
    ("Restore", ArticleState.NEW, "New"),
]


@pytest.fixture
def story():
    return make_article(title="Harbour ferry returns after repairs", topics=["Transport"])


def decision_button(page, label):
    return page.locator(".actions-bar").get_by_role("button", name=label, exact=True)


def assert_decided(page, story, label, state, badge, *, actions_before):
    check = expect()
    check(page.locator(f'.article-header [data-state-for="{story.pk}"]')).to_have_text(badge)
    check(page.locator("ul.messages .message").last).to_contain_text("Harbour ferry returns after repairs")
    stored = Article.objects.get(pk=story.pk)
    assert stored.state == state, label
    assert EditorialAction.objects.filter(article=story).count() == actions_before + 1, label


def test_mouse_with_javascript_decides_in_place(open_as_editor, story):
    page, watch = open_as_editor(f"/curate/articles/{story.pk}/")
    failed = []
    page.on("response", lambda response: response.status >= 400 and failed.append((response.status, response.url)))
    for count, (label, state, badge) in enumerate(CYCLE):
        decision_button(page, label).click()
        assert_decided(page, story, label, state, badge, actions_before=count)
        # In place: no navigation, and the new buttons arrived with the answer.
        expect()(page).to_have_url(re.compile(rf"/curate/articles/{story.pk}/$"))
    assert failed == []
    # Each decision shows in the history without a reload.
    expect()(page.locator("section.history .history-list li")).to_have_count(4)
    watch.assert_clean()


def test_mouse_without_javascript_decides_with_plain_posts(open_as_editor, story):
    page, watch = open_as_editor(f"/curate/articles/{story.pk}/", java_script_enabled=False)
    for count, (label, state, badge) in enumerate(CYCLE):
        with page.expect_navigation():
            decision_button(page, label).click()
        expect()(page).to_have_url(re.compile(rf"/curate/articles/{story.pk}/$"))
        assert_decided(page, story, label, state, badge, actions_before=count)
    watch.assert_clean()


@pytest.mark.parametrize("key", ["Enter", " "])
def test_keyboard_focus_and_press_decides_in_place(open_as_editor, story, key):
    page, watch = open_as_editor(f"/curate/articles/{story.pk}/")
    for count, (label, state, badge) in enumerate(CYCLE):
        button = decision_button(page, label)
        button.focus()
        expect()(button).to_be_focused()
        page.keyboard.press(key)
        assert_decided(page, story, label, state, badge, actions_before=count)
    watch.assert_clean()


def test_shortcut_keys_publish_unpublish_and_reject(open_as_editor, story):
    page, watch = open_as_editor(f"/curate/articles/{story.pk}/")
    page.wait_for_load_state()
    for count, (key, (label, state, badge)) in enumerate(zip("pur", CYCLE[:3], strict=True)):
        page.keyboard.press(key)
        assert_decided(page, story, label, state, badge, actions_before=count)
    watch.assert_clean()


def test_a_conflict_says_reload_once(open_as_editor, story):
    page, watch = open_as_editor(f"/curate/articles/{story.pk}/")
    Article.objects.filter(pk=story.pk).update(version=story.version + 1)  # a colleague acted
    decision_button(page, "Publish").click()
    message = page.locator("ul.messages .message.error")
    expect()(message).to_contain_text("changed by someone else")
    assert message.inner_text().lower().count("reload") == 1, message.inner_text()
    assert Article.objects.get(pk=story.pk).state == ArticleState.NEW
    watch.assert_clean(allow=["409"])


def focus_is_with_the_decisions(page):
    return page.evaluate("() => !!document.activeElement.closest('.actions-bar .article-actions')")


def test_from_the_keyboard_the_focus_stays_with_the_decisions_through_the_cycle(open_as_editor, story):
    """The pressed button is replaced by the new ones: the focus fell to the page's body, so a
    screen reader lost its place and the editor's next Tab started from the top of the page.
    Each next decision here is reached with Tab alone from where the last one left the focus."""
    page, watch = open_as_editor(f"/curate/articles/{story.pk}/")
    decision_button(page, "Publish").focus()
    for count, (label, state, badge) in enumerate(CYCLE):
        button = decision_button(page, label)
        for _ in range(8):  # the reason and note fields come before Reject
            if button.evaluate("(b) => b === document.activeElement"):
                break
            page.keyboard.press("Tab")
        expect()(button).to_be_focused()
        page.keyboard.press("Enter")
        assert_decided(page, story, label, state, badge, actions_before=count)
        focused = page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)")
        assert focus_is_with_the_decisions(page), f"after {label} the focus is on {focused}"
    watch.assert_clean()


def test_with_the_mouse_the_focus_stays_with_the_decisions(open_as_editor, story):
    page, watch = open_as_editor(f"/curate/articles/{story.pk}/")
    decision_button(page, "Publish").click()
    assert_decided(page, story, "Publish", ArticleState.PUBLISHED, "Published", actions_before=0)
    assert focus_is_with_the_decisions(page)
    # A screen reader says where the focus is: the group of decisions, by its name.
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "Decisions on this item"
    page.keyboard.press("Tab")
    expect()(decision_button(page, "Unpublish")).to_be_focused()
    watch.assert_clean()


@pytest.mark.parametrize("how", ["mouse-javascript", "mouse-no-javascript", "keyboard"])
def test_the_header_says_who_last_changed_the_state_and_to_what(open_page, story, how):
    """A decision made in place left the header's "· rejected 11:28 by edna" beside its new
    "Published" badge; an item restored to the queue read "· new 11:30 by edna", as if edna
    had created it."""
    editor = make_user(role="editor", username="edna", password=PASSWORD)
    page, watch = open_page(user=editor, java_script_enabled=how != "mouse-no-javascript")
    page.goto(f"/curate/articles/{story.pk}/")
    line = page.locator(".article-header .state-change")
    steps = [
        ("Reject", ArticleState.REJECTED, "Rejected", "· rejected"),
        ("Publish", ArticleState.PUBLISHED, "Published", "· published"),
        ("Unpublish", ArticleState.NEW, "New", "· back in the queue"),
    ]
    for count, (label, state, badge, says) in enumerate(steps):
        button = decision_button(page, label)
        operate(page, button, how)
        assert_decided(page, story, label, state, badge, actions_before=count)
        expect()(line).to_contain_text(says)
        expect()(line).to_contain_text("by edna")
    watch.assert_clean()
