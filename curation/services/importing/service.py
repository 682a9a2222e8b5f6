"""The import service: discover files, read and hash them, parse in workers, write in batches.

1. discover: walk the paths (recursively, hidden files skipped, symlink loops survived,
   links out of the folder refused; discovery.py);
2. read and hash each file in this process; a file whose hash matches the last import of an
   article is unchanged and is never parsed (planning.py);
3. parse the rest in worker processes (YAML parsing is the expensive part, and the one where
   a file could crash or hang its process: pool.py, parsing.py), a batch parsing while the
   previous one is written;
4. write in batches, one transaction per batch, with bulk inserts through the database
   seam (writer.py).
"""

import datetime as dt
import logging
import os
from collections.abc import Callable
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Q
from django.utils import timezone

from curation import stopping
from curation.db import backend
from curation.models import ImportRun, ImportStatus
from curation.seedformat import ParsedSeed, SeedLimits
from curation.services import rules as rule_service
from curation.services import stories as story_service
from curation.services import transactions
from curation.services.importing import runs
from curation.services.importing.discovery import (
    ImportOptionError,
    discover_seed_files,
    display_path,
    read_seed_file,
)
from curation.services.importing.planning import (
    FileResult,
    ImportReport,
    RunClaims,
    follow_edited_urls,
    sort_read_files,
)
from curation.services.importing.pool import default_workers, make_parser
from curation.services.importing.writer import SeedWriter, link_pending_coverage
from curation.stories.seeds import describe
from curation.validation import seed_bytes_problem

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 400
# Below this many files to parse, starting worker processes costs more than it saves.
MIN_FILES_FOR_WORKERS = 200


def seed_limits():
    """The configured limits on what one seed file may hold: the import's, and those of
    every reader of stored front matter (the export, source changes, the article page), so
    that what an import took under raised limits is read back under them."""
    return SeedLimits.configured(settings)


