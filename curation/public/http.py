"""HTTP for the public side: conditional GET, cache headers, stored renders, links, JSON.

The pages, the feeds and the API all sit on this module and on nothing of each other's.

Every public response carries an ETag and Last-Modified computed by one cheap query
(`selectors.public_validators`: the latest editorial action, the latest import, the
newest article and the latest schedule time that has passed), so a conditional request
costs that query alone. `store=True` also keeps the rendered 200 response in Django's cache
under its ETag: the ETag changes with anything a reader can see, so a stored response is
never stale, and a repeated request costs the validator query instead of a render.

Django's cache is the local memory of one process by default, and Redis when `REDIS_URL`
is set, where every app server finds what any of them rendered. Nothing else is kept per
process: each request reads its validators from the database, so a change made through
one server changes the ETag on all of them at once. Browsers and CDNs may reuse a response
for PUBLIC_CACHE_SECONDS, or until the next schedule time if that comes sooner.
"""

import hashlib
import json
import math
import time
from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.core.cache import caches
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.text import slugify
from django.views.decorators.http import condition

from curation.public.selectors import kept_topic_slug, public_validators, reading_at

# Part of every ETag: bump it when the output format changes so caches do not serve
# responses rendered by older code.
FORMAT_VERSION = "public-2"
# The cache the stored renders go to (settings.CACHES): apart from the one that keeps the
# editors' undo records and the login counters, so that no request can push those out.
PUBLIC_RESPONSES = "public"


def etag_epoch():
    """Changes every PUBLIC_ETAG_REFRESH_SECONDS, so that a change the validators cannot see
    (a provider renamed or a row deleted in the admin) reaches readers within that time."""
    return int(time.time() // settings.PUBLIC_ETAG_REFRESH_SECONDS)


def public_cache(view=None, *, personalised=False, store=False, reads=()):
    """Conditional GET (ETag / Last-Modified, 304) and CDN cache headers for a public view.

    The validators' query also loads the topic for views that take a `topic_slug`: the view
    gets it as the `topic` keyword argument (an unknown slug is a 404). `personalised` views
    (pages: the header shows the signed-in editor) are cached publicly only for anonymous
    readers, and stored only for readers without a session.

    `reads`: the query parameters the view reads. A response is stored only for a query
    made of those, each once: anyone can vary a query string without end (`/?x=1`, `?x=2`,
    ...), and each variant stored would take a place in the cache from one that readers use.
    """
    if view is None:
        return lambda view: public_cache(view, personalised=personalised, store=store, reads=reads)
    reads = frozenset(reads)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        with reading_at(timezone.now()) as now:
            return respond(request, now, *args, **kwargs)

    def respond(request, now, *args, **kwargs):
        found = public_validators(topic_slug=kwargs.get("topic_slug"), now=now)
        if found is None:
            return _to_kept_topic(request, kwargs.get("topic_slug"))
        if "topic_slug" in kwargs:
            kwargs["topic"] = found.topic
        private = personalised and request.user.is_authenticated
        etag = None if private else _etag(request, found)
        last_modified = None if private else found.last_modified
        render = _stored(view, etag) if store and _may_store(request, personalised, reads) else view
        response = condition(etag_func=lambda *a, **k: etag, last_modified_func=lambda *a, **k: last_modified)(
            render
        )(request, *args, **kwargs)
        if private:
            patch_cache_control(response, private=True, no_cache=True)
        elif response.status_code in (200, 304):
            seconds = fresh_for(found, now)
            patch_cache_control(response, public=True, max_age=seconds, s_maxage=seconds)
            # The feed framework sets Last-Modified to the newest item's date; the
            # validator is what conditional requests are checked against, so say that.
            if found.last_modified is not None:
                response.headers["Last-Modified"] = http_date(found.last_modified.timestamp())
        if personalised:
            patch_vary_headers(response, ["Cookie"])
        return response

    return wrapper


def _to_kept_topic(request, slug):
    """A merged topic's page or feed: a permanent redirect to the kept topic's (readers'
    bookmarks and feed readers follow it); a slug no topic ever had is a 404. The alias is
    read only here, on the way to a 404, so pages that exist pay nothing for it."""
    kept = kept_topic_slug(slug) if slug else None
    if kept is None:
        raise Http404("No such topic.")
    match = request.resolver_match
    url = reverse(match.view_name, kwargs={**match.kwargs, "topic_slug": kept})
    query = request.GET.urlencode()
    response = HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)
    # Browsers keep a 301 without an expiry for good; an admin may delete the alias (and the
    # import make the name a topic again), so it is kept as long as a page is, no longer.
    patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_SECONDS)
    return response


