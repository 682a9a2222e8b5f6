# ruff: noqa: F811 - the browser fixtures are imported from test_browser and requested by name
"""The story screens in Chromium: the queue's toggle, a story row's members and its publish
buttons, the article page's "Same story" acts and the merge form, and a body-only item's
"Complete from this entry". Each control is used with the mouse with JavaScript on and off
and from the keyboard; axe-core finds no serious or critical violation on these pages.
Screenshots (1280x900, light and dark) go to test-artifacts/."""

import re
from pathlib import Path

import pytest

from curation.models import Article, ArticleState, EditorialAction, RejectionReason, Story
from curation.services.editorial import publish_article
from curation.services.importing import import_seed_files
from curation.tests.browser_support import ARTIFACTS_DIR, PASSWORD, expect, operate, save_screenshot
from curation.tests.factories import make_user
from curation.tests.stories_support import write_seeds
from curation.tests.test_stories_reads import topic_seeds

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REAL_SEEDS = Path(__file__).resolve().parents[3] / "fixtures" / "real-seeds"
MODES = [pytest.param(True, id="javascript"), pytest.param(False, id="no-javascript")]


def axe_problems(page):
    """Serious and critical axe-core violations on the page (axe runs as a script: with
    JavaScript off there is nothing to run it with, and the page is the same HTML)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{violation['id']}: {violation['help']} ({[node['target'] for node in violation['nodes']][:3]})"
        for violation in results.response["violations"]
        if violation.get("impact") in ("serious", "critical")
    ]


@pytest.fixture
def stories_db(tmp_path):
    # A live-server test's database is flushed after each test: the data migration's
    # reasons (0012_rejection_reasons) are gone with it.
    RejectionReason.objects.get_or_create(code="duplicate", defaults={"label": "Duplicate"})
    write_seeds(tmp_path / "a", topic_seeds("Cedarvale", 3, 0))
    write_seeds(tmp_path / "b", topic_seeds("Marrowind", 4, 10, event=1))
    for part in "ab":
        import_seed_files([tmp_path / part], workers=0)
    assert Story.objects.count() == 2
    return Story.objects.get(size=4)


@pytest.fixture
def editor(transactional_db):
    return make_user(role="editor", username="edna", password=PASSWORD)


def panel_message(page):
    """What a story act did, said in the "Same story" panel, where the page comes back to."""
    return page.locator("section.same-story .panel-result")


def click(page, locator, javascript):
    """A mouse click on a control that submits a plain form (a page load either way)."""
    with page.expect_navigation():
        locator.click()


def press(page, locator, key="Enter"):
    """The keyboard: focus the control (as Tab would) and press Enter or Space."""
    locator.focus()
    with page.expect_navigation():
        page.keyboard.press(key)


@pytest.mark.parametrize("javascript", MODES)
def test_the_queue_by_story_with_the_mouse(open_page, editor, stories_db, javascript):
    page, watch = open_page(user=editor, java_script_enabled=javascript)
    check = expect()
    page.goto("/curate/")
    click(page, page.locator("#queue-by-toggle"), javascript)
    row = page.locator(f'tr.story-row[data-story-id="{stories_db.pk}"]')
    check(row).to_contain_text("+3 sources")
    lead = Article.objects.get(pk=stories_db.lead_id)
    check(row.locator("a.row-link")).to_have_text(lead.title)
    # Expanding shows the members.
    members = row.locator("details.story-members li")
    check(members.first).to_be_hidden()
    row.locator("details.story-members summary").click()
    check(members).to_have_count(4)
    check(members.first).to_be_visible()
    if javascript:
        assert axe_problems(page) == []
    if javascript:
        save_screenshot(page, "stories-queue.png", full_page=False)
        page.emulate_media(color_scheme="dark")
        save_screenshot(page, "stories-queue-dark.png", full_page=False)
        page.emulate_media(color_scheme="light")
    click(page, row.get_by_role("button", name="Publish lead, reject 3 duplicates"), javascript)
    check(page.locator("ul.messages")).to_contain_text("rejected 3 duplicates")
    states = dict(Article.objects.filter(story=stories_db).values_list("pk", "state"))
    assert states.pop(lead.pk) == ArticleState.PUBLISHED and set(states.values()) == {ArticleState.REJECTED}
    assert EditorialAction.objects.filter(reason_code="duplicate").count() == 3
    # Back at the queue where the story's row was (the row now in its place), not at its top.
    landing = page.url.partition("#")[2]
    assert landing == "queue-results" or page.locator(f"tr.queue-row#{landing}").count() == 1, page.url
    # The result offers Undo, as a bulk decision's does: every item back as it was.
    click(page, page.locator("ul.messages").get_by_role("button", name="Undo"), javascript)
    check(page.locator("ul.messages")).to_contain_text("Undone: 4 items are as before")
    assert set(Article.objects.filter(story=stories_db).values_list("state", flat=True)) == {ArticleState.NEW}
    # The choice is remembered: the queue is still by story; then back to every item.
    page.goto("/curate/")
    check(page.locator("#queue-by-toggle")).to_have_text("Show every item")
    click(page, page.locator("#queue-by-toggle"), javascript)
    check(page.locator("#queue-by-toggle")).to_have_text("Group by story")
    check(page.locator("tr.story-row")).to_have_count(0)
    watch.assert_clean()


def test_the_queue_by_story_from_the_keyboard(open_page, editor, stories_db):
    page, watch = open_page(user=editor)
    check = expect()
    page.goto("/curate/")
    press(page, page.locator("#queue-by-toggle"), "Enter")
    row = page.locator(f'tr.story-row[data-story-id="{stories_db.pk}"]')
    summary = row.locator("details.story-members summary")
    summary.focus()
    page.keyboard.press("Enter")
    check(row.locator("details.story-members li")).to_have_count(4)
    check(row.locator("details.story-members li").first).to_be_visible()
    # j moves to a story row like any row; then Tab to its "publish only" button and Space.
    page.keyboard.press("Escape")
    press(page, row.get_by_role("button", name="Publish lead only"), " ")
    check(page.locator("ul.messages")).to_contain_text("Published")
    lead = Article.objects.get(pk=stories_db.lead_id)
    assert lead.state == ArticleState.PUBLISHED
    assert set(Article.objects.filter(story=stories_db).exclude(pk=lead.pk).values_list("state", flat=True)) == {
        ArticleState.NEW
    }
    press(page, page.locator("ul.messages").get_by_role("button", name="Undo"), "Enter")
    check(page.locator("ul.messages")).to_contain_text("Undone: 1 item is as before")
    assert Article.objects.get(pk=lead.pk).state == ArticleState.NEW
    watch.assert_clean()


@pytest.mark.parametrize("javascript", MODES)
def test_the_same_story_panel_with_the_mouse(open_page, editor, stories_db, javascript):
    page, watch = open_page(user=editor, java_script_enabled=javascript)
    check = expect()
    a, b, c, d = Article.objects.filter(story=stories_db).order_by("pk")
    page.goto(f"/curate/articles/{a.pk}/")
    panel = page.locator("section.same-story")
    check(panel).to_contain_text("4 items, 0 published")
    if javascript:
        assert axe_problems(page) == []
    if javascript:
        panel.scroll_into_view_if_needed()
        save_screenshot(page, "stories-same-story.png", full_page=False)
        page.emulate_media(color_scheme="dark")
        save_screenshot(page, "stories-same-story-dark.png", full_page=False)
        page.emulate_media(color_scheme="light")
    not_lead = next(x for x in (b, c, d) if x.pk != stories_db.lead_id)
    click(
        page,
        panel.locator(f'li[data-member-id="{not_lead.pk}"]').get_by_role("button", name=re.compile("^Make lead")),
        javascript,
    )
    check(panel_message(page)).to_contain_text("is the story's lead now")
    assert Story.objects.get(pk=stories_db.pk).lead_id == not_lead.pk
    click(
        page,
        panel.locator(f'li[data-member-id="{d.pk}"]').get_by_role("button", name=re.compile("^Split out")),
        javascript,
    )
    check(panel_message(page)).to_contain_text("out of its story")
    assert Article.objects.get(pk=d.pk).story_id != stories_db.pk
    click(
        page,
        panel.locator(f'li[data-member-id="{c.pk}"]').get_by_role("button", name=re.compile("^Not the same story")),
        javascript,
    )
    check(panel_message(page)).to_contain_text("different stories")
    assert Article.objects.get(pk=c.pk).story_id != Article.objects.get(pk=a.pk).story_id
    # Merge back by pasting d's URL in another spelling.
    page.locator("#merge-other").fill(d.web_url.replace("https://", "http://www.") + "?utm_medium=email")
    click(page, panel.get_by_role("button", name="Merge"), javascript)
    check(panel_message(page)).to_contain_text("in one story now")
    assert Article.objects.get(pk=d.pk).story_id == Article.objects.get(pk=a.pk).story_id
    if javascript:
        assert axe_problems(page) == []
    watch.assert_clean()


def test_the_same_story_panel_from_the_keyboard(open_page, editor, stories_db):
    page, watch = open_page(user=editor)
    check = expect()
    a, b, c, d = Article.objects.filter(story=stories_db).order_by("pk")
    page.goto(f"/curate/articles/{a.pk}/")
    panel = page.locator("section.same-story")
    press(
        page,
        panel.locator(f'li[data-member-id="{b.pk}"]').get_by_role("button", name=re.compile("^Split out")),
        "Enter",
    )
    check(panel_message(page)).to_contain_text("out of its story")
    page.locator("#merge-other").focus()
    page.keyboard.type(f"#{b.pk}")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # submits the merge form from its field
    check(panel_message(page)).to_contain_text("in one story now")
    assert Article.objects.get(pk=b.pk).story_id == Article.objects.get(pk=a.pk).story_id
    watch.assert_clean()


@pytest.mark.parametrize("how", ["mouse-javascript", "mouse-no-javascript", "keyboard"])
def test_a_body_only_item_is_completed_from_the_entry_it_is_the_text_of(open_page, editor, how):
    import_seed_files([REAL_SEEDS / "000_5791a4ba6fe0fc15.txt"], workers=0)
    import_seed_files([REAL_SEEDS / "004_52d18086a856f3c8.txt"], workers=0)
    item = Article.objects.get(has_front_matter=False)
    page, watch = open_page(user=editor, java_script_enabled=how != "mouse-no-javascript")
    check = expect()
    page.goto(f"/curate/articles/{item.pk}/")
    first = page.locator("ul.attach-suggestions li").first
    check(first).to_contain_text("Chicago Tribune")
    check(first.locator("mark").first).to_be_visible()
    if how != "mouse-no-javascript":
        assert axe_problems(page) == []
    if how == "mouse-javascript":
        page.locator(".attach-best").scroll_into_view_if_needed()
        save_screenshot(page, "stories-attach.png", full_page=False)
        page.emulate_media(color_scheme="dark")
        save_screenshot(page, "stories-attach-dark.png", full_page=False)
        page.emulate_media(color_scheme="light")
    button = first.get_by_role("button", name="Complete from this entry")
    operate(page, button, how, loads_page=True)
    check(page.locator("ul.messages")).to_contain_text("Completed the item")
    item.refresh_from_db()
    assert "chicagotribune" in item.web_url and not item.needs_metadata
    watch.assert_clean()


@pytest.mark.parametrize("how", ["mouse-javascript", "mouse-no-javascript", "keyboard"])
def test_a_same_story_act_comes_back_to_the_panel(open_page, editor, stories_db, how):
    """An act is a page load: it used to start at the page's top, the panel out of sight on
    a phone and the keyboard's next Tab at the site's first link. Then it came back to the
    panel, and its message ("Took … out of its story.") stayed at the page's top, out of
    sight: the editor saw no word of what had happened. It is said in the panel now."""
    page, watch = open_page(
        user=editor, java_script_enabled=how != "mouse-no-javascript", viewport={"width": 390, "height": 844}
    )
    check = expect()
    a, b, c, d = Article.objects.filter(story=stories_db).order_by("pk")
    page.goto(f"/curate/articles/{a.pk}/")
    panel = page.locator("section.same-story")
    button = panel.locator(f'li[data-member-id="{b.pk}"]').get_by_role("button", name=re.compile("^Split out"))
    operate(page, button, how, loads_page=True)
    check(panel.locator(f'li[data-member-id="{b.pk}"]')).to_have_count(0)
    assert abs(panel.evaluate("(section) => section.getBoundingClientRect().top")) < 2, "not back at the panel"
    # What the act did is said where the editor is: at the page's top it was out of sight.
    said = page.get_by_text(f"Took “{b.title}” out of its story.")
    check(said).to_have_count(1)
    check(said).to_be_in_viewport()
    if how == "keyboard":
        page.keyboard.press("Tab")
        assert page.evaluate("() => !!document.activeElement.closest('section.same-story')")
    button = panel.locator(f'li[data-member-id="{c.pk}"]').get_by_role("button", name=re.compile("^Make lead"))
    operate(page, button, how, loads_page=True)
    said = page.get_by_text(f"“{c.title}” is the story's lead now.")
    check(said).to_have_count(1)
    check(said).to_be_in_viewport()
    if how != "mouse-no-javascript":
        assert axe_problems(page) == []
    watch.assert_clean()


@pytest.mark.parametrize("javascript", MODES)
def test_a_member_that_cannot_be_published_is_not_offered_as_the_lead(open_page, editor, javascript):
    """Making a body-only item the lead left the story's queue row without a publish button
    ("Open the lead to complete it"); it is offered Split out, not Make lead."""
    import_seed_files([REAL_SEEDS / "000_5791a4ba6fe0fc15.txt"], workers=0)
    import_seed_files([REAL_SEEDS / "004_52d18086a856f3c8.txt"], workers=0)
    article = Article.objects.get(has_front_matter=True)
    body_only = Article.objects.get(has_front_matter=False)
    assert body_only.story_id == article.story_id is not None
    page, watch = open_page(user=editor, java_script_enabled=javascript)
    check = expect()
    for shown in (article, body_only):
        page.goto(f"/curate/articles/{shown.pk}/")
        member = page.locator(f'section.same-story li[data-member-id="{body_only.pk}"]')
        check(member.get_by_role("button", name=re.compile("^Split out"))).to_be_visible()
        check(member.get_by_role("button", name=re.compile("^Make lead"))).to_have_count(0)
    click(page, member.get_by_role("button", name=re.compile("^Split out")), javascript)
    check(panel_message(page)).to_contain_text("out of its story")
    watch.assert_clean()


def test_the_same_story_panel_is_readable_in_the_dark_scheme(open_page, editor, stories_db):
    """The page's own member had a fixed light background under the dark scheme's light text."""
    page, watch = open_page(user=editor, color_scheme="dark")
    member = Article.objects.filter(story=stories_db).order_by("pk").first()
    page.goto(f"/curate/articles/{member.pk}/")
    expect()(page.locator("section.same-story li.this-article")).to_contain_text(member.title)
    assert axe_problems(page) == []
    watch.assert_clean()


@pytest.mark.parametrize("how", ["mouse-javascript", "mouse-no-javascript", "keyboard"])
def test_with_the_lead_published_a_story_row_offers_a_reject_that_looks_and_reads_like_one(
    open_page, editor, stories_db, how
):
    """The row's only button then rejects: it was green like a publish, and its result said
    "Published …" of a lead that had been live for hours."""
    lead = Article.objects.get(pk=stories_db.lead_id)
    publish_article(article=lead, user=editor)
    page, watch = open_page(user=editor, java_script_enabled=how != "mouse-no-javascript")
    check = expect()
    page.goto("/curate/")
    click(page, page.locator("#queue-by-toggle"), how)
    button = page.locator(f'tr.story-row[data-story-id="{stories_db.pk}"]').get_by_role(
        "button", name="Reject the other 3 as duplicates"
    )
    check(button).to_have_class(re.compile(r"\breject\b"))
    check(button).not_to_have_class(re.compile(r"\bpublish\b"))
    operate(page, button, how, loads_page=True)
    check(page.locator("ul.messages")).to_have_text(
        re.compile(r"^\s*Rejected 3 duplicates of “.+”, which was already published\.")
    )
    assert set(Article.objects.filter(story=stories_db).exclude(pk=lead.pk).values_list("state", flat=True)) == {
        ArticleState.REJECTED
    }
    watch.assert_clean()


@pytest.mark.parametrize("how", ["mouse-javascript", "mouse-no-javascript", "keyboard"])
def test_a_decision_on_the_article_page_shows_in_its_same_story_panel(open_page, editor, stories_db, how):
    """With JavaScript the decision is made in place: the panel kept saying "0 published" and
    showed the item as New beside the page's own "Published" badge."""
    page, watch = open_page(user=editor, java_script_enabled=how != "mouse-no-javascript")
    check = expect()
    a = Article.objects.filter(story=stories_db).order_by("pk").first()
    page.goto(f"/curate/articles/{a.pk}/")
    panel = page.locator("section.same-story")
    check(panel).to_contain_text("4 items, 0 published")
    button = page.locator(".actions-bar").get_by_role("button", name="Publish", exact=True)
    operate(page, button, how)
    check(page.locator("ul.messages")).to_contain_text("Published")
    check(panel).to_contain_text("4 items, 1 published")
    check(panel.locator(f'li[data-member-id="{a.pk}"] .state-badge')).to_have_text("Published")
    # The panel's own buttons still work after it was put in place.
    other = Article.objects.filter(story=stories_db).exclude(pk=a.pk).order_by("pk").first()
    split = panel.locator(f'li[data-member-id="{other.pk}"]').get_by_role("button", name=re.compile("^Split out"))
    click(page, split, True)
    check(panel_message(page)).to_contain_text("out of its story")
    watch.assert_clean()


