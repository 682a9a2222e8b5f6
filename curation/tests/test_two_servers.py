"""Two app servers (gunicorn) on one PostgreSQL and one Redis, as docs/deployment.md lays out.

Publish through one server and the item is in the other's feed within a second; unpublish
through one and it is gone from the other's API; five failed logins spread over both lock
the client out on both. The servers run with production settings (DJANGO_DEBUG=0) and
REDIS_URL, on a database and a Redis key prefix of their own, both removed afterwards
(never FLUSHDB: only this run's keys are deleted).

Skipped with the reason when PostgreSQL or Redis does not answer, unless REQUIRE_POSTGRES=1
or REQUIRE_REDIS=1 (as CI sets), where it fails instead.
"""

import http.cookiejar
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

BASE_DIR = Path(__file__).resolve().parents[2]
POSTGRES_ADMIN_URL = os.environ.get("TWO_SERVERS_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TWO_SERVERS_REDIS_URL", "redis://127.0.0.1:6379/3")
PASSWORD = "two servers, one truth"


def unavailable(reason, variable):
    if os.environ.get(variable) == "1":
        pytest.fail(f"{reason} ({variable}=1, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, name, env, workdir):
        self.name, self.port = name, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(workdir / f"gunicorn-{name}.log", "w")  # noqa: SIM115 - closed in stop()
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.process = subprocess.Popen(
            [gunicorn, "newsroom.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--timeout", "60",
             "--no-control-socket"],
            cwd=BASE_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gunicorn {self.name} exited; see {self.log.name}"
            try:
                with urllib.request.urlopen(self.base + "/feeds/json/", timeout=10):
                    return
            except OSError:  # refused while it starts, or a first request that takes long
                time.sleep(0.2)
        raise AssertionError(f"gunicorn {self.name} did not answer within 60 s")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
        self.log.close()


class Browser:
    """Cookies, CSRF tokens and forms, the way a browser sends them, with the standard library."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirects())

    def request(self, url, data=None, headers=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers={"Referer": url, **(headers or {})})
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def csrf(self, server, path):
        status, html = self.request(server.base + path)
        assert status == 200, (path, status)
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def login(self, server, username, password):
        token = self.csrf(server, "/accounts/login/")
        return self.request(
            server.base + "/accounts/login/", {"csrfmiddlewaretoken": token, "username": username, "password": password}
        )[0]


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


SETUP = """
import django, json
django.setup()
from django.contrib.auth.models import Group, User
from curation.models import Article
user = User.objects.create_user("editor", password=%r)
user.groups.add(Group.objects.get(name="Editors"))
print(json.dumps([a.pk for a in Article.objects.order_by("pk")]))
"""


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    try:
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            pass
    except Exception as exc:
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}", "REQUIRE_POSTGRES")
    try:
        import redis

        store = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        store.ping()
    except Exception as exc:
        unavailable(f"Redis is not reachable at {REDIS_URL}: {exc}", "REQUIRE_REDIS")

    workdir = tmp_path_factory.mktemp("two-servers")
    run_id = uuid.uuid4().hex[:8]
    database, prefix = f"two_servers_{run_id}", f"two-servers-{run_id}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {database}")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "REDIS_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        DATABASE_URL=POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}",
        REDIS_URL=REDIS_URL,
        DJANGO_CACHE_KEY_PREFIX=prefix,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_SECURE_HSTS_SECONDS="0",
        DJANGO_STATIC_ROOT=str(workdir / "static"),
        DJANGO_LOG_LEVEL="ERROR",
    )
    started = []
    try:
        for args in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"],
                     ["import_seeds", str(BASE_DIR / "fixtures" / "real-seeds"), "--no-progress", "-v0"]):
            result = subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True,
                                    text=True, timeout=300)
            assert result.returncode == 0, result.stdout + result.stderr
        result = subprocess.run([sys.executable, "-c", SETUP % PASSWORD], cwd=BASE_DIR, env=env, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        articles = json.loads(result.stdout)
        started = [Server("a", env, workdir), Server("b", env, workdir)]
        for server in started:
            server.wait()
        yield {"a": started[0], "b": started[1], "articles": articles, "redis": store, "prefix": prefix,
               "database_url": env["DATABASE_URL"]}
    finally:
        for server in started:
            server.stop()
        keys = list(store.scan_iter(match=f"{prefix}:*"))
        if keys:
            store.delete(*keys)
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def feed_ids(server):
    with urllib.request.urlopen(server.base + "/feeds/json/", timeout=10) as response:
        return [item["id"].rstrip("/").rsplit("/", 1)[1] for item in json.loads(response.read())["items"]]


def eventually(check, seconds=1.0):
    """How long until check() held (None if it never did within `seconds`)."""
    started = time.monotonic()
    while time.monotonic() - started <= seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.05)
    return None


def test_publish_on_one_server_shows_on_the_other_and_unpublish_hides_it(servers):
    a, b = servers["a"], servers["b"]
    article_id = servers["articles"][0]
    assert str(article_id) not in feed_ids(b)  # rendered and stored in Redis under B's ETag

    editor = Browser()
    assert editor.login(a, "editor", PASSWORD) == 302
    token = editor.csrf(a, f"/curate/articles/{article_id}/")
    status, body = editor.request(
        f"{a.base}/curate/articles/{article_id}/publish/",
        {"csrfmiddlewaretoken": token, "expected_version": 1},
        headers={"Accept": "application/json"},
    )
    assert status == 200 and json.loads(body)["state"] == "published"
    assert eventually(lambda: str(article_id) in feed_ids(b)) is not None, "not in the other server's feed within 1 s"

    stored = list(servers["redis"].scan_iter(match=f"{servers['prefix']}:*public-response:*"))
    assert stored, "the stored renders are not in Redis"

    # Unpublish through B (the same session: it lives in the shared database).
    token = editor.csrf(b, f"/curate/articles/{article_id}/")
    status, _ = editor.request(
        f"{b.base}/curate/articles/{article_id}/unpublish/",
        {"csrfmiddlewaretoken": token, "expected_version": 2},
        headers={"Accept": "application/json"},
    )
    assert status == 200

    def gone_from_a():
        detail = Browser().request(f"{a.base}/api/articles/{article_id}/")[0]
        _, listing = Browser().request(f"{a.base}/api/articles/")
        return detail == 404 and all(item["id"] != article_id for item in json.loads(listing)["results"])

    assert eventually(gone_from_a) is not None, "still in the other server's API after 1 s"


def test_five_failed_logins_across_both_servers_lock_the_client_out_on_both(servers):
    a, b = servers["a"], servers["b"]
    guesser = Browser()
    statuses = [guesser.login(server, "editor", f"guess {n}") for n, server in enumerate([a, b, a, b, a])]
    assert statuses == [200, 200, 200, 200, 429]
    assert guesser.login(b, "editor", PASSWORD) == 429  # even the right password, on the other server
    assert guesser.login(a, "editor", PASSWORD) == 429
    counters = list(servers["redis"].scan_iter(match=f"{servers['prefix']}:*axes*"))
    assert counters, "axes' counters are not in Redis"
