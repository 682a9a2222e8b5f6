"""A name or slug a merged topic's alias holds stays the alias's: no new topic takes it over,
whichever door creates the topic. The admin refuses it, naming the topic it was merged into
and how to free it (Topic.clean, Provider.clean); a new topic by name (the editor's picker,
the import, a rule) whose slug an alias holds takes its own disambiguated slug
(taxonomy.new_topic_slugs), so /topics/<old slug>/ still redirects to the kept topic."""

import pytest
from django.urls import reverse

from curation.models import Article, Provider, Topic, TopicAlias
from curation.services import taxonomy
from curation.services.importing import import_seed_files
from curation.services.taxonomy_merge import delete_aliases, merge_topics
from curation.tests.factories import make_article, make_topic, seed_text, valid_front_matter
from curation.tests.test_merge_aliases import change_page_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_response_cache")]

FREE_IT = "delete the alias on “Artificial intelligence” (Also known as)"


@pytest.fixture
def kept(superuser):
    """“AI” (slug “ai”) merged into “Artificial intelligence”."""
    kept, ai = make_topic(name="Artificial intelligence"), make_topic(name="AI")
    merge_topics(keep=kept.pk, ids=[kept.pk, ai.pk], user=superuser)
    # Readers see the kept topic (a live article carries it): the old address redirects only
    # then, as the kept topic's page is a 404 without one (test_not_found.py).
    make_article(state="published", topics=["Artificial intelligence"])
    return kept


def still_redirects(client, kept):
    response = client.get(reverse("public:topic", args=["ai"]))
    return response.status_code == 301 and response["Location"] == reverse("public:topic", args=[kept.slug])


def test_the_admin_refuses_a_new_topic_at_a_merged_topics_address(kept, superuser_admin, client):
    response = superuser_admin.post(reverse("admin:curation_topic_add"), {"name": "Applied AI", "slug": "ai"})
    assert response.status_code == 200
    assert "The address /topics/ai/ redirects to the topic “Artificial intelligence”" in response.text
    assert FREE_IT in response.text
    assert not Topic.objects.filter(name="Applied AI").exists() and still_redirects(client, kept)


def test_the_admin_refuses_moving_another_topic_to_a_merged_topics_address(kept, superuser_admin, client):
    other = make_topic(name="Robotics")
    url = reverse("admin:curation_topic_change", args=[other.pk])
    data = change_page_data(superuser_admin.get(url))
    data["slug"] = "ai"
    response = superuser_admin.post(url, data)
    assert response.status_code == 200 and "redirects to the topic “Artificial intelligence”" in response.text
    assert Topic.objects.get(pk=other.pk).slug == "robotics" and still_redirects(client, kept)


def test_the_admin_gives_a_new_topic_named_alike_its_own_address(kept, superuser_admin, client):
    response = superuser_admin.post(reverse("admin:curation_topic_add"), {"name": "Ai", "slug": ""})
    assert response.status_code == 302
    assert Topic.objects.get(name="Ai").slug == Topic.slug_for("Ai", disambiguate=True)
    assert still_redirects(client, kept)


def test_the_kept_topic_may_take_a_merged_address_back(kept, superuser):
    kept.slug = "ai"
    kept.full_clean()  # no error: the alias is its own


def test_after_the_alias_is_deleted_the_admin_takes_the_name_and_address(kept, superuser, superuser_admin):
    delete_aliases(model=Topic, ids=list(TopicAlias.objects.values_list("pk", flat=True)), user=superuser)
    response = superuser_admin.post(reverse("admin:curation_topic_add"), {"name": "AI", "slug": "ai"})
    assert response.status_code == 302 and Topic.objects.get(name="AI").slug == "ai"


def test_the_admin_refuses_a_provider_under_a_merged_providers_name_and_domain(superuser, superuser_admin):
    from curation.services.taxonomy_merge import merge_providers
    from curation.tests.factories import make_provider

    reuters, uk = (
        make_provider(name="Reuters", domain="reuters.com"),
        make_provider(name="Reuters UK", domain="reuters.co.uk"),
    )
    merge_providers(keep=reuters.pk, ids=[reuters.pk, uk.pk], user=superuser)
    response = superuser_admin.post(
        reverse("admin:curation_provider_add"), {"name": "Reuters UK", "domain": "reuters.co.uk"}
    )
    assert response.status_code == 200
    assert "was merged into the provider “Reuters (reuters.com)”" in response.text and "Also known as" in response.text
    assert not Provider.objects.filter(name="Reuters UK").exists()


def test_the_editors_picker_creates_a_topic_named_alike_at_its_own_address(kept, editor_client, client):
    article = make_article(topics=[kept])
    response = editor_client.post(
        reverse("curation:article-edit", args=[article.pk]),
        {"title": article.title, "topics": "Ai", "create_topics": ["Ai"]},
    )
    assert response.status_code == 302
    created = Topic.objects.get(name="Ai")
    assert created.slug != "ai" and list(Article.objects.get(pk=article.pk).topics.all()) == [created]
    assert still_redirects(client, kept)


def test_a_rule_or_service_creating_a_topic_named_alike_leaves_the_address(kept, client):
    created = taxonomy.ensure_topics(["A.I."])["A.I."]  # slugifies to “ai” too
    assert created.slug == Topic.slug_for("A.I.", disambiguate=True) and still_redirects(client, kept)


@pytest.mark.parametrize("workers", [0, 2], ids=["in-process", "parse-workers"])
def test_an_import_creating_a_topic_named_alike_leaves_the_address(kept, tmp_path, client, workers):
    folder = tmp_path / "in"
    folder.mkdir()
    values = valid_front_matter(1, webUrl="https://seed.example/alike/1", topics=["Ai"])
    (folder / "1.txt").write_text(seed_text(body="Body.\n", **values), encoding="utf-8")
    import_seed_files([folder], workers=workers)
    created = Topic.objects.get(name="Ai")
    assert created.slug == Topic.slug_for("Ai", disambiguate=True) and still_redirects(client, kept)
