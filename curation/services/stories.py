"""Stories: every write about which articles cover one event.

The import indexes each batch it writes (`ImportIndexer.index`, in the batch's
transaction) and clusters its new items when the run ends (`ImportIndexer.finish`); the
`cluster_stories` command calls `cluster_articles`, `catch_up` and `rebuild`. Editors act
through `split_out`, `merge`, `keep_apart`, `set_lead` (and `publish_story`, in
story_publication.py), each checked,
audited (EditorialAction) and remembered as a StoryDecision, which every recomputation
obeys: a split or a "not the same story" is never undone by new evidence, not even through
a third item, and a merge holds. A story stops growing at STORY_CAP articles (it is marked
capped, and the run says so).

Clustering work follows the new items: their candidates come from the index tables
(story_index.py), and only the articles connected to them are re-clustered.
"""

import time
from dataclasses import dataclass, field, replace

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from curation.db import backend
from curation.models import (
    Article,
    EditorialAction,
    Story,
    StoryDecision,
    StoryEdge,
    StoryFeatures,
    StoryKey,
)
from curation.services import story_acts, story_candidates, story_groups, story_index, story_rebuild
from curation.services.editorial import (
    EDIT_PERMISSION,
    Action,
    ConflictError,
    EditorialError,
    InvalidTransition,
)
from curation.stories import rarity
from curation.stories.clustering import cluster_component
from curation.stories.scoring import DEFAULT_CONFIG

STORY_CAP = 200
REBUILD_CHUNK = 2000


class AlreadyDone(EditorialError):
    """The act asked for holds already (the same form sent twice, a double click without
    JavaScript, or a colleague who did the same): nothing more is changed, and the editor
    is told so rather than that the story changed under them."""


@dataclass
class StoryRun:
    """What a clustering run did, for the import report, the command and the log."""

    items: int = 0
    pairs_scored: int = 0
    evidence: int = 0
    created: int = 0
    changed: int = 0
    removed: int = 0
    capped: list = field(default_factory=list)  # ids of stories that reached the cap
    seconds: float = 0.0

    def as_dict(self):
        return {
            "items": self.items,
            "pairs_scored": self.pairs_scored,
            "evidence": self.evidence,
            "stories_created": self.created,
            "stories_changed": self.changed,
            "stories_removed": self.removed,
            "capped": sorted(self.capped),
            "cap": STORY_CAP,
            "seconds": round(self.seconds, 3),
        }

    def summary(self):
        text = (
            f"Stories: {self.items} items clustered, {self.created} stories created, {self.changed} changed, "
            f"{self.removed} removed"
        )
        if self.capped:
            text += f"; {len(self.capped)} reached the cap of {STORY_CAP} articles (stories {', '.join(map(str, sorted(self.capped)[:10]))})"
        return text + "."


def warm():
    """Load what computing features needs before the import forks its parse workers."""
    rarity.warm()


# --- the import ------------------------------------------------------------------------------


class ImportIndexer:
    """The import's side of the index: features and keys of each written batch, in that
    batch's transaction; the clustering of all of the run's items at its end."""

    # Features of this many items are kept for the end of the run (a few KB each); beyond,
    # they are read back from the index.
    KEEP_FEATURES = 50_000

    def __init__(self):
        self.article_ids = []
        self.features = {}
        self.all_kept = True  # the features of every article indexed are in self.features

    def index(self, written):
        """written: [(article id, edited field names, web_url, ParsedSeed)]. Features come
        from the parse workers; an article whose title or excerpt an editor changed is read
        from the database instead (its stored text is what readers see)."""
        entries, missing = [], []
        for article_id, edited, _, parsed in written:
            features = getattr(parsed, "story_features", None)
            if features is None or {"title", "excerpt"} & set(edited or ()):
                missing.append(article_id)
            else:
                entries.append((article_id, replace(features, key=article_id)))
        if missing:
            entries.extend(story_index.compute_features(missing).items())
        story_index.index_features(entries)
        self.article_ids.extend(article_id for article_id, *_ in written)
        if len(self.features) < self.KEEP_FEATURES:
            self.features.update(entries)
        else:
            self.all_kept = False

    def finish(self):
        """Cluster the run's items, and those an earlier import indexed and never clustered
        (killed between its batches and its end): a rerun finds those unchanged, so this
        is where it finishes their job. (Those of an import running now are clustered
        twice, once here and once at its end: the same result, for some time.)"""
        ids = list(dict.fromkeys(self.article_ids))
        left = story_index.unclustered(exclude=ids)
        # The run's own key rows from memory when all of them are here (and no others join it).
        run_rows = story_candidates.RunRows.of(self.features) if self.all_kept and not left else None
        return cluster_articles(ids + left, known=self.features, run_rows=run_rows)


