"""Rows stored before today's checks: URLs that are not URLs (an unclosed IPv6 bracket, a
port beyond 65535, `xn--` labels that are not punycode), dates at year 1 and year 9999,
topics and providers whose names are only invisible characters. An import no longer
stores any of them, but a database that is years old holds them. Every page that can show
them (the curator, the public pages, the feeds, the API, the admin), in a time zone east
and one west of UTC: never a 500."""

import datetime as dt
import importlib
import re

import pytest
from django.apps import apps
from django.test import Client, override_settings
from django.utils import timezone

from curation.models import Article, Provider, RejectionReason, RelatedCoverage, Story, Topic
from curation.services import rules
from curation.services.rule_conditions import validate_definition
from curation.tests.factories import make_article, make_user
from curation.tests.test_hostile_url_walk import ROUTES

pytestmark = pytest.mark.django_db

BAD_URLS = [
    "https://[::1/story",
    "https://[::1",
    "http://[not-an-address]/x.jpg",
    "https://news.example:99999999/story",
    "https://news.example:-1/x.jpg",
    "https://news.example:http/story",
    "https://xn--zz.example/story",
    "https://xn--a-ecp.xn--/x.jpg",
    "https://a..b/story",
    "https://" + "a" * 64 + ".example/x.jpg",
]
ODD_IMAGES = [
    [
        "x",
        5,
        None,
        {"url": 5},
        {"url": ["https://a.example/x.jpg"]},
        {"url": "https://a.example/x.jpg", "width": "big"},
    ],
    {"url": "https://a.example/x.jpg"},
    "https://a.example/x.jpg",
    [[{"url": "https://a.example/x.jpg"}]],
    [{"url": "https://a.example/x.jpg", "width": 10**30, "height": -5}],
]
EARLIEST = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
INVISIBLE_NAMES = ["\u200b", "\ufeff", "\u200b\u200d\u2060", "\u00a0\u3000", "\u3164", "\u202e"]
ZONES = ["Pacific/Kiritimati", "Pacific/Pago_Pago"]  # UTC+14 and UTC-11


@pytest.fixture
def stored(db):
    ids = {"article": [], "provider": [], "topic": [], "story": []}
    topics = [Topic.objects.create(name=name, slug=f"invisible-{n}") for n, name in enumerate(INVISIBLE_NAMES)]
    ids["topic"] = [t.pk for t in topics]
    providers = [Provider.objects.create(name=name, domain="") for name in INVISIBLE_NAMES]
    ids["provider"] = [p.pk for p in providers]
    dates = [EARLIEST, LATEST]
    for n, url in enumerate(BAD_URLS):
        date = dates[n % 2]
        article = make_article(
            web_url=url,
            amp_url=url,
            cdn_amp_url=url,
            canonical_url=url,
            published_at=date,
            state="published",
            state_changed_at=None if n % 3 else timezone.now(),
            listed_at=date,  # as migration 0016 listed an item by its own date
            provider=providers[n % len(providers)],
            topics=[topics[n % len(topics)], "Science"],
            images=[url, BAD_URLS[-1 - n]],
            related=[
                {
                    "title": "Related",
                    "web_url": url,
                    "amp_url": url,
                    "published_at": date,
                    "images": [{"url": url, "width": 1, "height": 1}],
                },
                # JSON no import writes, as a script or an old version might have left it.
                {"title": "Odd images", "web_url": url, "images": ODD_IMAGES[n % len(ODD_IMAGES)]},
            ],
        )
        ids["article"].append(article.pk)
    now = timezone.now()
    story = Story.objects.create(created_at=now, updated_at=now, lead=Article.objects.get(pk=ids["article"][0]))
    Article.objects.filter(pk__in=ids["article"][:2]).update(story=story)
    ids["story"] = [story.pk]
    rule = rules.save_rule(
        name="\u200b",
        definition=validate_definition({"when": {"title_matches": "x"}, "action": "flag", "note": "n"}),
        enabled=False,
    )
    ids["rule"] = [rule.pk]
    ids["rejectionreason"] = list(RejectionReason.objects.values_list("pk", flat=True)[:1])
    ids["slug"] = [t.slug for t in topics] + ["science"]
    clients = {"anonymous": Client(raise_request_exception=False)}
    for role in ("editor", "superuser"):
        clients[role] = Client(raise_request_exception=False)
        clients[role].force_login(make_user(role=role))
    return ids, clients


CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
FIXED = {"transition": "publish", "field": "title", "act": "split", "direction": "up", "token": "x", "slug": "x"}


def paths(route, ids):
    """Every path the route makes with the stored rows' ids."""
    if route.startswith("admin/r/") or "<" not in route:
        return ["/" + route]
    model = route.split("/")[2] if route.startswith("admin/curation/") else None
    if route.startswith(("curate/rules/", "admin/curation/rule/")):
        model = "rule"
    elif route.startswith("curate/stories/"):
        model = "story"
    values = ids.get(model) or ids["article"]
    if model is None and "topic_slug" in route:
        values = ids["slug"]
    if route.startswith("admin/") and model not in ids:
        values = [1]
    out = []
    for value in values:

        def fill(match, value=value):
            kind, name = match.group(1), match.group(2)
            return str(value) if name in ("pk", "object_id", "topic_slug") else FIXED.get(name, FIXED.get(kind, "x"))

        out.append("/" + CONVERTER.sub(fill, route))
    return out


QUERIES = [
    "",
    "?published_at__year=1",
    "?published_at__year=1&published_at__month=1",
    "?published_at__year=9999&published_at__month=12",
    "?published_at__year=9999&published_at__month=12&published_at__day=31",
]


def walk(ids, clients, zone):
    """Every GET route with every stored row, by a reader, an editor and a superuser: the
    requests that answered 500, with the exception's last frame."""
    failures = []
    with override_settings(TIME_ZONE=zone):
        for route in ROUTES:
            if route.endswith(("/delete/", "logout/")):
                continue  # a GET there shows a confirmation at most; the change page covers the row
            queries = QUERIES if route in ("admin/curation/article/", "curate/", "api/articles/") else [""]
            for path in paths(route, ids):
                for query in queries:
                    for role, client in clients.items():
                        response = client.get(path + query)
                        if response.status_code >= 500:
                            failures.append((zone, role, path + query, _cause(response)))
    return "\n".join(map(str, failures))


@pytest.mark.parametrize("zone", ["UTC", *ZONES])
def test_every_page_with_stored_urls_that_are_not_urls(stored, zone):
    ids, clients = stored
    now = timezone.now()
    Article.objects.update(published_at=now, listed_at=now)
    RelatedCoverage.objects.update(published_at=now)
    assert not walk(ids, clients, zone)


def test_the_migration_clears_dates_outside_the_years(stored):
    ids, clients = stored
    assert walk(ids, clients, ZONES[0])  # what an old database answered before the migration
    module = importlib.import_module("curation.migrations.0021_dates_outside_the_accepted_years")
    module.clear_dates_outside_the_years(apps, None)
    assert not Article.objects.filter(published_at__isnull=False).exists()
    assert not RelatedCoverage.objects.filter(published_at__isnull=False).exists()
    for article in Article.objects.all():
        assert article.listed_at == (article.state_changed_at or article.imported_at)
    for zone in ZONES:
        assert not walk(ids, clients, zone)


def _cause(response):
    """The exception behind a 500, with the frame that raised it."""
    import traceback

    info = getattr(response, "exc_info", None)
    if not info:
        return response.status_code
    frame = traceback.extract_tb(info[2])[-1]
    return f"{info[0].__name__}: {info[1]} at {frame.filename.split('site-packages/')[-1]}:{frame.lineno}"
