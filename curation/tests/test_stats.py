"""The statistics' figures against direct counts of the raw rows, in a display time zone whose
days do not start at UTC midnight, counted at once and in several refreshes."""

import datetime as dt
import random
import statistics
import zoneinfo
from collections import Counter

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import timezone

from curation import selectors_stats as stats
from curation.models import (
    HEAT_BANDS,
    HEAT_CALIBRATION_BANDS,
    QUALITY_BANDS,
    Article,
    ArticleState,
    EditorialAction,
    ImportLedgerEntry,
    ImportRun,
    Story,
)
from curation.services import stats_rollup
from curation.tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db
Action = EditorialAction.Action
NOW = dt.datetime(2026, 3, 30, 12, 0, tzinfo=dt.UTC)  # around Europe's and Chatham's clock changes
ZONES = ("Pacific/Chatham", "America/New_York", "UTC")


def generate(seed=1, *, articles=60):
    """Articles imported over six days, ledger rows, and each article's decisions in time
    order: rules, editors (one deleted afterwards), reversals, merges."""
    rnd = random.Random(seed)
    editors = [make_user(role="editor", username=f"ed{seed}{n}") for n in range(3)]
    run = ImportRun.objects.create(started_at=NOW - dt.timedelta(days=6), created=articles, updated=3, failed=2)
    start = NOW - dt.timedelta(days=6)
    events = []
    for _ in range(articles):
        imported = start + dt.timedelta(seconds=rnd.randrange(5 * 86400))
        a = make_article(
            imported_at=imported,
            quality=rnd.choice([0, 24, 25, 49, 50, 99, 100, 189, None]),
            heat=rnd.choice([-1, None, 0, 24, 25, 60, 75, 100]),
        )
        events.append((imported, "ledger", a, rnd.choice(["created", "created", "updated", "failed", "unchanged"])))
        at = imported
        for _ in range(rnd.randrange(4)):
            at = at + dt.timedelta(seconds=rnd.choice([30, 600, 4000, 30000, 90000, 400000]))
            if at >= NOW:
                break
            kind = rnd.choice(
                [Action.PUBLISH, Action.REJECT, Action.UNPUBLISH, Action.RESTORE, Action.ATTACH, Action.EDIT]
            )
            via = rnd.choice(["rule", "curator", "curator", "bulk"])
            actor = None if via == "rule" else rnd.choice(editors)
            code = rnd.choice(["", "duplicate", "off-topic"]) if kind == Action.REJECT or via == "rule" else ""
            rule = rnd.choice(["Strong stories go live", "Off-topic crypto", ""]) if via == "rule" else ""
            events.append((at, "audit", a, (kind, via, actor, code, rule)))
    events.sort(key=lambda e: e[0])
    return editors, run, events


def write(events, run):
    for at, kind, article, detail in events:
        if kind == "ledger":
            ImportLedgerEntry.objects.create(
                run=run, path=f"/seeds/{article.pk}.txt", status=detail, article=article, created_at=at
            )
        else:
            action, via, actor, code, rule = detail
            EditorialAction.objects.create(
                article=article, actor=actor, action=action, created_at=at, via=via, reason_code=code, rule_name=rule
            )


def local_day(at, zone):
    return at.astimezone(zoneinfo.ZoneInfo(zone)).date()


