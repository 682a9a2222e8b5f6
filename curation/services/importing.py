"""Seed import: files on disk to articles, with a ledger row for every file.

The pipeline is built for an operator importing tens of thousands of files:

1. discover: walk the paths (recursively, hidden files skipped, symlink loops survived,
   links out of the folder refused; seedfiles.py);
2. read and hash each file in this process; a file whose hash matches the last import of an
   article is unchanged and is never parsed;
3. parse the rest in worker processes (YAML parsing is the expensive part, and the one where
   a file could crash or hang its process: seedparsing.py);
4. write in batches, one transaction per batch, with bulk inserts. If the database refuses a
   batch, its files are retried one transaction each, so one bad file never costs the others.

A file is written entirely inside one transaction, so an interrupted import (even kill -9)
leaves no half-imported file, and running it again finishes the job.
"""

import datetime as dt
import gc
import logging
import os
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from curation.db import backend
from curation.models import (
    Article,
    ArticleImage,
    ImportLedgerEntry,
    ImportRun,
    ImportStatus,
    Provider,
    RelatedCoverage,
    Topic,
)
from curation.seedformat import ParsedSeed, SeedLimits
from curation.services import rules as rule_service
from curation.services import stories as story_service
from curation.services.seedfiles import (  # noqa: F401 - MissingPathError is part of this service's interface
    MissingPathError,
    discover_seed_files,
    display_path,
    read_seed_file,
)
from curation.services.seedparsing import make_parser
from curation.stories.seeds import describe

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 400
# Below this many files to parse, starting worker processes costs more than it saves.
MIN_FILES_FOR_WORKERS = 200

# Imported columns the importer refreshes when the source changes (editor-edited ones excepted).
IMPORTED_FIELDS = [
    "title",
    "excerpt",
    "body",
    "category",
    "article_type",
    "web_url",
    "canonical_url",
    "amp_url",
    "cdn_amp_url",
    "published_at",
    "quality",
    "heat",
    "source_published",
    "provider",
    "secured",
    "front_matter_raw",
    "has_images",
    "related_count",
    "source_path",
    "source_sha256",
    "content_sha256",
    "body_sha256",
    "source_updated_at",
]


@dataclass
class FileResult:
    path: str
    status: str
    article_id: int | None = None
    error: str | None = None
    notes: list = field(default_factory=list)
    size: int | None = None
    sha256: str = ""

    @property
    def display_path(self):
        return display_path(self.path)

    def as_dict(self):
        return {"path": self.display_path, "status": str(self.status), "article": self.article_id, "error": self.error}


@dataclass
class ImportReport:
    results: list = field(default_factory=list)
    run_id: int | None = None
    dry_run: bool = False
    stories: dict | None = None  # what clustering the run's items did (services.stories.StoryRun)
    rules: dict | None = None  # what the triage rules did to the new items (services.rules)

    @property
    def counts(self):
        counts = {"files": len(self.results)}
        for status in ImportStatus.values:
            counts[status] = 0
        for result in self.results:
            counts[result.status] += 1
        return counts

    @property
    def failures(self):
        return [result for result in self.results if result.status == ImportStatus.FAILED]


# --- writing ----------------------------------------------------------------------------


