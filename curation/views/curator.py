"""The curator workspace: the queue, the article page and the editorial actions.

Views stay thin: reads come from `curation.selectors`, every write goes through
`curation.services.editorial`, which checks permissions, versions and state rules and
writes the audit row. The views translate its exceptions into what the editor sees:

- PermissionDenied -> 403 (raised through);
- ConflictError -> 409 for an in-place (fetch) request, else a message and a redirect;
- InvalidTransition / InvalidEdit / EditorialError -> 400 in place, else a message.

An in-place request is one that asks for JSON (`Accept: application/json`), as
static/js/curator.js does; every action is also a plain HTML form that works without it.
"""

import html
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST
from django.views.generic import DetailView
from django_filters.views import FilterView

from curation import selectors
from curation.filters import ArticleFilterSet
from curation.forms import ACTION_LABELS, AttachForm, BulkActionForm, CompleteForm, EditForm, TransitionForm
from curation.models import HEAT_UNKNOWN, Article, ArticleState, Topic
from curation.redaction import displayable_front_matter
from curation.services import editorial
from curation.services.editorial import Action, ConflictError, EditorialError, InvalidEdit
from curation.validation import safe_url

READ_PERMISSION = "curation.view_article"
PAGE_SIZES = (20, 50, 100, 200)


QUEUE_PARAMS = frozenset(ArticleFilterSet.base_filters) | {"size"}


def queue_querystring(params, **extra):
    """The filter, sort and size part of a querystring (no cursor, nothing else), to carry
    between queue pages and the article pages opened from them."""
    pairs = [(key, value) for key, values in params.lists() if key in QUEUE_PARAMS for value in values if value]
    pairs.extend((key, value) for key, value in extra.items() if value)
    return urlencode(pairs)


def permissions_for(user):
    """What the templates may offer this user (the services check again on every write)."""
    return {
        "publish": editorial.can_perform(user, Action.PUBLISH),
        "unpublish": editorial.can_perform(user, Action.UNPUBLISH),
        "reject": editorial.can_perform(user, Action.REJECT),
        "restore": editorial.can_perform(user, Action.RESTORE),
        "edit": editorial.can_perform(user, Action.EDIT),
    }


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def _safe_next(request, fallback):
    """Where to go back to: a path on this site, or `fallback`. Only a path (never a host,
    and never a bare word, which redirect() would take for a URL name and fail on)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    ):
        return target
    return fallback


def _error_status(exc):
    return 409 if isinstance(exc, ConflictError) else 400


class _UrlTemplate:
    """reverse() once, then format per id: reversing for every button of every row cost a
    noticeable share of the queue page's time."""

    SENTINEL = 918273645

    def __init__(self, name, *extra):
        self.prefix, self.suffix = reverse(name, args=[self.SENTINEL, *extra]).split(str(self.SENTINEL))

    def __call__(self, pk):
        return f"{self.prefix}{int(pk)}{self.suffix}"


# Which buttons a row offers, by state (the service decides again on every request).
ROW_ACTIONS = {
    ArticleState.NEW: ("publish", "reject"),
    ArticleState.PUBLISHED: ("unpublish", "reject"),
    ArticleState.REJECTED: ("publish", "restore"),
    ArticleState.MERGED: (),
}


def _e(value):
    """Escape for HTML text and double-quoted attributes (every untrusted value goes through it)."""
    return html.escape(str(value), quote=True)


