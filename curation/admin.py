"""The Django admin as the back office: articles, providers, topics, the import ledger, the audit log.

Two rules shape this module.

1. Every editorial write goes through `curation.services.editorial`, exactly like the curator
   views: the publish/unpublish/reject/restore actions call `bulk_transition`, and saving the
   change form calls `edit_article`. So the same permission checks, state rules, version check
   and audit rows apply whichever door an editor uses.

2. The article changelist must stay fast on a table of a million rows. The stock admin is not:
   it counts the whole table (twice), lists filter choices with `SELECT DISTINCT` over every
   row, builds the date hierarchy from `SELECT DISTINCT date_trunc(...)` over the filtered
   rows, and joins M2M filters. Here instead:
   - `LargeTablePaginator` counts at most `COUNT_CAP` rows (or reads PostgreSQL's row estimate
     for the unfiltered table) and never offers pages deeper than the cap;
   - everything the filter sidebar and the date navigation list (categories, types, the date
     range, the first topics and providers, the selected topic with its size) comes from ONE
     query of index seeks (`sidebar_facts`), computed once per request;
   - the topic filter is a semi-join on the through table, never a join + DISTINCT, written
     for the topic's size: a small topic's articles are fetched and sorted, a common topic is
     tested row by row while walking the sort order;
   - when the only narrowing is a filter or search whose match count is already known (the
     topic's size, the full-text index's own count), that is the page's count;
   - provider and topic filters list a few choices plus a search box, so thousands of rows
     stay usable;
   - each simple filter and sort has an index that returns its rows newest first (or in the
     sort's order; see `Article.Meta.indexes`), with a primary-key tie-breaker in the same
     direction, so a page is an index range, not a sort;
   - search uses the full-text index (`curation.search`), and a pasted URL is an exact
     lookup on the `web_url` index.
"""

import datetime
import json
import math

import yaml
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, SEARCH_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Exists, OuterRef
from django.db.models.expressions import RawSQL
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator, capfirst

from curation.models import (
    HEAT_UNKNOWN_Q,
    Article,
    ArticleImage,
    EditorialAction,
    ImportLedgerEntry,
    ImportRun,
    Provider,
    RelatedCoverage,
    Topic,
)
from curation.params import admin_lookups_checked
from curation.search import TS_CONFIG, fts5_query, search_articles, websearch_text
from curation.seedformat import MAX_NAME, safe_url
from curation.services.editorial import (
    Action,
    EditorialError,
    bulk_transition,
    can_perform,
    edit_article,
)

# Counting stops here: "more than 10,000" is all an editor needs to know, and pages past
# it would mean OFFSETs that grow with the table. Filters narrow the list instead.
COUNT_CAP = 10_000
# Admin actions run one transaction per article; a larger selection is refused, not half-done.
MAX_BULK_SELECTION = 500
# How many choices a sidebar filter lists before it offers a search box instead.
FILTER_CHOICES_SHOWN = 20
DISTINCT_VALUES_SHOWN = 100


# --- large tables ---------------------------------------------------------------------------


