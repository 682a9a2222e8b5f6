"""The schedule: go-live times, expiry and embargo, and the job that records each boundary.

The model (see curation.models): a scheduled item is `state=published` with a go-live time
(`live_from`) still ahead; "Scheduled" is what editors see for it. Readers see an item when
`live_condition` says so, tested by every public read against the clock, so an item goes
live at 07:00 exactly even if the job never runs. An optional expiry (`live_until`) takes it
down the same way, and an embargo (`embargo_until`) holds it from readers whatever anyone
publishes: only holders of the `embargo_article` permission may set or lift one, and no
publish or schedule action changes it (a scheduled time before the embargo's end simply
takes effect at the end).

Every write here goes through the editorial service's helpers (`_lock`, `_save`), so the
permission checks, the version check (ConflictError -> 409) and the audit row work exactly
as for publish or edit. Times must be aware datetimes: a naive one is refused, never
guessed (the forms turn what editors type into instants, see curation.localtime).

`record_due_boundaries` is the job (`manage.py publish_scheduled`): it writes the audit rows
"went live" and "expired" for the boundaries that have passed, once each. Those rows move the
public validators' editorial stamp as well, so every server's ETags change again after it.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from curation.models import Article, ArticleState, EditorialAction, ScheduleStatus
from curation.services.bulk import use_submission
from curation.services.editorial import (
    MAX_BULK_ITEMS,
    NOT_REJECTED,
    PUBLISH_PERMISSION,
    Action,
    ConflictError,
    EditorialError,
    InvalidEdit,
    InvalidTransition,
    _lock,
    _require,
    _save,
    _short,
    check_transition,
    failures_sentence,
    needs_completing,
)

EMBARGO_PERMISSION = "curation.embargo_article"

# Times further ahead are refused: years like 20026 are typing mistakes, not plans.
MAX_AHEAD = dt.timedelta(days=3660)
# Bulk scheduling spaces items at most a week apart.
MAX_INTERVAL = dt.timedelta(days=7)


def can_schedule(user):
    return user.has_perm(PUBLISH_PERMISSION)


def can_embargo(user):
    return user.has_perm(EMBARGO_PERMISSION)


# What the article page's schedule panel offers (schedule_offer).
SCHEDULE_FORM = "form"
COMPLETE_FIRST = "complete-first"


def schedule_offer(*, article, user):
    """What the schedule panel offers `user` for `article`: the form (SCHEDULE_FORM), a
    word that the metadata comes first (COMPLETE_FIRST: scheduling publishes, and an item
    that lacks what publishing needs would only be refused, the time typed lost), or
    nothing (None: no permission, or a body attached to another article)."""
    if not can_schedule(user) or article.state == ArticleState.MERGED:
        return None
    if article.state != ArticleState.PUBLISHED and needs_completing(article):
        return COMPLETE_FIRST
    return SCHEDULE_FORM


def _check_time(value, name, now):
    if value is None:
        return
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        raise InvalidEdit({name: "A time without a time zone names no single moment; give its zone or UTC offset."})
    if value > now + MAX_AHEAD:
        raise InvalidEdit({name: f"Pick a time within the next {MAX_AHEAD.days // 366} years."})


def _iso(value):
    return value.isoformat() if value else None


def _schedule_snapshot(article):
    return {
        "state": article.state,
        "live_from": _iso(article.live_from),
        "live_until": _iso(article.live_until),
    }


@dataclass
class Scheduled:
    """What a schedule write did, for the message the editor sees."""

    article: Article
    changed: bool = True
    live_now: bool = False  # no go-live time, or one that had passed: live from now
    past_time: dt.datetime | None = None  # the go-live time asked for, when it had passed

    @property
    def held_until(self):
        """The embargo's end, when it holds the item back beyond its go-live time."""
        article = self.article
        if article.embargo_until and article.embargo_until > timezone.now():
            if article.live_from is None or article.embargo_until > article.live_from:
                return article.embargo_until
        return None


