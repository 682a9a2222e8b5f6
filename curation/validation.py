"""Sizes and shapes every stored value must respect, whoever writes it.

The seed parser, the editorial services and the public outputs all check values against
these, so a limit is the same for an imported title and an edited one. No Django imports:
the import's parse workers load this.
"""

import re

MAX_URL_LENGTH = 2000
MAX_SHORT_TEXT = 100  # category, type
MAX_NAME = 200  # provider name, topic name
MAX_DOMAIN = 253
INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # what an IntegerField holds on every database
# Dates a source may give (in UTC). Python stops at years 1 and 9999, and a date near either
# end overflows when it is shown in a time zone east or west of UTC, when clustering looks a
# few days around it, or when the admin's date drill-down steps to the next month: a 500 on
# every page that shows it. No news item is dated outside these years.
FIRST_YEAR, LAST_YEAR = 1000, 8999

# Scheme, optional user info, a non-empty host: what a link or an image source may be;
# and nowhere a control character or a space. One pattern, so one scan of the text.
_HTTP_URL = re.compile(
    r"https?://(?:[^/?#\s@\x00-\x20\x7f]*@)?[^/?#\s@:\x00-\x20\x7f]+[^\x00-\x20\x7f]*\Z", re.IGNORECASE
)


def safe_url(value):
    """The URL if it is an absolute http(s) URL with a host, else ''. Only such URLs are
    ever stored or shown as links (never `javascript:` and friends)."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    if len(value) > MAX_URL_LENGTH or not _HTTP_URL.match(value):
        return ""
    return value
