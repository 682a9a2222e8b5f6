"""The article admin's schedule: bulk actions and a read-only summary, through the same service
as the curator workspace (curation.services.scheduling), so the same permissions, rules and
audit rows apply. Embargoes are set and lifted on the curator's article page only; here they
are shown, never edited (the change form has no field for them).
"""

from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join

from curation.forms import add_refusal_errors
from curation.localtime import describe
from curation.schedule_forms import ScheduleSeriesForm, editor_zone, remember_zone
from curation.services.editorial import MAX_BULK_ITEMS, EditorialError, InvalidEdit
from curation.services.scheduling import bulk_schedule, bulk_unschedule


class ScheduleAdminMixin:
    """Mixed into ArticleAdmin (with BulkActionsMixin): two actions and the `schedule_summary`
    status field."""

    def _selected_ids(self, queryset):
        # The changelist's own order, so "one every five minutes" follows what the admin saw.
        return list(queryset.values_list("pk", flat=True)[: MAX_BULK_ITEMS + 1])

    @admin.action(description="Schedule selected articles…", permissions=["publish"])
    def schedule_selected(self, request, queryset):
        """First a page asking for the times; its form posts back here with `apply_schedule`."""
        ids = self._selected_ids(queryset)
        zone, _ = editor_zone(request)
        form = ScheduleSeriesForm(
            request.POST if "apply_schedule" in request.POST else None,
            initial=ScheduleSeriesForm.initial_for(zone),
        )
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            remember_zone(request, data["time_zone"])
            try:
                result = bulk_schedule(
                    article_ids=ids,
                    user=request.user,
                    start=data["go_live_at"],
                    interval=data["interval_minutes"],
                    expire_at=data["expire_at"],
                    via="admin",
                )
            except InvalidEdit as exc:
                add_refusal_errors(form, exc)
            except (PermissionDenied, EditorialError) as exc:
                self._refused(request, exc)
                return None
            else:
                self._report(request, result, "scheduled")
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Schedule articles",
            "opts": self.model._meta,
            "form": form,
            "articles": list(queryset.model.objects.filter(pk__in=ids).only("pk", "title").order_by())[:MAX_BULK_ITEMS],
            "ids": ids,
            "order": {pk: position for position, pk in enumerate(ids)},
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "too_many": len(ids) > MAX_BULK_ITEMS,
            "max_items": MAX_BULK_ITEMS,
        }
        context["articles"].sort(key=lambda article: context["order"][article.pk])
        return TemplateResponse(request, "admin/curation/article/schedule_selected.html", context)

    @admin.action(description="Unschedule selected articles (back to the queue)", permissions=["publish"])
    def unschedule_selected(self, request, queryset):
        self._apply(request, bulk_unschedule, "unscheduled", article_ids=self._selected_ids(queryset))

    @admin.display(description="Schedule (UTC)")
    def schedule_summary(self, article):
        zone = "UTC"
        rows = [
            ("Status", article.status()[1]),
            ("Goes live", describe(article.live_from, zone) if article.live_from else "when published"),
            ("Expires", describe(article.live_until, zone) if article.live_until else "never"),
            (
                "Embargo",
                f"until {describe(article.embargo_until, zone)}" if article.is_under_embargo() else "none",
            ),
        ]
        return format_html('<dl class="schedule-summary">{}</dl>', format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))
