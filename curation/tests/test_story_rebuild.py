"""The rebuild's key index in memory gives each article the candidates the incremental
index gives it when the articles arrive one at a time, also where keys are crowded, and
imports in publication order find the same evidence; the key table's index, dropped during
a rebuild, is there again after it."""

from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from curation.models import Article, StoryEdge, StoryKey
from curation.services import stories, story_candidates, story_rebuild
from curation.services.importing import import_seed_files
from curation.stories import index, item_features
from curation.stories.evaluation import load_corpus
from curation.stories.features import BODY
from curation.stories.index import arrival_order, count_shared_keys, rank_candidates, rank_listing, reach_seconds
from curation.tests.stories_support import corpus_seed_files, import_in_publication_order, storm_seed, write_seeds


def _reference(items, reach):
    """Every earlier item under each key, newest first (StoryIndex's own look-up)."""
    under, published, out = defaultdict(list), {}, {}
    for item in items:
        found, listing = count_shared_keys(item, lambda key: reversed(under[key]), published.get, reach)
        out[item.key] = (rank_candidates(item, found, published.get), rank_listing(listing) if item.kind == BODY else [])
        published[item.key] = item.published
        for key in item.keys:
            under[key].append(item.key)
    return out


@pytest.mark.parametrize("bucket_limit", [index.BUCKET_LIMIT, 2])
def test_the_key_index_gives_what_the_incremental_index_gives(monkeypatch, bucket_limit):
    # With two items a key, most keys of the labelled corpus are crowded and get trimmed.
    monkeypatch.setattr(index, "BUCKET_LIMIT", bucket_limit)
    monkeypatch.setattr(story_rebuild, "BUCKET_LIMIT", bucket_limit)
    items = sorted(
        (item_features(entry.item) for part in ("tune", "heldout", "tune2") for entry in load_corpus(part)),
        key=arrival_order,
    )
    assert any(item.published is None for item in items) and any(item.kind == BODY for item in items)
    reach = reach_seconds()
    expected = _reference(items, reach)
    keys = story_rebuild.KeyIndex(reach)
    for item in items:
        found = keys.candidates(item)
        assert (found.articles, found.listing) == expected[item.key], item.key
        keys.add(item)
    if bucket_limit == 2:  # the buckets were trimmed, and what they kept sufficed
        assert sum(map(len, keys.buckets.values())) < sum(len(item.keys) for item in items)


def _key_index_and_rows():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, StoryKey._meta.db_table)
    return "storykey_key_published" in constraints, StoryKey.objects.count(), StoryEdge.objects.count()


@pytest.mark.django_db
def test_a_rebuild_puts_the_key_index_back_and_a_dry_run_changes_nothing(tmp_path):
    write_seeds(tmp_path, [storm_seed(n) for n in range(4)])
    import_seed_files([tmp_path], workers=0)
    imported = _key_index_and_rows()
    assert imported[0] and imported[1] and imported[2]

    call_command("cluster_stories", "--rebuild", "--dry-run", stdout=StringIO())
    assert _key_index_and_rows() == imported

    run = stories.rebuild(workers=0)
    assert _key_index_and_rows() == imported and run.created == run.removed == 0
    assert len({article.story_id for article in Article.objects.all()}) == 1


def _edges_and_stories():
    edges = {(a, b, round(score, 6)) for a, b, score in StoryEdge.objects.values_list("a", "b", "score")}
    found = defaultdict(set)
    for pk, story_id in Article.objects.filter(story__isnull=False).values_list("pk", "story_id"):
        found[story_id].add(pk)
    return edges, {frozenset(members) for members in found.values()}



@pytest.mark.django_db
@pytest.mark.parametrize("bucket_limit", [index.BUCKET_LIMIT, 2])
def test_imports_in_chunks_find_the_evidence_a_rebuild_finds(tmp_path, monkeypatch, bucket_limit):
    # Two items a key crowds most keys of the corpus; 24 storm reports share their words
    # (two at each hour: equal dates). Each import clusters its items 25 at a time, so
    # the later items of an import are in the key table when the earlier ones look.
    for module in (index, story_rebuild, story_candidates):
        monkeypatch.setattr(module, "BUCKET_LIMIT", bucket_limit)
    monkeypatch.setattr(stories, "REBUILD_CHUNK", 25)
    corpus_seed_files(tmp_path / "all", "tune")
    write_seeds(tmp_path / "all", [storm_seed(n) for n in range(24)])
    imports = import_in_publication_order(tmp_path / "all", tmp_path, 70)
    imported = _edges_and_stories()
    assert imports >= 4 and len(imported[0]) > 100

    stories.rebuild(workers=0)
    rebuilt = _edges_and_stories()
    assert rebuilt[0] == imported[0]
    assert rebuilt[1] == imported[1]
