"""Stories in the curator: the queue with one row per story (a choice each editor's session
remembers), publishing a story from its row, and the "Same story" acts of the article page
(split out, make lead, not the same story, merge) and of a body-only item (complete it
from the related entry it is the text of).

Thin, as every curator view: the rows come from selectors_stories, the buttons from
services/story_acts, every write from services/stories (checks, audit rows)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from curation import selectors_queue
from curation.models import Article
from curation.params import parse_id
from curation.selectors_stories import article_by_url, story_queue_page
from curation.services import bulk, editorial, stories, story_publication
from curation.services.editorial import Action, EditorialError
from curation.services.story_acts import REST_REJECT, can_edit_stories, story_row_offers
from curation.story_forms import QUEUE_BY_SESSION, CompleteFromEntryForm, QueueModeForm, StoryActForm, StoryPublishForm
from curation.views.bulk import SESSION_KEY as BULK_SESSION_KEY
from curation.views.common import (
    SAME_STORY_MESSAGE,
    article_light,
    back_at_control,
    detail_url,
    fail,
    held_back_note,
    keep_refused_merge,
    safe_next,
    short,
    wants_json,
)
from curation.views.landing import at_queue_row
from curation.views.queue import QueueView


def queue_by_story(request):
    return getattr(request, "session", None) is not None and request.session.get(QUEUE_BY_SESSION) == "story"


def queue(request, *args, **kwargs):
    """The queue's URL: one row per item, or per story, as the editor chose last."""
    view = StoryQueueView if queue_by_story(request) else QueueView
    return view.as_view()(request, *args, **kwargs)


@login_required
@require_POST
def queue_mode(request):
    """Switch the queue between items and stories (kept in the editor's session)."""
    form = QueueModeForm(request.POST)
    if form.is_valid():
        request.session[QUEUE_BY_SESSION] = form.cleaned_data["by"]
    else:
        messages.error(request, "Choose items or stories.")
    return redirect(back_at_control(safe_next(request, reverse("curation:queue")), "queue-by-toggle"))


class StoryQueueView(QueueView):
    """The queue with one row per story: each story at its first item in the queue's order."""

    by_story = True

    def get_page(self):
        page = story_queue_page(self.object_list, **self.page_arguments())
        if self.request.GET.get("count") == "1":  # "How many match?" without JavaScript: the items
            page.match_count = selectors_queue.count_matches(self.object_list)
        return page

    def build_rows(self, page, builder):
        return [builder.story_row(article, story_row_offers) for article in page.articles]


@login_required
@require_POST
def story_publish(request, pk):
    """Publish a story's lead and reject its other new items as duplicates, or leave them."""
    fallback = reverse("curation:queue")
    form = StoryPublishForm(request.POST)
    if not form.is_valid():
        return fail(request, EditorialError("The form was incomplete; reload the page and try again."), fallback)
    data = form.cleaned_data
    try:
        # A story gone since the row was drawn (split apart, merged into another) is the
        # service's refusal, said on the queue: it was a real story a moment ago, not a bad address.
        result = story_publication.publish_story(
            story=pk, user=request.user, rest=data["rest"], expected_lead=data["lead"],
            expected_version=data["expected_version"], expected_new=data["new_count"],
            expected_new_members=data["new_seen"] or None,
        )
    except EditorialError as exc:
        if wants_json(request):
            return fail(request, exc, fallback)
        # Refused (another editor was first, say): back at the row all the same, message on top.
        messages.error(request, str(exc))
        return redirect(_at_story_row(request, fallback, data["lead"]))
    selectors_queue.forget_match_counts()  # the queue's count must not show the items as still waiting
    lead = f"“{short(result.lead.title)}”"
    rejected = f"{len(result.rejected)} duplicate{'s' if len(result.rejected) != 1 else ''}"
    if data["rest"] == REST_REJECT:
        # The row offers "Reject the other N" once the lead is live: say what this act did.
        text = (
            f"Published {lead} and rejected {rejected}."
            if result.published_lead
            else f"Rejected {rejected} of {lead}, which was already published."
        )
    else:
        text = f"Published {lead}" if result.published_lead else f"{lead} was already published"
        if result.left:
            others = f"{len(result.left)} other item{'s' if len(result.left) != 1 else ''}"
            text += f"; left the story's {others} as {'it was' if len(result.left) == 1 else 'they were'}"
        text += "."
    if result.published_lead:
        text += held_back_note(result.lead)
    if result.changed:
        # The result carries Undo, as a bulk decision's does (the queue shows it: curation/_undo.html).
        run = bulk.record_run(user=request.user, action=Action.PUBLISH, changed=result.changed, what="story publication")
        request.session[BULK_SESSION_KEY] = run.token
    if result.failed:
        # Named by title, as the editor knows them (an id means nothing on the queue's rows).
        titles = dict(Article.objects.filter(pk__in=[pk for pk, _ in result.failed]).values_list("pk", "title"))
        text += " Not changed: " + "; ".join(
            f"“{short(titles.get(pk) or '(untitled)')}”: {message}" for pk, message in result.failed
        )
    (messages.warning if result.failed else messages.success)(request, text, extra_tags="bulk-result")
    # A plain post (no JavaScript) goes back to that row, or the next story's.
    return redirect(_at_story_row(request, fallback, result.lead.pk))