def _estimated_rows(model, using):
    """PostgreSQL's planner estimate of the table's rows (free), or None when unknown."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        row = cursor.fetchone()
    return row[0] if row and row[0] and row[0] > 0 else None


class LargeTablePaginator(Paginator):
    """A paginator that never runs COUNT(*) over a huge table.

    Filtered lists are counted up to `COUNT_CAP` (`SELECT COUNT(*) FROM (... LIMIT cap+1)`);
    the unfiltered table on PostgreSQL shows the planner's estimate when it exceeds the cap.
    `count_is_exact` tells the templates whether to say "about"/"more than".
    """

    cap = COUNT_CAP

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_is_exact = True
        self.count_is_estimate = False

    @cached_property
    def count(self):
        queryset = self.object_list
        known = getattr(queryset, "known_count", None)
        if known is not None:  # known without counting (see ArticleChangeList.get_queryset)
            self.count_is_exact = known <= self.cap
            return known
        if not queryset.query.where:
            estimate = _estimated_rows(queryset.model, queryset.db)
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


def _count_label(paginator, count, opts):
    name = opts.verbose_name if count == 1 else opts.verbose_name_plural
    if paginator is None or getattr(paginator, "count_is_exact", True):
        return f"{formats.number_format(count, force_grouping=True)} {name}"
    if getattr(paginator, "count_is_estimate", False):
        return f"about {formats.number_format(count, force_grouping=True)} {name}"
    return f"more than {formats.number_format(paginator.cap, force_grouping=True)} {opts.verbose_name_plural}"


class LargeTableChangeList(ChangeList):
    """Keeps the request (for the per-request sidebar facts) and labels capped counts."""

    def __init__(self, request, *args, **kwargs):
        self.request = request
        with admin_lookups_checked():  # a value the database refuses is a bad lookup, not a 500
            super().__init__(request, *args, **kwargs)

    @property
    def result_count_label(self):
        return _count_label(self.paginator, self.result_count, self.opts)


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


# One query, only index seeks: the distinct categories and types by a "loose index scan"
# (each step asks the index for the next value above the previous one, so the cost is the
# number of distinct values, not rows), the first and last publication dates (min/max
# read from the ends of the published_at index), and the first topics and providers by
# name. Identical SQL on PostgreSQL and SQLite.
_SIDEBAR_SQL = """
WITH RECURSIVE
categories(v, n) AS (
    SELECT CAST(MIN({category}) AS TEXT), 1 FROM {article}
    UNION ALL
    SELECT CAST((SELECT MIN({category}) FROM {article} WHERE {category} > categories.v) AS TEXT), n + 1
    FROM categories WHERE categories.v IS NOT NULL AND n <= {distinct_limit}
),
types(v, n) AS (
    SELECT CAST(MIN({article_type}) AS TEXT), 1 FROM {article}
    UNION ALL
    SELECT CAST((SELECT MIN({article_type}) FROM {article} WHERE {article_type} > types.v) AS TEXT), n + 1
    FROM types WHERE types.v IS NOT NULL AND n <= {distinct_limit}
)
SELECT 'category', v, '', '' FROM categories WHERE v IS NOT NULL
UNION ALL
SELECT 'type', v, '', '' FROM types WHERE v IS NOT NULL
UNION ALL
SELECT 'first', CAST((SELECT MIN({published_at}) FROM {article}) AS TEXT), '', ''
UNION ALL
SELECT 'last', CAST((SELECT MAX({published_at}) FROM {article}) AS TEXT), '', ''
UNION ALL
SELECT 'topic', CAST(id AS TEXT), name, '' FROM (
    SELECT id, name FROM {topic} ORDER BY name, id LIMIT {choice_limit}
) first_topics
UNION ALL
SELECT 'provider', CAST(id AS TEXT), name, domain FROM (
    SELECT id, name, domain FROM {provider} ORDER BY name, domain LIMIT {choice_limit}
) first_providers
UNION ALL
SELECT 'selected_topic', CAST(id AS TEXT), name,
    CAST((SELECT COUNT(*) FROM (SELECT 1 FROM {through} WHERE topic_id = %s LIMIT {size_limit}) tagged) AS TEXT)
FROM {topic} WHERE id = %s
UNION ALL
SELECT 'selected_provider', CAST(id AS TEXT), name, domain FROM {provider} WHERE id = %s
"""


def _parse_db_datetime(value):
    if not value:
        return None
    parsed = parse_datetime(value.replace("T", " ")) or parse_datetime(value)
    if parsed is None:
        return None
    if timezone.is_naive(parsed):  # SQLite stores UTC without an offset
        parsed = timezone.make_aware(parsed, datetime.UTC)
    return parsed


def _as_id(value):
    """A primary key from a query-string value, or None (also for numbers no column can hold)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _id_param(request, name):
    return _as_id(request.GET.get(name))


