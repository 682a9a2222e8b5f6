"""The editorial service's core: the state machine and who may do what, and the
primitives every editorial write uses (lock the row, check the version, save with its audit row).

Each write runs in its own transaction (run again, twice at most, when PostgreSQL rolls it
back to break a deadlock: see `transactions.retry_transient`), checks the article's `version` against the one
the editor saw (when the caller knows it) and bumps it with a conditional UPDATE, so a
decision made from a stale page raises `ConflictError` instead of overwriting a
colleague's; this works the same on SQLite and PostgreSQL.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.utils import timezone

from curation.models import Article, ArticleState, EditorialAction
from curation.services.editorial.errors import ConflictError, EditorialError
from curation.services.publication import needs_completing

Action = EditorialAction.Action

PUBLISH_PERMISSION = "curation.publish_article"
REJECT_PERMISSION = "curation.reject_article"
EDIT_PERMISSION = "curation.change_article"

# One bulk request changes at most this many items, one transaction each: a larger
# selection is refused up front rather than half done.
MAX_BULK_ITEMS = 500


@dataclass(frozen=True)
class Transition:
    action: str
    from_states: frozenset
    to_state: str
    permission: str
    label: str  # on its button
    shortcut: str = ""  # its key in the curator ("" for none)
    asks_reason: bool = False


# The state machine, in the order the curator shows the buttons.
TRANSITIONS = {
    transition.action: transition
    for transition in (
        Transition(
            Action.PUBLISH,
            frozenset({ArticleState.NEW, ArticleState.REJECTED}),
            ArticleState.PUBLISHED,
            PUBLISH_PERMISSION,
            "Publish",
            "p",
        ),
        Transition(
            Action.UNPUBLISH,
            frozenset({ArticleState.PUBLISHED}),
            ArticleState.NEW,
            PUBLISH_PERMISSION,
            "Unpublish",
            "u",
        ),
        Transition(
            Action.REJECT,
            frozenset({ArticleState.NEW, ArticleState.PUBLISHED}),
            ArticleState.REJECTED,
            REJECT_PERMISSION,
            "Reject",
            "r",
            asks_reason=True,
        ),
        Transition(Action.RESTORE, frozenset({ArticleState.REJECTED}), ArticleState.NEW, REJECT_PERMISSION, "Restore"),
    )
}
ACTION_LABELS = {action: transition.label for action, transition in TRANSITIONS.items()}


def allowed_actions(user):
    """The transitions this user holds the permission for (computed once per page)."""
    return frozenset(action for action, transition in TRANSITIONS.items() if user.has_perm(transition.permission))


def available_actions(article, allowed):
    """The transitions `article` offers now to a user who may perform `allowed` (see
    allowed_actions), in display order: its state allows them, and publishing only when
    the item has what publishing needs. Every button in the curator comes from here; the
    write checks everything again."""
    return [
        transition
        for action, transition in TRANSITIONS.items()
        if action in allowed
        and article.state in transition.from_states
        and not (action == Action.PUBLISH and needs_completing(article))
    ]


def can_perform(user, action):
    """Whether `user` may perform `action` at all (templates and admin use it to hide buttons)."""
    if action in TRANSITIONS:
        return user.has_perm(TRANSITIONS[action].permission)
    return user.has_perm(EDIT_PERMISSION)


# What a refusal says (the 403 page shows it).
REFUSALS = {
    PUBLISH_PERMISSION: "Your account cannot publish or unpublish articles (it is read only for that).",
    REJECT_PERMISSION: "Your account cannot reject or restore articles (it is read only for that).",
    EDIT_PERMISSION: "Your account cannot edit articles (it is read only for that).",
}


def _require(user, permission):
    if user is None or not user.is_active or not user.has_perm(permission):
        raise PermissionDenied(REFUSALS.get(permission, "You do not have permission to do that."))


def _lock(article_id, expected_version):
    """Load the article for writing inside the current transaction and check the version."""
    try:
        article = Article.objects.select_for_update().get(pk=article_id)
    except Article.DoesNotExist:
        raise EditorialError("This article no longer exists.") from None
    if expected_version is not None and article.version != expected_version:
        raise ConflictError(
            f"“{_short(article.title)}” was changed by someone else since you opened it "
            f"(it is now {article.get_state_display().lower()}). Reload to see the current version."
        )
    return article


def _save(article, *, changes, user, action, via, before, after, reason="", reason_code="", audit=None):
    """Conditional update on the version, then the audit row (`audit`: more of its fields,
    e.g. a triage rule's name and version). Returns the refreshed article."""
    now = timezone.now()
    updated = Article.objects.filter(pk=article.pk, version=article.version).update(version=F("version") + 1, **changes)
    if not updated:  # lost a race that select_for_update could not prevent (SQLite has none)
        raise ConflictError(
            f"“{_short(article.title)}” was changed by someone else at the same moment. Reload to see the current version."
        )
    EditorialAction.objects.create(
        article=article,
        actor=user,
        action=action,
        created_at=now,
        via=via,
        before={**before, "version": article.version},
        after={**after, "version": article.version + 1},
        reason=reason,
        reason_code=reason_code,
        **(audit or {}),
    )
    article.refresh_from_db()
    return article


def _short(text, length=60):
    return text if len(text) <= length else text[: length - 1] + "…"


def failures_sentence(failed, limit=10):
    """' N failed: “title”: why; … (and M more)' for a bulk result's message, from
    [(article id, title, why)]; '' when nothing failed."""
    if not failed:
        return ""
    names = "; ".join(f"“{_short(title, 40)}”: {message}" for _, title, message in failed[:limit])
    more = f" (and {len(failed) - limit:,} more)" if len(failed) > limit else ""
    return f" {len(failed):,} failed: {names}{more}"
