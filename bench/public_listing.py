"""The public listings' own queries at scale, without the stored renders in front of them.

    DATABASE_URL=sqlite:///bench/results/bench-1m.sqlite3 .venv/bin/python bench/public_listing.py

large_tables.py requests the public pages as a reader's browser does, so after its warm-up
they are answered from the stored render under their ETag (one validator query); this
measures what a cache miss costs: the home page's first page, a page deep in the listing
(by cursor), a topic page and the feed's one-entry-per-story query, each as the median of
--runs executions, and as a ratio against a trivial query (SELECT of one article by id)
timed in the same run. Run from a checkout (its code is the one measured): the listing
order is whatever that checkout's curation.public.selectors says.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path.cwd()
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")


def timed(function, runs):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()
    import django

    django.setup()
    from django.db import connection

    from curation.models import Article, Topic
    from curation.public import selectors
    from curation.selectors import with_topic

    first_id = Article.objects.order_by("pk").values_list("pk", flat=True).first()
    topic = Topic.objects.order_by("pk").first()

    def deep_cursor():
        page = selectors.keyset_page(selectors.published_articles())
        for _ in range(20):
            page = selectors.keyset_page(selectors.published_articles(), cursor=page.next_cursor)
        return page.next_cursor

    cursor = deep_cursor()
    cases = {
        "baseline: one article by id": lambda: list(Article.objects.filter(pk=first_id).only("pk")),
        "home: first page": lambda: selectors.keyset_page(selectors.published_articles()),
        "home: page 22 (cursor)": lambda: selectors.keyset_page(selectors.published_articles(), cursor=cursor),
        "topic page": lambda: selectors.keyset_page(with_topic(selectors.published_articles(), topic.pk).queryset),
        "feed: 50 entries, one per story": lambda: selectors.latest_articles(),
    }
    for function in cases.values():
        function()  # warm
    results = {name: timed(function, options.runs) for name, function in cases.items()}
    base = results["baseline: one article by id"]
    print(f"{connection.vendor}, {Article.objects.count():,} articles, {ROOT}")
    for name, ms in results.items():
        print(f"{name:36} {ms:8.2f} ms  {ms / base:7.1f} x base")


if __name__ == "__main__":
    main()
