"""Topics and providers by name: created once, whoever asks at the same moment."""

import pytest
from django.test import Client

from curation.models import Article, EditorialAction, Provider, Topic
from curation.services.taxonomy import TaxonomyError, ensure_provider, ensure_providers, ensure_topics
from curation.tests.concurrency import requires_postgresql, run_at_once
from curation.tests.factories import make_article, make_topic, make_user


@pytest.mark.django_db
class TestEnsureTopics:
    def test_existing_topics_are_returned_and_missing_ones_created(self):
        science = make_topic(name="Science")
        found = ensure_topics(["Science", " Space ", "", "Space", "  "])
        assert list(found) == ["Science", "Space"]
        assert found["Science"] == science
        assert found["Space"].slug == "space"
        assert Topic.objects.count() == 2

    def test_names_that_slug_alike_in_one_batch_each_get_a_slug(self):
        found = ensure_topics(["Zap0?", "Zap0!", "zap0"])
        slugs = [found[name].slug for name in ("Zap0?", "Zap0!", "zap0")]
        assert len(set(slugs)) == 3
        assert "zap0" in slugs
        assert all(slug.startswith("zap0") for slug in slugs)

    def test_a_slug_taken_long_ago_gets_the_disambiguated_one(self):
        make_topic(name="AI")
        assert ensure_topics(["ai"])["ai"].slug == Topic.slug_for("ai", disambiguate=True)

    def test_a_name_too_long_is_refused_before_the_database_sees_it(self):
        with pytest.raises(TaxonomyError, match="longer than 200 characters"):
            ensure_topics(["x" * 201])
        assert not Topic.objects.exists()

    def test_a_large_batch_costs_a_fixed_number_of_queries(self, django_assert_max_num_queries):
        with django_assert_max_num_queries(5):
            found = ensure_topics([f"Topic {n}" for n in range(300)])
        assert len(found) == 300


@pytest.mark.django_db
class TestEnsureProviders:
    def test_created_once_and_the_domain_lower_cased(self):
        first = ensure_provider(" Daily Planet ", "DailyPlanet.example")
        assert (first.name, first.domain) == ("Daily Planet", "dailyplanet.example")
        assert ensure_provider("Daily Planet", "dailyplanet.example") == first
        assert ensure_provider("", "x.example") is None
        assert Provider.objects.count() == 1

    def test_same_name_other_domain_is_another_provider(self):
        found = ensure_providers([("Planet", "a.example"), ("Planet", "b.example"), ("Planet", "a.example")])
        assert len(found) == 2


# --- at the same moment, on PostgreSQL -------------------------------------------------------

TRIES = 12


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_editors_adding_topics_that_slug_alike_both_keep_their_edit():
    """The reported race: IntegrityError on the unique slug, HTTP 500, the edit lost."""
    from curation.tests.browser_support import ensure_editorial_groups

    ensure_editorial_groups()
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(make_user(role="editor"))
        clients.append(client)
    for attempt in range(TRIES):
        first, second = make_article(topics=["Science"]), make_article(topics=["Science"])
        names = (f"Zap{attempt}?", f"Zap{attempt}!")

        def edit(client, article, name):
            return lambda: client.post(
                f"/curate/articles/{article.pk}/edit/",
                # A new topic is the editor's explicit step (create_topics), as in the edit form.
                {
                    "title": article.title,
                    "topics": f"Science, {name}",
                    "create_topics": [name],
                    "expected_version": article.version,
                },
            )

        responses = run_at_once(edit(clients[0], first, names[0]), edit(clients[1], second, names[1]))
        for response in responses:
            assert not isinstance(response, BaseException), response
            assert response.status_code == 302, (attempt, response.status_code)
        for article, name in ((first, names[0]), (second, names[1])):
            assert sorted(Article.objects.get(pk=article.pk).topics.values_list("name", flat=True)) == sorted(
                ["Science", name]
            )
            assert EditorialAction.objects.filter(article=article, action="edit").count() == 1
        slugs = set(Topic.objects.filter(name__in=names).values_list("slug", flat=True))
        assert len(slugs) == 2


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_same_new_topics_and_provider_asked_for_at_once_are_created_once():
    from django.db import transaction

    def ask(order):
        def run():
            with transaction.atomic():
                topics = ensure_topics(order)
                provider = ensure_provider("Gazette", "gazette.example")
                return {name: topic.pk for name, topic in topics.items()}, provider.pk

        return run

    for attempt in range(TRIES):
        names = [f"Shared {attempt}", f"shared {attempt}", f"Shared {attempt}!"]
        results = run_at_once(ask(names), ask(list(reversed(names))))
        for result in results:
            assert not isinstance(result, BaseException), result
        assert results[0] == results[1]
        assert Topic.objects.filter(name__in=names).count() == 3
    assert Provider.objects.filter(name="Gazette").count() == 1
