#!/usr/bin/env python3
"""What the schedule adds to the public side's validator query (behind every ETag and 304).

Times, on the database DATABASE_URL names, the validator query as it was before scheduling
(three stamps: last editorial action, last import, newest id), with the three "latest
schedule time that has passed" reads, and with the three "next one to come" reads as well
(what `curation.db.queries.latest_change_stamps` runs), in alternating rounds: medians of
--runs executions each, and the ratios to the three-stamp query of the same round.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/validators_cost.py
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from curation.db import backend

    quote = connection.ops.quote_name
    article = quote("curation_article")
    stamps = (
        f"(SELECT MAX(created_at) FROM {quote('curation_editorialaction')}), "
        f"(SELECT MAX(created_at) FROM {quote('curation_importledgerentry')}), (SELECT MAX(id) FROM {article})"
    )
    columns = ["live_from", "live_until", "embargo_until"]
    passed = ", ".join(f"(SELECT {c} FROM {article} WHERE {c} <= %s ORDER BY {c} DESC LIMIT 1)" for c in columns)
    coming = ", ".join(f"(SELECT {c} FROM {article} WHERE {c} > %s ORDER BY {c} LIMIT 1)" for c in columns)
    variants = {"three stamps": (stamps, 0), "+ passed": (f"{stamps}, {passed}", 3),
                "+ passed + coming": (f"{stamps}, {passed}, {coming}", 6)}
    now = backend().adapt_datetime(timezone.now())
    print(f"{connection.vendor}: medians of {args.runs} runs, ms (ratio to three stamps)")
    for number in range(1, args.rounds + 1):
        medians = {}
        for name, (sql, count) in variants.items():
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT {sql}", [now] * count)
                    cursor.fetchone()
                times.append((time.perf_counter() - start) * 1000)
            medians[name] = statistics.median(times)
        base = medians["three stamps"]
        print(f"round {number}: " + " | ".join(f"{name} {ms:.3f} ({ms / base:.2f})" for name, ms in medians.items()))


if __name__ == "__main__":
    main()
