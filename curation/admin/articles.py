"""The article admin: a back office over a table of a million rows.

Every editorial write goes through `curation.services.editorial`, exactly like the curator
views: the publish/unpublish/reject/restore actions call `bulk_transition`, and saving the
change form calls `edit_article`, so the same permission checks, state rules, version check
and audit rows apply whichever door an editor uses.

The changelist stays fast at a million rows (see large_tables.py and facts.py): counts are
capped or already known, the sidebar is one query of index seeks, every simple filter and
sort has an index that returns its rows in order with a primary-key tie-breaker, the topic
filter and search take the plan the database seam picks for their size, and a pasted URL
is an exact lookup on the web_url index.
"""

import datetime

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ORDER_VAR, SEARCH_VAR
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator, capfirst

from curation.admin.bulk import BulkActionsMixin, reject_with_reason, transition_action
from curation.admin.change_page import (
    IMPORTED_FIELDS,
    PROVENANCE_FIELDS,
    STATUS_FIELDS,
    ArticleEditorialForm,
    ArticleImageInline,
    EditorialActionInline,
    EditRefused,
    RelatedCoverageInline,
    article_admin_link,
    link,
)
from curation.admin.facts import ArticleListFacts
from curation.admin.filters import (
    ArticleTypeFilter,
    CategoryFilter,
    HeatKnownFilter,
    ProviderFilter,
    QualityBandFilter,
    StateFilter,
    TopicFilter,
)
from curation.admin.large_tables import COUNT_CAP, LargeTableAdmin, LargeTableChangeList
from curation.admin.scheduling import ScheduleAdminMixin
from curation.admin.site_links import SeenAtLinkAdmin
from curation.admin.stories import story_link
from curation.models import HEAT_UNKNOWN, Article
from curation.redaction import displayable_front_matter
from curation.search import search
from curation.selectors_reasons import offered_reasons
from curation.services.editorial import (
    MAX_BULK_ITEMS,
    Action,
    EditorialError,
    bulk_transition,
    can_perform,
    edit_article,
)

# The columns an editor may sort by; each is the leading column of an index on
# (column DESC, id DESC), which serves both directions when the tie-breaker follows.
INDEXED_SORTS = {"published_at", "imported_at", "quality", "heat"}

# What a changelist row needs. The rest (body, front matter, the secured blob) can be large;
# reading it for a page of rows, or carrying it through a sort, is most of the page's cost.
CHANGELIST_COLUMNS = [
    "pk",
    "title",
    "provider",
    "provider__name",
    "provider__domain",
    "quality",
    "heat",
    "state",
    "published_at",
    "needs_metadata",
]


class ArticleChangeList(LargeTableChangeList):
    def __init__(self, request, *args, **kwargs):
        self.request = request
        super().__init__(request, *args, **kwargs)

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters).only(*CHANGELIST_COLUMNS)
        # Tell the paginator (ArticleAdmin.get_paginator) which parameters narrow this page.
        ArticleListFacts.of(request).narrowing = frozenset(self.narrowing_parameters())
        return queryset

    def narrowing_parameters(self):
        names = set(self.get_filters_params()) - {TopicFilter.search_parameter, ProviderFilter.search_parameter}
        if self.query.strip():
            names.add(SEARCH_VAR)
        return names

    def get_ordering(self, request, queryset):
        ordering = super().get_ordering(request, queryset)
        first = ordering[0] if ordering else None
        if isinstance(first, str) and first.lstrip("-") in INDEXED_SORTS:
            return [first, "-pk" if first.startswith("-") else "pk"]
        return ["-published_at", "-pk"]

    def get_ordering_field_columns(self):
        # Only the primary sort applies (see get_ordering); say so in the column headers.
        columns = super().get_ordering_field_columns()
        if ORDER_VAR in self.params:
            return dict(list(columns.items())[:1])
        return columns

    def date_navigation(self):
        """The date hierarchy, without the stock admin's `SELECT DISTINCT` over the rows.

        Years span the table's first to last publication date (two index reads, shared with
        the sidebar); months and days are listed from the calendar. A period without a
        matching article shows an empty list, which is cheaper than proving it in advance.
        """
        field = self.date_hierarchy
        year_field, month_field, day_field = f"{field}__year", f"{field}__month", f"{field}__day"
        year, month, day = (self.params.get(name) for name in (year_field, month_field, day_field))

        def link(filters):
            return self.get_query_string(filters, [f"{field}__"])

        try:
            if year and month and day:
                date = datetime.date(int(year), int(month), int(day))
                return {
                    "show": True,
                    "back": {
                        "link": link({year_field: year, month_field: month}),
                        "title": capfirst(formats.date_format(date, "YEAR_MONTH_FORMAT")),
                    },
                    "choices": [{"title": capfirst(formats.date_format(date, "MONTH_DAY_FORMAT"))}],
                }
            if year and month:
                first = datetime.date(int(year), int(month), 1)
                days = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - first
                return {
                    "show": True,
                    "back": {"link": link({year_field: year}), "title": str(year)},
                    "choices": [
                        {
                            "link": link({year_field: year, month_field: month, day_field: n}),
                            "title": capfirst(formats.date_format(first.replace(day=n), "MONTH_DAY_FORMAT")),
                        }
                        for n in range(1, days.days + 1)
                    ],
                }
            if year:
                int(year)
                return {
                    "show": True,
                    "back": {"link": link({}), "title": "All dates"},
                    "choices": [
                        {
                            "link": link({year_field: year, month_field: n}),
                            "title": capfirst(formats.date_format(datetime.date(2000, n, 1), "F")),
                        }
                        for n in range(1, 13)
                    ],
                }
        except (TypeError, ValueError, OverflowError):
            return {"show": False}
        facts = ArticleListFacts.of(self.request)
        if not (facts.first_published and facts.last_published):
            return {"show": False}
        first_year = timezone.localtime(facts.first_published).year
        last_year = timezone.localtime(facts.last_published).year
        years = range(max(first_year, last_year - 29), last_year + 1)  # at most 30 links
        return {
            "show": True,
            "choices": [{"link": link({year_field: y}), "title": str(y)} for y in years],
        }


