"""A decision key the item does not offer, in Chromium (keys need JavaScript).

p on an item that needs its metadata, r on a story's row, u on a new item: the key did
nothing at all, and a keyboard editor could not tell a key not heard from a decision not
offered. It now says so, with the note that says why, and what the item offers instead;
nothing is changed."""

import re

import pytest

from curation.models import Article, ArticleState, RejectionReason, Story
from curation.tests.browser_support import PASSWORD, axe_violations, expect
from curation.tests.factories import make_article, make_body_only, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def editor(transactional_db):
    return make_user(role="editor", password=PASSWORD)


def current_row(page, pk):
    """Make the row of `pk` the current one, as j would."""
    page.locator("body").click(position={"x": 2, "y": 2})
    for _ in range(page.locator("tr.queue-row").count()):
        page.keyboard.press("j")
        if page.locator(f"#item-{pk}.current").count():
            return
    raise AssertionError(f"row {pk} never became current")


def test_p_on_a_row_that_needs_its_metadata_says_why(open_page, editor):
    item = make_body_only(title="By staff reporter", body="By staff reporter\n\nThe council met.", source_key="e" * 64)
    make_article(title="A complete item")
    page, watch = open_page(user=editor)
    page.goto("/curate/")
    current_row(page, item.pk)
    page.keyboard.press("p")
    said = page.locator("#flash .message")
    expect()(said).to_have_text(
        re.compile(r"^Publish \(p\) is not offered for “By staff reporter”\. .*needs.*metadata.* It offers: Reject\.", re.I)
    )
    assert Article.objects.get(pk=item.pk).state == ArticleState.NEW
    assert axe_violations(page) == []
    watch.assert_clean()


def test_r_on_a_story_row_says_what_the_row_offers(open_page, editor):
    from django.utils import timezone

    RejectionReason.objects.get_or_create(code="duplicate", defaults={"label": "Duplicate"})
    lead, other = make_article(title="Ferry strike ends"), make_article(title="Ferry strike over")
    now = timezone.now()
    story = Story.objects.create(lead=lead, size=2, created_at=now, updated_at=now)
    Article.objects.filter(pk__in=[lead.pk, other.pk]).update(story=story)
    page, watch = open_page(user=editor)
    page.goto("/curate/")
    with page.expect_navigation():
        page.locator("#queue-by-toggle").click()
    row = page.locator(f'tr.story-row[data-story-id="{story.pk}"]')
    current_row(page, row.get_attribute("data-article-id"))
    page.keyboard.press("r")
    expect()(page.locator("#flash .message")).to_have_text(
        "Reject (r) is not offered for “Ferry strike ends”. "
        "It offers: Publish lead, reject 1 duplicate; Publish lead only."
    )
    assert set(Article.objects.filter(story=story).values_list("state", flat=True)) == {ArticleState.NEW}
    watch.assert_clean()


def test_u_on_the_page_of_a_new_item_says_what_it_offers(open_page, editor):
    item = make_article(title="Tram line opens")
    page, watch = open_page(user=editor)
    page.goto(f"/curate/articles/{item.pk}/")
    page.wait_for_load_state()
    page.keyboard.press("u")
    expect()(page.locator("#flash .message")).to_have_text(
        "Unpublish (u) is not offered for this item. It offers: Publish; Reject."
    )
    assert Article.objects.get(pk=item.pk).state == ArticleState.NEW
    # The keys that are offered still work.
    page.keyboard.press("p")
    expect()(page.locator("#flash .message").last).to_contain_text("Published")
    watch.assert_clean()
