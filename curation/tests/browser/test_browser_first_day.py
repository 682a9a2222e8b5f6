# ruff: noqa: F811 - fixtures are imported from the stats and rules tests and requested by name
"""A new editor's first day, in Chromium: what a first walk through the curator met that
confused or failed, each worked with the mouse (JavaScript on and off) and the keyboard."""

import re

import pytest

from curation.models import ArticleState, Rule
from curation.services import rules
from curation.services.rule_conditions import validate_definition
from curation.tests.browser.test_browser_rules import rule_editor  # noqa: F401 - a fixture
from curation.tests.browser.test_browser_stats import newsroom  # noqa: F401 - a fixture
from curation.tests.browser_support import arrive, axe_violations, expect, operate
from curation.tests.factories import make_article, make_body_only

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HOWS = ["mouse-javascript", "mouse-no-javascript", "keyboard"]
PHONE = {"width": 390, "height": 844}


def laid_out(page):
    """Wait for the page's stylesheets: after a form's POST the new page's text can be read
    (and a test go on) before its stylesheets arrive, and a layout measured then is the
    unstyled one (the rules list once measured 621 px sideways at 390 px: the queue's 62rem
    table without rules.css; reproduced with 1.5 s of network latency)."""
    page.wait_for_load_state()


def sideways(page):
    """How far the page scrolls sideways (0: not at all)."""
    laid_out(page)
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def tab_stops_out_of_sight(page, most=80):
    """Tab through the page: the controls the focus lands on that lie beyond the screen's
    sides (a phone user would not see where they are)."""
    laid_out(page)
    width = page.viewport_size["width"]
    out = []
    for _ in range(most):
        page.keyboard.press("Tab")
        box = page.evaluate(
            "() => { const e = document.activeElement; if (!e || e === document.body) return null;"
            " const r = e.getBoundingClientRect(); return [e.outerHTML.slice(0, 80), r.left, r.right]; }"
        )
        if box and (box[1] < -1 or box[2] > width + 1):
            out.append(box)
    return out


@pytest.mark.parametrize("how", HOWS)
def test_an_item_without_metadata_is_not_offered_a_schedule_it_would_refuse(open_page, editor, how):
    """The schedule panel offered Go live / Schedule on a body-only item: the time typed was
    refused ("needs its metadata completed ... before publishing") and lost. It now says
    to complete the metadata first, links there, and offers the form once that is done."""
    item = make_body_only(title="By staff reporter", body="By staff reporter\n\nThe council met.", source_key="f" * 64)
    page, watch = open_page(user=editor, java_script_enabled=how != "mouse-no-javascript")
    check = expect()
    page.goto(f"/curate/articles/{item.pk}/")
    panel = page.locator("#schedule")
    check(panel).to_contain_text("Scheduling publishes the item")
    check(panel.locator("#schedule_go_live_at")).to_have_count(0)
    check(panel.get_by_role("button", name="Schedule", exact=True)).to_have_count(0)
    if how != "mouse-no-javascript":
        assert axe_violations(page) == []

    operate(page, panel.get_by_role("link", name="complete its metadata"), how, loads_page=False)
    check(page).to_have_url(re.compile(r"#body-only-heading$"))
    check(page.locator("#body-only-heading")).to_be_in_viewport()
    if how == "keyboard":
        page.keyboard.press("Tab")  # the focus goes on from the form's heading: its first field
        check(page.locator(".complete-form input[name=title]")).to_be_focused()

    form = page.locator(".complete-form")
    form.locator("input[name=provider_name]").fill("Harbour Gazette")
    form.locator("input[name=published_at]").fill("2026-03-02T09:30")
    operate(page, form.get_by_role("button", name="Complete metadata"), how, loads_page=True)
    arrive(page, re.compile(rf"/curate/articles/{item.pk}/"))
    check(page.locator("#schedule_go_live_at")).to_be_visible()
    check(page.locator("#schedule")).not_to_contain_text("Scheduling publishes the item")
    item.refresh_from_db()
    assert item.state == ArticleState.NEW and item.provider is not None
    watch.assert_clean(allow=["favicon"])