def schedule_article(*, article, user, go_live_at=None, expire_at=None, expected_version=None, via="curator"):
    """Publish `article` at `go_live_at` (None or a time that has passed: now), until
    `expire_at` (None: no expiry). Works on a new or rejected item (it becomes published,
    under the publish rules), and reschedules a published one. One audit row."""
    _require(user, PUBLISH_PERMISSION)
    now = timezone.now()
    _check_time(go_live_at, "go_live_at", now)
    _check_time(expire_at, "expire_at", now)
    past_time = go_live_at if go_live_at is not None and go_live_at <= now else None
    live_from = None if past_time is not None else go_live_at
    if expire_at is not None:
        if expire_at <= now:
            raise InvalidEdit({"expire_at": "That expiry time has passed; pick a later one, or leave it empty."})
        if live_from is not None and expire_at <= live_from:
            raise InvalidEdit({"expire_at": "The expiry must come after the go-live time."})
    article_id = article.pk if isinstance(article, Article) else article
    with transaction.atomic():
        article = _lock(article_id, expected_version)
        was_live = article.is_live(now)
        if article.state != ArticleState.PUBLISHED:
            check_transition(article, Action.PUBLISH)
        elif live_from is None and was_live:
            live_from = article.live_from  # already live: "now" keeps it as it is
        if expire_at is not None and article.embargo_until and expire_at <= article.embargo_until:
            raise InvalidEdit(
                {
                    "expire_at": f"It is under embargo until {article.embargo_until:%Y-%m-%d %H:%M:%S} UTC; "
                    "an expiry before then means no reader ever sees it."
                }
            )
        before = _schedule_snapshot(article)
        changes = {"live_from": live_from, "live_until": expire_at}
        if article.state != ArticleState.PUBLISHED:
            changes.update(state=ArticleState.PUBLISHED, state_changed_at=now, state_changed_by=user, **NOT_REJECTED)
        if all(getattr(article, name) == value for name, value in changes.items()):
            return Scheduled(article, changed=False)
        planned = Article(
            state=ArticleState.PUBLISHED, live_from=live_from, live_until=expire_at, embargo_until=article.embargo_until
        )
        changes["boundary_due_at"] = planned.next_boundary_after(now)
        if not was_live:
            changes["listed_at"] = planned.listing_time(now)  # the public order (see Article.listed_at)
        after = {"state": ArticleState.PUBLISHED, "live_from": _iso(live_from), "live_until": _iso(expire_at)}
        saved = _save(article, changes=changes, user=user, action=Action.SCHEDULE, via=via, before=before, after=after)
        live_now = not was_live and saved.is_live(now)
        return Scheduled(saved, live_now=live_now, past_time=past_time if live_now else None)


def unschedule_article(*, article, user, expected_version=None, via="curator"):
    """Take a scheduled item (published, not live yet) back to the queue, its times cleared."""
    _require(user, PUBLISH_PERMISSION)
    article_id = article.pk if isinstance(article, Article) else article
    with transaction.atomic():
        article = _lock(article_id, expected_version)
        now = timezone.now()
        if article.schedule_status(now) != ScheduleStatus.SCHEDULED:
            raise InvalidTransition(
                f"“{_short(article.title)}” is not scheduled (it is {article.status(now)[1].lower()})."
            )
        changes = {
            "state": ArticleState.NEW,
            "state_changed_at": now,
            "state_changed_by": user,
            "live_from": None,
            "live_until": None,
            "boundary_due_at": None,
        }
        after = {"state": ArticleState.NEW, "live_from": None, "live_until": None}
        return _save(
            article,
            changes=changes,
            user=user,
            action=Action.UNSCHEDULE,
            via=via,
            before=_schedule_snapshot(article),
            after=after,
        )


# --- bulk ---------------------------------------------------------------------------------


