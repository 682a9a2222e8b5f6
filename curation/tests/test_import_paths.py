"""What the import takes from disk and how it names it: links out of the folder, file names
that are not UTF-8 or hold control characters, special files, unreadable folders."""

import json
import os
from io import StringIO

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.models import Article, ImportLedgerEntry, ImportRun
from curation.services.importing import display_path
from curation.services.importing.discovery import discover_seed_files
from curation.tests.factories import seed_text, valid_front_matter
from curation.tests.test_import import run_import, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def outside(tmp_path):
    """A folder beside the one imported, holding a file that must not come in through a link."""
    folder = tmp_path / "outside"
    write(folder, "secret.txt", "root:x:0:0:root:/root:/bin/bash\n")
    write(folder, "story.txt", seed_text(**valid_front_matter(9)))
    return folder


def test_links_out_of_the_folder_are_refused_with_a_reason(tmp_path, outside):
    seeds = tmp_path / "seeds"
    write(seeds, "good.txt", seed_text(**valid_front_matter(1)))
    os.symlink(outside / "secret.txt", seeds / "passwd.txt")
    os.symlink(outside, seeds / "elsewhere")

    code, out, err = run_import(seeds, json=True)

    assert code == 1
    report = json.loads(out)
    assert report["counts"]["created"] == 1 and report["counts"]["failed"] == 2
    assert f"{seeds / 'passwd.txt'}: is a link to {outside / 'secret.txt'}, outside {seeds}" in err
    assert f"{seeds / 'elsewhere'}: is a link to {outside}, outside {seeds}" in err
    assert "--follow-links" in err
    assert list(Article.objects.values_list("title", flat=True)) == ["Seed title 1"]
    assert ImportLedgerEntry.objects.failed().count() == 2


def test_follow_links_takes_them(tmp_path, outside):
    seeds = tmp_path / "seeds"
    write(seeds, "good.txt", seed_text(**valid_front_matter(1)))
    os.symlink(outside, seeds / "elsewhere")

    code, out, _ = run_import(seeds, follow_links=True)

    assert code == 0 and "3 files: 3 created" in out  # secret.txt too, a body-only item, as asked
    assert Article.objects.filter(title="Seed title 9").exists()


def test_links_that_stay_inside_the_folder_are_followed(tmp_path):
    seeds = tmp_path / "seeds"
    write(seeds, "2024/story.txt", seed_text(**valid_front_matter(1)))
    os.symlink(seeds / "2024" / "story.txt", seeds / "latest.txt")
    os.symlink(seeds / "2024", seeds / "current")

    code, out, _ = run_import(seeds)

    assert code == 0 and "1 file: 1 created" in out  # one real file, listed once


def test_a_folder_named_through_a_link_is_imported(tmp_path, outside):
    os.symlink(outside, tmp_path / "named")
    code, out, _ = run_import(tmp_path / "named")
    assert code == 0 and "2 files: 2 created" in out


def test_a_fifo_is_refused_without_blocking_the_import(tmp_path):
    write(tmp_path, "good.txt", seed_text(**valid_front_matter(1)))
    os.mkfifo(tmp_path / "pipe.txt")

    code, _, err = run_import(tmp_path)

    assert code == 1 and f"{tmp_path / 'pipe.txt'}: is not a regular file" in err
    assert Article.objects.count() == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_an_unreadable_folder_is_reported_not_skipped(tmp_path):
    write(tmp_path, "good.txt", seed_text(**valid_front_matter(1)))
    locked = tmp_path / "locked"
    write(locked, "x.txt", seed_text(**valid_front_matter(2)))
    locked.chmod(0)
    try:
        code, _, err = run_import(tmp_path)
    finally:
        locked.chmod(0o755)
    assert code == 1 and f"{locked}: folder cannot be read" in err


