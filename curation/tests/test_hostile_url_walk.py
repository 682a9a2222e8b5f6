"""Every URL pattern of the project (the curator, the public side, the API, the feeds and
the admin, read from the URL resolver itself, so a new page is walked without being
listed here), requested with generated path values, query strings and form bodies: raw
bytes percent-encoded (invalid UTF-8 such as %FF, lone surrogates such as %ED%A0%80, NULs),
numbers beyond 64 bits, any text; by an anonymous reader, a viewer, an editor and a
superuser; with GET, HEAD, POST and OPTIONS. Never a 500, and a reader or a viewer changes
nothing."""

import re
from urllib.parse import quote, quote_from_bytes

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from hypothesis import given
from hypothesis import strategies as st

from curation.models import Article, EditorialAction
from curation.services import rules
from curation.services.editorial import publish_article
from curation.services.rule_conditions import validate_definition
from curation.tests.factories import make_article, make_body_only, make_user
from curation.tests.hostile_input import EXAMPLES, fuzz_settings, values

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>{{7*7}}\x0b\x1b\u2028"


def routes(resolver=None, prefix=""):
    """The full route of every path() in the URLconf ("curate/articles/<int:pk>/edit/")."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue  # the admin's one regex (its app index) is reached through the others
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


ROUTES = sorted(set(routes()))
CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")

# What the views read from query strings and forms, and a few names nobody reads.
NAMES = [
    "q",
    "topic",
    "provider",
    "state",
    "sort",
    "after",
    "before",
    "size",
    "count",
    "cursor",
    "page_size",
    "all",
    "next",
    "attach_q",
    "from",
    "to",
    "by",
    "density",
    "action",
    "ids",
    "scope",
    "query",
    "reason_code",
    "reason",
    "expected_version",
    "version",
    "title",
    "excerpt",
    "topics",
    "create_topics",
    "target",
    "target_id",
    "other",
    "lead",
    "rest",
    "entry",
    "enabled",
    "name",
    "note",
    "title_matches",
    "save",
    "preview",
    "_selected_action",
    "select_across",
    "index",
    "o",
    "p",
    "e",
    "_changelist_filters",
    "csrfmiddlewaretoken",
    "at",
    "until",
    "start",
]

raw_bytes = st.binary(min_size=1, max_size=6).map(lambda b: quote_from_bytes(b, safe=""))
tricky = st.sampled_from(["%FF", "%ED%A0%80", "%00", "%C0%AE", "%EF%BF%BE", "%F4%90%80%80", "%0B", "%1B", "%E2%80%AE"])
text_value = values.map(lambda v: quote(v, safe=""))
# Now and then a value a view acts on, so that the junk reaches past the first check.
meaningful = st.sampled_from(["delete_selected", "publish_selected", "reject", "1", "0", "yes", "story", "matching"])
raw_value = st.one_of(tricky, raw_bytes, text_value, meaningful)
big_number = st.one_of(st.integers(min_value=0, max_value=10**25), st.sampled_from([2**63 - 1, 2**63, 2**64])).map(str)


def query(pairs):
    return "&".join(f"{name}={value}" for name, value in pairs)


@pytest.fixture
def site(db):
    editor = make_user(role="editor")
    article = make_article(title=HOSTILE, excerpt=HOSTILE, topics=[HOSTILE, "Science"])
    publish_article(article=article, user=editor)
    make_body_only(title=HOSTILE, body=HOSTILE)
    definition = validate_definition({"when": {"title_matches": "(a+)+$"}, "action": "flag", "note": HOSTILE})
    rules.save_rule(name=HOSTILE, definition=definition, enabled=False)
    known = {
        # The ids that exist, and one that no longer does (an item deleted since the page was
        # drawn: a view that takes the form first and the article last answered 500 for it).
        "int": [str(pk) for pk in Article.objects.values_list("pk", flat=True)]
        + [str(Article.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000)],
        "str": ["science", "publish", "split", "merge", "up", "title", "x"],
        "slug": ["title", "excerpt", "science"],
        "transition": ["publish", "reject", "restore", "unpublish"],
        "path": ["1", str(article.pk)],
    }
    clients = {"anonymous": Client()}
    for role in ("viewer", "editor", "superuser"):
        clients[role] = Client()
        clients[role].force_login(make_user(role=role))
    return {"known": known, "clients": clients}


def fill(route, known, draw):
    def value(match):
        kind = match.group(1) or "str"
        choices = [st.sampled_from(known.get(kind, known["str"])), raw_value]
        if kind in ("int", "path"):
            choices.append(big_number)
        return draw(st.one_of(*choices))

    return "/" + CONVERTER.sub(value, route)


@pytest.mark.parametrize("route", ROUTES)
def test_every_url_pattern_with_generated_input(site, route):
    @fuzz_settings.__class__(parent=fuzz_settings, max_examples=max(4, EXAMPLES // 5))
    @given(data=st.data())
    def check(data):
        path = fill(route, site["known"], data.draw)
        pairs = data.draw(st.lists(st.tuples(st.one_of(st.sampled_from(NAMES), raw_value), raw_value), max_size=5))
        method = data.draw(st.sampled_from(["get", "head", "post", "options"]))
        role = data.draw(st.sampled_from(sorted(site["clients"])))
        client = site["clients"][role]
        before = EditorialAction.objects.count()
        if method == "post":
            response = client.generic("POST", path, query(pairs), content_type="application/x-www-form-urlencoded")
        else:
            response = getattr(client, method)(f"{path}?{query(pairs)}" if pairs else path)
        assert response.status_code < 500, (method, role, path, pairs)
        if role in ("anonymous", "viewer"):
            assert EditorialAction.objects.count() == before, (method, role, path, pairs)

    check()
