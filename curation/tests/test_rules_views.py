"""The curator's rules pages, the preview and backtest, the flag in the queue and history."""

import importlib
import re

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from curation import selectors_rules
from curation.models import Article, Rule, RulesSwitch
from curation.services import editorial, rules
from curation.services.rule_conditions import CompiledRule, validate_definition
from curation.tests.factories import client_for, make_article, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def setup(db):
    importlib.import_module("curation.migrations.0012_rejection_reasons").add_default_reasons(apps, None)
    RulesSwitch.objects.update_or_create(pk=1, defaults={"enabled": True})
    Rule.objects.all().delete()


@pytest.fixture
def rule_editor(db):
    return make_user(role="editor", username="ruth", permissions=["change_rule"])


@pytest.fixture
def client(rule_editor):
    return client_for(rule_editor)


def form_data(**overrides):
    data = {"name": "Strong", "action": "publish", "quality_min": "70"}
    data.update(overrides)
    return data


def test_rules_pages_need_the_permission(editor_client):
    refused = editor_client.get(reverse("curation:rule-list"))
    assert refused.status_code == 403
    # An editor without it is told whom to ask and for what, not only that they may not.
    assert "ask one if you need to" in refused.content.decode() and "Can change rule" in refused.content.decode()
    assert Client().get(reverse("curation:rule-list")).status_code == 302


def test_preview_saves_nothing_and_shows_counts_samples_and_the_backtest(client, editor):
    queue_items = [make_article(quality=80) for _ in range(3)]
    make_article(quality=10)
    agreed = make_article(quality=90, title="Editors liked it")
    editorial.publish_article(article=agreed, user=editor)
    disagreed = make_article(quality=95, title="Editors threw it out")
    editorial.reject_article(article=disagreed, user=editor, reason_code="duplicate")
    response = client.post(reverse("curation:rule-new"), form_data(preview="1"))
    assert response.status_code == 200 and not Rule.objects.exists()
    preview = response.context["preview"]
    assert preview.decides_now == 3 and [a.pk for a in preview.samples] == sorted((a.pk for a in queue_items), reverse=True)
    assert preview.backtest == {"published": 1, "rejected": 1} and (preview.agrees, preview.disagrees) == (1, 1)
    assert [a.pk for a in preview.disagreements] == [disagreed.pk]
    html = response.content.decode()
    assert "Editors threw it out" in html and 'id="backtest"' in html


def test_save_makes_a_version_and_returns_to_the_list(client, rule_editor):
    response = client.post(reverse("curation:rule-new"), form_data(save="1", enabled="on"))
    assert response.status_code == 302
    rule = Rule.objects.get()
    assert (rule.version, rule.enabled, rule.definition, rule.updated_by) == (1, True, {"when": {"quality_min": 70}, "action": "publish"}, rule_editor)
    client.post(reverse("curation:rule-edit", args=[rule.pk]), form_data(save="1", quality_min="75"))
    rule.refresh_from_db()
    assert rule.version == 2 and rule.enabled is False and rule.versions.count() == 2
    page = client.get(reverse("curation:rule-list")).content.decode()
    assert "Strong" in page and "v2" in page


def test_a_rule_matching_every_item_asks_for_confirmation(client):
    make_article(quality=80)
    response = client.post(reverse("curation:rule-new"), form_data(save="1", quality_min="", action="flag", note="all"))
    assert response.status_code == 400 and not Rule.objects.exists()
    assert "matches every item" in response.content.decode()
    response = client.post(reverse("curation:rule-new"), form_data(save="1", quality_min="", action="flag", note="all", confirm_everything="on"))
    assert response.status_code == 302 and Rule.objects.exists()


def test_an_age_reaching_back_before_any_stored_date_previews_every_dated_item(client):
    # 10**9 hours (the most a whole-number condition may be) is 114,000 years: the cut-off
    # was computed as now minus that, an OverflowError and a 500 on the preview.
    dated = [make_article(quality=80, published_at="1001-01-01T00:00:00Z"), make_article(quality=80)]
    make_article(quality=80, published_at=None)
    response = client.post(reverse("curation:rule-new"), form_data(preview="1", age_max_hours=str(10**9)))
    assert response.status_code == 200
    assert sorted(a.pk for a in response.context["preview"].samples) == sorted(a.pk for a in dated)


def test_a_bad_regex_is_shown_next_to_its_field(client):
    response = client.post(reverse("curation:rule-new"), form_data(preview="1", title_matches="(a)\\1"))
    assert response.status_code == 400
    assert " ".join(response.context["form"].errors["title_matches"]) == (
        "not a pattern this matcher accepts: \\1 repeats an earlier part; looking ahead or behind, and "
        "repeating an earlier part (such as \\1), are not supported"
    )


