"""The story index in the database: what `curation.stories.StoryIndex` keeps in memory,
kept in tables, so that an import clusters its new items in time that follows the new
items, not the table.

    features_of(ids)          an article's ItemFeatures (stored blob, or read from its text)
    index_features(entries)   store features and lookup keys (inside the import's batch)
    find_evidence(items)      candidates by key (story_candidates.py), by canonical URL and by
                              related links; scored
    save_edges(...)           the evidence, per pair of articles
    component_of(ids)         the articles connected to these by evidence or decisions
    assign(groups)            Story rows and Article.story for re-clustered groups

Everything here is called by curation/services/stories.py, inside its transactions.
"""

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, replace

from django.db.models import Q
from django.db.models.functions import Substr

from curation.db import backend
from curation.forking import forked_map, in_parts, usable_cpus
from curation.models import Article, RelatedCoverage, StoryEdge, StoryFeatures, StoryKey
from curation.services.story_candidates import candidates_for
from curation.stories import StoryItem, item_features, score_pair
from curation.stories.features import ARTICLE, BODY, FEATURES_VERSION, RELATED, ItemFeatures
from curation.stories.index import arrival_order
from curation.stories.scoring import DEFAULT_CONFIG, Evidence
from curation.stories.urls import MAX_STORED_LENGTH

logger = logging.getLogger(__name__)

# How much of a body is read from the database to compute features (features.py reads less).
BODY_CHARS = 1200
# Articles connected by evidence are re-clustered together, at most this many at a time (a
# story is capped far below; see services.stories.STORY_CAP).
MAX_COMPONENT = 2000
CHUNK = 500
# Ranking and scoring are spread over forked processes (curation/forking.py) when a chunk
# has this many pairs to score for each: below it, a fork costs more than it saves.
MIN_PAIRS_A_PROCESS = 2000
MAX_PROCESSES = 4

# What an article's features take from its row besides the stored blob ...
_FEATURE_COLUMNS = (
    "pk", "published_at", "quality", "has_front_matter", "needs_metadata", "provider__domain", "provider__name",
    "canonical_url",
)
# ... and what computing them from its text takes besides.
_TEXT_COLUMNS = ("title", "excerpt", "web_url", "amp_url", "cdn_amp_url")


def _seconds(value):
    return value.timestamp() if value is not None else None


def _kind(has_front_matter, needs_metadata):
    # A body-only item an editor completed has a title and a URL of its own now.
    return BODY if not has_front_matter and needs_metadata else ARTICLE


@dataclass(frozen=True)
class Member:
    """What choosing a lead needs to know about an article."""

    quality: int | None
    published: float | None
    body_only: bool


# --- features -------------------------------------------------------------------------------


def _story_item(row, related):
    """The StoryItem of an article row (a values() dict) and its related entries."""
    kind = _kind(row["has_front_matter"], row["needs_metadata"])
    if kind == BODY:
        return StoryItem(key=row["pk"], kind=BODY, body=row["lede"])
    return StoryItem(
        key=row["pk"],
        kind=ARTICLE,
        title=row["title"],
        excerpt=row["excerpt"],
        body=row["lede"],
        url=row["web_url"],
        amp_url=row["amp_url"],
        cdn_amp_url=row["cdn_amp_url"],
        published=row["published_at"],
        provider=row["provider__domain"] or row["provider__name"] or "",
        quality=row["quality"],
        related_urls=tuple(entry["web_url"] for entry in related if entry["web_url"]),
        related_texts=tuple(f"{entry['title']}\n{entry['excerpt']}" for entry in related),
    )


def articles_with_text(ids):
    """Rows (dicts) of these articles with the lede of their body, and their related entries."""
    rows = list(
        Article.objects.filter(pk__in_ints=ids)
        .order_by()
        .annotate(lede=Substr("body", 1, BODY_CHARS))
        .values(*_FEATURE_COLUMNS, *_TEXT_COLUMNS, "lede")
    )
    related = defaultdict(list)
    for entry in (
        RelatedCoverage.objects.filter(article_id__in_ints=ids)
        .order_by("article_id", "position")
        .values("article_id", "title", "excerpt", "web_url")
    ):
        related[entry["article_id"]].append(entry)
    return rows, related


