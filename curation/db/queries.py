"""The few reads the ORM cannot write as one query: portable SQL, the same on every database.

Each is one statement that would otherwise be several round trips (or a per-row subquery):
the first rows of several index ranges at once, the choices and date range of the admin's
article sidebar, the time stamps behind the public side's ETags, a queue page's topics and
images.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections

from curation.db import backend


def first_rows_of_each(parts, columns, limit, *, using):
    """(pk, *columns) rows: up to `limit` from the first queryset of `parts`, then what the
    first left of `limit` from each later one, as one statement.

    The first part is a CTE: referenced twice, both databases materialize it, so its
    (possibly costly, e.g. full-text) condition runs once. A later part is limited to
    `limit - (SELECT COUNT(*) FROM part_0)`: zero on every page but the last, and with a
    zero limit both databases skip the scan. Parts that cannot match (EmptyResultSet) are
    left out. Raw values come back: datetimes as each database stores them.
    """
    first, statements, params, cte = None, [], [], ""
    for number, part in enumerate(parts):
        try:
            sql, part_params = part.values_list("pk", *columns).query.sql_with_params()
        except EmptyResultSet:
            continue
        if first is None:
            first = number
            cte = f"WITH part_{number} AS ({sql} LIMIT %s) "
            statements.append(f"SELECT * FROM part_{number}")
        else:
            statements.append(f"SELECT * FROM ({sql} LIMIT (%s - (SELECT COUNT(*) FROM part_{first}))) AS part_{number}")
        params.extend([*part_params, limit])
    if first is None:
        return []
    with connections[using].cursor() as cursor:
        cursor.execute(cte + " UNION ALL ".join(statements), params)
        return cursor.fetchall()


# Only index seeks: the distinct categories and types by a "loose index scan" (each step
# asks the index for the next value above the previous one, so the cost is the number of
# distinct values, not rows), the first and last publication dates (the two ends of the
# published_at index), the first topics and providers by name, and the selected topic
# (with its capped size) and provider.
_ARTICLE_LIST_FACTS = """
WITH RECURSIVE
categories(v, n) AS (
    SELECT CAST(MIN({category}) AS TEXT), 1 FROM {article}
    UNION ALL
    SELECT CAST((SELECT MIN({category}) FROM {article} WHERE {category} > categories.v) AS TEXT), n + 1
    FROM categories WHERE categories.v IS NOT NULL AND n <= {distinct_limit}
),
types(v, n) AS (
    SELECT CAST(MIN({article_type}) AS TEXT), 1 FROM {article}
    UNION ALL
    SELECT CAST((SELECT MIN({article_type}) FROM {article} WHERE {article_type} > types.v) AS TEXT), n + 1
    FROM types WHERE types.v IS NOT NULL AND n <= {distinct_limit}
)
SELECT 'category', v, '', '' FROM categories WHERE v IS NOT NULL
UNION ALL
SELECT 'type', v, '', '' FROM types WHERE v IS NOT NULL
UNION ALL
SELECT 'first', CAST((SELECT MIN({published_at}) FROM {article}) AS TEXT), '', ''
UNION ALL
SELECT 'last', CAST((SELECT MAX({published_at}) FROM {article}) AS TEXT), '', ''
UNION ALL
SELECT 'topic', CAST(id AS TEXT), name, '' FROM (
    SELECT id, name FROM {topic} ORDER BY name, id LIMIT {choice_limit}
) first_topics
UNION ALL
SELECT 'provider', CAST(id AS TEXT), name, domain FROM (
    SELECT id, name, domain FROM {provider} ORDER BY name, domain LIMIT {choice_limit}
) first_providers
UNION ALL
SELECT 'selected_topic', CAST(id AS TEXT), name,
    CAST((SELECT COUNT(*) FROM (SELECT 1 FROM {through} WHERE topic_id = %s LIMIT {size_limit}) tagged) AS TEXT)
