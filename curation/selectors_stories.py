"""Reads about stories, for the curator, the admin, the public side and the command.

    stories_listing()                  every story of two or more articles (cluster_stories --json)
    story_summaries(ids)               per story: lead, size, sources and outlets, best scores, activity
    story_queue_page(queryset, ...)    the queue with one row per story (keyset, fixed query count)
    story_members(story_id)            a story's articles and the coverage they list
    attach_suggestions(article)        for a body-only item: the articles and entries it reads like, and why
    article_by_url(text)               an article by any spelling of its URL
    duplicates_of(article)             other articles at the same canonical URL

No writes (features of an article never indexed are computed, not stored).
"""

import json
import re
from dataclasses import dataclass, field

from django.db.models import F, Min
from django.db.models.expressions import RawSQL

from curation.db import backend
from curation.db.queries import story_summary_sql
from curation.db.story_queries import first_of_story_condition
from curation.models import Article, ArticleState, RelatedCoverage, Story
from curation.selectors import DEFAULT_SORT, SORTS, queue_page
from curation.services import story_candidates, story_index
from curation.services.story_acts import members_token
from curation.stories import score_pair
from curation.stories import text as textmod
from curation.stories.features import BODY
from curation.stories.scoring import shared_terms
from curation.stories.urls import stored_canonical_url

OUTLETS_SHOWN = 5  # the summary reads one more, to say there are more
SUGGESTIONS = 8


# --- every story -------------------------------------------------------------------------------


def stories_listing():
    """[{"id", "lead", "articles": [ids]}] for every story of two or more articles, by id;
    a body-only item attached to an article is listed by its own id."""
    members = {}
    for story_id, pk in Article.objects.filter(story__isnull=False).order_by("story_id", "pk").values_list("story_id", "pk"):
        members.setdefault(story_id, []).append(pk)
    leads = dict(Story.objects.filter(pk__in=list(members)).values_list("pk", "lead_id"))
    return [
        {"id": story_id, "lead": leads.get(story_id), "articles": articles}
        for story_id, articles in sorted(members.items())
        if len(articles) >= 2
    ]


# --- summaries (queue rows, article pages) -------------------------------------------------------


@dataclass
class StorySummary:
    id: int
    size: int  # articles
    lead_id: int | None
    lead_title: str
    sources: int  # other articles, plus coverage they list that we did not import
    outlets: list  # provider names, alphabetically (the first OUTLETS_SHOWN)
    best_quality: int | None
    best_heat: int | None
    newest_published: object
    newest_imported: object
    published_count: int
    new_count: int
    capped: bool
    more_outlets: int = 0
    lead: "StoryLead | None" = None  # the lead's publication fields (what the service needs to offer acts)
    members: list = field(default_factory=list)  # [StoryMember]: the first few, lead first then newest
    # Its new members as the row is drawn (story_acts.members_token): the row's
    # "reject the rest" is refused if they are not the same when it is pressed.
    new_token: str = ""


@dataclass
class StoryLead:
    """The lead as the summary reads it: enough for editorial.needs_completing and the
    version a story act checks, without loading the row."""

    pk: int
    title: str
    state: str
    version: int
    provider_id: int | None
    published_at: object
    needs_metadata: bool


@dataclass
class StoryMember:
    pk: int
    title: str
    state: str
    provider: str
    quality: int | None
    published_at: object


def story_summaries(story_ids):
    """{story id: StorySummary} in one query, whatever the number of stories."""
    story_ids = [pk for pk in dict.fromkeys(story_ids) if pk]
    if not story_ids:
        return {}
    firsts = Article.objects.filter(story_id__in=story_ids).order_by().values("story_id").annotate(first=Min("pk")).values("first")
    rows = Article.objects.filter(pk__in=firsts).order_by().annotate(story_json=RawSQL(story_summary_sql(), ()))
    return {story_id: summary for story_id, text in rows.values_list("story_id", "story_json") if (summary := _summary(story_id, text))}


def with_story_summary(rows):
    """The row queryset with each row's story summary as JSON (see story_summary_sql)."""
    return rows.annotate(story_json=RawSQL(story_summary_sql(), ()))


def _json_list(data, key):
    """A list inside the summary, parsed again where a database handed it over as JSON text."""
    value = data.get(key) or []
    return json.loads(value) if isinstance(value, str) else value


