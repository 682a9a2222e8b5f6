"""Text features for near-duplicate and same-story detection, in any script.

Latin-script text is split into words and reduced to crude stems (so "recalls", "recalled"
and "recalling" agree); text without spaces (Chinese, Japanese) is cut into character
bigrams, the usual unit for CJK retrieval. Every function bounds its work: a seed body of
megabytes costs the same as one of a few kilobytes, because only its lede is read.
"""

import re
import unicodedata
from functools import lru_cache

__all__ = ["normalise", "stem", "unaccented", "STOPWORDS", "GENERIC_TITLES"]

# How much of a text is read: the lede carries the event; the rest of a long body mostly
# adds background that other stories share.
MAX_CHARS = 800

_QUOTES = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af"
_CJK_RUN = re.compile(f"[{_CJK}]+")
# Letters that carry no accent to strip but are spelt without one in English text ("Øye" /
# "Oye"): a word's term is spelt without accents, so names agree across languages.
_UNACCENTED = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ł": "l", "ı": "i", "þ": "th", "ð": "d"})

# Function words and the words every news item uses: they say nothing about which event.
STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having
    he her here hers herself him himself his how i if in into is it its itself just me more most my myself no
    nor not now of off on once only or other our ours out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself yet via per
    said says say told tell according new news year years week weeks day days today yesterday tomorrow
    monday tuesday wednesday thursday friday saturday sunday time times first last since still may might
    must one two three four five six seven eight nine ten percent cent people report reports reported
    make made get got take took us here's what's it's that's there's don't can't won't isn't
    """.split()
)

# Titles that name a format, not an event: joining two items on them would join unrelated news.
GENERIC_TITLES = frozenset(
    normalised
    for normalised in (
        " ".join(title.split())
        for title in """
        live updates|live|live blog|live coverage|latest updates|latest news|updates|update|breaking news|breaking
        what we know so far|what we know|what you need to know|everything we know|what to know|explainer
        morning briefing|evening briefing|the briefing|briefing|daily briefing|news briefing|morning report
        newsletter|the morning|the evening|the daily|today's headlines|top stories|headlines|news in brief
        opinion|editorial|analysis|comment|commentary|letters|letters to the editor|obituary|obituaries
        podcast|video|watch|photos|in pictures|gallery|as it happened|recap|highlights|results|weather
        five things you need to know to start your day|five things to start your day|the week ahead|week ahead
        stock market today|markets wrap|market wrap|sign up for our newsletter|subscribe|advertisement|untitled
        """.replace("\n", "|").split("|")
    )
    if normalised
)
# Words that make up such titles; a title of nothing but these and numbers is generic too.
_GENERIC_WORDS = frozenset(" ".join(GENERIC_TITLES).split()) | STOPWORDS


def plain_punctuation(text):
    """`text` with typographic quotes and dashes made plain. str.translate with a table is
    fast only for ASCII text; with one curly quote in it, it looks up every character in
    the table one by one, and news text has curly quotes."""
    if text.isascii():
        return text
    for typographic, plain in _QUOTES.items():
        text = text.replace(typographic, plain)
    return text


def normalise(text):
    """NFKC, case-folded, typographic quotes and dashes made plain, whitespace collapsed."""
    if not text:
        return ""
    text = plain_punctuation(unicodedata.normalize("NFKC", text[:MAX_CHARS])).casefold()
    return " ".join(text.split())


@lru_cache(maxsize=131072)  # news repeats its words: most stems come from the cache
def stem(word):
    """A crude English stem: enough for "recall/recalls/recalling" or "scrape/scraping" to
    agree; words of other languages pass through with the same few suffix rules."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 3:
        for suffix in ("ing", "ed", "es", "s", "e", "ly"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
    return word[:6]


def unaccented(word):
    """`word` without accents ("albarrán" -> "albarran", "øye" -> "oye"); weights are still
    read for the word as written, since the word lists spell it so."""
    if word.isascii():
        return word
    stripped = "".join(char for char in unicodedata.normalize("NFKD", word) if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", stripped).translate(_UNACCENTED)
