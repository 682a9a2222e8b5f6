"""Full-text search over an article's title, excerpt and body.

Not a model field: the two databases need different machinery, so each gets its own DDL
(curation/search.py queries it):

- PostgreSQL: a stored generated `tsvector` column (title weighted A, excerpt B, body C,
  English stemming) with a GIN index. The database keeps it current on every INSERT and
  UPDATE, whatever code path writes.
- SQLite: an FTS5 external-content table `article_fts` over curation_article (the text is
  not stored twice), kept in sync by triggers, and filled from the existing rows here.

Other databases get nothing and search falls back to a slow `icontains` scan.
"""

from django.db import migrations

# left(): to_tsvector refuses to build a tsvector over 1 MB, and a seed body may be 2 MB;
# the first 200,000 characters are plenty to find an article by its words.
POSTGRES_FORWARD = [
    """
    ALTER TABLE curation_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(excerpt, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, left(coalesce(body, ''), 200000)), 'C')
    ) STORED
    """,
    "CREATE INDEX article_search_vector ON curation_article USING gin (search_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS article_search_vector",
    "ALTER TABLE curation_article DROP COLUMN IF EXISTS search_vector",
]

SQLITE_FORWARD = [
    """
    CREATE VIRTUAL TABLE article_fts USING fts5(
        title, excerpt, body,
        content='curation_article', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER IF NOT EXISTS article_fts_insert AFTER INSERT ON curation_article BEGIN
        INSERT INTO article_fts(rowid, title, excerpt, body) VALUES (new.id, new.title, new.excerpt, new.body);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS article_fts_delete AFTER DELETE ON curation_article BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, excerpt, body)
        VALUES ('delete', old.id, old.title, old.excerpt, old.body);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS article_fts_update AFTER UPDATE OF id, title, excerpt, body ON curation_article BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, excerpt, body)
        VALUES ('delete', old.id, old.title, old.excerpt, old.body);
        INSERT INTO article_fts(rowid, title, excerpt, body) VALUES (new.id, new.title, new.excerpt, new.body);
    END
    """,
    "INSERT INTO article_fts(article_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS article_fts_insert",
    "DROP TRIGGER IF EXISTS article_fts_delete",
    "DROP TRIGGER IF EXISTS article_fts_update",
    "DROP TABLE IF EXISTS article_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("curation", "0002_editorial_groups"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
            elidable=False,
        ),
    ]
