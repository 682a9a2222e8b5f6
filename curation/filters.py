"""The queue's filters: every one a GET parameter, so a filtered view is a shareable URL."""

import datetime as dt

import django_filters
from django import forms
from django.urls import reverse_lazy
from django.utils import timezone

from curation.db import backend
from curation.models import CLOCK_STATUSES, HEAT_UNKNOWN_Q, STATUS_CHOICES, Article, ArticleState
from curation.params import BIGINT_MAX, ScoreFilter, parse_id
from curation.search import search_articles
from curation.selectors import DEFAULT_SORT, SORTS, with_status, with_topic
from curation.selectors_queue import NAME_MAX_LENGTH
from curation.selectors_reasons import offered_reasons
from curation.services import taxonomy

STATE_ALL = "all"
STATE_CHOICES = [*STATUS_CHOICES, (STATE_ALL, "All")]
YES_NO = [("", "Any"), ("yes", "Yes"), ("no", "No")]
HEAT_KNOWN_CHOICES = [("", "Any"), ("unknown", "Unknown only"), ("known", "Known only")]


class TypeAhead(forms.TextInput):
    """A text input that takes a name (or an id) and, with JavaScript, suggests names from a
    small JSON endpoint (`lookup`, see views/lookups.py) in a <datalist>: a newsroom has
    thousands of providers, too many to send as <option>s with every queue page."""

    def __init__(self, lookup, placeholder):
        super().__init__(
            attrs={
                "list": f"{lookup}-suggestions",
                "data-lookup": reverse_lazy(f"curation:lookup-{lookup}"),
                "placeholder": placeholder,
                "autocomplete": "off",
            }
        )


class NameOrIdField(forms.CharField):
    """A name, or an id: text that reads as a number must be an id a database can hold
    ("٣", "²", "0", "-1" or 30 nines are refused with the reason, as the id filters were)."""

    def clean(self, value):
        text = super().clean(value)
        bare = text.removeprefix("#").removeprefix("-")
        if bare and (bare.isdigit() or bare.isnumeric()):
            forms.IntegerField(min_value=1, max_value=BIGINT_MAX).clean(
                text.removeprefix("#") if text.removeprefix("#").isascii() else "x"
            )
        return text


class NameOrIdFilter(django_filters.CharFilter):
    field_class = NameOrIdField


def named_filter(label, lookup, placeholder, method):
    return NameOrIdFilter(label=label, method=method, max_length=NAME_MAX_LENGTH, widget=TypeAhead(lookup, placeholder))


