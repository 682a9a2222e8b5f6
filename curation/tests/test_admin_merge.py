"""Merging duplicate topics and providers: the service (every reference moves, no duplicate
link rows, rules match what they matched, one transaction, the admin's log) and the admin's
"Merge into…" action end to end (the question, the merge, the message, every refusal)."""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from curation.models import Article, Provider, RelatedCoverage, RuleVersion, Topic
from curation.services import rules as rules_service
from curation.services import taxonomy_merge
from curation.services.rule_conditions import condition_q, validate_definition
from curation.services.taxonomy_merge import MergeRefused, merge_providers, merge_topics
from curation.tests.concurrency import requires_postgresql, run_at_once
from curation.tests.factories import make_article, make_provider, make_topic, make_user

pytestmark = pytest.mark.django_db

TOPICS = reverse("admin:curation_topic_changelist")
PROVIDERS = reverse("admin:curation_provider_changelist")


def make_rule(name, when, action="flag", **extra):
    if action == "flag":
        extra.setdefault("note", "Look at it")
    definition = validate_definition({"when": when, "action": action, **extra}, reasons={"duplicate"})
    return rules_service.save_rule(name=name, definition=definition, enabled=True)


def matched(rule):
    """The articles `rule` matches now, both ways the engine evaluates it (they must agree)."""
    rule.refresh_from_db()
    by_query = set(Article.objects.filter(condition_q(rule.when)).values_list("pk", flat=True))
    compiled = rules_service.compiled(rule)
    by_facts = {f.pk for f in rules_service.item_facts(Article.objects.all()) if compiled.matches(f, timezone.now())}
    assert by_query == by_facts
    return by_query


def topic_names(article):
    return sorted(article.topics.values_list("name", flat=True))


@pytest.fixture
def duplicates():
    """Topics "Artificial intelligence" (to keep), "AI" and "A.I." (to merge), "Science" (neither)."""
    keep, ai, science = (make_topic(name=n) for n in ("Artificial intelligence", "AI", "Science"))
    dotted = Topic.objects.create(name="A.I.", slug=Topic.slug_for("A.I.", disambiguate=True))  # "ai" is taken
    articles = {
        "ai": make_article(topics=[ai]),
        "both": make_article(topics=[ai, keep]),
        "keep": make_article(topics=[keep]),
        "two merged": make_article(topics=[ai, dotted, science]),
        "science": make_article(topics=[science]),
    }
    return keep, [ai, dotted], science, articles


# --- the service: topics -------------------------------------------------------------------


def test_merging_topics_moves_every_article_without_duplicate_links(duplicates, superuser):
    keep, merged, science, articles = duplicates

    result = merge_topics(keep=keep.pk, ids=[keep.pk, *(t.pk for t in merged)], user=superuser)

    assert (result.articles_moved, result.articles_had_kept) == (3, 1)
    assert not Topic.objects.filter(pk__in=[t.pk for t in merged]).exists()
    assert topic_names(articles["ai"]) == ["Artificial intelligence"]
    assert topic_names(articles["both"]) == ["Artificial intelligence"]
    assert topic_names(articles["two merged"]) == ["Artificial intelligence", "Science"]
    assert topic_names(articles["science"]) == ["Science"]
    through = Article.topics.through
    assert not through.objects.values("article_id", "topic_id").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert through.objects.filter(topic=keep).count() == 4
    assert "Merged “AI”, “A.I.” into “Artificial intelligence”: 3 articles moved (1 already had" in result.summary


