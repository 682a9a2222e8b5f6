"""Reads for the public side (pages, feeds, API): live items only, in few queries.

"Live" is `Article.objects.live()` (curation.models.live_condition): published, its go-live
time come, its expiry not, no embargo. It is applied with the time of the request, so
correctness never waits for the scheduled job.

Every public listing is one SQL query whatever its length: the provider comes by a join
and each item's topics, images and related coverage come as a JSON array from a correlated
subquery (`json_agg` on PostgreSQL, `json_group_array` on SQLite), instead of one prefetch
query per relation. Listings are ordered newest first by when editors published them, and
paginated by keyset on (listed_at, id) so that page 1000 costs what page 1 costs.

`public_validators()` is the one cheap query behind ETag / Last-Modified: the time of the
latest editorial action (publish, unpublish, reject, edit... every editorial write leaves
one), of the latest import ledger row (every import leaves them), the newest article id, and
the latest schedule time (go-live, expiry, end of an embargo) that has passed, each read
from an index. What readers see changes only through those paths; the rest
(deleting rows or renaming a provider/topic in the admin) is caught by the ETag's periodic
refresh (public/http.py, PUBLIC_ETAG_REFRESH_SECONDS).
"""

import contextvars
import datetime as dt
import json
from contextlib import contextmanager
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from curation.db import backend
from curation.db.queries import images_json_sql, latest_change_stamps, related_json_sql, story_json_sql, topics_json_sql
from curation.models import (
    HEAT_UNKNOWN,
    Article,
    Topic,
    TopicAlias,
)
from curation.public.stories import one_entry_per_story
from curation.selectors import MISSING, Cursor, Sort, with_topic
from curation.validation import safe_url

FEED_SIZE = 50
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

# Newest first by the time editors published them (or they went live): `listed_at`, set on
# every published row (see Article.listed_at), so a 2020 story published this morning is at
# the top. NULLs last all the same, on both databases (PostgreSQL would put them first under
# DESC), should a row ever lack it. Served by the article_listed index on both (migration 0016).
PUBLIC_ORDER = [F("listed_at").desc(nulls_last=True), F("id").desc()]

# The only columns public outputs load (an allow-list: `secured`, the raw front matter and
# the editorial columns are never read, so they cannot leak by accident; fewer columns also
# make a 50-item feed measurably cheaper to fetch and build).
PUBLIC_FIELDS = (
    "title",
    "excerpt",
    "category",
    "article_type",
    "web_url",
    "amp_url",
    "cdn_amp_url",
    "published_at",
    "quality",
    "heat",
    "imported_at",
    "state_changed_at",
    "listed_at",
    "provider__name",
    "provider__domain",
)


class InvalidCursor(ValueError):
    pass


# The moment a public request reads at: its validators and its listing use the same one, so
# a response stored under an ETag never shows what that ETag's moment would not (an item
# going live between the two reads, say). Set by public_cache around the view.
_reading_at = contextvars.ContextVar("public_reading_at", default=None)


@contextmanager
def reading_at(now):
    token = _reading_at.set(now)
    try:
        yield now
    finally:
        _reading_at.reset(token)


def reading_time():
    return _reading_at.get() or timezone.now()


def published_articles(*, with_body=False, with_related=False, now=None):
    """Articles readers may see at `now` (default: this moment) with provider, topics and
    images (and optionally body and related coverage) in one query. Call `attach_relations`
    on the results."""
    now = now or reading_time()
    fields = PUBLIC_FIELDS + ("body",) if with_body else PUBLIC_FIELDS
    queryset = (
        Article.objects.live(now)
        .select_related("provider")
        .only(*fields)
        .annotate(topics_json=RawSQL(topics_json_sql(), ()), images_json=RawSQL(images_json_sql(), ()))
    )
    if with_related:
        queryset = queryset.annotate(
            related_json=RawSQL(*related_json_sql(now)), story_json=RawSQL(*story_json_sql(now))
        )
    return queryset.order_by(*PUBLIC_ORDER)


