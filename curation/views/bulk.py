"""The queue's bulk bar: one decision for the ticked rows, or for every item the filter
matches (in chunks, with progress), and undoing the last run. Thin: the run, its chunks and
its undo are `curation.services.bulk`; the decisions are the editorial service's.

Without JavaScript a run over many items does its first chunk and the queue shows how far
it got with a "Continue" button; with it, curator-bulk.js asks for the chunks one after the other
(JSON) and shows a progress bar. Either way the queue then shows the result once, with Undo.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from curation import selectors_queue
from curation.filters import ArticleFilterSet
from curation.forms import BulkActionForm, BulkMatchingForm
from curation.models import Article
from curation.services import bulk, editorial
from curation.services.editorial import EditorialError, InvalidEdit
from curation.views.common import keep_ticked, refused_field, safe_next, wants_json
from curation.views.landing import at_put_back_row

SESSION_KEY = "curation_bulk_run"


def _refuse(request, text, status=400, errors=None, keep=True):
    """A refused bulk POST: JSON for curator-bulk.js, else the message and back to the queue,
    which ticks the same rows again. `errors` ({field: message}, from the service or the
    form) names the bar's field the refusal is about: the queue focuses it, and curator-bulk.js
    gets it under "errors" as a refused form's fields are (common.form_errors_json)."""
    if wants_json(request):
        data = {"ok": False, "error": text}
        field, message = refused_field(errors or {})
        if field:
            data["errors"] = {field: [message]}
        return JsonResponse(data, status=status)
    # The tag lets the page link the message to the field (base.html).
    messages.error(request, text, extra_tags="bulk-refusal")
    if keep:
        keep_ticked(request, errors)
    return redirect(safe_next(request, reverse("curation:queue")))


def matching_ids(query, limit):
    """The ids the queue's filter (its querystring) matches, at most `limit` + 1."""
    filterset = ArticleFilterSet(QueryDict(query), queryset=Article.objects.all())
    if not filterset.is_valid():
        raise EditorialError("The filters changed or are not valid; reload the queue and try again.")
    return selectors_queue.matching_ids(filterset.qs, limit=limit)


def _progress(request, run):
    """Where a run stands, as JSON (curator-bulk.js) or by sending the editor back to the queue,
    which shows it (a Continue button, or the result with Undo)."""
    request.session[SESSION_KEY] = run.token
    selectors_queue.forget_match_counts()
    if run.finished:
        # The result message; the queue adds Undo to it (base.html, curation/_undo.html).
        tell = messages.error if run.failed and not run.changed else messages.warning if run.failed else messages.success
        tell(request, run.message, extra_tags="bulk-result")
    if wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "total": run.total,
                "done": run.position,
                "finished": run.finished,
                "message": run.message,
                "continue_url": reverse("curation:bulk-continue", args=[run.token]),
            }
        )
    return redirect(safe_next(request, reverse("curation:queue")))


@login_required
@require_POST
def bulk_action(request):
    """Apply one decision to the ticked rows, or to all the filter matches (scope=matching)."""
    if not editorial.allowed_actions(request.user):
        raise PermissionDenied("You do not have permission to change articles.")
    matching = request.POST.get("scope") == "matching"
    if request.POST.get("action") in ("schedule", "unschedule"):
        if matching:
            return _refuse(request, "Scheduling applies to ticked rows only (it follows their order on the page).")
        from curation.views.scheduling import bulk_schedule_action  # the schedule's own module

        return bulk_schedule_action(request)
    form = (BulkMatchingForm if matching else BulkActionForm)(request.POST)
    if not form.is_valid():
        return _refuse(request, " ".join(error for errors in form.errors.values() for error in errors), errors=form.errors)
    data = form.cleaned_data
    try:
        ids = matching_ids(data["query"], bulk.MAX_MATCHING) if matching else data["ids"]
        run = bulk.start_run(
            user=request.user,
            action=data["action"],
            article_ids=ids,
            reason=data["reason"],
            reason_code=data["reason_code"],
            submission=data["submission"],
        )
        run = bulk.run_chunk(run, user=request.user)
    except bulk.AlreadySent as exc:
        # Nothing kept in the session: this request's copy of it, saved last, would take the
        # run the first click started (and its Undo) off the queue.
        return _refuse(request, str(exc), status=409, keep=False)
    except InvalidEdit as exc:  # about one of the bar's fields: a missing note, an unknown reason
        return _refuse(request, "Nothing changed. " + " ".join(exc.errors.values()), errors=exc.errors)
    except EditorialError as exc:
        return _refuse(request, str(exc))
    return _progress(request, run)


def _run_post(view):
    """A POST about one of the editor's own runs (`token` in the URL): the view gets the run;
    the service's refusal (no such run, or not theirs) is told like any other."""

    @login_required
    @require_POST
    @wraps(view)
    def post(request, token):
        try:
            return view(request, bulk.load_run(token, request.user))
        except EditorialError as exc:
            return _refuse(request, str(exc))

    return post


@_run_post
def bulk_continue(request, run):
    """The next chunk of a run."""
    return _progress(request, bulk.run_chunk(run, user=request.user))


@_run_post
def bulk_undo(request, run):
    """Put back every item the run changed (skipping, and naming, those changed since)."""
    result = bulk.undo_run(run, user=request.user)
    selectors_queue.forget_match_counts()
    (messages.warning if result.skipped else messages.success)(request, result.message)
    return redirect(at_put_back_row(request, safe_next(request, reverse("curation:queue")), result.restored))


def run_to_show(request):
    """The run the queue should tell about now: one still going (shown until finished) or
    one just finished (shown once, with Undo); None if there is none."""
    token = request.session.get(SESSION_KEY)
    if not token:
        return None
    try:
        run = bulk.load_run(token, request.user)
    except EditorialError:
        run = None
    if run is None or run.finished or run.undone:
        request.session.pop(SESSION_KEY, None)
    return None if run is None or run.undone else run