FROM {topic} WHERE id = %s
UNION ALL
SELECT 'selected_provider', CAST(id AS TEXT), name, domain FROM {provider} WHERE id = %s
"""


def article_list_facts(*, distinct_limit, choice_limit, size_limit, topic_id, provider_id, using="default"):
    """Rows of (kind, key, label, extra) for the article changelist's sidebar, in one query:
    kinds 'category', 'type', 'first', 'last' (publication dates as the database stores
    them), 'topic', 'provider', 'selected_topic' (extra: its article count, capped at
    `size_limit`) and 'selected_provider'."""
    from curation.models import Article, Provider, Topic

    quote = connections[using].ops.quote_name
    field = Article._meta.get_field
    sql = _ARTICLE_LIST_FACTS.format(
        article=quote(Article._meta.db_table),
        topic=quote(Topic._meta.db_table),
        provider=quote(Provider._meta.db_table),
        through=quote(Article.topics.through._meta.db_table),
        category=quote(field("category").column),
        article_type=quote(field("article_type").column),
        published_at=quote(field("published_at").column),
        distinct_limit=int(distinct_limit),
        choice_limit=int(choice_limit),
        size_limit=int(size_limit),
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [topic_id or 0, topic_id or 0, provider_id or 0])
        rows = cursor.fetchall()
    as_datetime = backend(using).datetime_from_db
    return [(kind, as_datetime(key) if kind in ("first", "last") else key, label, extra) for kind, key, label, extra in rows]


@dataclass(frozen=True)
class ChangeStamps:
    """What the public side's validators are made of (see `latest_change_stamps`)."""

    last_action: dt.datetime | None  # the latest editorial action (every editorial write leaves one)
    last_import: dt.datetime | None  # the latest import ledger row or story change (imports leave both)
    newest_id: int | None
    last_boundary: dt.datetime | None  # the latest go-live, expiry or embargo end of a published item that has passed
    next_boundary: dt.datetime | None  # the next one to come
    topic: tuple | None = None  # (id, name, slug) when a slug was given


# The schedule columns whose times change what readers see; each has a partial index.
_BOUNDARY_COLUMNS = ("live_from", "live_until", "embargo_until")


def _flips_visibility(name, column_of):
    """SQL: this row's `name` time is one at which readers' view of it changes: the row is
    published, and the time is its start (the later of go-live and embargo end) or its
    expiry after that start. An embargo or a schedule kept on an item readers cannot see (in
    the queue, rejected) changes nothing they see: counted, it moved the public max-age down
    to its time and Last-Modified up to it, which told anyone when an embargo ends."""
    from curation.models import ArticleState

    live_from, live_until, embargo = (column_of("live_from"), column_of("live_until"), column_of("embargo_until"))
    published = f"{column_of('state')} = '{ArticleState.PUBLISHED}'"
    if name == "live_from":
        return f"{published} AND ({embargo} IS NULL OR {embargo} <= {live_from}) AND ({live_until} IS NULL OR {live_until} > {live_from})"
    if name == "embargo_until":
        return f"{published} AND ({live_from} IS NULL OR {live_from} <= {embargo}) AND ({live_until} IS NULL OR {live_until} > {embargo})"
    return f"{published} AND ({live_from} IS NULL OR {live_from} < {live_until}) AND ({embargo} IS NULL OR {embargo} < {live_until})"


