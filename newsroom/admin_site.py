"""The project's admin site: Django's own, with one guard that every model admin gets,
whichever app registered it (ours, django.contrib.auth, django-axes).

An admin action's POST names the rows it acts on (`_selected_action`), and Django's admin
passes them straight to `filter(pk__in=...)`: "abc" or "²" raise ValueError and an id
beyond 64 bits OverflowError on SQLite, a server error before the action runs, while "٣"
is read as 3. Here the whole selection is checked first; one value no primary key can hold,
or an id not written as the list writes ids, refuses the action with a message, and nothing
is done.

Its changelist gets the same guard over the query string: Django's date hierarchy turns
`?<field>__year=` into a `datetime` and lets OverflowError through for a year of 30 digits
(a 500 on django-axes' logs); a lookup value the database refuses while the list is counted
is the same kind of bad parameter. Both are answered as the admin answers a bad lookup (back
to the list with `?e=1`).
"""

from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponseRedirect

from curation.params import admin_lookups_checked


def _holds(field, value):
    """Whether `value` (untrusted text) is something `field` can hold and the database compare."""
    try:
        python = field.to_python(value)
    except (ValidationError, TypeError, ValueError, OverflowError):
        return False
    if isinstance(python, str):
        return "\x00" not in python
    if isinstance(python, int):
        # Written as the list writes an id: int() also reads "٣", "３", "1_0" and " 3" as 3, so
        # a forged selection of "٣" acted on (or deleted) row 3, which it does not name.
        if value != str(python):
            return False
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        return (low is None or python >= low) and (high is None or python <= high)
    return python is not None


class CheckedSelectionAdmin(admin.ModelAdmin):
    """Mixed into every registered ModelAdmin by NewsroomAdminSite.register."""

    def response_action(self, request, queryset):
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        if not all(_holds(self.model._meta.pk, value) for value in selected):
            self.message_user(
                request,
                "The selection named items that cannot exist; nothing was done. Reload the list and try again.",
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)

    def get_changelist_instance(self, request):
        with admin_lookups_checked():
            return super().get_changelist_instance(request)


class NewsroomAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, CheckedSelectionAdmin):
            admin_class = type(
                admin_class.__name__, (CheckedSelectionAdmin, admin_class), {"__module__": admin_class.__module__}
            )
        super().register(model_or_iterable, admin_class, **options)


class NewsroomAdminConfig(AdminConfig):
    default_site = "newsroom.admin_site.NewsroomAdminSite"
