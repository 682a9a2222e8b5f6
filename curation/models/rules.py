"""Triage rules: conditions on an item and one action, applied in order to items no editor
has acted on (the engine is curation/services/rules.py, the conditions rule_conditions.py).

Every save of a rule bumps `Rule.version` and keeps that version's definition in
`RuleVersion`, so an audit row ("via rule “name” v3") can always be read against what the
rule said then, even after the rule changed or was deleted.
"""

from django.conf import settings
from django.db import models


class RuleQuerySet(models.QuerySet):
    def in_order(self):
        return self.order_by("position", "id")

    def enabled(self):
        return self.filter(enabled=True).order_by("position", "id")


class Rule(models.Model):
    name = models.CharField(max_length=200, unique=True)
    position = models.PositiveIntegerField(
        default=0, help_text="Rules run in this order; the first that publishes or rejects decides."
    )
    enabled = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    # {"when": {condition: value}, "action": "publish"|"reject"|"flag"|"add_topic",
    #  "reason": code, "note": text, "topic": name}: see rule_conditions.validate_definition.
    definition = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RuleQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.name

    @property
    def action(self):
        return self.definition.get("action", "")

    @property
    def when(self):
        return self.definition.get("when", {})


class RuleVersion(models.Model):
    """A rule as it was at one version (written on every save, never changed)."""

    rule = models.ForeignKey(Rule, null=True, on_delete=models.SET_NULL, related_name="versions")
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    enabled = models.BooleanField()
    definition = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["rule", "-version"]
        constraints = [models.UniqueConstraint(fields=["rule", "version"], name="ruleversion_unique")]

    def __str__(self):
        return f"{self.name} v{self.version}"


class RulesSwitch(models.Model):
    """The admins' kill switch: one row (pk 1). Rules run only when it is on and the
    RULES_ENABLED setting allows them."""

    enabled = models.BooleanField(default=True, help_text="Off: no rule runs, at import end or on demand.")
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "rules switch"
        verbose_name_plural = "rules switch"

    def __str__(self):
        return "Rules on" if self.enabled else "Rules off"


class ArticleFlag(models.Model):
    """A rule's "flag for attention" (or the importer's, when the source changed an item a
    rule decided): the note editors see. The article's `flagged_at`/`flag_note` mirror the
    latest one, so the queue shows and filters it without another query."""

    article = models.ForeignKey("curation.Article", on_delete=models.CASCADE, related_name="flags")
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule_name = models.CharField(max_length=200, blank=True, default="")
    rule_version = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["article", "-created_at"], name="flag_article_created")]

    def __str__(self):
        return self.note