def latest_change_stamps(*, now, topic_slug=None, using="default"):
    """ChangeStamps at `now`, and the topic row when a slug is given: one query of nine
    index reads. None when the slug names no topic that a live article carries.

    The schedule's times are read as "the latest at or before now" and "the first after
    now" (one row from each end of an index range): an item going live at 07:00 changes no
    other stamp, so without them a conditional GET at 07:00:01 would be answered 304 with
    the list from before.
    """
    from curation.models import Article, EditorialAction, ImportLedgerEntry, Story, Topic, live_condition

    quote = connections[using].ops.quote_name
    article = quote(Article._meta.db_table)
    passed, coming = [], []

    def column_of(name):
        return quote(Article._meta.get_field(name).column)

    for name in _BOUNDARY_COLUMNS:
        column, flips = column_of(name), _flips_visibility(name, column_of)
        passed.append(f"(SELECT {column} FROM {article} WHERE {column} <= %s AND {flips} ORDER BY {column} DESC LIMIT 1)")
        coming.append(f"(SELECT {column} FROM {article} WHERE {column} > %s AND {flips} ORDER BY {column} LIMIT 1)")
    stamps = ", ".join(
        [
            f"(SELECT MAX(created_at) FROM {quote(EditorialAction._meta.db_table)})",
            # Stories change at the end of an import, after its ledger rows: the later of the two.
            f"(SELECT MAX(stamp) FROM (SELECT MAX(created_at) AS stamp FROM {quote(ImportLedgerEntry._meta.db_table)} "
            f"UNION ALL SELECT MAX(updated_at) FROM {quote(Story._meta.db_table)}) changes)",
            f"(SELECT MAX(id) FROM {article})",
            *passed,
            *coming,
        ]
    )
    database = backend(using)
    params = [database.adapt_datetime(now)] * (2 * len(_BOUNDARY_COLUMNS))
    with connections[using].cursor() as cursor:
        if topic_slug is None:
            cursor.execute(f"SELECT {stamps}", params)
            row, topic = cursor.fetchone(), None
        else:
            # A topic that no live article carries is no topic to readers: its page and feeds
            # are 404s, and answering a conditional GET for it with 304 (If-None-Match: *, or
            # the site's Last-Modified) told anyone that some hidden item (in the queue, under
            # embargo) carries a topic of that name.
            through = quote(Article.topics.through._meta.db_table)
            live, live_params = condition_sql(Article, live_condition(now), "a", using=using)
            cursor.execute(
                f"SELECT t.id, t.name, t.slug, {stamps} FROM {quote(Topic._meta.db_table)} t WHERE t.slug = %s "
                f"AND EXISTS (SELECT 1 FROM {through} at JOIN {article} a ON a.id = at.article_id "
                f"WHERE at.topic_id = t.id AND {live})",
                [*params, topic_slug, *live_params],
            )
            found = cursor.fetchone()
            if found is None:
                return None
            topic, row = found[:3], found[3:]
    as_datetime = database.datetime_from_db
    count = len(_BOUNDARY_COLUMNS)
    passed_times = [t for t in map(as_datetime, row[3 : 3 + count]) if t is not None]
    coming_times = [t for t in map(as_datetime, row[3 + count :]) if t is not None]
    return ChangeStamps(
        last_action=as_datetime(row[0]),
        last_import=as_datetime(row[1]),
        newest_id=row[2],
        last_boundary=max(passed_times, default=None),
        next_boundary=min(coming_times, default=None),
        topic=topic,
    )


def condition_sql(model, condition, alias, *, using="default"):
    """(sql, params) for a Q about one row of `model`, on the table alias `alias` of a raw
    query: the ORM writes the SQL, so a rule such as `live_condition` is stated once."""
    query = model.objects.using(using).filter(condition).query
    compiler = query.get_compiler(using)
    sql, params = compiler.compile(query.where)
    table = connections[using].ops.quote_name(model._meta.db_table)
    return sql.replace(f"{table}.", f"{alias}."), tuple(params)


# --- an article's relations as JSON, for one-query public listings ------------------------
# Correlated subqueries on the outer article row, each giving a JSON array as text.


def _outer_id(quote):
    from curation.models import Article

    return f"{quote(Article._meta.db_table)}.{quote('id')}"


def topics_json_sql(using="default"):
    from curation.models import Article, Topic

    quote = connections[using].ops.quote_name
    through = Article.topics.through._meta.db_table
    return backend(using).json_array_sql(
        [("name", "t.name"), ("slug", "t.slug")],
        f"FROM {quote(Topic._meta.db_table)} t INNER JOIN {quote(through)} at ON at.topic_id = t.id "
        f"WHERE at.article_id = {_outer_id(quote)}",
    )


def images_json_sql(using="default"):
    from curation.models import ArticleImage

    quote = connections[using].ops.quote_name
    return backend(using).json_array_sql(
        [("position", "i.position"), ("url", "i.url"), ("width", "i.width"), ("height", "i.height"), ("title", "i.title")],
        f"FROM {quote(ArticleImage._meta.db_table)} i WHERE i.article_id = {_outer_id(quote)}",
    )