def import_seed_files(
    paths,
    *,
    dry_run=False,
    workers: int | None = None,
    batch_size=DEFAULT_BATCH_SIZE,
    max_bytes: int | None = None,
    follow_links=False,
    progress: Callable[[int, int], None] | None = None,
    stories: bool = True,
    rules: bool = True,
) -> ImportReport:
    """Import seed files and folders. Raises MissingPathError if a path does not exist,
    ImportOptionError if `max_bytes` (or SEED_MAX_BYTES) is outside 1 byte to 1 GiB
    (validation.SEED_BYTES_MOST), before anything is read or written.

    Never raises for a bad file: each one becomes a failed FileResult with its reason,
    and a failed ledger row. `workers`: parser processes (None: one, or one per core for
    large imports; 0: parse in this process, see parsing.py).
    """
    # Checked here, the one door every caller goes through (the command, scripts, tests):
    # --max-bytes -5 failed every file as "over -5 bytes"; 10**18 let any file be read whole.
    option = "SEED_MAX_BYTES" if max_bytes is None else "max_bytes"
    max_bytes = settings.SEED_MAX_BYTES if max_bytes is None else max_bytes
    if problem := seed_bytes_problem(max_bytes):
        raise ImportOptionError(option, problem)
    files = discover_seed_files(paths, follow_links=follow_links)
    report = ImportReport(dry_run=dry_run)
    if workers is None:
        # One worker at least: a file that crashes or hangs its parser then costs that file alone.
        workers = default_workers() if len(files) >= MIN_FILES_FOR_WORKERS else 1
    indexer = story_service.ImportIndexer() if stories and not dry_run else None
    parser = make_parser(
        workers,
        limits=seed_limits(),
        timeout=settings.SEED_PARSE_TIMEOUT,
        describe=describe if indexer is not None else None,
        # The word lists, loaded before the parse workers fork so that they share them; an
        # import with nothing to parse (an unchanged folder) never loads them.
        prepare=story_service.warm if indexer is not None else None,
    )
    statistics = None
    # Which file of the run stands for each article (planning.py), by the files' numbers here.
    claims = RunClaims(path_of=lambda number: files[number].path)
    done = 0

    def finish(batch):
        nonlocal done
        results = _finish_batch(batch, writer, claims)
        report.results.extend(results)
        statistics.wrote(sum(result.status == ImportStatus.CREATED for result in results))
        done += batch[0]
        if progress:
            progress(done, len(files))

    try:
        with no_query_log():
            run = None
            if not dry_run:
                run = runs.start_run([display_path(os.fspath(p)) for p in paths])
                report.run_id = run.pk
            writer = SeedWriter(run=run, dry_run=dry_run, stories=indexer, pump=parser.pump)
            database = backend()
            statistics = database.planner_statistics(enabled=not dry_run)
            with database.bulk_write_session():
                pending = None  # the previous batch, parsing while this one is read
                for start in range(0, len(files), batch_size):
                    batch = _prepare_batch(start, files[start : start + batch_size], max_bytes, parser)
                    if pending is not None:
                        finish(pending)
                    pending = batch
                if pending is not None:
                    finish(pending)
                if indexer is not None:
                    if run is not None:
                        runs.beat(run)  # the clustering may take minutes before the next commit
                    report.stories = _after_files(
                        report,
                        "stories were not clustered (cluster_stories can, later)",
                        lambda: indexer.finish().as_dict(),
                    )
            if rules and not dry_run:
                runs.beat(run)
                # After clustering: a rule may read an item's story size.
                report.rules = _after_files(
                    report,
                    "the triage rules did not run (apply_rules can, later)",
                    rule_service.run_on_new_items,
                    [r.article_id for r in report.results if r.status == ImportStatus.CREATED and r.article_id],
                    [r.article_id for r in report.results if r.status == ImportStatus.UPDATED and r.article_id],
                )
            if run is not None:
                if _ran_alongside_another_import(run):
                    link_pending_coverage(list(writer.written_by))
                counts = report.counts
                ImportRun.objects.filter(pk=run.pk).update(
                    finished_at=timezone.now(),
                    created=counts["created"],
                    updated=counts["updated"],
                    unchanged=counts["unchanged"],
                    failed=counts["failed"],
                )
    except DatabaseError as exc:
        if (interrupt := stopping.interrupt_behind(exc)) is not None:
            raise _interrupted(interrupt, report, len(files)) from None
        if (reason := transactions.cannot_write(exc)) is None:
            raise
        raise ImportStoppedError(_stopped(reason, report, len(files))) from exc
    except KeyboardInterrupt as exc:
        raise _interrupted(exc, report, len(files)) from None
    finally:
        parser.close()
    return report


def _interrupted(interrupt, report, total):
    """Ctrl-C or SIGTERM (stopping.py): the batch being written was rolled back with its
    transaction, the parse workers are ended as the import leaves; say what stays."""
    committed = None
    if report.run_id is not None:
        runs.stop(report.run_id, stopping.signal_name(interrupt))
        committed = runs.committed_counts(report.run_id)
    message = _stopped(None, report, total, signal=stopping.signal_name(interrupt), committed=committed)
    return ImportInterrupted(message, exit_status=stopping.exit_status(interrupt))


class ImportInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during an import, with what it wrote before (a KeyboardInterrupt
    still, for callers that let interrupts through); `exit_status` 130 or 143."""

    def __init__(self, message, *, exit_status):
        super().__init__(message)
        self.exit_status = exit_status


class ImportStoppedError(RuntimeError):
    """The database took no more writes (locked past the wait, read-only, full, gone): the
    import stopped at once rather than fail every file for it; the message says why and what
    was written before (the batches committed stay, the one being written is rolled back)."""


def _stopped(reason, report, total, *, signal=None, committed=None):
    """One sentence: why the import stopped (`reason`, or the `signal` that stopped it) and
    what stays written: `committed` ({status: files}, runs.committed_counts) where the
    database could tell, else what the report holds."""
    stopped = f"the import stopped ({signal})" if signal else f"the import stopped: {reason}"
    if report.run_id is None:
        if signal:
            return f"{stopped} before writing anything"
        return f"the import stopped before writing anything: {reason}"
    counts = report.counts if committed is None else {"files": sum(committed.values()), **committed}
    if not counts["files"]:
        return f"{stopped}. No file was written (run {report.run_id}); run the import again"
    done = ", ".join(f"{counts[status]} {status}" for status in ImportStatus.values if counts[status])
    return (
        f"{stopped}. {counts['files']:,} of {total:,} files were done before it and stay "
        f"written (run {report.run_id}: {done}); run the import again to finish"
    )


def _after_files(report, failure, step, *args):
    """A step that follows the files (clustering, rules), run so that its failure costs
    only the step: the files are written and recorded, the run is finished and reported,
    and the failure is one of the report's errors (exit status 1), not a traceback.
    Clustering is one transaction, so a failed one leaves nothing half done; the rules
    decide item by item, so a failure there keeps the decisions made before it."""
    try:
        return step(*args)
    except Exception as exc:  # noqa: BLE001 - the files' report must reach the operator
        stopping.raise_interrupt_behind(exc)
        logger.exception("import: %s", failure)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        report.errors.append(f"{failure}: {type(exc).__name__}" + (f": {reason[:200]}" if reason else ""))
        return None


@contextmanager
def no_query_log():
    """No query log while importing, even with DEBUG on (the README's development default).

    With DEBUG, Django wraps every cursor to time each query and keep its SQL in
    connection.queries, a cost on every one of an import's thousands of statements for a
    log nobody reads. `queries_logged` (DEBUG or force_debug_cursor) is a property, so this
    connection's debug wrapper is what is switched off, until the import ends. A caller who
    asked for the log explicitly (CaptureQueriesContext sets force_debug_cursor) keeps it.
    """
    if connection.force_debug_cursor or not settings.DEBUG:
        yield
        return
    connection.make_debug_cursor = connection.make_cursor  # this object only; the class is untouched
    try:
        yield
    finally:
        del connection.make_debug_cursor


def _ran_alongside_another_import(run):
    """Did another import write articles at any moment during this one? A finished run
    counts until its finish, one that recorded its stop until then. One that never ended
    (still at work, or killed with -9) counts while its last committed batch (its
    heartbeat) is more recent than IMPORT_STALE_AFTER_MINUTES before this run's start: a
    batch is committed just after its heartbeat is taken, and a run silent longer than that
    wrote nothing during this one (if it lives and writes again, its own end sees this run).
    A run killed long ago used to count forever: one needless linking pass for every later
    import."""
    ended = Q(finished_at__gte=run.started_at) | Q(stopped_at__gte=run.started_at)
    recent = run.started_at - dt.timedelta(minutes=settings.IMPORT_STALE_AFTER_MINUTES)
    never_ended = Q(finished_at__isnull=True, stopped_at__isnull=True) & (
        Q(heartbeat_at__gte=recent) | Q(heartbeat_at__isnull=True, started_at__gte=recent)
    )
    return (
        ImportRun.objects.exclude(pk=run.pk)
        .filter(started_at__lte=timezone.now())
        .filter(never_ended | ended)
        .exists()
    )


def _prepare_batch(start, found_files, max_bytes, parser):
    """Read and hash a batch (the run's files from number `start`), set aside files known by
    hash, and start parsing the rest."""
    seed_files = [read_seed_file(found, max_bytes) for found in found_files]
    early, to_parse = sort_read_files(seed_files)
    # The bytes now live in the parse payloads only.
    for seed_file in seed_files:
        seed_file.data = None
    return len(seed_files), seed_files, early, parser.submit(to_parse), start


def _finish_batch(batch, writer, claims):
    _, seed_files, early, parsed_results, start = batch
    order = {seed_file.path: start + position for position, seed_file in enumerate(seed_files)}
    items, decided = [], list(early)
    for index, outcome in parsed_results():
        seed_file = seed_files[index]
        if isinstance(outcome, ParsedSeed):
            items.append((seed_file, outcome))
        else:
            decided.append(FileResult.of(seed_file, ImportStatus.FAILED, error=outcome))
    follow_edited_urls(items)
    items, decided = claims.settle(items, decided, order)
    results = writer.write_batch(items, decided)
    return sorted(results, key=lambda result: order.get(result.path, 0))
