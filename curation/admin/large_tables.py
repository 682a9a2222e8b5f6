"""Admin machinery for tables that grow without bound (a million articles, years of audit).

The stock admin counts the whole table on every page, twice, and lets a page number reach
any OFFSET. Here a list is counted up to COUNT_CAP rows at most ("more than 10,000" is all
an editor needs to know; filters narrow the rest), the unfiltered table shows the
database's own row estimate where it keeps one, and pages stop at the cap.
"""

import math

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.utils import formats
from django.utils.functional import cached_property

from curation.db import backend

COUNT_CAP = 10_000


class LargeTablePaginator(Paginator):
    """Counts at most `cap` rows; `known_count` (when the caller knows it without counting)
    skips counting altogether. `count_is_exact` / `count_is_estimate` tell the label what
    to say ("about", "more than")."""

    cap = COUNT_CAP

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, known_count=None):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.known_count = known_count
        self.count_is_exact = True
        self.count_is_estimate = False

    @cached_property
    def count(self):
        queryset = self.object_list
        if self.known_count is not None:
            self.count_is_exact = self.known_count <= self.cap
            return self.known_count
        if not queryset.query.where:
            estimate = backend(queryset.db).estimated_rows(queryset.model)
            if estimate is not None and estimate > self.cap:
                self.count_is_exact = False
                self.count_is_estimate = True
                return estimate
        counted = queryset.order_by()[: self.cap + 1].count()
        if counted > self.cap:
            self.count_is_exact = False
        return counted

    @cached_property
    def num_pages(self):
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        hits = max(1, self.count - self.orphans)
        return min(math.ceil(hits / self.per_page), math.ceil(self.cap / self.per_page))


def count_label(paginator, count, opts):
    name = opts.verbose_name if count == 1 else opts.verbose_name_plural
    if paginator is None or getattr(paginator, "count_is_exact", True):
        return f"{formats.number_format(count, force_grouping=True)} {name}"
    if getattr(paginator, "count_is_estimate", False):
        return f"about {formats.number_format(count, force_grouping=True)} {name}"
    return f"more than {formats.number_format(paginator.cap, force_grouping=True)} {opts.verbose_name_plural}"


class LargeTableChangeList(ChangeList):
    """Labels capped and estimated counts (see templates/admin/curation/pagination.html)."""

    @property
    def result_count_label(self):
        return count_label(self.paginator, self.result_count, self.opts)


class LargeTableAdmin(admin.ModelAdmin):
    """Base for admins over tables that grow without bound."""

    paginator = LargeTablePaginator
    show_full_result_count = False
    # "Show counts" would run a COUNT per filter choice over the whole table.
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 100
    list_max_show_all = 200

    def get_changelist(self, request, **kwargs):
        return LargeTableChangeList


class ReadOnlyAdmin(LargeTableAdmin):
    """Records written by services (imports, the audit log): looked at, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False
    # Rows link through their own columns; the stock "View on site" link sat in the row's
    # text, told apart only by colour (axe link-in-text-block), and led to a public page
    # that does not exist for an unpublished article.
    view_on_site = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
