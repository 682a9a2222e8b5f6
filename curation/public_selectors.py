"""Reads for the public side (pages, feeds, API): published items only, in few queries.

Every public listing is one SQL query whatever its length: the provider comes by a join
and each item's topics, images and related coverage come as a JSON array from a correlated
subquery (`json_agg` on PostgreSQL, `json_group_array` on SQLite), instead of one prefetch
query per relation. Listings are ordered newest first with undated items last, and
paginated by keyset on (published_at, id) so that page 1000 costs what page 1 costs.

`public_validators()` is the one cheap query behind ETag / Last-Modified: the time of the
latest editorial action (publish, unpublish, reject, edit... every editorial write leaves
one), of the latest import ledger row (every import leaves them) and the newest article id,
each read from an index. What readers see changes only through those paths; the rest
(deleting rows or renaming a provider/topic in the admin) is caught by the ETag's periodic
refresh (views/public.py, ETAG_REFRESH_SECONDS).
"""

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils.dateparse import parse_datetime

from curation.models import (
    HEAT_UNKNOWN,
    Article,
    ArticleImage,
    ArticleState,
    EditorialAction,
    ImportLedgerEntry,
    Provider,
    RelatedCoverage,
    Topic,
)
from curation.seedformat import safe_url

FEED_SIZE = 50
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

# Newest first; an item without a date (a completed body-only item) goes last, on both
# databases (PostgreSQL would put NULLs first under DESC). Served by an index on both.
PUBLIC_ORDER = [F("published_at").desc(nulls_last=True), F("id").desc()]

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
    "provider__name",
    "provider__domain",
)


class InvalidCursor(ValueError):
    pass


# --- JSON aggregation of related rows -------------------------------------------------


def _qn(name):
    return connection.ops.quote_name(name)


def _json_array_sql(pairs, from_where):
    """SQL for a JSON array (as text) of one object per row of `from_where`.

    `pairs`: (key, SQL expression) for each object member. Works on PostgreSQL and SQLite;
    the result is text on both so that decoding does not depend on the driver.
    """
    if connection.vendor == "postgresql":
        members = ", ".join(f"'{key}', {expr}" for key, expr in pairs)
        return f"(SELECT COALESCE(json_agg(json_build_object({members})), '[]'::json)::text {from_where})"
    members = ", ".join(f"'{key}', {expr}" for key, expr in pairs)
    return f"(SELECT json_group_array(json_object({members})) {from_where})"


def _outer_id():
    return f"{_qn(Article._meta.db_table)}.{_qn('id')}"


def _topics_sql():
    through = Article.topics.through._meta.db_table
    return _json_array_sql(
        [("name", "t.name"), ("slug", "t.slug")],
        f"FROM {_qn(Topic._meta.db_table)} t INNER JOIN {_qn(through)} at ON at.topic_id = t.id "
        f"WHERE at.article_id = {_outer_id()}",
    )


def _images_sql():
    return _json_array_sql(
        [
            ("position", "i.position"),
            ("url", "i.url"),
            ("width", "i.width"),
            ("height", "i.height"),
            ("title", "i.title"),
        ],
        f"FROM {_qn(ArticleImage._meta.db_table)} i WHERE i.article_id = {_outer_id()}",
    )


def _related_sql():
    images = "r.images" if connection.vendor == "postgresql" else "json(r.images)"
    # The linked article is named only when it is itself published.
    return _json_array_sql(
        [
            ("position", "r.position"),
            ("title", "r.title"),
            ("excerpt", "r.excerpt"),
            ("web_url", "r.web_url"),
            ("amp_url", "r.amp_url"),
            ("cdn_amp_url", "r.cdn_amp_url"),
            ("published_at", "r.published_at"),
            ("type", "r.article_type"),
            ("quality", "r.quality"),
            ("heat", "r.heat"),
            ("images", images),
            ("provider_name", "p.name"),
            ("provider_domain", "p.domain"),
            ("linked_article_id", "la.id"),
        ],
        f"FROM {_qn(RelatedCoverage._meta.db_table)} r "
        f"LEFT JOIN {_qn(Provider._meta.db_table)} p ON p.id = r.provider_id "
        f"LEFT JOIN {_qn(Article._meta.db_table)} la ON la.id = r.linked_article_id "
        f"AND la.state = '{ArticleState.PUBLISHED}' "
        f"WHERE r.article_id = {_outer_id()}",
    )