def _datetime(value):
    return backend().datetime_from_db(value)


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _heat(value):
    value = _int(value)
    return None if value == HEAT_UNKNOWN else value


def _decode(text):
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def attach_relations(articles):
    """Decode the JSON columns into plain attributes (`public_topics`, `public_images`,
    `public_related`), keeping only http(s) URLs. Returns the list."""
    articles = list(articles)
    for article in articles:
        topics = _decode(getattr(article, "topics_json", ""))
        article.public_topics = sorted(
            ({"name": t.get("name") or "", "slug": t.get("slug") or ""} for t in topics if t.get("slug")),
            key=lambda t: t["name"].casefold(),
        )
        images = sorted(_decode(getattr(article, "images_json", "")), key=lambda i: _int(i.get("position")) or 0)
        article.public_images = [
            {"url": url, "width": _int(i.get("width")), "height": _int(i.get("height")), "title": i.get("title") or ""}
            for i in images
            if (url := safe_url(i.get("url")))
        ]
        article.public_image = article.public_images[0] if article.public_images else None
        article.public_web_url = safe_url(article.web_url)
        article.public_heat = _heat(article.heat)
        if hasattr(article, "related_json"):
            related = sorted(_decode(article.related_json), key=lambda r: _int(r.get("position")) or 0)
            article.public_related = [_related(r) for r in related]
        if hasattr(article, "story_json"):
            article.public_story = _story(_decode(article.story_json))
    return articles


def _story(rows):
    """The story's other published coverage, newest first."""
    members = [
        {
            "id": row["id"],
            "title": row.get("title") or "",
            "web_url": safe_url(row.get("web_url")),
            "published_at": _datetime(row.get("published_at")),
            "provider": {"name": row.get("provider_name") or "", "domain": row.get("provider_domain") or ""}
            if row.get("provider_name") is not None
            else None,
        }
        for row in rows
        if isinstance(row, dict) and _int(row.get("id"))
    ]
    members.sort(key=lambda member: (member["published_at"] is not None, member["published_at"] or 0, member["id"]), reverse=True)
    return members


def _related(row):
    images = row.get("images")
    if isinstance(images, str):  # SQLite without json(): tolerate a nested string
        images = _decode(images)
    return {
        "title": row.get("title") or "",
        "excerpt": row.get("excerpt") or "",
        "web_url": safe_url(row.get("web_url")),
        "amp_url": safe_url(row.get("amp_url")),
        "cdn_amp_url": safe_url(row.get("cdn_amp_url")),
        "published_at": _datetime(row.get("published_at")),
        "type": row.get("type") or "",
        "quality": _int(row.get("quality")),
        "heat": _heat(row.get("heat")),
        "provider": (
            {"name": row.get("provider_name") or "", "domain": row.get("provider_domain") or ""}
            if row.get("provider_name") is not None
            else None
        ),
        "images": [
            {"url": url, "width": _int(i.get("width")), "height": _int(i.get("height"))}
            for i in (images if isinstance(images, list) else [])
            if isinstance(i, dict) and (url := safe_url(i.get("url")))
        ],
        "linked_article_id": _int(row.get("linked_article_id")),
    }


# --- selectors --------------------------------------------------------------------------


def latest_articles(*, topic=None, limit=FEED_SIZE, every_item=False):
    """The newest `limit` published items (for feeds), in one query: one entry per story
    (its lead, or its first published member) unless `every_item`."""
    now = reading_time()
    queryset = published_articles(now=now)
    queryset = queryset if every_item else one_entry_per_story(queryset, now, topic_id=topic.pk if topic is not None else None)
    if topic is not None:
        queryset = with_topic(queryset, topic.pk).queryset
    return attach_relations(queryset[:limit])


def get_published_article(pk):
    """The published article with everything its page shows, or None (one query)."""
    return next(iter(attach_relations(published_articles(with_body=True, with_related=True).filter(pk=pk))), None)


