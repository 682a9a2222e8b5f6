# ruff: noqa: F811 - the browser fixtures are imported from test_browser and requested by name
"""The queue as an all-day tool, in Chromium at 1280x900: 30 one-line rows in the first
screen, no sideways scrolling, score bars, sortable headers, the toolbar, the density
toggle, counts, rejecting with a reason from a row and from the bulk bar, and messages that
clear themselves. Every control is used with the mouse with JavaScript on and off, and from
the keyboard; axe-core finds no serious or critical violation. Screenshots (light and dark)
go to test-artifacts/.
"""

import importlib
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from curation.models import Article, ArticleState, EditorialAction, RejectionReason
from curation.services.editorial import publish_article
from curation.tests.browser_support import PASSWORD, arrive, axe_violations, expect, save_screenshot
from curation.tests.factories import make_article, make_provider, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Titles as the sources write them: long, with names and numbers.
REALISTIC_TITLES = [
    "Heatwave grips southern Europe as temperatures pass 44C in Seville and Córdoba, officials warn of wildfire risk",
    "Central bank holds interest rates for the third month running while signalling cuts could come before the end of the year",
    "Council approves £48m plan to rebuild the harbour ferry terminal after two years of delays and a public inquiry",
    "Researchers say a new battery chemistry could halve the cost of storing solar power for homes and small businesses",
    "Transport strike: what the walkout on Monday means for commuters, schools and hospital appointments across the region",
]


def reasons_as_migrated():
    """The default reasons of migration 0012 (a live-server test's flush removes them)."""
    migration = importlib.import_module("curation.migrations.0012_rejection_reasons")
    for position, (code, label, needs_note) in enumerate(migration.DEFAULT_REASONS, start=1):
        RejectionReason.objects.update_or_create(
            code=code, defaults={"label": label, "needs_note": needs_note, "position": position, "active": True}
        )
    return list(RejectionReason.objects.offered())


@pytest.fixture
def busy_queue(transactional_db):
    """60 new items with long titles, long provider names, several topics and tags."""
    reasons_as_migrated()
    now = timezone.now()
    providers = [
        make_provider(
            name="The Extremely Long Named International Broadcasting Corporation", domain="broadcast.example"
        ),
        make_provider(name="Daily Planet", domain="dailyplanet.example"),
    ]
    items = []
    for n in range(60):
        items.append(
            make_article(
                title=f"{REALISTIC_TITLES[n % len(REALISTIC_TITLES)]} ({n})",
                provider=providers[n % 2],
                topics=["Local government", "Transport", "Climate and environment"][: 1 + n % 3],
                published_at=now - timedelta(minutes=n),
                quality=(n * 17) % 160 if n % 7 else None,
                heat=(n * 13) % 100 if n % 2 else -1,
                related_count=n % 4,
                images=[f"https://img.example/{n}.jpg"],
                source_changed_at=now if n % 11 == 0 else None,
            )
        )
    return items


def fully_visible_rows(page):
    return page.evaluate(
        """() => Array.from(document.querySelectorAll("tr.queue-row")).filter((row) => {
            const box = row.getBoundingClientRect();
            return box.top >= 0 && box.bottom <= window.innerHeight;
        }).length"""
    )


def sideways(page):
    return page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")


