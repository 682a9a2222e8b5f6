"""No GET parameter of any page, feed or API answers 500.

Hypothesis throws generated query strings at each page (the parameter names come from the
FilterSets and views themselves); every answer must be below 500, on SQLite and PostgreSQL.
Then the one-off cases an attacker with a browser or curl tries: ids beyond 64 bits in the
path, NULs, HEAD/OPTIONS/PUT, a very long URL, a `next` that points off-site.
"""

from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from curation.filters import ArticleFilterSet
from curation.models import ArticleState
from curation.public.filters import PublicArticleFilterSet
from curation.services.editorial import publish_article
from curation.tests.factories import client_for, make_article, make_body_only, make_user
from curation.tests.hostile_input import SWEEP_VALUES, fuzz_settings, query_pairs

pytestmark = pytest.mark.django_db

QUEUE_NAMES = set(ArticleFilterSet.base_filters) | {"size", "after", "before"}
ARTICLE_PAGE_NAMES = QUEUE_NAMES | {"attach_q", "next"}
PUBLIC_NAMES = {"cursor"}
API_NAMES = set(PublicArticleFilterSet.base_filters) | {"page_size", "cursor"}


@pytest.fixture
def site(db):
    editor = make_user(role="editor")
    published = make_article(title="Published story", topics=["Science"], quality=80, heat=5)
    publish_article(article=published, user=editor)
    make_article(title="Waiting story", topics=["Science"], published_at=None, quality=None, heat=None)
    body_only = make_body_only(title="A body without metadata", body="A body without metadata.\n\nMore text.")
    return {"editor": client_for(editor), "anonymous": Client(), "published": published, "body_only": body_only}


def get_below_500(client, path, pairs):
    query = urlencode(pairs)
    response = client.get(f"{path}?{query}" if query else path)
    assert response.status_code < 500, (path, pairs, response.status_code)
    return response


@fuzz_settings
@given(pairs=query_pairs(QUEUE_NAMES))
def test_queue_parameters(site, pairs):
    get_below_500(site["editor"], "/curate/", pairs)


@fuzz_settings
@given(pairs=query_pairs(ARTICLE_PAGE_NAMES))
def test_article_page_parameters(site, pairs):
    get_below_500(site["editor"], f"/curate/articles/{site['published'].pk}/", pairs)
    get_below_500(site["editor"], f"/curate/articles/{site['body_only'].pk}/", pairs)


@fuzz_settings
@given(pairs=query_pairs({"next"}))
def test_edit_page_parameters(site, pairs):
    get_below_500(site["editor"], f"/curate/articles/{site['published'].pk}/edit/", pairs)


@fuzz_settings
@given(pairs=query_pairs(PUBLIC_NAMES))
def test_public_pages_and_feeds_parameters(site, pairs):
    article = site["published"]
    for path in (
        "/",
        "/topics/science/",
        f"/articles/{article.pk}/",
        "/feeds/rss/",
        "/feeds/atom/topics/science/",
        "/feeds/json/",
    ):
        get_below_500(site["anonymous"], path, pairs)


@fuzz_settings
@given(pairs=query_pairs(API_NAMES))
def test_api_parameters(site, pairs):
    response = get_below_500(site["anonymous"], "/api/articles/", pairs)
    if response.status_code == 400:
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["error"]
    get_below_500(site["anonymous"], f"/api/articles/{site['published'].pk}/", pairs)


# --- the examples the issue names, so they stay fixed whatever hypothesis draws ---------------


@pytest.mark.parametrize("name", ["topic", "provider"])
@pytest.mark.parametrize("value", ["²", "٣", "9" * 30, "-1", "0"])
def test_queue_id_filters_with_odd_digits_are_refused_with_a_message(site, name, value):
    response = site["editor"].get("/curate/", {name: value})
    assert response.status_code == 400
    errors = response.context["filter"].form.errors
    assert list(errors) == [name]
    assert any(text in errors[name][0] for text in ("Enter a whole number", "greater than", "less than"))
    # The page still shows the filters with the reason beside the field, and lists nothing.
    assert f'<p class="error">{errors[name][0]}</p>'.encode() in response.content
    assert b'class="queue-row' not in response.content