# --- clustering --------------------------------------------------------------------------


def cluster_articles(ids, *, config=DEFAULT_CONFIG, cap=None, known=None, run_rows=None):
    """Find the evidence of these articles against the index and re-cluster what they touch.
    `known`: features this process stored in the index ({id: ItemFeatures}), of some of
    them and perhaps of their candidates, read from memory instead of the index;
    `run_rows`: the key rows of `ids` (story_candidates.RunRows), likewise."""
    started = time.monotonic()
    run = StoryRun(items=len(ids))
    if not ids:
        return run
    with transaction.atomic():
        _lock()
        # A pair is found by the later of its two articles, which may be in a later chunk
        # than the other: the old evidence of all of them goes first, the new is kept
        # until every chunk has been looked at (one pair may be found in two, by URL).
        run_ids, evidence = set(ids), {}
        for start in range(0, len(ids), REBUILD_CHUNK):
            chunk = ids[start : start + REBUILD_CHUNK]
            features = {pk: known[pk] for pk in chunk if pk in known} if known else {}
            features.update(story_index.features_of([pk for pk in chunk if pk not in features]))
            found = story_index.find_evidence(
                [features[pk] for pk in chunk if pk in features],
                features,
                config,
                indexed=known,
                run=run_ids,
                run_rows=run_rows,
            )
            for (a, b), found_evidence in found.evidence.items():
                story_index.keep_evidence(evidence, a, b, found_evidence)
            run.pairs_scored += found.pairs_scored
        story_index.save_edges(ids, evidence)
        story_index.mark_clustered(ids)
        run.evidence += len(evidence)
        _recluster(ids, run, cap)
    run.seconds = time.monotonic() - started
    return run


def _lock():
    """One clustering at a time (two imports ending together would rewrite the same stories)."""
    backend().lock_for_transaction("curation.stories")


def _recluster(ids, run, cap=None):
    cap = STORY_CAP if cap is None else cap
    _lock()
    nodes, edges, apart, together, cannot = story_groups.component_of(
        ids, limit=story_groups.MAX_COMPONENT + 20 * len(ids)
    )
    groups, capped = cluster_component(nodes, edges, must=together, cannot=cannot, apart=apart, cap=cap)
    assigned = story_groups.assign(groups, capped, nodes)
    run.created += assigned.created
    run.changed += assigned.changed
    run.removed += assigned.removed
    run.capped.extend(assigned.capped)


def catch_up(*, since=None):
    """Cluster the articles that were never indexed (an interrupted import, rows older than
    the story tables), or, with `since` (a datetime), everything imported since then."""
    articles = Article.objects.order_by()
    if since is not None:
        ids = list(
            articles.filter(Q(imported_at__gte=since) | Q(source_updated_at__gte=since)).values_list("pk", flat=True)
        )
    else:
        ids = list(articles.filter(story_features__isnull=True).values_list("pk", flat=True))
        # Indexed by an import that never clustered them: their features are stored, their pairs not.
        ids += story_index.unclustered()
    return cluster_articles(ids)


def rebuild(*, config=DEFAULT_CONFIG, cap=None, progress=None, workers=None):
    """Recompute every story from the articles' text, keeping every editor's decision (the
    StoryDecision rows, attached body-only items, a lead an editor chose).

    The articles are taken in the order they were published, each against those before
    it, in one pass over the whole table (story_rebuild.py), so a rebuild gives what
    imports in that order give. `workers` processes compute the features (default: one
    per core, at most 4; 0: none)."""
    started = time.monotonic()
    warm()
    with transaction.atomic():
        _lock()
        backend().empty_tables(StoryKey, StoryEdge, StoryFeatures)
        ordered = Article.objects.order_by("published_at", "pk").values_list("pk", flat=True)
        undated = list(ordered.filter(published_at__isnull=True))
        ids = list(ordered.filter(published_at__isnull=False)) + undated
        walked = story_rebuild.walk(ids, config=config, workers=workers, progress=progress)
        run = StoryRun(items=len(ids), pairs_scored=walked.pairs_scored, evidence=len(walked.evidence))
        story_groups.recluster_all(
            run_into=run,
            cap=STORY_CAP if cap is None else cap,
            evidence=((a, b, found.score) for (a, b), found in walked.evidence.items()),
        )
    run.seconds = time.monotonic() - started
    return run