# --- density -------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_thirty_one_line_rows_fit_the_first_screen_without_sideways_scrolling(open_as_editor, busy_queue, scheme):
    page, watch = open_as_editor("/curate/", color_scheme=scheme)
    page.wait_for_load_state()
    save_screenshot(page, f"queue-compact-{scheme}.png", full_page=False)
    assert fully_visible_rows(page) >= 30
    scroll_width, client_width = sideways(page)
    assert scroll_width <= client_width, f"the queue is {scroll_width}px wide at {client_width}px"
    # One line each: every row as tall as the shortest (no wrapped title, no wrapped buttons).
    heights = page.evaluate(
        "() => Array.from(document.querySelectorAll('tr.queue-row')).map((r) => r.getBoundingClientRect().height)"
    )
    assert max(heights) - min(heights) < 2, heights
    # The title is cut with an ellipsis, the full title is on hover (title attribute)...
    first = page.locator("tr.queue-row").first
    link = first.locator("a.row-link")
    full = busy_queue[0].title
    assert link.get_attribute("title") == full
    assert link.evaluate("(a) => a.scrollWidth > a.clientWidth && getComputedStyle(a).textOverflow === 'ellipsis'")
    # ... and in the row's expanded view (the current row shows its title whole).
    first.locator("td.date-col").click()
    expect()(first).to_have_class(re.compile(r"\bcurrent\b"))
    assert link.evaluate("(a) => a.scrollWidth <= a.clientWidth")
    # Reject is a whole button, not cut to "Re".
    reject = first.locator("summary.btn.reject")
    assert reject.evaluate("(el) => el.scrollWidth <= el.clientWidth + 1")
    assert axe_violations(page) == []
    save_screenshot(page, f"queue-compact-{scheme}.png", full_page=False)
    watch.assert_clean()


def test_density_toggle_with_the_mouse_with_and_without_javascript_and_the_keyboard(open_page, busy_queue):
    editor = make_user(role="editor", password=PASSWORD)
    for js in (True, False):
        page, watch = open_page(user=editor, java_script_enabled=js)
        page.goto("/curate/")
        assert page.locator("img.thumb").count() == 0  # compact: no thumbnails
        page.get_by_role("button", name="Comfortable rows").click()
        arrive(page, re.compile(r"/curate/#density-toggle$"))
        expect()(page.locator("body")).to_have_class(re.compile("density-comfortable"))
        assert page.locator("img.thumb").count() == 50  # a page of 50
        page.reload()  # remembered
        expect()(page.locator("body")).to_have_class(re.compile("density-comfortable"))
        if js:
            save_screenshot(page, "queue-comfortable-light.png", full_page=False)
        # Back with the keyboard: focus the toggle and press Enter.
        page.get_by_role("button", name="Compact rows").focus()
        page.keyboard.press("Enter")
        arrive(page, re.compile(r"/curate/#density-toggle$"))
        expect()(page.locator("body")).to_have_class(re.compile("density-compact"))
        watch.assert_clean()


# --- scores and counts ---------------------------------------------------------------------


def test_scores_are_bars_by_band_and_unknown_is_a_muted_dash(open_page):
    editor = make_user(role="editor", password=PASSWORD)
    high = make_article(title="High quality, hot", quality=120, heat=85)
    low = make_article(title="Low quality, heat unknown", quality=10, heat=-1)
    page, watch = open_page(user=editor)
    page.goto("/curate/")
    row = page.locator(f'tr[data-article-id="{high.pk}"]')
    check = expect()
    check(row.locator("td.score-col").nth(0).locator(".score.band-top .value")).to_have_text("120")
    check(row.locator("td.score-col").nth(1).locator(".score.band-top .value")).to_have_text("85")
    other = page.locator(f'tr[data-article-id="{low.pk}"]')
    check(other.locator("td.score-col").nth(0).locator(".score.band-low")).to_be_visible()
    heat = other.locator("td.score-col").nth(1)
    check(heat.locator(".unknown")).to_have_attribute("title", "Heat: unknown")
    check(heat.locator(".unknown")).to_have_text("– unknown")  # "unknown" for screen readers only
    assert heat.locator(".unknown .visually-hidden").evaluate("(el) => el.getBoundingClientRect().width") <= 1
    assert "-1" not in heat.inner_text()
    check(page.locator("#match-count")).to_have_text("2 items match")
    check(page.locator(".site-header .nav-count")).to_contain_text("2")
    watch.assert_clean()


# --- sorting -------------------------------------------------------------------------------


def titles(page):
    return page.locator("tr.queue-row a.row-link").all_inner_texts()


@pytest.fixture
def three_qualities(transactional_db):
    return [make_article(title=f"Quality {q}", quality=q) for q in (30, 90, 60)]


