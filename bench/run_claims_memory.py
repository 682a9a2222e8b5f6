#!/usr/bin/env python3
"""Memory the import's run claims (`planning.RunClaims`: which file of the run stands for
each article) hold at the end of a run of --files files, each naming its own article.

The run's discovered paths are made before measuring (the import holds them anyway, in its
list of files); each batch's items are made, settled and dropped as the import does, so what
stays traced at the end is what the claims keep. Reports tracemalloc's current and peak
sizes, and the CPU time settle() took (in a second, untraced pass). No database is touched (only unparsed, unique files).

    .venv/bin/python bench/run_claims_memory.py --files 1000000
"""

import argparse
import hashlib
import inspect
import os
import sys
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=400)
    args = parser.parse_args()

    import django

    django.setup()
    from curation.services.importing.planning import RunClaims

    paths = [f"/srv/seeds/{n // 10_000:03d}/{n:07d}_{n * 7919 % 100_003:05x}.md" for n in range(args.files)]
    # Made before claiming: the real import's identities are too (in the parse workers).
    takes_paths = "path_of" in inspect.signature(RunClaims).parameters

    def batches():
        for start in range(0, args.files, args.batch_size):
            numbers = range(start, min(start + args.batch_size, args.files))
            items = [
                (
                    SimpleNamespace(path=paths[n], size=1, sha256=""),
                    SimpleNamespace(source_key=hashlib.sha256(f"url:https://news.example/{n}".encode()).hexdigest()),
                )
                for n in numbers
            ]
            yield items, [], {paths[n]: n for n in numbers}

    def new_claims():
        return RunClaims(path_of=paths.__getitem__) if takes_paths else RunClaims()

    # Memory, traced (which slows every allocation: no timing here).
    tracemalloc.start()
    claims = new_claims()
    baseline = tracemalloc.get_traced_memory()[0]
    for items, decided, order in batches():
        kept, failed = claims.settle(items, decided, order)
        assert len(kept) == len(items) and not failed
        del items, kept, order
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    held = current - baseline
    del claims
    # Time, untraced: settle() alone, the batches made outside the clock.
    claims, spent = new_claims(), 0.0
    for batch in batches():
        began = time.process_time()
        claims.settle(*batch)
        spent += time.process_time() - began
    print(f"{args.files:,} identities claimed: {held / 2**20:.1f} MiB held ({held / args.files:.0f} bytes each), "
          f"peak {(peak - baseline) / 2**20:.1f} MiB; settle() {spent:.1f} s CPU in all")  # fmt: skip


if __name__ == "__main__":
    main()
