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

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.base import DEFERRED
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone

from curation.models.taxonomy import Provider, Topic
from curation.models.visibility import SeenAt, may_open_curator


class ArticleState(models.TextChoices):
    NEW = "new", "New"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Rejected"
    # A body-only item whose text an editor attached to another article.
    MERGED = "merged", "Merged into another article"


STATE_LABELS = dict(ArticleState.choices)


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


# The states editors filter by, in the queue and the admin: the stored ones and, among the
# published, those by the clock (see Article.schedule_status); embargo holds any state.
STATUS_SCHEDULED, STATUS_EXPIRED, STATUS_EMBARGOED = "scheduled", "expired", "embargoed"
CLOCK_STATUSES = frozenset({STATUS_SCHEDULED, STATUS_EXPIRED, STATUS_EMBARGOED})
STATUS_CHOICES = [
    (ArticleState.NEW.value, "New (the queue)"),
    (ArticleState.PUBLISHED.value, "Published (all)"),
    (STATUS_SCHEDULED, "Scheduled (not live yet)"),
    (STATUS_EXPIRED, "Expired"),
    (STATUS_EMBARGOED, "Under embargo (any state)"),
    (ArticleState.REJECTED.value, "Rejected"),
    (ArticleState.MERGED.value, "Merged"),
]


def _where_set(field, name, **also):
    """An index of the few rows where `field` is set (NULL on nearly every row), and `also`."""
    return models.Index(fields=[field], condition=Q(**{f"{field}__isnull": False}, **also), name=name)


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

    def with_status(self, status, now=None):
        """Rows in one of the states editors filter by (STATUS_CHOICES): a stored state, or
        one by the clock ("scheduled", "expired", "embargoed"). Over a large table prefer
        `selectors.with_status`, which finds the few clock rows through their own indexes."""
        by_clock = {STATUS_SCHEDULED: self.scheduled, STATUS_EXPIRED: self.expired, STATUS_EMBARGOED: self.under_embargo}
        if status in by_clock:
            return by_clock[status](now)
        return self.filter(state=status)

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
    # When readers first saw (or will see) it in listings: set when an editor publishes it (its
    # go-live time or the end of its embargo, when later) and by publish_scheduled when it goes
    # live. The public home, topic pages, feeds and API list newest first by it, so an old story
    # published this morning is at the top. Set on every published row (migration 0016
    # backfilled it); its partial index serves the public order on both databases.
    listed_at = models.DateTimeField(null=True, blank=True, help_text="Listed to readers since.")
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
            _where_set("state_changed_by", "article_state_changed_by"),
            _where_set("merged_into", "article_merged_into"),
            _where_set("live_from", "article_live_from"),
            _where_set("live_until", "article_live_until"),
            _where_set("embargo_until", "article_embargo"),
            _where_set("boundary_due_at", "article_boundary_due"),
            # The public cache's change stamps (db/queries.latest_change_stamps) count a time
            # only on a published row: without these, hidden rows with times of their own
            # (rejected after scheduling, in the queue under embargo) were walked one by one.
            _where_set("live_from", "article_live_from_published", state=ArticleState.PUBLISHED),
            _where_set("live_until", "article_live_until_published", state=ArticleState.PUBLISHED),
            _where_set("embargo_until", "article_embargo_published", state=ArticleState.PUBLISHED),
            models.Index(fields=["canonical_url"], name="article_canonical_url"),
            models.Index(
                fields=["story", "-published_at", "-id"], condition=Q(story__isnull=False), name="article_story"
            ),
            # The few items the source changed after editorial work (the queue's filter).
            _where_set("source_changed_at", "article_source_changed"),
            # The statistics' share of items in a story over a range of import days.
            models.Index(fields=["imported_at"], condition=Q(story__isnull=False), name="article_story_imported"),
            _where_set("flagged_at", "article_flagged"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("curation:article-detail", args=[self.pk])

    @classmethod
    def from_db(cls, db, field_names, values):
        # Rows loaded with some columns deferred (a queue page's, selectors.LISTING_FIELDS):
        # Django places each value by looking every one of the model's columns up in the
        # list of loaded names, a list scan per column and row. The same placement by set.
        fields = cls._meta.concrete_fields
        if len(values) != len(fields):
            loaded, given = frozenset(field_names), iter(values)
            values = [next(given) if field.attname in loaded else DEFERRED for field in fields]
        return super().from_db(db, field_names, values)

    def seen_at(self, user, now=None):
        """Where `user` can see this article now (SeenAt), or None: its public page while
        readers can see it (`is_live`, the one rule), else its page in the curator for a user
        who may open the curator. A draft, scheduled, embargoed, expired or rejected item
        has no public page yet (a 404), which the admin's "View on site" used to lead to."""
        if self.is_live(now):
            return SeenAt(reverse("public:article", args=[self.pk]), public=True)
        if may_open_curator(user):
            return SeenAt(self.get_absolute_url(), public=False)
        return None

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
        # A dict look-up: get_state_display() hashes the choices on every call, once per queue row.
        return self.state, STATE_LABELS.get(self.state, self.state)

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

    def listing_time(self, now):
        """When readers see it listed, if it were published at `now` with its schedule."""
        later = [time for time in (self.live_from, self.embargo_until) if time is not None and time > now]
        return max(later) if later else now

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
            _where_set("linked_article", "coverage_linked"),
        ]

    def __str__(self):
        return self.title or self.web_url