# --- keyset pagination ------------------------------------------------------------------


@dataclass
class Page:
    items: list
    next_cursor: str | None


# The public order as a queue sort, so that a public page's cursor is the queue's ("when~id",
# "~id" for an item never listed): one format, one parser (selectors.Cursor).
PUBLIC_SORT = Sort("-listed", "Listed, newest first", "listed_at", True, True, "datetime")


def encode_cursor(article):
    """The token for "items after this one" in PUBLIC_ORDER (clients take it from `next`)."""
    return Cursor.of(article, PUBLIC_SORT).encode()


def decode_cursor(token):
    """(listed_at or None, id) from a token; InvalidCursor when it is not one."""
    cursor = Cursor.decode(token, PUBLIC_SORT)
    if cursor is None:
        raise InvalidCursor("This cursor is not valid.")
    return (None if cursor.segment == MISSING else cursor.value), cursor.pk


def keyset_page(queryset, *, cursor=None, size=PAGE_SIZE):
    """One page of `queryset` (already in PUBLIC_ORDER) after `cursor`. Raises InvalidCursor.

    "After (t, i)" is written as `listed_at <= t AND (listed_at < t OR id < i)` rather than
    a plain OR so that the first condition is an index range: the scan starts at the cursor
    instead of filtering its way there from the top. Rows without a listing time (none,
    normally), last in the order, are a range of their own for the same reason, so the one
    page where the others run out takes a second query; every other page takes one.
    """
    if not cursor:
        rows = list(queryset[: size + 1])
    else:
        listed_at, pk = decode_cursor(cursor)
        undated = queryset.filter(listed_at__isnull=True)
        if listed_at is None:
            rows = list(undated.filter(pk__lt=pk)[: size + 1])
        else:
            after = Q(listed_at__lte=listed_at) & (Q(listed_at__lt=listed_at) | Q(pk__lt=pk))
            rows = list(queryset.filter(after)[: size + 1])
            if len(rows) < size + 1:
                rows += list(undated[: size + 1 - len(rows)])
    rows = attach_relations(rows)
    items = rows[:size]
    next_cursor = encode_cursor(items[-1]) if len(rows) > size else None
    return Page(items=items, next_cursor=next_cursor)


# --- validators for conditional GET -------------------------------------------------------


@dataclass
class Validators:
    last_modified: dt.datetime | None
    token: str  # changes whenever anything a reader sees may have changed
    topic: Topic | None = None
    # The next schedule time (go-live, expiry, end of an embargo): caches may keep a
    # response until then at most.
    next_change: dt.datetime | None = None


def kept_topic_slug(alias_slug):
    """The slug of the topic that a merged topic's slug now stands for (TopicAlias), or None;
    None too while no live article carries the kept topic (its page is a 404, and the
    redirect would name a topic only hidden items carry)."""
    carried = Article.objects.live(reading_time()).filter(topics=OuterRef("topic_id")).order_by()
    return (
        TopicAlias.objects.filter(Exists(carried), slug=alias_slug).values_list("topic__slug", flat=True).first()
    )


def public_validators(*, topic_slug=None, now=None):
    """One query: the latest editorial action and import times, the latest schedule time
    that has passed and the next to come (and the topic, if a slug is given); None when
    there is no topic with that slug."""
    found = latest_change_stamps(now=now or reading_time(), topic_slug=topic_slug)
    if found is None:
        return None
    topic = Topic(pk=found.topic[0], name=found.topic[1], slug=found.topic[2]) if found.topic else None
    stamps = (found.last_action, found.last_import, found.last_boundary)
    known = [stamp for stamp in stamps if stamp]
    token = "|".join([*(stamp.isoformat() if stamp else "-" for stamp in stamps), str(found.newest_id)])
    return Validators(
        last_modified=max(known) if known else None, token=token, topic=topic, next_change=found.next_boundary
    )
