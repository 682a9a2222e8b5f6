"""Stories core: quality on the labelled corpus against the naive floor, and speed.

    .venv/bin/python bench/stories_bench.py [--recent 100000] [--new 10000] [--skip-speed]

Quality: pairwise precision and recall, and hard negatives joined, on the tuning and the
held-out part of fixtures/stories/, for curation.stories and for the floor the issue names
(TF-IDF cosine over title + excerpt + body, pairs above a threshold joined by union-find;
its threshold is the best one on the tuning part, then applied unchanged to the held-out).

Speed, as ratios to a baseline measured in the same run (the import's own unit of work:
parsing one seed file's front matter with yaml.CSafeLoader): the per-item feature cost,
then candidates + clustering for `--new` items against an index of `--recent` ones, and a
full rebuild extrapolated from the measured per-item rates.
"""

import argparse
import math
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from curation.stories import StoryIndex, StoryItem, item_features, rarity  # noqa: E402
from curation.stories.evaluation import load_corpus, pairwise_scores  # noqa: E402

# --- the floor: naive TF-IDF cosine + union-find ------------------------------------------


def tfidf_clusters(labelled, threshold):
    docs = []
    for entry in labelled:
        item = entry.item
        docs.append(Counter(re.findall(r"\w+", f"{item.title} {item.excerpt} {item.body}".lower())))
    df = Counter(term for doc in docs for term in doc)
    n = len(docs)
    vectors = []
    for doc in docs:
        vector = {term: count * math.log((1 + n) / (1 + df[term])) for term, count in doc.items()}
        norm = math.sqrt(sum(value * value for value in vector.values())) or 1.0
        vectors.append({term: value / norm for term, value in vector.items()})
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i in range(n):
        for j in range(i + 1, n):
            a, b = vectors[i], vectors[j]
            if len(b) < len(a):
                a, b = b, a
            if sum(value * b.get(term, 0.0) for term, value in a.items()) >= threshold:
                parent[find(i)] = find(j)
    groups = {}
    for i, entry in enumerate(labelled):
        groups.setdefault(find(i), set()).add(entry.item.key)
    return list(groups.values())


def our_clusters(labelled):
    index = StoryIndex()
    index.add(item_features(entry.item) for entry in labelled)
    return [story.members for story in index.stories()]


PARTS = ("tune", "tune2", "tune3", "heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7", "heldout8", "heldout9", "heldout10", "heldout11")
PART_NAMES = {
    "tune": "tuning", "tune2": "tuning 2", "tune3": "tuning 3", "heldout": "held-out", "heldout2": "held-out 2",
    "heldout3": "held-out 3", "heldout4": "held-out 4", "heldout5": "held-out 5", "heldout6": "held-out 6 (blind)", "heldout7": "held-out 7 (blind)",
    "heldout8": "held-out 8 (blind)", "heldout9": "held-out 9 (blind)", "heldout10": "held-out 10 (blind)",
    "heldout11": "held-out 11 (blind)",
}


def quality():
    parts = {name: load_corpus(name) for name in PARTS}
    sizes = ", ".join(f"{PART_NAMES[name]} {len(labelled)}" for name, labelled in parts.items())
    print(f"corpus: {sizes} items\n")
    tune = parts["tune"] + parts["tune2"] + parts["tune3"]
    best = max(
        (t / 100 for t in range(10, 95, 5)),
        key=lambda t: (lambda s: s.recall if s.precision >= 0.95 else s.precision - 1)(
            pairwise_scores(tune, tfidf_clusters(tune, t))
        ),
    )
    print("| part | method | precision | recall | hard negatives joined |")
    print("| --- | --- | --- | --- | --- |")
    for name, labelled in parts.items():
        for method, clusters in (
            ("curation.stories", our_clusters(labelled)),
            (f"TF-IDF cosine >= {best:.2f} + union-find", tfidf_clusters(labelled, best)),
        ):
            s = pairwise_scores(labelled, clusters)
            joined = ", ".join(f"{a}-{b}" for a, b in s.hard_negatives_joined[:4])
            more = "…" if len(s.hard_negatives_joined) > 4 else ""
            print(
                f"| {PART_NAMES[name]} ({len(labelled)}) | {method} | {s.precision:.3f} | {s.recall:.3f} | "
                f"{len(s.hard_negatives_joined)} of {s.hard_negative_pairs} {joined}{more} |"
            )
    print()


# --- speed ---------------------------------------------------------------------------------

SYLLABLES = ["ka", "lo", "mi", "ra", "ten", "vor", "bel", "sun", "dri", "pa", "zen", "mor", "tal", "quin", "ost", "el"]


def made_up_names(rng, size):
    names = set()
    while len(names) < size:
        names.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize())
    return sorted(names)


