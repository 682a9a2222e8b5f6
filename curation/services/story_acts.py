"""Which story acts an editor is offered, and where: the one place the curator's story
buttons come from (templates render these; the writes in services/stories.py check
everything again).

    story_row_offers(summary, allowed)         a queue-by-story row: publish the lead and
                                               reject the rest as duplicates, or leave them
                                               (that one is the row's p key)
    member_offers(member, *, page_article, lead_id, can_edit)
                                               the article page's "Same story" panel, per member
    can_edit_stories(user)                     split, lead, apart and merge need the edit permission
    lead_refusal(article)                      why an item cannot be a story's lead (the
                                               panel's offer and set_lead's check)
    members_token(ids)                         some members as a page showed them, sent back
                                               with an act so that it is made on what was seen
"""

import hashlib
from dataclasses import dataclass

from curation.models import ArticleState
from curation.services import editorial
from curation.services.editorial import EDIT_PERMISSION, Action

REST_REJECT = "reject"
REST_LEAVE = "leave"


@dataclass(frozen=True)
class StoryOffer:
    act: str  # publish | split | lead | apart (the URL's kind)
    label: str  # on its button
    rest: str = ""  # publish: what happens to the other new members
    hint: str = ""  # its title: what it does, in a sentence
    # The queue's shortcut that presses this button ("publish": the p key, as on an item's
    # row). Only the act that changes no item but the lead has one: a single key never
    # rejects a story's other items.
    shortcut: str = ""
    # How its button looks, as an item's decision of that kind does: "publish" (green),
    # "reject" (red outline), or "" (plain, beside a green one).
    look: str = ""

    @property
    def key(self):
        return f"{self.act}-{self.rest}" if self.rest else self.act


def lead_refusal(article):
    """Why `article` cannot be its story's lead, or None. A lead that cannot be published (a
    body-only item, an item lacking a date or an outlet) would leave the story's queue row
    without a publish button, and a merged item is no longer an article of its own; the
    clustering never picks either. The panel offers "Make lead" only when this is None, and
    services.stories.set_lead refuses it otherwise (a crafted or stale form)."""
    if article.state == ArticleState.MERGED:
        return "A merged item cannot lead a story: make the article it was merged into the lead."
    if editorial.needs_completing(article):
        return "This item cannot lead its story until its metadata is complete (title, outlet and date)."
    return None


def members_token(ids):
    """Article ids as a short token that tells one set from another (order ignored)."""
    return hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:16]


def can_edit_stories(user):
    return bool(user and user.is_active and user.has_perm(EDIT_PERMISSION))


def story_row_offers(summary, allowed):
    """The acts a queue-by-story row offers a user who may perform `allowed`
    (editorial.allowed_actions): publish the lead (if it may be published now) and reject
    the other new members as duplicates, or leave them; with the lead already published,
    reject the rest. Nothing without a lead."""
    lead = summary.lead if summary is not None else None
    if lead is None or Action.PUBLISH not in allowed:
        return []
    others_new = max(0, summary.new_count - (1 if lead.state == ArticleState.NEW else 0))
    can_reject = Action.REJECT in allowed and others_new > 0
    if lead.state == ArticleState.PUBLISHED:
        if not can_reject:
            return []
        return [
            StoryOffer(
                "publish",
                f"Reject the other {others_new} as duplicates"
                if others_new != 1
                else "Reject the other one as a duplicate",
                REST_REJECT,
                "The lead is published: reject the story's other new items with the reason “duplicate”.",
                look="reject",
            )
        ]
    publishable = any(
        lead.state in transition.from_states
        for action, transition in editorial.TRANSITIONS.items()
        if action == Action.PUBLISH
    ) and not editorial.needs_completing(lead)
    if not publishable:
        return []
    offers = []
    if can_reject:
        offers.append(
            StoryOffer(
                "publish",
                f"Publish lead, reject {others_new} duplicate{'s' if others_new != 1 else ''}",
                REST_REJECT,
                "Publish the lead and reject the story's other new items as duplicates.",
                look="publish",
            )
        )
    offers.append(
        StoryOffer(
            "publish",
            "Publish lead only" if others_new else "Publish lead",
            REST_LEAVE,
            "Publish the lead and leave the story's other items in the queue.",
            shortcut=Action.PUBLISH,
            look="" if offers else "publish",
        )
    )
    return offers


def member_offers(member, *, page_article, lead_id, can_edit):
    """The acts one member of a story offers on an article page's "Same story" panel:
    make it the lead (if it could be published); split it out of the story; mark it "not
    the same story" as the page's article (for the other members)."""
    if not can_edit or member.state == ArticleState.MERGED:
        return []
    offers = []
    if member.pk != lead_id and lead_refusal(member) is None:
        offers.append(
            StoryOffer(
                "lead", "Make lead", hint="Make this item the story's lead (it stays the lead while it is a member)."
            )
        )
    offers.append(
        StoryOffer(
            "split", "Split out", hint="Take this item out of the story for good: it is kept apart even when stories are recalculated."
        )
    )
    if member.pk != page_article.pk:
        offers.append(
            StoryOffer(
                "apart",
                "Not the same story",
                hint="This item and the one on this page are about different events: they are never put in one story again.",
            )
        )
    return offers
