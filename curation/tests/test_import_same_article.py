"""Two files of one import run that name one article (the same webUrl, the same body, or the
URL an editor gave it): the first in the run's order is imported, every later one fails on
its own, naming it, in the ledger, the JSON report and on stderr (exit status 1), on every
run alike. Both used to write the article: the later file won, each run reported two
updates, and an export folder inside the import folder flagged every edited article as
changed at the source, run after run."""

import json
import shutil
import tempfile
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation.models import Article, ImportLedgerEntry, ImportRun
from curation.services import editorial
from curation.tests.factories import make_user, seed_text, valid_front_matter
from curation.tests.test_export import export
from curation.tests.test_import import run_import, write

pytestmark = pytest.mark.django_db

WORKERS = pytest.mark.parametrize("workers", [0, 2], ids=["in-process", "pool"])


def same_article(winner):
    return f"the same article as {winner}, earlier in this run (the first file is the one imported)"


def run(folder, **options):
    """(exit status, {path under folder: report entry}, stderr) of an import with --json."""
    code, out, err = run_import(folder, json=True, **options)
    files = {entry["path"].removeprefix(f"{folder}/"): entry for entry in json.loads(out)["files"]}
    return code, files, err


def last_ledger():
    run = ImportRun.objects.order_by("-pk").first()
    return {entry.path: entry for entry in ImportLedgerEntry.objects.filter(run=run)}


@WORKERS
def test_an_export_folder_inside_the_import_folder_leaves_each_article_to_its_source(tmp_path, workers):
    seeds = tmp_path / "seeds"
    for n in range(3):
        write(seeds, f"{n}.txt", seed_text(body=f"Body {n}.\n", **valid_front_matter(n)))
    assert run_import(seeds, workers=workers)[0] == 0
    editor = make_user(role="editor")
    edited, moved, _ = Article.objects.order_by("pk")
    editorial.edit_article(article=edited, user=editor, title="The editor's headline")
    editorial.publish_article(article=edited, user=editor)
    # An editor's correction of the source URL (complete_article and the admin can make one).
    Article.objects.filter(pk=moved.pk).update(web_url="https://news.example/corrected", edited_fields=["web_url"])
    export(seeds / "export")  # export/0.txt, 1.txt (under the editor's URL), 2.txt

    for _ in range(2):  # and the same again: no file takes its turn
        code, files, err = run(seeds, workers=workers)
        assert code == 1
        ledger = last_ledger()
        for n in range(3):
            source, copy = files[f"{n}.txt"], files[f"export/{n}.txt"]
            assert (source["status"], source["error"]) == ("unchanged", None)
            assert (copy["status"], copy["article"]) == ("failed", None)
            assert copy["error"] == same_article(seeds / f"{n}.txt")
            assert f"{seeds / 'export' / f'{n}.txt'}: {copy['error']}" in err
            assert (ledger[copy["path"]].status, ledger[copy["path"]].error) == ("failed", copy["error"])
        assert ImportRun.objects.order_by("-pk").values_list("unchanged", "failed")[0] == (3, 3)
    edited.refresh_from_db()
    moved.refresh_from_db()
    # Nothing was written over: no "source changed" flag, the editors' work as it was.
    assert (edited.title, edited.source_changed_at) == ("The editor's headline", None)
    assert moved.web_url == "https://news.example/corrected"
    assert Article.objects.count() == 3


@WORKERS
@pytest.mark.parametrize("batch_size", [400, 1], ids=["one-batch", "a-batch-each"])
def test_the_first_file_is_imported_and_the_later_ones_fail_naming_it(tmp_path, workers, batch_size):
    write(tmp_path, "a.txt", seed_text(body="A\n", **valid_front_matter(1, title="From a")))
    write(tmp_path, "b.txt", seed_text(body="B\n", **valid_front_matter(1, title="From b")))
    write(tmp_path, "c.txt", seed_text(body="C\n", **valid_front_matter(1, title="From c")))
    write(tmp_path, "d.txt", "A body-only dispatch, filed twice.\n")
    write(tmp_path, "e/d-again.txt", "A body-only dispatch, filed twice.\n")

    code, files, err = run(tmp_path, workers=workers, batch_size=batch_size, no_stories=True)

    assert code == 1
    assert [files[name]["status"] for name in ("a.txt", "b.txt", "c.txt", "d.txt", "e/d-again.txt")] == [
        "created",
        "failed",
        "failed",
        "created",
        "failed",
    ]
    assert files["b.txt"]["error"] == files["c.txt"]["error"] == same_article(tmp_path / "a.txt")
    assert files["e/d-again.txt"]["error"] == same_article(tmp_path / "d.txt")
    assert Article.objects.get(web_url=valid_front_matter(1)["webUrl"]).title == "From a"
    assert "Traceback" not in err and err.count("earlier in this run") == 3

    # A rerun: the winners are unchanged (found by their hash), the others fail again.
    code, files, _ = run(tmp_path, workers=workers, batch_size=batch_size, no_stories=True)
    assert code == 1
    assert {name: entry["status"] for name, entry in files.items()} == {
        "a.txt": "unchanged",
        "b.txt": "failed",
        "c.txt": "failed",
        "d.txt": "unchanged",
        "e/d-again.txt": "failed",
    }
    assert Article.objects.count() == 2


