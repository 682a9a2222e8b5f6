"""The curation data model.

Imported data (what a seed file said) and editorial data (what editors decided or changed)
live side by side on `Article`, but they are written by different services and never by
each other: the importer refreshes imported columns except those named in
`Article.edited_fields`, and it never touches `state`, `version`, the schedule or the audit log.

What readers may see is one rule, `live_condition`: a published item whose go-live time
(`live_from`) has come, whose expiry (`live_until`) has not, and that is not under embargo
(`embargo_until`). Every public read applies it with the current time, so an item goes
live and expires on time whether or not the scheduled job (`publish_scheduled`) has run.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify


class Provider(models.Model):
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True, default="")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "domain"], name="provider_unique_name_domain"),
        ]

    def __str__(self):
        return f"{self.name} ({self.domain})" if self.domain else self.name


class Topic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=220, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("public:topic", args=[self.slug])

    @staticmethod
    def slug_for(name, *, disambiguate=False):
        """The URL slug for a topic name; `disambiguate` adds a suffix when two names collide
        (e.g. "AI" and "ai"), so every topic stays reachable."""
        suffix = hashlib.sha256(name.encode()).hexdigest()[:8]
        slug = slugify(name, allow_unicode=True)[:200] or f"topic-{suffix}"
        return f"{slug}-{suffix}" if disambiguate else slug


class ArticleState(models.TextChoices):
    NEW = "new", "New"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Rejected"
    # A body-only item whose text an editor attached to another article.
    MERGED = "merged", "Merged into another article"


def live_condition(now, prefix=""):
    """What readers may see at `now`: the one rule every public read uses (pages, feeds, the
    API, related-coverage links, exports for a static site). `prefix` applies it across a
    relation (e.g. "linked_article__")."""

    def q(**lookups):
        return Q(**{f"{prefix}{name}": value for name, value in lookups.items()})

    return (
        q(state=ArticleState.PUBLISHED)
        & (q(live_from__isnull=True) | q(live_from__lte=now))
        & (q(live_until__isnull=True) | q(live_until__gt=now))
        & (q(embargo_until__isnull=True) | q(embargo_until__lte=now))
    )


# state = 'published', written so that no index serves it (see ArticleQuerySet.scheduled).
_STATE_IS_PUBLISHED = Q(Exact(Coalesce("state", Value("")), ArticleState.PUBLISHED.value))


class ScheduleStatus(models.TextChoices):
    """How an editor reads a published item against the clock (the state stays "published")."""

    SCHEDULED = "scheduled", "Scheduled"
    LIVE = "live", "Published"
    EXPIRED = "expired", "Expired"


class ArticleQuerySet(models.QuerySet):
    def in_queue(self):
        """Items waiting for an editorial decision."""
        return self.filter(state=ArticleState.NEW)

    def published(self):
        """Items editors published: live now, scheduled for later, or expired. Readers see
        only `live()`."""
        return self.filter(state=ArticleState.PUBLISHED)

    def live(self, now=None):
        """What readers may see now (see `live_condition`)."""
        return self.filter(live_condition(now or timezone.now()))

    def scheduled(self, now=None):
        """Published, but not live yet: the go-live time or the end of an embargo is ahead.

        The time columns' partial indexes find these few rows (SQLite: a multi-index OR);
        the state is tested on them through COALESCE, so that neither database walks the
        state index's hundreds of thousands of published rows instead (see HEAT_UNKNOWN_Q).
        """
        now = now or timezone.now()
        return (
            self.filter(Q(live_from__gt=now) | Q(embargo_until__gt=now))
            .filter(_STATE_IS_PUBLISHED)
            .exclude(live_until__lte=now)
        )

    def expired(self, now=None):
        """Published, with an expiry that has passed (found through the expiry's index)."""
        return self.filter(live_until__lte=now or timezone.now()).filter(_STATE_IS_PUBLISHED)

    def under_embargo(self, now=None):
        """Held from readers whatever their state, until the embargo ends."""
        return self.filter(embargo_until__gt=now or timezone.now())

    def with_boundary_due(self, now=None):
        """Items with a go-live or expiry time that has passed and is not yet in the audit log."""
        return self.filter(boundary_due_at__lte=now or timezone.now())

    def rejected(self):
        return self.filter(state=ArticleState.REJECTED)

    def needing_metadata(self):
        return self.filter(needs_metadata=True)

    def with_source_keys(self, keys):
        """Articles by identity (a batch of keys at once), unsorted: the default ordering
        would make the database sort every match for callers that only build a dict."""
        return self.filter(source_key__in_array=keys).order_by()

    def with_file_hashes(self, hashes):
        """Articles whose last imported file had one of these hashes, unsorted (see above)."""
        return self.filter(source_sha256__in_array=hashes).order_by()

    def with_listing_relations(self):
        """Everything a list row shows, in a fixed number of queries whatever the page size."""
        return self.select_related("provider").prefetch_related("topics", "images")


class Article(models.Model):
    State = ArticleState

    # Identity: sha256 of "url:<webUrl>" for seeds with front matter, of "body:<text>"
    # for body-only seeds. A hash keeps the unique index small whatever the URL length.
    # Unique and indexed through Meta, not unique=True/db_index=True: on PostgreSQL those also
    # build a varchar_pattern_ops index for LIKE, which a hash never needs and every insert pays.
    source_key = models.CharField(max_length=64)

    # --- imported fields (from the seed file) ---
    title = models.TextField()
    excerpt = models.TextField(blank=True, default="")
    body = models.TextField(blank=True, default="")
    # Indexed through article_category_published / article_type_published, which start with them.
    category = models.CharField(max_length=100, blank=True, default="")
    article_type = models.CharField(max_length=100, blank=True, default="")
    web_url = models.URLField(max_length=2000, blank=True, default="")
    amp_url = models.URLField(max_length=2000, blank=True, default="")
    cdn_amp_url = models.URLField(max_length=2000, blank=True, default="")
    # web_url in one spelling for every way feeds and shares write it (curation.stories.urls:
    # no tracking parameters, https, no www., AMP forms mapped back): links related coverage,
    # finds duplicates and pasted URLs. Identity stays source_key, from web_url as given.
    canonical_url = models.CharField(max_length=2000, blank=True, default="")
    published_at = models.DateTimeField(null=True, blank=True)
    # Scores are stored as the source gives them: quality has been seen from 0 to 189,
    # heat is -1 when the source does not know it. Neither is clamped.
    quality = models.IntegerField(null=True, blank=True)
    heat = models.IntegerField(null=True, blank=True)
    source_published = models.BooleanField(default=False, help_text="The `published` flag in the seed file.")
    # No index of its own: article_provider_state and article_provider_published start with it,
    # and every extra index costs each imported row.
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="articles", db_index=False
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="articles")
    # Opaque blob from the source, kept byte for byte and never shown in full.
    secured = models.TextField(blank=True, default="")
    # The front matter exactly as the source wrote it (line endings normalised), so that
    # keys this model does not know are never lost and export can reproduce the mapping.
    front_matter_raw = models.TextField(blank=True, default="")
    has_front_matter = models.BooleanField(default=True)
    needs_metadata = models.BooleanField(default=False)
    has_images = models.BooleanField(default=False)
    related_count = models.PositiveIntegerField(default=0)

    # --- provenance ---
    source_path = models.CharField(max_length=1000, blank=True, default="")
    source_sha256 = models.CharField(max_length=64, help_text="Hash of the last imported file.")
    # Hash of everything the source said except `secured`, which changes on every export
    # at the source and must not make an unchanged item look changed.
    content_sha256 = models.CharField(max_length=64)
    body_sha256 = models.CharField(max_length=64, blank=True, default="")
    imported_at = models.DateTimeField(help_text="First import.")
    source_updated_at = models.DateTimeField(help_text="Last import that changed the content.")
    # Set when the source changed an item an editor had already decided on or edited.
    source_changed_at = models.DateTimeField(null=True, blank=True)

    # --- editorial fields (never written by the importer) ---
    state = models.CharField(max_length=16, choices=ArticleState.choices, default=ArticleState.NEW)
    # Optimistic locking: every editorial write checks and bumps it, so a decision made
    # from a stale page is refused instead of silently overwriting a colleague's.
    version = models.PositiveIntegerField(default=1)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    # The two editorial links are NULL on nearly every row; they are indexed only where set
    # (see Meta), so an import does not add two NULL entries to two indexes per article.
    state_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # Why it was rejected: a code from RejectionReason (kept as text, so renaming or retiring
    # a reason never rewrites history) and the editor's own words.
    rejection_code = models.CharField(max_length=40, blank=True, default="")
    rejection_reason = models.TextField(blank=True, default="")
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_items", db_index=False
    )
    # Names of imported fields an editor changed ("title", "excerpt", "topics", ...):
    # re-import leaves them alone and export writes the editor's value.
    edited_fields = models.JSONField(default=list, blank=True)
    # Written by curation.services.stories only (indexed where set, see Meta).
    story = models.ForeignKey(
        "curation.Story", null=True, blank=True, on_delete=models.SET_NULL, related_name="articles", db_index=False
    )

    # --- the schedule (editorial; written by curation.services.scheduling) ---
    # A published item is live from `live_from` (NULL: since it was published) until
    # `live_until` (NULL: no expiry), and never before `embargo_until`, whoever publishes it.
    # All NULL on nearly every row, so indexed only where set (see Meta); the public side's
    # validators read the latest time that has passed and the next to come from these indexes.
    live_from = models.DateTimeField(null=True, blank=True, help_text="Goes live at (none: when published).")
    live_until = models.DateTimeField(null=True, blank=True, help_text="Expires at (none: never).")
    embargo_until = models.DateTimeField(null=True, blank=True, help_text="No reader sees it before this time.")
    # The earliest go-live or expiry time the audit log has no row for yet: publish_scheduled
    # records the rows for those that have passed and moves this on (NULL: nothing ahead).
    boundary_due_at = models.DateTimeField(null=True, blank=True)

    # A rule's "flag for attention" (curation.services.rules; the notes are ArticleFlag rows):
    # the latest note, shown and filtered on in the queue. NULL on nearly every row.
    flagged_at = models.DateTimeField(null=True, blank=True)
    flag_note = models.TextField(blank=True, default="")

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        permissions = [
            ("publish_article", "Can publish and unpublish articles"),
            ("reject_article", "Can reject and restore articles"),
            ("embargo_article", "Can set and lift embargoes"),
        ]
        constraints = [models.UniqueConstraint(fields=["source_key"], name="article_unique_source_key")]
        indexes = [
            models.Index(fields=["source_sha256"], name="article_source_sha256"),
            models.Index(fields=["body_sha256"], name="article_body_sha256"),
            models.Index(fields=["state", "-published_at", "-id"], name="article_state_published"),
            models.Index(fields=["state", "-imported_at", "-id"], name="article_state_imported"),
            models.Index(fields=["state", "-quality", "-id"], name="article_state_quality"),
            models.Index(fields=["state", "-heat", "-id"], name="article_state_heat"),
            models.Index(fields=["-published_at", "-id"], name="article_published"),
            models.Index(fields=["-imported_at", "-id"], name="article_imported"),
            models.Index(fields=["-quality", "-id"], name="article_quality"),
            models.Index(fields=["-heat", "-id"], name="article_heat"),
            models.Index(fields=["provider", "state", "-published_at"], name="article_provider_state"),
            models.Index(fields=["web_url"], name="article_web_url"),
            # One value, newest first, without sorting all of that value's rows: the admin
            # changelist's category/type/provider/needs-metadata filters on a 1M-row table.
            models.Index(fields=["category", "-published_at", "-id"], name="article_category_published"),
            models.Index(fields=["article_type", "-published_at", "-id"], name="article_type_published"),
            models.Index(fields=["provider", "-published_at", "-id"], name="article_provider_published"),
            models.Index(
                fields=["-published_at", "-id"], condition=Q(needs_metadata=True), name="article_needs_metadata"
            ),
            models.Index(
                fields=["state_changed_by"], condition=Q(state_changed_by__isnull=False), name="article_state_changed_by"
            ),
            models.Index(fields=["merged_into"], condition=Q(merged_into__isnull=False), name="article_merged_into"),
            models.Index(fields=["live_from"], condition=Q(live_from__isnull=False), name="article_live_from"),
            models.Index(fields=["live_until"], condition=Q(live_until__isnull=False), name="article_live_until"),
            models.Index(fields=["embargo_until"], condition=Q(embargo_until__isnull=False), name="article_embargo"),
            models.Index(
                fields=["boundary_due_at"], condition=Q(boundary_due_at__isnull=False), name="article_boundary_due"
            ),
            models.Index(fields=["canonical_url"], name="article_canonical_url"),
            models.Index(fields=["story", "-published_at", "-id"], condition=Q(story__isnull=False), name="article_story"),
            models.Index(fields=["flagged_at"], condition=Q(flagged_at__isnull=False), name="article_flagged"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("curation:article-detail", args=[self.pk])

    @property
    def secured_fingerprint(self):
        """A short, stable stand-in for the opaque blob: enough to compare, nothing to leak."""
        if not self.secured:
            return ""
        return "sha256:" + hashlib.sha256(self.secured.encode()).hexdigest()[:12]

    @property
    def is_body_only(self):
        return not self.has_front_matter

    # --- the schedule, read in Python (the same rule as live_condition) ---

    @property
    def goes_live_at(self):
        """When a published item becomes visible: its go-live time or the end of its
        embargo, whichever is later (None: as soon as it is published)."""
        times = [time for time in (self.live_from, self.embargo_until) if time is not None]
        return max(times) if times else None

    def is_live(self, now=None):
        return self.schedule_status(now) == ScheduleStatus.LIVE

    def is_under_embargo(self, now=None):
        return self.embargo_until is not None and self.embargo_until > (now or timezone.now())

    def schedule_status(self, now=None):
        """ScheduleStatus for a published item, None for any other state: `live_condition`
        read on this instance, for the editors' badge (the tests hold the two together)."""
        if self.state != ArticleState.PUBLISHED:
            return None
        now = now or timezone.now()
        if self.live_until is not None and self.live_until <= now:
            return ScheduleStatus.EXPIRED
        if self.goes_live_at is not None and self.goes_live_at > now:
            return ScheduleStatus.SCHEDULED
        return ScheduleStatus.LIVE

    def status(self, now=None):
        """(key, label) of the badge editors see: the state, or Scheduled / Expired for a
        published item not live because of the clock."""
        scheduled = self.schedule_status(now)
        if scheduled in (ScheduleStatus.SCHEDULED, ScheduleStatus.EXPIRED):
            return scheduled.value, scheduled.label
        return self.state, self.get_state_display()

    def boundaries(self):
        """[(time, kind)] at which readers' view of this item changes, in order: "went_live"
        at the go-live time (when it has one) and "expired" at the expiry."""
        start, end = self.goes_live_at, self.live_until
        if self.state != ArticleState.PUBLISHED or (start is not None and end is not None and end <= start):
            return []  # not published, or an embargo outlasting the expiry: readers never see it
        return [(time, kind) for time, kind in ((start, "went_live"), (end, "expired")) if time is not None]

    def schedule_after_decision(self, to_state, now):
        """(column changes, audit "before" values) when an editor publishes, unpublishes or
        rejects this item now: its go-live and expiry times go (publishing now means live
        now, and a stale time must not come back with a later publish); an embargo stays,
        and a published item under one goes live when it ends."""
        before = {name: getattr(self, name).isoformat() for name in ("live_from", "live_until") if getattr(self, name)}
        after = Article(state=to_state, embargo_until=self.embargo_until)
        return {"live_from": None, "live_until": None, "boundary_due_at": after.next_boundary_after(now)}, before

    def next_boundary_after(self, now):
        """The first boundary after `now` (what `boundary_due_at` holds), or None."""
        return next((time for time, _ in self.boundaries() if time > now), None)


class ArticleImage(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="images")
    position = models.PositiveSmallIntegerField(default=0)
    url = models.URLField(max_length=2000)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    title = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["article", "position"]

    def __str__(self):
        return self.url


class RelatedCoverageQuerySet(models.QuerySet):
    def unlinked(self):
        """Coverage not (yet) linked to an article we imported from its URL."""
        return self.filter(linked_article__isnull=True)


class RelatedCoverage(models.Model):
    """Another outlet's article on the same story, as listed under `related` in a seed."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="related")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.TextField(blank=True, default="")
    excerpt = models.TextField(blank=True, default="")
    web_url = models.URLField(max_length=2000, blank=True, default="")
    amp_url = models.URLField(max_length=2000, blank=True, default="")
    cdn_amp_url = models.URLField(max_length=2000, blank=True, default="")
    # Same hash as Article.source_key for its URL as given.
    url_key = models.CharField(max_length=64, blank=True, default="")  # indexed in Meta (see Article.source_key)
    # As Article.canonical_url: links the entry to an article imported from any spelling of its URL.
    canonical_url = models.CharField(max_length=2000, blank=True, default="")
    published_at = models.DateTimeField(null=True, blank=True)
    article_type = models.CharField(max_length=100, blank=True, default="")
    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    quality = models.IntegerField(null=True, blank=True)
    heat = models.IntegerField(null=True, blank=True)
    # [{"url", "width", "height"}], http(s) URLs only.
    images = models.JSONField(default=list, blank=True)
    # Indexed only where set (see Meta): most coverage is by outlets never imported, and
    # an index of NULLs would cost every imported row five inserts for nothing.
    linked_article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="covered_by", db_index=False
    )

    objects = RelatedCoverageQuerySet.as_manager()

    class Meta:
        ordering = ["article", "position"]
        verbose_name_plural = "related coverage"
        indexes = [
            models.Index(fields=["url_key"], name="coverage_url_key"),
            models.Index(fields=["canonical_url"], name="coverage_canonical_url"),
            models.Index(fields=["linked_article"], condition=Q(linked_article__isnull=False), name="coverage_linked"),
        ]

    def __str__(self):
        return self.title or self.web_url


class ImportRun(models.Model):
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    paths = models.JSONField(default=list)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"Import {self.started_at:%Y-%m-%d %H:%M:%S}"


class ImportStatus(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    UNCHANGED = "unchanged", "Unchanged"
    FAILED = "failed", "Failed"


class ImportLedgerEntryQuerySet(models.QuerySet):
    def failed(self):
        return self.filter(status=ImportStatus.FAILED)


class ImportLedgerEntry(models.Model):
    """One row per file per import run: what came in, and what became of it."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="entries")
    path = models.CharField(max_length=1000)
    size = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=16, choices=ImportStatus.choices)
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="ledger")
    error = models.TextField(blank=True, default="")
    # Non-fatal notes: dropped non-http(s) links, source changed after an editorial decision.
    notes = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()

    objects = ImportLedgerEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "import ledger entry"
        verbose_name_plural = "import ledger"
        indexes = [
            models.Index(fields=["status", "-created_at"], name="ledger_status_created"),
            models.Index(fields=["-created_at", "-id"], name="ledger_created"),
        ]

    def __str__(self):
        return f"{self.path}: {self.status}"


