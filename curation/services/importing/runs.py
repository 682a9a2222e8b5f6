"""An import run's state: finished, running, or interrupted, the same from any terminal or
server (import_ledger, the admin).

A run with no finish time is either still at work or was stopped before its end (Ctrl-C,
SIGTERM, kill -9, a machine gone). No process can record its own kill -9, so the run
records who imports it (host name and process id) and a heartbeat, the time of its last
committed batch, and the state is read from them:

- on the host that imports it, the process is asked: running while that process lives (a
  pid taken again by a later process does not count), interrupted once it is gone, whatever
  the heartbeat says (a long step between two commits, the end of a large import's
  clustering, is still running);
- a run stopped by Ctrl-C or SIGTERM records it, and is interrupted everywhere at once,
  with when and why;
- from any other host, only the heartbeat can tell: running while it is more recent than
  IMPORT_STALE_AFTER_MINUTES, interrupted after (a run killed a moment ago shows as running
  until then; its last batch's time is shown, so an operator can judge).
"""

import datetime as dt
import logging
import os
import socket

from django.conf import settings
from django.db import Error as DatabaseLibraryError
from django.db import connection
from django.utils import timezone

from curation.models import ImportRun, ImportStatus

logger = logging.getLogger(__name__)

FINISHED, RUNNING, INTERRUPTED = "finished", "running", "interrupted"
# A process that took a dead importer's pid started after the run did. The run's row is
# written well after its own process started; the slack covers /proc's boot time, which is
# read to the second.
_START_SLACK = dt.timedelta(seconds=2)


def this_host():
    return socket.gethostname()[:255]


def start_run(paths):
    """The run's row, naming this process, its heartbeat at its start."""
    now = timezone.now()
    return ImportRun.objects.create(started_at=now, heartbeat_at=now, host=this_host(), pid=os.getpid(), paths=paths)


def beat(run):
    """A sign of life outside a batch (the writer's batches carry their own)."""
    ImportRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())


def stop(run_id, reason):
    """Record that run `run_id` was stopped before its end by a signal (`reason`: "Ctrl-C",
    "SIGTERM"); its counts are those of its committed batches already. Best effort: the
    operator's message of what stays written must not become a traceback for this. (A
    database that refused the import's writes is not asked again: it would refuse this too,
    after the same wait.)"""
    try:
        _after_interrupt(
            lambda: ImportRun.objects.filter(pk=run_id, finished_at__isnull=True).update(
                stopped_at=timezone.now(), stop_reason=reason[:200]
            )
        )
    except DatabaseLibraryError as exc:
        logger.warning("import run %s: could not record that it stopped (%s): %s", run_id, reason, exc)


def committed_counts(run_id):
    """{status: files} of run `run_id` as its committed batches tallied them, or None if
    the database cannot tell. After a signal this, not what the importer counted, is what
    stays written: a signal that lands while a batch's COMMIT is under way (psycopg waits
    for it, and cancels nothing once the server has it) is raised after the commit, so that
    batch stays without its results reaching the importer's report."""
    try:
        row = _after_interrupt(lambda: ImportRun.objects.filter(pk=run_id).values(*ImportStatus.values).first())
    except DatabaseLibraryError as exc:
        logger.warning("import run %s: could not read what it wrote: %s", run_id, exc)
        return None
    return None if row is None else {status: row[status] or 0 for status in ImportStatus.values}


def _after_interrupt(query):
    """Run `query` on a connection an interrupt may have left mid-way: inside a rollback
    before autocommit came back (an update would then sit in a transaction nobody
    commits), or mid-statement (psycopg refuses the next one). Once more on a new
    connection if the first try fails, unless a caller's transaction holds this one (a
    test's: closing it would lose that)."""
    for attempt in range(2):
        try:
            if not connection.in_atomic_block and not connection.get_autocommit():
                connection.rollback()
                connection.set_autocommit(True)
            return query()
        except DatabaseLibraryError:
            if attempt or connection.in_atomic_block:
                raise
            connection.close()


def run_state(run, *, now=None, host=None, alive=None):
    """FINISHED, RUNNING or INTERRUPTED (see the module's docstring). `now`, `host` and
    `alive(pid, started_at)` are this moment, this host and the process check, for tests."""
    if run.finished_at is not None:
        return FINISHED
    if run.stopped_at is not None:
        return INTERRUPTED
    if run.heartbeat_at is None or not run.host:
        return INTERRUPTED  # a run from before heartbeats were recorded
    if run.host == (host if host is not None else this_host()):
        lives = (alive or process_alive)(run.pid, run.started_at) if run.pid else False
        return RUNNING if lives else INTERRUPTED
    now = now or timezone.now()
    if now - run.heartbeat_at > dt.timedelta(minutes=settings.IMPORT_STALE_AFTER_MINUTES):
        return INTERRUPTED
    return RUNNING


def describe(run, **state_options):
    """How a run's end is shown: its finish time, "running (…)", or "interrupted"."""
    state = run_state(run, **state_options)
    if state == FINISHED:
        return f"{run.finished_at:%Y-%m-%d %H:%M:%S}"
    if state == RUNNING:
        return f"running (on {run.host}, pid {run.pid}, last batch {run.heartbeat_at:%Y-%m-%d %H:%M:%S})"
    if run.stopped_at is not None:
        return f"{INTERRUPTED} ({run.stop_reason or 'stopped'} at {run.stopped_at:%Y-%m-%d %H:%M:%S})"
    return INTERRUPTED


def process_alive(pid, started_at):
    """Is process `pid` of this host alive, and the one that started at or before
    `started_at` (not a later process that took its number)?"""
    started = _process_start(pid)
    if started is _UNKNOWN:
        return _signal_reaches(pid)
    return started is not None and started <= started_at + _START_SLACK


_UNKNOWN = object()


def _process_start(pid):
    """When process `pid` started (an aware datetime), None if there is no such live
    process (a zombie is not alive: kill -9 leaves one until its parent reaps it),
    _UNKNOWN where /proc cannot tell (not Linux)."""
    try:
        with open(f"/proc/{int(pid)}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None if os.path.exists("/proc/self/stat") else _UNKNOWN
    except (OSError, ValueError, IndexError):
        return _UNKNOWN
    if fields[0] in ("Z", "X"):
        return None
    try:
        with open("/proc/stat") as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith("btime "))
        ticks = int(fields[19])  # field 22 of stat(5): the start, in clock ticks after boot
    except (OSError, StopIteration, ValueError, IndexError):
        return _UNKNOWN
    return dt.datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), tz=dt.UTC)


def _signal_reaches(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    except (OverflowError, ValueError):
        return False
    return True
