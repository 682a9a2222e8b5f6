"""Load test: many editors at once against gunicorn, checked for lost updates.

    .venv/bin/python bench/load_test.py                      # PostgreSQL, 16 editors, 60 s
    .venv/bin/python bench/load_test.py --database both      # PostgreSQL, then SQLite
    .venv/bin/python bench/load_test.py --database sqlite --seconds 20 --editors 8

What it does, for each database:

1. a dedicated database (PostgreSQL: `loadtest`, dropped and created again, never `test`;
   SQLite: a file in a temporary folder), migrated, filled with `--articles` seed files
   through `manage.py import_seeds`, plus one editor account per simulated editor;
2. `collectstatic`, then gunicorn with production settings (DJANGO_DEBUG=0) on loopback:
   `gunicorn newsroom.wsgi --bind 127.0.0.1:PORT --workers N`. The client plays the
   TLS-terminating proxy (X-Forwarded-Proto: https, DJANGO_SECURE_PROXY_SSL_HEADER=1), so
   HTTPS redirects, secure cookies and the CSRF origin check all stay on;
3. `--editors` threads, each an editor with its own session (logged in through the login
   form, CSRF token taken from a page), for `--seconds`: 70 % reads (queue pages, article
   pages) and 30 % writes (publish, unpublish, edit) on a shared set of `--items` articles.
   A write sends the version that editor last saw, so when a colleague got there first
   the write is stale and must be refused with 409;
4. checks, from the responses and the audit log (EditorialAction) read after gunicorn stops:
   - no response with status 5xx, no connection error;
   - no lost update: every acknowledged write has exactly one audit row (same article,
     editor, action and starting version); per article the audit rows form one unbroken
     chain of versions (two writes from the same version would both have "won");
   - the final state, version and title of every shared article agree with its last
     audited action;
   - every stale write was answered 409, and every 409 was for a write that was stale.

It prints requests/s and p50/p95/p99 latency and writes bench/results/load_<database>.json.
Exit status 0 when every check passes, 1 otherwise.
"""

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PASSWORD = "load-test-password-1"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/loadtest"

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_INPUT = re.compile(r'name="expected_version" value="(\d+)"')
MESSAGE = re.compile(r'<li class="message ([a-z ]+)">(.*?)</li>', re.S)


# --- setting up -----------------------------------------------------------------------------


def log(text):
    print(text, file=sys.stderr, flush=True)


def make_corpus(folder, count):
    """`count` seed files: shared providers and topics, one or two images, related coverage."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        front = {
            "category": ["news", "tech", "science", "business"][n % 4],
            "title": f"Load story {n}: council weighs new plan",
            "excerpt": f"Excerpt of load story {n}, long enough to look like a real one in a list.",
            "publishedDateTime": f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
            "webUrl": f"https://load.example/{n}",
            "type": "article",
            "quality": n % 190,
            "heat": -1 if n % 2 else n % 100,
            "published": False,
            "provider": {"name": f"Provider {n % 25}", "domain": f"p{n % 25}.example"},
            "topics": sorted({f"Topic {n % 40}", f"Topic {(n * 7) % 40}"}),
            "images": [{"url": f"https://img.load.example/{n}/{i}.jpg", "width": 800, "height": 450} for i in range(1 + n % 2)],
            "related": [
                {"title": f"Other take on {n}", "webUrl": f"https://load.example/{(n + 17) % count}",
                 "provider": {"name": "Wire", "domain": "wire.example"}, "quality": 10}
            ],
            "secured": secrets.token_hex(16),
        }
        body = "\n\n".join(f"Paragraph {p} of load story {n}. " * 5 for p in range(6))
        (folder / f"{n:06d}.md").write_text("---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n" + body + "\n")


SETUP_SCRIPT = r"""
import json, sys, django
django.setup()
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from curation.models import Article, EditorialAction
editors, items, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
hashed = make_password(password)
group = Group.objects.get(name="Editors")
names = []
for n in range(editors):
    user, _ = User.objects.update_or_create(username=f"load-editor-{n:02d}", defaults={"password": hashed, "is_active": True})
    user.groups.add(group)
    names.append(user.username)
