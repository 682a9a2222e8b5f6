"""Raw SQL of the stories: the index's key look-ups (an import's candidates) and the queue by
story's "first of its story" condition. Portable SQL, like queries.py; what differs between
the databases comes from `backend()`.
"""

from django.core.exceptions import EmptyResultSet
from django.db import connections

from curation.db import backend
from curation.db.base import RowCondition

# --- stories --------------------------------------------------------------------------------


def story_key_rows(keys, *, low, high, per_key, using="default"):
    """(key, item, published) rows of the story index for these keys: per key the `per_key`
    newest items published between `low` and `high` (datetimes), undated items first (a
    body-only item has no date and is always within reach); `published` in seconds since
    1970. One statement; the database walks the (key, published) index once per key and
    numbers the rows itself. The undated rows and the dated range are two branches: with
    "published IS NULL OR published BETWEEN ..." the index serves the key alone, and every
    row of a key, whatever its date, would be read."""
    from curation.models import StoryKey

    if not keys:
        return []
    connection = connections[using]
    quote = connection.ops.quote_name
    database = backend(using)
    key_in, key_params = database.in_integers_sql(quote("key"), keys)
    rows = f"SELECT {quote('key')}, item, published FROM {quote(StoryKey._meta.db_table)} WHERE {key_in}"
    sql = (
        f"SELECT {quote('key')}, item, {database.epoch_seconds_sql('published')} FROM ("
        f"SELECT {quote('key')}, item, published, ROW_NUMBER() OVER ("
        f"PARTITION BY {quote('key')} ORDER BY CASE WHEN published IS NULL THEN 0 ELSE 1 END, published DESC, item DESC"
        f") AS place FROM ({rows} AND published IS NULL UNION ALL {rows} AND published >= %s AND published <= %s) keyed"
        f") ranked WHERE place <= %s"
    )
    adapt = database.adapt_datetime
    with connection.cursor() as cursor:
        cursor.execute(sql, [*key_params, *key_params, adapt(low), adapt(high), int(per_key)])
        return cursor.fetchall()


def story_key_neighbourhood(
    keys, *, first, last, low, high, per_key, exclude, exclude_everywhere=False, using="default"
):
    """(key, item, published) rows of the story index for these keys around a run of items
    in arrival order, `first` and `last` their first and last dates (datetimes), each item
    then picking per key the rows nearest it (services.story_index): per key the `per_key`
    newest rows dated from `low` to before `first`, every row dated `first` to `last`, the
    `per_key` oldest after `last` up to `high` and the `per_key` newest undated ones, the
    last two leaving out the items of `exclude` (the run's own: they find these items, not
    the other way round), or all four with `exclude_everywhere` (the caller has the run's
    own rows in memory). `published` in seconds since 1970. One statement of four
    branches, each a range of the (key, published) index."""
    from curation.models import StoryKey

    if not keys:
        return []
    connection = connections[using]
    quote = connection.ops.quote_name
    database = backend(using)
    key, table = quote("key"), quote(StoryKey._meta.db_table)
    key_in, key_params = database.in_integers_sql(key, keys)
    excluded, excluded_params = database.in_integers_sql("item", exclude)
    seconds = database.epoch_seconds_sql("published")

    def first_of_each(where, order):
        return (
            f"SELECT {key}, item, {seconds} FROM (SELECT {key}, item, published, ROW_NUMBER() OVER ("
            f"PARTITION BY {key} ORDER BY {order}) AS place FROM {table} WHERE {key_in} AND {where}) ranked "
            "WHERE place <= %s"
        )

    earlier = f" AND NOT ({excluded})" if exclude_everywhere else ""
    earlier_params = excluded_params if exclude_everywhere else []
    sql = " UNION ALL ".join(
        (
            first_of_each(f"published >= %s AND published < %s{earlier}", "published DESC, item DESC"),
            f"SELECT {key}, item, {seconds} FROM {table} WHERE {key_in} AND published >= %s AND published <= %s{earlier}",
            first_of_each(f"published > %s AND published <= %s AND NOT ({excluded})", "published, item"),
            first_of_each(f"published IS NULL AND NOT ({excluded})", "item DESC"),
        )
    )
    low, first, last, high = (database.adapt_datetime(value) for value in (low, first, last, high))
    per_key = int(per_key)
    params = [
        *key_params, low, first, *earlier_params, per_key,
        *key_params, first, last, *earlier_params,
        *key_params, last, high, *excluded_params, per_key,
        *key_params, *excluded_params, per_key,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- the queue by story: a row stands for its story when no member the filters keep is ahead ---

_FIRST_OF_STORY = {}  # (vendor, column, descending, nullable): the condition's SQL, bar the filters


def first_of_story_condition(queryset, *, field, descending, nullable):
    """A condition on the rows of `queryset` (an Article queryset, filtered): the row is in
    no story, or no other article of its story that `queryset` keeps comes before it in the
    order of `field` (`descending` or not; with `nullable`, missing values last whatever
    the direction; ids as the tie-breaker). None when `queryset` can match nothing.

    Per row, one probe of the (story, ...) index for the members ahead of it, and for each
    one a primary-key probe that applies the queue's filters to it. The filters are the
    queryset's own SQL, compiled once: the same condition built with the ORM (an Exists over
    the filtered queryset, relabelled) was rebuilt and recompiled for every segment of the
    keyset walk. The rest of the statement depends only on the sort and is kept per process.
    Inside the probe the filters name the table unaliased, as compiled: the nearest FROM of
    that name, the probed row; the outer row is `{table}`, whatever alias its query gives it.
    """
    from curation.models import Article

    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    member = "story_member"
    probed = queryset.filter(RowCondition(f"{{pk}} = {member}.{quote('id')}", ())).order_by().values("pk")
    try:
        filtered, params = probed.query.sql_with_params()
    except EmptyResultSet:
        return None
    column = Article._meta.get_field(field).column
    key = (connection.vendor, column, descending, nullable)
    template = _FIRST_OF_STORY.get(key)
    if template is None:
        template = _FIRST_OF_STORY[key] = _first_of_story_template(quote, member, column, descending, nullable)
    escaped = filtered.replace("{", "{{").replace("}", "}}")  # RowCondition formats the template
    return RowCondition(template.replace("<filtered>", escaped), params)


def _first_of_story_template(quote, member, column, descending, nullable):
    from curation.models import Article

    after = ">" if descending else "<"
    mine, theirs = f"{member}.{quote(column)}", f"{{table}}.{quote(column)}"
    my_id, their_id = f"{member}.{quote('id')}", f"{{table}}.{quote('id')}"
    ahead = f"({mine} {after} {theirs} OR ({mine} = {theirs} AND {my_id} {after} {their_id}))"
    if nullable:
        # The outer row has a value: members with a value ahead of it. It has none: every
        # member with a value, and those without one ahead by id.
        ahead = (
            f"(({theirs} IS NOT NULL AND {ahead}) OR "
            f"({theirs} IS NULL AND ({mine} IS NOT NULL OR {my_id} {after} {their_id})))"
        )
    story = quote(Article._meta.get_field("story").column)
    return (
        f"({{table}}.{story} IS NULL OR NOT EXISTS (SELECT 1 FROM {quote(Article._meta.db_table)} {member} "
        f"WHERE {member}.{story} = {{table}}.{story} AND {my_id} <> {their_id} AND {ahead} "
        "AND EXISTS (<filtered>)))"
    )
