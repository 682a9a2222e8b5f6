"""What a triage rule says, checked, and the two ways of evaluating it.

A rule's definition is `{"when": {condition: value, ...}, "action": ..., plus "reason"
(reject), "note" (flag) or "topic" (add_topic)}`, the same shape in the database, the
curator's form and the YAML files. `validate_definition` is the one check every path
uses; its errors name the field at fault.

Evaluation, two ways that must agree (the tests hold them together):
- `condition_q`: the conditions as an ORM `Q`, for runs over the queue, the preview and the
  backtest. Regular expressions are not in it: RE2's syntax is neither SQLite's (Python's
  `re`) nor PostgreSQL's, so they are checked in Python, with RE2, over the candidates the
  `Q` leaves (a bounded number of them where a run could be large: see selectors_rules).
- `CompiledRule.matches(facts)`: the whole rule on an item's values in memory, for the new
  items at the end of an import (see rules.item_facts for what `facts` holds).
"""

import datetime as dt
import logging
from dataclasses import dataclass

import re2
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from curation.models import HEAT_UNKNOWN, HEAT_UNKNOWN_Q, Article, Topic
from curation.validation import has_lone_surrogate, stored_moment_before, visible_name

ACTIONS = ("publish", "reject", "flag", "add_topic")
DECIDING_ACTIONS = ("publish", "reject")
ACTION_LABELS = {"publish": "Publish", "reject": "Reject", "flag": "Flag for attention", "add_topic": "Add a topic"}

INT_CONDITIONS = ("quality_min", "quality_max", "heat_min", "heat_max", "story_size_min", "age_max_hours")
BOOL_CONDITIONS = ("heat_unknown", "has_images", "source_published")
LIST_CONDITIONS = ("provider", "topic", "category", "type")
REGEX_CONDITIONS = ("title_matches", "text_matches")
CONDITIONS = INT_CONDITIONS + BOOL_CONDITIONS + LIST_CONDITIONS + REGEX_CONDITIONS

# Limits on what a rule may say (a rules file is untrusted input).
MAX_INT = 10**9
MAX_LIST = 200
MAX_TEXT = 200
MAX_NOTE = 500
MAX_PATTERN = 1000
# RE2 compiles a pattern within this much memory (its program, and the caches it fills while
# matching, come out of it) or refuses it. A run holds every enabled rule's patterns at
# once, so the product is what counts: a rules file holds up to 1,000 rules of two patterns
# each, which at this size stay within the budget below (at 8 MiB a pattern they could
# have taken 16 GB). It still takes a 1,000-character alternation of words with (?i), or
# \p{L}+; it refuses a Unicode class repeated a dozen times.
RE2_MAX_MEM = 128 << 10
# The enabled rules' patterns together, and so how many may be enabled at once (2,048).
REGEX_MEMORY_BUDGET = 256 << 20
MAX_ENABLED_PATTERNS = REGEX_MEMORY_BUDGET // RE2_MAX_MEM

logger = logging.getLogger(__name__)


class RuleDefinitionError(ValueError):
    def __init__(self, field, message):
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


def compile_pattern(pattern, field="title_matches"):
    options = re2.Options()
    options.max_mem = RE2_MAX_MEM
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except Exception as exc:  # re2.error, or a TypeError for bytes and the like
        # Editors write rules: the message says what to change in their words; the
        # matcher's own wording is for whoever reads the log.
        detail = exc.args[0] if exc.args else exc
        detail = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
        logger.info("rule pattern refused for %s: %s", field, detail)
        if "pattern too large" in detail:
            raise RuleDefinitionError(
                f"when.{field}",
                "too large for the matcher: make it shorter or simpler (a class such as \\p{L} "
                "repeated many times is the usual cause)",
            ) from None
        raise RuleDefinitionError(f"when.{field}", f"not a pattern this matcher accepts: {_pattern_problem(detail)}") from None


# The matcher's complaints (RE2's, "kind: the part at fault") in a rule writer's words.
_LOOK_AROUND = ("(?=", "(?!", "(?<=", "(?<!")
_PATTERN_PROBLEMS = {
    "missing )": "a ( is never closed",
    "unexpected )": "a ) closes nothing",
    "missing ]": "a [ is never closed",
    "trailing \\": "it ends with a lone backslash (write \\\\ for a backslash)",
    "invalid repetition size": "a count in braces is impossible or over 1000",
    "bad repetition operator": "a repeat (*, +, ? or a count) follows another",
    "no argument for repetition operator": "*, + or ? follows nothing",
    "invalid character class range": "a range in [ ] runs backwards, or a \\p{…} class is unknown",
    "invalid character class": "a [ ] class is not one it knows",
    "invalid named capture group": "a group's name is not one it takes",
    "duplicate capture group name": "two groups have the same name",
    "invalid UTF-8": "it holds text that is not valid Unicode",
}
_SUPPORTED = "looking ahead or behind, and repeating an earlier part (such as \\1), are not supported"