class SeedWriter:
    """Turns parsed seeds into rows, a batch per transaction. Caches providers and topics."""

    def __init__(self, *, run, dry_run, max_bytes, stories=None):
        self.run = run
        self.stories = stories  # services.stories.ImportIndexer, or None
        self.dry_run = dry_run
        self.max_bytes = max_bytes
        # article id -> path of the last file of this run that created or updated it
        self.written_by = {}
        self.providers = {}
        self.topics = {}
        # Dry runs write nothing, so remember what an earlier batch "created".
        self.planned = {}

    # The batch --------------------------------------------------------------------------

    def write_batch(self, items, decided):
        """Write parsed seeds and record them, with `decided` (results known before parsing:
        unreadable, invalid or unchanged-by-hash files), in the ledger.

        items: [(SeedFile, ParsedSeed)]. Items whose identity repeats inside the batch are
        written in a following round, so that the second one sees the first.
        """
        results = []
        while items or decided:
            round_items, seen, items_next = [], set(), []
            for item in items:
                (items_next if item[1].source_key in seen else round_items).append(item)
                seen.add(item[1].source_key)
            results.extend(self._write_round(round_items, decided))
            decided = []
            items = items_next
        for result in results:
            if result.status in (ImportStatus.CREATED, ImportStatus.UPDATED) and result.article_id:
                self.written_by[result.article_id] = result.path
        return results

    def _write_round(self, items, decided):
        if self.dry_run:
            return self._plan(items)[0] + decided
        try:
            with transaction.atomic():
                results = self._write(items)
                self._record(results + decided)
            return results + decided
        except Exception:  # noqa: BLE001 - whatever it was, the per-file pass below names the file
            logger.info("batch of %d files failed; retrying one by one", len(items), exc_info=True)
        # One file the database refuses (or a concurrent import of the same files) must
        # not cost the rest of the batch: write them one transaction each.
        results = [self._write_alone(item) for item in items]
        with transaction.atomic():
            self._record(decided + [result for result in results if result.status == ImportStatus.FAILED])
        return results + decided

    def _write_alone(self, item):
        for attempt in range(2):
            self._forget_caches()
            try:
                with transaction.atomic():
                    results = self._write([item])
                    self._record(results)
                return results[0]
            except IntegrityError as exc:
                # Most likely another import created the same article a moment ago: one
                # more try sees its row and updates it, or finds it unchanged.
                if attempt:
                    return self._database_failure(item, exc)
            except DatabaseError as exc:
                return self._database_failure(item, exc)
            except Exception as exc:  # noqa: BLE001 - a bug must cost one file, not the import
                logger.exception("unexpected error importing %s", item[0].path)
                return self._database_failure(item, exc, prefix="unexpected error (details in the log)")

    def _database_failure(self, item, exc, prefix="the database refused it"):
        seed_file, _ = item
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return FileResult(
            path=seed_file.path,
            status=ImportStatus.FAILED,
            error=f"{prefix}: {reason}",
            size=seed_file.size,
            sha256=seed_file.sha256,
        )

    def _forget_caches(self):
        self.providers.clear()
        self.topics.clear()

    # Planning ---------------------------------------------------------------------------

    def _plan(self, items):
        """Decide created / updated / unchanged for each item against what is stored."""
        keys = [parsed.source_key for _, parsed in items]
        existing = {}
        if keys:
            # Bodies and front matter stay in the database: an update writes them from the
            # parsed file. Fields editors edit are loaded, as an update writes them back as they are.
            stored = Article.objects.with_source_keys(keys).only(
                "source_key", "content_sha256", "secured", "source_sha256", "edited_fields", "state",
                "title", "excerpt", "category", "web_url", "provider_id",
            )
            existing = {article.source_key: article for article in stored}
        results, creates, updates, refreshes = [], [], [], []
        for seed_file, parsed in items:
            result = FileResult(
                path=seed_file.path,
                status=ImportStatus.CREATED,
                notes=list(parsed.notes),
                size=seed_file.size,
                sha256=seed_file.sha256,
            )
            article = existing.get(parsed.source_key)
            if self.dry_run and article is None and parsed.source_key in self.planned:
                article = self.planned[parsed.source_key]
            if article is None:
                creates.append((result, seed_file, parsed))
                if self.dry_run:
                    self.planned[parsed.source_key] = Article(content_sha256=parsed.content_sha256)
            elif article.content_sha256 == parsed.content_sha256:
                result.status = ImportStatus.UNCHANGED
                result.article_id = article.pk
                if article.pk and (article.secured != parsed.secured or article.source_sha256 != seed_file.sha256):
                    refreshes.append((article, seed_file, parsed))
            else:
                result.status = ImportStatus.UPDATED
                result.article_id = article.pk
                updates.append((result, article, seed_file, parsed))
            results.append(result)
        return results, creates, updates, refreshes

    def _write(self, items):
        results, creates, updates, refreshes = self._plan(items)
        now = timezone.now()
        self._ensure_providers([parsed for _, parsed in items])
        self._ensure_topics([parsed for _, _, parsed in creates] + [p for _, a, _, p in updates if "topics" not in a.edited_fields])
        written = []  # (article_id, edited_fields, web_url, parsed)

        # Created: plain rows, no model instances (see insert_rows).
        if creates:
            rows = []
            for _, seed_file, parsed in creates:
                row = self._imported_values(parsed, seed_file, now)
                row.update(
                    source_key=parsed.source_key,
                    imported_at=now,
                    needs_metadata=parsed.needs_metadata,
                    has_front_matter=parsed.has_front_matter,
                )
                rows.append(row)
            with backend().deferred_search_indexing():
                insert_rows(Article, rows)
            keys = [parsed.source_key for _, _, parsed in creates]
            ids = dict(Article.objects.with_source_keys(keys).values_list("source_key", "pk"))
            for result, _, parsed in creates:
                result.article_id = ids[parsed.source_key]
                written.append((result.article_id, (), parsed.web_url, parsed))

        # Updated: imported fields change, editorial ones never do.
        if updates:
            changed_articles = []
            for result, article, seed_file, parsed in updates:
                edited = set(article.edited_fields or ())
                for name, value in self._imported_values(parsed, seed_file, now).items():
                    if name.removesuffix("_id") not in edited:
                        setattr(article, name, value)
                if article.state != Article.State.NEW or edited:
                    # The editor's decision and edits stand; tell the operator and the editors.
                    article.source_changed_at = now
                    kept = f"edited fields kept: {', '.join(sorted(edited))}" if edited else ""
                    state = f"state {article.state} kept" if article.state != Article.State.NEW else ""
                    result.notes.append(f"source changed after editorial work ({'; '.join(filter(None, [state, kept]))})")
                changed_articles.append(article)
                written.append((article.pk, edited, article.web_url, parsed))
            # Editor-edited fields were left untouched on the instances, so writing them back is a no-op.
            Article.objects.bulk_update(changed_articles, IMPORTED_FIELDS + ["source_changed_at"])
            changed_ids = [article.pk for article in changed_articles]
            ArticleImage.objects.filter(article_id__in=changed_ids).delete()
            RelatedCoverage.objects.filter(article_id__in=changed_ids).delete()
            topic_ids = [a.pk for a in changed_articles if "topics" not in (a.edited_fields or ())]
            Article.topics.through.objects.filter(article_id__in=topic_ids).delete()

        # Unchanged, but the opaque blob moved on: keep the newest one.
        if refreshes:
            for article, seed_file, parsed in refreshes:
                article.secured = parsed.secured
                article.front_matter_raw = parsed.front_matter_raw
                article.source_sha256 = seed_file.sha256
            Article.objects.bulk_update([a for a, _, _ in refreshes], ["secured", "front_matter_raw", "source_sha256"])

        self._write_children(written)
        if self.stories is not None:
            self.stories.index(written)
        # Coverage imported earlier that points at these articles links to them in the same
        # transaction; this batch's own coverage was linked as it was inserted.
        link_coverage_to([parsed.canonical_url for *_, parsed in written if parsed.canonical_url])
        return results

    def _imported_values(self, parsed, seed_file, now):
        """Article column values for what the source says (attnames, ready to write)."""
        return {
            "title": parsed.title,
            "excerpt": parsed.excerpt,
            "body": parsed.body,
            "category": parsed.category,
            "article_type": parsed.article_type,
            "web_url": parsed.web_url,
            "canonical_url": parsed.canonical_url,
            "amp_url": parsed.amp_url,
            "cdn_amp_url": parsed.cdn_amp_url,
            "published_at": parsed.published_at,
            "quality": parsed.quality,
            "heat": parsed.heat,
            "source_published": parsed.source_published,
            "provider_id": self.providers[_provider_key(parsed.provider)] if parsed.provider else None,
            "secured": parsed.secured,
            "front_matter_raw": parsed.front_matter_raw,
            "has_images": bool(parsed.images),
            "related_count": len(parsed.related),
            "source_path": display_path(seed_file.path)[-1000:],
            "source_sha256": seed_file.sha256,
            "content_sha256": parsed.content_sha256,
            "body_sha256": parsed.body_sha256,
            "source_updated_at": now,
        }

    def _write_children(self, written):
        images, related, topic_links = [], [], []
        related_urls = {item.canonical_url for *_, parsed in written for item in parsed.related if item.canonical_url}
        linked = {}
        if related_urls:
            linked = dict(
                Article.objects.filter(canonical_url__in_array=list(related_urls)).order_by("pk").values_list("canonical_url", "pk")
            )
        for article_id, edited, _, parsed in written:
            for position, image in enumerate(parsed.images):
                images.append(
                    {
                        "article_id": article_id,
                        "position": position,
                        "url": image.url,
                        "width": image.width,
                        "height": image.height,
                        "title": image.title,
                    }
                )
            for position, item in enumerate(parsed.related):
                related.append(
                    {
                        "article_id": article_id,
                        "position": position,
                        "title": item.title,
                        "excerpt": item.excerpt,
                        "web_url": item.web_url,
                        "amp_url": item.amp_url,
                        "cdn_amp_url": item.cdn_amp_url,
                        "url_key": item.url_key,
                        "canonical_url": item.canonical_url,
                        "published_at": item.published_at,
                        "article_type": item.article_type,
                        "provider_id": self.providers[_provider_key(item.provider)] if item.provider else None,
                        "quality": item.quality,
                        "heat": item.heat,
                        "images": item.images_json,
                        "linked_article_id": linked.get(item.canonical_url),
                    }
                )
            if "topics" not in edited:
                topic_links.extend({"article_id": article_id, "topic_id": self.topics[name]} for name in parsed.topics)
        insert_rows(ArticleImage, images)
        insert_rows(RelatedCoverage, related, json_encoded={"images"})
        insert_rows(Article.topics.through, topic_links)

    def _ensure_providers(self, parsed_seeds):
        wanted = set()
        for parsed in parsed_seeds:
            for provider in [parsed.provider] + [item.provider for item in parsed.related]:
                if provider is not None:
                    wanted.add(_provider_key(provider))
        missing = wanted - self.providers.keys()
        if not missing:
            return
        names = {name for name, _ in missing}
        for pk, name, domain in Provider.objects.filter(name__in=names).values_list("pk", "name", "domain"):
            self.providers[(name, domain)] = pk
        to_create = [Provider(name=name, domain=domain) for name, domain in missing - self.providers.keys()]
        if to_create:
            Provider.objects.bulk_create(to_create, ignore_conflicts=True)
            for pk, name, domain in Provider.objects.filter(name__in=names).values_list("pk", "name", "domain"):
                self.providers[(name, domain)] = pk

    def _ensure_topics(self, parsed_seeds):
        """Every topic the seeds name, created where missing; self.topics maps each name to its id.

        ignore_conflicts skips a topic whose name *or slug* another import (or an editor)
        took a moment ago. A taken name is found by name; a taken slug leaves the name
        without a row, so it is tried again with the name's own disambiguated slug, which
        only that name can make."""
        missing = {name for parsed in parsed_seeds for name in parsed.topics} - self.topics.keys()
        if not missing:
            return
        self.topics.update(Topic.objects.filter(name__in=missing).values_list("name", "pk"))
        for disambiguate in (False, True):
            to_create = missing - self.topics.keys()
            if not to_create:
                return
            slugs = {name: Topic.slug_for(name, disambiguate=disambiguate) for name in to_create}
            taken = set(Topic.objects.filter(slug__in=slugs.values()).values_list("slug", flat=True))
            topics = []
            for name in sorted(to_create):
                slug = slugs[name]
                if slug in taken:
                    slug = Topic.slug_for(name, disambiguate=True)
                taken.add(slug)
                topics.append(Topic(name=name, slug=slug))
            Topic.objects.bulk_create(topics, ignore_conflicts=True)
            self.topics.update(Topic.objects.filter(name__in=to_create).values_list("name", "pk"))
        still_missing = missing - self.topics.keys()
        if still_missing:
            raise DatabaseError(f"topic {sorted(still_missing)[0][:60]!r} could not be created (its slug is taken)")

    # Ledger -----------------------------------------------------------------------------

    def _record(self, results):
        if self.dry_run or not results:
            return
        now = timezone.now()
        insert_rows(
            ImportLedgerEntry,
            [
                {
                    "run_id": self.run.pk,
                    "path": result.display_path[-1000:],
                    "size": result.size,
                    "sha256": result.sha256,
                    "status": str(result.status),
                    "article_id": result.article_id,
                    "error": _storable(result.error or ""),
                    "notes": _storable("\n".join(result.notes)),
                    "created_at": now,
                }
                for result in results
            ],
        )