class QueueRow:
    """One queue row, rendered in Python.

    The queue page must stay well within 50 ms with 50 rows; through the template engine a
    row cost ~0.4 ms (two dozen variable and tag nodes), as much as the rest of the page.
    Here every value from the database goes through `_e` (html.escape) before it is
    placed; the tests check hostile titles, names and URLs on this page.
    """

    def __init__(self, article, *, urls, can, query, edit_next, can_bulk=True):
        self.article = article
        self.pk = article.pk
        self.can_bulk = can_bulk
        detail = urls["detail"](article.pk)
        self.detail_url = f"{detail}?{query}" if query else detail
        self.edit_url = f"{urls['edit'](article.pk)}?next={edit_next}" if can["edit"] else ""
        # topic_names / image_urls come from selectors.prefetch_listing (queue pages); a
        # single article (the in-place answer) reads its relations.
        image_urls = getattr(article, "image_urls", None)
        if image_urls is None:
            image_urls = [image.url for image in article.images.all()]
        self.thumbnail = next((url for url in map(safe_url, image_urls) if url), "")
        topic_names = getattr(article, "topic_names", None)
        self.topics = topic_names if topic_names is not None else [topic.name for topic in article.topics.all()]
        self.quality = "–" if article.quality is None else article.quality
        self.heat = "unknown" if article.heat is None or article.heat == HEAT_UNKNOWN else article.heat
        self.published = (
            timezone.localtime(article.published_at).strftime("%Y-%m-%d %H:%M") if article.published_at else "–"
        )
        self.state_key, self.state_label = article.status()  # "Scheduled" / "Expired" for published items
        self.blocked = editorial.needs_completing(article)  # cannot be published until completed
        self.merged_into_url = urls["detail"](article.merged_into_id) if article.merged_into_id else ""
        self.actions = [
            (action, ACTION_LABELS[action], urls[action](article.pk))
            for action in ROW_ACTIONS.get(article.state, ())
            if can[action] and not (action == "publish" and self.blocked)
        ]

    def actions_html(self):
        """The row's buttons: they submit the page's one #row-action-form (CSRF token, `next`,
        `compact`) to their own formaction, with the version the row showed as their value."""
        article = self.article
        parts = [f'<div class="article-actions" data-actions-for="{self.pk}">']
        for action, label, url in self.actions:
            parts.append(
                f'<button type="submit" form="row-action-form" formaction="{_e(url)}" name="expected_version" '
                f'value="{int(article.version)}" class="btn {action}" data-action="{action}">{_e(label)}</button>'
            )
        if self.blocked and article.state in (ArticleState.NEW, ArticleState.REJECTED):
            parts.append('<span class="hint">Needs metadata</span>')
        if article.state == ArticleState.MERGED:
            target = (
                f' into <a href="{_e(self.merged_into_url)}">#{int(article.merged_into_id)}</a>'
                if self.merged_into_url
                else ""
            )
            parts.append(f'<span class="hint">Merged{target}</span>')
        parts.append("</div>")
        return mark_safe("".join(parts))

    def __html__(self):
        article = self.article
        title = _e(article.title)
        edit = f' data-edit-url="{_e(self.edit_url)}"' if self.edit_url else ""
        select = (
            f'<td><input type="checkbox" name="ids" value="{self.pk}" form="bulk-form" aria-label="Select “{title}”"></td>'
            if self.can_bulk
            else ""
        )
        thumb = (
            f'<img class="thumb" src="{_e(self.thumbnail)}" alt="" loading="lazy" width="80" height="45" '
            'referrerpolicy="no-referrer">'
            if self.thumbnail
            else ""
        )
        tags = ' <span class="tag warn">needs metadata</span>' if self.blocked else ""
        if self.state_key == "scheduled":
            goes_live = timezone.localtime(article.goes_live_at).strftime("%Y-%m-%d %H:%M %Z")
            tags += f' <span class="tag">goes live {_e(goes_live)}</span>'
        if article.is_under_embargo():
            tags += ' <span class="tag warn">embargo</span>'
        if article.source_changed_at:
            tags += (
                ' <span class="tag warn" title="The source changed after an editorial decision">source changed</span>'
            )
        topics = "".join(f'<span class="topic">{_e(name)}</span>' for name in self.topics) or "–"
        provider = _e(article.provider.name) if article.provider_id and article.provider.name else "–"
        state = _e(article.state)
        return mark_safe(  # every interpolated value above and below is escaped or our own
            f'<tr class="queue-row state-{state}" data-article-id="{self.pk}" data-url="{_e(self.detail_url)}"{edit}>'
            f"{select}"
            f'<td class="thumb-col">{thumb}</td>'
            f'<td class="title-col"><a class="row-link" href="{_e(self.detail_url)}">{title}</a>{tags}</td>'
            f"<td>{provider}</td>"
            f'<td class="topics">{topics}</td>'
            f'<td class="num">{_e(self.quality)}</td>'
            f'<td class="num">{_e(self.heat)}</td>'
            f"<td>{_e(self.published)}</td>"
            f'<td><span class="state-badge state-{_e(self.state_key)}" data-state-for="{self.pk}">{_e(self.state_label)}</span></td>'
            f'<td class="num">{int(article.related_count)}</td>'
            f'<td class="actions-col">{self.actions_html()}</td>'
            "</tr>\n"
        )

    __str__ = __html__


