"""The refusal pages: a styled 403 that says why (Django's handler403 and the CSRF failure
view both land here), in the site's layout; for a request that asks for JSON (the curator's
decisions in place, the bulk bar's run over every match), the same reason as JSON, which the
scripts show as it is."""

from django.http import JsonResponse
from django.shortcuts import render

from curation.views.common import wants_json

DEFAULT_REASON = "Your account does not have permission to do that."
CSRF_REASON = (
    "The form was sent without a valid security token, usually because the page was open for a long time "
    "or you logged out and in again in another tab. Go back, reload the page and try again."
)


def _refused(request, reason, title=None):
    if wants_json(request):
        # As an HTML page, the bulk bar read it as "The bulk action stopped: reload the queue
        # to see where it got to" (nothing had run), a decision in place as a bare HTTP 403.
        return JsonResponse({"ok": False, "error": reason}, status=403)
    context = {"reason": reason, **({"title": title} if title else {})}
    return render(request, "errors/403.html", context, status=403)


def permission_denied(request, exception=None):
    return _refused(request, str(exception or "").strip() or DEFAULT_REASON)


def csrf_failure(request, reason=""):
    return _refused(request, CSRF_REASON, title="The form expired")
