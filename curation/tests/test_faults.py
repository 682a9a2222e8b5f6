"""Faults an operator will meet: an import killed with SIGKILL half-way, and two imports of
the same folder started at once.

Each test runs the real `manage.py import_seeds` in subprocesses against its own database
(a SQLite file, or a throw-away PostgreSQL database), and compares a canonical dump of the
imported content (articles, providers, topics, images, related coverage, keyed by
source_key, timestamps left out) with what one uninterrupted import into a fresh
database produces.
"""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
CORPUS_SIZE = 2000
POSTGRES_ADMIN_URL = os.environ.get("FAULTS_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")

pytestmark = pytest.mark.slow


# --- the corpus ---------------------------------------------------------------------------


def make_corpus(folder, count=CORPUS_SIZE):
    """`count` small seed files in 10 sub-folders: shared providers and topics, images,
    related coverage that points forwards and backwards inside the corpus (so linking
    depends on import order), and body-only items. (Repeated URLs are tested separately
    below: which file wins then depends on the order, which the concurrent test varies.)"""
    for n in range(count):
        sub = folder / f"{n * 10 // count:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        if n % 25 == 24:
            (sub / f"{n:05d}.txt").write_text(f"Body-only dispatch {n}\n\nFiled without metadata, number {n}.\n")
            continue
        front = {
            "category": ["news", "tech", "science"][n % 3],
            "title": f"Story {n}: something happened",
            "excerpt": f"Excerpt {n}",
            "publishedDateTime": f"2024-0{1 + n % 9}-1{n % 10}T0{n % 10}:00:00Z",
            "webUrl": f"https://news.example/{n}",
            "type": "article",
            "quality": n % 190,
            "heat": -1 if n % 2 else n % 100,
            "published": bool(n % 7 == 0),
            "provider": {"name": f"Provider {n % 12}", "domain": f"p{n % 12}.example"},
            "topics": sorted({f"Topic {n % 30}", f"Topic {(n * 7) % 30}"}),
            "images": [{"url": f"https://img.example/{n}/{i}.jpg", "width": 640, "height": 360} for i in range(n % 3)],
            "related": [
                {
                    "title": f"Coverage of {n} #{i}",
                    "webUrl": f"https://news.example/{(n + offset) % count}",
                    "provider": {"name": f"Provider {(n + i) % 12}", "domain": f"p{(n + i) % 12}.example"},
                    "quality": i,
                }
                for i, offset in enumerate([13, -29, 4001])
            ],
            "secured": f"blob-{n}",
        }
        text = "---\n" + yaml.safe_dump(front, sort_keys=False) + f"---\nBody of story {n}.\n\nMore text.\n"
        (sub / f"{n:05d}.md").write_text(text)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults") / "seeds"
    make_corpus(folder)
    return folder


# --- databases ----------------------------------------------------------------------------


def subprocess_env(database_url):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    # FAULTS_LOG_LEVEL=WARNING shows the commands' warnings in a failing test's stderr.
    level = os.environ.get("FAULTS_LOG_LEVEL", "ERROR")
    env.update(DJANGO_SETTINGS_MODULE="newsroom.settings", DATABASE_URL=database_url, DJANGO_LOG_LEVEL=level)
    return env


def manage(database_url, *args, check=True):
    result = subprocess.run(
        [sys.executable, "manage.py", *args, "--skip-checks"], cwd=BASE_DIR, env=subprocess_env(database_url),
        capture_output=True, text=True, timeout=120,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


class SQLiteDatabases:
    """File-based SQLite databases, each a copy of one migrated template."""

    def __init__(self, folder):
        self.folder = folder
        self.template = folder / "template.sqlite3"
        manage(self.url(self.template), "migrate", "-v0")

    @staticmethod
    def url(path):
        return f"sqlite:///{path}"

    def fresh(self, name):
        path = self.folder / f"{name}.sqlite3"
        shutil.copyfile(self.template, path)
        return self.url(path)

    def count_articles(self, url):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)
        try:
            return connection.execute("SELECT count(*) FROM curation_article").fetchone()[0]
        finally:
            connection.close()

    def close(self):
        pass


