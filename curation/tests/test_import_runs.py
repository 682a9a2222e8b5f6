# ruff: noqa: F811 - the corpus and databases fixtures are imported from test_faults and requested by name
"""An import still at work shows as running, from another terminal or another server; one
killed (even with kill -9) shows as interrupted. Every unfinished run used to show as
interrupted, so an operator checking a long import from a second terminal was told it had
stopped."""

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from curation.models import ImportRun
from curation.services.importing import runs
from curation.tests.factories import seed_text, valid_front_matter
from curation.tests.test_faults import (  # noqa: F401 - fixtures
    BASE_DIR,
    corpus,
    databases,
    import_command,
    manage,
    subprocess_env,
)
from curation.tests.test_import import run_import, write

HERE = socket.gethostname()
NOW = timezone.now()


def run_row(**values):
    defaults = {"started_at": NOW - dt.timedelta(minutes=5), "heartbeat_at": NOW - dt.timedelta(seconds=20)}
    return ImportRun(**{**defaults, **values})


# --- the rule ---------------------------------------------------------------------------------


def test_a_finished_run_is_finished_whatever_else_it_says():
    run = run_row(finished_at=NOW, host=HERE, pid=None)
    assert runs.run_state(run) == runs.FINISHED
    assert runs.describe(run) == f"{NOW:%Y-%m-%d %H:%M:%S}"


def test_on_its_own_host_a_run_is_running_while_its_process_lives_however_old_its_heartbeat():
    # This process as the importer: it started before the run did.
    run = run_row(host=HERE, pid=os.getpid(), started_at=NOW, heartbeat_at=NOW - dt.timedelta(hours=3))
    assert runs.run_state(run) == runs.RUNNING
    assert runs.describe(run).startswith(f"running (on {HERE}, pid {os.getpid()}, last batch ")


def test_on_its_own_host_a_run_whose_process_is_gone_is_interrupted_however_fresh_its_heartbeat():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    run = run_row(host=HERE, pid=child.pid, heartbeat_at=timezone.now())
    assert runs.run_state(run) == runs.INTERRUPTED
    assert runs.describe(run) == "interrupted"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_process_killed_but_not_yet_reaped_is_not_alive():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        child.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not _zombie(child.pid):
            assert time.monotonic() < deadline, "no zombie in 10 s"
            time.sleep(0.01)
        run = run_row(host=HERE, pid=child.pid, started_at=timezone.now(), heartbeat_at=timezone.now())
        assert runs.run_state(run) == runs.INTERRUPTED
    finally:
        child.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_pid_taken_by_a_later_process_does_not_keep_a_dead_run_running():
    # This process has the run's pid, but it started long after the run did: after a
    # reboot, or once pids wrapped round, the importer killed with -9 is another process.
    run = run_row(host=HERE, pid=os.getpid(), started_at=NOW - dt.timedelta(days=400))
    assert runs.run_state(run) == runs.INTERRUPTED


def test_a_run_stopped_by_a_signal_is_interrupted_everywhere_at_once():
    """Its own process may still be alive (tidying up) and its heartbeat fresh: another
    server must not show it running until the heartbeat goes stale."""
    stopped = NOW - dt.timedelta(seconds=3)
    here = run_row(host=HERE, pid=os.getpid(), started_at=NOW, heartbeat_at=NOW, stopped_at=stopped, stop_reason="SIGTERM")
    there = run_row(host="importer-2", pid=1, heartbeat_at=NOW, stopped_at=stopped, stop_reason="SIGTERM")
    assert runs.run_state(here) == runs.run_state(there, now=NOW, alive=pytest.fail) == runs.INTERRUPTED
    assert runs.describe(there, now=NOW) == f"interrupted (SIGTERM at {stopped:%Y-%m-%d %H:%M:%S})"


def test_from_another_host_a_run_is_running_while_its_heartbeat_is_recent(settings):
    settings.IMPORT_STALE_AFTER_MINUTES = 15
    fresh = run_row(host="importer-2", pid=1, heartbeat_at=NOW - dt.timedelta(minutes=14))
    stale = run_row(host="importer-2", pid=1, heartbeat_at=NOW - dt.timedelta(minutes=16))
    # The other host's pid means nothing here: it is never asked about.
    never = pytest.fail
    assert runs.run_state(fresh, now=NOW, alive=never) == runs.RUNNING
    assert runs.run_state(stale, now=NOW, alive=never) == runs.INTERRUPTED
    assert runs.describe(fresh, now=NOW).startswith("running (on importer-2, pid 1, last batch ")


