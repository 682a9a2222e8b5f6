"""Seed import: files on disk to articles, with a ledger row for every file.

discovery.py  finding and reading files, and how a path is shown (display_path)
parsing.py    one file's parse under a time limit, and parsing in this process
pool.py       worker processes that parse, so that no file can stop an import
planning.py   what each file needs (skipped by hash, created, updated, unchanged)
claims.py     the run's claims (identity -> first file) in little memory, for planning.RunClaims
writer.py     batches written in bulk through the database seam, the ledger
service.py    import_seed_files: the pipeline that runs them
runs.py       a run's host, process and heartbeat, and whether it is running or interrupted
"""

from curation.services.importing.discovery import ImportOptionError, MissingPathError, display_path, escape_controls
from curation.services.importing.planning import FileResult, ImportReport
from curation.services.importing.pool import MAX_WORKERS, default_workers
from curation.services.importing.service import (
    DEFAULT_BATCH_SIZE,
    ImportInterrupted,
    ImportStoppedError,
    import_seed_files,
    seed_limits,
)
from curation.services.importing.writer import SeedWriter

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "FileResult",
    "MAX_WORKERS",
    "ImportOptionError",
    "ImportInterrupted",
    "ImportReport",
    "ImportStoppedError",
    "MissingPathError",
    "SeedWriter",
    "default_workers",
    "display_path",
    "escape_controls",
    "import_seed_files",
    "seed_limits",
]
