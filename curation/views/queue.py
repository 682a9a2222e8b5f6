"""The queue: filtered, sorted, keyset-paginated rows, and the bulk bar."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from django_filters.views import FilterView

from curation import selectors, selectors_queue, selectors_reasons
from curation.filters import STATE_ALL, STATE_CHOICES, ArticleFilterSet
from curation.models import Article
from curation.services.bulk import MAX_MATCHING, new_submission_key
from curation.services.editorial import ACTION_LABELS, Action
from curation.views.bulk import run_to_show
from curation.views.common import (
    QUEUE_PARAMS,
    READ_PERMISSION,
    CuratorAccessMixin,
    back_at_control,
    queue_querystring,
    safe_next,
    take_ticked,
)
from curation.views.controls import active_filters, render_filter_fields, render_select, render_table_head
from curation.views.rows import QueueRows, render_rows

PAGE_SIZES = (20, 50, 100, 200)
DENSITIES = ("compact", "comfortable")
DENSITY_SESSION_KEY = "curation_density"


@dataclass(frozen=True)
class Column:
    """A column header; a sortable one links to its sort (a second click reverses it)."""

    label: str
    css: str = ""
    sort_url: str = ""
    aria_sort: str = ""  # "ascending" / "descending" on the column the queue is sorted by
    title: str = ""


# Sortable columns: (label, css, sort key without direction, first click's direction).
SORTABLE = {"Quality": "quality", "Heat": "heat", "Published": "published"}


def match_count_key(params):
    """The filters that decide which rows match (not the sort, page size or cursor), as a
    querystring: the key a count is remembered under, and the count endpoint's query."""
    return queue_querystring(params, drop=("sort", "size"))


def columns(params, sort_key, *, can_bulk, thumbnails, by_story=False):
    """The queue's header cells, with each sortable one's link: the filters kept, the
    cursor dropped (a new sort starts at its first page). A story's row shows its outlets
    where an item's shows its provider."""
    kept = [(key, value) for key, values in params.lists() if key in QUEUE_PARAMS and key != "sort" for value in values if value]
    current = sort_key.lstrip("-")
    descending = sort_key.startswith("-")
    cells = []
    if can_bulk:
        cells.append(Column("", "check-col"))
    if thumbnails:
        cells.append(Column("Image", "thumb-col"))
    cells.append(Column("Title", "title-col"))
    cells.append(Column("Outlets", "provider-col") if by_story else Column("Provider", "provider-col"))
    cells.append(Column("Topics", "topics-col"))
    for label, css in (("Quality", "num score-col"), ("Heat", "num score-col"), ("Published", "date-col")):
        key = SORTABLE[label]
        if key == current:
            next_key = key if descending else f"-{key}"
            aria = "descending" if descending else "ascending"
            title = f"Sorted by {label.lower()}, {'highest' if descending else 'lowest'} first; click to reverse"
        else:
            next_key, aria, title = f"-{key}", "", f"Sort by {label.lower()}"
        cells.append(Column(label, css, "?" + urlencode([*kept, ("sort", next_key)]), aria, title))
    cells.append(Column("State", "state-col"))
    cells.append(Column("Cov.", "num cov-col", title="Other outlets covering the story" if by_story else "Related coverage"))
    if can_bulk:  # a read-only account has no actions to show
        cells.append(Column("Actions", "actions-col"))
    return cells


