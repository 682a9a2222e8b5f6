"""Reads shared by the curator views: the queue (filtered, sorted, keyset-paginated) and
everything the article page shows.

Pagination is keyset ("seek") pagination on the active sort: a page is "the next N rows
after (value, id)", which an index on (state, value, id) answers by reading N rows, however
deep the page. No COUNT(*) is ever run. Sort columns that may be NULL (published date,
quality, heat) are split in two segments, the rows that have a value first and the rows
without one last, so that each segment is a plain index range on both SQLite and
PostgreSQL (whose NULL ordering differs).
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Prefetch, Q
from django.db.models.functions import Coalesce
from django.utils.dateparse import parse_datetime

from curation.db import backend
from curation.db.queries import capped_count, first_rows_of_each, topic_names_and_images
from curation.models import (
    CLOCK_STATUSES,
    Article,
    ArticleImage,
    ArticleState,
    EditorialAction,
    ImportLedgerEntry,
    ImportStatus,
    RelatedCoverage,
)
from curation.params import BIGINT_MAX, parse_id
from curation.search import search_articles
from curation.selectors_queue import MatchCount

# The rejection reasons' reads live in selectors_reasons.py; these names stay importable from here.
from curation.selectors_reasons import REASONS_TTL, offered_reasons, reason_labels, reason_menu  # noqa: F401


def with_topic(queryset, topic, *, size=None, count_cap=None):
    """A `Narrowing` of `queryset` to the articles tagged with `topic` (an id, or a queryset
    of topic ids), in the shape that suits the topic's size (see `DatabaseBackend.with_topic`)."""
    return backend(queryset.db).with_topic(queryset, topic, size=size, count_cap=count_cap)


def with_status(queryset, status):
    """`queryset` narrowed to one of STATUS_CHOICES. The states by the clock hold few rows:
    they are found through the schedule columns' indexes first, and the rest of the query
    (its filters and order) applies to them, rather than a walk along the sort order's index
    looking for them."""
    if status in CLOCK_STATUSES:
        return backend(queryset.db).collected(queryset, Article.objects.with_status(status).order_by().values("pk"))
    return queryset.with_status(status)


@dataclass(frozen=True)
class Sort:
    key: str  # the value of the `sort` GET parameter
    label: str
    field: str
    descending: bool
    nullable: bool
    kind: str  # "datetime" or "int": how a cursor value is parsed


SORTS = {
    sort.key: sort
    for sort in (
        Sort("-published", "Published date, newest first", "published_at", True, True, "datetime"),
        Sort("published", "Published date, oldest first", "published_at", False, True, "datetime"),
        Sort("-imported", "Import time, newest first", "imported_at", True, False, "datetime"),
        Sort("imported", "Import time, oldest first", "imported_at", False, False, "datetime"),
        Sort("-quality", "Quality, highest first", "quality", True, True, "int"),
        Sort("quality", "Quality, lowest first", "quality", False, True, "int"),
        Sort("-heat", "Heat, highest first", "heat", True, True, "int"),
        Sort("heat", "Heat, lowest first", "heat", False, True, "int"),
    )
}
DEFAULT_SORT = "-published"
# What a queue row reads (views/rows.py, the row templates, the cursor's sort columns):
# building 50 instances of every column, eleven of them datetimes, was a visible share
# of a page's time. A field left out costs a query per row, which the tests' query
# counts would notice.
LISTING_FIELDS = tuple(
    "pk title state version published_at imported_at quality heat related_count provider_id provider__name"
    " provider__domain needs_metadata merged_into_id story_id source_changed_at live_from live_until embargo_until"
    " flagged_at flag_note".split()
)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

# Rows whose sort value is missing come after all the others, whatever the direction.
VALUE, MISSING = 0, 1


@dataclass(frozen=True)
class Cursor:
    """A position in the queue: the sort value (None in the MISSING segment) and the id."""

    segment: int
    value: object
    pk: int

    def encode(self):
        if self.segment == MISSING:
            return f"~{self.pk}"
        value = self.value.isoformat() if isinstance(self.value, dt.datetime) else str(self.value)
        return f"{value}~{self.pk}"

    @classmethod
    def decode(cls, text, sort):
        """The cursor in `text`, or None when it is malformed (the first page is shown)."""
        # A "+" in a hand-typed or hand-copied URL arrives as a space ("…10:00:00 00:00").
        value, sep, pk = (text or "").strip().replace(" ", "+").rpartition("~")
        pk = parse_id(pk)
        if not sep or pk is None:
            return None
        if value == "":
            return cls(MISSING, None, pk) if sort.nullable else None
        try:
            if sort.kind == "int":
                parsed = int(value)
                if abs(parsed) > BIGINT_MAX:
                    return None
            else:
                parsed = parse_datetime(value)
                if parsed is None:
                    return None
        except (ValueError, OverflowError):
            return None
        return cls(VALUE, parsed, pk)

    @classmethod
    def of(cls, article, sort):
        value = getattr(article, sort.field)
        return cls(MISSING if value is None else VALUE, value, article.pk)


