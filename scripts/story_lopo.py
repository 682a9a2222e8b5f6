"""Leave-one-part-out estimate of the story clustering's quality on unseen text.

    .venv/bin/python scripts/story_lopo.py [--l2 1.0] [--shipped] [--grid] [--probability P | --choose]

For each part of the labelled corpus (fixtures/stories/), the scorer's coefficients are
fitted on all the other parts, exactly as scripts/fit_story_scorer.py fits the shipped ones
on all parts (curation/stories/fitting.py); then the left-out part is clustered with the
shipped join probability (or `--probability`, or with `--choose` the one chosen on the
other parts by fitting.FIT_PRECISION) and scored. The rules and
their thresholds cannot be refitted this way (they were written after reading parts'
errors), so this is an upper bound on what an unseen part gives, but a far closer one than
the figures of the parts fitted on. `--shipped` also prints the figures of the coefficients
in scoring.py (fitted on every part: in-sample), `--grid` the pooled figures at each fixed
join probability.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from curation.stories.evaluation import load_corpus  # noqa: E402
from curation.stories.fitting import L2, PARTS, clustered, leave_one_part_out, pooled  # noqa: E402
from curation.stories.scoring import DEFAULT_CONFIG  # noqa: E402


def row(name, figures, *extra):
    cells = (f"{figures[0]:.3f}", f"{figures[1]:.3f}", f"{figures[2]} of {figures[3]}", *extra)
    return f"| {name} | " + " | ".join(cells) + " |"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--l2", type=float, default=L2)
    parser.add_argument("--shipped", action="store_true")
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--probability", type=float, default=DEFAULT_CONFIG.join_probability)
    parser.add_argument("--choose", action="store_true")
    args = parser.parse_args()
    if args.shipped:
        config = DEFAULT_CONFIG
        print("shipped coefficients (fitted on every part):")
        print("| part | precision | recall | hard negatives joined |\n| --- | --- | --- | --- |")
        shipped = []
        for name in PARTS:
            shipped.append(clustered(load_corpus(name), config.coefficients, config.join_probability))
            print(row(name, pooled(shipped[-1:])))
        print(row("pooled", pooled(shipped)) + "\n")
    results, grid = leave_one_part_out(args.l2, args.probability, args.choose, args.grid)
    print("leave one part out:")
    print("| part | precision | recall | hard negatives joined | join probability |\n| --- | --- | --- | --- | --- |")
    for name, scores, probability in results:
        print(row(name, pooled([scores]), str(probability)))
    print(row("pooled", pooled([scores for _name, scores, _p in results]), ""))
    held_out = [scores for name, scores, _p in results if name.startswith("heldout")]
    print(row("held-out 1-5 pooled", pooled(held_out), ""))
    for fixed, scores in grid.items():
        print(f"fixed join probability {fixed}: pooled " + "{:.3f} / {:.3f}, {} of {}".format(*pooled(scores)))


if __name__ == "__main__":
    main()