@admin.register(Article)
class ArticleAdmin(SeenAtLinkAdmin, ScheduleAdminMixin, BulkActionsMixin, LargeTableAdmin):
    form = ArticleEditorialForm
    list_display = [
        "title_column", "provider_column", "quality", "heat_column", "state", "published_column", "needs_metadata"
    ]
    list_display_links = ["title_column"]
    # A screen of rows; rendering each costs more than finding it. Filters narrow the rest.
    list_per_page = 50
    # Only indexed columns sort; see ArticleChangeList.get_ordering.
    sortable_by = ["quality", "heat_column", "published_column"]
    list_filter = [
        StateFilter,
        TopicFilter,
        CategoryFilter,
        ArticleTypeFilter,
        HeatKnownFilter,
        QualityBandFilter,
        "needs_metadata",
        ProviderFilter,
    ]
    date_hierarchy = "published_at"
    search_fields = ["title", "excerpt", "web_url"]
    search_help_text = (
        'Words in the title, excerpt or body (all must match; "a phrase", OR, -word). '
        "Paste a full URL to find the article with that address."
    )
    list_select_related = ["provider"]
    raw_id_fields = ["provider", "merged_into"]
    inlines = [ArticleImageInline, RelatedCoverageInline, EditorialActionInline]
    actions = [
        "publish_selected",
        "unpublish_selected",
        "reject_selected",
        "restore_selected",
        "schedule_selected",
        "unschedule_selected",
    ]
    readonly_fields = [*IMPORTED_FIELDS, *STATUS_FIELDS, *PROVENANCE_FIELDS, "front_matter", "topic_list"]
    change_list_template = "admin/curation/article/change_list.html"

    def get_changelist(self, request, **kwargs):
        return ArticleChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        known = ArticleListFacts.of(request).known_count()
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page, known_count=known)

    # Articles come from the importer, and are rejected rather than deleted (deleting one
    # would also delete its audit history).
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_publish_permission(self, request):
        return can_perform(request.user, Action.PUBLISH)

    def has_reject_permission(self, request):
        return can_perform(request.user, Action.REJECT)

    # --- columns

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, article):
        # The stock checkbox renders a widget template per row, a quarter of the page's time.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            article.pk,
            f"Select this object for an action - {article}",
        )

    @admin.display(description="Title")
    def title_column(self, article):
        return Truncator(article.title).chars(120)

    UNKNOWN_HEAT = mark_safe('<span class="unknown" title="unknown">–<span class="visually-hidden"> unknown</span></span>')

    @admin.display(description="Heat", ordering="heat")
    def heat_column(self, article):
        # The source's -1 means unknown: a muted dash, as in the curator (never "-1").
        if article.heat is None or article.heat == HEAT_UNKNOWN:
            return self.UNKNOWN_HEAT
        return article.heat

    @admin.display(description="Published", ordering="published_at")
    def published_column(self, article):
        return timezone.localtime(article.published_at).strftime("%Y-%m-%d %H:%M") if article.published_at else "–"

    @admin.display(description="Provider")
    def provider_column(self, article):
        return str(article.provider) if article.provider_id else "–"

    # --- search

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        if term.lower().startswith(("http://", "https://")):
            # A pasted address: an exact lookup on the web_url index.
            return queryset.filter(web_url=term), False
        # The full-text index, in the plan the database seam picks for the text.
        narrowing = search(queryset, term, count_cap=COUNT_CAP)
        if narrowing.count is not None:
            ArticleListFacts.of(request).note_match_count(SEARCH_VAR, narrowing.count)
        return narrowing.queryset, False

    # --- actions

    def _transition_selected(self, request, queryset, action, reason_code=""):
        label = Action(action).label.lower()

        def done(result):
            count = len(result.succeeded)
            return f"{count} {'article' if count == 1 else 'articles'} {label}."

        ids = list(queryset.order_by().values_list("pk", flat=True)[: MAX_BULK_ITEMS + 1])
        self._apply(
            request, bulk_transition, label, done=done, action=action, article_ids=ids, reason_code=reason_code
        )

    def get_actions(self, request):
        # The curator rejects with a reason from the admins' list; the admin's one "Reject"
        # could give none. One action per offered reason (a reason that needs a note is
        # given in the curator, where the note is typed).
        actions = super().get_actions(request)
        if "reject_selected" not in actions:
            return actions
        listed = {}
        for name, action in actions.items():  # the reasons right after the plain Reject
            listed[name] = action
            if name == "reject_selected":
                for code, label, needs_note in offered_reasons():
                    if not needs_note:
                        reason_action = f"reject_as_{code}"
                        listed[reason_action] = (
                            reject_with_reason(code), reason_action, f"Reject selected articles as “{label}”"
                        )
        return listed

    publish_selected = transition_action(Action.PUBLISH, "Publish selected articles", "publish")
    unpublish_selected = transition_action(Action.UNPUBLISH, "Unpublish selected articles (back to the queue)", "publish")
    reject_selected = transition_action(Action.REJECT, "Reject selected articles (no reason given)", "reject")
    restore_selected = transition_action(Action.RESTORE, "Restore selected rejected articles", "reject")

    # --- the change page

    def get_fieldsets(self, request, obj=None):
        if self.has_change_permission(request, obj):
            editorial = ["title", "excerpt", "topic_names", "expected_version"]
        else:
            editorial = ["title", "excerpt", "topic_list"]
        return [
            (
                "Editorial (your edits survive re-import)",
                {
                    "fields": editorial,
                    "description": "Saving records an audit entry; state changes are actions on the article list "
                    "or buttons in the curator workspace.",
                },
            ),
            ("Status", {"fields": STATUS_FIELDS}),
            ("Imported from the seed file (read-only)", {"fields": IMPORTED_FIELDS}),
            ("Original front matter", {"fields": ["front_matter"]}),
            ("Provenance", {"fields": PROVENANCE_FIELDS, "classes": ["collapse"]}),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except EditRefused as exc:
            # Raised inside the admin's transaction, which rolled back: nothing was saved.
            self.message_user(request, f"Not saved: {exc}", messages.ERROR)
            return HttpResponseRedirect(request.path)

    def history_view(self, request, object_id, extra_context=None):
        # The stock History lists the admin's own log entries only, so an article published,
        # rejected or edited anywhere else said "This object doesn't have a change history".
        # Its history is the audit log, which every door writes (the admin's edits included).
        article = self.get_object(request, object_id)
        if article is None or not self.has_view_or_change_permission(request, article):
            return super().history_view(request, object_id, extra_context)
        return HttpResponseRedirect(f"{reverse('admin:curation_editorialaction_changelist')}?q={article.pk}")

    def save_model(self, request, obj, form, change):
        # The model instance is never saved here: the service writes the fields, the
        # version, edited_fields and the audit row, or refuses.
        data = form.cleaned_data
        try:
            edit_article(
                article=obj.pk,
                user=request.user,
                title=data["title"],
                excerpt=data["excerpt"],
                topics=data["topic_names"],
                # The admin's form says that a new name creates the topic (admins may).
                create_topics=data["topic_names"],
                expected_version=data.get("expected_version"),
                via="admin",
            )
        except (EditorialError, PermissionDenied) as exc:
            raise EditRefused(str(exc)) from exc

    def save_related(self, request, form, formsets, change):
        # Topics were saved by edit_article and the inlines are read-only: nothing to save.
        # The admin's change message reads what each formset saved: nothing.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    @admin.display(description="Topics")
    def topic_list(self, article):
        return ", ".join(article.topics.order_by("name").values_list("name", flat=True)) or "–"

    @admin.display(description="Web URL")
    def web_url_link(self, article):
        return link(article.web_url) if article.web_url else "–"

    @admin.display(description="Secured (fingerprint)")
    def secured_fingerprint(self, article):
        return article.secured_fingerprint or "–"

    @admin.display(description="Curator page")
    def curator_link(self, article):
        url = reverse("curation:article-detail", args=[article.pk])
        return format_html('<a href="{}">Open in the curator workspace</a>', url)

    @admin.display(description="Merged into")
    def merged_into_link(self, article):
        return article_admin_link(article.merged_into_id)

    @admin.display(description="Story")
    def story_link(self, article):
        return story_link(article.story_id, article.story.size if article.story_id else None)

    @admin.display(description="Front matter, as imported")
    def front_matter(self, article):
        shown = displayable_front_matter(article)
        if shown is None:
            return "(not shown: it can no longer be read safely, and it may hold the secured value)"
        return format_html('<pre class="front-matter">{}</pre>', shown or "(none: this item had no front matter)")
