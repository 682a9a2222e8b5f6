"""The article page, and the forms that change what an article says: edit, complete, attach."""

from urllib.parse import parse_qsl

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django.views.generic import DetailView

from curation import selectors, selectors_reasons
from curation.filters import ArticleFilterSet
from curation.forms import AttachForm, CompleteForm, EditForm, add_refusal_errors, open_at
from curation.models import Article, ArticleState
from curation.redaction import displayable_front_matter
from curation.services import editorial, source_changes
from curation.services.editorial import Action, ConflictError, EditorialError, InvalidEdit
from curation.views.actions import inplace_payload
from curation.views.common import (
    SAME_STORY_MESSAGE,
    ActionUrls,
    CuratorAccessMixin,
    article_for_page_or_404,
    article_form_post,
    detail_url,
    fail,
    form_errors_json,
    params_of,
    queue_querystring,
    require_edit_permission,
    safe_next,
    short,
    take_refused_merge,
    wants_json,
)
from curation.views.rows import action_notes


def article_page_context(request, article, **forms):
    params = queue_params(request, article)
    filterset = ArticleFilterSet(params, queryset=Article.objects.all(), request=request)
    query = queue_querystring(params)
    previous = following = None
    if filterset.is_valid():
        queryset = filterset.qs  # evaluating the filters tells whether to sort by index
        previous, following = selectors.neighbours(
            queryset, article, sort_key=filterset.sort_key, by_index=filterset.sort_by_index
        )
    after = ""
    if previous is not None:
        # Back to the queue page that starts at this article.
        sort = selectors.SORTS.get(filterset.sort_key) or selectors.SORTS[selectors.DEFAULT_SORT]
        after = selectors.Cursor.of(previous, sort).encode()
    back_query = queue_querystring(params, after=after)
    allowed = editorial.allowed_actions(request.user)
    context = {
        "article": article,
        "object": article,
        "queue_query": query,
        "back_url": reverse("curation:queue") + (f"?{back_query}" if back_query else ""),
        "previous_article": previous,
        "next_article": following,
        "this_url": page_url(request, article),
        "offers": ActionUrls().offers(article, allowed),
        "reasons": selectors_reasons.offered_reasons(),
        # A queue row's "Other…" (a reason that needs a note) opens the page to give it: the
        # reason chosen, the note's field focused. It opened at the top with neither.
        "reject_with": _reason_asked(params),
        "can_edit": editorial.can_perform(request.user, Action.EDIT),
        "front_matter": displayable_front_matter(article),
        "history_rows": selectors.HISTORY_ROWS,
        "import_history": selectors.import_history(article.recent_ledger),
        "publish_blocked": editorial.needs_completing(article),
        "source_differences": source_changes.source_differences(article) if article.source_changed_at else [],
        "merge_refusal": take_refused_merge(request, article.pk),
        # base.html leaves these out of the page's top: the panel says them (_same_story.html).
        "messages_in_panel": SAME_STORY_MESSAGE,
    }
    context["notes"] = action_notes(article, context["publish_blocked"])
    if context["publish_blocked"] and article.state in (ArticleState.NEW, ArticleState.REJECTED):
        context["complete_form"] = forms.get("complete_form") or CompleteForm(initial=_complete_initial(article))
        problems = editorial.article_publication_problems(article)
        context["missing_fields"] = [label for name, label in editorial.PUBLICATION_LABELS.items() if name in problems]
        if article.is_body_only and article.state == ArticleState.NEW:
            context["attach_form"] = forms.get("attach_form") or AttachForm(initial={"expected_version": article.version})
            context["attach_search"] = params.get("attach_q", "")
            # The search is a GET of this page: it carries the queue's filters on (Back to the
            # queue, Previous and Next walked the plain queue after a search).
            context["attach_search_keeps"] = parse_qsl(query)
            context["attach_candidates"] = selectors.attach_candidates(article, search=context["attach_search"])
    return context


def _reason_asked(params):
    """The offered reason a queue row's menu sent the editor here to reject with, or ""."""
    code = params.get("reject_with", "")
    return code if any(code == offered for offered, _label, _note in selectors_reasons.offered_reasons()) else ""


def page_url(request, article):
    """Where the page's forms come back to. A refused form shows the page again from its
    POST (.../schedule/, .../complete/): its forms came back to that address, and the next
    Schedule, Publish or Reject, which worked, landed on "405 Method Not Allowed". They go
    back to the page the editor came from instead."""
    if request.method == "GET":
        if "reject_with" not in request.GET:
            return request.get_full_path()
        kept = request.GET.copy()
        kept.pop("reject_with")  # asked once: the page the forms come back to does not ask again
        return f"{request.path}?{kept.urlencode()}" if kept else request.path
    return safe_next(request, detail_url(article.pk))


