"""Public pages: what readers see. Published items only; everything else is a 404.

Listings use keyset pagination ("Older stories" follows an opaque cursor) rather than page
numbers: a page-number paginator counts every published row on every request, which at a
million items costs more than the page itself.
"""

from django.http import Http404
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_safe

from curation.public.http import PublicLinks, article_slug, public_cache
from curation.public.selectors import PAGE_SIZE, InvalidCursor, get_published_article, keyset_page, published_articles
from curation.selectors import with_topic

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
@public_cache(personalised=True, store=True, reads=("cursor",))
def home(request):
    return _listing(request, published_articles(), "public/home.html", {})


@require_safe
@public_cache(personalised=True, store=True, reads=("cursor",))
def topic(request, topic_slug, topic):
    return _listing(request, with_topic(published_articles(), topic.pk).queryset, "public/topic.html", {"topic": topic})


@require_safe
@public_cache(personalised=True, store=True)
def article_detail(request, pk, slug=None):
    article = get_published_article(pk)
    if article is None:
        raise Http404("No such article.")
    canonical = PublicLinks().article(article)
    if slug is not None and slug != article_slug(article):
        return redirect(canonical, permanent=True)
    links = PublicLinks()
    for related in article.public_related:
        if related["linked_article_id"]:
            related["local_path"] = links.permalink(related["linked_article_id"])
    for member in article.public_story:
        member["local_path"] = links.permalink(member["id"])
    return render(
        request,
        "public/article_detail.html",
        {"article": article, "canonical_url": request.build_absolute_uri(canonical)},
    )


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's): the site's
    icon, by its static URL (resolved per request: the manifest exists only after collectstatic)."""
    return redirect(static("favicon.svg"), permanent=True)
