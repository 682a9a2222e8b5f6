"""`StoryIndex`: incremental story clustering over an index of recent items.

`add(features)` costs time in proportion to the new items and the stories they touch:
each new item finds its candidates through its keys (its rarest terms and its title), the
URL tables and the parent/related links (dictionary look-ups), the best of them are scored,
and only the connected components of the evidence graph that now contain a new item are
re-clustered. A batch run is `StoryIndex().add(everything)`; adding the same items in any
number of chunks gives the same stories as long as no key holds more than `BUCKET_LIMIT`
items within reach of a new one and no item arrives after its window partners were evicted
(see `evict`).

Every table here is one a database holds with an index (curation/services/stories.py
does the same with them): `by_key` is `(key bigint, item, published)`, `by_url` is
`(canonical_url, item)`, `edges` is `(a, b, score)`, the constraints are `(a, b, kind)`.
"""

import heapq
from collections import defaultdict
from dataclasses import dataclass, field

from curation.stories.clustering import DEFAULT_CAP, Story, choose_lead, cluster_component, sort_key
from curation.stories.features import BODY, RELATED, is_related_space, related_space
from curation.stories.scoring import DEFAULT_CONFIG, score_pair

__all__ = [
    "StoryIndex",
    "Update",
    "arrival_order",
    "count_shared_keys",
    "lookup_keys",
    "rank_candidates",
    "rank_listing",
    "BUCKET_LIMIT",
    "MAX_CANDIDATES",
    "reach_seconds",
]

# Per key, at most this many items within reach are looked at (the newest): a key that
# many items share in a few days (a hot story's name) finds enough of that story's members.
BUCKET_LIMIT = 16
# Per new item, at most this many candidates found by keys are scored: those sharing the
# most keys, then the nearest in time. URL, related-coverage and parent links always count.
MAX_CANDIDATES = 8
# A body-only item compares the related entries of at most this many articles.
LISTING_CANDIDATES = 2
# Candidates are looked for this many windows either side: past one window they can only
# be kept apart (the same kind of event another time), which matters within a few.
FAR_WINDOWS = 2


def arrival_order(item):
    """The order items are indexed in: by publication (undated last), then by key."""
    return (item.published is None, item.published or 0.0, sort_key(item.key))


def lookup_keys(item):
    """The keys `item` looks candidates up by: its own (a related-coverage entry looks up
    nothing: its URL and its parent place it), and for a body-only item also the related
    space of its term keys (articles that list an entry with its rare words, see
    features.RELATED_KEY_TERMS)."""
    if item.kind == RELATED:
        return ()
    own = tuple(key for key in item.keys if not is_related_space(key))
    if item.kind == BODY:
        return own + tuple(related_space(key) for key in own)
    return own


def reach_seconds(config=DEFAULT_CONFIG):
    return config.window_hours * 3600 * FAR_WINDOWS


def count_shared_keys(item, items_under, published_of, reach, *, order=None):
    """How many of `item`'s lookup keys each other item shares: ({other: keys shared},
    {other: related-space keys shared}), the second for a body-only item's listings.

    `items_under(key)` gives the items indexed under a key, newest first; per key, at most
    `BUCKET_LIMIT` within `reach` seconds of `item` are counted. With `order` ({key: arrival
    position}) only what arrived before `item` counts (a later item finds this one)."""
    found, listing = {}, {}
    mine = order[item.key] if order is not None else None
    for key in lookup_keys(item):
        taken = 0
        related = is_related_space(key)
        for other in items_under(key):
            if other == item.key or (mine is not None and order.get(other, -1) > mine):
                continue
            published = published_of(other)
            if item.published is not None and published is not None and abs(published - item.published) > reach:
                continue
            found[other] = found.get(other, 0) + 1
            if related:
                listing[other] = listing.get(other, 0) + 1
            taken += 1
            if taken >= BUCKET_LIMIT:
                break
    return found, listing


def rank_listing(listing, limit=LISTING_CANDIDATES):
    """The articles whose related entries a body-only item shares most keys with ({key:
    keys shared}), two at least: their entries are compared with it."""
    shared = [other for other in listing if listing[other] >= 2]
    return sorted(shared, key=lambda other: (-listing[other], sort_key(other)))[:limit]