def story_items(ids):
    """The StoryItems of these articles, read from the database."""
    out = []
    for start in range(0, len(ids), CHUNK):
        rows, related = articles_with_text(ids[start : start + CHUNK])
        out.extend(_story_item(row, related.get(row["pk"], ())) for row in rows)
    return out


def compute_features(ids):
    """{id: ItemFeatures} read from the articles' text (for articles without stored features)."""
    return {features.key: features for features in features_batch(story_items(ids))}


def features_batch(items):
    """item_features of a list of StoryItems (a worker process's unit of work). An item
    whose text the features cannot be read from is left out and logged: it costs that
    article its story, never its file, the batch it is written in, a rebuild or a page (as
    the parse workers' `stories.seeds.describe` does)."""
    out = []
    for item in items:
        try:
            out.append(item_features(item))
        except Exception:  # noqa: BLE001 - stored text came from untrusted files
            logger.exception("story features of article %s could not be computed", item.key)
    return out


def features_of(ids, *, store=True):
    """{id: ItemFeatures} for these articles: from the stored blobs, and computed from the
    text for the articles that have none or an old version (and stored, unless `store` is
    false: a read that must not write)."""
    ids = list(dict.fromkeys(ids))
    out = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = (
            Article.objects.filter(pk__in_ints=chunk, story_features__version=FEATURES_VERSION)
            .order_by()
            .values(*_FEATURE_COLUMNS, "story_features__blob")
        )
        for row in rows:
            out[row["pk"]] = ItemFeatures.from_blob(
                row["story_features__blob"],
                key=row["pk"],
                kind=_kind(row["has_front_matter"], row["needs_metadata"]),
                published=_seconds(row["published_at"]),
                provider=(row["provider__domain"] or row["provider__name"] or "").casefold().removeprefix("www."),
                quality=row["quality"],
                urls=(row["canonical_url"],) if row["canonical_url"] else (),
                url=row["canonical_url"],
            )
    missing = [pk for pk in ids if pk not in out]
    if missing:
        computed = compute_features(missing)
        if store:
            index_features(list(computed.items()))
        out.update(computed)
    return out


def index_features(entries):
    """Store features and lookup keys: [(article id, ItemFeatures)]. An article indexed
    again (a changed file) replaces its features; its old key rows stay until a rebuild
    (they can only cost a candidate that is then scored on its new features)."""
    if not entries:
        return
    ids = [pk for pk, _ in entries]
    StoryFeatures.objects.filter(article_id__in_ints=ids).delete()
    # Not clustered until a clustering marks them (mark_clustered): their pairs are still to find.
    insert_index_rows(backend(), [(pk, features, features.to_blob()) for pk, features in entries], clustered=False)


def insert_index_rows(database, rows, *, clustered=True):
    """INSERT the features and the key rows of articles: [(article id, ItemFeatures, blob)].
    Tuples, not dicts: about nine key rows an article, for an import and a rebuild alike.
    `clustered`: False where the articles' pairs are still to be found (an import's batch)."""
    database.insert_tuples(
        StoryFeatures,
        ("article_id", "version", "blob", "clustered"),
        [(pk, FEATURES_VERSION, blob, clustered) for pk, _, blob in rows],
    )
    adapt = database.adapt_datetime
    keys = []
    for pk, features, _ in rows:
        # An item's date, adapted for the database once for all of its key rows.
        when = adapt(dt.datetime.fromtimestamp(features.published, dt.UTC)) if features.published is not None else None
        keys.extend((key, pk, when) for key in features.keys)
    database.insert_tuples(StoryKey, ("key", "item", "published"), keys)


# --- candidates and evidence -----------------------------------------------------------------


