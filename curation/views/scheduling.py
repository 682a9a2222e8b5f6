"""The schedule's POST actions: schedule, unschedule, embargo, lift an embargo, and the same in
bulk from the queue. Thin: the forms turn typed times into instants (curation.schedule_forms),
the service decides and records (curation.services.scheduling).

Like the other curator actions: a form that works without JavaScript (a message and a
redirect; a form error re-renders the article page with status 400), or JSON for a client
that asks for it (`Accept: application/json`): 400 with the errors, 409 on a conflict.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from curation.forms import VersionedForm, add_refusal_errors, open_at
from curation.localtime import describe
from curation.models import ArticleState
from curation.schedule_forms import (
    BulkScheduleForm,
    BulkUnscheduleForm,
    EmbargoForm,
    ScheduleForm,
    editor_zone,
    remember_zone,
)
from curation.services import scheduling
from curation.services.bulk import AlreadySent
from curation.services.editorial import ConflictError, EditorialError, InvalidEdit
from curation.views.article import article_page_context
from curation.views.common import article_for_page_or_404, article_form_post, keep_ticked, safe_next, short, wants_json

INCOMPLETE = "The form was incomplete; reload the page and try again."


def _answer(request, *, ok, message, article=None, status=200, errors=None):
    """JSON for a client that asked for it, else a message and a redirect back."""
    fallback = (
        reverse("curation:article-detail", args=[article.pk]) if article is not None else reverse("curation:queue")
    )
    if wants_json(request):
        data = {"ok": ok, "message" if ok else "error": message}
        if errors:
            data["errors"] = errors
        if article is not None and ok:
            key, label = article.status()
            data.update(id=article.pk, version=article.version, state=key, state_label=label)
        return JsonResponse(data, status=status)
    (messages.success if ok else messages.error)(request, message)
    return redirect(safe_next(request, fallback))


def _invalid_form(request, article, form, name):
    """Form errors: the article page again with the form as typed (or JSON 400)."""
    # The zone picked is the editor's choice even when a time is refused. Not remembered, the
    # page came back marked "no zone chosen", schedule.js put the browser's zone in the select,
    # and the corrected time was read in another zone than the one the error spoke of.
    remember_zone(request, getattr(form, "cleaned_data", {}).get("time_zone"))
    if wants_json(request):
        errors = {field: [str(e) for e in field_errors] for field, field_errors in form.errors.items()}
        return JsonResponse({"ok": False, "error": "Check the times you entered.", "errors": errors}, status=400)
    page = article_for_page_or_404(article.pk)
    context = article_page_context(request, page)
    # The panel sits low on the page (below the text on a phone): without the focus on the
    # refused field, the page came back at its top with no sign of the refusal.
    context[name] = open_at(form, form.visible_fields()[0].name)
    return render(request, "curation/article_detail.html", context, status=400)


def _refused(request, exc, article, form, name):
    if isinstance(exc, InvalidEdit):
        add_refusal_errors(form, exc)
        return _invalid_form(request, article, form, name)
    status = 409 if isinstance(exc, ConflictError) else 400
    return _answer(request, ok=False, message=str(exc), article=article, status=status)


def _require(user, allowed):
    if not allowed:
        raise PermissionDenied("You do not have permission to do that.")


def _may_schedule(user):
    _require(user, scheduling.can_schedule(user))


def _may_embargo(user):
    _require(user, scheduling.can_embargo(user))


@article_form_post(ScheduleForm, check=_may_schedule, auto_id="schedule_%s")
def article_schedule(request, article, form):
    """Schedule a go-live time and/or an expiry (or reschedule a published item)."""
    if not form.is_valid():
        return _invalid_form(request, article, form, "schedule_form")
    data = form.cleaned_data
    zone = data["time_zone"] or editor_zone(request)[0]
    remember_zone(request, data["time_zone"])
    if data["go_live_at"] is None and data["expire_at"] is None and article.state != ArticleState.PUBLISHED:
        form.add_error("go_live_at", "Enter a go-live time, an expiry time, or both (or use Publish to publish now).")
        return _invalid_form(request, article, form, "schedule_form")
    try:
        outcome = scheduling.schedule_article(
            article=article,
            user=request.user,
            go_live_at=data["go_live_at"],
            expire_at=data["expire_at"],
            expected_version=data["expected_version"],
        )
    except EditorialError as exc:
        return _refused(request, exc, article, form, "schedule_form")
    return _answer(request, ok=True, message=schedule_message(outcome, zone), article=outcome.article)


def schedule_message(outcome, zone):
    article = outcome.article
    title = short(article.title)
    if not outcome.changed:
        return f"Nothing to change: “{title}” already has that schedule."
    if outcome.past_time is not None:
        text = f"{describe(outcome.past_time, zone)} has already passed, so “{title}” went live now."
    elif outcome.live_now:
        text = f"“{title}” is live now."
    elif article.live_from is not None:
        text = f"Scheduled “{title}” to go live at {describe(article.live_from, zone)}."
    else:
        text = f"“{title}” is live."
    if outcome.held_until is not None:
        text += f" It is under embargo until {describe(outcome.held_until, zone)}: readers see it from then."
    if article.live_until is not None:
        text += f" It expires at {describe(article.live_until, zone)}."
    return text


def _versioned_act(request, article, form, service, *, message):
    """An act whose only input is the version the editor saw (unschedule, lift an embargo):
    `service` is the scheduling service's function, `message(article)` words the result."""
    if not form.is_valid():
        return _answer(request, ok=False, message=INCOMPLETE, article=article, status=400)
    try:
        article = service(article=article, user=request.user, expected_version=form.cleaned_data.get("expected_version"))
    except EditorialError as exc:
        return _answer(request, ok=False, message=str(exc), article=article, status=_status(exc))
    return _answer(request, ok=True, message=message(article), article=article)


