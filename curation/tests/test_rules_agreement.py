"""The two evaluations of a rule agree: the ORM Q (queue runs, preview, backtest) and the
in-memory evaluator (the import's end), on generated rules and items (hypothesis)."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation.models import Article, Provider, Story
from curation.services import rule_actions, rules
from curation.services.rule_conditions import CompiledRule, validate_definition
from curation.tests.factories import make_article

pytestmark = pytest.mark.django_db

NOW = timezone.now()
small = st.integers(-3, 200)
when = st.fixed_dictionaries(
    {},
    optional={
        "quality_min": small,
        "quality_max": small,
        "heat_min": st.integers(-2, 50),
        "heat_max": st.integers(-2, 50),
        "heat_unknown": st.booleans(),
        "provider": st.lists(st.sampled_from(["Alpha", "beta.example", "Gamma", "other"]), min_size=1, max_size=2),
        "topic": st.lists(st.sampled_from(["AI", "Science", "Gone"]), min_size=1, max_size=2),
        "category": st.lists(st.sampled_from(["news", "tech"]), min_size=1, max_size=2),
        "type": st.sampled_from(["article", "video"]),
        "has_images": st.booleans(),
        "source_published": st.booleans(),
        "story_size_min": st.integers(1, 4),
        # Up to the largest a rule may hold (10**9 hours, before any stored date).
        "age_max_hours": st.integers(1, 100) | st.integers(10**6, 10**9),
        "title_matches": st.sampled_from(["(?i)storm", "^Story", "\\d+$", "[é]"]),
    },
)
action = st.sampled_from(["publish", "flag"])
items = st.lists(
    st.fixed_dictionaries(
        {
            "quality": st.none() | small,
            "heat": st.none() | st.integers(-1, 50),
            "provider": st.sampled_from([0, 1, 2]),
            "topics": st.lists(st.sampled_from(["AI", "Science"]), unique=True, max_size=2),
            "category": st.sampled_from(["news", "tech", ""]),
            "article_type": st.sampled_from(["article", "video"]),
            "has_images": st.booleans(),
            "source_published": st.booleans(),
            "age": st.none() | st.integers(0, 200),
            "story": st.sampled_from([None, 1, 3]),
            "title": st.sampled_from(["Storm hits", "Story 12", "café", "A storm"]),
            "needs_metadata": st.booleans(),
        }
    ),
    min_size=1,
    max_size=8,
)


def build(values, providers):
    story = None
    if values["story"]:
        story = Story.objects.create(size=values["story"], created_at=NOW, updated_at=NOW)
    age = values["age"]
    return make_article(
        quality=values["quality"], heat=values["heat"], provider=providers[values["provider"]], topics=values["topics"],
        category=values["category"], article_type=values["article_type"], has_images=values["has_images"],
        source_published=values["source_published"], published_at=None if age is None else NOW - dt.timedelta(hours=age),
        story=story, title=values["title"], needs_metadata=values["needs_metadata"],
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(when, action, items)
def test_the_query_and_the_evaluator_agree(conditions, act, values):
    importlib.import_module("curation.migrations.0012_rejection_reasons").add_default_reasons(apps, None)
    try:
        definition = validate_definition({"when": conditions, "action": act, **({"note": "n"} if act == "flag" else {})})
    except Exception:
        return  # an impossible rule (min above max): refused before it is ever evaluated
    Article.objects.all().delete()
    Story.objects.all().delete()
    providers = [
        Provider.objects.get_or_create(name=name, domain=domain)[0]
        for name, domain in (("Alpha", "alpha.example"), ("Beta", "beta.example"), ("Gamma", "gamma.example"))
    ]
    built = [build(v, providers) for v in values]
    rule = CompiledRule(rule_id=None, name="r", version=1, definition=definition)
    by_q = set(
        pk for pk, title in Article.objects.filter(rule.q(NOW)).filter(rule_actions.eligible_q()).values_list("pk", "title")
        if rule.regex_matches(title, "")
    )
    facts = rules.item_facts(Article.objects.filter(pk__in=[a.pk for a in built]))
    in_memory = {f.pk for f in facts if rule.matches(f, NOW)}
    assert by_q == in_memory