@dataclass
class BulkScheduleResult:
    succeeded: list = field(default_factory=list)  # [Scheduled]
    failed: list = field(default_factory=list)  # [(article_id, title, message)]
    unscheduled: bool = False

    @property
    def message(self):
        text = self.summary
        text += failures_sentence(self.failed)
        return text

    @property
    def summary(self):
        """What succeeded, without the failures."""
        count = len(self.succeeded)
        if self.unscheduled:
            text = f"{count} {'item' if count == 1 else 'items'} unscheduled (back in the queue)."
        else:
            text = f"{count} {'item' if count == 1 else 'items'} scheduled."
            live_now = sum(1 for item in self.succeeded if item.past_time is not None)
            if live_now:
                text += f" {live_now} of them had a time that has passed and went live now."
            held = sum(1 for item in self.succeeded if item.held_until is not None)
            if held:
                text += f" {held} {'is' if held == 1 else 'are'} under embargo and go{'es' if held == 1 else ''} live when it ends."
        return text


def _bulk(article_ids, user, write, submission):
    _require(user, PUBLISH_PERMISSION)
    if len(article_ids) > MAX_BULK_ITEMS:
        raise EditorialError(f"Select at most {MAX_BULK_ITEMS} items at a time (narrow the list with the filters).")
    # The queue's bar sent twice (a double click without JavaScript, two tabs) ran twice:
    # the second's "0 items scheduled" or "N failed: not scheduled" replaced the first's
    # result. Its key is used once, as for the bar's decisions (AlreadySent, a 409).
    use_submission(user, submission)
    result = BulkScheduleResult()
    titles = dict(Article.objects.filter(pk__in=article_ids).values_list("pk", "title"))
    for position, article_id in enumerate(article_ids):
        if article_id not in titles:
            result.failed.append((article_id, f"#{article_id}", "no such article"))
            continue
        try:
            result.succeeded.append(write(position, article_id))
        except InvalidEdit as exc:
            result.failed.append((article_id, titles[article_id], "; ".join(exc.errors.values())))
        except EditorialError as exc:
            result.failed.append((article_id, titles[article_id], str(exc)))
    return result


def bulk_schedule(*, article_ids, user, start, interval=dt.timedelta(0), expire_at=None, via="bulk", submission=""):
    """Schedule the items in the order given: the first at `start`, each next one
    `interval` later (twenty items from 07:00, five minutes apart). One transaction per item;
    a failure affects only that item. `expire_at` applies to every item. `submission`: the
    queue bar's one-time key (bulk.use_submission)."""
    if start is None:
        raise InvalidEdit({"go_live_at": "Give the time the first item goes live."})
    _check_time(start, "go_live_at", timezone.now())
    if not dt.timedelta(0) <= interval <= MAX_INTERVAL:
        raise InvalidEdit({"interval": f"The interval must be between 0 and {MAX_INTERVAL.days * 24 * 60} minutes."})

    def write(position, article_id):
        return schedule_article(
            article=article_id, user=user, go_live_at=start + position * interval, expire_at=expire_at, via=via
        )

    return _bulk(article_ids, user, write, submission)


def bulk_unschedule(*, article_ids, user, via="bulk", submission=""):
    def write(_position, article_id):
        return unschedule_article(article=article_id, user=user, via=via)

    result = _bulk(article_ids, user, write, submission)
    result.unscheduled = True
    return result


# --- embargo ------------------------------------------------------------------------------


def _embargo_write(article_id, *, user, until, action, expected_version, via):
    with transaction.atomic():
        article = _lock(article_id, expected_version)
        now = timezone.now()
        if article.state == ArticleState.MERGED:
            raise InvalidTransition(f"“{_short(article.title)}” was merged into another article.")
        if until is None and not article.is_under_embargo(now):
            raise InvalidTransition(f"“{_short(article.title)}” is not under embargo.")
        if until is not None and article.live_until is not None and now < article.live_until <= until:
            # schedule_article's refusal, the other way round: held until after it expires,
            # no reader would ever see it.
            raise InvalidEdit(
                {
                    "embargo_until": f"It is scheduled to expire at {article.live_until:%Y-%m-%d %H:%M:%S} UTC; "
                    "an embargo until then or later means no reader ever sees it. End the embargo earlier, "
                    "or change the expiry first."
                }
            )
        planned = Article(
            state=article.state, live_from=article.live_from, live_until=article.live_until, embargo_until=until
        )
        changes = {"embargo_until": until, "boundary_due_at": planned.next_boundary_after(now)}
        if article.state == ArticleState.PUBLISHED and not article.is_live(now):
            changes["listed_at"] = planned.listing_time(now)  # listed when readers first see it
        before, after = {"embargo_until": _iso(article.embargo_until)}, {"embargo_until": _iso(until)}
        return _save(article, changes=changes, user=user, action=action, via=via, before=before, after=after)