class EditorialAction(models.Model):
    """The audit log: one row for every editorial write, whatever path it came through."""

    class Action(models.TextChoices):
        PUBLISH = "publish", "Published"
        UNPUBLISH = "unpublish", "Unpublished"
        REJECT = "reject", "Rejected"
        RESTORE = "restore", "Restored"
        EDIT = "edit", "Edited"
        COMPLETE = "complete", "Completed metadata"
        ATTACH = "attach", "Attached body"
        SCHEDULE = "schedule", "Scheduled"
        UNSCHEDULE = "unschedule", "Unscheduled"
        EMBARGO = "embargo", "Embargoed"
        LIFT_EMBARGO = "lift_embargo", "Lifted embargo"
        # Written by publish_scheduled when a time passes: no editor acted (actor is empty).
        WENT_LIVE = "went_live", "Went live"
        EXPIRED = "expired", "Expired"
        # Story decisions (curation.services.stories), recorded on the article acted on.
        STORY_SPLIT = "story_split", "Taken out of its story"
        STORY_MERGE = "story_merge", "Stories merged"
        STORY_APART = "story_apart", "Marked not the same story"
        STORY_LEAD = "story_lead", "Made the story's lead"
        # Written by triage rules only (curation.services.rules), via="rule".
        FLAG = "flag", "Flagged for attention"
        ADD_TOPIC = "add_topic", "Topic added"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="actions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=16, choices=Action.choices)
    created_at = models.DateTimeField()
    via = models.CharField(max_length=16, default="curator", help_text="curator, bulk, admin or command")
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    reason_code = models.CharField(max_length=40, blank=True, default="")
    reason = models.TextField(blank=True, default="")
    # A triage rule's act (via="rule", no actor): which rule, at which version (RuleVersion
    # keeps its definition); the name stays readable when the rule is deleted.
    rule = models.ForeignKey("curation.Rule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    rule_name = models.CharField(max_length=200, blank=True, default="")
    rule_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["article", "-created_at"], name="action_article_created"),
            models.Index(fields=["-created_at", "-id"], name="action_created"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} #{self.article_id}"

    @property
    def via_label(self):
        """How the act came: "curator", ..., or 'rule “name” v3' for a triage rule."""
        if self.via == "rule":
            return f"rule “{self.rule_name}” v{self.rule_version}"
        return self.via