def sidebar_facts(request):
    """Choices and date range for the article changelist, fetched once per request.

    Also the selected topic and provider (so their names need no query of their own) and
    how many articles the selected topic has, up to the count cap (which decides how the
    topic filter is written, see TopicFilter).
    """
    facts = getattr(request, "_article_sidebar_facts", None)
    if facts is not None:
        return facts
    connection = connections[Article.objects.db]
    qn = connection.ops.quote_name
    field = Article._meta.get_field
    sql = _SIDEBAR_SQL.format(
        article=qn(Article._meta.db_table),
        topic=qn(Topic._meta.db_table),
        provider=qn(Provider._meta.db_table),
        through=qn(Article.topics.through._meta.db_table),
        category=qn(field("category").column),
        article_type=qn(field("article_type").column),
        published_at=qn(field("published_at").column),
        distinct_limit=int(DISTINCT_VALUES_SHOWN),
        choice_limit=int(FILTER_CHOICES_SHOWN) + 1,
        size_limit=int(LargeTablePaginator.cap) + 1,
    )
    topic_id = _id_param(request, TopicFilter.parameter_name)
    provider_id = _id_param(request, ProviderFilter.parameter_name)
    params = [topic_id or 0, topic_id or 0, provider_id or 0]
    facts = {
        "category": [],
        "type": [],
        "topic": [],
        "provider": [],
        "first": None,
        "last": None,
        "selected_topic": None,
        "selected_provider": None,
        "selected_topic_size": None,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, key, label, extra in cursor.fetchall():
            if kind in ("first", "last"):
                facts[kind] = _parse_db_datetime(key)
            elif kind == "selected_topic":
                facts[kind] = (int(key), label)
                facts["selected_topic_size"] = int(extra)
            elif kind == "selected_provider":
                facts[kind] = (int(key), f"{label} ({extra})" if extra else label)
            elif kind in ("topic", "provider"):
                facts[kind].append((int(key), f"{label} ({extra})" if extra else label))
            else:
                facts[kind].append(key)
    request._article_sidebar_facts = facts
    return facts


def _note_match_count(request, parameter, count):
    """Record how many articles this filter alone matches: exact up to the cap, else cap + 1.

    When it is the page's only narrowing, that is the page's count (no COUNT query).
    """
    if not hasattr(request, "_article_match_counts"):
        request._article_match_counts = {}
    request._article_match_counts[parameter] = min(count, LargeTablePaginator.cap + 1)


# --- article filters --------------------------------------------------------------------------


class QualityBandFilter(admin.SimpleListFilter):
    title = "quality"
    parameter_name = "quality_band"
    # Quality has been seen from 0 to 189; these bands cut it where editors read it.
    BANDS = {
        "low": ("Low (below 25)", None, 25),
        "fair": ("Fair (25–49)", 25, 50),
        "good": ("Good (50–74)", 50, 75),
        "high": ("High (75–99)", 75, 100),
        "top": ("Top (100 and above)", 100, None),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _, _) in self.BANDS.items()] + [("unknown", "Unknown")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "unknown":
            return queryset.filter(quality__isnull=True)
        if value in self.BANDS:
            _, low, high = self.BANDS[value]
            if low is not None:
                queryset = queryset.filter(quality__gte=low)
            if high is not None:
                queryset = queryset.filter(quality__lt=high)
            return queryset
        return queryset


class HeatKnownFilter(admin.SimpleListFilter):
    title = "heat"
    parameter_name = "heat_known"

    def lookups(self, request, model_admin):
        return [("yes", "Known"), ("no", "Unknown")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(HEAT_UNKNOWN_Q)
        if self.value() == "no":
            return queryset.filter(HEAT_UNKNOWN_Q)
        return queryset


class DistinctValueFilter(admin.SimpleListFilter):
    """A filter over a free-text column's values, listed from the index (see `sidebar_facts`)."""

    facts_key = None  # "category" or "type"
    field_name = None

    def lookups(self, request, model_admin):
        values = list(sidebar_facts(request)[self.facts_key][:DISTINCT_VALUES_SHOWN])
        current = self.value()
        if current is not None and current not in values:
            values.append(current)
        return [(value, value or "(none)") for value in values]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(**{self.field_name: self.value()})


class CategoryFilter(DistinctValueFilter):
    title = "category"
    parameter_name = "category"
    facts_key = "category"
    field_name = "category"


class ArticleTypeFilter(DistinctValueFilter):
    title = "type"
    parameter_name = "article_type"
    facts_key = "type"
    field_name = "article_type"


class SearchableChoiceFilter(admin.SimpleListFilter):
    """A filter over a table that may hold thousands of rows (providers, topics).

    It lists the first few by name; when there are more, it shows a small search form
    (plain GET, works without JavaScript) and lists the matches. The selected row is
    always shown, however it was reached (e.g. a link from the provider's admin page).
    """

    template = "admin/curation/searchable_filter.html"
    search_parameter = None
    search_label = "Find"

    def __init__(self, request, params, model, model_admin):
        values = params.pop(self.search_parameter, None)
        self.search_term = (values[-1] if values else "").strip()[:MAX_NAME]
        super().__init__(request, params, model, model_admin)

    def expected_parameters(self):
        return [self.parameter_name, self.search_parameter]

    def has_output(self):
        return True

    def selected_id(self):
        return _as_id(self.value())

    def first_choices(self, request):
        raise NotImplementedError

    def search_choices(self, term):
        raise NotImplementedError

    def label_for(self, request, pk):
        raise NotImplementedError

    def lookups(self, request, model_admin):
        if self.search_term:
            rows = self.search_choices(self.search_term)
            self.has_more = True
        else:
            rows = self.first_choices(request)
            self.has_more = len(rows) > FILTER_CHOICES_SHOWN
        rows = list(rows[:FILTER_CHOICES_SHOWN])
        selected = self.selected_id()
        if selected is not None and selected not in {pk for pk, _ in rows}:
            label = self.label_for(request, selected)
            if label is not None:
                rows.insert(0, (selected, label))
        return [(str(pk), label) for pk, label in rows]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=self.expected_parameters()),
            "display": "All",
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}, [self.search_parameter]),
                "display": label,
            }
        # For the search form: every other current parameter, so searching keeps them.
        own = {self.parameter_name, self.search_parameter, PAGE_VAR}
        self.hidden_params = [(key, value) for key, value in changelist.params.items() if key not in own]


