"""An import whose database stops taking writes (read-only, a full disk, a lock held past the
wait, a lost server): it stops at once with one message that says why and what it wrote,
never a traceback and never a failed ledger row per file blaming files for the database; what
was written stays (with the run's counts), and a rerun finishes the job."""

import pytest
from django.db import connection

from curation.models import Article, ImportLedgerEntry, ImportRun
from curation.services.importing import runs as import_runs
from curation.services.importing import service as import_service
from curation.tests.test_import import run_import

# A real refusal from each database, as a read-only file or a standby server gives it.
READ_ONLY = {
    "sqlite": ("PRAGMA query_only = ON", "PRAGMA query_only = OFF"),
    "postgresql": ("SET default_transaction_read_only = on", "SET default_transaction_read_only = off"),
}


def read_only(on):
    with connection.cursor() as cursor:
        cursor.execute(READ_ONLY[connection.vendor][0 if on else 1])


@pytest.mark.django_db(transaction=True)
def test_a_database_that_turns_read_only_midway_stops_the_import_with_what_it_wrote(six_seed_files, monkeypatch):
    finish_batch = import_service._finish_batch

    def then_read_only(*args):
        results = finish_batch(*args)
        read_only(True)
        return results

    monkeypatch.setattr(import_service, "_finish_batch", then_read_only)
    try:
        code, _, err = run_import(six_seed_files, batch_size=2)
    finally:
        read_only(False)
    monkeypatch.undo()

    assert code == 1 and "Traceback" not in err
    assert "the import stopped: the database cannot be written (read-only" in err, err
    assert "2 of 6 files were done before it and stay written" in err and "2 created" in err, err
    # No file is blamed for the database: the ledger holds the two written, nothing failed.
    assert list(ImportLedgerEntry.objects.values_list("status", flat=True)) == ["created", "created"]
    run = ImportRun.objects.get()
    assert (run.finished_at, run.created, run.failed) == (None, 2, 0)  # interrupted, with what it wrote

    code, out, _ = run_import(six_seed_files)
    assert code == 0 and "6 files: 4 created, 0 updated, 2 unchanged, 0 failed." in out
    assert Article.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_a_read_only_database_is_one_message_before_anything_is_read(six_seed_files):
    read_only(True)
    try:
        code, out, err = run_import(six_seed_files)
    finally:
        read_only(False)
    assert code == 1 and "Traceback" not in err and out == ""
    assert err.startswith("the import stopped before writing anything: the database cannot be written"), err
    assert not ImportRun.objects.exists() and not Article.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_midway_says_what_was_written_not_a_traceback(six_seed_files, monkeypatch):
    """Ctrl-C printed a KeyboardInterrupt traceback from wherever the import was (the parse
    pool, the clustering), and nothing of what stayed written."""
    finish_batch = import_service._finish_batch
    batches = []

    def interrupted_at_the_second_batch(*args):
        batches.append(1)
        if len(batches) == 2:
            raise KeyboardInterrupt
        return finish_batch(*args)

    monkeypatch.setattr(import_service, "_finish_batch", interrupted_at_the_second_batch)
    try:
        code, _, err = run_import(six_seed_files, batch_size=2)
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C came out of the command as a KeyboardInterrupt traceback")
    monkeypatch.undo()
    assert code == 130 and "Traceback" not in err
    assert err.startswith("the import stopped (Ctrl-C). 2 of 6 files were done before it"), err
    assert ImportRun.objects.get().created == 2 and Article.objects.count() == 2
    # The run says so itself: every host shows it interrupted at once, with when and why.
    run = ImportRun.objects.get()
    assert run.finished_at is None and run.stopped_at is not None and run.stop_reason == "Ctrl-C"
    assert import_runs.describe(run, host="another-host") == f"interrupted (Ctrl-C at {run.stopped_at:%Y-%m-%d %H:%M:%S})"
    code, out, _ = run_import(six_seed_files)
    assert code == 0 and "4 created, 0 updated, 2 unchanged" in out