def topic_names_and_images(article_ids, *, using="default"):
    """(article id, topic name, -1) and (article id, image url, position) rows of the given
    articles, as one statement: what a page of queue rows shows besides its own columns.
    Written here rather than as an ORM union: compiling that union cost more than running it."""
    from curation.models import Article, ArticleImage, Topic

    quote = connections[using].ops.quote_name
    # The ids as one parameter where the database unpacks one: 2 x 50 of them made psycopg
    # parse the statement anew on every page (it keeps parsed statements of up to 50).
    linked, linked_params = backend(using).in_integers_sql("at.article_id", article_ids)
    shown, shown_params = backend(using).in_integers_sql("i.article_id", article_ids)
    sql = (
        f"SELECT at.article_id, t.name, -1 FROM {quote(Article.topics.through._meta.db_table)} at "
        f"INNER JOIN {quote(Topic._meta.db_table)} t ON t.id = at.topic_id WHERE {linked} "
        f"UNION ALL SELECT i.article_id, i.url, i.position FROM {quote(ArticleImage._meta.db_table)} i "
        f"WHERE {shown}"
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [*linked_params, *shown_params])
        return cursor.fetchall()


def story_summary_sql(using="default", outlets=6, members=8):
    """For a row of the article table: its story's summary as a JSON object (text), or NULL
    outside a story: size, best quality and heat, newest publication and import, how many
    members are published and new, the lead's id and title, capped, the coverage its members
    list that is not an article of ours, the first `outlets` outlets, the lead's
    publication fields (the service decides what it offers) and the first `members`
    members, lead first then newest (what expanding a queue row shows). One correlated
    subquery on the (story, ...) index, for the page's rows only."""
    from curation.models import Article, ArticleState, Provider, RelatedCoverage, Story

    quote = connections[using].ops.quote_name
    database = backend(using)
    article, story = quote(Article._meta.db_table), quote(Story._meta.db_table)
    outer_story = f"{article}.{quote('story_id')}"
    outlet_list = database.json_array_sql(
        [("name", "o.name")],
        f"FROM (SELECT DISTINCT op.name AS name FROM {article} om JOIN {quote(Provider._meta.db_table)} op "
        f"ON op.id = om.provider_id WHERE om.story_id = s.id ORDER BY op.name LIMIT {int(outlets)}) o",
    )
    member_list = database.json_array_sql(
        [("id", "x.id"), ("title", "x.title"), ("state", "x.state"), ("provider", "x.provider"),
         ("quality", "x.quality"), ("published_at", "x.published_at")],
        f"FROM (SELECT mm.id AS id, mm.title AS title, mm.state AS state, mp.name AS provider, "
        f"mm.quality AS quality, mm.published_at AS published_at, "
        f"CASE WHEN mm.id = s.lead_id THEN 0 ELSE 1 END AS not_lead FROM {article} mm "
        f"LEFT JOIN {quote(Provider._meta.db_table)} mp ON mp.id = mm.provider_id "
        f"WHERE mm.story_id = s.id AND mm.state <> '{ArticleState.MERGED}' "
        f"ORDER BY not_lead, mm.published_at DESC, mm.id DESC "
        f"LIMIT {int(members)}) x",
    )
    # Every new member's id (the story's row sends them back as a token: rejecting "the rest"
    # never reaches an item that joined the story after the row was drawn, whatever left it).
    new_list = database.json_array_sql(
        [("id", "n.id")], f"FROM {article} n WHERE n.story_id = s.id AND n.state = '{ArticleState.NEW}'"
    )
    summary = database.json_object_sql(
        [
            ("size", "COUNT(*)"),
            ("best_quality", "MAX(m.quality)"),
            ("best_heat", "MAX(NULLIF(m.heat, -1))"),
            ("newest_published", "MAX(m.published_at)"),
            ("newest_imported", "MAX(m.imported_at)"),
            ("published", f"SUM(CASE WHEN m.state = '{ArticleState.PUBLISHED}' THEN 1 ELSE 0 END)"),
            ("new", f"SUM(CASE WHEN m.state = '{ArticleState.NEW}' THEN 1 ELSE 0 END)"),
            ("lead_id", "s.lead_id"),
            ("lead_title", "l.title"),
            ("lead_state", "l.state"),
            ("lead_version", "l.version"),
            ("lead_provider_id", "l.provider_id"),
            ("lead_published_at", "l.published_at"),
            ("lead_needs_metadata", "l.needs_metadata"),
            ("capped", "s.capped"),
            ("unlinked", f"(SELECT COUNT(*) FROM {quote(RelatedCoverage._meta.db_table)} r JOIN {article} ra "
                         f"ON ra.id = r.article_id WHERE ra.story_id = s.id AND r.linked_article_id IS NULL)"),
            ("outlets", database.json_column_sql(outlet_list)),
            ("members", database.json_column_sql(member_list)),
            ("new_ids", database.json_column_sql(new_list)),
        ]
    )
    return (
        f"CASE WHEN {outer_story} IS NULL THEN NULL ELSE (SELECT {summary} FROM {article} m JOIN {story} s "
        f"ON s.id = m.story_id LEFT JOIN {article} l ON l.id = s.lead_id "
        f"WHERE m.story_id = {outer_story} AND m.state <> '{ArticleState.MERGED}' "
        f"GROUP BY s.id, s.lead_id, s.capped, l.id) END"
    )