class QueueView(CuratorAccessMixin, FilterView):
    model = Article
    filterset_class = ArticleFilterSet
    template_name = "curation/article_filter.html"
    by_story = False  # one row per item (QueueView) or per story (views.stories.StoryQueueView)
    paginate_by = None  # keyset pagination in selectors.queue_page, never COUNT(*)

    def get_queryset(self):
        return Article.objects.all()

    def render_to_response(self, context, **kwargs):
        # A filter the form refuses lists nothing and says why next to the field: a 400,
        # like every other refused input (the API's filters, the edit form).
        if self.filterset.is_bound and not self.filterset.is_valid():
            kwargs.setdefault("status", 400)
        return super().render_to_response(context, **kwargs)

    def get_page_size(self):
        try:
            size = int(self.request.GET.get("size", selectors.DEFAULT_PAGE_SIZE))
        except ValueError:
            size = selectors.DEFAULT_PAGE_SIZE
        return max(1, min(size, selectors.MAX_PAGE_SIZE))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = queue_querystring(self.request.GET)
        this_url = self.request.get_full_path()
        builder = QueueRows(self.request.user, query=query, this_url=this_url)
        allowed = builder.allowed
        density = self.request.session.get(DENSITY_SESSION_KEY, "compact")
        table = {"can_bulk": bool(allowed), "thumbnails": density == "comfortable"}
        kept = take_ticked(self.request) if allowed else {}
        page = self.get_page()
        context.update(
            bulk_run=run_to_show(self.request) if allowed else None,
            max_matching=MAX_MATCHING,
            head_html=render_table_head(columns(self.request.GET, page.sort.key, by_story=self.by_story, **table)),
            density=density,
            toolbar_sort=render_select(
                {"id": "toolbar-sort", "name": "sort", "form": "filter-form"},
                [(sort.key, sort.label) for sort in selectors.SORTS.values()],
                page.sort.key,
            ),
            toolbar_size=render_select(
                {"name": "size", "id": "id_size", "form": "filter-form"},
                [(size, size) for size in PAGE_SIZES],
                page.page_size,
            ),
            filter_fields=render_filter_fields(self.filterset.form),
            filter_summary=active_filters(self.filterset.form),
            reasons=selectors_reasons.offered_reasons(),
            page=page,
            articles=page.articles,
            rows_html=render_rows(
                self.request, self.build_rows(page, builder), this_url=this_url, ticked=kept.get("ids", frozenset()), **table
            ),
            kept_bulk=kept,
            bulk_submission=new_submission_key() if allowed else "",
            by_story=self.by_story,
            queue_query=query,
            this_url=this_url,
            **self.count_context(page),
            **acting_context(allowed),
        )
        if not page.articles and page.is_first:
            context["empty"] = empty_queue(self.filterset, self.request.GET)
        return context

    def page_arguments(self):
        return {
            "sort_key": self.filterset.sort_key,
            "after": self.request.GET.get("after", ""),
            "before": self.request.GET.get("before", ""),
            "page_size": self.get_page_size(),
            "by_index": self.filterset.sort_by_index,
        }

    def get_page(self):
        # The plain queue counts its matches in its own row query (cheap: the state index).
        # A filter may match sparse rows that only a long scan finds, so its count is asked
        # for separately (curator-filters.js, /curate/count/) or on request (?count=1, no JS), and
        # remembered a minute; the page itself never waits for it.
        counting = self.filterset.is_default or self.request.GET.get("count") == "1"
        page = selectors.queue_page(
            self.object_list, count_cap=selectors_queue.COUNT_CAP if counting else None, **self.page_arguments()
        )
        if page.match_count is None and page.is_first and not page.has_next:
            page.match_count = selectors_queue.MatchCount(len(page.articles), False)  # all of them are here
        return page

    def build_rows(self, page, builder):
        return [builder.row(article) for article in page.articles]

    def count_context(self, page):
        count_key = match_count_key(self.request.GET)
        match_count = page.match_count or selectors_queue.remembered_match_count(count_key)
        if page.match_count is not None:
            selectors_queue.remember_match_count(count_key, page.match_count)
            if self.filterset.is_default:
                selectors_queue.remember_new_items_count(page.match_count)  # the navigation's count
        return {
            "match_count": match_count,
            "count_url": f"{reverse('curation:match-count')}?{count_key}",
            "count_link": "?" + urlencode([*self.request.GET.items(), ("count", "1")]),
        }


@dataclass(frozen=True)
class EmptyQueue:
    """What an empty first page says, and where to look wider."""

    text: str
    wider_url: str = ""
    wider_label: str = ""


def empty_queue(filterset, params):
    """The plain queue that is empty is done; a filtered one that finds nothing in one state
    (the queue's New, by default: a search for a published headline found "nothing") says
    which state it looked in and links to the same filters over every state."""
    if not filterset.is_valid():
        return EmptyQueue("Nothing is listed until the filters are fixed.")
    if filterset.is_default:
        return EmptyQueue("The queue is empty: every new item has been decided. New items come with the next import.")
    state = filterset.form.cleaned_data.get("state")
    if state and state != STATE_ALL:
        label = dict(STATE_CHOICES).get(state, state)
        wider = queue_querystring(params, drop=("state",), state=STATE_ALL)
        return EmptyQueue(f"Nothing in the state “{label}” matches these filters.", f"?{wider}", "Look in every state")
    return EmptyQueue("Nothing matches these filters.")


def acting_context(allowed):
    """What the queue's toolbar and bulk bar offer an account with these allowed actions
    (the item queue and the queue by story alike)."""
    return {
        "bulk_actions": [(action, label) for action, label in ACTION_LABELS.items() if action in allowed],
        "can_bulk": bool(allowed),
        "can_schedule": Action.PUBLISH in allowed,
    }


@login_required
@require_POST
def set_density(request):
    """Compact (the default) or comfortable rows, remembered for the session."""
    density = request.POST.get("density")
    if density in DENSITIES:
        request.session[DENSITY_SESSION_KEY] = density
    return redirect(back_at_control(safe_next(request, reverse("curation:queue")), "density-toggle"))


@login_required
def match_count(request):
    """How many items the filters in the querystring match (JSON, for curator-filters.js): exact up
    to COUNT_CAP, then "10,000+"; remembered a minute under the filters."""
    if not request.user.has_perm(READ_PERMISSION):
        raise PermissionDenied("You do not have permission to read the queue.")
    filterset = ArticleFilterSet(request.GET, queryset=Article.objects.all())
    if not filterset.is_valid():
        return JsonResponse({"ok": False, "error": "The filters are not valid."}, status=400)
    key = match_count_key(request.GET)
    found = selectors_queue.remembered_match_count(key)
    if found is None:
        found = selectors_queue.count_matches(filterset.qs)
        selectors_queue.remember_match_count(key, found)
    return JsonResponse({"ok": True, "count": found.count, "more": found.more, "text": found.text})
