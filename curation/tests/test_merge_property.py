"""The merge against hostile input, as a property: sequences of merges (self-merges, into a
deleted row, chains A->B then B->C, cycles B->A after A->B), through the service and through
the admin's action with tampered POST values. Each merge either happens whole (every article,
related-coverage entry and rule moved exactly once, every alias naming the last kept row) or
is refused with a message; never a server error, never a lost link."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import transaction
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from curation.models import Article, Provider, ProviderAlias, RelatedCoverage, Rule, Topic, TopicAlias
from curation.services import rules
from curation.services.rule_conditions import validate_definition
from curation.services.taxonomy_merge import MergeRefused, merge_providers, merge_topics
from curation.tests.factories import client_for, make_article, make_provider, make_topic
from curation.tests.hostile_input import fuzz_settings, numbers, special

pytestmark = pytest.mark.django_db

ROWS = 4


def merges(alive):
    """A merge to ask for: the one to keep and the rows selected. A reference to a row is
    mostly one still there (so merges chain: A into B, then B into C), else any of the ROWS,
    one deleted before the example (ROWS) or an id no row ever had (ROWS + 1); the one to
    keep is mostly among those selected."""
    live = st.sampled_from(sorted(alive))
    ref = st.one_of(live, live, live, st.integers(min_value=0, max_value=ROWS + 1))
    return st.tuples(ref, st.lists(ref, max_size=3), st.booleans() | st.just(True)).map(
        lambda step: (step[0], [step[0], *step[1]] if step[2] else step[1])
    )


carried = st.lists(st.sets(st.integers(min_value=0, max_value=ROWS - 1), max_size=ROWS), min_size=1, max_size=5)


class Taxonomy:
    """The rows of one example and what a correct sequence of merges leaves: `owner[i]` is
    the row that row i's references belong to now."""

    def __init__(self, model, articles):
        self.model = model
        if model is Topic:
            self.rows = [make_topic(name=f"Row {i}") for i in range(ROWS)]
        else:
            self.rows = [make_provider(name=f"Row {i}", domain=f"row{i}.example") for i in range(ROWS)]
        gone = make_topic() if model is Topic else make_provider()
        self.ids = [row.pk for row in self.rows] + [gone.pk, 2**31 - 1]
        gone.delete()
        self.names = [row.name for row in self.rows]
        self.owner = list(range(ROWS))
        self.alive = set(range(ROWS))
        self.articles = []  # (article, its topics' rows) or (article, (its provider's row, its coverage's))
        for index, rows in enumerate(articles):
            if model is Topic:
                self.articles.append((make_article(topics=[self.rows[i] for i in rows]), rows))
            else:
                own, other = index % ROWS, (index + 1) % ROWS
                related = [{"title": "r", "provider": self.rows[other]}]
                self.articles.append((make_article(provider=self.rows[own], related=related), (own, other)))
        key = "topic" if model is Topic else "provider"
        for i in range(ROWS):
            definition = validate_definition({"when": {key: [self.names[i]]}, "action": "flag", "note": "n"})
            rules.save_rule(name=f"names {i}", definition=definition, enabled=False)

    def expect(self, keep, refs):
        """The rows a merge of `refs` into `keep` merges, or None when it must be refused."""
        chosen = list(dict.fromkeys(refs))
        if len(chosen) < 2 or keep not in chosen or any(ref not in self.alive for ref in chosen):
            return None
        return [ref for ref in chosen if ref != keep]

    def merged(self, keep, merged):
        for i in range(ROWS):
            if self.owner[i] in merged:
                self.owner[i] = keep
        self.alive -= set(merged)

    def check(self):
        owner_id = [self.ids[self.owner[i]] for i in range(ROWS)]
        assert set(self.model.objects.values_list("pk", flat=True)) == {self.ids[i] for i in self.alive}
        for article, rows in self.articles:
            if self.model is Topic:
                links = list(Article.topics.through.objects.filter(article=article).values_list("topic_id", flat=True))
                assert sorted(links) == sorted({owner_id[i] for i in rows})  # each once, none lost
            else:
                own, other = rows
                assert Article.objects.get(pk=article.pk).provider_id == owner_id[own]
                coverage = RelatedCoverage.objects.filter(article=article).values_list("provider_id", flat=True)
                assert list(coverage) == [owner_id[other]]
        alias_model = TopicAlias if self.model is Topic else ProviderAlias
        owner_field = "topic_id" if self.model is Topic else "provider_id"
        aliases = {alias.name: alias for alias in alias_model.objects.all()}
        assert set(aliases) == {self.names[i] for i in range(ROWS) if i not in self.alive}
        for i in set(range(ROWS)) - self.alive:
            alias = aliases[self.names[i]]
            assert (getattr(alias, owner_field), alias.merged_id) == (owner_id[i], self.ids[i])
        key = "topic" if self.model is Topic else "provider"
        for i in range(ROWS):
            assert Rule.objects.get(name=f"names {i}").definition["when"][key] == [self.names[self.owner[i]]]


