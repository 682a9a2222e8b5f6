"""What a merge leaves behind: the merged names as aliases of the kept topic or provider
(services/taxonomy_merge.py), resolved by the import, the editors' paths and the public
topic pages (301 to the kept one), shown and deleted in the admin."""

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curation.models import Article, ArticleState, Provider, ProviderAlias, Topic, TopicAlias
from curation.services import taxonomy
from curation.services.importing import import_seed_files
from curation.services.taxonomy_merge import delete_aliases, merge_providers, merge_topics
from curation.tests.factories import (
    client_for,
    make_article,
    make_provider,
    make_topic,
    make_user,
    seed_text,
    valid_front_matter,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def merged(superuser):
    """Topic “AI” merged into “Artificial intelligence”, provider “reuters.com” into “Reuters”."""
    kept, ai = make_topic(name="Artificial intelligence"), make_topic(name="AI")
    reuters = make_provider(name="Reuters", domain="reuters.com")
    dup = make_provider(name="reuters.com", domain="reuters.com")
    make_article(topics=[ai], provider=dup)
    merge_topics(keep=kept.pk, ids=[kept.pk, ai.pk], user=superuser)
    merge_providers(keep=reuters.pk, ids=[reuters.pk, dup.pk], user=superuser)
    return kept, reuters


def write_seeds(folder, first, count, topics=("AI",)):
    folder.mkdir(exist_ok=True)
    for n in range(first, first + count):
        values = valid_front_matter(
            n,
            webUrl=f"https://seed.example/alias/{n}",
            topics=list(topics),
            provider={"name": "reuters.com", "domain": "reuters.com"},
        )
        (folder / f"{n}.txt").write_text(seed_text(body=f"Body {n}.\n", **values), encoding="utf-8")
    return folder


def imported(folder):
    return Article.objects.filter(web_url__startswith="https://seed.example/alias/").order_by("pk")


# --- the merge records aliases ----------------------------------------------------------------


def test_a_merge_keeps_the_merged_names_as_aliases_of_the_kept_one(merged):
    kept, reuters = merged
    assert list(TopicAlias.objects.values_list("name", "slug", "topic")) == [("AI", "ai", kept.pk)]
    assert list(ProviderAlias.objects.values_list("name", "domain", "provider")) == [
        ("reuters.com", "reuters.com", reuters.pk)
    ]


def test_chained_merges_leave_every_old_name_naming_the_last_kept_one(superuser, tmp_path):
    c, a, b = (make_topic(name=name) for name in ("C", "A", "B"))
    merge_topics(keep=a.pk, ids=[a.pk, c.pk], user=superuser)
    merge_topics(keep=b.pk, ids=[b.pk, a.pk], user=superuser)
    assert dict(TopicAlias.objects.values_list("name", "topic")) == {"A": b.pk, "C": b.pk}
    import_seed_files([write_seeds(tmp_path / "in", 1, 1, topics=["C"])], workers=0)
    assert [list(article.topics.values_list("name", flat=True)) for article in imported(tmp_path)] == [["B"]]
    assert not Topic.objects.filter(name__in=["A", "C"]).exists()


# --- the import ------------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [0, 2], ids=["in-process", "parse-workers"])
def test_an_import_naming_merged_names_links_the_kept_ones_and_creates_nothing(merged, tmp_path, workers):
    kept, reuters = merged
    topics, providers = Topic.objects.count(), Provider.objects.count()
    import_seed_files([write_seeds(tmp_path / "in", 1, 3)], workers=workers, batch_size=2)
    assert imported(tmp_path).count() == 3
    assert (Topic.objects.count(), Provider.objects.count()) == (topics, providers)
    for article in imported(tmp_path):
        assert list(article.topics.all()) == [kept]
        assert article.provider == reuters


def test_a_file_naming_both_a_merged_topic_and_the_kept_one_carries_it_once(merged, tmp_path):
    kept, _ = merged
    import_seed_files([write_seeds(tmp_path / "in", 1, 1, topics=["AI", "Artificial intelligence"])], workers=0)
    assert list(imported(tmp_path).get().topics.all()) == [kept]


def test_import_queries_do_not_grow_with_the_merged_names_files_give(superuser, tmp_path):
    """Each file names merged names of its own, so that a look-up per name (rather than the
    batched aliased_topic_ids and aliased_provider_ids) makes 40 files cost more than 10."""
    kept, wire = make_topic(name="Kept"), make_provider(name="Wire", domain="wire.example")
    old_topics = [make_topic(name=f"Old {n}") for n in range(60)]
    old_providers = [make_provider(name=f"Old wire {n}", domain=f"old{n}.example") for n in range(60)]
    merge_topics(keep=kept.pk, ids=[kept.pk, *(t.pk for t in old_topics)], user=superuser)
    merge_providers(keep=wire.pk, ids=[wire.pk, *(p.pk for p in old_providers)], user=superuser)
    topics, providers = Topic.objects.count(), Provider.objects.count()

    def queries(first, count):
        folder = tmp_path / f"in{first}"
        folder.mkdir()
        for n in range(first, first + count):
            values = valid_front_matter(
                n,
                webUrl=f"https://seed.example/alias/{n}",
                topics=[f"Old {n % 60}"],
                provider={"name": f"Old wire {n % 60}", "domain": f"old{n % 60}.example"},
            )
            (folder / f"{n}.txt").write_text(seed_text(body=f"Body {n}.\n", **values), encoding="utf-8")
        with CaptureQueriesContext(connection) as captured:
            import_seed_files([folder], workers=0, stories=False, rules=False)
        return len(captured)

    queries(100, 1)  # first-import work out of the way
    assert queries(110, 10) == queries(120, 40)
    assert (Topic.objects.count(), Provider.objects.count()) == (topics, providers)  # nothing created again
    assert set(Article.topics.through.objects.values_list("topic_id", flat=True)) == {kept.pk}
    assert set(Article.objects.values_list("provider_id", flat=True)) == {wire.pk}


def test_deleting_an_alias_frees_the_name_for_the_next_import(merged, superuser, tmp_path):
    kept, _ = merged
    deleted = delete_aliases(model=Topic, ids=list(TopicAlias.objects.values_list("pk", flat=True)), user=superuser)
    assert deleted == 1
    import_seed_files([write_seeds(tmp_path / "in", 1, 1)], workers=0)
    ai = Topic.objects.get(name="AI")
    assert ai != kept and list(imported(tmp_path).get().topics.all()) == [ai]


def test_deleting_an_alias_needs_the_merge_permissions(merged):
    user = make_user(role=None, is_staff=True, permissions=["view_topic", "change_topic"])
    with pytest.raises(PermissionDenied):
        delete_aliases(model=Topic, ids=list(TopicAlias.objects.values_list("pk", flat=True)), user=user)
    assert TopicAlias.objects.filter(name="AI").exists()


# --- the editors' paths ------------------------------------------------------------------------


def test_an_editor_naming_a_merged_topic_or_provider_gets_the_kept_one(merged, editor):
    kept, reuters = merged
    topics = Topic.objects.count()
    assert taxonomy.topics_for_editor(["AI", "Artificial intelligence"], user=editor) == [kept]
    assert taxonomy.create_topics(["AI"], user=make_user(role="superuser")) == {"AI": kept}
    assert taxonomy.ensure_provider("reuters.com", "reuters.com") == reuters
    assert Topic.objects.count() == topics and not Provider.objects.filter(name="reuters.com").exists()


# --- the public side ---------------------------------------------------------------------------


@pytest.mark.usefixtures("empty_response_cache")
@pytest.mark.parametrize(
    "route",
    ["public:topic", "public:feed-rss-topic", "public:feed-atom-topic", "public:feed-json-topic"],
)
def test_a_merged_topic_page_redirects_permanently_to_the_kept_one(merged, client, route):
    kept, _ = merged
    make_article(state=ArticleState.PUBLISHED, topics=[kept])
    response = client.get(reverse(route, args=["ai"]) + "?all=1")
    assert response.status_code == 301
    assert response["Location"] == reverse(route, args=[kept.slug]) + "?all=1"
    assert f"max-age={settings.PUBLIC_CACHE_SECONDS}" in response["Cache-Control"]  # not cached for good
    assert client.get(response["Location"]).status_code == 200
    assert client.get(reverse(route, args=["no-such-topic"])).status_code == 404


# --- the admin ---------------------------------------------------------------------------------


def change_page_data(response, delete=()):
    """The change form's POST as the browser would send it, with the inline rows whose
    alias names are in `delete` ticked for deletion."""
    form = response.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
        for index, row in enumerate(formset.forms):
            data[f"{formset.prefix}-{index}-id"] = row.instance.pk
            data[f"{formset.prefix}-{index}-{formset.fk.name}"] = formset.instance.pk
            if str(row.instance) in delete:
                data[f"{formset.prefix}-{index}-DELETE"] = "on"
    return data


def test_the_admin_shows_aliases_and_deletes_one(merged, superuser_admin):
    kept, reuters = merged
    for model, row, name in ((Topic, kept, "AI"), (Provider, reuters, "reuters.com (reuters.com)")):
        url = reverse(f"admin:curation_{model._meta.model_name}_change", args=[row.pk])
        page = superuser_admin.get(url)
        assert "Also known as" in page.text and "-0-DELETE" in page.text
        assert [str(r.instance) for f in page.context["inline_admin_formsets"] for r in f.formset.forms] == [name]
        response = superuser_admin.post(url, change_page_data(page, delete=[name]))
        assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert not TopicAlias.objects.exists() and not ProviderAlias.objects.exists()
    history = reverse("admin:curation_topic_history", args=[kept.pk])
    assert "Alias “AI” deleted" in superuser_admin.get(history).text


def test_an_admin_who_may_not_merge_sees_aliases_but_cannot_delete_them(merged):
    kept, _ = merged
    user = make_user(role=None, is_staff=True, permissions=["view_topic", "change_topic"])
    client = client_for(user)
    url = reverse("admin:curation_topic_change", args=[kept.pk])
    page = client.get(url)
    assert "Also known as" in page.text and "aliases-0-DELETE" not in page.text
    client.post(url, change_page_data(page, delete=["AI"]))
    assert TopicAlias.objects.filter(name="AI", topic=kept).exists()


def test_the_admin_refuses_a_new_topic_or_provider_under_a_merged_name(merged, superuser_admin):
    response = superuser_admin.post(reverse("admin:curation_topic_add"), {"name": "AI", "slug": ""})
    assert response.status_code == 200 and "was merged into the topic “Artificial intelligence”" in response.text
    response = superuser_admin.post(
        reverse("admin:curation_provider_add"), {"name": "reuters.com", "domain": "reuters.com"}
    )
    assert response.status_code == 200 and "was merged into the provider" in response.text
    assert not Topic.objects.filter(name="AI").exists()
    assert not Provider.objects.filter(name="reuters.com").exists()
