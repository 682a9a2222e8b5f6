"""What every curator view shares: access, where to go back to, and how a refusal is told.

Views stay thin: reads come from `curation.selectors`, every write goes through
`curation.services`, which checks permissions, versions and state rules and writes the
audit row. The views translate its exceptions into what the editor sees:

- PermissionDenied -> 403 (raised through);
- ConflictError -> 409 for an in-place (fetch) request, else a message and a redirect;
- InvalidTransition / InvalidEdit / EditorialError -> 400 in place, else a message.

An in-place request is one that asks for JSON (`Accept: application/json`), as
static/js/curator-actions.js does; every action is also a plain HTML form that works without it.
"""

from functools import lru_cache, wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import redirect
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from curation import selectors
from curation.filters import ArticleFilterSet
from curation.models import Article, ScheduleStatus
from curation.services import editorial
from curation.services.editorial import Action, ConflictError

READ_PERMISSION = "curation.view_article"
QUEUE_PARAMS = frozenset(ArticleFilterSet.base_filters) | {"size"}


class CuratorAccessMixin(PermissionRequiredMixin):
    """Anonymous users go to the login page; signed-in users without the read permission get 403."""

    permission_required = READ_PERMISSION
    permission_denied_message = (
        "Your account cannot open the curation workspace. Ask an administrator to add you to the Viewers or Editors group."
    )


def queue_querystring(params, drop=(), **extra):
    """The filter, sort and size part of a querystring (no cursor, nothing else), to carry
    between queue pages and the article pages opened from them; `drop` leaves more out."""
    pairs = [
        (key, value)
        for key, values in params.lists()
        if key in QUEUE_PARAMS and key not in drop
        for value in values
        if value
    ]
    pairs.extend((key, value) for key, value in extra.items() if value)
    return urlencode(pairs)


def params_of(url):
    """The parameters in `url`'s querystring, as a request's GET holds them: a page drawn for
    a POST reads the queue's filters from the address it came from (its `next`)."""
    return QueryDict(urlsplit(url).query)


def wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


# A refused bulk decision sends the editor back to the queue: what they had ticked and chosen
# is kept for that one page (see keep_ticked).
REFUSED_BULK_SESSION_KEY = "curation_refused_bulk"
_KEPT_TEXT = {"action": 40, "reason_code": 64, "reason": 2000, "scope": 16}

# The bulk bar's controls, by the name a refusal gives its field (a form's field or an
# InvalidEdit's key): the queue takes the editor to that control and says what is wrong
# there. The service names the schedule's interval "interval"; the form, "interval_minutes".
BULK_BAR_CONTROLS = {
    "action": "bulk-action",
    "reason_code": "bulk-reason-code",
    "reason": "bulk-reason",
    "go_live_at": "bulk_go_live_at",
    "interval_minutes": "bulk_interval_minutes",
    "interval": "bulk_interval_minutes",
    "expire_at": "bulk_expire_at",
    "time_zone": "bulk_time_zone",
}
BULK_SCHEDULE_FIELDS = frozenset({"go_live_at", "interval_minutes", "expire_at", "time_zone"})
# The schedule's typed values come back with a refusal about them (the field's own length
# bounds what anyone types; a time zone's name is short).
_KEPT_SCHEDULE = {"go_live_at": 64, "interval_minutes": 16, "expire_at": 64, "time_zone": 64}


def refused_field(errors):
    """The first of a refusal's fields ({name: message}, an InvalidEdit's `errors` or a form's)
    that the bulk bar has a control for: (name, its message), or ("", "") if none."""
    for name, message in errors.items():
        if name in BULK_BAR_CONTROLS:
            if not isinstance(message, str):  # a form's ErrorList
                message = " ".join(str(part) for part in message)
            return ("interval_minutes" if name == "interval" else name), message
    return "", ""


