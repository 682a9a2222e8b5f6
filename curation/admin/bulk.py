"""What the article admin's bulk actions tell the admin, whichever service they call: what
succeeded, by title the first failures, or why the service refused the whole action."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.text import Truncator

from curation.services.editorial import Action, EditorialError

SHOWN_FAILURES = 10


class BulkActionsMixin:
    """Mixed into ArticleAdmin, with ScheduleAdminMixin."""

    def _refused(self, request, exc):
        text = "You do not have permission to do that." if isinstance(exc, PermissionDenied) else str(exc)
        self.message_user(request, text, messages.ERROR)

    def _report(self, request, result, verb, done=None):
        """`done`: what succeeded, in words (default: the result's own summary)."""
        if result.succeeded:
            self.message_user(request, done or result.summary, messages.SUCCESS)
        if result.failed:
            failed = result.failed
            shown = "; ".join(f"{Truncator(title).chars(60)} — {why}" for _, title, why in failed[:SHOWN_FAILURES])
            more = f" (and {len(failed) - SHOWN_FAILURES} more)" if len(failed) > SHOWN_FAILURES else ""
            self.message_user(request, f"{len(failed)} could not be {verb}: {shown}{more}", messages.WARNING)

    def _apply(self, request, service, verb, *, done=None, **arguments):
        """Call a bulk `service` for the admin and report its result (see `_report`)."""
        try:
            result = service(user=request.user, via="admin", **arguments)
        except (PermissionDenied, EditorialError) as exc:
            self._refused(request, exc)
            return
        self._report(request, result, verb, done=done(result) if done else None)


def transition_action(action, description, permission):
    """An admin action applying one editorial transition to the selected articles."""

    @admin.action(description=description, permissions=[permission])
    def transition_selected(model_admin, request, queryset):
        model_admin._transition_selected(request, queryset, action)

    return transition_selected


def reject_with_reason(code):
    """An admin action rejecting the selected articles with the reason `code` (the service
    checks it is still offered)."""

    def reject_selected_as(model_admin, request, queryset):
        if not model_admin.has_reject_permission(request):
            raise PermissionDenied
        model_admin._transition_selected(request, queryset, Action.REJECT, reason_code=code)

    return reject_selected_as
