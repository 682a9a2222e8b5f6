"""*Also known as* on a topic's and a provider's change page: the names merged into it
(curation.services.taxonomy_merge records them), which the import and the editors resolve to
it. Read-only; an admin who may merge may delete one (its name is free again), and the
deletion goes through the service, which logs it on the kept row's History.
"""

from django.contrib import admin

from curation.models import ProviderAlias, TopicAlias
from curation.services.taxonomy_merge import delete_aliases, may_merge


class AliasInline(admin.TabularInline):
    template = "admin/curation/alias_inline.html"  # labelled for screen readers
    extra = 0
    verbose_name = "also known as"
    verbose_name_plural = "also known as (names merged into this one; delete one to free the name)"

    def has_add_permission(self, request, obj=None):
        return False  # an alias comes from a merge, nothing else

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Whoever may see the topic or provider sees what it is also known as.
        opts = self.parent_model._meta
        return request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}") or request.user.has_perm(
            f"{opts.app_label}.change_{opts.model_name}"
        )

    def has_delete_permission(self, request, obj=None):
        return may_merge(request.user, self.parent_model)


class TopicAliasInline(AliasInline):
    model = TopicAlias
    fields = readonly_fields = ["name", "slug", "created_at"]


class ProviderAliasInline(AliasInline):
    model = ProviderAlias
    fields = readonly_fields = ["name", "domain", "created_at"]


class AliasesAdmin:
    """ModelAdmin mixin: the inline's deletions go through taxonomy_merge.delete_aliases (the
    permission check and the log entry), not the formset's own delete."""

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        return [inline for inline in inlines if not isinstance(inline, AliasInline) or _lists_aliases(request, obj)]

    def save_formset(self, request, form, formset, change):
        if not issubclass(formset.model, (TopicAlias, ProviderAlias)):
            return super().save_formset(request, form, formset, change)
        ids = [each.instance.pk for each in formset.deleted_forms if each.instance.pk]
        if ids:
            delete_aliases(model=self.model, ids=ids, user=request.user)
        # The admin's own change message reads these; the service wrote the log entry.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        return None


def _lists_aliases(request, obj):
    """Whether the page lists aliases: only a row that has some (they come from merges, so
    never the add page). A formset the page did not show would refuse the save for its
    missing management form, so a POST is read as the page it came from was."""
    if obj is None:
        return False
    if request.method == "POST":
        return "aliases-TOTAL_FORMS" in request.POST  # the inline's prefix: the models' related_name
    return obj.aliases.exists()
