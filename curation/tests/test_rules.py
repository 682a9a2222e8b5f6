"""Triage rules: the engine, its safety rules and the issue's bad inputs (issue 16)."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from curation.models import Article, ArticleFlag, ArticleState, EditorialAction, Rule, RulesSwitch, RuleVersion
from curation.services import editorial, rule_actions, rules
from curation.services.rule_conditions import RuleDefinitionError, validate_definition
from curation.tests.factories import make_article, make_provider, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def default_reasons(db):
    importlib.import_module("curation.migrations.0012_rejection_reasons").add_default_reasons(apps, None)
    RulesSwitch.objects.update_or_create(pk=1, defaults={"enabled": True})


def make_rule(name, when=None, action="publish", enabled=True, **extra):
    definition = validate_definition({"when": when or {}, "action": action, **extra})
    return rules.save_rule(name=name, definition=definition, enabled=enabled)


def queue():
    return Article.objects.filter(state=ArticleState.NEW)


def test_the_first_rule_that_decides_wins_and_flags_do_not_stop_the_list():
    good = make_article(quality=80)
    crypto = make_article(quality=90, title="Bitcoin hits a high")
    low = make_article(quality=10)
    make_rule("flag crypto", {"title_matches": "(?i)bitcoin"}, action="flag", note="check crypto")
    make_rule("crypto off-topic", {"title_matches": "(?i)\\bbitcoin\\b"}, action="reject", reason="off-topic")
    make_rule("strong", {"quality_min": 70})
    result = rules.run_rules(queue())
    states = dict(Article.objects.values_list("pk", "state"))
    assert states[good.pk] == "published" and states[crypto.pk] == "rejected" and states[low.pk] == "new"
    assert result.counts == {"flag crypto": {"flag": 1}, "crypto off-topic": {"reject": 1}, "strong": {"publish": 1}}
    crypto.refresh_from_db()
    assert crypto.flag_note == "check crypto" and crypto.flagged_at and crypto.rejection_code == "off-topic"


def test_conflicting_rules_are_settled_by_order():
    article = make_article(quality=80)
    make_rule("reject all strong", {"quality_min": 50}, action="reject", reason="low-quality")
    make_rule("publish strong", {"quality_min": 70})
    rules.run_rules(queue())
    article.refresh_from_db()
    assert article.state == "rejected"
    rule = Rule.objects.get(name="publish strong")
    rules.move_rule(rule, -1)
    restored = make_article(quality=80)
    rules.run_rules(queue())
    restored.refresh_from_db()
    assert restored.state == "published"


def test_the_audit_row_names_the_rule_and_its_version_and_has_no_actor():
    article = make_article(quality=75)
    rule = make_rule("strong", {"quality_min": 70})
    rule = rules.save_rule(rule=rule, name="strong", definition=rule.definition, enabled=True)  # v2
    rules.run_rules(queue())
    row = EditorialAction.objects.get(article=article, action="publish")
    assert (row.via, row.actor, row.rule_id, row.rule_name, row.rule_version) == ("rule", None, rule.pk, "strong", 2)
    assert row.via_label == "rule “strong” v2"
    assert RuleVersion.objects.filter(rule=rule).count() == 2


def test_every_save_keeps_the_old_version_readable():
    rule = make_rule("strong", {"quality_min": 70})
    rules.save_rule(rule=rule, name="strong", definition=validate_definition({"when": {"quality_min": 90}, "action": "publish"}), enabled=True)
    versions = {v.version: v.definition["when"] for v in RuleVersion.objects.filter(rule=rule)}
    assert versions == {1: {"quality_min": 70}, 2: {"quality_min": 90}}


@pytest.mark.parametrize("how", ["decided", "edited", "unpublished", "restored"])
def test_rules_never_overrule_an_editor(editor, how):
    article = make_article(quality=80)
    if how == "decided":
        editorial.reject_article(article=article, user=editor, reason_code="duplicate")
    elif how == "edited":
        editorial.edit_article(article=article, user=editor, title="A better title")
    elif how == "unpublished":
        editorial.publish_article(article=article, user=editor)
        editorial.unpublish_article(article=article, user=editor)
    else:
        editorial.reject_article(article=article, user=editor)
        editorial.restore_article(article=article, user=editor)
    before = Article.objects.get(pk=article.pk)
    make_rule("strong", {"quality_min": 70})
    make_rule("flag", {"quality_min": 70}, action="flag", note="look")
    make_rule("topic", {"quality_min": 70}, action="add_topic", topic="Strong")
    result = rules.run_rules(Article.objects.all())
    after = Article.objects.get(pk=article.pk)
    assert (after.state, after.version, after.flagged_at) == (before.state, before.version, None)
    assert result.decisions == []
    assert not EditorialAction.objects.filter(article=article, via="rule").exists()


def test_an_editor_acting_between_the_match_and_the_write_wins(editor):
    article = make_article(quality=80)
    rule = rules.compiled(make_rule("strong", {"quality_min": 70}))
    editorial.edit_article(article=article, user=editor, title="Mine now")
    with pytest.raises(rule_actions.Skipped):
        rule_actions.apply(article.pk, rule)
    assert Article.objects.get(pk=article.pk).state == "new"


def test_an_editors_later_decision_wins_over_a_rules(editor):
    article = make_article(quality=80)
    make_rule("strong", {"quality_min": 70})
    rules.run_rules(queue())
    editorial.unpublish_article(article=article, user=editor)
    rules.run_rules(queue())
    assert Article.objects.get(pk=article.pk).state == "new"  # the rule does not publish it again


def test_a_rule_edited_while_it_runs_acts_at_the_version_the_run_started_with():
    articles = [make_article(quality=80) for _ in range(3)]
    rule = make_rule("strong", {"quality_min": 70})
    started, _ = rules.load_compiled()
    rules.save_rule(rule=rule, name="strong", definition=validate_definition({"when": {"quality_min": 99}, "action": "publish"}), enabled=True)
    result = rules.run_rules(queue(), rules=started)
    assert len(result.decisions) == 3 and result.rules == ["strong v1"]
    assert set(EditorialAction.objects.filter(article__in=articles).values_list("rule_version", flat=True)) == {1}


def test_quality_189_and_heat_minus_one():
    high = make_article(quality=189, heat=-1)
    hot = make_article(quality=10, heat=5)
    make_rule("unknown heat", {"heat_unknown": True}, action="add_topic", topic="Heat unknown")
    make_rule("hot", {"heat_min": 0}, action="flag", note="hot")
    make_rule("strong", {"quality_min": 70, "quality_max": 200})
    rules.run_rules(queue())
    high.refresh_from_db()
    hot.refresh_from_db()
    assert high.state == "published" and high.flagged_at is None  # -1 is unknown, not below 0
    assert list(high.topics.values_list("name", flat=True)) == ["Heat unknown"]
    assert hot.flag_note == "hot" and not hot.topics.filter(name="Heat unknown").exists()


def test_body_only_items_are_never_published_by_a_rule_until_completed(editor):
    item = make_article(quality=95, has_front_matter=False, needs_metadata=True, provider=make_provider(), web_url="")
    make_rule("strong", {"quality_min": 70})
    assert rules.run_rules(queue()).decisions == []
    assert Article.objects.get(pk=item.pk).state == "new"
    # Completing it is an editor's act: rules leave it alone afterwards too.
    editorial.complete_article(article=item, user=editor, title="Completed", provider_name="P", published_at=timezone.now())
    assert rules.run_rules(queue()).decisions == []


def test_a_provider_or_topic_deleted_after_the_rule_was_written_matches_nothing():
    provider, topic = make_provider(name="Gone Daily", domain="gone.example"), make_topic(name="Gone")
    article = make_article(quality=10, topics=[topic], provider=make_provider())
    make_rule("by provider", {"provider": ["Gone Daily", "gone.example"]}, action="flag", note="p")
    make_rule("by topic", {"topic": ["Gone"]}, action="flag", note="t")
    provider.delete()
    topic.delete()
    assert rules.run_rules(queue()).decisions == []
    assert Article.objects.get(pk=article.pk).flagged_at is None


def test_provider_by_name_or_domain_and_topic_any_of():
    times = make_provider(name="Fast Company", domain="fastcompany.com")
    one = make_article(provider=times, topics=["AI"])
    two = make_article(provider=times, topics=["Cooking"])
    make_rule("ai from fc", {"provider": ["fastcompany.com"], "topic": ["AI", "ML"]}, action="flag", note="x")
    result = rules.run_rules(queue())
    assert [d["article"] for d in result.decisions] == [one.pk] and two.pk not in [d["article"] for d in result.decisions]


def test_story_size_age_images_source_published_category_and_type():
    old = make_article(published_at=timezone.now() - dt.timedelta(hours=50), has_images=True, source_published=True)
    new = make_article(published_at=timezone.now() - dt.timedelta(hours=1), has_images=True, source_published=True, category="tech")
    make_rule(
        "fresh tech",
        {"age_max_hours": 24, "has_images": True, "source_published": True, "category": ["tech"], "type": "article", "story_size_min": 1},
        action="flag",
        note="fresh",
    )
    assert [d["article"] for d in rules.run_rules(queue()).decisions] == [new.pk]
    assert Article.objects.get(pk=old.pk).flagged_at is None


def test_the_cap_stops_the_run_and_says_so():
    for _ in range(5):
        make_article(quality=80)
    make_rule("strong", {"quality_min": 70})
    result = rules.run_rules(queue(), cap=2)
    assert len(result.decisions) == 2 and "cap of 2" in result.stopped
    assert queue().count() == 3


def test_the_kill_switch_setting_and_the_admin_toggle(settings):
    article = make_article(quality=80)
    make_rule("strong", {"quality_min": 70})
    settings.RULES_ENABLED = False
    assert "RULES_ENABLED" in rules.run_rules(queue()).disabled
    settings.RULES_ENABLED = True
    RulesSwitch.objects.filter(pk=1).update(enabled=False)
    assert "switch" in rules.run_rules(queue()).disabled
    assert Article.objects.get(pk=article.pk).state == "new"
    RulesSwitch.objects.filter(pk=1).update(enabled=True)
    assert len(rules.run_rules(queue()).decisions) == 1


def test_dry_run_writes_nothing():
    article = make_article(quality=80)
    make_rule("strong", {"quality_min": 70})
    result = rules.run_rules(queue(), dry_run=True)
    assert result.decisions == [{"article": article.pk, "rule": "strong", "action": "publish"}]
    assert Article.objects.get(pk=article.pk).state == "new" and not EditorialAction.objects.exists()


def test_flags_and_topics_are_not_repeated_by_a_second_run():
    article = make_article(quality=80)
    make_rule("flag", {"quality_min": 70}, action="flag", note="look")
    make_rule("topic", {"quality_min": 70}, action="add_topic", topic="Strong")
    assert len(rules.run_rules(queue()).decisions) == 2
    second = rules.run_rules(queue())
    assert second.decisions == [] and ArticleFlag.objects.filter(article=article).count() == 1


def test_a_rule_whose_reason_was_retired_is_left_out_and_said():
    from curation.models import RejectionReason

    make_article(quality=10)
    make_rule("low", {"quality_max": 20}, action="reject", reason="low-quality")
    RejectionReason.objects.filter(code="low-quality").update(active=False)
    result = rules.run_rules(queue())
    assert result.decisions == [] and "left out" in result.errors[0]


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        ({"when": {"title_matches": "(unclosed"}, "action": "publish"}, "when.title_matches"),
        ({"when": {"title_matches": "(a)\\1"}, "action": "publish"}, "when.title_matches"),  # backreference: not RE2
        ({"when": {"quality_min": "70"}, "action": "publish"}, "when.quality_min"),
        ({"when": {"quality_min": True}, "action": "publish"}, "when.quality_min"),
        ({"when": {"quality_min": 80, "quality_max": 70}, "action": "publish"}, "when.quality_min"),
        ({"when": {"heat_unknown": True, "heat_min": 1}, "action": "publish"}, "when.heat_unknown"),
        ({"when": {"colour": "red"}, "action": "publish"}, "when.colour"),
        ({"when": {"provider": []}, "action": "publish"}, "when.provider"),
        ({"when": {}, "action": "delete"}, "action"),
        ({"when": {}, "action": "reject"}, "reason"),
        ({"when": {}, "action": "reject", "reason": "no-such"}, "reason"),
        ({"when": {}, "action": "flag"}, "note"),
        ({"when": {}, "action": "add_topic", "topic": "  "}, "topic"),
        ({"when": {}, "action": "publish", "note": "x"}, "note"),
    ],
)
def test_bad_definitions_name_the_field(definition, field):
    with pytest.raises(RuleDefinitionError) as caught:
        validate_definition(definition)
    assert caught.value.field == field


def test_a_runaway_pattern_cannot_run_away():
    # Exponential in a backtracking engine; linear in RE2.
    make_article(title="a" * 5000 + "!")
    make_rule("evil", {"title_matches": "^(a+)+$"}, action="flag", note="x")
    assert rules.run_rules(queue()).decisions == []


def test_the_example_rule_ships_disabled():
    migration = importlib.import_module("curation.migrations.0017_rules")
    Rule.objects.filter(name=migration.EXAMPLE_RULE["name"]).delete()
    migration.add_example_rule(apps, None)
    rule = Rule.objects.get(name=migration.EXAMPLE_RULE["name"])
    assert rule.enabled is False and rule.definition == {"when": {"quality_min": 70}, "action": "publish"}
    validate_definition(rule.definition)


def test_a_dry_run_reads_its_items_in_a_fixed_number_of_queries_per_chunk(django_assert_max_num_queries):
    """No query per item: one for the candidates' values and one for their topics a chunk,
    whatever rules read (provider, story, text and topic conditions all at once)."""
    provider = make_provider(name="Wire", domain="wire.example")
    for index in range(7):
        make_article(provider=provider, quality=80, topics=["AI", f"T{index}"], title=f"Union strike {index}")
    make_rule("wire", {"provider": ["Wire"], "story_size_min": 1}, action="flag", note="w")
    make_rule("ai", {"topic": ["AI"], "text_matches": "(?s).*"}, action="flag", note="ai")
    make_rule("strike", {"title_matches": "(?i)strike", "quality_min": 70})
    with django_assert_max_num_queries(2 + 3 * 2 + 1):  # the rules, the switch, three chunks of 3 (values, topics), the empty last one
        result = rules.run_rules(queue(), dry_run=True, chunk=3)
    assert result.items == 7 and len(result.decisions) == 21
    facts = rules.item_facts(queue())
    assert [sorted(f.topics) for f in facts][0] == ["AI", "T0"] and facts[0].provider_name == "Wire"


def test_the_preview_says_a_rule_matches_the_whole_queue_only_when_no_item_escapes_it():
    from curation.selectors_rules import preview

    make_article(quality=80, topics=["AI"])
    blank = make_article(quality=None, topics=["AI"])
    any_quality = rules.compiled(make_rule("any quality", {"quality_min": 0}, action="flag", note="x"))
    on_ai = rules.compiled(make_rule("on AI", {"topic": ["AI", "ML"]}, action="flag", note="x"))
    assert not preview(any_quality).all_match and preview(on_ai).all_match  # an unknown quality is not >= 0
    Article.objects.filter(pk=blank.pk).update(quality=5)
    make_article(quality=7)
    assert preview(any_quality).all_match and not preview(on_ai).all_match
    assert preview(on_ai).decides_now == 2


def test_an_imports_items_are_read_by_chunks_of_ids_and_a_chunk_with_no_candidate_does_not_stop_the_run():
    weak = [make_article(quality=10) for _ in range(3)]
    strong = [make_article(quality=90) for _ in range(3)]
    elsewhere = make_article(quality=95)  # in the queue, not one of the import's items
    make_rule("strong", {"quality_min": 70})
    ids = [a.pk for a in reversed(weak + strong)]
    result = rules.run_rules(Article.objects.all(), ids=ids, chunk=2)
    assert [d["article"] for d in result.decisions] == [a.pk for a in strong] and result.items == 3
    assert Article.objects.get(pk=elsewhere.pk).state == ArticleState.NEW


def test_a_topic_previews_counts_and_backtest_in_one_pass_agree_with_the_items(editor):
    from curation.selectors_rules import preview

    make_article(topics=["AI"])
    make_article(topics=["ML", "AI"])
    make_article(topics=["Cooking"])
    make_article(topics=["AI"], state=ArticleState.PUBLISHED, state_changed_by=editor)
    make_article(topics=["ML"], state=ArticleState.REJECTED, state_changed_by=editor)
    make_article(topics=["AI"], state=ArticleState.REJECTED)  # no editor: not in the backtest
    touched = make_article(topics=["AI"])
    editorial.reject_article(article=touched, user=editor, reason_code="off-topic")
    editorial.restore_article(article=Article.objects.get(pk=touched.pk), user=editor)  # back in the queue, an editor's
    result = preview(rules.compiled(make_rule("on AI", {"topic": ["AI", "ML"]}, action="reject", reason="off-topic")))
    eligible = queue().filter(rule_actions.eligible_q(), topics__name__in=["AI", "ML"]).distinct().count()
    assert Article.objects.get(pk=touched.pk).state == ArticleState.NEW
    assert result.decides_now == eligible == 2
    assert result.backtest == {ArticleState.PUBLISHED: 1, ArticleState.REJECTED: 1} and result.disagrees == 1


def test_an_item_a_rule_publishes_is_listed_to_readers_from_then_like_an_editors(client, editor):
    by_rule = make_article(quality=80, title="Published by a rule")
    make_rule("strong", {"quality_min": 70})
    before = timezone.now()
    rules.run_rules(queue())
    by_rule.refresh_from_db()
    assert by_rule.state == "published" and by_rule.listed_at is not None and by_rule.listed_at >= before
    # On the public home page it stands before an item an editor published a day earlier.
    earlier = make_article(title="Published yesterday by an editor")
    editorial.publish_article(article=earlier, user=editor)
    Article.objects.filter(pk=earlier.pk).update(listed_at=before - dt.timedelta(days=1))
    home = client.get("/").content.decode()
    assert home.index("Published by a rule") < home.index("Published yesterday by an editor")


def test_the_migration_lists_items_published_before_rules_set_listed_at():
    embargo = timezone.now() + dt.timedelta(hours=3)
    yesterday = timezone.now() - dt.timedelta(days=1)
    plain = make_article(state="published", state_changed_at=yesterday)
    embargoed = make_article(state="published", state_changed_at=yesterday, embargo_until=embargo)
    unpublished = make_article()
    Article.objects.update(listed_at=None)
    importlib.import_module("curation.migrations.0020_list_rule_published_items").list_unlisted_published_items(apps, None)
    listed = dict(Article.objects.values_list("pk", "listed_at"))
    assert listed[plain.pk] == yesterday
    assert listed[embargoed.pk] == embargo and listed[unpublished.pk] is None


# --- what the enabled rules' regular expressions may take (RE2 memory) -------------------

TWO_PATTERNS = {"title_matches": "(?i)storm", "text_matches": "(?i)flood"}


def stored_rules(count, when, start=0):
    """`count` enabled rules as an old database may hold them (saved before the budget)."""
    now = timezone.now()
    Rule.objects.bulk_create(
        Rule(
            name=f"old {start + n}",
            position=start + n,
            enabled=True,
            created_at=now,
            updated_at=now,
            definition={"when": when, "action": "flag", "note": "n"},
        )
        for n in range(count)
    )


def test_a_pattern_re2_cannot_compile_in_128_kib_is_refused_and_real_ones_are_not():
    # At 8 MiB a pattern, 1,000 rules of two such patterns could take 16 GB in one run.
    with pytest.raises(
        RuleDefinitionError, match=r"title_matches: too large for the matcher: make it shorter or simpler"
    ):
        validate_definition({"when": {"title_matches": r"[\p{L}\p{N}]{30}"}, "action": "flag", "note": "n"})
    words = "|".join(f"word{n:03d}" for n in range(200))[:990].rsplit("|", 1)[0]
    for pattern in (f"(?i)\\b({words})\\b", r"\p{L}+", r"\p{Lu}\p{Ll}+ \p{Lu}\p{Ll}+", r"(?i)trump.*(tariff|china)"):
        validate_definition({"when": {"text_matches": pattern}, "action": "flag", "note": "n"})


def test_the_enabled_rules_hold_at_most_2048_patterns_and_the_refusal_names_the_rule():
    stored_rules(1023, TWO_PATTERNS)
    stored_rules(5, {"quality_min": 1}, start=2000)  # no pattern: not counted
    make_rule("one more", {"title_matches": "(?i)wind"}, action="flag", note="n")  # 2,047
    with pytest.raises(
        rules.RuleSaveError,
        match="Rule “two more” cannot be enabled: the enabled rules would hold 2,049 patterns",
    ):
        make_rule("two more", TWO_PATTERNS, action="flag", note="n")
    assert not Rule.objects.filter(name="two more").exists()
    disabled = make_rule("two more", TWO_PATTERNS, action="flag", note="n", enabled=False)  # disabled: fine
    with pytest.raises(rules.RuleSaveError, match="2,049 patterns .*; at most 2,048 may be enabled at once"):
        rules.set_enabled(disabled, True)
    make_rule("no pattern", {"quality_min": 5}, action="flag", note="n")  # fine: holds none
    # A rule already enabled may be saved again with as many patterns as it had.
    one_more = Rule.objects.get(name="one more")
    rules.save_rule(rule=one_more, name="one more", definition=one_more.definition, enabled=True)


def test_a_rules_file_of_1000_rules_with_two_patterns_loads_and_one_past_the_budget_names_the_rule():
    from curation.services import rule_files

    def rules_file(count, prefix):
        return "".join(
            f"- name: {prefix} {n}\n  enabled: true\n  when: {{title_matches: 'storm{n}', text_matches: 'flood'}}\n"
            "  action: flag\n  note: n\n"
            for n in range(count)
        )

    assert len(rule_files.load(rules_file(1000, "file"))["created"]) == 1000
    stored_rules(24, TWO_PATTERNS)  # 2,048 now
    with pytest.raises(
        rule_files.RulesFileError, match="^rule 1: Rule “more 0” cannot be enabled: the enabled rules would hold 2,050"
    ):
        rule_files.load(rules_file(1, "more"))
    assert not Rule.objects.filter(name="more 0").exists()
    # With --replace the rules going away are gone first: the file takes their place.
    before = Rule.objects.count()
    assert len(rule_files.load(rules_file(1000, "other"), replace=True)["deleted"]) == before
    assert Rule.objects.filter(enabled=True).count() == 1000


def test_a_run_leaves_out_the_enabled_rules_past_the_budget_and_says_which():
    stored_rules(1025, TWO_PATTERNS)
    loaded, errors = rules.load_compiled()
    assert len(loaded) == 1024 and loaded[-1].name == "old 1023"
    assert errors == [
        "rule “old 1024” v1 left out: the enabled rules would hold 2,050 patterns (title or excerpt and body "
        "patterns); at most 2,048 may be enabled at once, so that matching them keeps within its memory: "
        "disable a rule that has one, or leave this rule disabled"
    ]
