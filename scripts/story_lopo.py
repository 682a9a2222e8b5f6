"""Leave-one-part-out estimate of the story clustering's quality on unseen text.

    .venv/bin/python scripts/story_lopo.py [--l2 1.0] [--shipped] [--grid] [--fixed-probability P]

For each part of the labelled corpus (fixtures/stories/), the scorer's coefficients are
fitted on all the other parts and the join probability is chosen on them, exactly as
scripts/fit_story_scorer.py fits and chooses the shipped ones on all parts; then the
left-out part is clustered and scored. The rules and their thresholds cannot be refitted
this way (they were written after reading parts' errors), so this is an upper bound on what
an unseen part gives, but a far closer one than the figures of the parts fitted on.
`--shipped` also prints the figures of the coefficients in scoring.py (fitted on every part,
so optimistic), `--grid` the pooled figures at each fixed join probability.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from fit_story_scorer import PARTS, PROBABILITIES, choose_probability, clustered, examples, fit, stacked  # noqa: E402

from curation.stories.evaluation import load_corpus  # noqa: E402
from curation.stories.scoring import DEFAULT_CONFIG  # noqa: E402


def pooled(scores):
    """Precision, recall and hard negatives joined over several parts, each pair counted once."""
    correct = sum(s.correct_pairs for s in scores)
    predicted = sum(s.predicted_pairs for s in scores)
    true = sum(s.true_pairs for s in scores)
    hard = sum(len(s.hard_negatives_joined) for s in scores)
    return correct / predicted, correct / true, hard, sum(s.hard_negative_pairs for s in scores)


def row(name, scores, *extra):
    cells = (f"{scores[0]:.3f}", f"{scores[1]:.3f}", f"{scores[2]} of {scores[3]}", *extra)
    return f"| {name} | " + " | ".join(cells) + " |"


def figures(scores):
    return scores.precision, scores.recall, len(scores.hard_negatives_joined), scores.hard_negative_pairs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--shipped", action="store_true")
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--fixed-probability", type=float, default=None)
    args = parser.parse_args()
    parts = {name: load_corpus(name) for name in PARTS}
    part_examples = {name: examples(labelled) for name, labelled in parts.items()}
    if args.shipped:
        config = DEFAULT_CONFIG
        shipped = [clustered(parts[name], config.coefficients, config.join_probability) for name in PARTS]
        print("shipped coefficients (fitted on every part):")
        print("| part | precision | recall | hard negatives joined |\n| --- | --- | --- | --- |")
        for name, scores in zip(PARTS, shipped, strict=True):
            print(row(name, figures(scores)))
        print(row("pooled", pooled(shipped)) + "\n")
    results, grid = [], {probability: [] for probability in PROBABILITIES}
    print("leave one part out:")
    print("| part | precision | recall | hard negatives joined | join probability |\n| --- | --- | --- | --- | --- |")
    for held in PARTS:
        train = [name for name in PARTS if name != held]
        coefficients = fit(*stacked([part_examples[name] for name in train]), args.l2)
        probability = args.fixed_probability or choose_probability([parts[name] for name in train], coefficients)
        scores = clustered(parts[held], coefficients, probability)
        results.append(scores)
        print(row(held, figures(scores), str(probability)), flush=True)
        for fixed in PROBABILITIES if args.grid else ():
            grid[fixed].append(clustered(parts[held], coefficients, fixed))
    print(row("pooled", pooled(results), ""))
    held_out = [scores for name, scores in zip(PARTS, results, strict=True) if name.startswith("heldout")]
    print(row("held-out 1-5 pooled", pooled(held_out), ""))
    for fixed, scores in grid.items() if args.grid else ():
        print(f"fixed join probability {fixed}: pooled " + "{:.3f} / {:.3f}, {} of {}".format(*pooled(scores)))


if __name__ == "__main__":
    main()
