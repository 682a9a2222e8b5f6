"""The article changelist's sidebar filters, and the audit log's.

Every choice list comes from the per-request facts (one query of index seeks, see facts.py),
never from SELECT DISTINCT over the table; provider and topic filters list a few choices and
a search box, so thousands of rows stay usable.
"""

from django.contrib import admin, messages
from django.contrib.admin.views.main import PAGE_VAR

from curation.admin.facts import DISTINCT_VALUES_SHOWN, FILTER_CHOICES_SHOWN, ArticleListFacts, as_id
from curation.models import HEAT_UNKNOWN_Q, QUALITY_BANDS, STATUS_CHOICES, Provider, Topic
from curation.selectors import with_status, with_topic
from curation.services import taxonomy
from curation.validation import MAX_NAME


class StateFilter(admin.SimpleListFilter):
    """The queue's states, those by the clock (scheduled, expired, under embargo) included."""

    title = "state"
    parameter_name = "state__exact"  # the address the plain field filter had

    def lookups(self, request, model_admin):
        return STATUS_CHOICES

    def queryset(self, request, queryset):
        if self.value() in dict(STATUS_CHOICES):
            return with_status(queryset, self.value())
        return queryset


class QualityBandFilter(admin.SimpleListFilter):
    title = "quality"
    parameter_name = "quality_band"

    def lookups(self, request, model_admin):
        return [(band.key, band.label) for band in QUALITY_BANDS] + [("unknown", "Unknown")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "unknown":
            return queryset.filter(quality__isnull=True)
        for band in QUALITY_BANDS:
            if band.key == value:
                return queryset.filter(band.condition())
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
    """A filter over a free-text column's values, listed from the index (see facts.py)."""

    facts_key = None  # "categories" or "types"
    field_name = None

    def lookups(self, request, model_admin):
        values = list(getattr(ArticleListFacts.of(request), self.facts_key)[:DISTINCT_VALUES_SHOWN])
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
    facts_key = "categories"
    field_name = "category"


class ArticleTypeFilter(DistinctValueFilter):
    title = "type"
    parameter_name = "article_type"
    facts_key = "types"
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
    facts_choices = None  # "topics" or "providers"
    facts_selected = None  # "selected_topic" or "selected_provider"

    def __init__(self, request, params, model, model_admin):
        values = params.pop(self.search_parameter, None)
        self.search_term = (values[-1] if values else "").strip()[:MAX_NAME]
        super().__init__(request, params, model, model_admin)

    def expected_parameters(self):
        return [self.parameter_name, self.search_parameter]

    def has_output(self):
        return True

    def selected_id(self):
        return as_id(self.value())

    def search_choices(self, term):
        raise NotImplementedError

    def live_or_followed(self, request, named):
        """The id to filter by when the selected one is no row now: the kept row's, for a
        row merged into it (a link or bookmark from before the merge), or None. Either way
        the list says so, rather than stand silently empty."""
        if named.notice:
            messages.add_message(request, messages.INFO if named.ids else messages.WARNING, named.notice)
        return named.ids[0] if named.ids else None

    def lookups(self, request, model_admin):
        facts = ArticleListFacts.of(request)
        if self.search_term:
            rows = self.search_choices(self.search_term)
            self.has_more = True
        else:
            rows = getattr(facts, self.facts_choices)
            self.has_more = len(rows) > FILTER_CHOICES_SHOWN
        rows = list(rows[:FILTER_CHOICES_SHOWN])
        selected, selected_row = self.selected_id(), getattr(facts, self.facts_selected)
        if selected is not None and selected not in {pk for pk, _ in rows} and selected_row and selected_row[0] == selected:
            rows.insert(0, selected_row)
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
    facts_choices = "providers"
    facts_selected = "selected_provider"

    def search_choices(self, term):
        matches = Provider.objects.filter(name__icontains=term) | Provider.objects.filter(domain__icontains=term)
        return [(p.pk, str(p)) for p in matches.order_by("name", "domain")[:FILTER_CHOICES_SHOWN]]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        provider_id = self.selected_id()
        if provider_id is not None and ArticleListFacts.of(request).selected_provider is None:
            provider_id = self.live_or_followed(request, taxonomy.find_providers(pk=provider_id))
        if provider_id is None:
            return queryset.none()
        return queryset.filter(provider_id=provider_id)


class TopicFilter(SearchableChoiceFilter):
    title = "topic"
    parameter_name = "topic"
    search_parameter = "topic_q"
    search_label = "Find a topic"
    facts_choices = "topics"
    facts_selected = "selected_topic"

    def search_choices(self, term):
        return list(
            Topic.objects.filter(name__icontains=term).order_by("name").values_list("pk", "name")[:FILTER_CHOICES_SHOWN]
        )

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        facts = ArticleListFacts.of(request)
        if self.selected_id() is not None and facts.selected_topic is None:
            topic_id = self.live_or_followed(request, taxonomy.find_topic(pk=self.selected_id()))
            return queryset.none() if topic_id is None else with_topic(queryset, topic_id).queryset
        if self.selected_id() is None:
            return queryset.none()
        size = facts.selected_topic_size or 0
        facts.note_match_count(self.parameter_name, size)
        return with_topic(queryset, self.selected_id(), size=size).queryset


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