def test_api_provider_beyond_64_bits_matches_nothing(site):
    response = site["anonymous"].get("/api/articles/", {"provider": "9" * 30})
    assert response.status_code == 200
    assert response.json()["results"] == []
    response = site["anonymous"].get("/api/articles/", {"provider": str(site["published"].provider_id)})
    assert [item["id"] for item in response.json()["results"]] == [site["published"].pk]


def test_queue_cursor_with_a_superscript_id_shows_the_first_page(site):
    response = site["editor"].get("/curate/", {"state": "all", "after": "2024-01-01T00:00:00+00:00~²"})
    assert response.status_code == 200
    assert b"Published story" in response.content


def test_attach_search_by_id_with_odd_digits(site):
    body_only = site["body_only"]
    for value in ("²", "9" * 30, f"#{site['published'].pk}"):
        response = site["editor"].get(f"/curate/articles/{body_only.pk}/", {"attach_q": value})
        assert response.status_code == 200, value
    response = site["editor"].get(f"/curate/articles/{body_only.pk}/", {"attach_q": f"#{site['published'].pk}"})
    assert b"Published story" in response.content


# A score filter with an exponent: "-1e100000000" is a valid Decimal that the integer column
# turned into int(), minutes of CPU with the GIL held (every thread of the server stopped).
# A smaller exponent shows the same path without the wait: it must be refused, not run.
@pytest.mark.parametrize(
    ("who", "path", "name"),
    [
        ("editor", "/curate/", "quality_min"),
        ("editor", "/curate/", "heat_max"),
        ("editor", "/curate/count/", "quality_max"),
        ("anonymous", "/api/articles/", "quality_min"),
        ("anonymous", "/api/articles/", "quality_max"),
    ],
)
def test_a_score_filter_with_a_huge_negative_exponent_is_refused(site, who, path, name):
    response = site[who].get(path, {name: "-1e100000"})
    assert response.status_code == 400
    if path == "/curate/":  # the queue says why, beside the field
        assert "greater than or equal to" in response.context["filter"].form.errors[name][0]
    elif path.startswith("/api/"):
        assert name in response.json()["details"]


@fuzz_settings
@given(
    sign=st.sampled_from(["", "-", "+"]),
    mantissa=st.sampled_from(["1", "9.99", "0.5", "123"]),
    exponent=st.integers(min_value=-(10**9), max_value=10**9),
)
def test_any_score_the_filters_accept_is_a_small_number(sign, mantissa, exponent):
    """Whatever exponent a URL carries, a value that gets past a score filter is one an
    integer column can compare at once (no int() of millions of digits)."""
    for filterset in (ArticleFilterSet, PublicArticleFilterSet):
        form = filterset({"quality_min": f"{sign}{mantissa}e{exponent}"}).form
        if form.is_valid() and form.cleaned_data["quality_min"] is not None:
            assert abs(form.cleaned_data["quality_min"]) <= 10**50


# --- paths, methods, NULs, sizes --------------------------------------------------------------

HUGE = "9" * 20  # beyond a signed 64-bit integer


@pytest.mark.parametrize(
    "path",
    [
        f"/curate/articles/{HUGE}/",
        f"/curate/articles/{HUGE}/edit/",
        f"/articles/{HUGE}/",
        f"/articles/{HUGE}/some-slug/",
        f"/api/articles/{HUGE}/",
        "/curate/articles/0/",
    ],
)
def test_ids_beyond_64_bits_in_the_path_are_404(site, path):
    client = site["editor"]
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [f"/curate/articles/{HUGE}/publish/", f"/curate/articles/{HUGE}/complete/", f"/curate/articles/{HUGE}/attach/"],
)
def test_posting_to_an_id_beyond_64_bits_is_404(site, path):
    client = Client(enforce_csrf_checks=False)
    client.force_login(make_user(role="editor"))
    assert client.post(path, {"expected_version": "1"}).status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/topics/%00/", "/curate/?q=a%00b", "/api/articles/?topic=%00", "/?cursor=%00", "/admin/curation/article/?q=%00"],
)
def test_a_nul_anywhere_in_the_address_is_a_400_with_a_message(site, path, superuser):
    client = Client()
    client.force_login(superuser)
    response = client.get(path)
    assert response.status_code == 400
    if path.startswith("/api/"):
        assert "NUL" in response.json()["error"]
    else:
        assert b"NUL character" in response.content
        assert b"<h1>Bad request</h1>" in response.content


