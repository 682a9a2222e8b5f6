"""Canonical URLs: one spelling for every way a feed, a share button or an AMP cache writes
the address of one article.

`canonical_url` never raises and is idempotent: it takes untrusted text from seed files and
pasted links, and returns either an `https://host/path?query` string or "" when the text is
not an absolute http(s) URL with a host. The rules, and why each is safe for identity:

- scheme and host are case-insensitive (RFC 3986 6.2.2.1); `http` and `https` serve the same
  article on every news site, so both become `https`; `www.`, `m.`, `mobile.` and `amp.` host
  prefixes are dropped, as are default ports, user info and the fragment (never sent to the
  server);
- percent-encoding is normalised (RFC 3986 6.2.2.2): unreserved characters are decoded, the
  remaining escapes upper-cased, and characters that must be escaped are escaped, so
  `caf%c3%a9`, `caf%C3%A9` and `café` agree; dot segments are removed;
- a trailing slash on a non-root path is dropped (`/story/` and `/story` are one article on
  the sites we see; a root path stays `/`);
- tracking parameters (`utm_*`, `fbclid`, `partner`, …) are removed and the rest sorted; a
  parameter that may identify the article (`id`, `p`, `story_fbid`, …) is never in the list;
- AMP forms map to the article: an `amp` path segment, Vox Media's `/platform/amp/` prefix, an
  `.amp` suffix, `?amp=1` / `outputType=amp`, and the AMP caches (`*.cdn.ampproject.org/c/s/…`,
  `/v/s/…`, `google.com/amp/s/…`), which are decoded back to the publisher's URL.

Where a seed gives `webUrl`, `ampWebUrl` and `cdnAmpWebUrl` for one item, `url_aliases`
returns the canonical `webUrl` and the canonical forms of the other two, so an index can map
all of them to the one article even when a publisher's AMP path follows no rule above.
"""

import re
import string
from urllib.parse import urlsplit

from curation.validation import authority_is_sound

__all__ = ["canonical_url", "stored_canonical_url", "url_aliases", "TRACKING_PARAMETERS"]

MAX_URL_LENGTH = 4000
# The longest canonical URL that is stored (and indexed: a B-tree entry must fit a page).
MAX_STORED_LENGTH = 1000
_MAX_AMP_CACHE_DEPTH = 3