class ProviderFilter(SearchableChoiceFilter):
    title = "provider"
    parameter_name = "provider"
    search_parameter = "provider_q"
    search_label = "Find a provider"

    def first_choices(self, request):
        return sidebar_facts(request)["provider"]

    def search_choices(self, term):
        matches = Provider.objects.filter(name__icontains=term) | Provider.objects.filter(domain__icontains=term)
        return [(p.pk, str(p)) for p in matches.order_by("name", "domain")[:FILTER_CHOICES_SHOWN]]

    def label_for(self, request, pk):
        selected = sidebar_facts(request)["selected_provider"]
        return selected[1] if selected and selected[0] == pk else None

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if self.selected_id() is None:
            return queryset.none()
        return queryset.filter(provider_id=self.selected_id())


class TopicFilter(SearchableChoiceFilter):
    title = "topic"
    parameter_name = "topic"
    search_parameter = "topic_q"
    search_label = "Find a topic"

    def first_choices(self, request):
        return sidebar_facts(request)["topic"]

    def search_choices(self, term):
        return list(
            Topic.objects.filter(name__icontains=term).order_by("name").values_list("pk", "name")[:FILTER_CHOICES_SHOWN]
        )

    def label_for(self, request, pk):
        selected = sidebar_facts(request)["selected_topic"]
        return selected[1] if selected and selected[0] == pk else None

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if self.selected_id() is None:
            return queryset.none()
        # A semi-join on the through table, never a JOIN: no duplicate rows, no DISTINCT.
        links = Article.topics.through.objects.filter(topic_id=self.selected_id())
        size = sidebar_facts(request)["selected_topic_size"] or 0
        _note_match_count(request, self.parameter_name, size)
        if size > LargeTablePaginator.cap:
            # A common topic: walk the list in its sort order and probe the (article, topic)
            # index per row; a page is found after a few hundred rows. The IN form would
            # fetch and sort every tagged article (285,000 for the top topic at 1M rows).
            return queryset.filter(Exists(links.filter(article_id=OuterRef("pk"))))
        # A small topic: fetch its few articles and sort them.
        if connections[queryset.db].vendor == "postgresql":
            # Collected first (an InitPlan), or the planner may still walk the date index
            # hoping to meet 50 of them early: 60-200 ms instead of 30 ms for 5,000 articles.
            through = connections[queryset.db].ops.quote_name(Article.topics.through._meta.db_table)
            return queryset.filter(
                pk__in=RawSQL(
                    f"SELECT unnest(ARRAY(SELECT article_id FROM {through} WHERE topic_id = %s))",
                    (self.selected_id(),),
                )
            )
        return queryset.filter(pk__in=links.values("article_id"))


# --- article changelist -----------------------------------------------------------------------

# The columns an editor may sort by; each is the leading column of an index on
# (column DESC, id DESC), which serves both directions when the tie-breaker follows.
INDEXED_SORTS = {"published_at", "imported_at", "quality", "heat"}


