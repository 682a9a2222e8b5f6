"""The queue's row decisions on narrow screens, in Chromium.

Below 1240 px the list keeps its width and scrolls sideways in its own box. The Actions
column came last, beyond the box's right edge: on a phone (390 px) and at 1024 px no row
showed Publish or Reject until the editor swiped the list sideways, which took the titles
out of sight. The decisions now stay at the box's right edge. Worked with the mouse with
JavaScript on and off and from the keyboard; the Reject menu opens above the rows below."""

import re

import pytest

from curation.models import Article, ArticleState, RejectionReason
from curation.tests.browser_support import PASSWORD, axe_violations, expect, operate
from curation.tests.factories import make_article, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HOWS = ["mouse-javascript", "mouse-no-javascript", "keyboard"]
WIDTHS = [pytest.param(390, id="phone"), pytest.param(1024, id="tablet")]


@pytest.fixture
def queue(transactional_db):
    RejectionReason.objects.get_or_create(code="duplicate", defaults={"label": "Duplicate"})
    return [make_article(title=f"Harbour council approves the new ferry timetable ({n})") for n in range(12)]


def in_sight(page, control):
    """The control lies within the screen, and a tap at its middle lands on it."""
    return control.evaluate(
        "(el) => { const r = el.getBoundingClientRect();"
        " if (r.left < 0 || r.right > window.innerWidth || r.top < 0 || r.bottom > window.innerHeight) return false;"
        " return el.contains(document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2)); }"
    )


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("how", HOWS)
def test_a_rows_decisions_are_in_sight_and_work(open_page, queue, how, width):
    editor = make_user(role="editor", password=PASSWORD)
    page, watch = open_page(
        user=editor, java_script_enabled=how != "mouse-no-javascript", viewport={"width": width, "height": 844}
    )
    check = expect()
    page.goto("/curate/")
    page.wait_for_load_state()
    item = queue[5]
    row = page.locator(f"#item-{item.pk}")
    row.evaluate("(row) => row.scrollIntoView({ block: 'center' })")
    publish = row.get_by_role("button", name="Publish")
    assert in_sight(page, publish), "the row's Publish is beyond the screen's edge"
    assert in_sight(page, row.locator("summary", has_text="Reject")), "the row's Reject is beyond the screen's edge"
    # The title keeps its room: its start is not under the decisions.
    link = row.locator("a.row-link")
    assert link.evaluate(
        "(a) => { const r = a.getBoundingClientRect(); return a.contains(document.elementFromPoint(r.left + 5, r.top + r.height / 2))"
        " && document.elementFromPoint(r.left + 100, r.top + r.height / 2).closest('a') === a; }"
    ), "the title is covered"
    if how != "mouse-no-javascript":
        assert axe_violations(page) == []

    operate(page, publish, how)
    check(page.locator("#flash .message").last).to_contain_text("Published")
    assert Article.objects.get(pk=item.pk).state == ArticleState.PUBLISHED

    # The Reject menu of a row opens above the rows after it (their decisions stay put).
    other = queue[8]
    row = page.locator(f"#item-{other.pk}")
    row.evaluate("(row) => row.scrollIntoView({ block: 'center' })")
    menu = row.locator("details.reject-menu")
    operate(page, menu.locator("summary"), how, loads_page=False)
    check(menu).to_have_attribute("open", "")
    choice = menu.locator(".menu-item", has_text="Duplicate")
    assert in_sight(page, choice), "the menu's reason is under the next rows"
    operate(page, choice, how)
    check(page.locator("#flash .message").last).to_contain_text(re.compile("Rejected"))
    assert Article.objects.get(pk=other.pk).state == ArticleState.REJECTED
    watch.assert_clean()


@pytest.mark.parametrize("how", HOWS)
def test_the_article_pages_queue_links_stay_whole_on_a_phone(open_page, queue, how):
    """At 390 px "‹ Previous" and "Next ›" broke in two ("‹" above "Previous", "›" under
    "Next"), each a two-line link beside the others."""
    editor = make_user(role="editor", password=PASSWORD)
    page, watch = open_page(
        user=editor, java_script_enabled=how != "mouse-no-javascript", viewport={"width": 390, "height": 844}
    )
    page.goto(f"/curate/articles/{queue[5].pk}/")
    page.wait_for_load_state()
    nav = page.get_by_role("navigation", name="Queue navigation")
    for name in ("Back to the queue", "Previous", "Next"):
        link = nav.get_by_role("link", name=re.compile(name))
        lines = link.evaluate(
            "(a) => { const range = document.createRange(); range.selectNodeContents(a);"
            " return new Set([...range.getClientRects()].map((r) => Math.round(r.bottom))).size; }"
        )
        assert lines == 1, f"“{name}” is broken over {lines} lines"
        assert in_sight(page, link)
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    following = nav.get_by_role("link", name=re.compile("Next"))
    href = following.get_attribute("href")
    operate(page, following, how, loads_page=True)
    expect()(page).to_have_url(re.compile(re.escape(href) + "$"))
    watch.assert_clean()