def test_rules_naming_a_merged_topic_name_the_kept_one_and_match_the_same_articles(duplicates, superuser):
    keep, (ai, dotted), science, articles = duplicates
    by_topic = make_rule("AI or science", {"topic": ["AI", "Science"]})
    adds = make_rule("Tag dotted", {"quality_min": 0}, action="add_topic", topic="A.I.")
    other = make_rule("Science only", {"topic": ["Science"]})
    before = {rule.name: matched(rule) for rule in (by_topic, other)}

    result = merge_topics(keep=keep.pk, ids=[keep.pk, ai.pk, dotted.pk], user=superuser)

    assert sorted(result.rules_updated) == ["AI or science", "Tag dotted"]
    by_topic.refresh_from_db(), adds.refresh_from_db(), other.refresh_from_db()
    assert by_topic.when["topic"] == ["Artificial intelligence", "Science"]
    assert adds.definition["topic"] == "Artificial intelligence"
    # Every article a rule matched it still matches (and the kept topic's own: one topic now).
    assert matched(by_topic) >= before["AI or science"]
    assert articles["keep"].pk in matched(by_topic)
    assert matched(other) == before["Science only"]
    # A new version, kept as every save keeps one; the untouched rule stays at its version.
    assert (by_topic.version, adds.version, other.version) == (2, 2, 1)
    assert RuleVersion.objects.get(rule=by_topic, version=2).definition == by_topic.definition
    assert RuleVersion.objects.get(rule=by_topic, version=1).definition["when"]["topic"] == ["AI", "Science"]


def test_each_merge_is_in_the_admins_log_of_the_kept_and_the_merged(duplicates, superuser):
    keep, (ai, dotted), _, _ = duplicates

    merge_topics(keep=keep.pk, ids=[keep.pk, ai.pk, dotted.pk], user=superuser)

    kept_entry = LogEntry.objects.get(object_id=str(keep.pk), content_type__model="topic")
    assert (kept_entry.action_flag, kept_entry.user_id) == (CHANGE, superuser.pk)
    assert "Merged “AI”, “A.I.” into “Artificial intelligence”" in kept_entry.change_message
    gone = LogEntry.objects.filter(action_flag=DELETION, content_type__model="topic").order_by("object_repr")
    assert [(e.object_id, e.object_repr) for e in gone] == [(str(dotted.pk), "A.I."), (str(ai.pk), "AI")]
    assert all(f"Merged into “Artificial intelligence” (#{keep.pk})" in e.change_message for e in gone)


def test_a_merge_that_fails_midway_writes_nothing(duplicates, superuser, monkeypatch):
    keep, merged, _, articles = duplicates
    rule = make_rule("AI", {"topic": ["AI"]})

    def broken(*args, **kwargs):
        raise RuntimeError("the log could not be written")

    monkeypatch.setattr(taxonomy_merge, "_log", broken)
    with pytest.raises(RuntimeError):
        merge_topics(keep=keep.pk, ids=[keep.pk, *(t.pk for t in merged)], user=superuser)

    assert Topic.objects.filter(pk__in=[t.pk for t in merged]).count() == 2
    assert topic_names(articles["ai"]) == ["AI"]
    rule.refresh_from_db()
    assert (rule.version, rule.when["topic"]) == (1, ["AI"])


# --- the service: providers ----------------------------------------------------------------