def _segments(sort):
    return [VALUE, MISSING] if sort.nullable else [VALUE]


def _segment_queryset(queryset, sort, segment, *, cursor=None, forward=True, by_index=True):
    """Rows of one segment strictly after (forward) or before `cursor`, in walking order.

    `by_index=False` orders by an expression no index matches, so the database reads the
    (few) filtered rows and sorts them instead of walking the sort index.
    """
    name, pk_desc = sort.field, sort.descending
    if sort.nullable:
        queryset = queryset.filter(**{f"{name}__isnull": segment == MISSING})
    # Walking backwards is walking the reversed order.
    desc = pk_desc if forward else not pk_desc
    if cursor is not None:
        beyond = "lt" if desc else "gt"
        reach = "lte" if desc else "gte"
        if segment == VALUE:
            # The redundant `reach` bound gives the database an index range to start from.
            queryset = queryset.filter(
                Q(**{f"{name}__{reach}": cursor.value})
                & (Q(**{f"{name}__{beyond}": cursor.value}) | Q(**{f"pk__{beyond}": cursor.pk}))
            )
        else:
            queryset = queryset.filter(**{f"pk__{beyond}": cursor.pk})

    def ordered(field):
        expression = F(field) if by_index else Coalesce(F(field), F(field))
        return expression.desc() if desc else expression.asc()

    if segment == VALUE:
        return queryset.order_by(ordered(name), ordered("pk"))
    return queryset.order_by(ordered("pk"))


def _walk_order(sort, cursor, forward):
    """The segments a walk visits, in order."""
    segments = _segments(sort)
    if cursor is None:
        return segments if forward else list(reversed(segments))
    start = segments.index(cursor.segment) if cursor.segment in segments else 0
    return segments[start:] if forward else list(reversed(segments[: start + 1]))


def _walk(queryset, sort, *, cursor, forward, limit, fetch, by_index=True):
    """Up to `limit` rows of `queryset` from `cursor` in the given direction.

    A sort on a column that is never NULL is one index range: one query. A nullable sort
    column has two segments (rows with a value, then rows without); reading them one after
    the other would cost a second query only on the page where the first runs out, so the
    query count would depend on the data (and differ between a small and a large table).
    Instead one statement reads the (id, value) candidates of every segment still ahead,
    each an index range with its own LIMIT, joined with UNION ALL; Python puts them in
    order and `fetch(ids)` loads those rows by primary key: always two queries.
    """
    order = _walk_order(sort, cursor, forward)
    parts = [
        _segment_queryset(
            queryset,
            sort,
            segment,
            cursor=cursor if cursor is not None and segment == cursor.segment else None,
            forward=forward,
            by_index=by_index,
        )
        for segment in order
    ]
    if not sort.nullable:
        return list(fetch(None, parts[0])[:limit])
    ids = _candidate_ids(parts, sort, order, forward=forward, limit=limit, using=queryset.db)
    found = {article.pk: article for article in fetch(ids, None)} if ids else {}
    return [found[pk] for pk in ids if pk in found]  # a row deleted in between is skipped


def _candidate_ids(parts, sort, order, *, forward, limit, using):
    found = first_rows_of_each(parts, [sort.field], limit, using=using)
    # Raw values: within one column they compare as the database compares them (SQLite
    # returns its stored datetime text, whose order is the order SQLite sorts by).
    descending = sort.descending if forward else not sort.descending
    ordered = []
    for segment in order:
        if segment == VALUE:
            with_value = sorted(((value, pk) for pk, value in found if value is not None), reverse=descending)
            ordered.extend(pk for _, pk in with_value)
        else:
            ordered.extend(sorted((pk for pk, value in found if value is None), reverse=descending))
    return ordered[:limit]


@dataclass
class QueuePage:
    articles: list
    sort: Sort
    page_size: int
    next_cursor: str = ""
    previous_cursor: str = ""
    is_first: bool = True
    match_count: object = None  # a MatchCount when asked for (count_cap), None if unknown

    @property
    def has_next(self):
        return bool(self.next_cursor)

    @property
    def has_previous(self):
        return bool(self.previous_cursor)


