"""Fill a benchmark database with N synthetic articles, fast.

    DATABASE_URL=sqlite:///bench/results/bench-1m.sqlite3 .venv/bin/python bench/dataset.py --articles 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/dataset.py --articles 1000000

It migrates the database, empties the article tables (--reset, refused on anything that
looks like a real database), then writes providers, topics, articles, their topics, images and
related coverage with raw bulk statements (executemany on SQLite, COPY on PostgreSQL), with
the secondary indexes and the SQLite full-text triggers dropped during the load and
rebuilt after it, and ends with ANALYZE. The data is deterministic for a given --seed.

Shape: thousands of providers and hundreds of topics (both Zipf-like: a few are very
common), 60 % new / 30 % published / 10 % rejected, quality 0-189, heat unknown for half,
published dates spread over ten years and mostly following import order, 80 % with
images, 30 % with related coverage, English-like text from a Zipf vocabulary (see
`vocabulary()`, which the benchmark uses to pick search words of known frequency), and about
a third of the articles in stories of 2-6 consecutive articles (the story tables are what
the queue by story and the feeds read; the text does not make them, see
bench/stories_bench.py for clustering itself).
"""

import argparse
import hashlib
import io
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

BASE_WORDS = """
the of and to in a is that for it as was with be by on not he this are or his from at which but have an
they you were her she there been one all we their has would when what will more if no out so said up its
about than into them can only other new some could time these two may then do first any my now such like
our over man me even most made after also did many before must through back years where much your way
well down should because each just those people how too little state good very make world still own see
men work long get here between both life being under never day same another know while last might us
great old year off come since against go came right used take three government minister election vote
policy climate energy market bank economy health school court police city council report study data
company price trade war peace border army health virus vaccine hospital doctor science space research
water river storm flood fire heat weather farm food oil gas power coal wind solar nuclear carbon tax
budget debt job wage union strike worker factory car train airport flight ship port road bridge house
rent home family child student teacher university parliament senate president leader party campaign
poll result team match goal player coach league cup final season record music film book art museum
festival game phone app software internet network security privacy hacker cloud chip robot drone
satellite rocket moon planet galaxy ocean forest glacier island desert mountain village capital
""".split()


def vocabulary(size=6000, seed=7):
    """The word list, most frequent first: real words, then made-up ones from syllables."""
    rng = random.Random(seed)
    words = list(dict.fromkeys(BASE_WORDS))
    syllables = ["ka", "lo", "mi", "ter", "sun", "dra", "vel", "on", "ix", "bar", "qu", "el", "pho", "rin",
                 "tas", "mor", "gen", "ul", "zeb", "tri", "an", "cor", "pel", "vis"]
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def zipf_weights(n, s=1.05):
    weights, total = [], 0.0
    for rank in range(1, n + 1):
        total += 1.0 / rank**s
        weights.append(total)
    return weights


STATES = ["new"] * 6 + ["published"] * 3 + ["rejected"]
CATEGORIES = ["news", "business", "tech", "science", "sport", "culture", "politics", "health", "world", "opinion"]
TYPES = ["article", "article", "article", "video", "gallery", "liveblog"]


def check_target(connection, reset):
    """Refuse databases that look like someone's real data."""
    settings = connection.settings_dict
    name = str(settings["NAME"])
    if connection.vendor == "sqlite":
        if Path(name).resolve() == (ROOT / "db.sqlite3").resolve() or name == ":memory:":
            sys.exit(f"refusing to fill {name}: use a separate file, e.g. bench/results/bench.sqlite3")
    elif name in {"test", "postgres", "newsroom"} or name.startswith("test_"):
        sys.exit(f"refusing to fill database {name!r}: create a separate one, e.g. `createdb bench`")
    from curation.models import Article

    if Article.objects.exists() and not reset:
        sys.exit(f"{name} already holds articles: pass --reset to empty it first")


BULK_TABLES = ["curation_article", "curation_article_topics", "curation_articleimage", "curation_relatedcoverage"]


def drop_secondary_indexes(connection):
    """Drop non-unique indexes on the bulk tables; returns the DDL to recreate them."""
    ddl = []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            placeholders = ",".join(["%s"] * len(BULK_TABLES))
            cursor.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
                f"AND sql NOT LIKE 'CREATE UNIQUE%%' AND tbl_name IN ({placeholders})", BULK_TABLES)
            for name, sql in cursor.fetchall():
                ddl.append(sql)
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'article_fts_%'")
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER "{name}"')  # put back (with a rebuild) by repair_search_index
        else:
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
                "AND i.tablename = ANY(%s) AND i.indexdef NOT LIKE 'CREATE UNIQUE%%' "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)", [BULK_TABLES])
            for name, sql in cursor.fetchall():
                ddl.append(sql)
                cursor.execute(f'DROP INDEX "{name}"')
    return ddl