# What a changelist row needs. The rest (body, front matter, the secured blob) can be large;
# reading it for 100 rows, or carrying it through a sort, is most of the page's cost.
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
    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters).only(*CHANGELIST_COLUMNS)
        known = getattr(request, "_article_match_counts", {})
        narrowing = self.narrowing_parameters()
        if len(narrowing) == 1 and narrowing <= known.keys():
            # The only narrowing is a filter or search whose match count is already known:
            # counting it again would often be the slowest query of the page.
            queryset.known_count = known[next(iter(narrowing))]
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
        facts = sidebar_facts(self.request)
        if not (facts["first"] and facts["last"]):
            return {"show": False}
        first_year = timezone.localtime(facts["first"]).year
        last_year = timezone.localtime(facts["last"]).year
        years = range(max(first_year, last_year - 29), last_year + 1)  # at most 30 links
        return {
            "show": True,
            "choices": [{"link": link({year_field: y}), "title": str(y)} for y in years],
        }


# --- article change page ----------------------------------------------------------------------


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
        title = (self.cleaned_data.get("title") or "").strip()
        if not title:
            raise forms.ValidationError("A title is required.")
        return title

    def clean_topic_names(self):
        names = _topic_names(self.cleaned_data.get("topic_names"))
        too_long = [name for name in names if len(name) > MAX_NAME]
        if too_long:
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


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _link(url, text=None):
    url = safe_url(url)
    if not url:
        return text or "–"
    return format_html('<a href="{}" rel="noopener noreferrer nofollow">{}</a>', url, text or url)


class ArticleImageInline(ReadOnlyInline):
    model = ArticleImage
    fields = ["position", "image_link", "width", "height", "title"]
    readonly_fields = fields
    verbose_name_plural = "images (imported)"

    @admin.display(description="URL")
    def image_link(self, image):
        return _link(image.url)


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
        return _link(item.web_url)

    @admin.display(description="Also imported as")
    def our_copy(self, item):
        if not item.linked_article_id:
            return "–"
        url = reverse("admin:curation_article_change", args=[item.linked_article_id])
        return format_html('<a href="{}">#{}</a>', url, item.linked_article_id)


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
    "curator_link",
    "needs_metadata",
    "state_changed_at",
    "state_changed_by",
    "rejection_reason",
    "merged_into_link",
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


