"""Small JSON lookups for type-ahead fields (the edit form's topics; provider pickers):
signed-in users only, at most LOOKUP_LIMIT results, no HTML."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from curation import selectors


def _answer(items, label=str):
    response = JsonResponse({"results": [{"id": item.pk, "name": item.name, "label": label(item)} for item in items]})
    response["Cache-Control"] = "private, max-age=30"
    return response


@login_required
@require_GET
def topics(request):
    return _answer(selectors.topic_suggestions(request.GET.get("q", "")))


@login_required
@require_GET
def providers(request):
    return _answer(selectors.provider_suggestions(request.GET.get("q", "")))
