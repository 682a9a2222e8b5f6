"""What the clustering knows about one item: `StoryItem` in, `ItemFeatures` out.

`item_features` is pure, deterministic across processes and cheap (its cost is in
bench/README.md), so an import computes it in its parse workers and sends the result, a
small picklable value, to the writing process with the parsed seed. Its MinHash signature
and band keys depend on the text rules in `text.py` and on the pinned `datasketch` version:
changing either changes the keys, and a stored index must then be rebuilt
(`FEATURES_VERSION` says which rules made a row).
"""

import datetime as dt
import hashlib
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from datasketch import MinHash

from curation.stories import text as textmod
from curation.stories.urls import canonical_url, url_aliases

__all__ = ["StoryItem", "ItemFeatures", "item_features", "FEATURES_VERSION", "NUM_PERM", "BANDS", "ROWS"]

FEATURES_VERSION = 1
NUM_PERM = 64
ROWS = 2  # hash values per LSH band
BANDS = NUM_PERM // ROWS
# Terms fed to MinHash: the title's and the lede's first ones, where the event is named.
SIGNATURE_TERMS = 20
LEDE_TERMS = 80

ARTICLE, RELATED, BODY = "article", "related", "body"


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
    title: str  # normalised
    title_key: int  # 0 for an empty title
    generic_title: bool
    excerpt_key: int  # 0 for an empty excerpt
    excerpt_names_nothing: bool  # no name, no number: could be boilerplate ("Subscribe to read…")
    title_terms: frozenset
    terms: frozenset
    shingles: frozenset
    entities: frozenset
    title_numbers: frozenset
    signature: np.ndarray = field(repr=False)
    band_keys: tuple = field(repr=False)

    @property
    def body_only(self):
        return self.kind == BODY

    def __getstate__(self):  # pickled between processes: the array as bytes
        state = dict(self.__dict__)
        state["signature"] = self.signature.tobytes()
        return state

    def __setstate__(self, state):
        state["signature"] = np.frombuffer(state["signature"], dtype=np.uint32)
        self.__dict__.update(state)


def _hash64(text):
    """A stable signed 64-bit hash (a database bigint), unlike Python's salted hash()."""
    if not text:
        return 0
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big", signed=True) or 1


@lru_cache(maxsize=1)
def _permutations():
    # Made once per process; a MinHash built without them spends most of its time here.
    return MinHash(num_perm=NUM_PERM, seed=1).permutations


def _crc32(data):
    return zlib.crc32(data)


_EMPTY_SIGNATURE = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_BAND_SALT = (np.arange(BANDS, dtype=np.uint64) + np.uint64(1)) * np.uint64(0xC2B2AE3D27D4EB4F)


def signature_of(term_set):
    if not term_set:
        return _EMPTY_SIGNATURE
    minhash = MinHash(num_perm=NUM_PERM, hashfunc=_crc32, permutations=_permutations(), scheme="affine32")
    minhash.update_batch([term.encode("utf-8", "surrogatepass") for term in sorted(term_set)])
    return minhash.hashvalues.astype(np.uint32)


def band_keys_of(signature):
    """One signed 64-bit integer per band: (band number, its ROWS hash values) mixed, so a
    table `(band_key, item)` with an index finds every item sharing a band."""
    if signature is _EMPTY_SIGNATURE:
        return ()
    rows = signature.astype(np.uint64).reshape(BANDS, ROWS)
    with np.errstate(over="ignore"):
        mixed = _BAND_SALT
        for column in range(ROWS):
            mixed = (mixed ^ rows[:, column]) * _MIX
        mixed ^= mixed >> np.uint64(29)
    return tuple(int(value) for value in mixed.view(np.int64))


def _seconds(published):
    if published is None:
        return None
    if isinstance(published, dt.datetime):
        if published.tzinfo is None:
            published = published.replace(tzinfo=dt.UTC)
        return published.timestamp()
    return float(published)


def item_features(item):
    """The features of one `StoryItem`. Bounded work whatever the size of its texts."""
    title = item.title or ""
    excerpt = item.excerpt or ""
    body = item.body or ""
    primary, urls = url_aliases(item.url, item.amp_url, item.cdn_amp_url)
    related = frozenset(canonical_url(url) for url in item.related_urls[:200]) - urls - {""}
    title_terms = textmod.terms(title, limit=30)
    lede_terms = textmod.terms(f"{excerpt}\n{body[: textmod.MAX_CHARS]}", limit=LEDE_TERMS)
    generic = textmod.is_generic_title(title)
    # The title counts for the signature only when it names something; the lede always.
    # Names first: common words shared by unrelated items would make every band collide.
    names = textmod.entities(title, excerpt, body[: textmod.MAX_CHARS])
    signature_terms = set(lede_terms[:SIGNATURE_TERMS]) | (names & set(lede_terms))
    if not generic:
        signature_terms.update(title_terms)
    signature = signature_of(signature_terms)
    normalised_title = textmod.normalise(title)
    return ItemFeatures(
        key=item.key,
        kind=item.kind,
        published=_seconds(item.published),
        provider=(item.provider or "").casefold().removeprefix("www."),
        quality=item.quality,
        url=primary,
        urls=urls,
        related=related,
        parent=item.parent,
        title=normalised_title,
        title_key=_hash64(normalised_title),
        generic_title=generic,
        excerpt_key=_hash64(textmod.normalise(excerpt)),
        excerpt_names_nothing=not textmod.entities(excerpt) and not textmod.numbers(excerpt),
        title_terms=frozenset(title_terms),
        terms=frozenset(title_terms) | frozenset(lede_terms),
        shingles=frozenset(textmod.word_shingles(lede_terms)),
        entities=names,
        title_numbers=textmod.numbers(title),
        signature=signature,
        band_keys=band_keys_of(signature),
    )