shared = list(Article.objects.filter(has_front_matter=True, needs_metadata=False, state="new").order_by("pk")[:items])
print(json.dumps({
    "editors": names,
    "items": {a.pk: {"version": a.version, "state": a.state, "title": a.title} for a in shared},
    "articles": list(Article.objects.order_by("pk").values_list("pk", flat=True)),
    "last_action_id": EditorialAction.objects.order_by("-id").values_list("id", flat=True).first() or 0,
}))
"""

FINAL_SCRIPT = r"""
import json, sys, django
django.setup()
from curation.models import Article, EditorialAction
ids = json.loads(sys.argv[1])
last_action_id = int(sys.argv[2])
print(json.dumps({
    "items": {a.pk: {"version": a.version, "state": a.state, "title": a.title}
              for a in Article.objects.filter(pk__in=ids)},
    "actions": [
        {"id": row.id, "article": row.article_id, "actor": row.actor.username if row.actor else None,
         "action": row.action, "before": row.before, "after": row.after}
        for row in EditorialAction.objects.filter(id__gt=last_action_id).select_related("actor").order_by("id")
    ],
}))
"""


def django_env(database_url, **extra):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(DJANGO_SETTINGS_MODULE="newsroom.settings", DATABASE_URL=database_url, DJANGO_LOG_LEVEL="ERROR")
    env.update(extra)
    return env


def run(args, env, timeout=900):
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, args))}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def manage(env, *args):
    return run([sys.executable, "manage.py", *args], env)


def fresh_postgres(url):
    """Drop and create the database named in `url` (refusing to touch the shared `test` db)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or name in {"test", "postgres", "template0", "template1"}:
        raise SystemExit(f"refusing to recreate PostgreSQL database {name!r}: pick a dedicated name")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")
    return url


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the client -----------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    status: int
    seconds: float
    ended: float


@dataclass
class Write:
    editor: str
    article: int
    action: str
    sent_version: int
    status: int
    outcome: str  # "ack", "conflict", or "other: ..."
    new_version: int | None = None
    title: str | None = None


class Editor:
    """One editor: an HTTP connection, a session, and what this editor last saw of each item."""

    def __init__(self, *, name, port, known):
        self.name = name
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies = {}
        self.csrf = ""
        self.known = dict(known)  # article id -> {"version", "state"} or None when unknown
        self.samples = []
        self.writes = []
        self.errors = []
        self.sequence = 0

    def request(self, kind, method, path, form=None, accept_json=False):
        headers = {"X-Forwarded-Proto": "https", "User-Agent": "newsroom-load-test"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers.update({
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.origin,
                "Referer": self.origin + path,
            })
        if accept_json:
            headers["Accept"] = "application/json"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()
            self.errors.append(f"{method} {path}: {type(exc).__name__}: {exc}")
            self.samples.append(Sample(kind, 0, time.perf_counter() - started, time.monotonic()))
            return 0, {}, b""
        elapsed = time.perf_counter() - started
        self.samples.append(Sample(kind, response.status, elapsed, time.monotonic()))
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value in ("", '""') or "max-age=0" in rest.lower():
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return response.status, response.headers, data

    # Pages ------------------------------------------------------------------------------

    def login(self):
        status, _, page = self.request("login", "GET", "/accounts/login/")
        token = CSRF_INPUT.search(page.decode())
        if status != 200 or not token:
            raise RuntimeError(f"{self.name}: login page answered {status}")
        form = {"username": self.name, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1), "next": "/curate/"}
        status, headers, _ = self.request("login", "POST", "/accounts/login/", form)
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"{self.name}: login answered {status}")
        self.read_queue(kind="login")

    def read_queue(self, kind="queue"):
        params = random.choice(["", "?state=all", "?sort=-quality", "?state=published", "?sort=-imported&size=100"])
        status, _, page = self.request(kind, "GET", f"/curate/{params}")
        token = CSRF_INPUT.search(page.decode()) if status == 200 else None
        if token:
            self.csrf = token.group(1)

    def read_article(self, article_id, kind="article"):
        status, _, page = self.request(kind, "GET", f"/curate/articles/{article_id}/")
        if status == 200 and article_id in self.known:
            self.remember_page(article_id, page.decode())
        return status, page.decode(errors="replace")

    def remember_page(self, article_id, html):
        version = VERSION_INPUT.search(html)
        state = re.search(rf'state-badge state-(\w+)" data-state-for="{article_id}"', html)
        token = CSRF_INPUT.search(html)
        if token:
            self.csrf = token.group(1)
        if version and state:
            self.known[article_id] = {"version": int(version.group(1)), "state": state.group(1)}

    # Writes -----------------------------------------------------------------------------

    def write(self, article_id):
        seen = self.known.get(article_id)
        if seen is None:
            self.read_article(article_id, kind="article")  # reload, as an editor would after a conflict
            seen = self.known.get(article_id)
            if seen is None:
                return
        if random.random() < 1 / 3:
            self.edit(article_id, seen)
        else:
            self.transition(article_id, seen)

    def transition(self, article_id, seen):
        action = "publish" if seen["state"] == "new" else "unpublish"
        form = {"expected_version": seen["version"], "csrfmiddlewaretoken": self.csrf}
        status, _, body = self.request(action, "POST", f"/curate/articles/{article_id}/{action}/", form, accept_json=True)
        write = Write(self.name, article_id, action, seen["version"], status, outcome=f"other: {status}")
        if status == 200:
            payload = json.loads(body)
            write.outcome, write.new_version = "ack", payload["version"]
            self.known[article_id] = {"version": payload["version"], "state": payload["state"]}
        elif status == 409:
            write.outcome = "conflict"
            self.known[article_id] = None
        else:
            write.outcome = f"other: {status} {body[:200]!r}"
            self.known[article_id] = None
        self.writes.append(write)

    def edit(self, article_id, seen):
        self.sequence += 1
        title = f"Edited by {self.name} #{self.sequence}"
        form = {
            "expected_version": seen["version"],
            "title": title,
            "excerpt": f"Excerpt written under load by {self.name}.",
            "topics": "Load test",
            "csrfmiddlewaretoken": self.csrf,
        }
        path = f"/curate/articles/{article_id}/edit/"
        status, headers, body = self.request("edit", "POST", path, form, accept_json=True)
        write = Write(self.name, article_id, "edit", seen["version"], status, outcome=f"other: {status}", title=title)
        self.known[article_id] = None
        if status == 200 and headers.get("Content-Type", "").startswith("application/json"):
            payload = json.loads(body)
            write.outcome, write.new_version = "ack", payload.get("version")
            if payload.get("version") and payload.get("state"):
                self.known[article_id] = {"version": payload["version"], "state": payload["state"]}
        elif status == 409:
            write.outcome = "conflict"
        elif status == 302:
            # Without an in-place answer the outcome is the message on the article page.
            _, page = self.read_article(article_id)
            found = MESSAGE.findall(page)
            if any("success" in tags for tags, _ in found):
                write.outcome = "ack"
            elif any("changed by someone else" in text for _, text in found):
                write.outcome = "conflict answered 302, not 409"
            else:
                write.outcome = f"other: 302 without a message ({found!r:.200})"
        else:
            write.outcome = f"other: {status} {body[:200]!r}"
        self.writes.append(write)


