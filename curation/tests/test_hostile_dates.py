"""Date parameters at the ends of what Python can hold, in a time zone east and one west of
UTC: `0001-01-01T00:00:00+14:00` is before year 1 in UTC, `9999-12-31T23:59:59-12:00` after
year 9999. The API's published_after / published_before passed them to the database
adapter, which overflowed converting them to UTC: a 500. Every page that reads a date
parameter answers below 500; the API moves such a bound inside the stored years, which
selects the same rows."""

import datetime as dt
import itertools

import pytest
from django.test import Client, override_settings
from hypothesis import given
from hypothesis import strategies as st

from curation.tests.factories import make_article, make_user
from curation.tests.hostile_input import fuzz_settings
from curation.validation import within_stored_years

pytestmark = pytest.mark.django_db

ENDS = [
    "0001-01-01",
    "1000-01-01",
    "8999-12-31",
    "9999-12-31",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00-12:00",
    "9999-12-31T23:59:59+14:00",
    "9999-12-31T23:59:59-12:00",
]
PAGES = [
    "/api/articles/?published_after={d}",
    "/api/articles/?published_before={d}",
    "/curate/?published_after={d}",
    "/curate/?published_before={d}",
    "/curate/count/?published_after={d}",
    "/curate/queue-by/?published_before={d}&by=provider",
    "/curate/stats/?from={d}",
    "/curate/stats/data.json?from={d}&to={d}",
    "/curate/stats/export.csv?to={d}",
    "/admin/curation/article/?published_at__gte={d}",
    "/admin/curation/editorialaction/?created_at__lt={d}",
]
ZONES = ["Pacific/Kiritimati", "Pacific/Pago_Pago"]


@pytest.fixture
def reader(db):
    early = make_article(state="published", published_at=dt.datetime(1000, 1, 1, tzinfo=dt.UTC))
    late = make_article(state="published", published_at=dt.datetime(8999, 12, 31, 23, tzinfo=dt.UTC))
    client = Client(raise_request_exception=False)
    client.force_login(make_user(role="superuser"))
    return client, early, late


def answered(client, path):
    response = client.get(path.replace("+", "%2B"))
    return response.status_code, response


@pytest.mark.parametrize("zone", ZONES)
def test_date_parameters_at_the_ends_in_zones_away_from_utc(reader, zone):
    client, _, _ = reader
    with override_settings(TIME_ZONE=zone, STATS_TIME_ZONE=zone):
        failures = [
            (page, end)
            for page, end in itertools.product(PAGES, ENDS)
            if answered(client, page.format(d=end))[0] >= 500
        ]
    assert not failures


def test_the_api_keeps_its_meaning_at_the_ends(reader):
    client, early, late = reader

    def ids(query):
        status, response = answered(client, f"/api/articles/?{query}")
        assert status == 200
        return {item["id"] for item in response.json()["results"]}

    assert ids("published_after=0001-01-01T00:00:00%2B14:00") == {early.pk, late.pk}
    assert ids("published_before=9999-12-31T23:59:59-12:00") == {early.pk, late.pk}
    assert ids("published_after=9999-12-31T23:59:59-12:00") == set()
    assert ids("published_before=0001-01-01T00:00:00%2B14:00") == set()


@fuzz_settings
@given(st.datetimes(), st.integers(-23 * 60 - 59, 23 * 60 + 59))
def test_within_stored_years_never_overflows(moment, minutes):
    aware = moment.replace(tzinfo=dt.timezone(dt.timedelta(minutes=minutes)))
    clamped = within_stored_years(aware)
    assert clamped.tzinfo == dt.UTC and 1000 <= clamped.year <= 9000
    if 1001 <= moment.year <= 8998:
        assert clamped == aware