@pytest.mark.parametrize("method", ["head", "options", "put", "patch", "delete", "trace"])
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/curate/",
        "/curate/articles/{pk}/",
        "/curate/articles/{pk}/publish/",
        "/curate/bulk/",
        "/api/articles/",
        "/feeds/rss/",
        "/accounts/login/",
        "/curate/articles/{pk}/edit/",
    ],
)
def test_other_methods_are_answered_without_500(site, method, path):
    response = getattr(site["editor"], method)(path.format(pk=site["published"].pk))
    assert response.status_code < 500
    if method in ("put", "patch", "delete", "trace") and path != "/accounts/login/":
        assert response.status_code in (403, 405)


def test_a_very_long_query_string_is_answered(site):
    response = site["editor"].get("/curate/", {"q": "word " * 20_000})
    assert response.status_code < 500
    response = site["anonymous"].get("/api/articles/", {"topic": "x" * 100_000})
    assert response.status_code == 200
    many = "&".join(f"ids={n}" for n in range(5000))
    assert site["editor"].get(f"/curate/?{many}").status_code == 400  # more fields than Django reads


def test_next_pointing_off_site_is_not_followed(site):
    editor = site["editor"]
    article = site["published"]
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = editor.post(
            f"/curate/articles/{article.pk}/unpublish/",
            {"expected_version": article.version + 100, "next": target},
        )
        assert response.status_code == 302
        assert response["Location"] == f"/curate/articles/{article.pk}/", target
        response = editor.get(f"/curate/articles/{article.pk}/edit/", {"next": target})
        assert target.encode() not in response.content or b'name="next" value="' not in response.content


def test_unpublished_article_state_is_untouched_by_all_of_this(site):
    site["published"].refresh_from_db()
    assert site["published"].state == ArticleState.PUBLISHED


# --- every parameter with every special value, alone ------------------------------------------


def sweep(client, path, names):
    for name in sorted(names):
        for value in SWEEP_VALUES:
            get_below_500(client, path, [(name, value)])


def test_sweep_queue_and_article_pages(site):
    sweep(site["editor"], "/curate/", QUEUE_NAMES)
    # The article page reads the same filters (for previous/next), plus its own.
    sweep(site["editor"], f"/curate/articles/{site['body_only'].pk}/", {"attach_q", "next", "sort", "after", "state"})


def test_sweep_public_pages_and_api(site):
    sweep(site["anonymous"], "/", PUBLIC_NAMES)
    sweep(site["anonymous"], "/topics/science/", PUBLIC_NAMES)
    sweep(site["anonymous"], "/api/articles/", API_NAMES)


@pytest.mark.parametrize(
    "cursor",
    [
        f"~{10**30}",
        f"~{-(10**30)}",
        f"2024-01-01T00:00:00~{10**30}",
        "9999-12-31T23:59:59+14:00~1",
        "0001-01-01T00:00:00-14:00~1",
        "~True",
        "x~1",
        "2024-01-01T00:00:00+00:00~",
        "~~~",
    ],
)
def test_well_formed_public_cursors_with_impossible_values(site, cursor):
    """Cursors are opaque but readable ("when~id", as the queue's): one forged with numbers
    beyond 64 bits or dates at the ends of the calendar is an empty page or a 400/404, never
    a 500."""
    for path in ("/", "/topics/science/", "/api/articles/"):
        get_below_500(site["anonymous"], path, [("cursor", cursor)])


# --- bodies Django cannot read ----------------------------------------------------------------

