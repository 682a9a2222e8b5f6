"""Triage rules: which run, on which items, and what they did.

A run compiles the enabled rules once, at the version each has when it starts (a rule saved
meanwhile takes effect on the next run), and goes through its items; for each item the rules
are tried in list order: flag and add-topic rules act and the list goes on, the first rule
that publishes or rejects decides and ends it. Rules act only on items no editor has acted
on (rule_actions.eligible_q), and each write checks that again with the item locked.

Rules run when the RULES_ENABLED setting and the admins' switch (RulesSwitch) both allow
it, at the end of an import on its new items (`run_on_new_items`) and over the queue on
demand (`run_on_queue`, manage.py apply_rules). A run writes at most `cap` times
(RULES_MAX_DECISIONS, 1,000 by default), then stops and says so.
"""

import copy
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from curation.models import Article, ArticleState, EditorialAction, Rule, RulesSwitch, RuleVersion
from curation.services import rule_actions, taxonomy
from curation.services.rule_conditions import (
    REGEX_CONDITIONS,
    CompiledRule,
    RuleDefinitionError,
    pattern_count,
    patterns_over_budget,
    validate_definition,
)

CHUNK = 1000


def rules_switch():
    switch, _ = RulesSwitch.objects.get_or_create(pk=1)
    return switch


def disabled_reason():
    """Why no rule may run now ("" when they may)."""
    if not getattr(settings, "RULES_ENABLED", True):
        return "rules are off (the RULES_ENABLED setting)"
    if not rules_switch().enabled:
        return "rules are off (the admins' switch)"
    return ""


def default_cap():
    return int(getattr(settings, "RULES_MAX_DECISIONS", 1000))


# --- saving rules (every save is a new version) -------------------------------------------


def with_kept_names(definition):
    """(definition, notes): a validated definition whose topics and providers (`when.topic`,
    `when.provider`, add_topic's `topic`) that an admin merged away name the kept ones
    instead, and a sentence for each so changed, for the rule's writer. A merged name would
    match nothing (articles carry the kept one), so the rule form, the rule files and the
    admin resolve it rather than refuse it, and say so; save_rule does too, for any door."""
    when = definition.get("when", {})
    topics = [*when.get("topic", ()), *([definition["topic"]] if definition.get("action") == "add_topic" else [])]
    kept_topics = taxonomy.kept_topic_names(topics) if topics else {}
    kept_providers = taxonomy.kept_provider_names(when["provider"]) if when.get("provider") else {}
    if not kept_topics and not kept_providers:
        return definition, []
    new = copy.deepcopy(definition)
    if "topic" in when:
        new["when"]["topic"] = list(dict.fromkeys(kept_topics.get(name, name) for name in when["topic"]))
    if new.get("action") == "add_topic":
        new["topic"] = kept_topics.get(new["topic"], new["topic"])
    if "provider" in when:
        new["when"]["provider"] = list(dict.fromkeys(kept_providers.get(name, name) for name in when["provider"]))
    notes = [
        f"“{old}” was merged into the {noun} “{name}”: the rule names “{name}” instead."
        for noun, renamed in (("topic", kept_topics), ("provider", kept_providers))
        for old, name in renamed.items()
    ]
    return new, notes


# What a RuleVersion keeps of its rule.
VERSIONED_FIELDS = ("name", "definition", "enabled", "version")


class RuleSaveError(Exception):
    """A save refused for what another admin did meanwhile; nothing was written. `field`:
    the form field the message belongs to (None: the whole form); `conflict`: the rule
    changed since the form was opened (a 409, not a mistake in the form)."""

    def __init__(self, message, *, field=None, conflict=False):
        super().__init__(message)
        self.field, self.conflict = field, conflict


def _locked(rule):
    current = Rule.objects.select_for_update().filter(pk=rule.pk).first()
    if current is None:
        raise RuleSaveError("This rule was deleted meanwhile; nothing was saved.", conflict=True)
    return current


