"""Every file is isolated: whatever one file does to the parser (an exception nobody
foresaw, a crash of the process, a hang), that file fails alone with its reason in the
ledger, the JSON report and stderr; the others are written; the exit status is 1.

Each class is tried with parse workers and in the importing process (`--workers 0`),
except a crash of the process itself, which only a worker can survive (README).
"""

import json
import os
import signal
import time

import pytest
from django.test import override_settings

from curation.models import Article, ImportLedgerEntry
from curation.services.importing import parsing, pool
from curation.tests.factories import seed_text, valid_front_matter
from curation.tests.test_import import run_import, write

pytestmark = pytest.mark.django_db

WORKERS = pytest.mark.parametrize("workers", [0, 2], ids=["in-process", "workers"])
BODY = "Body.\n"


def front(extra):
    return f"---\ntitle: Odd\nwebUrl: https://odd.example/x\n{extra}\n---\n{BODY}"


def import_beside_good_files(tmp_path, name, content, workers, **options):
    """Two good files around the bad one; returns (exit code, stdout, stderr, JSON report)."""
    write(tmp_path, "a-good.txt", seed_text(body=BODY, **valid_front_matter(1)))
    write(tmp_path, name, content)
    write(tmp_path, "z-good.txt", seed_text(body=BODY, **valid_front_matter(2)))
    code, out, err = run_import(tmp_path, workers=workers, json=True, **options)
    return code, out, err, json.loads(out)


def assert_failed_alone(tmp_path, name, reason, code, err, report):
    assert code == 1
    assert report["counts"] == {"files": 3, "created": 2, "updated": 0, "unchanged": 0, "failed": 1}
    failed = next(entry for entry in report["files"] if entry["status"] == "failed")
    assert failed["path"] == str(tmp_path / name) and reason in failed["error"]
    assert "Traceback" not in err and "1 of 3 files failed" in err
    assert set(Article.objects.values_list("title", flat=True)) == {"Seed title 1", "Seed title 2"}
    entry = ImportLedgerEntry.objects.failed().get()
    assert entry.path == str(tmp_path / name) and reason in entry.error


# --- exceptions from PyYAML's constructors, and values our own code could not handle -------

CONSTRUCTOR_ERRORS = [
    ("bool-maybe", "published: !!bool maybe", "field 'published': 'maybe' cannot be read: KeyError"),
    ("int-empty", 'quality: !!int ""', "field 'quality': '' cannot be read: IndexError"),
    ("float-empty", "quality: !!float ''", "field 'quality': '' cannot be read: IndexError"),
    ("timestamp-nope", "publishedDateTime: !!timestamp nope", "field 'publishedDateTime': 'nope' cannot be read"),
    ("nested-bad-tag", "related: [{title: r, quality: !!int x}]", "field 'related[1].quality': 'x' cannot be read"),
    ("base-60-int", "quality: 1" + ":00" * 200, "a number of 601 characters (line 4) is refused"),
    ("year-1-east", "publishedDateTime: 0001-01-01T00:30:00+01:00", "outside the years 1000 to 8999"),
]


@WORKERS
@pytest.mark.parametrize(("name", "extra", "reason"), CONSTRUCTOR_ERRORS, ids=[case[0] for case in CONSTRUCTOR_ERRORS])
def test_a_value_the_constructor_cannot_build_fails_its_file_alone(tmp_path, workers, name, extra, reason):
    code, _, err, report = import_beside_good_files(tmp_path, f"{name}.txt", front(extra), workers)
    assert_failed_alone(tmp_path, f"{name}.txt", reason, code, err, report)


@WORKERS
@pytest.mark.parametrize(
    "extra",
    ["secured: {1: a, b: c}", "secured: {2020-01-01: a, b: c}", "other: {2020-01-01: a, b: c}\nsecured: {x: 1}"],
    ids=["mixed-keys", "date-key", "date-key-beside-secured"],
)
def test_mappings_with_keys_of_mixed_types_import(tmp_path, workers, extra):
    write(tmp_path, "a.txt", front(extra))
    code, _, err = run_import(tmp_path, workers=workers)
    assert code == 0, err
    assert Article.objects.get().secured  # stored, as JSON text
    code, out, _ = run_import(tmp_path, workers=workers)
    assert code == 0 and "1 unchanged" in out


# --- structure: aliases, nesting ------------------------------------------------------------

# Each alias starts a line behind a byte order mark, which libyaml skips there.
BILLION_LAUGHS_BEHIND_BOMS = "---\n" + "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [\n" + ",\n".join([f"\ufeff*{chr(97 + i)}"] * 9) + "]" for i in range(9)]
) + "\ntitle: boom\nwebUrl: https://x.example/\n---\n"

STRUCTURES = [
    ("alias-after-bom", "a: &a [1, 2]\nb:\n\ufeff*a", "YAML aliases are not accepted (line 4)"),
    ("billion-laughs-behind-boms", None, "YAML aliases are not accepted"),
    ("flow-nesting-25000", "x: " + "[" * 25_000, "nested more than 20 levels deep"),
    ("block-nesting-25000", "x:\n" + "- " * 25_000 + "x", "nested more than 20 levels deep"),
    ("flow-mappings-and-lists", "x: " + "{a: [" * 5_000, "nested more than 20 levels deep"),
    ("indented-blocks", "x:\n" + "".join(" " * (4 * i) + "- k:\n" for i in range(1, 200)), "nested more than 20 levels"),
    ("million-values", "x: [" + "1," * 60_000 + "]", "more than 50,000 YAML values"),
]