class PostgresDatabases:
    """Throw-away PostgreSQL databases, each created from one migrated template database."""

    def __init__(self):
        import psycopg

        self.psycopg = psycopg
        self.prefix = f"faults_{uuid.uuid4().hex[:8]}"
        self.created = []
        self.template = self._create("template")
        manage(self.url(self.template), "migrate", "-v0")

    def _admin(self):
        return self.psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True)

    def _create(self, name, template=None):
        database = f"{self.prefix}_{name}"
        with self._admin() as connection:
            suffix = f" TEMPLATE {template}" if template else ""
            connection.execute(f"CREATE DATABASE {database}{suffix}")
        self.created.append(database)
        return database

    def url(self, database):
        return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"

    def fresh(self, name):
        return self.url(self._create(name, template=self.template))

    def count_articles(self, url):
        with self.psycopg.connect(url) as connection:
            return connection.execute("SELECT count(*) FROM curation_article").fetchone()[0]

    def close(self):
        with self._admin() as connection:
            for database in reversed(self.created):
                connection.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def postgres_available():
    try:
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def databases(request, tmp_path_factory):
    if request.param == "sqlite":
        dbs = SQLiteDatabases(tmp_path_factory.mktemp("sqlite"))
    else:
        if not postgres_available():
            if os.environ.get("REQUIRE_POSTGRES") == "1":
                pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}")
            pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}")
        dbs = PostgresDatabases()
    yield dbs
    dbs.close()


# --- the canonical dump -------------------------------------------------------------------

DUMP_SCRIPT = r"""
import json, django
django.setup()
from curation.models import Article, Provider, Topic, ArticleImage, RelatedCoverage

FIELDS = ["title", "excerpt", "body", "category", "article_type", "web_url", "amp_url", "cdn_amp_url",
          "quality", "heat", "source_published", "secured", "front_matter_raw", "has_front_matter",
          "needs_metadata", "has_images", "related_count", "source_path", "source_sha256",
          "content_sha256", "body_sha256", "state", "version"]
keys = dict(Article.objects.values_list("pk", "source_key"))
providers = {p.pk: [p.name, p.domain] for p in Provider.objects.all()}
articles = {}
for article in Article.objects.order_by("source_key").prefetch_related("topics"):
    row = {name: getattr(article, name) for name in FIELDS}
    row["published_at"] = article.published_at.isoformat() if article.published_at else None
    row["provider"] = providers.get(article.provider_id)
    row["topics"] = sorted(t.name for t in article.topics.all())
    row["images"] = []
    row["related"] = []
    articles[article.source_key] = row
for image in ArticleImage.objects.order_by("article_id", "position", "id"):
    articles[keys[image.article_id]]["images"].append([image.position, image.url, image.width, image.height, image.title])
for item in RelatedCoverage.objects.order_by("article_id", "position", "id"):
    articles[keys[item.article_id]]["related"].append([
        item.position, item.title, item.excerpt, item.web_url, item.url_key, providers.get(item.provider_id),
        item.quality, item.heat, item.images, keys.get(item.linked_article_id),
        item.published_at.isoformat() if item.published_at else None])
# Stories by their members' identities: an import killed between its batches and its end
# must not leave its items out of the stories a rerun forms.
members = {}
for story_id, pk in Article.objects.filter(story__isnull=False).values_list("story_id", "pk"):
    members.setdefault(story_id, []).append(keys[pk])
stories = sorted(sorted(m) for m in members.values() if len(m) > 1)
print(json.dumps({
    "articles": articles,
    "stories": stories,
    "providers": sorted(providers.values()),
    "topics": sorted(Topic.objects.values_list("name", "slug")),
    "counts": {"articles": len(keys), "images": ArticleImage.objects.count(),
               "related": RelatedCoverage.objects.count(), "topic_links": Article.topics.through.objects.count()},
}, sort_keys=True))
"""


