"""A triage rule's writes on one item: publish, reject, flag, add a topic.

The editorial service's own machinery (the lock, the version check, the state machine, the
audit row) with no user: the audit row says `via="rule"`, with the rule's name and version,
and no actor. Each write checks, with the item locked, that no editor has acted on it (see
`editor_acted`): a rule never overrules an editor, even one who acted a moment ago.
"""

from functools import partial

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from curation.models import Article, ArticleFlag, ArticleState, EditorialAction
from curation.services import editorial, taxonomy
from curation.services.transactions import retry_transient

Action = EditorialAction.Action
RULE_VIA = "rule"


def editor_actions():
    """Audit rows of editors' acts (an actor, not a rule's). Every editorial write, from any
    path (curator, admin, bulk, commands), leaves one: decisions, edits, completing,
    unpublishing, restoring, story acts."""
    return EditorialAction.objects.filter(actor__isnull=False).exclude(via=RULE_VIA)


def untouched_q():
    """Items no editor acted on. Written as NOT EXISTS on the audit log's (article, time)
    index: a probe per candidate, instead of collecting every article editors ever touched
    (hundreds of thousands at a large newsroom) for each run or preview."""
    return ~Q(Exists(editor_actions().filter(article_id=OuterRef("pk"))))


def eligible_q():
    """What a rule may act on: in the queue, and untouched by editors."""
    return Q(state=ArticleState.NEW) & untouched_q()


def editor_acted(article):
    """With the item locked: the audit rows, and (belt and braces) the item's own record."""
    return (
        bool(article.edited_fields)
        or article.state_changed_by_id is not None
        or (editor_actions().filter(article_id=article.pk).exists())
    )


class Skipped(Exception):
    """The rule does not act on this item after all (the message says why)."""


def _audit(rule):
    return {"rule_id": rule.rule_id, "rule_name": rule.name, "rule_version": rule.version}


def _rule_exists(rule):
    from curation.models import Rule

    return rule.rule_id is not None and Rule.objects.filter(pk=rule.rule_id).exists()


@retry_transient
def apply(article_id, rule):
    """Perform `rule`'s action (a CompiledRule) on one article. Raises Skipped when an editor
    acted on it meanwhile, or the item no longer allows the action."""
    with transaction.atomic():
        article = editorial._lock(article_id, None)
        if editor_acted(article):
            raise Skipped("an editor acted on it")
        audit = _audit(rule) if _rule_exists(rule) else {**_audit(rule), "rule_id": None}
        # Every write here is the rule's: no user, and the audit row names the rule.
        save = partial(editorial._save, user=None, via=RULE_VIA, audit=audit)
        if rule.action in ("publish", "reject"):
            if article.state != ArticleState.NEW:
                raise Skipped(f"it is {article.state}")
            try:
                editorial.check_transition(article, rule.action)
            except editorial.EditorialError as exc:
                raise Skipped(str(exc)) from None
            transition = editorial.TRANSITIONS[rule.action]
            reason_code = reason = ""
            if rule.action == "reject":
                reason_code = rule.definition["reason"]
                reason = f"Rule “{rule.name}” v{rule.version}"
            changes, schedule_before = editorial.decision_changes(
                article, transition, user=None, reason_code=reason_code, reason=reason
            )
            return save(
                article,
                changes=changes,
                action=rule.action,
                before={"state": article.state, **schedule_before},
                after={"state": transition.to_state, **dict.fromkeys(schedule_before)},
                reason=reason,
                reason_code=reason_code,
            )
        if rule.action == "flag":
            note = rule.definition["note"]
            if ArticleFlag.objects.filter(article_id=article.pk, rule_name=rule.name).exists():
                raise Skipped("already flagged by this rule")
            return _flag(article, note, audit, via=RULE_VIA)
        if rule.action == "add_topic":
            name = rule.definition["topic"]
            current = sorted(article.topics.values_list("name", flat=True))
            if name in current:
                raise Skipped("it has the topic already")
            # One name in, at most one topic out, under the name as stored (see ensure_topics);
            # none for a rule saved before names were cleaned whose topic shows nothing.
            topic = next(iter(taxonomy.ensure_topics([name]).values()), None)
            if topic is None:
                raise Skipped(f"its topic name {name!r} shows nothing")
            article.topics.add(topic)
            # Not an editor's edit: edited_fields stays as it is (a re-import may replace the
            # topics, and the import's rules run again on the item's new values).
            return save(
                article, changes={}, action=Action.ADD_TOPIC, before={"topics": current}, after={"topics": sorted([*current, name])}
            )
        raise ValueError(f"unknown action {rule.action!r}")


def _flag(article, note, audit, *, via):
    now = timezone.now()
    ArticleFlag.objects.create(
        article=article,
        rule_id=audit.get("rule_id"),
        rule_name=audit.get("rule_name", ""),
        rule_version=audit.get("rule_version"),
        note=note,
        created_at=now,
    )
    # A flag is a note for editors, not a change of the item: the version stays, so an editor
    # with the page open is not refused for it.
    Article.objects.filter(pk=article.pk).update(flagged_at=now, flag_note=note)
    _audit_flag(article, actor=None, at=now, via=via, before={}, after={"note": note}, audit=audit)
    return article


def _audit_flag(article, *, actor, at, via, before, after, audit=None):
    """The audit row of a flag set or dismissed (with no new version: see `_flag`)."""
    EditorialAction.objects.create(
        article=article, actor=actor, action=Action.FLAG, created_at=at, via=via, before=before, after=after, **(audit or {})
    )


@retry_transient
def flag_source_change(article_id, *, rule_name, rule_version, rule_id=None):
    """The source changed an item a rule decided: flag it for an editor (the decision
    stands; nothing is unpublished silently). Audited via="import"."""
    with transaction.atomic():
        article = editorial._lock(article_id, None)
        note = f"The source changed after rule “{rule_name}” v{rule_version} {article.state} it: check it."
        audit = {"rule_id": rule_id, "rule_name": rule_name, "rule_version": rule_version}
        return _flag(article, note, audit, via="import")


@retry_transient
def clear_flag(*, article, user):
    """An editor dismisses an item's flag (its notes stay in the history)."""
    editorial._require(user, editorial.EDIT_PERMISSION)
    article_id = article.pk if isinstance(article, Article) else article
    with transaction.atomic():
        article = editorial._lock(article_id, None)
        if article.flagged_at is None:
            return article
        Article.objects.filter(pk=article.pk).update(flagged_at=None, flag_note="")
        _audit_flag(article, actor=user, at=timezone.now(), via="curator", before={"note": article.flag_note}, after={"note": ""})
        article.refresh_from_db()
        return article