# Used by filters and the admin: an unknown heat is stored as -1, as the source says.
HEAT_UNKNOWN = -1
# Written as COALESCE(heat, -1) = -1 rather than `heat = -1 OR heat IS NULL`: with the OR,
# SQLite and PostgreSQL collect every unknown-heat row (half the table) through the heat
# index and sort them; this form is checked row by row while the page's sort index is
# walked, which stops after a page. Same rows either way.
HEAT_UNKNOWN_Q = Q(Exact(Coalesce("heat", Value(HEAT_UNKNOWN)), HEAT_UNKNOWN))


@dataclass(frozen=True)
class ScoreBand:
    """A range of a score that editors read as one grade (low <= value < high)."""

    key: str
    label: str
    low: int | None
    high: int | None

    def condition(self, field="quality"):
        condition = Q()
        if self.low is not None:
            condition &= Q(**{f"{field}__gte": self.low})
        if self.high is not None:
            condition &= Q(**{f"{field}__lt": self.high})
        return condition

    def contains(self, value):
        return value is not None and (self.low is None or value >= self.low) and (self.high is None or value < self.high)


# Quality has been seen from 0 to 189; these bands cut it where editors read it. The admin's
# filter, the queue's score bars and the statistics all use them.
QUALITY_BANDS = (
    ScoreBand("low", "Low (below 25)", None, 25),
    ScoreBand("fair", "Fair (25–49)", 25, 50),
    ScoreBand("good", "Good (50–74)", 50, 75),
    ScoreBand("high", "High (75–99)", 75, 100),
    ScoreBand("top", "Top (100 and above)", 100, None),
)


class RejectionReasonQuerySet(models.QuerySet):
    def offered(self):
        """The reasons editors pick from, in the order admins gave them."""
        return self.filter(active=True).order_by("position", "label")


class RejectionReason(models.Model):
    """Why editors reject items: a short list admins keep (duplicate, off-topic, ...).

    Articles and audit rows store the code, so a label can be reworded and a reason retired
    without touching history; a retired reason is no longer offered but still shown."""

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in menus; its place is its keyboard digit.")
    active = models.BooleanField(default=True, help_text="Offered to editors.")
    needs_note = models.BooleanField(default=False, help_text="Editors must say more in words (e.g. “other”).")

    objects = RejectionReasonQuerySet.as_manager()

    class Meta:
        ordering = ["position", "label"]

    def __str__(self):
        return self.label


# Stories and triage rules live in their own modules; imported here so that Django registers them.
from curation.models_rules import ArticleFlag, Rule, RulesSwitch, RuleVersion  # noqa: E402, F401
from curation.models_stories import Story, StoryDecision, StoryEdge, StoryFeatures, StoryKey  # noqa: E402, F401
