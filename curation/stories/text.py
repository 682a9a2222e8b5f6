"""Text features for near-duplicate and same-story detection, in any script.

Latin-script text is split into words and reduced to crude stems (so "recalls", "recalled"
and "recalling" agree); text without spaces (Chinese, Japanese) is cut into character
bigrams, the usual unit for CJK retrieval. Every function bounds its work: a seed body of
megabytes costs the same as one of a few kilobytes, because only its lede is read.
"""

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "normalise",
    "terms",
    "word_shingles",
    "entities",
    "numbers",
    "is_generic_title",
    "GENERIC_TITLES",
]

# How much of a text is read: the lede carries the event; the rest of a long body mostly
# adds background that other stories share.
MAX_CHARS = 800
MAX_TERMS = 120

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_TOKEN = re.compile(rf"\d+(?:[.,]\d+)*%?|[{_CJK}]+|[^\W\d_]+(?:'[^\W\d_]+)?")
_CAPITALISED = re.compile(r"(?<![.!?:]\s)(?<!^)\b([A-Z][a-zA-Z]+|[A-Z]{2,})\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?\"]\s+)([A-Z][a-zA-Z]+)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")

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


def normalise(text):
    """NFKC, case-folded, typographic quotes and dashes made plain, whitespace collapsed."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).translate(_QUOTES).casefold()
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


def _tokens(normalised):
    for match in _TOKEN.finditer(_THOUSANDS.sub("", normalised)):
        token = match.group()
        if _CJK_RUN.fullmatch(token):
            if len(token) == 1:
                yield token
            else:
                for i in range(len(token) - 1):
                    yield token[i : i + 2]
        else:
            yield token


def terms(text, limit=MAX_TERMS):
    """The content terms of `text`, in order, at most `limit`: stems of words that are not
    stopwords, numbers as written (without thousands separators), CJK character bigrams."""
    out = []
    for token in _tokens(normalise(text)):
        if token[0].isdigit():
            out.append(token.rstrip("%"))
        elif _CJK_RUN.match(token):
            out.append(token)
        elif token not in STOPWORDS and len(token) > 1:
            out.append(stem(token))
        if len(out) >= limit:
            break
    return out


def word_shingles(term_list):
    """Consecutive pairs of content terms: near-copies share most, paraphrases few."""
    return {f"{a} {b}" for a, b in zip(term_list, term_list[1:], strict=False)}


def entities(title, *texts):
    """Stems of names (people, companies, places): words capitalised where capitals mean
    something (not at the start of a sentence, not in a Title Case headline), or
    capitalised both in the title and in the text below it."""
    found, capitalised_in = set(), {}
    for part, text in enumerate((title, *texts)):
        if not text:
            continue
        text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).translate(_QUOTES)
        words = re.findall(r"[A-Za-z]{4,}", text)
        title_case = words and sum(word[0].isupper() for word in words) / len(words) > 0.6
        starts = {m.group(1) for m in _SENTENCE_START.finditer(text)}
        for word in re.findall(r"\b[A-Z][a-zA-Z]+\b|\b[A-Z]{2,}\b", text):
            lowered = word.casefold()
            if lowered in STOPWORDS or lowered in _GENERIC_WORDS:
                continue
            stemmed = stem(lowered)
            capitalised_in.setdefault(stemmed, set()).add(part if part == 0 else 1)
            if not title_case and word not in starts:
                found.add(stemmed)
    found.update(term for term, parts in capitalised_in.items() if len(parts) == 2)
    return frozenset(found)


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def numbers(text):
    """The numbers a title or lede states ("4.25", "310000", "2024"): two items that both
    state numbers and share none are often the same kind of event on another occasion."""
    return frozenset(match.group() for match in _NUMBER.finditer(_THOUSANDS.sub("", normalise(text))))


def is_generic_title(title):
    """True for a title that names a format ("Live updates", "Opinion"), is empty, or is
    only numbers, symbols and format words ("Update 3", "🔥🔥🔥", "2024")."""
    normalised = normalise(title).strip(" .:!?-|")
    if not normalised or normalised in GENERIC_TITLES:
        return True
    words = [token for token in _tokens(normalised) if not token[0].isdigit()]
    if not words:
        return True
    content = [word for word in words if word not in _GENERIC_WORDS]
    return not content or (len(content) == 1 and len(words) == 1 and not _CJK_RUN.match(content[0]))
