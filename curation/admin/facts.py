"""What the article changelist's sidebar and count need, read once per request.

The sidebar lists categories, types, the first topics and providers and the date range; the
selected topic's filter picks its plan by the topic's size; the page's count is free when
the only narrowing is a filter whose match count is known. One query (curation.db.queries
.article_list_facts) answers all of it. Django builds the list filters itself, passing
each only the request, so the facts are kept per request here: a weak mapping, gone with
the request, instead of attributes set on the request object.
"""

import weakref
from dataclasses import dataclass, field

from curation.admin.large_tables import COUNT_CAP
from curation.db.queries import article_list_facts

# How many choices a sidebar filter lists before it offers a search box instead.
FILTER_CHOICES_SHOWN = 20
DISTINCT_VALUES_SHOWN = 100

_by_request = weakref.WeakKeyDictionary()


def as_id(value):
    """A primary key from a query-string value, or None (also for numbers no column can hold)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


@dataclass
class ArticleListFacts:
    categories: list = field(default_factory=list)
    types: list = field(default_factory=list)
    topics: list = field(default_factory=list)  # [(id, label)], the first by name
    providers: list = field(default_factory=list)
    first_published: object = None
    last_published: object = None
    selected_topic: tuple | None = None  # (id, name)
    selected_topic_size: int | None = None  # capped at COUNT_CAP + 1
    selected_provider: tuple | None = None  # (id, label)
    # parameter -> how many articles that narrowing alone matches (exact up to the cap, else cap + 1)
    match_counts: dict = field(default_factory=dict)
    # The parameters that narrow the list on this request (set by the changelist).
    narrowing: frozenset = frozenset()

    @classmethod
    def of(cls, request, *, topic_parameter="topic", provider_parameter="provider"):
        facts = _by_request.get(request)
        if facts is None:
            facts = cls.read(as_id(request.GET.get(topic_parameter)), as_id(request.GET.get(provider_parameter)))
            _by_request[request] = facts
        return facts

    @classmethod
    def read(cls, topic_id, provider_id):
        facts = cls()
        rows = article_list_facts(
            distinct_limit=DISTINCT_VALUES_SHOWN,
            choice_limit=FILTER_CHOICES_SHOWN + 1,
            size_limit=COUNT_CAP + 1,
            topic_id=topic_id,
            provider_id=provider_id,
        )
        for kind, key, label, extra in rows:
            if kind == "first":
                facts.first_published = key
            elif kind == "last":
                facts.last_published = key
            elif kind == "category":
                facts.categories.append(key)
            elif kind == "type":
                facts.types.append(key)
            elif kind == "topic":
                facts.topics.append((int(key), label))
            elif kind == "provider":
                facts.providers.append((int(key), f"{label} ({extra})" if extra else label))
            elif kind == "selected_topic":
                facts.selected_topic = (int(key), label)
                facts.selected_topic_size = int(extra)
            elif kind == "selected_provider":
                facts.selected_provider = (int(key), f"{label} ({extra})" if extra else label)
        return facts

    def note_match_count(self, parameter, count):
        """Record how many articles this narrowing alone matches (cap + 1 meaning more)."""
        self.match_counts[parameter] = min(count, COUNT_CAP + 1)

    def known_count(self):
        """The page's count when its only narrowing is one whose count is known, else None:
        counting it again would often be the slowest query of the page."""
        if len(self.narrowing) == 1:
            return self.match_counts.get(next(iter(self.narrowing)))
        return None
