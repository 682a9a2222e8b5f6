"""The "Merge into…" action of the topic and provider lists (curation.services.taxonomy_merge).

The action first answers with a page that lists the selected rows and what refers to each
(articles, related coverage, rules) and asks which one to keep; that page's form posts back
to the same action with `keep`. Nothing is written before that second POST. Every refusal
(too few selected, a row gone meanwhile or never there, a `keep` that is not one of them,
no permission) is a message in the admin, never a server error.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from curation import selectors_queue
from curation.services import taxonomy_merge
from curation.services.taxonomy_merge import MergeRefused


class MergeForm(forms.Form):
    """Which of the selected rows to keep: one of them, nothing else."""

    keep = forms.TypedChoiceField(
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose which one to keep.",
            "invalid_choice": "Choose which one to keep: one of those listed.",
        },
    )

    def __init__(self, candidates, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].choices = [(candidate.obj.pk, str(candidate.obj)) for candidate in candidates]


def _most_referred(candidates):
    """The row to offer as the one to keep: the one with the most articles (the earliest on a tie)."""
    return max(candidates, key=lambda c: (c.articles + c.coverage, len(c.rules), -c.obj.pk)).obj.pk


class MergeActionMixin:
    """ModelAdmin mixin for TopicAdmin and ProviderAdmin: the `merge_selected` action.
    `merge_service` is the service function that merges this model's rows."""

    merge_service = None  # staticmethod(taxonomy_merge.merge_topics), ...

    @admin.action(description="Merge into…", permissions=["change", "delete"])
    def merge_selected(self, request, queryset):
        if request.POST.get("select_across") == "1":
            # "Select all N" (every row the list matches): the service refuses more than it
            # allows, so read at most one past that.
            ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: taxonomy_merge.MAX_MERGED + 2])
        else:
            # The ids as posted, not the queryset: one that no longer exists is named, not dropped.
            ids = [int(pk) for pk in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)]
        try:
            candidates = taxonomy_merge.merge_candidates(self.model, ids)
        except MergeRefused as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return None
        confirming = "merge_confirmed" in request.POST
        form = MergeForm(candidates, request.POST if confirming else None, initial={"keep": _most_referred(candidates)})
        if confirming and form.is_valid():
            try:
                result = self.merge_service(keep=form.cleaned_data["keep"], ids=ids, user=request.user)
            except PermissionDenied as exc:
                self.message_user(request, str(exc) or "You may not merge these.", messages.ERROR)
                return None
            except MergeRefused as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return None
            selectors_queue.forget_match_counts()  # the queue's counts by topic or provider changed
            self.message_user(request, result.summary, messages.SUCCESS)
            return None  # back to the list
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": f"Merge {opts.verbose_name_plural}",
            "opts": opts,
            "candidates": candidates,
            "form": form,
            "options": list(zip(candidates, form["keep"], strict=True)),
            "is_topic": self.model._meta.model_name == "topic",
            "ids": [candidate.obj.pk for candidate in candidates],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/curation/merge_confirmation.html", context, status=400 if form.errors else 200
        )
