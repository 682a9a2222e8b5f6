"""Bulk decisions beyond one page, and taking the last one back.

A bulk run is a list of article ids (the ticked rows, or every item a filter matches, up to
MAX_MATCHING) and one decision. It runs in chunks of `editorial.MAX_BULK_ITEMS`, each
item in its own transaction through `editorial.bulk_transition` (so the permission, state
rules and audit rows are the editorial service's), and remembers, for every item it changed,
the version it left and what the item was before. That memory lives in the cache for
RUN_TTL seconds under a token only its editor can use: the page asks for the next chunk
(with a progress bar, or a "Continue" button without JavaScript), and the result message
offers to undo the run.

Undo puts each changed item back (state, rejection reason, schedule) in its own transaction,
audited as `EditorialAction.Action.UNDO`; an item changed by anyone since (its version moved
on) is skipped and named.
"""

import contextlib
import re
import secrets
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from curation.models import Article
from curation.services import editorial
from curation.services.editorial import (
    MAX_BULK_ITEMS,
    TRANSITIONS,
    Action,
    ConflictError,
    EditorialError,
    _lock,
    _require,
    _save,
    _short,
    failures_sentence,
)
from curation.services.transactions import retry_transient

MAX_MATCHING = 10_000
RUN_TTL = 60 * 60
# How long a run stays claimed by a request that died holding it (a chunk takes seconds;
# the claim is given back as soon as the chunk or the undo ends).
CLAIM_TTL = 10 * 60
REMEMBERED = ("state", "rejection_code", "rejection_reason", "live_from", "live_until")


@dataclass
class BulkRun:
    token: str
    user_id: int
    action: str
    ids: list
    reason: str = ""
    reason_code: str = ""
    position: int = 0  # ids before this one have been processed
    changed: list = field(default_factory=list)  # [(id, version left, {field: value before})]
    failed: list = field(default_factory=list)  # [(id, title, message)]
    undone: bool = False
    what: str = ""  # what the editor did, when it was not one decision (a story's publication)

    @property
    def total(self):
        return len(self.ids)

    @property
    def finished(self):
        return self.position >= len(self.ids)

    @property
    def label(self):
        return self.what or Action(self.action).label.lower()

    @property
    def message(self):
        done = len(self.changed)
        text = f"{done:,} {'item' if done == 1 else 'items'} {self.label}."
        if not self.finished:
            text += f" {self.total - self.position:,} still to do."
        text += failures_sentence(self.failed)
        return text


@dataclass
class UndoResult:
    restored: list = field(default_factory=list)  # [article id]
    skipped: list = field(default_factory=list)  # [(id, title, why)]

    @property
    def message(self):
        text = f"Undone: {len(self.restored):,} {'item is' if len(self.restored) == 1 else 'items are'} as before."
        if self.skipped:
            names = "; ".join(f"“{_short(title, 40)}” ({why})" for _, title, why in self.skipped[:10])
            more = f" and {len(self.skipped) - 10:,} more" if len(self.skipped) > 10 else ""
            text += f" {len(self.skipped):,} left as they are: {names}{more}."
        return text


def _key(token):
    return f"curation:bulk-run:{token}"


def _store(run):
    cache.set(_key(run.token), run, RUN_TTL)


class AlreadySent(EditorialError):
    """The same bulk bar (its `submission` key) was sent again: the decision runs once."""


def new_submission_key():
    """A key for one rendering of the bulk bar, sent back with its decision (`start_run`)."""
    return secrets.token_urlsafe(16)


def use_submission(user, submission):
    """Use the bulk bar's key (`new_submission_key`) once, or refuse with AlreadySent: the
    bar's decisions (`start_run`) and its schedule (`scheduling.bulk_schedule`, `bulk_unschedule`)
    call it after their own checks, so a refused send leaves the key for the fixed one. One
    key a rendering of the bar, whichever of them it sends. No key (a script, the admin):
    nothing is checked."""
    if submission and _TOKEN.fullmatch(submission):
        if not cache.add(f"curation:bulk-sent:{user.pk}:{submission}", True, RUN_TTL):
            raise AlreadySent("That decision was already sent (a second click?): it is applied once.")


def start_run(*, user, action, article_ids, reason="", reason_code="", submission=""):
    """A new run of `action` over `article_ids` (nothing is changed yet: see `run_chunk`).
    The permission and a rejection's reason are checked here, before anything is done.

    `submission`: the key the bulk bar was drawn with. Its decision sent twice (a double
    click on "Apply decision" without JavaScript) started two runs over the same items:
    the second found them decided and "failed" on each, or the two shared the items
    between them, and the queue's Undo, which knows one run, left the other's items as
    they were. A key already used starts nothing (AlreadySent); a refused decision (a
    missing note) does not use it, so the same bar can be fixed and sent again."""
    if action not in TRANSITIONS:
        raise EditorialError("Pick a decision to apply.")
    _require(user, TRANSITIONS[action].permission)
    if action == Action.REJECT:
        reason_code, reason = editorial.rejection_reason(reason_code, reason)
    ids = list(dict.fromkeys(article_ids))
    if not ids:
        raise EditorialError("Select at least one item.")
    if len(ids) > MAX_MATCHING:
        raise EditorialError(f"At most {MAX_MATCHING:,} items at once (narrow the list with the filters).")
    use_submission(user, submission)
    run = BulkRun(secrets.token_urlsafe(16), user.pk, action, ids, reason=reason, reason_code=reason_code)
    _store(run)
    return run


