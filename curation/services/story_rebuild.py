"""A rebuild's evidence in one pass over the whole table (called by `stories.rebuild`).

The articles are walked once in arrival order (by publication, undated last), each against
the articles walked before it, with the key index held in memory rather than looked up in
the key table a chunk at a time: the look-up then costs the same for the millionth article
as for the first. Features are computed in worker processes a chunk ahead of the walk; the
index tables are written in large batches, the key table with its index dropped and built
once at the end; URL evidence comes from the whole table in two statements; the stories
are clustered from the evidence in memory.

An article's candidates are what the incremental path gives when the articles arrive one at
a time in this order (`curation.stories.StoryIndex`): per lookup key the BUCKET_LIMIT
newest earlier articles within reach, the best MAX_CANDIDATES of them scored.
"""

import multiprocessing
import os
from collections import defaultdict, deque
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from itertools import combinations

from django.db.models import Count

from curation.db import backend
from curation.models import Article, RelatedCoverage, StoryEdge, StoryKey
from curation.services import story_candidates, story_index
from curation.services.story_index import keep_evidence
from curation.stories.features import BODY
from curation.stories.index import (
    BUCKET_LIMIT,
    arrival_order,
    count_shared_keys,
    rank_candidates,
    rank_listing,
    reach_seconds,
)
from curation.stories.scoring import DEFAULT_CONFIG, Evidence

# Articles read and sent to the feature workers at a time, and written to the index tables
# at a time.
CHUNK = 2000
FLUSH = 20_000


class KeyIndex:
    """The key table of the articles walked so far: per key, article ids in arrival order,
    trimmed to what a later article can still take (those within reach of the newest, and
    the newest BUCKET_LIMIT at least, which an undated article may take)."""

    def __init__(self, reach):
        self.reach = reach
        self.buckets = {}
        self.published = {}

    def candidates(self, item):
        published, buckets = self.published, self.buckets
        low = item.published - self.reach if item.published is not None else None

        def items_under(key):
            # Newest first. Arrival order is publication order, so past the first article
            # out of reach every one is: the walk stops there instead of skipping them all.
            for other in reversed(buckets.get(key, ())):
                when = published[other]
                if low is not None and when is not None and when < low:
                    return
                yield other

        found, listing = count_shared_keys(item, items_under, published.get, self.reach)
        listing = rank_listing(listing) if item.kind == BODY else []
        return story_candidates.Candidates(rank_candidates(item, found, published.get), listing)

    def add(self, item):
        self.published[item.key] = item.published
        low = item.published - self.reach if item.published is not None else None
        for key in item.keys:
            bucket = self.buckets.get(key)
            if bucket is None:
                self.buckets[key] = [item.key]
                continue
            bucket.append(item.key)
            if low is not None and len(bucket) > 4 * BUCKET_LIMIT:
                self._trim(bucket, low)

    def _trim(self, bucket, low):
        cut, most = 0, len(bucket) - BUCKET_LIMIT
        while cut < most and self.published[bucket[cut]] < low:
            cut += 1
        if cut:
            del bucket[:cut]


class Walk:
    """The walk's state: the key index, the features of the articles still within reach,
    the evidence found, and the index rows not written yet."""

    def __init__(self, config):
        self.config = config
        self.reach = reach_seconds(config)
        self.keys = KeyIndex(self.reach)
        self.features = {}
        self.recent = deque()
        self.evidence = {}
        self.pairs_scored = 0
        self.pending = []
        self.undated = []
        self.database = backend()

    def article(self, item, blob):
        """One dated article: its candidates among those before it, scored, then indexed.
        `blob`: its features' stored form."""
        if item.published is None:
            self.undated.append((item, blob))
            return
        low = item.published - self.reach
        recent, features = self.recent, self.features
        while recent and recent[0].published < low:
            features.pop(recent.popleft().key, None)
        self.pairs_scored += story_index.score_item(item, self.keys.candidates(item), features, {}, self.evidence, self.config)
        self._index(item, blob)
        recent.append(item)

    def undated_articles(self):
        """Body-only items (and any other undated one), last: their candidates may be of
        any date, so those no longer in memory are read from the index (written by now)."""
        self.flush()
        undated = sorted(self.undated, key=lambda entry: arrival_order(entry[0]))
        items = [item for item, _ in undated]
        found = {}
        for item, blob in undated:
            found[item.key] = self.keys.candidates(item)
            self._index(item, blob)
        wanted = {other for candidates in found.values() for other in candidates.articles} - self.features.keys()
        self.features.update(story_index.features_of(list(wanted)))
        parents = {other for candidates in found.values() for other in candidates.listing}
        entries = story_index.related_entries(list(parents)) if parents else {}
        for item in items:
            self.pairs_scored += story_index.score_item(
                item, found[item.key], self.features, entries, self.evidence, self.config
            )
        self.flush()

    def _index(self, item, blob):
        self.keys.add(item)
        self.features[item.key] = item
        self.pending.append((item, blob))
        if len(self.pending) >= FLUSH:
            self.flush()

    def flush(self):
        """Write the features and keys of the articles walked since the last flush."""
        items, self.pending = self.pending, []
        if not items:
            return
        story_index.insert_index_rows(self.database, [(item.key, item, blob) for item, blob in items])