def test_a_file_name_that_is_not_utf8_is_recorded_losslessly(tmp_path):
    folder = os.fsencode(tmp_path)
    with open(os.path.join(folder, b"nonutf8_\xff.txt"), "wb") as handle:
        handle.write(seed_text(**valid_front_matter(1)).encode())
    with open(os.path.join(folder, b"bad_\xfe.txt"), "wb") as handle:
        handle.write(b"---\ntitle: [unclosed\n---\n")

    code, out, err = run_import(tmp_path, json=True)

    assert code == 1
    shown = str(tmp_path / "nonutf8_\\xff.txt")
    assert {entry["path"] for entry in json.loads(out)["files"]} == {shown, str(tmp_path / "bad_\\xfe.txt")}
    assert f"{tmp_path / 'bad_'}\\xfe.txt: front matter is not valid YAML" in err
    article = Article.objects.get()
    assert article.source_path == shown
    assert ImportLedgerEntry.objects.get(status="created").path == shown
    assert ImportRun.objects.get().finished_at is not None  # the run finished


def test_control_characters_in_file_names_cannot_forge_report_lines(tmp_path):
    name = "evil.txt\n/seeds/forged.txt: created (article 1)\x1b[2J"
    write(tmp_path, name + ".txt", "---\ntitle: [unclosed\n---\n")

    code, _, err = run_import(tmp_path)

    assert code == 1
    assert err.splitlines()[0] == f"{tmp_path}/evil.txt\\n/seeds/forged.txt: created (article 1)\\x1b[2J.txt: " + (
        err.splitlines()[0].split(".txt: ", 2)[-1]
    )
    assert len(err.splitlines()) == 2  # the file's line, and the count
    entry = ImportLedgerEntry.objects.get()
    assert "\n" not in entry.path and "\\n/seeds/forged.txt" in entry.path
    ledger = StringIO()
    call_command("import_ledger", "--failed", stdout=ledger)
    assert len(ledger.getvalue().splitlines()) == 1


def test_the_ledger_command_escapes_rows_stored_before_paths_were_escaped(tmp_path):
    run = ImportRun.objects.create(started_at="2024-01-01T00:00Z", paths=["/x\n/y"])
    ImportLedgerEntry.objects.create(run=run, path="/seeds/a\nforged", status="failed", error="bad\nline",
                                     created_at="2024-01-01T00:00Z")
    runs, failed = StringIO(), StringIO()
    call_command("import_ledger", stdout=runs)
    call_command("import_ledger", "--failed", stdout=failed)
    assert failed.getvalue() == "2024-01-01 00:00:00  failed     /seeds/a\\nforged: bad\\nline\n"
    assert "/x\\n/y" in runs.getvalue() and len(runs.getvalue().splitlines()) == 1


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        pytest.param("/seeds/plain.txt", "/seeds/plain.txt", id="plain"),
        pytest.param(b"/seeds/\xff\xfe.txt", "/seeds/\\xff\\xfe.txt", id="bytes-not-utf8"),
        pytest.param("/seeds/a\nb\tc\rd\x1b\x7f.txt", "/seeds/a\\nb\\tc\\rd\\x1b\\x7f.txt", id="control-characters"),
        pytest.param("/seeds/back\\slash.txt", "/seeds/back\\\\slash.txt", id="backslash"),
        pytest.param("/seeds/\u202eevil\u2028.txt", "/seeds/\\u202eevil\\u2028.txt", id="bidi-override-and-line-separator"),
        pytest.param("/seeds/caf\u00e9 \u4e2d\u6587.txt", "/seeds/caf\u00e9 \u4e2d\u6587.txt", id="printable-non-ascii"),
    ],
)
def test_display_path_is_one_printable_line(raw, shown):
    assert display_path(raw) == shown


def test_display_path_never_shows_two_names_alike():
    names = [b"a\\xff", b"a\xff", b"a\\\\xff", b"a\\n", b"a\n"]
    assert len({display_path(name) for name in names}) == len(names)


