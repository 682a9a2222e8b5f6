"""The refusal pages: a styled 403 that says why (Django's handler403 and the CSRF failure
view both land here), in the site's layout."""

from django.shortcuts import render

DEFAULT_REASON = "Your account does not have permission to do that."
CSRF_REASON = (
    "The form was sent without a valid security token, usually because the page was open for a long time "
    "or you logged out and in again in another tab. Go back, reload the page and try again."
)


def permission_denied(request, exception=None):
    reason = str(exception or "").strip() or DEFAULT_REASON
    return render(request, "errors/403.html", {"reason": reason}, status=403)


def csrf_failure(request, reason=""):
    return render(request, "errors/403.html", {"reason": CSRF_REASON, "title": "The form expired"}, status=403)
