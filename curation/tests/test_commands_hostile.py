"""The operator's commands against a database that takes no writes, and option values no
operator means: one line with the reason and an exit status, never a traceback."""

import io
import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings as settings_module
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.models import Article, ImportRun, StoryFeatures
from curation.tests.factories import make_article, seed_text, valid_front_matter
from curation.tests.test_import import write
from curation.tests.test_import_database_trouble import read_only

RULES = "- name: Flag everything\n  enabled: true\n  when: {quality_min: 0}\n  action: flag\n  note: look\n"


def run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        return 0, out.getvalue(), err.getvalue()
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "command",
    [
        ["cluster_stories"],
        ["cluster_stories", "--rebuild"],
        ["load_rules", "RULES"],
        ["apply_rules"],
        ["curation_stats", "--refresh", "--no-figures"],
    ],
)
def test_a_command_whose_database_takes_no_writes_says_so_in_one_line(tmp_path, command):
    """Each of these writes here (an article never clustered, a rules file, a rule that
    flags it, audit rows to count): a read-only database was a traceback from each."""
    rules = tmp_path / "rules.yml"
    rules.write_text(RULES)
    article = make_article(quality=5)
    StoryFeatures.objects.filter(article=article).delete()
    if command[0] == "apply_rules":
        run("load_rules", str(rules))
    command = [str(rules) if part == "RULES" else part for part in command]
    read_only(True)
    try:
        code, _, message = run(*command)
    finally:
        read_only(False)
    assert code == 1 and message.startswith("stopped: the database cannot be written (read-only"), message


@pytest.mark.django_db
@settings(max_examples=60, deadline=None)
@given(limit=st.integers(), run_id=st.none() | st.integers(), failed=st.booleans())
def test_import_ledger_takes_any_number_and_answers_or_refuses(limit, run_id, failed):
    if not ImportRun.objects.exists():
        ImportRun.objects.create(started_at="2024-01-01T00:00Z", paths=["/seeds"])
    args = ["import_ledger", "--limit", str(limit)]
    args += ["--run", str(run_id)] if run_id is not None else []
    args += ["--failed"] if failed else []
    code, out, message = run(*args)
    if 1 <= limit <= 1_000_000 and (run_id is None or ImportRun.objects.filter(pk=run_id).exists()):
        assert code == 0
    else:
        assert code == 2 and message.startswith(("--limit takes a number of rows from 1 to", "no import run"))


@pytest.mark.slow
def test_a_reader_that_goes_away_ends_a_command_quietly(tmp_path):
    """`manage.py import_ledger --run 3 | head` printed a BrokenPipeError traceback once
    head had its line; a shell tool ends silently (status 141, SIGPIPE's)."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "DJANGO_DEBUG": "1"}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=settings_module.BASE_DIR, env=env, check=True, timeout=120)
    reader_gone = subprocess.Popen(
        [*manage, "curation_stats"], cwd=settings_module.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    reader_gone.stdout.close()  # before the command has written anything
    errors = reader_gone.stderr.read().decode()
    assert reader_gone.wait(timeout=120) == 141
    assert "Traceback" not in errors and "BrokenPipe" not in errors


def latin1_terminal():
    """What a command's output goes to on a server whose locale is not UTF-8 (LANG=
    de_DE.ISO-8859-1, or PYTHONIOENCODING=latin-1): Python's stdout there refuses, with a
    UnicodeEncodeError, any character the encoding lacks."""
    return io.TextIOWrapper(io.BytesIO(), encoding="latin-1", errors="strict", newline="\n")


def printed(stream):
    stream.flush()
    return stream.buffer.getvalue().decode("latin-1")


@pytest.mark.django_db
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_a_terminal_that_is_not_utf8_gets_the_report_not_a_traceback(tmp_path, as_json):
    """A seed named in Japanese, a title with an emoji: the import wrote its files, then
    ended in a UnicodeEncodeError traceback, the report (and the JSON a script reads) lost."""
    write(tmp_path, "日本.txt", seed_text(**valid_front_matter(1, title="Séisme 😀 地震")))
    write(tmp_path, "bäd 😀.txt", "---\ntitle: [\n---\n")
    out, err = latin1_terminal(), latin1_terminal()

    with pytest.raises(CommandError) as stopped:
        call_command("import_seeds", str(tmp_path), "-v", "2", json=as_json, stdout=out, stderr=err)

    assert stopped.value.returncode == 1  # the bad file; the good one is imported
    assert Article.objects.get().title == "Séisme 😀 地震"
    assert "b\xe4d \\U0001f600.txt: front matter is not valid YAML" in printed(err)
    if as_json:
        files = json.loads(printed(out))["files"]  # JSON's own escapes: the same text
        assert [(entry["path"][len(str(tmp_path)) :], entry["status"]) for entry in files] == [
            ("/bäd 😀.txt", "failed"),
            ("/日本.txt", "created"),
        ]
    else:
        assert "/\\u65e5\\u672c.txt: created" in printed(out)
    listing = latin1_terminal()
    call_command("cluster_stories", "--rebuild", "--json", stdout=listing)
    assert json.loads(printed(listing))["counts"]["items"] == 1


class FullDisk(io.StringIO):
    """stdout redirected to a file on a full disk (`import_seeds --json > /var/log/x.json`)."""

    def write(self, text):
        raise OSError(28, "No space left on device")


@pytest.mark.django_db
@pytest.mark.parametrize("command", [["import_seeds", "SEEDS", "--json"], ["import_ledger"], ["cluster_stories"]])
def test_an_output_that_cannot_be_written_is_one_line_not_a_traceback(tmp_path, command):
    """The import wrote its files, then its report met a full disk: an OSError traceback."""
    write(tmp_path, "story.txt", seed_text(**valid_front_matter(1)))
    call_command("import_seeds", str(tmp_path), stdout=StringIO())
    command = [str(tmp_path) if part == "SEEDS" else part for part in command]

    with pytest.raises(CommandError) as stopped:
        call_command(*command, stdout=FullDisk(), stderr=StringIO())

    assert stopped.value.returncode == 1
    assert str(stopped.value) == "the report could not be written to standard output: No space left on device"
    assert Article.objects.count() == 1
