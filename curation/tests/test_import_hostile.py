"""Seed files are untrusted: every bad file fails alone, with its name and a reason.

HOSTILE is the corpus: (file name, content, a fragment the error must contain). Each one
is imported next to a good file, which must still import, and nothing stored may be lost.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from curation.models import Article, ImportLedgerEntry
from curation.services.importing import pool
from curation.tests.factories import seed_text, valid_front_matter
from curation.tests.test_import import run_import, write

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def fm(**overrides):
    return seed_text(body="Body.\n", **valid_front_matter(7, **overrides))


BILLION_LAUGHS = "---\n" + "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]" for i in range(8)]
) + "\ntitle: boom\nwebUrl: https://x.example/\n---\n"

HOSTILE = [
    ("invalid-yaml.txt", "---\ntitle: [unclosed\nwebUrl: https://x.example/\n---\nbody", "not valid YAML"),
    ("unclosed.txt", "---\ntitle: never closed\nwebUrl: https://x.example/\n", "never closed"),
    ("list.txt", "---\n- one\n- two\n---\n", "must be a mapping"),
    ("scalar.txt", "---\njust a string\n---\n", "must be a mapping"),
    ("billion-laughs.txt", BILLION_LAUGHS, "aliases are not accepted"),
    ("python-tag.txt", "---\ntitle: !!python/object/apply:os.system ['touch /tmp/pwned']\nwebUrl: https://x.example/\n---\n",
     "not valid YAML"),
    ("nul.txt", b"---\ntitle: a\x00b\nwebUrl: https://x.example/\n---\n", "NUL byte"),
    ("escaped-nul.txt", '---\ntitle: "a\\0b"\nwebUrl: https://x.example/n\n---\n', "field 'title': contains a NUL"),
    ("escaped-nul-related.txt", fm(related=[{"title": "r\x00"}]), "field 'related[1].title': contains a NUL"),
    ("surrogate.txt", '---\ntitle: "\\ud800"\nwebUrl: https://x.example/s\n---\n', "invalid Unicode"),
    ("latin1.txt", "---\ntitle: caf\xe9\nwebUrl: https://x.example/\n---\n".encode("latin-1"), "not UTF-8"),
    ("empty.txt", b"", "is empty"),
    ("blank.txt", b"\n\n  \n", "is empty"),
    ("no-url.txt", "---\ntitle: No URL here\n---\nbody", "field 'webUrl': is missing"),
    ("js-url.txt", fm(webUrl="javascript:alert(document.cookie)"), "field 'webUrl'"),
    ("data-url.txt", fm(webUrl="data:text/html,<script>alert(1)</script>"), "field 'webUrl'"),
    ("no-title.txt", "---\nwebUrl: https://x.example/t\n---\n", "field 'title': is missing"),
    ("title-mapping.txt", fm(title={"nested": "thing"}), "field 'title': must be text"),
    ("quality-word.txt", fm(quality="high"), "field 'quality': must be a whole number"),
    ("quality-huge.txt", fm(quality=10**30), "field 'quality'"),
    ("heat-float.txt", fm(heat=1.5), "field 'heat'"),
    ("published-word.txt", fm(published="maybe"), "field 'published'"),
    ("bad-date.txt", fm(publishedDateTime="yesterday"), "field 'publishedDateTime'"),
    ("bad-timestamp.txt", "---\ntitle: t\nwebUrl: https://x.example/d\npublishedDateTime: 2020-13-45T99:00:00Z\n---\n",
     "field 'publishedDateTime': '2020-13-45T99:00:00Z' cannot be read"),
    ("topics-mapping.txt", fm(topics={"a": 1}), "field 'topics'"),
    ("provider-list.txt", fm(provider=["a", "b"]), "field 'provider'"),
    ("images-string.txt", fm(images="https://x.example/i.jpg"), "field 'images'"),
    ("related-scalar.txt", fm(related=["just text"]), "field 'related'"),
    ("related-bad-date.txt", fm(related=[{"title": "r", "publishedDateTime": "soon"}]), "related[1]"),
    ("category-long.txt", fm(category="x" * 500), "field 'category'"),
    ("unhashable-key.txt", "---\n? [a, b]\n: value\ntitle: t\nwebUrl: https://x.example/k\n---\n", "YAML"),
    ("deep.txt", "---\ntitle: t\nwebUrl: https://x.example/deep\nx: " + "[" * 5000 + "]" * 5000 + "\n---\n", "nested"),
]


@pytest.mark.parametrize(("name", "content", "reason"), HOSTILE, ids=[case[0] for case in HOSTILE])
def test_each_bad_file_fails_alone_with_its_name_and_reason(tmp_path, name, content, reason):
    existing = Article.objects.create(
        source_key="0" * 64, title="Already stored", imported_at="2024-01-01T00:00Z",
        source_updated_at="2024-01-01T00:00Z", source_sha256="1" * 64, content_sha256="2" * 64,
    )
    write(tmp_path, "good.txt", seed_text(body="Fine.\n", **valid_front_matter(1)))
    write(tmp_path, name, content)

    code, out, err = run_import(tmp_path)

    assert code == 1
    line = next(line for line in err.splitlines() if name in line)
    assert reason in line
    assert "Traceback" not in err
    assert "1 created" in out and "1 failed" in out
    assert Article.objects.filter(title="Seed title 1").exists()
    assert Article.objects.filter(pk=existing.pk, title="Already stored").exists()
    entry = ImportLedgerEntry.objects.failed().get()
    assert entry.path.endswith(name) and reason in entry.error
    assert not Path("/tmp/pwned").exists()


def test_oversized_files_are_refused_before_parsing(tmp_path, monkeypatch):
    from curation.seedformat import parse as seedformat_parse

    def never(*args, **kwargs):
        raise AssertionError("an oversized file was parsed")

    monkeypatch.setattr(seedformat_parse, "parse_seed", never)
    write(tmp_path, "big.txt", fm(excerpt="x" * 5000))

    with override_settings(SEED_MAX_BYTES=1000):
        code, _, err = run_import(tmp_path)

    assert code == 1
    assert "big.txt" in err and "files over 1,000 bytes are refused" in err


def _stat_reporting_size(monkeypatch, name, size):
    """Make fstat report `size` for the file `name`, as if it grew after the importer looked."""
    import os

    real_fstat = os.fstat

    def fstat(descriptor):
        info = real_fstat(descriptor)
        if os.readlink(f"/proc/self/fd/{descriptor}").endswith(name):
            values = list(info)
            values[6] = size  # st_size
            info = os.stat_result(values)
        return info

    monkeypatch.setattr(os, "fstat", fstat)


def test_a_file_that_grew_past_the_limit_after_stat_is_refused(tmp_path, monkeypatch):
    write(tmp_path, "growing.txt", fm(excerpt="x" * 5000))
    _stat_reporting_size(monkeypatch, "growing.txt", 10)

    with override_settings(SEED_MAX_BYTES=1000):
        code, _, err = run_import(tmp_path)

    assert code == 1
    assert "growing.txt" in err and "is over 1,000 bytes" in err


def test_a_file_that_grew_after_stat_is_read_whole(tmp_path, monkeypatch):
    write(tmp_path, "growing.txt", fm(excerpt="all of it " * 100))
    _stat_reporting_size(monkeypatch, "growing.txt", 10)

    code, _, _ = run_import(tmp_path)

    assert code == 0
    assert Article.objects.get().excerpt == "all of it " * 100


def test_non_http_links_are_never_stored(tmp_path):
    content = fm(
        ampWebUrl="javascript:alert(1)",
        images=[{"url": "javascript:alert(1)"}, {"url": "//cdn.example/x.jpg"}, {"url": "https://ok.example/i.jpg"}],
        related=[{"title": "r", "webUrl": "vbscript:msgbox", "images": [{"url": "data:image/png;base64,AAA"}]}],
    )
    write(tmp_path, "a.txt", content)

    code, _, _ = run_import(tmp_path)

    assert code == 0
    article = Article.objects.get()
    assert article.amp_url == ""
    assert list(article.images.values_list("url", flat=True)) == ["https://ok.example/i.jpg"]
    related = article.related.get()
    assert related.web_url == "" and related.images == [] and related.title == "r"


def test_the_command_itself_prints_no_traceback_and_exits_1(tmp_path):
    """As an operator sees it: a real process, real exit status, readable stderr."""
    write(tmp_path, "good.txt", fm())
    write(tmp_path, "bad.txt", b"\xff\xfe\x00garbage")
    database = tmp_path / "db.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{database}", "PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "1"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)

    result = subprocess.run(
        [sys.executable, "manage.py", "import_seeds", str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{tmp_path / 'bad.txt'}: contains a NUL byte at offset 2" in result.stderr
    assert "2 files: 1 created, 0 updated, 0 unchanged, 1 failed." in result.stdout


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"workers": 100_000}, "--workers must be from 0 to 64"),
        ({"workers": -1}, "--workers must be from 0 to 64"),
        ({"max_bytes": 0}, "--max-bytes must be from 1 to 1,073,741,824 bytes (1 GiB), not 0"),
        ({"max_bytes": -5}, "--max-bytes must be from 1 to 1,073,741,824 bytes (1 GiB), not -5"),
        ({"max_bytes": 2**30 + 1}, "--max-bytes must be from 1 to 1,073,741,824 bytes (1 GiB), not 1,073,741,825"),
        ({"max_bytes": 10**18}, "--max-bytes must be from 1 to 1,073,741,824 bytes (1 GiB), not 1,000,"),
    ],
)
def test_option_values_out_of_range_are_usage_errors(tmp_path, monkeypatch, options, reason):
    # --workers 100000 forked a process per worker until the system refused (a traceback);
    # --max-bytes -5 failed every file as "over -5 bytes"; --max-bytes 10**18 was taken.
    started = []
    monkeypatch.setattr(pool, "_Worker", lambda owner: started.append(owner) or pytest.fail("a worker was started"))
    write(tmp_path, "a.txt", seed_text(**valid_front_matter(1)))
    code, _, err = run_import(tmp_path, **options)
    assert (code, reason in err, started) == (2, True, [])
    assert not ImportLedgerEntry.objects.exists()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(key="x\u202e\u2028a.txt: created")
@given(key=st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12))
def test_a_key_of_the_file_quoted_in_a_reason_cannot_forge_or_reorder_a_report_line(tmp_path_factory, key):
    # The reason names the key (`field 'secured.<key>'`); a key holding U+202E (right-to-left
    # override) or U+2028 (line separator) went into stderr and the ledger as it was.
    folder = tmp_path_factory.mktemp("keys")
    escaped = "".join(c if " " <= c <= "~" and c not in '"\\' else f"\\U{ord(c):08x}" for c in key)
    write(folder, "a.txt", f'---\ntitle: t\nwebUrl: https://k.example/\nsecured: {{"{escaped}": "\\0"}}\n---\nb')
    code, out, err = run_import(folder, json=True, workers=0, no_stories=True, no_rules=True)
    (entry,) = json.loads(out)["files"]
    assert code == 1 and "contains a NUL character" in entry["error"]
    for text in (entry["error"], err, ImportLedgerEntry.objects.get(path=entry["path"]).error):
        assert all(line.isprintable() for line in text.splitlines())
    assert len(err.splitlines()) == 2 and all(character.isprintable() for character in err.replace("\n", ""))
    ImportLedgerEntry.objects.all().delete()
