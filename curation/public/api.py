"""Read-only JSON API over published items: `/api/articles/` and `/api/articles/<id>/`.

Plain Django views. Query parameters of the list (filters from `PublicArticleFilterSet`):

    topic=<slug>                 provider=<id or domain>
    quality_min=<n>              quality_max=<n>
    published_after=<date|ISO date-time>   published_before=<date|ISO date-time>  (UTC if no offset)
    page_size=<1..100, default 20>         cursor=<opaque, from `next`>

Pages are newest first (undated items last) and follow an opaque cursor: `next` is an
absolute link keeping the filters (also sent as a `Link: rel="next"` header), null on the
last page. Bad parameters answer 400 with {"error", "details"}; unknown ids 404. Each item is
built field by field from an allow-list (`article_data`), so nothing editorial (state,
version, who changed it, rejection reasons, edited fields) or private (`secured`, the raw
front matter) can appear by accident: those columns are not even loaded.
"""

from functools import wraps

from django.views.decorators.csrf import csrf_exempt

from curation.params import parse_id
from curation.public.filters import PublicArticleFilterSet
from curation.public.http import PublicLinks, json_response, public_cache
from curation.public.selectors import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    InvalidCursor,
    get_published_article,
    keyset_page,
    published_articles,
)
from curation.validation import safe_url


def _error(message, *, status=400, details=None):
    data = {"error": message}
    if details:
        data["details"] = details
    return json_response(data, status=status)


def article_data(article, links, *, detail=False):
    data = {
        "id": article.pk,
        "url": links.api_article(article.pk),
        "html_url": links.article(article),
        "title": article.title,
        "excerpt": article.excerpt,
        "category": article.category,
        "type": article.article_type,
        "web_url": article.public_web_url,
        "amp_url": safe_url(article.amp_url),
        "cdn_amp_url": safe_url(article.cdn_amp_url),
        "published_at": article.published_at,
        "quality": article.quality,
        "heat": article.public_heat,
        "provider": (
            {"id": article.provider.pk, "name": article.provider.name, "domain": article.provider.domain}
            if article.provider
            else None
        ),
        "topics": [
            {
                "name": topic["name"],
                "slug": topic["slug"],
                "url": links.topic(topic["slug"]),
            }
            for topic in article.public_topics
        ],
        "images": article.public_images,
        "related": [_related_data(related, links) for related in getattr(article, "public_related", [])],
        # The other published articles of its story (the same event from other outlets).
        "story": [_story_member_data(member, links) for member in getattr(article, "public_story", [])],
    }
    if detail:
        data["body"] = article.body
    return data


def _related_data(related, links):
    data = {key: value for key, value in related.items() if key != "linked_article_id"}
    # Coverage we also carry, and have published, links to our copy.
    data["article"] = links.api_article(related["linked_article_id"]) if related["linked_article_id"] else None
    return data


def _story_member_data(member, links):
    return {
        "id": member["id"],
        "url": links.api_article(member["id"]),
        "html_url": links.permalink(member["id"]),
        "title": member["title"],
        "web_url": member["web_url"],
        "published_at": member["published_at"],
        "provider": member["provider"],
    }


def read_only(view):
    """GET and HEAD only. Django's require_safe answered any other method with an empty HTML
    405, and a POST met the CSRF check first: an HTML page saying "The form expired ...
    reload the page". An API client learned nothing of what to do. Here the refusal is the
    API's JSON error, with the methods it takes in `Allow`; the CSRF check is left out, as
    nothing here ever writes (it protects writes made with a signed-in reader's cookies)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = _error(f"{request.method} is not allowed here: the API is read-only (GET or HEAD).", status=405)
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)


def _page_size(request):
    raw = request.GET.get("page_size")
    if raw in (None, ""):
        return PAGE_SIZE
    # Written in ASCII digits, as ids and cursors are (int() also took "５", " 5", "+5", "1_0").
    size = parse_id(raw) or 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be a whole number from 1 to {MAX_PAGE_SIZE}.")
    return size


@read_only
@public_cache(store=True, reads=(*PublicArticleFilterSet.base_filters, "cursor", "page_size"))
def article_list(request):
    filterset = PublicArticleFilterSet(request.GET, queryset=published_articles(with_related=True))
    if not filterset.is_valid():
        return _error("Invalid filter.", details=filterset.errors.get_json_data())
    try:
        size = _page_size(request)
        page = keyset_page(filterset.qs, cursor=request.GET.get("cursor"), size=size)
    except InvalidCursor as exc:
        return _error(str(exc))
    except ValueError as exc:
        return _error(str(exc))
    next_url = None
    if page.next_cursor:
        query = request.GET.copy()
        query["cursor"] = page.next_cursor
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    links = PublicLinks(request)
    response = json_response({"next": next_url, "results": [article_data(article, links) for article in page.items]})
    if next_url:
        response["Link"] = f'<{next_url}>; rel="next"'
    return response


@read_only
@public_cache(store=True)
def article_detail(request, pk):
    article = get_published_article(pk)
    if article is None:
        return _error("Not found.", status=404)
    return json_response(article_data(article, PublicLinks(request), detail=True))
