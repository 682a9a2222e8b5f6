"""Property: whatever bytes a seed file holds, the import either imports it or fails it
with a reason naming the file, raises nothing else, loses nothing stored, and is done with
it within a time bound. Generated files (see seed_strategies) go through the whole path:
the command, the parser, the writer and the ledger."""

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings

from curation.models import Article, ImportLedgerEntry
from curation.services.importing import display_path, escape_controls
from curation.tests.seed_strategies import seed_file_bytes
from curation.tests.test_import import run_import

pytestmark = pytest.mark.django_db

# Far above any file's real cost, and twice the parse time limit.
TIME_BOUND_SECONDS = 10

EXAMPLES = settings(
    max_examples=120,
    deadline=None,  # the bound is asserted below; a loaded machine must not make it flaky
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture
def stored():
    return Article.objects.create(
        source_key="0" * 64, title="Already stored", imported_at="2024-01-01T00:00Z",
        source_updated_at="2024-01-01T00:00Z", source_sha256="1" * 64, content_sha256="2" * 64,
    )


def import_one(folder, data, workers):
    for old in folder.iterdir():
        old.unlink()
    path = folder / "generated.txt"
    path.write_bytes(data)
    started = time.monotonic()
    code, out, err = run_import(folder, workers=workers, json=True)
    return path, code, json.loads(out), err, time.monotonic() - started


def check_outcome(path, code, report, err, elapsed, stored):
    assert elapsed < TIME_BOUND_SECONDS
    (entry,) = report["files"]
    assert entry["path"] == display_path(str(path))
    if entry["status"] == "failed":
        assert code == 1 and entry["error"]
        # stderr shows the same reason on one line, its control characters escaped.
        assert f"{display_path(str(path))}: {escape_controls(entry['error'])}" in err
        assert "Traceback" not in err
    else:
        assert code == 0 and entry["status"] in {"created", "updated", "unchanged"}
        assert Article.objects.filter(pk=entry["article"]).exists()
    assert ImportLedgerEntry.objects.filter(run_id__isnull=False, path=entry["path"], status=entry["status"]).exists()
    stored.refresh_from_db()
    assert stored.title == "Already stored"


@EXAMPLES
@given(data=seed_file_bytes)
def test_any_file_imports_or_fails_with_a_reason_in_process(tmp_path_factory, stored, data):
    folder = tmp_path_factory.mktemp("generated")
    check_outcome(*import_one(folder, data, workers=0), stored)


@settings(EXAMPLES, max_examples=25)
@given(data=seed_file_bytes)
def test_any_file_imports_or_fails_with_a_reason_through_a_worker(tmp_path_factory, stored, data):
    folder = tmp_path_factory.mktemp("generated")
    check_outcome(*import_one(folder, data, workers=1), stored)
