# ruff: noqa: F811 - the browser fixtures are imported from test_browser and requested by name
"""The article page's "source changed" panel, the edit form's topic picker, and the roles,
in Chromium: each control clicked with the mouse with JavaScript on and off, and used from
the keyboard. Browser-level setup is shared with test_browser.py."""

import re

import pytest

from curation.models import Article, EditorialAction, Topic
from curation.services.editorial import edit_article
from curation.services.importing import import_seed_files
from curation.tests.browser.test_browser_screens import serious_violations
from curation.tests.browser_support import PASSWORD, expect
from curation.tests.factories import make_user, seed_text, valid_front_matter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def changed(tmp_path):
    editor = make_user(role="editor", username="edna", password=PASSWORD)
    seed = tmp_path / "story.md"
    seed.write_text(seed_text(body="Body.", **valid_front_matter(1, title="Source title", topics=["Science"])))
    import_seed_files([tmp_path])
    article = Article.objects.get()
    edit_article(article=article, user=editor, title="Editor title", excerpt="Editor excerpt")
    seed.write_text(seed_text(body="Body v2.", **valid_front_matter(1, title="Source title v2", excerpt="New excerpt")))
    import_seed_files([tmp_path])
    article.refresh_from_db()
    article.editor = editor
    return article


def take_button(page, label):
    return page.get_by_role("button", name=f"Take the source's {label}")


