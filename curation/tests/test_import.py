"""import_seeds: shapes, identity, re-import, editorial safety, the ledger and the command's output."""

import gc
import os
import signal
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from curation.db import backend
from curation.models import Article, ImportLedgerEntry, ImportRun, RelatedCoverage
from curation.seedformat import SeedLimits, parse_seed_batch
from curation.services import editorial, importing
from curation.services.importing import import_seed_files
from curation.services.importing import pool as parse_pool
from curation.services.importing import service as import_service
from curation.tests.factories import make_user, seed_text, valid_front_matter

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
REAL_SEEDS = ROOT / "fixtures" / "real-seeds"
SHARED_SEEDS = ROOT.parent / "shared" / "seeds"
SAMPLE_SEEDS = ROOT / "fixtures" / "seeds"


def run_import(*paths, **options):
    """Run the command as an operator would; returns (exit code, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("import_seeds", *[str(p) for p in paths], stdout=out, stderr=err, **options)
        code = 0
    except CommandError as exc:
        err.write(str(exc))
        code = exc.returncode
    return code, out.getvalue(), err.getvalue()


def write(folder, name, text, encoding="utf-8"):
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return path


# --- the real seeds ---------------------------------------------------------------------


@pytest.mark.parametrize("folder", [REAL_SEEDS, SHARED_SEEDS], ids=["bundled-copy", "shared"])
def test_real_seeds_import_in_both_shapes(folder):
    if not folder.exists():
        pytest.skip(f"{folder} is not present on this machine")
    code, out, _ = run_import(folder)

    assert code == 0
    assert "2 files: 2 created" in out
    article = Article.objects.get(has_front_matter=True)
    assert article.title == "Facebook orders creepy AI firm to stop scraping your Instagram photos"
    assert article.web_url.startswith("https://www.fastcompany.com/90461077/")
    assert article.quality == 37 and article.heat == -1
    assert article.published_at.isoformat() == "2020-02-06T15:15:00+00:00"
    assert article.provider.name == "Fast Company" and article.provider.domain == "fastcompany.com"
    assert [t.name for t in article.topics.all()] == ["AI"]
    assert article.images.get().width == 1280
    assert article.related.count() == 5
    engadget = article.related.get(provider__name="Engadget")
    assert engadget.quality == 87 and engadget.amp_url.startswith("https://www.engadget.com/amp/")
    assert engadget.images[0]["width"] == 600
    assert article.secured.startswith("y7xzgTeUWYYeeV3hRr+YYsFZopMKeWCMwg1tXuNOk5BZ")
    assert article.secured.endswith(";+I2Y+6uJS0FHmbLJ0wJEVQ==")
    assert article.body.strip() == ""  # front matter and no body (the text after it is kept as is)
    assert not article.needs_metadata

    body_only = Article.objects.get(has_front_matter=False)
    assert body_only.needs_metadata
    assert body_only.title.startswith("Facebook has joined YouTube, Twitter and the Venmo payment service")
    assert body_only.body.startswith(" date 2020-02-05 advertisement\n\nFacebook has joined")
    assert "Clearview’s attorney Tor Ekeland" in body_only.body
    assert body_only.state == Article.State.NEW


def test_sample_fixtures_import_cleanly():
    code, out, err = run_import(SAMPLE_SEEDS)
    assert code == 0, err
    files = len(list(SAMPLE_SEEDS.iterdir()))
    assert f"{files} files: {files} created, 0 updated, 0 unchanged, 0 failed" in out
    assert Article.objects.needing_metadata().count() == 4
    # A related item whose URL is also an imported article links to it.
    assert RelatedCoverage.objects.filter(linked_article__isnull=False).exists()


def test_crlf_and_bom_files_read_like_plain_ones(tmp_path):
    text = seed_text(body="First paragraph.\n\nSecond one.\n", **valid_front_matter(1))
    write(tmp_path / "a", "plain.txt", text)
    write(tmp_path / "b", "windows.txt", "\ufeff" + text.replace("\n", "\r\n"))

    run_import(tmp_path / "a")
    plain = Article.objects.get()
    fields = (plain.title, plain.body, plain.front_matter_raw, plain.content_sha256)
    code, out, _ = run_import(tmp_path / "b")

    assert code == 0 and "1 unchanged" in out  # same content, so the same article, unchanged
    plain.refresh_from_db()
    assert (plain.title, plain.body, plain.front_matter_raw, plain.content_sha256) == fields
    assert "\r" not in plain.body


# --- discovery ------------------------------------------------------------------------


def test_folders_are_walked_recursively_skipping_hidden_and_other_files(tmp_path):
    write(tmp_path, "a.txt", seed_text(**valid_front_matter(1)))
    write(tmp_path, "deep/er/b.md", seed_text(**valid_front_matter(2)))
    write(tmp_path, ".hidden.txt", seed_text(**valid_front_matter(3)))
    write(tmp_path, ".git/c.txt", seed_text(**valid_front_matter(4)))
    write(tmp_path, "notes.json", "{}")
    os.symlink(tmp_path, tmp_path / "deep" / "loop")  # a symlink loop must not hang or duplicate

    code, out, _ = run_import(tmp_path)

    assert code == 0
    assert "2 files: 2 created" in out
    assert set(Article.objects.values_list("title", flat=True)) == {"Seed title 1", "Seed title 2"}


def test_missing_path_is_a_usage_error_and_imports_nothing(tmp_path):
    write(tmp_path, "a.txt", seed_text(**valid_front_matter(1)))
    code, _, err = run_import(tmp_path, tmp_path / "nope")
    assert code == 2
    assert "nope" in err
    assert not Article.objects.exists()


# --- identity and re-import ------------------------------------------------------------


def test_reimporting_an_unchanged_file_changes_nothing(tmp_path):
    write(tmp_path, "a.txt", seed_text(body="Body.\n", **valid_front_matter(1)))
    run_import(tmp_path)
    before = list(Article.objects.values())

    code, out, _ = run_import(tmp_path)

    assert code == 0 and "1 unchanged" in out
    assert list(Article.objects.values()) == before
    assert ImportLedgerEntry.objects.filter(status="unchanged").count() == 1


def test_a_changed_file_updates_the_imported_fields(tmp_path):
    path = write(tmp_path, "a.txt", seed_text(body="Body.\n", **valid_front_matter(1)))
    run_import(tmp_path)
    write(
        tmp_path,
        "a.txt",
        seed_text(body="New body.\n", **valid_front_matter(1, title="Corrected title", quality=150, topics=["Space"])),
    )

    code, out, _ = run_import(path)

    assert code == 0 and "1 updated" in out
    article = Article.objects.get()
    assert (article.title, article.body, article.quality) == ("Corrected title", "New body.\n", 150)
    assert [t.name for t in article.topics.all()] == ["Space"]
    assert article.images.count() == 1  # children replaced, not duplicated
    assert article.source_changed_at is None  # nobody had touched it


def test_reimport_never_overwrites_an_editors_decision_or_edits(tmp_path):
    editor = make_user(role="editor")
    write(tmp_path, "a.txt", seed_text(body="Body.\n", **valid_front_matter(1)))
    run_import(tmp_path)
    article = Article.objects.get()
    editorial.edit_article(
        article=article, user=editor, title="Editor's headline", topics=["Chosen"], create_topics=["Chosen"]
    )
    editorial.publish_article(article=article, user=editor)
    write(
        tmp_path,
        "a.txt",
        seed_text(body="Body v2.\n", **valid_front_matter(1, title="Source retitled", excerpt="New excerpt")),
    )

    code, out, _ = run_import(tmp_path, verbosity=1)

    assert code == 0 and "1 updated" in out
    assert "source changed after editorial work" in out
    article.refresh_from_db()
    assert article.state == Article.State.PUBLISHED
    assert article.title == "Editor's headline"
    assert [t.name for t in article.topics.all()] == ["Chosen"]
    assert article.excerpt == "New excerpt" and article.body == "Body v2.\n"  # not edited: updated
    assert article.source_changed_at is not None
    assert article.actions.count() == 2  # the import wrote no audit row of its own


def test_a_file_differing_only_in_secured_is_unchanged_but_keeps_the_newest_blob(tmp_path):
    write(tmp_path, "a.txt", seed_text(body="Body.\n", **valid_front_matter(1, secured="old-blob")))
    run_import(tmp_path)
    write(tmp_path, "a.txt", seed_text(body="Body.\n", **valid_front_matter(1, secured="new-blob")))

    code, out, _ = run_import(tmp_path)

    assert code == 0 and "1 unchanged" in out
    article = Article.objects.get()
    assert article.secured == "new-blob"
    assert "new-blob" in article.front_matter_raw


def test_body_only_items_are_identified_by_their_text(tmp_path):
    write(tmp_path, "one.txt", "Dateline\n\nThe council voted on Tuesday to extend the night bus network.\n")
    write(tmp_path, "copy/two.txt", "Dateline\n\nThe council voted on Tuesday to extend the night bus network.\n")
    write(tmp_path, "other.txt", "A different story entirely, told in one line of prose.\n")

    code, out, err = run_import(tmp_path)

    # The copy names the same item: it fails, naming the first (test_import_same_article.py).
    assert code == 1
    assert "2 created" in out and "1 failed" in out
    assert f"{tmp_path / 'copy' / 'two.txt'}: the same article as {tmp_path / 'one.txt'}, earlier in this run" in err
    item = Article.objects.get(title__startswith="The council")
    assert item.needs_metadata and not item.has_front_matter
    assert item.title == "The council voted on Tuesday to extend the night bus network."


def test_two_files_with_the_same_url_in_one_run_make_one_article(tmp_path):
    write(tmp_path, "a.txt", seed_text(**valid_front_matter(1, title="First version")))
    write(tmp_path, "b.txt", seed_text(**valid_front_matter(1, title="Second version")))

    code, out, _ = run_import(tmp_path)

    # The first file is imported, the second fails (test_import_same_article.py).
    assert code == 1 and "1 created, 0 updated, 0 unchanged, 1 failed" in out
    assert Article.objects.get().title == "First version"


def test_related_coverage_links_whichever_file_comes_first(tmp_path):
    covered = valid_front_matter(2)
    write(
        tmp_path,
        "a.txt",
        seed_text(**valid_front_matter(1, related=[{"title": "Same story", "webUrl": covered["webUrl"]}])),
    )
    write(tmp_path, "b.txt", seed_text(**covered))
    run_import(tmp_path / "a.txt")
    assert RelatedCoverage.objects.get().linked_article is None
    run_import(tmp_path / "b.txt")
    assert RelatedCoverage.objects.get().linked_article == Article.objects.get(web_url=covered["webUrl"])


def test_coverage_links_are_completed_after_the_run_when_another_import_overlapped(tmp_path):
    # The other import's article was committed after this run's batch looked (simulated
    # by unlinking it again): the end-of-run pass links it, because the runs overlapped.
    covered = valid_front_matter(2)
    write(tmp_path, "b.txt", seed_text(**covered))
    run_import(tmp_path / "b.txt")
    ImportRun.objects.update(finished_at=None)  # still running, as far as anyone can tell
    write(
        tmp_path,
        "a.txt",
        seed_text(**valid_front_matter(1, related=[{"title": "Same story", "webUrl": covered["webUrl"]}])),
    )
    write_children = importing.SeedWriter._write_children

    def write_children_blind_to_b(self, written):  # as if b were still uncommitted
        write_children(self, written)
        RelatedCoverage.objects.update(linked_article=None)

    with mock.patch.object(importing.SeedWriter, "_write_children", write_children_blind_to_b):
        import_seed_files([tmp_path / "a.txt"], workers=0)
    assert RelatedCoverage.objects.get().linked_article == Article.objects.get(web_url=covered["webUrl"])


@pytest.mark.parametrize(
    ("other_started", "other_finished", "overlapped"),
    [
        (None, None, False),  # no other run at all
        (-120, -60, False),  # finished before this one started
        (-120, None, True),  # still running, or killed a moment ago: counted, to be safe
        (-3600, "beat -1000", False),  # killed with -9: its last batch long before this one started
        (-3600, "beat -800", True),  # silent less than IMPORT_STALE_AFTER_MINUTES (15) before: counted
        (-3600, "beat 5", True),  # its last batch during this one
        (-120, 30, True),  # finished while this one ran
        (2, 5, True),  # started and finished while this one ran
        (-120, "stopped -60", False),  # stopped by Ctrl-C or SIGTERM before this one started
        (-120, "stopped 5", True),  # stopped while this one ran
    ],
)
def test_an_import_knows_whether_another_ran_alongside(other_started, other_finished, overlapped):
    now = timezone.now()
    run = ImportRun.objects.create(started_at=now - timedelta(seconds=10))
    if other_started is not None and str(other_finished).startswith("beat"):
        beat = run.started_at + timedelta(seconds=int(other_finished.split()[1]))
        ImportRun.objects.create(started_at=run.started_at + timedelta(seconds=other_started), heartbeat_at=beat)
    elif other_started is not None:
        stopped = isinstance(other_finished, str)
        ended = None if other_finished is None else run.started_at + timedelta(
            seconds=int(other_finished.split()[1]) if stopped else other_finished
        )
        ImportRun.objects.create(
            started_at=run.started_at + timedelta(seconds=other_started),
            finished_at=None if stopped else ended,
            stopped_at=ended if stopped else None,
        )
    assert import_service._ran_alongside_another_import(run) is overlapped


@pytest.mark.skipif(backend().vendor != "postgresql", reason="PostgreSQL planner statistics")
def test_a_first_import_gives_the_postgres_planner_statistics(tmp_path):
    def planner_row_estimate():
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'curation_article'")
            return cursor.fetchone()[0]

    # More than the planner believes the table holds (rows of earlier tests rolled back
    # may linger in its estimate), so the import at least doubles the table.
    count = max(int(planner_row_estimate()), 0) + 40
    for n in range(count):
        write(tmp_path, f"{n}.txt", seed_text(**valid_front_matter(n)))
    import_seed_files([tmp_path], workers=0)
    # Without the ANALYZE, the planner would still believe the table empty (or as small
    # as before) and scan it whole for every batch's lookups.
    assert planner_row_estimate() == count
    # ... from a small sample (it runs on the import's critical path): a histogram of at
    # most 10 buckets over the distinct keys, where the server's default gives a bound per row.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_length(histogram_bounds::text::text[], 1) FROM pg_stats"
            " WHERE tablename = 'curation_article' AND attname = 'source_key'"
        )
        assert cursor.fetchone()[0] == 11


@pytest.mark.skipif(backend().vendor != "postgresql", reason="PostgreSQL TOAST compression")
def test_postgresql_stores_long_article_text_lz4_compressed_and_reads_it_back_exactly(tmp_path):
    excerpt = "The council met again on Tuesday to discuss the budget. " * 80  # well over 2 KB
    path = write(tmp_path, "long.txt", seed_text(body="Body.\n" * 500, **valid_front_matter(1, excerpt=excerpt)))

    import_seed_files([path], workers=0)

    article = Article.objects.get()
    assert article.excerpt == excerpt and article.body == "Body.\n" * 500
    assert article.front_matter_raw in path.read_text()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(front_matter_raw), pg_column_compression(excerpt) FROM curation_article"
        )
        assert cursor.fetchone() == ("lz4", "lz4")


def test_import_runs_the_cycle_collector_rarely_then_restores_it(tmp_path, monkeypatch):
    seen_while_writing = []
    database = type(backend())
    real_insert_rows = database.insert_rows

    def spy(self, model, rows, **options):
        if model in (Article, ImportLedgerEntry):  # the writer's rows (stories write theirs after)
            seen_while_writing.append((gc.get_threshold()[0], gc.get_freeze_count()))
        return real_insert_rows(self, model, rows, **options)

    monkeypatch.setattr(database, "insert_rows", spy)
    thresholds = gc.get_threshold()
    write(tmp_path, "a.txt", seed_text(body="Body.\n", **valid_front_matter(1)))

    code, _, _ = run_import(tmp_path)

    assert code == 0 and Article.objects.count() == 1
    # While writing: the objects that existed before are frozen, young ones wait for 50,000.
    assert seen_while_writing and all(first == 50_000 and frozen > 1000 for first, frozen in seen_while_writing)
    assert gc.get_threshold() == thresholds and gc.get_freeze_count() == 0


def test_import_leaves_objects_the_process_froze_itself_frozen(tmp_path):
    write(tmp_path, "a.txt", seed_text(body="Body.\n", **valid_front_matter(1)))
    gc.freeze()  # as a server process may have done after forking
    try:
        frozen = gc.get_freeze_count()
        code, _, _ = run_import(tmp_path)
        assert code == 0
        # Frozen objects still die when their last reference goes (a cache cleared during
        # the import: a few dozen, depending on what earlier tests left); an unfreeze would
        # leave none frozen at all.
        assert gc.get_freeze_count() > frozen // 2
    finally:
        gc.unfreeze()


def test_batch_lookups_by_identity_and_file_hash_ask_the_database_for_no_sort(tmp_path):
    for n in range(3):
        write(tmp_path, f"{n}.txt", seed_text(**valid_front_matter(n)))
    import_seed_files([tmp_path], workers=0)
    articles = list(Article.objects.all())
    keys = [article.source_key for article in articles[:2]]
    hashes = [article.source_sha256 for article in articles[1:]]

    with CaptureQueriesContext(connection) as queries:
        by_key = set(Article.objects.with_source_keys(keys).values_list("pk", flat=True))
        by_hash = set(Article.objects.with_file_hashes(hashes).values_list("pk", flat=True))

    assert by_key == {article.pk for article in articles[:2]}
    assert by_hash == {article.pk for article in articles[1:]}
    assert not [query["sql"] for query in queries if "ORDER BY" in query["sql"]]


def test_bulk_rows_store_every_column_type_exactly(tmp_path):
    # The importer's own bulk insert (binary COPY on PostgreSQL, executemany on SQLite):
    # text with the characters a text format must escape, JSON given as text, NULLs,
    # defaults, timestamps and large integers all read back as they went in.
    path = write(tmp_path, "a.txt", seed_text(**valid_front_matter(1)))
    import_seed_files([path], workers=0)
    article = Article.objects.get()
    awkward = "tab\there\nnew line\\back\\slash \\N 'quote' \"double\" \u00e9\u00e8 \u4e2d\u6587 \U0001f4f0 \r end"
    published = timezone.now().replace(microsecond=123456)

    backend().insert_rows(
        RelatedCoverage,
        [
            {
                "article_id": article.pk,
                "position": 7,
                "title": awkward,
                "excerpt": "",
                "url_key": "k" * 64,
                "published_at": published,
                "quality": 189,
                "heat": -1,
                "images": '[{"url": "https://i.example/\u00e9.jpg"}]',
            },
            {"article_id": article.pk, "title": "defaults"},
        ],
        json_encoded={"images"},
    )
    backend().insert_rows(
        ImportLedgerEntry,
        [
            {
                "run_id": ImportRun.objects.get().pk,
                "path": awkward,
                "size": 2**40,
                "status": "created",
                "created_at": published,
            }
        ],
    )

    first, second = RelatedCoverage.objects.filter(article=article).order_by("-position")
    assert (first.title, first.position, first.quality, first.heat) == (awkward, 7, 189, -1)
    assert first.published_at == published and first.images == [{"url": "https://i.example/\u00e9.jpg"}]
    assert (second.position, second.published_at, second.quality, second.images, second.linked_article_id) == (
        0,
        None,
        None,
        [],
        None,
    )
    entry = ImportLedgerEntry.objects.get(path=awkward)
    assert entry.size == 2**40 and entry.created_at == published and entry.article_id is None


def test_worker_processes_give_the_same_result(tmp_path):
    for n in range(30):
        write(tmp_path, f"{n:02d}.txt", seed_text(body=f"Body {n}\n", **valid_front_matter(n)))
    write(tmp_path, "bad.txt", "---\ntitle: [unclosed\n---\n")

    report = import_seed_files([tmp_path], workers=2, batch_size=7)

    assert report.counts == {"files": 31, "created": 30, "updated": 0, "unchanged": 0, "failed": 1}
    assert Article.objects.count() == 30
    assert [r.path for r in report.results] == sorted(str(p) for p in tmp_path.iterdir())


def test_parse_workers_return_every_file_in_the_order_submitted(monkeypatch):
    # Chunks go to whichever worker has least to do; whoever parsed a chunk, the results
    # come back complete and in the order submitted.
    monkeypatch.setattr(parse_pool, "CHUNK_SIZE", 2)
    payloads = [(index, seed_text(**valid_front_matter(index)).encode()) for index in range(40)]
    payloads[7] = (7, b"---\ntitle: [unclosed\n---\n")
    pool = parse_pool.ParsePool(2, limits=SeedLimits())
    try:
        results = pool.submit(payloads)()
    finally:
        pool.close()
    expected = parse_seed_batch(payloads)
    assert [index for index, _ in results] == list(range(40))
    assert [getattr(outcome, "web_url", outcome) for _, outcome in results] == [
        getattr(outcome, "web_url", outcome) for _, outcome in expected
    ]
    assert "not valid YAML" in results[7][1]


def test_a_worker_that_gets_no_cpu_does_not_hold_up_the_batch(monkeypatch):
    # A worker on a busy machine may not run for seconds: the other takes over the
    # chunks it has not started, and parses a copy of the one it holds, without waiting
    # for that worker's deadline (files' limits plus GRACE_SECONDS).
    monkeypatch.setattr(parse_pool, "CHUNK_SIZE", 2)
    payloads = [(index, seed_text(**valid_front_matter(index)).encode()) for index in range(40)]
    pool = parse_pool.ParsePool(2, limits=SeedLimits())
    try:
        pool.submit(payloads[:2])()  # both workers exist
        stalled = pool.workers[-1]
        os.kill(stalled.process.pid, signal.SIGSTOP)
        started = time.monotonic()
        results = pool.submit(payloads)()
        took = time.monotonic() - started
        os.kill(stalled.process.pid, signal.SIGCONT)
    finally:
        pool.close()
    assert [index for index, _ in results] == list(range(40))
    assert all(outcome.web_url.endswith(f"/{index}") for index, outcome in results)
    assert took < parse_pool.GRACE_SECONDS / 2
