"""What services write and nobody edits: import runs, the per-file ledger, the audit log."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from curation.admin.filters import ViaFilter
from curation.admin.large_tables import ReadOnlyAdmin
from curation.models import EditorialAction, ImportLedgerEntry, ImportRun
from curation.services.importing import runs as import_runs


def _article_link(article_id, text):
    url = reverse("admin:curation_article_change", args=[article_id])
    return format_html('<a href="{}">{}</a>', url, text)


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "started_at", "state", "created", "updated", "unchanged", "failed", "ledger_link"]
    fields = [
        "started_at", "state", "finished_at", "heartbeat_at", "stopped_at", "stop_reason", "host", "pid",
        "created", "updated", "unchanged", "failed", "paths", "ledger_link",
    ]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="Finished", ordering="finished_at")
    def state(self, run):
        # The same words as import_ledger: a run with no finish time may be running still.
        return import_runs.describe(run)

    @admin.display(description="Files")
    def ledger_link(self, run):
        base = reverse("admin:curation_importledgerentry_changelist")
        return format_html(
            '<a href="{}?run__id__exact={}">all files</a> · <a href="{}?run__id__exact={}&amp;status__exact=failed">failed</a>',
            base,
            run.pk,
            base,
            run.pk,
        )


@admin.register(ImportLedgerEntry)
class ImportLedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["path", "short_hash", "status", "error_summary", "created_at", "run", "article_link"]
    list_filter = ["status"]
    search_fields = ["path", "=sha256"]
    list_select_related = ["run"]
    fields = ["path", "size", "sha256", "status", "error", "notes", "created_at", "run", "article_link"]
    readonly_fields = fields

    @admin.display(description="SHA-256", ordering="sha256")
    def short_hash(self, entry):
        return entry.sha256[:12] if entry.sha256 else "–"

    @admin.display(description="Error")
    def error_summary(self, entry):
        return Truncator(entry.error).chars(200) if entry.error else ""

    @admin.display(description="Article")
    def article_link(self, entry):
        return _article_link(entry.article_id, f"#{entry.article_id}") if entry.article_id else "–"


@admin.register(EditorialAction)
class EditorialActionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "article_link", "actor", "via", "reason"]
    list_filter = ["action", ViaFilter]
    search_fields = ["=article__id", "=actor__username"]
    search_help_text = "An article's number (its history) or a user's name, exactly."
    list_select_related = ["actor", "article"]
    fields = ["created_at", "action", "article_link", "actor", "via", "before", "after", "reason"]
    readonly_fields = fields

    @admin.display(description="Article")
    def article_link(self, entry):
        return _article_link(entry.article_id, Truncator(entry.article.title).chars(80))