def _url_evidence(items):
    """[(article id, article id, Evidence)] from canonical URLs: the same URL (a duplicate,
    the same article re-fetched), or a related entry naming the other."""
    ids = [item.key for item in items]
    urls = {item.url: item.key for item in items if item.url}
    found = []
    if urls:
        for pk, url in (
            Article.objects.filter(canonical_url__in_array=list(urls))
            .exclude(pk__in_ints=ids)
            .values_list("pk", "canonical_url")
        ):
            found.append((urls[url], pk, Evidence(1.0, "same canonical URL", (url,))))
        for parent, url in (
            RelatedCoverage.objects.filter(canonical_url__in_array=list(urls))
            .exclude(article_id__in_ints=ids)
            .values_list("article_id", "canonical_url")
        ):
            found.append((urls[url], parent, Evidence(0.95, "listed as related coverage")))
    listed = (
        RelatedCoverage.objects.filter(article_id__in_ints=ids)
        .exclude(canonical_url="")
        .values_list("article_id", "canonical_url")
    )
    listed_urls = defaultdict(set)
    for parent, url in listed:
        listed_urls[url].add(parent)
    if listed_urls:
        for pk, url in Article.objects.filter(canonical_url__in_array=list(listed_urls)).values_list(
            "pk", "canonical_url"
        ):
            for parent in listed_urls[url]:
                if parent != pk:
                    found.append((parent, pk, Evidence(0.95, "listed as related coverage")))
    # Among the new items themselves.
    by_url = defaultdict(list)
    for item in items:
        if item.url:
            by_url[item.url].append(item.key)
    for same in by_url.values():
        for other in same[1:]:
            found.append((same[0], other, Evidence(1.0, "same canonical URL")))
    return found


def related_entries(parent_ids):
    """{article id: [ItemFeatures of each related entry it lists]} (computed: entries are
    only ever compared with body-only items)."""
    out = defaultdict(list)
    rows = (
        RelatedCoverage.objects.filter(article_id__in_ints=parent_ids)
        .order_by("article_id", "position")
        .values("pk", "article_id", "title", "excerpt", "web_url", "published_at", "provider__domain")
    )
    for row in rows:
        item = StoryItem(
            key=-row["pk"],
            kind=RELATED,
            title=row["title"],
            excerpt=row["excerpt"],
            url=row["web_url"],
            published=row["published_at"],
            provider=row["provider__domain"] or "",
            parent=row["article_id"],
        )
        out[row["article_id"]].append(item_features(item))
    return out


@dataclass
class Found:
    pairs_scored: int = 0
    evidence: dict = None  # {(a, b): Evidence} with a < b, article ids


def as_stored(features):
    """`features` exactly as features_of reads them back from the index: the row keeps the
    article's canonical URL column only (no AMP forms, no related URLs; none at all when it
    is too long to store, as features read from an edited article's text may have), and
    the term sets are built from their stored sorted lists, so that they iterate in the
    same order and the weight sums come out to the same last bit. Made once an article
    (a candidate of many), kept on its features as `plain()` keeps its own."""
    stored = features.__dict__.get("_stored")
    if stored is None:
        stored = _as_stored(features)
        object.__setattr__(features, "_stored", stored)
    return stored


def _as_stored(features):
    url = features.url if len(features.url) <= MAX_STORED_LENGTH else ""
    return replace(
        features,
        url=url,
        urls=frozenset((url,)) if url else frozenset(),
        related=frozenset(),
        title_terms=frozenset(sorted(features.title_terms)),
        lede_terms=frozenset(sorted(features.lede_terms)),
        names=frozenset(sorted(features.names)),
        title_numbers=frozenset(sorted(features.title_numbers)),
    )