def in_savepoint(run):
    """Each example on rows of its own, rolled back after it."""
    with transaction.atomic():
        run()
        transaction.set_rollback(True)


@pytest.mark.parametrize("model", [Topic, Provider], ids=["topics", "providers"])
@fuzz_settings
@given(articles=carried, data=st.data())
def test_the_service_merges_whole_or_refuses(superuser, model, articles, data):
    merge = merge_topics if model is Topic else merge_providers

    def run():
        taxonomy = Taxonomy(model, articles)
        for _ in range(5):
            keep, chosen = data.draw(merges(taxonomy.alive))
            expected = taxonomy.expect(keep, chosen)
            try:
                merge(keep=taxonomy.ids[keep], ids=[taxonomy.ids[ref] for ref in chosen], user=superuser)
            except MergeRefused as refused:
                assert expected is None and str(refused)
            else:
                assert expected is not None
                taxonomy.merged(keep, expected)
            taxonomy.check()

    in_savepoint(run)


def posted(alive):
    """A value the action's form may carry: mostly a row still there, else any row's id, or
    anything at all (a number past 64 bits, "²", a NUL, "' OR 1=1 --")."""
    live = st.sampled_from(sorted(alive)).map(lambda ref: ("ref", ref))
    ref = st.integers(min_value=0, max_value=ROWS + 1).map(lambda ref: ("ref", ref))
    hostile = st.one_of(numbers, special).map(lambda text: ("text", text))
    return st.one_of(live, live, ref, hostile)


def action_posts(alive):
    value = posted(alive)
    return st.tuples(value, st.lists(value, max_size=3), st.booleans() | st.just(True), st.booleans()).map(
        lambda step: (step[0], [step[0], *step[1]] if step[2] else step[1], step[3])
    )


@pytest.mark.parametrize("model", [Topic, Provider], ids=["topics", "providers"])
@fuzz_settings
@given(articles=carried, data=st.data())
def test_the_admin_action_with_tampered_values_merges_whole_or_says_why(superuser, model, articles, data):
    client = client_for(superuser)
    changelist = reverse(f"admin:curation_{model._meta.model_name}_changelist")

    def run():
        taxonomy = Taxonomy(model, articles)
        for _ in range(3):
            keep, chosen, confirming = data.draw(action_posts(taxonomy.alive))
            value = lambda item: str(taxonomy.ids[item[1]]) if item[0] == "ref" else item[1]  # noqa: E731
            form = {
                "action": "merge_selected",
                ACTION_CHECKBOX_NAME: [value(item) for item in chosen],
                "keep": value(keep),
            }
            if confirming:
                form["merge_confirmed"] = "1"
            before = set(taxonomy.alive)
            response = client.post(changelist, form)
            assert response.status_code in (200, 302, 400)
            gone = {i for i in before if not model.objects.filter(pk=taxonomy.ids[i]).exists()}
            if gone:
                # Merged: only rows selected, into the one kept, which was selected and stays.
                assert confirming and keep[0] == "ref" and keep[1] in before - gone
                assert gone == {item[1] for item in chosen if item[0] == "ref"} - {keep[1]}
                taxonomy.merged(keep[1], gone)
            elif response.status_code == 302:  # refused: the list says why
                assert list(client.get(response.url).context["messages"])
            taxonomy.check()

    in_savepoint(run)