def test_merging_providers_moves_articles_coverage_and_rules_by_name_or_domain(superuser):
    keep = make_provider(name="Reuters", domain="reuters.com")
    dot_com = make_provider(name="reuters.com", domain="reuters.com")
    limited = make_provider(name="Reuters Ltd", domain="reuters.co.uk")
    other = make_provider(name="AP", domain="apnews.com")
    by = {p.name: make_article(provider=p) for p in (keep, dot_com, limited, other)}
    make_article(provider=other, related=[{"title": "Same story", "provider": dot_com}])
    by_name = make_rule("Ltd", {"provider": ["Reuters Ltd", "AP"]})
    by_domain = make_rule("Domain", {"provider": ["REUTERS.COM"]})
    unrelated = make_rule("AP", {"provider": ["AP"]})
    before = {rule.pk: matched(rule) for rule in (by_name, by_domain, unrelated)}

    result = merge_providers(keep=keep.pk, ids=[keep.pk, dot_com.pk, limited.pk], user=superuser)

    assert (result.articles_moved, result.coverage_moved) == (2, 1)
    assert set(Provider.objects.values_list("name", flat=True)) == {"Reuters", "AP"}
    for name in ("Reuters", "reuters.com", "Reuters Ltd"):
        assert Article.objects.get(pk=by[name].pk).provider_id == keep.pk
    assert RelatedCoverage.objects.get(title="Same story").provider_id == keep.pk
    by_name.refresh_from_db(), by_domain.refresh_from_db(), unrelated.refresh_from_db()
    assert by_name.when["provider"] == ["Reuters", "AP"]  # "Reuters Ltd" named only a merged one
    assert by_domain.when["provider"] == ["REUTERS.COM"]  # still names the kept one, by its domain
    assert (by_name.version, by_domain.version, unrelated.version) == (2, 1, 1)
    for rule in (by_name, by_domain, unrelated):
        assert matched(rule) >= before[rule.pk]
    assert result.rules_updated == ["Ltd"]


def test_a_rule_name_that_still_names_another_provider_stays(superuser):
    keep = make_provider(name="Reuters", domain="reuters.com")
    merged = make_provider(name="Wire", domain="wire.example")
    make_provider(name="Wire", domain="")  # another provider called "Wire", not merged
    rule = make_rule("Wire", {"provider": ["Wire"]})

    merge_providers(keep=keep.pk, ids=[keep.pk, merged.pk], user=superuser)

    rule.refresh_from_db()
    assert rule.when["provider"] == ["Wire", "Reuters"]


def test_every_relation_to_a_topic_or_provider_is_moved():
    # The service moves these and only these: a new relation must be added to it (and here).
    def relations(model):
        fields = model._meta.get_fields(include_hidden=True)  # RelatedCoverage.provider's is hidden ("+")
        return sorted(
            f"{f.related_model._meta.label}.{f.field.name}" for f in fields if f.auto_created and not f.concrete
        )

    # (Aliases are repointed to the kept one: services/taxonomy_merge._record_aliases.)
    assert relations(Topic) == ["curation.Article.topics", "curation.Article_topics.topic", "curation.TopicAlias.topic"]
    assert relations(Provider) == [
        "curation.Article.provider",
        "curation.ProviderAlias.provider",
        "curation.RelatedCoverage.provider",
    ]


# --- the service: refusals -----------------------------------------------------------------


def test_the_service_refuses_what_cannot_be_merged(duplicates, superuser):
    keep, (ai, dotted), science, _ = duplicates
    with pytest.raises(MergeRefused, match="at least two topics"):
        merge_topics(keep=keep.pk, ids=[keep.pk, keep.pk], user=superuser)
    with pytest.raises(MergeRefused, match="Choose which of the selected topics to keep"):
        merge_topics(keep=science.pk, ids=[keep.pk, ai.pk], user=superuser)
    with pytest.raises(MergeRefused, match="1 of the selected topics no longer exists"):
        merge_topics(keep=keep.pk, ids=[keep.pk, ai.pk, 987654], user=superuser)
    with pytest.raises(PermissionDenied):
        merge_topics(keep=keep.pk, ids=[keep.pk, ai.pk], user=make_user(role="editor"))
    assert Topic.objects.count() == 4


def test_change_without_delete_permission_may_not_merge(duplicates):
    keep, (ai, _), _, _ = duplicates
    user = make_user(role=None, is_staff=True, permissions=["change_topic", "view_topic"])
    with pytest.raises(PermissionDenied, match="change and to delete"):
        merge_topics(keep=keep.pk, ids=[keep.pk, ai.pk], user=user)


# --- the admin action, end to end ----------------------------------------------------------


def act(client, changelist, ids, **extra):
    return client.post(changelist, {"action": "merge_selected", ACTION_CHECKBOX_NAME: ids, "index": 0, **extra})


