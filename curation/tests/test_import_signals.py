# ruff: noqa: F811 - the corpus and databases fixtures are imported from test_faults and requested by name
"""SIGTERM (systemd, `docker stop`, `timeout`) stops a long command as Ctrl-C does: the batch
being written is rolled back, what was committed stays, the parse workers end, one sentence
says what stays and that a rerun finishes, exit status 143. It used to end the process on
the spot, silently.

The first tests run the real `manage.py` in subprocesses (the corpus and the databases of
test_faults.py) and send the signal from outside; the others send it to this process from
inside a command, at a chosen moment."""

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from curation.models import Article, ArticleState, EditorialAction, ImportRun, StoryFeatures
from curation.services import exporting, stories
from curation.services.importing import service as import_service
from curation.tests.factories import make_article
from curation.tests.test_faults import (  # noqa: F401 - fixtures
    BASE_DIR,
    CORPUS_SIZE,
    _children,
    _live,
    corpus,
    databases,
    import_command,
    manage,
    subprocess_env,
)
from curation.tests.test_import import run_import

IMPORT_STOPPED = re.compile(
    r"the import stopped \(SIGTERM\)\. ([\d,]+) of ([\d,]+) files were done before it and stay written "
    r"\(run 1: ([\d,]+) created\); run the import again to finish"
)


def _number(text):
    return int(text.replace(",", ""))


