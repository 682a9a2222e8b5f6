"""Stories at a million rows: the queue by story, the feeds' one entry per story, the API.

    DATABASE_URL=sqlite:///bench/results/bench-stories-1m.sqlite3 .venv/bin/python bench/stories_large.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_stories .venv/bin/python bench/stories_large.py

On a database filled by bench/dataset.py (which puts about a third of the articles in
stories). In-process, DEBUG off: two warm-up calls, then the median of --runs timed calls,
and one more under CaptureQueriesContext for the query count. Each story figure is given
with the plain figure measured alternately in the same run (the queue page without stories,
the feed with ?all=1), since the machine is noisy.

The queue figures are the selector's (`selectors_stories.story_queue_page` against
`selectors.queue_page`); the curator's queue view adds its session and user queries (2) to
either. The feeds and the API are requested through the test client with the response
cache cleared before each request, so each is a full render.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")


def timed(function, runs):
    for _ in range(2):
        function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("set DATABASE_URL to a benchmark database filled by bench/dataset.py")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
    import django

    django.setup()
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from curation.models import Article, Story
    from curation.selectors import queue_page
    from curation.selectors_stories import story_queue_page

    articles = Article.objects.count() if connection.vendor == "sqlite" else None
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; "
          f"{articles or 'about ' + str(Article.objects.order_by('-pk').values_list('pk', flat=True).first())} articles, "
          f"{Story.objects.count():,} stories")
    queue = Article.objects.in_queue()
    deep = queue_page(queue, page_size=50)
    for _ in range(5):
        deep = queue_page(queue, after=deep.next_cursor, page_size=50)
    cases = [
        ("queue, default order", {}),
        ("queue, by quality", {"sort_key": "-quality"}),
        ("queue, by import time", {"sort_key": "-imported"}),
        ("queue, page 7 by cursor", {"after": deep.next_cursor}),
    ]
    rows = []
    for label, options in cases:
        plain = lambda options=options: [a.pk for a in queue_page(queue, page_size=50, **options).articles]  # noqa: E731
        story = lambda options=options: [a.pk for a in story_queue_page(queue, page_size=50, **options).articles]  # noqa: E731
        plain_ms = timed(plain, args.runs)
        story_ms = timed(story, args.runs)
        with CaptureQueriesContext(connection) as plain_queries:
            plain()
        with CaptureQueriesContext(connection) as story_queries:
            shown = story()
        rows.append((label, plain_ms, len(plain_queries), story_ms, len(story_queries), len(shown)))

    client = Client()
    for label, url in (("feed: rss", "/feeds/rss/"), ("feed: json", "/feeds/json/"), ("api: first page", "/api/articles/")):
        every = url + ("?all=1" if "feeds" in url else "")

        def fetch(target):
            # Every cache: the rendered responses live in their own ("public"); clearing the
            # default alone measured cache hits after that move (1 query, under 1 ms).
            for store in caches.all():
                store.clear()
            response = client.get(target)
            assert response.status_code == 200, (target, response.status_code)

        plain_ms = timed(lambda every=every: fetch(every), args.runs)
        story_ms = timed(lambda url=url: fetch(url), args.runs)
        with CaptureQueriesContext(connection) as plain_queries:
            fetch(every)
        with CaptureQueriesContext(connection) as story_queries:
            fetch(url)
        rows.append((label, plain_ms, len(plain_queries), story_ms, len(story_queries), None))

    print("| page | plain ms / queries | by story ms / queries | ratio |")
    print("| --- | --- | --- | --- |")
    for label, plain_ms, plain_q, story_ms, story_q, _ in rows:
        print(f"| {label} | {plain_ms:.1f} / {plain_q} | {story_ms:.1f} / {story_q} | {story_ms / plain_ms:.2f} |")
    out = ROOT / "bench" / "results" / f"stories_large-{connection.vendor}.json"
    out.write_text(json.dumps([dict(zip(["page", "plain_ms", "plain_queries", "story_ms", "story_queries", "rows"], row,
                                        strict=True)) for row in rows], indent=1))


if __name__ == "__main__":
    main()