def listing_rows(queryset):
    """What a queue row shows, in one query; topics and images are fetched once for the
    whole page (`prefetch_listing`).

    No correlated subquery in the select list (e.g. for the thumbnail): when the database
    sorts the matches (a rare topic, a rare search word), it would run it for every match
    before sorting, not for the 50 rows shown. Only the columns a row shows
    (`LISTING_FIELDS`): a body may be megabytes, and the rest costs time per row.
    """
    return queryset.select_related("provider").prefetch_related(None).only(*LISTING_FIELDS)


def prefetch_listing(rows):
    """Attach `topic_names` and `image_urls` to each row, in one query for the whole page
    (topic links and images together, read as plain tuples: building model instances for
    them cost more than the query)."""
    by_id = {article.pk: article for article in rows}
    for article in rows:
        article.topic_names, article.image_urls = [], []
    if not by_id:
        return
    found_images = []
    for article_id, text, position in topic_names_and_images(list(by_id), using=rows[0]._state.db):
        if position == -1:  # a topic; image positions are >= 0
            by_id[article_id].topic_names.append(text)
        else:
            found_images.append((position, article_id, text))
    for _, article_id, url in sorted(found_images):
        by_id[article_id].image_urls.append(url)
    for article in rows:
        article.topic_names.sort()


def queue_page(
    queryset,
    *,
    sort_key=DEFAULT_SORT,
    after="",
    before="",
    page_size=DEFAULT_PAGE_SIZE,
    by_index=True,
    rows_with=None,
    count_cap=None,
):
    """One page of `queryset` (already filtered) under `sort_key`, located by a cursor.

    `after`/`before` are cursors from a previous page's next/previous links. The query
    count is fixed by the sort, whatever the data: one row query (two for a sort column
    that may be NULL, see `_walk`) and one for the rows' topics and images. `rows_with`
    may add columns to the row query (a function of the row queryset). With `count_cap`,
    the row query also counts the matches (up to the cap, see `capped_count`): the page
    knows how many match in no extra query.
    """
    sort = SORTS.get(sort_key) or SORTS[DEFAULT_SORT]
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    after_cursor = Cursor.decode(after, sort) if after else None
    before_cursor = Cursor.decode(before, sort) if before and not after_cursor else None

    def fetch(ids, walk):
        # The walk's own query when it is one index range, else the candidates by id.
        rows = listing_rows(walk) if ids is None else listing_rows(backend(queryset.db).with_ids(Article.objects.all(), ids))
        if count_cap is not None:
            rows = rows.annotate(match_count=capped_count(queryset, count_cap))
        return rows_with(rows) if rows_with is not None else rows

    if before_cursor is not None:
        rows = _walk(
            queryset, sort, cursor=before_cursor, forward=False, limit=page_size + 1, fetch=fetch, by_index=by_index
        )
        has_more_before = len(rows) > page_size
        rows = list(reversed(rows[:page_size]))
        has_more_after = True  # we came from there
    else:
        rows = _walk(
            queryset, sort, cursor=after_cursor, forward=True, limit=page_size + 1, fetch=fetch, by_index=by_index
        )
        has_more_after = len(rows) > page_size
        rows = rows[:page_size]
        has_more_before = after_cursor is not None

    prefetch_listing(rows)
    page = QueuePage(articles=rows, sort=sort, page_size=page_size)
    if rows and has_more_after:
        page.next_cursor = Cursor.of(rows[-1], sort).encode()
    if rows and has_more_before:
        page.previous_cursor = Cursor.of(rows[0], sort).encode()
    page.is_first = not has_more_before
    if count_cap is not None:
        if rows:
            page.match_count = MatchCount(min(rows[0].match_count, count_cap), rows[0].match_count > count_cap)
        elif page.is_first:
            page.match_count = MatchCount(0, False)
    return page


def neighbours(queryset, article, *, sort_key=DEFAULT_SORT, by_index=True):
    """The articles just before and after `article` in the filtered, sorted queue.

    Works from the article's own sort value, so it also works once the article has left
    the queue (published from the page, for instance).
    """
    sort = SORTS.get(sort_key) or SORTS[DEFAULT_SORT]
    cursor = Cursor.of(article, sort)
    fields = ("pk", "title", sort.field)

    def fetch(ids, walk):
        return walk.only(*fields) if ids is None else Article.objects.filter(pk__in=ids).only(*fields)

    previous = _walk(queryset, sort, cursor=cursor, forward=False, limit=1, fetch=fetch, by_index=by_index)
    following = _walk(queryset, sort, cursor=cursor, forward=True, limit=1, fetch=fetch, by_index=by_index)
    return (previous[0] if previous else None), (following[0] if following else None)


# --- the article page ---------------------------------------------------------------------


HISTORY_ROWS = 100


