"""Each new article's candidates by its lookup keys, read from the story index's key table:
what `curation.stories.StoryIndex` gives an article arriving after everything indexed
before it (called by services/story_index.py's find_evidence, and by the attach
suggestions). A bounded number of statements: one per run of items within reach of each
other (a time group), whatever the number of keys.
"""

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from itertools import chain

from curation.db.story_queries import story_key_neighbourhood, story_key_rows
from curation.forking import forked_map, in_parts
from curation.stories.features import BODY
from curation.stories.index import (
    BUCKET_LIMIT,
    arrival_order,
    count_shared_keys,
    lookup_keys,
    rank_candidates,
    rank_listing,
    reach_seconds,
)
from curation.stories.scoring import DEFAULT_CONFIG

EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC).timestamp()
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC).timestamp()


def candidates_for(items, known, config=DEFAULT_CONFIG, *, run=None, run_rows=None, processes=1):
    """{item key: [article ids]}: each item's best candidates by key, among what was
    indexed before it (items in arrival order). `run`: the ids of every article clustered
    with these (the whole import, of which `items` may be one chunk); none of them is a
    candidate of an item that arrives before it. `run_rows`: the key rows of the dated
    articles of `run` (RunRows), taken from memory instead of the key table. The key rows
    are read here, one statement per time group; the items are then ranked in `processes`
    forked processes (curation/forking.py)."""
    items = sorted(items, key=arrival_order)
    exclude = set(run) if run is not None else {item.key for item in items}
    ranked = []
    for group in _time_groups(items, reach_seconds(config)):
        if group[0].published is None:
            rank = _undated_ranker(group)
        else:
            rank = _key_ranker(group, config, exclude, run_rows)
        ranked.extend((item, rank) for item in group)

    def rank_part(part):
        return {item.key: rank(item) for item, rank in part}

    candidates = {}
    for found in forked_map(rank_part, in_parts(ranked, [1] * len(ranked), processes)):
        candidates.update(found)
    return candidates


class RunRows:
    """The key rows an import's own dated articles wrote to the key table, kept in memory:
    per key, [(seconds, article id)] in order. An import's candidates are mostly its own
    articles, and reading them back is most of what the key look-up would read.

    Only for a run whose every indexed article's features are at hand (the caller knows);
    `of` gives None when a row could differ from what the table gives back: an article dated
    within a second (the databases give whole seconds, rounded each its own way)."""

    def __init__(self, rows):
        self.rows = rows

    @classmethod
    def of(cls, features):
        rows = defaultdict(list)
        for pk, item in features.items():
            if item.published is None:
                continue
            if not float(item.published).is_integer():
                return None
            when = int(item.published)
            for key in item.keys:
                rows[key].append((when, pk))
        for listed in rows.values():
            listed.sort()
        return cls(rows)

    def between(self, keys, low, high):
        """(key, article id, seconds) of these keys dated from `low` to `high` (seconds)."""
        for key in keys:
            listed = self.rows.get(key)
            if listed:
                start, end = bisect_left(listed, (low, -1)), bisect_right(listed, (high, float("inf")))
                for when, pk in listed[start:end]:
                    yield key, pk, when


def _time_groups(items, reach):
    """Runs of `items` (in arrival order) whose dates span at most `reach` seconds, so each
    is looked up with one query whose range suits all of its items; undated items (body-only)
    last, in a group of their own: their candidates may be of any date."""
    groups, current, start = [], [], None
    for item in items:
        if item.published is None:
            continue
        if current and item.published - start > reach:
            groups.append(current)
            current = []
        if not current:
            start = item.published
        current.append(item)
    if current:
        groups.append(current)
    undated = [item for item in items if item.published is None]
    if undated:
        groups.append(undated)
    return groups


# The bounds of a datetime, in seconds: a window reaching past them (an item stored with a
# date at year 1 or 9999, as imports before the date check allowed) is cut there.
_FIRST_SECOND = dt.datetime(1, 1, 1, tzinfo=dt.UTC).timestamp()
_LAST_SECOND = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC).timestamp()


def _when(seconds):
    return dt.datetime.fromtimestamp(min(max(seconds, _FIRST_SECOND), _LAST_SECOND), dt.UTC)


