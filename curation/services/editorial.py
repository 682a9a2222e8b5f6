"""Editorial writes: every decision and edit an editor makes, from any path.

The curator views, the admin and management commands all call these functions, so the
permission checks, the state rules, the conflict check and the audit row live here once.

Each write runs in its own transaction (run again, twice at most, when PostgreSQL rolls it
back to break a deadlock: see `transactions.retry_transient`), checks the article's `version` against the one
the editor saw (when the caller knows it) and bumps it with a conditional UPDATE, so a
decision made from a stale page raises `ConflictError` instead of overwriting a
colleague's; this works the same on SQLite and PostgreSQL.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from curation.models import Article, ArticleState, EditorialAction, RejectionReason
from curation.services import taxonomy

# Re-exported: views read what publishing needs through the editorial service.
from curation.services.publication import (  # noqa: F401
    COMPLETE_FIELDS,
    PUBLICATION_LABELS,
    PUBLICATION_REQUIREMENTS,
    article_publication_problems,
    needs_completing,
    publication_problems,
)
from curation.services.taxonomy import TaxonomyError
from curation.services.transactions import retry_transient
from curation.validation import MAX_NAME, MAX_SHORT_TEXT, safe_url

Action = EditorialAction.Action

PUBLISH_PERMISSION = "curation.publish_article"
REJECT_PERMISSION = "curation.reject_article"
EDIT_PERMISSION = "curation.change_article"

# One bulk request changes at most this many items, one transaction each: a larger
# selection is refused up front rather than half done.
MAX_BULK_ITEMS = 500


class EditorialError(Exception):
    """A write the rules refuse; the message is meant for the editor."""


class ConflictError(EditorialError):
    """Someone else changed the article since the editor loaded it."""


class InvalidTransition(EditorialError):
    """The article's state does not allow this action (e.g. unpublishing a new item)."""


class InvalidEdit(EditorialError):
    def __init__(self, errors):
        self.errors = errors  # {field: message}
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


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


@retry_transient
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
        now = timezone.now()
        changes = {"state": transition.to_state, "state_changed_at": now, "state_changed_by": user}
        if action == Action.REJECT:
            changes.update(rejection_code=reason_code, rejection_reason=reason)
        elif article.state == ArticleState.REJECTED:
            changes.update(rejection_code="", rejection_reason="")
        # A decision made now ends any schedule (see Article.schedule_after_decision).
        schedule_changes, schedule_before = article.schedule_after_decision(transition.to_state, now)
        changes.update(schedule_changes)
        if transition.to_state == ArticleState.PUBLISHED:
            # Listed from now (or when its embargo ends): the public order (see Article.listed_at).
            changes["listed_at"] = Article(embargo_until=article.embargo_until).listing_time(now)
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
        article=article,
        action=Action.REJECT,
        user=user,
        reason=reason,
        reason_code=reason_code,
        expected_version=expected_version,
        via=via,
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


# --- edits ------------------------------------------------------------------------------


class UnknownTopics(InvalidEdit):
    """Topic names that are not topics yet and that the editor did not ask to create: a
    typo must not become a public topic page (see taxonomy.topics_for_editor)."""

    def __init__(self, names):
        self.names = names
        listed = ", ".join(f"“{name}”" for name in names)
        super().__init__(
            {"topics": f"No topic is named {listed}. Check the spelling, or create it (a new public topic page)."}
        )


def _topics_named(names, *, user, create=()):
    try:
        return taxonomy.topics_for_editor(names, user=user, create=create)
    except taxonomy.UnconfirmedTopics as exc:
        raise UnknownTopics(exc.names) from None
    except TaxonomyError as exc:
        raise InvalidEdit({"topics": str(exc)}) from None


@retry_transient
def edit_article(
    *, article, user, title=None, excerpt=None, topics=None, create_topics=(), expected_version=None, via="curator"
):
    """Change the title, excerpt and/or topics (a list of names of existing topics, or of
    new ones listed in `create_topics`). Edits survive re-import."""
    _require(user, EDIT_PERMISSION)
    errors = {}
    if title is not None:
        title = title.strip()
        if not title:
            errors["title"] = "A title is required."
    if excerpt is not None:
        excerpt = excerpt.strip()
    if errors:
        raise InvalidEdit(errors)
    article_id = article.pk if isinstance(article, Article) else article
    with transaction.atomic():
        article = _lock(article_id, expected_version)
        before, after, changes = {}, {}, {}
        if title is not None and title != article.title:
            before["title"], after["title"] = article.title, title
            changes["title"] = title
        if excerpt is not None and excerpt != article.excerpt:
            before["excerpt"], after["excerpt"] = article.excerpt, excerpt
            changes["excerpt"] = excerpt
        new_topics = None
        if topics is not None:
            current = sorted(article.topics.values_list("name", flat=True))
            new_topics = _topics_named(topics, user=user, create=create_topics)
            if sorted(topic.name for topic in new_topics) != current:
                before["topics"], after["topics"] = current, [topic.name for topic in new_topics]
            else:
                new_topics = None
        if not after:
            return article  # nothing changed: no write, no audit row
        changes["edited_fields"] = sorted(set(article.edited_fields or ()) | set(after))
        if new_topics is not None:
            article.topics.set(new_topics)
        return _save(article, changes=changes, user=user, action=Action.EDIT, via=via, before=before, after=after)


