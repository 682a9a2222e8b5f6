"""Keyboard triage in Chromium: from the queue, decide N items with one key each ("p",
publish), focus moving to the next row; the time from the keypress to the next row focused
with the decision stored.

    .venv/bin/python bench/keyboard_triage.py --db /work/benchdata/bench-1k.sqlite3
    .venv/bin/python bench/keyboard_triage.py --db /work/benchdata/bench-1m.sqlite3

The database is never written: the file is copied (cp --reflink=auto) next to the results,
migrated, and deleted afterwards (--keep keeps it). A live server runs in this process (the
test suite's LiveServerThread, static files included, DEBUG off) and Playwright drives
Debian's Chromium (CHROMIUM_PATH or /usr/bin/chromium), signed in as an editor.

The queue shows `?needs_metadata=no` (every row offers Publish) at its default page size,
so the run crosses pages as an editor's would: the last row's decision opens the next page
with its first row selected. For each keypress the clock runs from just before Playwright
sends the key until, in the page, the focus is on another row's link, that row is the
current one, and the decided row shows its new state (curator-actions.js marks it only once the
server answered, so the decision is stored). The same is measured for "j" (move to the next
row, nothing sent) in the same run: the baseline the decision's figures are compared with
(the machine is shared and noisy). After the run the database must hold N publish actions by
the editor. Results: bench/results/keyboard_triage-<size>.json.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

ROW_FOCUSED = """(previous) => {
    const active = document.activeElement;
    const row = active && active.closest ? active.closest("tr.queue-row") : null;
    if (!row || row.dataset.articleId === previous || !row.classList.contains("current")) return false;
    const old = document.querySelector('tr.queue-row[data-article-id="' + previous + '"]');
    return !old || old.classList.contains("acted") || old.dataset.moved === "1";
}"""


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summary(values):
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
        "max_ms": round(max(values), 1),
    }


def copy_database(source, keep_dir):
    target = Path(keep_dir) / f"triage-{Path(source).stem}.sqlite3"
    # The source may be in WAL mode: checkpointed copies come from sqlite's own backup.
    subprocess.run(["cp", "--reflink=auto", str(source), str(target)], check=True)
    for suffix in ("-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            subprocess.run(["cp", "--reflink=auto", f"{source}{suffix}", f"{target}{suffix}"], check=True)
    return target


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a SQLite database made by bench/dataset.py (copied, never written)")
    parser.add_argument("--items", type=int, default=100, help="decisions to make (default 100)")
    parser.add_argument("--baseline", type=int, default=40, help="'j' moves to time as the baseline (default 40)")
    parser.add_argument("--workdir", default=None, help="where the copy goes (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the copy afterwards")
    options = parser.parse_args()

    workdir = Path(options.workdir or tempfile.mkdtemp(prefix="triage-"))
    workdir.mkdir(parents=True, exist_ok=True)
    copy = copy_database(options.db, workdir)
    os.environ["DATABASE_URL"] = f"sqlite:///{copy}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop here
    try:
        result = run(options, copy)
    finally:
        if not options.keep:
            shutil.rmtree(workdir, ignore_errors=True) if not options.workdir else [
                Path(f"{copy}{suffix}").unlink(missing_ok=True) for suffix in ("", "-wal", "-shm")
            ]
    print(json.dumps(result, indent=2))


def run(options, copy):
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.testcases import LiveServerThread

    from curation.models import Article, EditorialAction

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    call_command("migrate", verbosity=0)
    articles = Article.objects.count()
    user, _ = User.objects.get_or_create(username="triage-editor")
    user.groups.add(Group.objects.get(name="Editors"))
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    connection.close()

    server = LiveServerThread("localhost", StaticFilesHandler, connections_override={}, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    base = f"http://localhost:{server.port}"

    from playwright.sync_api import sync_playwright

    decisions, moves = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])
        page = context.new_page()
        page.goto("/curate/?needs_metadata=no")
        page.wait_for_load_state()

        def current():
            return page.evaluate("() => { const r = document.querySelector('tr.queue-row.current'); return r ? r.dataset.articleId : ''; }")

        def timed(key, into, previous):
            start = time.perf_counter()
            page.keyboard.press(key)
            page.wait_for_function(ROW_FOCUSED, arg=previous, polling="raf", timeout=30_000)
            into.append((time.perf_counter() - start) * 1000)

        page.keyboard.press("j")
        page.wait_for_function("() => document.querySelector('tr.queue-row.current')")
        # Baseline: "j" moves on without sending anything (marked so ROW_FOCUSED accepts it).
        for _ in range(options.baseline):
            previous = current()
            page.evaluate("(id) => { const r = document.querySelector('tr.queue-row[data-article-id=\"' + id + '\"]'); if (r) r.dataset.moved = '1'; }", previous)
            timed("j", moves, previous)
        page.goto("/curate/?needs_metadata=no")
        page.wait_for_load_state()
        page.keyboard.press("j")
        page.wait_for_function("() => document.querySelector('tr.queue-row.current')")
        for _ in range(options.items):
            timed("p", decisions, current())
        browser.close()
    server.terminate()

    stored = EditorialAction.objects.filter(actor__username="triage-editor", action="publish").count()
    assert stored == options.items, f"{stored} publish actions stored, {options.items} expected"
    result = {
        "articles": articles,
        "items": options.items,
        "decision": summary(decisions),
        "baseline_j": summary(moves),
        "x_baseline_p50": round(statistics.median(decisions) / statistics.median(moves), 1),
        "stored": stored,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"keyboard_triage-{articles}.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