def find_evidence(items, known, config=DEFAULT_CONFIG, *, indexed=None, run=None, run_rows=None):
    """Evidence between `items` (ItemFeatures of articles, any order) and what was indexed
    before each of them. `known`: {id: ItemFeatures} already loaded (extended here).
    `indexed`: {id: ItemFeatures} this process stored in the index (the import's own
    items): a candidate among them is taken from memory, as the index would give it back.
    `run`, `run_rows`: as in candidates_for."""
    items = sorted(items, key=arrival_order)
    result = Found(evidence={})
    # Ranking an item's candidates costs about what scoring eight pairs does.
    processes = processes_for(8 * len(items))
    candidates = candidates_for(items, known, config, run=run, run_rows=run_rows, processes=processes)
    wanted = {other for found in candidates.values() for other in found.articles} - known.keys()
    if indexed:
        known.update((other, as_stored(indexed[other])) for other in wanted if other in indexed)
        wanted -= indexed.keys()
    known.update(features_of(list(wanted)))
    body_parents = {other for item in items if item.kind == BODY for other in candidates[item.key].listing}
    entries = related_entries(list(body_parents)) if body_parents else {}

    def score_part(part):
        evidence = {}
        scored = sum(score_item(item, candidates[item.key], known, entries, evidence, config) for item in part)
        return scored, evidence

    # In parts, on as many cores as are ours; merged in the items' order, which is the order
    # keep_evidence would have seen them in one pass (it keeps the last "apart", otherwise
    # the first of the strongest), so the evidence is the same however it is split.
    work = [len(candidates[item.key].articles) + len(candidates[item.key].listing) + 1 for item in items]
    for scored, evidence in forked_map(score_part, in_parts(items, work, processes_for(sum(work)))):
        result.pairs_scored += scored
        for (a, b), found in evidence.items():
            keep_evidence(result.evidence, a, b, found)
    for a, b, evidence in _url_evidence(items):
        keep_evidence(result.evidence, a, b, evidence)
    return result


def processes_for(work):
    """How many processes `work` (pairs to score, or work worth as much) is worth: one per
    usable core, none idle for lack of work."""
    return max(1, min(usable_cpus(), MAX_PROCESSES, int(work // MIN_PAIRS_A_PROCESS)))


def score_item(item, found, known, entries, evidence, config=DEFAULT_CONFIG):
    """Score `item` against its candidates (`found`: Candidates) whose features are in
    `known` and, a body-only item, against the related entries (`entries`: {article id:
    [entry features]}) of the articles its listing names; add what it finds to `evidence`.
    Returns how many pairs it scored. An import and a rebuild alike."""
    scored = 0
    for other in found.articles:
        features = known.get(other)
        if features is not None:
            scored += 1
            keep_evidence(evidence, item.key, other, score_pair(item, features, config, explain=False))
    for other in found.listing if item.kind == BODY else ():
        for entry in entries.get(other, ()):
            scored += 1
            pair = score_pair(item, entry, config, explain=False)
            if pair.joins:
                keep_evidence(evidence, item.key, other, replace(pair, reason="the text of a related entry"))
    return scored


def keep_evidence(found, a, b, evidence):
    """Add evidence about a pair to `found` ({(a, b): Evidence}, a < b), for an import and a
    rebuild alike: an "apart" outranks the rest; otherwise the stronger wins."""
    if not evidence.score or a == b:
        return
    pair = (a, b) if a < b else (b, a)
    held = found.get(pair)
    if held is None or evidence.apart or (not held.apart and abs(evidence.score) > abs(held.score)):
        found[pair] = evidence


def mark_clustered(item_ids):
    """The pairs of these articles have been looked for (in the caller's transaction)."""
    for start in range(0, len(item_ids), CHUNK):
        StoryFeatures.objects.filter(article_id__in_ints=item_ids[start : start + CHUNK], clustered=False).update(
            clustered=True
        )


def unclustered(exclude=()):
    """Ids of the articles indexed but never clustered (an import interrupted between its
    batches and its end, or whose clustering failed), oldest first, but `exclude`."""
    excluded = set(exclude)
    ids = StoryFeatures.objects.filter(clustered=False).order_by("article_id").values_list("article_id", flat=True)
    return [pk for pk in ids if pk not in excluded]


def save_edges(item_ids, evidence, *, replace_old=True):
    """Store `evidence` ({(a, b): Evidence}), replacing the stored evidence of `item_ids`
    (their text may have changed)."""
    if replace_old:
        for start in range(0, len(item_ids), CHUNK):
            chunk = item_ids[start : start + CHUNK]
            StoryEdge.objects.filter(Q(a__in_ints=chunk) | Q(b__in_ints=chunk)).delete()
    backend().insert_rows(
        StoryEdge,
        [{"a": a, "b": b, "score": e.score, "reason": e.reason[:40]} for (a, b), e in sorted(evidence.items())],
    )
