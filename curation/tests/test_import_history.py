"""The article page's import history collapses the runs that found the file unchanged."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from curation.models import ImportLedgerEntry, ImportRun
from curation.services.importing import import_seed_files
from curation.tests.factories import make_article, seed_text, valid_front_matter

pytestmark = pytest.mark.django_db


def ledger(article, status, at, sha="a" * 64, path="/seeds/a.md"):
    run = ImportRun.objects.create(started_at=at)
    ImportLedgerEntry.objects.create(run=run, path=path, status=status, article=article, created_at=at, sha256=sha)


def rows(html):
    body = html.split('<section class="import-history">')[1].split("</tbody>")[0]
    return body.count("<tr")


def test_unchanged_runs_collapse_into_one_row(editor_client):
    article = make_article()
    start = timezone.now() - timedelta(days=30)
    ledger(article, "created", start)
    for day in range(1, 15):
        ledger(article, "unchanged", start + timedelta(days=day))
    ledger(article, "updated", start + timedelta(days=20), sha="b" * 64)
    ledger(article, "unchanged", start + timedelta(days=21), sha="b" * 64)
    html = editor_client.get(reverse("curation:article-detail", args=[article.pk])).content.decode()
    assert "Unchanged in 14 later runs" in html
    # created, the 14 collapsed, updated, one unchanged (a single run is shown as it is) + header
    assert rows(html) == 1 + 4
    assert "later runs" not in html.split("Updated")[0].split("<tbody>")[1]  # the newest single run stays plain


def test_real_reimports_of_an_unchanged_file(editor_client, tmp_path):
    (tmp_path / "a.md").write_text(seed_text(body="Body.", **valid_front_matter(1)))
    for _ in range(4):
        import_seed_files([tmp_path])
    article = ImportLedgerEntry.objects.first().article
    html = editor_client.get(reverse("curation:article-detail", args=[article.pk])).content.decode()
    assert "Unchanged in 3 later runs" in html and rows(html) == 1 + 2
