"""Keeping the statistics rollup (`StatsCount`) current with the audit log and import ledger.

Both logs are append-only, so each row is counted once: `refresh()` reads the rows after the
watermark in chunks and, per chunk in one transaction, adds their counts to the rollup and
moves the watermark. The page calls it with a row budget (a view never counts millions of
rows); `manage.py curation_stats --refresh` runs it to the end for the scheduler, and
`--rebuild` starts again from nothing (after rows were deleted, or the zone changed).

What is counted, per day in the display time zone (metric: keys):

- inflow: created / updated / unchanged / failed (ledger rows, one per file per run);
- decision: published / rejected:<reason code> / merged / unpublished / restored;
- decided_by: rule / editor (publish, reject and merge decisions);
- editor: "<user id>:<published|rejected|merged>" (decisions by people; the id stays when
  the user is deleted, and the page names them "deleted user");
- latency: the first decision on an item, in LATENCY_BUCKETS of seconds since its import;
- quality, heat: "<band>:<published|rejected>" for each item's first decision by an editor,
  in the item's band (`QUALITY_BANDS`, `HEAT_BANDS`) when the decision was counted;
- rule: "<rule>:decided" per rule decision, "<rule>:agree" / "<rule>:disagree" when an editor
  first acts on an item a rule decided (publish, reject, unpublish or restore), on that day.

Commit order: a row given a lower id but committed after a higher one was counted (possible
on PostgreSQL with concurrent writers) is missed until the next `--rebuild`; the nightly job
rebuilds for that reason (see README).
"""

import bisect
from collections import Counter, defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from curation.models import (
    HEAT_BANDS,
    HEAT_UNKNOWN,
    QUALITY_BANDS,
    Article,
    EditorialAction,
    ImportLedgerEntry,
    StatsCount,
    StatsWatermark,
)
from curation.models.stats import display_zone

Action = EditorialAction.Action
CHUNK = 20_000
SOURCES = ("audit", "ledger")

# The decisions an item leaves the queue by, and how an editor's later act reads a rule's.
DECISIONS = {Action.PUBLISH: "published", Action.REJECT: "rejected", Action.ATTACH: "merged"}
OUTCOMES = {
    Action.PUBLISH: "published",
    Action.REJECT: "rejected",
    Action.UNPUBLISH: "rejected",
    Action.RESTORE: "published",
}
REVERSALS = {Action.UNPUBLISH: "unpublished", Action.RESTORE: "restored"}
COUNTED_ACTIONS = tuple({*DECISIONS, *OUTCOMES, *REVERSALS})
RULE_VIA = "rule"

# Seconds from import to first decision, in about 120 steps (a few per day row, so a range of
# years sums few rows): minutes at first, then coarser; the median is read off these (its
# bucket's lower bound).
LATENCY_BUCKETS = (
    [m * 60 for m in range(10)]  # each minute to 10 minutes
    + [600 + m * 300 for m in range(10)]  # 5 minutes to an hour
    + [3600 + m * 1800 for m in range(10)]  # half-hours to 6 hours
    + [6 * 3600 + h * 3600 for h in range(18)]  # hours to a day
    + [86400 + h * 6 * 3600 for h in range(24)]  # quarter-days to a week
    + [7 * 86400 + d * 86400 for d in range(23)]  # days to 30 days
    + [30 * 86400 + w * 7 * 86400 for w in range(48)]  # weeks to about a year
)


def latency_bucket(seconds):
    return LATENCY_BUCKETS[max(0, bisect.bisect_right(LATENCY_BUCKETS, max(0, seconds)) - 1)]


def band_key(bands, value):
    if bands is HEAT_BANDS and (value is None or value == HEAT_UNKNOWN):
        return "unknown"
    return next((band.key for band in bands if band.contains(value)), "none")


def refresh(*, max_rows=None, now=None):
    """Count log rows after the watermarks into the rollup. `max_rows`: stop after about so
    many rows per log (None: to the end). Returns {source: rows still to count}."""
    zone = display_zone()
    for source in SOURCES:
        state = StatsWatermark.objects.filter(source=source).first()
        if state is not None and state.time_zone != settings.STATS_TIME_ZONE:
            rebuild_start()
            break
    left = {}
    for source, counter in (("audit", _count_audit), ("ledger", _count_ledger)):
        done = 0
        while max_rows is None or done < max_rows:
            size = CHUNK if max_rows is None else min(CHUNK, max_rows - done)
            n = _refresh_chunk(source, counter, zone, now, size)
            done += n
            if n < size:
                break
        left[source] = _rows_after(source)
    return left


def rebuild_start():
    """Forget every count; the next refresh counts both logs from the start."""
    with transaction.atomic():
        StatsCount.objects.all().delete()
        StatsWatermark.objects.all().delete()


def lag():
    """{source: rows not counted yet}, for the page to say the figures lag."""
    return {source: _rows_after(source) for source in SOURCES}


def _model(source):
    return EditorialAction if source == "audit" else ImportLedgerEntry


def _rows_after(source, cap=1_000_000):
    """Rows not counted yet, up to `cap` (cap + 1 for "more")."""
    state = StatsWatermark.objects.filter(source=source).first()
    last = state.last_id if state else 0
    return _model(source).objects.filter(pk__gt=last).order_by()[: cap + 1].count()


def _refresh_chunk(source, counter, zone, now, size):
    with transaction.atomic():
        state, _ = StatsWatermark.objects.select_for_update().get_or_create(
            source=source, defaults={"time_zone": settings.STATS_TIME_ZONE}
        )
        ids = list(
            _model(source).objects.filter(pk__gt=state.last_id).order_by("pk").values_list("pk", flat=True)[:size]
        )
        if not ids:
            return 0
        counts = counter(ids[0], ids[-1], zone)
        _add(counts)
        state.last_id = ids[-1]
        state.time_zone = settings.STATS_TIME_ZONE
        state.updated_at = now or timezone.now()
        state.save()
        return len(ids)