@pytest.mark.parametrize("how", ["mouse-javascript", "mouse-no-javascript", "keyboard"])
def test_a_story_act_names_the_other_item_by_its_title(open_page, editor, stories_db, how):
    """"… and #39 are marked as different stories": #39 was the page the editor was on, an id
    shown nowhere an editor looks."""
    page, watch = open_page(user=editor, java_script_enabled=how != "mouse-no-javascript")
    check = expect()
    a, b, c, d = Article.objects.filter(story=stories_db).order_by("pk")
    page.goto(f"/curate/articles/{a.pk}/")
    panel = page.locator("section.same-story")
    button = panel.locator(f'li[data-member-id="{c.pk}"]').get_by_role("button", name=re.compile("^Not the same story"))
    operate(page, button, how, loads_page=True)
    message = panel_message(page)
    check(message).to_contain_text(f"“{c.title}” and “{a.title}” are marked as different stories.")
    page.locator("#merge-other").fill(f"#{c.pk}")
    if how == "keyboard":
        page.locator("#merge-other").focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
    else:
        click(page, panel.get_by_role("button", name="Merge"), how == "mouse-javascript")
    merged = f"“{a.title}” and “{c.title}” are in one story now."
    check(panel_message(page)).to_contain_text(merged)
    assert "#" not in panel_message(page).inner_text()
    watch.assert_clean()