def test_a_new_first_file_wins_over_a_later_file_that_is_stored_unchanged(tmp_path):
    """b.txt's bytes are the article's last import (it would be skipped by its hash); a.txt,
    added since, comes first and names the same article: a.txt updates it and b.txt fails,
    then on every run a.txt is unchanged and b.txt fails (they used to take turns)."""
    write(tmp_path, "b.txt", seed_text(body="B\n", **valid_front_matter(1, title="From b")))
    assert run_import(tmp_path)[0] == 0
    write(tmp_path, "a.txt", seed_text(body="A\n", **valid_front_matter(1, title="From a")))

    code, files, _ = run(tmp_path, no_stories=True)
    assert code == 1
    assert (files["a.txt"]["status"], files["b.txt"]["status"]) == ("updated", "failed")
    assert files["b.txt"]["error"] == same_article(tmp_path / "a.txt")
    assert Article.objects.get().title == "From a"

    code, files, _ = run(tmp_path, no_stories=True)
    assert (files["a.txt"]["status"], files["b.txt"]["status"]) == ("unchanged", "failed")
    assert Article.objects.get().title == "From a"


def test_a_dry_run_reports_the_same_outcome(tmp_path):
    write(tmp_path, "a.txt", seed_text(body="A\n", **valid_front_matter(1, title="From a")))
    write(tmp_path, "b.txt", seed_text(body="B\n", **valid_front_matter(1, title="From b")))
    code, files, _ = run(tmp_path, dry_run=True, batch_size=1)
    assert code == 1 and (files["a.txt"]["status"], files["b.txt"]["status"]) == ("created", "failed")
    assert not Article.objects.exists()


# --- any number of files sharing identities ----------------------------------------------


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    # For each file: which of four articles it names, and which of two texts it carries.
    files=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1)), min_size=1, max_size=9),
    batch_size=st.integers(1, 4),
    workers=st.sampled_from([0, 1]),
)
def test_exactly_one_file_stands_for_each_article_however_many_name_it(files, batch_size, workers):
    prefix = f"https://news.example/{uuid.uuid4().hex}/"  # examples share the database
    folder = Path(tempfile.mkdtemp())
    try:
        for position, (identity, text) in enumerate(files):
            front = valid_front_matter(identity, webUrl=f"{prefix}{identity}", title=f"Text {text} of {identity}")
            write(folder, f"{position:02d}.txt", seed_text(body=f"Text {text}.\n", **front))
        for attempt in range(2):  # a rerun keeps the same winners
            code, report, _ = run(folder, batch_size=batch_size, workers=workers, no_stories=True, no_rules=True)
            first = {}
            for position, (identity, _) in enumerate(files):
                entry = report[f"{position:02d}.txt"]
                if identity not in first:
                    first[identity] = position
                    assert entry["status"] in {"created", "unchanged"}, entry
                    assert entry["status"] == ("created" if attempt == 0 else "unchanged")
                else:
                    assert entry["status"] == "failed"
                    assert entry["error"] == same_article(folder / f"{first[identity]:02d}.txt")
            assert code == (1 if len(first) < len(files) else 0)
            for identity, position in first.items():
                article = Article.objects.get(web_url=f"{prefix}{identity}")
                assert article.title == f"Text {files[position][1]} of {identity}"
    finally:
        shutil.rmtree(folder)


# --- export_seeds says so when it writes inside a folder imported from ---------------------


def export_with_stderr(outdir):
    out, err = StringIO(), StringIO()
    call_command("export_seeds", str(outdir), stdout=out, stderr=err)
    return err.getvalue()


def test_an_export_into_a_folder_imported_from_warns_in_one_line(tmp_path):
    seeds = tmp_path / "seeds"
    write(seeds, "a.txt", seed_text(body="A\n", **valid_front_matter(1)))
    run_import(seeds)
    ImportRun.objects.create(started_at=timezone.now(), paths=["relative/seeds", 7, "/no/such/folder"])

    err = export_with_stderr(seeds / "exports" / "today")

    run = ImportRun.objects.order_by("pk").first()
    assert err == (
        f"warning: {seeds / 'exports' / 'today'} is inside {seeds}, which import run {run.pk} read: importing that "
        "folder again reads these copies too, and each fails as the same article as its source file (export "
        "elsewhere, or import the source folders alone)\n"
    )
    assert (seeds / "exports" / "today" / "a.txt").exists()  # a warning: the export is done
    assert export_with_stderr(tmp_path / "elsewhere") == ""
    assert export_with_stderr(tmp_path / "seeds-beside") == ""  # a name that starts alike is not inside
