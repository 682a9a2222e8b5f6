"""Stories: the coverage of one event by every outlet, and what finds and keeps it together.

`Story` is what editors and readers see: the articles of one event (`Article.story`), with
a lead. The other tables are the index the clustering reads (curation/services/stories.py,
the algorithm in curation/stories/): `StoryKey` finds an item's candidates, `StoryFeatures`
compares them without reading their text again, `StoryEdge` remembers the evidence between
two articles, and `StoryDecision` the editors' decisions, which every recomputation obeys.

Related-coverage entries are not members of their own: they belong to the story of the
article that lists them, and are keyed (by a negative item number) only so that a body-only
item that is one of them finds its way in.
"""

from django.conf import settings
from django.db import models


class StoryQuerySet(models.QuerySet):
    def with_articles(self):
        """Stories with two or more articles: the ones editors and readers see."""
        return self.filter(size__gte=2)


class Story(models.Model):
    # Editors may choose the lead; otherwise the highest quality, then the earliest.
    lead = models.ForeignKey(
        "curation.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    lead_by_editor = models.BooleanField(default=False)
    size = models.PositiveIntegerField(default=0, help_text="Articles in the story.")
    # A join was refused because the story had reached the cap (services.stories.STORY_CAP).
    capped = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    objects = StoryQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name_plural = "stories"
        indexes = [models.Index(fields=["-updated_at", "-id"], name="story_updated")]

    def __str__(self):
        return f"Story {self.pk}"


class StoryKey(models.Model):
    """One lookup key of an indexed item (its rarest terms, its outlet's title).

    `item` is an article id, or minus a related-coverage entry's id. No foreign key and one
    index: a new item looks keys up by value and time, and a row whose item is gone or was
    re-indexed since only costs a candidate that is then skipped (a rebuild rewrites the table)."""

    key = models.BigIntegerField()
    item = models.BigIntegerField()
    published = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["key", "published"], name="storykey_key_published")]

    def __str__(self):
        return f"key {self.key} of item {self.item}"


class StoryFeatures(models.Model):
    """An article's text features (curation.stories.ItemFeatures.to_blob), so it is compared
    with new items without its text being read and analysed again."""

    article = models.OneToOneField(
        "curation.Article", primary_key=True, on_delete=models.CASCADE, related_name="story_features"
    )
    version = models.PositiveSmallIntegerField()
    blob = models.TextField()
    # False from the batch that indexes the article until a clustering has looked for its
    # pairs: an import killed (or whose clustering failed) between the two leaves its items
    # indexed but never clustered, and the pairs among them are found by nothing else.
    # `cluster_stories` and the next import's end take these up (services/stories.py).
    clustered = models.BooleanField(default=True)

    class Meta:
        indexes = [
            models.Index(fields=["article"], condition=models.Q(clustered=False), name="storyfeatures_unclustered")
        ]

    def __str__(self):
        return f"features of #{self.article_id}"


class StoryEdge(models.Model):
    """Evidence between two articles (a < b): a positive score joins, a negative one keeps
    them apart (the same kind of event another time, a recurring column)."""

    a = models.BigIntegerField()
    b = models.BigIntegerField()
    score = models.FloatField()
    reason = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["a", "b"], name="storyedge_unique_pair")]
        indexes = [models.Index(fields=["b"], name="storyedge_b")]

    def __str__(self):
        return f"#{self.a} and #{self.b}: {self.score:+.2f} {self.reason}"


class StoryDecision(models.Model):
    """An editor's decision about two articles (a < b), audited in EditorialAction too.

    `together`: the two are one story (a merge); `apart`: never one story, not even through
    a third item ("not the same story", a split). A later decision about the pair replaces
    an earlier one."""

    class Kind(models.TextChoices):
        TOGETHER = "together", "Same story"
        APART = "apart", "Not the same story"

    # Looked up by `a` through the unique (a, b) index, by `b` through its own.
    a = models.ForeignKey("curation.Article", on_delete=models.CASCADE, related_name="+", db_index=False)
    b = models.ForeignKey("curation.Article", on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["a", "b"], name="storydecision_unique_pair")]
        indexes = [models.Index(fields=["b"], name="storydecision_b")]

    def __str__(self):
        return f"{self.get_kind_display()}: #{self.a_id} and #{self.b_id}"