def _day_start(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _day_start_or_none(day):
    """The day's first moment, or None at the ends of the calendar (year 1, year 9999),
    where a time-zone shift would leave the range datetime can hold: no bound there."""
    if not dt.date(1, 1, 2) <= day <= dt.date(9999, 12, 30):
        return None
    return _day_start(day)


class ArticleFilterSet(django_filters.FilterSet):
    """The queue's filters. The default (no parameters) is the "new" queue, newest first.

    `sort` is validated here but applied by `selectors.queue_page` (keyset pagination needs
    to know the sort column), so its filter method leaves the queryset alone.
    """

    q = django_filters.CharFilter(
        label="Search",
        method="filter_text",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Words in title, excerpt or body"}),
    )
    state = django_filters.ChoiceFilter(label="State", choices=STATE_CHOICES, method="filter_state", empty_label=None)
    topic = named_filter("Topic", "topics", "Any topic", "filter_topic")
    provider = named_filter("Provider", "providers", "Any provider (name or domain)", "filter_provider")
    category = django_filters.CharFilter(label="Category", field_name="category")
    type = django_filters.CharFilter(label="Type", field_name="article_type")
    quality_min = ScoreFilter(label="Quality ≥", field_name="quality", lookup_expr="gte")
    quality_max = ScoreFilter(label="Quality ≤", field_name="quality", lookup_expr="lte")
    heat_min = ScoreFilter(label="Heat ≥", field_name="heat", lookup_expr="gte")
    heat_max = ScoreFilter(label="Heat ≤", field_name="heat", lookup_expr="lte")
    heat_known = django_filters.ChoiceFilter(
        label="Heat unknown", choices=HEAT_KNOWN_CHOICES[1:], empty_label="Any", method="filter_heat_known"
    )
    published_after = django_filters.DateFilter(
        label="Published from", method="filter_published_after", widget=forms.DateInput(attrs={"type": "date"})
    )
    published_before = django_filters.DateFilter(
        label="Published until", method="filter_published_before", widget=forms.DateInput(attrs={"type": "date"})
    )
    needs_metadata = django_filters.ChoiceFilter(
        label="Needs metadata", choices=YES_NO[1:], empty_label="Any", method="filter_yes_no"
    )
    has_images = django_filters.ChoiceFilter(
        label="Has images", choices=YES_NO[1:], empty_label="Any", method="filter_yes_no"
    )
    source_changed = django_filters.ChoiceFilter(
        label="Source changed", choices=YES_NO[1:], empty_label="Any", method="filter_source_changed"
    )
    flagged = django_filters.ChoiceFilter(
        label="Flagged by a rule", choices=YES_NO[1:], empty_label="Any", method="filter_flagged"
    )
    reason = django_filters.ChoiceFilter(
        label="Rejection reason",
        field_name="rejection_code",
        choices=lambda: [(code, label) for code, label, _ in offered_reasons()],
        empty_label="Any reason",
    )
    sort = django_filters.ChoiceFilter(
        label="Sort", choices=[(sort.key, sort.label) for sort in SORTS.values()], empty_label=None, method="keep"
    )

    class Meta:
        model = Article
        fields = []

    # Whether the queue may walk the sort column's index (see filter_topic).
    sort_by_index = True
    _form_class = None

    def get_form_class(self):
        # The form's fields come from the filters' declarations alone (choices that change are
        # callables): built once per process rather than on every queue page.
        cls = type(self)
        if cls.__dict__.get("_form_class") is None:
            cls._form_class = super().get_form_class()
        return cls._form_class

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        # Missing or blank means the defaults, so that "/curate/" is the new queue.
        if not data.get("state"):
            data["state"] = ArticleState.NEW.value
        if not data.get("sort"):
            data["sort"] = DEFAULT_SORT
        super().__init__(data, *args, **kwargs)
        self.notices = []  # what the editor is told about the filters' values (see _noted)

    # The heat unknown case is stored as -1 by the source (or missing): "heat ≥ 0" should
    # not need the editor to know that, so min/max apply to known values only.
    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if data.get("heat_min") is not None or data.get("heat_max") is not None:
            queryset = queryset.exclude(HEAT_UNKNOWN_Q)
        return queryset

    def filter_text(self, queryset, name, value):
        return search_articles(queryset, value)

    def filter_topic(self, queryset, name, value):
        named = self._noted(taxonomy.find_topic(pk=parse_id(value.strip().removeprefix("#")), text=value))
        if not named.ids:
            return queryset.none()
        narrowing = with_topic(queryset, named.ids[0])
        if narrowing.few:
            self.sort_by_index = False
        return narrowing.queryset

    def filter_provider(self, queryset, name, value):
        ids = self._noted(taxonomy.find_providers(pk=parse_id(value.strip().removeprefix("#")), text=value)).ids
        if len(ids) == 1:
            return queryset.filter(provider_id=ids[0])
        return queryset.filter(provider_id__in=ids) if ids else queryset.none()

    def _noted(self, named):
        # A bookmarked queue naming a merged topic shows the kept one's items, and says so;
        # one naming nothing says that, rather than look like an empty queue.
        if named.notice:
            self.notices.append(named.notice)
        return named

    def filter_state(self, queryset, name, value):
        if not value or value == STATE_ALL:
            return queryset
        if value in CLOCK_STATUSES:
            self.sort_by_index = False  # a few rows, sorted once found (see selectors.with_status)
        return with_status(queryset, value)

    def filter_heat_known(self, queryset, name, value):
        if value == "unknown":
            return queryset.filter(HEAT_UNKNOWN_Q)
        if value == "known":
            return queryset.exclude(HEAT_UNKNOWN_Q)
        return queryset

    def filter_published_after(self, queryset, name, value):
        start = _day_start_or_none(value)
        return queryset.filter(published_at__gte=start) if start else queryset.exclude(published_at=None)

    def filter_published_before(self, queryset, name, value):
        end = _day_start_or_none(value + dt.timedelta(days=1)) if value < dt.date.max else None
        return queryset.filter(published_at__lt=end) if end else queryset.exclude(published_at=None)

    def filter_yes_no(self, queryset, name, value):
        if value in ("yes", "no"):
            return queryset.filter(**{name: value == "yes"})
        return queryset

    def filter_source_changed(self, queryset, name, value):
        """Items the source changed after editorial work."""
        return self._marked(queryset, "source_changed_at", value)

    def filter_flagged(self, queryset, name, value):
        """Items a triage rule flagged for attention."""
        return self._marked(queryset, field="flagged_at", value=value)

    def _marked(self, queryset, field, value):
        """A time set on few rows, with a partial index: those rows are found through it and
        then sorted (as the scheduled ones are), rather than walking the sort index."""
        if value == "yes":
            self.sort_by_index = False
            marked = Article.objects.filter(**{f"{field}__isnull": False}).order_by().values("pk")
            return backend(queryset.db).collected(queryset, marked)
        if value == "no":
            return queryset.filter(**{f"{field}__isnull": True})
        return queryset

    def keep(self, queryset, name, value):
        return queryset

    @property
    def sort_key(self):
        if not (self.is_bound and self.form.is_valid()):
            return DEFAULT_SORT
        sort = self.form.cleaned_data.get("sort") or DEFAULT_SORT
        if sort.lstrip("-") == "heat" and self.form.cleaned_data.get("heat_known") == "unknown":
            # Every row left has the same (unknown) heat, so the heat order is all ties. Break
            # them by the default order: PostgreSQL would otherwise walk the whole heat index
            # past every known heat to reach them (1 s at a million rows).
            return DEFAULT_SORT
        return sort

    @property
    def is_default(self):
        """Whether the editor is looking at the plain new queue (nothing narrowed)."""
        data = self.form.cleaned_data if self.form.is_valid() else {}
        return (
            all(data.get(name) in (None, "") for name in self.filters if name not in ("state", "sort"))
            and data.get("state") == ArticleState.NEW
        )
