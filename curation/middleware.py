"""Requests that must not reach a view, and database trouble a view could not avoid, are
answered with a status and a message (a styled page, or JSON for the API and for in-place
requests), never a traceback and a 500.
"""

import logging
import sys

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.db import OperationalError
from django.http import HttpResponse, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from django.views.defaults import server_error as plain_server_error

from curation.services import transactions

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
RETRY_AFTER_SECONDS = 5

TITLES = {
    400: "Bad request",
    404: "Not found",
    409: "Changed at the same moment",
    503: "Temporarily unavailable",
}

MESSAGES = {
    transactions.CONFLICT: (
        409,
        "Someone else changed the same items at the same moment, so nothing was saved. Reload the page and try again.",
    ),
    transactions.BUSY: (503, "The database is busy; nothing was saved. Try again in a few seconds."),
    transactions.UNAVAILABLE: (503, "The database cannot be reached just now; nothing was saved. Try again shortly."),
}


def wants_json(request):
    # A path ending in .json (the statistics' data) answers JSON whatever the client accepts.
    path = request.path
    return path.startswith(API_PREFIX) or path.endswith(".json") or "application/json" in request.headers.get("Accept", "")


def problem_response(request, status, message, *, retry_after=None):
    """An error answer the client can read: JSON for the API and fetch() requests, else a page.

    The page is rendered without the request's context (no session, no user): it must
    work when the database does not.
    """
    if wants_json(request):
        response = JsonResponse({"ok": False, "error": message}, status=status)
    else:
        html = render_to_string("errors/problem.html", {"title": TITLES.get(status, "Error"), "message": message})
        response = HttpResponse(html, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


class RefuseNulMiddleware:
    """A NUL character in the path or the query string is never meant: no page takes one,
    and PostgreSQL refuses it in any text parameter (a DataError, a 500) where SQLite takes
    it. Refused here once, the same on both databases."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            return problem_response(request, 400, "The address contains a NUL character, which no page accepts.")
        return self.get_response(request)


class RefuseUnreadableBodyMiddleware:
    """A POST body Django cannot read (a urlencoded form declared in another charset than
    UTF-8, a broken multipart body, more fields or bytes than the settings allow) is a 400
    with a message here, before the CSRF check reads it. Left to Django, the error page's
    own CSRF check (`requires_csrf_token`) reads the body again and raises again, so with
    any `csrftoken` cookie a `charset=utf-16` form escaped every handler: a 500 that an
    anonymous client could cause at will, on any URL."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST":
            try:
                request.POST  # noqa: B018 - parsed once here; the CSRF check and the view reuse it
            except (BadRequest, SuspiciousOperation, MultiPartParserError, UnreadablePostError) as exc:
                log.warning("%s %s: unreadable body: %s", request.method, request.path, exc)
                return problem_response(
                    request,
                    400,
                    "The form data could not be read (its encoding, size or number of fields is not one this "
                    "site accepts); nothing was saved.",
                )
        return self.get_response(request)


class DatabaseTroubleMiddleware:
    """Turns an OperationalError that reached the view layer (after the services' own
    retries) into 409 or 503 with a message and a log line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError):
            return None
        kind = transactions.classify(exception)
        status, message = MESSAGES[kind]
        log.warning("%s %s: database %s: %s", request.method, request.path, kind, exception)
        return problem_response(request, status, message, retry_after=RETRY_AFTER_SECONDS if status == 503 else None)


def server_error(request):
    """handler500: database trouble raised outside a view (loading the session, rendering
    a template) is the same 503 as inside one; anything else is Django's plain 500 page."""
    exception = sys.exc_info()[1]
    kind = transactions.classify(exception)
    if kind is None:
        return plain_server_error(request)
    status, message = MESSAGES[kind]
    return problem_response(request, status, message, retry_after=RETRY_AFTER_SECONDS if status == 503 else None)
