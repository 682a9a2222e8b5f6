"""How much a shared word says: common words little, rare words and names a lot.

Two items about one event share its rare words (a name, a place, a product, a figure);
two unrelated items share common ones. The weight of a word is its rarity in general text,
read from wordfreq's word lists (Wikipedia, news, subtitles, books and the web, in many
languages), not from the items at hand: a fixed table keeps a pair's score independent
of what else has been imported, so clustering in batches gives what a rebuild gives.

The lists of the Latin-script languages news arrives in most are merged (a word common in
any of them counts as common). A word in none of them (a name, a new product) is as rare
as it gets. Text without spaces is compared by character bigrams, which get a fixed,
moderate weight, or less when the bigram is a common word of Chinese, Japanese or Korean
(a particle such as "부터" or "다고", a word such as "成功"): two unrelated Korean reports
share their particles and endings as two English ones share "the" and "said".
"""

import contextlib
import hashlib
import logging
import marshal
import os
import tempfile
import time
from functools import lru_cache
from pathlib import Path

__all__ = [
    "word_weight", "number_weight", "cjk_weight", "warm", "keep_tables_in", "MAX_WEIGHT", "CJK_WEIGHT", "DATE_WEIGHT",
]  # fmt: skip

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "de", "es", "fr", "it", "pt", "nl")
CJK_LANGUAGES = ("zh", "ja", "ko")
# Weights are 6.5 minus the word's Zipf frequency (log10 of occurrences per billion words),
# clamped: "the" (7.7) and "said" (6.1) are near the floor, "bank" (5.2) 1.3, "insulin"
# (3.8) 2.7, an unknown name 6.5.
MAX_WEIGHT = 6.5
MIN_WEIGHT = 0.3
CJK_WEIGHT = 1.5
# Years, small counts and days of the month ("17日", "18일"): they say when, not what.
DATE_WEIGHT = 0.8
# Suffixes tried when a word is missing or rarer than its base form ("evacuates" is rarer
# than "evacuate", but says no more).
_SUFFIXES = ("'s", "s", "es", "ed", "d", "ing", "ly")


# Where the merged tables are kept between processes (keep_tables_in), or None.
_table_folder = None
# Changes whenever what the tables are made of does: a file made another way is not read.
_RECIPE = hashlib.blake2b(repr((LANGUAGES, CJK_LANGUAGES, "small", "zipf+9", 1)).encode(), digest_size=6).hexdigest()


def keep_tables_in(folder):
    """Keep the merged word tables in `folder` (created if missing; None: nowhere), so that a
    process loads them in a tenth of the time it takes to build them from wordfreq's lists
    (an import of a few files spent most of its clustering there). Call before their first use."""
    global _table_folder
    _table_folder = Path(folder) if folder else None


def _zipf_table():
    return _tables()[0]


def _cjk_table():
    return _tables()[1]


@lru_cache(maxsize=1)
def _tables():
    """(Zipf of the words of the Latin-script languages, merged; Zipf of the one- and
    two-character words of Chinese, Japanese and Korean), from the kept file when there is
    one for this version of wordfreq, else built from its lists (and kept)."""
    path = _kept_path()
    if path is not None:
        try:
            tables = marshal.loads(path.read_bytes())
            if isinstance(tables, tuple) and len(tables) == 2 and all(isinstance(t, dict) and t for t in tables):
                return tables
        except (OSError, ValueError, EOFError, TypeError):
            pass  # missing, or not whole: built again below
    tables = _zipf_from_lists(), _cjk_from_lists()
    if path is not None:
        _keep(path, tables)
    return tables


def _kept_path():
    if _table_folder is None:
        return None
    from importlib.metadata import PackageNotFoundError, version

    try:
        return _table_folder / f"wordlists-{version('wordfreq')}-{_RECIPE}.marshal"
    except PackageNotFoundError:  # pragma: no cover - wordfreq without its metadata
        return None


def _keep(path, tables):
    """Write the tables next to where they go, then move them there: a reader sees the whole
    file or none. A folder that cannot be written costs the time saved, nothing else."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".wordlists-")
        with os.fdopen(handle, "wb") as out:
            out.write(marshal.dumps(tables))
        os.replace(temporary, path)
        _forget_others(path)
    except OSError as exc:
        logger.info("word tables not kept in %s: %s", path.parent, exc)
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _forget_others(kept):
    """Remove the tables of other wordfreq versions or recipes beside `kept`: none is read
    again once its version is gone, and each is 4.7 MB. Run only when tables were built, so
    two installations sharing the folder (an upgrade under way) rebuild theirs at most once
    a process, never fail. A temporary file of a writer killed mid-write goes too, once it
    is an hour old (a younger one may be another process's write in progress)."""
    stale_before = time.time() - 3600
    for other in kept.parent.glob("*wordlists-*"):
        if other == kept:
            continue
        with contextlib.suppress(OSError):
            if other.name.endswith(".marshal") and other.name.startswith("wordlists-"):
                other.unlink()
            elif other.name.startswith(".wordlists-") and other.stat().st_mtime < stale_before:
                other.unlink()


def _zipf_from_lists():
    import math

    import wordfreq  # loaded on first use: 0.3-1 s and ~30 MB, paid once per process

    table = {}
    for language in LANGUAGES:
        for word, frequency in wordfreq.get_frequency_dict(language, wordlist="small").items():
            if frequency > table.get(word, 0.0):
                table[word] = frequency
    # Zipf = log10(frequency per word) + 9, computed once per word rather than per call.
    return {word: math.log10(frequency) + 9 for word, frequency in table.items()}


def _cjk_from_lists():
    import math

    import wordfreq

    table = {}
    for language in CJK_LANGUAGES:
        for word, frequency in wordfreq.get_frequency_dict(language, wordlist="small").items():
            if len(word) <= 2 and frequency > table.get(word, 0.0):
                table[word] = frequency
    return {word: math.log10(frequency) + 9 for word, frequency in table.items()}


def warm():
    """Load the word lists now (before forking parse workers, so they share them)."""
    _tables()


@lru_cache(maxsize=65536)
def cjk_weight(pair):
    """The weight of a character bigram: CJK_WEIGHT, less for a common word. A bigram no
    list knows (most: they straddle two words, or spell a name) keeps CJK_WEIGHT, and none is
    raised above it, since a bigram that is a rarer word is as often part of a longer one."""
    zipf = _cjk_table().get(pair)
    if zipf is None:
        return CJK_WEIGHT
    return round(min(CJK_WEIGHT, max(MIN_WEIGHT, MAX_WEIGHT - zipf)), 2)


@lru_cache(maxsize=262144)
def word_weight(word):
    """The weight of a lower-case word (0.3 for the commonest, 6.5 for one no list knows)."""
    table = _zipf_table()
    zipf = table.get(word, 0.0)
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            zipf = max(zipf, table.get(base, 0.0))
            if suffix in ("ed", "ing", "es"):
                zipf = max(zipf, table.get(base + "e", 0.0))
    return round(min(MAX_WEIGHT, max(MIN_WEIGHT, MAX_WEIGHT - zipf)), 2)


def number_weight(number):
    """Years and small counts are everywhere; a figure such as 310000 or 4.25 is specific."""
    try:
        value = float(number)
    except ValueError:
        return 2.0
    if value.is_integer() and (1900 <= value <= 2100 or value < 13):
        return DATE_WEIGHT
    return 3.5