def expected(zone, r):
    """Every rollup figure counted directly from the rows, the simple way."""
    zone_days = lambda at: local_day(at, zone)  # noqa: E731
    in_range = lambda at: r.start <= zone_days(at) <= r.end  # noqa: E731
    inflow = Counter()
    for entry in ImportLedgerEntry.objects.all():
        if in_range(entry.created_at):
            inflow[(zone_days(entry.created_at), entry.status)] += 1
    decisions, by, editors, latencies, quality, heat, rules = (Counter() for _ in range(7))
    kinds = {Action.PUBLISH: "published", Action.REJECT: "rejected", Action.ATTACH: "merged"}
    for article in Article.objects.all():
        rows = list(EditorialAction.objects.filter(article=article).order_by("id"))
        decided = [row for row in rows if row.action in kinds]
        if decided and in_range(decided[0].created_at):
            latencies[stats_rollup.latency_bucket((decided[0].created_at - article.imported_at).total_seconds())] += 1
        by_editor = [row for row in rows if row.action in (Action.PUBLISH, Action.REJECT) and row.via != "rule"]
        if by_editor and in_range(by_editor[0].created_at):
            k = kinds[by_editor[0].action]
            quality[(next((b.key for b in QUALITY_BANDS if b.contains(article.quality)), "none"), k)] += 1
            h = "unknown" if article.heat in (None, -1) else next(b.key for b in HEAT_BANDS if b.contains(article.heat))
            heat[(h, k)] += 1
        pending_rule = None
        for row in rows:
            outcome = {Action.PUBLISH: "published", Action.RESTORE: "published"}.get(row.action)
            outcome = outcome or {Action.REJECT: "rejected", Action.UNPUBLISH: "rejected"}.get(row.action)
            if row.via == "rule":
                if outcome:
                    pending_rule = (row.rule_name or "(unnamed rule)", outcome)
                    if in_range(row.created_at):
                        rules[(pending_rule[0], "decided")] += 1
            elif outcome:
                if pending_rule and in_range(row.created_at):
                    rules[(pending_rule[0], "agree" if pending_rule[1] == outcome else "disagree")] += 1
                pending_rule = None
            if not in_range(row.created_at):
                continue
            day = zone_days(row.created_at)
            if row.action in kinds:
                k = kinds[row.action]
                decisions[(day, f"rejected:{row.reason_code}" if k == "rejected" else k)] += 1
                by[(day, "rule" if row.via == "rule" else "editor")] += 1
                if row.via != "rule":
                    editors[(row.actor_id or 0, k)] += 1
            elif row.action == Action.UNPUBLISH:
                decisions[(day, "unpublished")] += 1
            elif row.action == Action.RESTORE:
                decisions[(day, "restored")] += 1
    return {
        "inflow": inflow,
        "decisions": decisions,
        "by": by,
        "editors": editors,
        "latencies": latencies,
        "quality": quality,
        "heat": heat,
        "rules": rules,
    }


def series_counter(figure, r):
    """{(day or month, series key): value} of a per-day (per-month) figure, zeros left out."""
    days = [dt.date.fromisoformat(label if len(label) == 10 else f"{label}-01") for label in figure["labels"]]
    return Counter({(days[n], s["key"]): v for s in figure["series"] for n, v in enumerate(s["data"]) if v})


def by_bucket(counter, r):
    """A direct count per day, summed per month for a range shown per month."""
    out = Counter()
    for (day, key), n in counter.items():
        out[(r.bucket_of(day), key)] += n
    return out


def check_figures(zone, r):
    want = expected(zone, r)
    for name in ("inflow", "decisions", "by"):
        want[name] = by_bucket(want[name], r)
    figures = {f["id"]: f for f in stats.all_figures(r, now=NOW)}
    inflow = want["inflow"]
    assert series_counter(figures["inflow"], r) == Counter({k: v for k, v in inflow.items() if k[1] != "unchanged"})
    assert series_counter(figures["decisions"], r) == want["decisions"]
    assert series_counter(figures["decided_by"], r) == want["by"]
    names = {u.pk: u.username for u in User.objects.all()}
    got_editors = Counter()
    for s in figures["editors"]["series"]:
        for label, value in zip(figures["editors"]["labels"], s["data"], strict=True):
            if value:
                got_editors[(label, s["key"])] += value
    assert got_editors == Counter(
        {(names.get(pk, stats.DELETED_USERS), k): v for (pk, k), v in want["editors"].items()}
    )
    latencies = sorted(b for b, n in want["latencies"].items() for _ in range(n))
    assert figures["queue"]["median_seconds"] == (statistics.median_low(latencies) if latencies else None)
    for metric, bands in (("quality", QUALITY_BANDS), ("heat", HEAT_CALIBRATION_BANDS)):
        series = {s["key"]: s["data"] for s in figures[metric]["series"]}
        assert series["published"] == [want[metric][(b.key, "published")] for b in bands]
        assert series["rejected"] == [want[metric][(b.key, "rejected")] for b in bands]
    rules = figures["rules"]
    got_rules = Counter(
        {
            (name, s["key"]): s["data"][n]
            for s in rules["series"]
            if s["key"] not in ("share", "reviewed")
            for n, name in enumerate(rules["labels"])
            if s["data"][n]
        }
    )
    assert got_rules == want["rules"]
    return figures


