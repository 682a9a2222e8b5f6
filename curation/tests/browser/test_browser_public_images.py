"""Public pages: an image whose server no longer answers leaves no empty box.

Images are hot-linked from the sources; a moved or deleted one showed readers a grey box
beside the story in the lists and a broken-image icon above the article."""

import pytest
from django.utils import timezone

from curation.models import ArticleState
from curation.tests.browser_support import axe_violations, expect, save_screenshot
from curation.tests.factories import make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GONE = "https://images.gone.example/"
MODES = [pytest.param(True, id="javascript"), pytest.param(False, id="no-javascript")]


@pytest.fixture
def published():
    now = timezone.now()
    return {
        "gone": make_article(
            title="Harbour bridge reopens after repairs",
            state=ArticleState.PUBLISHED,
            published_at=now,
            images=[GONE + "bridge.jpg"],
        ),
        "fine": make_article(
            title="Library extends its opening hours",
            state=ArticleState.PUBLISHED,
            published_at=now - timezone.timedelta(hours=1),
            images=["https://images.fine.example/library.jpg"],
        ),
    }


def open_public(open_page, javascript):
    page, watch = open_page(java_script_enabled=javascript)
    # Registered after the test context's own route (placeholders for every other image), so
    # it answers first: this host's images are gone.
    page.route(f"{GONE}**", lambda route: route.fulfill(status=404, body="gone"))
    return page, watch


def story(page, title):
    return page.locator("li.story").filter(has_text=title)


@pytest.mark.parametrize("javascript", MODES)
def test_a_list_drops_an_image_that_does_not_load_and_keeps_one_that_does(open_page, published, javascript):
    page, watch = open_public(open_page, javascript)
    page.goto("/")
    page.wait_for_load_state("load")
    check = expect()
    check(story(page, "Library extends").locator(".story-image img")).to_have_count(1)
    if javascript:
        check(story(page, "Harbour bridge").locator(".story-image")).to_have_count(0)
        # The text takes the place: it starts where the list does.
        text_left = story(page, "Harbour bridge").locator(".story-text").bounding_box()["x"]
        assert abs(text_left - story(page, "Harbour bridge").bounding_box()["x"]) < 2
    else:
        # Without the script the page is as it always was: the frame stays, the page works.
        check(story(page, "Harbour bridge").locator(".story-image")).to_have_count(1)
    save_screenshot(page, f"public-list-broken-image-{'js' if javascript else 'no-js'}.png")
    if javascript:  # axe is a script itself: it cannot run where scripts are off
        assert axe_violations(page) == []
    watch.assert_clean(allow=("404",))


def test_an_article_page_drops_its_lead_image_when_it_does_not_load(open_page, published):
    page, watch = open_public(open_page, True)
    page.goto(f"/articles/{published['gone'].pk}/")
    page.wait_for_load_state("load")
    check = expect()
    check(page.get_by_role("heading", name="Harbour bridge reopens after repairs")).to_be_visible()
    check(page.locator("figure.lead-image")).to_have_count(0)
    page.goto(f"/articles/{published['fine'].pk}/")
    page.wait_for_load_state("load")
    check(page.locator("figure.lead-image img")).to_have_count(1)
    watch.assert_clean(allow=("404",))
