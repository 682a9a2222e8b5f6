"""The pair scorer: is this candidate pair one event, another event, or can we not tell?

`score_pair` returns an `Evidence`: a score in [-1, 1] and the reason. A positive score
joins (higher is surer), `APART` (-1) keeps the pair apart even through a third item, and 0
says nothing. Explicit evidence (the same canonical URL, a related entry naming the other)
beats text. Text is judged by a small logistic model over general signals (`signals`):
how much of the two headlines and of the two texts agree, weighted by how rare the shared
words are (rarity.py), split into shared names (who, where) and shared other words and
figures (what happened), whether both headlines state figures and none agree, whether one
is a near-copy of the other, the time between them, whether one outlet wrote both, and
whether the two headlines share only names (who, where) and nothing of what happened: on
one day often one event told in two languages, a few days apart often one company's or
town's other news. Its coefficients were fitted on every part of the labelled corpus
(`scripts/fit_story_scorer.py`); how well that carries to unseen text is measured by
leaving one part out at a time (`scripts/story_lopo.py`, figures in bench/README.md), and
the join probability was chosen on that measure. They are, with the format-title thresholds (chosen on the third tuning
part), the only numbers here that came from data.

Rules before the model: one outlet's title on another day (a recurring column, or a dated
one: "Axios AM — June 4, 2024") stays apart; so do two headlines of two kinds of event a
trading day or more apart (a recall and a launch, or a share move and the event it names:
one company's news of the week); a format title ("What we know so far") joins only a
near-copy or a headline its text is mostly about; two headlines that share no telling word are
two events unless one lede copies the other (a wire story under a rewritten headline) or their
texts share rare terms and the model is sure (`ScoringConfig.veto_yield_probability`); and
text joins only on two shared terms or more, a company's name with its kind ("Lumora Bio")
counting once, since one name is shared by all of that company's news. A pair the text does
not join may still join weakly on what survives translation: a rare name with a figure, or
one kind of event with a name or a figure (`_names_and_figures`).

Text counts only within the time window; past it, text that would join marks the same kind
of event on another occasion (a rate decision a month later), which must not join through
a third item either.
"""

import math
from dataclasses import dataclass

from curation.stories import text as textmod
from curation.stories.kinds import KIND_TERMS, MARKET_TERMS, event_kinds

__all__ = ["Evidence", "ScoringConfig", "comparable", "score_pair", "signals", "shared_terms", "SIGNALS", "APART", "SAME_URL", "RELATED"]

APART = -1.0
SAME_URL = 1.0
RELATED = 0.95
HOUR = 3600.0
# Text scores stay below explicit evidence, so clustering takes explicit joins first.
TEXT_SCALE = 0.9
# Two headlines must share a word at least this rare ("data" is 1.2, "rates" 1.6, a name 6.5).
TITLE_WORD_WEIGHT = 1.5
# Two headlines that share no such word may still be one event when their texts say so
# strongly (ScoringConfig.veto_yield_probability): headlines in two languages, or a
# tabloid's and a business paper's titles for one takeover. Their texts must then share at
# least this many terms this rare (names, figures, uncommon words).
VETO_YIELD_WEIGHT = 2.5
VETO_YIELD_TERMS = 2
# An item without a headline (a body-only item) must share a word at least this rare: a
# name, a figure, a word few texts use (its common words may be a template's boilerplate);
# or several words each at least fairly rare (a judge's common name, the court, the law).
ANCHOR_WEIGHT = 3.5
ANCHOR_SEVERAL_WEIGHT = 2.5
ANCHOR_SEVERAL_TERMS = 3

# Names, figures and kinds: two items in two languages share little text but the event's
# names and figures ("Kestova recalls 140,000 SUVs" / "Kestova ruft 140.000 SUV zurück") and
# the kind of event their headlines name ("Grève SNCF" / "French rail strike"). A pair the
# text does not join still joins, weakly (the clustering asks for support), within this many
# hours and unless the two headlines state figures that all differ, on a shared name at least
# this rare with a specific figure (not a year or a small count) one headline states, or on
# one kind of event in both headlines with a shared name or a figure both headlines state.
ANCHOR_NAME_WEIGHT = 2.5  # a word written as a name ("Arequipa" is 2.8); unwritten as one, RARE_NAME_WEIGHT
RARE_NAME_WEIGHT = 4.5
ANCHOR_FIGURE_WEIGHT = 3.5  # rarity.number_weight of a specific figure
ANCHOR_HOURS = 48.0
# A figure and a kind of event without a shared name (a magnitude 5.2 quake, "四川5.2级地震") is
# weaker: two quakes of one magnitude a day apart are two quakes.
FIGURE_KIND_HOURS = 24.0
ANCHOR_PROBABILITY = 0.7