def story_json_sql(now, using="default"):
    """(sql, params): the other articles of the article's story readers may see at `now`
    (none outside a story)."""
    from curation.models import Article, Provider, live_condition

    quote = connections[using].ops.quote_name
    article = quote(Article._meta.db_table)
    member_live, params = condition_sql(Article, live_condition(now), "m", using=using)
    sql = backend(using).json_array_sql(
        [
            ("id", "m.id"),
            ("title", "m.title"),
            ("web_url", "m.web_url"),
            ("published_at", "m.published_at"),
            ("provider_name", "mp.name"),
            ("provider_domain", "mp.domain"),
        ],
        f"FROM {article} m LEFT JOIN {quote(Provider._meta.db_table)} mp ON mp.id = m.provider_id "
        f"WHERE m.story_id = {article}.{quote('story_id')} AND m.id <> {_outer_id(quote)} AND {member_live}",
    )
    return sql, params


def related_json_sql(now, using="default"):
    """(sql, params): the article's related coverage; the linked article is named only when
    readers may see it at `now` (`live_condition`)."""
    from curation.models import Article, Provider, RelatedCoverage, live_condition

    quote = connections[using].ops.quote_name
    database = backend(using)
    linked_live, params = condition_sql(Article, live_condition(now), "la", using=using)
    sql = database.json_array_sql(
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
            ("images", database.json_column_sql("r.images")),
            ("provider_name", "p.name"),
            ("provider_domain", "p.domain"),
            ("linked_article_id", "la.id"),
        ],
        f"FROM {quote(RelatedCoverage._meta.db_table)} r "
        f"LEFT JOIN {quote(Provider._meta.db_table)} p ON p.id = r.provider_id "
        f"LEFT JOIN {quote(Article._meta.db_table)} la ON la.id = r.linked_article_id AND {linked_live} "
        f"WHERE r.article_id = {_outer_id(quote)}",
    )
    return sql, params


# --- counts ---------------------------------------------------------------------------------


def capped_count(queryset, cap):
    """An expression for a select list: how many rows `queryset` has, counting no further
    than cap + 1 (COUNT(*) over a LIMITed subquery, so a million matches cost no more than
    cap + 1). Uncorrelated: both databases evaluate it once per statement."""
    from django.db.models import IntegerField, Value
    from django.db.models.expressions import RawSQL

    try:
        sql, params = queryset.order_by().values("pk")[: cap + 1].query.sql_with_params()
    except EmptyResultSet:
        return Value(0, output_field=IntegerField())
    return RawSQL(f"SELECT COUNT(*) FROM ({sql}) AS capped", params, output_field=IntegerField())