def queue_rows(articles, *, user, query, this_url):
    urls = {"detail": _UrlTemplate("curation:article-detail"), "edit": _UrlTemplate("curation:article-edit")}
    for action in ACTION_LABELS:
        urls[action] = _UrlTemplate("curation:article-action", action)
    can = permissions_for(user)
    can_bulk = any(can.values())
    edit_next = quote(this_url, safe="")
    return [
        QueueRow(article, urls=urls, can=can, query=query, edit_next=edit_next, can_bulk=can_bulk)
        for article in articles
    ]


class CuratorAccessMixin(PermissionRequiredMixin):
    """Anonymous users go to the login page; signed-in users without the read permission get 403."""

    permission_required = READ_PERMISSION


# --- the queue ----------------------------------------------------------------------------


class QueueView(CuratorAccessMixin, FilterView):
    model = Article
    filterset_class = ArticleFilterSet
    template_name = "curation/article_filter.html"
    paginate_by = None  # keyset pagination in selectors.queue_page, never COUNT(*)

    def get_queryset(self):
        return Article.objects.all()

    def render_to_response(self, context, **kwargs):
        # A filter the form refuses lists nothing and says why next to the field: a 400,
        # like every other refused input (the API's filters, the edit form).
        if self.filterset.is_bound and not self.filterset.is_valid():
            kwargs.setdefault("status", 400)
        return super().render_to_response(context, **kwargs)

    def get_page_size(self):
        try:
            size = int(self.request.GET.get("size", selectors.DEFAULT_PAGE_SIZE))
        except ValueError:
            size = selectors.DEFAULT_PAGE_SIZE
        return max(1, min(size, selectors.MAX_PAGE_SIZE))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = selectors.queue_page(
            self.object_list,
            sort_key=self.filterset.sort_key,
            after=self.request.GET.get("after", ""),
            before=self.request.GET.get("before", ""),
            page_size=self.get_page_size(),
            by_index=self.filterset.sort_by_index,
        )
        query = queue_querystring(self.request.GET)
        this_url = self.request.get_full_path()
        context.update(
            page=page,
            articles=page.articles,
            rows=queue_rows(page.articles, user=self.request.user, query=query, this_url=this_url),
            queue_query=query,
            this_url=this_url,
            can=permissions_for(self.request.user),
            can_bulk=any(permissions_for(self.request.user).values()),
            action_labels=ACTION_LABELS,
            page_sizes=PAGE_SIZES,
        )
        return context


# --- the article page ---------------------------------------------------------------------


def _filterset_for(request):
    return ArticleFilterSet(request.GET, queryset=Article.objects.all(), request=request)


def article_page_context(request, article, **forms):
    filterset = _filterset_for(request)
    query = queue_querystring(request.GET)
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
    back_query = queue_querystring(request.GET, after=after)
    can = permissions_for(request.user)
    version = article.version
    context = {
        "article": article,
        "object": article,
        "queue_query": query,
        "back_url": reverse("curation:queue") + (f"?{back_query}" if back_query else ""),
        "previous_article": previous,
        "next_article": following,
        "this_url": request.get_full_path(),
        "can": can,
        "front_matter": displayable_front_matter(article),
        "history_rows": selectors.HISTORY_ROWS,
    }
    context["publish_blocked"] = editorial.needs_completing(article)
    if context["publish_blocked"] and article.state in (ArticleState.NEW, ArticleState.REJECTED):
        context["complete_form"] = forms.get("complete_form") or CompleteForm(initial=_complete_initial(article))
        problems = editorial.article_publication_problems(article)
        context["missing_fields"] = [label for name, label in editorial.PUBLICATION_LABELS.items() if name in problems]
        if article.is_body_only and article.state == ArticleState.NEW:
            context["attach_form"] = forms.get("attach_form") or AttachForm(initial={"expected_version": version})
            context["attach_search"] = request.GET.get("attach_q", "")
            context["attach_candidates"] = selectors.attach_candidates(article, search=context["attach_search"])
    return context


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


def _edit_form_for(article):
    return EditForm(
        initial={
            "expected_version": article.version,
            "title": article.title,
            "excerpt": article.excerpt,
            "topics": ", ".join(topic.name for topic in article.topics.all()),
        }
    )


