"""Limits on what one seed file may hold: over a limit the file fails with a reason that
names the field and the setting, or (images, related items) the extra values are cut with a
note in the ledger; never a database error, never a 1.5 MB title stored."""

import runpy
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from curation.models import Article, ImportLedgerEntry, Topic
from curation.seedformat import SeedLimits
from curation.services.importing import ImportOptionError, import_seed_files, seed_limits
from curation.tests.factories import seed_text, valid_front_matter
from curation.tests.test_import import run_import, write

pytestmark = pytest.mark.django_db


def test_the_settings_defaults_are_the_parsers_defaults():
    assert seed_limits() == SeedLimits()


@pytest.mark.parametrize(
    ("overrides", "body", "reason"),
    [
        ({"title": "T" * 1_500_000}, "", "field 'title': is 1,500,000 characters long; at most 1,000 are accepted (SEED_MAX_TITLE_CHARS)"),
        ({"excerpt": "E" * 10_001}, "", "field 'excerpt': is 10,001 characters long; at most 10,000 are accepted"),
        ({"topics": [f"Topic {n}" for n in range(20_000)]}, "", "field 'topics': names more than 50 topics"),
        ({}, "B" * 1_000_001, "body is 1,000,001 characters long; at most 1,000,000 are accepted (SEED_MAX_BODY_CHARS)"),
        ({"related": [{"title": "R" * 1001}]}, "", "field 'related[1].title': is 1,001 characters long"),
        ({"images": [{"url": "https://i.example/a.jpg", "title": "I" * 1001}]}, "", "field 'images[1].title'"),
    ],
    ids=["title", "excerpt", "topics", "body", "related-title", "image-title"],
)
def test_a_field_over_its_limit_fails_the_file_naming_the_field(tmp_path, overrides, body, reason):
    write(tmp_path, "good.txt", seed_text(**valid_front_matter(1)))
    write(tmp_path, "big.txt", seed_text(body=body, **valid_front_matter(2, **overrides)))

    code, _, err = run_import(tmp_path)

    assert code == 1
    assert f"{tmp_path / 'big.txt'}: {reason}" in err
    assert list(Article.objects.values_list("title", flat=True)) == ["Seed title 1"]
    assert Topic.objects.count() == 1


def test_many_copies_of_one_topic_are_one_topic(tmp_path):
    write(tmp_path, "a.txt", seed_text(**valid_front_matter(1, topics=["AI"] * 20_000)))
    code, _, _ = run_import(tmp_path)
    assert code == 0 and list(Topic.objects.values_list("name", flat=True)) == ["AI"]


def test_images_and_related_items_beyond_their_limits_are_cut_with_a_note(tmp_path):
    images = [f"https://i.example/{n}.jpg" for n in range(40_000)]  # more than a position (small integer) holds
    related = [{"title": f"R{n}", "images": images[:60] if n == 99 else []} for n in range(150)]
    write(tmp_path, "a.txt", seed_text(**valid_front_matter(1, images=images, related=related)))

    code, out, _ = run_import(tmp_path, verbosity=1)

    assert code == 0
    article = Article.objects.get()
    assert article.images.count() == 50 and article.related.count() == 100
    assert len(article.related.get(position=99).images) == 50
    notes = ImportLedgerEntry.objects.get().notes
    assert "images: kept the first 50 of 40,000 items (SEED_MAX_IMAGES)" in notes
    assert "related: kept the first 100 of 150 items (SEED_MAX_RELATED)" in notes
    assert "related[100].images: kept the first 50 of 60 items" in notes
    assert "note: images: kept the first 50 of 40,000 items" in out


def test_limits_come_from_the_settings(tmp_path):
    write(tmp_path, "a.txt", seed_text(**valid_front_matter(1, title="A title of forty characters, near enough", topics=["a", "b", "c"])))
    with override_settings(SEED_MAX_TITLE_CHARS=20):
        code, _, err = run_import(tmp_path)
    assert code == 1 and "field 'title': is 40 characters long; at most 20 are accepted" in err
    with override_settings(SEED_MAX_TOPICS=2):
        code, _, err = run_import(tmp_path)
    assert code == 1 and "field 'topics': names more than 2 topics" in err
    with override_settings(SEED_MAX_DEPTH=2):
        code, _, err = run_import(tmp_path)
    assert code == 1 and "nested more than 2 levels deep" in err


@pytest.mark.parametrize("value", [0, 2**30 + 1, 10**18])
def test_seed_max_bytes_outside_1_byte_to_1_gib_stops_the_process_at_start(monkeypatch, value):
    # SEED_MAX_BYTES=1000000000000000000 was taken: any file would have been read whole.
    monkeypatch.setenv("SEED_MAX_BYTES", str(value))
    with pytest.raises(ImproperlyConfigured, match=f"^SEED_MAX_BYTES must be from 1 to 1073741824, not {value}$"):
        runpy.run_path(str(Path(settings.BASE_DIR) / "newsroom" / "settings.py"))
    monkeypatch.setenv("SEED_MAX_BYTES", str(2**30))
    assert runpy.run_path(str(Path(settings.BASE_DIR) / "newsroom" / "settings.py"))["SEED_MAX_BYTES"] == 2**30


def test_the_service_refuses_a_seed_max_bytes_past_1_gib_whoever_calls_it(tmp_path):
    # The bound lives in the service: a script calling it directly, or settings changed
    # after start, meet the same refusal as the command, before a file is read.
    write(tmp_path, "a.txt", seed_text(**valid_front_matter(1)))
    with pytest.raises(ImportOptionError, match=r"^max_bytes must be from 1 to 1,073,741,824 bytes \(1 GiB\), not 10,"):
        import_seed_files([tmp_path], max_bytes=10**10, workers=0)
    with override_settings(SEED_MAX_BYTES=10**18):
        code, _, err = run_import(tmp_path)
    assert code == 2
    assert err == "SEED_MAX_BYTES must be from 1 to 1,073,741,824 bytes (1 GiB), not 1,000,000,000,000,000,000"
    assert not ImportLedgerEntry.objects.exists() and not Article.objects.exists()


def test_a_key_given_twice_keeps_the_last_value_and_says_so(tmp_path):
    # PyYAML keeps the last of two entries silently: the first title the writer may have
    # meant was lost without a word in the report or the ledger.
    text = "---\ntitle: The first title\nwebUrl: https://news.example/twice\ntitle: The second title\n---\nBody.\n"
    write(tmp_path, "twice.txt", text)

    code, out, _ = run_import(tmp_path, verbosity=1)

    assert code == 0 and Article.objects.get().title == "The second title"
    note = "'title' is given twice (lines 2 and 4); the value on line 4 was kept"
    assert note in ImportLedgerEntry.objects.get().notes
    assert f"note: {note}" in out
