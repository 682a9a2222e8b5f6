"""A file changed by its source is imported again, however its text is laid out.

The import skips the `secured` blob when it compares a file with what it stored (the blob
changes on every export at the source). What it skips must be that entry and nothing else:
a change beside it, hidden in the span skipped, was reported `unchanged` and never imported.
"""

import json
import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from curation.models import Article
from curation.services import source_changes
from curation.tests.test_import import run_import, write

pytestmark = pytest.mark.django_db

HEAD = "---\nwebUrl: https://x.example/vault\n"

# (front matter before, after, (title, excerpt) after): only the title or excerpt changes.
CHANGES = {
    # libyaml reads U+2028, U+2029 and NEL as line breaks: `title` is a key of its own.
    "line-separator": (
        "secured: BLOB\u2028title: First title\n",
        "secured: BLOB\u2028title: Second title\n",
        ("Second title", ""),
    ),
    "paragraph-separator": (
        "secured: BLOB\u2029title: First title\n",
        "secured: BLOB\u2029title: Second title\n",
        ("Second title", ""),
    ),
    "next-line": (
        "secured: BLOB\x85title: First title\n",
        "secured: BLOB\x85title: Second title\n",
        ("Second title", ""),
    ),
    # a quoted excerpt whose second line starts like the key, the real key below it
    "quoted-line": (
        'title: Vault\nexcerpt: "The vault was\nsecured: nobody got in"\nsecured: BLOB\n',
        'title: Vault\nexcerpt: "The vault was\nsecured: everybody got in"\nsecured: BLOB\n',
        ("Vault", "The vault was secured: everybody got in"),
    ),
}


def seed(front_matter):
    return f"{HEAD}{front_matter}---\nThe body.\n"


def statuses(out):
    return [entry["status"] for entry in json.loads(out)["files"]]


@pytest.mark.parametrize("before, after, expected", CHANGES.values(), ids=CHANGES.keys())
def test_a_change_beside_the_secured_blob_is_imported(tmp_path, before, after, expected):
    path = write(tmp_path, "vault.txt", seed(before))
    assert run_import(tmp_path, json=True)[0] == 0

    write(tmp_path, "vault.txt", seed(after))
    code, out, err = run_import(tmp_path, json=True)

    assert (code, statuses(out)) == (0, ["updated"]), err
    article = Article.objects.get()
    assert (article.title, article.excerpt) == expected

    # The blob alone still changes nothing, in the same layouts.
    path.write_text(seed(after.replace("BLOB", "NEWER-BLOB")), encoding="utf-8")
    code, out, _ = run_import(tmp_path, json=True)
    assert (code, statuses(out)) == (0, ["unchanged"])
    assert Article.objects.get().secured == "NEWER-BLOB"


# Front matter the import takes once SEED_MAX_DEPTH and SEED_MAX_YAML_NODES are raised.
RAISED = {"SEED_MAX_DEPTH": 50, "SEED_MAX_YAML_NODES": 100_000}
LARGE_FRONT_MATTER = {
    "deep.txt": "---\ntitle: Deep\nwebUrl: https://x.example/deep\nsecured: opaque-blob-1\nx: " + "[" * 30 + "]" * 30 + "\n---\nb\n",
    "wide.txt": "---\ntitle: Wide\nwebUrl: https://x.example/wide\nx: [" + ",".join(["1"] * 60_000) + "]\n---\nb\n",
}


@override_settings(**RAISED)
def test_front_matter_imported_under_raised_limits_is_read_back_under_them(tmp_path, editor_client):
    """Stored front matter was read back with the default limits whatever the settings:
    with SEED_MAX_DEPTH and SEED_MAX_YAML_NODES raised, the import took these files, then
    export_seeds failed each one ("stored front matter cannot be read: ... nested more than
    20 levels deep", exit status 1), the article page hid its front matter, and what the
    source says was not offered beside an editor's edit."""
    for name, text in LARGE_FRONT_MATTER.items():
        write(tmp_path / "seeds", name, text)
    assert run_import(tmp_path / "seeds")[0] == 0

    out, err = StringIO(), StringIO()
    call_command("export_seeds", str(tmp_path / "out"), stdout=out, stderr=err)
    assert "Exported 2 articles" in out.getvalue() and not err.getvalue()
    assert sorted(os.listdir(tmp_path / "out")) == ["deep.txt", "wide.txt"]

    page = editor_client.get(reverse("curation:article-detail", args=[Article.objects.get(title="Deep").pk]))
    assert "cannot be shown safely" not in page.content.decode()
    assert "[[[[" in page.content.decode()
    # What the source says now, beside an editor's edit ("source changed"), is read too.
    assert source_changes.source_values(Article.objects.get(title="Wide"))["title"] == "Wide"