def test_a_folder_nested_past_the_recursion_limit_is_imported(tmp_path):
    """Python 3.11's os.walk recursed once a level: a tree 1,100 deep (within PATH_MAX)
    ended the import with RecursionError, nothing imported, a traceback."""
    folder = deepest = tmp_path / "deep"
    for _ in range(1101):  # one mkdir a level: pathlib's parents=True recurses too
        deepest.mkdir()
        deepest = deepest / "d"
    deepest = deepest.parent
    try:
        write(deepest, "story.txt", seed_text(body="Body.\n", **valid_front_matter(1)))
        write(folder, "top.txt", seed_text(body="Body.\n", **valid_front_matter(2)))
        code, out, err = run_import(folder)
        assert code == 0 and "2 files: 2 created" in out, err[-500:]
    finally:
        # Removed here, level by level: pytest deletes old temporary folders with the
        # recursive shutil.rmtree, which a tree this deep ends in RecursionError, failing a
        # later run's exit status after every test passed.
        while deepest != tmp_path:
            for entry in deepest.iterdir():
                entry.unlink()
            deepest.rmdir()
            deepest = deepest.parent


# A tree: each folder's entries by name, a file (None) or a folder (a dict).
TREES = st.recursive(
    st.none(),
    lambda children: st.dictionaries(st.sampled_from(["a", "B", ".h", "c.txt", "d.md", "e.yml"]), children, max_size=4),
    max_leaves=20,
)


def _make(folder, tree):
    for name, child in tree.items():
        if child is None:
            (folder / name).write_text("Body only\n")
        else:
            (folder / name).mkdir()
            _make(folder / name, child)


@settings(max_examples=50, deadline=None)
@given(tree=st.dictionaries(st.sampled_from(["a", "B", ".h", "c.txt", "d.md"]), TREES, max_size=4))
def test_the_walk_finds_what_os_walk_found_in_the_same_order(tmp_path_factory, tree):
    """The walk without recursion lists the same files in the same order as os.walk did."""
    folder = tmp_path_factory.mktemp("tree")
    _make(folder, tree)
    expected = []
    for here, dirnames, filenames in os.walk(folder, followlinks=True):
        dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
        expected += [
            os.path.join(here, name)
            for name in sorted(filenames)
            if not name.startswith(".") and os.path.splitext(name)[1] in (".txt", ".md")
        ]
    assert [found.path for found in discover_seed_files([folder])] == expected


def test_a_folder_named_twice_lists_each_file_once_failures_too(tmp_path, outside):
    """The same folder given twice (`seeds seeds/`, a shell glob, a cron line edited) read
    each good file once but listed every refused link and unreadable entry once per path:
    "4 of 5 files failed" for two bad files, and two ledger rows for each."""
    seeds = tmp_path / "seeds"
    write(seeds, "good.txt", seed_text(**valid_front_matter(1)))
    os.symlink(outside / "secret.txt", seeds / "passwd.txt")
    os.symlink(seeds / "gone.txt", seeds / "dangling.txt")

    code, out, err = run_import(seeds, f"{seeds}/", json=True)

    assert code == 1
    assert json.loads(out)["counts"] == {"files": 3, "created": 1, "updated": 0, "unchanged": 0, "failed": 2}
    assert err.count("passwd.txt: is a link to") == 1 and err.count("dangling.txt: cannot be read") == 1
    assert ImportLedgerEntry.objects.failed().count() == 2


def test_a_link_inside_the_outer_of_two_nested_folders_is_not_refused(tmp_path):
    """`import_seeds seeds seeds/2024`: a link in 2024/ to a file of seeds/ stays inside the
    folder seeds, which was given; it imported, and was also failed as leading out of 2024."""
    seeds = tmp_path / "seeds"
    write(seeds, "story.txt", seed_text(**valid_front_matter(1)))
    os.symlink(seeds / "story.txt", write(seeds, "2024/.keep", "").parent / "latest.txt")

    for paths in ([seeds, seeds / "2024"], [seeds / "2024", seeds]):
        code, out, err = run_import(*paths)
        assert code == 0 and "1 file:" in out, err
    assert Article.objects.count() == 1 and not ImportLedgerEntry.objects.failed().exists()
