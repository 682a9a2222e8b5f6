"""The pair scorer: is this candidate pair one event, another event, or can we not tell?

`score_pair` returns an `Evidence`: a score in [-1, 1] and the reasons. A positive score
joins (higher is surer), `APART` (-1) keeps the pair apart even through a third item, and 0
says nothing. Explicit evidence (the same canonical URL, a related entry naming the other)
beats text; text counts only within the time window and only as far as the title and lede
name an event rather than a format.
"""

from dataclasses import dataclass

__all__ = ["Evidence", "ScoringConfig", "score_pair", "APART", "SAME_URL", "RELATED"]

APART = -1.0
SAME_URL = 1.0
RELATED = 0.95
HOUR = 3600.0


@dataclass(frozen=True)
class ScoringConfig:
    window_hours: float = 72.0
    join_threshold: float = 0.45
    title_blend: float = 0.5
    # Weights of a shared term, by what it is: a name or a number says more than a word.
    entity_weight: float = 3.0
    title_weight: float = 2.0
    number_weight: float = 1.5


@dataclass(frozen=True)
class Evidence:
    score: float
    reason: str
    overlap: tuple = ()  # the shared terms, for an editor to see why

    @property
    def joins(self):
        return self.score > 0

    @property
    def apart(self):
        return self.score <= APART


NOTHING = Evidence(0.0, "")
DEFAULT_CONFIG = ScoringConfig()


def _weight(term, a, b, config):
    weight = 1.0
    if term in a.entities or term in b.entities:
        weight = config.entity_weight
    elif term[:1].isdigit():
        weight = config.number_weight
    if term in a.title_terms or term in b.title_terms:
        weight += config.title_weight - 1.0
    return weight


def _similarity(a_terms, b_terms, a, b, config):
    """The mean of the weighted Jaccard index and the weighted overlap coefficient: the
    first rewards two full texts that agree, the second a short item (a headline, a
    related entry) whose every word is in a longer one."""
    if not a_terms or not b_terms:
        return 0.0, ()
    shared = a_terms & b_terms
    if not shared:
        return 0.0, ()
    weights = {term: _weight(term, a, b, config) for term in a_terms | b_terms}
    inter = sum(weights[term] for term in shared)
    union = sum(weights.values())
    smaller = min(sum(weights[term] for term in a_terms), sum(weights[term] for term in b_terms))
    return (inter / union + inter / smaller) / 2, tuple(sorted(shared))


def _day(features):
    return int(features.published // 86400) if features.published is not None else None


def score_pair(a, b, config=None, generic_titles=frozenset()):
    """Evidence about features `a` and `b`. `generic_titles`: title keys the index has seen
    on many unrelated items (the data-driven half of the generic-title rule)."""
    config = config or DEFAULT_CONFIG
    if a.urls & b.urls:
        return Evidence(SAME_URL, "same canonical URL", tuple(sorted(a.urls & b.urls)))
    if a.related & b.urls or b.related & a.urls or a.parent == b.key or b.parent == a.key:
        return Evidence(RELATED, "listed as related coverage")

    a_generic = a.generic_title or a.title_key in generic_titles
    b_generic = b.generic_title or b.title_key in generic_titles
    same_title = a.title_key == b.title_key and a.title_key != 0
    gap = None
    if a.published is not None and b.published is not None:
        gap = abs(a.published - b.published) / HOUR
    same_provider = bool(a.provider) and a.provider == b.provider

    # A recurring column: one provider, one title, another day.
    if same_title and same_provider and _day(a) != _day(b):
        return Evidence(APART, "recurring title on another day")

    a_terms, b_terms = a.terms, b.terms
    near_copy = len(a.shingles & b.shingles) / len(a.shingles | b.shingles) if a.shingles and b.shingles else 0.0
    if a.excerpt_key == b.excerpt_key and a.excerpt_key and a.excerpt_names_nothing and not same_title:
        # One boilerplate excerpt ("Subscribe to read…") under two headlines: only the
        # headlines can tell.
        a_terms, b_terms, near_copy = a.title_terms, b.title_terms, 0.0
    # A format title ("Live updates", "Morning briefing") names no event: its words do not
    # count, and such an item joins only a near-copy of itself (digests mention many events).
    if a_generic and a.title:
        a_terms = a_terms - a.title_terms
    if b_generic and b.title:
        b_terms = b_terms - b.title_terms
    if (a_generic and a.title or b_generic and b.title) and near_copy < 0.5:
        return NOTHING
    similarity, shared = _similarity(a_terms, b_terms, a, b, config)

    if gap is not None and gap > config.window_hours:
        # Too far apart to be one event; if the text is alike, it is the same kind of event
        # another time (a rate decision, a storm), which must not join through a third item.
        return Evidence(APART, "similar text, too far apart in time") if similarity >= config.join_threshold else NOTHING

    if a.title_numbers and b.title_numbers and not (a.title_numbers & b.title_numbers):
        words_a = {term for term in a.title_terms if not term[:1].isdigit()}
        words_b = {term for term in b.title_terms if not term[:1].isdigit()}
        if words_a and len(words_a & words_b) / len(words_a | words_b) >= 0.7:
            return Evidence(APART, "same headline with other numbers", shared)
        similarity *= 0.85

    score = max(similarity, near_copy)
    if not a_generic and not b_generic and len(a.title_terms & b.title_terms) >= 2:
        # Headlines that share two or more names or words are the strongest cue short of a
        # near-copy: a headline is the outlet's own summary of the event.
        title_overlap, _ = _similarity(a.title_terms, b.title_terms, a, b, config)
        score = max(score, (1 - config.title_blend) * similarity + config.title_blend * title_overlap)
    if same_provider and near_copy < 0.5:
        score *= 0.7  # an outlet rarely covers one event twice under two addresses
    if not (a.entities & b.entities) and a.entities and b.entities and near_copy < 0.3:
        score *= 0.8  # both name names, and none in common
    if score >= config.join_threshold:
        return Evidence(round(min(score, 0.9), 4), "similar text" if near_copy < 0.5 else "near-copy", shared)
    return NOTHING