@pytest.mark.parametrize("javascript", [True, False])
def test_take_the_source_value_with_the_mouse(open_page, changed, javascript):
    page, watch = open_page(user=changed.editor, java_script_enabled=javascript)
    page.goto(f"/curate/articles/{changed.pk}/")
    panel = page.locator("#source-changes")
    expect()(panel).to_contain_text("Source title v2")
    with page.expect_navigation():
        take_button(page, "title").click()
    expect()(page.get_by_role("heading", level=1)).to_have_text("Source title v2")
    expect()(page.locator("ul.messages")).to_contain_text("now has the source's title")
    assert Article.objects.get(pk=changed.pk).title == "Source title v2"
    # The excerpt is still different, and marking the change reviewed clears the panel.
    expect()(take_button(page, "excerpt")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Mark as reviewed").click()
    expect()(page.locator("#source-changes")).to_have_count(0)
    assert Article.objects.get(pk=changed.pk).source_changed_at is None
    assert list(EditorialAction.objects.filter(article_id=changed.pk).values_list("action", flat=True)[:2]) == [
        "source_reviewed",
        "take_source",
    ]
    watch.assert_clean()


def test_take_the_source_value_from_the_keyboard(open_page, changed):
    page, watch = open_page(user=changed.editor)
    page.goto(f"/curate/articles/{changed.pk}/")
    button = take_button(page, "excerpt")
    button.focus()
    expect()(button).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect()(page).to_have_url(re.compile(rf"/curate/articles/{changed.pk}/"))
    assert Article.objects.get(pk=changed.pk).excerpt == "New excerpt"
    watch.assert_clean()


def test_the_source_changed_filter_in_the_queue(open_page, changed):
    page, watch = open_page(user=changed.editor, java_script_enabled=False)
    page.goto("/curate/?state=all")
    page.locator("#id_source_changed").select_option("yes")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    expect()(page).to_have_url(re.compile(r"source_changed=yes"))
    expect()(page.locator("tr.queue-row")).to_have_count(1)
    watch.assert_clean()


# --- the edit form's topics -----------------------------------------------------------------


@pytest.fixture
def story():
    from curation.tests.factories import make_article, make_topic

    make_topic(name="Space")
    make_topic(name="Spain")
    return make_article(title="Rocket lands on barge", topics=["Science"])


def test_topics_type_ahead_offers_existing_topics_and_saves(open_page, story):
    editor = make_user(role="editor", password=PASSWORD)
    page, watch = open_page(user=editor)
    page.goto(f"/curate/articles/{story.pk}/edit/")
    topics = page.get_by_label("Topics")
    topics.click()
    topics.press("End")
    topics.press_sequentially(", Spa")
    options = page.locator("datalist#topic-names option")
    expect()(options).to_have_count(2)
    assert sorted(options.evaluate_all("list => list.map(o => o.value)")) == ["Science, Space", "Science, Spain"]
    topics.fill("Science, Space")
    page.get_by_role("button", name="Save changes").click()
    expect()(page).to_have_url(re.compile(rf"/curate/articles/{story.pk}/$"))
    assert sorted(t.name for t in Article.objects.get(pk=story.pk).topics.all()) == ["Science", "Space"]
    watch.assert_clean()


@pytest.mark.parametrize("javascript", [True, False])
def test_a_new_topic_needs_the_create_step_with_the_mouse(open_page, story, javascript):
    editor = make_user(role="editor", password=PASSWORD)
    page, watch = open_page(user=editor, java_script_enabled=javascript)
    page.goto(f"/curate/articles/{story.pk}/edit/")
    page.get_by_label("Topics").fill("Science, Spacce")
    page.get_by_role("button", name="Save changes").click()
    expect()(page.locator(".field-topics .error")).to_contain_text("No topic is named “Spacce”")
    assert not Topic.objects.filter(name="Spacce").exists()
    if javascript:  # axe-core runs as a script in the page
        assert serious_violations(page) == []  # the refused form, with its create step
    page.get_by_label("Create the topic “Spacce”").check()
    page.get_by_role("button", name="Save changes").click()
    expect()(page).to_have_url(re.compile(rf"/curate/articles/{story.pk}/$"))
    assert Topic.objects.filter(name="Spacce").exists()
    watch.assert_clean(allow=["400"])


def test_a_new_topic_from_the_keyboard(open_page, story):
    editor = make_user(role="editor", password=PASSWORD)
    page, watch = open_page(user=editor)
    page.goto(f"/curate/articles/{story.pk}/edit/")
    page.get_by_label("Title").focus()
    page.keyboard.press("Tab")  # excerpt
    page.keyboard.press("Tab")  # topics
    expect()(page.get_by_label("Topics")).to_be_focused()
    page.keyboard.press("End")
    page.keyboard.type(", Oceans")
    page.keyboard.press("Enter")
    box = page.get_by_label("Create the topic “Oceans”")
    box.focus()
    page.keyboard.press("Space")
    expect()(box).to_be_checked()
    page.keyboard.press("Enter")
    expect()(page).to_have_url(re.compile(rf"/curate/articles/{story.pk}/$"))
    assert "Oceans" in [t.name for t in Article.objects.get(pk=story.pk).topics.all()]
    watch.assert_clean(allow=["400"])


# --- roles ------------------------------------------------------------------------------------


def test_a_viewer_reads_without_buttons_and_keys_do_nothing(open_page, story):
    viewer = make_user(role="viewer", password=PASSWORD)
    page, watch = open_page(user=viewer)
    page.goto(f"/curate/articles/{story.pk}/")
    page.wait_for_load_state()
    expect()(page.locator(".badge.read-only")).to_have_text("Read only")
    expect()(page.locator(".actions-bar button")).to_have_count(0)
    page.keyboard.press("p")  # the publish shortcut: nothing for a viewer
    page.keyboard.press("?")
    shortcuts = page.locator("dialog#shortcuts")
    expect()(shortcuts).to_be_visible()
    expect()(shortcuts).not_to_contain_text("Publish")
    assert Article.objects.get(pk=story.pk).state == "new"
    # A refused page is the site's own, and says why.
    response = page.goto(f"/curate/articles/{story.pk}/edit/")
    assert response.status == 403
    expect()(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect()(page.locator(".reason-text")).to_contain_text("You do not have permission to edit articles.")
    watch.assert_clean(allow=["403"])


@pytest.mark.parametrize("width", [1280, 390])
def test_the_import_history_keeps_its_words_whole_beside_a_long_path(open_page, tmp_path, width):
    """Every cell could break anywhere, so a long path squeezed "Status" to "Stat/us"."""
    folder = tmp_path / ("a-long-folder-name-of-a-nightly-feed-export" * 2)
    folder.mkdir()
    (folder / "seed.txt").write_text(seed_text(**valid_front_matter(1)), encoding="utf-8")
    import_seed_files([folder], workers=0)
    article = Article.objects.get()
    page, watch = open_page(user=make_user(role="editor"), viewport={"width": width, "height": 900})
    page.goto(f"/curate/articles/{article.pk}/")
    broken = page.locator("table.ledger").evaluate(
        """(table) => Array.from(table.querySelectorAll("th, tbody td:nth-child(2)")).filter((cell) => {
            const range = document.createRange();
            range.selectNodeContents(cell);
            return !/\\s/.test(cell.textContent.trim()) && range.getClientRects().length > 1;
        }).map((cell) => cell.textContent)"""
    )
    assert broken == [], f"words broken across lines: {broken}"
    watch.assert_clean()
