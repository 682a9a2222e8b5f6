"""Small JSON endpoints behind the type-ahead fields: the queue's provider and topic filters,
the edit and complete forms' topics.

Signed-in curators only; at most a dozen results; labels go out as JSON strings and
curator-filters.js puts them in <option> values (never HTML), so a hostile name stays text."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from curation import selectors_queue
from curation.views.common import READ_PERMISSION


def _answer(rows):
    """rows: (id, label shown, name typed into a field)."""
    response = JsonResponse({"results": [{"id": pk, "label": label, "name": name} for pk, label, name in rows]})
    # Angle brackets and ampersands as JSON escapes too: the body is inert even if some
    # client took it for HTML.
    response.content = response.content.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")
    response["Cache-Control"] = "private, max-age=30"
    return response


@require_GET
@login_required
@permission_required(READ_PERMISSION, raise_exception=True)
def providers(request):
    return _answer(selectors_queue.provider_suggestions(request.GET.get("q", "")))


@require_GET
@login_required
@permission_required(READ_PERMISSION, raise_exception=True)
def topics(request):
    return _answer((pk, name, name) for pk, name in selectors_queue.topic_suggestions(request.GET.get("q", "")))
