"""State transitions: publish, unpublish, reject, restore, one by one or in bulk."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from curation.models import Article, ArticleState, RejectionReason
from curation.services.editorial.core import (
    MAX_BULK_ITEMS,
    TRANSITIONS,
    Action,
    _lock,
    _require,
    _save,
    _short,
    failures_sentence,
)
from curation.services.editorial.errors import EditorialError, InvalidEdit, InvalidTransition
from curation.services.publication import (
    article_publication_problems,
)
from curation.services.transactions import retry_transient

# --- state transitions ------------------------------------------------------------------


def check_transition(article, action):
    """Raise InvalidTransition unless the (locked) article may take `action` now."""
    transition = TRANSITIONS[action]
    if article.state not in transition.from_states:
        raise InvalidTransition(
            f"“{_short(article.title)}” cannot be {Action(action).label.lower()}: "
            f"it is {article.get_state_display().lower()}."
        )
    if action == Action.PUBLISH and article.needs_metadata:
        raise InvalidTransition(
            f"“{_short(article.title)}” needs its metadata completed (or attaching to an article) before publishing."
        )
    if action == Action.PUBLISH and (problems := article_publication_problems(article)):
        raise InvalidTransition(f"“{_short(article.title)}” cannot be published yet: " + " ".join(problems.values()))


def rejection_reason(code, note=""):
    """Check a reason given for rejecting: `code` names a reason editors are offered (or is
    empty: no reason given), and a reason that asks for words has them. Returns the code and
    the note, cleaned."""
    code, note = (code or "").strip(), (note or "").strip()
    if not code:
        return "", note
    reason = RejectionReason.objects.filter(code=code).first()
    if reason is None or not reason.active:
        raise InvalidEdit({"reason_code": f"“{_short(code, 40)}” is not one of the reasons offered."})
    if reason.needs_note and not note:
        raise InvalidEdit({"reason": f"Say in a few words why (“{reason.label}” needs a note)."})
    return code, note


# What an item leaving the rejected state forgets: why it was rejected (its history keeps it).
# Both, always: scheduling a rejected item cleared the note alone, and the published item
# still came up under the queue's filter for the reason's code.
NOT_REJECTED = {"rejection_code": "", "rejection_reason": ""}


@retry_transient
def decision_changes(article, transition, *, user, reason_code="", reason=""):
    """The fields a decision made now changes, and the schedule fields it ends (their values
    before): one rule for an editor's decision and a triage rule's alike."""
    now = timezone.now()
    changes = {"state": transition.to_state, "state_changed_at": now, "state_changed_by": user}
    if transition.to_state == ArticleState.REJECTED:
        changes.update(rejection_code=reason_code, rejection_reason=reason)
    elif article.state == ArticleState.REJECTED:
        changes.update(NOT_REJECTED)
    # A decision made now ends any schedule (see Article.schedule_after_decision).
    schedule_changes, schedule_before = article.schedule_after_decision(transition.to_state, now)
    changes.update(schedule_changes)
    if transition.to_state == ArticleState.PUBLISHED:
        # Listed from now (or when its embargo ends): the public order (see Article.listed_at).
        changes["listed_at"] = Article(embargo_until=article.embargo_until).listing_time(now)
    return changes, schedule_before


def transition_article(*, article, action, user, expected_version=None, reason="", reason_code="", via="curator"):
    """Move an article through publish / unpublish / reject / restore. A rejection may carry
    a reason code (see RejectionReason) and a note."""
    transition = TRANSITIONS[action]
    _require(user, transition.permission)
    if action == Action.REJECT:
        reason_code, reason = rejection_reason(reason_code, reason)
    article_id = article.pk if isinstance(article, Article) else article
    with transaction.atomic():
        article = _lock(article_id, expected_version)
        check_transition(article, action)
        changes, schedule_before = decision_changes(article, transition, user=user, reason_code=reason_code, reason=reason)
        return _save(
            article,
            changes=changes,
            user=user,
            action=action,
            via=via,
            before={"state": article.state, **schedule_before},
            after={"state": transition.to_state, **dict.fromkeys(schedule_before)},
            reason=reason,
            reason_code=reason_code if action == Action.REJECT else "",
        )


def publish_article(*, article, user, expected_version=None, via="curator"):
    return transition_article(
        article=article, action=Action.PUBLISH, user=user, expected_version=expected_version, via=via
    )


def unpublish_article(*, article, user, expected_version=None, via="curator"):
    return transition_article(
        article=article, action=Action.UNPUBLISH, user=user, expected_version=expected_version, via=via
    )


def reject_article(*, article, user, reason="", reason_code="", expected_version=None, via="curator"):
    return transition_article(
        article=article, action=Action.REJECT, user=user, expected_version=expected_version, via=via,
        reason=reason, reason_code=reason_code,
    )


def restore_article(*, article, user, expected_version=None, via="curator"):
    return transition_article(
        article=article, action=Action.RESTORE, user=user, expected_version=expected_version, via=via
    )


@dataclass
class BulkResult:
    action: str
    succeeded: list = field(default_factory=list)  # [Article]
    failed: list = field(default_factory=list)  # [(article_id, title, message)]

    @property
    def message(self):
        label = Action(self.action).label.lower()
        text = f"{len(self.succeeded)} {'item' if len(self.succeeded) == 1 else 'items'} {label}."
        text += failures_sentence(self.failed)
        return text


def bulk_transition(*, action, article_ids, user, reason="", reason_code="", via="bulk"):
    """Apply one transition to many articles, one transaction per article.

    A failure (wrong state, conflict) affects only that article; the result names it.
    Permission (and a rejection's reason) is checked once up front: without it nothing is
    attempted.
    """
    _require(user, TRANSITIONS[action].permission)
    if len(article_ids) > MAX_BULK_ITEMS:
        raise EditorialError(f"Select at most {MAX_BULK_ITEMS} items at a time (narrow the list with the filters).")
    if action == Action.REJECT:
        reason_code, reason = rejection_reason(reason_code, reason)
    result = BulkResult(action=action)
    titles = dict(Article.objects.filter(pk__in=article_ids).values_list("pk", "title"))
    for article_id in article_ids:
        if article_id not in titles:
            result.failed.append((article_id, f"#{article_id}", "no such article"))
            continue
        try:
            result.succeeded.append(
                transition_article(
                    article=article_id, action=action, user=user, reason=reason, reason_code=reason_code, via=via
                )
            )
        except EditorialError as exc:
            result.failed.append((article_id, titles[article_id], str(exc)))
    return result
