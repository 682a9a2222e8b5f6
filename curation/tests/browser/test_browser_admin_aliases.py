"""A topic's *Also known as* in the admin, in Chromium at 1280x800: an admin sees the name
merged into it and deletes that alias with the mouse (JavaScript on and off) and with the
keyboard alone; axe finds no violation on the change page (checked with JavaScript on: axe
is a script). Screenshots in test-artifacts/admin-aliases-*.png."""

import pytest

from curation.models import TopicAlias
from curation.services.taxonomy_merge import merge_topics
from curation.tests.browser_support import axe_violations, expect, operate, save_screenshot
from curation.tests.factories import make_article, make_topic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture
def kept(admin_user):
    kept, ai = make_topic(name="Artificial intelligence"), make_topic(name="AI")
    make_article(topics=[ai])
    merge_topics(keep=kept.pk, ids=[kept.pk, ai.pk], user=admin_user)
    return kept


@pytest.mark.parametrize("how", ["mouse-javascript", "mouse-no-javascript", "keyboard"])
def test_an_admin_sees_an_alias_and_deletes_it(open_page, admin_user, kept, how):
    javascript = how != "mouse-no-javascript"
    page, watch = open_page(user=admin_user, viewport=VIEWPORT, java_script_enabled=javascript)
    page.goto(f"/admin/curation/topic/{kept.pk}/change/")

    inline = page.get_by_role("heading", name="Also known as", exact=False)
    expect()(inline).to_be_visible()
    row = page.locator("#aliases-group tr.has_original, #aliases-group tr.form-row").filter(has_text="AI")
    expect()(row.first).to_contain_text("ai")  # the old slug, still redirecting
    if javascript:
        watch.assert_clean()  # the page's own scripts, before axe runs
        assert axe_violations(page, impacts=None) == []  # every impact, minor ones too
        # axe's own probes apply inline styles, which the admin's CSP blocks and reports: its
        # noise, not the page's; what the deletion logs after it is checked at the end.
        watch.console_errors.clear()
    save_screenshot(page, f"admin-aliases-before-{how}.png")

    delete = page.get_by_role("checkbox", name="Delete", exact=False)
    if how == "keyboard":
        delete.focus()
        page.keyboard.press("Space")
    else:
        delete.click()
    expect()(delete).to_be_checked()
    operate(page, page.locator("input[name=_continue]"), how, loads_page=True)

    expect()(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
    expect()(page.locator("#aliases-group")).to_have_count(0)  # none left: the inline is not shown
    save_screenshot(page, f"admin-aliases-after-{how}.png")
    assert not TopicAlias.objects.exists()
    watch.assert_clean()
