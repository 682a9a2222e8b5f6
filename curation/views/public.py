"""Public pages: what readers see. Published items only; everything else is a 404.

Listings use keyset pagination ("Older stories" follows an opaque cursor) rather than page
numbers: a page-number paginator counts every published row on every request, which at a
million items costs more than the page itself.
"""

import hashlib
import time
from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.text import slugify
from django.views.decorators.http import condition, require_safe

from curation.public_selectors import (
    PAGE_SIZE,
    InvalidCursor,
    get_published_article,
    keyset_page,
    public_validators,
    published_articles,
)
from curation.selectors import with_topic

# How long a browser or CDN may reuse a public response without asking again. An item
# unpublished now disappears from every cache within this many seconds.
CACHE_SECONDS = getattr(settings, "PUBLIC_CACHE_SECONDS", 60)
# How long a rendered feed or API response is kept server-side (0 turns that off).
RESPONSE_CACHE_SECONDS = getattr(settings, "PUBLIC_RESPONSE_CACHE_SECONDS", 300)
# Upper bound on how long an ETag (and a stored render) lives whatever the validators say.
ETAG_REFRESH_SECONDS = getattr(settings, "PUBLIC_ETAG_REFRESH_SECONDS", 600)
# Part of every ETag: bump it when the output format changes so caches do not serve
# responses rendered by older code.
FORMAT_VERSION = "public-1"


# --- caching ------------------------------------------------------------------------------


def etag_epoch():
    """Changes every ETAG_REFRESH_SECONDS, so that a change the validators cannot see (a
    provider renamed or a row deleted in the admin) reaches readers within that time."""
    return int(time.time() // ETAG_REFRESH_SECONDS)


def _validators(request, topic_slug=None):
    if not hasattr(request, "_public_validators"):
        request._public_validators = public_validators(topic_slug=topic_slug)
    return request._public_validators


def public_cache(view=None, *, personalised=False, store=False):
    """Conditional GET (ETag / Last-Modified, 304) and CDN cache headers for a public view.

    One query computes the validators (and loads the topic for views that take a
    `topic_slug`, exposed as `request.public_topic`; an unknown topic is a 404). A 304 costs
    only that query. `personalised` views (pages: the header shows the signed-in editor) are
    cached publicly only for anonymous readers.

    `store` also keeps the rendered 200 response in Django's cache under its ETag, for
    RESPONSE_CACHE_SECONDS: the ETag changes with anything a reader can see, so a stored
    response is never stale, and a repeated request costs the validator query instead of a
    full render.
    """
    if view is None:
        return lambda view: public_cache(view, personalised=personalised, store=store)

    def is_private(request):
        return personalised and request.user.is_authenticated

    def etag(request, *args, topic_slug=None, **kwargs):
        found = _validators(request, topic_slug)
        if found is None or is_private(request):
            return None
        if not hasattr(request, "_public_etag"):
            # The host is part of it: responses carry absolute URLs.
            key = (
                f"{FORMAT_VERSION}|{found.token}|{etag_epoch()}|"
                f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
            )
            request._public_etag = hashlib.sha256(key.encode()).hexdigest()[:32]
        return request._public_etag

    def last_modified(request, *args, topic_slug=None, **kwargs):
        found = _validators(request, topic_slug)
        if found is None or is_private(request):
            return None
        return found.last_modified

    def can_store(request):
        # A personalised page is stored only for a reader without session or message
        # cookies: no name in the header, no pending messages, nothing of one person's.
        if personalised and set(request.COOKIES) - {settings.CSRF_COOKIE_NAME}:
            return False
        return request.method == "GET" and RESPONSE_CACHE_SECONDS > 0

    def stored_view(request, *args, **kwargs):
        if not can_store(request):
            return view(request, *args, **kwargs)
        key = f"public-response:{etag(request, *args, **kwargs)}"
        response = cache.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.cookies:
                cache.set(key, response, RESPONSE_CACHE_SECONDS)
        return response

    conditional_view = condition(etag_func=etag, last_modified_func=last_modified)(stored_view if store else view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        found = _validators(request, kwargs.get("topic_slug"))
        if found is None:
            raise Http404("No such topic.")
        request.public_topic = found.topic
        response = conditional_view(request, *args, **kwargs)
        if is_private(request):
            patch_cache_control(response, private=True, no_cache=True)
        elif response.status_code in (200, 304):
            patch_cache_control(response, public=True, max_age=CACHE_SECONDS, s_maxage=CACHE_SECONDS)
            # The feed framework sets Last-Modified to the newest item's date; the
            # validator is what conditional requests are checked against, so say that.
            if found.last_modified is not None:
                response.headers["Last-Modified"] = http_date(found.last_modified.timestamp())
        if personalised:
            patch_vary_headers(response, ["Cookie"])
        return response

    return wrapper


# --- URLs -------------------------------------------------------------------------------


def article_slug(article):
    return slugify(article.title, allow_unicode=True)[:80].strip("-")


class PublicLinks:
    """Public URLs for many items at once: `reverse()` once per kind, then string formatting.

    A feed needs a hundred or more URLs; `reverse()` and `request.build_absolute_uri()`
    (which re-validates the host) each cost tens of microseconds, which adds up to a good
    part of a feed's time budget. Without a request the URLs are paths.
    """

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


def article_path(article):
    return PublicLinks().article(article)


# --- views --------------------------------------------------------------------------------


def _listing(request, queryset, template, context):
    try:
        page = keyset_page(queryset, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    except InvalidCursor:
        raise Http404("No such page.") from None
    if not page.items and (request.GET.get("cursor") or context.get("topic")):
        raise Http404("No published items here.")
    links = PublicLinks()
    for article in page.items:
        article.public_path = links.article(article)
    return render(
        request,
        template,
        {
            **context,
            "articles": page.items,
            "next_cursor": page.next_cursor,
            "is_first_page": not request.GET.get("cursor"),
        },
    )


@require_safe
@public_cache(personalised=True, store=True)
def home(request):
    return _listing(request, published_articles(), "public/home.html", {})


@require_safe
@public_cache(personalised=True, store=True)
def topic(request, topic_slug):
    topic = request.public_topic
    return _listing(request, with_topic(published_articles(), topic.pk).queryset, "public/topic.html", {"topic": topic})


@require_safe
@public_cache(personalised=True, store=True)
def article_detail(request, pk, slug=None):
    article = get_published_article(pk)
    if article is None:
        raise Http404("No such article.")
    canonical = article_path(article)
    if slug is not None and slug != article_slug(article):
        return redirect(canonical, permanent=True)
    links = PublicLinks()
    for related in article.public_related:
        if related["linked_article_id"]:
            related["local_path"] = links.permalink(related["linked_article_id"])
    return render(
        request,
        "public/article_detail.html",
        {"article": article, "canonical_url": request.build_absolute_uri(canonical)},
    )