@WORKERS
@pytest.mark.parametrize(("name", "extra", "reason"), STRUCTURES, ids=[case[0] for case in STRUCTURES])
def test_structures_are_refused_before_anything_is_built(tmp_path, workers, name, extra, reason):
    content = BILLION_LAUGHS_BEHIND_BOMS if extra is None else front(extra)
    code, _, err, report = import_beside_good_files(tmp_path, f"{name}.txt", content, workers)
    assert_failed_alone(tmp_path, f"{name}.txt", reason, code, err, report)


def test_a_file_of_many_almost_closing_lines_is_read_in_linear_time(tmp_path):
    # 200,000 '---x' lines and a '...' at the very end: the close search used to rescan the
    # rest of the text for every line (minutes); now it answers well within the time limit.
    content = "---\ntitle: t\n" + "---x\n" * 200_000 + "..\n"
    code, _, err, report = import_beside_good_files(tmp_path, "almost.txt", content, workers=1)
    assert_failed_alone(tmp_path, "almost.txt", "is never closed", code, err, report)


# --- the parser process itself: crashes and hangs -------------------------------------------


def misbehave(real_parse_one):
    """parse_one that crashes or hangs on marked files, as a libyaml bug would."""

    def parse_one(data, limits=None):
        if b"SEGFAULT" in data:
            os.kill(os.getpid(), signal.SIGSEGV)
        if b"PYTHON-LOOP" in data:
            while True:
                pass
        if b"STUCK-IN-C" in data:
            # Signals blocked: as if stuck inside C code, where the timer's exception never comes.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            while True:
                pass
        return real_parse_one(data, limits)

    return parse_one


@pytest.fixture
def misbehaving_parser(monkeypatch):
    monkeypatch.setattr(parsing, "parse_one", misbehave(parsing.parse_one))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("marker", "reason"),
    [("SEGFAULT", "the YAML parser crashed (signal 11, SIGSEGV)"), ("STUCK-IN-C", "parsing took longer than 0.3 s")],
)
def test_a_file_that_kills_or_hangs_its_worker_fails_alone(tmp_path, misbehaving_parser, monkeypatch, marker, reason):
    # Many files in small chunks on two workers: the chunk the dead worker held is parsed
    # again file by file, the chunks it had not started go to the other worker.
    monkeypatch.setattr(pool, "CHUNK_SIZE", 5)
    for n in range(40):
        write(tmp_path, f"{n:02d}.txt", seed_text(body=BODY, **valid_front_matter(n)))
    write(tmp_path, "17-bad.txt", front(f"note: {marker}"))

    with override_settings(SEED_PARSE_TIMEOUT=0.3):
        code, out, err = run_import(tmp_path, workers=2, json=True)

    report = json.loads(out)
    assert code == 1
    assert report["counts"] == {"files": 41, "created": 40, "updated": 0, "unchanged": 0, "failed": 1}
    assert f"{tmp_path / '17-bad.txt'}: {reason}" in err
    assert ImportLedgerEntry.objects.failed().get().error.startswith(reason)
    assert Article.objects.count() == 40


@WORKERS
def test_a_parse_that_runs_past_the_time_limit_fails_alone(tmp_path, misbehaving_parser, workers):
    with override_settings(SEED_PARSE_TIMEOUT=0.3):
        code, _, err, report = import_beside_good_files(tmp_path, "loop.txt", front("note: PYTHON-LOOP"), workers)
    assert_failed_alone(tmp_path, "loop.txt", "parsing took longer than 0.3 s (SEED_PARSE_TIMEOUT)", code, err, report)


def test_the_in_process_timer_is_put_back_as_it_was(tmp_path):
    before = signal.getsignal(signal.SIGALRM)
    write(tmp_path, "a.txt", seed_text(**valid_front_matter(1)))
    run_import(tmp_path, workers=0)
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_workers_are_gone_when_the_import_ends(tmp_path):
    write(tmp_path, "a.txt", seed_text(**valid_front_matter(1)))
    before = set(_children(os.getpid()))
    run_import(tmp_path, workers=2)
    deadline = time.monotonic() + 5
    while set(_children(os.getpid())) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not set(_children(os.getpid())) - before


def _children(pid):
    """Live (not zombie) child processes of `pid`, from /proc."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                children.append(int(entry))
    return children


@WORKERS
def test_an_unchanged_folder_starts_no_parser_and_loads_no_word_lists(tmp_path, workers, monkeypatch):
    """Every file is known by its hash, so nothing is parsed: no worker is forked, and the
    stories' word lists (loaded for the workers to share) are not loaded either."""
    write(tmp_path, "a.txt", seed_text(**valid_front_matter(1)))
    run_import(tmp_path, workers=workers)
    started = []
    monkeypatch.setattr(pool, "_Worker", lambda *args: started.append("worker"))
    monkeypatch.setattr("curation.services.stories.warm", lambda: started.append("word lists"))
    code, out, _ = run_import(tmp_path, workers=workers)
    assert code == 0 and "1 unchanged" in out
    assert started == []

    write(tmp_path, "b.txt", seed_text(**valid_front_matter(2)))
    monkeypatch.undo()
    loaded = []
    monkeypatch.setattr("curation.services.stories.warm", lambda: loaded.append("word lists"))
    code, out, _ = run_import(tmp_path, workers=workers)
    assert code == 0 and "1 created" in out and loaded == ["word lists"]