def confirm(client, changelist, ids, keep, **extra):
    data = {"action": "merge_selected", ACTION_CHECKBOX_NAME: ids, "merge_confirmed": "1", "keep": keep, **extra}
    return client.post(changelist, data)


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_the_action_asks_then_merges_and_says_what_it_did(duplicates, superuser_admin):
    keep, (ai, dotted), _, _ = duplicates
    make_rule("AI news", {"topic": ["AI"]})
    ids = [keep.pk, ai.pk, dotted.pk]

    question = act(superuser_admin, TOPICS, ids)

    assert question.status_code == 200
    assert question.templates[0].name == "admin/curation/merge_confirmation.html"
    page = question.content.decode()
    assert "Which topic to keep?" in page
    rows = {c.obj.name: (c.articles, [r.name for r in c.rules]) for c in question.context["candidates"]}
    assert rows == {"Artificial intelligence": (2, []), "AI": (3, ["AI news"]), "A.I.": (1, [])}
    assert ">AI news</a>" in page
    # Offered as the one to keep: the most used.
    assert re.findall(r'<input type="radio" name="keep" value="(\d+)"[^>]* checked>', page) == [str(ai.pk)]
    assert Topic.objects.count() == 4  # asking wrote nothing

    done = confirm(superuser_admin, TOPICS, ids, keep.pk)

    assert done.status_code == 302 and done.url == TOPICS
    listed = superuser_admin.get(done.url)
    assert any(
        m.startswith("Merged “AI”, “A.I.” into “Artificial intelligence”: 3 articles moved")
        for m in messages_of(listed)
    )
    assert "rules updated: “AI news”" in messages_of(listed)[0]
    assert list(Topic.objects.order_by("name").values_list("name", flat=True)) == ["Artificial intelligence", "Science"]


def test_the_provider_action_lists_coverage_and_merges(superuser_admin):
    keep = make_provider(name="Reuters", domain="reuters.com")
    dup = make_provider(name="reuters.com", domain="reuters.com")
    make_article(provider=dup, related=[{"title": "Same story", "provider": dup}])

    question = act(superuser_admin, PROVIDERS, [keep.pk, dup.pk])
    assert question.status_code == 200
    assert [(c.obj.pk, c.articles, c.coverage) for c in question.context["candidates"]] == [
        (keep.pk, 0, 0),
        (dup.pk, 1, 1),
    ]
    assert "Related coverage" in question.content.decode()

    done = confirm(superuser_admin, PROVIDERS, [keep.pk, dup.pk], keep.pk)
    assert done.status_code == 302
    assert list(Provider.objects.values_list("pk", flat=True)) == [keep.pk]
    assert "1 related-coverage entries moved" in messages_of(superuser_admin.get(done.url))[0]


def test_the_confirmation_page_reads_a_fixed_number_of_queries(superuser_admin):
    def queries_for(n):
        topics = [make_topic() for _ in range(n)]
        for topic in topics:
            make_article(topics=[topic]), make_rule(f"Rule {topic.pk}", {"topic": [topic.name]})
        with CaptureQueriesContext(connection) as captured:
            assert act(superuser_admin, TOPICS, [t.pk for t in topics]).status_code == 200
        return len(captured)

    assert queries_for(2) == queries_for(8)


def test_only_who_may_change_and_delete_topics_is_offered_the_action(duplicates, editor_admin):
    keep, (ai, _), _, _ = duplicates
    assert "merge_selected" not in editor_admin.get(TOPICS).content.decode()
    response = confirm(editor_admin, TOPICS, [keep.pk, ai.pk], keep.pk)  # posted anyway: no action runs
    assert response.status_code == 200
    assert Topic.objects.count() == 4