@pytest.mark.parametrize("zone", ZONES)
def test_every_figure_agrees_with_a_direct_count(zone):
    with override_settings(STATS_TIME_ZONE=zone):
        editors, run, events = generate(seed=len(zone))
        half = len(events) // 2
        write(events[:half], run)
        stats_rollup.refresh()  # counted in two refreshes: the watermark carries on
        write(events[half:], run)
        editors[0].delete()  # a deleted user's decisions stay, under "deleted user"
        stats_rollup.refresh()
        day = local_day(NOW, zone)
        for r in (
            stats.StatsRange(day - dt.timedelta(days=7), day),
            stats.StatsRange(day - dt.timedelta(days=2), day - dt.timedelta(days=2)),
        ):
            check_figures(zone, r)
        # Per month: whole months from the month rows, the ragged ends from the day rows.
        for first, last in (
            (dt.date(2025, 10, 15), day),
            (day - dt.timedelta(days=2), dt.date(2026, 9, 30)),
            (dt.date(2025, 11, 1), dt.date(2026, 3, 31)),
        ):
            assert stats.StatsRange(first, last).monthly
            check_figures(zone, stats.StatsRange(first, last))
        r = stats.StatsRange(day - dt.timedelta(days=7), day)
        counted = stats.all_figures(r, now=NOW)
        stats_rollup.rebuild_start()
        stats_rollup.refresh(max_rows=None)
        assert stats.all_figures(r, now=NOW) == counted


def test_a_changed_time_zone_rebuilds_the_rollup():
    _editors, run, events = generate(seed=7, articles=30)
    write(events, run)
    with override_settings(STATS_TIME_ZONE="UTC"):
        stats_rollup.refresh()
    with override_settings(STATS_TIME_ZONE="Pacific/Chatham"):
        stats_rollup.refresh()
        day = local_day(NOW, "Pacific/Chatham")
        check_figures("Pacific/Chatham", stats.StatsRange(day - dt.timedelta(days=8), day))


def test_the_queue_by_age_and_stories_against_direct_counts():
    now = timezone.now()
    ages = [dt.timedelta(minutes=m) for m in (0, 59, 61, 5 * 60, 7 * 60, 23 * 60, 25 * 60, 24 * 60 * 400)]
    for age in ages:
        make_article(imported_at=now - age)
    make_article(imported_at=now - dt.timedelta(minutes=5), state=ArticleState.PUBLISHED)
    story = Story.objects.create(size=3, created_at=now, updated_at=now)
    Story.objects.create(size=12, created_at=now, updated_at=now)
    Story.objects.create(size=1, created_at=now, updated_at=now)  # not a story editors see
    Article.objects.filter(pk__in=list(Article.objects.values_list("pk", flat=True)[:3])).update(story=story)
    r = stats.StatsRange(stats.today() - dt.timedelta(days=29), stats.today())
    queue = stats.queue(r, now=now)
    assert queue["series"][0]["data"] == [2, 2, 2, 2]
    assert queue["median_seconds"] is None and "no decisions" in queue["note"]
    figure = stats.stories(r)
    run = ImportRun.objects.create(started_at=now)
    for a in Article.objects.all():  # each article's creation in the ledger, and one update
        for status in ("created", "updated"):
            ImportLedgerEntry.objects.create(run=run, path="x", status=status, article=a, created_at=a.imported_at)
    stats_rollup.refresh()
    figure = stats.stories(r)
    start, end = r.bounds()
    created = ImportLedgerEntry.objects.filter(status="created", created_at__gte=start, created_at__lt=end).count()
    in_story = sum(a.story_id is not None and start <= a.imported_at < end for a in Article.objects.all())
    assert created == 8 and in_story >= 2  # the 400-day-old item is out of the range
    assert figure["share"] == {"in_story": in_story, "imported": created, "percent": round(100 * in_story / created, 1)}
    assert dict(zip(figure["labels"], figure["series"][0]["data"], strict=True)) == {
        "2": 0,
        "3": 1,
        "4–5": 0,
        "6–10": 0,
        "11–20": 1,
        "21 and more": 0,
    }