def _article_or_404(pk):
    try:
        return selectors.article_for_page(pk)
    except Article.DoesNotExist:
        raise Http404("No such article.") from None


class ArticleDetailView(CuratorAccessMixin, DetailView):
    model = Article
    template_name = "curation/article_detail.html"

    def get_object(self, queryset=None):
        return _article_or_404(self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(article_page_context(self.request, self.object))
        return context


def _render_article_page(request, article, *, status, **forms):
    article = _article_or_404(article.pk)
    return render(
        request, "curation/article_detail.html", article_page_context(request, article, **forms), status=status
    )


# --- actions ------------------------------------------------------------------------------


def _inplace_payload(request, article, message):
    article = Article.objects.select_related("provider").get(pk=article.pk)
    if request.POST.get("compact") == "1":  # a queue row's buttons, not the article page's forms
        (row,) = queue_rows([article], user=request.user, query="", this_url=_safe_next(request, ""))
        actions = row.actions_html()
        history = None
    else:
        actions = render_to_string(
            "curation/_article_actions.html",
            {
                "article": article,
                "can": permissions_for(request.user),
                "next_url": _safe_next(request, ""),
                "publish_blocked": editorial.needs_completing(article),
            },
            request=request,
        )
        # The article page lists the editorial history; the action just taken belongs in it.
        article.recent_actions = list(
            article.actions.select_related("actor").order_by("-created_at", "-id")[: selectors.HISTORY_ROWS]
        )
        history = render_to_string(
            "curation/_history.html", {"article": article, "history_rows": selectors.HISTORY_ROWS}, request=request
        )
    return {
        "ok": True,
        "message": message,
        "id": article.pk,
        "state": article.status()[0],
        "state_label": article.status()[1],
        "version": article.version,
        "actions_html": actions,
        "history_html": history,
    }


def _form_errors_json(form):
    """A refused form, for an in-place request: the reasons, each under its field's name."""
    errors = {name: [str(message) for message in messages] for name, messages in form.errors.items()}
    summary = "; ".join(
        f"{form.fields[name].label or name}: {messages[0]}" if name in form.fields else messages[0]
        for name, messages in errors.items()
    )
    return JsonResponse({"ok": False, "error": summary or "The form was refused.", "errors": errors}, status=400)


def _fail(request, exc, fallback_url):
    message = str(exc)
    if _wants_json(request):
        return JsonResponse({"ok": False, "error": message}, status=_error_status(exc))
    messages.error(request, message)
    return redirect(_safe_next(request, fallback_url))


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
    article = _get_article_light(pk)
    detail_url = reverse("curation:article-detail", args=[pk])
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _fail(request, EditorialError("The form was incomplete; reload the page and try again."), detail_url)
    try:
        article = editorial.transition_article(
            article=article,
            action=action,
            user=request.user,
            expected_version=form.cleaned_data["expected_version"],
            reason=form.cleaned_data["reason"],
        )
    except EditorialError as exc:
        return _fail(request, exc, detail_url)
    message = SUCCESS_MESSAGES[action].format(_short(article.title))
    if _wants_json(request):
        return JsonResponse(_inplace_payload(request, article, message))
    messages.success(request, message)
    return redirect(_safe_next(request, detail_url))


def _get_article_light(pk):
    try:
        return Article.objects.only("pk", "title", "version", "state").get(pk=pk)
    except Article.DoesNotExist:
        raise Http404("No such article.") from None


def _short(text, length=80):
    return text if len(text) <= length else text[: length - 1] + "…"


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request, pk):
    """Edit the title, excerpt and topics; edits are recorded and survive re-import."""
    _require_edit_permission(request.user)
    article = _article_or_404(pk)
    detail_url = reverse("curation:article-detail", args=[pk])
    if request.method == "GET":
        form = _edit_form_for(article)
        return render(request, "curation/article_edit.html", _edit_context(request, article, form))
    form = EditForm(request.POST)
    if form.is_valid():
        try:
            edited = editorial.edit_article(
                article=article,
                user=request.user,
                title=form.cleaned_data["title"],
                excerpt=form.cleaned_data["excerpt"],
                topics=form.cleaned_data["topics"],
                expected_version=form.cleaned_data["expected_version"],
            )
        except ConflictError as exc:
            return _fail(request, exc, detail_url)  # 409 in place, else a message and a redirect
        except InvalidEdit as exc:
            for name, message in exc.errors.items():
                form.add_error(name if name in form.fields else None, message)
        except EditorialError as exc:
            form.add_error(None, str(exc))
        else:
            message = "Saved your changes. They will survive a re-import."
            if _wants_json(request):
                return JsonResponse(_inplace_payload(request, edited, message))
            messages.success(request, message)
            return redirect(_safe_next(request, detail_url))
    if _wants_json(request):
        return _form_errors_json(form)
    return render(request, "curation/article_edit.html", _edit_context(request, article, form), status=400)