@pytest.mark.parametrize(
    ("ids", "says"),
    [
        ("one", "Select at least two topics to merge"),
        ("gone", "1 of the selected topics no longer exists"),
    ],
)
def test_a_selection_that_cannot_be_merged_is_refused_with_a_message(duplicates, superuser_admin, ids, says):
    keep, (ai, _), _, _ = duplicates
    selected = {"one": [keep.pk], "gone": [keep.pk, ai.pk, 2**31 - 1]}[ids]
    for post in (act, lambda *args: confirm(*args, keep.pk)):  # asking, and confirming
        response = post(superuser_admin, TOPICS, selected)
        assert response.status_code == 302
        assert any(says in m for m in messages_of(superuser_admin.get(response.url)))
    assert Topic.objects.count() == 4


@pytest.mark.parametrize("keep", ["", "abc", "1e3", "99999999999999999999999", "-1", "science", "not listed"])
def test_a_tampered_choice_of_the_one_to_keep_asks_again(duplicates, superuser_admin, keep):
    kept, (ai, _), science, _ = duplicates
    value = {"science": science.pk, "not listed": 424242}.get(keep, keep)

    response = confirm(superuser_admin, TOPICS, [kept.pk, ai.pk], value)

    assert response.status_code == 400
    assert "Choose which one to keep" in response.content.decode()
    assert Topic.objects.count() == 4


def test_a_topic_deleted_between_the_question_and_the_merge(duplicates, superuser_admin):
    keep, (ai, dotted), _, _ = duplicates
    assert act(superuser_admin, TOPICS, [keep.pk, ai.pk, dotted.pk]).status_code == 200
    Topic.objects.filter(pk=dotted.pk).delete()  # another admin merged or deleted it meanwhile

    response = confirm(superuser_admin, TOPICS, [keep.pk, ai.pk, dotted.pk], keep.pk)

    assert response.status_code == 302
    assert any("no longer exists" in m for m in messages_of(superuser_admin.get(response.url)))
    assert Topic.objects.filter(pk=ai.pk).exists()


@pytest.mark.parametrize("value", ["abc", "99999999999999999999999", "\x00"])
def test_a_selection_no_id_can_hold_is_a_message(duplicates, superuser_admin, value):
    keep = duplicates[0]
    response = confirm(superuser_admin, TOPICS, [keep.pk, value], keep.pk)
    assert response.status_code == 302
    assert any("cannot exist" in m for m in messages_of(superuser_admin.get(response.url)))


def test_selecting_every_topic_beyond_the_limit_is_refused(superuser_admin, monkeypatch):
    monkeypatch.setattr(taxonomy_merge, "MAX_MERGED", 2)
    topics = [make_topic() for _ in range(4)]
    response = act(superuser_admin, TOPICS, [topics[0].pk], select_across="1")
    assert response.status_code == 302
    assert any("Select at most 3 topics" in m for m in messages_of(superuser_admin.get(response.url)))
    assert Topic.objects.count() == 4


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_admins_merging_the_same_topics_at_once_on_postgresql():
    # Each keeps the other's: the rows are locked in one order, so one waits for the other,
    # then finds a row gone and is refused; never a deadlock, a duplicate link or a half merge.
    first, second = make_topic(name="AI"), make_topic(name="Artificial intelligence")
    articles = [make_article(topics=[first]), make_article(topics=[first, second]), make_article(topics=[second])]
    admins = [make_user(role="superuser"), make_user(role="superuser")]

    results = run_at_once(
        lambda: merge_topics(keep=first.pk, ids=[first.pk, second.pk], user=admins[0]),
        lambda: merge_topics(keep=second.pk, ids=[first.pk, second.pk], user=admins[1]),
    )

    refused = [r for r in results if isinstance(r, MergeRefused)]
    assert len(refused) == 1 and "no longer exists" in str(refused[0]), results
    (remaining,) = Topic.objects.all()
    assert all(topic_names(a) == [remaining.name] for a in articles)
    assert LogEntry.objects.filter(action_flag=CHANGE).count() == 1
