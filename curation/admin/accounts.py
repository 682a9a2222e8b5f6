"""Users and groups, told apart by what they allow. The stock admin lists groups by name
only ("Editors", "Viewers", "Embargo editors"): an admin giving someone the editor role could
not see that "Embargo editors" grants embargoes and nothing else. Each group is described by
its own permissions, read from the database, so the words stay true when a group changes."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils.html import format_html, format_html_join

from curation.admin.refusals import RefusesDeletion
from curation.models import EditorialAction

GROUPS_HELP = (
    "A user gets what each of their groups allows, added together; staff status opens this admin "
    "(its pages follow the same permissions)."
)


def allows(group):
    """What `group` lets its members do, in words: its permissions other than viewing, or
    "read only" (the caller prefetches `permissions`)."""
    names = sorted(p.name.removeprefix("Can ") for p in group.permissions.all() if not p.codename.startswith("view_"))
    if names:
        return "; ".join(names)
    return "read only (views articles and records)" if group.permissions.all() else "nothing yet (no permissions)"


admin.site.unregister(Group)
admin.site.unregister(User)


@admin.register(Group)
class NewsroomGroupAdmin(GroupAdmin):
    list_display = ["name", "allows_column"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("permissions")

    @admin.display(description="Allows its members to")
    def allows_column(self, group):
        return allows(group)


@admin.register(User)
class NewsroomUserAdmin(RefusesDeletion, UserAdmin):
    """Deleting someone whose name is on audit rows would blank the actor of each of them
    (EditorialAction.actor is SET_NULL): the history would no longer say who did what. Such
    an account is deactivated (untick Active) instead; one that did nothing may be deleted."""

    def has_delete_permission(self, request, obj=None):
        if obj is not None and EditorialAction.objects.filter(actor=obj).exists():
            return False
        return super().has_delete_permission(request, obj)

    def deletion_refusals(self, objs):
        audited = set(EditorialAction.objects.filter(actor__in=objs).values_list("actor", flat=True).distinct())
        return [
            f"User “{user.get_username()}”: the audit log names them. Untick Active instead, "
            "so the history still says who did what."
            for user in objs
            if user.pk in audited
        ]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "groups" in form.base_fields:
            groups = Group.objects.order_by("name").prefetch_related("permissions")
            items = format_html_join("", "<li><strong>{}</strong>: {}</li>", ((g.name, allows(g)) for g in groups))
            form.base_fields["groups"].help_text = format_html("{}<ul>{}</ul>", GROUPS_HELP, items)
        return form
