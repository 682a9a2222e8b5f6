"""A long fuzz run of the seed import: generated hostile files through the whole import.

    .venv/bin/python bench/fuzz_seeds.py [--documents 100000] [--batch 1000] [--workers 2]

On a busy shared machine, run slices side by side and merge them (batch N has seed N, so
four slices of 25 batches are the same documents as one run of 100). The documents also
depend on the folder the checkout is in (Hypothesis labels its strategies by their code,
file name included): compare runs made from the same folder, never two worktrees':

    .venv/bin/python bench/fuzz_seeds.py --documents 25000 --first-batch 25 --results /tmp/f1.json
    .venv/bin/python bench/fuzz_seeds.py --merge /tmp/f0.json /tmp/f1.json ... [--results out.json]

The documents come from the suite's Hypothesis strategies (curation/tests/seed_strategies.py:
generated YAML of every type, dumped in varied styles, mutated with tags, BOMs, aliases,
tabs and deep nesting; mutated copies of a real seed; raw bytes), in batches written to a
folder and imported with `import_seed_files` (parse workers, a fresh SQLite database).
Each file is also parsed once more in this process, timed, for the slowest file.

Reports: files imported and failed, failures by reason class, crashes of the run (an
exception out of the import: there must be none) and of parsers (a worker that died),
the slowest file's parse time. Results also go to bench/results/fuzz.json.
"""

import argparse
import collections
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_NUMBER = re.compile(r"0x[0-9a-f]+|\d[\d,.]*")
_MARK = re.compile(r"\s*\(line [^)]*\)")


