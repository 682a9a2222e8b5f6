"""Constrained clustering of one connected component of the evidence graph.

The result is a deterministic function of the component's items, edges and constraints,
not of the order they arrived in: that is what lets the index recompute only the components
new items touch and still agree with a full rebuild.

Order of precedence: an editor's "not the same story" (cannot-link) is never broken, not
even through a third item; an editor's merge or attach (must-link) comes next and may
exceed the cap; then evidence joins in order of strength, never across an automatic
"apart" pair and never past the cap (a refused join marks both stories `capped`).

A join on text alone must also be supported: two groups merge only when text links at
least `SUPPORT` of the larger group's members to the other group. One item that happens to
share a company's name and a few words with one member of a five-item story does not
pull the two stories together; a new member that reads like most of the story does.
Evidence is taken strongest first, but a link the rest of the component contradicts comes
after the less contested ones: one whose end must stay apart from items linked to its other
end (a share move the day after an event, linked to that day's analysis piece, apart from
the event's reports). The story forms first, and the contradicted link is then refused.

Explicit evidence (the same URL, a related entry) needs no support, and neither does text
the scorer is sure of (a join probability of `STRONG_PROBABILITY` or more, chosen on the tuning
parts): a late follow-up that reads like one member of a story but shares only the story's
names with the others (a second-day angle) joins through that one link.
"""

from dataclasses import dataclass

from curation.stories.scoring import TEXT_SCALE

__all__ = ["Story", "cluster_component", "choose_lead", "DEFAULT_CAP"]

DEFAULT_CAP = 200
SUPPORT = 0.4
EXPLICIT = 0.95  # scores from this up are explicit evidence (scoring.RELATED, SAME_URL)
STRONG_PROBABILITY = 0.85
STRONG = round(TEXT_SCALE * STRONG_PROBABILITY, 4)  # text scores from this up need no support


@dataclass(frozen=True)
class Story:
    members: frozenset
    lead: object
    capped: bool = False  # a join was refused because the story had reached the cap

    def __len__(self):
        return len(self.members)


def choose_lead(members, features):
    """Highest quality, then earliest, then the smallest key; an item without features
    (evicted from the index) or a body-only item comes last."""

    def rank(key):
        item = features.get(key)
        if item is None or item.body_only:
            return (1, 0, float("inf"), sort_key(key))
        quality = item.quality if item.quality is not None else float("-inf")
        published = item.published if item.published is not None else float("inf")
        return (0, -quality, published, sort_key(key))

    return min(members, key=rank)


def sort_key(key):
    return (type(key).__name__, key)


class _Groups:
    def __init__(self, nodes):
        self.parent = {node: node for node in nodes}
        self.members = {node: {node} for node in nodes}

    def find(self, node):
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a, b):
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        self.members[a] |= self.members.pop(b)
        return a


def _blocked(members_a, members_b, cannot):
    smaller, larger = (members_a, members_b) if len(members_a) <= len(members_b) else (members_b, members_a)
    return any(other in larger for node in smaller for other in cannot.get(node, ()))


def _supported(members_a, members_b, neighbours, support):
    smaller, larger = (members_a, members_b) if len(members_a) <= len(members_b) else (members_b, members_a)
    if len(larger) == 1:
        return True
    linked = sum(1 for node in larger if any(other in smaller for other in neighbours.get(node, ())))
    return linked >= support * len(larger)


def _contested(pair, apart, neighbours):
    """How many items linked to one end of `pair` the other end must stay apart from."""
    a, b = pair
    count = 0
    if a in apart and b in neighbours:
        count += len(apart[a] & neighbours[b])
    if b in apart and a in neighbours:
        count += len(apart[b] & neighbours[a])
    return count


def cluster_component(nodes, edges, *, must=(), cannot=None, apart=None, cap=DEFAULT_CAP, support=SUPPORT):
    """Groups of `nodes` (sets of keys).

    edges: {(a, b): score > 0}; must: [(a, b)]; cannot, apart: {key: set of keys} for the
    editors' and the evidence's cannot-links. Returns (groups, capped_roots_members)."""
    cannot = cannot or {}
    apart = apart or {}
    neighbours = {}
    for a, b in edges:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    groups = _Groups(sorted(nodes, key=sort_key))
    capped = set()
    for a, b in sorted(must, key=lambda pair: (sort_key(pair[0]), sort_key(pair[1]))):
        ra, rb = groups.find(a), groups.find(b)
        if ra != rb and not _blocked(groups.members[ra], groups.members[rb], cannot):
            groups.union(ra, rb)
    ordered = sorted(edges.items(), key=lambda item: (_contested(item[0], apart, neighbours), -item[1], sort_key(item[0][0]), sort_key(item[0][1])))
    for (a, b), score in ordered:
        ra, rb = groups.find(a), groups.find(b)
        if ra == rb:
            continue
        ma, mb = groups.members[ra], groups.members[rb]
        if _blocked(ma, mb, cannot) or _blocked(ma, mb, apart):
            continue
        if score < STRONG and not _supported(ma, mb, neighbours, support):
            continue
        if len(ma) + len(mb) > cap:
            capped.update((ra, rb))
            continue
        groups.union(ra, rb)
    capped_members = [frozenset(groups.members[groups.find(root)]) for root in capped]
    return [frozenset(members) for members in groups.members.values()], capped_members