# Exact names, compared case-insensitively. Generous, because a kept tracker only costs a
# missed duplicate, but never a name a site uses for the article itself.
TRACKING_PARAMETERS = frozenset(
    {
        # ad and click identifiers
        "fbclid", "gclid", "gclsrc", "dclid", "wbraid", "gbraid", "msclkid", "yclid", "twclid",
        "igshid", "ttclid", "li_fat_id", "epik", "_ga", "_gl",
        # mail campaigns (Mailchimp, HubSpot, Marketo, Vero, Omeda)
        "mc_cid", "mc_eid", "mkt_tok", "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp",
        "hsctatracking", "vero_id", "vero_conv", "oly_enc_id", "oly_anon_id",
        # publishers' own campaign and referral tags
        "partner", "ref", "ref_src", "ref_url", "referrer", "referer", "cmpid", "cmp", "ito",
        "smid", "smtyp", "ocid", "taid", "icid", "intcmp", "int_source", "s_cid", "wt.mc_id",
        "wt_mc_id", "wt.mc_ev", "ns_source", "ns_mchannel", "ns_campaign", "ns_linkname",
        "ns_fee", "sr_share", "soc_src", "soc_trk", "xtor", "ncid", "fsrc", "ftag", "tpcc",
        "dicbo", "guccounter", "guce_referrer", "guce_referrer_sig", "mbid", "trk",
        "trkcampaign", "cmpid_", "rss", "rssfeed", "feature", "share", "shared", "sh",
        "__twitter_impression", "spm", "sc_campaign", "sc_channel", "sc_content", "sc_medium",
        "sc_outcome", "sc_geo", "sc_country", "at_medium", "at_campaign", "at_custom1",
        "at_custom2", "at_custom3", "at_custom4", "cid_source", "ir_campaign", "ir_adid",
        "ir_partnerid", "campaign_id", "ad_id", "adgroupid", "traffic_source",
        # AMP viewers and caches
        "amp_js_v", "amp_gsa", "amp_tf", "ampshare", "usqp", "aoh", "csi", "_js_v",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "pf_rd_", "at_custom", "ga_", "matomo_")
# Parameters that only say "the AMP page" when they carry one of these values.
_AMP_PARAMETERS = {"amp": {"", "1", "true", "yes"}, "outputtype": {"amp"}, "output": {"amp"}}
_HOST_PREFIXES = ("www.", "www1.", "www2.", "m.", "mobile.", "amp.")
_AMP_CACHE_HOST = "cdn.ampproject.org"

_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
# Characters left as they are in a path segment and in a query key or value (RFC 3986
# pchar, minus the separators this module splits on); everything else is escaped.
_PATH_SAFE = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
_QUERY_SAFE = _UNRESERVED | frozenset("!$'()*,;:@/?+")
_HEX = frozenset("0123456789abcdefABCDEF")
_HOST_SHAPE = re.compile(r"[\w-]+(?:\.[\w-]+)*")
_IPV6_SHAPE = re.compile(r"\[[0-9a-f:.]+\]")
# The usual spelling, which _plain_parts reads without urlsplit: a host of ASCII labels (no
# user info, no port, no trailing dot), then a path and a query of characters that need no
# escape (no `%` either), then any fragment. Kept within _PATH_SAFE and _QUERY_SAFE (+ `=&`).
_PLAIN_URL = re.compile(
    r"https?://(?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)"
    r"(?P<path>/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*)?"
    r"(?:\?(?P<query>[A-Za-z0-9\-._~!$'()*,;:@/?+=&]*))?"
    r"(?:#[^\t\r\n]*)?\Z",
    re.IGNORECASE | re.ASCII,  # ASCII: no Kelvin sign or long s matching [A-Za-z]
)


def canonical_url(url):
    """The canonical form of `url` (see the module's rules), or "" if it is not an
    absolute http(s) URL with a host. Never raises."""
    try:
        return _canonical(url, _MAX_AMP_CACHE_DEPTH)
    except (ValueError, UnicodeError):  # urlsplit's and str.encode's verdicts on garbage
        return ""


def stored_canonical_url(url):
    """The canonical URL as stored beside a web URL: "" when there is none or it is too
    long to index (such an item is simply never matched by URL)."""
    canonical = canonical_url(url)
    return canonical if len(canonical) <= MAX_STORED_LENGTH else ""


def url_aliases(web_url, amp_url="", cdn_amp_url=""):
    """(canonical webUrl, frozenset of every canonical form of the three), for an item whose
    seed gives its AMP addresses: an index keys the article by each of them."""
    primary = canonical_url(web_url)
    forms = {primary} | {canonical_url(u) for u in (amp_url, cdn_amp_url)}
    forms.discard("")
    return primary, frozenset(forms)


def _canonical(url, depth):
    if not isinstance(url, str):
        return ""
    url = url.strip()
    # A host or port that is not one (`[::1`, `:99999999`, `xn--zz`) is no URL, as for
    # safe_url: not read as the URL without its port, which is another article's.
    if not url or len(url) > MAX_URL_LENGTH or not authority_is_sound(url):
        return ""
    parsed = _plain_parts(url) or _parts(url)
    if parsed is None:
        return ""
    host, port, path, query = parsed
    if depth and (host.endswith(_AMP_CACHE_HOST) or host == "google.com" and path.startswith("/amp/")):
        publisher = _publisher_url_from_amp_cache(path, query)
        if publisher:
            return _canonical(publisher, depth - 1)
    path = _strip_amp_path(path)
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    kept = sorted(pair for pair in query if not _is_tracking(*pair))
    query_text = "&".join(f"{key}={value}" if has_value else key for key, has_value, value in kept)
    return f"https://{host}{port}{path}" + (f"?{query_text}" if query_text else "")


def _parts(url):
    """(host, port, path, query pairs) of any text, through urlsplit and the rules above, or
    None when it is not an http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return None
    host = _host(parts)
    if not host:
        return None
    return host, _port(parts), _normalise_path(parts.path), _query_pairs(parts.query)


def _plain_parts(url):
    """What _parts gives, for the common spelling only: a plain host name, no user info or
    port, no escapes and no character that needs one (urlsplit and the per-character
    checks cost most of a canonical URL). None for anything else, which _parts reads."""
    match = _PLAIN_URL.match(url)
    if match is None:
        return None
    host, path, query = match.group("host", "path", "query")
    return _without_host_prefixes(host.lower()), "", _normalise_path(path or ""), _query_pairs(query or "")


def _host(parts):
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return ""
    if ":" in host:  # an IPv6 literal: urlsplit gives it without its brackets
        host = f"[{host}]"
        return host if _IPV6_SHAPE.fullmatch(host) else ""
    host = host.lower()
    if not _HOST_SHAPE.fullmatch(host) or "_" in host.split(".")[-1]:
        return ""
    return _without_host_prefixes(host)


def _without_host_prefixes(host):
    if not host.startswith(_HOST_PREFIXES):  # most hosts: no prefix at all
        return host
    stripped = True
    while stripped:
        stripped = False
        for prefix in _HOST_PREFIXES:
            if host.startswith(prefix) and host.count(".") >= 2:
                host, stripped = host[len(prefix) :], True
    return host


def _port(parts):
    try:
        port = parts.port
    except ValueError:  # a port that is not a number or out of range: not part of identity
        return ""
    return "" if port in (None, 80, 443) else f":{port}"


def _normalise_escapes(text, safe):
    """Decode escapes of unreserved characters, upper-case the others, escape what `safe`
    does not allow. Applied to its own output it changes nothing."""
    if set(text) <= safe:  # the common case, checked in C: nothing to decode or escape
        return text
    out = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "%" and i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
            decoded = chr(int(text[i + 1 : i + 3], 16))
            out.append(decoded if decoded in _UNRESERVED else "%" + text[i + 1 : i + 3].upper())
            i += 3
            continue
        if char in safe:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8"))
        i += 1
    return "".join(out)


def _normalise_path(path):
    path = _remove_dot_segments(_normalise_escapes(path, _PATH_SAFE))
    return path if path.startswith("/") else "/" + path


def _remove_dot_segments(path):
    if "." not in path:
        return path
    output = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/".join(output)


def _strip_amp_path(path):
    lowered = path.lower()
    if "amp" not in lowered:  # most paths: none of the forms below can match
        return path
    if path.startswith("/platform/amp/"):
        path = path[len("/platform") :]
    segments = [segment for segment in path.split("/") if segment.lower() != "amp"]
    path = "/".join(segments) or "/"
    if not path.startswith("/"):
        path = "/" + path
    lowered = path.lower()
    while lowered.endswith(".amp") or lowered.endswith(".amp.html"):
        cut = len(".amp") if lowered.endswith(".amp") else len(".amp.html")
        path = path[:-cut] + ("" if cut == len(".amp") else ".html")
        lowered = path.lower()
    return path


def _query_pairs(query):
    """[(key, has_value, value)] with keys and values escape-normalised; a key with no `=`
    stays without one."""
    pairs = []
    for field in query.split("&"):
        if not field:
            continue
        key, sep, value = field.partition("=")
        pairs.append(
            (_normalise_escapes(key, _QUERY_SAFE), bool(sep), _normalise_escapes(value, _QUERY_SAFE | {"="}))
        )
    return pairs


def _decoded_lower(text):
    if "%" not in text:
        return text.lower()
    return re.sub(r"%([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), text).lower()


def _is_tracking(key, has_value, value):
    name = _decoded_lower(key)
    if name in TRACKING_PARAMETERS or name.startswith(_TRACKING_PREFIXES):
        return True
    amp_values = _AMP_PARAMETERS.get(name)
    return amp_values is not None and _decoded_lower(value) in amp_values


def _publisher_url_from_amp_cache(path, query):
    """`/c/s/host/path` (https), `/c/host/path` (http), `/v/s/…`, `/i/s/…` and Google's
    `/amp/s/host/path`, back to the publisher's URL, or "" when the path has no host."""
    segments = path.split("/")[1:]
    if not segments or segments[0] not in ("c", "v", "i", "wp", "amp"):
        return ""
    segments = segments[1:]
    scheme = "http"
    if segments and segments[0] == "s":
        scheme, segments = "https", segments[1:]
    if not segments or "." not in segments[0]:
        return ""
    query_text = "&".join(f"{key}={value}" if has_value else key for key, has_value, value in query)
    return f"{scheme}://" + "/".join(segments) + (f"?{query_text}" if query_text else "")
