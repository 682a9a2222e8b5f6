"""Filters for the public API (`/api/articles/?topic=...&provider=...&quality_min=...`).

None of them looks anything up before filtering (no ModelChoiceFilter): an unknown topic
or provider simply matches nothing, and a filtered page stays a single query. A topic's slug
or a provider's id or domain that an admin merged away (an alias) gives the kept one's items,
as its page redirects to the kept one's: services/taxonomy.topic_ids_by_slug and
provider_ids_by, subqueries of that one query.
"""

import datetime as dt

import django_filters
from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from curation.models import Article
from curation.params import ScoreFilter, parse_id
from curation.selectors import with_topic
from curation.services import taxonomy
from curation.validation import within_stored_years


class DateOrDateTimeField(forms.Field):
    """Accepts `2024-03-01` (midnight UTC) or an ISO 8601 date-time (`2024-03-01T10:00:00Z`)."""

    default_error_messages = {"invalid": "Enter a date (YYYY-MM-DD) or an ISO 8601 date-time."}

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
        try:
            # An unencoded "+02:00" offset arrives as " 02:00" in a query string.
            parsed = parse_datetime(value) or parse_datetime("+".join(value.rsplit(" ", 1)))
            if parsed is None:
                day = parse_date(value)
                if day is None:
                    raise ValueError
                parsed = dt.datetime.combine(day, dt.time.min)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if timezone.is_naive(parsed):
            parsed = parsed.replace(tzinfo=dt.UTC)
        return within_stored_years(parsed)


class DateOrDateTimeFilter(django_filters.Filter):
    field_class = DateOrDateTimeField


class PublicArticleFilterSet(django_filters.FilterSet):
    topic = django_filters.CharFilter(method="filter_topic", help_text="Topic slug.")
    provider = django_filters.CharFilter(method="filter_provider", help_text="Provider id or domain.")
    quality_min = ScoreFilter(field_name="quality", lookup_expr="gte")
    quality_max = ScoreFilter(field_name="quality", lookup_expr="lte")
    published_after = DateOrDateTimeFilter(field_name="published_at", lookup_expr="gte")
    published_before = DateOrDateTimeFilter(field_name="published_at", lookup_expr="lt")

    class Meta:
        model = Article
        fields = []

    def filter_topic(self, queryset, name, value):
        return with_topic(queryset, taxonomy.topic_ids_by_slug(value)).queryset

    def filter_provider(self, queryset, name, value):
        value = value.strip()
        if value.isascii() and value.isdigit():
            # An id: one no column can hold matches nothing (rather than overflow SQLite).
            provider_id = parse_id(value)
            ids = taxonomy.provider_ids_by(pk=provider_id) if provider_id else None
        else:
            ids = taxonomy.provider_ids_by(domain=value)
        return queryset.filter(provider_id__in=ids) if ids is not None else queryset.none()
