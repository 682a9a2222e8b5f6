"""The page for an unknown address, in Chromium: its way on followed with the mouse
(JavaScript on and off) and from the keyboard, and checked with axe-core."""

import pytest

from curation.models import ArticleState
from curation.tests.browser.test_browser_screens import serious_violations
from curation.tests.browser_support import expect
from curation.tests.factories import make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Chromium logs the 404 of the page itself as a console error: the page's own answer.
THE_404 = ("404",)


@pytest.fixture
def story():
    return make_article(title="A story readers can see", state=ArticleState.PUBLISHED)


@pytest.mark.parametrize("javascript", [True, False])
def test_a_reader_follows_the_way_on_with_the_mouse(open_page, story, javascript):
    page, watch = open_page(java_script_enabled=javascript)
    response = page.goto("/articles/987654321/")
    assert response.status == 404
    expect()(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    with page.expect_navigation():
        page.get_by_role("link", name="The latest stories").click()
    expect()(page.get_by_role("link", name="A story readers can see")).to_be_visible()
    watch.assert_clean(allow=THE_404)


def test_a_reader_follows_the_way_on_from_the_keyboard(open_page, story):
    page, watch = open_page()
    page.goto("/no-such-page/")
    assert serious_violations(page) == []
    link = page.get_by_role("link", name="The latest stories")
    for _ in range(12):  # past the skip link and the navigation
        page.keyboard.press("Tab")
        if link.evaluate("element => element === document.activeElement"):
            break
    expect()(link).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect()(page.get_by_role("link", name="A story readers can see")).to_be_visible()
    watch.assert_clean(allow=THE_404)