def article_for_page(pk):
    """The article with everything its page shows, in a fixed number of queries."""
    return (
        Article.objects.select_related("provider", "merged_into", "state_changed_by")
        .prefetch_related(
            "topics",
            Prefetch("images", queryset=ArticleImage.objects.order_by("position")),
            Prefetch(
                "related",
                queryset=RelatedCoverage.objects.select_related("provider", "linked_article").order_by("position"),
            ),
            # The latest entries only: an item re-imported daily for years has thousands.
            Prefetch(
                "ledger",
                queryset=ImportLedgerEntry.objects.select_related("run").order_by("-created_at", "-id")[:HISTORY_ROWS],
                to_attr="recent_ledger",  # a sliced prefetch needs to_attr
            ),
            Prefetch(
                "actions",
                queryset=EditorialAction.objects.select_related("actor").order_by("-created_at", "-id")[:HISTORY_ROWS],
                to_attr="recent_actions",
            ),
            # Ordered by id, not by Article's default (published date): with that ORDER BY,
            # SQLite walks the whole table in date order instead of using the foreign key.
            Prefetch("merged_items", queryset=Article.objects.only("pk", "title", "merged_into_id").order_by("pk")),
        )
        .get(pk=pk)
    )


ATTACH_SUGGESTIONS = 8


def attach_candidates(article, *, search=""):
    """Articles a body-only item could be attached to: those the story evidence joins it
    to first (with `story_overlap`, the words they share), then the same body, then by
    search text (or, without one, by the item's derived title). An item that reads like a
    related entry no article of ours carries is for completing, not attaching (see
    selectors_stories.attach_suggestions)."""
    from curation.selectors_stories import attach_suggestions

    base = Article.objects.exclude(pk=article.pk).exclude(state=ArticleState.MERGED).filter(has_front_matter=True)
    found = []
    if not search:
        for suggestion in attach_suggestions(article):
            if suggestion.entry is None:
                suggestion.article.story_overlap = suggestion.overlap
                found.append(suggestion.article)
    if article.body_sha256:
        same_body = base.filter(body_sha256=article.body_sha256).select_related("provider")
        found.extend(same_body.order_by("-pk")[:ATTACH_SUGGESTIONS])  # by id: see article_for_page
    text = (search or "").strip()
    typed_id = parse_id(text.removeprefix("#"))
    if typed_id is not None:
        found.extend(base.filter(pk=typed_id).select_related("provider"))
    elif text:
        matches = search_articles(base, text).select_related("provider")
        found.extend(matches.order_by("-published_at", "-id")[:ATTACH_SUGGESTIONS])
    elif article.title:
        found.extend(_similar_title(base, " ".join(article.title.split()[:8])))
    seen, unique = set(), []
    for candidate in found:
        if candidate.pk not in seen:
            seen.add(candidate.pk)
            unique.append(candidate)
    return unique[:ATTACH_SUGGESTIONS]


SIMILAR_TITLE_POOL = 50


def _similar_title(queryset, title):
    """The newest articles whose title shares one of the item's first long words (a cheap
    "similar title"). The search reads excerpts and bodies too, and stems: "By staff reporter
    2" found every item whose body says "reported", offered as "a similar title". Of the
    search's newest matches, only those with one of the words in their title are kept."""
    words = [word for word in title.split() if len(word) > 3][:4]
    if not words:
        return []
    pool = search_articles(queryset, " OR ".join(words)).select_related("provider")
    wanted = [word.casefold() for word in words]
    similar = [
        candidate
        for candidate in pool.order_by("-published_at", "-id")[:SIMILAR_TITLE_POOL]
        if any(word in candidate.title.casefold() for word in wanted)
    ]
    return similar[:ATTACH_SUGGESTIONS]


@dataclass
class LedgerRow:
    """One line of an article's import history: an entry, or a run of unchanged entries."""

    entry: object  # the newest entry of the run
    unchanged_runs: int = 1  # how many runs found the file unchanged (1: a plain entry)
    first_at: object = None  # the oldest of them

    @property
    def collapsed(self):
        return self.unchanged_runs > 1


def import_history(entries):
    """The ledger entries (newest first) with each stretch of runs that found the same file
    unchanged collapsed into one row ("unchanged in 14 later runs")."""
    rows = []
    for entry in entries:
        previous = rows[-1] if rows else None
        if (
            previous is not None
            and entry.status == ImportStatus.UNCHANGED
            and previous.entry.status == ImportStatus.UNCHANGED
            and entry.sha256 == previous.entry.sha256
            and entry.path == previous.entry.path
        ):
            previous.unchanged_runs += 1
            previous.first_at = entry.created_at
        else:
            rows.append(LedgerRow(entry, first_at=entry.created_at))
    return rows
