"""A rule written (or edited) naming a topic or provider an admin merged away would match
nothing: articles carry the kept one. Every door that saves a rule (the rule form, a rules
file, the admin) names the kept one instead and tells the rule's writer
(services/rules.with_kept_names); save_rule does too, for any other caller."""

import importlib
import io
import json

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from curation.models import Article, ArticleState, Rule, RulesSwitch
from curation.services import rule_files, rules
from curation.services.rule_conditions import validate_definition
from curation.services.taxonomy_merge import merge_providers, merge_topics
from curation.tests.factories import client_for, make_article, make_provider, make_topic, make_user

pytestmark = pytest.mark.django_db

KEPT_WHEN = {"topic": ["Artificial intelligence"], "provider": ["Reuters"]}
TOLD = "“AI” was merged into the topic “Artificial intelligence”: the rule names “Artificial intelligence” instead."


@pytest.fixture(autouse=True)
def merged(db, superuser):
    """“AI” merged into “Artificial intelligence”; “Reuters UK (reuters.co.uk)” into “Reuters
    (reuters.com)”; an item of both merged ones (the kept ones' now) and another, in the queue."""
    importlib.import_module("curation.migrations.0012_rejection_reasons").add_default_reasons(apps, None)
    RulesSwitch.objects.update_or_create(pk=1, defaults={"enabled": True})
    Rule.objects.all().delete()
    kept, ai = make_topic(name="Artificial intelligence"), make_topic(name="AI")
    reuters, uk = (
        make_provider(name="Reuters", domain="reuters.com"),
        make_provider(name="Reuters UK", domain="reuters.co.uk"),
    )
    item = make_article(quality=80, topics=[ai], provider=uk)
    make_article(quality=80)  # one the rules do not match: they do not match everything
    merge_topics(keep=kept.pk, ids=[kept.pk, ai.pk], user=superuser)
    merge_providers(keep=reuters.pk, ids=[reuters.pk, uk.pk], user=superuser)
    return item


@pytest.fixture
def client():
    return client_for(make_user(role="editor", username="ruth", permissions=["change_rule"]))


def form_data(**overrides):
    return {
        "name": "AI wire",
        "action": "publish",
        "topic": "AI",
        "provider": "reuters.co.uk",
        "save": "1",
        **overrides,
    }


def test_the_rule_form_saves_the_kept_names_says_so_and_the_rule_matches(client, merged):
    response = client.post(reverse("curation:rule-new"), form_data(enabled="on"), follow=True)
    rule = Rule.objects.get()
    assert rule.definition["when"] == KEPT_WHEN
    assert TOLD in response.text
    assert "“reuters.co.uk” was merged into the provider “Reuters”" in response.text
    assert len(rules.run_rules(Article.objects.filter(state=ArticleState.NEW)).decisions) == 1
    assert Article.objects.get(pk=merged.pk).state == ArticleState.PUBLISHED


def test_editing_a_rule_to_name_a_merged_topic_saves_the_kept_name(client):
    rule = rules.save_rule(
        name="Wire", definition=validate_definition({"when": {"quality_min": 1}, "action": "publish"}), enabled=False
    )
    response = client.post(
        reverse("curation:rule-edit", args=[rule.pk]),
        form_data(name="Wire", provider="", action="add_topic", topic_to_add="AI", version=str(rule.version)),
        follow=True,
    )
    assert Rule.objects.get().definition == {
        "when": {"topic": ["Artificial intelligence"]},
        "action": "add_topic",
        "topic": "Artificial intelligence",
    }
    assert TOLD in response.text


def test_names_that_are_still_topics_or_providers_are_left_alone(client):
    make_provider(name="Reuters UK", domain="reutersuk.example")  # the name lives on, with another domain
    client.post(reverse("curation:rule-new"), form_data(topic="AI, Artificial intelligence", provider="Reuters UK"))
    assert Rule.objects.get().definition["when"] == {"topic": ["Artificial intelligence"], "provider": ["Reuters UK"]}


def test_a_rules_file_loads_the_kept_names_says_so_and_loads_again_unchanged(tmp_path):
    text = "- name: AI wire\n  enabled: true\n  when: {topic: [AI], provider: [REUTERS.CO.UK]}\n  action: publish\n"
    summary = rule_files.load(text)
    assert Rule.objects.get().definition["when"] == KEPT_WHEN
    assert summary["renamed"] == [
        f"rule “AI wire”: {TOLD}",
        "rule “AI wire”: “REUTERS.CO.UK” was merged into the provider “Reuters”: the rule names “Reuters” instead.",
    ]
    out = io.StringIO()
    (tmp_path / "rules.yaml").write_text(text, encoding="utf-8")
    call_command("load_rules", str(tmp_path / "rules.yaml"), stdout=out)
    assert "0 changed, 1 unchanged" in out.getvalue() and f"note: rule “AI wire”: {TOLD}" in out.getvalue()
    assert Rule.objects.get().version == 1


def test_the_admin_saves_the_kept_names_and_says_so(superuser):
    admin = client_for(superuser)
    definition = {"when": {"topic": ["AI"]}, "action": "flag", "note": "look"}
    response = admin.post(
        reverse("admin:curation_rule_add"),
        {
            "name": "Adm",
            "enabled": "",
            "position": "1",
            "definition": json.dumps(definition),
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    assert Rule.objects.get().definition["when"] == {"topic": ["Artificial intelligence"]}
    assert TOLD in response.text


def test_save_rule_itself_never_stores_a_merged_name():
    rule = rules.save_rule(
        name="Direct", definition=validate_definition({"when": {"topic": ["AI"]}, "action": "publish"}), enabled=False
    )
    assert rule.definition["when"] == {"topic": ["Artificial intelligence"]}