@pytest.mark.parametrize("js", [True, False])
def test_a_header_click_sorts_and_a_second_click_reverses(open_as_editor, three_qualities, js):
    page, watch = open_as_editor("/curate/", java_script_enabled=js)
    header = page.locator("th.score-col").first
    header.get_by_role("link").click()
    arrive(page, re.compile(r"sort=-quality"))
    assert titles(page) == ["Quality 90", "Quality 60", "Quality 30"]
    expect()(page.locator("th.score-col").first).to_have_attribute("aria-sort", "descending")
    page.locator("th.score-col").first.get_by_role("link").click()
    arrive(page, re.compile(r"sort=quality"))
    assert titles(page) == ["Quality 30", "Quality 60", "Quality 90"]
    expect()(page.locator("th.score-col").first).to_have_attribute("aria-sort", "ascending")
    watch.assert_clean()


def test_headers_sort_from_the_keyboard(open_as_editor, three_qualities):
    page, watch = open_as_editor("/curate/")
    page.locator("th.score-col").first.get_by_role("link").focus()
    page.keyboard.press("Enter")
    arrive(page, re.compile(r"sort=-quality"))
    assert titles(page)[0] == "Quality 90"
    watch.assert_clean()


def test_toolbar_sort_and_size_apply_on_change_with_javascript(open_as_editor, three_qualities):
    page, watch = open_as_editor("/curate/")
    expect()(page.locator(".queue-toolbar .apply-button")).to_be_hidden()  # nothing to press with JS
    page.locator("#toolbar-sort").select_option("quality")
    arrive(page, re.compile(r"sort=quality"))
    assert titles(page) == ["Quality 30", "Quality 60", "Quality 90"]
    page.locator("#id_size").select_option("20")
    arrive(page, re.compile(r"size=20"))
    expect()(page.locator("#toolbar-sort")).to_have_value("quality")  # kept
    # Typed text waits for Enter (leaving the field does not reload the page)...
    page.locator("#id_quality_min").fill("50")
    page.locator("#id_quality_min").press("Tab")
    page.wait_for_timeout(300)
    assert "quality_min=50" not in page.url
    page.locator("#id_quality_min").press("Enter")
    arrive(page, re.compile(r"quality_min=50"))
    assert titles(page) == ["Quality 60", "Quality 90"]
    # ... a choice in the side panel applies as it changes.
    page.get_by_label("Heat unknown").select_option("unknown")
    arrive(page, re.compile(r"heat_known=unknown"))
    expect()(page.get_by_label("Quality ≥")).to_have_value("50")
    watch.assert_clean()


def test_toolbar_sort_applies_with_its_button_without_javascript(open_as_editor, three_qualities):
    page, watch = open_as_editor("/curate/", java_script_enabled=False)
    page.locator("#toolbar-sort").select_option("-quality")
    page.locator(".queue-toolbar").get_by_role("button", name="Apply").click()
    arrive(page, re.compile(r"sort=-quality"))
    assert titles(page) == ["Quality 90", "Quality 60", "Quality 30"]
    # And from the keyboard: focus the select, pick with the arrows, Enter on Apply.
    page.locator("#toolbar-sort").focus()
    page.locator("#toolbar-sort").select_option("quality")
    page.locator(".queue-toolbar .apply-button").focus()
    page.keyboard.press("Enter")
    arrive(page, re.compile(r"sort=quality"))
    assert titles(page)[0] == "Quality 30"
    watch.assert_clean()


# --- rejecting with a reason -----------------------------------------------------------------


@pytest.fixture
def reasons(transactional_db):
    return reasons_as_migrated()


def assert_rejected(article, code):
    stored = Article.objects.get(pk=article.pk)
    assert stored.state == ArticleState.REJECTED
    assert stored.rejection_code == code
    audit = EditorialAction.objects.filter(article=article, action=EditorialAction.Action.REJECT).get()
    assert audit.reason_code == code


