"""From the curator to the public page of what an editor published, and back: the article
page's header links to it while readers can see the item (and only then), put in place by a
decision made in place too. Clicked with the mouse with JavaScript on and off and followed
from the keyboard; axe-core on the curator's page. Screenshots in test-artifacts/."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from curation.services import editorial, scheduling
from curation.tests.browser_support import arrive, axe_violations, expect, operate, save_screenshot
from curation.tests.factories import make_article, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def editor(transactional_db):
    return make_user(role="editor", username="edna")


@pytest.mark.parametrize("how", ["mouse-javascript", "mouse-no-javascript", "keyboard"])
def test_publish_then_follow_the_link_to_the_public_page_and_back(open_page, editor, how):
    article = make_article(title="Harbour ferry goes electric")
    page, watch = open_page(user=editor, java_script_enabled=how != "mouse-no-javascript")
    check = expect()
    page.goto(f"/curate/articles/{article.pk}/")
    page.wait_for_load_state()
    link = page.get_by_role("link", name="See it on the public site")
    check(link).to_have_count(0)  # in the queue: readers cannot see it, nowhere to go

    # Published from the page (in place with JavaScript): the way to the public page is there.
    operate(page, page.get_by_role("button", name="Publish", exact=True), how)
    check(page.locator(".article-header .state-badge")).to_have_text("Published")
    check(link).to_be_visible()
    if how != "mouse-no-javascript":
        assert axe_violations(page, impacts=None) == []
    save_screenshot(page, f"curator-public-link-{how}.png", full_page=False)

    operate(page, link, how, loads_page=True)
    arrive(page, re.compile(rf"/articles/{article.pk}/"))
    check(page.get_by_role("heading", level=1)).to_have_text("Harbour ferry goes electric")
    page.go_back()
    arrive(page, re.compile(rf"/curate/articles/{article.pk}/"))
    watch.assert_clean(allow=["favicon"])


def test_no_link_while_readers_cannot_see_it(open_page, editor):
    """Scheduled for tomorrow, or rejected: the public page would be a 404."""
    scheduled = make_article(title="Tomorrow's item")
    scheduling.schedule_article(
        article=scheduled, user=editor, go_live_at=timezone.now() + dt.timedelta(days=1)
    )
    rejected = make_article(title="Not for readers")
    editorial.reject_article(article=rejected, user=editor)
    page, watch = open_page(user=editor)
    for article in (scheduled, rejected):
        page.goto(f"/curate/articles/{article.pk}/")
        expect()(page.get_by_role("link", name="See it on the public site")).to_have_count(0)
    watch.assert_clean(allow=["favicon"])
