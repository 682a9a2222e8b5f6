"""Sizes and shapes every stored value must respect, whoever writes it.

The seed parser, the editorial services and the public outputs all check values against
these, so a limit is the same for an imported title and an edited one. No Django imports:
the import's parse workers load this.
"""

import datetime as dt
import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit

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
_FIRST_MOMENT = dt.datetime(FIRST_YEAR, 1, 1, tzinfo=dt.UTC)
_AFTER_LAST_MOMENT = dt.datetime(LAST_YEAR + 1, 1, 1, tzinfo=dt.UTC)


# The largest seed file an operator may allow (SEED_MAX_BYTES, import_seeds --max-bytes):
# 1 GiB. A file is held in memory whole, several times over (its bytes, their text, the
# copy sent to a parse worker, the parsed values), for every file of a batch, and
# PostgreSQL stores no single value over 1 GB, so a larger file could not be imported
# anyway: a larger limit would only let a file exhaust the server's memory. (10**18 was
# accepted.)
SEED_BYTES_MOST = 1 << 30


def seed_bytes_problem(value):
    """Why `value` cannot be the size of the largest seed file accepted, or None."""
    if 1 <= value <= SEED_BYTES_MOST:
        return None
    return f"must be from 1 to {SEED_BYTES_MOST:,} bytes (1 GiB), not {value:,}"


def within_stored_years(moment):
    """An aware date-time a reader asked to filter by, in UTC and moved inside the years a
    stored date can have: it selects the same rows, and no database adapter overflows on
    `0001-01-01T00:00+14:00` (before year 1 in UTC) or `9999-12-31T23:59-12:00`."""
    try:
        moment = moment.astimezone(dt.UTC)
    except OverflowError:
        return _FIRST_MOMENT if moment.year < FIRST_YEAR else _AFTER_LAST_MOMENT
    return min(max(moment, _FIRST_MOMENT), _AFTER_LAST_MOMENT)


def stored_moment_before(moment, delta):
    """`moment - delta` for a filter on stored dates, or the first moment a stored date can
    have when that is earlier: the same rows, where the subtraction itself would overflow
    (a rule's `age_max_hours` may be 10**9 hours, some 114,000 years)."""
    if delta >= moment - _FIRST_MOMENT:
        return _FIRST_MOMENT
    return moment - delta


# Scheme, optional user info, a non-empty host: what a link or an image source may be;
# and nowhere a control character or a space. One pattern, so one scan of the text.
_HTTP_URL = re.compile(
    r"https?://(?:[^/?#\s@\x00-\x20\x7f]*@)?[^/?#\s@:\x00-\x20\x7f]+[^\x00-\x20\x7f]*\Z", re.IGNORECASE
)


# The usual authority: ASCII labels of 1 to 63 characters, no port (no `xn--` label either:
# checked on the match, cheaper than a lookahead); nothing more to check.
_PLAIN_AUTHORITY = re.compile(r"https?://([A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*)\.?(?:[/?#]|\Z)", re.I | re.A)
_IPV6_AUTHORITY = re.compile(r"\[[^\[\]]*\](?::[0-9]*)?\Z")


def safe_url(value):
    """The URL if it is an absolute http(s) URL with a host, else ''. Only such URLs are
    ever stored or shown as links (never `javascript:` and friends), and only URLs whose
    host and port every reader of URLs can take apart (see _authority_is_sound)."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    if len(value) > MAX_URL_LENGTH or not _HTTP_URL.match(value):
        return ""
    return value if authority_is_sound(value) else ""


def authority_is_sound(url):
    """Whether the host and port of an http(s) URL are ones (see _authority_is_sound); the
    usual spelling is decided by one pattern."""
    plain = _PLAIN_AUTHORITY.match(url)
    if plain is not None and "xn--" not in plain.group(1).lower():
        return True
    return _authority_is_sound(url)


def _authority_is_sound(url):
    """Can urlsplit read the URL, is its port a number from 0 to 65535, its IP literal an
    address and each label of its host a DNS label (1 to 63 characters once IDNA-encoded,
    an `xn--` label valid punycode)? Each of these was accepted once and then raised in
    urlsplit, `.port` or the IDNA codec wherever a stored URL was read again (the feeds'
    image types, a browser's address bar)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
        host = parts.hostname
        if not host:
            return False
        if ":" in host:  # an IPv6 literal; urlsplit ignores what follows its `]` (`[::1]x`)
            ipaddress.IPv6Address(host.partition("%")[0])
            return _IPV6_AUTHORITY.match(parts.netloc.rpartition("@")[2]) is not None
        host = host[:-1] if host.endswith(".") else host
        for label in host.split("."):
            if not label:
                return False
            encoded = label.encode("idna")  # UnicodeError: empty, too long, not mappable
            if encoded[:4].lower() == b"xn--":
                encoded.decode("idna")  # UnicodeError: not punycode
    except (ValueError, UnicodeError):
        return False
    return True


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(text):
    """Whether `text` holds a UTF-16 surrogate on its own (what an escape such as JSON's or
    YAML's "\\ud800" makes): not Unicode text, so no database stores it and no page shows it.
    One test for the seed import, the rules and the admin's JSON."""
    return _LONE_SURROGATE.search(text) is not None


# What shows nothing: controls, format characters (zero-width space and joiners, the byte
# order mark, bidirectional controls, tag characters), separators, lone surrogates, and the
# letters and symbols that render as a blank (Hangul fillers, the blank braille pattern).
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"})
_BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Tag characters end an emoji flag sequence (England's flag is a black flag, then tags):
# kept at the end of a name, though a name of nothing else shows nothing.
_TAGS = range(0xE0020, 0xE0080)


def _invisible(character):
    return character in _BLANK_LOOKALIKES or unicodedata.category(character) in _INVISIBLE_CATEGORIES


def visible_name(value):
    """A name (a topic, a provider, a title) as it is stored: without the invisible
    characters at either end, and "" when nothing visible is left (a name of zero-width
    spaces, byte order marks, combining marks alone): such a name is no name. One rule for
    the import, the editors' forms, the admin and the triage rules."""
    value = value.strip()
    if value.isascii() and value.isprintable():  # the common case: nothing more to take off
        return value
    start, end = 0, len(value)
    while start < end and _invisible(value[start]):
        start += 1
    while end > start and _invisible(value[end - 1]) and ord(value[end - 1]) not in _TAGS:
        end -= 1
    value = value[start:end]
    if all(_invisible(c) or unicodedata.category(c) in ("Mn", "Me") for c in value):
        return ""
    return value
