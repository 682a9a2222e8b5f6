"""The stories' merged word tables, kept between processes (rarity.keep_tables_in): read
back as they were built, built again when the kept file is damaged or from another recipe,
and a folder that cannot be written costs nothing but the time."""

import marshal
import os
import time

import pytest

from curation.stories import rarity


@pytest.fixture
def fresh_tables():
    """The tables built anew in this test, and this process's own ones back after it."""
    folder = rarity._table_folder
    rarity._tables.cache_clear()
    yield
    rarity._tables.cache_clear()
    rarity.keep_tables_in(folder)


def _built(folder):
    rarity.keep_tables_in(folder)
    rarity._tables.cache_clear()
    return rarity._tables()


def test_kept_tables_read_back_as_built_and_weigh_words_the_same(tmp_path, fresh_tables):
    built = _built(None)
    kept = _built(tmp_path / "cache")
    (path,) = (tmp_path / "cache").iterdir()
    assert path.name.startswith("wordlists-") and kept == built
    read_back = _built(tmp_path / "cache")
    assert read_back == built and marshal.loads(path.read_bytes()) == built
    rarity.word_weight.cache_clear()
    assert rarity.word_weight("the") == rarity.MIN_WEIGHT and rarity.word_weight("zqxjv") == rarity.MAX_WEIGHT


@pytest.mark.parametrize("damage", [b"", b"\x00garbage", marshal.dumps(({}, {})), marshal.dumps([1, 2])])
def test_a_damaged_kept_file_is_built_again_and_replaced(tmp_path, fresh_tables, damage):
    built = _built(tmp_path)
    (path,) = tmp_path.iterdir()
    path.write_bytes(damage)
    assert _built(tmp_path) == built
    assert marshal.loads(path.read_bytes()) == built


def test_a_folder_that_cannot_be_written_costs_only_the_time(tmp_path, fresh_tables):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert _built(blocked / "cache") == _built(None)
    assert blocked.read_text() == "not a folder"


def test_tables_of_another_recipe_or_wordfreq_version_are_not_read_and_are_removed(tmp_path, fresh_tables, monkeypatch):
    built = _built(tmp_path)
    (path,) = tmp_path.iterdir()
    monkeypatch.setattr(rarity, "_RECIPE", "another")
    path.write_bytes(marshal.dumps(({"the": 1.0}, {"的": 1.0})))  # the old recipe's name, wrong data
    assert _built(tmp_path) == built
    # The old recipe's file is never read again: it goes when the new one is written.
    assert [p.name for p in tmp_path.iterdir()] == [path.name.replace(path.name.rsplit("-", 1)[1], "another.marshal")]


def test_a_killed_writers_temporary_file_goes_once_an_hour_old(tmp_path, fresh_tables):
    old, young, unrelated = tmp_path / ".wordlists-old", tmp_path / ".wordlists-young", tmp_path / "notes.txt"
    for file in (old, young, unrelated):
        file.write_bytes(b"partial")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    _built(tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert ".wordlists-old" not in names and {".wordlists-young", "notes.txt"} <= names
    assert len([name for name in names if name.startswith("wordlists-")]) == 1
