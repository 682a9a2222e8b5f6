"""Compare two sets of large_tables.py result files (before and after a change).

    .venv/bin/python bench/compare_results.py BEFORE_DIR AFTER_DIR [--threshold 10]

For each database and size present in both folders, and each URL, prints the URL's
figures as ratios against the trivial request of the same run (so two runs under
different loads compare): `x base` (wall time over the trivial request's wall time) and
`x cpu` (CPU time over the trivial request's CPU time, which load inflates less), and
the change after/before of each; and `x thread` where both runs recorded it (the thread's
CPU alone over the trivial request's, no query wait: the steadiest on PostgreSQL). Exit status 1 when any URL's `x cpu` got worse by more
than the threshold (percent) and by more than a millisecond's worth of the trivial request.
"""

import argparse
import json
import sys
from pathlib import Path


def load(folder):
    runs = {}
    for path in sorted(Path(folder).glob("large_tables-*.json")):
        data = json.loads(path.read_text())
        rows = {row["name"]: row for row in data["results"]}
        trivial = rows.get("baseline: trivial request")
        if trivial is None:
            continue
        runs[(data["vendor"], data["articles"])] = (trivial, rows)
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--threshold", type=float, default=10.0, help="percent (default: %(default)s)")
    args = parser.parse_args()
    before, after = load(args.before), load(args.after)
    worse = []
    for key in sorted(before.keys() & after.keys()):
        (trivial_b, rows_b), (trivial_a, rows_a) = before[key], after[key]
        print(f"\n## {key[0]}, {key[1]:,} articles (trivial request: before {trivial_b['ms']} ms, after {trivial_a['ms']} ms)\n")
        print(
            "| url | x base before | x base after | change | x cpu before | x cpu after | change | x thread change "
            "| queries |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for name, row_b in rows_b.items():
            row_a = rows_a.get(name)
            if row_a is None or name.startswith("baseline") or not row_b.get("ms") or not row_a.get("ms"):
                continue
            xb_b, xb_a = row_b["ms"] / trivial_b["ms"], row_a["ms"] / trivial_a["ms"]
            xc_b, xc_a = row_b["cpu_ms"] / trivial_b["cpu_ms"], row_a["cpu_ms"] / trivial_a["cpu_ms"]
            change_wall, change_cpu = (xb_a / xb_b - 1) * 100, (xc_a / xc_b - 1) * 100
            thread = (
                f"{row_b['x_thread']:.1f} -> {row_a['x_thread']:.1f} ({(row_a['x_thread'] / row_b['x_thread'] - 1) * 100:+.0f} %)"
                if row_b.get("x_thread") and row_a.get("x_thread")
                else ""
            )
            print(
                f"| {name} | {xb_b:.1f} | {xb_a:.1f} | {change_wall:+.0f} % | {xc_b:.1f} | {xc_a:.1f} | "
                f"{change_cpu:+.0f} % | {thread} | {row_b['queries']} -> {row_a['queries']} |"
            )
            if change_cpu > args.threshold and (xc_a - xc_b) > 1.0:
                worse.append(f"{key[0]} {key[1]:,} {name}: x cpu {xc_b:.1f} -> {xc_a:.1f} ({change_cpu:+.0f} %)")
    if worse:
        print("\nWorse by more than the threshold:\n" + "\n".join(f"- {line}" for line in worse))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