@pytest.mark.parametrize("how", ["mouse-javascript", "mouse-no-javascript", "keyboard"])
def test_a_refused_merge_lands_on_its_field_with_what_was_typed(open_page, editor, stories_db, how):
    """A mistyped id was refused with a message at the page's top, the field emptied and below
    the fold: the editor had to find it and type again."""
    page, watch = open_page(
        user=editor, java_script_enabled=how != "mouse-no-javascript", viewport={"width": 390, "height": 844}
    )
    check = expect()
    a = Article.objects.filter(story=stories_db).order_by("pk").first()
    page.goto(f"/curate/articles/{a.pk}/")
    field = page.locator("#merge-other")
    field.fill("#999999")
    if how == "keyboard":
        field.focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
    else:
        click(page, page.locator("section.same-story").get_by_role("button", name="Merge", exact=True), how)
    check(page.locator("ul.messages")).to_contain_text("No article has that id or URL")
    check(field).to_be_focused()
    check(field).to_have_value("#999999")
    check(field).to_have_attribute("aria-invalid", "true")
    check(page.locator("#merge-refusal")).to_contain_text("No article has that id or URL")
    check(field).to_be_in_viewport()
    check(page.locator("#merge-refusal")).to_be_in_viewport()
    if how == "mouse-javascript":
        assert axe_problems(page) == []
        save_screenshot(page, "stories-merge-refused.png", full_page=False)
    # Corrected in place, the merge goes through and the mark is gone.
    other = Story.objects.exclude(pk=stories_db.pk).get().lead_id
    field.fill(f"#{other}")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    check(panel_message(page)).to_contain_text("in one story now")
    check(page.locator("#merge-refusal")).to_have_count(0)
    watch.assert_clean()


