"""Parsing and validation of seed files.

A seed file is a YAML front-matter block between `---` lines followed by the article body;
either part may be missing. Seed files are untrusted: this module turns bytes into a
`ParsedSeed` of plain, validated values, or raises `SeedError` with a reason an operator can
act on. It imports nothing from Django so that worker processes can load it cheaply.
"""

import datetime as dt
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field

import yaml

from curation import safeyaml
from curation.stories.urls import stored_canonical_url
from curation.validation import INT_MAX, INT_MIN, MAX_DOMAIN, MAX_NAME, MAX_SHORT_TEXT, safe_url

# The loader every reader of seed front matter uses (the export reads stored front matter too).
SafeLoader = safeyaml.SeedYAMLLoader

BOM = "\ufeff"
DERIVED_TITLE_LENGTH = 120
MAX_DEPTH = safeyaml.DEFAULT_MAX_DEPTH
# Positions of images and related items are small integers in the database.
MAX_POSITION = 32767


@dataclass(frozen=True)
class SeedLimits:
    """What one seed file may hold. The defaults are the settings' defaults (newsroom/settings.py,
    README "Configuration"); the importer passes the configured values. Over a limit the
    file fails with a reason naming the field, except images and related items, which are
    cut to the limit with a note: the article is still whole without the extra ones."""

    max_title: int = 1_000
    max_excerpt: int = 10_000
    max_body: int = 1_000_000
    max_topics: int = 50
    max_related: int = 100
    max_images: int = 50
    max_depth: int = MAX_DEPTH
    max_yaml_nodes: int = safeyaml.DEFAULT_MAX_NODES


