"""The rule form's checkboxes ("Enabled", "Yes, match everything") in Chromium, at 1280 and
390 px: the label, the box and its hint read in that order, left to right then down. The
field was laid out with row-reverse, so the hint sat left of the box and the label last on
the line, the reverse of what a screen reader reads. The box is described by the hint it
names (Django writes aria-describedby="id_<name>_helptext"; the hint had no such id)."""

import pytest
from django.contrib.auth.models import Permission

from curation.models import Rule, RulesSwitch
from curation.tests.browser_support import axe_violations, expect, save_screenshot
from curation.tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(390, id="phone")]


@pytest.fixture
def rule_editor(transactional_db):
    RulesSwitch.objects.update_or_create(pk=1, defaults={"enabled": True})
    Rule.objects.all().delete()
    user = make_user(role="editor", username="ruth")
    user.user_permissions.add(Permission.objects.get(codename="change_rule"))
    return user


def reads_after(earlier, later):
    """`later` comes after `earlier` in reading order: right of it on the same line, or on a
    line below it."""
    same_line = abs(later["y"] + later["height"] / 2 - (earlier["y"] + earlier["height"] / 2)) < earlier["height"]
    if same_line:
        return later["x"] >= earlier["x"] + earlier["width"] - 1
    return later["y"] >= earlier["y"] + earlier["height"] - 1


@pytest.mark.parametrize("width", WIDTHS)
def test_the_enabled_box_reads_label_box_hint_in_order(open_page, rule_editor, width):
    page, watch = open_page(user=rule_editor, viewport={"width": width, "height": 900})
    page.goto("/curate/rules/new/")
    page.wait_for_load_state()
    field = page.locator(".rule-form .field.checkbox").first
    label, box, hint = field.locator("label"), field.locator("input[type=checkbox]"), field.locator("small")
    expect()(box).to_have_accessible_name("Enabled")
    expect()(box).to_have_accessible_description(hint.inner_text())
    boxes = [part.bounding_box() for part in (label, box, hint)]
    assert reads_after(boxes[0], boxes[1]), f"the box is not after its label: {boxes}"
    assert reads_after(boxes[1], boxes[2]), f"the hint is not after the box: {boxes}"
    assert boxes[2]["x"] + boxes[2]["width"] <= width  # nothing off the side of a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    field.scroll_into_view_if_needed()
    save_screenshot(page, f"rule-form-enabled-{width}.png", full_page=False)
    assert axe_violations(page) == []
    # The label still toggles the box, with the mouse and from the keyboard.
    checked = box.is_checked()
    label.click()
    expect()(box).to_be_checked(checked=not checked)
    box.focus()
    page.keyboard.press("Space")
    expect()(box).to_be_checked(checked=checked)
    watch.assert_clean()
