"""An index for the public listings (pages, feeds, API) on PostgreSQL.

Readers see published items newest first with undated items last:
`ORDER BY published_at DESC NULLS LAST, id DESC`. PostgreSQL's default for DESC is NULLS
FIRST, so the model's (state, -published_at, -id) index cannot serve that order and a
1M-row table would be sorted on every request. This partial index (published rows only)
serves it directly. SQLite already sorts NULLs last under DESC, so its existing index
serves the same query and it needs nothing.

Not a model index: Django cannot express a partial index whose ordering differs per
backend, and keeping it out of the model state keeps `makemigrations` quiet.
"""

from django.db import migrations

INDEX = "article_public_listing"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON curation_article "
            "(published_at DESC NULLS LAST, id DESC) WHERE state = 'published'"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("curation", "0003_article_fulltext_search")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