def _stop_midway(command, url, ready, *, group):
    """Start `command`, wait until `ready()`, send SIGTERM to it (`group`: to its whole
    process group, as systemd and `timeout` do); returns (status, stderr, its children
    seen just before the signal)."""
    process = subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=subprocess_env(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not ready():
            assert process.poll() is None, f"it ended before it could be stopped: {process.stderr.read()}"
            assert time.monotonic() < deadline, "nothing committed in 120 s"
            time.sleep(0.01)
        children = _children(process.pid)
        (os.killpg if group else os.kill)(process.pid, signal.SIGTERM)
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode, err, children


@pytest.mark.slow
@pytest.mark.parametrize(
    # To the group: systemd's and `timeout`'s way, which reaches the parse workers too (they
    # leave it to the importer). To the process: `docker stop`, `kill`. Without workers: below.
    "workers, group",
    [("2", True), ("2", False)],
    ids=["to-the-group", "to-the-process"],
)
def test_sigterm_midway_keeps_the_batches_committed_and_a_rerun_imports_the_rest_once(
    databases, corpus, workers, group
):
    url = databases.fresh(f"sigterm_{workers}_{int(group)}")
    status, err, children = _stop_midway(
        import_command(corpus, "--workers", workers), url, lambda: databases.count_articles(url) >= 300, group=group
    )

    assert status == 143, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    match = IMPORT_STOPPED.search(err)
    assert match, err
    done, total, created = map(_number, match.groups())
    assert total == CORPUS_SIZE and done == created
    # What it says stays is exactly what is stored: the batch being written was rolled back.
    written = databases.count_articles(url)
    assert 300 <= written == done < CORPUS_SIZE, "the signal did not land midway"
    if workers != "0":
        assert len(children) >= 2, "no parse workers were seen"
    assert not [pid for pid in children if _live(pid)], "parse workers outlived the import"
    # The run shows as interrupted, with what it wrote, as after Ctrl-C.
    runs = manage(url, "import_ledger").stdout
    assert re.search(rf"-> interrupted \(SIGTERM at [0-9: -]+\)  created {done}, updated 0, unchanged 0, failed 0", runs), runs

    result = manage(url, "import_seeds", str(corpus), "--no-progress", "--no-stories", "--json")
    counts = json.loads(result.stdout)["counts"]
    assert (counts["created"], counts["unchanged"], counts["failed"]) == (CORPUS_SIZE - done, done, 0), counts
    assert databases.count_articles(url) == CORPUS_SIZE


@pytest.mark.slow
def test_sigterm_during_export_keeps_whole_files_and_a_rerun_writes_them_all(databases, corpus, tmp_path):
    url = databases.fresh("sigterm_export")
    manage(url, "import_seeds", str(corpus), "--no-progress", "--no-stories", "--no-rules")
    outdir = tmp_path / "out"

    def visible():
        return [name for name in os.listdir(outdir) if not name.startswith(".")] if outdir.exists() else []

    command = [sys.executable, "manage.py", "export_seeds", str(outdir), "--skip-checks"]
    status, err, _ = _stop_midway(command, url, lambda: len(visible()) >= 200, group=False)

    assert status == 143 and "Traceback" not in err, err
    match = re.search(r"the export stopped \(SIGTERM\): the ([\d,]+) articles written to (\S+) before it stay", err)
    assert match and match.group(2) == str(outdir), err
    assert 200 <= _number(match.group(1)) == len(visible()) < CORPUS_SIZE
    assert "run the export again to write them all" in err
    assert not [name for name in os.listdir(outdir) if name.startswith(".export-")], "a temporary file was left"

    manage(url, "export_seeds", str(outdir))
    assert len(visible()) == CORPUS_SIZE and len(os.listdir(outdir)) == CORPUS_SIZE


# --- the signal from inside, at a chosen moment ------------------------------------------


def _sigterm():
    os.kill(os.getpid(), signal.SIGTERM)


class SigtermReachedTheTest(BaseException):
    pass


@pytest.fixture(autouse=True)
def sigterm_guard():
    """A SIGTERM no command handled fails the test, instead of ending the test run."""

    def unhandled(signum, frame):
        raise SigtermReachedTheTest("SIGTERM went past the command: nothing handled it")

    previous = signal.signal(signal.SIGTERM, unhandled)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("workers", [0, 1])
def test_sigterm_at_the_second_batch_is_one_sentence_and_status_143(six_seed_files, monkeypatch, workers):
    finish_batch = import_service._finish_batch
    batches = []

    def stopped_at_the_second_batch(*args):
        batches.append(1)
        if len(batches) == 2:
            _sigterm()
        return finish_batch(*args)

    monkeypatch.setattr(import_service, "_finish_batch", stopped_at_the_second_batch)
    before = signal.getsignal(signal.SIGTERM)
    code, _, err = run_import(six_seed_files, batch_size=2, workers=workers)
    monkeypatch.undo()

    assert signal.getsignal(signal.SIGTERM) == before  # the command's handler is gone with it
    assert code == 143 and "Traceback" not in err
    assert err.startswith("the import stopped (SIGTERM). 2 of 6 files were done before it and stay written"), err
    run = ImportRun.objects.get()
    assert (run.finished_at, run.created, run.failed) == (None, 2, 0)  # as Ctrl-C leaves it
    assert Article.objects.count() == 2
    code, out, _ = run_import(six_seed_files, workers=workers)
    assert code == 0 and "6 files: 4 created, 0 updated, 2 unchanged, 0 failed." in out


@pytest.mark.django_db(transaction=True)
def test_a_sigterm_right_after_a_batchs_commit_counts_that_batch_as_written(six_seed_files, monkeypatch):
    """The signal lands once the second batch is committed, before its results reach the
    report (on PostgreSQL, during the COMMIT psycopg was waiting for: the full suite's
    subprocess test once said "300 of 2,000" with 350 stored). What the sentence says stays
    is what the database holds, and a rerun agrees with it."""
    write_batch = import_service.SeedWriter.write_batch
    batches = []

    def committed_then_stopped(self, *args):
        results = write_batch(self, *args)
        batches.append(1)
        if len(batches) == 2:
            _sigterm()
        return results

    monkeypatch.setattr(import_service.SeedWriter, "write_batch", committed_then_stopped)
    code, _, err = run_import(six_seed_files, batch_size=2, workers=0)
    monkeypatch.undo()

    assert code == 143 and "Traceback" not in err
    assert Article.objects.count() == 4
    run = ImportRun.objects.get()
    assert err.startswith(f"the import stopped (SIGTERM). 4 of 6 files were done before it and stay written (run {run.pk}: 4 created)"), err
    assert run.stopped_at is not None
    code, out, _ = run_import(six_seed_files, workers=0)
    assert code == 0 and "6 files: 2 created, 0 updated, 4 unchanged, 0 failed." in out


@pytest.mark.django_db
@pytest.mark.parametrize(
    "stop_at, kept",
    [
        (3, "the 2 articles written to {outdir} before it stay, each file whole"),
        (2, "the 1 article written to {outdir} before it stays, each file whole"),
        (1, "nothing was written to {outdir} yet"),
    ],
)
def test_sigterm_during_export_names_what_was_written(tmp_path, monkeypatch, stop_at, kept):
    for n in range(5):
        make_article(title=f"Article {n}")
    render = exporting.render_seed
    rendered = []

    def stopped(article):
        rendered.append(article.pk)
        if len(rendered) == stop_at:
            _sigterm()
        return render(article)

    monkeypatch.setattr(exporting, "render_seed", stopped)
    with pytest.raises(CommandError) as stopped_export:
        call_command("export_seeds", str(tmp_path), stdout=StringIO())
    assert stopped_export.value.returncode == 143
    assert str(stopped_export.value) == (
        f"the export stopped (SIGTERM): {kept.format(outdir=tmp_path)} (the file being written was removed); "
        "run the export again to write them all"
    )
    assert len(os.listdir(tmp_path)) == stop_at - 1


@pytest.mark.django_db
def test_an_interrupt_just_after_the_temporary_file_is_made_leaves_no_file(tmp_path, monkeypatch):
    """The signal lands once the hidden file exists, before its name reaches the writer (the
    full suite's subprocess test once found a `.export-*.tmp` left so): it is removed."""
    for n in range(3):
        make_article(title=f"Article {n}")
    real_open, opened = os.open, []

    def made_then_interrupted(path, *args, **kwargs):
        descriptor = real_open(path, *args, **kwargs)
        opened.append(descriptor)
        if len(opened) == 2:
            raise KeyboardInterrupt
        return descriptor

    monkeypatch.setattr(exporting.os, "open", made_then_interrupted)
    with pytest.raises(exporting.ExportInterrupted) as stopped:
        exporting.export_seeds(tmp_path)
    monkeypatch.undo()
    os.close(opened[-1])
    assert len(stopped.value.report.written) == 1
    assert sorted(os.listdir(tmp_path)) == [os.path.basename(stopped.value.report.written[0][1])]


@pytest.mark.django_db
def test_an_interrupt_before_the_temporary_file_is_made_counts_no_file(tmp_path, monkeypatch):
    """The signal lands once the hidden file's name is chosen, before the file exists (the
    full suite's subprocess test once said "205 articles written" beside 204 files): the
    article being written is not counted."""
    for n in range(3):
        make_article(title=f"Article {n}")
    real_open, calls = os.open, []

    def interrupted_before_making(path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(exporting.os, "open", interrupted_before_making)
    with pytest.raises(exporting.ExportInterrupted) as stopped:
        exporting.export_seeds(tmp_path)
    monkeypatch.undo()
    assert len(stopped.value.report.written) == 1
    assert sorted(os.listdir(tmp_path)) == [os.path.basename(stopped.value.report.written[0][1])]


def _raise_keyboard_interrupt():
    raise KeyboardInterrupt


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "interrupt, status, name", [(_sigterm, 143, "SIGTERM"), (_raise_keyboard_interrupt, 130, "Ctrl-C")]
)
def test_a_stopped_clustering_keeps_nothing_and_says_so(monkeypatch, interrupt, status, name):
    """Ctrl-C was a KeyboardInterrupt traceback here, SIGTERM a silent end."""
    article = make_article(title="Flood in the valley")
    StoryFeatures.objects.filter(article=article).delete()
    catch_up = stories.catch_up

    def stopped_after_the_work(**options):
        catch_up(**options)
        assert StoryFeatures.objects.filter(article=article).exists()
        interrupt()

    monkeypatch.setattr(stories, "catch_up", stopped_after_the_work)
    try:
        with pytest.raises(CommandError) as stopped:
            call_command("cluster_stories", stdout=StringIO())
    except KeyboardInterrupt:
        pytest.fail(f"{name} came out of the command as a KeyboardInterrupt traceback")
    assert stopped.value.returncode == status
    assert str(stopped.value) == (
        f"cluster_stories stopped ({name}): nothing it did is kept (clustering is one transaction, rolled back); "
        "run cluster_stories again"
    )
    assert not StoryFeatures.objects.filter(article=article).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "command, target, leaves",
    [
        (
            "apply_rules",
            "curation.services.rules.run_on_queue",
            "the decisions made before it stay, each with its audit row; run apply_rules again for the rest",
        ),
        (
            "publish_scheduled",
            "curation.management.commands.publish_scheduled.record_due_boundaries",
            "the boundaries recorded before it stay; the next run records the rest",
        ),
    ],
)
def test_the_other_long_commands_say_what_a_sigterm_leaves(monkeypatch, command, target, leaves):
    monkeypatch.setattr(target, lambda *args, **kwargs: _sigterm())
    with pytest.raises(CommandError) as stopped:
        call_command(command, stdout=StringIO())
    assert stopped.value.returncode == 143
    assert str(stopped.value) == f"{command} stopped (SIGTERM): {leaves}"
    # The lock publish_scheduled held is released with the block: the next run takes it.
    monkeypatch.undo()
    call_command(command, stdout=StringIO())