def keep_ticked(request, errors=None):
    """Remember the ticked rows and the decision of a refused bulk POST (a missing reason, a
    bad schedule), so that the queue it goes back to shows them again instead of making the
    editor tick every row anew; and the bar's field the refusal is about (`errors`: the
    service's or the form's {field: message}), which the queue then focuses and marks. Ids
    are digits only and no more than one run may take."""
    ids = [
        value
        for value in request.POST.getlist("ids")[: editorial.MAX_BULK_ITEMS]
        if value.isascii() and value.isdigit() and len(value) <= 18
    ]
    field, error = refused_field(errors or {})
    if ids or field:
        kept = {name: request.POST.get(name, "")[:limit] for name, limit in _KEPT_TEXT.items()}
        if field in BULK_SCHEDULE_FIELDS:
            kept.update((name, request.POST.get(name, "")[:limit]) for name, limit in _KEPT_SCHEDULE.items())
        request.session[REFUSED_BULK_SESSION_KEY] = {"ids": ids, **kept, "field": field, "error": error[:500]}


def take_ticked(request):
    """What keep_ticked remembered (once): {"ids": frozenset of ints, "action": ..., ...,
    "field": the refused field's name or "", "field_id": its control's id, "error": why}, or
    an empty dict."""
    kept = request.session.pop(REFUSED_BULK_SESSION_KEY, None)
    if not isinstance(kept, dict):
        return {}
    ids = frozenset(int(value) for value in kept.get("ids", ()) if isinstance(value, str) and value.isdigit())
    field = kept.get("field") if kept.get("field") in BULK_BAR_CONTROLS else ""
    texts = {name: str(kept.get(name, "")) for name in (*_KEPT_TEXT, *_KEPT_SCHEDULE, "error")}
    return {
        "ids": ids,
        **texts,
        "field": field,
        "field_id": BULK_BAR_CONTROLS.get(field, ""),
        "in_schedule": field in BULK_SCHEDULE_FIELDS,  # said under that field, in the schedule options
    }


# The tag of a story act's message: the article page shows it in its "Same story" panel,
# where the act's page load lands (#same-story), not at the page's top, out of sight.
SAME_STORY_MESSAGE = "same-story"

# A refused merge on an article page ("Same story"'s form: no article at that id or URL, or the
# service's refusal): what the editor typed and why, kept for the page it goes back to, which
# focuses the field with the reason beside it instead of an emptied field below the fold.
REFUSED_MERGE_SESSION_KEY = "curation_refused_merge"


def keep_refused_merge(request, article_pk, typed, error):
    request.session[REFUSED_MERGE_SESSION_KEY] = {"article": article_pk, "typed": typed[:2000], "error": error}


def take_refused_merge(request, article_pk):
    """What keep_refused_merge remembered for this article (once): {"typed", "error"}, or None."""
    kept = request.session.pop(REFUSED_MERGE_SESSION_KEY, None)
    if not isinstance(kept, dict) or kept.get("article") != article_pk:
        return None
    return {"typed": str(kept.get("typed", ""))[:2000], "error": str(kept.get("error", ""))}


def safe_next(request, fallback):
    """Where to go back to: a path on this site, or `fallback`. Only a path (never a host,
    and never a bare word, which redirect() would take for a URL name and fail on)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and not target.startswith("//")
        # Browsers drop tabs and line breaks from a link before reading it, so "/<LF>//evil.example"
        # is "///evil.example", another site; Django reads it as a path on this one (it strips
        # them too, then sees no host in three slashes). The edit page's Back and Cancel links
        # print `next` as it is. No address of this site holds a control character.
        and not any(ord(char) < 0x20 or ord(char) == 0x7F for char in target)
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    ):
        return target
    return fallback


def back_at_control(url, control_id):
    """`url` at the control the editor just pressed (a toggle that reloads the page): without
    JavaScript the next Tab goes on from there, with it curator-keys.js focuses it; a page load
    otherwise starts the keyboard over at the top, past the navigation and every filter."""
    return url.split("#")[0] + "#" + control_id


def fail(request, exc, fallback_url):
    """A refused write: JSON with 409 (conflict) or 400 in place, else a message and a redirect."""
    message = str(exc)
    if wants_json(request):
        return JsonResponse({"ok": False, "error": message}, status=409 if isinstance(exc, ConflictError) else 400)
    messages.error(request, message)
    return redirect(safe_next(request, fallback_url))


def form_errors_json(form):
    """A refused form, for an in-place request: the reasons, each under its field's name."""
    errors = {name: [str(message) for message in messages] for name, messages in form.errors.items()}
    summary = "; ".join(
        f"{form.fields[name].label or name}: {messages[0]}" if name in form.fields else messages[0]
        for name, messages in errors.items()
    )
    return JsonResponse({"ok": False, "error": summary or "The form was refused.", "errors": errors}, status=400)


