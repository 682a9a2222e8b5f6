# ruff: noqa: F811 - the browser fixtures are imported from test_browser_stories and requested by name
"""A second hostile pass, in Chromium: acts pressed on a page another editor made stale, and
buttons pressed twice. The queue by story's row (mouse with JavaScript on and off, the
keyboard), and the rules list's Up (a double click, JavaScript on and off)."""

import pytest

from curation.models import Article, ArticleState, EditorialAction, Rule, RulesSwitch
from curation.services import rules, stories
from curation.services.rule_conditions import validate_definition
from curation.tests.browser.test_browser_stories import MODES, click, press, stories_db  # noqa: F401 - fixture
from curation.tests.browser_support import PASSWORD, expect
from curation.tests.factories import make_article, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def editor(transactional_db):
    return make_user(role="editor", username="edna", password=PASSWORD)


def by_story(page, story):
    page.goto("/curate/")
    if page.locator("#queue-by-toggle").inner_text().strip() == "Group by story":
        with page.expect_navigation():
            page.locator("#queue-by-toggle").click()
    return page.locator(f'tr.story-row[data-story-id="{story.pk}"]')


@pytest.mark.parametrize("how", [*MODES, pytest.param("keyboard", id="keyboard")])
def test_a_story_row_pressed_after_its_members_changed_rejects_nothing(open_page, editor, stories_db, how):
    javascript = how is not False
    page, watch = open_page(user=editor, java_script_enabled=javascript)
    story = stories_db
    stories.set_lead(article=story.lead_id, user=editor)
    row = by_story(page, story)
    button = row.get_by_role("button", name="Publish lead, reject 3 duplicates")
    expect()(button).to_be_visible()
    # Meanwhile a colleague splits one report out and merges an unrelated item in.
    leaving = Article.objects.filter(story=story).exclude(pk=story.lead_id).order_by("pk").first()
    stories.split_out(article=leaving, user=editor)
    stranger = make_article(title="Harbour ferry timetable changes for the winter")
    stories.merge(article=stranger, other=story.lead_id, user=editor)
    if how == "keyboard":
        press(page, button, "Enter")
    else:
        click(page, button, javascript)
    expect()(page.locator("ul.messages")).to_contain_text("new items changed since the page was drawn")
    assert Article.objects.get(pk=stranger.pk).state == ArticleState.NEW
    assert not EditorialAction.objects.filter(action__in=["publish", "reject"]).exists()
    # The page drawn again shows the story as it is, stranger included; now it goes.
    row = page.locator(f'tr.story-row[data-story-id="{story.pk}"]')
    click(page, row.get_by_role("button", name="Publish lead, reject 3 duplicates"), javascript)
    expect()(page.locator("ul.messages")).to_contain_text("rejected 3 duplicates")
    assert Article.objects.get(pk=stranger.pk).state == ArticleState.REJECTED
    watch.assert_clean()


@pytest.mark.parametrize("javascript", MODES)
def test_a_story_row_pressed_after_its_story_was_split_apart_says_so_on_the_queue(open_page, editor, stories_db, javascript):
    page, watch = open_page(user=editor, java_script_enabled=javascript)
    story = stories_db
    row = by_story(page, story)
    button = row.get_by_role("button", name="Publish lead, reject 3 duplicates")
    expect()(button).to_be_visible()
    for member in Article.objects.filter(story=story).order_by("pk")[:3]:
        stories.split_out(article=member.pk, user=editor)
    assert not type(story).objects.filter(pk=story.pk).exists()
    click(page, button, javascript)
    expect()(page.locator("ul.messages")).to_contain_text("This story no longer exists")
    assert "/curate/" in page.url and page.locator("h1").first.inner_text() != "Page not found"
    assert not EditorialAction.objects.filter(action__in=["publish", "reject"]).exists()
    watch.assert_clean()


@pytest.fixture
def rule_editor(transactional_db):
    from django.contrib.auth.models import Permission

    RulesSwitch.objects.update_or_create(pk=1, defaults={"enabled": True})
    Rule.objects.all().delete()
    user = make_user(role="editor", username="ruth", password=PASSWORD)
    user.user_permissions.add(Permission.objects.get(codename="change_rule"))
    for name in ("First rule", "Second rule", "Third rule"):
        rules.save_rule(
            name=name, definition=validate_definition({"when": {"quality_min": 50}, "action": "flag", "note": name}),
            enabled=False,
        )
    return user


@pytest.mark.parametrize("how", [*MODES, pytest.param("keyboard", id="keyboard")])
def test_up_pressed_in_two_tabs_moves_the_rule_one_place(open_page, rule_editor, how):
    """The list open in two tabs (or a double click that reaches the server twice): Up on
    "Third rule" in each moved it up two places, above "First rule"."""
    javascript = how is not False
    first, watch = open_page(user=rule_editor, java_script_enabled=javascript)
    second = first.context.new_page()
    for page in (first, second):
        page.goto("/curate/rules/")
    for page in (first, second):
        button = page.get_by_role("button", name="Up “Third rule”")
        if how == "keyboard":
            press(page, button, "Enter")
        else:
            click(page, button, javascript)
        expect()(page.locator(".messages")).to_contain_text("moved up")
    assert list(Rule.objects.in_order().values_list("name", flat=True)) == ["First rule", "Third rule", "Second rule"]
    # A list reordered otherwise since is refused, and shown as it is now.
    third = first.context.new_page()
    third.goto("/curate/rules/")
    click(first, first.get_by_role("button", name="Down “First rule”"), javascript)
    click(third, third.get_by_role("button", name="Down “Third rule”"), javascript)
    expect()(third.locator(".messages")).to_contain_text("The list changed since the page was drawn")
    assert list(Rule.objects.in_order().values_list("name", flat=True)) == ["Third rule", "First rule", "Second rule"]
    watch.assert_clean(allow=["favicon"])
