"""The admin pages this project customised or configured, in Chromium at 1280x800: axe-core
finds no serious or critical violation (any rule set, not only WCAG's tags), and the
rejection reasons' editable list works from the keyboard and with the mouse, with
JavaScript on and off; screenshots in test-artifacts/."""

import pytest
from django.utils import timezone

from curation.models import Article, RejectionReason, Story, Topic
from curation.tests.browser_support import axe_violations, expect, save_screenshot
from curation.tests.factories import make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture
def reasons():
    # The migration's reasons are there until a transactional test flushes them: start clean.
    RejectionReason.objects.all().delete()
    return [
        RejectionReason.objects.create(code="duplicate", label="Duplicate", position=1),
        RejectionReason.objects.create(code="off-topic", label="Off-topic", position=2),
    ]


def a_story():
    now = timezone.now()
    lead, other = make_article(title="Harbour ferry timetable"), make_article(title="Ferry timetable, again")
    story = Story.objects.create(lead=lead, size=2, created_at=now, updated_at=now)
    Article.objects.filter(pk__in=[lead.pk, other.pk]).update(story=story)
    return story


def test_customised_admin_pages_have_no_serious_axe_violation(open_page, admin_user, reasons):
    story = a_story()
    pages = {
        # the project's search form, with its help text
        "admin-article-search": "/admin/curation/article/?q=ferry",
        # list_editable: a row's controls have no <label> of their own
        "admin-reasons": "/admin/curation/rejectionreason/",
        # a read-only inline of articles
        "admin-story": f"/admin/curation/story/{story.pk}/change/",
    }
    problems = {}
    for name, path in pages.items():
        page, _ = open_page(user=admin_user, viewport=VIEWPORT)
        assert page.goto(path).status == 200, name
        save_screenshot(page, f"{name}.png")
        found = axe_violations(page)
        if found:
            problems[name] = found
        page.context.close()
    assert not problems, problems


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("how", ["keyboard", "mouse"])
def test_a_reason_is_made_to_ask_for_a_note_from_the_list(open_page, admin_user, reasons, javascript, how):
    page, _ = open_page(user=admin_user, viewport=VIEWPORT, java_script_enabled=javascript)
    page.goto("/admin/curation/rejectionreason/")
    # Each row's controls are found by what they are and which reason they belong to.
    needs_note = page.get_by_role("checkbox", name="Needs note: Off-topic")
    position = page.get_by_role("spinbutton", name="Position: Off-topic")
    if how == "keyboard":
        position.focus()
        page.keyboard.press("Control+a")
        page.keyboard.type("7")
        page.keyboard.press("Tab")  # to "Active: Off-topic"
        page.keyboard.press("Tab")  # to "Needs note: Off-topic"
        expect()(needs_note).to_be_focused()
        page.keyboard.press("Space")
        page.keyboard.press("Enter")  # submits the list's form
    else:
        position.fill("7")
        needs_note.click()
        page.get_by_role("button", name="Save").click()
    expect()(page.locator("ul.messagelist")).to_contain_text("1 rejection reason was changed successfully")
    save_screenshot(page, f"admin-reasons-saved-{how}-{'js' if javascript else 'no-js'}.png")
    off_topic = RejectionReason.objects.get(code="off-topic")
    assert (off_topic.position, off_topic.needs_note) == (7, True)
    assert RejectionReason.objects.get(code="duplicate").needs_note is False


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("how", ["keyboard", "mouse"])
def test_a_topic_is_added_by_its_name_alone(open_page, admin_user, javascript, how):
    # The slug used to be filled in by JavaScript only: without it, "This field is required".
    page, _ = open_page(user=admin_user, viewport=VIEWPORT, java_script_enabled=javascript)
    page.goto("/admin/curation/topic/add/")
    name = page.get_by_role("textbox", name="Name")
    if how == "keyboard":
        name.focus()
        page.keyboard.type("Économie bleue")
        page.keyboard.press("Enter")  # submits the form (Save)
    else:
        name.fill("Économie bleue")
        page.get_by_role("button", name="Save", exact=True).click()
    expect()(page.locator("ul.messagelist")).to_contain_text("was added successfully")
    save_screenshot(page, f"admin-topic-added-{how}-{'js' if javascript else 'no-js'}.png")
    # The same address the import and the curator would give it.
    assert Topic.objects.get(name="Économie bleue").slug == Topic.slug_for("Économie bleue")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_articles_are_scheduled_from_the_list_by_keyboard(open_page, admin_user, javascript):
    first, second = make_article(title="Ferry timetable one"), make_article(title="Ferry timetable two")
    page, _ = open_page(user=admin_user, viewport=VIEWPORT, java_script_enabled=javascript)
    page.goto("/admin/curation/article/?q=ferry")
    for box in page.locator("input.action-select").all():
        box.focus()
        page.keyboard.press("Space")
    page.locator("select[name=action]").select_option("schedule_selected")
    page.locator(".actions button").focus()
    page.keyboard.press("Enter")
    go_live = page.get_by_label("First goes live at")
    expect()(go_live).to_be_visible()
    page.wait_for_load_state()  # the stylesheets applied before anything is measured
    # Each label beside its field and each help text under it, as on the admin's other forms
    # (the help used to hang off to the right, under nothing, and labels sat above).
    for help_text in page.locator(".form-row .help").all():
        row = help_text.locator("xpath=ancestor::div[contains(@class, 'form-row')]")
        field = row.locator("input, select").first
        assert abs(help_text.bounding_box()["x"] - field.bounding_box()["x"]) <= 12, (
            help_text.inner_text(),
            field.evaluate("e => e.outerHTML"),
            page.url,
        )  # its padding
    label_box, field_box = page.locator("label[for=id_go_live_at]").bounding_box(), go_live.bounding_box()
    assert label_box["x"] + label_box["width"] <= field_box["x"] and abs(label_box["y"] - field_box["y"]) < 10
    save_screenshot(page, f"admin-schedule-{'js' if javascript else 'no-js'}.png")
    go_live.focus()
    page.keyboard.type("12312030")
    page.keyboard.press("Tab")
    page.keyboard.type("100000AM")
    page.get_by_role("button", name="Schedule").focus()
    page.keyboard.press("Enter")
    expect()(page.locator("ul.messagelist")).to_contain_text("2 items scheduled")
    assert all(a.live_from is not None for a in Article.objects.filter(pk__in=[first.pk, second.pk]))