def queue_params(request, article):
    """The queue's filters, sort and size the page was opened with (the queue's row link
    carries them). A page drawn again for a refused form is the answer to its POST, whose
    address has none: they are read from the page the form came from, so that "Back to the
    queue", Previous and Next still walk the editor's filtered queue."""
    if request.method == "GET":
        return request.GET
    return params_of(page_url(request, article))


def _complete_initial(article):
    """The form starts from what the item has, so that an untouched field is unchanged."""
    return {
        "expected_version": article.version,
        "title": article.title,
        "web_url": article.web_url,
        "excerpt": article.excerpt,
        "category": article.category,
        "provider_name": article.provider.name if article.provider_id else "",
        "provider_domain": article.provider.domain if article.provider_id else "",
        "published_at": timezone.localtime(article.published_at) if article.published_at else None,
        "topics": ", ".join(topic.name for topic in article.topics.all()),
    }


class ArticleDetailView(CuratorAccessMixin, DetailView):
    model = Article
    template_name = "curation/article_detail.html"

    def get_object(self, queryset=None):
        return article_for_page_or_404(self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(article_page_context(self.request, self.object))
        return context


def _form_refused(request, article, **forms):
    """A form of the article page that did not go through: its errors in place (JSON), or
    the page again with the form as typed (status 400)."""
    if wants_json(request):
        (form,) = forms.values()
        return form_errors_json(form)
    article = article_for_page_or_404(article.pk)
    return render(request, "curation/article_detail.html", article_page_context(request, article, **forms), status=400)


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request, pk):
    """Edit the title, excerpt and topics; edits are recorded and survive re-import."""
    require_edit_permission(request.user)
    article = article_for_page_or_404(pk)
    if request.method == "GET":
        form = EditForm(
            initial={
                "expected_version": article.version,
                "title": article.title,
                "excerpt": article.excerpt,
                "topics": ", ".join(topic.name for topic in article.topics.all()),
            }
        )
        return render(request, "curation/article_edit.html", _edit_context(request, article, form))
    form = EditForm(request.POST)
    if form.is_valid():
        try:
            # The form's fields are the service's arguments.
            edited = editorial.edit_article(article=article, user=request.user, **form.cleaned_data)
        except ConflictError as exc:
            return fail(request, exc, detail_url(pk))  # 409 in place, else a message and a redirect
        except InvalidEdit as exc:  # UnknownTopics too: the form offers to create them
            add_refusal_errors(form, exc)
        except EditorialError as exc:
            form.add_error(None, str(exc))
        else:
            message = "Saved your changes. They will survive a re-import."
            if wants_json(request):
                return JsonResponse(inplace_payload(request, edited, message))
            messages.success(request, message)
            return redirect(safe_next(request, detail_url(pk)))
    if wants_json(request):
        return form_errors_json(form)
    return render(request, "curation/article_edit.html", _edit_context(request, article, form), status=400)


def _edit_context(request, article, form):
    return {
        "article": article,
        "form": open_at(form, "title"),
        "next_url": safe_next(request, ""),
    }


@article_form_post(CompleteForm)
def article_complete(request, article, form):
    """Give an item the metadata publishing needs."""
    if form.is_valid():
        try:
            editorial.complete_article(article=article, user=request.user, **form.cleaned_data)
        except InvalidEdit as exc:  # UnknownTopics too: the form offers to create them
            add_refusal_errors(form, exc)
        except EditorialError as exc:
            messages.error(request, str(exc))
            return redirect(detail_url(article.pk))
        else:
            messages.success(request, "Metadata completed: the item can now be published.")
            return redirect(detail_url(article.pk))
    return _form_refused(request, article, complete_form=form)


@article_form_post(AttachForm)
def article_attach(request, article, form):
    """Attach a body-only item's text to an existing article; the item becomes merged."""
    if form.is_valid():
        target_id = form.cleaned_data["target"]
        if not Article.objects.filter(pk=target_id).exists():
            form.add_error("target_id", f"There is no article #{target_id}.")
        else:
            version = form.cleaned_data["expected_version"]
            try:
                target = editorial.attach_body(item=article, target=target_id, user=request.user, expected_version=version)
            except EditorialError as exc:
                messages.error(request, str(exc))
                return redirect(detail_url(article.pk))
            replaced = target.replaced_body.strip()
            note = (
                f" The text it had ({len(replaced):,} characters) was replaced; its history keeps it." if replaced else ""
            )
            messages.success(request, f"Attached the body to “{short(target.title)}”.{note}")
            return redirect(detail_url(target.pk))
    return _form_refused(request, article, attach_form=form)