def _summary(story_id, text, as_datetime=None):
    if not story_id or not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    names = [outlet.get("name") for outlet in _json_list(data, "outlets") if isinstance(outlet, dict) and outlet.get("name")]
    size = int(data.get("size") or 0)
    as_datetime = as_datetime or backend().datetime_from_db
    lead = None
    if data.get("lead_id") and data.get("lead_state"):
        lead = StoryLead(
            pk=data["lead_id"], title=data.get("lead_title") or "", state=data["lead_state"],
            version=int(data.get("lead_version") or 0), provider_id=data.get("lead_provider_id"),
            published_at=as_datetime(data.get("lead_published_at")), needs_metadata=bool(data.get("lead_needs_metadata")),
        )
    members = [
        StoryMember(pk=member["id"], title=member.get("title") or "", state=member.get("state") or "",
                    provider=member.get("provider") or "", quality=member.get("quality"),
                    published_at=as_datetime(member.get("published_at")))
        for member in _json_list(data, "members") if isinstance(member, dict) and member.get("id")
    ]
    new_ids = [entry["id"] for entry in _json_list(data, "new_ids") if isinstance(entry, dict) and entry.get("id")]
    return StorySummary(
        lead=lead, members=members, new_token=members_token(new_ids),
        id=story_id, size=size, lead_id=data.get("lead_id"), lead_title=data.get("lead_title") or "",
        sources=max(0, size - 1) + int(data.get("unlinked") or 0), outlets=names[:OUTLETS_SHOWN],
        best_quality=data.get("best_quality"), best_heat=data.get("best_heat"),
        newest_published=as_datetime(data.get("newest_published")), newest_imported=as_datetime(data.get("newest_imported")),
        published_count=int(data.get("published") or 0), new_count=int(data.get("new") or 0), capped=bool(data.get("capped")),
        more_outlets=max(0, len(names) - OUTLETS_SHOWN),
    )


# --- the queue, one row per story ------------------------------------------------------------------


def first_of_their_story(queryset, sort_key=DEFAULT_SORT):
    """`queryset` (the filtered queue) with one row per story: an article in a story stays
    only if no other article of its story that the filters keep comes before it. A filter
    on the queue's own rows, so the keyset walk, its cursors and its query count stay what
    they are: each walked row costs one probe of the (story, ...) index (and one by id for
    each member ahead of it, to apply the filters). The condition's SQL is the seam's
    (db.story_queries.first_of_story_condition)."""
    sort = SORTS.get(sort_key) or SORTS[DEFAULT_SORT]
    condition = first_of_story_condition(queryset, field=sort.field, descending=sort.descending, nullable=sort.nullable)
    return queryset if condition is None else queryset.filter(condition)


def story_queue_page(queryset, *, sort_key=DEFAULT_SORT, after="", before="", page_size=50, by_index=True):
    """The queue page (selectors.queue_page) with one row per story; each row's article is
    the story's first in the queue's order, and rows in a story carry `story_summary` (a
    StorySummary: the lead's title, "+N sources" with the outlets, the best quality and heat,
    the newest activity), read with the rows: as many queries as the plain queue."""
    page = queue_page(
        first_of_their_story(queryset, sort_key), sort_key=sort_key, after=after, before=before, page_size=page_size,
        by_index=by_index, rows_with=with_story_summary,
    )
    as_datetime = backend(queryset.db).datetime_from_db
    for article in page.articles:
        text = getattr(article, "story_json", None)
        article.story_summary = _summary(article.story_id, text, as_datetime) if text else None
    return page


# --- one story --------------------------------------------------------------------------------------


@dataclass
class StoryMembers:
    story: Story | None
    articles: list = field(default_factory=list)  # Article, lead first, then newest first
    coverage: list = field(default_factory=list)  # RelatedCoverage listed by them, not imported

    @property
    def published(self):
        return [article for article in self.articles if article.state == ArticleState.PUBLISHED]


def story_members(story_id):
    """A story's articles (lead first) and the coverage they list that we did not import."""
    story = Story.objects.filter(pk=story_id).first() if story_id else None
    if story is None:
        return StoryMembers(story=None)
    articles = list(
        Article.objects.filter(story_id=story.pk).select_related("provider")
        .only("pk", "title", "state", "quality", "heat", "published_at", "imported_at", "web_url", "provider__name",
              "provider__domain", "has_front_matter", "needs_metadata", "merged_into_id", "story_id")
        .order_by(F("published_at").desc(nulls_last=True), "-pk")
    )
    articles.sort(key=lambda article: article.pk != story.lead_id)
    coverage = list(
        RelatedCoverage.objects.filter(article__story_id=story.pk, linked_article__isnull=True)
        .select_related("provider").order_by("article_id", "position")
    )
    return StoryMembers(story=story, articles=articles, coverage=coverage)


