"""The import's output: the text and JSON reports, dry runs, the ledger. (Parsing real seeds,
discovery and re-import are in test_import.py.)"""

import json
import os
import shutil
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext

from curation.db import backend
from curation.models import Article, ImportLedgerEntry, ImportRun, Topic
from curation.seedformat import SeedLimits
from curation.services import importing
from curation.services.importing import import_seed_files
from curation.services.importing import pool as parse_pool
from curation.tests.factories import seed_text, valid_front_matter
from curation.tests.test_import import REAL_SEEDS, SAMPLE_SEEDS, SHARED_SEEDS, run_import, write

pytestmark = pytest.mark.django_db

# --- output, dry run, ledger -------------------------------------------------------------


def test_json_output_lists_every_file(tmp_path):
    write(tmp_path, "a.txt", seed_text(**valid_front_matter(1)))
    write(tmp_path, "b.txt", "---\nwebUrl: javascript:alert(1)\ntitle: x\n---\n")

    code, out, _ = run_import(tmp_path, json=True)

    assert code == 1
    data = json.loads(out)
    assert data["counts"] == {"files": 2, "created": 1, "updated": 0, "unchanged": 0, "failed": 1}
    good, bad = data["files"]
    assert good == {
        "path": str(tmp_path / "a.txt"),
        "status": "created",
        "article": Article.objects.get().pk,
        "error": None,
    }
    assert bad["status"] == "failed" and bad["article"] is None and "webUrl" in bad["error"]


def test_dry_run_reports_without_writing(tmp_path):
    write(tmp_path, "a.txt", seed_text(**valid_front_matter(1)))
    write(tmp_path, "b.txt", seed_text(**valid_front_matter(1, title="dup")))
    write(tmp_path, "c.txt", seed_text(**valid_front_matter(2)))

    code, out, err = run_import(tmp_path, dry_run=True)

    # As the import would: the second file naming one article fails, naming the first.
    assert code == 1
    assert "Dry run" in out and "3 files: 2 created, 0 updated, 0 unchanged, 1 failed" in out
    assert f"{tmp_path / 'b.txt'}: the same article as {tmp_path / 'a.txt'}, earlier in this run" in err
    assert not Article.objects.exists()
    assert not ImportRun.objects.exists() and not ImportLedgerEntry.objects.exists()


def test_every_file_gets_a_ledger_row(tmp_path):
    write(tmp_path, "a.txt", seed_text(**valid_front_matter(1)))
    write(tmp_path, "b.txt", b"\xff\xfe not utf-8")
    run_import(tmp_path)

    run = ImportRun.objects.get()
    assert (run.created, run.failed, run.finished_at is not None) == (1, 1, True)
    good = ImportLedgerEntry.objects.get(path__endswith="a.txt")
    assert good.status == "created" and good.article == Article.objects.get() and len(good.sha256) == 64
    bad = ImportLedgerEntry.objects.failed().get()
    assert bad.path.endswith("b.txt") and "UTF-8" in bad.error and bad.size == 12


def test_notes_name_dropped_links(tmp_path):
    fm = valid_front_matter(1, images=[{"url": "javascript:alert(1)"}, {"url": "https://ok.example/i.jpg"}])
    write(tmp_path, "a.txt", seed_text(**fm))

    code, out, _ = run_import(tmp_path)

    assert code == 0
    assert "images[1]: dropped 'javascript:alert(1)'" in out
    assert list(Article.objects.get().images.values_list("url", flat=True)) == ["https://ok.example/i.jpg"]


def test_keys_the_model_does_not_know_are_kept(tmp_path):
    write(tmp_path, "a.txt", seed_text(**valid_front_matter(1, sentiment={"score": 0.4}, language="en")))
    run_import(tmp_path)
    raw = Article.objects.get().front_matter_raw
    assert "sentiment:" in raw and "score: 0.4" in raw and "language: en" in raw


def test_topics_with_colliding_slugs_stay_distinct(tmp_path):
    write(tmp_path, "a.txt", seed_text(**valid_front_matter(1, topics=["AI", "ai", "A.I."])))
    run_import(tmp_path)
    assert Topic.objects.count() == 3
    assert len(set(Topic.objects.values_list("slug", flat=True))) == 3


def test_copy_of_shared_seeds_matches_bundled_copy():
    if not SHARED_SEEDS.exists():
        pytest.skip("../shared/seeds is not present")
    for path in SHARED_SEEDS.iterdir():
        assert (REAL_SEEDS / path.name).read_bytes() == path.read_bytes()


def test_import_leaves_no_temporary_state_after_a_failed_batch(tmp_path, monkeypatch):
    """If the database refuses a batch, the files are retried one by one and the rest import."""
    for n in range(3):
        write(tmp_path, f"{n}.txt", seed_text(**valid_front_matter(n)))

    original = importing.SeedWriter._write
    calls = {"n": 0}

    def flaky(self, items):
        calls["n"] += 1
        if len(items) > 1:  # the whole batch fails once, as a constraint violation would
            from django.db import IntegrityError

            raise IntegrityError("simulated")
        if items and items[0][1].title == "Seed title 1":
            from django.db import DataError

            raise DataError("value too long for the column")
        return original(self, items)

    monkeypatch.setattr(importing.SeedWriter, "_write", flaky)
    code, out, err = run_import(tmp_path)

    assert code == 1
    assert "1.txt: the database refused it: value too long" in err
    assert sorted(Article.objects.values_list("title", flat=True)) == ["Seed title 0", "Seed title 2"]
    assert ImportLedgerEntry.objects.failed().get().path.endswith("1.txt")