def _at_story_row(request, fallback, lead_id):
    """The queue address the form came from, at the story's row if the queue still lists it,
    else at the row that now has its place (views/landing.py). The row is the item it stood
    on (the form's `row`, a landing hint only: missing, junk or gone, the lead's place is
    used, and the decision itself never depends on it)."""
    row_id = parse_id(request.POST.get("row"))
    found = Article.objects.in_bulk([pk for pk in (row_id, lead_id) if pk])
    article = found.get(row_id) or found.get(lead_id)
    url = safe_next(request, fallback)
    return at_queue_row(request, url, article) if article is not None else url


def _other_article(text):
    """The article an editor named by id ("123", "#123") or by any spelling of its URL."""
    text = (text or "").strip()
    pk = parse_id(text.removeprefix("#"))
    if pk is not None:
        return Article.objects.filter(pk=pk).only("pk", "title").first()
    return article_by_url(text)


STORY_ACTS = ("split", "lead", "apart", "merge")


@login_required
@require_POST
def story_act(request, pk, act):
    """Split an article out of its story, make it the lead, keep it apart from another
    article, or merge its story with another article's (named by id or URL)."""
    if act not in STORY_ACTS:
        raise Http404("No such act.")
    if not can_edit_stories(request.user):
        raise PermissionDenied("You do not have permission to change stories.")
    article = article_light(pk)
    fallback = detail_url(pk)
    form = StoryActForm(request.POST)
    valid = form.is_valid()  # `other` too long: no article, told below
    seen = {"expected_story": form.cleaned_data.get("seen", "?") or None}  # "?": refused, matches no story
    other = None
    typed = str(form.data.get("other", ""))[:2000]
    if act in ("apart", "merge"):
        other = _other_article(form.cleaned_data["other"]) if valid else None
        if other is None:
            refusal = EditorialError("No article has that id or URL: paste an article's address or type its #id.")
            return _refuse(request, act, pk, refusal, fallback, typed)
    try:
        if act == "split":
            stories.split_out(article=article, user=request.user, **seen)
            text = f"Took “{short(article.title)}” out of its story."
        elif act == "lead":
            stories.set_lead(article=article, user=request.user, **seen)
            text = f"“{short(article.title)}” is the story's lead now."
        elif act == "apart":
            stories.keep_apart(article=article, other=other, user=request.user, **seen)
            # The other item by its title: "#39" was the id of the page the editor was on.
            other_title = short(other.title or "(untitled)")
            text = f"“{short(article.title)}” and “{other_title}” are marked as different stories."
        else:
            stories.merge(article=article, other=other, user=request.user, **seen)
            text = f"“{short(article.title)}” and “{short(other.title or '(untitled)')}” are in one story now."
    except stories.AlreadyDone as exc:
        # The same form sent twice (a double click without JavaScript): the first did it.
        text = f"{exc} Nothing more was changed."
    except EditorialError as exc:
        return _refuse(request, act, pk, exc, fallback, typed)
    # Said in the panel (base.html leaves it out of the page's top): the page comes back
    # scrolled to the panel, and a message up there was out of sight.
    messages.success(request, text, extra_tags=SAME_STORY_MESSAGE)
    # Back at the panel the act came from (a page load would start at the top, the panel
    # below the fold and the keyboard's next Tab at the page's first link): the change shows
    # where the editor was, and a few splits in a row need no scrolling back each time.
    return redirect(safe_next(request, fallback).split("#")[0] + "#same-story")


def _refuse(request, act, pk, exc, fallback, typed):
    """A refused act. The merge form's refusal goes back to its field (the page focuses it,
    with what was typed and the reason): a page load used to start at the top, the message
    there and the field, emptied, below the fold."""
    if act != "merge" or wants_json(request):
        return fail(request, exc, fallback)
    keep_refused_merge(request, pk, typed, str(exc))
    messages.error(request, str(exc), extra_tags="merge-refusal")
    # No fragment: a page with a target element skips autofocus, and the focus brings the
    # field (and the reason just above it) into view by itself.
    return redirect(safe_next(request, fallback).split("#")[0])


@login_required
@require_POST
def complete_from_entry(request, pk):
    """Complete a body-only item from the related entry it is the text of."""
    if not editorial.can_perform(request.user, Action.EDIT):
        raise PermissionDenied("You do not have permission to edit articles.")
    article = article_light(pk)
    form = CompleteFromEntryForm(request.POST)
    if not form.is_valid():
        return fail(request, EditorialError("The form was incomplete; reload the page and try again."), detail_url(pk))
    try:
        completed = stories.complete_from_entry(
            article=article, entry=form.cleaned_data["entry"], user=request.user,
            expected_version=form.cleaned_data["expected_version"],
        )
    except EditorialError as exc:
        return fail(request, exc, detail_url(pk))
    messages.success(request, f"Completed the item as “{short(completed.title)}”: it can now be published.")
    return redirect(detail_url(pk))