# A format-titled item joins a headline whose event most of its text is about: at least this
# share of its text's weight, in at least this many terms.
FORMAT_COVERAGE = 0.6
FORMAT_SHARED_TERMS = 5

# Words that name when a thing happened, not what: an outlet's dated column ("Axios AM — June 4,
# 2024") differs from its other days only in these and in figures.
_DATE_WORDS = frozenset(
    textmod.stem(word)
    for word in (
        "january february march april may june july august september october november december "
        "jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday "
        "saturday sunday"
    ).split()
)
# A company's name is often two words ("Lumora Bio", "Selwyn Pharmaceuticals"): the second
# says what kind of company, and sharing both is sharing one name, not two telling words.
_NAME_SUFFIXES = frozenset(
    textmod.stem(word)
    for word in (
        "bio pharma pharmaceuticals inc corp group holdings airlines airways bank insurance motors "
        "energy technologies tech labs therapeutics capital studios media systems co ltd plc ag sa"
    ).split()
)

# What kind of event a headline reports (kinds.py), for the few kinds one company, product or
# town has several of in a week. Two headlines of different kinds a trading day or more apart
# are two events, whatever names they share ("Pellix recalls 80,000 e-bike batteries" /
# "Pellix launches a cheaper Metro e-bike"). A headline that reports a share-price move
# ("Orrin Pharma shares jump 12% after obesity pill trial") is the market's reaction: on the
# day of the event part of its story, on a later day news of its own that names the event.
# From this many hours apart, headlines of two kinds are two events.
OTHER_KIND_HOURS = 12.0

SIGNALS = (
    "title_overlap",
    "text_overlap",
    "text_cosine",
    "shared_names",
    "shared_other",
    "rarest_shared",
    "title_figures_differ",
    "near_copy",
    "hours_apart",
    "same_outlet",
    "rare_shared",
    "title_event_overlap",
    "title_names_only",
    "title_names_only_hours",
)
# Fitted by scripts/fit_story_scorer.py on every part of the corpus (the last is the intercept).
COEFFICIENTS = (0.77, 1.73, 1.11, 1.41, 1.79, 0.89, -0.42, -2.26, -3.78, -2.21, 1.02, 1.47, 1.55, -2.5, -1.18)


@dataclass(frozen=True)
class ScoringConfig:
    window_hours: float = 72.0
    # The probability from which a pair joins, chosen by leaving one part of the corpus out at
    # a time (scripts/story_lopo.py --grid): precision first.
    join_probability: float = 0.75
    coefficients: tuple = COEFFICIENTS
    # A body-only item has no headline, so every headline signal is zero for its pairs and
    # the model's probability runs low for them: they join from this one, chosen the same way.
    body_join_probability: float = 0.65
    # Two headlines that share no telling word join only from this one (and on shared rare
    # terms, VETO_YIELD_*), chosen the same way.
    veto_yield_probability: float = 0.9


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

    @property
    def explicit(self):
        return self.score >= RELATED


NOTHING = Evidence(0.0, "")
DEFAULT_CONFIG = ScoringConfig()


def _shared_weight(terms, a, b):
    a_weights, b_weights = a.weights, b.weights
    return sum([a_weights[term] if a_weights[term] < b_weights[term] else b_weights[term] for term in terms])


def _sum(terms, weights):
    return sum([weights[term] for term in terms])


def _lede_jaccard(a, b):
    """Weighted Jaccard index of the two ledes: near-copies (syndicated wire text) share most."""
    shared = a.lede_terms & b.lede_terms
    if not shared:
        return 0.0
    inter = _shared_weight(shared, a, b)
    return inter / (a.lede_weight + b.lede_weight - inter)


