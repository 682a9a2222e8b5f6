"""Reference data editors and admins keep: providers, topics and the reasons for rejecting."""

import hashlib

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify

from curation.models.visibility import SeenAt, may_open_curator


class Provider(models.Model):
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True, default="")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "domain"], name="provider_unique_name_domain"),
        ]

    def __str__(self):
        return f"{self.name} ({self.domain})" if self.domain else self.name

    def clean(self):
        # As Topic.clean: a merged provider's name and domain stay its alias's.
        alias = ProviderAlias.objects.filter(name=self.name, domain=self.domain).select_related("provider").first()
        if alias is not None and alias.provider_id != self.pk:
            raise ValidationError(
                {
                    "name": f"“{alias}” was merged into the provider “{alias.provider}”, and the import and editors "
                    f"find that provider by it. Delete the alias on “{alias.provider}” (Also known as) to use it again."
                }
            )


class TopicQuerySet(models.QuerySet):
    def with_article_counts(self):
        """Each topic with `article_count`, the articles carrying it (any state)."""
        return self.annotate(article_count=models.Count("articles"))


class Topic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=220, unique=True, allow_unicode=True)

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("public:topic", args=[self.slug])

    def seen_at(self, user, now=None):
        """Where `user` can see this topic now (SeenAt), or None: its public page while a
        live article carries it (without one that page is a 404), else the curator's queue
        narrowed to it (in every state), for a user who may open the curator. One query."""
        from curation.models.articles import live_condition  # articles imports this module

        if self.articles.filter(live_condition(now or timezone.now())).exists():
            return SeenAt(self.get_absolute_url(), public=True)
        if may_open_curator(user):
            # Every state ("all", curation.filters.STATE_ALL): a topic's items may all be decided.
            query = urlencode({"state": "all", "topic": self.slug})
            return SeenAt(f"{reverse('curation:queue')}?{query}", public=False)
        return None

    def clean(self):
        """A name or slug a merged topic's alias holds is not taken by another topic: the
        import and editors find the kept topic by the name, and /topics/<slug>/ redirects to
        it (the kept topic itself may take either back). The admin's form refuses it here;
        services/taxonomy.py resolves such a name and gives a new topic another slug."""
        errors = {}
        holding = TopicAlias.objects.filter(models.Q(name=self.name) | models.Q(slug=self.slug))
        for alias in holding.select_related("topic"):
            if alias.topic_id == self.pk:
                continue
            if alias.name == self.name:
                errors["name"] = (
                    f"“{alias.name}” was merged into the topic “{alias.topic}”, and the import and editors find that "
                    f"topic by it. Delete the alias on “{alias.topic}” (Also known as) to use the name again."
                )
            if alias.slug == self.slug:
                errors["slug"] = (
                    f"The address /topics/{alias.slug}/ redirects to the topic “{alias.topic}” (“{alias.name}” was "
                    f"merged into it). Choose another slug, or delete the alias on “{alias.topic}” (Also known as) "
                    "to use it again."
                )
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def slug_for(name, *, disambiguate=False):
        """The URL slug for a topic name; `disambiguate` adds a suffix when two names collide
        (e.g. "AI" and "ai"), so every topic stays reachable."""
        suffix = hashlib.sha256(name.encode()).hexdigest()[:8]
        slug = slugify(name, allow_unicode=True)[:200] or f"topic-{suffix}"
        return f"{slug}-{suffix}" if disambiguate else slug


class TopicAlias(models.Model):
    """A name (and its slug) a topic had before an admin merged it into `topic`. The import
    and the editors' paths resolve the name to `topic` instead of creating it again, and the
    old page /topics/<slug>/ redirects to the kept topic's (services/taxonomy.py,
    services/taxonomy_merge.py). Deleting the alias frees the name."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=220, unique=True, allow_unicode=True)
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="aliases")
    # The merged row's own id: the admin's links and bookmarked queues name topics by id too.
    # Empty for aliases recorded before it was kept.
    merged_id = models.BigIntegerField(null=True, blank=True, editable=False, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "topic aliases"

    def __str__(self):
        return self.name


class ProviderAlias(models.Model):
    """A name and domain a provider had before an admin merged it into `provider`: the
    import and the editors' paths resolve the pair to `provider` (as TopicAlias)."""

    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True, default="")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="aliases")
    merged_id = models.BigIntegerField(null=True, blank=True, editable=False, db_index=True)  # as TopicAlias's
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "domain"]
        verbose_name_plural = "provider aliases"
        constraints = [
            models.UniqueConstraint(fields=["name", "domain"], name="provider_alias_unique_name_domain"),
        ]

    def __str__(self):
        return f"{self.name} ({self.domain})" if self.domain else self.name


class RejectionReasonQuerySet(models.QuerySet):
    def offered(self):
        """The reasons editors pick from, in the order admins gave them."""
        return self.filter(active=True).order_by("position", "label")


class RejectionReason(models.Model):
    """Why editors reject items: a short list admins keep (duplicate, off-topic, ...).

    Articles and audit rows store the code, so a label can be reworded and a reason retired
    without touching history; a retired reason is no longer offered but still shown."""

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in menus; its place is its keyboard digit.")
    active = models.BooleanField(default=True, help_text="Offered to editors.")
    needs_note = models.BooleanField(default=False, help_text="Editors must say more in words (e.g. “other”).")

    objects = RejectionReasonQuerySet.as_manager()

    class Meta:
        ordering = ["position", "label"]

    def __str__(self):
        return self.label
