"""The newsroom in numbers: every figure of the statistics page, its JSON, CSV and command.

Each figure is a plain dict the four doors share (the template draws its table, static/js/
stats.js its chart, the CSV and `curation_stats` their rows):

    {"id", "title", "kind": "bar" | "line", "stacked", "x_label", "y_label",
     "labels": [x values], "series": [{"key", "label", "data": [...], "chart": bool}],
     "note": text}

`chart: False` marks columns only the table shows (the counts beside a share).

Per-day figures come from the rollup (`StatsCount`, kept by services.stats_rollup) with one
query per figure; the queue, import runs and stories are read live through indexes. A range
longer than DAILY_UP_TO days is shown per month, so a chart never has thousands of bars.
"""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Sum
from django.utils import timezone

from curation.models import (
    HEAT_CALIBRATION_BANDS,
    QUALITY_BANDS,
    Article,
    ImportRun,
    RejectionReason,
    StatsCount,
    Story,
)
from curation.models.stats import display_zone

DEFAULT_DAYS = 30
MAX_DAYS = 20 * 366
DAILY_UP_TO = 120
EARLIEST = dt.date(1990, 1, 1)
LATEST = dt.date(2200, 12, 31)
RUN_LIMIT = 50
DELETED_USERS = "(deleted users)"
QUEUE_AGES = (
    ("under_1h", "Under 1 h", 0, 3600),
    ("1_6h", "1–6 h", 3600, 6 * 3600),
    ("6_24h", "6–24 h", 6 * 3600, 86400),
    ("older", "Older than 24 h", 86400, None),
)
STORY_SIZES = (
    ("2", "2", 2, 3),
    ("3", "3", 3, 4),
    ("4_5", "4–5", 4, 6),
    ("6_10", "6–10", 6, 11),
    ("11_20", "11–20", 11, 21),
    ("21", "21 and more", 21, None),
)


class StatsRangeError(ValueError):
    """A date range the page cannot show; the message says why."""


@dataclass(frozen=True)
class StatsRange:
    start: dt.date  # first day, in the display time zone
    end: dt.date  # last day, included

    @property
    def days(self):
        return (self.end - self.start).days + 1

    @property
    def monthly(self):
        return self.days > DAILY_UP_TO

    def bounds(self):
        """[start, end) as aware datetimes: midnight in the display time zone."""
        zone = display_zone()
        start = dt.datetime.combine(self.start, dt.time.min, zone)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, zone)
        return start, end

    def buckets(self):
        """The x values: every day, or the first day of every month."""
        if not self.monthly:
            return [self.start + dt.timedelta(days=n) for n in range(self.days)]
        months, month = [], self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return months

    def bucket_of(self, day):
        return day.replace(day=1) if self.monthly else day

    def label(self, bucket):
        return bucket.strftime("%Y-%m") if self.monthly else bucket.isoformat()


def today():
    return timezone.now().astimezone(display_zone()).date()


def _parse_date(name, values):
    if len(values) > 1:
        raise StatsRangeError(f"Give “{name}” once.")
    value = values[0].strip()
    digits = value[:4] + value[5:7] + value[8:]
    if len(value) != 10 or not (value.isascii() and digits.isdigit() and value[4] == value[7] == "-"):
        raise StatsRangeError(f"“{name}” must be a date written YYYY-MM-DD.")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:  # written so, but no such day (2026-02-29, 2026-13-01)
        raise StatsRangeError(f"“{name}”: {value} is not a day of the calendar.") from None
    if not EARLIEST <= day <= LATEST:
        raise StatsRangeError(f"“{name}” must be between {EARLIEST} and {LATEST}.")
    return day


def parse_range(params, *, now_day=None):
    """The range a query string asks for (`from`, `to`, both optional; a QueryDict or a
    dict of lists), or StatsRangeError with a message for the editor."""
    now_day = now_day or today()
    get = params.getlist if hasattr(params, "getlist") else (lambda name: list(params.get(name, ())))
    values = {name: [v for v in get(name) if v.strip()] for name in ("from", "to")}
    end = _parse_date("to", values["to"]) if values["to"] else now_day
    start = _parse_date("from", values["from"]) if values["from"] else end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        if not values["to"]:  # "to" defaults to today: a "from" still ahead has no day to show
            raise StatsRangeError(f"“from” is after today ({now_day}): the figures end today; choose an earlier day.")
        raise StatsRangeError("The range starts after it ends: “from” must be on or before “to”.")
    if (end - start).days + 1 > MAX_DAYS:
        raise StatsRangeError("The range is longer than 20 years; choose a shorter one.")
    return StatsRange(start, end)