def _require_edit_permission(user):
    """Refuse before showing or validating a form the user could not submit anyway
    (the service checks again when it writes)."""
    if not editorial.can_perform(user, Action.EDIT):
        raise PermissionDenied("You do not have permission to edit articles.")


def _edit_context(request, article, form):
    return {
        "article": article,
        "form": form,
        "next_url": _safe_next(request, ""),
        "topic_names": Topic.objects.order_by("name").values_list("name", flat=True)[:500],
    }


@login_required
@require_POST
def article_complete(request, pk):
    """Give a body-only item its missing metadata."""
    _require_edit_permission(request.user)
    article = _get_article_light(pk)
    detail_url = reverse("curation:article-detail", args=[pk])
    form = CompleteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            editorial.complete_article(
                article=article,
                user=request.user,
                title=data["title"],
                web_url=data["web_url"],
                excerpt=data["excerpt"],
                category=data["category"],
                provider_name=data["provider_name"],
                provider_domain=data["provider_domain"],
                published_at=data["published_at"],
                topics=data["topics"],
                expected_version=data["expected_version"],
            )
        except ConflictError as exc:
            messages.error(request, str(exc))
            return redirect(detail_url)
        except InvalidEdit as exc:
            for name, message in exc.errors.items():
                form.add_error(name if name in form.fields else None, message)
        except EditorialError as exc:
            messages.error(request, str(exc))
            return redirect(detail_url)
        else:
            messages.success(request, "Metadata completed: the item can now be published.")
            return redirect(detail_url)
    if _wants_json(request):
        return _form_errors_json(form)
    return _render_article_page(request, article, status=400, complete_form=form)


@login_required
@require_POST
def article_attach(request, pk):
    """Attach a body-only item's text to an existing article; the item becomes merged."""
    _require_edit_permission(request.user)
    article = _get_article_light(pk)
    detail_url = reverse("curation:article-detail", args=[pk])
    form = AttachForm(request.POST)
    if form.is_valid():
        target_id = form.cleaned_data["target"]
        if not Article.objects.filter(pk=target_id).exists():
            form.add_error("target_id", f"There is no article #{target_id}.")
        else:
            try:
                target = editorial.attach_body(
                    item=article,
                    target=target_id,
                    user=request.user,
                    expected_version=form.cleaned_data["expected_version"],
                )
            except EditorialError as exc:
                messages.error(request, str(exc))
                return redirect(detail_url)
            messages.success(request, f"Attached the body to “{_short(target.title)}”.")
            return redirect(reverse("curation:article-detail", args=[target.pk]))
    if _wants_json(request):
        return _form_errors_json(form)
    return _render_article_page(request, article, status=400, attach_form=form)


@login_required
@require_POST
def bulk_action(request):
    """Apply one action to the selected rows, one transaction per item."""
    if not any(editorial.can_perform(request.user, action) for action in editorial.TRANSITIONS):
        raise PermissionDenied("You do not have permission to change articles.")
    if request.POST.get("action") in ("schedule", "unschedule"):
        from curation.views.scheduling import bulk_schedule_action  # the schedule's own module

        return bulk_schedule_action(request)
    queue_url = reverse("curation:queue")
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_safe_next(request, queue_url))
    result = editorial.bulk_transition(
        action=form.cleaned_data["action"],
        article_ids=form.cleaned_data["ids"],
        user=request.user,
        reason=form.cleaned_data["reason"],
    )
    if result.failed and result.succeeded:
        messages.warning(request, result.message)
    elif result.failed:
        messages.error(request, result.message)
    else:
        messages.success(request, result.message)
    return redirect(_safe_next(request, queue_url))