# --- what editors do ---------------------------------------------------------------------


def _require(user, permission):
    if user is None or not user.is_active or not user.has_perm(permission):
        raise PermissionDenied("You do not have permission to do that.")


def _article(value):
    pk = value.pk if isinstance(value, Article) else value
    try:
        return Article.objects.get(pk=pk)
    except Article.DoesNotExist:
        raise EditorialError("This article no longer exists.") from None


def _audit(article, user, action, via, before, after):
    EditorialAction.objects.create(
        article=article, actor=user, action=action, created_at=timezone.now(), via=via, before=before, after=after
    )


def _pair_for_act(article, other, expected_story, same, done):
    """The two articles of an act on a pair (merge, keep apart) as they are now, under the
    stories' lock; refused when they are one article (`same`: why) or when `article`'s story
    changed since the page showed it (`done(article, other)`: see _check_seen)."""
    _lock()
    article, other = _article(article), _article(other)
    _check_seen(article, expected_story, lambda: done(article, other))
    if article.pk == other.pk:
        raise InvalidTransition(same)
    return article, other


def _audit_both(article, other, user, action, via, partner_key):
    """One audit row on each article of a pair, naming the other under `partner_key`."""
    for subject, partner in ((article, other), (other, article)):
        _audit(subject, user, action, via, {"story": subject.story_id}, {partner_key: partner.pk})


def _decide(a, b, kind, user):
    """Record an editor's decision about a pair (a later one replaces an earlier one)."""
    a, b = (a, b) if a < b else (b, a)
    StoryDecision.objects.update_or_create(
        a_id=a, b_id=b, defaults={"kind": kind, "created_at": timezone.now(), "created_by": user}
    )


def _members(story_id):
    return (
        list(Article.objects.filter(story_id=story_id).order_by("pk").values_list("pk", flat=True)) if story_id else []
    )


def seen_token(story_id, lead_id, member_ids):
    """A story as a page showed it (id, lead, members), sent back with its acts; "-": none."""
    if not story_id:
        return "-"
    return f"{story_id}.{lead_id or 0}.{story_acts.members_token(member_ids)}"


def _check_seen(article, expected_story, done=None):
    """Refuse an act on a story changed since the page was drawn (a lead chosen, a member
    split out or merged in): made on the story as it is now, it would silently undo another
    editor's decision. Under the stories' lock (`_lock`); None: nothing shown to compare.
    `done`: what to tell the editor when what the act asks for holds already (AlreadyDone),
    or None when it does not (the change since was another)."""
    if expected_story is None:
        return
    story = Story.objects.filter(pk=article.story_id).values_list("pk", "lead_id").first() if article.story_id else None
    now = seen_token(story[0], story[1], _members(story[0])) if story else "-"
    if now != expected_story:
        if done is not None and (message := done()) is not None:
            raise AlreadyDone(message)
        raise ConflictError(
            "This story changed since you opened the page (another editor chose a lead, split an item "
            "out or merged one in). Nothing was changed: here it is as it is now."
        )


def _lead_already(article):
    if article.story_id and Story.objects.filter(pk=article.story_id, lead=article, lead_by_editor=True).exists():
        return "It is the story's lead already."
    return None


def _together_already(article, other):
    if article.story_id and article.story_id == other.story_id:
        return "They are in one story already."
    return None


def _apart_already(article, other):
    a, b = sorted((article.pk, other.pk))
    if StoryDecision.objects.filter(a_id=a, b_id=b, kind=StoryDecision.Kind.APART).exists():
        return "They are marked as different stories already."
    return None


def split_out(*, article, user, via="curator", expected_story=None):
    """Take an article out of its story, for good: it is "not the same story" as each of
    the story's other articles (and so never rejoins it, even through a new item).
    `expected_story`: the story as the editor saw it (`seen_token`), else a conflict."""
    _require(user, EDIT_PERMISSION)
    with transaction.atomic():
        _lock()
        article = _article(article)
        _check_seen(article, expected_story, lambda: None if article.story_id else "It is out of its story already.")
        members = [pk for pk in _members(article.story_id) if pk != article.pk]
        if not members:
            raise InvalidTransition("This article is not part of a story.")
        for other in members:
            _decide(article.pk, other, StoryDecision.Kind.APART, user)
        _audit(article, user, Action.STORY_SPLIT, via, {"story": article.story_id, "with": members}, {"story": None})
        run = StoryRun()
        _recluster([article.pk, *members], run)
    return run