@pytest.mark.parametrize("how", HOWS)
def test_a_search_for_a_published_headline_says_where_it_looked_and_looks_wider(open_page, editor, how):
    """The queue searches New by default: a search for a published item said "Nothing
    matches these filters", as if it did not exist. It now names the state and links to
    the same search over every state."""
    make_article(title="Drought forces farmers to rethink crops", state=ArticleState.PUBLISHED)
    make_article(title="Council approves night buses")
    page, watch = open_page(user=editor, java_script_enabled=how != "mouse-no-javascript")
    check = expect()
    page.goto("/curate/?q=drought")
    check(page.locator("#queue-empty")).to_contain_text("Nothing in the state “New (the queue)” matches these filters.")
    if how != "mouse-no-javascript":
        assert axe_violations(page) == []
    operate(page, page.get_by_role("link", name="Look in every state"), how, loads_page=True)
    arrive(page, re.compile(r"/curate/\?q=drought&state=all$"))
    check(page.locator("#queue-table tbody tr")).to_have_count(1)
    check(page.locator("#queue-table")).to_contain_text("Drought forces farmers")
    check(page.locator("#id_state")).to_have_value("all")
    check(page.locator("#id_q")).to_have_value("drought")
    watch.assert_clean(allow=["favicon"])


@pytest.mark.parametrize("javascript", [True, False])
def test_on_a_phone_the_statistics_fit_the_screen_with_their_numbers(open_page, newsroom, javascript):
    """At 390 px the figures kept a 36rem minimum (the page scrolled sideways to 595 px) and
    each Numbers table the queue's 62rem (its figures hidden off to the right)."""
    page, watch = open_page(user=newsroom[0], viewport=PHONE, java_script_enabled=javascript)
    check = expect()
    page.goto("/curate/stats/")
    if javascript:
        page.wait_for_selector("#stats[data-drawn]", state="attached")
    assert sideways(page) == 0
    figure = page.locator("#figure-editors")
    figure.locator("details").evaluate("d => d.open = true")
    last_header = figure.locator("thead th").last
    check(last_header).to_have_text("Merged")
    box, frame = last_header.bounding_box(), figure.bounding_box()
    assert box["x"] + box["width"] <= frame["x"] + frame["width"], (box, frame)
    if javascript:
        assert axe_violations(page) == []
    watch.assert_clean(allow=["favicon"])


def test_on_a_phone_every_statistics_control_tabbed_to_is_in_sight(open_page, newsroom):
    page, watch = open_page(user=newsroom[0], viewport=PHONE)
    page.goto("/curate/stats/")
    page.wait_for_selector("#stats[data-drawn]", state="attached")
    assert tab_stops_out_of_sight(page) == []
    watch.assert_clean(allow=["favicon"])


LONG_RULE = "Quality 70 or more goes live (the aggregator's own rule)"


def long_named_rules():
    for name in (LONG_RULE, "Second rule"):
        rules.save_rule(
            name=name,
            definition=validate_definition({"when": {"quality_min": 70}, "action": "publish"}),
            enabled=False,
        )


@pytest.mark.parametrize("javascript", [True, False])
def test_the_rules_list_shows_a_rules_name_whole_and_fits_a_phone(open_page, rule_editor, javascript):
    """The list borrowed the queue's fixed one-line cells: a rule's name was cut ("Quality
    70 or more goes liv…") beside a wide Order column at 1280 px, and at 390 px the page
    scrolled sideways to 1011 px."""
    long_named_rules()
    page, watch = open_page(user=rule_editor, java_script_enabled=javascript)
    check = expect()
    page.goto("/curate/rules/")
    name_cell = page.locator(".rule-row").first.locator("td").nth(1)
    check(name_cell).to_contain_text(LONG_RULE)
    assert name_cell.evaluate("td => td.scrollWidth <= td.clientWidth"), "the rule's name is cut"
    if javascript:
        assert axe_violations(page) == []

    page.set_viewport_size(PHONE)
    assert sideways(page) == 0
    page.get_by_role("button", name=f"Down “{LONG_RULE}”").click()  # in its box, in reach
    check(page.locator(".messages")).to_contain_text("moved down")
    assert list(Rule.objects.in_order().values_list("name", flat=True)) == ["Second rule", LONG_RULE]
    assert sideways(page) == 0
    watch.assert_clean(allow=["favicon"])


def test_on_a_phone_every_rules_control_tabbed_to_is_in_sight_and_works(open_page, rule_editor):
    long_named_rules()
    page, watch = open_page(user=rule_editor, viewport=PHONE)
    check = expect()
    page.goto("/curate/rules/")
    assert tab_stops_out_of_sight(page, most=20) == []
    page.get_by_role("button", name="Up “Second rule”").focus()
    page.keyboard.press("Enter")
    check(page.locator(".messages")).to_contain_text("moved up")
    assert list(Rule.objects.in_order().values_list("name", flat=True)) == ["Second rule", LONG_RULE]
    watch.assert_clean(allow=["favicon"])