def test_a_reject_rule_needs_a_reason(client):
    response = client.post(reverse("curation:rule-new"), form_data(save="1", action="reject"))
    assert response.status_code == 400 and "reason" in response.context["form"].errors


def test_toggle_and_reorder(client):
    a = rules.save_rule(name="A", definition=validate_definition({"when": {}, "action": "flag", "note": "a"}), enabled=False)
    b = rules.save_rule(name="B", definition=validate_definition({"when": {}, "action": "flag", "note": "b"}), enabled=False)
    client.post(reverse("curation:rule-toggle", args=[a.pk]))
    a.refresh_from_db()
    assert a.enabled and a.version == 2
    client.post(reverse("curation:rule-move", args=[b.pk, "up"]))
    assert list(Rule.objects.in_order().values_list("name", flat=True)) == ["B", "A"]
    assert client.post(reverse("curation:rule-move", args=[b.pk, "sideways"])).status_code == 404
    assert client.get(reverse("curation:rule-toggle", args=[a.pk])).status_code == 405


def test_the_list_says_when_rules_are_off(client, settings):
    settings.RULES_ENABLED = False
    assert "No rule runs now" in client.get(reverse("curation:rule-list")).content.decode()


def test_the_preview_warns_about_deleted_providers_and_topics():
    rule = CompiledRule(None, "r", 0, validate_definition({"when": {"provider": ["Nobody"], "topic": ["Nothing"]}, "action": "flag", "note": "n"}))
    warnings = selectors_rules.preview(rule).warnings
    assert "“Nobody”" in warnings[0] and "“Nothing”" in warnings[1]


def test_a_regex_preview_over_many_candidates_samples_and_says_so(monkeypatch):
    monkeypatch.setattr(selectors_rules, "REGEX_CANDIDATES", 4)
    for n in range(10):
        make_article(title=f"{'Crypto' if n % 2 else 'Plain'} {n}")
    rule = CompiledRule(None, "r", 0, validate_definition({"when": {"title_matches": "^Crypto"}, "action": "flag", "note": "n"}))
    preview = selectors_rules.preview(rule)
    assert "newest 4 of 10" in preview.sampled and preview.decides_now == 5


def test_flagged_items_show_a_marker_and_filter_in_the_queue(editor_client, editor):
    flagged = make_article(quality=80, title="Look at me")
    plain = make_article(quality=10, title="Nothing to see")
    rules.save_rule(name="F", definition=validate_definition({"when": {"quality_min": 70}, "action": "flag", "note": "Check the numbers"}), enabled=True)
    rules.run_rules(Article.objects.all())
    page = editor_client.get(reverse("curation:queue"), {"flagged": "yes"}).content.decode()
    assert "Look at me" in page and "Nothing to see" not in page and "⚑ Check the numbers" in page
    page = editor_client.get(reverse("curation:queue"), {"flagged": "no"}).content.decode()
    assert "Nothing to see" in page and "Look at me" not in page
    detail = editor_client.get(reverse("curation:article-detail", args=[flagged.pk])).content.decode()
    assert "Check the numbers" in detail and "via rule “F” v1" in detail
    editor_client.post(reverse("curation:article-clear-flag", args=[flagged.pk]))
    flagged.refresh_from_db()
    assert flagged.flagged_at is None and plain.pk


def test_clearing_the_flag_of_an_item_deleted_since_the_page_was_drawn_is_a_404_not_a_500(editor_client, viewer_client):
    flagged = make_article(title="Gone soon", flagged_at=timezone.now(), flag_note="Check")
    url = reverse("curation:article-clear-flag", args=[flagged.pk])
    assert viewer_client.post(url).status_code == 403  # read-only: refused before anything is read
    Article.objects.filter(pk=flagged.pk).delete()  # an admin deletes it meanwhile
    assert editor_client.post(url).status_code == 404


def test_the_admin_saves_a_version_and_refuses_a_bad_definition(superuser):
    client = Client()
    client.force_login(superuser)
    url = reverse("admin:curation_rule_add")
    response = client.post(url, {"name": "Adm", "enabled": "", "position": "1", "definition": '{"when": {"quality_min": "x"}, "action": "publish"}',
                                 "versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0"})
    assert response.status_code == 200 and not Rule.objects.exists()
    response = client.post(url, {"name": "Adm", "enabled": "", "position": "1", "definition": '{"when": {"quality_min": 70}, "action": "publish"}',
                                 "versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0"})
    assert response.status_code == 302
    assert Rule.objects.get().versions.count() == 1
    assert client.get(reverse("admin:curation_rulesswitch_changelist")).status_code == 200