def _terms_compared(item, boilerplate):
    """The item's terms and their weight, less what says nothing about the event: a
    format title's words, or all but the title when the excerpt is boilerplate."""
    if boilerplate:
        return item.title_terms, item.title_weight
    if item.generic_title:
        terms = item.lede_terms
        return terms, item.lede_weight
    return item.title_terms | item.lede_terms, item.total_weight


def signals(a, b, near_copy=None):
    """The text signals of a pair (see SIGNALS), each roughly in [0, 1], or None when the
    two share nothing."""
    boilerplate = bool(a.excerpt_key) and a.excerpt_key == b.excerpt_key and a.excerpt_names_nothing and a.title_key != b.title_key
    # One boilerplate excerpt ("Subscribe to read…") under two headlines: only the headlines
    # can tell.
    a_terms, a_total = _terms_compared(a, boilerplate)
    b_terms, b_total = _terms_compared(b, boilerplate)
    shared = a_terms & b_terms
    if not shared:
        return None
    a_total, b_total = a_total or 1.0, b_total or 1.0
    a_weights, b_weights = a.weights, b.weights
    pair_weights = [a_weights[term] if a_weights[term] < b_weights[term] else b_weights[term] for term in shared]
    inter = sum(pair_weights)
    title_overlap = title_event_overlap = names_only = 0.0
    names = a.names | b.names
    if not a.generic_title and not b.generic_title:
        title_shared = a.title_terms & b.title_terms
        if title_shared:
            title_overlap = _shared_weight(title_shared, a, b) / (min(a.title_weight, b.title_weight) or 1.0)
            # The headlines' words other than names: what happened, rather than to whom.
            a_event, b_event = a.title_terms - names, b.title_terms - names
            event_shared = title_shared - names
            if event_shared:
                title_event_overlap = _shared_weight(event_shared, a, b) / (
                    min(_sum(a_event, a.weights), _sum(b_event, b.weights)) or 1.0
                )
            # The headlines share names only: no telling word that is not a name, a company's
            # kind ("Air", "Bio") or a figure.
            telling = [term for term in event_shared - _NAME_SUFFIXES if not term[:1].isdigit()]
            names_only = float(not any(min(a_weights[term], b_weights[term]) >= TITLE_WORD_WEIGHT for term in telling))
    shared_names = _shared_weight(shared & names, a, b) if names else 0.0
    if near_copy is None:
        near_copy = _lede_jaccard(a, b)
    hours = 24.0
    if a.published is not None and b.published is not None:
        hours = abs(a.published - b.published) / HOUR
    spread = math.log1p(hours) / 5
    return (
        title_overlap,
        inter / min(a_total, b_total),
        inter / math.sqrt(a_total * b_total),
        min(shared_names, 20.0) / 10,
        min(inter - shared_names, 20.0) / 10,
        max(pair_weights) / 6.5,
        float(bool(a.title_numbers and b.title_numbers and not (a.title_numbers & b.title_numbers))),
        near_copy,
        spread,
        float(bool(a.provider) and a.provider == b.provider),
        min(sum([weight >= 3.0 for weight in pair_weights]), 5) / 5,
        title_event_overlap,
        names_only,
        names_only * spread,
    )


def shared_terms(a, b):
    """The terms two items share, rarest first: what an editor is shown as the reason."""
    shared = (a.title_terms | a.lede_terms) & (b.title_terms | b.lede_terms)
    return tuple(sorted(shared, key=lambda term: (-min(a.weights[term], b.weights[term]), term)))