def inside_the_list_box(page, selector):
    """Whether the control lies whole inside the queue's box, the box not scrolled sideways."""
    laid_out(page)
    return page.evaluate(
        """(selector) => { const box = document.querySelector('#queue-results');
             const r = document.querySelector(selector).getBoundingClientRect(), b = box.getBoundingClientRect();
             return box.scrollLeft === 0 && r.left >= b.left && r.right <= b.right + 0.5; }""",
        selector,
    )


@pytest.mark.parametrize("javascript", [True, False])
def test_on_a_phone_the_rows_menu_is_whole_and_works_with_the_mouse(open_page, editor, javascript):
    """At 390 px the toolbar did not wrap: the Rows menu went 9 px past the list's box, its
    arrow cut off (and, without JavaScript, Apply further still)."""
    for n in range(3):
        make_article(title=f"Harbour report {n}")
    page, watch = open_page(user=editor, viewport=PHONE, java_script_enabled=javascript)
    page.goto("/curate/")
    assert inside_the_list_box(page, "#id_size")
    label, menu = page.locator("label[for=id_size]").bounding_box(), page.locator("#id_size").bounding_box()
    assert abs((label["y"] + label["height"] / 2) - (menu["y"] + menu["height"] / 2)) < 4, "Rows on another line"
    if not javascript:
        assert inside_the_list_box(page, ".queue-toolbar .apply-button")
    page.locator("#id_size").select_option("20")
    if not javascript:
        page.locator(".queue-toolbar").get_by_role("button", name="Apply").click()
    arrive(page, re.compile(r"size=20"))
    expect()(page.locator("#id_size")).to_have_value("20")
    watch.assert_clean(allow=["favicon"])


def test_on_a_phone_the_rows_menu_taken_from_the_keyboard_shifts_nothing(open_page, editor):
    for n in range(3):
        make_article(title=f"Harbour report {n}")
    page, watch = open_page(user=editor, viewport=PHONE)
    page.goto("/curate/")
    page.locator("#toolbar-sort").focus()
    page.keyboard.press("Tab")  # the Rows menu
    expect()(page.locator("#id_size")).to_be_focused()
    assert inside_the_list_box(page, "#id_size")  # the focus did not scroll the list sideways
    page.keyboard.press("ArrowUp")  # 50 -> 20, applied as it changes
    arrive(page, re.compile(r"size=20"))
    watch.assert_clean(allow=["favicon"])


@pytest.mark.parametrize("how", HOWS)
def test_the_rejection_notice_follows_a_decision_made_on_the_article_page(open_page, editor, how):
    """With JavaScript, a Restore left "Rejected because: Off-topic" under a "New" badge, and
    a Reject with a reason showed no reason until the page was reloaded."""
    from curation.tests.browser.test_browser_queue import reasons_as_migrated

    reasons_as_migrated()
    item = make_article(title="Heatwave pushes power demand to record")
    page, watch = open_page(user=editor, java_script_enabled=how != "mouse-no-javascript")
    check = expect()
    page.goto(f"/curate/articles/{item.pk}/")
    notice = page.locator(f'[data-rejection-for="{item.pk}"]')
    bar = page.locator(".actions-bar")
    bar.get_by_label("Reason").select_option(label="Off-topic")
    operate(page, bar.get_by_role("button", name="Reject", exact=True), how)
    check(page.locator(".article-header .state-badge")).to_have_text("Rejected")
    check(notice).to_have_text("Rejected because: Off-topic")

    operate(page, bar.get_by_role("button", name="Restore", exact=True), how)
    check(page.locator(".article-header .state-badge")).to_have_text("New")
    check(notice).to_have_text("")
    check(page.get_by_text("Rejected because")).to_have_count(0)
    item.refresh_from_db()
    assert item.state == ArticleState.NEW and item.rejection_code == ""
    watch.assert_clean(allow=["favicon"])


