"""Import throughput against the parse-only floor, measured in one run on one corpus.

    .venv/bin/python bench/import_bench.py [--files 10000] [--database sqlite|postgres|both] [--rounds 3]
                                           [--stories on|off|both]

(a) baseline: read every file and parse its front matter with PyYAML's C loader, in one
    process: the least work any importer must do;
(b) the whole `python manage.py import_seeds DIR` as an operator runs it (default options,
    a fresh database, Django start-up included), then (c) the same command again on the
    unchanged folder.

Machines here are noisy, so the figure that matters is the ratio (b)/(a), each (b) against
the (a) measured just before it; the rounds are repeated (--rounds) and the median ratio
is the result. Each round also says how much two busy processes get done at once against
one alone: the import needs a second core, and a shared VM's second vCPU may give far less.
Target: >= 0.8. Results are also written to bench/results/import.json.

    .venv/bin/python bench/import_bench.py --files 3000 --debug-compare 3

instead times the same import on SQLite with DJANGO_DEBUG=1 and with 0, alternately, and
prints the ratio (Django's query log, which DEBUG turns on, must cost an import nothing).

    .venv/bin/python bench/import_bench.py --files 3000 --cpu 4

instead measures CPU time, steadier than wall time on a shared machine: per file, the
parse-only baseline (process time of (a)), and `import_seed_files` on a fresh SQLite
database with stories off and on, alternating which goes first: the importing process (the
writer; Django's start-up and the migration left out) and its parse workers (getrusage of
its reaped children). It prints the medians and on/off, the CPU an import with clustering
needs against one without (wall time is not what this measures: with two free cores the
workers' CPU runs beside the writer's).

`--stories both` runs (b) twice per round and database, with story clustering on (the
default) and off (`--no-stories`), alternating which goes first, and reports on/off; the
corpus's texts are news-like (stories of 1-6 items sharing names and topic words, common
English words by their frequency), so clustering has real work to do.
"""

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from yaml import CSafeLoader  # noqa: E402  - the stock C loader: the baseline

from curation.seedformat import decode_seed, split_front_matter  # noqa: E402

TEMPLATE = ROOT / "fixtures" / "real-seeds" / "000_5791a4ba6fe0fc15.txt"
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/bench_import")


