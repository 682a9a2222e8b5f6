"""Writing parsed seeds: a batch per transaction, bulk inserts through the database seam.

If the database refuses a batch, its files are retried one transaction each, so one bad
file never costs the others. A file is written entirely inside one transaction, so an
interrupted import (even kill -9) leaves no half-imported file.
"""

import logging
from collections import Counter

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone

from curation import stopping
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
from curation.services import taxonomy, transactions
from curation.services.importing.discovery import display_path
from curation.services.importing.planning import FileResult, plan_items

logger = logging.getLogger(__name__)

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


class SeedWriter:
    """Turns parsed seeds into rows, a batch per transaction. Caches providers and topics."""

    def __init__(self, *, run, dry_run, stories=None, pump=None):
        self.run = run
        # Called between the batch's statements (the parse pool's pump: see pool.py).
        self.pump = pump or (lambda: None)
        self.db = backend()
        self.stories = stories  # services.stories.ImportIndexer, or None
        self.dry_run = dry_run
        # article id -> path of the file of this run that created or updated it
        self.written_by = {}
        self.providers = {}
        self.topics = {}

    # The batch --------------------------------------------------------------------------

    def write_batch(self, items, decided):
        """Write parsed seeds and record them, with `decided` (results known before parsing:
        unreadable, invalid or unchanged-by-hash files, and files that name an article an
        earlier file of the run claimed: planning.RunClaims), in the ledger.

        items: [(SeedFile, ParsedSeed)], one per article (RunClaims saw to it).
        """
        results = self._write_round(items, decided)
        for result in results:
            if result.status in (ImportStatus.CREATED, ImportStatus.UPDATED) and result.article_id:
                self.written_by[result.article_id] = result.path
        return results

    def _write_round(self, items, decided):
        if self.dry_run:
            return plan_items(items, lock=False).results + decided
        try:
            with transaction.atomic():
                results = self._write(items)
                self._record(results + decided)
                self.pump()
            return results + decided
        except Exception as exc:  # noqa: BLE001 - whatever it was, the per-file pass below names the file
            stopping.raise_interrupt_behind(exc)
            if transactions.cannot_write(exc):
                # No file is to blame and every one would fail the same way (a held lock
                # making each wait its 30 s): the import stops (service.py says what it wrote).
                raise
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
                stopping.raise_interrupt_behind(exc)
                # Most likely another import created the same article a moment ago: one
                # more try sees its row and updates it, or finds it unchanged.
                if attempt:
                    return self._database_failure(item, exc)
            except DatabaseError as exc:
                stopping.raise_interrupt_behind(exc)
                if transactions.cannot_write(exc):
                    raise  # as above: the database, not this file
                return self._database_failure(item, exc)
            except Exception as exc:  # noqa: BLE001 - a bug must cost one file, not the import
                stopping.raise_interrupt_behind(exc)
                logger.exception("unexpected error importing %s", item[0].path)
                return self._database_failure(item, exc, prefix="unexpected error (details in the log)")

    def _database_failure(self, item, exc, prefix="the database refused it"):
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return FileResult.of(item[0], ImportStatus.FAILED, error=f"{prefix}: {reason}")

    def _forget_caches(self):
        self.providers.clear()
        self.topics.clear()

    def _write(self, items):
        plan = plan_items(items)
        results, creates, updates, refreshes = plan.results, plan.creates, plan.updates, plan.refreshes
        now = timezone.now()
        self._ensure_providers([parsed for _, parsed in items])
        self._ensure_topics(
            [parsed for _, _, parsed in creates] + [p for _, a, _, p in updates if "topics" not in a.edited_fields]
        )
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
            with self.db.deferred_search_indexing():
                self.db.insert_rows(Article, rows)
            self.pump()
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
                    result.notes.append(
                        f"source changed after editorial work ({'; '.join(filter(None, [state, kept]))})"
                    )
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
        self.pump()
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
                Article.objects.filter(canonical_url__in_array=list(related_urls))
                .order_by("pk")
                .values_list("canonical_url", "pk")
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
                # Once each: a file may name a merged topic and the one it was merged into.
                topic_ids = dict.fromkeys(self.topics[name] for name in parsed.topics)
                topic_links.extend({"article_id": article_id, "topic_id": topic_id} for topic_id in topic_ids)
        self.db.insert_rows(ArticleImage, images)
        self.db.insert_rows(RelatedCoverage, related, json_encoded={"images"})
        self.db.insert_rows(Article.topics.through, topic_links)

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
        # A pair an admin merged away is the kept provider's (one query, only when some are not found).
        self.providers.update(taxonomy.aliased_provider_ids(missing - self.providers.keys()))
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
        # A name an admin merged away is the kept topic's (one query, only when some are not found).
        self.topics.update(taxonomy.aliased_topic_ids(missing - self.topics.keys()))
        for disambiguate in (False, True):
            to_create = missing - self.topics.keys()
            if not to_create:
                return
            slugs = taxonomy.new_topic_slugs(to_create, disambiguate=disambiguate)  # not a merged topic's
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
        self.db.insert_rows(
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
        # The run's counts move with its ledger rows, in the same transaction: a run that is
        # killed (or stops on database trouble) shows what it wrote, in import_ledger, the
        # admin and the statistics' inflow per run, not zeros beside its thousands of rows.
        tally = Counter(str(result.status) for result in results)
        # And its heartbeat: committed with the batch, the sign that the run is alive (runs.py).
        ImportRun.objects.filter(pk=self.run.pk).update(
            heartbeat_at=now, **{status: F(status) + tally[status] for status in ImportStatus.values if tally[status]}
        )


def _storable(text):
    """Text any database stores: reasons quote values with repr, but a NUL or a lone
    surrogate in a ledger row would make the database refuse the whole batch's rows."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _provider_key(provider):
    return (provider.name, provider.domain)


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
        link_coverage_to(
            list(Article.objects.filter(pk__in=chunk).exclude(canonical_url="").values_list("canonical_url", flat=True))
        )
        RelatedCoverage.objects.unlinked().exclude(canonical_url="").filter(
            Exists(Article.objects.filter(canonical_url=OuterRef("canonical_url"))), article_id__in=chunk
        ).update(linked_article_id=_article_with_coverage_url())


def _article_with_coverage_url():
    return Subquery(Article.objects.filter(canonical_url=OuterRef("canonical_url")).order_by("-pk").values("pk")[:1])