def set_embargo(*, article, user, until, expected_version=None, via="curator"):
    """Hold the item from every reader until `until`, whatever its state or schedule."""
    _require(user, EMBARGO_PERMISSION)
    now = timezone.now()
    _check_time(until, "embargo_until", now)
    if until is None or until <= now:
        raise InvalidEdit({"embargo_until": "An embargo needs an end time that is still ahead."})
    article_id = article.pk if isinstance(article, Article) else article
    return _embargo_write(
        article_id, user=user, until=until, action=Action.EMBARGO, expected_version=expected_version, via=via
    )


def lift_embargo(*, article, user, expected_version=None, via="curator"):
    """End the embargo now: a published item whose go-live time has come is live at once."""
    _require(user, EMBARGO_PERMISSION)
    article_id = article.pk if isinstance(article, Article) else article
    return _embargo_write(
        article_id, user=user, until=None, action=Action.LIFT_EMBARGO, expected_version=expected_version, via=via
    )


# --- the job ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Boundary:
    article_id: int
    title: str
    kind: str  # "went_live" or "expired"
    at: dt.datetime


BOUNDARY_ACTIONS = {"went_live": Action.WENT_LIVE, "expired": Action.EXPIRED}


def due_boundaries(now=None):
    """The boundaries that have passed and have no audit row yet, oldest first (no writes)."""
    now = now or timezone.now()
    found = []
    for article in (
        Article.objects.with_boundary_due(now)
        .order_by("boundary_due_at", "pk")
        .only("pk", "title", "state", "live_from", "live_until", "embargo_until", "boundary_due_at")
    ):
        found.extend(_passed(article, now))
    return sorted(found, key=lambda boundary: (boundary.at, boundary.article_id))


def _passed(article, now):
    return [
        Boundary(article.pk, article.title, kind, at)
        for at, kind in article.boundaries()
        if article.boundary_due_at <= at <= now
    ]


def record_due_boundaries(now=None):
    """Write one audit row per boundary that has passed ("went live", "expired"), once:
    each article moves its `boundary_due_at` on in the same transaction. The editorial
    version is checked but not bumped: time passing is not an editor's change, and an
    editor's open page stays valid. Returns the Boundary list written."""
    now = now or timezone.now()
    ids = list(Article.objects.with_boundary_due(now).order_by("boundary_due_at", "pk").values_list("pk", flat=True))
    written = []
    for article_id in ids:
        try:
            written.extend(_record_one(article_id, now))
        except ConflictError:
            continue  # an editor's write won the row between our read and write: the next run retries
    return written


def _record_one(article_id, now):
    with transaction.atomic():
        try:
            article = Article.objects.select_for_update().get(pk=article_id)
        except Article.DoesNotExist:
            return []
        if article.boundary_due_at is None or article.boundary_due_at > now:
            return []  # an editor changed the schedule meanwhile
        passed = _passed(article, now)
        for boundary in passed:
            live = boundary.kind == "went_live"
            EditorialAction.objects.create(
                article=article,
                actor=None,
                action=BOUNDARY_ACTIONS[boundary.kind],
                created_at=now,
                via="command",
                before={"visible": not live},
                after={"visible": live, "at": boundary.at.isoformat()},
            )
        listed = {}
        went_live = [boundary.at for boundary in passed if boundary.kind == "went_live"]
        if went_live:
            listed["listed_at"] = max(went_live)  # listed to readers from the moment it went live
        updated = Article.objects.filter(pk=article.pk, version=article.version).update(
            boundary_due_at=article.next_boundary_after(now), **listed
        )
        if not updated:
            raise ConflictError("changed during the run")  # rolls this article's rows back
        return passed
