"""A queue row's "Other…" (a rejection reason that needs a note), in Chromium at a phone's width.

The row's menu links such a reason to the item's page, to give the note there. The link
went to "#reject", which no element has: the page opened at its top with "(none given)"
chosen and the focus nowhere, and the editor chose the reason a second time and looked for
the note's field. The page now opens with the reason chosen and the note's field focused.
Worked with the mouse with JavaScript on and off and from the keyboard (r, then the digit)."""

import re

import pytest

from curation.models import ArticleState, RejectionReason
from curation.tests.browser_support import PASSWORD, arrive, axe_violations, expect
from curation.tests.factories import make_article, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HOWS = ["mouse-javascript", "mouse-no-javascript", "keyboard"]


@pytest.mark.parametrize("how", HOWS)
def test_other_from_a_row_opens_the_page_with_the_reason_chosen_and_the_note_focused(open_page, how):
    RejectionReason.objects.update_or_create(code="other", defaults={"label": "Other", "needs_note": True})
    item = make_article(title="Tram line opens")
    editor = make_user(role="editor", password=PASSWORD)
    page, watch = open_page(
        user=editor, java_script_enabled=how != "mouse-no-javascript", viewport={"width": 390, "height": 844}
    )
    check = expect()
    page.goto("/curate/")
    page.wait_for_load_state()
    row = page.locator(f"#item-{item.pk}")
    with page.expect_navigation():
        if how == "keyboard":
            page.locator("body").click(position={"x": 2, "y": 2})
            page.keyboard.press("j")
            page.keyboard.press("r")
            page.keyboard.press(row.get_by_role("link", name=re.compile("Other")).get_attribute("data-digit"))
        else:
            row.locator("summary", has_text="Reject").click()
            row.get_by_role("link", name=re.compile("Other")).click()
    arrive(page, re.compile(rf"/curate/articles/{item.pk}/"))
    bar = page.locator(".actions-bar")
    check(bar.locator("select[name=reason_code]")).to_have_value("other")
    note = bar.get_by_role("textbox", name="Note")
    check(note).to_be_focused()
    check(note).to_be_in_viewport()
    if how != "mouse-no-javascript":
        assert axe_violations(page) == []

    page.keyboard.type("Duplicate of our own report")
    with page.expect_navigation() if how == "mouse-no-javascript" else page.expect_response(re.compile("/reject/")):
        page.keyboard.press("Enter")
    check(page.locator("#flash .message").last).to_contain_text("Rejected")
    item.refresh_from_db()
    assert (item.state, item.rejection_code, item.rejection_reason) == (
        ArticleState.REJECTED,
        "other",
        "Duplicate of our own report",
    )
    watch.assert_clean()
