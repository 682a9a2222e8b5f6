"""Reads behind the queue's counts and its type-ahead filters: how many items a filter
matches (capped), the new items count for the navigation, providers and topics by name, and
the ids a bulk run over every match covers. (Split from selectors.py, which the queue page
and the article page share.)"""

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Q

from curation.models import Article, Provider, Topic

# --- counts -----------------------------------------------------------------------------

COUNT_CAP = 10_000
NEW_COUNT_TTL = 30
NEW_COUNT_KEY = "curation:queue:new-count"


@dataclass(frozen=True)
class MatchCount:
    """How many rows match, exactly up to `cap`; beyond it only that there are more."""

    count: int
    more: bool  # more than `count` match

    @property
    def text(self):
        return f"{self.count:,}+" if self.more else f"{self.count:,}"


def count_matches(queryset, *, cap=COUNT_CAP):
    """Count at most cap + 1 rows: COUNT(*) over a LIMITed subquery, which stops after
    cap + 1 matches instead of counting a million rows."""
    found = queryset.order_by().values("pk")[: cap + 1].count()
    return MatchCount(min(found, cap), found > cap)


MATCH_COUNT_TTL = 60


GENERATION_KEY = "curation:queue:count-generation"


def _match_count_cache_key(key):
    # The generation changes with every decision made through the curator (see
    # forget_match_counts), so a remembered count never outlives the rows it counted.
    generation = cache.get(GENERATION_KEY, 0)
    return f"curation:queue:count:{generation}:" + hashlib.sha256(key.encode()).hexdigest()[:40]


def forget_match_counts():
    """Every remembered filter count is out of date (items were decided or put back), and
    so is the navigation's new count: the article page said "Queue 3" after a Reject left 2."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, None)
    cache.delete(NEW_COUNT_KEY)


def remembered_match_count(key):
    """A filter's count (`key`: its querystring) if one was taken in the last minute."""
    found = cache.get(_match_count_cache_key(key))
    return MatchCount(*found) if found is not None else None


def remember_match_count(key, counted):
    cache.set(_match_count_cache_key(key), (counted.count, counted.more), MATCH_COUNT_TTL)


def new_items_count():
    """How many items wait in the new queue (for the navigation), cached briefly."""
    found = cache.get(NEW_COUNT_KEY)
    if found is None:
        counted = count_matches(Article.objects.in_queue())
        remember_new_items_count(counted)
        return counted
    return MatchCount(*found)


def remember_new_items_count(counted):
    """The new queue's count, as a page that counted it anyway (the default queue) found it."""
    cache.set(NEW_COUNT_KEY, (counted.count, counted.more), NEW_COUNT_TTL)


# --- providers and topics by name (the queue's type-ahead filters) ------------------------
# (What a filter's value names, merged names followed: services/taxonomy.find_topic, find_providers.)

NAME_MAX_LENGTH = 300
SUGGESTIONS = 12


def provider_suggestions(text, limit=SUGGESTIONS):
    """[(id, label, name)] of providers whose name or domain contains `text`, those starting
    with it first."""
    text = (text or "").strip()[:NAME_MAX_LENGTH]
    if not text:
        return []
    found = (
        Provider.objects.filter(Q(name__icontains=text) | Q(domain__icontains=text))
        .only("pk", "name", "domain")
        .order_by("name", "domain")[: limit * 4]
    )
    folded = text.casefold()
    ranked = sorted(found, key=lambda p: not (p.name.casefold().startswith(folded) or p.domain.casefold().startswith(folded)))
    return [(provider.pk, str(provider), provider.name) for provider in ranked[:limit]]


def topic_suggestions(text, limit=SUGGESTIONS):
    text = (text or "").strip()[:NAME_MAX_LENGTH]
    if not text:
        return []
    found = list(Topic.objects.filter(name__icontains=text).order_by("name").values_list("pk", "name")[: limit * 4])
    folded = text.casefold()
    found.sort(key=lambda pair: not pair[1].casefold().startswith(folded))
    return found[:limit]


def matching_ids(queryset, *, limit):
    """Ids of the rows `queryset` matches (at most `limit` + 1, by id), for a bulk run."""
    return list(queryset.order_by("pk").values_list("pk", flat=True)[: limit + 1])
