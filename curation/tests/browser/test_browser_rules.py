"""The triage rules pages in a real browser (Debian's Chromium through Playwright): preview,
save (with the confirmation a rule matching everything asks for), enable/disable and move,
each with the mouse with JavaScript on and off and from the keyboard; axe-core on every page;
screenshots in light and dark to test-artifacts/."""

import re

import pytest
from django.contrib.auth.models import Permission

from curation.models import Rule, RulesSwitch
from curation.services import editorial, rules
from curation.services.rule_conditions import validate_definition
from curation.tests.browser_support import axe_violations, expect, save_screenshot
from curation.tests.factories import make_article, make_user


@pytest.fixture
def rule_editor(transactional_db):
    import importlib

    from django.apps import apps

    importlib.import_module("curation.migrations.0012_rejection_reasons").add_default_reasons(apps, None)
    RulesSwitch.objects.update_or_create(pk=1, defaults={"enabled": True})
    Rule.objects.all().delete()  # the migration's example rule, when the database is fresh
    user = make_user(role="editor", username="ruth")
    user.user_permissions.add(Permission.objects.get(codename="change_rule"))
    return user


@pytest.fixture
def decided(rule_editor):
    for n in range(3):
        make_article(title=f"Strong queue item {n}", quality=80 + n)
    make_article(title="Weak queue item", quality=10)
    liked = make_article(title="Editors published this", quality=90)
    editorial.publish_article(article=liked, user=rule_editor)
    disliked = make_article(title="Editors rejected this", quality=95)
    editorial.reject_article(article=disliked, user=rule_editor, reason_code="duplicate")


def two_rules():
    for name in ("First rule", "Second rule"):
        rules.save_rule(
            name=name,
            definition=validate_definition({"when": {"quality_min": 50}, "action": "flag", "note": name}),
            enabled=False,
        )


@pytest.mark.parametrize("scripts", [True, False], ids=["js", "no-js"])
def test_preview_then_save_with_the_mouse(open_page, rule_editor, decided, scripts):
    page, watch = open_page(user=rule_editor, java_script_enabled=scripts)
    check = expect()
    page.goto("/curate/rules/")
    assert not scripts or axe_violations(page) == []  # axe needs JavaScript
    page.get_by_role("link", name="New rule").click()
    page.get_by_label("Name", exact=True).fill("Strong go live")
    page.get_by_label("Quality at least").fill("70")
    page.get_by_role("button", name="Preview").click()
    check(page.locator("#decides-now")).to_contain_text(
        "It would act on 3 queue items no editor has acted on, of the 4"
    )
    check(page.locator("#backtest")).to_contain_text("1")
    check(page.locator(".disagreements")).to_contain_text("Editors rejected this")
    assert not Rule.objects.exists()
    assert not scripts or axe_violations(page) == []  # axe needs JavaScript
    if scripts:
        save_screenshot(page, "rules-preview-light.png")
        page.emulate_media(color_scheme="dark")
        save_screenshot(page, "rules-preview-dark.png")
        page.emulate_media(color_scheme="light")
    page.get_by_label("Enabled", exact=True).check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/curate/rules/$"))
    check(page.locator(".messages")).to_contain_text("Rule “Strong go live” saved (version 1)")
    rule = Rule.objects.get()
    assert rule.enabled and rule.definition == {"when": {"quality_min": 70}, "action": "publish"}
    assert not scripts or axe_violations(page) == []  # axe needs JavaScript
    if scripts:
        save_screenshot(page, "rules-list-light.png")
        page.emulate_media(color_scheme="dark")
        save_screenshot(page, "rules-list-dark.png")
    watch.assert_clean(allow=["favicon"])


@pytest.mark.parametrize("how", ["mouse-js", "mouse-no-js", "keyboard"])
def test_the_preview_ends_with_save_so_its_answer_is_saved_where_it_is_read(open_page, rule_editor, decided, how):
    """The preview opens at its answer, below the form: "Save this rule" follows it, so
    neither the mouse nor the keyboard has to go back up to the form's buttons."""
    page, watch = open_page(user=rule_editor, java_script_enabled=how != "mouse-no-js")
    check = expect()
    page.goto("/curate/rules/new/")
    page.get_by_label("Name", exact=True).fill("Strong items flagged")
    page.get_by_label("Action", exact=True).select_option("flag")
    page.get_by_label("Note (for Flag)").fill("strong")
    page.get_by_label("Quality at least").fill("70")
    page.get_by_role("button", name="Preview").click()
    check(page.locator("#decides-now")).to_contain_text("It would act on 3")
    page.wait_for_load_state("load")
    save_here = page.locator("#preview").get_by_role("button", name="Save this rule")
    if how == "keyboard":
        save_here.focus()
        page.keyboard.press("Enter")
    else:
        save_here.click()
    page.wait_for_url(re.compile(r"/curate/rules/$"))
    check(page.locator(".messages")).to_contain_text("Rule “Strong items flagged” saved (version 1)")
    rule = Rule.objects.get()
    assert rule.definition == {"when": {"quality_min": 70}, "action": "flag", "note": "strong"}
    watch.assert_clean(allow=["favicon"])