# --- the signal just after psycopg sent a statement (PostgreSQL) ---------------------------

requires_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="psycopg's window between sending a statement and its answer"
)


def _sigterm_once_sent(monkeypatch, statement, *, nth=1):
    """SIGTERM at the moment psycopg has sent `statement` (bytes) for the `nth` time and
    not yet read its answer: the window a signal from outside hits now and then (the full
    suite's subprocess test, once in CI, at a batch's COMMIT). The handler raises inside
    psycopg's generator, which cannot then read the answer: the connection is left with the
    statement in progress, as it was there."""
    from psycopg._connection_base import BaseConnection

    send, sent = BaseConnection._exec_command, []

    def exec_command(self, command, *args, **kwargs):
        if command == statement:
            sent.append(1)
            if len(sent) == nth:
                self.pgconn.send_query(command)
                _sigterm()
        return (yield from send(self, command, *args, **kwargs))

    monkeypatch.setattr(BaseConnection, "_exec_command", exec_command)
    return sent


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_sigterm_once_a_batchs_commit_is_sent_stops_the_import_as_any_sigterm_does(six_seed_files, monkeypatch):
    """It was taken for a database error: Django's end of the transaction, resetting
    autocommit on the connection psycopg had left mid-COMMIT, failed ("can't change
    'autocommit' now"), the import retried the batch file by file on that connection and
    ended "stopped: the database cannot be reached", exit status 1."""
    sent = _sigterm_once_sent(monkeypatch, b"COMMIT", nth=2)
    code, _, err = run_import(six_seed_files, batch_size=2, workers=0)
    monkeypatch.undo()

    assert len(sent) == 2, "the second batch's COMMIT was never sent"
    assert code == 143 and "Traceback" not in err, err
    match = re.match(r"the import stopped \(SIGTERM\)\. (\d) of 6 files were done before it and stay written", err)
    assert match, err
    # The server may or may not have committed the batch before the cancel: the sentence
    # says what it holds, and a rerun agrees.
    kept = int(match.group(1))
    assert kept in (2, 4) and Article.objects.count() == kept
    code, out, _ = run_import(six_seed_files, workers=0)
    assert code == 0 and f"6 files: {6 - kept} created, 0 updated, {kept} unchanged, 0 failed." in out, out


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_sigterm_once_a_commit_is_sent_stops_a_job_with_143_and_frees_its_lock():
    """The same window in any other command ended it as a database error (exit status 1),
    and the job's lock could not be released on that connection."""
    now = timezone.now()
    for n in range(2):
        article = make_article(title=f"Scheduled {n}")
        Article.objects.filter(pk=article.pk).update(
            state=ArticleState.PUBLISHED, live_from=now - dt.timedelta(minutes=5), boundary_due_at=now - dt.timedelta(minutes=5)
        )
    with pytest.MonkeyPatch.context() as monkeypatch:
        _sigterm_once_sent(monkeypatch, b"COMMIT", nth=1)
        with pytest.raises(CommandError) as stopped:
            call_command("publish_scheduled", stdout=StringIO())
    assert stopped.value.returncode == 143
    assert str(stopped.value) == (
        "publish_scheduled stopped (SIGTERM): the boundaries recorded before it stay; the next run records the rest"
    )
    out = StringIO()
    call_command("publish_scheduled", stdout=out)  # takes the lock: it was not left held
    assert EditorialAction.objects.filter(action="went_live").count() == 2
