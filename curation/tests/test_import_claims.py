"""The run's claims (planning.RunClaims over claims.ClaimTable) stay small for a run of a
million files, and a hash shared by two identities never fails a file: only the same
identity is the same article. (What the import does with two files of one article is in
test_import_same_article.py.)"""

import hashlib
import tracemalloc
from types import SimpleNamespace

import pytest

from curation.models import ImportStatus
from curation.services.importing import claims
from curation.services.importing.claims import ClaimTable
from curation.services.importing.planning import RunClaims


def identity(n):
    return hashlib.sha256(f"url:https://news.example/{n}".encode()).hexdigest()


def test_the_first_file_to_name_an_identity_keeps_it():
    table = ClaimTable()
    assert table.claim(identity(1), 10) == 10
    assert table.claim(identity(2), 11) == 11
    assert table.claim(identity(1), 12) == 10
    assert len(table) == 2


def test_claims_survive_the_table_growing_many_times():
    table = ClaimTable()
    count = 20_000  # the table starts with 1,024 slots
    assert [table.claim(identity(n), n) for n in range(count)] == list(range(count))
    assert [table.claim(identity(n), count + n) for n in range(count)] == list(range(count))
    assert len(table) == count


@pytest.mark.parametrize("shared_hash", [0, 12345])
def test_identities_whose_hashes_collide_stay_apart(monkeypatch, shared_hash):
    # Every identity given one hash: they all start their search at one slot.
    monkeypatch.setattr(claims, "hash", lambda _digest: shared_hash, raising=False)
    table = ClaimTable()
    count = 1_500  # past the first growth, with every probe a collision
    assert [table.claim(identity(n), n) for n in range(count)] == list(range(count))
    assert table.claim(identity(1234), 99_999) == 1234
    assert table.claim(identity(count), 99_999) == 99_999


def test_an_identity_of_another_shape_is_kept_whole():
    table = ClaimTable()
    upper = identity(1).upper()  # not the same key as its lower-case spelling
    assert table.claim("legacy-key-7", 1) == 1
    assert table.claim(upper, 2) == 2
    assert table.claim(identity(1), 3) == 3
    assert table.claim("legacy-key-7", 4) == 1
    assert table.claim(upper, 5) == 2


def _batch(numbers, paths, key=identity):
    items = [
        (SimpleNamespace(path=paths[n], size=1, sha256=""), SimpleNamespace(source_key=key(n))) for n in numbers
    ]
    return items, [], {paths[n]: n for n in numbers}


def test_a_later_file_is_failed_naming_the_earlier_one_whose_path_is_looked_up_only_then(monkeypatch):
    monkeypatch.setattr(claims, "hash", lambda _digest: 0, raising=False)  # collisions everywhere too
    paths = [f"/seeds/{n:03d}.md" for n in range(20)]
    looked_up = []
    run_claims = RunClaims(path_of=lambda number: looked_up.append(number) or paths[number])

    kept, failed = run_claims.settle(*_batch(range(10), paths))
    assert len(kept) == 10 and failed == [] and looked_up == []
    # File 15 names file 3's article; the others are new.
    kept, failed = run_claims.settle(*_batch(range(10, 20), paths, key=lambda n: identity(3 if n == 15 else n)))
    assert [seed_file.path for seed_file, _ in kept] == [paths[n] for n in range(10, 20) if n != 15]
    assert [(result.path, result.status) for result in failed] == [(paths[15], ImportStatus.FAILED)]
    assert failed[0].error.startswith("the same article as /seeds/003.md, earlier in this run")
    assert looked_up == [3]


def test_a_million_files_claims_stay_small():
    """bench/run_claims_memory.py measures 1,000,000; here 30,000 claims, by the same rule:
    the dict of identity strings to paths held 144 bytes a claim."""
    count = 30_000
    paths = [f"/srv/seeds/{n:07d}.md" for n in range(count)]
    tracemalloc.start()
    try:
        run_claims = RunClaims(path_of=paths.__getitem__)
        before = tracemalloc.get_traced_memory()[0]
        for start in range(0, count, 400):
            kept, failed = run_claims.settle(*_batch(range(start, min(start + 400, count)), paths))
            assert not failed
            del kept
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held / count < 80, f"{held / count:.0f} bytes a claim"