def fresh_for(found, now):
    """Seconds a browser or CDN may reuse the response: PUBLIC_CACHE_SECONDS, or less when a
    scheduled item goes live (or one expires) sooner."""
    seconds = settings.PUBLIC_CACHE_SECONDS
    if found.next_change is not None:
        seconds = min(seconds, max(0, math.ceil((found.next_change - now).total_seconds())))
    return seconds


def _etag(request, found):
    # The host is part of it: responses carry absolute URLs.
    key = (
        f"{FORMAT_VERSION}|{found.token}|{etag_epoch()}|"
        f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    )
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _may_store(request, personalised, reads):
    # A personalised page is stored only for a reader without session or message cookies:
    # no name in the header, no pending messages, nothing of one person's.
    if personalised and set(request.COOKIES) - {settings.CSRF_COOKIE_NAME}:
        return False
    if any(name not in reads or len(values) > 1 for name, values in request.GET.lists()):
        return False
    return request.method == "GET" and settings.PUBLIC_RESPONSE_CACHE_SECONDS > 0


def _stored(view, etag):
    def stored_view(request, *args, **kwargs):
        key = f"public-response:{etag}"
        store = caches[PUBLIC_RESPONSES]
        response = store.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.cookies:
                store.set(key, response, settings.PUBLIC_RESPONSE_CACHE_SECONDS)
        return response

    return stored_view


def json_response(data, *, status=200, content_type="application/json; charset=utf-8"):
    """JSON with <, > and & escaped (as \\u003c...): the same data for any JSON parser, but
    inert if a client ever drops it into HTML."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    response = HttpResponse(text, status=status, content_type=content_type)
    # Public, read-only data: any site may read it from a browser.
    response["Access-Control-Allow-Origin"] = "*"
    return response


# --- URLs -------------------------------------------------------------------------------


def article_slug(article):
    return slugify(article.title, allow_unicode=True)[:80].strip("-")


class PublicLinks:
    """Public URLs for many items at once: `reverse()` once per kind, then string formatting
    (a feed needs a hundred URLs; reverse() and build_absolute_uri() per URL add up).
    Without a request the URLs are paths."""

    def __init__(self, request=None):
        self.origin = f"{request.scheme}://{request.get_host()}" if request is not None else ""
        self._article = reverse("public:article", args=[0]).removesuffix("0/")
        self._topic = reverse("public:topic", args=["-"]).removesuffix("-/")
        self._api_article = reverse("public:api-article", args=[0]).removesuffix("0/")

    def article(self, article):
        """The canonical URL of an article's page (with its title slug when it has one)."""
        slug = article_slug(article)
        path = f"{self._article}{article.pk}/{quote(slug, safe='-_')}/" if slug else f"{self._article}{article.pk}/"
        return self.origin + path

    def permalink(self, article_id):
        """An article URL that stays valid when the title (and so the slug) is edited."""
        return f"{self.origin}{self._article}{article_id}/"

    def topic(self, slug):
        return f"{self.origin}{self._topic}{quote(slug, safe='-_')}/"

    def api_article(self, article_id):
        return f"{self.origin}{self._api_article}{article_id}/"