def _storable(text):
    """Text any database stores: reasons quote values with repr, but a NUL or a lone
    surrogate in a ledger row would make the database refuse the whole batch's rows."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _provider_key(provider):
    return (provider.name, provider.domain)


def _sqlite_datetime(value):
    """What Django's SQLite backend stores for an aware datetime (naive UTC text), without
    the per-call settings lookups that make its own adapter cost ~10 us a value."""
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")


def insert_rows(model, rows, json_encoded=frozenset()):
    """INSERT plain dicts (attname -> value): one binary COPY on PostgreSQL, one executemany on SQLite.

    The import's hot path: Django's bulk_create builds a model instance and prepares every
    value of every row through its field (about 0.1 ms a row here), which more than halves
    the import rate. Values here are already validated, so only timestamps and JSON need
    adapting to the backend; columns a row leaves out take the field's default. Values of
    the JSON columns named in `json_encoded` are JSON text already and are stored as given.
    """
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    ops = connection.ops
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        from psycopg.types.json import Jsonb
    # Per column: its name, how to adapt a value, and its default already adapted.
    columns = []
    for f in fields:
        adapt = None
        if isinstance(f, models.DateTimeField):
            adapt = _sqlite_datetime if connection.vendor == "sqlite" else ops.adapt_datetimefield_value
        elif isinstance(f, models.JSONField):
            adapt = partial(ops.adapt_json_value, encoder=f.encoder)
        default = f.get_default()
        if adapt is not None and default is not None:
            default = adapt(default)
        if f.attname in json_encoded:
            # The rows' values are JSON text already (the default above is a Python value).
            adapt = partial(Jsonb, dumps=str) if postgresql else None
        columns.append((f.attname, adapt, default))
    quote = ops.quote_name
    table = quote(model._meta.db_table)
    column_list = ", ".join(quote(f.column) for f in fields)
    params = []
    missing = object()
    for row in rows:
        values = []
        for name, adapt, default in columns:
            value = row.get(name, missing)
            if value is missing:
                values.append(default)
            elif adapt is None or value is None:
                values.append(value)
            else:
                values.append(adapt(value))
        params.append(values)
    with connection.cursor() as cursor:
        if postgresql:
            # COPY streams the rows in one go; executemany pays a round of adaptation and
            # pipeline bookkeeping per row that costs more than the insert itself. In binary
            # format neither side escapes or parses the text (6 KB of front matter a row):
            # the server's CPU per imported file fell by 60 us (~15 %) against text COPY.
            copy_sql = f"COPY {table} ({column_list}) FROM STDIN (FORMAT BINARY)"
            with connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
                # Binary COPY needs each column's type: varchar(64) -> varchar.
                copy.set_types([f.db_type(connection).split("(")[0] for f in fields])
                for values in params:
                    copy.write_row(values)
        else:
            cursor.executemany(f"INSERT INTO {table} ({column_list}) VALUES ({', '.join(['%s'] * len(fields))})", params)


# --- the service ------------------------------------------------------------------------


def default_workers():
    """A worker per core (at most 4)."""
    return min(os.cpu_count() or 1, 4)


def seed_limits():
    """The configured limits on what one seed file may hold (README, "Configuration")."""
    return SeedLimits(
        max_title=settings.SEED_MAX_TITLE_CHARS,
        max_excerpt=settings.SEED_MAX_EXCERPT_CHARS,
        max_body=settings.SEED_MAX_BODY_CHARS,
        max_topics=settings.SEED_MAX_TOPICS,
        max_related=settings.SEED_MAX_RELATED,
        max_images=settings.SEED_MAX_IMAGES,
        max_depth=settings.SEED_MAX_DEPTH,
        max_yaml_nodes=settings.SEED_MAX_YAML_NODES,
    )


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
    """Import seed files and folders. Raises MissingPathError if a path does not exist.

    Never raises for a bad file: each one becomes a failed FileResult with its reason,
    and a failed ledger row. `workers`: parser processes (None: one, or one per core for
    large imports; 0: parse in this process, see seedparsing).
    """
    max_bytes = settings.SEED_MAX_BYTES if max_bytes is None else max_bytes
    files = discover_seed_files(paths, follow_links=follow_links)
    report = ImportReport(dry_run=dry_run)
    if workers is None:
        # One worker at least: a file that crashes or hangs its parser then costs that file alone.
        workers = default_workers() if len(files) >= MIN_FILES_FOR_WORKERS else 1
    indexer = story_service.ImportIndexer() if stories and not dry_run else None
    if indexer is not None:
        story_service.warm()  # before the parse workers fork, so they share the word lists
    parser = make_parser(
        workers,
        limits=seed_limits(),
        timeout=settings.SEED_PARSE_TIMEOUT,
        describe=describe if indexer is not None else None,
    )
    statistics = None
    done = 0

    def finish(batch):
        nonlocal done
        results = _finish_batch(batch, writer, parser)
        report.results.extend(results)
        statistics.wrote(sum(result.status == ImportStatus.CREATED for result in results))
        done += batch[0]
        if progress:
            progress(done, len(files))

    try:
        with no_query_log():
            run = None
            if not dry_run:
                run = ImportRun.objects.create(started_at=timezone.now(), paths=[display_path(os.fspath(p)) for p in paths])
                report.run_id = run.pk
            writer = SeedWriter(run=run, dry_run=dry_run, max_bytes=max_bytes, stories=indexer)
            statistics = PlannerStatistics(enabled=not dry_run)
            with statement_journals_in_memory(), cycle_collection_for_bulk_work():
                pending = None  # the previous batch, parsing while this one is read
                for start in range(0, len(files), batch_size):
                    batch = _prepare_batch(files[start : start + batch_size], max_bytes, parser)
                    if pending is not None:
                        finish(pending)
                    pending = batch
                if pending is not None:
                    finish(pending)
            if indexer is not None:
                report.stories = indexer.finish().as_dict()
            if rules and not dry_run:
                # After clustering: a rule may read an item's story size.
                report.rules = rule_service.run_on_new_items(
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
    finally:
        parser.close()
    return report


@contextmanager
def no_query_log():
    """No query log while importing, even with DEBUG on (the README's development default).

    With DEBUG, Django wraps every cursor to time each query and keep its SQL in
    connection.queries; an import runs thousands of queries and bulk statements, and paid
    about 15 % for a log nobody reads. `queries_logged` (DEBUG or force_debug_cursor) is a
    property, so this connection's debug wrapper is what is switched off, until the import
    ends. A caller who asked for the log explicitly (CaptureQueriesContext sets
    force_debug_cursor) keeps it.
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
    """Did another import run at any moment during this one? (A killed run never finished,
    so it counts forever: the cost is one extra pass, never a missed link.)"""
    return (
        ImportRun.objects.exclude(pk=run.pk)
        .filter(started_at__lte=timezone.now())
        .filter(Q(finished_at__isnull=True) | Q(finished_at__gte=run.started_at))
        .exists()
    )


@contextmanager
def cycle_collection_for_bulk_work():
    """Keep Python's cycle collector from rescanning the same objects all through an import.

    A batch keeps thousands of parsed seeds and rows alive at once. With the default
    thresholds the collector scanned them every 700 new container objects, and its full
    collections walked every object Django had loaded: 74 us a file in the writing process
    (10,000 files on PostgreSQL), all of it on the import's critical path. Here what exists
    before the import is frozen (left out of collections; also what the docs advise before
    forking the workers) and a collection waits for 50,000 net new objects: 2 us a file.
    Cyclic garbage is still collected, later. Both settings are restored afterwards; a
    process that froze objects itself (a server after forking) keeps everything frozen,
    since unfreezing cannot tell its objects from the import's.
    """
    thresholds = gc.get_threshold()
    frozen_by_caller = gc.get_freeze_count() > 0
    gc.freeze()
    gc.set_threshold(50_000, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if not frozen_by_caller:
            gc.unfreeze()


@contextmanager
def statement_journals_in_memory():
    """SQLite: keep this connection's statement journals in memory while it imports.

    Inside a transaction SQLite journals every page a statement changes, so that the
    statement alone can be undone; the article table's insert trigger makes every insert
    such a statement. An imported article touches about 28 pages (its indexes), 112 KB,
    past the 64 KB SQLite keeps in memory, so each insert spilled its journal into a temp
    file: 56 small writes a file, two thirds of the import's system calls (143,000 -> 31,000
    writes for 2,000 files). temp_store = MEMORY keeps them in memory. It is scoped to the
    import: elsewhere a large sort may still spill to disk rather than grow in memory.
    SQLite refuses the change inside a transaction; an import started in one (tests) keeps
    the setting it has.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA temp_store")
        (previous,) = cursor.fetchone()
        cursor.execute("PRAGMA temp_store = MEMORY")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA temp_store = {int(previous)}")


class PlannerStatistics:
    """PostgreSQL: ANALYZE the tables an import grows each time they have doubled.

    Autovacuum analyzes a table at most once a minute, so during a first import the
    planner believes the tables are empty and scans them whole for the batch's lookups
    (growing with every batch). Analyzing at 400, 800, 1,600, ... rows keeps its picture
    current for a handful of ANALYZEs; a table that is already large is left to autovacuum.
    """

    # Only the columns the import looks rows up by: the full-text column's statistics
    # (target 1000) would make each ANALYZE many times dearer.
    TABLES = "curation_article (id, source_key, source_sha256, canonical_url), curation_relatedcoverage (article_id, canonical_url)"

    def __init__(self, enabled=True):
        self.enabled = enabled and connection.vendor == "postgresql"
        self.since_analyze = 0
        self.known_rows = self._estimated_rows() if self.enabled else 0

    def wrote(self, created):
        if not self.enabled:
            return
        self.since_analyze += created
        if self.since_analyze and self.since_analyze >= self.known_rows:
            with transaction.atomic(), connection.cursor() as cursor:
                # A 3,000-row sample, not the default 30,000: the lookups need the tables'
                # sizes and that the hashes are distinct, not fine histograms of random
                # hashes. At 10,000 articles: 190 ms -> 22 ms an ANALYZE, on the import's
                # critical path. Autovacuum later analyzes with the server's own target.
                cursor.execute("SELECT set_config('default_statistics_target', '10', true)")
                cursor.execute("ANALYZE " + self.TABLES)
            self.since_analyze = 0
            self.known_rows = self._estimated_rows()

    def _estimated_rows(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Article._meta.db_table])
            row = cursor.fetchone()
        return max(int(row[0]), 0) if row else 0


def link_coverage_to(canonical_urls):
    """Link unlinked coverage that names one of these canonical URLs to its article: one
    UPDATE. Any spelling of an article's URL links (tracking parameters, http, AMP forms).

    Driven by the URLs (the canonical_url index), never by "unlinked", which is most rows.
    """
    if canonical_urls:
        RelatedCoverage.objects.unlinked().filter(canonical_url__in_array=canonical_urls).update(
            linked_article_id=_article_with_coverage_url()
        )


def link_pending_coverage(article_ids, chunk_size=500):
    """Link coverage to articles once the whole run is committed.

    Each batch links what it can see, but a concurrent import's uncommitted rows are
    invisible to it (on PostgreSQL), so two imports can each miss the other's half of a
    link. Whichever run ends last sees both commits here and completes them: coverage
    pointing at the run's articles, and the run's coverage pointing at articles that now exist.
    """
    for start in range(0, len(article_ids), chunk_size):
        chunk = article_ids[start : start + chunk_size]
        link_coverage_to(list(Article.objects.filter(pk__in=chunk).exclude(canonical_url="").values_list("canonical_url", flat=True)))
        RelatedCoverage.objects.unlinked().exclude(canonical_url="").filter(
            Exists(Article.objects.filter(canonical_url=OuterRef("canonical_url"))), article_id__in=chunk
        ).update(linked_article_id=_article_with_coverage_url())


def _article_with_coverage_url():
    return Subquery(Article.objects.filter(canonical_url=OuterRef("canonical_url")).order_by("-pk").values("pk")[:1])


def _prepare_batch(found_files, max_bytes, parser):
    """Read and hash a batch, set aside files known by hash, and start parsing the rest."""
    seed_files = [read_seed_file(found, max_bytes) for found in found_files]
    known = {}
    hashes = {seed_file.sha256 for seed_file in seed_files if seed_file.data is not None}
    if hashes:
        known = dict(Article.objects.with_file_hashes(hashes).values_list("source_sha256", "pk"))
    early, to_parse = [], []
    for index, seed_file in enumerate(seed_files):
        if seed_file.error:
            early.append(FileResult(path=seed_file.path, status=ImportStatus.FAILED, error=seed_file.error,
                                    size=seed_file.size, sha256=seed_file.sha256))
        elif seed_file.sha256 in known:
            early.append(FileResult(path=seed_file.path, status=ImportStatus.UNCHANGED, article_id=known[seed_file.sha256],
                                    size=seed_file.size, sha256=seed_file.sha256))
        else:
            to_parse.append((index, seed_file.data))
    # The bytes now live in the parse payloads only.
    for seed_file in seed_files:
        seed_file.data = None
    return len(seed_files), (found_files, seed_files), early, parser.submit(to_parse)


def _finish_batch(batch, writer, parser):
    _, (found_files, seed_files), early, parsed_results = batch
    order = {seed_file.path: position for position, seed_file in enumerate(seed_files)}
    items = []
    skipped_by_hash = [r for r in early if r.status == ImportStatus.UNCHANGED]
    decided = [r for r in early if r.status != ImportStatus.UNCHANGED]
    for index, outcome in parsed_results():
        seed_file = seed_files[index]
        if isinstance(outcome, ParsedSeed):
            items.append((seed_file, outcome))
        else:
            decided.append(FileResult(path=seed_file.path, status=ImportStatus.FAILED, error=outcome,
                                       size=seed_file.size, sha256=seed_file.sha256))
    written_before = dict(writer.written_by)
    results = writer.write_batch(items, decided)
    # A file skipped by its hash matched the article as it was before this batch. If an
    # earlier file of this run (two files with one webUrl) has since written over that
    # article, the skip is stale: parse and write this file too, so the later file wins
    # on every run instead of the two taking turns.
    stale, still_unchanged = [], []
    for result in skipped_by_hash:
        writer_path = writer.written_by.get(result.article_id)
        earlier = writer_path is not None and (
            result.article_id in written_before or order.get(writer_path, -1) < order[result.path]
        )
        (stale if earlier else still_unchanged).append(result)
    rewrite = []
    if stale:
        # Read again (it may have changed since) and parsed as any file is, by the parser.
        again = [read_seed_file(found_files[order[result.path]], writer.max_bytes) for result in stale]
        outcomes = dict(parser.submit([(i, f.data) for i, f in enumerate(again) if f.data is not None])())
        for position, (result, seed_file) in enumerate(zip(stale, again, strict=True)):
            outcome = outcomes.get(position, seed_file.error)
            if isinstance(outcome, ParsedSeed):
                rewrite.append((seed_file, outcome))
            else:
                still_unchanged.append(result)
    results += writer.write_batch(rewrite, still_unchanged)
    return sorted(results, key=lambda result: order.get(result.path, 0))