def published_articles(*, with_body=False, with_related=False):
    """Published articles with provider, topics and images (and optionally body and
    related coverage) in one query. Call `attach_relations` on the results."""
    fields = PUBLIC_FIELDS + ("body",) if with_body else PUBLIC_FIELDS
    queryset = (
        Article.objects.published()
        .select_related("provider")
        .only(*fields)
        .annotate(topics_json=RawSQL(_topics_sql(), ()), images_json=RawSQL(_images_sql(), ()))
    )
    if with_related:
        queryset = queryset.annotate(related_json=RawSQL(_related_sql(), ()))
    return queryset.order_by(*PUBLIC_ORDER)


def _datetime(value):
    if not value:
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        parsed = parse_datetime(str(value).replace(" ", "T", 1))
        if parsed is None:
            return None
    if parsed.tzinfo is None:  # SQLite stores UTC without an offset
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


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
    return articles


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


def with_topic(queryset, topic_id):
    through = Article.topics.through
    return queryset.filter(Exists(through.objects.filter(article_id=OuterRef("pk"), topic_id=topic_id)))


def latest_articles(*, topic=None, limit=FEED_SIZE):
    """The newest `limit` published items (for feeds), in one query."""
    queryset = published_articles()
    if topic is not None:
        queryset = with_topic(queryset, topic.pk)
    return attach_relations(queryset[:limit])


def get_published_article(pk):
    """The published article with everything its page shows, or None (one query)."""
    return next(iter(attach_relations(published_articles(with_body=True, with_related=True).filter(pk=pk))), None)


# --- keyset pagination ------------------------------------------------------------------


@dataclass
class Page:
    items: list
    next_cursor: str | None


def encode_cursor(article):
    """An opaque token for "items after this one" in PUBLIC_ORDER."""
    stamp = article.published_at.isoformat() if article.published_at else None
    raw = json.dumps([stamp, article.pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token):
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        stamp, pk = json.loads(raw)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursor("This cursor is not valid.") from None
    if not isinstance(pk, int) or isinstance(pk, bool) or not (stamp is None or isinstance(stamp, str)):
        raise InvalidCursor("This cursor is not valid.")
    published_at = None
    if stamp is not None:
        published_at = _datetime(stamp)
        if published_at is None:
            raise InvalidCursor("This cursor is not valid.")
    return published_at, pk


def keyset_page(queryset, *, cursor=None, size=PAGE_SIZE):
    """One page of `queryset` (already in PUBLIC_ORDER) after `cursor`. Raises InvalidCursor.

    "After (p, i)" is written as `published_at <= p AND (published_at < p OR id < i)`
    rather than a plain OR so that the first condition is an index range: the scan starts
    at the cursor instead of filtering its way there from the top (2 ms instead of 70 ms
    half-way down 1M rows on SQLite). Undated items, last in the order, are a range of
    their own for the same reason, so the one page where the dated items run out takes a
    second query; every other page takes one.
    """
    if not cursor:
        rows = list(queryset[: size + 1])
    else:
        published_at, pk = decode_cursor(cursor)
        undated = queryset.filter(published_at__isnull=True)
        if published_at is None:
            rows = list(undated.filter(pk__lt=pk)[: size + 1])
        else:
            after = Q(published_at__lte=published_at) & (Q(published_at__lt=published_at) | Q(pk__lt=pk))
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


def public_validators(*, topic_slug=None):
    """One query: the latest editorial action and import times (and the topic, if a slug is
    given; `topic` is None when no such topic exists)."""
    actions = _qn(EditorialAction._meta.db_table)
    ledger = _qn(ImportLedgerEntry._meta.db_table)
    articles = _qn(Article._meta.db_table)
    # The newest article id also catches rows inserted without an import or an editorial
    # action (bulk-loaded data sets, test factories).
    stamps = (
        f"(SELECT MAX(created_at) FROM {actions}), (SELECT MAX(created_at) FROM {ledger}), "
        f"(SELECT MAX(id) FROM {articles})"
    )
    with connection.cursor() as cursor:
        if topic_slug is None:
            cursor.execute(f"SELECT {stamps}")
            row = cursor.fetchone()
            topic = None
        else:
            cursor.execute(
                f"SELECT t.id, t.name, t.slug, {stamps} FROM {_qn(Topic._meta.db_table)} t WHERE t.slug = %s",
                [topic_slug],
            )
            found = cursor.fetchone()
            if found is None:
                return None
            topic = Topic(pk=found[0], name=found[1], slug=found[2])
            row = found[3:]
    last_action, last_import = (_datetime(value) for value in row[:2])
    known = [stamp for stamp in (last_action, last_import) if stamp]
    token = "|".join([*(stamp.isoformat() if stamp else "-" for stamp in (last_action, last_import)), str(row[2])])
    return Validators(last_modified=max(known) if known else None, token=token, topic=topic)
