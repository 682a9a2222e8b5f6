"""Stories in the back office: read-only (editors' story decisions go through the curator,
where they are audited), with each story's articles and the way to an article's story."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from curation.admin.large_tables import ReadOnlyAdmin, ReadOnlyInline
from curation.models import Article, Story


def article_link(article_id, text):
    url = reverse("admin:curation_article_change", args=[article_id])
    return format_html('<a href="{}">{}</a>', url, text)


def story_link(story_id, size=None):
    if not story_id:
        return "–"
    url = reverse("admin:curation_story_change", args=[story_id])
    label = f"Story {story_id}" + (f" ({size} articles)" if size else "")
    return format_html('<a href="{}">{}</a>', url, label)


class StoryArticleInline(ReadOnlyInline):
    model = Article
    fk_name = "story"
    fields = ["article", "provider", "state", "quality", "published_at", "is_lead"]
    readonly_fields = fields
    verbose_name = "article"
    verbose_name_plural = "articles of this story"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("provider", "story").order_by("-published_at", "-id")

    @admin.display(description="Article")
    def article(self, item):
        return article_link(item.pk, f"#{item.pk} {Truncator(item.title).chars(90)}")

    @admin.display(description="Lead", boolean=True)
    def is_lead(self, item):
        return item.story.lead_id == item.pk


@admin.register(Story)
class StoryAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "lead_title", "size", "capped", "lead_by_editor", "updated_at"]
    list_filter = ["capped", "lead_by_editor"]
    list_select_related = ["lead"]
    search_fields = ["=id", "=lead__id"]
    fields = ["lead_title", "size", "capped", "lead_by_editor", "created_at", "updated_at"]
    readonly_fields = fields
    inlines = [StoryArticleInline]

    @admin.display(description="Lead")
    def lead_title(self, story):
        if not story.lead_id:
            return "–"
        return article_link(story.lead_id, Truncator(story.lead.title).chars(90))
