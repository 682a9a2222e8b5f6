"""Providers and topics (thousands of rows, each a link to its articles) and rejection reasons."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from curation.admin.aliases import AliasesAdmin, ProviderAliasInline, TopicAliasInline
from curation.admin.large_tables import LargeTableAdmin
from curation.admin.merging import MergeActionMixin
from curation.admin.refusals import RefusesDeletion
from curation.admin.site_links import SeenAtLinkAdmin
from curation.admin.stale import SeenStateAdmin, SeenStateForm
from curation.models import Provider, RejectionReason, Topic
from curation.services import taxonomy
from curation.services.taxonomy_merge import merge_providers, merge_topics
from curation.validation import visible_name


def visible_names_form(model, *names):
    """A ModelForm whose `names` are stored as curation.validation.visible_name makes them:
    a name of only invisible characters (zero-width spaces, a byte order mark) is refused
    like a blank one, as the import and the editors' forms refuse it. A stale save is refused
    too (curation.admin.stale)."""

    def clean_field(name):
        def clean(self):
            value = visible_name(self.cleaned_data.get(name) or "")
            if not value and self.fields[name].required:
                raise forms.ValidationError("This field shows nothing; enter a name with visible characters.")
            return value

        return clean

    attrs = {f"clean_{name}": clean_field(name) for name in names}
    attrs["Meta"] = type("Meta", (), {"model": model, "fields": "__all__"})
    return type(f"{model.__name__}Form", (SeenStateForm,), attrs)


class ArticlesColumn:
    """The list's "Articles" column: a link to the article list filtered to the row
    (`articles_parameter`: the article list's filter that names it)."""

    articles_parameter = None

    @admin.display(description="Articles")
    def articles_link(self, row):
        url = reverse("admin:curation_article_changelist") + f"?{self.articles_parameter}={int(row.pk)}"
        return format_html('<a href="{}">Articles</a>', url)


# A name (or slug) a merged row's alias holds is refused by the model's clean (Topic.clean,
# Provider.clean), which the forms run.
ProviderForm = visible_names_form(Provider, "name", "domain")


@admin.register(Provider)
class ProviderAdmin(ArticlesColumn, MergeActionMixin, AliasesAdmin, SeenStateAdmin, LargeTableAdmin):
    form = ProviderForm
    inlines = [ProviderAliasInline]
    actions = ["merge_selected"]
    merge_service = staticmethod(merge_providers)
    list_display = ["name", "domain", "articles_link"]
    search_fields = ["name", "domain"]
    articles_parameter = "provider"


class TopicForm(visible_names_form(Topic, "name")):
    """The slug was filled in only by the admin's JavaScript (prepopulated_fields): with
    JavaScript off a new topic was refused ("This field is required") for a field nobody
    explained, and with it on the browser's slugify differed from Topic.slug_for, which the
    import and the curator use. Left empty, the slug is now made here, as they make it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        slug = self.fields.get("slug")
        if slug is None:  # the view-only page: every field is read-only, none is on the form
            return
        slug.required = False
        slug.help_text = "The end of the topic page's address (/topics/ then the slug). Leave it empty to make it from the name."

    def clean_slug(self):
        slug, name = self.cleaned_data.get("slug"), self.cleaned_data.get("name")
        if slug or not name:
            return slug
        others = Topic.objects.exclude(pk=self.instance.pk) if self.instance.pk else Topic.objects.all()
        slug = taxonomy.new_topic_slugs([name])[name]  # never a merged topic's (its redirect)
        return Topic.slug_for(name, disambiguate=True) if others.filter(slug=slug).exists() else slug


@admin.register(Topic)
class TopicAdmin(
    ArticlesColumn, MergeActionMixin, AliasesAdmin, SeenAtLinkAdmin, RefusesDeletion, SeenStateAdmin, LargeTableAdmin
):
    form = TopicForm
    inlines = [TopicAliasInline]
    actions = ["merge_selected"]
    merge_service = staticmethod(merge_topics)
    list_display = ["name", "slug", "articles_link"]
    search_fields = ["name", "slug"]
    articles_parameter = "topic"

    # Deleting a topic articles carry would take it off each of them without the editorial
    # service: no audit row, no new version, no "topics" in edited_fields (so the next import
    # puts it back). Such a topic is renamed here, merged into another ("Merge into…"), or
    # taken off its articles by editors.
    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.articles.exists():
            return False
        return super().has_delete_permission(request, obj)

    def deletion_refusals(self, objs):
        carried = Topic.objects.filter(pk__in=[topic.pk for topic in objs]).with_article_counts().filter(article_count__gt=0)
        return [
            f"Topic “{topic.name}”: {topic.article_count} article(s) carry it. Rename it instead, merge it "
            "into another topic (“Merge into…” on the topic list), or take it off its articles in the curator first."
            for topic in carried
        ]


@admin.register(RejectionReason)
class RejectionReasonAdmin(SeenStateAdmin, admin.ModelAdmin):
    """The reasons editors pick when they reject. Retire one (untick "active") rather than
    delete it: articles and the audit log keep its code."""

    form = visible_names_form(RejectionReason, "label")
    list_display = ["label", "code", "position", "active", "needs_note"]
    list_editable = ["position", "active", "needs_note"]
    ordering = ["position", "label"]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []  # a code in use must not change meaning
