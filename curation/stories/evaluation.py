"""Scoring a clustering against the labelled corpus in fixtures/stories/ (format in its
README.md): pairwise precision and recall, and the hard negatives joined. Used by the
corpus test and by bench/stories_bench.py."""

import datetime as dt
import itertools
import json
from dataclasses import dataclass, replace
from pathlib import Path

from curation.stories.features import StoryItem

__all__ = ["LabelledItem", "load_corpus", "pairwise_scores", "CORPUS_DIR"]

CORPUS_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "stories"


@dataclass(frozen=True)
class LabelledItem:
    item: StoryItem
    story: str
    hard: tuple  # hard-negative tags


def load_corpus(name_or_path):
    """The items of `tune`, `heldout` or a .jsonl path, as `LabelledItem`s in file order."""
    path = Path(name_or_path)
    if not path.suffix:
        path = CORPUS_DIR / f"{name_or_path}.jsonl"
    out = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            published = row.get("published")
            item = StoryItem(
                key=row["id"],
                kind=row.get("kind", "article"),
                title=row.get("title") or "",
                excerpt=row.get("excerpt") or "",
                body=row.get("body") or "",
                url=row.get("url") or "",
                amp_url=row.get("amp_url") or "",
                cdn_amp_url=row.get("cdn_amp_url") or "",
                published=dt.datetime.fromisoformat(published.replace("Z", "+00:00")) if published else None,
                provider=row.get("provider") or "",
                quality=row.get("quality"),
                related_urls=tuple(row.get("related") or ()),
                parent=row.get("parent"),
            )
            out.append(LabelledItem(item, row["story"], tuple(row.get("hard") or ())))
    # An article carries the titles and excerpts of the entries it lists, as an import has them.
    texts = {}
    for entry in out:
        if entry.item.parent is not None:
            texts.setdefault(entry.item.parent, []).append(f"{entry.item.title}\n{entry.item.excerpt}")
    return [
        LabelledItem(replace(entry.item, related_texts=tuple(texts[entry.item.key])), entry.story, entry.hard)
        if entry.item.key in texts
        else entry
        for entry in out
    ]


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    hard_negative_pairs: int
    hard_negatives_joined: tuple  # ((key, key), …)

    def __str__(self):
        return (
            f"precision {self.precision:.3f} recall {self.recall:.3f} "
            f"(pairs: {self.correct_pairs} right of {self.predicted_pairs} joined, {self.true_pairs} true); "
            f"hard negatives joined {len(self.hard_negatives_joined)} of {self.hard_negative_pairs}"
        )


def _pairs(groups):
    pairs = set()
    for members in groups:
        pairs.update(itertools.combinations(sorted(members), 2))
    return pairs


def pairwise_scores(labelled, clusters):
    """`clusters`: an iterable of sets of keys (singletons may be left out)."""
    by_story = {}
    for entry in labelled:
        by_story.setdefault(entry.story, set()).add(entry.item.key)
    truth = _pairs(by_story.values())
    predicted = _pairs(clusters)
    correct = truth & predicted
    tags = {entry.item.key: set(entry.hard) for entry in labelled}
    story = {entry.item.key: entry.story for entry in labelled}
    hard_pairs = {
        pair
        for pair in itertools.combinations(sorted(tags), 2)
        if tags[pair[0]] & tags[pair[1]] and story[pair[0]] != story[pair[1]]
    }
    return Scores(
        precision=len(correct) / len(predicted) if predicted else 1.0,
        recall=len(correct) / len(truth) if truth else 1.0,
        true_pairs=len(truth),
        predicted_pairs=len(predicted),
        correct_pairs=len(correct),
        hard_negative_pairs=len(hard_pairs),
        hard_negatives_joined=tuple(sorted(hard_pairs & predicted)),
    )
