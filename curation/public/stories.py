"""Stories on the public side: a feed carries one entry per story.

The entry is the story's lead when readers can see it, otherwise the member readers saw
first (the earliest published). Written as a condition on each published row, so a feed
stays one query: a row outside any story passes, and a row in one passes when it is that
story's entry (two probes of the (story, ...) index).
"""

from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce

from curation.models import Article


def one_entry_per_story(queryset, now, *, topic_id=None):
    """`queryset` (articles readers may see at `now`) keeping, of each story, only its entry.
    The lead and the members seen earlier count only while readers may see them too: a lead
    published but held back (scheduled, under embargo, expired) used to hide its whole story
    from the feeds, its live members with it.

    `topic_id`: for a topic's feed, the entry among the story's items that carry the topic.
    A story's members come from several outlets with topics of their own: a member about
    "Shipping" whose lead is about "Weather" was left out of the Shipping feed (a 404 when
    it was the topic's only item) while the topic's page listed it."""
    published = Article.objects.live(now).order_by()
    if topic_id is not None:
        published = published.filter(topics=topic_id)
    lead_published = Exists(published.filter(pk=OuterRef("story__lead_id")).values("pk"))
    since = Coalesce(F("state_changed_at"), F("imported_at"))
    outer_since = Coalesce(OuterRef("state_changed_at"), OuterRef("imported_at"))
    seen_earlier = Exists(
        published.filter(story_id=OuterRef("story_id"))
        .exclude(pk=OuterRef("pk"))
        .annotate(since=since)
        .filter(Q(since__lt=outer_since) | Q(since=outer_since, pk__lt=OuterRef("pk")))
        .values("pk")
    )
    return queryset.filter(
        Q(story__isnull=True) | Q(story__lead_id=F("pk")) | (~lead_published & ~seen_earlier)
    )


__all__ = ["one_entry_per_story"]
