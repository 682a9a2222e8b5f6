"""Stories in the app: the import clusters its new items, cluster_stories, canonical URLs,
editors' decisions (audited, and kept through re-import and recomputation), the cap, and
publishing a story."""

import dataclasses
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from curation.models import (
    Article,
    ArticleState,
    EditorialAction,
    RelatedCoverage,
    Story,
    StoryDecision,
    StoryEdge,
    StoryKey,
)
from curation.selectors_stories import article_by_url, duplicates_of, stories_listing, story_members
from curation.services import stories, story_index, story_publication
from curation.services.importing import import_seed_files
from curation.tests.factories import seed_text, valid_front_matter
from curation.tests.stories_support import (
    corpus_seed_files,
    import_in_publication_order,
    import_two_storms,
    stored_story_scores,
    storm_seed,
    write_seeds,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
REAL_SEEDS = ROOT / "fixtures" / "real-seeds"
Action = EditorialAction.Action


def cluster_command(*args):
    out = StringIO()
    call_command("cluster_stories", *args, stdout=out)
    return out.getvalue()


def groups():
    found = {}
    for pk, story_id in Article.objects.filter(story__isnull=False).values_list("pk", "story_id"):
        found.setdefault(story_id, set()).add(pk)
    return {frozenset(members) for members in found.values()}


def story_of(article):
    article.refresh_from_db()
    return set(Article.objects.filter(story_id=article.story_id).values_list("pk", flat=True)) if article.story_id else {article.pk}


# --- the import and the real seeds ----------------------------------------------------------------


def test_the_real_seeds_body_only_item_joins_the_story_of_the_article_listing_it():
    report = import_seed_files([REAL_SEEDS], workers=0)

    fast_company = Article.objects.get(has_front_matter=True)
    body_only = Article.objects.get(has_front_matter=False)
    assert story_of(fast_company) == {fast_company.pk, body_only.pk}
    assert Story.objects.get().lead_id == fast_company.pk  # a body-only item never leads
    assert report.stories["stories_created"] == 1
    listing = json.loads(cluster_command("--json"))["stories"]
    assert listing == [{"id": fast_company.story_id, "lead": fast_company.pk, "articles": sorted([fast_company.pk, body_only.pk])}]


def test_the_import_report_and_its_json_say_what_clustering_did(tmp_path):
    write_seeds(tmp_path, [storm_seed(n) for n in range(3)])
    out = StringIO()
    call_command("import_seeds", str(tmp_path), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["stories"]["stories_created"] == 1 and data["stories"]["items"] == 3 and data["stories"]["capped"] == []

    write_seeds(tmp_path / "more", [storm_seed(n) for n in range(3, 5)])
    out = StringIO()
    call_command("import_seeds", str(tmp_path / "more"), stdout=out)
    assert "Stories: 2 items clustered; 0 stories created, 1 changed" in out.getvalue()


def test_importing_without_stories_leaves_them_to_the_command(tmp_path):
    write_seeds(tmp_path, [storm_seed(n) for n in range(3)])
    call_command("import_seeds", str(tmp_path), "--no-stories", stdout=StringIO())
    assert not Story.objects.exists()

    assert "3 items clustered" in cluster_command()
    assert len(groups()) == 1


# --- canonical URLs ----------------------------------------------------------------------------


def test_related_coverage_links_to_an_article_by_any_spelling_of_its_url(tmp_path):
    listing = valid_front_matter(1, related=[{"title": "Storm coverage", "webUrl": "https://www.site.example/a/?utm_source=rss"}])
    listed = valid_front_matter(2, webUrl="http://site.example/a?partner=rss#top")
    write_seeds(tmp_path / "first", [seed_text(**listing)])
    write_seeds(tmp_path / "second", [seed_text(**listed)])
    import_seed_files([tmp_path / "first"], workers=0)
    import_seed_files([tmp_path / "second"], workers=0)

    article = Article.objects.get(web_url="http://site.example/a?partner=rss#top")
    assert article.canonical_url == "https://site.example/a"
    assert RelatedCoverage.objects.get().linked_article == article
    lister = Article.objects.exclude(pk=article.pk).get()
    assert story_of(lister) == {lister.pk, article.pk}


def test_the_same_url_with_tracking_parameters_and_a_new_title_is_a_duplicate_in_the_same_story(tmp_path):
    first, second = import_two_storms(
        tmp_path, "https://www.outlet.example/storm?utm_source=twitter", "https://outlet.example/storm",
        second_title="Wales counts the cost of a wild night",
    )
    assert first.source_key != second.source_key  # identity is the URL as given
    assert list(duplicates_of(first)) == [second]
    assert story_of(first) == {first.pk, second.pk}
    assert article_by_url("http://outlet.example/storm/#comments") in (first, second)
    assert article_by_url("https://outlet.example/other") is None and article_by_url("not a url") is None


# --- the command ---------------------------------------------------------------------------------


def test_cluster_stories_json_lists_every_story_with_an_attached_body_only_item_by_its_own_id(editor):
    import_seed_files([REAL_SEEDS], workers=0)
    fast_company = Article.objects.get(has_front_matter=True)
    body_only = Article.objects.get(has_front_matter=False)
    from curation.services.editorial import attach_body

    attach_body(item=body_only, target=fast_company, user=editor)

    data = json.loads(cluster_command("--rebuild", "--json"))
    assert data["stories"] == [{"id": fast_company.story_id, "lead": fast_company.pk, "articles": [fast_company.pk, body_only.pk]}]
    assert data["counts"]["stories"] == 1 and data["counts"]["items"] == 2 and data["counts"]["dry_run"] is False


def test_cluster_stories_dry_run_writes_nothing(tmp_path):
    write_seeds(tmp_path, [storm_seed(n) for n in range(3)])
    import_seed_files([tmp_path], workers=0, stories=False)

    data = json.loads(cluster_command("--dry-run", "--json"))
    assert len(data["stories"]) == 1 and data["counts"]["dry_run"] is True
    assert not Story.objects.exists() and not Article.objects.filter(story__isnull=False).exists()


def test_cluster_stories_since_takes_recent_imports_only(tmp_path):
    write_seeds(tmp_path, [storm_seed(n) for n in range(3)])
    import_seed_files([tmp_path], workers=0, stories=False)
    assert "3 items clustered" in cluster_command("--since", "1")
    with pytest.raises(Exception, match="positive"):
        cluster_command("--since", "0")
    # A number of hours no date is that far back, and NaN: a traceback (OverflowError,
    # ValueError) before, a usage error now.
    for hours in ("999999999999", "nan", "inf"):
        with pytest.raises(CommandError, match="positive number of hours, at most") as error:
            cluster_command("--since", hours)
        assert error.value.returncode == 2


# --- incremental equals rebuild, and quality through the whole path ------------------------------------


def test_imports_in_publication_order_give_what_a_rebuild_gives(tmp_path):
    names = corpus_seed_files(tmp_path / "all", "tune")
    import_in_publication_order(tmp_path / "all", tmp_path, 60)
    incremental = groups()
    scores = stored_story_scores("tune", names)

    stories.rebuild()
    assert groups() == incremental
    assert scores.precision >= 0.95 and scores.recall >= 0.9, str(scores)


# --- editors' decisions -------------------------------------------------------------------------------


@pytest.fixture
def storm(tmp_path):
    write_seeds(tmp_path, [storm_seed(n) for n in range(4)])
    import_seed_files([tmp_path], workers=0)
    articles = list(Article.objects.order_by("pk"))
    assert story_of(articles[0]) == {article.pk for article in articles}
    return tmp_path, articles


def test_split_out_is_audited_and_survives_reimport_and_rebuild(storm, editor):
    folder, (a, b, c, d) = storm
    stories.split_out(article=b, user=editor)
    assert story_of(b) == {b.pk} and story_of(a) == {a.pk, c.pk, d.pk}
    action = EditorialAction.objects.get(action=Action.STORY_SPLIT)
    assert action.article == b and action.actor == editor and sorted(action.before["with"]) == [a.pk, c.pk, d.pk]

    # The same files with new text arrive again, then everything is recomputed.
    for path in folder.glob("*.txt"):
        path.write_text(path.read_text(encoding="utf-8").replace("brought down trees", "felled trees"), encoding="utf-8")
    import_seed_files([folder], workers=0)
    assert story_of(b) == {b.pk}
    stories.rebuild()
    assert story_of(b) == {b.pk} and story_of(a) == {a.pk, c.pk, d.pk}


def test_not_the_same_story_holds_even_through_a_third_item(tmp_path, editor):
    write_seeds(tmp_path / "one", [storm_seed(1), storm_seed(2)])
    import_seed_files([tmp_path / "one"], workers=0)
    a, b = Article.objects.order_by("pk")
    stories.keep_apart(article=a, other=b, user=editor)
    assert story_of(a) == {a.pk}

    write_seeds(tmp_path / "two", [storm_seed(3)])  # reads like both
    import_seed_files([tmp_path / "two"], workers=0)
    c = Article.objects.order_by("pk").last()
    assert not {a.pk, b.pk} <= story_of(c)
    stories.rebuild()
    assert not {a.pk, b.pk} <= story_of(c)
    assert EditorialAction.objects.filter(action=Action.STORY_APART).count() == 2  # one row per article


def test_merge_joins_what_text_does_not_and_the_lead_an_editor_chose_stays(tmp_path, editor):
    write_seeds(tmp_path, [storm_seed(1), seed_text(**valid_front_matter(9, title="Council approves budget for new library"))])
    import_seed_files([tmp_path], workers=0)
    storm_article, library = Article.objects.order_by("pk")
    assert story_of(storm_article) == {storm_article.pk}

    stories.merge(article=storm_article, other=library, user=editor)
    assert story_of(storm_article) == {storm_article.pk, library.pk}
    story = stories.set_lead(article=library, user=editor)
    assert story.lead_id == library.pk and story.lead_by_editor

    stories.rebuild()
    library.refresh_from_db()
    assert Story.objects.get(pk=library.story_id).lead_id == library.pk
    assert StoryDecision.objects.get().kind == StoryDecision.Kind.TOGETHER
    assert {row.action for row in EditorialAction.objects.all()} == {Action.STORY_MERGE, Action.STORY_LEAD}


def test_story_acts_need_the_edit_permission(storm, viewer):
    _, (a, b, *_) = storm
    for act in (lambda: stories.split_out(article=a, user=viewer), lambda: stories.set_lead(article=a, user=viewer),
                lambda: stories.keep_apart(article=a, other=b, user=viewer)):
        with pytest.raises(PermissionDenied):
            act()
    assert not EditorialAction.objects.exists()


# --- the cap ----------------------------------------------------------------------------------------


def test_a_story_stops_growing_at_the_cap_and_the_run_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(stories, "STORY_CAP", 3)
    write_seeds(tmp_path, [storm_seed(n) for n in range(7)])
    report = import_seed_files([tmp_path], workers=0)

    assert max(len(group) for group in groups()) <= 3
    assert report.stories["capped"] and Story.objects.filter(capped=True).exists()


# --- publishing a story ---------------------------------------------------------------------------------


def test_publishing_a_story_publishes_the_lead_and_rejects_the_rest_as_duplicates(storm, editor):
    _, articles = storm
    story = Story.objects.get()
    result = story_publication.publish_story(story=story, user=editor)

    assert result.lead.pk == story.lead_id and result.lead.state == ArticleState.PUBLISHED
    others = Article.objects.exclude(pk=story.lead_id)
    assert {article.state for article in others} == {ArticleState.REJECTED}
    assert {article.rejection_code for article in others} == {"duplicate"}
    assert EditorialAction.objects.filter(action=Action.REJECT, reason_code="duplicate").count() == 3
    assert EditorialAction.objects.filter(action=Action.PUBLISH).count() == 1


def test_publishing_a_story_can_leave_the_rest_in_the_queue(storm, editor, viewer):
    with pytest.raises(PermissionDenied):
        story_publication.publish_story(story=Story.objects.get(), user=viewer)
    result = story_publication.publish_story(story=Story.objects.get(), user=editor, rest="leave")
    assert len(result.left) == 3 and Article.objects.filter(state=ArticleState.NEW).count() == 3


def test_story_members_lists_the_lead_first_and_coverage_not_imported(tmp_path):
    write_seeds(tmp_path, [
        storm_seed(1, quality=10, related=[{"title": "Storm live", "webUrl": "https://elsewhere.example/storm"}]),
        storm_seed(2, quality=99),
    ])
    import_seed_files([tmp_path], workers=0)
    members = story_members(Story.objects.get().pk)
    assert members.articles[0].quality == 99  # the lead: highest quality
    assert [entry.web_url for entry in members.coverage] == ["https://elsewhere.example/storm"]
    assert stories_listing()[0]["lead"] == members.articles[0].pk


def test_clustering_an_import_takes_a_fixed_number_of_queries_however_many_items(tmp_path):
    """The work follows the new items, in bulk statements: more of them cost no more."""
    counts = []
    for size in (4, 12):
        Article.objects.all().delete(), StoryKey.objects.all().delete(), Story.objects.all().delete()
        folder = tmp_path / f"n{size}"
        write_seeds(folder, [storm_seed(n, webUrl=f"https://o{size}-{n}.example/s") for n in range(size)])
        import_seed_files([folder], workers=0, stories=False)
        ids = list(Article.objects.values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as queries:
            stories.cluster_articles(ids)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_candidates_from_the_imports_memory_are_what_the_index_gives_back(tmp_path, monkeypatch):
    """An import clusters in chunks; a candidate from another chunk of the run is taken from
    memory instead of being read back from the index: the same values, the same iteration
    order of its term sets (so weight sums agree to the last bit), the same evidence."""
    kept = {}
    monkeypatch.setattr(stories.ImportIndexer, "finish", lambda self: kept.update(self.features) or stories.StoryRun())
    corpus_seed_files(tmp_path, "tune")
    import_seed_files([tmp_path], workers=0)
    stored = story_index.features_of(list(kept), store=False)
    assert len(kept) > 100
    for pk, features in kept.items():
        mine, theirs = story_index.as_stored(features), stored[pk]
        for field in dataclasses.fields(mine):
            assert repr(getattr(mine, field.name)) == repr(getattr(theirs, field.name)), (pk, field.name)

    monkeypatch.setattr(stories, "REBUILD_CHUNK", 40)
    edges = []
    for known in (None, kept):
        run = stories.cluster_articles(list(kept), known=known)
        edges.append((run.pairs_scored, run.evidence, sorted(StoryEdge.objects.values_list("a", "b", "score", "reason"))))
    assert edges[0] == edges[1] and edges[0][1] > 50


def test_each_key_row_carries_its_articles_date(tmp_path):
    """An item's date is adapted for the database once for all of its key rows."""
    write_seeds(tmp_path, [storm_seed(n) for n in range(3)] + ["A body-only item about Storm Imogen in Wales."])
    import_seed_files([tmp_path], workers=0)
    published = dict(Article.objects.values_list("pk", "published_at"))
    rows = list(StoryKey.objects.values_list("item", "published"))
    assert len(rows) > 3 * 4 and {item for item, _ in rows} == set(published)
    assert all(when == published[item] for item, when in rows)
    assert sum(when is None for _, when in rows) >= 1  # the body-only item has no date


def test_features_read_from_an_articles_text_match_the_index_even_with_a_url_too_long_to_store(tmp_path):
    """An edited article's features are computed from its stored text, where a canonical URL
    too long for the index is still whole: taken from memory, it is dropped as the index drops it."""
    write_seeds(tmp_path, [storm_seed(1, webUrl="https://outlet1.example/" + "storm-" * 200)])
    import_seed_files([tmp_path], workers=0)
    article = Article.objects.get()
    assert article.canonical_url == ""
    computed = story_index.compute_features([article.pk])[article.pk]
    stored = story_index.features_of([article.pk], store=False)[article.pk]
    assert computed.url and not stored.url
    mine = story_index.as_stored(computed)
    for field in dataclasses.fields(mine):
        assert repr(getattr(mine, field.name)) == repr(getattr(stored, field.name)), field.name