def test_coverage_not_imported_is_said_to_be_listed_by_a_title_not_an_id(open_page, editor):
    """"listed by #40, not in our workspace": an id an editor never sees and an inner word;
    the body-only item's suggestions said "listed by #40" too."""
    for name in ("000_5791a4ba6fe0fc15.txt", "004_52d18086a856f3c8.txt"):
        import_seed_files([REAL_SEEDS / name], workers=0)
    item = Article.objects.get(has_front_matter=False)
    lister = Article.objects.exclude(pk=item.pk).get()
    page, watch = open_page(user=editor)
    check = expect()
    page.goto(f"/curate/articles/{item.pk}/")
    entries = page.locator("section.same-story li.entry")
    check(entries.first).to_contain_text(f"listed by “{lister.title}”; not imported")
    for text in entries.all_inner_texts() + page.locator("ul.attach-suggestions li").all_inner_texts():
        assert f"listed by #{lister.pk}" not in text and "workspace" not in text, text
    # The title is a link to the item that lists the entry.
    with page.expect_navigation():
        entries.first.get_by_role("link", name=f"“{lister.title}”").click()
    check(page.locator("h1")).to_have_text(lister.title)
    watch.assert_clean()


CONTROL_LOOK = """(el) => { const s = getComputedStyle(el), r = el.getBoundingClientRect();
  return {height: Math.round(r.height), font: s.fontSize, background: s.backgroundColor, radius: s.borderRadius}; }"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_attach_half_looks_like_the_completing_half(open_page, editor, scheme):
    """The attach half's controls were the browser's bare ones: a field half the height of its
    neighbours' and small grey buttons beside the page's styled ones."""
    import_seed_files([REAL_SEEDS / "004_52d18086a856f3c8.txt"], workers=0)
    item = Article.objects.get(has_front_matter=False)
    page, watch = open_page(user=editor, color_scheme=scheme)
    page.goto(f"/curate/articles/{item.pk}/")
    title = page.locator(".complete-form input[name=title]").evaluate(CONTROL_LOOK)
    complete = page.get_by_role("button", name="Complete metadata").evaluate(CONTROL_LOOK)
    for field in ("#attach_q", ".attach-form input[name=target_id]"):
        look = page.locator(field).evaluate(CONTROL_LOOK)
        assert abs(look["height"] - title["height"]) <= 2 and look["radius"] == title["radius"], (field, look, title)
    expect()(page.locator(".attach-form label[for=id_target_id]")).to_have_text("Article id")  # no suggestion here
    attach = page.get_by_role("button", name="Attach body").evaluate(CONTROL_LOOK)
    assert attach == complete, (attach, complete)
    search = page.get_by_role("button", name="Search").evaluate(CONTROL_LOOK)
    assert search["font"] == complete["font"] and search["radius"] == complete["radius"], (search, complete)
    assert axe_problems(page) == []
    page.locator(".body-only").screenshot(path=str(ARTIFACTS_DIR / f"attach-half-{scheme}.png"))
    watch.assert_clean()