def merge(*, article, other, user, via="curator", expected_story=None):
    """Put two articles' stories together (or two lone articles into one story). Any
    "not the same story" between their members is withdrawn: the newer decision wins.
    `expected_story`: `article`'s story as the editor saw it."""
    _require(user, EDIT_PERMISSION)
    with transaction.atomic():
        article, other = _pair_for_act(
            article, other, expected_story, "An article cannot be merged with itself.", _together_already
        )
        left = _members(article.story_id) or [article.pk]
        right = _members(other.story_id) or [other.pk]
        StoryDecision.objects.filter(kind=StoryDecision.Kind.APART).filter(
            Q(a__in=left, b__in=right) | Q(a__in=right, b__in=left)
        ).delete()
        _decide(article.pk, other.pk, StoryDecision.Kind.TOGETHER, user)
        _audit_both(article, other, user, Action.STORY_MERGE, via, "merged_with")
        run = StoryRun()
        _recluster([*left, *right], run)
    return run


def keep_apart(*, article, other, user, via="curator", expected_story=None):
    """ "Not the same story": the two articles' stories are never one, not even through a
    third item. `expected_story`: `article`'s story as the editor saw it."""
    _require(user, EDIT_PERMISSION)
    with transaction.atomic():
        article, other = _pair_for_act(
            article, other, expected_story, "An article is always in its own story.", _apart_already
        )
        _decide(article.pk, other.pk, StoryDecision.Kind.APART, user)
        _audit_both(article, other, user, Action.STORY_APART, via, "apart_from")
        run = StoryRun()
        _recluster([article.pk, other.pk, *_members(article.story_id), *_members(other.story_id)], run)
    return run


def set_lead(*, article, user, via="curator", expected_story=None):
    """Make an article its story's lead (it stays the lead while it is a member).
    `expected_story`: the story as the editor saw it (another editor's lead is not replaced
    unseen)."""
    _require(user, EDIT_PERMISSION)
    with transaction.atomic():
        _lock()
        article = _article(article)
        _check_seen(article, expected_story, lambda: _lead_already(article))
        if not article.story_id:
            raise InvalidTransition("This article is not part of a story.")
        if (refusal := story_acts.lead_refusal(article)) is not None:
            raise InvalidTransition(refusal)
        story = Story.objects.select_for_update().get(pk=article.story_id)
        before = story.lead_id
        Story.objects.filter(pk=story.pk).update(lead=article, lead_by_editor=True, updated_at=timezone.now())
        _audit(
            article,
            user,
            Action.STORY_LEAD,
            via,
            {"story": story.pk, "lead": before},
            {"story": story.pk, "lead": article.pk},
        )
    return Story.objects.get(pk=story.pk)


def attached(*, item, target):
    """A body-only item was attached to an article: it is part of the article's story now."""
    run = StoryRun()
    with transaction.atomic():
        _recluster([item, target], run)
    return run


def complete_from_entry(*, article, entry, user, expected_version=None, via="curator"):
    """A body-only item is the text of a related entry (attach_suggestions says so): give
    it the entry's title, URL, excerpt, outlet and date, keeping its own category and
    topics. An editor's act, through editorial.complete_article (its checks, its audit row)."""
    from curation.models import RelatedCoverage
    from curation.services.editorial import complete_article

    entry_id = entry.pk if isinstance(entry, RelatedCoverage) else entry
    entry = RelatedCoverage.objects.select_related("provider").filter(pk=entry_id).first()
    if entry is None:
        raise EditorialError("That related entry no longer exists.")
    item = _article(article)
    return complete_article(
        article=item,
        user=user,
        title=entry.title,
        web_url=entry.web_url,
        excerpt=entry.excerpt or item.excerpt,
        category=item.category,
        provider_name=entry.provider.name if entry.provider_id else "",
        provider_domain=entry.provider.domain if entry.provider_id else "",
        published_at=entry.published_at or item.published_at,
        topics=list(item.topics.values_list("name", flat=True)),
        expected_version=expected_version,
        via=via,
    )