class NewsText:
    """Titles, excerpts and paragraphs of news-like text: items of one story share made-up
    names and topic words; the rest is common English drawn by its real frequency."""

    SYLLABLES = ["ka", "lo", "mi", "ra", "ten", "vor", "bel", "sun", "dri", "pa", "zen", "mor", "tal", "quin", "ost", "el"]

    def __init__(self, seed=11):
        import random

        import wordfreq

        self.rng = random.Random(seed)
        english = [word for word in wordfreq.top_n_list("en", 25_000) if word.isalpha() and len(word) > 2]
        self.common, self.middling = english[:3000], english[3000:]
        self.weights = [1 / (rank + 1) for rank in range(len(self.common))]
        self.story_left, self.cast, self.topic = 0, [], []

    def next_item(self):
        rng = self.rng
        if self.story_left == 0:
            self.story_left = rng.choice([1, 1, 1, 2, 3, 4, 6])
            self.cast = ["".join(rng.choice(self.SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize() for _ in range(3)]
            self.topic = rng.sample(self.middling, 8)
        self.story_left -= 1
        words = rng.choices(self.common, self.weights, k=40)
        title = " ".join(rng.sample(self.cast, 2) + rng.sample(self.topic, 3) + words[:3])
        excerpt = " ".join(rng.sample(self.cast, 2) + self.topic[:5] + words[3:25]).capitalize() + "."
        paragraphs = [(" ".join(rng.choices(self.common, self.weights, k=30) + rng.sample(self.topic, 2)) + ".").capitalize()
                      for _ in range(4)]
        return title[0].upper() + title[1:], excerpt, paragraphs


def make_corpus(folder, count):
    """`count` seed files shaped like the real one (about 7 KB, five related items),
    each with its own URL, title, text, scores and topics; every tenth is body-only."""
    text_source = NewsText()
    template = TEMPLATE.read_text(encoding="utf-8")
    front, template_body = split_front_matter(template)
    mapping = yaml.load(front, Loader=CSafeLoader)
    first = mapping["publishedDateTime"]
    for n in range(count):
        sub = folder / f"{n % 20:02d}"
        sub.mkdir(exist_ok=True)
        title, excerpt, paragraphs = text_source.next_item()
        body = "\n\n".join(paragraphs) + "\n\n" + template_body
        # About a thousand items a day, as a busy feed brings them.
        mapping["publishedDateTime"] = first + datetime.timedelta(seconds=86 * n)
        if n % 10 == 9:
            text = f"Dateline {n}\n\n" + "\n\n".join(paragraphs) + f"\n\nStory number {n} in full.\n"
        else:
            mapping["title"] = title
            mapping["excerpt"] = excerpt
            mapping["webUrl"] = f"https://www.example-news.test/{n // 1000}/story-{n}?partner=rss"
            mapping["quality"] = n % 190
            mapping["heat"] = -1 if n % 3 else n % 100
            mapping["topics"] = [f"Topic {n % 40}", f"Topic {(n * 7) % 40}"]
            for position, item in enumerate(mapping["related"]):
                item["webUrl"] = f"https://www.other-{position}.test/{n}"
                item["title"] = f"{title} ({position})"
            block = yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True, width=4096)
            text = f"---\n{block}---\n" + (f"\n{body}" if n % 2 else "")
        (sub / f"{n:06d}.txt").write_text(text, encoding="utf-8")


def parse_only(folder):
    """(a): read + front-matter parse with the C loader, one process."""
    files = sorted(folder.rglob("*.txt"))
    started = time.perf_counter()
    for path in files:
        front, _ = split_front_matter(decode_seed(path.read_bytes()))
        if front is not None:
            yaml.load(front, Loader=CSafeLoader)
    return len(files), time.perf_counter() - started


def operator_env(database_url, debug=False):
    """The environment of `manage.py` as an operator runs it on a server: production
    settings (DEBUG off), on a migrated database."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "1" if debug else "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-only-" + "k" * 50),
        "DJANGO_ALLOWED_HOSTS": "localhost",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    return env


@contextmanager
def bench_corpus(files, prefix):
    """A folder of `files` generated seed files (see make_corpus), removed afterwards:
    yields (work folder, corpus folder)."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        corpus = work / "seeds"
        corpus.mkdir()
        make_corpus(corpus, files)
        yield work, corpus
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_import(folder, database_url, stories=True, debug=False):
    env = operator_env(database_url, debug)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", "import_seeds", str(folder), *([] if stories else ["--no-stories"])],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"import_seeds failed ({result.returncode}):\n{result.stderr[-2000:]}")
    lines = result.stdout.strip().splitlines()
    return elapsed, next((line for line in lines if " files: " in line), lines[-1])


def reset_postgres(url):
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _spin(_=None):
    started = time.process_time()
    total = 0
    for number in range(3_000_000):
        total += number
    return time.process_time() - started


def core_check():
    """How much two busy processes get done at once, against one alone (2.0 = two real cores).

    Reported beside the ratios: on a shared VM two 'cores' may deliver far less than twice
    one, and the import (a writer plus parser processes) needs the second one."""
    import multiprocessing

    started = time.perf_counter()
    _spin()
    alone = time.perf_counter() - started
    with multiprocessing.get_context("fork").Pool(2) as pool:
        started = time.perf_counter()
        pool.map(_spin, range(2))
        together = time.perf_counter() - started
    return 2 * alone / together


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=3, help="repeat (a) and (b); the median ratio is the figure")
    parser.add_argument("--debug-compare", type=int, metavar="ROUNDS", help="time DJANGO_DEBUG=1 against 0 instead")
    parser.add_argument("--stories", choices=["on", "off", "both"], default="on", help="story clustering in (b)")
    parser.add_argument("--cpu", type=int, metavar="ROUNDS", help="CPU time per file instead (see the docstring)")
    parser.add_argument("--cpu-child", nargs=3, metavar=("FOLDER", "URL", "STORIES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cpu_child:
        return cpu_child(*args.cpu_child)
    if args.debug_compare:
        return debug_compare(args.files, args.debug_compare)
    if args.cpu:
        return cpu_compare(args.files, args.cpu)

    work = Path(tempfile.mkdtemp(prefix="import-bench-"))
    try:
        corpus = work / "seeds"
        corpus.mkdir()
        make_corpus(corpus, args.files)
        print(f"corpus: {args.files:,} files, {sum(p.stat().st_size for p in corpus.rglob('*.txt')) / 1e6:.1f} MB")
        databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
        ratios = {database: [] for database in databases}
        story_ratios = {database: [] for database in databases}
        off_ratios = {database: [] for database in databases}
        figures = {"files": args.files, "rounds": []}
        for round_number in range(1, args.rounds + 1):
            cores = core_check()
            count, parse_seconds = parse_only(corpus)
            parse_rate = count / parse_seconds
            print(f"round {round_number}: two busy processes run at {cores:.2f}x one (2.00 = two free cores)")
            print(f"(a) parse only, C loader, 1 process:  {parse_rate:8,.0f} files/s  ({parse_seconds:.2f} s)")
            this_round = {"cores": round(cores, 2), "parse_only_files_per_s": round(parse_rate)}
            for database in databases:
                def fresh(label, database=database, round_number=round_number):
                    if database == "sqlite":
                        return f"sqlite:///{work / f'bench-{round_number}-{label}.sqlite3'}"
                    reset_postgres(POSTGRES_URL)
                    return POSTGRES_URL

                if args.stories == "both":
                    # Alternate which goes first: the machine's speed drifts within a round.
                    order = ["off", "on"] if round_number % 2 else ["on", "off"]
                    rates = {}
                    for label in order:
                        took, _ = run_import(corpus, fresh(label), stories=label == "on")
                        rates[label] = count / took
                        print(f"(b) import_seeds on {database:8}, stories {label:3}: {rates[label]:8,.0f} files/s ({took:.2f} s)")
                    story_ratios[database].append(rates["on"] / rates["off"])
                    off_ratios[database].append(rates["off"] / parse_rate)
                    print(f"    stories on/off: {rates['on'] / rates['off']:.3f}; (b)/(a) with stories off: {rates['off'] / parse_rate:.2f}")
                    this_round.setdefault(database, {})["stories_on_off"] = round(rates["on"] / rates["off"], 3)
                    this_round[database]["ratio_stories_off"] = round(rates["off"] / parse_rate, 3)
                url = fresh("main")
                seconds, summary = run_import(corpus, url, stories=args.stories != "off")
                rate = count / seconds
                again, summary_again = run_import(corpus, url)
                ratios[database].append(rate / parse_rate)
                print(f"(b) import_seeds on {database:8}:      {rate:8,.0f} files/s  ({seconds:.2f} s)  {summary}")
                print(f"    ratio (b)/(a): {rate / parse_rate:.2f}")
                print(f"(c) re-import, unchanged folder:   {count / again:8,.0f} files/s  ({again:.2f} s)  {summary_again}")
                this_round.setdefault(database, {}).update({
                    "import_files_per_s": round(rate),
                    "ratio_to_parse_only": round(rate / parse_rate, 3),
                    "reimport_files_per_s": round(count / again),
                })
            figures["rounds"].append(this_round)
        print()
        for database, values in ratios.items():
            listed = ", ".join(f"{value:.2f}" for value in values)
            print(f"{database}: median ratio {statistics.median(values):.2f} over {len(values)} rounds ({listed}); target >= 0.80")
            figures[f"{database}_median_ratio"] = round(statistics.median(values), 3)
            if story_ratios[database]:
                listed = ", ".join(f"{value:.3f}" for value in story_ratios[database])
                median = statistics.median(story_ratios[database])
                print(f"{database}: stories on/off median {median:.3f} ({listed}); target >= 0.87 (at most 15 % slower)")
                figures[f"{database}_stories_on_off_median"] = round(median, 3)
                listed = ", ".join(f"{value:.2f}" for value in off_ratios[database])
                median = statistics.median(off_ratios[database])
                print(f"{database}: median ratio with stories off {median:.2f} ({listed})")
                figures[f"{database}_median_ratio_stories_off"] = round(median, 3)
        results = ROOT / "bench" / "results"
        results.mkdir(parents=True, exist_ok=True)
        (results / "import.json").write_text(json.dumps(figures, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def debug_compare(files, rounds):
    with bench_corpus(files, "import-bench-debug-") as (work, corpus):
        times = {True: [], False: []}
        for round_number in range(rounds):
            for debug in (True, False) if round_number % 2 == 0 else (False, True):
                url = f"sqlite:///{work / f'debug-{round_number}-{int(debug)}.sqlite3'}"
                seconds, _ = run_import(corpus, url, debug=debug)
                times[debug].append(seconds)
                print(f"round {round_number + 1}: DJANGO_DEBUG={int(debug)}  {files / seconds:8,.0f} files/s  ({seconds:.2f} s)")
        ratio = statistics.median(times[True]) / statistics.median(times[False])
        print(f"median time with DJANGO_DEBUG=1 / with 0: {ratio:.3f}")


def cpu_child(folder, url, stories):
    """One import in this process: prints the JSON of its CPU seconds (writer, workers)."""
    import resource

    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="newsroom.settings")
    import django

    django.setup()
    from curation.services.importing import import_seed_files

    def used(who):
        usage = resource.getrusage(who)
        return usage.ru_utime + usage.ru_stime

    before = used(resource.RUSAGE_SELF), used(resource.RUSAGE_CHILDREN)
    report = import_seed_files([folder], stories=stories == "on")
    after = used(resource.RUSAGE_SELF), used(resource.RUSAGE_CHILDREN)
    print(json.dumps({"writer": after[0] - before[0], "workers": after[1] - before[1], "files": report.counts["files"]}))


def cpu_compare(files, rounds):
    with bench_corpus(files, "import-bench-cpu-") as (work, corpus):
        figures = {"parse": [], "off": [], "on": []}
        for round_number in range(rounds):
            started = time.process_time()
            count, _ = parse_only(corpus)
            figures["parse"].append((time.process_time() - started) / count * 1e3)
            for label in ("off", "on") if round_number % 2 == 0 else ("on", "off"):
                url = f"sqlite:///{work / f'cpu-{round_number}-{label}.sqlite3'}"
                result = subprocess.run(
                    [sys.executable, str(Path(__file__).resolve()), "--cpu-child", str(corpus), url, label],
                    cwd=ROOT, env=operator_env(url), capture_output=True, text=True, check=True,
                )
                used = json.loads(result.stdout.strip().splitlines()[-1])
                writer, workers = (used[who] / used["files"] * 1e3 for who in ("writer", "workers"))
                figures[label].append((writer, workers))
                print(f"round {round_number + 1}, stories {label:3}: writer {writer:.3f} ms, workers {workers:.3f} ms,"
                      f" total {writer + workers:.3f} ms a file (parse only {figures['parse'][-1]:.3f} ms)")
        parse = statistics.median(figures["parse"])
        medians = {label: [statistics.median(run[i] for run in figures[label]) for i in (0, 1)] for label in ("off", "on")}
        for label, (writer, workers) in medians.items():
            print(f"stories {label}: writer {writer:.3f} ms, workers {workers:.3f} ms, total {writer + workers:.3f} ms a file"
                  f" = {(writer + workers) / parse:.2f}x the parse-only {parse:.3f} ms (medians of {rounds})")
        off, on = sum(medians["off"]), sum(medians["on"])
        print(f"CPU with stories on / off: {on / off:.2f} (writer {medians['on'][0] / medians['off'][0]:.2f},"
              f" workers {medians['on'][1] / medians['off'][1]:.2f})")


if __name__ == "__main__":
    main()
