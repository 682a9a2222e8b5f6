"""Publishing a story in one act: its lead published and, as the editor picks, its other new
items rejected as duplicates or left in the queue (the queue's story rows and their Undo)."""

from dataclasses import dataclass, field

from django.db import transaction

from curation.models import Article, ArticleState, Story
from curation.services import bulk
from curation.services.editorial import (
    PUBLISH_PERMISSION,
    REJECT_PERMISSION,
    Action,
    ConflictError,
    EditorialError,
    _require,
    transition_article,
)
from curation.services.story_acts import members_token
from curation.services.transactions import retry_transient

# The reason code a story's other items are rejected with.
DUPLICATE_REASON = "duplicate"


@dataclass
class StoryPublication:
    lead: Article
    rejected: list = field(default_factory=list)  # [Article]
    left: list = field(default_factory=list)  # [article id]: not new, or the editor chose to leave them
    failed: list = field(default_factory=list)  # [(article id, message)]
    published_lead: bool = False  # False: the lead was published already (only the rest changed)
    changed: list = field(default_factory=list)  # [(id, version left, {field: value before})]: what Undo puts back


def publish_story(
    *, story, user, rest="reject", via="curator", expected_lead=None, expected_version=None, expected_new=None,
    expected_new_members=None,
):
    """Publish the story's lead and, in the same act, reject its other new articles as
    duplicates (`rest="reject"`) or leave them in the queue (`rest="leave"`). Each article
    gets its own audit row; one that cannot be changed (a colleague got there first) is
    reported and the others go on. `expected_lead` / `expected_version`: the lead and its
    version the editor saw (a story whose lead changed since is a conflict); `expected_new`:
    the new items the row showed (rejecting the rest, one that joined since is a conflict);
    `expected_new_members`: their `story_acts.members_token`, which tells the same when one item
    left and another joined (the count alone does not).

    One transaction: if the database gives up part-way (a deadlock it broke, a lost
    connection), nothing of the act is kept, so the "nothing was saved" the editor is then
    told is true; the story's row is locked first, so its lead cannot change meanwhile."""
    if rest not in ("reject", "leave"):
        raise ValueError("rest must be 'reject' or 'leave'")
    _require(user, PUBLISH_PERMISSION)
    if rest == "reject":
        _require(user, REJECT_PERMISSION)
    story_id = story.pk if isinstance(story, Story) else story
    return _publish_story(story_id, user, rest, via, expected_lead, expected_version, expected_new, expected_new_members)


@retry_transient
def _publish_story(story_id, user, rest, via, expected_lead, expected_version, expected_new, expected_new_members):
    with transaction.atomic():
        story = Story.objects.select_for_update().filter(pk=story_id).first()
        if story is None or story.lead_id is None:
            raise ConflictError(
                "This story no longer exists: its items were split apart or merged into another story "
                "since the page was drawn. Nothing was changed; the queue shows them as they are now."
            )
        if expected_lead is not None and story.lead_id != expected_lead:
            raise ConflictError("This story's lead changed since you opened the page. Reload to see the current lead.")
        new_ids = (
            list(Article.objects.filter(story_id=story.pk, state=ArticleState.NEW).values_list("pk", flat=True))
            if rest == "reject"
            else None
        )
        if new_ids is not None and expected_new is not None and len(new_ids) != expected_new:
            raise ConflictError(
                f"This story has {len(new_ids)} new items now, not the {expected_new} shown: nothing was rejected. "
                "Reload to see them before rejecting any as duplicates."
            )
        if new_ids is not None and expected_new_members and members_token(new_ids) != expected_new_members:
            raise ConflictError(
                "This story's new items changed since the page was drawn (an item joined it, another left or "
                "was decided): nothing was rejected. Reload to see them before rejecting any as duplicates."
            )
        lead = Article.objects.get(pk=story.lead_id)
        before = bulk.remembered(Article.objects.filter(story_id=story.pk).values("pk"))
        published_lead = lead.state != ArticleState.PUBLISHED
        if published_lead:
            # The version is checked with the lead's row locked: an edit made since the
            # editor looked is a conflict, not published unseen.
            lead = transition_article(
                article=lead.pk, action=Action.PUBLISH, user=user, via=via, expected_version=expected_version
            )
        result = StoryPublication(lead=lead, published_lead=published_lead)
        for pk, state in (
            Article.objects.filter(story_id=story.pk).exclude(pk=lead.pk).order_by("pk").values_list("pk", "state")
        ):
            if rest == "leave" or state != ArticleState.NEW:
                result.left.append(pk)
                continue
            try:
                result.rejected.append(
                    transition_article(
                        article=pk, action=Action.REJECT, user=user, reason_code=DUPLICATE_REASON, via=via
                    )
                )
            except EditorialError as exc:  # raised before any write of its own: the act goes on
                result.failed.append((pk, str(exc)))
        result.changed = [
            (article.pk, article.version, before[article.pk])
            for article in ([lead] if published_lead else []) + result.rejected
            if article.pk in before
        ]
        return result
