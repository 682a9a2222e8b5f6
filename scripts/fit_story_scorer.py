"""Fit the story pair scorer's coefficients on the labelled corpus (fixtures/stories/).

    .venv/bin/python scripts/fit_story_scorer.py [--l2 1.0] [--folds 3] [--parts tune,tune2,…]

Every pair of a part within the time window that no explicit rule decides (same URL,
related coverage, a recurring column, a format title) is one example: its signals
(`curation.stories.scoring.signals`) and whether the corpus labels it one story. A logistic
regression with an L2 penalty is fitted by Newton's method; the script prints the
coefficients to paste into scoring.COEFFICIENTS and the join probability for ScoringConfig
(the lowest of PROBABILITIES whose pooled precision on the parts fitted on is FIT_PRECISION
or more), the parts' pooled scores for a range of join probabilities through the real
clustering, and the same from a cross-check: fitted on half of the stories, scored on the
other half (several random halves). By default every part is fitted on: how well that
generalises is measured by leaving one part out at a time (scripts/story_lopo.py), never by
scoring the parts fitted on.
"""

import argparse
import itertools
import random
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from curation.stories import StoryIndex, item_features  # noqa: E402
from curation.stories.evaluation import load_corpus, pairwise_scores  # noqa: E402
from curation.stories.scoring import DEFAULT_CONFIG, HOUR, SIGNALS, score_pair, signals  # noqa: E402

PROBABILITIES = (0.6, 0.65, 0.7, 0.75, 0.8, 0.85)
PARTS = ("tune", "tune2", "tune3", "heldout", "heldout2", "heldout3", "heldout4", "heldout5")
# The pooled precision the join probability must reach on the parts fitted on: a margin over
# the 0.95 asked of unseen text.
FIT_PRECISION = 0.97


def examples(labelled, config=DEFAULT_CONFIG):
    features = [item_features(entry.item) for entry in labelled]
    story = {entry.item.key: entry.story for entry in labelled}
    rows, labels = [], []
    decided = replace(config, coefficients=(0.0,) * (len(SIGNALS) + 1), join_probability=0.0)
    for a, b in itertools.combinations(features, 2):
        if a.published is not None and b.published is not None and abs(a.published - b.published) > config.window_hours * HOUR:
            continue
        evidence = score_pair(a, b, decided)
        if evidence.explicit or evidence.apart or not evidence.joins:
            continue  # decided by a rule, or nothing shared
        rows.append(signals(a, b))
        labels.append(float(story[a.key] == story[b.key]))
    return np.array(rows), np.array(labels)


def fit(rows, labels, l2):
    x = np.hstack([rows, np.ones((len(rows), 1))])
    weights = np.zeros(x.shape[1])
    penalty = l2 * np.diag(np.r_[np.ones(x.shape[1] - 1), 0.0])
    for _ in range(100):
        p = 1 / (1 + np.exp(-x @ weights))
        gradient = x.T @ (p - labels) + penalty @ weights
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-9:
            break
    return tuple(round(float(w), 2) for w in weights)


def clustered(labelled, coefficients, probability):
    config = replace(DEFAULT_CONFIG, coefficients=coefficients, join_probability=probability)
    index = StoryIndex(config=config)
    index.add(item_features(entry.item) for entry in labelled)
    return pairwise_scores(labelled, [story.members for story in index.stories()])


def stacked(part_examples):
    """One (rows, labels) from several parts' examples()."""
    rows = np.vstack([part_rows for part_rows, _labels in part_examples])
    return rows, np.concatenate([part_labels for _rows, part_labels in part_examples])


def pooled(scores):
    """Precision and recall over every pair of several parts' scores, each pair counted once."""
    correct = sum(s.correct_pairs for s in scores)
    predicted = sum(s.predicted_pairs for s in scores)
    true = sum(s.true_pairs for s in scores)
    return (correct / predicted if predicted else 1.0), (correct / true if true else 1.0)


def choose_probability(parts, coefficients):
    """The lowest of PROBABILITIES whose pooled precision over `parts` reaches FIT_PRECISION."""
    for probability in PROBABILITIES:
        if pooled([clustered(labelled, coefficients, probability) for labelled in parts])[0] >= FIT_PRECISION:
            return probability
    return PROBABILITIES[-1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--folds", type=int, default=3, help="random halves for the cross-check")
    parser.add_argument("--parts", default=",".join(PARTS), help="the parts to fit on")
    args = parser.parse_args()
    names = args.parts.split(",")
    parts = [load_corpus(name) for name in names]
    tune = [entry for labelled in parts for entry in labelled]
    # Pairs within each part: two parts' items are not labelled against each other.
    rows, labels = stacked([examples(labelled) for labelled in parts])
    coefficients = fit(rows, labels, args.l2)
    print(f"{len(rows)} pairs, {int(labels.sum())} of one story")
    print("COEFFICIENTS = " + repr(coefficients))
    for name, value in zip((*SIGNALS, "intercept"), coefficients, strict=True):
        print(f"    {name:22} {value:+.2f}")
    print(f"\nparts {', '.join(names)}, fitted on all of them (pooled):")
    for probability in PROBABILITIES:
        precision, recall = pooled([clustered(labelled, coefficients, probability) for labelled in parts])
        print(f"  p >= {probability}: precision {precision:.3f} recall {recall:.3f}")
    print(f"join_probability = {choose_probability(parts, coefficients)}")
    print("\ncross-check: fitted on half the stories, scored on the other half (mean, worst):")
    stories = sorted({entry.story for entry in tune})
    results = {probability: [] for probability in PROBABILITIES}
    for seed in range(args.folds):
        random.Random(seed).shuffle(stories)
        half = set(stories[: len(stories) // 2])
        parts = [[e for e in tune if e.story in half], [e for e in tune if e.story not in half]]
        for train, test in (parts, parts[::-1]):
            fitted = fit(*examples(train), args.l2)
            for probability in PROBABILITIES:
                scores = clustered(test, fitted, probability)
                results[probability].append((scores.precision, scores.recall))
    for probability, values in results.items() if args.folds else ():
        values = np.array(values)
        print(
            f"  p >= {probability}: precision {values[:, 0].mean():.3f} (worst {values[:, 0].min():.3f}), "
            f"recall {values[:, 1].mean():.3f} (worst {values[:, 1].min():.3f})"
        )


if __name__ == "__main__":
    main()
