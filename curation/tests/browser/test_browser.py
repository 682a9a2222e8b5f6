"""The curator workspace in a real browser: Debian's Chromium driven by Playwright.

An editor logs in through the login form, narrows the queue, moves through it with j/k, opens
an item, publishes it with "p", and finds it gone from the new queue and on the public site.
Every page is watched for console errors (a Content-Security-Policy violation is one, so this
also shows there is no inline script), uncaught exceptions and JavaScript dialogs.
Screenshots of the queue and the article pages are saved under test-artifacts/.

Skips when Chromium or the playwright package is missing, unless REQUIRE_BROWSER=1 (CI).
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from curation.models import Article, ArticleState, EditorialAction
from curation.services.editorial import publish_article
from curation.tests.browser_support import (
    PASSWORD,
    arrive,
    expect,
    save_screenshot,
)
from curation.tests.factories import make_article, make_provider, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTILE_TITLE = "<script>alert(1)</script>"


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def newsroom():
    """A small queue: two Daily Planet items, three from the Gazette, and one hostile title."""
    now = timezone.now()
    planet = make_provider(name="Daily Planet", domain="dailyplanet.example")
    gazette = make_provider(name="Gotham Gazette", domain="gazette.example")
    items = {
        "hostile": make_article(title=HOSTILE_TITLE, provider=gazette, published_at=now - timedelta(minutes=30)),
        "moon": make_article(
            title="Moon base opens its doors",
            excerpt="The first visitors arrive at the lunar station.",
            body="The base opened on Monday.\n\nIts first visitors were engineers.",
            provider=planet,
            topics=["Science", "Space"],
            images=["https://img.dailyplanet.example/moon.jpg"],
            published_at=now - timedelta(hours=1),
            quality=81,
            heat=12,
        ),
        "harbour": make_article(
            title="Harbour ferry returns after repairs",
            excerpt="The old ferry is back in service.",
            provider=planet,
            topics=["Transport"],
            published_at=now - timedelta(hours=3),
        ),
    }
    for i in range(3):
        items[f"council{i}"] = make_article(
            title=f"Council meeting agenda {i}", provider=gazette, published_at=now - timedelta(hours=2, minutes=i)
        )
    return items


# --- helpers ------------------------------------------------------------------------------


def row_titles(page):
    return page.locator("tr.queue-row a.row-link").all_inner_texts()


def current_row_id(page):
    return page.locator("tr.queue-row.current").get_attribute("data-article-id")


def log_in_through_the_form(page, username, password=PASSWORD):
    page.goto("/curate/")
    # Anonymous: sent to the login page, which will bring the editor back afterwards.
    expect()(page).to_have_url(re.compile(r"/accounts/login/\?next=/curate/$"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    arrive(page, re.compile(r"/curate/$"))


# --- the editor's day -----------------------------------------------------------------------


def test_editor_logs_in_filters_moves_with_keys_and_publishes_with_p(open_page, newsroom):
    editor = make_user(role="editor", username="edna", password=PASSWORD)
    moon = newsroom["moon"]
    page, watch = open_page()
    check = expect()

    log_in_through_the_form(page, "edna")
    check(page.get_by_role("heading", name="New items")).to_be_visible()
    assert len(row_titles(page)) == 6
    # The hostile title is shown as text, not run (the dialog watcher would see an alert).
    check(page.locator("a.row-link", has_text=HOSTILE_TITLE)).to_have_text(HOSTILE_TITLE)

    # The filter form is taller than the window; its Apply button stays in view.
    check(page.get_by_role("button", name="Apply filters")).to_be_in_viewport()

    # Text search through the filter form.
    page.locator("#id_q").fill("ferry")
    page.get_by_role("button", name="Apply filters").click()
    arrive(page, re.compile(r"[?&]q=ferry"))
    assert row_titles(page) == ["Harbour ferry returns after repairs"]

    # Then by provider instead: the two Daily Planet items, newest first.
    page.locator("#id_q").fill("")
    page.locator("#id_provider").fill("Daily Planet (dailyplanet.example)")  # as the type-ahead fills it
    page.get_by_role("button", name="Apply filters").click()
    arrive(page, re.compile(r"[?&]provider=Daily\+Planet"))
    check(page.get_by_role("heading", name="Filtered queue")).to_be_visible()
    assert row_titles(page) == ["Moon base opens its doors", "Harbour ferry returns after repairs"]

    # "?" lists the shortcuts, and closes the list again.
    page.keyboard.press("?")
    shortcuts = page.locator("dialog#shortcuts")
    check(shortcuts).to_be_visible()
    check(shortcuts).to_contain_text("Publish")
    check(shortcuts).to_contain_text("Next item")
    page.keyboard.press("?")
    check(shortcuts).to_be_hidden()

    # j / k move the selection between rows.
    page.keyboard.press("j")
    check(page.locator("tr.queue-row.current")).to_have_count(1)
    assert current_row_id(page) == str(moon.pk)
    page.keyboard.press("j")
    assert current_row_id(page) == str(newsroom["harbour"].pk)
    page.keyboard.press("k")
    assert current_row_id(page) == str(moon.pk)
    save_screenshot(page, "queue.png")

    # "o" opens the selected item, keeping the filter for previous/next.
    page.keyboard.press("o")
    arrive(page, re.compile(rf"/curate/articles/{moon.pk}/\?.*provider=Daily\+Planet"))
    check(page.get_by_role("heading", level=1)).to_have_text("Moon base opens its doors")
    badge = page.locator(f'.article-header [data-state-for="{moon.pk}"]')
    check(badge).to_have_text("New")
    # Next within the filtered queue is the other Daily Planet item.
    check(page.locator("#next-item")).to_have_attribute("href", re.compile(rf"/articles/{newsroom['harbour'].pk}/"))

    # "p" publishes in place.
    page.keyboard.press("p")
    check(badge).to_have_text("Published")
    check(page.locator("ul.messages")).to_contain_text("Published “Moon base opens its doors”")
    check(page.get_by_role("button", name="Unpublish")).to_be_visible()
    # The editorial history shows the publish without a reload.
    check(page.locator("section.history .history-list li").first).to_contain_text(f"Published by {editor.username}")
    moon.refresh_from_db()
    assert moon.state == ArticleState.PUBLISHED
    assert moon.state_changed_by == editor
    assert EditorialAction.objects.filter(article=moon, actor=editor, action="publish").count() == 1
    save_screenshot(page, "article.png")

    # On the article page, "j" goes to the next item of the same filtered queue.
    page.keyboard.press("j")
    check(page).to_have_url(re.compile(rf"/curate/articles/{newsroom['harbour'].pk}/\?.*provider=Daily\+Planet"))
    check(page.get_by_role("heading", level=1)).to_have_text("Harbour ferry returns after repairs")

    # Gone from the new queue ...
    page.goto("/curate/")
    check(page.get_by_role("heading", name="New items")).to_be_visible()
    titles = row_titles(page)
    assert "Moon base opens its doors" not in titles
    assert len(titles) == 5

    # ... and on the public side: the home page and its own article page.
    page.goto("/")
    story = page.locator(".story-title a", has_text="Moon base opens its doors")
    check(story).to_be_visible()
    assert page.locator(".story-title a").all_inner_texts() == ["Moon base opens its doors"]
    story.click()
    check(page).to_have_url(re.compile(rf"/articles/{moon.pk}(/[^/]+)?/$"))
    check(page.get_by_role("heading", level=1)).to_have_text("Moon base opens its doors")
    check(page.locator(".body")).to_contain_text("Its first visitors were engineers.")
    save_screenshot(page, "public-article.png")

    watch.assert_clean()


def test_without_javascript_the_publish_button_still_works(open_page, newsroom):
    editor = make_user(role="editor", password=PASSWORD)
    harbour = newsroom["harbour"]
    page, watch = open_page(user=editor, java_script_enabled=False)
    check = expect()

    page.goto(f"/curate/articles/{harbour.pk}/")
    page.locator(".actions-bar").get_by_role("button", name="Publish").click()
    check(page).to_have_url(re.compile(rf"/curate/articles/{harbour.pk}/$"))
    check(page.locator("ul.messages")).to_contain_text("Published “Harbour ferry returns after repairs”")
    check(page.locator(f'.article-header [data-state-for="{harbour.pk}"]')).to_have_text("Published")
    harbour.refresh_from_db()
    assert harbour.state == ArticleState.PUBLISHED
    watch.assert_clean()


def test_second_editor_on_a_stale_page_gets_a_conflict_and_the_first_decision_stands(open_page, newsroom):
    first, second = make_user(role="editor"), make_user(role="editor")
    moon = newsroom["moon"]
    page_a, watch_a = open_page(user=first)
    page_b, watch_b = open_page(user=second)
    check = expect()
    for page in (page_a, page_b):
        page.goto(f"/curate/articles/{moon.pk}/")
        check(page.get_by_role("heading", level=1)).to_have_text("Moon base opens its doors")

    page_a.keyboard.press("p")
    check(page_a.locator(f'.article-header [data-state-for="{moon.pk}"]')).to_have_text("Published")
    page_b.keyboard.press("p")  # still shows "New" and the old version
    check(page_b.locator("ul.messages .message.error")).to_contain_text("changed by someone else")

    moon.refresh_from_db()
    assert moon.state == ArticleState.PUBLISHED
    assert moon.state_changed_by == first
    assert list(EditorialAction.objects.filter(article=moon).values_list("actor", flat=True)) == [first.pk]
    watch_a.assert_clean()
    # The refused in-place request is an HTTP 409, which Chromium logs as a failed resource.
    watch_b.assert_clean(allow=["409"])


def test_viewer_sees_no_action_buttons_and_p_does_nothing(open_page, newsroom):
    viewer = make_user(role="viewer")
    moon = newsroom["moon"]
    page, watch = open_page(user=viewer)
    check = expect()

    page.goto(f"/curate/articles/{moon.pk}/")
    check(page.get_by_role("heading", level=1)).to_have_text("Moon base opens its doors")
    for label in ("Publish", "Reject", "Unpublish", "Restore"):
        check(page.get_by_role("button", name=label, exact=True)).to_have_count(0)
    page.keyboard.press("p")
    page.reload()
    check(page.locator(f'.article-header [data-state-for="{moon.pk}"]')).to_have_text("New")
    assert Article.objects.get(pk=moon.pk).state == ArticleState.NEW
    watch.assert_clean()


# --- hostile text and the Content-Security-Policy --------------------------------------------


def test_hostile_text_is_shown_as_text_on_curator_and_public_pages(open_page):
    editor = make_user(role="editor")
    hostile = make_article(
        title=HOSTILE_TITLE,
        excerpt='<img src="x" onerror="alert(2)"> excerpt',
        body='<b>not bold</b>\n\n<iframe src="javascript:alert(3)"></iframe>',
        web_url="javascript:alert(4)",
    )
    publish_article(article=hostile, user=editor)
    page, watch = open_page(user=editor)
    check = expect()

    for path in ("/curate/?state=all", f"/curate/articles/{hostile.pk}/", "/", f"/articles/{hostile.pk}/"):
        response = page.goto(path)
        assert response.status == 200, path
        check(page.get_by_text(HOSTILE_TITLE, exact=True).first).to_be_visible()
        # Nothing the source wrote became an element or a script link.
        assert page.locator("main script, main iframe, main b, main img[src='x']").count() == 0, path
        assert page.locator("a[href^='javascript:' i], img[src^='javascript:' i]").count() == 0, path
        assert page.locator("script:not([src])").count() == 0, f"inline script on {path}"
    check(page.locator(".body")).to_contain_text("<b>not bold</b>")
    watch.assert_clean()


def test_the_page_watch_catches_a_csp_violation_and_a_dialog(open_page):
    """Proves the "no console errors, no dialog" checks above can fail: an inline script is
    refused by the Content-Security-Policy and Chromium reports it on the console."""
    page, watch = open_page(user=make_user(role="editor"))
    page.goto("/curate/")
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate(
            "() => { const s = document.createElement('script'); s.textContent = 'window.ranInline = 1';"
            " document.body.append(s); }"
        )
    assert page.evaluate("() => window.ranInline") is None
    assert any("Content Security Policy" in text for text in watch.console_errors), watch.console_errors
    with pytest.raises(AssertionError, match="console errors"):
        watch.assert_clean()
    # And a script that did run an alert() would be caught too.
    page.evaluate("() => alert('hello')")
    assert watch.dialogs == ["alert: hello"]


# --- layout ---------------------------------------------------------------------------------


def test_a_long_unbroken_title_does_not_make_pages_scroll_sideways(open_page):
    editor = make_user(role="editor")
    article = make_article(
        title="Supercalifragilisticexpialidocious" * 5,
        provider=make_provider(name="The Extremely Long Named International Broadcasting Corporation"),
        topics=["Science", "Local government", "Transport"],
        body="https://example.com/" + "x" * 300,
    )
    publish_article(article=article, user=editor)
    for width in (1280, 390):  # a laptop and a phone
        page, watch = open_page(user=editor, viewport={"width": width, "height": 800})
        for path in ("/curate/?state=all", f"/curate/articles/{article.pk}/", "/", f"/articles/{article.pk}/"):
            page.goto(path)
            scroll_width, client_width = page.evaluate(
                "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert scroll_width <= client_width, f"{path} at {width}px is {scroll_width}px wide"
        watch.assert_clean()