def drive(editor, *, items, articles, clock, write_ratio, barrier):
    try:
        editor.login()
    except Exception as exc:  # noqa: BLE001 - reported, and the run is marked failed
        editor.errors.append(f"login: {exc}")
        barrier.abort()  # the others stop waiting: a run with missing editors is not the run asked for
        return
    try:
        barrier.wait()  # everyone is logged in; the clock has started
    except threading.BrokenBarrierError:
        return
    editor.samples.clear()  # logins are set-up, not load
    editor.writes.clear()
    deadline = clock["deadline"]
    while time.monotonic() < deadline:
        if random.random() < write_ratio:
            editor.write(random.choice(items))
        elif random.random() < 0.5:
            editor.read_queue()
        else:
            # Half the article pages are shared items (which refreshes what this editor knows).
            editor.read_article(random.choice(items) if random.random() < 0.5 else random.choice(articles))


# --- checking -------------------------------------------------------------------------------


def check(*, writes, final, initial):
    """Compare what the clients were told with the audit log and the final rows."""
    problems = []
    actions_by_article = defaultdict(list)
    for row in final["actions"]:
        actions_by_article[row["article"]].append(row)

    # 1. per article: one unbroken chain of versions, and the final row agrees with it.
    for key, start in initial.items():
        article_id = int(key)
        rows = sorted(actions_by_article.get(article_id, []), key=lambda row: row["after"]["version"])
        expected_version, state, title = start["version"], start["state"], start["title"]
        for row in rows:
            if row["before"]["version"] != expected_version:
                problems.append(f"article {article_id}: audit chain broken at version {expected_version}: {row}")
                break
            expected_version = row["after"]["version"]
            state = row["after"].get("state", state)
            title = row["after"].get("title", title)
        now = final["items"][str(article_id)]
        if (now["version"], now["state"], now["title"]) != (expected_version, state, title):
            problems.append(
                f"article {article_id}: final row {now} disagrees with its last audited action "
                f"(version {expected_version}, state {state}, title {title!r})"
            )

    # 2. every acknowledged write is in the audit log exactly once; nothing unacknowledged is.
    audited = Counter((row["article"], row["actor"], row["action"], row["before"]["version"]) for row in final["actions"])
    acked = Counter((w.article, w.editor, w.action, w.sent_version) for w in writes if w.outcome == "ack")
    lost = acked - audited
    unacknowledged = audited - acked
    if lost:
        problems.append(f"{sum(lost.values())} acknowledged writes missing from the audit log, e.g. {next(iter(lost))}")
    if unacknowledged:
        problems.append(f"{sum(unacknowledged.values())} audited writes no client saw acknowledged, e.g. {next(iter(unacknowledged))}")

    # 3. stale writes: a write was stale when its version had already been consumed by another write.
    consumed = {(row["article"], row["before"]["version"]) for row in final["actions"]}
    conflicts = [w for w in writes if w.outcome == "conflict"]
    false_conflicts = [w for w in conflicts if (w.article, w.sent_version) not in consumed]
    if false_conflicts:
        problems.append(f"{len(false_conflicts)} writes refused with 409 although not stale, e.g. {false_conflicts[0]}")
    others = [w for w in writes if w.outcome not in ("ack", "conflict")]
    stale_not_409 = [w for w in others if (w.article, w.sent_version) in consumed]
    if others:
        problems.append(f"{len(others)} writes answered neither success nor 409 ({len(stale_not_409)} of them stale), "
                        f"e.g. {others[0]}")
    return problems, {
        "acknowledged": sum(acked.values()),
        "conflicts_409": len(conflicts),
        "stale_writes": len(conflicts) + len(stale_not_409),
        "stale_not_409": len(stale_not_409),
        "false_conflicts": len(false_conflicts),
        "lost_updates": sum(lost.values()),
        "audit_rows": len(final["actions"]),
    }


