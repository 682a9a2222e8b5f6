"""The queue's filters: every one a GET parameter, so a filtered view is a shareable URL."""

import datetime as dt
import html

import django_filters
from django import forms
from django.core.cache import cache
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from curation.db import backend
from curation.models import HEAT_UNKNOWN_Q, Article, ArticleState, Provider, Topic
from curation.params import BIGINT_MAX, parse_id
from curation.search import search_articles
from curation.selectors import DEFAULT_SORT, SORTS, offered_reasons, with_topic

STATE_ALL = "all"
# Published items by the clock (see Article.schedule_status): subsets of "published".
STATE_SCHEDULED, STATE_EXPIRED, STATE_EMBARGOED = "scheduled", "expired", "embargoed"
STATE_CHOICES = [
    (ArticleState.NEW.value, "New (the queue)"),
    (ArticleState.PUBLISHED.value, "Published (all)"),
    (STATE_SCHEDULED, "Scheduled (not live yet)"),
    (STATE_EXPIRED, "Expired"),
    (STATE_EMBARGOED, "Under embargo (any state)"),
    (ArticleState.REJECTED.value, "Rejected"),
    (ArticleState.MERGED.value, "Merged"),
    (STATE_ALL, "All"),
]
YES_NO = [("", "Any"), ("yes", "Yes"), ("no", "No")]
HEAT_KNOWN_CHOICES = [("", "Any"), ("unknown", "Unknown only"), ("known", "Known only")]


# Provider and topic lists for the filter selects. A newsroom has thousands of providers:
# reading and rendering them on every queue page would cost more than the page itself,
# so the (id, label) pairs are cached briefly; a provider imported a minute ago can still
# be filtered on by id (any id is accepted), it only appears in the list a little later.
CHOICES_TTL = 60


def _cached_choices(key, build):
    choices = cache.get(key)
    if choices is None:
        choices = build()
        cache.set(key, choices, CHOICES_TTL)
    return choices


def _options_html(pairs):
    # html.escape, not format_html per option: this runs for thousands of providers.
    return "".join(f'<option value="{int(key)}">{html.escape(str(label))}</option>' for key, label in pairs)


def provider_options():
    """The provider select's <option> elements, escaped, built at most once a minute."""
    return _cached_choices(
        "curation:queue:provider-options",
        lambda: _options_html(
            (p.pk, str(p)) for p in Provider.objects.only("pk", "name", "domain").order_by("name", "domain")
        ),
    )


def topic_options():
    return _cached_choices(
        "curation:queue:topic-options",
        lambda: _options_html(Topic.objects.order_by("name").values_list("pk", "name")),
    )


class FastSelect(forms.Select):
    """A select whose options come pre-rendered from a cache: Django's per-option
    templates would cost more than the rest of the queue page for 3,000 providers."""

    def __init__(self, options, empty_label, *args, **kwargs):
        self.options_html = options
        self.empty_label = empty_label
        super().__init__(*args, **kwargs)

    def render(self, name, value, attrs=None, renderer=None):
        options = self.options_html()
        selected = parse_id(value if isinstance(value, int) else str(value or "").strip())
        if selected is not None:
            marker = f'<option value="{selected}">'
            options = options.replace(marker, marker[:-1] + " selected>", 1)
        return format_html(
            '<select name="{}"{}><option value="">{}</option>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            self.empty_label,
            mark_safe(options),  # every label was escaped by _options_html
        )


class IdField(forms.IntegerField):
    """An id from the select: ASCII digits only ("٣" is not an id anyone picked)."""

    def __init__(self, *, options, empty_label, **kwargs):
        kwargs.pop("null_label", None)
        super().__init__(min_value=1, max_value=BIGINT_MAX, widget=FastSelect(options, empty_label), **kwargs)

    def to_python(self, value):
        text = str(value).strip() if value is not None else ""
        if text and not (text.isascii() and text.lstrip("-").isdigit()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class IdChoiceFilter(django_filters.NumberFilter):
    """Filter on a related object's id, offered as a select of cached choices."""

    field_class = IdField


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
    topic = IdChoiceFilter(
        label="Topic", field_name="topics", options=topic_options, empty_label="Any topic", method="filter_topic"
    )
    provider = IdChoiceFilter(
        label="Provider", field_name="provider_id", options=provider_options, empty_label="Any provider"
    )
    category = django_filters.CharFilter(label="Category", field_name="category")
    type = django_filters.CharFilter(label="Type", field_name="article_type")
    quality_min = django_filters.NumberFilter(label="Quality ≥", field_name="quality", lookup_expr="gte")
    quality_max = django_filters.NumberFilter(label="Quality ≤", field_name="quality", lookup_expr="lte")
    heat_min = django_filters.NumberFilter(label="Heat ≥", field_name="heat", lookup_expr="gte")
    heat_max = django_filters.NumberFilter(label="Heat ≤", field_name="heat", lookup_expr="lte")
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

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        # Missing or blank means the defaults, so that "/curate/" is the new queue.
        if not data.get("state"):
            data["state"] = ArticleState.NEW.value
        if not data.get("sort"):
            data["sort"] = DEFAULT_SORT
        super().__init__(data, *args, **kwargs)

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
        narrowing = with_topic(queryset, value)
        if narrowing.few:
            self.sort_by_index = False
        return narrowing.queryset

    def filter_state(self, queryset, name, value):
        if not value or value == STATE_ALL:
            return queryset
        by_clock = {
            STATE_SCHEDULED: Article.objects.scheduled,
            STATE_EXPIRED: Article.objects.expired,
            STATE_EMBARGOED: Article.objects.under_embargo,
        }
        if value in by_clock:
            # Few rows, found through the schedule columns' indexes first and then sorted,
            # rather than looked for along the sort order's index (as a small topic is).
            self.sort_by_index = False
            return backend(queryset.db).collected(queryset, by_clock[value]().order_by().values("pk"))
        return queryset.filter(state=value)

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

    def filter_flagged(self, queryset, name, value):
        """Flagged items are few: found through the flag's partial index, then sorted."""
        if value == "yes":
            self.sort_by_index = False
            return backend(queryset.db).collected(queryset, Article.objects.filter(flagged_at__isnull=False).order_by().values("pk"))
        if value == "no":
            return queryset.filter(flagged_at__isnull=True)
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