UNREADABLE_BODIES = [
    ("application/x-www-form-urlencoded; charset=utf-16", b"a=1"),
    ("application/x-www-form-urlencoded; charset=latin-1", b"a=%FF"),
    ("multipart/form-data", b"no boundary"),
    ("multipart/form-data; boundary=" + "x" * 300, b"--x"),
    ("application/x-www-form-urlencoded", b"&".join(b"f%d=1" % n for n in range(1200))),
]


@pytest.mark.parametrize("content_type, body", UNREADABLE_BODIES, ids=lambda v: str(v)[:40])
@pytest.mark.parametrize("who", ["anonymous", "editor"])
def test_a_body_django_cannot_read_is_a_400_on_any_url(site, content_type, body, who):
    """With a CSRF cookie (anyone can send one), Django's error page read such a body again
    and raised again: the exception escaped every handler."""
    client = Client(enforce_csrf_checks=True)
    if who == "editor":
        client.force_login(make_user(role="editor"))
    client.cookies["csrftoken"] = "a" * 32
    pk = site["published"].pk
    for path in (
        "/accounts/login/",
        f"/curate/articles/{pk}/unpublish/",
        "/curate/bulk/",
        "/admin/login/",
        "/api/articles/",
    ):
        response = client.generic("POST", path, body, content_type=content_type)
        assert response.status_code == 400, (path, response.status_code)
        assert b"could not be read" in response.content
    response = client.generic(
        "POST", "/curate/bulk/", body, content_type=content_type, headers={"Accept": "application/json"}
    )
    assert "nothing was saved" in response.json()["error"]
    site["published"].refresh_from_db()
    assert site["published"].state == ArticleState.PUBLISHED


@fuzz_settings
@given(
    charset=st.one_of(st.sampled_from(["utf-8", "UTF-8", "latin-1", "utf-16", "", "x"]), st.text(max_size=12)),
    kind=st.sampled_from(["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]),
    body=st.binary(max_size=200),
)
def test_any_post_body_and_charset_is_answered_below_500(site, charset, kind, body):
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "a" * 32
    content_type = f"{kind}; charset={charset}".replace("\r", "").replace("\n", "")
    response = client.generic("POST", "/accounts/login/", body, content_type=content_type)
    assert response.status_code < 500


@pytest.mark.parametrize("token", ["%0B", "%1B%5B31m", "a%20b", "x" * 300, "%C3%A9" * 20])
def test_a_bulk_token_of_another_shape_is_not_looked_up(site, token):
    """Only tokens the server could have made reach the cache: a control character or a long
    text is a key memcached refuses (and Django warns about on every cache)."""
    import warnings

    from django.core.cache.backends.base import CacheKeyWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        for act in ("continue", "undo"):
            response = site["editor"].post(f"/curate/bulk/{token}/{act}/", follow=True)
            assert response.status_code == 200
            assert "no longer remembered" in " ".join(str(m) for m in response.context["messages"])


@pytest.mark.parametrize(
    "cookie",
    [
        'sessionid="abc\\000defghijk"',
        'sessionid="\\000\\000\\000\\000\\000\\000\\000\\000"',
        "sessionid=" + "a" * 5000,
        'sessionid="ABC\\012DEFGHIJK"',
        "sessionid=%00%00%00%00%00%00%00%00",
    ],
)
def test_a_forged_session_cookie_is_no_session_not_a_500(site, cookie):
    """A quoted cookie value may carry octal escapes: Django unquotes "\\000" to a NUL, which
    PostgreSQL refuses in the session query."""
    for path in ("/", "/api/articles/", "/feeds/rss/", "/curate/", "/admin/"):
        response = Client().get(path, HTTP_COOKIE=cookie)
        assert response.status_code in (200, 302), (path, response.status_code)
        if path == "/curate/":
            assert response["Location"].startswith("/accounts/login/")  # signed out, not an error


def test_a_real_session_still_signs_in(site):
    response = site["editor"].get("/curate/")
    assert response.status_code == 200
    assert len(site["editor"].cookies["sessionid"].value) == 32