@transaction.atomic
def save_rule(*, rule=None, name, definition, enabled, user=None, position=None, expected_version=None):
    """Create or change a rule: the version goes up by one and the new version's definition
    is kept (RuleVersion). `definition` must be validated already. `expected_version`: the
    version the admin's form showed; another admin's save since then is not overwritten."""
    definition, _ = with_kept_names(definition)  # the doors said so already (see with_kept_names)
    now = timezone.now()
    if rule is None:
        last = Rule.objects.order_by("-position").values_list("position", flat=True).first() or 0
        rule = Rule(created_at=now, version=0, position=last + 1 if position is None else position)
    else:
        rule = _locked(rule)
        if expected_version is not None and rule.version != expected_version:
            raise RuleSaveError(
                f"Someone else saved this rule since you opened it (it is at version {rule.version} now); "
                "nothing was saved. Reload the page to see their change, then make yours again.",
                conflict=True,
            )
        if position is not None:
            rule.position = position
    if enabled and (patterns := pattern_count(definition)):
        # The patterns a run would compile together stay within REGEX_MEMORY_BUDGET.
        if problem := patterns_over_budget(patterns + _enabled_patterns(exclude=rule.pk)):
            raise RuleSaveError(f"Rule “{name}” cannot be enabled: {problem}. Nothing was saved.")
    rule.name, rule.definition, rule.enabled = name, definition, enabled
    rule.version += 1
    rule.updated_at, rule.updated_by = now, user
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        # The form checked the name, but another admin took it between that check and now.
        raise RuleSaveError("Another rule has this name.", field="name") from None
    RuleVersion.objects.create(
        rule=rule, created_at=now, created_by=user, **{field: getattr(rule, field) for field in VERSIONED_FIELDS}
    )
    return rule


def _enabled_patterns(*, exclude=None):
    """The regular expressions the enabled rules hold (but rule `exclude`'s), counted in the database."""
    enabled = Rule.objects.filter(enabled=True).exclude(pk=exclude)
    return sum(enabled.filter(**{"definition__when__has_key": key}).count() for key in REGEX_CONDITIONS)


@transaction.atomic
def set_enabled(rule, enabled, user=None):
    """Enable or disable a rule as it is now (not as the caller last read it: a definition
    saved meanwhile stays); already so, nothing is written."""
    current = _locked(rule)
    if current.enabled == enabled:
        return current
    return save_rule(rule=current, name=current.name, definition=current.definition, enabled=enabled, user=user)


@transaction.atomic
def move_rule(rule, offset, *, past=None):
    """Move a rule up (-1) or down (+1) the list; renumbers positions 1..n. `past`: the id of
    the rule it moves past as the list showed it (above it for up, below it for down). The
    order decides which rule decides an item, so a move is made only on the list as shown:
    a second press of the same button (a double click, two tabs) finds the move made and
    moves nothing more; a list another admin reordered since is a conflict."""
    rules = list(Rule.objects.select_for_update().in_order())
    index = next((i for i, r in enumerate(rules) if r.pk == rule.pk), None)
    if index is None:
        raise RuleSaveError("This rule was deleted meanwhile.", conflict=True)
    if past is not None:
        ids = [item.pk for item in rules]
        if 0 <= index - offset < len(ids) and ids[index - offset] == past:
            return False  # already moved past it
        if not 0 <= index + offset < len(ids) or ids[index + offset] != past:
            raise RuleSaveError(
                "The list changed since the page was drawn (another admin moved, added or deleted a rule): "
                "nothing was moved. Here it is as it is now.",
                conflict=True,
            )
    target = max(0, min(len(rules) - 1, index + offset))
    rules.insert(target, rules.pop(index))
    for position, item in enumerate(rules, start=1):
        if item.position != position:
            Rule.objects.filter(pk=item.pk).update(position=position)
    return target != index


def compiled(rule):
    return CompiledRule(rule_id=rule.pk, name=rule.name, version=rule.version, definition=rule.definition)


def load_compiled(names=None):
    """(rules to run, errors): the enabled rules in order (or those named, enabled or not),
    each checked again: a rule whose reason was retired since is left out, and said."""
    queryset = Rule.objects.in_order()
    queryset = queryset.filter(name__in=names) if names else queryset.filter(enabled=True)
    rules, errors, patterns = [], [], 0
    for rule in queryset:
        try:
            validate_definition(rule.definition)
        except RuleDefinitionError as exc:
            errors.append(f"rule “{rule.name}” v{rule.version} left out: {exc}")
            continue
        # Rules enabled before the budget existed may hold more patterns than it allows:
        # the first ones in order run, the rest are left out, and said.
        if problem := patterns_over_budget(patterns + pattern_count(rule.definition)):
            errors.append(f"rule “{rule.name}” v{rule.version} left out: {problem}")
            continue
        patterns += pattern_count(rule.definition)
        rules.append(compiled(rule))
    return rules, errors


# --- an item's values, as the rules read them ---------------------------------------------


@dataclass
class ItemFacts:
    pk: int
    title: str
    quality: int | None
    heat: int | None
    provider_name: str
    provider_domain: str
    category: str
    article_type: str
    has_images: bool
    source_published: bool
    published_at: object
    story_size: int | None
    publishable: bool
    topics: list = field(default_factory=list)
    text: str = ""


