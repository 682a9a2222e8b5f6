"""Rules may be named with up to 200 characters (the rules editor, `load_rules`, the admin), and
the statistics count each rule's decisions under its name: a long name is counted and shown
whole. The rollup's key column held 120 characters: such a name was cut, the page answered 500
reading it back, and two long names alike in their first 120 characters stopped every refresh."""

import pytest
from django.urls import reverse

from curation.models import Article, ArticleState, RulesSwitch
from curation.services import rules, stats_rollup
from curation.services.rule_conditions import validate_definition
from curation.tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def rules_on(db):
    RulesSwitch.objects.update_or_create(pk=1, defaults={"enabled": True})


def decide_by_rule(name, quality):
    """A rule named `name` publishes the items of exactly this quality."""
    make_article(quality=quality)
    definition = validate_definition({"when": {"quality_min": quality, "quality_max": quality}, "action": "publish"})
    rules.save_rule(name=name, definition=definition, enabled=True)
    rules.run_rules(Article.objects.filter(state=ArticleState.NEW))


def rule_figure(client):
    response = client.get(reverse("curation:stats-data"))
    assert response.status_code == 200
    figure = next(f for f in response.json()["figures"] if f["id"] == "rules")
    decided = next(s for s in figure["series"] if s["key"] == "decided")
    return dict(zip(figure["labels"], decided["data"], strict=True))


@pytest.mark.parametrize("name", ["R" * 200, "Off-topic: " + "x" * 189])
def test_a_rule_with_a_200_character_name_has_its_row_in_the_statistics(editor_client, name):
    decide_by_rule(name, 10)
    assert rule_figure(editor_client) == {name: 1}
    assert editor_client.get(reverse("curation:stats")).status_code == 200


def test_two_long_rule_names_alike_in_their_first_120_characters_are_counted_apart(editor_client):
    first, second = "A" * 130 + " one", "A" * 130 + " two"
    decide_by_rule(first, 10)
    decide_by_rule(second, 20)
    assert rule_figure(editor_client) == {first: 1, second: 1}  # the page's own refresh counts them
    assert stats_rollup.lag() == {"audit": 0, "ledger": 0}


def test_migration_0029_forgets_a_rollup_holding_a_cut_rule_name_and_keeps_one_without():
    import datetime as dt
    import importlib

    from django.apps import apps

    from curation.models import StatsCount, StatsWatermark

    migration = importlib.import_module("curation.migrations.0029_stats_key_holds_rule_names")
    day = dt.date(2026, 3, 1)
    StatsWatermark.objects.create(source="audit", last_id=5)
    StatsCount.objects.create(metric="rule", day=day, key="Strong:decided", value=1)
    migration.forget_counts_with_cut_rule_names(apps, None)
    assert StatsCount.objects.count() == 1 and StatsWatermark.objects.count() == 1
    StatsCount.objects.create(metric="rule", day=day, key="R" * 120, value=1)  # cut: no kind left
    migration.forget_counts_with_cut_rule_names(apps, None)
    assert not StatsCount.objects.exists() and not StatsWatermark.objects.exists()
