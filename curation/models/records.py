"""What happened: import runs with their per-file ledger, and the editorial audit log."""

from django.conf import settings
from django.db import models

from curation.models.articles import Article


class ImportRun(models.Model):
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    paths = models.JSONField(default=list)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # Who is importing, and its last sign of life (each committed batch): an unfinished run
    # is told running from interrupted by these (services/importing/runs.py), from any
    # terminal or server. Empty on runs from before they were recorded.
    host = models.CharField(max_length=255, blank=True, default="")
    pid = models.PositiveIntegerField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # A run stopped before its end by Ctrl-C or SIGTERM: when, and which. Every host then
    # shows it interrupted at once; a kill -9 leaves these empty, and the heartbeat tells.
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=200, blank=True, default="")

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
        # A bulk action taken back (curation.services.bulk): the item's earlier state again.
        UNDO = "undo", "Undone (bulk)"
        # What the source changed after editorial work (curation.services.source_changes).
        TAKE_SOURCE = "take_source", "Took the source's value"
        SOURCE_REVIEWED = "source_reviewed", "Reviewed the source's change"
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
    rule = models.ForeignKey(
        "curation.Rule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
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