@pytest.mark.parametrize("js", [True, False])
def test_reject_with_a_reason_from_the_row_with_the_mouse(open_page, reasons, js):
    editor = make_user(role="editor", password=PASSWORD)
    article = make_article(title="A duplicate story")
    make_article(title="Another story", published_at=timezone.now() - timedelta(hours=1))
    page, watch = open_page(user=editor, java_script_enabled=js)
    page.goto("/curate/")
    row = page.locator(f'tr[data-article-id="{article.pk}"]')
    row.locator("summary.btn.reject").click()
    reason = reasons[0]
    button = row.locator(".reject-menu .menu-item", has_text=reason.label)
    if js:
        button.click()
        expect()(row.locator(f'[data-state-for="{article.pk}"]')).to_have_text("Rejected")
        expect()(page.locator("#flash .message").last).to_contain_text("Rejected")
    else:
        with page.expect_navigation():
            button.click()
        expect()(page.locator("#flash .message")).to_contain_text("Rejected")
    assert_rejected(article, reason.code)
    if js:
        assert axe_violations(page) == []
    watch.assert_clean()


def test_reject_with_r_then_a_digit_and_focus_moves_on(open_page, reasons):
    editor = make_user(role="editor", password=PASSWORD)
    now = timezone.now()
    first = make_article(title="First in line", published_at=now)
    second = make_article(title="Second in line", published_at=now - timedelta(minutes=1))
    page, watch = open_page(user=editor)
    page.goto("/curate/")
    page.wait_for_load_state()
    page.keyboard.press("j")
    expect()(page.locator("tr.queue-row.current")).to_have_attribute("data-article-id", str(first.pk))
    page.keyboard.press("r")
    expect()(page.locator(f'tr[data-article-id="{first.pk}"] details.reject-menu')).to_have_attribute("open", "")
    save_screenshot(page, "queue-reject-menu-light.png", full_page=False)
    page.keyboard.press("2")  # the second reason offered
    expect()(page.locator("tr.queue-row.current")).to_have_attribute("data-article-id", str(second.pk))
    expect()(page.locator(f'tr[data-article-id="{second.pk}"] a.row-link')).to_be_focused()
    assert_rejected(first, reasons[1].code)
    # Escape closes the menu without deciding; 0 rejects with no reason.
    page.keyboard.press("r")
    page.keyboard.press("Escape")
    expect()(page.locator("details.reject-menu[open]")).to_have_count(0)
    assert Article.objects.get(pk=second.pk).state == ArticleState.NEW
    page.keyboard.press("r")
    page.keyboard.press("0")
    expect()(page.locator(f'[data-state-for="{second.pk}"]')).to_have_text("Rejected")
    assert_rejected(second, "")
    watch.assert_clean()


@pytest.mark.parametrize("js", [True, False])
def test_bulk_reject_with_a_reason(open_page, reasons, js):
    editor = make_user(role="editor", password=PASSWORD)
    picked = [make_article(title=f"Picked {n}") for n in range(2)]
    kept = make_article(title="Not picked")
    page, watch = open_page(user=editor, java_script_enabled=js)
    page.goto("/curate/")
    for article in picked:
        page.locator(f'tr[data-article-id="{article.pk}"] input[name="ids"]').check()
    page.locator("#bulk-action").select_option("reject")
    page.locator("#bulk-reason-code").select_option(reasons[2].code)
    with page.expect_navigation():
        page.get_by_role("button", name="Apply decision").click()
    expect()(page.locator("#flash .message")).to_contain_text("2 items rejected")
    for article in picked:
        assert_rejected(article, reasons[2].code)
    assert Article.objects.get(pk=kept.pk).state == ArticleState.NEW
    watch.assert_clean()


# --- messages --------------------------------------------------------------------------------