@retry_transient
def complete_article(
    *,
    article,
    user,
    title,
    web_url="",
    excerpt="",
    category="",
    provider_name="",
    provider_domain="",
    published_at=None,
    topics=(),
    create_topics=(),
    expected_version=None,
    via="curator",
):
    """Give an item the metadata it lacks to be published (a body-only item, or an
    imported one without a provider or date).

    The arguments are the whole metadata as the editor leaves it (the form starts from the
    current values). It must meet `publication_problems`, the rule publishing checks, and
    only what actually changed is recorded as edited.
    """
    _require(user, EDIT_PERMISSION)
    errors = {}
    title = (title or "").strip()
    web_url = (web_url or "").strip()
    excerpt, category = (excerpt or "").strip(), (category or "").strip()
    provider_name, provider_domain = (provider_name or "").strip(), (provider_domain or "").strip().lower()
    if web_url and not safe_url(web_url):
        errors["web_url"] = "Only absolute http(s) URLs are accepted."
    if len(category) > MAX_SHORT_TEXT:
        errors["category"] = f"At most {MAX_SHORT_TEXT} characters."
    if len(provider_name) > MAX_NAME:
        errors["provider_name"] = f"At most {MAX_NAME} characters."
    for name, message in publication_problems(
        title=title, has_provider=bool(provider_name), published_at=published_at
    ).items():
        errors.setdefault(COMPLETE_FIELDS.get(name, name), message)
    if errors:
        raise InvalidEdit(errors)
    article_id = article.pk if isinstance(article, Article) else article
    with transaction.atomic():
        article = _lock(article_id, expected_version)
        if not needs_completing(article):
            raise InvalidTransition(f"“{_short(article.title)}” already has what publishing needs.")
        try:
            provider = taxonomy.ensure_provider(provider_name, provider_domain)
        except TaxonomyError as exc:
            raise InvalidEdit({"provider_name": str(exc)}) from None
        current_topics = sorted(article.topics.values_list("name", flat=True))
        new_topics = _topics_named(list(topics), user=user, create=create_topics)
        wanted = {
            "title": title,
            "web_url": web_url,
            "excerpt": excerpt,
            "category": category,
            "published_at": published_at,
        }
        before, after, changes = {}, {}, {}
        for name, value in wanted.items():
            if value != getattr(article, name):
                before[name], after[name] = getattr(article, name), value
                changes[name] = value
        if provider.pk != article.provider_id:
            before["provider"] = str(article.provider) if article.provider_id else ""
            after["provider"] = str(provider)
            changes["provider"] = provider
        if sorted(topic.name for topic in new_topics) != current_topics:
            before["topics"], after["topics"] = current_topics, [topic.name for topic in new_topics]
            article.topics.set(new_topics)
        for key in ("published_at",):  # the audit row is JSON
            for side in (before, after):
                if side.get(key) is not None:
                    side[key] = side[key].isoformat()
        before["needs_metadata"], after["needs_metadata"] = article.needs_metadata, False
        changes["needs_metadata"] = False
        changes["edited_fields"] = sorted(set(article.edited_fields or ()) | (set(after) - {"needs_metadata"}))
        return _save(article, changes=changes, user=user, action=Action.COMPLETE, via=via, before=before, after=after)


@retry_transient
def attach_body(*, item, target, user, expected_version=None, via="curator"):
    """Give `target` the body text of the body-only `item`; the item leaves the queue as merged.

    One audit row, on the target, records both sides.
    """
    _require(user, EDIT_PERMISSION)
    item_id = item.pk if isinstance(item, Article) else item
    target_id = target.pk if isinstance(target, Article) else target
    if item_id == target_id:
        raise InvalidTransition("An item cannot be attached to itself.")
    with transaction.atomic():
        # Both rows locked in id order, whichever is the item: an editor attaching the
        # target to the item at the same moment then waits for this one instead of each
        # holding the row the other needs (a deadlock).
        locked = {pk: _lock(pk, expected_version if pk == item_id else None) for pk in sorted((item_id, target_id))}
        item, target = locked[item_id], locked[target_id]
        if item.has_front_matter:
            raise InvalidTransition(f"“{_short(item.title)}” is not a body-only item.")
        if item.state != ArticleState.NEW:
            raise InvalidTransition(f"“{_short(item.title)}” is {item.get_state_display().lower()}.")
        if target.state == ArticleState.MERGED:
            raise InvalidTransition(f"“{_short(target.title)}” was itself merged into another article.")
        updated = Article.objects.filter(pk=item.pk, version=item.version).update(
            state=ArticleState.MERGED,
            merged_into=target,
            state_changed_at=timezone.now(),
            state_changed_by=user,
            version=F("version") + 1,
        )
        if not updated:
            raise ConflictError(
                f"“{_short(item.title)}” was changed by someone else at the same moment. Reload to see the current version."
            )
        target = _save(
            target,
            changes={"body": item.body, "edited_fields": sorted(set(target.edited_fields or ()) | {"body"})},
            user=user,
            action=Action.ATTACH,
            via=via,
            before={"body_chars": len(target.body), "item": item.pk, "item_state": item.state},
            after={"body_chars": len(item.body), "item": item.pk, "item_state": ArticleState.MERGED},
        )
        from curation.services import stories  # stories imports this module

        stories.attached(item=item.pk, target=target.pk)  # the item is part of the target's story now
        return target