def _pattern_problem(detail):
    """What is wrong with a pattern the matcher refused, for the editor who wrote it."""
    kind, _, part = detail.partition(": ")
    if kind == "invalid perl operator" and part.startswith(_LOOK_AROUND):
        return f"{part} looks ahead or behind; {_SUPPORTED}"
    if kind == "invalid perl operator" and part.startswith("(?P="):
        return f"{part} repeats an earlier part; {_SUPPORTED}"
    if kind == "invalid escape sequence" and part[1:2].isdigit():
        return f"{part} repeats an earlier part; {_SUPPORTED}"
    if kind == "invalid escape sequence":
        return f"{part} is not a backslash sequence it knows (\\\\ is a backslash)"
    if kind == "invalid perl operator":
        return f"{part} is not a kind of group it knows; {_SUPPORTED}"
    if kind in _PATTERN_PROBLEMS:
        # After these kinds the matcher quotes the whole pattern, which the editor has.
        whole = kind in ("missing )", "unexpected )", "missing ]")
        return _PATTERN_PROBLEMS[kind] + (f" ({part})" if part and not whole else "")
    return f"check its brackets and backslashes; {_SUPPORTED}"


def pattern_count(definition):
    """How many regular expressions a rule's definition holds (0 to 2)."""
    return sum(key in definition.get("when", {}) for key in REGEX_CONDITIONS)


def patterns_over_budget(enabled_patterns):
    """Why a rule cannot be enabled when the enabled rules would then hold `enabled_patterns`
    patterns in all (its own included), or "" when it can."""
    if enabled_patterns <= MAX_ENABLED_PATTERNS:
        return ""
    # In the words of the rule form, which editors read it in (rules files too); the memory
    # figures behind the limit are in this module's constants and the README.
    return (
        f"the enabled rules would hold {enabled_patterns:,} patterns (title or excerpt and body "
        f"patterns); at most {MAX_ENABLED_PATTERNS:,} may be enabled at once, so that matching "
        "them keeps within its memory: disable a rule that has one, or leave this rule disabled"
    )


# A story has one article at least, and an age under an hour is no age: below these, a
# condition would match every item (story size -3) or none (age -2 hours) without a word.
INT_LEAST = {"story_size_min": 1, "age_max_hours": 1}