def test_confirmations_clear_themselves_and_errors_stay_until_dismissed(open_page):
    editor = make_user(role="editor", password=PASSWORD)
    items = [make_article(title=f"Item {n}", published_at=timezone.now() - timedelta(minutes=n)) for n in range(5)]
    page, watch = open_page(user=editor)
    page.clock.install()
    page.goto("/curate/")
    page.wait_for_load_state()
    for article in items[:4]:
        page.locator(f'tr[data-article-id="{article.pk}"]').get_by_role("button", name="Publish").click()
        expect()(page.locator(f'[data-state-for="{article.pk}"]')).to_have_text("Published")
    assert page.locator("#flash .message").count() <= 3  # they do not pile up
    page.clock.run_for(7_000)
    expect()(page.locator("#flash .message")).to_have_count(0)
    # A refusal (the item changed since the page showed it) stays until dismissed.
    publish_article(article=items[4], user=make_user(role="editor"))
    page.locator(f'tr[data-article-id="{items[4].pk}"]').get_by_role("button", name="Publish").click()
    error = page.locator("#flash .message.error")
    expect()(error).to_contain_text("changed by someone else")
    page.clock.run_for(30_000)
    expect()(error).to_have_count(1)
    assert axe_violations(page) == []
    error.get_by_role("button", name="Dismiss this message").click()
    expect()(page.locator("#flash .message")).to_have_count(0)
    watch.assert_clean(allow=("409",))


# --- provider and topic type-ahead ----------------------------------------------------------


@pytest.fixture
def outlets(transactional_db):
    planet = make_provider(name="Daily Planet", domain="dailyplanet.example")
    gazette = make_provider(name="Gotham Gazette", domain="gazette.example")
    for n in range(40):
        make_provider(name=f"Outlet {n}", domain=f"outlet{n}.example")
    return {
        "planet": make_article(title="Planet story", provider=planet, topics=["Science"]),
        "gazette": make_article(title="Gazette story", provider=gazette, topics=["Local government"]),
    }


def test_provider_type_ahead_suggests_and_filters_with_javascript(open_as_editor, outlets):
    page, watch = open_as_editor("/curate/")
    field = page.get_by_label("Provider")
    field.click()  # the mouse
    field.press_sequentially("daily", delay=20)
    options = page.locator("#providers-suggestions option")
    expect()(options).to_have_count(1)
    assert options.first.get_attribute("value") == "Daily Planet (dailyplanet.example)"
    field.fill("Daily Planet (dailyplanet.example)")  # as picking the suggestion does
    field.press("Enter")  # the keyboard: Enter applies
    arrive(page, re.compile(r"provider=Daily"))
    assert titles(page) == ["Planet story"]
    expect()(page.get_by_label("Provider")).to_have_value("Daily Planet (dailyplanet.example)")
    # The topic field suggests too.
    topic = page.get_by_label("Topic")
    topic.press_sequentially("sci", delay=20)
    expect()(page.locator("#topics-suggestions option")).to_have_count(1)
    topic.fill("Science")
    topic.press("Enter")
    arrive(page, re.compile(r"topic=Science"))
    assert titles(page) == ["Planet story"]
    assert axe_violations(page) == []
    watch.assert_clean()


def test_provider_filter_by_name_without_javascript(open_as_editor, outlets):
    page, watch = open_as_editor("/curate/", java_script_enabled=False)
    page.get_by_label("Provider").fill("gazette.example")
    page.get_by_role("button", name="Apply filters").click()
    arrive(page, re.compile(r"provider=gazette.example"))
    assert titles(page) == ["Gazette story"]
    watch.assert_clean()


# --- bulk beyond the page, and undo ----------------------------------------------------------


@pytest.fixture
def five_good(transactional_db, monkeypatch):
    from curation.services import bulk

    monkeypatch.setattr(bulk, "MAX_BULK_ITEMS", 2)  # three chunks for five items
    now = timezone.now()
    good = [make_article(title=f"Good {n}", quality=60 + n, published_at=now - timedelta(minutes=n)) for n in range(5)]
    make_article(title="Low", quality=10)
    return good