def record_run(*, user, action, changed, what):
    """A finished run for changes already made in one act (a story's publication: its lead
    published, the rest rejected), so the result offers the same Undo as a bulk decision.
    `changed`: [(id, version left, {field: value before})], as `run_chunk` records them;
    `action` is the decision whose permission undoing it needs."""
    ids = [pk for pk, _version, _before in changed]
    run = BulkRun(secrets.token_urlsafe(16), user.pk, action, ids, position=len(ids), changed=list(changed), what=what)
    _store(run)
    return run


def remembered(article_ids):
    """What an undo puts back, for each of these articles as they are now: {id: {field: value}}."""
    return {row.pop("pk"): row for row in Article.objects.filter(pk__in=article_ids).order_by().values("pk", *REMEMBERED)}


# What secrets.token_urlsafe(16) gives: a token from the URL that is not of that shape is
# not looked up at all (control characters or a long text make a key memcached refuses).
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def load_run(token, user):
    """The run under `token`, if it is this user's and still remembered."""
    run = cache.get(_key(token)) if isinstance(token, str) and _TOKEN.fullmatch(token) else None
    if run is None or run.user_id != user.pk:
        raise EditorialError("That bulk action is no longer remembered (they are kept for an hour).")
    return run


@contextlib.contextmanager
def _claimed(run):
    """The run as the cache holds it now, for one request at a time. Continue or Undo sent
    twice at once (a double click without JavaScript, two tabs) each read the run, did
    their work and stored it back, the last one winning: a chunk that found its items
    already decided stored "0 changed" over the record of the request that decided them,
    and Undo then left those items as they were. The second request is refused instead,
    and whoever holds the claim works from the run as last stored, never a stale copy."""
    claim = f"{_key(run.token)}:claim"
    if not cache.add(claim, True, CLAIM_TTL):
        raise EditorialError("That bulk action is already being applied (a second click?); the queue shows how far it got.")
    try:
        current = cache.get(_key(run.token))
        if current is None:
            raise EditorialError("That bulk action is no longer remembered (they are kept for an hour).")
        yield current
    finally:
        cache.delete(claim)


def run_chunk(run, *, user):
    """Process the next MAX_BULK_ITEMS ids of `run` and remember the outcome; returns the
    run as it now stands."""
    with _claimed(run) as run:
        if run.undone:
            raise EditorialError("That bulk action was undone.")
        chunk = run.ids[run.position : run.position + MAX_BULK_ITEMS]
        if not chunk:
            return run
        before = remembered(chunk)
        result = editorial.bulk_transition(
            action=run.action, article_ids=chunk, user=user, reason=run.reason, reason_code=run.reason_code
        )
        for article in result.succeeded:
            previous = before.get(article.pk)
            if previous is not None:
                run.changed.append((article.pk, article.version, {name: previous[name] for name in REMEMBERED}))
        run.failed.extend(result.failed)
        run.position += len(chunk)
        _store(run)
        return run


def undo_run(run, *, user):
    """Put every item `run` changed back as it was, unless it changed again since."""
    _require(user, TRANSITIONS[run.action].permission)
    with _claimed(run) as run:
        if run.undone:
            raise EditorialError("That bulk action was already undone.")
        result = UndoResult()
        titles = dict(Article.objects.filter(pk__in=[pk for pk, _, _ in run.changed]).values_list("pk", "title"))
        for pk, version, previous in run.changed:
            if pk not in titles:
                result.skipped.append((pk, f"#{pk}", "deleted since"))
                continue
            try:
                _undo_one(pk, version, previous, user=user, label=run.label)
                result.restored.append(pk)
            except ConflictError:
                result.skipped.append((pk, titles[pk], "changed since"))
            except EditorialError as exc:
                result.skipped.append((pk, titles[pk], str(exc)))
        run.undone = True
        _store(run)
        return result


@retry_transient
def _undo_one(pk, version, previous, *, user, label):
    with transaction.atomic():
        article = _lock(pk, version)
        now = timezone.now()
        restored = Article(
            state=previous["state"],
            live_from=previous["live_from"],
            live_until=previous["live_until"],
            embargo_until=article.embargo_until,
        )
        changes = {
            **previous,
            "state_changed_at": now,
            "state_changed_by": user,
            "boundary_due_at": restored.next_boundary_after(now),
        }
        return _save(
            article,
            changes=changes,
            user=user,
            action=Action.UNDO,
            via="bulk",
            before={"state": article.state},
            after={"state": previous["state"]},
            reason=f"Undid a bulk “{label}”.",
        )
