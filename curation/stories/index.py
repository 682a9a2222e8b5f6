"""`StoryIndex`: incremental story clustering over an index of recent items.

`add(features)` costs time in proportion to the new items and the stories they touch:
each new item finds its candidates through the LSH band table, the URL tables and the
parent/related links (dictionary look-ups), is scored against them, and only the connected
components of the evidence graph that now contain a new item are re-clustered. A batch run
is `StoryIndex().add(everything)`; adding the same items in any number of chunks gives the
same stories as long as no item arrives after its window partners were evicted (see
`evict`).

Every table here is one a database holds with an index (see the report in bench/README.md):
`bands` is `(band_key bigint, item)`, `by_url` is `(canonical_url, item)`, `edges` is
`(a, b, score)`, the constraints are `(a, b, kind)`.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from curation.stories.clustering import DEFAULT_CAP, Story, choose_lead, cluster_component, sort_key
from curation.stories.scoring import DEFAULT_CONFIG, score_pair

__all__ = ["StoryIndex", "Update"]

# A title seen on this many items from at least two days is a format, not a headline.
GENERIC_TITLE_MIN_ITEMS = 4
GENERIC_TITLE_MIN_DAYS = 2
# A band shared by more items than this is a phrase everyone uses, not a story: it finds no
# candidates (the item's other bands and its URLs still do). Below it, incremental and batch
# runs see the same candidates; above it, the order items arrived in can matter.
MAX_BUCKET = 300
# Candidates further apart than this many windows can neither join nor keep apart anything
# the window has not already decided.
FAR_WINDOWS = 3


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
        self.bands = defaultdict(list)
        self.by_url = defaultdict(set)
        self.by_related = defaultdict(set)
        self.children = defaultdict(set)
        self.titles = defaultdict(set)
        self.generic_titles = set()
        self.edges = defaultdict(dict)  # key -> {key: score}; negative = apart
        self.must = defaultdict(set)
        self.cannot = defaultdict(set)
        self.story_of_key = {}  # key -> Story (only for stories of two or more)
        self.pairs_scored = 0

    # -- input ------------------------------------------------------------------------------
    def add(self, features):
        """Index new items (or new versions of known ones) and re-cluster what they touch."""
        batch = list(features)
        for item in batch:
            if item.key in self.features:
                self._forget(item.key)
        for item in batch:
            self._register(item)
        touched = set()
        for item in batch:
            touched.add(item.key)
            for other in self._candidates(item):
                if other in self.edges[item.key] or other == item.key:
                    continue
                self._score(item.key, other)
        touched |= self._update_generic_titles(batch)
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
        for band_key in item.band_keys:
            self.bands[band_key].append(item.key)
        for url in item.urls:
            self.by_url[url].add(item.key)
        for url in item.related:
            self.by_related[url].add(item.key)
        if item.parent is not None:
            self.children[item.parent].add(item.key)
        if item.title_key:
            self.titles[item.title_key].add(item.key)

    def _unregister(self, item):
        for band_key in item.band_keys:
            bucket = self.bands[band_key]
            bucket.remove(item.key)
            if not bucket:
                del self.bands[band_key]
        for table, urls in ((self.by_url, item.urls), (self.by_related, item.related)):
            for url in urls:
                table[url].discard(item.key)
                if not table[url]:
                    del table[url]
        if item.parent is not None:
            self.children[item.parent].discard(item.key)
        if item.title_key:
            self.titles[item.title_key].discard(item.key)

    def _forget(self, key):
        """A new version of a known item: its old evidence goes; its constraints stay."""
        self._unregister(self.features.pop(key))
        for other in self.edges.pop(key, {}):
            self.edges[other].pop(key, None)

    def _candidates(self, item):
        found = set()
        for band_key in item.band_keys:
            bucket = self.bands.get(band_key, ())
            if len(bucket) <= MAX_BUCKET:
                found.update(bucket)
        if item.published is not None:
            horizon = self.config.window_hours * 3600 * FAR_WINDOWS
            features = self.features
            found = {
                key
                for key in found
                if features[key].published is None or abs(features[key].published - item.published) <= horizon
            }
        for url in item.urls:
            found.update(self.by_url.get(url, ()))
            found.update(self.by_related.get(url, ()))
        for url in item.related:
            found.update(self.by_url.get(url, ()))
        found.update(self.children.get(item.key, ()))
        if item.parent is not None and item.parent in self.features:
            found.add(item.parent)
        found.discard(item.key)
        return found

    def _score(self, a, b):
        self.pairs_scored += 1
        evidence = score_pair(self.features[a], self.features[b], self.config, self.generic_titles)
        if evidence.score:
            self.edges[a][b] = self.edges[b][a] = evidence.score
        else:
            self.edges[a].pop(b, None), self.edges[b].pop(a, None)

    def _update_generic_titles(self, batch):
        """Titles that have just become generic: re-score every pair their items are in."""
        touched = set()
        for title_key in {item.title_key for item in batch if item.title_key}:
            keys = self.titles.get(title_key, ())
            if title_key in self.generic_titles or len(keys) < GENERIC_TITLE_MIN_ITEMS:
                continue
            days = {int(self.features[key].published // 86400) for key in keys if self.features[key].published is not None}
            if len(days) < GENERIC_TITLE_MIN_DAYS:
                continue
            self.generic_titles.add(title_key)
            for key in keys:
                touched.add(key)
                for other in list(self.edges.get(key, ())):
                    if other in self.features:
                        self._score(key, other)
                        touched.add(other)
        return touched

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