def _int(field, value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleDefinitionError(f"when.{field}", "must be a whole number")
    least = INT_LEAST.get(field, -MAX_INT)
    if not least <= value <= MAX_INT:
        raise RuleDefinitionError(f"when.{field}", f"must be between {least} and {MAX_INT}")
    return value


def _text(field, value, limit=MAX_TEXT, required=True, strip=True):
    """`strip`: False for a pattern, whose spaces are part of it (" vs " is not "vs")."""
    if not isinstance(value, str):
        raise RuleDefinitionError(field, "must be text")
    if strip or not value.strip():
        value = value.strip()
    if required and not value:
        raise RuleDefinitionError(field, "must not be empty")
    if len(value) > limit or "\x00" in value:
        raise RuleDefinitionError(field, f"at most {limit} characters, no NUL")
    if has_lone_surrogate(value):
        raise RuleDefinitionError(field, "holds text that is not valid Unicode (a lone surrogate such as \\ud800)")
    return value


def _names(field, value):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise RuleDefinitionError(f"when.{field}", "must be a name or a non-empty list of names")
    if len(value) > MAX_LIST:
        raise RuleDefinitionError(f"when.{field}", f"at most {MAX_LIST} names")
    names = [_text(f"when.{field}", item) for item in value]
    return sorted(set(names), key=names.index)


def validate_definition(data, *, reasons=None):
    """The definition `data` (a dict: when, action, reason/note/topic), checked and cleaned;
    raises RuleDefinitionError naming the field. `reasons`: the rejection codes a reject
    rule may give (None: read the active ones from the database)."""
    if not isinstance(data, dict):
        raise RuleDefinitionError("rule", "must be a mapping")
    when = data.get("when", {})
    if when is None:
        when = {}
    if not isinstance(when, dict):
        raise RuleDefinitionError("when", "must be a mapping of conditions")
    clean = {}
    for key, value in when.items():
        if key not in CONDITIONS:
            raise RuleDefinitionError(f"when.{key}", f"unknown condition (known: {', '.join(CONDITIONS)})")
        if key in INT_CONDITIONS:
            clean[key] = _int(key, value)
        elif key in BOOL_CONDITIONS:
            if not isinstance(value, bool):
                raise RuleDefinitionError(f"when.{key}", "must be true or false")
            clean[key] = value
        elif key in LIST_CONDITIONS:
            clean[key] = _names(key, value)
        else:
            clean[key] = _text(f"when.{key}", value, limit=MAX_PATTERN, strip=False)
            compile_pattern(clean[key], key)
    for low, high in (("quality_min", "quality_max"), ("heat_min", "heat_max")):
        if low in clean and high in clean and clean[low] > clean[high]:
            raise RuleDefinitionError(f"when.{low}", f"is above {high}: the rule could never match")
    if clean.get("heat_unknown") is True and ("heat_min" in clean or "heat_max" in clean):
        raise RuleDefinitionError(
            "when.heat_unknown", "heat_min/heat_max apply to known heat only: the rule could never match"
        )
    if "age_max_hours" in clean and clean["age_max_hours"] < 0:
        raise RuleDefinitionError("when.age_max_hours", "must be 0 or more")
    action = data.get("action")
    if action not in ACTIONS:
        raise RuleDefinitionError("action", f"must be one of {', '.join(ACTIONS)}")
    definition = {"when": clean, "action": action}
    allowed_extra = {"reject": "reason", "flag": "note", "add_topic": "topic"}.get(action)
    for extra in ("reason", "note", "topic"):
        if extra != allowed_extra and data.get(extra) not in (None, ""):
            raise RuleDefinitionError(extra, f"does not go with the action {action}")
    if action == "reject":
        code = _text("reason", data.get("reason", ""), limit=40)
        if reasons is None:
            from curation.models import RejectionReason

            reasons = set(RejectionReason.objects.filter(active=True).values_list("code", flat=True))
        if code not in reasons:
            raise RuleDefinitionError(
                "reason", f"“{code}” is not an active rejection reason (known: {', '.join(sorted(reasons))})"
            )
        definition["reason"] = code
    elif action == "flag":
        definition["note"] = _text("note", data.get("note", ""), limit=MAX_NOTE)
    elif action == "add_topic":
        # The name as ensure_topics stores it, so the rule finds the topic it creates.
        definition["topic"] = visible_name(_text("topic", data.get("topic", "")))
        if not definition["topic"]:
            raise RuleDefinitionError("topic", "shows nothing (only invisible characters)")
    return definition


# --- the database side -------------------------------------------------------------------


def _topic_q(names, *, per_row):
    """Items linked to one of the named topics, two ways. Over a whole table (counts, the
    preview, the backtest): a semi-join, the ids read from the link table's topic index,
    which the database joins to the articles once. For a run, which reads its candidates a
    chunk at a time in id order: a probe per candidate (EXISTS on the link table's (article,
    topic) index), which stops with the chunk instead of collecting every linked article."""
    through = Article.topics.through
    if per_row:
        return Q(Exists(through.objects.filter(article_id=OuterRef("pk"), topic__name__in=names)))
    topic_ids = Topic.objects.filter(name__in=names).values("pk")
    return Q(pk__in=through.objects.filter(topic_id__in=topic_ids).values("article_id"))


def oldest_published(now, when):
    """The earliest publication time `age_max_hours` lets through at `now` (the SQL and the
    per-item check share it; a number of hours reaching back before any stored date is no
    bound at all, rather than an OverflowError: a 500 on the rule form's preview)."""
    return stored_moment_before(now, dt.timedelta(hours=when["age_max_hours"]))


def condition_q(when, now=None, *, per_row=False):
    """The conditions of `when` but the regular expressions, as one Q over Article
    (`per_row`: for a run's chunks rather than a whole table, see _topic_q)."""
    now = now or timezone.now()
    q = Q()
    if "quality_min" in when:
        q &= Q(quality__gte=when["quality_min"])
    if "quality_max" in when:
        q &= Q(quality__lte=when["quality_max"])
    if "heat_min" in when or "heat_max" in when:
        q &= ~HEAT_UNKNOWN_Q & Q(heat__isnull=False)  # min and max apply to known heat only
        if "heat_min" in when:
            q &= Q(heat__gte=when["heat_min"])
        if "heat_max" in when:
            q &= Q(heat__lte=when["heat_max"])
    if "heat_unknown" in when:
        q &= HEAT_UNKNOWN_Q if when["heat_unknown"] else (~HEAT_UNKNOWN_Q & Q(heat__isnull=False))
    if "provider" in when:
        names = when["provider"]
        q &= Q(provider__name__in=names) | Q(provider__domain__in=[name.lower() for name in names])
    if "topic" in when:
        q &= _topic_q(when["topic"], per_row=per_row)
    if "category" in when:
        q &= Q(category__in=when["category"])
    if "type" in when:
        q &= Q(article_type__in=when["type"])
    if "has_images" in when:
        q &= Q(has_images=when["has_images"])
    if "source_published" in when:
        q &= Q(source_published=when["source_published"])
    if "story_size_min" in when:
        size = when["story_size_min"]
        # An item in no story is a story of one.
        q &= Q(story__size__gte=size) | Q(story__isnull=True) if size <= 1 else Q(story__size__gte=size)
    if "age_max_hours" in when:
        q &= Q(published_at__gte=oldest_published(now, when))
    return q


# What a rule that publishes needs of an item (editorial.article_publication_problems, as a Q):
# a body-only item is never published by a rule until an editor completes it.
PUBLISHABLE_Q = Q(needs_metadata=False, provider__isnull=False, published_at__isnull=False) & ~Q(title="")


# --- in memory ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledRule:
    """A rule at one version, ready to evaluate: a run compiles the rules once when it
    starts and uses these versions to the end, whatever is saved meanwhile."""

    rule_id: int | None
    name: str
    version: int
    definition: dict

    @property
    def action(self):
        return self.definition["action"]

    @property
    def when(self):
        return self.definition.get("when", {})

    @property
    def decides(self):
        return self.action in DECIDING_ACTIONS

    @property
    def has_regex(self):
        return any(key in self.when for key in REGEX_CONDITIONS)

    @property
    def needs_text(self):
        return "text_matches" in self.when

    @property
    def matches_everything(self):
        return not self.when

    def q(self, now=None, *, per_row=False):
        q = condition_q(self.when, now, per_row=per_row)
        return q & PUBLISHABLE_Q if self.action == "publish" else q

    def patterns(self):
        cached = self.__dict__.get("_patterns")
        if cached is None:
            cached = {key: compile_pattern(self.when[key], key) for key in REGEX_CONDITIONS if key in self.when}
            object.__setattr__(self, "_patterns", cached)
        return cached

    def regex_matches(self, title, text):
        patterns = self.patterns()
        if "title_matches" in patterns and not patterns["title_matches"].search(title or ""):
            return False
        return not ("text_matches" in patterns and not patterns["text_matches"].search(text or ""))

    def matches(self, facts, now):
        """Whether the item described by `facts` (see rules.ItemFacts) meets every condition."""
        when = self.when
        quality, heat = facts.quality, facts.heat
        if "quality_min" in when and (quality is None or quality < when["quality_min"]):
            return False
        if "quality_max" in when and (quality is None or quality > when["quality_max"]):
            return False
        heat_unknown = heat is None or heat == HEAT_UNKNOWN
        if ("heat_min" in when or "heat_max" in when) and heat_unknown:
            return False
        if "heat_min" in when and heat < when["heat_min"]:
            return False
        if "heat_max" in when and heat > when["heat_max"]:
            return False
        if "heat_unknown" in when and heat_unknown != when["heat_unknown"]:
            return False
        if "provider" in when:
            names = when["provider"]
            if not (
                facts.provider_name in names
                or (facts.provider_domain and facts.provider_domain in {n.lower() for n in names})
            ):
                return False
        if "topic" in when and not set(when["topic"]) & set(facts.topics):
            return False
        if "category" in when and facts.category not in when["category"]:
            return False
        if "type" in when and facts.article_type not in when["type"]:
            return False
        for key in ("has_images", "source_published"):
            if key in when and getattr(facts, key) != when[key]:
                return False
        if "story_size_min" in when and (facts.story_size or 1) < when["story_size_min"]:
            return False
        if "age_max_hours" in when and (facts.published_at is None or facts.published_at < oldest_published(now, when)):
            return False
        if self.action == "publish" and not facts.publishable:
            return False
        return self.regex_matches(facts.title, facts.text)
