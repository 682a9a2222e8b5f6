"""export_seeds over stored rows an attacker shaped: a source file name near the file
system's 255-byte limit (a file named on the command line, which gets `.txt` added) stopped
the whole export with "cannot write to OUT: File name too long" and left a temporary file
behind. Each article's file is named within the limit, and a write that fails leaves no
half-written file."""

import os
from io import StringIO

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.models import Article
from curation.services import exporting
from curation.tests.factories import make_article
from curation.tests.test_import import run_import

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