def test_a_run_from_before_heartbeats_were_recorded_is_interrupted():
    assert runs.run_state(ImportRun(started_at=NOW, host="", pid=None, heartbeat_at=None)) == runs.INTERRUPTED
    assert runs.run_state(run_row(host=HERE, pid=None)) == runs.INTERRUPTED


def _zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


# --- what the run records, and where it is shown ----------------------------------------------


@pytest.mark.django_db
def test_a_run_records_its_host_and_process_and_each_batch_moves_its_heartbeat(tmp_path):
    for n in range(3):
        write(tmp_path, f"{n}.md", seed_text(**valid_front_matter(n)))
    with CaptureQueriesContext(connection) as queries:
        assert run_import(tmp_path, batch_size=1, no_progress=True)[0] == 0
    beats = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE") and "heartbeat_at" in q["sql"]]
    run = ImportRun.objects.get()
    assert (run.host, run.pid) == (HERE, os.getpid())
    assert run.started_at <= run.heartbeat_at <= run.finished_at
    # One beat a committed batch (three), then one before the clustering and one before the rules.
    assert len(beats) == 5, beats


@pytest.mark.django_db
def test_import_ledger_and_the_admin_show_a_running_run_as_running(superuser_admin, settings):
    settings.IMPORT_STALE_AFTER_MINUTES = 15
    now = timezone.now()
    mine = ImportRun.objects.create(started_at=now, heartbeat_at=now, host=HERE, pid=os.getpid(), paths=["a"])
    elsewhere = ImportRun.objects.create(
        started_at=now - dt.timedelta(hours=1), heartbeat_at=now - dt.timedelta(minutes=1), host="importer-2", pid=7,
        paths=["b"],
    )  # fmt: skip
    killed = ImportRun.objects.create(
        started_at=now - dt.timedelta(hours=2), heartbeat_at=now - dt.timedelta(hours=1), host="importer-2", pid=7,
        paths=["c"], created=12,
    )  # fmt: skip
    out = StringIO()
    call_command("import_ledger", stdout=out)
    lines = {line.split()[1]: line for line in out.getvalue().splitlines()}
    assert f"-> running (on {HERE}, pid {os.getpid()}, last batch {now:%Y-%m-%d %H:%M:%S})" in lines[str(mine.pk)]
    assert "-> running (on importer-2, pid 7, last batch " in lines[str(elsewhere.pk)]
    assert "-> interrupted  created 12," in lines[str(killed.pk)]

    page = superuser_admin.get("/admin/curation/importrun/").content.decode()
    assert f"running (on {HERE}, pid {os.getpid()}" in page and "running (on importer-2, pid 7" in page
    assert "interrupted" in page
    detail = superuser_admin.get(f"/admin/curation/importrun/{killed.pk}/change/").content.decode()
    assert "interrupted" in detail and "importer-2" in detail


# --- a real import, seen from another terminal ------------------------------------------------


@pytest.mark.slow
def test_an_import_seen_from_another_terminal_is_running_then_interrupted_once_killed(databases, corpus):
    url = databases.fresh("run_state")
    process = subprocess.Popen(
        import_command(corpus), cwd=BASE_DIR, env=subprocess_env(url),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while databases.count_articles(url) < 300:
            assert process.poll() is None, f"the import ended before it could be seen: {process.stderr.read()}"
            assert time.monotonic() < deadline, "nothing committed in 120 s"
            time.sleep(0.01)
        # Held still (alive, mid-run) while the second terminal looks, so that it cannot end first.
        os.killpg(process.pid, signal.SIGSTOP)
        seen = manage(url, "import_ledger").stdout
        assert f"-> running (on {HERE}, pid {process.pid}, last batch " in seen, seen
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL
    seen = manage(url, "import_ledger").stdout
    assert "-> interrupted  created " in seen and "running" not in seen, seen