# The columns every rule run reads, then those read only when a rule needs them.
FACT_FIELDS = (
    "pk",
    "title",
    "quality",
    "heat",
    "category",
    "article_type",
    "has_images",
    "source_published",
    "published_at",
    "needs_metadata",
    "provider_id",
)
OPTIONAL_FIELDS = {
    "provider": ("provider__name", "provider__domain"),
    "story": ("story__size",),
    "text": ("excerpt", "body"),
}
ALL_NEEDS = frozenset(("provider", "story", "text", "topics"))


def facts_needs(rules):
    """Which of an item's optional values (OPTIONAL_FIELDS, and "topics") `rules` read."""
    needs = set()
    for rule in rules:
        when = rule.when
        if "provider" in when:
            needs.add("provider")
        if "story_size_min" in when:
            needs.add("story")
        if "text_matches" in when:
            needs.add("text")
        if "topic" in when:
            needs.add("topics")
    return frozenset(needs)


def read_facts(queryset, needs):
    """ItemFacts for the rows of `queryset` in its own order (it may be sliced): one query
    for the columns `needs` asks for (provider and story joined in it), and one for the
    topics' names when they are needed. Values a rule does not read are left empty."""
    fields = list(FACT_FIELDS)
    for need in ("provider", "story", "text"):
        if need in needs:
            fields.extend(OPTIONAL_FIELDS[need])
    at = {name: index for index, name in enumerate(fields)}
    provider, story, text = "provider" in needs, "story" in needs, "text" in needs
    facts = []
    for row in queryset.values_list(*fields):
        pk, title, quality, heat, category, article_type, has_images, source_published, published_at = row[:9]
        facts.append(
            ItemFacts(
                pk=pk,
                title=title,
                quality=quality,
                heat=heat,
                provider_name=(row[at["provider__name"]] or "") if provider else "",
                provider_domain=(row[at["provider__domain"]] or "") if provider else "",
                category=category,
                article_type=article_type,
                has_images=has_images,
                source_published=source_published,
                published_at=published_at,
                story_size=row[at["story__size"]] if story else None,
                publishable=not row[9] and row[10] is not None and published_at is not None and bool(title),
                text=f"{row[at['excerpt']]}\n{row[at['body']]}" if text else "",
            )
        )
    if facts and "topics" in needs:
        by_pk = {item.pk: item for item in facts}
        through = Article.topics.through
        ids = list(by_pk)
        for start in range(0, len(ids), 5000):
            for article_id, name in through.objects.filter(article_id__in=ids[start : start + 5000]).values_list(
                "article_id", "topic__name"
            ):
                by_pk[article_id].topics.append(name)
    return facts


def item_facts(queryset, *, with_text=False):
    """ItemFacts for the articles of `queryset` in id order, every value but the text
    (unless `with_text`), in two queries whatever their number."""
    needs = ALL_NEEDS if with_text else ALL_NEEDS - {"text"}
    return read_facts(queryset.order_by("pk"), needs)


# --- a run ---------------------------------------------------------------------------------


@dataclass
class RunResult:
    dry_run: bool = False
    decisions: list = field(default_factory=list)  # [{"article", "rule", "action"}]
    counts: dict = field(default_factory=dict)  # {rule name: {action: n}}
    skipped: list = field(default_factory=list)  # [{"article", "rule", "why"}]
    errors: list = field(default_factory=list)
    stopped: str = ""  # why the run stopped early ("" if it did not)
    disabled: str = ""  # why no rule ran ("" if they did)
    rules: list = field(default_factory=list)  # ["name v3", ...] the versions used
    items: int = 0  # items evaluated

    def as_dict(self):
        return {
            "decisions": self.decisions,
            "counts": self.counts,
            "dry_run": self.dry_run,
            "stopped": self.stopped or None,
            "disabled": self.disabled or None,
            "skipped": self.skipped,
            "errors": self.errors,
            "rules": self.rules,
            "items": self.items,
        }