def _key_ranker(group, config, exclude, run_rows=None):
    """For one time group, a function of one of its items giving its Candidates, by their
    lookup keys: per key what
    `StoryIndex` gives an item arriving after everything indexed before it (those before it
    in arrival order within reach, newest first, at most BUCKET_LIMIT), and also what an
    earlier import indexed after it (a late arrival), the nearest in time first.

    With `run_rows`, the run's own rows come from memory, all of those from the window's
    start to the group's last date, where the table gives at most BUCKET_LIMIT a key
    before the group's first date: more rows before the group, never fewer, and an item
    counts at most BUCKET_LIMIT a key, walking out from its own date, so it finds the same
    ones."""
    reach = reach_seconds(config)
    first, last = group[0].published, group[-1].published
    keys = sorted({key for item in group for key in lookup_keys(item)})
    rows = story_key_neighbourhood(
        keys,
        first=_when(first),
        last=_when(last),
        low=_when(first - reach),
        high=_when(last + reach),
        per_key=BUCKET_LIMIT,
        exclude=exclude,
        exclude_everywhere=run_rows is not None,
    )
    if run_rows is not None:
        rows = chain(rows, run_rows.between(keys, first - reach, last))
    dated, undated, published = defaultdict(list), defaultdict(list), {}
    for key, other, when in rows:
        published[other] = when
        if when is None:
            undated[key].append(other)
        else:
            dated[key].append((when, other))
    for listed in dated.values():
        listed.sort()
    for listed in undated.values():
        listed.sort(reverse=True)

    def nearest(item):
        when, low, high = item.published, item.published - reach, item.published + reach

        def items_under(key):
            listed = dated.get(key)
            if listed is None or len(listed) == 1 and listed[0][1] == item.key:
                return undated.get(key, ())  # most keys: rare words of this item alone
            # Before the item: everything (the run's own earlier items too); after it, only
            # what an earlier import indexed. Merged by distance in time, the earlier first.
            before, after = bisect_left(listed, (when, item.key)), bisect_right(listed, (when, item.key))
            while after < len(listed) and listed[after][1] in exclude:
                after += 1
            if after == len(listed) or listed[after][0] > high:
                # Nothing after it (an import in publication order): at most the
                # BUCKET_LIMIT before it are taken.
                last = listed[max(0, before - BUCKET_LIMIT) : before]
                return [other for seconds, other in reversed(last) if seconds >= low] + undated.get(key, [])
            return chain(_merged(listed, before - 1, after, when, low, high, exclude), undated.get(key, ()))

        return items_under

    def rank(item):
        found, listing = count_shared_keys(item, nearest(item), published.get, reach)
        return Candidates(
            rank_candidates(item, found, published.get), rank_listing(listing) if item.kind == BODY else []
        )

    return rank


def _merged(listed, before, after, when, low, high, exclude):
    """Article ids of `listed` ((seconds, id), in arrival order) walking out from an item's
    place, the nearer in time first (the earlier on a tie): back from `before` down to
    `low`, on from `after` up to `high` leaving out `exclude`."""
    while True:
        while after < len(listed) and listed[after][1] in exclude:
            after += 1
        back = listed[before] if before >= 0 and listed[before][0] >= low else None
        ahead = listed[after] if after < len(listed) and listed[after][0] <= high else None
        if back is None and ahead is None:
            return
        if ahead is None or (back is not None and when - back[0] <= ahead[0] - when):
            yield back[1]
            before -= 1
        else:
            yield ahead[1]
            after += 1


def _undated_ranker(group):
    """For undated items (body-only), which arrive after every dated one and among
    themselves by id, a function of one of them giving its Candidates: per key the newest
    rows of any date, undated first, those with a higher id (which find this one) left out."""
    rows = story_key_rows(
        sorted({key for item in group for key in lookup_keys(item)}),
        low=_when(EARLIEST),
        high=_when(LATEST),
        per_key=BUCKET_LIMIT + len(group),
    )
    by_key = defaultdict(list)
    published = {}
    for key, item, when in rows:
        by_key[key].append((when is None, when or 0, item))
        published[item] = when
    # Newest first; of the undated, the latest arrival (the highest id) first.
    listed = {key: [item for *_, item in sorted(found, reverse=True)] for key, found in by_key.items()}
    later = {
        key: [-item for undated, _, item in sorted(found, reverse=True) if undated] for key, found in by_key.items()
    }

    def rank(item):
        def items_under(key):
            return listed.get(key, [])[bisect_left(later.get(key, []), -item.key) :]

        found, listing = count_shared_keys(item, items_under, published.get, None)
        return Candidates(
            rank_candidates(item, found, published.get), rank_listing(listing) if item.kind == BODY else []
        )

    return rank


@dataclass(frozen=True)
class Candidates:
    """An item's candidates, and those whose related entries share its words (for a
    body-only item: it may be the text of one of those entries)."""

    articles: list
    listing: list

    def __iter__(self):
        return iter(self.articles)