def empty_tables(connection):
    tables = ["curation_editorialaction", "curation_importledgerentry", "curation_importrun", *reversed(BULK_TABLES),
              "curation_storykey", "curation_storyedge", "curation_storyfeatures", "curation_storydecision",
              "curation_story", "curation_provider", "curation_topic"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                cursor.execute(f'DELETE FROM "{table}"')
            if cursor.execute("SELECT 1 FROM sqlite_master WHERE name='article_fts'").fetchone():
                cursor.execute("INSERT INTO article_fts(article_fts) VALUES ('delete-all')")


class Writer:
    """Batched raw inserts: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, connection):
        self.connection = connection

    def write(self, table, columns, rows):
        if not rows:
            return
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                cols = ", ".join(f'"{c}"' for c in columns)
                with cursor.cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(columns))
                cols = ", ".join(f'"{c}"' for c in columns)
                cursor.cursor.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', rows)


def article_columns(connection):
    """Every concrete column of Article; columns added after this script was written get
    their model default, so the generator keeps working as the model grows."""
    from curation.models import Article

    known = {}
    for field in Article._meta.concrete_fields:
        known[field.column] = field
    return known


def generate(options, connection, log):
    rng = random.Random(options.seed)
    words = vocabulary()
    word_weights = zipf_weights(len(words))
    n = options.articles
    writer = Writer(connection)
    is_pg = connection.vendor == "postgresql"

    def sentence(k):
        text = " ".join(rng.choices(words, cum_weights=word_weights, k=k))
        return text[0].upper() + text[1:] + "."

    log(f"pools: {options.sentences} sentences")
    sentences = [sentence(rng.randint(6, 18)) for _ in range(options.sentences)]

    # Providers and topics, Zipf-distributed in use.
    providers = [(i, f"Provider {i} {rng.choice(words).title()}", f"provider{i}.example") for i in
                 range(1, options.providers + 1)]
    writer.write("curation_provider", ["id", "name", "domain"], providers)
    topic_names = list(dict.fromkeys(w.title() for w in words[150:150 + options.topics * 2]))[: options.topics]
    topics = [(i, name, f"{name.lower()}-{i}") for i, name in enumerate(topic_names, 1)]
    writer.write("curation_topic", ["id", "name", "slug"], topics)
    provider_weights = zipf_weights(len(providers), 0.9)
    topic_weights = zipf_weights(len(topics), 1.0)
    provider_ids = [p[0] for p in providers]
    topic_ids = [t[0] for t in topics]

    fields = article_columns(connection)
    explicit = ["id", "source_key", "title", "excerpt", "body", "category", "article_type", "web_url", "amp_url",
                "cdn_amp_url", "published_at", "quality", "heat", "source_published", "provider_id", "secured",
                "front_matter_raw", "has_front_matter", "needs_metadata", "has_images", "related_count",
                "source_path", "source_sha256", "content_sha256", "body_sha256", "imported_at",
                "source_updated_at", "source_changed_at", "state", "version", "state_changed_at",
                "state_changed_by_id", "rejection_reason", "merged_into_id", "edited_fields", "canonical_url", "story_id"]
    extra = []
    if "listed_at" in fields:  # the public order (migration 0016): when editors published it
        explicit.append("listed_at")
    for column, field in fields.items():
        if column not in explicit and not getattr(field, "generated", False):
            value = field.get_db_prep_save(field.get_default(), connection)
            if isinstance(value, (dict, list)):
                value = json.dumps(value)
            extra.append((column, value))
            log(f"column {column}: filled with its default {value!r}")
    missing = [c for c in explicit if c not in fields]
    if missing:
        sys.exit(f"the model no longer has columns {missing}: update bench/dataset.py")
    columns = explicit + [c for c, _ in extra]
    extra_values = tuple(v for _, v in extra)

    start = datetime(2016, 1, 1, tzinfo=UTC)
    span = timedelta(days=3650)
    step = span / n
    # Timestamps as ISO strings work for both backends (SQLite stores them so, COPY parses them).
    def ts(value):
        return value.isoformat(sep=" ") if is_pg else value.strftime("%Y-%m-%d %H:%M:%S.%f")

    empty_json = "[]"
    batch = options.batch
    article_rows, topic_rows, image_rows, related_rows, story_rows = [], [], [], [], []
    image_id = related_id = link_id = story_id = 0
    story_left = 0  # members of the open story still to come
    t0 = time.monotonic()

    def flush():
        writer.write("curation_story", ["id", "lead_id", "lead_by_editor", "size", "capped", "created_at", "updated_at"],
                     story_rows)
        writer.write("curation_article", columns, article_rows)
        writer.write("curation_article_topics", ["id", "article_id", "topic_id"], topic_rows)
        writer.write("curation_articleimage", ["id", "article_id", "position", "url", "width", "height", "title"],
                     image_rows)
        writer.write("curation_relatedcoverage",
                     ["id", "article_id", "position", "title", "excerpt", "web_url", "amp_url", "cdn_amp_url",
                      "url_key", "published_at", "article_type", "provider_id", "quality", "heat", "images",
                      "linked_article_id", "canonical_url"], related_rows)
        for rows in (article_rows, topic_rows, image_rows, related_rows, story_rows):
            rows.clear()

    randint, random_ = rng.randint, rng.random
    n_sent = len(sentences)
    for i in range(1, n + 1):
        imported = start + step * i
        published = imported - timedelta(hours=random_() * 72) if random_() < 0.97 else None
        if published is not None and random_() < 0.05:
            published -= timedelta(days=randint(1, 900))  # late imports of old stories
        title_words = rng.choices(words, cum_weights=word_weights, k=randint(5, 11))
        title = " ".join(title_words).capitalize()
        excerpt = " ".join(sentences[randint(0, n_sent - 1)] for _ in range(randint(1, 2)))
        paragraphs = [" ".join(sentences[randint(0, n_sent - 1)] for _ in range(randint(2, 4)))
                      for _ in range(randint(2, 4))]
        body = "\n\n".join(paragraphs)
        web_url = f"https://news{i % 97}.example/{i}/{title_words[0]}-{title_words[1]}"
        key = hashlib.sha256(f"url:{web_url}".encode()).hexdigest()
        state = STATES[randint(0, 9)]
        quality = int(min(189, rng.expovariate(1 / 40)))
        heat = -1 if random_() < 0.5 else randint(0, 100)
        has_images = random_() < 0.8
        related = randint(1, 4) if random_() < 0.3 else 0
        has_fm = random_() >= 0.01
        needs_metadata = (not has_fm) or random_() < 0.01
        provider = rng.choices(provider_ids, cum_weights=provider_weights)[0] if has_fm else None
        changed = imported + timedelta(hours=randint(1, 48)) if state != "new" else None
        if story_left == 0 and has_fm and i < n - 6 and random_() < 0.12:
            story_left = randint(2, 6)
            story_id += 1
            story_rows.append((story_id, i, False, story_left, False, ts(imported), ts(imported)))
        member_of = story_id if story_left else None
        story_left = max(0, story_left - 1)
        article_rows.append((
            i, key, title, excerpt, body, CATEGORIES[randint(0, 9)], TYPES[randint(0, 5)], web_url, "", "",
            ts(published) if published else None, quality, heat, state == "published", provider,
            f"opaque-{i}", f'title: "{title}"\nwebUrl: "{web_url}"\n', has_fm, needs_metadata, has_images,
            related, f"seeds/{i // 1000:04d}/{i}.txt", key, key, "", ts(imported), ts(imported),
            None, state, 1 if state == "new" else 2, ts(changed) if changed else None, None,
            "duplicate" if state == "rejected" else "", None, empty_json, web_url, member_of,
            *((ts(changed) if state == "published" else None,) if "listed_at" in fields else ()),
            *extra_values,
        ))
        for topic in set(rng.choices(topic_ids, cum_weights=topic_weights, k=randint(1, 3))):
            link_id += 1
            topic_rows.append((link_id, i, topic))
        if has_images:
            for position in range(1 if random_() < 0.85 else 2):
                image_id += 1
                image_rows.append((image_id, i, position, f"https://img{i % 13}.example/{i}/{position}.jpg",
                                   1280, 720, ""))
        for position in range(related):
            related_id += 1
            other = randint(1, n)
            related_rows.append((
                related_id, i, position, sentences[randint(0, n_sent - 1)][:80], "",
                f"https://other{other % 31}.example/{other}", "", "", "", ts(imported), "article",
                rng.choice(provider_ids), randint(0, 120), -1, empty_json, None, f"https://other{other % 31}.example/{other}",
            ))
        if i % batch == 0:
            flush()
            if i % (batch * 10) == 0:
                rate = i / (time.monotonic() - t0)
                log(f"  {i:>9,} articles ({rate:,.0f}/s)")
    flush()
    return {"articles": n, "providers": len(providers), "topics": len(topics), "topic_links": link_id,
            "images": image_id, "related": related_id, "stories": story_id}


def add_stories(connection, log, seed=1):
    """Put about a third of an existing bench database's articles into stories of 2-6
    consecutive articles (by id, as generate() does), for a database filled before the
    story tables existed (after `manage.py migrate`)."""
    from curation.db import backend
    from curation.models import Article, Story

    rng = random.Random(seed)
    ids = list(Article.objects.filter(has_front_matter=True).order_by("pk").values_list("pk", flat=True))
    now = datetime.now(UTC)
    stories, members, left, story_id = [], [], 0, 0
    for index, pk in enumerate(ids):
        if left == 0 and index < len(ids) - 6 and rng.random() < 0.12:
            left = rng.randint(2, 6)
            story_id += 1
            stories.append(Story(id=story_id, lead_id=pk, size=left, created_at=now, updated_at=now))
        if left:
            members.append((pk, story_id))
            left -= 1
    with connection.cursor() as cursor:
        cursor.execute("UPDATE curation_article SET story_id = NULL WHERE story_id IS NOT NULL")
    Story.objects.all().delete()
    Story.objects.bulk_create(stories, batch_size=5000)
    if connection.vendor == "postgresql":  # ids were given: move the sequence past them
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('curation_story', 'id'), %s)", [max(story_id, 1)])
    backend(connection.alias).update_by_id(Article, "story_id", members)
    log(f"{len(stories):,} stories of {len(members):,} articles")


def finish(connection, ddl, log):
    from curation.db import backend

    with connection.cursor() as cursor:
        for statement in ddl:
            t = time.monotonic()
            cursor.execute(statement)
            log(f"  {time.monotonic() - t:6.1f}s {statement[:110]}")
        if connection.vendor == "postgresql":
            for table in ["curation_article", "curation_provider", "curation_topic", "curation_story", *BULK_TABLES[1:]]:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))")
    t = time.monotonic()
    if backend(connection.alias).repair_search_index():
        log(f"  {time.monotonic() - t:6.1f}s full-text index rebuilt, triggers restored")


def analyze(connection, log):
    t = time.monotonic()
    with connection.cursor() as cursor:
        # VACUUM on PostgreSQL sets the visibility map, so index-only scans work as in production.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    log(f"  {time.monotonic() - t:6.1f}s ANALYZE")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--providers", type=int, default=3000)
    parser.add_argument("--topics", type=int, default=300)
    parser.add_argument("--sentences", type=int, default=50_000, help="size of the sentence pool for texts")
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reset", action="store_true", help="empty the article tables first")
    parser.add_argument("--add-stories", action="store_true", help="only put the existing articles into stories")
    options = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL"):
        sys.exit("set DATABASE_URL to a benchmark database (never the development or test database)")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    def log(message):
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    t0 = time.monotonic()
    call_command("migrate", verbosity=0)
    if options.add_stories:
        with transaction.atomic():
            add_stories(connection, log, options.seed)
        analyze(connection, log)
        log(f"done in {time.monotonic() - t0:.0f}s")
        return
    check_target(connection, options.reset)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -4000000")  # 4 GB of page cache for the load
            cursor.execute("PRAGMA synchronous = OFF")
            # Foreign keys are checked by the data's construction, not row by row: Django's
            # deferred keys make SQLite search the child table (without its dropped indexes)
            # for every parent row while a story's lead is still to come.
            cursor.execute("PRAGMA foreign_keys = OFF")
    else:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute("SET synchronous_commit = off")
    with transaction.atomic():
        ddl = drop_secondary_indexes(connection)  # first: it also drops the per-row FTS triggers
        empty_tables(connection)
    log(f"dropped {len(ddl)} secondary indexes for the load")
    with transaction.atomic():
        counts = generate(options, connection, log)
    log(f"loaded {counts} in {time.monotonic() - t0:.0f}s; rebuilding indexes")
    with transaction.atomic():
        finish(connection, ddl, log)
    analyze(connection, log)
    log(f"done in {time.monotonic() - t0:.0f}s")
    out = io.StringIO()
    json.dump({"database": str(connection.settings_dict["NAME"]), "vendor": connection.vendor, **counts,
               "seconds": round(time.monotonic() - t0)}, out)
    print(out.getvalue())


if __name__ == "__main__":
    main()