def rank_candidates(item, found, published_of, limit=MAX_CANDIDATES):
    """The best `limit` of `found` ({key: keys shared}) for `item`: most keys shared, then
    the nearest in time, then by key (a deterministic order)."""
    if len(found) <= limit:
        return list(found)
    when = item.published

    def order(other):
        published = published_of(other)
        gap = abs(published - when) if published is not None and when is not None else float("inf")
        return (-found[other], gap, sort_key(other))

    # Most candidates share one key: rank the fewer that share more first.
    by_count = sorted(set(found.values()), reverse=True)
    chosen = []
    for count in by_count:
        tier = [other for other, shared in found.items() if shared == count]
        room = limit - len(chosen)
        chosen.extend(tier if len(tier) <= room else heapq.nsmallest(room, tier, key=order))
        if len(chosen) >= limit:
            break
    return chosen


@dataclass
class Update:
    """What an `add` or a constraint changed: the stories (two or more members) that now
    contain a touched item, and the keys whose story changed."""

    stories: list = field(default_factory=list)
    changed_keys: set = field(default_factory=set)
    capped: list = field(default_factory=list)  # stories that hit the cap


class StoryIndex:
    def __init__(self, *, config=DEFAULT_CONFIG, cap=DEFAULT_CAP, max_component=None):
        self.config = config
        self.cap = cap
        self.max_component = max_component or cap * 10
        self.features = {}
        self.by_key = defaultdict(list)
        self.by_url = defaultdict(set)
        self.by_related = defaultdict(set)
        self.children = defaultdict(set)
        self.edges = defaultdict(dict)  # key -> {key: score}; negative = apart
        self.must = defaultdict(set)
        self.cannot = defaultdict(set)
        self.story_of_key = {}  # key -> Story (only for stories of two or more)
        self.pairs_scored = 0

    # -- input ------------------------------------------------------------------------------
    def add(self, features):
        """Index new items (or new versions of known ones) and re-cluster what they touch."""
        batch = sorted(features, key=arrival_order)
        for item in batch:
            if item.key in self.features:
                self._forget(item.key)
        touched = set()
        # One at a time, in arrival order, each against what arrived before it: a batch
        # then finds the pairs (and, where a cap binds, the same ones) that the same items
        # arriving in several imports would.
        for item in batch:
            self.features[item.key] = item
            touched.add(item.key)
            for other in self._candidates(item):
                if other not in self.edges[item.key]:
                    self._score(item.key, other)
            self._register(item)
        return self._recluster(touched)

    def constrain(self, *, must=(), cannot=()):
        """Editors' decisions: must-link pairs (merge, attach) and cannot-link pairs ("not
        the same story", split out). A later decision about a pair replaces an earlier one."""
        touched = set()
        for a, b in must:
            self.cannot[a].discard(b), self.cannot[b].discard(a)
            self.must[a].add(b), self.must[b].add(a)
            touched.update((a, b))
        for a, b in cannot:
            self.must[a].discard(b), self.must[b].discard(a)
            self.cannot[a].add(b), self.cannot[b].add(a)
            touched.update((a, b))
        return self._recluster(touched)

    def split_out(self, key):
        """Take `key` out of its story: "not the same story" as each of its members."""
        story = self.story_of_key.get(key)
        members = story.members - {key} if story else ()
        return self.constrain(cannot=[(key, other) for other in members])

    def evict(self, before):
        """Drop items published before `before` (POSIX seconds) from the candidate tables:
        they keep their stories and edges, but new items no longer find them. Evict only
        items older than the newest arrival minus the window plus the latest expected delay."""
        old = [key for key, item in self.features.items() if item.published is not None and item.published < before]
        for key in old:
            self._unregister(self.features.pop(key))
        return len(old)

    # -- output -----------------------------------------------------------------------------
    def stories(self):
        seen, out = set(), []
        for story in self.story_of_key.values():
            if id(story) not in seen:
                seen.add(id(story))
                out.append(story)
        return out

    def story_of(self, key):
        return self.story_of_key.get(key)

    # -- internals --------------------------------------------------------------------------
    def _register(self, item):
        self.features[item.key] = item
        for key in item.keys:
            self.by_key[key].append(item.key)
        for url in item.urls:
            self.by_url[url].add(item.key)
        for url in item.related:
            self.by_related[url].add(item.key)
        if item.parent is not None:
            self.children[item.parent].add(item.key)

    def _unregister(self, item):
        for key in item.keys:
            bucket = self.by_key[key]
            bucket.remove(item.key)
            if not bucket:
                del self.by_key[key]
        for table, urls in ((self.by_url, item.urls), (self.by_related, item.related)):
            for url in urls:
                table[url].discard(item.key)
                if not table[url]:
                    del table[url]
        if item.parent is not None:
            self.children[item.parent].discard(item.key)

    def _forget(self, key):
        """A new version of a known item: its old evidence goes; its constraints stay."""
        self._unregister(self.features.pop(key))
        for other in self.edges.pop(key, {}):
            self.edges[other].pop(key, None)

    def _candidates(self, item):
        features = self.features

        def published_of(other):
            return features[other].published

        found, listing = count_shared_keys(
            item, lambda key: reversed(self.by_key.get(key, ())), published_of, reach_seconds(self.config)
        )
        chosen = set(rank_candidates(item, found, published_of))
        if item.kind == BODY:
            # A body-only item may be the text of an entry these articles list.
            for other in rank_listing(listing):
                chosen.update(self.children.get(other, ()))
        for url in item.urls:
            chosen.update(self.by_url.get(url, ()))
            chosen.update(self.by_related.get(url, ()))
        for url in item.related:
            chosen.update(self.by_url.get(url, ()))
        chosen.update(self.children.get(item.key, ()))
        if item.parent is not None and item.parent in features:
            chosen.add(item.parent)
        chosen.discard(item.key)
        return chosen

    def _score(self, a, b):
        self.pairs_scored += 1
        evidence = score_pair(self.features[a], self.features[b], self.config, explain=False)
        if evidence.score:
            self.edges[a][b] = self.edges[b][a] = evidence.score
        else:
            self.edges[a].pop(b, None), self.edges[b].pop(a, None)

    def _component(self, start, seen):
        component, frontier = {start}, [start]
        while frontier and len(component) < self.max_component:
            node = frontier.pop()
            neighbours = [other for other, score in self.edges.get(node, {}).items() if score > 0]
            neighbours += self.must.get(node, ())
            for other in neighbours:
                if other not in component:
                    component.add(other)
                    frontier.append(other)
        seen |= component
        return component

    def _recluster(self, touched):
        update = Update()
        seen = set()
        for start in sorted(touched, key=sort_key):
            if start in seen:
                continue
            component = self._component(start, seen)
            # Old stories of these nodes may reach outside the component (a member whose
            # link was removed): their other members are re-clustered with it.
            for key in list(component):
                story = self.story_of_key.get(key)
                if story:
                    for member in story.members - component:
                        component |= self._component(member, seen)
            edges, apart = {}, defaultdict(set)
            for a in component:
                for b, score in self.edges.get(a, {}).items():
                    if b in component and sort_key(a) < sort_key(b):
                        if score > 0:
                            edges[(a, b)] = score
                        else:
                            apart[a].add(b), apart[b].add(a)
            must = [(a, b) for a in component for b in self.must.get(a, ()) if b in component]
            groups, capped = cluster_component(component, edges, must=must, cannot=self.cannot, apart=apart, cap=self.cap)
            capped_sets = set(capped)
            for members in groups:
                old = {self.story_of_key.get(key) for key in members}
                if len(members) < 2:
                    (key,) = members
                    if self.story_of_key.pop(key, None) is not None:
                        update.changed_keys.add(key)
                    continue
                story = Story(members, choose_lead(members, self.features), members in capped_sets)
                if old != {story}:
                    update.changed_keys |= members
                for key in members:
                    self.story_of_key[key] = story
                update.stories.append(story)
                if story.capped:
                    update.capped.append(story)
        return update
