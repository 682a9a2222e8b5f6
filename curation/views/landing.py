"""Where a queue row's decision brings the editor back to when it is a plain form post.

Without JavaScript a row's buttons post a form, and the redirect used to open the queue at
its top: an editor working down a long queue scrolled back to their place after every
decision. The redirect carries the fragment of a row instead (each row is `id="item-<pk>"`):
the decided row if the queue still lists it (it shows every state, say), else the row that
followed it, else the one before it (the page's last row left). With JavaScript the
decision happens in place and none of this runs."""

from urllib.parse import urlsplit

from django.http import QueryDict
from django.urls import reverse

from curation import selectors
from curation.filters import ArticleFilterSet
from curation.models import Article
from curation.selectors_stories import first_of_their_story
from curation.story_forms import QUEUE_BY_SESSION

# Where the list starts (the queue page's results section): the landing when no row is left.
LIST_ANCHOR = "queue-results"


def row_anchor(pk):
    """A queue row's id, as the row templates write it."""
    return f"item-{int(pk)}"


def _listed(request, url):
    """The queue at `url` as the editor sees it (its filters, sort, by item or by story):
    (address without fragment, filterset, rows' queryset); rows None when `url` is not the
    queue's or its filters are not valid."""
    parts = urlsplit(url)
    base = url.split("#")[0]
    if parts.path != reverse("curation:queue"):
        return base, None, None
    filterset = ArticleFilterSet(QueryDict(parts.query), queryset=Article.objects.all(), request=request)
    if not filterset.is_valid():
        return base, None, None
    listed = filterset.qs  # evaluated first: it tells whether the sort may walk its index
    if request.session.get(QUEUE_BY_SESSION) == "story":
        # One row per story, each at its first item: a neighbour is another story's row.
        listed = first_of_their_story(listed, filterset.sort_key)
    return base, filterset, listed


def at_queue_row(request, url, article):
    """`url` with the fragment of the row to land on when it is the queue's address (its
    filters, sort and page as the editor had them); any other address is returned as is."""
    base, filterset, listed = _listed(request, url)
    if listed is None:
        return url if urlsplit(url).path != reverse("curation:queue") else base
    if listed.filter(pk=article.pk).exists():
        return f"{base}#{row_anchor(article.pk)}"
    previous, following = selectors.neighbours(
        listed, article, sort_key=filterset.sort_key, by_index=filterset.sort_by_index
    )
    target = following or previous
    return f"{base}#{row_anchor(target.pk) if target else LIST_ANCHOR}"


def at_put_back_row(request, url, pks):
    """Undo of a bulk decision or a story's publication: `url` at the row of the first item
    put back that the queue lists (by story, the story's row), so the editor sees them again
    where they were; the page used to open at its top, the items somewhere below. `url`
    unchanged when the queue lists none of them (or it is another address)."""
    base, _filterset, listed = _listed(request, url)
    if listed is None or not pks:
        return url
    shown = set(listed.filter(pk__in=pks).values_list("pk", flat=True))
    first = next((pk for pk in pks if pk in shown), None)
    return f"{base}#{row_anchor(first)}" if first is not None else url