def dump(database_url):
    result = subprocess.run(
        [sys.executable, "-c", DUMP_SCRIPT], cwd=BASE_DIR, env=subprocess_env(database_url),
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def import_command(corpus, *extra, reverse=False):
    """Small batches: many commits, so a kill lands between some of them. `reverse` names
    the same folder's sub-folders last to first, so two imports meet in the middle."""
    paths = [str(corpus)]
    if reverse:
        paths = [str(sub) for sub in sorted(corpus.iterdir(), reverse=True)]
    return [sys.executable, "manage.py", "import_seeds", *paths, "--batch-size", "50", "--no-progress",
            "--skip-checks", *extra]


@pytest.fixture(scope="module")
def reference(databases, corpus):
    """One uninterrupted import into a fresh database."""
    url = databases.fresh("reference")
    manage(url, "import_seeds", str(corpus), "--no-progress")
    content = dump(url)
    # The corpus: every body-only file and every distinct URL became one article.
    assert content["counts"]["articles"] == CORPUS_SIZE
    assert content["counts"]["images"] > 0 and content["counts"]["related"] > 0
    assert any(item[-2] for row in content["articles"].values() for item in row["related"]), "no linked coverage"
    assert content["stories"], "no stories"
    return content


def assert_same_content(actual, expected, *, stories=False):
    missing = expected["articles"].keys() - actual["articles"].keys()
    extra = actual["articles"].keys() - expected["articles"].keys()
    assert not missing and not extra, f"{len(missing)} missing, {len(extra)} extra articles"
    differing = [key for key in expected["articles"] if actual["articles"][key] != expected["articles"][key]]
    assert not differing, (
        f"{len(differing)} articles differ, e.g. {differing[0]}:\n"
        f"{actual['articles'][differing[0]]}\n!=\n{expected['articles'][differing[0]]}"
    )
    if stories:
        # Not for two imports at once: the corpus's related links chain its items into stories
        # past the cap, and which items a capped story holds depends on the order they came in.
        assert actual["stories"] == expected["stories"], f"{len(actual['stories'])} stories differ from {len(expected['stories'])}"
    assert actual["providers"] == expected["providers"]
    assert actual["topics"] == expected["topics"]
    assert actual["counts"] == expected["counts"]


# --- the tests ----------------------------------------------------------------------------


def test_an_import_killed_midway_then_rerun_ends_like_an_uninterrupted_one(databases, corpus, reference):
    url = databases.fresh("killed")
    process = subprocess.Popen(
        import_command(corpus), cwd=BASE_DIR, env=subprocess_env(url),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    try:
        # Wait until some batches are committed, then kill the command and its parser workers.
        while databases.count_articles(url) < 300:
            assert process.poll() is None, f"the import ended before it could be killed: {process.stderr.read()}"
            assert time.monotonic() < deadline, "the import committed nothing in 60 s"
            time.sleep(0.01)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL
    partial = databases.count_articles(url)
    assert 300 <= partial < reference["counts"]["articles"], "the kill did not land midway"

    manage(url, "import_seeds", str(corpus), "--no-progress")
    assert_same_content(dump(url), reference, stories=True)


def test_two_imports_of_the_same_folder_at_once_create_no_duplicates(databases, corpus, reference):
    """The second import walks the sub-folders last to first, so the two are sure to meet
    half-way and write the same articles at the same moment."""
    url = databases.fresh("concurrent")
    processes = [
        subprocess.Popen(
            import_command(corpus, "--json", reverse=reverse), cwd=BASE_DIR, env=subprocess_env(url),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for reverse in (False, True)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    counts = []
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stdout[-2000:] + stderr
        counts.append(json.loads(stdout)["counts"])
    assert all(count["failed"] == 0 for count in counts), counts
    # Each article was created by exactly one of them, and both did part of the work.
    assert sum(count["created"] for count in counts) == reference["counts"]["articles"], counts
    assert all(count["created"] > 0 for count in counts), counts
    assert_same_content(dump(url), reference)


def test_reimporting_an_unchanged_folder_changes_nothing_even_with_a_repeated_url(databases, tmp_path):
    """A rerun after any interruption re-imports files already imported. Two files with the
    same webUrl: the first one wins, the later one fails naming it, and so on every run."""
    folder = tmp_path / "repeated"
    folder.mkdir()
    for name, title in [("a.md", "First version"), ("b.md", "Second version"), ("c.md", None)]:
        url = "https://news.example/other" if title is None else "https://news.example/repeated"
        (folder / name).write_text(f"---\ntitle: {title or 'Other'}\nwebUrl: {url}\n---\nBody of {name}\n")
    url = databases.fresh(f"repeated_{tmp_path.name[-12:].lower().replace('-', '_')}")
    assert manage(url, "import_seeds", str(folder), "--no-progress", check=False).returncode == 1
    first = dump(url)
    titles = sorted(row["title"] for row in first["articles"].values())
    assert titles == ["First version", "Other"]

    # What must not happen is the article changing from run to run, or the files taking turns.
    for _ in range(2):
        result = manage(url, "import_seeds", str(folder), "--no-progress", "--json", check=False)
        assert result.returncode == 1
        files = {entry["path"].rsplit("/", 1)[1]: entry["status"] for entry in json.loads(result.stdout)["files"]}
        assert files == {"a.md": "unchanged", "b.md": "failed", "c.md": "unchanged"}
        assert_same_content(dump(url), first)


def _live(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _children(pid):
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                children.append(int(entry))
    return children


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_parse_workers_die_with_an_importer_killed_with_sigkill(databases, corpus):
    """kill -9 of the importer alone (not its process group): its workers go too, at once,
    instead of parsing on for their queue (they were seen 20 s later)."""
    url = databases.fresh("orphans")
    process = subprocess.Popen(
        import_command(corpus, "--workers", "2"), cwd=BASE_DIR, env=subprocess_env(url),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while len(workers := _children(process.pid)) < 2:
            assert process.poll() is None, "the import ended before its workers were seen"
            assert time.monotonic() < deadline, "no parse workers in 60 s"
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 2
        while any(_live(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not [pid for pid in workers if _live(pid)], "parse workers outlived the importer"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
