"""Full-text search over articles (title, excerpt, body), for the queue, the admin and lookups.

Both databases understand the same small "web search" syntax, parsed here once: words (all
must match, stemmed), "quoted phrases", `OR` between alternatives and `-word` to exclude a
word. How a parsed query is matched (PostgreSQL's tsvector and GIN index, SQLite's FTS5
table) and which plan suits it is the database seam's business (`curation.db`).

Usage: `search_articles(Article.objects.in_queue(), "climate policy")` returns a filtered
queryset that keeps the caller's ordering; `search(...)` also says how many rows match
when that is known cheaply, and whether to sort the matches rather than walk an index.
"""

import re

from curation.db import Narrowing, backend

# Longer input is cut: nobody types more, and it bounds the work a crafted query can cause.
MAX_QUERY_LENGTH = 300
MAX_TERMS = 32

_TOKEN_RE = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
_WORD_RE = re.compile(r"\w+", re.UNICODE)


def _clean(text):
    # PostgreSQL refuses NUL in text; control characters are noise in a search box.
    text = "".join(ch if ch.isprintable() else " " for ch in (text or ""))
    return text[:MAX_QUERY_LENGTH].strip()


def parse_query(text):
    """The user's text as OR-groups of terms: [[(negated, [word, ...]), ...], ...].

    A term is one word or a quoted phrase (a list of words); punctuation is dropped,
    exactly as the FTS5 and PostgreSQL tokenizers drop it.
    """
    groups, current = [], []
    count = 0
    for match in _TOKEN_RE.finditer(_clean(text)):
        if match.group(2) is not None:
            negated, raw, phrase = bool(match.group(1)), match.group(2), True
        else:
            negated, raw, phrase = bool(match.group(3)), match.group(4), False
        count += 1
        if not phrase and raw.upper() == "OR":
            if current:
                groups.append(current)
                current = []
            continue
        words = _WORD_RE.findall(raw)
        if not words:
            continue
        # A phrase, or a word like "e-mail" that the tokenizers split: its words stay together.
        current.append((negated, words))
        if count >= MAX_TERMS:
            break
    if current:
        groups.append(current)
    return groups


def search(queryset, text, *, count_cap=None):
    """A `Narrowing` of `queryset` to the articles matching `text`.

    Empty text leaves the queryset as it is; text with no words (only punctuation) matches
    nothing. With `count_cap`, the narrowing's count is the number of matches (exact up to
    the cap, cap + 1 beyond) where the index can tell it cheaply.
    """
    if not (text or "").strip():
        return Narrowing(queryset)
    groups = parse_query(text)
    if not groups:
        return Narrowing(queryset.none(), 0 if count_cap else None, few=True)
    return backend(queryset.db).search(queryset, groups, count_cap=count_cap)


def search_articles(queryset, text):
    """`queryset` narrowed to articles whose title, excerpt or body match `text`; the
    queryset's ordering is kept."""
    return search(queryset, text).queryset
