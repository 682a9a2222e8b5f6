"""The article's change page: the editable part (a form that saves through the editorial
service), and what was imported, shown read-only."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from curation.admin.large_tables import ReadOnlyInline
from curation.models import Article, ArticleImage, EditorialAction, RelatedCoverage
from curation.validation import MAX_NAME, safe_url, visible_name


def _topic_names(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ArticleEditorialForm(forms.ModelForm):
    """The editable part of an article. Saving goes through `edit_article` (see ArticleAdmin)."""

    topic_names = forms.CharField(
        label="Topics",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="One topic per line. A name that is not a topic yet creates it.",
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Article
        fields = ["title", "excerpt"]
        widgets = {"title": forms.TextInput(attrs={"size": 90})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["topic_names"].initial = "\n".join(
                self.instance.topics.order_by("name").values_list("name", flat=True)
            )
            self.fields["expected_version"].initial = self.instance.version

    def clean_title(self):
        title = visible_name(self.cleaned_data.get("title") or "")
        if not title:
            raise forms.ValidationError("A title is required.")
        return title

    def clean_topic_names(self):
        names = _topic_names(self.cleaned_data.get("topic_names"))
        if any(len(name) > MAX_NAME for name in names):
            raise forms.ValidationError(f"A topic name may have at most {MAX_NAME} characters.")
        return names

    def clean(self):
        cleaned = super().clean()
        expected = cleaned.get("expected_version")
        if self.instance.pk and expected is not None and expected != self.instance.version:
            raise forms.ValidationError(
                "Someone else changed this article since you opened it. "
                "Reload the page to see the current version, then make your edit again."
            )
        return cleaned


class EditRefused(Exception):
    """The editorial service refused the admin's save; nothing was written."""


def link(url, text=None):
    url = safe_url(url)
    if not url:
        return text or "–"
    return format_html('<a href="{}" rel="noopener noreferrer nofollow">{}</a>', url, text or url)


def article_admin_link(pk):
    """'#id' linking to that article's admin page, or a dash when there is none."""
    if not pk:
        return "–"
    return format_html('<a href="{}">#{}</a>', reverse("admin:curation_article_change", args=[pk]), pk)


class ArticleImageInline(ReadOnlyInline):
    model = ArticleImage
    fields = ["position", "image_link", "width", "height", "title"]
    readonly_fields = fields
    verbose_name_plural = "images (imported)"

    @admin.display(description="URL")
    def image_link(self, image):
        return link(image.url)


class RelatedCoverageInline(ReadOnlyInline):
    model = RelatedCoverage
    fk_name = "article"
    fields = ["position", "title", "provider", "coverage_link", "published_at", "quality", "heat", "our_copy"]
    readonly_fields = fields
    verbose_name_plural = "related coverage (imported)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("provider")

    @admin.display(description="URL")
    def coverage_link(self, item):
        return link(item.web_url)

    @admin.display(description="Also imported as")
    def our_copy(self, item):
        return article_admin_link(item.linked_article_id)


class EditorialActionInline(ReadOnlyInline):
    model = EditorialAction
    fields = ["created_at", "action", "actor", "via", "before", "after", "reason"]
    readonly_fields = fields
    verbose_name = "audit entry"
    verbose_name_plural = "audit history"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


IMPORTED_FIELDS = [
    "provider",
    "category",
    "article_type",
    "published_at",
    "quality",
    "heat",
    "source_published",
    "web_url_link",
    "amp_url",
    "cdn_amp_url",
    "secured_fingerprint",
    "has_front_matter",
    "has_images",
    "related_count",
    "body",
]
STATUS_FIELDS = [
    "state",
    "schedule_summary",
    "curator_link",
    "needs_metadata",
    "state_changed_at",
    "state_changed_by",
    "rejection_reason",
    "merged_into_link",
    "story_link",
    "edited_fields",
    "version",
    "source_changed_at",
]
PROVENANCE_FIELDS = [
    "source_path",
    "source_sha256",
    "content_sha256",
    "body_sha256",
    "source_key",
    "imported_at",
    "source_updated_at",
]