@pytest.mark.parametrize("how", ["mouse-js", "mouse-no-js", "keyboard"])
def test_change_the_conditions_goes_back_up_to_the_form(open_page, rule_editor, decided, how):
    """The preview's other way on: back to the form, whose fields keep what was previewed;
    from the keyboard the next Tab is the form's first field, not the link after the preview."""
    page, watch = open_page(user=rule_editor, java_script_enabled=how != "mouse-no-js")
    check = expect()
    page.goto("/curate/rules/new/")
    page.get_by_label("Name", exact=True).fill("Strong items")
    page.get_by_label("Quality at least").fill("70")
    page.get_by_role("button", name="Preview").click()
    check(page.locator("#decides-now")).to_contain_text("It would act on 3")
    page.wait_for_load_state("load")
    name = page.get_by_label("Name", exact=True)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    check(name).not_to_be_in_viewport()
    back = page.locator("#preview").get_by_role("link", name="Change the conditions")
    if how == "keyboard":
        back.focus()
        page.keyboard.press("Enter")
    else:
        back.click()
    page.wait_for_url(re.compile(r"/curate/rules/new/#rule-form$"))
    check(name).to_be_in_viewport()
    check(name).to_have_value("Strong items")
    if how == "keyboard":
        page.keyboard.press("Tab")
        check(name).to_be_focused()
    assert not Rule.objects.exists()
    watch.assert_clean(allow=["favicon"])


@pytest.mark.parametrize("scripts", [True, False], ids=["js", "no-js"])
def test_a_rule_matching_everything_asks_for_confirmation(open_page, rule_editor, decided, scripts):
    page, watch = open_page(user=rule_editor, java_script_enabled=scripts)
    check = expect()
    page.goto("/curate/rules/new/")
    page.get_by_label("Name", exact=True).fill("Flag everything")
    page.get_by_label("Action", exact=True).select_option("flag")
    page.get_by_label("Note (for Flag)").fill("look at all of it")
    page.get_by_role("button", name="Save", exact=True).click()
    check(page.locator("#matches-everything")).to_be_visible()
    assert not Rule.objects.exists()
    assert not scripts or axe_violations(page) == []  # axe needs JavaScript
    if scripts:
        save_screenshot(page, "rules-confirm-everything.png")
    page.get_by_label("Yes, this rule matches every item").check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/curate/rules/$"))
    assert Rule.objects.get().name == "Flag everything"
    watch.assert_clean(allow=["favicon", "400 (Bad Request)"])


@pytest.mark.parametrize("scripts", [True, False], ids=["js", "no-js"])
def test_enable_disable_and_move_with_the_mouse(open_page, rule_editor, scripts):
    two_rules()
    page, watch = open_page(user=rule_editor, java_script_enabled=scripts)
    check = expect()
    page.goto("/curate/rules/")
    page.get_by_role("button", name="Enable “First rule”").click()
    check(page.locator(".messages")).to_contain_text("“First rule” enabled")
    assert Rule.objects.get(name="First rule").enabled
    page.get_by_role("button", name="Disable “First rule”").click()
    check(page.locator(".messages")).to_contain_text("“First rule” disabled")
    page.get_by_role("button", name="Up “Second rule”").click()
    check(page.locator(".messages")).to_contain_text("moved up")
    assert list(Rule.objects.in_order().values_list("name", flat=True)) == ["Second rule", "First rule"]
    page.get_by_role("button", name="Down “Second rule”").click()
    check(page.locator(".messages")).to_contain_text("moved down")
    assert list(Rule.objects.in_order().values_list("name", flat=True)) == ["First rule", "Second rule"]
    assert not scripts or axe_violations(page) == []  # axe needs JavaScript
    watch.assert_clean(allow=["favicon"])