def reason_class(error):
    """A failure's reason with the file's own values taken out, to count alike ones together."""
    text = _MARK.sub("", error)
    text = _QUOTED.sub("…", text)
    text = _NUMBER.sub("N", text)
    return text[:110]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--first-batch", type=int, default=0, help="start at this batch (each batch has its own seed)")
    parser.add_argument("--results", default=None, help="where to write the JSON results (default bench/results/fuzz.json)")
    parser.add_argument("--merge", nargs="+", metavar="JSON", help="only merge the results of runs over other batches")
    args = parser.parse_args()
    if args.merge:
        return merge(args.merge, args.results)

    work = Path(tempfile.mkdtemp(prefix="fuzz-seeds-"))
    os.environ.update(
        DATABASE_URL=f"sqlite:///{work / 'fuzz.sqlite3'}", DJANGO_SETTINGS_MODULE="newsroom.settings", DJANGO_LOG_LEVEL="ERROR"
    )
    import django

    django.setup()
    from django.core.management import call_command
    from hypothesis import HealthCheck, Phase, given, seed, settings

    from curation.seedformat import parse_one
    from curation.services.importing import import_seed_files, seed_limits
    from curation.tests.seed_strategies import seed_file_bytes

    call_command("migrate", verbosity=0)
    limits = seed_limits()
    statuses = collections.Counter()
    reasons = collections.Counter()
    examples = {}
    run_crashes, parser_crashes = [], []
    slowest = (0.0, None, None)
    folder = work / "seeds"
    started = time.monotonic()

    for batch_number in range(args.first_batch, args.first_batch + args.documents // args.batch):
        documents = []

        @seed(batch_number)
        @settings(
            max_examples=args.batch, phases=[Phase.generate], database=None, deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(data=seed_file_bytes)
        def collect(data):
            documents.append(data)  # noqa: B023 - called at once, in this iteration

        collect()
        folder.mkdir(exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        for index, data in enumerate(documents):
            (folder / f"{batch_number:04d}-{index:05d}.txt").write_bytes(data)
        try:
            report = import_seed_files([folder], workers=args.workers)
        except Exception as exc:  # noqa: BLE001 - exactly what this run looks for
            run_crashes.append(f"batch {batch_number}: {type(exc).__name__}: {exc}")
            continue
        # A step after the files (clustering, rules) that failed is reported, not raised: it
        # counts as a crash of the run here all the same.
        run_crashes.extend(f"batch {batch_number}: {error}" for error in report.errors)
        parser_lost = set()
        for result in report.results:
            statuses[str(result.status)] += 1
            if result.status == "failed":
                kind = reason_class(result.error)
                reasons[kind] += 1
                examples.setdefault(kind, result.error[:200])
                # The reasons the parse pool gives for a worker that died or hung (a generated
                # value may hold the same words, so only the reason's start counts).
                if result.error.startswith(("the YAML parser crashed", "the YAML parser was killed",
                                            "the YAML parser process exited")):
                    parser_crashes.append(f"{result.path}: {result.error}")
                if result.error.startswith(("the YAML parser", "parsing took longer")):
                    parser_lost.add(result.path)
        for index, data in enumerate(documents):
            path = str(folder / f"{batch_number:04d}-{index:05d}.txt")
            if path in parser_lost:
                continue
            begun = time.perf_counter()
            outcome = parse_one(data, limits)
            seconds = time.perf_counter() - begun
            if seconds > slowest[0]:
                slowest = (seconds, data[:120], outcome if isinstance(outcome, str) else "imported")
        done = (batch_number + 1 - args.first_batch) * args.batch
        print(f"{done:>9,} documents  {dict(statuses)}  {time.monotonic() - started:,.0f} s", flush=True)
        # After every batch, so that a run stopped early still leaves what it found.
        write_results(args.results, results_of(statuses, time.monotonic() - started, run_crashes, parser_crashes,
                                               slowest, reasons, examples, [args.first_batch, batch_number + 1]))

    elapsed = time.monotonic() - started
    total = sum(statuses.values())
    print()
    print(f"{total:,} documents in {elapsed:,.0f} s: {statuses['created'] + statuses['updated']:,} imported "
          f"({statuses['created']:,} created, {statuses['updated']:,} updated), {statuses['unchanged']:,} unchanged, "
          f"{statuses['failed']:,} failed")
    print(
        f"run crashes (an exception out of the import, or a failed step after the files): {len(run_crashes)}; "
        f"parser crashes: {len(parser_crashes)}"
    )
    for line in run_crashes[:10] + parser_crashes[:10]:
        print("  ", line)
    print(f"slowest parse: {slowest[0] * 1000:.1f} ms ({slowest[2]!s:.100}); file starts {slowest[1]!r}")
    print("failures by reason class:")
    for kind, count in reasons.most_common(40):
        print(f"  {count:>8,}  {kind}")


def results_of(statuses, elapsed, run_crashes, parser_crashes, slowest, reasons, examples, batches):
    return {
        "documents": sum(statuses.values()), "seconds": round(elapsed), "statuses": statuses, "run_crashes": run_crashes,
        "parser_crashes": parser_crashes, "slowest_parse_ms": round(slowest[0] * 1000, 1),
        "slowest_outcome": str(slowest[2])[:200], "slowest_start": repr(slowest[1]), "reasons": reasons.most_common(),
        "examples": examples, "batches": batches,
    }


def write_results(path, results):
    path = Path(path) if path else ROOT / "bench" / "results" / "fuzz.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str))


def merge(paths, output):
    """Runs over different batches (run side by side on a shared machine) as one run."""
    parts = [json.loads(Path(path).read_text()) for path in paths]
    statuses, reasons = collections.Counter(), collections.Counter()
    for part in parts:
        statuses.update(part["statuses"])
        reasons.update(dict(part["reasons"]))
    slowest = max(parts, key=lambda part: part["slowest_parse_ms"])
    merged = {
        "documents": sum(part["documents"] for part in parts),
        "seconds": max(part["seconds"] for part in parts),
        "statuses": statuses,
        "run_crashes": [line for part in parts for line in part["run_crashes"]],
        "parser_crashes": [line for part in parts for line in part["parser_crashes"]],
        "slowest_parse_ms": slowest["slowest_parse_ms"],
        "slowest_outcome": slowest["slowest_outcome"],
        "reasons": reasons.most_common(),
        "examples": {kind: text for part in parts for kind, text in part["examples"].items()},
        "batches": sorted(part["batches"] for part in parts),
    }
    write_results(output, merged)
    print(f"{merged['documents']:,} documents (batches {merged['batches']}), {merged['seconds']:,} s side by side: "
          f"{dict(statuses)}; run crashes {len(merged['run_crashes'])}, parser crashes {len(merged['parser_crashes'])}; "
          f"slowest parse {merged['slowest_parse_ms']} ms ({merged['slowest_outcome'][:80]})")
    for kind, count in reasons.most_common(40):
        print(f"  {count:>8,}  {kind}")


if __name__ == "__main__":
    main()
