"""A file changed by its source is imported again, however its text is laid out.

The import skips the `secured` blob when it compares a file with what it stored (the blob
changes on every export at the source). What it skips must be that entry and nothing else:
a change beside it, hidden in the span skipped, was reported `unchanged` and never imported.
"""

import json

import pytest

from curation.models import Article
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
