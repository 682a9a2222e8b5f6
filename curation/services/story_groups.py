"""Stories from the evidence: the articles connected to some (by evidence or editors'
decisions), and the Story rows and Article.story of re-clustered groups. The database side
of `curation.stories.clustering`; story_index.py finds and stores the evidence.

    component_of(ids)         the articles connected to these by evidence or decisions
    assign(groups)            Story rows and Article.story for re-clustered groups
    recluster_all(...)        every story again from the stored evidence (a rebuild)

Everything here is called by curation/services/stories.py, inside its transactions.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from curation.db import backend
from curation.models import Article, Story, StoryDecision, StoryEdge
from curation.services.story_index import MAX_COMPONENT, Member, _kind, _seconds
from curation.stories.clustering import choose_lead
from curation.stories.features import BODY


def component_of(ids, limit=MAX_COMPONENT):
    """(nodes, {(a, b): score > 0}, apart {id: set}, together [(a, b)], editors' apart
    {id: set}): every article connected to `ids` by joining evidence or an editor's
    "together", plus the current members of their stories."""
    nodes = set(ids)
    frontier = set(ids)
    edges, apart = {}, defaultdict(set)
    together, cannot = set(), defaultdict(set)
    while frontier and len(nodes) < limit:
        batch = list(frontier)
        frontier = set()
        new = set()
        for a, b, score in StoryEdge.objects.filter(Q(a__in_ints=batch) | Q(b__in_ints=batch)).values_list(
            "a", "b", "score"
        ):
            if score > 0:
                edges[(a, b)] = score
                new.update((a, b))
            elif score < 0:
                apart[a].add(b), apart[b].add(a)
        for a, b, kind in StoryDecision.objects.filter(Q(a__in_ints=batch) | Q(b__in_ints=batch)).values_list(
            "a", "b", "kind"
        ):
            if kind == StoryDecision.Kind.TOGETHER:
                together.add((a, b))
                new.update((a, b))
            else:
                cannot[a].add(b), cannot[b].add(a)
        # An attached body-only item is part of the article it was attached to.
        for item, target in Article.objects.filter(
            Q(pk__in_ints=batch, merged_into__isnull=False) | Q(merged_into__in_ints=batch)
        ).values_list("pk", "merged_into"):
            together.add((item, target))
            new.update((item, target))
        stories = set(Article.objects.filter(pk__in_ints=batch, story__isnull=False).values_list("story_id", flat=True))
        if stories:
            new.update(Article.objects.filter(story_id__in_ints=list(stories)).values_list("pk", flat=True))
        frontier = new - nodes
        nodes |= frontier
    edges = {pair: score for pair, score in edges.items() if pair[0] in nodes and pair[1] in nodes}
    together = [pair for pair in together if pair[0] in nodes and pair[1] in nodes]
    return nodes, edges, apart, together, cannot


def members_info(ids):
    return {
        pk: Member(quality, _seconds(published), _kind(front, needs) == BODY)
        for pk, quality, published, front, needs in Article.objects.filter(pk__in_ints=ids).values_list(
            "pk", "quality", "published_at", "has_front_matter", "needs_metadata"
        )
    }


@dataclass
class Assignment:
    created: int = 0
    changed: int = 0
    removed: int = 0
    capped: list = None


def assign(groups, capped_groups, nodes):
    """Write the clustering of `nodes` (groups: sets of article ids): each group of two or
    more keeps the Story most of it had (so ids, and an editor's lead, survive), others are
    created, emptied ones deleted."""
    now = timezone.now()
    current, info = {}, {}
    for pk, story_id, quality, published, front, needs in Article.objects.filter(pk__in_ints=list(nodes)).values_list(
        "pk", "story_id", "quality", "published_at", "has_front_matter", "needs_metadata"
    ):
        current[pk] = story_id
        info[pk] = Member(quality, _seconds(published), _kind(front, needs) == BODY)
    stories = {story.pk: story for story in Story.objects.filter(pk__in_ints=list({s for s in current.values() if s}))}
    capped_groups = {frozenset(group) for group in capped_groups}
    result = Assignment(capped=[])
    claimed, moves, new = set(), defaultdict(list), []
    for members in sorted(groups, key=lambda group: (-len(group), min(group))):
        if len(members) < 2:
            (pk,) = members
            if current.get(pk):
                moves[None].append(pk)
            continue
        overlap = defaultdict(int)
        for pk in members:
            if current.get(pk) and current[pk] not in claimed:
                overlap[current[pk]] += 1
        story = stories[max(overlap, key=lambda sid: (overlap[sid], -sid))] if overlap else None
        lead = None
        if story is not None and story.lead_by_editor and story.lead_id in members:
            lead = story.lead_id
        if lead is None:
            lead = choose_lead(members, info)
        capped = members in capped_groups
        if story is None:
            new.append((Story(lead_id=lead, size=len(members), capped=capped, created_at=now, updated_at=now), members))
            continue
        else:
            changed = {pk for pk in members if current.get(pk) != story.pk}
            old_size = story.size
            if changed or story.size != len(members) or story.lead_id != lead or story.capped != capped:
                Story.objects.filter(pk=story.pk).update(
                    lead_id=lead,
                    size=len(members),
                    capped=capped,
                    updated_at=now,
                    lead_by_editor=story.lead_by_editor and story.lead_id == lead,
                )
                result.changed += int(bool(changed) or old_size != len(members))
        claimed.add(story.pk)
        if capped:
            result.capped.append(story.pk)
        moves[story.pk].extend(pk for pk in members if current.get(pk) != story.pk)
    created = _created(new)
    for story, members in zip(created, (members for _, members in new), strict=True):
        moves[story.pk].extend(members)
        if story.capped:
            result.capped.append(story.pk)
    result.created = len(created)
    backend().update_by_id(Article, "story_id", [(pk, story_id) for story_id, pks in moves.items() for pk in pks])
    emptied = [pk for pk in stories if pk not in claimed]
    if emptied:
        Story.objects.filter(pk__in=emptied).delete()
        result.removed = len(emptied)
    return result


def _created(new):
    """Insert new stories in one statement and return them with their ids."""
    created = Story.objects.bulk_create([story for story, _ in new], batch_size=2000)
    if created and created[0].pk is None:  # a database that does not return ids: read them back
        created = list(Story.objects.order_by("-pk")[: len(new)])[::-1]
    return created


def recluster_all(*, run_into, cap, evidence=None):
    """Cluster every article from the evidence and decisions, and write the stories in bulk
    (the end of a rebuild). Stories keep their ids where most of their articles stay
    together, and with them a lead an editor chose. `evidence`: (a, b, score) of every
    pair, when the caller has them in memory; otherwise read from the edge table."""
    from curation.stories.clustering import cluster_component

    if evidence is None:
        evidence = StoryEdge.objects.values_list("a", "b", "score").iterator(chunk_size=20000)
    edges, apart, together, cannot = {}, defaultdict(set), set(), defaultdict(set)
    for a, b, score in evidence:
        if score > 0:
            edges[(a, b)] = score
        elif score < 0:
            apart[a].add(b), apart[b].add(a)
    for a, b, kind in StoryDecision.objects.values_list("a", "b", "kind"):
        if kind == StoryDecision.Kind.TOGETHER:
            together.add((a, b))
        else:
            cannot[a].add(b), cannot[b].add(a)
    together.update(Article.objects.filter(merged_into__isnull=False).values_list("pk", "merged_into"))
    # Connected components by joining evidence and "together" decisions.
    parent = {}

    def find(x):
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in list(edges) + list(together):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    components = defaultdict(set)
    for node in {n for pair in list(edges) + list(together) for n in pair}:
        components[find(node)].add(node)
    by_node = {}
    for root, members in components.items():
        for node in members:
            by_node[node] = root
    component_edges = defaultdict(dict)
    for pair, score in edges.items():
        component_edges[by_node[pair[0]]][pair] = score
    component_together = defaultdict(list)
    for pair in together:
        component_together[by_node[pair[0]]].append(pair)
    groups, capped = [], []
    for root, members in components.items():
        found, hit = cluster_component(
            members, component_edges[root], must=component_together[root], cannot=cannot, apart=apart, cap=cap
        )
        groups.extend(group for group in found if len(group) > 1)
        capped.extend(hit)
    result = assign_all(groups, capped)
    run_into.created += result.created
    run_into.changed += result.changed
    run_into.removed += result.removed
    run_into.capped.extend(result.capped)


def assign_all(groups, capped_groups):
    """`assign` for the whole table: every article not in `groups` leaves its story."""
    now = timezone.now()
    current = dict(Article.objects.filter(story__isnull=False).values_list("pk", "story_id"))
    stories = {story.pk: story for story in Story.objects.all()}
    grouped = {pk for group in groups for pk in group}
    info = {}
    for start in range(0, len(grouped), 20000):
        info.update(members_info(list(grouped)[start : start + 20000]))
    capped_groups = {frozenset(group) for group in capped_groups}
    result = Assignment(capped=[])
    claimed, moves, updates, new = set(), {}, [], []
    for members in sorted(groups, key=lambda group: (-len(group), min(group))):
        overlap = defaultdict(int)
        for pk in members:
            if current.get(pk) and current[pk] not in claimed:
                overlap[current[pk]] += 1
        story = stories[max(overlap, key=lambda sid: (overlap[sid], -sid))] if overlap else None
        lead = story.lead_id if story is not None and story.lead_by_editor and story.lead_id in members else None
        lead = lead or choose_lead(members, info)
        capped = members in capped_groups
        if story is None:
            new.append((Story(lead_id=lead, size=len(members), capped=capped, created_at=now, updated_at=now), members))
            continue
        claimed.add(story.pk)
        if capped:
            result.capped.append(story.pk)
        moved = [pk for pk in members if current.get(pk) != story.pk]
        if moved or story.size != len(members) or story.lead_id != lead or story.capped != capped:
            story.lead_by_editor = story.lead_by_editor and story.lead_id == lead
            story.lead_id, story.size, story.capped, story.updated_at = lead, len(members), capped, now
            updates.append(story)
            result.changed += 1
        moves.update((pk, story.pk) for pk in moved)
    _update_stories(updates, now)
    created = _created(new)
    for story, (_, members) in zip(created, new, strict=True):
        moves.update((pk, story.pk) for pk in members)
        if story.capped:
            result.capped.append(story.pk)
    result.created = len(new)
    moves.update((pk, None) for pk in current if pk not in grouped)
    backend().update_by_id(Article, "story_id", list(moves.items()))
    emptied = [pk for pk in stories if pk not in claimed]
    for start in range(0, len(emptied), 5000):
        Story.objects.filter(pk__in=emptied[start : start + 5000]).delete()
    result.removed = len(emptied)
    return result


def _update_stories(stories, now):
    """Write the changed stories' fields: one statement a column (and chunk) through the
    database seam; Django's bulk_update builds a CASE expression a row and field, which
    costs more than the writing."""
    database = backend()
    for column in ("lead_id", "lead_by_editor", "size", "capped"):
        database.update_by_id(Story, column, [(story.pk, getattr(story, column)) for story in stories])
    ids = [story.pk for story in stories]
    for start in range(0, len(ids), 20000):
        Story.objects.filter(pk__in_ints=ids[start : start + 20000]).update(updated_at=now)