def test_an_add_topic_rule_with_a_topic_condition_keeps_the_two_apart(client):
    response = client.post(
        reverse("curation:rule-new"),
        form_data(save="1", quality_min="", action="add_topic", topic="AI, ML", topic_to_add="Machine learning"),
    )
    assert response.status_code == 302
    assert Rule.objects.get().definition == {"when": {"topic": ["AI", "ML"]}, "action": "add_topic", "topic": "Machine learning"}
    page = client.get(reverse("curation:rule-edit", args=[Rule.objects.get().pk])).content.decode()
    assert 'value="Machine learning"' in page and 'value="AI, ML"' in page


def test_the_list_names_a_rejection_reason_as_editors_pick_it(client):
    """The list said "Reject (low-quality)": the reason's code, a word no editor picks."""
    definition = validate_definition({"action": "reject", "reason": "low-quality", "when": {"quality_max": 20}})
    rules.save_rule(name="Weak out", definition=definition, enabled=False)
    page = client.get(reverse("curation:rule-list")).content.decode()
    assert "Reject (Low quality)" in page
    assert "low-quality" not in page


@pytest.mark.parametrize(
    "typed, field, words",
    [
        ({"quality_min": "80", "quality_max": "20"}, "quality_min", "is above “Quality at most”: the rule could never match"),
        ({"quality_min": "", "heat_min": "50", "heat_max": "10"}, "heat_min", "is above “Heat at most”"),
        (
            {"heat_unknown": "yes", "heat_min": "10"},
            "heat_unknown",
            "“Heat at least”/“Heat at most” apply to known heat only",
        ),
    ],
)
def test_a_refusal_names_the_other_condition_by_its_label_not_its_key(client, typed, field, words):
    """The form said "is above quality_max" and "heat_min/heat_max apply to known heat only":
    a rules file's keys, which no field of the form shows."""
    response = client.post(reverse("curation:rule-new"), form_data(preview="1", **typed))
    assert response.status_code == 400
    said = " ".join(response.context["form"].errors[field])
    assert words in said
    assert not re.search(r"\b(quality|heat)_(min|max)\b", said), said
    assert words in response.content.decode()  # on the page, beside the field
    assert response.context["form"][field].field.widget.attrs.get("autofocus")  # the refused field


def test_a_patterns_refusal_quotes_what_was_typed_as_typed(client):
    response = client.post(reverse("curation:rule-new"), form_data(preview="1", title_matches="type{2,100000}"))
    assert "{2,100000}" in " ".join(response.context["form"].errors["title_matches"])


@pytest.mark.parametrize(
    "field, value, least",
    [("story_size_min", "-3", 1), ("story_size_min", "0", 1), ("age_max_hours", "0", 1), ("age_max_hours", "-2", 1)],
)
def test_a_story_size_or_an_age_below_one_is_refused_at_its_field(client, field, value, least):
    """Story size at least -3 was saved without a word (it matches every item, as 1 does); an
    age of 0 or -2 hours matches no item at all."""
    response = client.post(reverse("curation:rule-new"), form_data(save="1", **{field: value}))
    assert response.status_code == 400 and not Rule.objects.exists()
    assert " ".join(response.context["form"].errors[field]) == f"must be between {least} and 1000000000"


def test_a_stored_rule_with_a_story_size_below_one_keeps_running_as_one():
    """Migration 0030: such rules meant what 1 means; stored as 1, they are not left out."""
    migration = importlib.import_module("curation.migrations.0030_rule_story_size_at_least_one")
    now = timezone.now()
    rule = Rule.objects.create(created_at=now, updated_at=now, name="Any story", definition={"when": {"story_size_min": -3}, "action": "flag", "note": "x"})
    kept = Rule.objects.create(created_at=now, updated_at=now, name="Big story", definition={"when": {"story_size_min": 4}, "action": "flag", "note": "x"})
    assert rules.load_compiled(names=["Any story"])[1]  # refused as it was stored
    migration.story_size_at_least_one(apps, None)
    rule.refresh_from_db(), kept.refresh_from_db()
    assert rule.definition["when"]["story_size_min"] == 1 and kept.definition["when"]["story_size_min"] == 4
    assert rules.load_compiled(names=["Any story", "Big story"])[1] == []
