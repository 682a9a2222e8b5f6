"""Facts that choose a query plan, remembered per process for a while.

How many articles a topic has, how many match a search, the rowid range of the matches:
the seam reads such facts with one tiny query and picks the query's shape from them. Only
the shape depends on a fact, never which rows come back, so a stale entry costs speed,
not correctness; that is why a per-process memory with a time limit is enough.
"""

import time

MAX_ENTRIES = 1024
SECONDS = 600

_remembered = {}


def remembered(key, compute):
    """compute(), or what it returned under `key` less than SECONDS ago in this process."""
    now = time.monotonic()
    cached = _remembered.get(key)
    if cached is not None and now - cached[1] < SECONDS:
        return cached[0]
    value = compute()
    if len(_remembered) >= MAX_ENTRIES:
        try:  # drop the oldest; another thread may be doing the same
            _remembered.pop(next(iter(_remembered)), None)
        except (StopIteration, RuntimeError):
            pass
    _remembered[key] = (value, now)
    return value


def forget():
    """Drop every remembered fact (tests that change the thresholds start clean)."""
    _remembered.clear()