def test_everything_from_the_keyboard(open_page, rule_editor, decided):
    two_rules()
    page, watch = open_page(user=rule_editor)
    check = expect()
    page.goto("/curate/rules/")
    page.get_by_role("button", name="Enable “First rule”").focus()
    page.keyboard.press("Enter")
    check(page.locator(".messages")).to_contain_text("“First rule” enabled")
    page.get_by_role("button", name="Up “Second rule”").focus()
    page.keyboard.press("Space")
    check(page.locator(".messages")).to_contain_text("moved up")
    assert list(Rule.objects.in_order().values_list("name", flat=True)) == ["Second rule", "First rule"]
    page.get_by_role("link", name="New rule").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/curate/rules/new/$"))
    page.get_by_label("Name", exact=True).focus()
    page.keyboard.type("Keyboard rule")
    page.keyboard.press("Tab")  # Enabled
    page.keyboard.press("Space")
    page.get_by_label("Quality at least").focus()
    page.keyboard.type("70")
    page.keyboard.press("Enter")  # the form's first submit button: Preview
    check(page.locator("#decides-now")).to_contain_text("It would act on 3")
    assert not Rule.objects.filter(name="Keyboard rule").exists()
    # The preview opens at #preview: the browser's move to it at load may come after a focus
    # given as soon as the text shows (the full suite once lost the Save button's focus so).
    page.wait_for_load_state("load")
    page.get_by_role("button", name="Save", exact=True).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/curate/rules/$"))
    assert Rule.objects.get(name="Keyboard rule").enabled
    watch.assert_clean(allow=["favicon"])


@pytest.mark.parametrize("scripts", [True, False], ids=["js", "no-js"])
def test_a_flagged_item_in_the_queue_and_clearing_the_flag(open_page, rule_editor, scripts):
    article = make_article(title="Needs a second look", quality=75)
    rules.save_rule(
        name="Check",
        definition=validate_definition({"when": {"quality_min": 70}, "action": "flag", "note": "Check the figures"}),
        enabled=True,
    )
    from curation.models import Article

    rules.run_rules(Article.objects.all())
    page, watch = open_page(user=rule_editor, java_script_enabled=scripts)
    check = expect()
    page.goto("/curate/")
    page.get_by_label("Flagged by a rule").select_option("yes")
    page.get_by_role("button", name="Apply filters").click()
    check(page.locator(f'[data-flagged="{article.pk}"]')).to_contain_text("Check the figures")
    assert not scripts or axe_violations(page) == []  # axe needs JavaScript
    if scripts:
        save_screenshot(page, "rules-queue-flagged.png")
    page.goto(f"/curate/articles/{article.pk}/")
    check(page.locator("#flag-notice")).to_contain_text("Check the figures")
    page.get_by_role("button", name="Clear flag").click()
    check(page.locator(".messages")).to_contain_text("Flag cleared")
    article.refresh_from_db()
    assert article.flagged_at is None
    watch.assert_clean(allow=["favicon"])


@pytest.mark.parametrize("how", ["mouse-js", "mouse-no-js", "keyboard"])
def test_the_preview_opens_in_sight_and_names_the_action_as_the_form_does(open_page, rule_editor, decided, how):
    """Preview answered with the same page from its top: the preview, below the long form,
    was out of sight at 1280x800, so the click seemed to do nothing; its backtest named the
    action by its stored key ("publish")."""
    page, watch = open_page(
        user=rule_editor, java_script_enabled=how != "mouse-no-js", viewport={"width": 1280, "height": 800}
    )
    check = expect()
    page.goto("/curate/rules/new/")
    page.get_by_label("Name", exact=True).fill("Strong go live")
    page.get_by_label("Quality at least").fill("70")
    button = page.get_by_role("button", name="Preview")
    with page.expect_navigation():
        if how == "keyboard":
            button.focus()
            page.keyboard.press("Enter")
        else:
            button.click()
    check(page.locator("#decides-now")).to_contain_text("It would act on 3 queue items")
    check(page.locator("#preview-heading")).to_be_in_viewport()
    check(page.locator("#backtest tbody th")).to_have_text("Publish")
    # The form kept what was typed, and saving from there still works.
    check(page.get_by_label("Quality at least")).to_have_value("70")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/curate/rules/$"))
    assert Rule.objects.get().definition == {"when": {"quality_min": 70}, "action": "publish"}
    watch.assert_clean(allow=["favicon"])
