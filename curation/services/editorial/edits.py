"""Edits: title, excerpt and topics; completing a body-only item's metadata; attaching a body
to an article."""

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from curation.db import backend
from curation.models import Article, ArticleState
from curation.seedformat import url_key
from curation.services import taxonomy
from curation.services.editorial.core import EDIT_PERMISSION, Action, _lock, _require, _save, _short
from curation.services.editorial.errors import ConflictError, InvalidEdit, InvalidTransition
from curation.services.publication import (
    COMPLETE_FIELDS,
    needs_completing,
    publication_problems,
)
from curation.services.taxonomy import TaxonomyError
from curation.services.transactions import retry_transient
from curation.validation import MAX_NAME, MAX_SHORT_TEXT, safe_url, visible_name

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
        title = visible_name(title)
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
    title = visible_name(title or "")
    web_url = (web_url or "").strip()
    excerpt, category = (excerpt or "").strip(), (category or "").strip()
    provider_name, provider_domain = visible_name(provider_name or ""), visible_name(provider_domain or "").lower()
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
        if web_url and web_url != article.web_url:
            # Two editors completing two items with one address at once each found it free:
            # one waits here for the other's transaction, then sees its row.
            backend().lock_for_transaction(f"curation.address:{url_key(web_url)}")
        if web_url and web_url != article.web_url and (holder := _article_at(web_url, besides=article.pk)):
            # An article is its webUrl: a second one at it is taken for the first by the
            # next import of an export (the item's file updated that article, its own title
            # and text gone), and readers would see one source twice.
            raise InvalidEdit(
                {
                    "web_url": f"Article #{holder.pk} (“{_short(holder.title)}”) already has this address. "
                    "If this text is that article's, attach it there instead; otherwise give the address "
                    "this text was published at."
                }
            )
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


def _article_at(web_url, *, besides):
    """Another article whose address is `web_url`: its own (the import's identity) or one an
    editor gave it."""
    return (
        Article.objects.filter(Q(web_url=web_url) | Q(source_key=url_key(web_url)))
        .exclude(pk=besides)
        .only("pk", "title")
        .order_by("pk")
        .first()
    )


@retry_transient
def attach_body(*, item, target, user, expected_version=None, via="curator"):
    """Give `target` (an article: one with metadata) the body text of the body-only `item`;
    the item leaves the queue as merged.

    One audit row, on the target, records both sides, with the body the target had (the
    returned target's `replaced_body`, for the editor's message).
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
        if not target.has_front_matter:
            # The panel offers only articles; an id typed or posted could name another
            # body-only item, whose own text the attach replaced (and lost).
            raise InvalidTransition(
                f"“{_short(target.title)}” is a body-only item too: a body is attached to an article "
                "(one with metadata). Complete one of the two instead."
            )
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
        replaced = target.body
        target = _save(
            target,
            changes={"body": item.body, "edited_fields": sorted(set(target.edited_fields or ()) | {"body"})},
            user=user,
            action=Action.ATTACH,
            via=via,
            # The body it had stays in the audit row whole: the attach replaces it, and an
            # article's own text is never lost (its history shows the start of it).
            before={"body": target.body, "body_chars": len(target.body), "item": item.pk, "item_state": item.state},
            after={"body_chars": len(item.body), "item": item.pk, "item_state": ArticleState.MERGED},
        )
        from curation.services import stories  # stories imports this module

        stories.attached(item=item.pk, target=target.pk)  # the item is part of the target's story now
        target.replaced_body = replaced if replaced != item.body else ""
        return target