def probability(values, coefficients=COEFFICIENTS):
    z = coefficients[-1] + sum(c * v for c, v in zip(coefficients, values, strict=False))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _day(features):
    return int(features.published // 86400) if features.published is not None else None


def _dated_column(a, b):
    """One outlet's dated column on two days: the headlines differ only in dates and figures
    and at least one states a date ("Axios AM — June 4, 2024" / "… June 5, 2024")."""
    if a.title_key == b.title_key or not a.provider or a.provider != b.provider or _day(a) == _day(b):
        return False
    dated = a.title_terms & _DATE_WORDS or b.title_terms & _DATE_WORDS or any(
        len(term) == 4 and term[:2] in ("19", "20") and term.isdigit() for term in a.title_terms | b.title_terms
    )
    if not dated:
        return False
    a_rest = {term for term in a.title_terms if not term[:1].isdigit()} - _DATE_WORDS
    b_rest = {term for term in b.title_terms if not term[:1].isdigit()} - _DATE_WORDS
    return bool(a_rest) and a_rest == b_rest


def _other_kind_later(a, b):
    """Headlines of two kinds of event (or a share move and the event it names), a trading
    day or more apart."""
    if a.published is None or b.published is None or abs(a.published - b.published) < OTHER_KIND_HOURS * HOUR:
        return False
    a_terms, b_terms = a.title_terms & KIND_TERMS, b.title_terms & KIND_TERMS
    if not (a_terms and b_terms or a_terms & MARKET_TERMS or b_terms & MARKET_TERMS):
        return False  # most headlines name no kind: the quick answer
    a_kinds, b_kinds = event_kinds(a_terms), event_kinds(b_terms)
    if ("market" in a_kinds) != ("market" in b_kinds):
        return True
    return bool(a_kinds and b_kinds) and not a_kinds & b_kinds


def _about_one_event(formatted, other):
    """Most of the format-titled item's text (by weight) is shared with the other item, in
    several telling terms: its text is about that item's event, not a digest of many."""
    shared = formatted.lede_terms & other.terms
    if len(shared - _NAME_SUFFIXES) < FORMAT_SHARED_TERMS:
        return False
    return _shared_weight(shared, formatted, other) >= FORMAT_COVERAGE * formatted.lede_weight


def _telling_shared(a, b):
    """How many terms the two share, counting a company's name with its kind ("Lumora Bio") once."""
    shared = (a.title_terms | a.lede_terms) & (b.title_terms | b.lede_terms)
    return len(shared - _NAME_SUFFIXES)


def _rare_shared_count(a, b, weight):
    """How many terms the two share that are at least this rare in both."""
    a_weights, b_weights = a.weights, b.weights  # every term of the title and the lede
    return sum([a_weights[term] >= weight and b_weights[term] >= weight for term in a_weights.keys() & b_weights.keys()])


def _anchored_by_several(a, b):
    """The two share ANCHOR_SEVERAL_TERMS terms, each at least ANCHOR_SEVERAL_WEIGHT rare."""
    return _rare_shared_count(a, b, ANCHOR_SEVERAL_WEIGHT) >= ANCHOR_SEVERAL_TERMS


def _names_and_figures(a, b):
    """Within ANCHOR_HOURS, headlines whose figures do not disagree, and a shared rare name
    with a specific figure one headline states, or one kind of event named in both headlines
    (kinds.py, in any language) with a shared rare name or (within FIGURE_KIND_HOURS) a
    figure both headlines state."""
    # Most headlines state no figure and name no kind: the quick answer.
    a_kind_terms = a.title_terms & KIND_TERMS
    if not (a.title_numbers or b.title_numbers or a_kind_terms):
        return False
    if a.generic_title or b.generic_title or a.published is None or b.published is None:
        return False
    hours = abs(a.published - b.published) / HOUR
    if hours > ANCHOR_HOURS or a.title_numbers and b.title_numbers and not a.title_numbers & b.title_numbers:
        return False
    a_weights, b_weights = a.weights, b.weights
    figures = [
        term
        for term in (a.title_numbers & b.terms if a.title_numbers else set()) | (b.title_numbers & a.terms if b.title_numbers else set())
        if min(a_weights[term], b_weights[term]) >= ANCHOR_FIGURE_WEIGHT
    ]
    if not figures and not a_kind_terms:
        return False
    names = a.names | b.names
    name = any(
        term not in _NAME_SUFFIXES
        and not term[:1].isdigit()
        and (min(a_weights[term], b_weights[term]) >= RARE_NAME_WEIGHT
             or min(a_weights[term], b_weights[term]) >= ANCHOR_NAME_WEIGHT and term in names)
        for term in (a.title_terms | a.lede_terms) & (b.title_terms | b.lede_terms)
    )
    if name and figures:
        return True
    both_titles = any(term in a.title_terms and term in b.title_terms for term in figures)
    if not (name or both_titles and hours <= FIGURE_KIND_HOURS) or not a_kind_terms:
        return False
    a_kinds = event_kinds(a_kind_terms)
    return bool(a_kinds) and bool(a_kinds & event_kinds(b.title_terms & KIND_TERMS))


def comparable(a, b):
    """`a` and `b` as they are compared: two items that both spell CJK text in Latin letters
    (romanize.py) compare without those spellings, since they share the characters already."""
    if a.romanized and b.romanized:
        return a.plain(), b.plain()
    return a, b


def score_pair(a, b, config=None, *, explain=True):
    """Evidence about features `a` and `b`; with `explain`, the shared terms that tell why
    (for editors: the clustering itself needs only the score)."""
    a, b = comparable(a, b)
    evidence = _score_pair(a, b, config or DEFAULT_CONFIG, explain)
    if evidence is NOTHING and _names_and_figures(a, b):
        return Evidence(round(TEXT_SCALE * ANCHOR_PROBABILITY, 4), "shared names and figures", shared_terms(a, b)[:8] if explain else ())
    return evidence


def _score_pair(a, b, config, explain):
    if a.urls & b.urls:
        return Evidence(SAME_URL, "same canonical URL", tuple(sorted(a.urls & b.urls)))
    if a.related & b.urls or b.related & a.urls or a.parent == b.key or b.parent == a.key:
        return Evidence(RELATED, "listed as related coverage")
    same_title = a.title_key == b.title_key and a.title_key != 0
    if same_title and a.provider and a.provider == b.provider and _day(a) != _day(b):
        # A recurring column: one outlet, one title, another day.
        return Evidence(APART, "recurring title on another day")
    if _dated_column(a, b):
        return Evidence(APART, "dated column on another day")
    if _other_kind_later(a, b):
        return Evidence(APART, "another kind of event on another day")
    vetoed = bool(a.title_terms and b.title_terms) and not (a.generic_title or b.generic_title) and not any(
        min(a.weights[term], b.weights[term]) >= TITLE_WORD_WEIGHT for term in a.title_terms & b.title_terms
    )
    near_copy = _lede_jaccard(a, b)
    copied = near_copy >= 0.5 and not (a.excerpt_key == b.excerpt_key and a.excerpt_names_nothing)
    vetoed = vetoed and not copied
    if vetoed and _rare_shared_count(a, b, VETO_YIELD_WEIGHT) < VETO_YIELD_TERMS:
        # Two headlines that name something and share no telling word: an outlet's own
        # summary of the event says they are different events, whatever common text they
        # share (a template's boilerplate paragraphs, an agency's standard lines), unless
        # one lede is a copy of the other (a wire story under a rewritten headline) or the
        # texts share rare names and figures and the model is sure (below).
        return NOTHING
    formatted = [item for item in (a, b) if item.generic_title and item.title_key]
    if formatted and near_copy < 0.5 and not (len(formatted) == 1 and _about_one_event(formatted[0], b if formatted[0] is a else a)):
        # A format title ("Live updates", "Morning briefing") names no event, and such an
        # item (a digest) mentions many: it joins only a near-copy of itself, or a headline
        # its text is mostly about ("What we know so far" over the quake's own lede).
        return NOTHING
    values = signals(a, b, near_copy)
    if values is None:
        return NOTHING
    body_only = a.body_only or b.body_only
    if body_only and values[5] * 6.5 < ANCHOR_WEIGHT and not _anchored_by_several(a, b):
        return NOTHING
    p = probability(values, config.coefficients)
    if p < (config.body_join_probability if body_only else config.join_probability):
        return NOTHING
    if vetoed and p < config.veto_yield_probability:
        return NOTHING
    if not copied and _telling_shared(a, b) < 2:
        # One shared word, however rare (a company's name), is not one event: the same
        # company's other news of the week shares it too.
        return NOTHING
    shared = shared_terms(a, b)[:8] if explain else ()
    if a.published is not None and b.published is not None and abs(a.published - b.published) > config.window_hours * HOUR:
        return Evidence(APART, "similar text, too far apart in time", shared)
    return Evidence(round(TEXT_SCALE * p, 4), "near-copy" if near_copy >= 0.5 else "similar text", shared)
