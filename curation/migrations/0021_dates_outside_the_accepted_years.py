"""Dates a source gave outside the years 1000 to 8999 (UTC), stored before the import refused
them (curation.validation.FIRST_YEAR, LAST_YEAR): a year-1 or year-9999 date overflows when
a page, a feed or the admin shows it in a time zone away from UTC, a 500 on every page that
lists the item. Such a date says nothing about the item, so it becomes no date, as if the
source had given none; an item listed to readers at that date is listed from when its
state last changed (else when it was imported), as migration 0020 lists an undated item."""

import datetime as dt

from django.db import migrations
from django.db.models import Q
from django.db.models.functions import Coalesce

# Literal copies of curation.validation's years: a migration keeps the rule of its day.
FIRST = dt.datetime(1000, 1, 1, tzinfo=dt.UTC)
AFTER_LAST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


def outside(field):
    return Q(**{f"{field}__lt": FIRST}) | Q(**{f"{field}__gte": AFTER_LAST})


def clear_dates_outside_the_years(apps, schema_editor):
    Article = apps.get_model("curation", "Article")
    RelatedCoverage = apps.get_model("curation", "RelatedCoverage")
    Article.objects.filter(outside("published_at")).update(published_at=None)
    Article.objects.filter(outside("listed_at")).update(listed_at=Coalesce("state_changed_at", "imported_at"))
    RelatedCoverage.objects.filter(outside("published_at")).update(published_at=None)


class Migration(migrations.Migration):
    dependencies = [("curation", "0020_list_rule_published_items")]

    operations = [migrations.RunPython(clear_dates_outside_the_years, migrations.RunPython.noop)]