# --- body-only items ---------------------------------------------------------------------------------


@dataclass
class Suggestion:
    article: Article  # the article to attach to, or the one listing the entry the item reads like
    score: float
    overlap: list  # the shared words, rarest first, as the item writes them
    entry: RelatedCoverage | None = None  # the related entry the item is the text of

    @property
    def completion(self):
        """Initial values for completing the item from the entry (its title, URL, outlet)."""
        if self.entry is None:
            return {}
        return {
            "title": self.entry.title,
            "web_url": self.entry.web_url,
            "excerpt": self.entry.excerpt,
            "provider_name": self.entry.provider.name if self.entry.provider else "",
            "provider_domain": self.entry.provider.domain if self.entry.provider else "",
        }


_WORDS = re.compile(r"\w+(?:[.,']\w+)*")


def overlap_words(text, terms, limit=8):
    """The words of `text` whose terms are in `terms` (stems), in the order of `terms`."""
    wanted = {term: index for index, term in enumerate(terms)}
    found = {}
    for word in _WORDS.findall(text[: textmod.MAX_CHARS * 2]):
        term = word.replace(",", "") if word[0].isdigit() else textmod.stem(word.casefold())
        if term in wanted and term not in found:
            found[term] = word
    return [found[term] for term in terms if term in found][:limit]


def attach_suggestions(article, limit=SUGGESTIONS):
    """What a body-only item reads like: articles (and the related entries they list) that
    the story evidence joins it to, best first, each with the words they share."""
    features = story_index.features_of([article.pk], store=False).get(article.pk)
    if features is None:
        return []
    known = {article.pk: features}
    found = story_candidates.candidates_for([features], known)[article.pk]
    others = story_index.features_of([pk for pk in {*found.articles, *found.listing} if pk != article.pk], store=False)
    entries = story_index.related_entries(list(found.listing)) if features.kind == BODY else {}
    scored = []
    for pk, other in others.items():
        evidence = score_pair(features, other)
        if evidence.joins:
            scored.append((evidence.score, pk, None, shared_terms(features, other)))
        for entry in entries.get(pk, ()):
            evidence = score_pair(features, entry)
            if evidence.joins:
                scored.append((evidence.score, pk, -entry.key, shared_terms(features, entry)))
    if not scored:
        return []
    scored.sort(key=lambda found: (-found[0], found[1]))
    targets = Article.objects.select_related("provider").in_bulk({pk for _, pk, _, _ in scored})
    entry_rows = RelatedCoverage.objects.select_related("provider", "linked_article").in_bulk(
        {entry for _, _, entry, _ in scored if entry}
    )
    suggestions, seen = [], set()
    for score, pk, entry_id, terms in scored:
        entry = entry_rows.get(entry_id) if entry_id else None
        target = entry.linked_article if entry is not None and entry.linked_article_id else targets.get(pk)
        if target is None or target.state == ArticleState.MERGED or (target.pk, entry_id) in seen:
            continue
        seen.add((target.pk, entry_id))
        suggestions.append(Suggestion(article=target, score=score, overlap=overlap_words(article.body, list(terms)),
                                      entry=entry if entry is not None and not entry.linked_article_id else None))
    return suggestions[:limit]


# --- URLs ---------------------------------------------------------------------------------------------


def article_by_url(text):
    """The article at a pasted URL, whatever its spelling (tracking parameters, http, www.,
    AMP forms), or None. The newest when several share it."""
    canonical = stored_canonical_url((text or "").strip())
    if not canonical:
        return None
    return Article.objects.filter(canonical_url=canonical).order_by("-pk").first()


def duplicates_of(article):
    """Other articles at the same canonical URL (the same article under another spelling)."""
    if not article.canonical_url:
        return Article.objects.none()
    return Article.objects.filter(canonical_url=article.canonical_url).exclude(pk=article.pk).order_by("pk")


__all__ = [
    "StoryLead",
    "StoryMember",
    "StorySummary",
    "StoryMembers",
    "Suggestion",
    "article_by_url",
    "attach_suggestions",
    "duplicates_of",
    "first_of_their_story",
    "overlap_words",
    "stories_listing",
    "story_members",
    "story_queue_page",
    "story_summaries",
]