def test_export_fixture_folder_is_left_untouched(tmp_path):
    target = tmp_path / "seeds"
    shutil.copytree(SAMPLE_SEEDS, target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    run_import(target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before


def test_the_ledger_is_readable_from_the_command_line(tmp_path):
    write(tmp_path, "good.txt", seed_text(**valid_front_matter(1)))
    write(tmp_path, "bad.txt", "---\ntitle: x\n---\n")
    run_import(tmp_path)
    run = ImportRun.objects.get()

    runs, failed = StringIO(), StringIO()
    call_command("import_ledger", stdout=runs)
    call_command("import_ledger", "--failed", stdout=failed)

    assert f"run {run.pk}" in runs.getvalue() and "created 1" in runs.getvalue() and "failed 1" in runs.getvalue()
    assert "bad.txt: field 'webUrl': is missing" in failed.getvalue()
    assert "good.txt" not in failed.getvalue()


@pytest.mark.skipif(backend().vendor != "sqlite", reason="SQLite statement journals")
@pytest.mark.django_db(transaction=True)  # as the command runs: not inside a transaction
def test_sqlite_import_keeps_statement_journals_in_memory_then_restores_the_setting(tmp_path, monkeypatch):
    def temp_store():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA temp_store")
            return cursor.fetchone()[0]

    seen_while_writing = []
    database = type(backend())
    real_insert_rows = database.insert_rows

    def spy(self, model, rows, **options):
        if model in (Article, ImportLedgerEntry):  # the writer's rows (stories write theirs after)
            seen_while_writing.append(temp_store())
        return real_insert_rows(self, model, rows, **options)

    monkeypatch.setattr(database, "insert_rows", spy)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA temp_store = FILE")
    write(tmp_path, "a.txt", seed_text(body="Body.\n", **valid_front_matter(1)))

    code, _, _ = run_import(tmp_path)

    assert code == 0 and Article.objects.count() == 1
    MEMORY, FILE = 2, 1
    assert seen_while_writing and set(seen_while_writing) == {MEMORY}
    assert temp_store() == FILE  # the rest of the application keeps its own setting


def test_parse_workers_run_at_the_importers_priority():
    # Parsing is the import's critical path: niced workers got almost no CPU on a busy
    # machine. An operator who wants the import to yield runs it under `nice`, which the
    # workers inherit.
    pool = parse_pool.ParsePool(2, limits=SeedLimits())
    try:
        pool.submit([(index, b"x") for index in range(3 * parse_pool.CHUNK_SIZE)])()
        niceness = sorted(
            int(open(f"/proc/{worker.process.pid}/stat").read().rsplit(")", 1)[1].split()[16])
            for worker in pool.workers
        )
    finally:
        pool.close()
    assert niceness == [os.nice(0), os.nice(0)]


def test_an_import_keeps_no_query_log_even_with_debug_on(tmp_path, settings):
    # DEBUG (the README's development default) made Django time and keep every query.
    settings.DEBUG = True
    for n in range(3):
        write(tmp_path, f"{n}.txt", seed_text(**valid_front_matter(n)))
    reset_queries()

    code, _, _ = run_import(tmp_path)
    imported_queries = len(connection.queries)

    assert code == 0 and Article.objects.count() == 3
    assert imported_queries == 0 and len(connection.queries) == 1  # the log is back afterwards


def test_an_import_still_logs_queries_for_whoever_captures_them(tmp_path):
    write(tmp_path, "a.txt", seed_text(**valid_front_matter(1)))
    with CaptureQueriesContext(connection) as queries:
        import_seed_files([tmp_path], workers=0)
    assert any("curation_article" in query["sql"] for query in queries)


def test_a_topic_whose_slug_another_import_took_a_moment_ago_does_not_cost_the_file(tmp_path, monkeypatch):
    # "Zap!" is new and its slug "zap" was free when looked up; another import creates
    # "Zap?" (slug "zap") before ours inserts. ignore_conflicts skipped "Zap!": it must be
    # created with its own disambiguated slug, not lost (it was a KeyError, the file failed).
    write(tmp_path, "a.txt", seed_text(**valid_front_matter(1, topics=["Zap!"])))
    real_bulk_create = Topic.objects.bulk_create

    def bulk_create_after_a_rival(objs, **options):
        if any(topic.slug == "zap" for topic in objs) and not Topic.objects.filter(slug="zap").exists():
            Topic.objects.create(name="Zap?", slug="zap")
        return real_bulk_create(objs, **options)

    monkeypatch.setattr(Topic.objects, "bulk_create", bulk_create_after_a_rival)

    code, _, err = run_import(tmp_path)

    assert code == 0, err
    article = Article.objects.get()
    assert [(topic.name, topic.slug) for topic in article.topics.all()] == [
        ("Zap!", Topic.slug_for("Zap!", disambiguate=True))
    ]
    assert Topic.objects.get(name="Zap?").slug == "zap"