def url_evidence():
    """[(a, b, Evidence)] over the whole table: articles with the same canonical URL (each
    pair), and an article listing another as related coverage."""
    found = []
    shared = (
        Article.objects.exclude(canonical_url="")
        .order_by()
        .values("canonical_url")
        .annotate(copies=Count("pk"))
        .filter(copies__gt=1)
        .values("canonical_url")
    )
    by_url = defaultdict(list)
    for pk, url in Article.objects.filter(canonical_url__in=shared).order_by("pk").values_list("pk", "canonical_url"):
        by_url[url].append(pk)
    for pks in by_url.values():
        found.extend((a, b, Evidence(1.0, "same canonical URL")) for a, b in combinations(pks, 2))
    listed = defaultdict(set)
    for parent, url in (
        RelatedCoverage.objects.exclude(canonical_url="")
        .filter(canonical_url__in=Article.objects.order_by().values("canonical_url"))
        .values_list("article_id", "canonical_url")
    ):
        listed[url].add(parent)
    urls = list(listed)
    for start in range(0, len(urls), 5000):
        for pk, url in Article.objects.filter(canonical_url__in_array=urls[start : start + 5000]).values_list(
            "pk", "canonical_url"
        ):
            found.extend((parent, pk, Evidence(0.95, "listed as related coverage")) for parent in listed[url] if parent != pk)
    return found


def walk(ids, *, config=DEFAULT_CONFIG, workers=None, progress=None):
    """Index every article of `ids` (in publication order, undated last) and find all the
    evidence between them. Returns the Walk (its `evidence`, `pairs_scored`). The key,
    feature and edge tables must be empty."""
    state = Walk(config)
    database = backend()
    chunks = [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]
    with database.bulk_write_session(), database.indexes_dropped(StoryKey), _feature_workers(workers) as compute:
        pending = compute(story_index.story_items(chunks[0])) if chunks else None
        done = 0
        for number, chunk in enumerate(chunks):
            # The workers compute the next chunk's features while this one is walked.
            features = pending()
            if number + 1 < len(chunks):
                pending = compute(story_index.story_items(chunks[number + 1]))
            for item, blob in sorted(features, key=lambda entry: arrival_order(entry[0])):
                state.article(item, blob)
            done += len(chunk)
            if progress:
                progress(done, len(ids))
        state.undated_articles()
    for a, b, evidence in url_evidence():
        keep_evidence(state.evidence, a, b, evidence)
    database.insert_tuples(
        StoryEdge,
        ("a", "b", "score", "reason"),
        [(a, b, e.score, e.reason[:40]) for (a, b), e in sorted(state.evidence.items())],
    )
    return state


def features_and_blobs(items):
    """A worker's unit of work: each StoryItem's features and their stored form."""
    return [(features, features.to_blob()) for features in story_index.features_batch(items)]


@contextmanager
def _feature_workers(workers):
    """compute(items) -> a callable returning [(features, blob)]: in worker processes
    (forked, so they share the loaded word lists; they never touch the database) or, with
    no workers, here."""
    workers = min(os.cpu_count() or 1, 4) if workers is None else workers
    if workers <= 0:

        def compute_here(items):
            features = features_and_blobs(items)
            return lambda: features

        yield compute_here
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
    try:

        def compute(items):
            size = max(1, len(items) // (workers * 4) + 1)
            futures = [pool.submit(features_and_blobs, items[i : i + size]) for i in range(0, len(items), size)]
            return lambda: [features for future in futures for features in future.result()]

        yield compute
    finally:
        pool.shutdown(cancel_futures=True)