def _add(counts):
    """Add {(metric, day, key): n} to the rollup's day rows and their month rows (read, add,
    write: the caller holds the watermark's lock)."""
    if not counts:
        return
    months = Counter()
    for (metric, day, key), n in counts.items():
        months[(metric, day.replace(day=1), key)] += n
    for period, deltas in ((StatsCount.DAY, counts), (StatsCount.MONTH, months)):
        _add_rows(period, deltas)


def _add_rows(period, deltas):
    by_metric = defaultdict(set)
    for metric, day, _key in deltas:
        by_metric[metric].add(day)
    existing = {}
    for metric, days in by_metric.items():
        rows = StatsCount.objects.filter(metric=metric, period=period, day__gte=min(days), day__lte=max(days))
        for row in rows:
            existing[(row.metric, row.day, row.key)] = row
    changed, created = [], []
    for (metric, day, key), n in deltas.items():
        row = existing.get((metric, day, key))
        if row is None:
            created.append(StatsCount(metric=metric, period=period, day=day, key=key, value=n))
        else:
            row.value += n
            changed.append(row)
    StatsCount.objects.bulk_update(changed, ["value"], batch_size=1000)
    StatsCount.objects.bulk_create(created, batch_size=1000)


def _count_ledger(first, last, zone):
    counts = Counter()
    rows = ImportLedgerEntry.objects.filter(pk__gte=first, pk__lte=last).order_by().values_list("created_at", "status")
    for created_at, status in rows.iterator(chunk_size=5000):
        counts[("inflow", created_at.astimezone(zone).date(), status)] += 1
    return counts


def _count_audit(first, last, zone):
    """Counts of the audit rows with ids first..last. The decisions' history (first decision,
    the rule an editor follows up) comes from each item's earlier rows, read once per chunk."""
    rule_field = "rule_name"  # the rule behind a rule decision (its name survives the rule)
    fields = ("pk", "article_id", "actor_id", "action", "created_at", "via", "reason_code", rule_field)
    rows = list(
        EditorialAction.objects.filter(pk__gte=first, pk__lte=last, action__in=COUNTED_ACTIONS)
        .order_by("pk")
        .values_list(*fields)
    )
    counts = Counter()
    if not rows:
        return counts
    article_ids = sorted({row[1] for row in rows})
    earlier = defaultdict(list)  # article -> its counted rows before this chunk, in id order
    for row in (
        EditorialAction.objects.filter(article_id__in_ints=article_ids, pk__lt=first, action__in=COUNTED_ACTIONS)
        .order_by("pk")
        .values_list(*fields)
    ):
        earlier[row[1]].append(row)
    scores = {
        pk: (imported_at, quality, heat)
        for pk, imported_at, quality, heat in Article.objects.filter(pk__in_ints=article_ids)
        .order_by()
        .values_list("pk", "imported_at", "quality", "heat")
    }
    history = {article_id: _History(earlier[article_id]) for article_id in article_ids}
    for row in rows:
        _count_row(counts, row, history[row[1]], scores.get(row[1]), zone)
    return counts


class _History:
    """What came before on one item: was it decided, by an editor, what did a rule decide."""

    def __init__(self, rows):
        self.decided = self.editor_decided = False
        self.rule = None  # (rule name, outcome) of the last rule decision an editor has not acted on
        for row in rows:
            self.follow(row)

    def follow(self, row):
        _pk, _article, _actor, action, _at, via, _code, rule = row
        if action in DECISIONS:
            self.decided = True
        if via == RULE_VIA:
            if action in OUTCOMES:
                self.rule = (_rule_label(rule), OUTCOMES[action])
        elif action in OUTCOMES:
            if action in (Action.PUBLISH, Action.REJECT):
                self.editor_decided = True
            self.rule = None


def _rule_label(value):
    return str(value) if value not in (None, "") else "(unnamed rule)"


def _count_row(counts, row, history, scores, zone):
    _pk, _article, actor, action, created_at, via, code, rule = row
    day = created_at.astimezone(zone).date()
    by_rule = via == RULE_VIA
    if action in DECISIONS:
        kind = DECISIONS[action]
        counts[("decision", day, f"rejected:{code}" if kind == "rejected" else kind)] += 1
        counts[("decided_by", day, "rule" if by_rule else "editor")] += 1
        if not by_rule:
            counts[("editor", day, f"{actor or 0}:{kind}")] += 1
        if not history.decided and scores is not None:
            counts[("latency", day, str(latency_bucket((created_at - scores[0]).total_seconds())))] += 1
    elif action in REVERSALS:
        counts[("decision", day, REVERSALS[action])] += 1
    if by_rule and action in OUTCOMES:
        counts[("rule", day, f"{_rule_label(rule)}:decided")] += 1
    elif not by_rule and action in OUTCOMES:
        if history.rule is not None:
            name, outcome = history.rule
            counts[("rule", day, f"{name}:{'agree' if outcome == OUTCOMES[action] else 'disagree'}")] += 1
        if action in (Action.PUBLISH, Action.REJECT) and not history.editor_decided and scores is not None:
            kind = DECISIONS[action]
            counts[("quality", day, f"{band_key(QUALITY_BANDS, scores[1])}:{kind}")] += 1
            counts[("heat", day, f"{band_key(HEAT_BANDS, scores[2])}:{kind}")] += 1
    history.follow(row)
