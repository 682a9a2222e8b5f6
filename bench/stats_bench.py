"""The statistics page at scale: the rollup's refresh and each chart's data.

Run against YOUR COPY of a bench database (dataset.py's 1,000,000 articles), never the shared
one: `--fill` writes audit and ledger rows into it.

    cp --reflink=auto /work/benchdata/bench-1m.sqlite3 bench/results/stats-1m.sqlite3
    DATABASE_URL=sqlite:///bench/results/stats-1m.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:///bench/results/stats-1m.sqlite3 .venv/bin/python bench/stats_bench.py --fill 5000000

    createdb -h 127.0.0.1 -U postgres -T bench bench_stats
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_stats .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_stats .venv/bin/python bench/stats_bench.py --fill 5000000

`--fill N` writes about N audit rows (a decision for every decided article at its
state_changed_at, a fifth of them by a rule, some reversed by an editor; the rest edits and
schedule rows, which the rollup reads past) and one ledger row per article plus updates, with
raw bulk statements; then counts the whole rollup from nothing (`--rebuild` alone does only
that). Every run then times, for ranges of one day, 30 days, a year and ten years, each
figure of `curation.selectors_stats` (median of --runs after a warm-up) and counts its
queries, and the page's JSON endpoint as a whole; and an incremental refresh after 10,000 new
audit rows. A trivial query (`User.objects.exists()`) is timed in the same run as the
baseline, so the figures can be read as ratios on a noisy machine. Results go to
bench/results/stats-<vendor>.json; the figures are in bench/README.md.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.dataset import Writer  # noqa: E402
from curation import selectors_stats as stats  # noqa: E402
from curation.services import stats_rollup  # noqa: E402

SHARED = ("/work/benchdata/", "bench-1m.sqlite3", "bench-1k.sqlite3")
RESULTS = Path(__file__).resolve().parent / "results"


def refuse_shared():
    name = str(settings.DATABASES["default"]["NAME"])
    if connection.vendor == "postgresql" and name in ("bench", "bench_1k"):
        sys.exit(f"{name} is a shared benchmark database: make your own copy (createdb -T {name} bench_NAME)")
    if connection.vendor == "sqlite" and any(part in name for part in SHARED) and "results" not in name:
        sys.exit(f"{name} is a shared benchmark file: copy it first (cp --reflink=auto ...)")


def ts(value):
    return value.isoformat(sep=" ") if connection.vendor == "postgresql" else value.strftime("%Y-%m-%d %H:%M:%S.%f")


def fill(target, log, seed=5):
    """About `target` audit rows and a ledger row per article (plus updates and failures)."""
    rnd = random.Random(seed)
    writer = Writer(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM curation_editorialaction")
        action_id = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM curation_article")
        articles = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM curation_importrun")
        run_id = cursor.fetchone()[0]
    editors = []
    for n in range(20):
        user, _ = User.objects.get_or_create(username=f"bench-editor-{n}")
        editors.append(user.pk)
    per_article = target / max(articles, 1)
    audit_cols = [
        "id",
        "article_id",
        "actor_id",
        "action",
        "created_at",
        "via",
        "before",
        "after",
        "reason_code",
        "reason",
    ]
    ledger_cols = ["id", "run_id", "path", "size", "sha256", "status", "article_id", "error", "notes", "created_at"]
    run_cols = ["id", "started_at", "finished_at", "paths", "created", "updated", "unchanged", "failed"]
    audit, ledger, runs = [], [], []
    ledger_id, written, t0 = 0, 0, time.monotonic()
    day_run = {}
    query = "SELECT id, imported_at, state, state_changed_at FROM curation_article ORDER BY id"
    with connection.cursor() as cursor:
        cursor.execute(query)
        rows = cursor.fetchall()
    for article_id, imported, state, changed in rows:
        if isinstance(imported, str):
            imported = datetime.fromisoformat(imported).replace(tzinfo=UTC)
        if isinstance(changed, str):
            changed = datetime.fromisoformat(changed).replace(tzinfo=UTC)
        day = imported.date()
        if day not in day_run:
            run_id += 1
            day_run[day] = run_id
            runs.append((run_id, ts(imported), ts(imported + timedelta(minutes=3)), "[]", 0, 0, 0, 0))
        for n, status in enumerate(
            ["created"] + (["updated"] if rnd.random() < 0.1 else []) + (["failed"] if rnd.random() < 0.01 else [])
        ):
            ledger_id += 1
            ledger.append(
                (
                    ledger_id,
                    day_run[day],
                    f"seeds/{article_id}.txt",
                    1000,
                    "",
                    status,
                    article_id,
                    "",
                    "",
                    ts(imported + timedelta(seconds=n)),
                )
            )
        budget = per_article + rnd.random()
        at = imported
        if state != "new" and changed is not None:
            if rnd.random() < 0.2:  # a rule decided first; an editor sometimes reverses it
                action_id += 1
                audit.append(
                    (
                        action_id,
                        article_id,
                        None,
                        "publish" if state == "published" else "reject",
                        ts(changed - timedelta(minutes=30)),
                        "rule",
                        "{}",
                        "{}",
                        "low-quality",
                        "",
                    )
                )
                budget -= 1
            action_id += 1
            audit.append(
                (
                    action_id,
                    article_id,
                    editors[article_id % 20],
                    "publish" if state == "published" else "reject",
                    ts(changed),
                    "curator",
                    "{}",
                    "{}",
                    "duplicate" if state == "rejected" else "",
                    "",
                )
            )
            budget -= 1
            at = changed
        while budget >= 1:
            at = at + timedelta(minutes=rnd.randrange(1, 600))
            action_id += 1
            audit.append(
                (
                    action_id,
                    article_id,
                    editors[rnd.randrange(20)],
                    rnd.choice(["edit", "edit", "schedule"]),
                    ts(at),
                    "curator",
                    "{}",
                    "{}",
                    "",
                    "",
                )
            )
            budget -= 1
        if len(audit) >= 50_000:
            writer.write("curation_editorialaction", audit_cols, audit)
            written += len(audit)
            audit.clear()
            writer.write("curation_importrun", run_cols, runs)
            runs.clear()
            writer.write("curation_importledgerentry", ledger_cols, ledger)
            ledger.clear()
            log(f"{written} audit rows, {ledger_id} ledger rows ({time.monotonic() - t0:.0f} s)")
    writer.write("curation_editorialaction", audit_cols, audit)
    writer.write("curation_importrun", run_cols, runs)
    writer.write("curation_importledgerentry", ledger_cols, ledger)
    written += len(audit)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("curation_editorialaction", "curation_importledgerentry", "curation_importrun"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            cursor.execute("ANALYZE")
    log(f"filled: {written} audit rows, {ledger_id} ledger rows in {time.monotonic() - t0:.0f} s")


def timed(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    with CaptureQueriesContext(connection) as queries:
        fn()
    return statistics.median(times), len(queries)


def measure(runs, log):
    base_ms, _ = timed(lambda: User.objects.exists(), runs)
    # Ranges end on the last day with data (dataset.py's articles stop about a year before now),
    # so that each range holds as many rows as the database has for it.
    from curation.models import ImportLedgerEntry
    from curation.models.stats import display_zone

    last = ImportLedgerEntry.objects.order_by("-created_at").values_list("created_at", flat=True).first()
    end = last.astimezone(display_zone()).date() if last else stats.today()
    log(f"ranges end on {end}")
    ranges = {
        "1 day": stats.StatsRange(end, end),
        "30 days": stats.StatsRange(end - timedelta(days=29), end),
        "1 year": stats.StatsRange(end - timedelta(days=364), end),
        "10 years": stats.StatsRange(end - timedelta(days=3652), end),
    }
    results = {"vendor": connection.vendor, "baseline_ms": base_ms, "figures": {}}
    for name, r in ranges.items():
        for figure in stats.FIGURES:
            ms, queries = timed(lambda figure=figure, r=r: figure(r), runs)
            results["figures"][f"{figure.__name__} / {name}"] = {
                "ms": round(ms, 1),
                "queries": queries,
                "x base": round(ms / base_ms, 1),
            }
            log(f"{figure.__name__:22} {name:9} {ms:8.1f} ms {queries:3} queries")
    client = Client()
    client.force_login(User.objects.get_or_create(username="bench-admin", defaults={"is_superuser": True})[0])
    for name, r in ranges.items():
        url = f"/curate/stats/data.json?from={r.start}&to={r.end}"
        response = client.get(url, secure=True)
        assert response.status_code == 200, (url, response.status_code)
        ms, queries = timed(lambda url=url: client.get(url, secure=True), runs)
        results["figures"][f"JSON endpoint / {name}"] = {"ms": round(ms, 1), "queries": queries}
        log(f"{'JSON endpoint':22} {name:9} {ms:8.1f} ms {queries:3} queries")
    return results


def incremental(log, rows=10_000):
    """Append `rows` decisions (unpublishes, written now) and time the refresh that counts them."""
    from curation.models import EditorialAction

    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(id) FROM curation_editorialaction")
        last = cursor.fetchone()[0]
        cursor.execute("SELECT id FROM curation_article WHERE state = 'published' ORDER BY id LIMIT %s", [rows])
        ids = [row[0] for row in cursor.fetchall()]
    now = datetime.now(UTC)
    cols = ["id", "article_id", "actor_id", "action", "created_at", "via", "before", "after", "reason_code", "reason"]
    Writer(connection).write(
        "curation_editorialaction",
        cols,
        [
            (last + n + 1, article_id, None, "unpublish", ts(now), "curator", "{}", "{}", "", "")
            for n, article_id in enumerate(ids)
        ],
    )
    t = time.perf_counter()
    stats_rollup.refresh()
    ms = (time.perf_counter() - t) * 1000
    log(f"incremental refresh of {len(ids)} new audit rows: {ms:.0f} ms")
    assert EditorialAction.objects.filter(pk__gt=last).count() == len(ids)  # they stay: the copy is ours
    return {"rows": len(ids), "ms": round(ms)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fill", type=int, default=0, metavar="N", help="Write about N audit rows first.")
    parser.add_argument("--rebuild", action="store_true", help="Count the rollup from nothing (timed).")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--incremental", action="store_true", help="Time counting 10,000 new audit rows.")
    options = parser.parse_args(argv)
    refuse_shared()

    def log(message):
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    results = {}
    if options.fill:
        fill(options.fill, log)
    if options.fill or options.rebuild:
        stats_rollup.rebuild_start()
        t = time.perf_counter()
        stats_rollup.refresh()
        results["rebuild_s"] = round(time.perf_counter() - t, 1)
        log(f"rollup counted from nothing in {results['rebuild_s']} s")
    results.update(measure(options.runs, log))
    if options.incremental:
        results["incremental"] = incremental(log)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"stats-{connection.vendor}.json"
    path.write_text(json.dumps(results, indent=1))
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