def percentile(values, fraction):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


# --- one run --------------------------------------------------------------------------------


def run_load(database, args):
    workdir = Path(tempfile.mkdtemp(prefix=f"loadtest-{database}-"))
    try:
        if database == "postgres":
            url = fresh_postgres(args.postgres_url)
        else:
            url = f"sqlite:///{workdir / 'loadtest.sqlite3'}"
        env = django_env(url)
        log(f"[{database}] migrating and importing {args.articles} articles ...")
        manage(env, "migrate", "--noinput", "-v0")
        make_corpus(workdir / "seeds", args.articles)
        manage(env, "import_seeds", str(workdir / "seeds"), "--no-progress", "-v0")
        setup = json.loads(run([sys.executable, "-c", SETUP_SCRIPT, str(args.editors), str(args.items), PASSWORD], env))
        items = [int(key) for key in setup["items"]]
        initial = {int(k): {"version": v["version"], "state": v["state"]} for k, v in setup["items"].items()}

        port = args.port or free_port()
        production = django_env(
            url,
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DJANGO_SECURE_PROXY_SSL_HEADER="1",
            DJANGO_STATIC_ROOT=str(workdir / "static"),
        )
        manage(production, "collectstatic", "--noinput", "-v0")
        gunicorn_log = open(workdir / "gunicorn.log", "w")
        command = [str(Path(sys.executable).with_name("gunicorn")), "newsroom.wsgi",
                   "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), "--timeout", "60",
                   "--no-control-socket"]
        log(f"[{database}] {' '.join(command[1:])}")
        server = subprocess.Popen(command, cwd=ROOT, env=production, stdout=gunicorn_log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        try:
            wait_for(port, server)
            editors = [Editor(name=name, port=port, known=initial) for name in setup["editors"]]
            # The clock starts for everyone at once, when the last editor has logged in.
            clock = {}

            def start_clock():
                clock["started"] = time.monotonic()
                clock["deadline"] = clock["started"] + args.seconds

            logged_in = threading.Barrier(len(editors), action=start_clock)
            threads = [
                threading.Thread(target=drive, args=(editor,), daemon=True, kwargs={
                    "items": items, "articles": setup["articles"], "clock": clock,
                    "write_ratio": args.write_ratio, "barrier": logged_in})
                for editor in editors
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(args.seconds + 300)
            log(f"[{database}] done")
            started = clock.get("started", time.monotonic())
            elapsed = time.monotonic() - started
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
            gunicorn_log.close()

        final = json.loads(run([sys.executable, "-c", FINAL_SCRIPT, json.dumps(items), str(setup["last_action_id"])], env))
        samples = [s for e in editors for s in e.samples]
        writes = [w for e in editors for w in e.writes]
        errors = [error for e in editors for error in e.errors]
        problems, verdict = check(writes=writes, final=final, initial={str(k): v | {"title": setup["items"][str(k)]["title"]}
                                                                       for k, v in initial.items()})
        statuses = Counter(s.status for s in samples)
        server_errors = sum(count for status, count in statuses.items() if status >= 500)
        if server_errors:
            problems.append(f"{server_errors} responses with status 5xx (see {workdir / 'gunicorn.log'})")
        if errors:
            problems.append(f"{len(errors)} connection errors, e.g. {errors[0]}")
        latencies = [s.seconds for s in samples]
        by_kind = defaultdict(list)
        for s in samples:
            by_kind[s.kind].append(s.seconds)
        reads = sum(len(by_kind[k]) for k in ("queue", "article"))
        result = {
            "database": database,
            "editors": len(editors),
            "seconds": round(elapsed, 1),
            "gunicorn_workers": args.workers,
            "articles": len(setup["articles"]),
            "shared_items": len(items),
            "requests": len(samples),
            "requests_per_second": round(len(samples) / elapsed, 1),
            "read_share": round(reads / len(samples), 3) if samples else 0,
            "latency_ms": {
                "p50": round(percentile(latencies, 0.50) * 1000, 1),
                "p95": round(percentile(latencies, 0.95) * 1000, 1),
                "p99": round(percentile(latencies, 0.99) * 1000, 1),
                "mean": round(statistics.fmean(latencies) * 1000, 1) if latencies else 0,
            },
            "latency_ms_by_kind": {
                kind: {"count": len(values), "p50": round(percentile(values, 0.5) * 1000, 1),
                       "p95": round(percentile(values, 0.95) * 1000, 1)}
                for kind, values in sorted(by_kind.items())
            },
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "responses_5xx": server_errors,
            "connection_errors": len(errors),
            **verdict,
            "write_outcomes": dict(Counter(w.outcome.split(" ")[0] if w.outcome.startswith("other") else w.outcome
                                           for w in writes)),
            "problems": problems,
            "passed": not problems,
        }
        if problems and args.keep:
            log(f"[{database}] kept {workdir} for inspection")
        return result
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def wait_for(port, server, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/accounts/login/", headers={"X-Forwarded-Proto": "https"})
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 60 s")


def summary(result):
    lat = result["latency_ms"]
    lines = [
        f"== {result['database']}: {result['editors']} editors, {result['seconds']} s, "
        f"gunicorn --workers {result['gunicorn_workers']}, {result['articles']} articles, {result['shared_items']} shared",
        f"   {result['requests']} requests, {result['requests_per_second']} req/s "
        f"({result['read_share']:.0%} reads); latency p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms",
        "   by kind: " + ", ".join(f"{k} n={v['count']} p50={v['p50']} p95={v['p95']}"
                                   for k, v in result["latency_ms_by_kind"].items()),
        f"   statuses {result['statuses']}; 5xx: {result['responses_5xx']}; connection errors: {result['connection_errors']}",
        f"   writes acknowledged {result['acknowledged']} (audit rows {result['audit_rows']}), lost updates "
        f"{result['lost_updates']}; stale writes {result['stale_writes']}, answered 409: {result['conflicts_409']}, "
        f"not 409: {result['stale_not_409']}, false 409: {result['false_conflicts']}",
        f"   {'PASS' if result['passed'] else 'FAIL'}" + "".join(f"\n   - {p}" for p in result["problems"]),
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["postgres", "sqlite", "both"], default="postgres")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--editors", type=int, default=16)
    parser.add_argument("--articles", type=int, default=3000, help="articles imported before the run")
    parser.add_argument("--items", type=int, default=50, help="shared articles the writes go to")
    parser.add_argument("--write-ratio", type=float, default=0.3)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--postgres-url", default=os.environ.get("LOADTEST_DATABASE_URL", DEFAULT_POSTGRES_URL),
                        help="database to (re)create for the run (default: %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (SQLite db, gunicorn log)")
    parser.add_argument("--seed", type=int, default=None, help="random seed for the editors' choices")
    args = parser.parse_args(argv)
    if args.seed is not None:
        random.seed(args.seed)
    databases = ["postgres", "sqlite"] if args.database == "both" else [args.database]
    RESULTS.mkdir(parents=True, exist_ok=True)
    passed = True
    for database in databases:
        result = run_load(database, args)
        (RESULTS / f"load_{database}.json").write_text(json.dumps(result, indent=2) + "\n")
        print(summary(result), flush=True)
        passed &= result["passed"]
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