# --- helpers ----------------------------------------------------------------------------


def _series(key, label, data, chart=True):
    return {"key": key, "label": label, "data": data, "chart": chart}


def _figure(fid, title, *, x_label, y_label, labels, series, kind="bar", stacked=False, note="", count_key=None):
    """`count_key`: the series counting the items a share is of (the chart writes "n = ...")."""
    return {
        "id": fid,
        "title": title,
        "kind": kind,
        "stacked": stacked,
        "x_label": x_label,
        "y_label": y_label,
        "labels": labels,
        "series": series,
        "note": note,
        "count_key": count_key,
    }


def _over_time(fid, title, r, series, **texts):
    """A stacked figure with a bar per day (or month) of the range."""
    return _figure(fid, title, x_label=_x_label(r), labels=[r.label(b) for b in r.buckets()], stacked=True, series=series, **texts)


def _per_band(fid, title, bands, series, **texts):
    """A figure of one series: a count per band of a (key, label, low, high) table."""
    return _figure(fid, title, labels=[label for _k, label, _l, _h in bands], series=[series], **texts)


def _rollup(metric, r):
    """The querysets of a metric's rollup rows that make up the range: the month rows of the
    months it covers whole (for a range shown per month), the day rows of the rest. Each is one
    range of the (metric, period, day, key) index; written as an OR, SQLite read them all."""
    days = StatsCount.objects.filter(metric=metric, period=StatsCount.DAY).order_by()
    if not r.monthly:
        return [days.filter(day__gte=r.start, day__lte=r.end)]
    first_month = r.start if r.start.day == 1 else (r.start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    last_month_end = (r.end + dt.timedelta(days=1)).replace(day=1)  # whole months start before this
    if first_month >= last_month_end:
        return [days.filter(day__gte=r.start, day__lte=r.end)]
    months = StatsCount.objects.filter(metric=metric, period=StatsCount.MONTH).order_by()
    parts = [months.filter(day__gte=first_month, day__lt=last_month_end)]
    if r.start < first_month:
        parts.append(days.filter(day__gte=r.start, day__lt=first_month))
    if last_month_end <= r.end:
        parts.append(days.filter(day__gte=last_month_end, day__lte=r.end))
    return parts


def _per_bucket(metric, r, key_of=lambda key: key):
    """{series key: [value per bucket]} of a rollup metric over the range."""
    buckets = r.buckets()
    index = {bucket: n for n, bucket in enumerate(buckets)}
    series = defaultdict(lambda: [0] * len(buckets))
    for part in _rollup(metric, r):
        for day, key, value in part.values_list("day", "key", "value"):
            series[key_of(key)][index[r.bucket_of(day)]] += value
    return series


def _totals(metric, r):
    totals = Counter()
    for part in _rollup(metric, r):
        totals.update(dict(part.values("key").annotate(total=Sum("value")).values_list("key", "total")))
    return dict(totals)


def _x_label(r):
    return f"Month ({r.start:%Y-%m} to {r.end:%Y-%m})" if r.monthly else "Day"


def _share(part, whole):
    return round(100 * part / whole, 1) if whole else None


def duration_text(seconds):
    if seconds is None:
        return "no decisions"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        return f"{minutes // 60} h {minutes % 60} min" if minutes % 60 else f"{minutes // 60} h"
    days, hours = divmod(minutes // 60, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


# --- the figures ------------------------------------------------------------------------


def inflow(r):
    series = _per_bucket("inflow", r)
    n = len(r.buckets())
    keys = (("created", "Created"), ("updated", "Updated"), ("failed", "Failed"))
    return _over_time(
        "inflow",
        "Inflow per day" if not r.monthly else "Inflow per month",
        r,
        [_series(k, label, series.get(k, [0] * n)) for k, label in keys],
        y_label="Files imported",
        note="One count per file per import run (a file imported twice counts twice).",
    )


def import_runs(r):
    start, end = r.bounds()
    runs = list(
        ImportRun.objects.filter(started_at__gte=start, started_at__lt=end)
        .order_by("-started_at", "-id")
        .values_list("started_at", "created", "updated", "failed")[:RUN_LIMIT]
    )[::-1]
    zone = display_zone()
    labels = [started.astimezone(zone).strftime("%Y-%m-%d %H:%M") for started, *_ in runs]
    return _figure(
        "runs",
        "Inflow per import run",
        x_label=f"Import run (start, latest {RUN_LIMIT})",
        y_label="Files",
        labels=labels,
        stacked=True,
        series=[
            _series("created", "Created", [run[1] for run in runs]),
            _series("updated", "Updated", [run[2] for run in runs]),
            _series("failed", "Failed", [run[3] for run in runs]),
        ],
    )


def queue(r, *, now=None):
    """Items waiting now, by how long ago they arrived; the median wait in the range."""
    now = now or timezone.now()
    counts = []
    waiting = Article.objects.in_queue().order_by()
    for _key, _label, low, high in QUEUE_AGES:
        rows = waiting.filter(imported_at__lte=now - dt.timedelta(seconds=low))
        if high is not None:
            rows = rows.filter(imported_at__gt=now - dt.timedelta(seconds=high))
        counts.append(rows.count())
    median = median_decision_seconds(r)
    return _per_band(
        "queue", "The queue by age", QUEUE_AGES, _series("waiting", "Waiting", counts),
        x_label="Waiting for", y_label="Items in the queue",
        note=f"Median time from import to first decision (decided in the range): {duration_text(median)}.",
    ) | {"median_seconds": median}


def median_decision_seconds(r):
    """The median (lower) time from import to an item's first decision, at the precision of
    the rollup's buckets, for decisions in the range; None without any."""
    totals = sorted((int(key), n) for key, n in _totals("latency", r).items())
    count = sum(n for _b, n in totals)
    if not count:
        return None
    middle, seen = (count - 1) // 2, 0
    for bucket, n in totals:
        seen += n
        if seen > middle:
            return bucket
    return None  # unreachable


def _reason_labels():
    labels = dict(RejectionReason.objects.values_list("code", "label"))
    return lambda code: labels.get(code, code) if code else "no reason given"


def decisions(r):
    series = _per_bucket("decision", r)
    reason_label = _reason_labels()
    out = [_series("published", "Published", series.pop("published", [0] * len(r.buckets())))]
    for key in sorted(k for k in series if k.startswith("rejected:")):
        out.append(_series(key, f"Rejected: {reason_label(key.split(':', 1)[1])}", series.pop(key)))
    if not any(s["key"].startswith("rejected:") for s in out):
        out.append(_series("rejected:", "Rejected", [0] * len(r.buckets())))
    for key, label in (("merged", "Merged"), ("unpublished", "Unpublished"), ("restored", "Restored")):
        out.append(_series(key, label, series.pop(key, [0] * len(r.buckets()))))
    return _over_time("decisions", "Decisions by kind", r, out, y_label="Decisions")


def decided_by(r):
    series = _per_bucket("decided_by", r)
    n = len(r.buckets())
    by_whom = [
        _series("editor", "By an editor", series.get("editor", [0] * n)),
        _series("rule", "By a rule", series.get("rule", [0] * n)),
    ]
    return _over_time(
        "decided_by", "Decisions by rule and by editor", r, by_whom, y_label="Decisions", note="Publish, reject and merge decisions."
    )


def per_editor(r):
    """Totals per editor. A deleted user's decisions stay: the rollup may still hold the id,
    the log holds NULL after the deletion; both are shown as one "deleted users" row."""
    by_id = defaultdict(Counter)
    for key, total in _totals("editor", r).items():
        user_id, kind = key.rsplit(":", 1)
        by_id[int(user_id)][kind] += total
    names = dict(get_user_model().objects.filter(pk__in=[pk for pk in by_id if pk]).values_list("pk", "username"))
    totals = defaultdict(Counter)
    for pk, counts in by_id.items():
        totals[names.get(pk, DELETED_USERS)].update(counts)
    order = sorted(totals, key=lambda name: (name == DELETED_USERS, -sum(totals[name].values()), name))
    return _figure(
        "editors",
        "Decisions per editor",
        x_label="Editor",
        y_label="Decisions",
        stacked=True,
        labels=order,
        series=[
            _series(kind, label, [totals[name][kind] for name in order])
            for kind, label in (("published", "Published"), ("rejected", "Rejected"), ("merged", "Merged"))
        ],
        note="Decisions by people (rules' decisions apart).",
    )


def stories(r):
    """The share of the items created in the range (the ledger's "created" rows, from the
    rollup: counting a decade of articles by import time cost 106 ms at 1,000,000) that are in
    a story now (the partial index article_story_imported), and the stories formed in it."""
    start, end = r.bounds()
    total = _totals("inflow", r).get("created", 0)
    in_story = (
        Article.objects.filter(imported_at__gte=start, imported_at__lt=end, story__isnull=False).order_by().count()
    )
    sizes = dict(
        Story.objects.with_articles()
        .filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values("size")
        .annotate(n=Count("id"))
        .values_list("size", "n")
    )
    counts = [
        sum(n for size, n in sizes.items() if low <= size and (high is None or size < high))
        for _k, _l, low, high in STORY_SIZES
    ]
    share = _share(in_story, total) if total >= in_story else None
    return _per_band(
        "stories", "Stories by size", STORY_SIZES, _series("stories", "Stories", counts),
        x_label="Articles in the story", y_label="Stories",
        note=(
            f"{in_story} of {total} items created by imports in the range joined a story"
            + (f" ({share} %)." if share is not None else ".")
            + " Stories counted by the day they were first formed."
        ),
    ) | {"share": {"in_story": in_story, "imported": total, "percent": share}}


def _calibration(metric, bands, title, r):
    totals = _totals(metric, r)
    published = [totals.get(f"{band.key}:published", 0) for band in bands]
    rejected = [totals.get(f"{band.key}:rejected", 0) for band in bands]
    return _figure(
        metric,
        title,
        x_label=f"{metric.capitalize()} band",
        y_label="Published by editors (%)",
        labels=[band.label for band in bands],
        series=[
            _series("share", "Published (%)", [_share(p, p + j) for p, j in zip(published, rejected, strict=True)]),
            _series("published", "Published", published, chart=False),
            _series("rejected", "Rejected", rejected, chart=False),
            _series("decided", "Decided", [p + j for p, j in zip(published, rejected, strict=True)], chart=False),
        ],
        count_key="decided",
        note="Each item's first publish or reject by an editor in the range (rules' decisions apart), "
        "in the band of its score then.",
    )


def calibration_quality(r):
    return _calibration("quality", QUALITY_BANDS, "Score calibration: quality", r)


def calibration_heat(r):
    return _calibration("heat", HEAT_CALIBRATION_BANDS, "Score calibration: heat", r)


def rule_agreement(r):
    rules = defaultdict(lambda: {"decided": 0, "agree": 0, "disagree": 0})
    for key, total in _totals("rule", r).items():
        name, kind = key.rsplit(":", 1)
        rules[name][kind] += total
    names = sorted(rules)
    agree = [rules[n]["agree"] for n in names]
    disagree = [rules[n]["disagree"] for n in names]
    return _figure(
        "rules",
        "Rules' agreement with editors",
        x_label="Rule",
        y_label="Editors agreed (%)",
        labels=names,
        series=[
            _series("share", "Agreed (%)", [_share(a, a + d) for a, d in zip(agree, disagree, strict=True)]),
            _series("decided", "Decided by the rule", [rules[n]["decided"] for n in names], chart=False),
            _series("agree", "Editor agreed", agree, chart=False),
            _series("disagree", "Editor reversed", disagree, chart=False),
            _series(
                "reviewed", "Reviewed by an editor", [a + d for a, d in zip(agree, disagree, strict=True)], chart=False
            ),
        ],
        count_key="reviewed",
        note="An editor's first act on an item a rule decided: the same decision agrees, the other "
        "decision, an unpublish or a restore reverses it. Rules are named as they were when they acted.",
    )


FIGURES = (
    inflow,
    import_runs,
    queue,
    decisions,
    decided_by,
    per_editor,
    stories,
    calibration_quality,
    calibration_heat,
    rule_agreement,
)


def all_figures(r, *, now=None):
    return [figure(r, now=now) if figure is queue else figure(r) for figure in FIGURES]


def table(figure):
    """(columns, rows) of a figure's table: the x value, then each series."""
    columns = [figure["x_label"], *(s["label"] for s in figure["series"])]
    rows = [[label, *(s["data"][n] for s in figure["series"])] for n, label in enumerate(figure["labels"])]
    return columns, rows


def csv_rows(figures):
    """Long rows (figure, x label, x, series, value) of every figure, for CSV and the command."""
    for figure in figures:
        for n, label in enumerate(figure["labels"]):
            for s in figure["series"]:
                yield [figure["id"], figure["x_label"], label, s["label"], "" if s["data"][n] is None else s["data"][n]]
        if "median_seconds" in figure:
            yield [figure["id"], "", "median time import to first decision (s)", "", figure["median_seconds"] or ""]
        if "share" in figure:
            share = figure["share"]
            yield [figure["id"], "", "items imported in the range", "", share["imported"]]
            yield [figure["id"], "", "of which joined a story", "", share["in_story"]]
