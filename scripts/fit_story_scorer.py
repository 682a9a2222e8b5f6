"""Fit the story pair scorer's coefficients and join probability on the labelled corpus.

    .venv/bin/python scripts/fit_story_scorer.py [--l2 1.0] [--parts tune,tune2,…]

How (curation/stories/fitting.py): every undecided pair of each part is an example, and a
logistic regression with an L2 penalty is fitted on them. The script prints the
coefficients to paste into scoring.COEFFICIENTS and the parts' pooled in-sample scores at
each join probability. By default every part is fitted on: how well that carries to unseen
text, and which join probability to ship, is measured by leaving one part out at a time
(`scripts/story_lopo.py --grid`), never by the scores of the parts fitted on.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from curation.stories.evaluation import load_corpus  # noqa: E402
from curation.stories.fitting import (  # noqa: E402
    L2,
    PARTS,
    PROBABILITIES,
    choose_probability,
    clustered,
    examples,
    fit,
    pooled,
)
from curation.stories.scoring import SIGNALS  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--l2", type=float, default=L2)
    parser.add_argument("--parts", default=",".join(PARTS), help="the parts to fit on")
    args = parser.parse_args()
    names = args.parts.split(",")
    parts = [load_corpus(name) for name in names]
    # Pairs within each part: two parts' items are not labelled against each other.
    part_examples = [examples(labelled) for labelled in parts]
    coefficients = fit(part_examples, args.l2)
    pairs = sum(len(labels) for _rows, labels in part_examples)
    print(f"{pairs} pairs, {int(sum(labels.sum() for _rows, labels in part_examples))} of one story")
    print("COEFFICIENTS = " + repr(coefficients))
    for name, value in zip((*SIGNALS, "intercept"), coefficients, strict=True):
        print(f"    {name:22} {value:+.2f}")
    print(f"\nparts {', '.join(names)}, fitted on all of them (pooled, in-sample):")
    for probability in PROBABILITIES:
        precision, recall, hard, hard_pairs = pooled(
            [clustered(labelled, coefficients, probability) for labelled in parts]
        )
        print(
            f"  p >= {probability}: precision {precision:.3f} recall {recall:.3f}, hard negatives {hard} of {hard_pairs}"
        )
    print(f"lowest with in-sample precision >= 0.97: {choose_probability(parts, coefficients)} (optimistic)")


if __name__ == "__main__":
    main()
