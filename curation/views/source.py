"""What the source changed after editorial work: take the source's value of one field, or
mark the change as reviewed. Plain form posts from the article page (they redirect back
with a message, with or without JavaScript)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from curation.forms import VersionedForm
from curation.services import source_changes
from curation.services.editorial import EditorialError
from curation.views.common import article_form_post, article_light, detail_url, fail, require_edit_permission, short


@login_required
@require_POST
def take_source_value(request, pk, field):
    if field not in source_changes.COMPARABLE_FIELDS:
        raise Http404("No such field.")
    require_edit_permission(request.user)
    article = article_light(pk)
    form = VersionedForm(request.POST)
    expected = form.cleaned_data["expected_version"] if form.is_valid() else None
    try:
        article = source_changes.take_source_value(
            article=article, field=field, user=request.user, expected_version=expected
        )
    except EditorialError as exc:
        return fail(request, exc, detail_url(pk))
    label = source_changes.COMPARABLE_FIELDS[field].lower()
    messages.success(request, f"“{short(article.title)}” now has the source's {label}; later imports will refresh it.")
    return redirect(detail_url(pk) + "#source-changes")


@article_form_post(VersionedForm)
def source_reviewed(request, article, form):
    expected = form.cleaned_data["expected_version"] if form.is_valid() else None
    try:
        article = source_changes.mark_source_change_reviewed(article=article, user=request.user, expected_version=expected)
    except EditorialError as exc:
        return fail(request, exc, detail_url(article.pk))
    messages.success(request, f"Marked the source's change to “{short(article.title)}” as reviewed.")
    return redirect(detail_url(article.pk))