@article_form_post(VersionedForm, check=_may_schedule)
def article_unschedule(request, article, form):
    def unscheduled(article):
        return f"Unscheduled “{short(article.title)}”: it is back in the queue."

    return _versioned_act(request, article, form, scheduling.unschedule_article, message=unscheduled)


def _status(exc):
    return 409 if isinstance(exc, ConflictError) else 400


@article_form_post(EmbargoForm, check=_may_embargo, auto_id="embargo_%s")
def article_embargo(request, article, form):
    if not form.is_valid():
        return _invalid_form(request, article, form, "embargo_form")
    data = form.cleaned_data
    remember_zone(request, data["time_zone"])
    try:
        article = scheduling.set_embargo(
            article=article, user=request.user, until=data["embargo_until"], expected_version=data["expected_version"]
        )
    except EditorialError as exc:
        return _refused(request, exc, article, form, "embargo_form")
    zone = data["time_zone"] or editor_zone(request)[0]
    message = f"“{short(article.title)}” is under embargo until {describe(article.embargo_until, zone)}."
    return _answer(request, ok=True, message=message, article=article)


@article_form_post(VersionedForm, check=_may_embargo)
def article_lift_embargo(request, article, form):
    def lifted(article):
        live = " It is live now." if article.is_live() else ""
        return f"Lifted the embargo on “{short(article.title)}”.{live}"

    return _versioned_act(request, article, form, scheduling.lift_embargo, message=lifted)


# --- bulk, from the queue -----------------------------------------------------------------


def _bulk_answer(request, result):
    if wants_json(request):
        failed = [{"id": article_id, "title": title, "error": message} for article_id, title, message in result.failed]
        return JsonResponse({"ok": not result.failed, "message": result.message, "failed": failed})
    level = (
        messages.warning
        if result.failed and result.succeeded
        else messages.error
        if result.failed
        else messages.success
    )
    level(request, result.message)
    return redirect(safe_next(request, reverse("curation:queue")))


def _form_errors(request, form):
    text = " ".join(
        f"{form.fields[name].label}: {error}" if name in form.fields else str(error)
        for name, errors in form.errors.items()
        for error in errors
    )
    if wants_json(request):
        errors = {field: [str(e) for e in field_errors] for field, field_errors in form.errors.items()}
        return JsonResponse({"ok": False, "error": text, "errors": errors}, status=400)
    messages.error(request, f"Nothing changed. {text}", extra_tags="bulk-refusal")
    keep_ticked(request, form.errors)
    return redirect(safe_next(request, reverse("curation:queue")))


def bulk_schedule_action(request):
    """The queue's bulk bar with the action "schedule" or "unschedule" (queue.bulk_action
    hands these over): the selected rows in the order shown, the first at the given time,
    then one every N minutes."""
    _require(request.user, scheduling.can_schedule(request.user))
    unscheduling = request.POST.get("action") == "unschedule"
    form = (BulkUnscheduleForm if unscheduling else BulkScheduleForm)(request.POST)
    if not form.is_valid():
        return _form_errors(request, form)
    data = form.cleaned_data
    try:
        if unscheduling:
            result = scheduling.bulk_unschedule(article_ids=data["ids"], user=request.user, submission=data["submission"])
        else:
            remember_zone(request, data["time_zone"])
            result = scheduling.bulk_schedule(
                article_ids=data["ids"],
                user=request.user,
                start=data["go_live_at"],
                interval=data["interval_minutes"],
                expire_at=data["expire_at"],
                submission=data["submission"],
            )
    except AlreadySent as exc:
        # As a decision sent twice (views.bulk): nothing kept for the queue, which shows the
        # first send's result.
        return _answer(request, ok=False, message=str(exc), status=409)
    except InvalidEdit as exc:
        add_refusal_errors(form, exc)
        return _form_errors(request, form)
    except EditorialError as exc:
        form.add_error(None, str(exc))
        return _form_errors(request, form)
    return _bulk_answer(request, result)
