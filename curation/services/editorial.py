"""Editorial writes: every decision and edit an editor makes, from any path.

The curator views, the admin and management commands all call these functions, so the
permission checks, the state rules, the conflict check and the audit row live here once.

Each write runs in its own transaction, checks the article's `version` against the one
the editor saw (when the caller knows it) and bumps it with a conditional UPDATE, so a
decision made from a stale page raises `ConflictError` instead of overwriting a
colleague's; this works the same on SQLite and PostgreSQL.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from curation.models import Article, ArticleState, EditorialAction, Provider, Topic
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


TRANSITIONS = {
    Action.PUBLISH: Transition(
        Action.PUBLISH, frozenset({ArticleState.NEW, ArticleState.REJECTED}), ArticleState.PUBLISHED, PUBLISH_PERMISSION
    ),
    Action.UNPUBLISH: Transition(
        Action.UNPUBLISH, frozenset({ArticleState.PUBLISHED}), ArticleState.NEW, PUBLISH_PERMISSION
    ),
    Action.REJECT: Transition(
        Action.REJECT, frozenset({ArticleState.NEW, ArticleState.PUBLISHED}), ArticleState.REJECTED, REJECT_PERMISSION
    ),
    Action.RESTORE: Transition(Action.RESTORE, frozenset({ArticleState.REJECTED}), ArticleState.NEW, REJECT_PERMISSION),
}


def can_perform(user, action):
    """Whether `user` may perform `action` at all (templates and admin use it to hide buttons)."""
    if action in TRANSITIONS:
        return user.has_perm(TRANSITIONS[action].permission)
    return user.has_perm(EDIT_PERMISSION)


def _require(user, permission):
    if user is None or not user.is_active or not user.has_perm(permission):
        raise PermissionDenied("You do not have permission to do that.")


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


def _save(article, *, changes, user, action, via, before, after, reason=""):
    """Conditional update on the version, then the audit row. Returns the refreshed article."""
    now = timezone.now()
    updated = Article.objects.filter(pk=article.pk, version=article.version).update(
        version=F("version") + 1, **changes
    )
    if not updated:  # lost a race that select_for_update could not prevent (SQLite has none)
        raise ConflictError(f"“{_short(article.title)}” was changed by someone else at the same moment. Reload.")
    EditorialAction.objects.create(
        article=article,
        actor=user,
        action=action,
        created_at=now,
        via=via,
        before={**before, "version": article.version},
        after={**after, "version": article.version + 1},
        reason=reason,
    )
    article.refresh_from_db()
    return article


def _short(text, length=60):
    return text if len(text) <= length else text[: length - 1] + "…"


# --- state transitions ------------------------------------------------------------------


def transition_article(*, article, action, user, expected_version=None, reason="", via="curator"):
    """Move an article through publish / unpublish / reject / restore."""
    transition = TRANSITIONS[action]
    _require(user, transition.permission)
    article_id = article.pk if isinstance(article, Article) else article
    with transaction.atomic():
        article = _lock(article_id, expected_version)
        if article.state not in transition.from_states:
            raise InvalidTransition(
                f"“{_short(article.title)}” cannot be {Action(action).label.lower()}: "
                f"it is {article.get_state_display().lower()}."
            )
        if action == Action.PUBLISH and article.needs_metadata:
            raise InvalidTransition(
                f"“{_short(article.title)}” needs its metadata completed (or attaching to an article) before publishing."
            )
        now = timezone.now()
        changes = {"state": transition.to_state, "state_changed_at": now, "state_changed_by": user}
        if action == Action.REJECT:
            changes["rejection_reason"] = reason
        elif action == Action.RESTORE:
            changes["rejection_reason"] = ""
        return _save(
            article,
            changes=changes,
            user=user,
            action=action,
            via=via,
            before={"state": article.state},
            after={"state": transition.to_state},
            reason=reason,
        )


def publish_article(*, article, user, expected_version=None, via="curator"):
    return transition_article(article=article, action=Action.PUBLISH, user=user, expected_version=expected_version, via=via)


def unpublish_article(*, article, user, expected_version=None, via="curator"):
    return transition_article(
        article=article, action=Action.UNPUBLISH, user=user, expected_version=expected_version, via=via
    )


def reject_article(*, article, user, reason="", expected_version=None, via="curator"):
    return transition_article(
        article=article, action=Action.REJECT, user=user, reason=reason, expected_version=expected_version, via=via
    )


def restore_article(*, article, user, expected_version=None, via="curator"):
    return transition_article(article=article, action=Action.RESTORE, user=user, expected_version=expected_version, via=via)


@dataclass
class BulkResult:
    action: str
    succeeded: list = field(default_factory=list)  # [Article]
    failed: list = field(default_factory=list)  # [(article_id, title, message)]

    @property
    def message(self):
        label = Action(self.action).label.lower()
        text = f"{len(self.succeeded)} {'item' if len(self.succeeded) == 1 else 'items'} {label}."
        if self.failed:
            names = "; ".join(f"“{_short(title, 40)}”: {message}" for _, title, message in self.failed[:10])
            more = f" (and {len(self.failed) - 10} more)" if len(self.failed) > 10 else ""
            text += f" {len(self.failed)} failed: {names}{more}"
        return text


def bulk_transition(*, action, article_ids, user, reason="", via="bulk"):
    """Apply one transition to many articles, one transaction per article.

    A failure (wrong state, conflict) affects only that article; the result names it.
    Permission is checked once up front: without it nothing is attempted.
    """
    _require(user, TRANSITIONS[action].permission)
    if len(article_ids) > MAX_BULK_ITEMS:
        raise EditorialError(f"Select at most {MAX_BULK_ITEMS} items at a time (narrow the list with the filters).")
    result = BulkResult(action=action)
    titles = dict(Article.objects.filter(pk__in=article_ids).values_list("pk", "title"))
    for article_id in article_ids:
        if article_id not in titles:
            result.failed.append((article_id, f"#{article_id}", "no such article"))
            continue
        try:
            result.succeeded.append(
                transition_article(article=article_id, action=action, user=user, reason=reason, via=via)
            )
        except EditorialError as exc:
            result.failed.append((article_id, titles[article_id], str(exc)))
    return result


# --- edits ------------------------------------------------------------------------------


def _topic_objects(names):
    names = [name.strip() for name in names if name and name.strip()]
    existing = {topic.name: topic for topic in Topic.objects.filter(name__in=names)}
    topics = []
    for name in dict.fromkeys(names):
        if len(name) > MAX_NAME:
            raise InvalidEdit({"topics": f"“{_short(name, 30)}” is longer than {MAX_NAME} characters."})
        topic = existing.get(name)
        if topic is None:
            slug = Topic.slug_for(name)
            if Topic.objects.filter(slug=slug).exists():
                slug = Topic.slug_for(name, disambiguate=True)
            topic, _ = Topic.objects.get_or_create(name=name, defaults={"slug": slug})  # another editor may create it now
        topics.append(topic)
    return topics


def edit_article(*, article, user, title=None, excerpt=None, topics=None, expected_version=None, via="curator"):
    """Change the title, excerpt and/or topics (a list of names). Edits survive re-import."""
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
            new_topics = _topic_objects(topics)
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
    topics=(),
    expected_version=None,
    via="curator",
):
    """Give a body-only item the metadata it lacks, so it can be published."""
    _require(user, EDIT_PERMISSION)
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = "A title is required."
    web_url = (web_url or "").strip()
    if web_url and not safe_url(web_url):
        errors["web_url"] = "Only absolute http(s) URLs are accepted."
    if len(category or "") > MAX_SHORT_TEXT:
        errors["category"] = f"At most {MAX_SHORT_TEXT} characters."
    if len(provider_name or "") > MAX_NAME:
        errors["provider_name"] = f"At most {MAX_NAME} characters."
    if errors:
        raise InvalidEdit(errors)
    article_id = article.pk if isinstance(article, Article) else article
    with transaction.atomic():
        article = _lock(article_id, expected_version)
        if not article.needs_metadata:
            raise InvalidTransition(f"“{_short(article.title)}” already has its metadata.")
        provider = None
        if provider_name.strip():
            provider, _ = Provider.objects.get_or_create(
                name=provider_name.strip(), domain=(provider_domain or "").strip().lower()
            )
        after = {
            "title": title,
            "web_url": web_url,
            "excerpt": (excerpt or "").strip(),
            "category": (category or "").strip(),
            "provider": provider.name if provider else "",
            "topics": [topic.name for topic in _topic_objects(list(topics))],
        }
        before = {"title": article.title, "needs_metadata": True}
        article.topics.set(Topic.objects.filter(name__in=after["topics"]))
        changes = {
            "title": title,
            "web_url": web_url,
            "excerpt": after["excerpt"],
            "category": after["category"],
            "provider": provider,
            "needs_metadata": False,
            "edited_fields": sorted(
                set(article.edited_fields or ()) | {"title", "web_url", "excerpt", "category", "provider", "topics"}
            ),
        }
        return _save(
            article, changes=changes, user=user, action=Action.COMPLETE, via=via, before=before, after=after
        )


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
        item = _lock(item_id, expected_version)
        if item.has_front_matter:
            raise InvalidTransition(f"“{_short(item.title)}” is not a body-only item.")
        if item.state != ArticleState.NEW:
            raise InvalidTransition(f"“{_short(item.title)}” is {item.get_state_display().lower()}.")
        target = _lock(target_id, None)
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
            raise ConflictError(f"“{_short(item.title)}” was changed by someone else at the same moment. Reload.")
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
