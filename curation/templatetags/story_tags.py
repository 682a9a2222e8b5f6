"""The article page's story panels, as inclusion tags so that the page's view stays as it
is: "Same story" (every member and the coverage they list, which are published, and the
editor's acts on each) and a body-only item's best matches (attach_suggestions, with the
words they share). Reads come from selectors_stories, the buttons from services/story_acts."""

from django import template
from django.urls import reverse

from curation.models import ArticleState
from curation.selectors_stories import attach_suggestions, story_members
from curation.services import editorial
from curation.services.editorial import Action
from curation.services.stories import seen_token
from curation.services.story_acts import can_edit_stories, member_offers

register = template.Library()


@register.inclusion_tag("curation/_same_story.html", takes_context=True)
def same_story_panel(context, article):
    request = context["request"]
    can_edit = can_edit_stories(request.user)
    found = story_members(article.story_id) if article.story_id else None
    members = []
    titles = {member.pk: member.title for member in found.articles} if found is not None else {}
    if found is not None and found.story is not None:
        lead_id = found.story.lead_id
        for member in found.articles:
            acts = [
                (offer, reverse("curation:story-act", args=[member.pk, offer.act]))
                for offer in member_offers(member, page_article=article, lead_id=lead_id, can_edit=can_edit)
            ]
            members.append((member, acts))
    story = found.story if found else None
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "article": article,
        "story": story,
        "members": members,
        # Sent back with every act: one made on a story another editor changed since is refused.
        "seen": seen_token(story.pk, story.lead_id, [member.pk for member, _acts in members]) if story else "-",
        # Each entry with the title of the member that lists it: the editor knows items by
        # their titles ("listed by #12, not in our workspace" named an id and an inner word).
        "coverage": [(entry, titles.get(entry.article_id, "")) for entry in found.coverage] if found else [],
        "published": len(found.published) if found else 0,
        # An item in no story may still list other outlets' reports: "no other item is known"
        # beside "Related coverage (5)" read as a contradiction. (The page prefetches them.)
        "listed_here": 0 if story else len(article.related.all()),
        "can_edit": can_edit and article.state != ArticleState.MERGED,
        "this_url": context.get("this_url") or request.get_full_path(),
        # A refused merge (views.common.take_refused_merge): what was typed and why.
        "refusal": context.get("merge_refusal"),
        # The story act's own message, said in the panel (views.common.SAME_STORY_MESSAGE).
        "messages": context.get("messages"),
        "messages_in_panel": context.get("messages_in_panel"),
    }


@register.inclusion_tag("curation/_attach_suggestions.html", takes_context=True)
def attach_suggestion_panel(context, article):
    """A body-only item's best matches first: the article it belongs to, or the related
    entry it is the text of, each with the words they share."""
    request = context["request"]
    suggestions = attach_suggestions(article) if article.is_body_only and article.state == ArticleState.NEW else []
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "article": article,
        "suggestions": suggestions,
        "can_edit": editorial.can_perform(request.user, Action.EDIT),
    }
