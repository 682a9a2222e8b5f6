"""Server time and query count of the pages that must stay fast on a large article table.

    DATABASE_URL=sqlite:///bench/results/bench-1m.sqlite3 .venv/bin/python bench/large_tables.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/large_tables.py

Fill the database first with bench/dataset.py. The pages are requested in-process through
Django's test Client (no network, no server: "server time" is the whole Django request,
middleware, queries and template rendering), logged in as a superuser for the curator and
admin pages and anonymously for the public feeds and the API. For each URL: a few warm-up
requests, then the median of --runs timed requests (DEBUG off, no query capture), and one
more request under CaptureQueriesContext for the query count.

The machine is noisy, so every figure is also given as a ratio against a baseline taken
under the same load: each timed request is preceded by a trivial request through the same
middleware (a logged-in GET of /accounts/login/, which only redirects), and `x base` is the
URL's median over the median of those baseline requests. When a result file for the same database vendor
at a smaller size exists (e.g. the 1,000-row run), the query counts are compared with it:
the queue must issue the same number of queries whatever the table size.

Results go to bench/results/large_tables-<vendor>-<articles>.json; --explain prints the
slowest query of every URL that misses its target.
"""

import argparse
import json
import os
import re
import statistics
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

# A trivial request through the whole middleware stack: logged in, it only redirects.
BASELINE_URL = "/accounts/login/"

# group: (max ms, max queries, must the query count equal the 1k-row run's)
TARGETS = {
    "queue": (50, 5, True),
    "admin": (100, 6, False),
    "admin-heavy": (250, 6, False),
    "public": (10, 2, False),
    # Not an issue's target: the same pages with every cache emptied first, so that a plan
    # gone wrong shows (the response cache had hidden a lost SQLite index: 1.2 s renders).
    "public-render": (50, 3, True),
}


class FullRender:
    """A client whose every request finds the caches empty: the page computed, not served
    from the response cache under its ETag."""

    def __init__(self, client):
        self.client = client

    def get(self, url, *args, **kwargs):
        from django.core.cache import caches

        for store in caches.all():
            store.clear()
        return self.client.get(url, *args, **kwargs)


class LinkParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []  # (href, rel, text)
        self._current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self._current = [attrs["href"], attrs.get("rel") or "", ""]
            self.links.append(self._current)
        elif tag == "link" and attrs.get("href") and attrs.get("rel"):
            self.links.append([attrs["href"], attrs["rel"], ""])

    def handle_endtag(self, tag):
        if tag == "a":
            self._current = None

    def handle_data(self, data):
        if self._current is not None:
            self._current[2] += data


def links(response):
    parser = LinkParser()
    parser.feed(response.content.decode("utf-8", "replace"))
    return parser.links


def next_link(response, base):
    for href, rel, text in links(response):
        if "next" in rel.split() or re.search(r"\b(next|older)\b", text, re.I):
            if href.startswith("?"):
                return base + href
            if href.startswith("/"):
                return href
    return None