class _Run:
    def __init__(self, rules, *, cap, dry_run, now):
        self.rules, self.cap, self.dry_run, self.now = rules, cap, dry_run, now
        self.result = RunResult(dry_run=dry_run, rules=[f"{r.name} v{r.version}" for r in rules])
        self.writes = 0

    @property
    def full(self):
        return self.writes >= self.cap

    def evaluate(self, facts):
        """[(facts, rule)] of what the rules would do to these items, in order."""
        planned = []
        for item in facts:
            for rule in self.rules:
                if rule.matches(item, self.now):
                    planned.append((item, rule))
                    if rule.decides:
                        break
        return planned

    def perform(self, planned):
        for item, rule in planned:
            if self.full:
                self.result.stopped = (
                    f"stopped at the cap of {self.cap} actions in one run; run again (or raise the cap) for the rest"
                )
                return False
            if not self.dry_run:
                try:
                    rule_actions.apply(item.pk, rule)
                except rule_actions.Skipped as exc:
                    self.result.skipped.append({"article": item.pk, "rule": rule.name, "why": str(exc)})
                    continue
            self.writes += 1
            self.result.decisions.append({"article": item.pk, "rule": rule.name, "action": rule.action})
            per_rule = self.result.counts.setdefault(rule.name, {})
            per_rule[rule.action] = per_rule.get(rule.action, 0) + 1
        return True


def run_rules(queryset, *, rules=None, cap=None, dry_run=False, now=None, chunk=CHUNK, ids=None):
    """Run `rules` (default: the enabled ones) over the eligible items of `queryset` (or of
    the articles `ids`), in id order, a chunk at a time. Only items matching at least one
    rule's database-side conditions are read (regular expressions are then checked in Python)."""
    now = now or timezone.now()
    errors = []
    if rules is None:
        rules, errors = load_compiled()
    cap = default_cap() if cap is None else cap
    run = _Run(rules, cap=cap, dry_run=dry_run, now=now)
    run.result.errors.extend(errors)
    if (reason := disabled_reason()) and not dry_run:
        run.result.disabled = reason
        return run.result
    if not rules:
        return run.result
    any_rule = Q(pk__in=[])
    for rule in rules:
        any_rule |= rule.q(now, per_row=True)
    candidates = queryset.filter(rule_actions.eligible_q()).filter(any_rule)
    needs = facts_needs(rules)
    # The items of an import: a chunk of their ids in each query (not all of them each time);
    # the whole queue: by keyset.
    ordered = sorted(ids) if ids is not None else None
    last = start = 0
    while True:
        if ordered is None:
            batch = candidates.filter(pk__gt=last).order_by("pk")[:chunk]
        elif start < len(ordered):
            batch = candidates.filter(pk__in=ordered[start : start + chunk]).order_by("pk")
            start += chunk
        else:
            break
        # One query a chunk: the candidates' values themselves, only the columns the rules read.
        facts = read_facts(batch, needs)
        if not facts:
            if ordered is None:
                break
            continue
        last = facts[-1].pk
        run.result.items += len(facts)
        if not run.perform(run.evaluate(facts)):
            break
    return run.result


def run_on_queue(*, rule_names=None, cap=None, dry_run=False):
    """manage.py apply_rules: the rules (or those named) over the whole queue."""
    rules, errors = load_compiled(rule_names)
    result = run_rules(Article.objects.filter(state=ArticleState.NEW), rules=rules, cap=cap, dry_run=dry_run)
    result.errors[:0] = errors
    return result


def run_on_new_items(created_ids, updated_ids=(), *, cap=None):
    """The end of an import: the enabled rules on the items it created, and a flag on every
    item it changed that a rule had decided (the decision stands; an editor should look)."""
    result = RunResult()
    flagged = flag_source_changes(updated_ids) if updated_ids else 0
    if created_ids:
        result = run_rules(Article.objects.all(), ids=created_ids, cap=cap)
    report = result.as_dict()
    report.pop("decisions")
    report.pop("skipped")
    report["skipped"] = len(result.skipped)
    report["source_changed_flags"] = flagged
    return report


def flag_source_changes(article_ids):
    """Flag the items among `article_ids` whose current state a rule decided."""
    ids = list(article_ids)
    decided = Article.objects.filter(
        pk__in=ids, state__in=(ArticleState.PUBLISHED, ArticleState.REJECTED), state_changed_by__isnull=True
    ).values_list("pk", flat=True)
    decided = list(decided)
    if not decided:
        return 0
    latest = {}
    for article_id, rule_id, name, version, via in (
        EditorialAction.objects.filter(article_id__in=decided, action__in=("publish", "reject", "unpublish", "restore"))
        .order_by("article_id", F("created_at").asc(), "id")
        .values_list("article_id", "rule_id", "rule_name", "rule_version", "via")
    ):
        latest[article_id] = (rule_id, name, version, via)
    count = 0
    for article_id, (rule_id, name, version, via) in latest.items():
        if via == rule_actions.RULE_VIA:
            rule_actions.flag_source_change(article_id, rule_name=name, rule_version=version, rule_id=rule_id)
            count += 1
    return count