def test_an_empty_database_gives_zeros_and_a_ten_year_range_is_monthly():
    stats_rollup.refresh()
    r = stats.parse_range({"from": ["2016-12-01"], "to": ["2026-11-30"]})
    figures = stats.all_figures(r)
    assert r.monthly and len(figures[0]["labels"]) == 120
    assert all(v in (0, None) for f in figures for s in f["series"] for v in s["data"])
    one_day = stats.parse_range({"from": ["2026-11-30"], "to": ["2026-11-30"]})
    assert stats.inflow(one_day)["labels"] == ["2026-11-30"]


def test_ten_thousand_items_in_one_import_and_extreme_scores():
    run = ImportRun.objects.create(started_at=NOW, created=10_000)
    a = make_article(quality=189, heat=-1, imported_at=NOW)
    b = make_article(quality=0, heat=100, imported_at=NOW)
    ImportLedgerEntry.objects.bulk_create(
        ImportLedgerEntry(run=run, path=f"/s/{n}.txt", status="created", created_at=NOW + dt.timedelta(microseconds=n))
        for n in range(10_000)
    )
    editor = make_user(role="editor")
    EditorialAction.objects.create(
        article=a, actor=editor, action=Action.PUBLISH, created_at=NOW + dt.timedelta(hours=2)
    )
    EditorialAction.objects.create(
        article=b, actor=editor, action=Action.REJECT, created_at=NOW + dt.timedelta(days=400)
    )
    with override_settings(STATS_TIME_ZONE="UTC"):
        stats_rollup.refresh(max_rows=5000)  # a page view's budget: the rest is left for later
        assert stats_rollup.lag()["ledger"] > 0
        stats_rollup.refresh()
        r = stats.StatsRange(NOW.date(), NOW.date() + dt.timedelta(days=500))
        assert sum(stats.inflow(r)["series"][0]["data"]) == 10_000
        assert stats.import_runs(r)["series"][0]["data"] == [10_000]
        quality = {s["key"]: s["data"] for s in stats.calibration_quality(r)["series"]}
        assert quality["published"][-1] == 1 and quality["rejected"][0] == 1  # 189 is "top", 0 is "low"
        heat = {s["key"]: s["data"] for s in stats.calibration_heat(r)["series"]}
        assert heat["published"][0] == 1 and heat["rejected"][-1] == 1  # -1 is "unknown", 100 "burning"
        assert stats.queue(r)["median_seconds"] == 7200  # two hours and four hundred days: the lower one


def test_each_figure_takes_the_same_few_queries_however_many_rows():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_per_figure(r):
        counts = {}
        for figure in stats.FIGURES:
            with CaptureQueriesContext(connection) as queries:
                figure(r)
            counts[figure.__name__] = len(queries)
        return counts

    day = local_day(NOW, "UTC")
    r = stats.StatsRange(day - dt.timedelta(days=3650), day)
    _editors, run, events = generate(seed=3, articles=5)
    write(events, run)
    stats_rollup.refresh()
    few = queries_per_figure(r)
    _editors, run, events = generate(seed=4, articles=80)
    write(events, run)
    stats_rollup.refresh()
    assert queries_per_figure(r) == few
    assert max(few.values()) <= 7  # the queue: four counts, and up to three parts of the rollup