def held_back_note(article):
    """For a publish message: when readers will see an item published but held back (under
    embargo), in the editor's zone; "" when they see it now. "Published" alone read as live."""
    if article.schedule_status() != ScheduleStatus.SCHEDULED:
        return ""
    at = timezone.localtime(article.goes_live_at).strftime("%Y-%m-%d %H:%M %Z")
    why = "when its embargo ends" if article.embargo_until == article.goes_live_at else "at its go-live time"
    return f" Readers see it from {at}, {why}."


def short(text, length=80):
    return text if len(text) <= length else text[: length - 1] + "…"


def article_light(pk):
    """The few columns a write view needs before the service locks the row, or 404."""
    try:
        return Article.objects.only("pk", "title", "version", "state").get(pk=pk)
    except Article.DoesNotExist:
        raise Http404("No such article.") from None


def article_for_page_or_404(pk):
    try:
        return selectors.article_for_page(pk)
    except Article.DoesNotExist:
        raise Http404("No such article.") from None


def detail_url(pk):
    return reverse("curation:article-detail", args=[pk])


def require_edit_permission(user):
    """Refuse before showing or validating a form the user could not submit anyway
    (the service checks again when it writes)."""
    if not editorial.can_perform(user, Action.EDIT):
        raise PermissionDenied("You do not have permission to edit articles.")


def article_form_post(form_class, *, check=require_edit_permission, **form_options):
    """A form an editor posts about one article: logged in, POST only, and `check(user)`
    (which raises PermissionDenied) before the form is read. The view is called with the
    article (its few columns, or 404) and the bound form in place of the URL's `pk`."""

    def decorator(view):
        @login_required
        @require_POST
        @wraps(view)
        def post(request, pk, **kwargs):
            check(request.user)
            return view(request, article_light(pk), form_class(request.POST, **form_options), **kwargs)

        return post

    return decorator


class UrlTemplate:
    """reverse() once a process, then format per id: reversing for every button of every row
    is a noticeable share of a queue page's time, and a page builds a dozen of these."""

    SENTINEL = 918273645

    def __init__(self, name, *extra):
        # The URL conf and script prefix are part of the key (as {% route %}'s): a request
        # or a test may change them.
        self.prefix, self.suffix = _around_sentinel(name, extra, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())

    def __call__(self, pk):
        return f"{self.prefix}{int(pk)}{self.suffix}"


@lru_cache(maxsize=128)
def _around_sentinel(name, extra, urlconf, prefix):
    return tuple(reverse(name, args=[UrlTemplate.SENTINEL, *extra], urlconf=urlconf).split(str(UrlTemplate.SENTINEL)))


class ActionUrls:
    """The URL of each transition for any article id (one reverse() per kind)."""

    def __init__(self):
        self._urls = {action: UrlTemplate("curation:article-action", action) for action in editorial.TRANSITIONS}

    def offers(self, article, allowed):
        """[(transition, url)] for the buttons the service says this article offers."""
        return [
            (transition, self._urls[transition.action](article.pk))
            for transition in editorial.available_actions(article, allowed)
        ]
