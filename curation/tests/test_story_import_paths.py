"""An import finds the same evidence however its clustering does the work: the scoring
split over forked processes or done in one, the run's own key rows taken from memory or
read back from the key table; also when a second import's items arrive between the first
one's (late arrivals, on both sides of each other in time)."""

import shutil
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from curation.models import Article, StoryEdge
from curation.services import stories, story_candidates, story_index
from curation.services.importing import import_seed_files
from curation.services.story_index import keep_evidence
from curation.stories import index
from curation.stories.scoring import Evidence
from curation.tests.stories_support import _published, corpus_seed_files, storm_seed, write_seeds


def _interleaved_imports(tmp_path):
    """The tuning part and 24 storm reports, imported as two imports of every other file
    by publication date, each clustered 25 items at a time."""
    corpus_seed_files(tmp_path / "all", "tune")
    write_seeds(tmp_path / "all", [storm_seed(n) for n in range(24)])
    files = sorted((tmp_path / "all").iterdir(), key=_published)
    for number in (0, 1):
        folder = tmp_path / f"import{number}"
        folder.mkdir()
        for path in files[number::2]:
            shutil.copy(path, folder)
        import_seed_files([folder], workers=0)
    # Compared by what each article is (its URL, or a body-only item's text), not its id.
    name = {pk: url or body for pk, url, body in Article.objects.values_list("pk", "web_url", "body")}
    assert len(set(name.values())) == len(name)
    edges = {
        (frozenset((name[a], name[b])), round(score, 9), reason)
        for a, b, score, reason in StoryEdge.objects.values_list("a", "b", "score", "reason")
    }
    found = defaultdict(set)
    for pk, story_id in Article.objects.filter(story__isnull=False).values_list("pk", "story_id"):
        found[story_id].add(name[pk])
    return edges, {frozenset(members) for members in found.values()}


def _one_process_from_the_table(monkeypatch):
    monkeypatch.setattr(story_candidates.RunRows, "of", classmethod(lambda cls, features: None))
    monkeypatch.setattr(story_index, "usable_cpus", lambda: 1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("bucket_limit", [index.BUCKET_LIMIT, 2])
def test_split_scoring_and_rows_from_memory_find_what_one_process_reading_the_table_finds(
    tmp_path, monkeypatch, bucket_limit
):
    for module in (index, story_candidates):
        monkeypatch.setattr(module, "BUCKET_LIMIT", bucket_limit)
    monkeypatch.setattr(stories, "REBUILD_CHUNK", 25)
    with monkeypatch.context() as plain:
        _one_process_from_the_table(plain)
        expected = _interleaved_imports(tmp_path / "plain")
    assert len(expected[0]) > 100 and len(expected[1]) > 10
    call_command("flush", interactive=False)  # the key table too: its rows name no article

    used = []
    original = story_candidates.RunRows.of.__func__

    def spy(cls, features):
        rows = original(cls, features)
        used.append(rows is not None)
        return rows

    monkeypatch.setattr(story_candidates.RunRows, "of", classmethod(spy))
    monkeypatch.setattr(story_index, "usable_cpus", lambda: 3)
    monkeypatch.setattr(story_index, "MIN_PAIRS_A_PROCESS", 1)
    split = []
    original_map = story_index.forked_map
    monkeypatch.setattr(
        story_index, "forked_map", lambda function, parts: split.append(len(parts)) or original_map(function, parts)
    )
    assert _interleaved_imports(Path(tmp_path / "split")) == expected
    assert used == [True, True] and max(split) == 3


evidence_values = st.builds(
    Evidence,
    score=st.sampled_from([-1.0, -0.5, 0.0, 0.3, 0.8, 0.8, 0.95, 1.0]),
    reason=st.sampled_from(["a", "b", "c"]),
)


@given(st.lists(st.tuples(st.sampled_from([(1, 2), (2, 1), (1, 3), (3, 3)]), evidence_values), max_size=30), st.data())
def test_evidence_kept_part_by_part_is_the_evidence_kept_in_one_pass(offers, data):
    # What the split scoring relies on: each part folded on its own, the parts then merged
    # in order, keeps what one pass over every offer keeps.
    one_pass = {}
    for (a, b), evidence in offers:
        keep_evidence(one_pass, a, b, evidence)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(offers)), max_size=3)))
    bounds = [0, *cuts, len(offers)]
    merged = {}
    for start, end in zip(bounds, bounds[1:], strict=False):
        part = {}
        for (a, b), evidence in offers[start:end]:
            keep_evidence(part, a, b, evidence)
        for (a, b), evidence in part.items():
            keep_evidence(merged, a, b, evidence)
    assert merged == one_pass


def test_the_run_rows_are_read_from_the_table_when_a_date_has_a_fraction_of_a_second():
    # The databases give a key row's date back in whole seconds, each rounding its own way.
    def features(key, published, keys):
        return SimpleNamespace(key=key, published=published, keys=keys)

    whole = story_candidates.RunRows.of(
        {1: features(1, 100.0, (7, 8)), 2: features(2, 40.0, (7,)), 3: features(3, None, (7,))}
    )
    assert list(whole.between([7, 8, 9], 40, 100)) == [(7, 2, 40), (7, 1, 100), (8, 1, 100)]
    assert list(whole.between([7], 41, 99)) == []
    assert story_candidates.RunRows.of({1: features(1, 100.5, (7,))}) is None
