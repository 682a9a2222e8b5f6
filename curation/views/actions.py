"""The decisions on one article (publish, unpublish, reject, restore), from a button on the
article page or a queue row, in place (JSON for curator-actions.js) or as a plain form post."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from curation import selectors, selectors_queue, selectors_reasons
from curation.forms import TransitionForm
from curation.models import Article
from curation.services import editorial
from curation.services.editorial import Action, EditorialError
from curation.views.common import (
    ActionUrls,
    article_light,
    detail_url,
    fail,
    held_back_note,
    params_of,
    queue_querystring,
    safe_next,
    short,
    wants_json,
)
from curation.views.landing import at_queue_row
from curation.views.rows import action_notes, render_row_actions

SUCCESS_MESSAGES = {
    Action.PUBLISH: "Published “{}”.",
    Action.UNPUBLISH: "Unpublished “{}”: it is back in the queue.",
    Action.REJECT: "Rejected “{}”.",
    Action.RESTORE: "Restored “{}” to the queue.",
}


@login_required
@require_POST
def article_action(request, pk, action):
    """Publish, unpublish, reject or restore one article (the service checks everything)."""
    if action not in editorial.TRANSITIONS:
        raise Http404("No such action.")
    article = article_light(pk)
    data = request.POST
    if "reason_code" not in data and "reason_code" in request.GET:
        # A queue row's reason buttons share one form: each carries its code in its formaction.
        data = data.copy()
        data["reason_code"] = request.GET["reason_code"]
    form = TransitionForm(data)
    if not form.is_valid():
        return fail(request, EditorialError("The form was incomplete; reload the page and try again."), detail_url(pk))
    try:
        # The form's fields (version, reason) are the service's arguments.
        article = editorial.transition_article(article=article, action=action, user=request.user, **form.cleaned_data)
    except EditorialError as exc:
        if wants_json(request):
            return fail(request, exc, detail_url(pk))
        # Refused (another editor was first, say): back at the row all the same, message on top.
        messages.error(request, str(exc))
        return redirect(at_queue_row(request, safe_next(request, detail_url(pk)), article))
    selectors_queue.forget_match_counts()
    message = SUCCESS_MESSAGES[action].format(short(article.title))
    if action == Action.PUBLISH:
        message += held_back_note(article)
    if wants_json(request):
        return JsonResponse(inplace_payload(request, article, message))
    messages.success(request, message)
    # A queue row's plain post (no JavaScript) goes back to that row, or the next one.
    return redirect(at_queue_row(request, safe_next(request, detail_url(pk)), article))


def inplace_payload(request, article, message):
    """What curator-actions.js puts in place after a write: the article's buttons as they are now
    (a queue row's, or the article page's with its history), its state and version."""
    article = Article.objects.select_related("provider", "state_changed_by").get(pk=article.pk)
    compact = request.POST.get("compact") == "1"  # a queue row's buttons, not the article page's forms
    offers = ActionUrls().offers(article, editorial.allowed_actions(request.user))
    notes = action_notes(article, editorial.needs_completing(article))
    if compact:
        # The row's link to the item's page (a reason given with a note) carries the queue's
        # filters, as the row drawn with the page does (views.rows.QueueRows.row).
        query = queue_querystring(params_of(safe_next(request, "")))
        page = f"{detail_url(article.pk)}?{query}" if query else detail_url(article.pk)
        actions = render_row_actions(article, offers, notes, page)
    else:
        context = {
            "article": article,
            "offers": offers,
            "notes": notes,
            "reasons": selectors_reasons.offered_reasons(),
            "next_url": safe_next(request, ""),
        }
        actions = render_to_string("curation/_article_actions.html", context, request=request)
    history = story = state_change = rejection = None
    if not compact:
        # The article page lists the editorial history; the action just taken belongs in it.
        article.recent_actions = list(
            article.actions.select_related("actor").order_by("-created_at", "-id")[: selectors.HISTORY_ROWS]
        )
        history = render_to_string(
            "curation/_history.html", {"article": article, "history_rows": selectors.HISTORY_ROWS}, request=request
        )
        # The "Same story" panel shows this item's state and the story's published count: a
        # decision in place left it saying "New" and "0 published" beside a "Published" badge.
        this_url = safe_next(request, detail_url(article.pk))
        story = render_to_string(
            "curation/_same_story_fresh.html", {"article": article, "this_url": this_url}, request=request
        )
        state_change = render_to_string("curation/_state_change.html", {"article": article}, request=request)
        rejection = render_to_string("curation/_rejection_notice.html", {"article": article}, request=request)
    state_key, state_label = article.status()
    return {
        "ok": True,
        "message": message,
        "id": article.pk,
        "state": state_key,
        "state_label": state_label,
        "version": article.version,
        "actions_html": actions,
        "history_html": history,
        "story_html": story,
        "state_change_html": state_change,
        "rejection_html": rejection,
    }