class Bench:
    def __init__(self, options):
        from django.db import connection
        from django.test import Client

        self.options = options
        self.connection = connection
        self.vendor = connection.vendor
        self.staff = Client()
        self.public = Client()
        self.results = []
        self.notes = []

    def setup_users(self):
        from django.contrib.auth.models import User

        user = User.objects.filter(username="bench-admin").first()
        if user is None:
            user = User.objects.create_superuser("bench-admin", "bench@example.com", "bench-only-password")
        self.staff.force_login(user)
        self.user = user

    def timed(self, client, url):
        """Median and best of --runs requests, each preceded by a baseline request, so that
        the ratio to the baseline compares figures taken under the same machine load."""
        from django.db import reset_queries

        times, baselines, cpu_times, thread_times, trivial_threads = [], [], [], [], []
        for _ in range(self.options.warmup):
            client.get(url)
        db_time = [0.0]

        def timing_wrapper(execute, sql, params, many, context):
            start = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                db_time[0] += time.perf_counter() - start

        for _ in range(self.options.runs):
            start, trivial_start = time.perf_counter(), time.thread_time()
            self.staff.get(BASELINE_URL)
            trivial_threads.append((time.thread_time() - trivial_start) * 1000)
            middle = time.perf_counter()
            cpu_start, db_time[0] = time.thread_time(), 0.0
            with self.connection.execute_wrapper(timing_wrapper):
                client.get(url)
            end = time.perf_counter()
            cpu = time.thread_time() - cpu_start
            # CPU time of this thread, plus the database's share when it runs in another
            # process (PostgreSQL): close to what the request costs on an idle machine.
            cpu_times.append((cpu + (db_time[0] if self.vendor != "sqlite" else 0)) * 1000)
            thread_times.append(cpu * 1000)
            baselines.append((middle - start) * 1000)
            times.append((end - middle) * 1000)
            reset_queries()
        self.last_cpu_ms = statistics.median(cpu_times)
        # This thread's CPU alone, over the trivial request's made just before: no query wait
        # in either, so it holds under a load that makes PostgreSQL's query times swing.
        self.last_x_thread = statistics.median(thread_times) / statistics.median(trivial_threads)
        return statistics.median(times), min(times), statistics.median(baselines)

    def counted(self, client, url):
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(self.connection) as ctx:
            response = client.get(url)
        return response, ctx.captured_queries

    def measure(self, name, group, url, client=None, *, expect=200):
        if self.options.only and group != "baseline" and not name.startswith(tuple(self.options.only)):
            return None
        client = client or self.staff
        start = time.perf_counter()
        first = client.get(url)  # cold: empty per-process caches (feeds, plan choices) for this URL
        cold = (time.perf_counter() - start) * 1000
        if first.status_code == 404 and expect == 200:
            self.notes.append(f"{name}: {url} answers 404 (not built yet?), skipped")
            return None
        median, best, baseline = self.timed(client, url)
        # Counted after the warm-up: per-process plan caches (curation.search) are filled,
        # as they are on a server that has answered the same URL before.
        response, queries = self.counted(client, url)
        row = {
            "name": name, "group": group, "url": url, "status": response.status_code,
            "rows": response.content.count(b"<tr") if response.status_code == 200 else 0,
            "ms": round(median, 2), "best_ms": round(best, 2), "cpu_ms": round(self.last_cpu_ms, 2),
            "x_thread": round(self.last_x_thread, 2),
            "cold_ms": round(cold, 2),
            "baseline_ms": round(baseline, 2),
            "x_baseline": round(median / baseline, 1) if baseline else None, "queries": len(queries),
            "slowest_query": max(reversed(queries), key=lambda q: float(q["time"] or 0), default=None),
        }
        self.results.append(row)
        if self.options.verbose:
            print(f"  {name:<24} {median:8.1f} ms {len(queries):3} q  {response.status_code}  {url}", flush=True)
        return response

    # --- URL discovery: the parameter names belong to the curator, admin and public views ---

    def words(self):
        """A common, a mid-frequency and a rare word of the generated text."""
        from bench.dataset import vocabulary

        vocab = vocabulary()
        return vocab[40], vocab[400], vocab[4000]

    def popular_ids(self):
        from django.db.models import Count

        from curation.models import Provider, Topic

        topic = Topic.objects.annotate(n=Count("articles")).order_by("-n").values_list("pk", flat=True).first()
        provider = Provider.objects.order_by("pk").values_list("pk", flat=True).first()
        return topic, provider

    def run(self):
        from django.db import connection

        from curation.models import Article

        common, medium, rare = self.words()
        topic, provider = self.popular_ids()
        self.articles = Article.objects.count()
        print(f"{self.vendor}: {self.articles:,} articles; search words {common!r}, {medium!r}, {rare!r}", flush=True)

        # Baselines: a trivial request through the whole middleware stack, and a bare SELECT 1.
        self.measure("baseline: trivial request", "baseline", BASELINE_URL, expect=302)
        times = []
        with connection.cursor() as cursor:
            for _ in range(50):
                start = time.perf_counter()
                cursor.execute("SELECT 1")
                cursor.fetchone()
                times.append((time.perf_counter() - start) * 1000)
        self.select1_ms = statistics.median(times)

        # Curator queue (curation/filters.py: q, state, topic, provider, quality_min, sort, ...).
        first = self.measure("queue: default", "queue", "/curate/")
        self.measure("queue: filtered+sorted", "queue", "/curate/?state=new&quality_min=60&heat_known=known&sort=-quality")
        self.measure("queue: topic filter", "queue", f"/curate/?topic={topic}&sort=-imported")
        self.measure("queue: provider filter", "queue", f"/curate/?provider={provider}")
        self.measure("queue: needs metadata", "queue", "/curate/?needs_metadata=yes&sort=-imported")
        self.measure("queue: heat unknown, by heat", "queue", "/curate/?has_images=no&heat_known=unknown&sort=-heat")
        self.measure("queue: date range", "queue",
                     "/curate/?published_after=2020-01-01&published_before=2020-02-01&sort=published")
        self.measure("queue: search (mid)", "queue", f"/curate/?q={medium}")
        self.measure("queue: search (common)", "queue", f"/curate/?q={common}")
        self.measure("queue: search (2 words)", "queue", f"/curate/?q={medium}+{rare}")
        if first is not None:
            self.deep_pages(first)
        self.queue_by_story()

        # Admin changelist.
        base = "/admin/curation/article/"
        changelist = self.measure("admin: changelist", "admin", base)
        filters = self.admin_filter_links(changelist) if changelist is not None else {}
        self.measure("admin: state filter", "admin", base + filters.get("state", "?state__exact=new"))
        for key in ("category", "article_type", "heat", "quality", "needs_metadata"):
            if key in filters:
                self.measure(f"admin: {key} filter", "admin", base + filters[key])
        self.measure("admin: page 200 (OFFSET)", "info", base + "?p=199")
        self.measure("admin: sort by quality", "admin", base + "?o=" + filters.get("o_quality", "4"))
        self.measure("admin: topic filter", "admin-heavy", base + filters.get("topic", f"?topics__id__exact={topic}"))
        self.measure("admin: provider filter", "admin-heavy",
                     base + filters.get("provider", f"?provider__id__exact={provider}"))
        self.measure("admin: search", "admin-heavy", base + f"?q={medium}")
        self.measure("admin: search (common)", "admin-heavy", base + f"?q={common}")

        # Public outputs.
        for name, url in [("feed: rss", "/feeds/rss/"), ("feed: atom", "/feeds/atom/"),
                          ("feed: json", "/feeds/json/"), ("api: first page", "/api/articles/")]:
            self.measure(name, "public", url, self.public)
            self.measure(f"{name} (full render)", "public-render", url, FullRender(self.public))
        self.measure("public: home", "public-page", "/", self.public)

    def deep_pages(self, first):
        url, response = "/curate/", first
        for _ in range(self.options.deep_steps):
            nxt = next_link(response, "/curate/")
            if nxt is None:
                self.notes.append("queue: no 'next' link found on the queue page")
                return
            url, response = nxt, self.staff.get(nxt)
        self.measure(f"queue: page {self.options.deep_steps + 1} (next links)", "queue", url)
        far = self.far_cursor(url)
        if far:
            self.measure("queue: far cursor (mid-table)", "queue", far)

    def queue_by_story(self):
        """The queue with one row per story (the choice an editor's session remembers)."""
        from django.test import Client

        try:
            from curation.story_forms import QUEUE_BY_SESSION
        except ImportError:  # a tree from before stories (a baseline this file was copied into)
            return
        client = Client()
        client.force_login(self.user)
        session = client.session
        session[QUEUE_BY_SESSION] = "story"
        session.save()
        self.measure("queue: by story", "queue", "/curate/", client)
        self.measure("queue: by story, filtered+sorted", "queue",
                     "/curate/?state=new&quality_min=60&heat_known=known&sort=-quality", client)

    def far_cursor(self, url):
        """The same cursor URL pointing at a row half-way down the default queue."""
        from curation.models import Article

        parts = urlsplit(url)
        params = parse_qsl(parts.query)
        for i, (key, value) in enumerate(params):
            match = re.fullmatch(r"(.+)~(\d+)", value)
            if match:
                middle = (Article.objects.in_queue().order_by("-published_at", "-id")
                          .values_list("published_at", "pk")[self.articles // 4: self.articles // 4 + 1])
                if not middle or middle[0][0] is None:
                    return None
                published_at, pk = middle[0]
                params[i] = (key, f"{published_at.isoformat()}~{pk}")
                return f"{parts.path}?{urlencode(params)}"
        if any(key == "page" for key, _ in params):
            params = [(k, str(self.articles // 100) if k == "page" else v) for k, v in params]
            return f"{parts.path}?{urlencode(params)}"
        return None

    def admin_filter_links(self, response):
        """Query strings of the admin's own filter links (their parameter names are the admin's)."""
        found = {}
        for href, _, text in links(response):
            if not href.startswith("?"):
                continue
            query = dict(parse_qsl(href[1:]))
            for key in query:
                for name in ("state", "category", "article_type", "heat", "quality", "needs_metadata", "topic",
                             "provider"):
                    if key.startswith(name) and name not in found and query[key] not in ("", "all"):
                        found[name] = href
            if "o" in query and "o_quality" not in found and "quality" in text.lower():
                found["o_quality"] = query["o"]
        return found


def verdict(row, smaller):
    target = TARGETS.get(row["group"])
    if target is None:
        return ""
    max_ms, max_queries, same_count = target
    problems = []
    if row["status"] != 200:
        problems.append(f"HTTP {row['status']}")
    if row["ms"] > max_ms:
        problems.append(f">{max_ms}ms")
    if row["queries"] > max_queries:
        problems.append(f">{max_queries}q")
    small = smaller.get(row["name"]) if smaller else None
    # Only comparable when both pages show as many rows: an empty or short page at 1k rows
    # legitimately skips the queries that load rows' topics and images.
    if same_count and small and small["queries"] != row["queries"] and small.get("rows") == row.get("rows"):
        problems.append(f"q{small['queries']}@small")
    return "FAIL " + ",".join(problems) if problems else "PASS"


def smaller_run(vendor, articles):
    """The most recent result file for this vendor at a smaller size (the 1k run)."""
    candidates = []
    for path in RESULTS.glob(f"large_tables-{vendor}-*.json"):
        data = json.loads(path.read_text())
        if data["articles"] < articles:
            candidates.append((data["articles"], data))
    if not candidates:
        return None
    return min(candidates, key=lambda c: c[0])[1]


def summary():
    """One markdown table: each URL's median ms / queries per database and size."""
    runs = []
    for vendor in ("sqlite", "postgresql"):
        for path in sorted(RESULTS.glob(f"large_tables-{vendor}-*.json"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
            runs.append(json.loads(path.read_text()))
    if not runs:
        print("no result files in bench/results/")
        return 1
    names = list(dict.fromkeys(r["name"] for run in runs for r in run["results"]))
    header = [f"{run['vendor'][:6]} {run['articles']:,}" for run in runs]
    print("| url | " + " | ".join(header) + " | target | at the largest size |")
    print("|---" * (len(header) + 3) + "|")
    for name in names:
        cells, group, verdicts = [], None, []
        for run in runs:
            row = next((r for r in run["results"] if r["name"] == name), None)
            if row is None:
                cells.append("-")
                continue
            group = row["group"]
            cells.append(f"{row['ms']:.1f} ms ({row.get('cpu_ms', row['ms']):.1f} cpu) {row['queries']}q")
            if run["articles"] == max(r["articles"] for r in runs if r["vendor"] == run["vendor"]):
                verdicts.append(f"{run['vendor'][:6]} {row['verdict'] or '-'}")
        target = TARGETS.get(group)
        target_text = f"<={target[0]}ms <={target[1]}q" if target else ""
        print(f"| {name} | " + " | ".join(cells) + f" | {target_text} | {'; '.join(verdicts)} |")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--deep-steps", type=int, default=5, help="'next' links to follow for the deep page")
    parser.add_argument("--explain", action="store_true", help="print the slowest query of each failing URL")
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--only", action="append", metavar="PREFIX",
                        help="measure only the URLs whose name starts so (e.g. 'queue'; repeatable)")
    parser.add_argument("--summary", action="store_true",
                        help="print a markdown table of the latest result files (no measuring)")
    options = parser.parse_args(argv)
    if options.summary:
        return summary()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("set DATABASE_URL to a benchmark database filled by bench/dataset.py")

    import django

    django.setup()
    from django.conf import settings

    # Not setup_test_environment(): it instruments template rendering for the test client's
    # context capture, which costs more than the rendering itself on a large page.
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if name in {"test"} or name.startswith("test_") or Path(name).resolve() == (ROOT / "db.sqlite3").resolve():
        sys.exit(f"refusing to benchmark {name}: use a bench database")

    bench = Bench(options)
    bench.setup_users()
    bench.run()

    baseline = next(r for r in bench.results if r["group"] == "baseline")["ms"]
    small = smaller_run(bench.vendor, bench.articles)
    smaller = {r["name"]: r for r in small["results"]} if small else {}
    for row in bench.results:
        if row["name"] in smaller and smaller[row["name"]]["ms"]:
            row["x_small"] = round(row["ms"] / smaller[row["name"]]["ms"], 1)
        row["verdict"] = verdict(row, smaller)

    small_label = f"x{small['articles']:,}" if small else "x small"
    print(f"\n{bench.vendor}, {bench.articles:,} articles; baseline (trivial request) {baseline:.1f} ms, "
          f"SELECT 1 {bench.select1_ms:.3f} ms")
    print(f"{'url':<30} {'ms':>8} {'best':>7} {'cpu':>7} {'cold':>7} {'queries':>7} {'x base':>7} {small_label:>8} {'q small':>7}  target       verdict")
    for row in bench.results:
        target = TARGETS.get(row["group"])
        target_text = f"<={target[0]}ms <={target[1]}q" if target else ""
        small_row = smaller.get(row["name"], {})
        print(f"{row['name']:<30} {row['ms']:8.1f} {row['best_ms']:7.1f} {row['cpu_ms']:7.1f} {row['cold_ms']:7.1f} {row['queries']:7} {row['x_baseline'] or 0:7.1f} "
              f"{row.get('x_small', ''):>8} {small_row.get('queries', ''):>7}  {target_text:<12} {row['verdict']}")
        if options.explain and row["verdict"].startswith("FAIL") and row["slowest_query"]:
            q = row["slowest_query"]
            sql = q["sql"]
            if sql.startswith("SELECT") and " FROM " in sql:  # the column list is noise
                sql = "SELECT ... " + sql[sql.index(" FROM ") + 1:]
            print(f"    slowest query {float(q['time']) * 1000:.1f} ms: {sql[:700]}")
    for note in bench.notes:
        print(f"note: {note}")

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"large_tables-{bench.vendor}-{bench.articles}.json"
    out.write_text(json.dumps({
        "vendor": bench.vendor, "database": name, "articles": bench.articles, "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "baseline_ms": baseline, "select1_ms": bench.select1_ms, "compared_with": small["articles"] if small else None,
        "results": [{k: v for k, v in r.items() if k != "slowest_query"} | {"slowest_sql": (r["slowest_query"] or {}).get("sql", "")[:2000], "slowest_sql_ms": round(float((r["slowest_query"] or {}).get("time") or 0) * 1000, 2)} for r in bench.results],
        "notes": bench.notes,
    }, indent=1, default=str))
    print(f"written {out.relative_to(ROOT)}")
    failed = [r for r in bench.results if r["verdict"].startswith("FAIL")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
