"""What the clustering knows about one item: `StoryItem` in, `ItemFeatures` out.

`item_features` is pure, deterministic across processes and cheap (its cost is in
bench/README.md): it reads the title, the excerpt and the first few hundred characters of
the body once, so an import computes it in its parse workers and sends the small result to
the writing process. `ItemFeatures.to_blob` / `from_blob` store it compactly, so items that
are already indexed are compared without reading or analysing their text again.

`keys` are what a new item is looked up by: a few of its rarest terms (an index row each),
so two items that share a rare name, place or figure find each other whatever else their
texts say, while common words, which would make every item a candidate of every other,
never become keys. Changing the text rules changes the keys: `FEATURES_VERSION` says which
rules made a stored row, and a stored index of another version must be rebuilt.
"""

import datetime as dt
import hashlib
import json
import re
import unicodedata
import zlib
from dataclasses import dataclass

from curation.stories import rarity, terms
from curation.stories import text as textmod
from curation.stories.romanize import romanized
from curation.stories.urls import canonical_url, url_aliases

__all__ = [
    "StoryItem",
    "ItemFeatures",
    "item_features",
    "FEATURES_VERSION",
    "term_key",
    "related_space",
    "is_related_space",
    "title_lookup_key",
]

FEATURES_VERSION = 5
ARTICLE, RELATED, BODY = "article", "related", "body"

# How much text is read: the title, the excerpt and the lede carry the event; the rest of a
# long body mostly adds background other stories share, and would cost time on every import.
LEDE_CHARS = 300
# Words read at most (a word is the costly unit: each is looked up in the stem and rarity
# caches), from the title and from the excerpt and lede.
TITLE_WORDS = 40
LEDE_WORDS = 80
# Keys: the rarest terms of an item, at most KEY_TERMS, none commoner than KEY_MIN_WEIGHT
# ("bank" is 1.3, "insulin" 2.7, an unknown name 6.5: see rarity.py).
KEY_TERMS = 8
KEY_MIN_WEIGHT = 2.0
MAX_RELATED_URLS = 200

