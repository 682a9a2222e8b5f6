"""export_seeds over stored rows an attacker shaped: a source file name near the file
system's 255-byte limit (a file named on the command line, which gets `.txt` added) stopped
the whole export with "cannot write to OUT: File name too long" and left a temporary file
behind. Each article's file is named within the limit, and a write that fails leaves no
half-written file."""

import os
import stat
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.models import Article
from curation.services import exporting
from curation.tests.factories import make_article, seed_text, valid_front_matter
from curation.tests.test_import import run_import, write

pytestmark = pytest.mark.django_db

LONG_NAMES = ["a" * 251 + ".yml", "b" * 255, "c" * 250 + ".md", "é" * 127, "d" * 200 + ".txt"]


def export(outdir):
    out, err = StringIO(), StringIO()
    call_command("export_seeds", str(outdir), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_source_names_near_the_limit_are_exported_and_read_back(tmp_path):
    for name in LONG_NAMES:
        make_article(source_path=f"/seeds/{name}")
    export(tmp_path / "out")
    names = sorted(os.listdir(tmp_path / "out"))
    assert len(names) == len(LONG_NAMES)
    assert all(len(name.encode()) <= 255 and not name.startswith(".") for name in names)
    keys = set(Article.objects.values_list("source_key", flat=True))
    Article.objects.all().delete()
    code, _, err = run_import(tmp_path / "out")
    assert code == 0, err
    assert set(Article.objects.values_list("source_key", flat=True)) == keys


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=300).filter(lambda s: "/" not in s and "\x00" not in s))
def test_every_export_name_fits_a_file_system(name):
    chosen = exporting.export_file_name(Article(pk=7, source_path=f"/seeds/{name}"), set())
    assert 0 < len(chosen.encode()) <= 255 and os.path.splitext(chosen)[1].lower() in (".txt", ".md")


def test_a_write_that_fails_leaves_no_temporary_file(tmp_path, monkeypatch):
    make_article()

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exporting.os, "replace", full_disk)
    with pytest.raises(Exception, match="No space left"):
        export(tmp_path / "out")
    assert os.listdir(tmp_path / "out") == []


OCCUPANTS = st.sampled_from(["folder", "non-empty folder", "link out", "file", "nothing"])


@settings(max_examples=25, deadline=None)
@given(st.lists(OCCUPANTS, min_size=1, max_size=4))
def test_what_holds_an_articles_name_in_the_output_folder_costs_that_article_alone(tmp_path_factory, occupants):
    """An output folder someone else can write to: what holds an article's file name there.
    A folder of that name stopped the whole export after the files before it ("cannot write
    to OUT: Is a directory", no file named); a link pointing out of the folder is replaced,
    never written through."""
    base = tmp_path_factory.mktemp("occupied")
    out, outside = base / "out", base / "outside"
    out.mkdir()
    outside.mkdir()
    Article.objects.all().delete()
    for n, occupant in enumerate(occupants):
        make_article(source_path=f"/seeds/{n}.txt")
        target = out / f"{n}.txt"
        if occupant.endswith("folder"):
            target.mkdir()
            if occupant == "non-empty folder":
                (target / "keep.txt").write_text("someone's file")
        elif occupant == "link out":
            target.symlink_to(outside / f"victim-{n}")
        elif occupant == "file":
            target.write_text("an older export")
    occupied = {f"{n}.txt" for n, occupant in enumerate(occupants) if occupant.endswith("folder")}

    out_text, err = StringIO(), StringIO()
    try:
        call_command("export_seeds", str(out), stdout=out_text, stderr=err)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    assert code == (1 if occupied else 0)
    assert f"Exported {len(occupants) - len(occupied)} articles" in out_text.getvalue()
    for name in occupied:
        assert f"{out / name}: Is a directory" in err.getvalue()
    assert os.listdir(outside) == [] and not any(name.startswith(".export-") for name in os.listdir(out))
    written = [out / f"{n}.txt" for n in range(len(occupants)) if f"{n}.txt" not in occupied]
    assert all(path.is_file() and not path.is_symlink() and path.read_text().startswith("---") for path in written)


def test_exported_files_have_the_mode_new_files_get(tmp_path):
    """The export goes on to a static site, often served by another user: mkstemp's 0600
    made every file unreadable to it."""
    make_article()
    previous = os.umask(0o022)
    try:
        export(tmp_path / "out")
    finally:
        os.umask(previous)
    (path,) = (tmp_path / "out").iterdir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_an_empty_outdir_is_refused_not_taken_for_the_working_folder(tmp_path, monkeypatch):
    """`export_seeds "$OUTDIR"` with the variable unset wrote every article into whatever
    folder the command ran in (a checkout, a home folder), as `Path("")` is `.`."""
    make_article()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CommandError) as refused:
        export("")
    assert refused.value.returncode == 2 and "OUTDIR is empty" in str(refused.value)
    assert os.listdir(tmp_path) == []


def test_an_export_into_the_folder_imported_leaves_every_source_file_as_it_was(tmp_path):
    # The export names each file after its source: into the source folder it replaced every
    # source with the export (published flag and editors' values written in, the layout
    # lost), and the next import read each as a changed source.
    sources = tmp_path / "seeds"
    write(sources, "a.txt", seed_text(**valid_front_matter(1)))
    write(sources, "b.txt", seed_text(**valid_front_matter(2)))
    before = {path.name: path.read_bytes() for path in sources.iterdir()}
    run_import(sources)
    err = StringIO()

    with pytest.raises(CommandError) as stopped:
        call_command("export_seeds", str(sources), stdout=StringIO(), stderr=err)

    assert stopped.value.returncode == 1
    assert {path.name: path.read_bytes() for path in sources.iterdir()} == before
    assert f"{sources / 'a.txt'} is the file it was imported from: not replaced (export into a folder of its own)" in err.getvalue()
    call_command("export_seeds", str(tmp_path / "out"), stdout=StringIO())
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["a.txt", "b.txt"]


@pytest.mark.parametrize("below", ["", "sub", "sub/deeper"])
def test_an_outdir_that_is_a_file_is_refused_in_those_words(tmp_path, below):
    """`export_seeds /dev/null` or a file's name said 'cannot write to ...: File exists'."""
    make_article()
    taken = tmp_path / "report.txt"
    taken.write_text("kept")
    with pytest.raises(CommandError) as refused:
        export(taken / below if below else taken)
    assert refused.value.returncode == 2
    assert "it, or a folder above it, is a file, not a folder" in str(refused.value)
    assert taken.read_text() == "kept"
