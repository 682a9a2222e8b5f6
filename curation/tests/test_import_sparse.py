"""A file of a gigabyte that is mostly holes (a sparse file: it costs no disk, and reads as
NUL bytes) under a --max-bytes large enough to let it through the size check: refused at
its first NUL byte, with the parser's reason, having read one piece of it, not all of it
into memory (then hashed, then copied to a parse worker)."""

import os
import tracemalloc

import pytest

from curation.models import Article, ImportLedgerEntry
from curation.services.importing.discovery import READ_CHUNK, read_seed_file
from curation.tests.factories import seed_text, valid_front_matter
from curation.tests.test_import import run_import, write

GIGABYTE = 1 << 30


def sparse(path, head, size):
    with open(path, "wb") as handle:
        handle.write(head)
        handle.truncate(size)  # the rest is a hole: no disk used, reads as NULs
    return path


def test_a_sparse_file_is_refused_at_its_first_piece(tmp_path):
    head = seed_text(**valid_front_matter(1)).encode()
    path = sparse(tmp_path / "sparse.txt", head, GIGABYTE)
    tracemalloc.start()
    try:
        seed_file = read_seed_file(str(path), max_bytes=GIGABYTE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seed_file.error == f"contains a NUL byte at offset {len(head)}; seed files are text"
    assert seed_file.data is None and seed_file.size == GIGABYTE
    assert peak < 4 * READ_CHUNK


@pytest.mark.parametrize("size", [100, READ_CHUNK - 1, READ_CHUNK, READ_CHUNK + 1, 3 * READ_CHUNK + 5])
def test_files_of_every_size_around_a_piece_are_read_whole(tmp_path, size):
    data = (b"x" * 97 + b"\n") * (size // 98 + 1)
    path = tmp_path / "f.txt"
    path.write_bytes(data[:size])
    seed_file = read_seed_file(str(path), max_bytes=size)
    assert seed_file.error is None and seed_file.data == data[:size]
    assert read_seed_file(str(path), max_bytes=size - 1).error.startswith(f"is {size:,} bytes")
    path.write_bytes(data[: size - 1] + b"\x00")
    assert read_seed_file(str(path), max_bytes=size).error.startswith(f"contains a NUL byte at offset {size - 1};")


@pytest.mark.django_db
def test_the_import_fails_the_sparse_file_alone(tmp_path):
    write(tmp_path, "good.txt", seed_text(**valid_front_matter(1)))
    # 1 GiB: the largest --max-bytes there is (validation.SEED_BYTES_MOST).
    sparse(tmp_path / "sparse.txt", seed_text(**valid_front_matter(2)).encode(), GIGABYTE)
    code, _, err = run_import(tmp_path, max_bytes=GIGABYTE)
    assert code == 1
    assert f"{tmp_path / 'sparse.txt'}: contains a NUL byte at offset" in err
    assert Article.objects.count() == 1
    assert ImportLedgerEntry.objects.filter(status="failed").get().size == GIGABYTE
    assert os.path.getsize(tmp_path / "sparse.txt") == GIGABYTE