_CJK = textmod._CJK
_CJK_RUN = textmod._CJK_RUN
# Words, figures ("4.25", "46%") and runs of CJK characters: `\w` is several times quicker
# than spelling out letters and digits; the rare token that mixes scripts is split after.
_WORDS = re.compile(r"\w+(?:[.,']\w+)*%?")
_MIXED = re.compile(rf"\d+(?:[.,]\d+)*%?|[{_CJK}]+|[^\W\d_{_CJK}]+(?:'[^\W\d_{_CJK}]+)?")
# Capitalised words (Latin scripts: the others have no capitals), with what ends a sentence
# before them when it does: there a capital says nothing.
_CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-Þ][\w']+")
_SENTENCE_INITIAL = re.compile(r"[.!?\"\n:]\s*([A-ZÀ-ÖØ-Þ][\w']+)")

# Key spaces: a term key, a related-coverage entry's term key and a title key never collide.
_TERM_SPACE = 1 << 32
_TITLE_SPACE = 2 << 32
_RELATED_SPACE = 3 << 32
# An article is also keyed by the rarest terms of the entries it lists as related coverage,
# in a space of its own that only body-only items look in: such an item may be the text of
# one of those entries (its only way into a story); the entries are then compared with it.
RELATED_KEY_TERMS = 8
RELATED_WORDS = 160


@dataclass(frozen=True)
class StoryItem:
    """One item as the caller has it: an article, a related-coverage entry (`parent` is the
    key of the article that lists it) or a body-only item (only `body`). `key` is any
    hashable, sortable value unique among items (an article id, ("related", id), …)."""

    key: object
    kind: str = ARTICLE
    title: str = ""
    excerpt: str = ""
    body: str = ""
    url: str = ""
    amp_url: str = ""
    cdn_amp_url: str = ""
    published: dt.datetime | float | None = None
    provider: str = ""
    quality: int | None = None
    related_urls: tuple = ()
    parent: object = None
    # Titles and excerpts of the entries an article lists as related coverage.
    related_texts: tuple = ()
    # Canonical forms of `url` and `related_urls` when the caller has them already (the
    # import computes them for its rows); computed here otherwise.
    canonical_url: str | None = None
    canonical_related: tuple | None = None


@dataclass(frozen=True, eq=False)
class ItemFeatures:
    key: object
    kind: str
    published: float | None  # POSIX seconds
    provider: str
    quality: int | None
    url: str  # canonical webUrl, "" if none
    urls: frozenset  # every canonical address of the item (webUrl and its AMP forms)
    related: frozenset  # canonical URLs this item names as related coverage (never its own)
    parent: object
    title_key: int  # a stable hash of the normalised title, 0 for an empty one
    generic_title: bool  # "Live updates", "Opinion", "🔥", "2024": names no event
    excerpt_key: int  # 0 for an empty excerpt
    excerpt_names_nothing: bool  # no name, no number: could be boilerplate ("Subscribe to read…")
    title_terms: frozenset
    lede_terms: frozenset
    weights: dict  # term -> weight, for every term of the title and the lede
    names: frozenset  # terms that were written as names
    title_numbers: frozenset  # specific figures stated in the title
    keys: tuple  # lookup keys (64-bit): the rarest terms, rarest first, then the rarest Latin
    # spellings of the title's CJK names, then the outlet's title, then the related entries'
    # rarest terms (in their own space, see related_space)
    # Terms that are only Latin spellings of CJK text (romanize.py): they are for matching
    # Latin-script items, and two items that both have them compare without them (`plain`).
    romanized: frozenset = frozenset()
    # Sums of the weights of the title's, the lede's and all terms (every pair needs them).
    title_weight: float = 0.0
    lede_weight: float = 0.0
    total_weight: float = 0.0

    def __post_init__(self):
        weights = self.weights
        object.__setattr__(self, "title_weight", sum(weights[term] for term in self.title_terms))
        object.__setattr__(self, "lede_weight", sum(weights[term] for term in self.lede_terms))
        object.__setattr__(self, "total_weight", sum(weights.values()))

    def plain(self):
        """These features without the Latin spellings of CJK text (computed once)."""
        plain = self.__dict__.get("_plain")
        if plain is None:
            drop = self.romanized
            plain = ItemFeatures(
                key=self.key,
                kind=self.kind,
                published=self.published,
                provider=self.provider,
                quality=self.quality,
                url=self.url,
                urls=self.urls,
                related=self.related,
                parent=self.parent,
                title_key=self.title_key,
                generic_title=self.generic_title,
                excerpt_key=self.excerpt_key,
                excerpt_names_nothing=self.excerpt_names_nothing,
                title_terms=self.title_terms - drop,
                lede_terms=self.lede_terms - drop,
                weights={term: weight for term, weight in self.weights.items() if term not in drop},
                names=self.names - drop,
                title_numbers=self.title_numbers,
                keys=self.keys,
            )
            object.__setattr__(self, "_plain", plain)
        return plain

    @property
    def body_only(self):
        return self.kind == BODY

    @property
    def terms(self):
        return self.title_terms | self.lede_terms

    # -- storage ---------------------------------------------------------------------------
    def to_blob(self):
        """The text features as compact JSON (the key, URLs, date, outlet and quality are
        stored as columns of their own): JSON because the C decoder reads it in a few
        microseconds, and it can carry nothing but data."""
        flags = int(self.generic_title) | int(self.excerpt_names_nothing) << 1
        return json.dumps(
            [
                FEATURES_VERSION,
                flags,
                self.title_key,
                self.excerpt_key,
                self.weights,
                sorted(self.title_terms),
                sorted(self.lede_terms),
                sorted(self.names),
                sorted(self.title_numbers),
                list(self.keys),
                sorted(self.romanized),
            ],
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_blob(cls, blob, *, key, kind, published, provider, quality, urls=(), related=(), parent=None, url=""):
        values = json.loads(blob)
        if not isinstance(values, list) or not values or values[0] != FEATURES_VERSION:
            raise ValueError(f"features of another version than {FEATURES_VERSION}: rebuild the index")
        _version, flags, title_key, excerpt_key, weights, title, lede, names, numbers, keys, spelt = values
        return cls(
            key=key,
            kind=kind,
            published=published,
            provider=provider,
            quality=quality,
            url=url,
            urls=frozenset(urls),
            related=frozenset(related),
            parent=parent,
            title_key=title_key,
            generic_title=bool(flags & 1),
            excerpt_key=excerpt_key,
            excerpt_names_nothing=bool(flags & 2),
            title_terms=frozenset(title),
            lede_terms=frozenset(lede),
            weights=weights,
            names=frozenset(names),
            title_numbers=frozenset(numbers),
            keys=tuple(keys),
            romanized=frozenset(spelt),
        )


def _hash64(text):
    """A stable signed 64-bit hash (a database bigint), unlike Python's salted hash()."""
    if not text:
        return 0
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True) or 1


def term_key(term):
    """The lookup key of a term: the same in every process and on every run."""
    return _TERM_SPACE | zlib.crc32(term.encode("utf-8", "surrogatepass"))


def related_space(key):
    """The key a body-only item looks up related-coverage entries by, for one of its term keys."""
    return _RELATED_SPACE | (key & 0xFFFFFFFF)


def is_related_space(key):
    return key >> 32 == _RELATED_SPACE >> 32


def title_lookup_key(outlet_title_hash):
    """The lookup key of one outlet's title (finds a recurring column's other days)."""
    return _TITLE_SPACE | (outlet_title_hash & 0xFFFFFFFF)


def _seconds(published):
    if published is None:
        return None
    if isinstance(published, dt.datetime):
        if published.tzinfo is None:
            published = published.replace(tzinfo=dt.UTC)
        return published.timestamp()
    return float(published)


def _prepare(text, limit):
    text = textmod.plain_punctuation(unicodedata.normalize("NFKC", text[:limit]))
    return terms.join_spaced_thousands(text)


def _title_case(text):
    words = [word for word in text.split() if len(word) >= 4 and word[0].isalpha()]
    return bool(words) and sum(word[0].isupper() for word in words) / len(words) > 0.6


class _Analysis:
    """Terms and their weights, and which were written as names, from the title and the lede."""

    __slots__ = ("weights", "capitalised", "names", "title_words", "title_content", "romanized")

    def __init__(self):
        self.weights = {}
        self.romanized = ({}, {})  # per part: Latin spellings of CJK text (romanize.py) -> weight
        self.capitalised = [set(), set()]  # per part (title, lede): terms written with a capital
        self.names = set()
        self.title_words = self.title_content = 0  # words of the title, and those that name something

    def read(self, text, part, limit, names=True):
        """The set of terms of `text`'s first `limit` words, recording weights and (unless
        `names` is false: the related entries' keys need only the weights) names.

        In a Title Case headline every word has a capital, so there capitals say nothing by
        themselves (a word capitalised in the headline and in the text below it is a name
        all the same, see `all_names`)."""
        if not text or limit <= 0:
            return set()
        text = _prepare(text, textmod.MAX_CHARS)
        tokens = _WORDS.findall(text.casefold())[:limit]
        if not terms.SCALE_WORDS.keys().isdisjoint(tokens):
            tokens = terms.scaled(tokens)
        weights, found = self.weights, set()
        content = 0
        distinct = list(dict.fromkeys(tokens))
        for token, word in zip(distinct, terms.read_words(distinct), strict=True):
            if word is None:
                continue
            if word is terms.HAS_CJK:
                content += self._read_mixed(token, found, self.romanized[part])
                continue
            term, weight, names_something = word
            content += names_something
            if weights.get(term, 0.0) < weight:
                weights[term] = weight
            found.add(term)
        if part == 0:
            self.title_words, self.title_content = len(tokens), content
        if not names:
            return found
        all_capitalised = _CAPITALISED.findall(text)
        capitalised = set(all_capitalised)
        if capitalised:
            by_capital = not (part == 0 and _title_case(text))
            # A word seen only at the start of sentences is not known to be a name (one
            # seen there and elsewhere is: the other places count).
            counts = {}
            if by_capital:
                initial = _SENTENCE_INITIAL.findall(text)
                first = _CAPITALISED.match(text.lstrip(" \"'([“‘"))
                if first:
                    initial.append(first.group())
                for word in all_capitalised:
                    counts[word] = counts.get(word, 0) + 1
                for word in initial:
                    counts[word] = counts.get(word, 0) - 1
            known = terms.KNOWN
            for word in capitalised:
                lowered = word.casefold()
                term = known.get(lowered, terms.MISSING)
                if term is terms.MISSING:
                    term = terms.read_word(lowered)
                if term is None or term is terms.HAS_CJK or not term[2] or term[0] not in found:
                    continue
                self.capitalised[part].add(term[0])
                if by_capital and counts.get(word, 0) > 0:
                    self.names.add(term[0])
        return found

    def _read_mixed(self, token, found, spellings):
        """A token with CJK characters: their bigrams, and any Latin word or figure in it.
        Returns how many of its pieces name something."""
        weights, content = self.weights, 0
        pieces = terms.cjk_figures(_MIXED.findall(token))
        for index, piece in enumerate(pieces):
            unit = pieces[index + 1][0] if piece[0].isdigit() and index + 1 < len(pieces) else ""
            if _CJK_RUN.match(piece):
                content += 1
                for pair in [piece] if len(piece) == 1 else [piece[i : i + 2] for i in range(len(piece) - 1)]:
                    if pair not in weights:
                        weights[pair] = rarity.cjk_weight(pair)
                    found.add(pair)
                for spelt in romanized(piece):
                    term = textmod.stem(spelt)
                    spellings[term] = max(spellings.get(term, 0.0), rarity.word_weight(spelt))
            else:
                word = terms.read_word(piece.casefold())
                if word is not None and word is not terms.HAS_CJK:
                    term, weight, names_something = word
                    if unit in terms.CJK_DATES:
                        weight = rarity.DATE_WEIGHT  # "17日", "18일": a day of the month
                    content += names_something
                    weights[term] = max(weights.get(term, 0.0), weight)
                    found.add(term)
        return content

    def spelt(self, title_terms, lede_terms):
        """The Latin spellings of the CJK text that the item does not also write in Latin
        letters, added to its terms and weights: (title terms, lede terms, the spellings)."""
        weights = self.weights
        title_spelt, lede_spelt = ({term for term in part if term not in weights} for part in self.romanized)
        for part in self.romanized:
            for term, weight in part.items():
                if weights.get(term, 0.0) < weight and (term in title_spelt or term in lede_spelt):
                    weights[term] = weight
        # Sorted, as a stored row builds it (the same iteration order: the same weight sums).
        return title_terms | title_spelt, lede_terms | lede_spelt, frozenset(sorted(title_spelt | lede_spelt))

    def all_names(self):
        # Also a word capitalised both in the title and in the text below it.
        return self.names | (self.capitalised[0] & self.capitalised[1])


def _related_keys(texts):
    """Keys (related space) of the rarest terms of the listed entries' titles and excerpts,
    read as one text."""
    analysis = _Analysis()
    found = analysis.read("\n".join(texts)[: RELATED_WORDS * 12], 1, RELATED_WORDS, names=False)
    weights = analysis.weights
    ranked = sorted((term for term in found if weights[term] >= KEY_MIN_WEIGHT), key=lambda t: (-weights[t], t))
    return [related_space(term_key(term)) for term in ranked[:RELATED_KEY_TERMS]]


def _generic_title(normalised, analysis):
    """A title that names a format ("Live updates", "Opinion"), or nothing: empty, only
    figures, symbols and format words ("Update 3", "🔥🔥🔥", "2024"), or one lone word."""
    stripped = normalised.strip(" .:!?-|")
    if not stripped or stripped in textmod.GENERIC_TITLES:
        return True
    return analysis.title_content == 0 or (
        analysis.title_content == 1 and analysis.title_words == 1 and stripped.isascii()
    )


def item_features(item):
    """The features of one `StoryItem`. Bounded work whatever the size of its texts."""
    title = item.title or ""
    excerpt = item.excerpt or ""
    body = item.body or ""
    if item.canonical_url is not None:
        primary = item.canonical_url
        urls = frozenset({primary, *(canonical_url(url) for url in (item.amp_url, item.cdn_amp_url) if url)} - {""})
    else:
        primary, urls = url_aliases(item.url, item.amp_url, item.cdn_amp_url)
    if item.canonical_related is not None:
        related = frozenset(item.canonical_related[:MAX_RELATED_URLS]) - urls - {""}
    else:
        related = frozenset(canonical_url(url) for url in item.related_urls[:MAX_RELATED_URLS]) - urls - {""}
    analysis = _Analysis()
    title_set = frozenset(analysis.read(title, 0, TITLE_WORDS))
    normalised_title = textmod.normalise(title)
    generic = _generic_title(normalised_title, analysis)
    excerpt_terms = analysis.read(excerpt, 1, LEDE_WORDS)
    lede_terms = excerpt_terms | analysis.read(body[: LEDE_CHARS if excerpt else LEDE_CHARS + 200], 1, LEDE_WORDS)
    weights = analysis.weights
    spelt = frozenset()
    if analysis.romanized[0] or analysis.romanized[1]:
        title_set, lede_terms, spelt = analysis.spelt(title_set, lede_terms)
    names = frozenset(analysis.all_names()) | spelt
    title_numbers = frozenset(term for term in title_set if term[:1].isdigit() and weights[term] > 1.0)
    title_key = _hash64(normalised_title)
    # Keys: the rarest terms; a format title's words do not count (they name no event).
    candidates = lede_terms if generic else title_set | lede_terms
    if spelt:
        candidates = candidates - spelt
    # Text without spaces: its character bigrams all weigh the same; the headline's are keys.
    ranked = sorted(
        (term for term in candidates if weights[term] >= KEY_MIN_WEIGHT or term in title_set and _CJK_RUN.match(term)),
        key=lambda t: (-weights[t], t),
    )
    provider = (item.provider or "").casefold().removeprefix("www.")
    keys = [] if item.kind == RELATED else [term_key(term) for term in ranked[:KEY_TERMS]]
    if spelt and item.kind != RELATED:
        # The Latin spellings of the headline's CJK names: how a Latin-script report of the
        # event finds it (through its own rarest terms).
        names_spelt = sorted(
            (term for term in spelt & title_set if weights[term] >= KEY_MIN_WEIGHT), key=lambda t: (-weights[t], t)
        )
        keys.extend(term_key(term) for term in names_spelt[:KEY_TERMS])
    if title_key and provider and item.kind != RELATED:
        # One outlet's title on other days: a recurring column, kept apart (scoring.py).
        keys.append(title_lookup_key(_hash64(f"{provider}\x00{normalised_title}")))
    if item.related_texts:
        keys.extend(_related_keys(item.related_texts))
    excerpt_normalised = textmod.normalise(excerpt)
    return ItemFeatures(
        key=item.key,
        kind=item.kind,
        published=_seconds(item.published),
        provider=provider,
        quality=item.quality,
        url=primary,
        urls=urls,
        related=related,
        parent=item.parent,
        title_key=title_key,
        generic_title=generic,
        excerpt_key=_hash64(excerpt_normalised),
        excerpt_names_nothing=bool(excerpt)
        and not (names & excerpt_terms)
        and not any(term[:1].isdigit() for term in excerpt_terms),
        title_terms=title_set,
        lede_terms=frozenset(lede_terms),
        weights=weights,
        names=names,
        title_numbers=title_numbers,
        keys=tuple(keys),
        romanized=spelt,
    )