@pytest.mark.parametrize("how", HOWS)
def test_a_refused_schedule_does_not_say_an_empty_time_means_now(open_page, editor, how):
    """On an item not yet published an empty go-live time is refused ("Enter a go-live time
    ... or use Publish"); the form shown again with a refusal said beside it "Leave empty to
    go live now" (the published item's words), contradicting the refusal under it."""
    from curation.tests.browser.test_browser_schedule import tomorrow_at

    item = make_article(title="Morning briefing")
    page, watch = open_page(user=editor, java_script_enabled=how != "mouse-no-javascript", timezone_id="Europe/Berlin")
    check = expect()
    page.goto(f"/curate/articles/{item.pk}/")
    go_live, expire = page.locator("#schedule_go_live_at"), page.locator("#schedule_expire_at")
    help_text = page.locator("#schedule_go_live_at_helptext")
    check(help_text).to_have_text("When readers first see it. Seconds are accepted.")
    page.locator("#schedule_time_zone").select_option("Europe/Berlin")
    go_live.fill(tomorrow_at(9)[0])
    expire.fill(tomorrow_at(8)[0])
    submit = page.locator("#schedule").get_by_role("button", name="Schedule", exact=True)
    # A page load either way (the refusal answers 400, which expect_navigation takes for a failure).
    expire.press("Enter") if how == "keyboard" else submit.click()  # Enter submits from the field
    check(page.locator(".schedule-form .error")).to_contain_text("The expiry must come after the go-live time.")
    check(help_text).to_have_text("When readers first see it. Seconds are accepted.")
    watch.assert_clean(allow=["favicon", "400 (Bad Request)"])  # the refused times answered 400


@pytest.mark.parametrize("how", HOWS)
def test_after_a_refused_form_the_next_act_lands_on_the_article_page(open_page, editor, how):
    """A refused form shows the article page again from its POST (.../schedule/,
    .../complete/), and the page's forms came back to that address: the next Schedule or
    Reject worked but landed the editor on "HTTP ERROR 405"."""
    from curation.tests.browser.test_browser_schedule import tomorrow_at

    item = make_article(title="Morning briefing")
    page, watch = open_page(user=editor, java_script_enabled=how != "mouse-no-javascript")
    check = expect()
    page.goto(f"/curate/articles/{item.pk}/")
    go_live, expire = page.locator("#schedule_go_live_at"), page.locator("#schedule_expire_at")
    submit = page.locator("#schedule").get_by_role("button", name="Schedule", exact=True)
    go_live.fill(tomorrow_at(9)[0])
    expire.fill(tomorrow_at(8)[0])
    expire.press("Enter") if how == "keyboard" else submit.click()  # a page load, answered 400
    check(page.locator(".schedule-form .error")).to_contain_text("The expiry must come after the go-live time.")
    go_live.fill(tomorrow_at(7)[0])
    go_live.press("Enter") if how == "keyboard" else submit.click()
    check(page.locator(".messages")).to_contain_text("Scheduled “Morning briefing” to go live at")
    arrive(page, re.compile(rf"/curate/articles/{item.pk}/$"))

    body_only = make_body_only(title="By staff reporter", body="By staff reporter\n\nThe council met.", source_key="e" * 64)
    page.goto(f"/curate/articles/{body_only.pk}/")
    form = page.locator(".complete-form")
    form.locator("input[name=title]").fill("\u200b")  # shows nothing: the service refuses it
    operate(page, form.get_by_role("button", name="Complete metadata"), how, loads_page=False)
    check(page.locator(".complete-form")).to_contain_text("A title is required.")
    operate(page, page.locator(".actions-bar").get_by_role("button", name="Reject", exact=True), how)
    check(page.locator(".messages")).to_contain_text("Rejected “By staff reporter”")
    check(page.locator(".article-header .state-badge")).to_have_text("Rejected")
    body_only.refresh_from_db()
    assert body_only.state == ArticleState.REJECTED
    watch.assert_clean(allow=["favicon", "400 (Bad Request)"])  # the refused forms answered 400


@pytest.mark.parametrize("how", HOWS)
def test_the_navigations_new_count_follows_decisions_made_in_place(open_page, editor, how):
    """With JavaScript a decision in place left the navigation at "Queue 3" beside "2 items
    match"; it now moves with the item, out of the queue and back into it."""
    items = [make_article(title=f"Harbour report {n}") for n in range(3)]
    page, watch = open_page(user=editor, java_script_enabled=how != "mouse-no-javascript")
    check = expect()
    page.goto("/curate/")
    count = page.locator(".nav-count")
    check(count).to_have_text("3 new")
    first = page.locator(f"#item-{items[2].pk}")
    operate(page, first.get_by_role("button", name="Publish", exact=True), how)
    check(page.locator("#match-count")).to_contain_text("2 items match")
    check(count).to_have_text("2 new")

    page.goto(f"/curate/articles/{items[1].pk}/")
    bar = page.locator(".actions-bar")
    operate(page, bar.get_by_role("button", name="Reject", exact=True), how)
    check(page.locator(".article-header .state-badge")).to_have_text("Rejected")
    check(count).to_have_text("1 new")
    operate(page, bar.get_by_role("button", name="Restore", exact=True), how)
    check(page.locator(".article-header .state-badge")).to_have_text("New")
    check(count).to_have_text("2 new")
    watch.assert_clean(allow=["favicon"])