# Matched at the start of a line: `$` with MULTILINE is the end of that line.
_FRONT_MATTER_CLOSE = re.compile(r"(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_SURROGATE = re.compile("[\ud800-\udfff]")


logger = logging.getLogger(__name__)


class SeedError(ValueError):
    """The file cannot be imported; the message says why (and which field, if any)."""

    def __init__(self, message, *, field=None):
        self.field = field
        self.reason = message
        super().__init__(f"field '{field}': {message}" if field else message)


@dataclass
class ParsedImage:
    url: str
    width: int | None = None
    height: int | None = None
    title: str = ""


@dataclass
class ParsedProvider:
    name: str
    domain: str = ""


@dataclass
class ParsedRelated:
    title: str = ""
    excerpt: str = ""
    web_url: str = ""
    url_key: str = ""  # links the coverage to an article we imported from that URL
    canonical_url: str = ""  # web_url in the one spelling of curation.stories.urls
    amp_url: str = ""
    cdn_amp_url: str = ""
    published_at: dt.datetime | None = None
    article_type: str = ""
    provider: ParsedProvider | None = None
    quality: int | None = None
    heat: int | None = None
    # [{"url", "width", "height"}] as the JSON text stored in the coverage row: encoded here,
    # in the parsing process, so the process that writes to the database does not have to.
    images_json: str = "[]"


@dataclass
class ParsedSeed:
    source_key: str
    content_sha256: str
    body_sha256: str
    has_front_matter: bool
    front_matter_raw: str
    title: str
    body: str
    excerpt: str = ""
    category: str = ""
    article_type: str = ""
    web_url: str = ""
    canonical_url: str = ""  # web_url in the one spelling of curation.stories.urls
    amp_url: str = ""
    cdn_amp_url: str = ""
    published_at: dt.datetime | None = None
    quality: int | None = None
    heat: int | None = None
    source_published: bool = False
    secured: str = ""
    provider: ParsedProvider | None = None
    topics: list = field(default_factory=list)
    images: list = field(default_factory=list)
    related: list = field(default_factory=list)
    # Non-fatal findings, e.g. a `javascript:` link that was dropped.
    notes: list = field(default_factory=list)

    @property
    def needs_metadata(self):
        return not self.has_front_matter


def url_key(url):
    """The identity of an article that has a web URL (also used to link related coverage)."""
    return hashlib.sha256(f"url:{url}".encode()).hexdigest()


def body_key(body):
    return hashlib.sha256(f"body:{body}".encode()).hexdigest()


def decode_seed(data):
    """Bytes to text: UTF-8 only, BOM dropped, CRLF and lone CR turned into LF."""
    nul_offset = data.find(b"\x00")
    if nul_offset != -1:
        raise SeedError(f"contains a NUL byte at offset {nul_offset}; seed files are text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SeedError(f"is not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    if text.startswith(BOM):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def split_front_matter(text):
    """Return (front_matter_text or None, body)."""
    first_line, newline, rest = text.partition("\n")
    if first_line.rstrip() != "---":
        return None, text
    closing = _find_closing(rest)
    if closing is None:
        raise SeedError("front matter opened with '---' on line 1 is never closed with a '---' line")
    front_matter = rest[: closing[0]]
    body = rest[closing[1] :]
    if body.startswith("\n"):
        body = body[1:]
    return front_matter, body


def _find_closing(rest):
    """(start, end) of the first line that closes the front matter, '---' or '...' with
    trailing blanks allowed, or None."""
    closing = _match_at_line_start(rest, _FRONT_MATTER_CLOSE, ("---", "..."))
    return closing.span() if closing else None


def _match_at_line_start(text, pattern, starts):
    """The first match of `pattern` at the start of a line that begins with one of
    `starts`. str.find picks the candidate lines, which is many times quicker than a
    multi-line regex search over a 7 KB front matter (46 us -> 3 us). Each start's next
    candidate is remembered and searched for again only once passed, so the whole text
    is scanned once per start whatever the lines hold (searching afresh for every start
    at every candidate made a file of 400,000 '---x' lines take minutes)."""
    position = 0
    candidates = {start: text.find("\n" + start) for start in starts}
    while True:
        match = pattern.match(text, position)
        if match is not None:
            return match
        for start, at in candidates.items():
            if at != -1 and at < position:
                candidates[start] = text.find("\n" + start, position)
        found = [at for at in candidates.values() if at != -1]
        if not found:
            return None
        position = min(found) + 1


def load_front_matter(front_matter, limits=None):
    limits = limits or SeedLimits()
    try:
        # line_offset 1: the front matter starts on line 2 of the file, below the opening '---'.
        mapping = safeyaml.load(
            front_matter, max_depth=limits.max_depth, max_nodes=limits.max_yaml_nodes, line_offset=1
        )
    except safeyaml.RefusedYAML as exc:
        raise SeedError(str(exc)) from None
    except safeyaml.UnreadableValue as exc:
        where = f"field '{exc.path}': " if exc.path else ""
        raise SeedError(f"{where}{exc} (line {exc.line})") from None
    except yaml.YAMLError as exc:
        raise SeedError(f"front matter is not valid YAML: {_yaml_problem(exc)}") from None
    if mapping is None:
        mapping = {}
    if not isinstance(mapping, dict):
        raise SeedError(f"front matter must be a mapping of keys to values, not a {_kind(mapping)}")
    for key in mapping:
        if not isinstance(key, str):
            raise SeedError(f"front matter key {str(key)[:40]!r} is not a string")
    if "\\" in front_matter:
        _check_escaped_text(mapping)
    return mapping


def _check_escaped_text(mapping):
    """Refuse strings that no database stores alike. Only escape sequences make them: YAML
    turns "\\0" into a NUL, which PostgreSQL refuses and SQLite keeps, and "\\ud800" into a
    lone surrogate, which is not UTF-8 at all. (The loader bounded depth and size, and
    refused aliases, so this walk is over a tree no larger than the file.)"""
    stack = [(mapping, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str):
                    _check_text(key, path or "front matter key")
                stack.append((child, f"{path}.{key}" if path else str(key)))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{index + 1}]") for index, child in enumerate(item))
        elif isinstance(item, str):
            _check_text(item, path)


def _check_text(text, path):
    if "\x00" in text:
        raise SeedError("contains a NUL character (an escaped \\0)", field=path)
    if _SURROGATE.search(text):
        raise SeedError("contains an unpaired UTF-16 surrogate escape, which is not text", field=path)


def _yaml_problem(exc):
    """libyaml's reason, with where it is in the file (front matter line + 1) and, for the
    errors that name two places (a duplicate anchor), both."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None and mark is not None:
        return f"{context} (line {context_mark.line + 2}), {problem} (line {mark.line + 2}, column {mark.column + 1})"
    if mark is not None:
        return f"{problem} (line {mark.line + 2}, column {mark.column + 1})"
    return problem


def _kind(value):
    return {dict: "mapping", list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


# --- field validators -----------------------------------------------------------------


def _shown(value, length=60):
    """A value quoted in a reason: short, whatever the file held (a reason is printed,
    stored in the ledger and shown in the admin)."""
    text = repr(value) if isinstance(value, str) else repr(str(value)[: length + 1])
    return text if len(text) <= length else text[: length - 4] + "...'"


def _text(mapping, key, *, max_length=None, required=False, setting=None):
    value = mapping.get(key)
    if value is None:
        if required:
            raise SeedError("is missing", field=key)
        return ""
    if isinstance(value, (dict, list)):
        raise SeedError(f"must be text, not a {_kind(value)}", field=key)
    if isinstance(value, bool):
        raise SeedError("must be text, not a boolean", field=key)
    value = str(value) if not isinstance(value, str) else value
    if required and not value.strip():
        raise SeedError("is empty", field=key)
    if max_length is not None and len(value) > max_length:
        limit = f" ({setting})" if setting else ""
        raise SeedError(f"is {len(value):,} characters long; at most {max_length:,} are accepted{limit}", field=key)
    return value


def _int(mapping, key):
    value = mapping.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise SeedError(f"must be a whole number, not {_shown(value)}", field=key)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise SeedError(f"must be a whole number, not {_shown(value)}", field=key) from None
    if not INT_MIN <= value <= INT_MAX:
        raise SeedError(f"{_shown(value)} is out of range", field=key)
    return value


def _bool(mapping, key):
    value = mapping.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise SeedError(f"must be true or false, not {_shown(value)}", field=key)
    return value


def _datetime(value, key):
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise SeedError(f"{_shown(value)} is not an ISO 8601 date-time", field=key) from None
    else:
        raise SeedError(f"must be a date-time, not {_shown(value)}", field=key)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:
        # 0001-01-01T00:00+01:00 is a valid timestamp whose UTC time is before year 1.
        raise SeedError(f"{_shown(value)} is outside the years 1 to 9999 in UTC", field=key) from None


def _optional_url(mapping, key, notes, where=""):
    value = mapping.get(key)
    if value is None or value == "":
        return ""
    url = safe_url(value)
    if not url:
        notes.append(f"{where}{key}: dropped {_shown(value, 80)} (only http(s) URLs are kept as links)")
    return url


def _provider(value, key):
    if value is None:
        return None
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict):
        raise SeedError(f"must be a mapping with name and domain, not a {_kind(value)}", field=key)
    name = _text(value, "name", max_length=MAX_NAME).strip()
    domain = _text(value, "domain", max_length=MAX_DOMAIN).strip().lower()
    if not name and not domain:
        return None
    return ParsedProvider(name=name or domain, domain=domain)


def _topics(value, limits):
    if value is None:
        return []
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        raise SeedError(f"must be a list of names, not a {_kind(value)}", field="topics")
    topics, seen = [], set()
    for item in value:
        if isinstance(item, (dict, list)) or item is None or isinstance(item, bool):
            raise SeedError(f"every topic must be a name, not {_shown(item)}", field="topics")
        name = str(item).strip()
        if len(name) > MAX_NAME:
            raise SeedError(f"topic {_shown(name, 40)} is longer than {MAX_NAME} characters", field="topics")
        if name and name not in seen:
            seen.add(name)
            topics.append(name)
            if len(topics) > limits.max_topics:
                raise SeedError(
                    f"names more than {limits.max_topics:,} topics; at most {limits.max_topics:,} are accepted"
                    " (SEED_MAX_TOPICS)",
                    field="topics",
                )
    return topics


def _dimension(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT_MAX:
        return None
    return value


def _at_most(items, limit, key, notes, setting):
    """Images and related items beyond the limit are cut, with a note (see SeedLimits)."""
    if len(items) <= limit:
        return items
    notes.append(f"{key}: kept the first {limit:,} of {len(items):,} items ({setting})")
    return items[:limit]


def _images(value, key, notes, limits, where=""):
    if value is None:
        return []
    if not isinstance(value, list):
        raise SeedError(f"must be a list, not a {_kind(value)}", field=key)
    images = []
    for index, item in enumerate(_at_most(value, limits.max_images, f"{where}{key}", notes, "SEED_MAX_IMAGES")):
        if isinstance(item, str):
            item = {"url": item}
        if not isinstance(item, dict):
            raise SeedError(f"item {index + 1} must be a mapping with a url, not a {_kind(item)}", field=key)
        url = safe_url(item.get("url"))
        if not url:
            notes.append(f"{where}{key}[{index + 1}]: dropped {_shown(item.get('url'), 80)} (not an http(s) URL)")
            continue
        title = item.get("title")
        if isinstance(title, str) and len(title) > limits.max_title:
            raise SeedError(
                f"is {len(title):,} characters long; at most {limits.max_title:,} are accepted (SEED_MAX_TITLE_CHARS)",
                field=f"{key}[{index + 1}].title",
            )
        images.append(
            ParsedImage(
                url=url,
                width=_dimension(item.get("width")),
                height=_dimension(item.get("height")),
                title=title if isinstance(title, str) else "",
            )
        )
    return images


def _related(value, notes, limits):
    if value is None:
        return []
    if not isinstance(value, list):
        raise SeedError(f"must be a list, not a {_kind(value)}", field="related")
    related = []
    for index, item in enumerate(_at_most(value, limits.max_related, "related", notes, "SEED_MAX_RELATED")):
        where = f"related[{index + 1}]."
        if not isinstance(item, dict):
            raise SeedError(f"item {index + 1} must be a mapping, not a {_kind(item)}", field="related")
        try:
            images = _images(item.get("images"), "images", notes, limits, where)
            web_url = _optional_url(item, "webUrl", notes, where)
            related.append(
                ParsedRelated(
                    title=_text(item, "title", max_length=limits.max_title, setting="SEED_MAX_TITLE_CHARS"),
                    excerpt=_text(item, "excerpt", max_length=limits.max_excerpt, setting="SEED_MAX_EXCERPT_CHARS"),
                    web_url=web_url,
                    url_key=url_key(web_url) if web_url else "",
                    canonical_url=stored_canonical_url(web_url),
                    amp_url=_optional_url(item, "ampWebUrl", notes, where),
                    cdn_amp_url=_optional_url(item, "cdnAmpWebUrl", notes, where),
                    published_at=_datetime(item.get("publishedDateTime"), "publishedDateTime"),
                    article_type=_text(item, "type", max_length=MAX_SHORT_TEXT),
                    provider=_provider(item.get("provider"), "provider"),
                    quality=_int(item, "quality"),
                    heat=_int(item, "heat"),
                    images_json=json.dumps([{"url": i.url, "width": i.width, "height": i.height} for i in images]),
                )
            )
        except SeedError as exc:
            where = f"related[{index + 1}]" + (f".{exc.field}" if exc.field else "")
            raise SeedError(exc.reason, field=where) from None
    return related


def derive_title(body):
    """A title for a body-only item: its first line of prose, cut at a word boundary."""
    for line in body.splitlines():
        line = " ".join(line.split())
        # A line of a few words is usually a dateline or an ad marker, not the story.
        if len(line.split()) >= 4:
            break
    else:
        line = " ".join(body.split())
    if len(line) <= DERIVED_TITLE_LENGTH:
        return line
    cut = line[:DERIVED_TITLE_LENGTH].rsplit(" ", 1)[0]
    return cut + "…"


_SECURED_KEY = re.compile(r"secured[ \t]*:")
_NEXT_TOP_LEVEL_LINE = re.compile(r"\n(?=[^ \t\n])")


def content_hash(front_matter, mapping, body):
    """Hash of what the source said, ignoring `secured` (it changes on every export).

    The usual file writes `secured:` as a top-level key whose value runs until the next
    line that starts in column 0; cutting that span out of the text is much cheaper than
    serialising the parsed mapping. Any other layout falls back to the mapping.
    """
    if "secured" in mapping:
        key = _match_at_line_start(front_matter, _SECURED_KEY, ("secured",))
        if key is None:
            front_matter = _stable_json({k: v for k, v in mapping.items() if k != "secured"})
        else:
            end = _NEXT_TOP_LEVEL_LINE.search(front_matter, key.end())
            front_matter = front_matter[: key.start()] + (front_matter[end.end() :] if end else "")
    return hashlib.sha256(f"{front_matter}\x00{body}".encode()).hexdigest()


def _stable_json(value):
    """JSON text for a parsed value, keys sorted where they can be. YAML keys may be dates,
    numbers or None beside strings: dates become their ISO text, and a mapping whose keys
    still mix types (`{1: a, b: c}`) cannot be sorted, so it keeps the file's order, which
    is as stable for the same text."""
    value = _json_keys(value)
    try:
        return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    except TypeError:
        return json.dumps(value, default=str, ensure_ascii=False)


def _json_keys(value):
    if isinstance(value, dict):
        return {
            key if key is None or isinstance(key, (str, int, float)) else str(key): _json_keys(child)
            for key, child in value.items()
        }
    if isinstance(value, list):
        return [_json_keys(child) for child in value]
    return value


def parse_seed(data, limits=None):
    """Parse and validate one seed file's bytes. Raises SeedError."""
    limits = limits or SeedLimits()
    text = decode_seed(data)
    front_matter, body = split_front_matter(text)
    if len(body) > limits.max_body:
        raise SeedError(
            f"body is {len(body):,} characters long; at most {limits.max_body:,} are accepted (SEED_MAX_BODY_CHARS)"
        )
    body_sha256 = hashlib.sha256(body.strip().encode()).hexdigest() if body.strip() else ""
    if front_matter is None:
        body = body.strip("\n")
        if not body.strip():
            raise SeedError("is empty: no front matter and no body text")
        return ParsedSeed(
            source_key=body_key(body),
            content_sha256=content_hash("", {}, body),
            body_sha256=body_sha256,
            has_front_matter=False,
            front_matter_raw="",
            title=derive_title(body),
            body=body,
        )

    mapping = load_front_matter(front_matter, limits)
    notes = []
    raw_url = mapping.get("webUrl")
    if raw_url is None or raw_url == "":
        raise SeedError("is missing; it identifies the article", field="webUrl")
    web_url = safe_url(raw_url)
    if not web_url:
        raise SeedError(f"{_shown(raw_url, 80)} is not an absolute http(s) URL", field="webUrl")
    secured = mapping.get("secured")
    if secured is not None and not isinstance(secured, str):
        secured = _stable_json(secured)

    return ParsedSeed(
        source_key=url_key(web_url),
        content_sha256=content_hash(front_matter, mapping, body),
        body_sha256=body_sha256,
        has_front_matter=True,
        front_matter_raw=front_matter,
        title=_text(mapping, "title", required=True, max_length=limits.max_title, setting="SEED_MAX_TITLE_CHARS"),
        body=body,
        excerpt=_text(mapping, "excerpt", max_length=limits.max_excerpt, setting="SEED_MAX_EXCERPT_CHARS"),
        category=_text(mapping, "category", max_length=MAX_SHORT_TEXT).strip(),
        article_type=_text(mapping, "type", max_length=MAX_SHORT_TEXT).strip(),
        web_url=web_url,
        canonical_url=stored_canonical_url(web_url),
        amp_url=_optional_url(mapping, "ampWebUrl", notes),
        cdn_amp_url=_optional_url(mapping, "cdnAmpWebUrl", notes),
        published_at=_datetime(mapping.get("publishedDateTime"), "publishedDateTime"),
        quality=_int(mapping, "quality"),
        heat=_int(mapping, "heat"),
        source_published=_bool(mapping, "published"),
        secured=secured or "",
        provider=_provider(mapping.get("provider"), "provider"),
        topics=_topics(mapping.get("topics"), limits),
        images=_images(mapping.get("images"), "images", notes, limits),
        related=_related(mapping.get("related"), notes, limits),
        notes=notes,
    )


def parse_one(data, limits=None):
    """ParsedSeed, or the reason the file failed as text. Never raises for any bytes: a
    failure nobody foresaw is still one file's failure, named by its exception."""
    try:
        return parse_seed(data, limits)
    except SeedError as exc:
        return str(exc)
    except RecursionError:
        return "front matter is nested too deeply"
    except MemoryError:
        return "front matter is too large to parse"
    except Exception as exc:  # noqa: BLE001 - see the docstring
        logger.warning("unexpected error parsing a seed file", exc_info=True)
        return f"cannot be parsed: unexpected {type(exc).__name__}: {_shown(str(exc), 200)}"


def parse_seed_batch(payloads, limits=None):
    """[(index, bytes)] -> [(index, ParsedSeed or the error text)]."""
    return [(index, parse_one(data, limits)) for index, data in payloads]