@admin.register(Article)
class ArticleAdmin(LargeTableAdmin):
    form = ArticleEditorialForm
    list_display = [
        "title_column",
        "provider_column",
        "quality",
        "heat",
        "state",
        "published_at",
        "needs_metadata",
    ]
    list_display_links = ["title_column"]
    # A screen of rows; rendering each costs more than finding it. Filters narrow the rest.
    list_per_page = 50
    # Only indexed columns sort; see ArticleChangeList.get_ordering.
    sortable_by = ["quality", "heat", "published_at"]
    list_filter = [
        "state",
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
    actions = ["publish_selected", "unpublish_selected", "reject_selected", "restore_selected"]
    readonly_fields = [
        *IMPORTED_FIELDS,
        *STATUS_FIELDS,
        *PROVENANCE_FIELDS,
        "front_matter",
        "topic_list",
    ]
    change_list_template = "admin/curation/article/change_list.html"

    def get_changelist(self, request, **kwargs):
        return ArticleChangeList

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
        # The full-text index (PostgreSQL tsvector / SQLite FTS5), never LIKE over every row.
        vendor = connections[queryset.db].vendor
        if vendor == "sqlite" and fts5_query(term):
            # Counting in the FTS index alone is cheap (< 10 ms for 10,000 matches).
            matches = sqlite_fulltext_match_count(term, queryset.db)
            _note_match_count(request, SEARCH_VAR, matches)
            if matches <= LargeTablePaginator.cap:
                # Few enough to fetch by rowid and sort. (search_articles walks the sort order
                # above 2,000 matches: right for one page, but the page's count then scans
                # the whole table.)
                return queryset.filter(pk__in=RawSQL(SQLITE_FTS_MATCHES, (fts5_query(term),))), False
        elif vendor == "postgresql" and websearch_text(term):
            # Counting a common word's matches costs 100+ ms even capped (heap rechecks) while
            # its first page costs 1 ms; the planner's estimate tells a common word apart.
            estimate = postgresql_fulltext_estimate(term, queryset.db)
            if estimate > 5 * LargeTablePaginator.cap:
                _note_match_count(request, SEARCH_VAR, LargeTablePaginator.cap + 1)
            elif estimate <= LargeTablePaginator.cap:
                # A rare word: collect its matches from the GIN index first, then fetch and sort
                # them. Left to itself the planner may walk the date index hoping to meet 50
                # matches early (120 ms instead of 17 ms for a 3,000-match word at 1M rows).
                table = connections[queryset.db].ops.quote_name(Article._meta.db_table)
                matches = RawSQL(
                    f"SELECT unnest(ARRAY(SELECT id FROM {table} "
                    f"WHERE search_vector @@ websearch_to_tsquery(%s::regconfig, %s)))",
                    (TS_CONFIG, websearch_text(term)),
                )
                return queryset.filter(pk__in=matches), False
        # curation.search picks the plan (rare words: index first; common: walk the sort order).
        return search_articles(queryset, term), False

    # --- actions

    def _transition_selected(self, request, queryset, action):
        ids = list(queryset.order_by().values_list("pk", flat=True)[: MAX_BULK_SELECTION + 1])
        if len(ids) > MAX_BULK_SELECTION:
            self.message_user(
                request,
                f"Select at most {MAX_BULK_SELECTION} articles at a time (narrow the list with the filters).",
                messages.ERROR,
            )
            return
        try:
            result = bulk_transition(action=action, article_ids=ids, user=request.user, via="admin")
        except PermissionDenied:
            self.message_user(request, "You do not have permission to do that.", messages.ERROR)
            return
        label = Action(action).label.lower()
        if result.succeeded:
            count = len(result.succeeded)
            self.message_user(request, f"{count} {'article' if count == 1 else 'articles'} {label}.", messages.SUCCESS)
        if result.failed:
            shown = "; ".join(f"{Truncator(title).chars(60)} — {why}" for _, title, why in result.failed[:10])
            more = f" (and {len(result.failed) - 10} more)" if len(result.failed) > 10 else ""
            self.message_user(
                request,
                f"{len(result.failed)} could not be {label}: {shown}{more}",
                messages.WARNING,
            )

    @admin.action(description="Publish selected articles", permissions=["publish"])
    def publish_selected(self, request, queryset):
        self._transition_selected(request, queryset, Action.PUBLISH)

    @admin.action(description="Unpublish selected articles (back to the queue)", permissions=["publish"])
    def unpublish_selected(self, request, queryset):
        self._transition_selected(request, queryset, Action.UNPUBLISH)

    @admin.action(description="Reject selected articles", permissions=["reject"])
    def reject_selected(self, request, queryset):
        self._transition_selected(request, queryset, Action.REJECT)

    @admin.action(description="Restore selected rejected articles", permissions=["reject"])
    def restore_selected(self, request, queryset):
        self._transition_selected(request, queryset, Action.RESTORE)

    # --- change page

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
                expected_version=data.get("expected_version"),
                via="admin",
            )
        except (EditorialError, PermissionDenied) as exc:
            request._article_edit_failed = True
            self.message_user(request, f"Not saved: {exc}", messages.ERROR)

    def save_related(self, request, form, formsets, change):
        # Topics were saved by edit_article and the inlines are read-only: nothing to save.
        # The admin's change message reads what each formset saved: nothing.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def log_change(self, request, obj, message):
        if not getattr(request, "_article_edit_failed", False):
            return super().log_change(request, obj, message)

    def response_change(self, request, obj):
        if getattr(request, "_article_edit_failed", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    @admin.display(description="Topics")
    def topic_list(self, article):
        return ", ".join(article.topics.order_by("name").values_list("name", flat=True)) or "–"

    @admin.display(description="Topics")
    def topic_names(self, article):
        return self.topic_list(article)

    @admin.display(description="Web URL")
    def web_url_link(self, article):
        return _link(article.web_url) if article.web_url else "–"

    @admin.display(description="Secured (fingerprint)")
    def secured_fingerprint(self, article):
        return article.secured_fingerprint or "–"

    @admin.display(description="Curator page")
    def curator_link(self, article):
        url = reverse("curation:article-detail", args=[article.pk])
        return format_html('<a href="{}">Open in the curator workspace</a>', url)

    @admin.display(description="Merged into")
    def merged_into_link(self, article):
        if not article.merged_into_id:
            return "–"
        url = reverse("admin:curation_article_change", args=[article.merged_into_id])
        return format_html('<a href="{}">#{}</a>', url, article.merged_into_id)

    @admin.display(description="Front matter, as imported")
    def front_matter(self, article):
        return format_html('<pre class="front-matter">{}</pre>', pretty_front_matter(article))


SQLITE_FTS_MATCHES = "SELECT rowid FROM article_fts WHERE article_fts MATCH %s"


def sqlite_fulltext_match_count(text, using):
    """How many articles match `text`, up to the cap + 1, from the FTS5 index alone."""
    limit = int(LargeTablePaginator.cap) + 1
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({SQLITE_FTS_MATCHES} LIMIT {limit}) m", [fts5_query(text)])
        return cursor.fetchone()[0]


def postgresql_fulltext_estimate(text, using):
    """PostgreSQL's planner estimate of the articles matching `text` (no rows are read)."""
    connection = connections[using]
    table = connection.ops.quote_name(Article._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {table} WHERE search_vector @@ websearch_to_tsquery(%s::regconfig, %s)",
            [TS_CONFIG, websearch_text(text)],
        )
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return plan[0]["Plan"]["Plan Rows"]


def pretty_front_matter(article):
    """The imported front matter as readable YAML, with `secured` replaced by its fingerprint."""
    raw = article.front_matter_raw or ""
    if not raw.strip():
        return "(none: this item had no front matter)"
    try:
        data = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        data = None
    if not isinstance(data, dict):
        # Unparseable now (it parsed at import): show the text, minus any `secured` line.
        lines = [
            f"secured: {article.secured_fingerprint}" if line.lstrip().startswith("secured:") else line
            for line in raw.splitlines()
        ]
        return "\n".join(lines)
    if "secured" in data:
        data["secured"] = article.secured_fingerprint or "(empty)"
    return yaml.dump(
        data,
        Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


# --- the other tables -------------------------------------------------------------------------


@admin.register(Provider)
class ProviderAdmin(LargeTableAdmin):
    list_display = ["name", "domain", "articles_link"]
    search_fields = ["name", "domain"]

    @admin.display(description="Articles")
    def articles_link(self, provider):
        url = reverse("admin:curation_article_changelist") + f"?provider={provider.pk}"
        return format_html('<a href="{}">Articles</a>', url)


@admin.register(Topic)
class TopicAdmin(LargeTableAdmin):
    list_display = ["name", "slug", "articles_link"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    @admin.display(description="Articles")
    def articles_link(self, topic):
        url = reverse("admin:curation_article_changelist") + f"?topic={topic.pk}"
        return format_html('<a href="{}">Articles</a>', url)


class ReadOnlyAdmin(LargeTableAdmin):
    """Records written by services (imports, the audit log): looked at, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "started_at", "finished_at", "created", "updated", "unchanged", "failed", "ledger_link"]
    fields = ["started_at", "finished_at", "created", "updated", "unchanged", "failed", "paths", "ledger_link"]
    readonly_fields = fields

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
        if not entry.article_id:
            return "–"
        return format_html(
            '<a href="{}">#{}</a>', reverse("admin:curation_article_change", args=[entry.article_id]), entry.article_id
        )


class ViaFilter(admin.SimpleListFilter):
    """Fixed choices: the stock filter would SELECT DISTINCT over the whole audit log."""

    title = "via"
    parameter_name = "via"

    def lookups(self, request, model_admin):
        return [
            ("curator", "Curator workspace"),
            ("bulk", "Bulk (curator)"),
            ("admin", "Admin"),
            ("command", "Command"),
        ]

    def queryset(self, request, queryset):
        return queryset.filter(via=self.value()) if self.value() else queryset


@admin.register(EditorialAction)
class EditorialActionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "article_link", "actor", "via", "reason"]
    list_filter = ["action", ViaFilter]
    search_fields = ["=article__id", "=actor__username"]
    list_select_related = ["actor", "article"]
    fields = ["created_at", "action", "article_link", "actor", "via", "before", "after", "reason"]
    readonly_fields = fields

    @admin.display(description="Article")
    def article_link(self, entry):
        url = reverse("admin:curation_article_change", args=[entry.article_id])
        return format_html('<a href="{}">{}</a>', url, Truncator(entry.article.title).chars(80))
