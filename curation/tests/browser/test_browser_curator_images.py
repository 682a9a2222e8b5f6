"""The curator's article page: an image whose server does not answer says so, with its
address, where an editor can act on it (the demo's sample images, hot-linked from hosts that
do not exist, showed a row of broken-image icons). The public pages drop such an image
(test_browser_public_images.py); both use static/js/images.js."""

import pytest

from curation.tests.browser_support import axe_violations, expect, save_screenshot
from curation.tests.factories import make_article, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GONE = "https://images.gone.example/bridge.jpg"
FINE = "https://images.fine.example/bridge-at-night.jpg"
MODES = [pytest.param(True, id="javascript"), pytest.param(False, id="no-javascript")]


@pytest.mark.parametrize("javascript", MODES)
def test_an_image_that_does_not_load_is_named_for_the_editor(open_page, javascript):
    article = make_article(title="Harbour bridge reopens after repairs", images=[GONE, FINE])
    page, watch = open_page(user=make_user(role="editor"), java_script_enabled=javascript)
    # After the context's own route (placeholders for every other image): this one is gone.
    page.route(GONE, lambda route: route.fulfill(status=404, body="gone"))
    page.goto(f"/curate/articles/{article.pk}/", wait_until="domcontentloaded")
    images = page.locator("section.images")
    images.scroll_into_view_if_needed()  # they load lazily
    check = expect()
    check(page.get_by_role("heading", name="Harbour bridge reopens after repairs")).to_be_visible()
    items = images.locator("li")
    check(items).to_have_count(2)
    fine = items.nth(1).locator("img")
    check(fine).to_be_visible()
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=fine.element_handle())
    if javascript:
        note = items.nth(0).locator(".image-failed")
        check(note).to_have_text(f"Image could not be loaded: {GONE}")
        check(note).to_be_visible()
        check(note.get_by_role("link", name=GONE)).to_have_attribute("href", GONE)
        check(items.nth(0).locator("img")).to_have_count(0)
        check(page.get_by_role("link", name="Open image 2 (full size)")).to_be_visible()
        assert axe_violations(page) == []
    else:
        # Without the script: the page as it was, each image with its link to open it.
        check(images.locator(".image-failed")).to_have_count(0)
        check(page.get_by_role("link", name="Open image 1 (full size)")).to_have_attribute("href", GONE)
        check(page.get_by_role("link", name="Open image 2 (full size)")).to_have_attribute("href", FINE)
    check(page.get_by_role("button", name="Publish").first).to_be_visible()
    save_screenshot(page, f"curator-broken-image-{'js' if javascript else 'no-js'}.png")
    watch.assert_clean(allow=("404",))


@pytest.mark.parametrize("javascript", MODES)
def test_a_related_items_thumbnail_that_does_not_load_is_dropped(open_page, javascript):
    """Related coverage shows the other outlet's thumbnails as decoration (no text of their
    own): one whose server does not answer leaves the list, not a broken-image icon."""
    related = {"title": "Bridge open again", "web_url": "https://other.example/bridge", "images": [{"url": GONE}, {"url": FINE}]}
    article = make_article(title="Harbour bridge reopens after repairs", related=[related])
    page, watch = open_page(user=make_user(role="editor"), java_script_enabled=javascript)
    page.route(GONE, lambda route: route.fulfill(status=404, body="gone"))
    page.goto(f"/curate/articles/{article.pk}/", wait_until="domcontentloaded")
    thumbnails = page.locator(".related-images img")
    page.locator(".related-images").scroll_into_view_if_needed()  # they load lazily
    check = expect()
    if javascript:
        check(thumbnails).to_have_count(1)
        check(thumbnails).to_have_attribute("src", FINE)
    else:
        check(thumbnails).to_have_count(2)
    check(page.get_by_role("link", name="Bridge open again")).to_be_visible()
    watch.assert_clean(allow=("404",))
