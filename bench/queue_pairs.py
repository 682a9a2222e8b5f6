"""The queue by story against the item queue: thread CPU of the same URL in both modes,
requested alternately (item, story, item, story, ...) so that both see the same load.

    DATABASE_URL=sqlite:////tmp/bench-1k.sqlite3 .venv/bin/python bench/queue_pairs.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/queue_pairs.py --pairs 400

On a database filled by bench/dataset.py. Through Django's test client, logged in as the
bench superuser (as large_tables.py), DEBUG off. `large_tables.py` times each page's runs
one after the other, so a change of load between two pages moves their ratio; here each
story request follows an item request of the same URL. Prints, per URL, the median thread
CPU of each mode and their ratio, and with --parts the median time of the view's steps
(the page query, building the rows, rendering them, the rest of the page's template).
Thread CPU leaves out PostgreSQL's own work (another process) and counts SQLite's.
"""

import argparse
import functools
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

URLS = ["/curate/", "/curate/?state=new&quality_min=60&heat_known=known&sort=-quality"]


def timed_parts():
    """Wrap the view's steps so each request's time in them is recorded."""
    from curation.views import queue, stories

    spent = {}

    def wrap(owner, name, label):
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            start = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.thread_time() - start

        setattr(owner, name, timed)

    wrap(queue.QueueView, "get_page", "page query")
    wrap(stories.StoryQueueView, "get_page", "page query")
    wrap(queue.QueueView, "build_rows", "building the rows")
    wrap(stories.StoryQueueView, "build_rows", "building the rows")
    wrap(queue, "render_rows", "rendering the rows")
    from django.template.response import SimpleTemplateResponse

    wrap(SimpleTemplateResponse, "render", "the page's template")
    return spent


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--parts", action="store_true", help="also time the view's steps")
    parser.add_argument("urls", nargs="*", default=URLS)
    options = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL"):
        sys.exit("set DATABASE_URL to a benchmark database filled by bench/dataset.py")

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from curation.story_forms import QUEUE_BY_SESSION

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    spent = timed_parts() if options.parts else {}
    user = User.objects.filter(username="bench-admin").first()
    if user is None:
        user = User.objects.create_superuser("bench-admin", "bench@example.com", "bench-only-password")
    clients = {}
    for mode in ("items", "stories"):
        client = Client()
        client.force_login(user)
        if mode == "stories":
            session = client.session
            session[QUEUE_BY_SESSION] = "story"
            session.save()
        clients[mode] = client
    print(f"{connection.vendor}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for url in options.urls:
        totals = {mode: [] for mode in clients}
        parts = {mode: {} for mode in clients}
        for _ in range(options.warmup):
            for client in clients.values():
                client.get(url)
        for _ in range(options.pairs):
            for mode, client in clients.items():
                spent.clear()
                start = time.thread_time()
                client.get(url)
                totals[mode].append((time.thread_time() - start) * 1000)
                for label, seconds in spent.items():
                    parts[mode].setdefault(label, []).append(seconds * 1000)
        items, stories = (statistics.median(totals[mode]) for mode in ("items", "stories"))
        print(
            f"{url}\n  request            items {items:6.2f} ms  stories {stories:6.2f} ms  ({(stories / items - 1) * 100:+.0f} %)"
        )
        for label in parts["items"]:
            a, b = (statistics.median(parts[mode].get(label, [0.0])) for mode in ("items", "stories"))
            print(f"  {label:<18} items {a:6.2f} ms  stories {b:6.2f} ms  ({b - a:+.2f})")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