def synthetic_items(count, seed=7, days=30, start=1_700_000_000.0):
    """News-shaped items: stories of 1-6 items that share names (made up, so rare) and
    topic words (real words of middling frequency), written around common English words
    drawn by their real frequency, with a ~6 KB body like the import benchmark's seeds."""
    import wordfreq

    rng = random.Random(seed)
    english = [word for word in wordfreq.top_n_list("en", 25_000) if word.isalpha() and len(word) > 2]
    common, middling = english[:3000], english[3000:]
    weights = [1 / (rank + 1) for rank in range(len(common))]
    names = made_up_names(random.Random(seed + 1), 30_000)
    items, n = [], 0
    while n < count:
        size = min(rng.choice([1, 1, 1, 2, 3, 4, 6]), count - n)
        cast = rng.sample(names, 3)
        topic = rng.sample(middling, 8)
        when = start + rng.random() * days * 86400
        for _ in range(size):
            words = rng.choices(common, weights, k=60)
            title = " ".join(rng.sample(cast, 2) + rng.sample(topic, 3) + words[:3]).capitalize()
            excerpt = " ".join(rng.sample(cast, 2) + topic[:5] + words[3:25]).capitalize() + "."
            body = (" ".join(words + rng.sample(topic, 2)) + ". ") * 11
            items.append(StoryItem(key=n, title=title, excerpt=excerpt, body=body, published=when + rng.random() * 7200,
                                   url=f"https://site{rng.randint(1, 300)}.example/{n}?utm_source=rss",
                                   provider=f"site{rng.randint(1, 300)}.example", quality=rng.randint(0, 150)))
            n += 1
    return items


SEED = (ROOT / "fixtures" / "real-seeds" / "000_5791a4ba6fe0fc15.txt").read_text(encoding="utf-8")
FRONT_MATTER = SEED.split("---")[1]


def yaml_parse_us(rounds=2000):
    front_matter = SEED.split("---")[1]
    start = time.perf_counter()
    for _ in range(rounds):
        yaml.load(front_matter, Loader=yaml.CSafeLoader)  # noqa: S506 - the safe C loader
    return (time.perf_counter() - start) / rounds * 1e6


def cpu_us(function, items, repeat=3):
    """The least CPU time per item over `repeat` passes (the machine is shared: CPU time
    is less disturbed by other processes than wall time)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for item in items:
            function(item)
        best = min(best, time.process_time() - start)
    return best / len(items) * 1e6


def speed(recent, new):
    rarity.warm()
    items = synthetic_items(recent + new)
    corpus = [entry.item for part in PARTS for entry in load_corpus(part)]
    sample = items[:3000]
    for item in sample + corpus:
        item_features(item)  # warm the per-process word caches, as a long import has them
    parse_cpu = cpu_us(lambda _: yaml.load(FRONT_MATTER, Loader=yaml.CSafeLoader), range(1000))  # noqa: S506
    synthetic_us = cpu_us(item_features, sample)
    corpus_us = cpu_us(item_features, corpus)
    print(f"parse one seed's front matter (yaml.CSafeLoader), the baseline: {parse_cpu:.0f} us CPU")
    print(f"item_features, synthetic items with ~6 KB bodies: {synthetic_us:.0f} us CPU = {synthetic_us / parse_cpu:.2f}x the parse")
    print(f"item_features, the labelled corpus's items: {corpus_us:.0f} us CPU = {corpus_us / parse_cpu:.2f}x the parse")

    start = time.process_time()
    features = [item_features(item) for item in items]
    all_features_s = time.process_time() - start
    old, fresh = features[:recent], features[recent:]
    index = StoryIndex()
    start = time.process_time()
    index.add(old)
    build_s = time.process_time() - start
    scored_before = index.pairs_scored
    start = time.process_time()
    update = index.add(fresh)
    add_s = time.process_time() - start
    print(f"features for {len(items):,} items: {all_features_s:.1f} s CPU")
    print(f"index of {recent:,} items built in one batch: {build_s:.1f} s CPU ({build_s / recent * 1e6:.0f} us an item)")
    print(
        f"{new:,} new items against it (candidates + scoring + clustering): {add_s:.2f} s CPU "
        f"= {add_s / new * 1e6:.0f} us an item = {add_s / new * 1e6 / parse_cpu:.2f}x the parse; "
        f"{(index.pairs_scored - scored_before) / new:.1f} pairs scored per new item, {len(update.stories):,} stories touched"
    )
    per_item = all_features_s / len(items) + build_s / recent
    print(f"full rebuild of 1,000,000 items in memory, extrapolated (features + clustering, one process): {per_item * 1e6 / 60:.1f} min")
    return parse_cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--recent", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=2_000)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    quality()
    if not args.skip_speed:
        speed(args.recent, args.new)


if __name__ == "__main__":
    main()