@pytest.mark.parametrize("js", [True, False])
def test_publish_all_matching_in_chunks_then_undo_with_the_mouse(open_page, five_good, js):
    editor = make_user(role="editor", password=PASSWORD)
    page, watch = open_page(user=editor, java_script_enabled=js)
    if js:
        page.clock.install()
    page.goto("/curate/?quality_min=50&size=20")
    page.locator('input[name="scope"][value="matching"]').check()  # "All (5) matching": the count arrives with JS
    page.locator("#bulk-action").select_option("publish")
    page.get_by_role("button", name="Apply decision").click()
    if not js:  # one chunk per request: Continue until done
        for done in (2, 4):
            progress = page.locator("#bulk-result")
            expect()(progress).to_contain_text(f"{done} items published.")
            progress.get_by_role("button", name=re.compile("Continue")).click()
    result = page.locator("#flash .message", has_text="5 items published.")
    expect()(result).to_be_visible()
    assert [a.state for a in Article.objects.filter(pk__in=[g.pk for g in five_good])] == ["published"] * 5
    assert Article.objects.get(title="Low").state == ArticleState.NEW
    assert axe_violations(page) == [] if js else True
    if js:
        page.clock.run_for(10_000)  # a result with Undo stays until dismissed
        save_screenshot(page, "queue-bulk-undo-light.png", full_page=False)
        expect()(result).to_be_visible()
    result.get_by_role("button", name="Undo").click()
    expect()(page.locator("#flash .message")).to_contain_text("Undone: 5 items are as before.")
    assert {a.state for a in Article.objects.filter(pk__in=[g.pk for g in five_good])} == {ArticleState.NEW}
    assert EditorialAction.objects.filter(action=EditorialAction.Action.UNDO).count() == 5
    watch.assert_clean()


def test_bulk_and_undo_from_the_keyboard(open_as_editor, five_good):
    page, watch = open_as_editor("/curate/?quality_min=50")
    page.wait_for_load_state()
    page.keyboard.press("j")
    page.keyboard.press("x")  # tick the first row
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.locator("#bulk-action").focus()
    page.keyboard.press("End")  # ...down to "Reject" by keys
    page.locator("#bulk-action").select_option("reject")
    page.get_by_role("button", name="Apply decision").focus()
    page.keyboard.press("Enter")
    result = page.locator("#flash .message", has_text="2 items rejected.")
    expect()(result).to_be_visible()
    result.get_by_role("button", name="Undo").focus()
    page.keyboard.press("Enter")
    expect()(page.locator("#flash .message")).to_contain_text("Undone: 2 items are as before.")
    assert {a.state for a in Article.objects.filter(pk__in=[g.pk for g in five_good])} == {ArticleState.NEW}
    watch.assert_clean()


@pytest.mark.parametrize("js", [True, False])
def test_a_filtered_count_arrives_after_the_page_or_on_request(open_page, three_qualities, js):
    editor = make_user(role="editor", password=PASSWORD)
    page, watch = open_page(user=editor, java_script_enabled=js)
    page.goto("/curate/?quality_min=50&size=1")  # more than one page: the count is asked for
    count = page.locator("#match-count")
    if js:
        expect()(count).to_have_text("2 items match")
        expect()(page.locator(".bulk-scope")).to_contain_text("All 2 matching")
    else:
        count.get_by_role("link", name="How many match?").click()
        arrive(page, re.compile(r"count=1"))
        expect()(page.locator("#match-count")).to_have_text("2 items match")
        assert len(titles(page)) == 1
    watch.assert_clean()


@pytest.mark.parametrize("js", [True, False])
@pytest.mark.parametrize("how", ["keyboard", "mouse"])
def test_the_first_tab_offers_to_skip_the_navigation_and_filters_to_the_list(open_as_editor, three_qualities, js, how):
    page, watch = open_as_editor("/curate/", java_script_enabled=js)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the list")
    expect()(skip).to_be_focused()
    expect()(skip).to_be_in_viewport()  # shown while focused, off-screen otherwise
    if how == "keyboard":
        page.keyboard.press("Enter")
    else:
        skip.click()
    page.keyboard.press("Tab")
    inside = page.evaluate("document.getElementById('queue-results').contains(document.activeElement)")
    in_filters = page.evaluate("!!document.activeElement.closest('.queue-filters')")
    assert inside and not in_filters
    watch.assert_clean()


def test_other_pages_skip_to_their_content(open_as_editor, three_qualities):
    page, watch = open_as_editor(f"/curate/articles/{three_qualities[0].pk}/")
    page.keyboard.press("Tab")
    expect()(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)")
    watch.assert_clean()
