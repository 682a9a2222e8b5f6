"""Triage rules: their cost at the end of an import, and the preview's at a large table.

    DATABASE_URL=sqlite:///bench/results/rules-1m.sqlite3 .venv/bin/python bench/rules_bench.py prepare
    DATABASE_URL=sqlite:///bench/results/rules-1m.sqlite3 .venv/bin/python bench/rules_bench.py import-end [--items 10000] [--profile]
    DATABASE_URL=sqlite:///bench/results/rules-1m.sqlite3 .venv/bin/python bench/rules_bench.py preview
    .venv/bin/python bench/rules_bench.py corpus

Run it on YOUR COPY of a bench database (bench/dataset.py, or a copy of the shared one:
it writes), migrated to this branch. `prepare` makes the dataset's published and rejected
items editors' decisions (a bench editor as `state_changed_by`, and one audit row each), so
the backtest has the editors' past to compare with (the dataset leaves them unattributed).

- `import-end`: inserts `--items` new articles (in a transaction rolled back at the end),
  then times `rules.run_rules` on their ids (as `run_on_new_items` does) with seven enabled
  rules (the example rule, a reject by provider, a title regex flag, a text regex flag, an
  add-topic by category, a heat flag, a flag by topic and heat), the cap at its default
  1,000. Also the evaluation alone (a dry run; `--profile` prints its profile) and, as the
  baseline measured in the same run, reading every value a rule could read as plain rows.
- `preview`: times `selectors_rules.preview` for four rules; baseline: COUNT(*) of the queue.
- `corpus`: imports fixtures/seeds and fixtures/real-seeds into a throwaway in-memory
  database and reports the share of items the example rule decides and its agreement with
  the source's own `published` flag (the aggregator's editors' decision).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")


def timed(function, runs=3):
    times = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def rule_set():
    from curation.services.rule_conditions import CompiledRule, validate_definition

    definitions = [
        ("example: quality >= 70 publishes", {"when": {"quality_min": 70}, "action": "publish"}),
        ("flag hot", {"when": {"heat_min": 90}, "action": "flag", "note": "very hot"}),
        ("title regex flag", {"when": {"title_matches": "(?i)\\b(strike|union)\\b"}, "action": "flag", "note": "labour"}),
        ("text regex flag", {"when": {"text_matches": "(?i)airport\\s+\\w+\\s+flight"}, "action": "flag", "note": "travel"}),
        ("add topic", {"when": {"category": ["tech"]}, "action": "add_topic", "topic": "Bench tech"}),
        ("reject low from a provider", {"when": {"quality_max": 5, "provider": ["Provider 1", "provider2.example"]}, "action": "reject", "reason": "low-quality"}),
        ("flag by topic", {"when": {"topic": ["Bank", "Economy"], "heat_min": 80}, "action": "flag", "note": "banking"}),
    ]
    return [CompiledRule(rule_id=None, name=name, version=1, definition=validate_definition(d)) for name, d in definitions]


def prepare():
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    with transaction.atomic():
        user, _ = User.objects.get_or_create(username="bench-editor")
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE curation_article SET state_changed_by_id = %s WHERE state IN ('published', 'rejected')", [user.pk]
            )
            cursor.execute("DELETE FROM curation_editorialaction WHERE via = 'bench'")
            cursor.execute(
                "INSERT INTO curation_editorialaction (article_id, actor_id, action, created_at, via, before, after, "
                "reason_code, reason, rule_name) SELECT id, %s, CASE state WHEN 'published' THEN 'publish' ELSE 'reject' END, "
                "COALESCE(state_changed_at, imported_at), 'bench', '{}', '{}', '', '', '' FROM curation_article "
                "WHERE state IN ('published', 'rejected')",
                [user.pk],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print("prepared: editors' decisions attributed")


def import_end(items, profile=False):
    import random

    from django.db import connection, transaction
    from django.utils import timezone

    from curation.models import Article, Provider, RulesSwitch, Topic
    from curation.services import rules

    RulesSwitch.objects.update_or_create(pk=1, defaults={"enabled": True})
    rng = random.Random(16)
    words = "budget debt job wage union strike worker factory car train airport flight ship port road bridge house".split()
    providers = list(Provider.objects.values_list("pk", flat=True)[:300])
    topics = list(Topic.objects.values_list("pk", flat=True)[:100])
    now = timezone.now()
    with transaction.atomic():
        rows = []
        for i in range(items):
            title = " ".join(rng.choices(words, k=8)).capitalize()
            rows.append(Article(
                source_key=f"rules-bench-{i}-{rng.random()}", title=title, excerpt=" ".join(rng.choices(words, k=20)),
                body=" ".join(rng.choices(words, k=300)), category=rng.choice(["news", "tech", "sport"]),
                article_type="article", quality=int(min(189, rng.expovariate(1 / 40))),
                heat=-1 if rng.random() < 0.5 else rng.randint(0, 100), provider_id=rng.choice(providers),
                published_at=now, imported_at=now, source_updated_at=now, source_sha256="x", content_sha256="x",
                has_images=rng.random() < 0.8,
            ))
        created = Article.objects.bulk_create(rows, batch_size=2000)
        ids = [a.pk for a in created]
        through = Article.topics.through
        through.objects.bulk_create([through(article_id=pk, topic_id=rng.choice(topics)) for pk in ids], batch_size=5000)
        queryset = Article.objects.filter(pk__in=ids)
        compiled = rule_set()
        columns = (
            "pk", "title", "quality", "heat", "provider__name", "provider__domain", "category", "article_type",
            "has_images", "source_published", "published_at", "story__size", "needs_metadata", "provider_id", "excerpt", "body",
        )

        def read_all():  # the baseline: every value a rule could read, text included, as plain rows
            rows = list(queryset.order_by().values_list(*columns))
            return rows, list(through.objects.filter(article_id__in=ids).values_list("article_id", "topic__name"))

        base, _ = timed(read_all)
        dry, dry_result = timed(lambda: rules.run_rules(Article.objects.all(), ids=ids, rules=compiled, dry_run=True, cap=10**9))
        counts = {name: sum(c.values()) for name, c in dry_result.counts.items()}
        if profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(lambda: rules.run_rules(Article.objects.all(), ids=ids, rules=compiled, dry_run=True, cap=10**9))
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        print(f"{connection.vendor}; {items:,} new items; baseline (reading every value a rule could read, text and topics included, as plain rows): {base:.3f} s")
        print(f"evaluation of {len(compiled)} rules, no writes (dry run, no cap): {dry:.3f} s = {dry / base:.2f} x base; would act: {counts}")
        sid = transaction.savepoint()
        start = time.perf_counter()
        result = rules.run_rules(Article.objects.all(), ids=ids, rules=compiled)
        full = time.perf_counter() - start
        transaction.savepoint_rollback(sid)
        writes = len(result.decisions)
        print(f"full run with writes (cap {rules.default_cap()}): {full:.3f} s = {full / base:.2f} x base; {writes} actions, "
              f"{(full - dry) / max(writes, 1) * 1000:.2f} ms per action; stopped: {result.stopped or 'no'}")
        transaction.set_rollback(True)


def preview():
    from django.db import connection

    from curation.models import Article
    from curation.selectors_rules import preview as run_preview
    from curation.services.rule_conditions import CompiledRule, validate_definition

    base, total = timed(lambda: Article.objects.filter(state="new").count())
    print(f"{connection.vendor}; baseline COUNT(*) of the queue ({total:,} items): {base:.3f} s")
    cases = [
        ("example: quality >= 70 publishes", {"when": {"quality_min": 70}, "action": "publish"}),
        ("reject: quality <= 10, heat unknown", {"when": {"quality_max": 10, "heat_unknown": True}, "action": "reject", "reason": "low-quality"}),
        ("flag: topic and provider", {"when": {"topic": ["Topic 1", "Topic 2"], "provider": ["Provider 1", "Provider 7"]}, "action": "flag", "note": "n"}),
        ("flag: topic any of 2 (Bank, Economy)", {"when": {"topic": ["Bank", "Economy"]}, "action": "flag", "note": "n"}),
        ("reject: topic any of 2 and provider any of 2", {"when": {"topic": ["Bank", "Economy"], "provider": ["provider1.example", "provider7.example"]}, "action": "reject", "reason": "off-topic"}),
        ("reject: title regex", {"when": {"title_matches": "(?i)\\bstrike\\b", "quality_max": 30}, "action": "reject", "reason": "off-topic"}),
    ]
    for name, definition in cases:
        rule = CompiledRule(rule_id=None, name=name, version=0, definition=validate_definition(definition))
        seconds, result = timed(lambda rule=rule: run_preview(rule), runs=3)
        print(
            f"- {name}: {seconds:.2f} s = {seconds / base:.1f} x base; decides {result.decides_now:,}; backtest "
            f"{result.backtest} of {result.editor_decided_total:,} decided; {'sampled' if result.sampled else 'exact'}"
        )


def corpus():
    import tempfile

    os.environ["DATABASE_URL"] = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "corpus.sqlite3")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from curation.models import Article
    from curation.services.importing import import_seed_files
    from curation.services.rule_conditions import CompiledRule
    from curation.services.rules import item_facts

    import_seed_files([ROOT / "fixtures" / "seeds", ROOT / "fixtures" / "real-seeds"], workers=0, rules=False)
    from django.utils import timezone

    rule = CompiledRule(None, "example", 1, {"when": {"quality_min": 70}, "action": "publish"})
    facts = item_facts(Article.objects.all())
    flags = dict(Article.objects.values_list("pk", "source_published"))
    decided = [f for f in facts if rule.matches(f, timezone.now())]
    agree = sum(flags[f.pk] for f in decided)
    published = sum(flags.values())
    missed = sum(1 for f in facts if flags[f.pk] and f not in decided)
    print(f"corpus: {len(facts)} items; the example rule decides {len(decided)} ({len(decided) / len(facts):.0%}); "
          f"the source published {published}; of the rule's {len(decided)}, the source published {agree} "
          f"({agree / max(len(decided), 1):.0%} agreement); source-published items the rule leaves to editors: {missed}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["prepare", "import-end", "preview", "corpus"])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true", help="import-end: print a profile of the dry run")
    args = parser.parse_args()
    if args.what == "corpus":
        return corpus()
    import django

    django.setup()
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if "benchdata" in name or name in {"bench", "bench_1k"} or name.endswith("db.sqlite3"):
        sys.exit(f"refusing to write to {name}: use your own copy")
    {"prepare": prepare, "import-end": lambda: import_end(args.items, args.profile), "preview": preview}[args.what]()


if __name__ == "__main__":
    main()
