"""The preview of a triage rule (reads only): what it would decide in the queue now, samples,
and a backtest against the editors' own past decisions.

Everything but the regular expressions is counted by the database (rule_conditions.condition_q)
over the whole table. A rule with a regular expression is checked in Python with RE2 over a
bounded number of candidates (the newest `REGEX_CANDIDATES` that meet its other conditions);
the preview then says it sampled, and how many candidates there were.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from curation.models import Article, ArticleState, Provider, Topic
from curation.services.rule_actions import eligible_q
from curation.services.rule_conditions import ACTION_LABELS, CompiledRule

SAMPLES = 50
DISAGREEMENTS = 50
REGEX_CANDIDATES = 5000
EDITOR_DECIDED = Q(state__in=(ArticleState.PUBLISHED, ArticleState.REJECTED), state_changed_by__isnull=False)


@dataclass
class Preview:
    rule: CompiledRule
    decides_now: int = 0  # items in the queue the rule would act on now
    queue_total: int = 0  # items in the queue
    all_match: bool = False  # the rule's conditions hold for every item in the queue
    samples: list = field(default_factory=list)
    # Backtest: {"published": n, "rejected": n} of the editor-decided items the rule matches.
    backtest: dict = field(default_factory=dict)
    editor_decided_total: int = 0
    disagreements: list = field(default_factory=list)
    sampled: str = ""  # how the regular expression was checked, when it was
    warnings: list = field(default_factory=list)

    @property
    def matches_everything(self):
        return self.rule.matches_everything or self.all_match

    @property
    def action_label(self):
        """The action as the form names it ("Reject"), not its stored key ("reject")."""
        return ACTION_LABELS.get(self.rule.action, self.rule.action)

    @property
    def agreeing_state(self):
        return {"publish": ArticleState.PUBLISHED, "reject": ArticleState.REJECTED}.get(self.rule.action)

    @property
    def disagreeing_state(self):
        return {"publish": ArticleState.REJECTED, "reject": ArticleState.PUBLISHED}.get(self.rule.action)

    @property
    def agrees(self):
        return self.backtest.get(self.agreeing_state, 0) if self.agreeing_state else None

    @property
    def disagrees(self):
        return self.backtest.get(self.disagreeing_state, 0) if self.disagreeing_state else None

    @property
    def backtest_matched(self):
        return sum(self.backtest.values())


def _regex_filtered(rule, queryset, limit):
    """(matching ids newest first, candidates checked, candidates in all, whether capped)."""
    with_text = rule.needs_text
    fields = ("pk", "title") + (("excerpt", "body") if with_text else ())
    rows = queryset.order_by("-pk").values_list(*fields)[:limit]
    matched, checked = [], 0
    for row in rows:
        checked += 1
        text = f"{row[2]}\n{row[3]}" if with_text else ""
        if rule.regex_matches(row[1], text):
            matched.append(row[0])
    return matched, checked


def preview(rule, *, now=None):
    """A Preview of the CompiledRule `rule`."""
    now = now or timezone.now()
    result = Preview(rule=rule)
    q = rule.q(now)
    plain_queue = Article.objects.filter(state=ArticleState.NEW)
    result.queue_total = plain_queue.count()
    queue_q = Q(state=ArticleState.NEW) & eligible_q()
    queue = plain_queue.filter(eligible_q())
    decided = Article.objects.filter(EDITOR_DECIDED)
    result.editor_decided_total = decided.count()
    matching_queue = queue.filter(q)
    matching_decided = decided.filter(q)
    if rule.has_regex:
        ids, checked = _regex_filtered(rule, matching_queue, REGEX_CANDIDATES)
        candidates = matching_queue.count()
        if candidates > checked:
            result.decides_now = round(len(ids) * candidates / checked) if checked else 0
            result.sampled = (
                f"The regular expression was checked on the newest {checked:,} of {candidates:,} queue items that meet "
                f"the other conditions ({len(ids):,} matched); the count is an estimate from them."
            )
        else:
            result.decides_now = len(ids)
        sample_ids = ids[:SAMPLES]
        decided_ids, decided_checked = _regex_filtered(rule, matching_decided, REGEX_CANDIDATES)
        decided_candidates = matching_decided.count()
        if decided_candidates > decided_checked:
            result.sampled += (
                f" The backtest checked the newest {decided_checked:,} of {decided_candidates:,} editor-decided items "
                "that meet the other conditions."
            )
        backtest_rows = Article.objects.filter(pk__in=decided_ids)
    else:
        if "topic" in rule.when:
            # The queue's count and the backtest's in one pass over the items linked to the
            # topics (the semi-join is made once; for other conditions the OR of the two makes
            # a worse plan than two counts along their own indexes).
            counts = dict(
                Article.objects.filter(q).filter(queue_q | EDITOR_DECIDED).order_by().values_list("state").annotate(n=Count("pk"))
            )
            result.decides_now = counts.pop(ArticleState.NEW, 0)
            result.backtest = counts
        else:
            result.decides_now = matching_queue.count()
            result.backtest = dict(matching_decided.order_by().values_list("state").annotate(n=Count("pk")))
        sample_ids = list(matching_queue.order_by("-pk").values_list("pk", flat=True)[:SAMPLES])
        backtest_rows = matching_decided
    result.samples = list(
        Article.objects.filter(pk__in=sample_ids).select_related("provider").only(
            "pk", "title", "quality", "heat", "published_at", "provider__name", "provider__domain"
        ).order_by("-pk")
    )
    if rule.has_regex:  # the others counted it above
        result.backtest = dict(backtest_rows.order_by().values_list("state").annotate(n=Count("pk")))
    if result.disagreeing_state:
        result.disagreements = list(
            backtest_rows.filter(state=result.disagreeing_state)
            .select_related("provider", "state_changed_by")
            .only("pk", "title", "quality", "state", "rejection_code", "provider__name", "state_changed_by__username")
            .order_by("-pk")[:DISAGREEMENTS]
        )
    if not rule.has_regex:
        # Whether no queue item escapes the conditions: stops at the first that does, instead
        # of counting every one that meets them.
        result.all_match = result.queue_total > 0 and not plain_queue.exclude(q).exists()
    else:
        result.all_match = result.queue_total > 0 and result.decides_now >= result.queue_total
    result.warnings = unknown_names(rule)
    return result


def unknown_names(rule):
    """Providers and topics a rule names that do not exist (deleted, or misspelt)."""
    warnings = []
    names = rule.when.get("provider")
    if names:
        known = set(Provider.objects.filter(Q(name__in=names) | Q(domain__in=[n.lower() for n in names])).values_list("name", "domain"))
        seen = {value for pair in known for value in pair}
        missing = [n for n in names if n not in seen and n.lower() not in seen]
        if missing:
            warnings.append(f"No provider is named {', '.join(f'“{n}”' for n in missing)} now: those names match nothing.")
    topics = rule.when.get("topic")
    if topics:
        missing = sorted(set(topics) - set(Topic.objects.filter(name__in=topics).values_list("name", flat=True)))
        if missing:
            warnings.append(f"No topic is named {', '.join(f'“{n}”' for n in missing)} now: those names match nothing.")
    return warnings
